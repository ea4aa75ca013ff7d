//! Retry policy: when to wait and try again, and when to stop.
//!
//! Every retry decision of a job is made here, and every function is pure (time and
//! randomness come in as arguments), so each decision can be unit-tested. The job's loops
//! describe what went wrong ([`Trouble`], [`DownloadTrouble`]), ask the tries of their loop
//! ([`SendTries`], [`PollTries`], [`DownloadTries`]) and act on the [`Decision`]; the job
//! records every decision in the diagnostics record of the exchange that caused it.

use crate::error::{EngineError, ErrorCategory};
use crate::http::{Reply, TransportKind};
use crate::intake::IntakeError;
use serde::{Deserialize, Serialize};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How to treat a failure a provider reported. Its parser decides; this module acts on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retry {
    /// Never retry: it would fail again, or charge again.
    No,
    /// Rate limited: wait as told, then send again.
    RateLimited,
    /// Server trouble: retry once with the same payload, then the fallback model.
    ServerError,
}

/// Why the job is waiting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WaitReason {
    RateLimited,
    ServerError,
    Processing,
    Download,
    /// The pictures arrived but cannot be saved yet (the disk is full or not writable).
    Storage,
}

impl WaitReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RateLimited => "rate_limited",
            Self::ServerError => "server_error",
            Self::Processing => "processing",
            Self::Download => "download",
            Self::Storage => "storage",
        }
    }
    /// Words for the job list: "waiting 12 s (rate limit)".
    pub fn label(self) -> &'static str {
        match self {
            Self::RateLimited => "rate limit",
            Self::ServerError => "server error",
            Self::Processing => "processing",
            Self::Download => "download",
            Self::Storage => "no room on the disk",
        }
    }
}

/// Where a wait's length came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WaitSource {
    RetryAfterMs,
    RetryAfter,
    BodyRetryAfter,
    RateLimitReset,
    Backoff,
    Eta,
}

/// The numbers behind every retry decision.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Tries for a rate-limited request: the first request plus retries.
    pub max_rate_limit_tries: u32,
    /// The longest server-requested wait we honour; longer means give up.
    pub max_server_wait: Duration,
    /// First backoff step when the server gives no hint.
    pub backoff_base: Duration,
    /// Largest backoff step.
    pub backoff_cap: Duration,
    /// Shortest wait ever, so no hint can make us retry in a tight loop.
    pub min_wait: Duration,
    /// Retries of the same payload after a 5xx or a connection reset.
    pub server_error_retries: u32,
    /// Pause before retrying a 5xx.
    pub server_error_wait: Duration,
    /// Connect timeout for every HTTP call.
    pub connect_timeout: Duration,
    /// How long a processing job may take before we stop polling.
    pub processing_deadline: Duration,
    /// Poll interval bounds; the first poll waits the server's ETA, clamped.
    pub poll_min: Duration,
    pub poll_max: Duration,
    /// Growth of the poll interval when the job is still processing.
    pub poll_growth: f64,
    /// Quick re-downloads of an output URL that served an empty or non-image body.
    pub bad_download_retries: u32,
    pub bad_download_wait: Duration,
    /// Wait between downloads of an output URL that is not there yet (404/403).
    pub not_ready_wait: Duration,
    /// First wait before saving again pictures that arrived while the disk had no room; it
    /// doubles up to `storage_wait_cap`.
    pub storage_wait: Duration,
    pub storage_wait_cap: Duration,
    /// How long pictures that cannot be saved are kept in memory before the job gives up
    /// (those the service still keeps are fetched again by `easel resume`).
    pub storage_patience: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_rate_limit_tries: 4,
            max_server_wait: Duration::from_secs(120),
            backoff_base: Duration::from_secs(2),
            backoff_cap: Duration::from_secs(30),
            min_wait: Duration::from_millis(100),
            server_error_retries: 1,
            server_error_wait: Duration::from_secs(2),
            connect_timeout: Duration::from_secs(10),
            processing_deadline: Duration::from_secs(600),
            poll_min: Duration::from_secs(1),
            poll_max: Duration::from_secs(15),
            poll_growth: 1.5,
            bad_download_retries: 3,
            bad_download_wait: Duration::from_millis(700),
            not_ready_wait: Duration::from_secs(2),
            storage_wait: Duration::from_secs(2),
            storage_wait_cap: Duration::from_secs(30),
            storage_patience: Duration::from_secs(15 * 60),
        }
    }
}

/// What the server said about when to come back, straight from the response.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RateLimitHints {
    pub retry_after_ms: Option<String>,
    pub retry_after: Option<String>,
    pub body_retry_after: Option<f64>,
    pub rate_limit_reset: Option<String>,
    /// The response's `Date` header, so an HTTP-date is read against the server's clock.
    pub date: Option<String>,
    /// How many jobs the account may have queued, when the answer says (ModelsLab's
    /// "Maximum 5 queued requests allowed": 5, 10 or 15 by plan).
    pub queue_limit: Option<u32>,
}

