//! The doctor: is the service reachable (DNS, TCP, TLS), and is the key good? Each check is
//! timed and stops at the first network failure. `easel doctor` prints these checks and the
//! window's "Check connection" shows them.

use crate::error::{EngineError, ErrorCategory};
use crate::keys::{FoundKey, NO_KEY_NEEDED};
use crate::{Engine, Service};
use serde::Serialize;
use std::time::{Duration, Instant};

/// One line of the report.
#[derive(Serialize, Debug, Clone)]
pub struct Check {
    pub name: &'static str,
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub millis: Option<u64>,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<ErrorCategory>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Check {
    fn pass(name: &'static str, started: Instant, detail: String) -> Self {
        Self { name, ok: true, millis: Some(started.elapsed().as_millis() as u64), detail, category: None, hint: None }
    }
    pub fn fail(name: &'static str, err: &EngineError) -> Self {
        let mut detail = err.message.clone();
        if let Some(d) = &err.detail {
            detail.push_str(&format!(" ({d})"));
        }
        Self { name, ok: false, millis: None, detail, category: Some(err.category), hint: Some(err.hint.clone()) }
    }
}

/// DNS, TCP, TLS (for https) and the key, each timed, stopping at the first network failure.
/// The caller says which key to check, as [`crate::keys::find_key`] or
/// [`crate::keys::key_or_none`] found it (the window passes the one it is using).
pub async fn checks(engine: &Engine, key: Result<FoundKey, EngineError>) -> Vec<Check> {
    checks_on(&engine.default_service(), key).await
}

/// The same checks for one service of the engine.
pub async fn checks_on(service: &Service, key: Result<FoundKey, EngineError>) -> Vec<Check> {
    let mut out = Vec::new();
    let base = service.provider().base_url().clone();
    let host = base.host_str().unwrap_or_default().to_owned();
    let port = base.port_or_known_default().unwrap_or(443);
    let network = |message: String, detail: String| EngineError::new(ErrorCategory::Network).with_message(message).with_detail(detail);

    let started = Instant::now();
    let addrs = match tokio::time::timeout(Duration::from_secs(10), tokio::net::lookup_host((host.as_str(), port))).await {
        Ok(Ok(addrs)) => addrs.collect::<Vec<_>>(),
        Ok(Err(e)) => {
            out.push(Check::fail("dns", &network(format!("Could not find the server {host}."), e.to_string())));
            return out;
        }
        Err(_) => {
            out.push(Check::fail("dns", &network(format!("Looking up {host} took too long."), String::new())));
            return out;
        }
    };
    let Some(addr) = addrs.first().copied() else {
        out.push(Check::fail("dns", &network(format!("{host} has no address."), String::new())));
        return out;
    };
    out.push(Check::pass("dns", started, format!("{host} is {}", addr.ip())));

    let started = Instant::now();
    match tokio::time::timeout(Duration::from_secs(10), tokio::net::TcpStream::connect(addr)).await {
        Ok(Ok(_)) => out.push(Check::pass("tcp", started, format!("connected to {addr}"))),
        Ok(Err(e)) => {
            out.push(Check::fail("tcp", &network(format!("Could not connect to {addr}."), e.to_string())));
            return out;
        }
        Err(_) => {
            out.push(Check::fail("tcp", &network(format!("Connecting to {addr} took too long."), String::new())));
            return out;
        }
    }

    if base.scheme() == "https" {
        // A fresh client, so this measures a full TLS handshake plus the first answer.
        let started = Instant::now();
        let client = reqwest::Client::builder().user_agent(crate::http::user_agent()).build();
        let result = match client {
            Ok(c) => tokio::time::timeout(Duration::from_secs(15), c.head(base.clone()).send()).await,
            Err(e) => {
                out.push(Check::fail("tls", &network("Could not set up TLS.".into(), e.to_string())));
                return out;
            }
        };
        match result {
            Ok(Ok(r)) => out.push(Check::pass("tls", started, format!("TLS handshake and first answer (HTTP {})", r.status().as_u16()))),
            Ok(Err(e)) => {
                out.push(Check::fail("tls", &network("The secure connection failed.".into(), e.without_url().to_string())));
                return out;
            }
            Err(_) => {
                out.push(Check::fail("tls", &network("The secure connection took too long.".into(), String::new())));
                return out;
            }
        }
    }

    let started = Instant::now();
    match key {
        Err(e) => out.push(Check::fail("key", &e)),
        Ok(found) => match service.check_key(found.as_ref().map(|(key, _)| key)).await {
            Ok(Some(b)) => {
                out.push(Check::pass("key", started, format!("accepted ({}); balance {:.2} {}", source(&found), b.amount, b.currency)))
            }
            Ok(None) => out.push(Check::pass("key", started, format!("accepted ({})", source(&found)))),
            Err(e) => out.push(Check::fail("key", &e)),
        },
    }
    out
}

/// Where the checked key came from, in words.
fn source(found: &FoundKey) -> &'static str {
    found.as_ref().map_or(NO_KEY_NEEDED, |(_, source)| source.label())
}
