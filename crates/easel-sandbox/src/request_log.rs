//! The request log: every request the sandbox received, kept for tests to inspect.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::form;
use crate::reply::sandbox_error;
use crate::server::MAX_BODY_BYTES;
use crate::shared::{Shared, lock};

/// One request as the sandbox received it.
#[derive(Clone, Debug)]
pub struct LoggedRequest {
    /// When the request arrived.
    pub at: Instant,
    /// HTTP method, e.g. `POST`.
    pub method: String,
    /// Request path, without the query string.
    pub path: String,
    /// Query string, if any (without the `?`).
    pub query: Option<String>,
    /// All request headers, in order, values decoded lossily as UTF-8.
    pub headers: Vec<(String, String)>,
    /// The body parsed as JSON; a multipart form as the JSON of its fields (files with their
    /// format, size, alpha channel and base64, see `form::as_json`); `Null` when it is empty
    /// or neither.
    pub body: Value,
}

/// Every request received so far, in arrival order.
#[derive(Default)]
pub(crate) struct RequestLog(Mutex<Vec<LoggedRequest>>);

impl RequestLog {
    pub(crate) fn snapshot(&self) -> Vec<LoggedRequest> {
        lock(&self.0).clone()
    }

    fn push(&self, request: LoggedRequest) {
        lock(&self.0).push(request);
    }
}

/// Where the log can be read over HTTP, for tests written in other languages (the contract
/// tests run the official Python clients and then ask what arrived). Requests to it are not logged.
pub(crate) const ROUTE: &str = "/_sandbox/requests";

/// `GET /_sandbox/requests`: every request received so far, oldest first, as JSON.
pub(crate) async fn serve(State(shared): State<Arc<Shared>>) -> Response {
    let started = shared.log.snapshot().first().map(|r| r.at);
    let entries: Vec<Value> = shared
        .log
        .snapshot()
        .into_iter()
        .map(|r| {
            serde_json::json!({
                "ms": started.map_or(0, |s| r.at.duration_since(s).as_millis() as u64),
                "method": r.method,
                "path": r.path,
                "query": r.query,
                "headers": r.headers.iter().map(|(k, v)| serde_json::json!([k, v])).collect::<Vec<_>>(),
                "body": r.body,
            })
        })
        .collect();
    axum::Json(entries).into_response()
}

/// Middleware: records every request (including its JSON body) before handing it on. A body
/// over [`MAX_BODY_BYTES`] (or one that cannot be read) is logged as `Null` and answered 413.
pub(crate) async fn record(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    if request.uri().path() == ROUTE {
        return next.run(request).await;
    }
    let at = Instant::now();
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, MAX_BODY_BYTES).await;
    let logged = match &body {
        Ok(bytes) if form::is_multipart(&parts.headers) => {
            form::read(&parts.headers, bytes.clone()).await.map(|fields| form::as_json(&fields)).unwrap_or(Value::Null)
        }
        Ok(bytes) => serde_json::from_slice(bytes).unwrap_or(Value::Null),
        Err(_) => Value::Null,
    };
    shared.log.push(LoggedRequest {
        at,
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers: header_list(&parts.headers),
        body: logged,
    });
    match body {
        Ok(bytes) => next.run(Request::from_parts(parts, Body::from(bytes))).await,
        Err(_too_large_or_cut) => sandbox_error(StatusCode::PAYLOAD_TOO_LARGE, "Request body too large or unreadable").into_response(),
    }
}

fn header_list(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            (name.as_str().to_owned(), value)
        })
        .collect()
}
