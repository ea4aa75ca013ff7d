//! The behaviours the sandbox can be told to act out.

use std::fmt;
use std::str::FromStr;

/// One scripted server behaviour: how the sandbox answers generation requests.
///
/// Each scenario reproduces a success path, an asynchronous (processing) path, or a failure mode
/// observed in (or documented for) the real ModelsLab API, including its quirks. The same
/// scenario drives every protocol the sandbox speaks: the OpenAI-compatible and AUTOMATIC1111
/// routes act out each one in their own dialect (or as success where the service has no such
/// behaviour); the module docs of `openai` and `a1111` hold the mapping.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Scenario {
    /// Success at once (after the configured job duration).
    #[default]
    Success,
    /// `output` and `proxy_links` are index-keyed objects; `id` is a string.
    ObjectOutput,
    /// Output URLs serve the image as base64 text.
    Base64Url,
    /// Output entries are raw base64 strings of the PNG.
    InlineBase64,
    /// Output entries are `data:image/png;base64,…` URIs.
    DataUri,
    /// Outputs are JPEG files.
    JpegOutput,
    /// Queued: answers `processing`, then fetch returns the result.
    Processing,
    /// Like `Processing`, with a string id and `message` instead of `messege`.
    ProcessingStringId,
    /// Like `Processing`, but only the body form of fetch works.
    FetchBodyForm,
    /// Success, but each output URL answers 404 for its first two requests.
    FutureLink404,
    /// `status: failed` with HTTP 200.
    Failed,
    /// Queued, then fetch reports `failed`.
    ProcessingThenFailed,
    /// HTTP 401, invalid API key.
    Auth401,
    /// Invalid API key reported with HTTP 200.
    Auth200,
    /// HTTP 402, insufficient credits.
    Credits402,
    /// HTTP 403, feature not on the plan.
    Plan403,
    /// HTTP 400 with per-field validation messages.
    Validation400,
    /// Per-field validation messages with HTTP 200.
    Validation200,
    /// The prompt is refused by a safety system (OpenAI: HTTP 400 `content_policy_violation`;
    /// ModelsLab and AUTOMATIC1111 have no such answer and act out `Validation400`).
    ContentPolicy,
    /// Error text under the legacy `messege` key.
    MessegeError,
    /// Error text under `error` instead of `message`.
    ErrorField,
    /// The first two submissions are rate limited (`retry_after` in the body).
    RateLimited,
    /// The first submission is rate limited with a `Retry-After` header.
    RateLimitedHeader,
    /// The first submission is rate limited with `retry-after-ms`.
    RateLimitedMs,
    /// The first submission is rate limited with an HTTP-date `Retry-After`.
    RateLimitedDate,
    /// The first submission is rate limited with `X-RateLimit-Reset`.
    RateLimitedReset,
    /// Every submission is rate limited.
    RateLimitedForever,
    /// Rate limited with `retry_after: 600`.
    RateLimitedLong,
    /// HTTP 429 meaning an exhausted quota, not a busy queue.
    Quota429,
    /// The first submission gets HTTP 500, then success.
    ServerErrorOnce,
    /// Every submission gets HTTP 500.
    ServerError,
    /// Model `flux` is unavailable (503); other models work.
    ModelOutage,
    /// HTTP 502 with an nginx HTML page.
    Html502,
    /// HTTP 200 with an HTML page.
    Html200,
    /// HTTP 200 with an empty body.
    Empty200,
    /// The request is accepted and never answered.
    Hang,
    /// Success, but the image files are empty.
    EmptyImage,
    /// Success, but the image files are HTML labelled `image/png`.
    NotAnImage,
    /// Success, but the PNG declares 60000×60000 pixels.
    HugeImage,
    /// Queued forever.
    ProcessingForever,
    /// Queued with an absurd `eta`.
    BigEta,
    /// Queued, and every job gets the same id.
    DuplicateId,
}

