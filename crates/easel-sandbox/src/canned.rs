//! Canned answers: the pages, junk bodies and hints that are nobody's dialect in particular and
//! that several protocols serve alike, each written once.
//!
//! - pages a proxy or a web front puts where the API's JSON should be (`html_502`, `html_200`,
//!   `fetch_body_form`) and an empty JSON answer (`empty_200`);
//! - the files the broken-image scenarios deliver (`empty_image`, `not_an_image`, `huge_image`);
//! - the timing hints of the `rate_limited_*` scenarios, which OpenAI and ModelsLab send alike;
//! - the sandbox's own 404 for a route nobody serves.

use std::time::{Duration, SystemTime};

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::http::header::{self, HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};

use crate::clock::{http_date, unix_time};
use crate::pattern::oversized_png;
use crate::reply::sandbox_error;
use crate::scenario::Scenario;

/// What nginx answers when the service behind it is down.
const NGINX_502: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n\
<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n\
<!-- a padding to disable MSIE and Chrome friendly error page -->\r\n\
<!-- a padding to disable MSIE and Chrome friendly error page -->\r\n\
<!-- a padding to disable MSIE and Chrome friendly error page -->\r\n\
<!-- a padding to disable MSIE and Chrome friendly error page -->\r\n";
/// A web page where JSON was expected, as when a captive portal or a login wall answers.
const SIGN_IN_PAGE: &str = "<!DOCTYPE html>\n<html><head><title>ModelsLab</title></head>\
<body><h1>Welcome back</h1><p>Please sign in to continue.</p></body></html>\n";
/// A web server's bare 404 page.
const HTML_404: &str = "<html><body><h1>404 Not Found</h1></body></html>";
/// The "image" of [`Scenario::NotAnImage`]: HTML, served as `image/png`.
const NOT_AN_IMAGE: &str = "<html><body>Access denied</body></html>";
/// The side [`Scenario::HugeImage`]'s PNG declares.
const HUGE_SIDE: u32 = 60_000;

/// HTTP 502 with nginx's error page ([`Scenario::Html502`]).
pub(crate) fn proxy_error_page() -> Response {
    html(StatusCode::BAD_GATEWAY, NGINX_502)
}

/// HTTP 200 with a sign-in page instead of JSON ([`Scenario::Html200`]).
pub(crate) fn sign_in_page() -> Response {
    html(StatusCode::OK, SIGN_IN_PAGE)
}

/// HTTP 404 with a bare HTML page, from a web server rather than the API.
pub(crate) fn html_not_found() -> Response {
    html(StatusCode::NOT_FOUND, HTML_404)
}

/// HTTP 200 labelled JSON with no body at all ([`Scenario::Empty200`]).
pub(crate) fn empty_json() -> Response {
    (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")]).into_response()
}

/// The sandbox's own 404 for a path no protocol serves (and, until each protocol answers in
/// its own dialect, for unknown paths under a protocol's prefix).
pub(crate) async fn route_not_found() -> Response {
    sandbox_error(StatusCode::NOT_FOUND, "Route not found").into_response()
}

fn html(status: StatusCode, page: &'static str) -> Response {
    (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response()
}

/// The bytes every image of a broken-image scenario is instead of a picture: nothing, an HTML
/// page, or a tiny PNG declaring 60000×60000 pixels. `None` in every other scenario.
pub(crate) fn broken_image(scenario: Scenario) -> Option<Bytes> {
    match scenario {
        Scenario::EmptyImage => Some(Bytes::new()),
        Scenario::NotAnImage => Some(Bytes::from_static(NOT_AN_IMAGE.as_bytes())),
        Scenario::HugeImage => Some(oversized_png(HUGE_SIDE, HUGE_SIDE).into()),
        _ => None,
    }
}

/// [`Scenario::RateLimitedMs`]: `retry-after-ms: 300`, with a misleading `Retry-After: 5`.
pub(crate) fn retry_after_ms_hints() -> [(HeaderName, HeaderValue); 2] {
    [(HeaderName::from_static("retry-after-ms"), HeaderValue::from(300)), (header::RETRY_AFTER, HeaderValue::from(5))]
}

/// [`Scenario::RateLimitedDate`]: an HTTP-date `Retry-After` 2 s ahead, and the server's `Date`.
pub(crate) fn retry_after_date_hints() -> [(HeaderName, HeaderValue); 2] {
    let now = SystemTime::now();
    [(header::RETRY_AFTER, http_date(now + Duration::from_secs(2))), (header::DATE, http_date(now))]
}

/// [`Scenario::RateLimitedReset`]: only `X-RateLimit-Reset`, a Unix time 2 s ahead.
pub(crate) fn reset_epoch_hint() -> (HeaderName, HeaderValue) {
    (HeaderName::from_static("x-ratelimit-reset"), HeaderValue::from(unix_time() + 2))
}