impl RateLimitHints {
    /// The hints an answer carries in its headers (a provider adds the body's own).
    pub fn from_reply(reply: &Reply) -> Self {
        Self {
            retry_after_ms: reply.header("retry-after-ms").map(str::to_owned),
            retry_after: reply.header("retry-after").map(str::to_owned),
            body_retry_after: None,
            rate_limit_reset: reply.header("x-ratelimit-reset").map(str::to_owned),
            date: reply.header("date").map(str::to_owned),
            queue_limit: None,
        }
    }
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// A decision after a failed attempt.
#[derive(Clone, Debug, PartialEq)]
pub enum Decision {
    /// Wait, then try again.
    Retry { wait: Duration, reason: WaitReason, source: WaitSource },
    /// Send again at once with the fallback model: the model kept failing with server trouble.
    Fallback,
    /// Ask again at the next poll, whose interval is the wait.
    NextPoll,
    /// Stop: the failure is final, and its own error says why.
    Stop,
    /// Stop, because waiting any longer is not worth it: this error says why.
    GiveUp(EngineError),
}

/// How a try failed, as far as trying again goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trouble {
    /// The service answered with a failure, classed by its provider.
    Answer(Retry),
    /// No usable answer: how the exchange failed.
    Transport(TransportKind),
}

impl Trouble {
    /// Server trouble worth another try with the same payload: a 5xx, or a connection that
    /// was refused or broke before the answer. A timeout is not: the server may still be
    /// making (and charging for) what it was sent.
    fn is_server_trouble(self) -> bool {
        matches!(self, Self::Answer(Retry::ServerError) | Self::Transport(TransportKind::Reset | TransportKind::Connect))
    }
}

/// The tries of one request (a generation or an upload) so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SendTries {
    /// Retries of the same payload after server trouble, since the last change of model.
    server_retries: u32,
    /// Tries answered "too many requests".
    rate_limited: u32,
}

impl SendTries {
    /// What to do after a failed try. Rate limits wait as the server asks, within the policy;
    /// server trouble is retried `server_error_retries` times with the same payload, then the
    /// fallback model gets its go when `fallback_left` (uploads have none); anything else stops.
    pub fn after(
        &mut self,
        policy: &RetryPolicy,
        trouble: Trouble,
        fallback_left: bool,
        hints: &RateLimitHints,
        now: SystemTime,
        jitter: f64,
    ) -> Decision {
        if trouble == Trouble::Answer(Retry::RateLimited) {
            self.rate_limited += 1;
            return after_rate_limit(policy, self.rate_limited, hints, now, jitter);
        }
        if !trouble.is_server_trouble() {
            return Decision::Stop;
        }
        if self.server_retries < policy.server_error_retries {
            self.server_retries += 1;
            return Decision::Retry { wait: policy.server_error_wait, reason: WaitReason::ServerError, source: WaitSource::Backoff };
        }
        if fallback_left {
            self.server_retries = 0;
            return Decision::Fallback;
        }
        Decision::Stop
    }
}

/// Polls in a row that may get no answer before Easel stops asking.
const POLL_TRANSPORT_FAILURES: u32 = 5;
/// Failed polls in a row after which a server error stops the asking.
const POLL_SERVER_ERRORS: u32 = 3;

/// The polls of one processing job: how many failed in a row.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PollTries {
    failures_in_a_row: u32,
}

impl PollTries {
    /// A poll was answered "still processing": earlier failures no longer count.
    pub fn answered(&mut self) {
        self.failures_in_a_row = 0;
    }

    /// What to do after a failed poll. Asking again is free and cannot charge twice, so a
    /// poll without an answer or with a server error is asked again at the next interval,
    /// within limits; a rate limit waits as the server asks; anything else stops.
    pub fn after(&mut self, policy: &RetryPolicy, trouble: Trouble, hints: &RateLimitHints, now: SystemTime) -> Decision {
        match trouble {
            Trouble::Transport(_) => {
                self.failures_in_a_row += 1;
                if self.failures_in_a_row >= POLL_TRANSPORT_FAILURES { Decision::Stop } else { Decision::NextPoll }
            }
            Trouble::Answer(Retry::RateLimited) => {
                let wait = server_requested_wait(hints, now)
                    .map_or(policy.poll_max, |(wait, _)| wait.clamp(policy.poll_min, policy.max_server_wait));
                Decision::Retry { wait, reason: WaitReason::RateLimited, source: WaitSource::RetryAfter }
            }
            Trouble::Answer(Retry::ServerError) if self.failures_in_a_row < POLL_SERVER_ERRORS => {
                self.failures_in_a_row += 1;
                Decision::NextPoll
            }
            Trouble::Answer(_) => Decision::Stop,
        }
    }
}

