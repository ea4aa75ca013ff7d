//! HTTP: a request fully described ([`HttpCall`], built by providers), its answer ([`Reply`]),
//! and sending one within limits.
//!
//! Two clients: API calls never follow redirects (a redirect could carry the key
//! to another host), and downloads follow at most a few, http(s) only, never
//! from https down to http. Every body is read with a byte cap.

use crate::redact::REDACTED;
use serde_json::Value;
use std::time::{Duration, Instant};

/// HTTP methods the providers use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
        }
    }
}

/// One HTTP request, fully described, with its redacted twin for diagnostics.
#[derive(Clone, Debug)]
pub struct HttpCall {
    /// "generate", "fetch", "balance": shown in diagnostics.
    pub endpoint: &'static str,
    pub method: Method,
    pub url: url::Url,
    /// Extra headers, each with the form diagnostics may show.
    pub headers: Vec<Header>,
    pub body: Option<Value>,
    /// A `multipart/form-data` body instead of JSON (OpenAI's image edits), in order.
    pub form: Option<Vec<FormPart>>,
    /// `body` (or `form`, as JSON) with every secret replaced and files shortened, for
    /// diagnostics.
    pub redacted_body: Option<Value>,
}

/// One field of a multipart form.
#[derive(Clone, Debug)]
pub struct FormPart {
    /// The field name as the service reads it (`prompt`, `image[]`, `mask`).
    pub name: String,
    pub value: FormValue,
}

/// A form field's text, or a file it carries.
#[derive(Clone, Debug)]
pub enum FormValue {
    Text(String),
    File { file_name: String, mime: &'static str, bytes: bytes::Bytes },
}

/// A form as diagnostics show it: each field's text, each file as its size and type; fields
/// given more than once (`image[]`) as a list.
pub fn form_as_json(form: &[FormPart]) -> Value {
    let mut shown = serde_json::Map::new();
    for part in form {
        let value = match &part.value {
            FormValue::Text(text) => Value::String(text.clone()),
            FormValue::File { file_name, mime, bytes } => Value::String(format!("({} bytes of {mime}, {file_name})", bytes.len())),
        };
        match shown.get_mut(&part.name) {
            Some(Value::Array(items)) => items.push(value),
            Some(first) => *first = Value::Array(vec![first.take(), value]),
            None => {
                shown.insert(part.name.clone(), value);
            }
        }
    }
    Value::Object(shown)
}

/// A request header; `shown` replaces `value` in diagnostics (e.g. "Bearer [redacted]").
#[derive(Clone, Debug)]
pub struct Header {
    pub name: &'static str,
    pub value: String,
    pub shown: String,
}

impl Header {
    /// A header holding a secret: shown with `[redacted]` in place of `secret`.
    pub fn secret(name: &'static str, value: String, secret: &str) -> Self {
        let shown = value.replace(secret, REDACTED);
        Self { name, value, shown }
    }
}

/// An HTTP answer, whole.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: bytes::Bytes,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    pub fn content_type(&self) -> &str {
        self.header("content-type").unwrap_or("")
    }
}

/// Longest API answer read (inline base64 of four 1024² images fits easily).
pub const MAX_API_BODY: u64 = 96 << 20;

/// How the exchange failed when there was no usable HTTP answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransportKind {
    /// The attempt took longer than its timeout (connect or whole request).
    Timeout,
    /// Could not connect (refused, DNS, TLS handshake).
    Connect,
    /// The connection broke while sending or reading.
    Reset,
    /// The body was larger than allowed.
    TooLarge,
    /// A redirect we refuse to follow.
    Redirect,
    Other,
}

/// A transport failure, with a redacted-safe description (no URL, no key).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransportError {
    pub kind: TransportKind,
    pub text: String,
}

impl TransportError {
    fn from_reqwest(e: reqwest::Error) -> Self {
        let kind = if e.is_timeout() {
            TransportKind::Timeout
        } else if e.is_redirect() {
            TransportKind::Redirect
        } else if e.is_connect() {
            TransportKind::Connect
        } else if e.is_body() || e.is_decode() || e.is_request() {
            TransportKind::Reset
        } else {
            TransportKind::Other
        };
        // Walk the source chain for the useful part ("connection refused", "certificate").
        let mut causes = Vec::new();
        let mut cause = std::error::Error::source(&e);
        while let Some(c) = cause {
            causes.push(c.to_string());
            cause = c.source();
        }
        let mut text = e.without_url().to_string();
        for part in causes {
            if !text.contains(&part) {
                text = format!("{text}: {part}");
            }
        }
        Self { kind, text }
    }
}