impl Scenario {
    /// Every scenario, in documentation order.
    pub const ALL: &[Scenario] = &[
        Scenario::Success,
        Scenario::ObjectOutput,
        Scenario::Base64Url,
        Scenario::InlineBase64,
        Scenario::DataUri,
        Scenario::JpegOutput,
        Scenario::Processing,
        Scenario::ProcessingStringId,
        Scenario::FetchBodyForm,
        Scenario::FutureLink404,
        Scenario::Failed,
        Scenario::ProcessingThenFailed,
        Scenario::Auth401,
        Scenario::Auth200,
        Scenario::Credits402,
        Scenario::Plan403,
        Scenario::Validation400,
        Scenario::Validation200,
        Scenario::ContentPolicy,
        Scenario::MessegeError,
        Scenario::ErrorField,
        Scenario::RateLimited,
        Scenario::RateLimitedHeader,
        Scenario::RateLimitedMs,
        Scenario::RateLimitedDate,
        Scenario::RateLimitedReset,
        Scenario::RateLimitedForever,
        Scenario::RateLimitedLong,
        Scenario::Quota429,
        Scenario::ServerErrorOnce,
        Scenario::ServerError,
        Scenario::ModelOutage,
        Scenario::Html502,
        Scenario::Html200,
        Scenario::Empty200,
        Scenario::Hang,
        Scenario::EmptyImage,
        Scenario::NotAnImage,
        Scenario::HugeImage,
        Scenario::ProcessingForever,
        Scenario::BigEta,
        Scenario::DuplicateId,
    ];