/// Most jobs in flight any plan allows (ModelsLab's Unlimited Premium queues 15).
pub const MAX_QUEUE_LIMIT: u32 = 15;

/// The queue cap a rate-limit message states: "Rate limit exceeded. Maximum 10 queued requests
/// allowed." gives 10. `None` when the words say no number (or an absurd one).
pub fn queue_limit_in(message: &str) -> Option<u32> {
    let lower = message.to_ascii_lowercase();
    let at = lower.find("maximum")? + "maximum".len();
    let rest = lower[at..].trim_start();
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let after = rest[digits.len()..].trim_start();
    let n: u32 = digits.parse().ok()?;
    (after.starts_with("queued") && (1..=100).contains(&n)).then_some(n)
}

/// How many of this engine's jobs may be in flight: the account's queue cap (when known, else
/// what the engine started with), less the jobs the service is already making for the account
/// elsewhere (another program, the website), never fewer than one. A number the person chose
/// is never exceeded.
pub fn job_slots(started_with: usize, person_chose: bool, queue_limit: Option<u32>, busy_elsewhere: u32) -> usize {
    let cap = match queue_limit {
        Some(limit) if person_chose => started_with.min(limit as usize),
        Some(limit) => limit as usize,
        None => started_with,
    };
    cap.saturating_sub(busy_elsewhere as usize).max(1)
}

/// The wait before the next poll, or `None` when it would end past the processing deadline
/// (`elapsed` is the time since the job started): then Easel stops waiting, and never resubmits.
pub fn next_poll(policy: &RetryPolicy, polls_so_far: u32, eta_seconds: Option<f64>, elapsed: Duration) -> Option<Duration> {
    let wait = poll_interval(policy, polls_so_far, eta_seconds);
    (elapsed + wait <= policy.processing_deadline).then_some(wait)
}

/// The wait before saving again pictures the disk had no room for (`tries` so far, `waited`
/// since the first failure), or `None` once the policy's patience is spent. Saving again never
/// sends anything, so it costs nothing: only memory, for pictures held meanwhile.
pub fn storage_wait(policy: &RetryPolicy, tries: u32, waited: Duration) -> Option<Duration> {
    let wait = policy.storage_wait.saturating_mul(2u32.saturating_pow(tries.min(16))).min(policy.storage_wait_cap).max(policy.min_wait);
    (waited + wait <= policy.storage_patience).then_some(wait)
}

/// How downloading an output failed.
#[derive(Clone, Copy, Debug)]
pub enum DownloadTrouble<'a> {
    /// No usable answer: how the exchange failed.
    Transport(TransportKind),
    /// An unsuccessful HTTP status.
    Status(u16),
    /// The answer is not a usable image.
    Unusable(&'a IntakeError),
}

/// Downloads of one output address that may get no answer before Easel gives up.
const DOWNLOAD_TRANSPORT_RETRIES: u32 = 2;

/// The downloads of one output address so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DownloadTries {
    bad: u32,
    transport: u32,
}

impl DownloadTries {
    /// Downloads that served something unusable (or an error status) so far.
    pub fn bad(&self) -> u32 {
        self.bad
    }

    /// What to do after a failed download, with `time_left` before the job's deadline. An
    /// address that is not there yet (404/403, as future links answer) is asked again until
    /// the deadline; junk is downloaded again a few times quickly; a redirect refused or a
    /// file too large would be the same the next time.
    pub fn after(&mut self, policy: &RetryPolicy, trouble: DownloadTrouble<'_>, time_left: Duration) -> Decision {
        let again = |wait| Decision::Retry { wait, reason: WaitReason::Download, source: WaitSource::Backoff };
        match trouble {
            DownloadTrouble::Transport(TransportKind::TooLarge) => Decision::Stop,
            DownloadTrouble::Transport(kind) => {
                self.transport += 1;
                let worth_it = self.transport <= DOWNLOAD_TRANSPORT_RETRIES && kind != TransportKind::Redirect && !time_left.is_zero();
                if worth_it { again(policy.bad_download_wait) } else { Decision::Stop }
            }
            DownloadTrouble::Status(403 | 404) if policy.not_ready_wait < time_left => again(policy.not_ready_wait),
            DownloadTrouble::Status(403 | 404) => Decision::Stop,
            DownloadTrouble::Unusable(IntakeError::TooLarge { .. } | IntakeError::DownloadTooLarge(_)) => Decision::Stop,
            DownloadTrouble::Status(_) | DownloadTrouble::Unusable(_) => {
                self.bad += 1;
                if self.bad <= policy.bad_download_retries { again(policy.bad_download_wait) } else { Decision::Stop }
            }
        }
    }
}