/// The two HTTP clients the engine uses.
#[derive(Clone)]
pub struct Clients {
    pub api: reqwest::Client,
    pub download: reqwest::Client,
}

/// A User-Agent that says who we are (some CDNs refuse a blank one).
pub fn user_agent() -> String {
    format!("Easel/{} (+https://github.com/easel-app/easel)", env!("CARGO_PKG_VERSION"))
}

impl Clients {
    pub fn new(connect_timeout: Duration) -> Result<Self, String> {
        let base = || {
            reqwest::Client::builder()
                .user_agent(user_agent())
                .connect_timeout(connect_timeout)
                .pool_idle_timeout(Duration::from_secs(30))
                .https_only(false)
        };
        let api = base().redirect(reqwest::redirect::Policy::none()).build().map_err(|e| e.to_string())?;
        let download = base()
            .redirect(reqwest::redirect::Policy::custom(|attempt| {
                let downgrade = attempt.previous().last().is_some_and(|prev| prev.scheme() == "https") && attempt.url().scheme() == "http";
                if attempt.previous().len() >= 5 {
                    attempt.error("too many redirects")
                } else if !matches!(attempt.url().scheme(), "http" | "https") {
                    attempt.error("redirect to a scheme other than http(s)")
                } else if downgrade {
                    attempt.error("redirect from https to plain http")
                } else {
                    attempt.follow()
                }
            }))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self { api, download })
    }
}

/// Send `call` and read the whole answer, at most `max_body` bytes, within `timeout`.
pub async fn send(
    client: &reqwest::Client,
    call: &HttpCall,
    timeout: Duration,
    max_body: u64,
) -> (Result<Reply, TransportError>, Duration) {
    send_observed(client, call, timeout, max_body, &mut |_| {}).await
}

/// [`send`], showing `observe` each piece of a successful answer's body as it arrives (a
/// stream of server-sent events, read while the rest is still coming).
pub async fn send_observed(
    client: &reqwest::Client,
    call: &HttpCall,
    timeout: Duration,
    max_body: u64,
    observe: &mut (dyn FnMut(&[u8]) + Send),
) -> (Result<Reply, TransportError>, Duration) {
    let started = Instant::now();
    let result = tokio::time::timeout(timeout, send_inner(client, call, max_body, observe)).await.unwrap_or_else(|_| {
        Err(TransportError { kind: TransportKind::Timeout, text: format!("no complete answer within {} s", timeout.as_secs()) })
    });
    (result, started.elapsed())
}

fn multipart(form: &[FormPart]) -> Result<reqwest::multipart::Form, TransportError> {
    let mut out = reqwest::multipart::Form::new();
    for part in form {
        out = match &part.value {
            FormValue::Text(text) => out.text(part.name.clone(), text.clone()),
            FormValue::File { file_name, mime, bytes } => {
                let file = reqwest::multipart::Part::stream_with_length(reqwest::Body::from(bytes.clone()), bytes.len() as u64)
                    .file_name(file_name.clone())
                    .mime_str(mime)
                    .map_err(|e| TransportError { kind: TransportKind::Other, text: e.to_string() })?;
                out.part(part.name.clone(), file)
            }
        };
    }
    Ok(out)
}

async fn send_inner(
    client: &reqwest::Client,
    call: &HttpCall,
    max_body: u64,
    observe: &mut (dyn FnMut(&[u8]) + Send),
) -> Result<Reply, TransportError> {
    let mut request = match call.method {
        Method::Get => client.get(call.url.clone()),
        Method::Post => client.post(call.url.clone()),
    };
    for header in &call.headers {
        request = request.header(header.name, &header.value);
    }
    if let Some(form) = &call.form {
        request = request.multipart(multipart(form)?);
    } else if let Some(body) = &call.body {
        request = request.json(body);
    }
    let mut response = request.send().await.map_err(TransportError::from_reqwest)?;
    let status = response.status().as_u16();
    if (300..400).contains(&status) {
        return Err(TransportError {
            kind: TransportKind::Redirect,
            text: format!("the server redirected (HTTP {status}); check the server address"),
        });
    }
    let headers = response.headers().clone();
    if response.content_length().is_some_and(|n| n > max_body) {
        return Err(too_large(max_body));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(TransportError::from_reqwest)? {
        if body.len() as u64 + chunk.len() as u64 > max_body {
            return Err(too_large(max_body));
        }
        if (200..300).contains(&status) {
            observe(&chunk);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Reply { status, headers, body: body.into() })
}

fn too_large(max: u64) -> TransportError {
    TransportError { kind: TransportKind::TooLarge, text: format!("the answer is larger than {} MiB", max >> 20) }
}