    /// The snake_case name used on the command line.
    pub fn name(&self) -> &'static str {
        match self {
            Scenario::Success => "success",
            Scenario::ObjectOutput => "object_output",
            Scenario::Base64Url => "base64_url",
            Scenario::InlineBase64 => "inline_base64",
            Scenario::DataUri => "data_uri",
            Scenario::JpegOutput => "jpeg_output",
            Scenario::Processing => "processing",
            Scenario::ProcessingStringId => "processing_string_id",
            Scenario::FetchBodyForm => "fetch_body_form",
            Scenario::FutureLink404 => "future_link_404",
            Scenario::Failed => "failed",
            Scenario::ProcessingThenFailed => "processing_then_failed",
            Scenario::Auth401 => "auth_401",
            Scenario::Auth200 => "auth_200",
            Scenario::Credits402 => "credits_402",
            Scenario::Plan403 => "plan_403",
            Scenario::Validation400 => "validation_400",
            Scenario::Validation200 => "validation_200",
            Scenario::ContentPolicy => "content_policy",
            Scenario::MessegeError => "messege_error",
            Scenario::ErrorField => "error_field",
            Scenario::RateLimited => "rate_limited",
            Scenario::RateLimitedHeader => "rate_limited_header",
            Scenario::RateLimitedMs => "rate_limited_ms",
            Scenario::RateLimitedDate => "rate_limited_date",
            Scenario::RateLimitedReset => "rate_limited_reset",
            Scenario::RateLimitedForever => "rate_limited_forever",
            Scenario::RateLimitedLong => "rate_limited_long",
            Scenario::Quota429 => "quota_429",
            Scenario::ServerErrorOnce => "server_error_once",
            Scenario::ServerError => "server_error",
            Scenario::ModelOutage => "model_outage",
            Scenario::Html502 => "html_502",
            Scenario::Html200 => "html_200",
            Scenario::Empty200 => "empty_200",
            Scenario::Hang => "hang",
            Scenario::EmptyImage => "empty_image",
            Scenario::NotAnImage => "not_an_image",
            Scenario::HugeImage => "huge_image",
            Scenario::ProcessingForever => "processing_forever",
            Scenario::BigEta => "big_eta",
            Scenario::DuplicateId => "duplicate_id",
        }
    }

    /// A one-line explanation of what the server does in this scenario.
    pub fn description(&self) -> &'static str {
        match self {
            Scenario::Success => "every request succeeds with PNG test patterns",
            Scenario::ObjectOutput => "success, but output/proxy_links are index-keyed objects and the id is a string",
            Scenario::Base64Url => "success, but the output URLs serve base64 text instead of image bytes",
            Scenario::InlineBase64 => "success, with raw base64 PNG data in place of output URLs",
            Scenario::DataUri => "success, with data:image/png;base64 URIs in place of output URLs",
            Scenario::JpegOutput => "success, with JPEG outputs (.jpg, image/jpeg)",
            Scenario::Processing => "generation is queued ('processing'); fetch returns the result once it is ready",
            Scenario::ProcessingStringId => "queued like 'processing', but the id is a string and the key is 'message'",
            Scenario::FetchBodyForm => "queued; fetch/{id} answers an HTML 404, only POST fetch with request_id works",
            Scenario::FutureLink404 => "success, but each image URL answers 404 for its first two downloads",
            Scenario::Failed => "every generation fails with status 'failed' (HTTP 200)",
            Scenario::ProcessingThenFailed => "queued, then fetch reports the generation failed",
            Scenario::Auth401 => "the API key is rejected with HTTP 401",
            Scenario::Auth200 => "the API key is rejected with an error body and HTTP 200",
            Scenario::Credits402 => "out of credits (HTTP 402)",
            Scenario::Plan403 => "the feature needs a premium plan (HTTP 403)",
            Scenario::Validation400 => "per-field validation errors with HTTP 400",
            Scenario::Validation200 => "per-field validation errors with HTTP 200",
            Scenario::ContentPolicy => {
                "the safety system refuses the prompt (OpenAI: 400 content_policy_violation; \
                 ModelsLab/A1111: like validation_400)"
            }
            Scenario::MessegeError => "'Model not found' under the legacy 'messege' key (HTTP 200)",
            Scenario::ErrorField => "error text under 'error' instead of 'message' (HTTP 400)",
            Scenario::RateLimited => "the first two requests are rate limited (retry_after: 1)",
            Scenario::RateLimitedHeader => "the first request is rate limited with a Retry-After header",
            Scenario::RateLimitedMs => "the first request is rate limited with retry-after-ms: 300 (and Retry-After: 5)",
            Scenario::RateLimitedDate => "the first request is rate limited with an HTTP-date Retry-After 2 s ahead",
            Scenario::RateLimitedReset => "the first request is rate limited with only an X-RateLimit-Reset epoch",
            Scenario::RateLimitedForever => "every request is rate limited (retry_after: 1)",
            Scenario::RateLimitedLong => "rate limited with retry_after: 600",
            Scenario::Quota429 => "HTTP 429 for an exhausted daily quota (retrying will not help)",
            Scenario::ServerErrorOnce => "the first request gets HTTP 500, later ones succeed",
            Scenario::ServerError => "every request gets HTTP 500",
            Scenario::ModelOutage => "model 'flux' is unavailable (HTTP 503); other models work",
            Scenario::Html502 => "HTTP 502 with an nginx HTML error page",
            Scenario::Html200 => "HTTP 200 with an HTML page instead of JSON",
            Scenario::Empty200 => "HTTP 200 with an empty body",
            Scenario::Hang => "the request is accepted and never answered",
            Scenario::EmptyImage => "success, but the image downloads are empty",
            Scenario::NotAnImage => "success, but the image downloads are HTML labelled image/png",
            Scenario::HugeImage => "success, but the PNG header declares 60000×60000 pixels",
            Scenario::ProcessingForever => "queued forever; fetch never stops answering 'processing'",
            Scenario::BigEta => "queued with eta 1e9 seconds, ready after the first fetch",
            Scenario::DuplicateId => "queued, and every job gets the same id (777)",
        }
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Scenario {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim();
        Scenario::ALL.iter().copied().find(|scenario| scenario.name() == wanted).ok_or_else(|| {
            let names: Vec<&str> = Scenario::ALL.iter().map(Scenario::name).collect();
            format!("unknown scenario '{wanted}'; valid scenarios: {}", names.join(", "))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Scenario;

    #[test]
    fn names_round_trip_and_are_unique() {
        for scenario in Scenario::ALL {
            assert_eq!(scenario.name().parse::<Scenario>(), Ok(*scenario));
            assert!(!scenario.description().is_empty());
        }
        let mut names: Vec<&str> = Scenario::ALL.iter().map(Scenario::name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Scenario::ALL.len());
    }

    #[test]
    fn unknown_name_lists_valid_ones() {
        let err = "nope".parse::<Scenario>().unwrap_err();
        assert!(err.contains("nope") && err.contains("rate_limited_forever"));
    }
}