/// The wait the server asked for, trying the hints in the documented order:
/// `retry-after-ms`, `Retry-After` (seconds or any HTTP-date form), the body's
/// `retry_after`, then `X-RateLimit-Reset`. Unreadable or negative hints are skipped.
pub fn server_requested_wait(hints: &RateLimitHints, now: SystemTime) -> Option<(Duration, WaitSource)> {
    if let Some(ms) = hints.retry_after_ms.as_deref().and_then(parse_non_negative_f64) {
        return Some((duration_from_secs_saturating(ms / 1000.0), WaitSource::RetryAfterMs));
    }
    let server_now = hints.date.as_deref().and_then(|d| httpdate::parse_http_date(d.trim()).ok());
    if let Some(wait) = hints.retry_after.as_deref().and_then(|v| parse_retry_after(v, now, server_now)) {
        return Some((wait, WaitSource::RetryAfter));
    }
    if let Some(secs) = hints.body_retry_after.filter(|s| s.is_finite() && *s >= 0.0) {
        return Some((duration_from_secs_saturating(secs), WaitSource::BodyRetryAfter));
    }
    if let Some(wait) = hints.rate_limit_reset.as_deref().and_then(|v| parse_rate_limit_reset(v, now)) {
        return Some((wait, WaitSource::RateLimitReset));
    }
    None
}

