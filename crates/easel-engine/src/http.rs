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
    /// `body` with every secret replaced, for diagnostics.
    pub redacted_body: Option<Value>,
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
    let started = Instant::now();
    let result = tokio::time::timeout(timeout, send_inner(client, call, max_body)).await.unwrap_or_else(|_| {
        Err(TransportError { kind: TransportKind::Timeout, text: format!("no complete answer within {} s", timeout.as_secs()) })
    });
    (result, started.elapsed())
}

async fn send_inner(client: &reqwest::Client, call: &HttpCall, max_body: u64) -> Result<Reply, TransportError> {
    let mut request = match call.method {
        Method::Get => client.get(call.url.clone()),
        Method::Post => client.post(call.url.clone()),
    };
    for header in &call.headers {
        request = request.header(header.name, &header.value);
    }
    if let Some(body) = &call.body {
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
        body.extend_from_slice(&chunk);
    }
    Ok(Reply { status, headers, body: body.into() })
}

fn too_large(max: u64) -> TransportError {
    TransportError { kind: TransportKind::TooLarge, text: format!("the answer is larger than {} MiB", max >> 20) }
}