/// Parse a `Retry-After` value: delay-seconds (floats tolerated) or an HTTP-date in
/// IMF-fixdate, RFC 850 or asctime form. A date is measured against the server's
/// `Date` when known, else our clock; a date in the past means "now".
pub fn parse_retry_after(value: &str, now: SystemTime, server_now: Option<SystemTime>) -> Option<Duration> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    if let Some(secs) = parse_non_negative_f64(value) {
        return Some(duration_from_secs_saturating(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    let reference = server_now.unwrap_or(now);
    Some(duration_from_secs_saturating(when.duration_since(reference).unwrap_or(Duration::ZERO).as_secs_f64()))
}

/// `X-RateLimit-Reset`: Unix epoch seconds (ModelsLab CLI), a Go-style duration such as
/// `6m0s` or `20ms` (OpenAI), or a small plain number meaning seconds from now.
pub fn parse_rate_limit_reset(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Some(n) = parse_non_negative_f64(value) {
        // Anything past the year 2001 as epoch seconds is a timestamp; smaller is a delay.
        if n > 1.0e9 {
            let now_secs = now.duration_since(UNIX_EPOCH).ok()?.as_secs_f64();
            return Some(duration_from_secs_saturating((n - now_secs).max(0.0)));
        }
        return Some(duration_from_secs_saturating(n));
    }
    parse_go_duration(value)
}

/// Parse a Go duration string like `1s`, `6m0s`, `1h2m3.5s`, `20ms`.
pub fn parse_go_duration(value: &str) -> Option<Duration> {
    let mut total = 0.0f64;
    let mut rest = value.trim();
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let number_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        if number_len == 0 {
            return None;
        }
        let number: f64 = rest[..number_len].parse().ok()?;
        rest = &rest[number_len..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let factor = match &rest[..unit_len] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 0.001,
            "us" | "µs" => 0.000_001,
            "ns" => 0.000_000_001,
            _ => return None,
        };
        rest = &rest[unit_len..];
        total += number * factor;
    }
    Some(duration_from_secs_saturating(total))
}

fn parse_non_negative_f64(value: &str) -> Option<f64> {
    let n: f64 = value.trim().parse().ok()?;
    (n.is_finite() && n >= 0.0).then_some(n)
}

fn duration_from_secs_saturating(secs: f64) -> Duration {
    // A year is "forever" for our purposes and keeps Duration arithmetic safe.
    Duration::from_secs_f64(secs.clamp(0.0, 365.0 * 24.0 * 3600.0))
}

/// Exponential backoff with jitter for try number `tries_so_far` (1 = after the first failure).
/// `jitter` is a number in [0, 1); the wait is scaled by 0.75 to 1.0 of the full step.
pub fn backoff(policy: &RetryPolicy, tries_so_far: u32, jitter: f64) -> Duration {
    let exponent = tries_so_far.saturating_sub(1).min(16);
    let full = policy.backoff_base.saturating_mul(1 << exponent).min(policy.backoff_cap);
    let scaled = full.mul_f64(0.75 + 0.25 * jitter.clamp(0.0, 1.0));
    scaled.max(policy.min_wait)
}

/// What to do after a rate-limit answer (429, or the body's queue-limit error),
/// given that `tries_so_far` requests have been sent, all answered 429.
pub fn after_rate_limit(policy: &RetryPolicy, tries_so_far: u32, hints: &RateLimitHints, now: SystemTime, jitter: f64) -> Decision {
    let requested = server_requested_wait(hints, now);
    if let Some((wait, _)) = requested
        && wait > policy.max_server_wait
    {
        return Decision::GiveUp(
            EngineError::new(ErrorCategory::RateLimited)
                .with_message(format!(
                    "The service asked us to wait {}, longer than Easel waits ({}).",
                    human_duration(wait),
                    human_duration(policy.max_server_wait)
                ))
                .with_hint(format!("Try again in {}, or run fewer images at once.", human_duration(wait))),
        );
    }
    if tries_so_far >= policy.max_rate_limit_tries {
        return Decision::GiveUp(
            EngineError::new(ErrorCategory::RateLimited)
                .with_message(format!("The service was still too busy after {tries_so_far} tries, so Easel stopped asking.")),
        );
    }
    match requested {
        Some((wait, source)) => Decision::Retry { wait: wait.max(policy.min_wait), reason: WaitReason::RateLimited, source },
        None => {
            Decision::Retry { wait: backoff(policy, tries_so_far, jitter), reason: WaitReason::RateLimited, source: WaitSource::Backoff }
        }
    }
}

/// The wait before the next poll of a processing job.
/// The first poll follows the server's ETA; later polls grow gently. Always within
/// `[poll_min, poll_max]`, whatever the server claims (NaN, 1e9, negative).
pub fn poll_interval(policy: &RetryPolicy, polls_so_far: u32, eta_seconds: Option<f64>) -> Duration {
    let base = match eta_seconds.filter(|e| e.is_finite() && *e > 0.0) {
        Some(eta) if polls_so_far == 0 => eta,
        _ => policy.poll_min.as_secs_f64() * policy.poll_growth.powi(polls_so_far.min(32) as i32),
    };
    let clamped = base.clamp(policy.poll_min.as_secs_f64(), policy.poll_max.as_secs_f64());
    Duration::from_secs_f64(clamped)
}

/// "12 s", "2 min", "1 min 30 s", "10 h".
pub fn human_duration(d: Duration) -> String {
    let secs = d.as_secs_f64().round() as u64;
    if d < Duration::from_secs(1) {
        return format!("{} ms", d.as_millis());
    }
    match secs {
        0..=59 => format!("{secs} s"),
        60..=3599 if secs.is_multiple_of(60) => format!("{} min", secs / 60),
        60..=3599 => format!("{} min {} s", secs / 60, secs % 60),
        _ => format!("{} h", (secs as f64 / 3600.0).round() as u64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saving_again_backs_off_to_a_cap_and_stops_at_the_patience() {
        let policy = RetryPolicy::default();
        let waits: Vec<u64> = (0..6).map(|t| storage_wait(&policy, t, Duration::ZERO).unwrap().as_secs()).collect();
        assert_eq!(waits, [2, 4, 8, 16, 30, 30]);
        assert_eq!(storage_wait(&policy, 9, Duration::from_secs(15 * 60 - 10)), None, "past the patience");
        assert!(storage_wait(&policy, 0, Duration::from_secs(60)).is_some());
    }

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }
    const NOW: u64 = 784_111_777; // Sun, 06 Nov 1994 08:49:37 GMT
    const RECENT: u64 = 1_763_800_000; // November 2025: what X-RateLimit-Reset epochs look like

    #[test]
    fn retry_after_accepts_seconds_and_float_seconds() {
        assert_eq!(parse_retry_after("120", at(NOW), None), Some(Duration::from_secs(120)));
        assert_eq!(parse_retry_after(" 1.5 ", at(NOW), None), Some(Duration::from_millis(1500)));
        assert_eq!(parse_retry_after("0", at(NOW), None), Some(Duration::ZERO));
    }

    #[test]
    fn retry_after_accepts_all_three_http_date_forms() {
        let now = at(NOW - 30);
        for form in ["Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994"] {
            assert_eq!(parse_retry_after(form, now, None), Some(Duration::from_secs(30)), "{form}");
        }
    }

    #[test]
    fn retry_after_date_is_read_against_the_server_clock() {
        // Our clock is 1000 s ahead; the server's Date says it is 10 s before the target.
        let ours = at(NOW + 1000);
        let server = at(NOW - 10);
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", ours, Some(server)), Some(Duration::from_secs(10)));
        // A date in the past means now.
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", ours, None), Some(Duration::ZERO));
    }

    #[test]
    fn retry_after_rejects_garbage_and_negatives() {
        for bad in ["", "soon", "-5", "NaN", "inf", "1e999", "12abc"] {
            assert_eq!(parse_retry_after(bad, at(NOW), None), None, "{bad:?}");
        }
    }

    #[test]
    fn the_queue_cap_is_read_from_the_rate_limit_words_and_sets_the_slots() {
        assert_eq!(queue_limit_in("Rate limit exceeded. Maximum 5 queued requests allowed."), Some(5));
        assert_eq!(queue_limit_in("rate limit exceeded. maximum 15  queued requests allowed"), Some(15));
        for none in ["Rate limit exceeded", "Maximum 0 queued requests", "Maximum 5 images", "Maximum 99999 queued", ""] {
            assert_eq!(queue_limit_in(none), None, "{none:?}");
        }
        assert_eq!(job_slots(5, false, Some(10), 0), 10, "a Standard plan queues 10");
        assert_eq!(job_slots(5, false, None, 3), 2, "others' jobs take their places");
        assert_eq!(job_slots(8, true, Some(5), 0), 5, "never above what the service allows");
        assert_eq!(job_slots(2, true, Some(15), 0), 2, "never above what the person chose");
        assert_eq!(job_slots(5, false, Some(5), 9), 1, "always at least one");
    }

    #[test]
    fn hints_are_tried_in_the_documented_order() {
        let now = at(RECENT);
        let mut hints = RateLimitHints {
            retry_after_ms: Some("300".into()),
            retry_after: Some("5".into()),
            body_retry_after: Some(30.0),
            rate_limit_reset: Some((RECENT + 60).to_string()),
            date: None,
            queue_limit: None,
        };
        assert_eq!(server_requested_wait(&hints, now), Some((Duration::from_millis(300), WaitSource::RetryAfterMs)));
        hints.retry_after_ms = Some("garbage".into());
        assert_eq!(server_requested_wait(&hints, now), Some((Duration::from_secs(5), WaitSource::RetryAfter)));
        hints.retry_after = Some("-5".into());
        assert_eq!(server_requested_wait(&hints, now), Some((Duration::from_secs(30), WaitSource::BodyRetryAfter)));
        hints.body_retry_after = Some(f64::NAN);
        assert_eq!(server_requested_wait(&hints, now), Some((Duration::from_secs(60), WaitSource::RateLimitReset)));
        hints.rate_limit_reset = None;
        assert_eq!(server_requested_wait(&hints, now), None);
    }

    #[test]
    fn rate_limit_reset_reads_epochs_durations_and_deltas() {
        let now = at(RECENT);
        assert_eq!(parse_rate_limit_reset(&(RECENT + 7).to_string(), now), Some(Duration::from_secs(7)));
        assert_eq!(parse_rate_limit_reset(&(RECENT - 7).to_string(), now), Some(Duration::ZERO));
        assert_eq!(parse_rate_limit_reset("6m0s", now), Some(Duration::from_secs(360)));
        assert_eq!(parse_rate_limit_reset("20ms", now), Some(Duration::from_millis(20)));
        assert_eq!(parse_rate_limit_reset("1h2m3.5s", now), Some(Duration::from_secs_f64(3723.5)));
        assert_eq!(parse_rate_limit_reset("3", now), Some(Duration::from_secs(3)));
        assert_eq!(parse_rate_limit_reset("6x", now), None);
        assert_eq!(parse_rate_limit_reset("m", now), None);
    }

    #[test]
    fn four_tries_means_three_retries() {
        let policy = RetryPolicy::default();
        let hints = RateLimitHints { body_retry_after: Some(1.0), ..Default::default() };
        for tries in 1..=3 {
            assert!(
                matches!(after_rate_limit(&policy, tries, &hints, at(NOW), 0.5), Decision::Retry { .. }),
                "try {tries} should be retried"
            );
        }
        match after_rate_limit(&policy, 4, &hints, at(NOW), 0.5) {
            Decision::GiveUp(err) => {
                assert_eq!(err.category, ErrorCategory::RateLimited);
                assert!(err.message.contains("4 tries"), "{}", err.message);
            }
            other => panic!("expected give up, got {other:?}"),
        }
    }

    #[test]
    fn a_wait_over_the_cap_gives_up_at_once_and_says_how_long() {
        let policy = RetryPolicy::default();
        let hints = RateLimitHints { retry_after: Some("99999".into()), ..Default::default() };
        match after_rate_limit(&policy, 1, &hints, at(NOW), 0.0) {
            Decision::GiveUp(err) => {
                assert_eq!(err.category, ErrorCategory::RateLimited);
                assert!(err.message.contains("28 h"), "{}", err.message);
            }
            other => panic!("expected give up, got {other:?}"),
        }
        let at_cap = RateLimitHints { body_retry_after: Some(120.0), ..Default::default() };
        assert!(matches!(after_rate_limit(&policy, 1, &at_cap, at(NOW), 0.0), Decision::Retry { .. }));
    }

    #[test]
    fn without_hints_backoff_grows_with_jitter_and_never_spins() {
        let policy = RetryPolicy::default();
        let hints = RateLimitHints::default();
        let wait = |tries, jitter| match after_rate_limit(&policy, tries, &hints, at(NOW), jitter) {
            Decision::Retry { wait, source: WaitSource::Backoff, .. } => wait,
            other => panic!("{other:?}"),
        };
        assert_eq!(wait(1, 1.0), Duration::from_secs(2));
        assert_eq!(wait(1, 0.0), Duration::from_millis(1500));
        assert_eq!(wait(2, 1.0), Duration::from_secs(4));
        assert_eq!(wait(3, 1.0), Duration::from_secs(8));
        assert!(backoff(&policy, 40, 1.0) <= policy.backoff_cap);
        // A zero hint is still not a tight loop.
        let zero = RateLimitHints { retry_after: Some("0".into()), ..Default::default() };
        match after_rate_limit(&policy, 1, &zero, at(NOW), 0.0) {
            Decision::Retry { wait, .. } => assert!(wait >= policy.min_wait),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn poll_interval_follows_eta_clamped_then_grows() {
        let policy = RetryPolicy::default();
        assert_eq!(poll_interval(&policy, 0, Some(2.75)), Duration::from_secs_f64(2.75));
        assert_eq!(poll_interval(&policy, 0, Some(0.2)), Duration::from_secs(1));
        assert_eq!(poll_interval(&policy, 0, Some(1e9)), Duration::from_secs(15));
        assert_eq!(poll_interval(&policy, 0, Some(f64::NAN)), Duration::from_secs(1));
        assert_eq!(poll_interval(&policy, 0, Some(-3.0)), Duration::from_secs(1));
        assert_eq!(poll_interval(&policy, 1, Some(2.0)), Duration::from_secs_f64(1.5));
        assert!(poll_interval(&policy, 2, None) > poll_interval(&policy, 1, None));
        assert_eq!(poll_interval(&policy, 30, None), Duration::from_secs(15));
    }

    #[test]
    fn human_durations_read_naturally() {
        assert_eq!(human_duration(Duration::from_millis(300)), "300 ms");
        assert_eq!(human_duration(Duration::from_secs(12)), "12 s");
        assert_eq!(human_duration(Duration::from_secs(120)), "2 min");
        assert_eq!(human_duration(Duration::from_secs(90)), "1 min 30 s");
        assert_eq!(human_duration(Duration::from_secs(600)), "10 min");
    }

    fn server_error_wait(policy: &RetryPolicy) -> Decision {
        Decision::Retry { wait: policy.server_error_wait, reason: WaitReason::ServerError, source: WaitSource::Backoff }
    }

    #[test]
    fn server_trouble_is_retried_once_then_the_fallback_gets_its_go_then_it_stops() {
        let policy = RetryPolicy::default();
        let mut tries = SendTries::default();
        let trouble = Trouble::Answer(Retry::ServerError);
        let after =
            |tries: &mut SendTries, fallback_left| tries.after(&policy, trouble, fallback_left, &RateLimitHints::default(), at(NOW), 0.5);
        assert_eq!(after(&mut tries, true), server_error_wait(&policy));
        assert_eq!(after(&mut tries, true), Decision::Fallback);
        // The fallback model starts afresh: one retry of its own, then nothing is left.
        assert_eq!(after(&mut tries, false), server_error_wait(&policy));
        assert_eq!(after(&mut tries, false), Decision::Stop);
    }

    #[test]
    fn only_refused_or_broken_connections_are_sent_again_never_a_timeout() {
        let policy = RetryPolicy::default();
        let first_decision = |trouble| SendTries::default().after(&policy, trouble, true, &RateLimitHints::default(), at(NOW), 0.5);
        for kind in [TransportKind::Reset, TransportKind::Connect] {
            assert_eq!(first_decision(Trouble::Transport(kind)), server_error_wait(&policy), "{kind:?}");
        }
        // A timeout may mean the server is making (and charging for) it: never sent again.
        for kind in [TransportKind::Timeout, TransportKind::Redirect, TransportKind::TooLarge, TransportKind::Other] {
            assert_eq!(first_decision(Trouble::Transport(kind)), Decision::Stop, "{kind:?}");
        }
        assert_eq!(first_decision(Trouble::Answer(Retry::No)), Decision::Stop);
    }

    #[test]
    fn a_send_counts_its_rate_limited_tries() {
        let policy = RetryPolicy::default();
        let hints = RateLimitHints { body_retry_after: Some(1.0), ..Default::default() };
        let mut tries = SendTries::default();
        for _ in 1..policy.max_rate_limit_tries {
            let decision = tries.after(&policy, Trouble::Answer(Retry::RateLimited), true, &hints, at(NOW), 0.5);
            assert!(matches!(decision, Decision::Retry { reason: WaitReason::RateLimited, .. }), "{decision:?}");
        }
        let last = tries.after(&policy, Trouble::Answer(Retry::RateLimited), true, &hints, at(NOW), 0.5);
        assert!(matches!(last, Decision::GiveUp(ref e) if e.category == ErrorCategory::RateLimited), "{last:?}");
    }

    #[test]
    fn polls_ask_again_after_failures_in_a_row_within_limits() {
        let policy = RetryPolicy::default();
        let none = RateLimitHints::default();
        let mut tries = PollTries::default();
        let lost = Trouble::Transport(TransportKind::Reset);
        for _ in 1..POLL_TRANSPORT_FAILURES {
            assert_eq!(tries.after(&policy, lost, &none, at(NOW)), Decision::NextPoll);
        }
        assert_eq!(tries.after(&policy, lost, &none, at(NOW)), Decision::Stop);
        // An answer ("still processing") starts the count again.
        tries.answered();
        let server = Trouble::Answer(Retry::ServerError);
        for _ in 0..POLL_SERVER_ERRORS {
            assert_eq!(tries.after(&policy, server, &none, at(NOW)), Decision::NextPoll);
        }
        assert_eq!(tries.after(&policy, server, &none, at(NOW)), Decision::Stop);
        // Failures of both kinds count together.
        let mut mixed = PollTries::default();
        for _ in 0..3 {
            assert_eq!(mixed.after(&policy, lost, &none, at(NOW)), Decision::NextPoll);
        }
        assert_eq!(mixed.after(&policy, server, &none, at(NOW)), Decision::Stop);
        assert_eq!(PollTries::default().after(&policy, Trouble::Answer(Retry::No), &none, at(NOW)), Decision::Stop);
    }

    #[test]
    fn a_rate_limited_poll_waits_as_asked_within_bounds() {
        let policy = RetryPolicy::default();
        let wait = |hints: RateLimitHints| match PollTries::default().after(&policy, Trouble::Answer(Retry::RateLimited), &hints, at(NOW)) {
            Decision::Retry { wait, reason: WaitReason::RateLimited, source: WaitSource::RetryAfter } => wait,
            other => panic!("{other:?}"),
        };
        assert_eq!(wait(RateLimitHints { retry_after: Some("7".into()), ..Default::default() }), Duration::from_secs(7));
        assert_eq!(wait(RateLimitHints { retry_after: Some("0".into()), ..Default::default() }), policy.poll_min);
        assert_eq!(wait(RateLimitHints { retry_after: Some("99999".into()), ..Default::default() }), policy.max_server_wait);
        assert_eq!(wait(RateLimitHints::default()), policy.poll_max, "no hint: the longest poll interval");
    }

    #[test]
    fn polling_stops_before_a_wait_would_pass_the_deadline() {
        let policy = RetryPolicy { processing_deadline: Duration::from_secs(10), ..RetryPolicy::default() };
        assert_eq!(next_poll(&policy, 0, Some(2.0), Duration::from_secs(8)), Some(Duration::from_secs(2)));
        assert_eq!(next_poll(&policy, 0, Some(2.0), Duration::from_millis(8001)), None);
    }

    #[test]
    fn downloads_wait_for_late_files_and_re_download_junk_a_few_times() {
        let policy = RetryPolicy::default();
        let plenty = Duration::from_secs(60);
        let download_wait = |wait| Decision::Retry { wait, reason: WaitReason::Download, source: WaitSource::Backoff };
        // Not there yet: asked again until the deadline.
        let mut tries = DownloadTries::default();
        for _ in 0..10 {
            assert_eq!(tries.after(&policy, DownloadTrouble::Status(404), plenty), download_wait(policy.not_ready_wait));
        }
        assert_eq!(tries.after(&policy, DownloadTrouble::Status(403), policy.not_ready_wait), Decision::Stop);
        // Junk or an error status: a few quick downloads, then stop.
        let junk = IntakeError::Empty;
        let mut tries = DownloadTries::default();
        for _ in 0..policy.bad_download_retries {
            assert_eq!(tries.after(&policy, DownloadTrouble::Unusable(&junk), plenty), download_wait(policy.bad_download_wait));
        }
        assert_eq!(tries.after(&policy, DownloadTrouble::Status(500), plenty), Decision::Stop);
        assert_eq!(tries.bad(), policy.bad_download_retries + 1);
        // Too large stays too large.
        let huge = IntakeError::DownloadTooLarge(64);
        assert_eq!(DownloadTries::default().after(&policy, DownloadTrouble::Unusable(&huge), plenty), Decision::Stop);
        assert_eq!(DownloadTries::default().after(&policy, DownloadTrouble::Transport(TransportKind::TooLarge), plenty), Decision::Stop);
    }

    #[test]
    fn downloads_without_an_answer_are_tried_twice_more_never_after_a_redirect() {
        let policy = RetryPolicy::default();
        let plenty = Duration::from_secs(60);
        let mut tries = DownloadTries::default();
        let reset = DownloadTrouble::Transport(TransportKind::Reset);
        assert!(matches!(tries.after(&policy, reset, plenty), Decision::Retry { .. }));
        assert!(matches!(tries.after(&policy, reset, plenty), Decision::Retry { .. }));
        assert_eq!(tries.after(&policy, reset, plenty), Decision::Stop);
        let redirect = DownloadTrouble::Transport(TransportKind::Redirect);
        assert_eq!(DownloadTries::default().after(&policy, redirect, plenty), Decision::Stop);
        assert_eq!(DownloadTries::default().after(&policy, reset, Duration::ZERO), Decision::Stop, "past the deadline");
    }
}
