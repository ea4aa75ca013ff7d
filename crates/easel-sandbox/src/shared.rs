//! The state every handler of one sandbox shares, and waiting that ends when the sandbox stops.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::http::StatusCode;
use axum::http::header::{HeaderName, HeaderValue};
use axum::response::Response;
use serde_json::Value;
use tokio::sync::watch;

use crate::image_store::ImageStore;
use crate::in_flight::InFlight;
use crate::reply::json_response;
use crate::request_log::RequestLog;
use crate::wallet::Wallet;
use crate::{SandboxConfig, a1111, modelslab, openai};

/// How long [`crate::Scenario::Hang`] keeps a request waiting (unless the sandbox stops first).
const HANG_TIME: Duration = Duration::from_secs(3600);

/// State shared by every handler of one sandbox.
pub(crate) struct Shared {
    pub(crate) config: SandboxConfig,
    /// `http://127.0.0.1:PORT`.
    pub(crate) base_url: String,
    pub(crate) log: RequestLog,
    pub(crate) in_flight: Arc<InFlight>,
    pub(crate) images: ImageStore,
    /// HTTP 429 answers sent so far.
    rate_limited: AtomicUsize,
    /// Changes (closes) when the [`crate::Sandbox`] is dropped.
    stopped: watch::Receiver<()>,
    pub(crate) modelslab: modelslab::ProtocolState,
    pub(crate) openai: openai::ProtocolState,
    pub(crate) a1111: a1111::ProtocolState,
    /// The ModelsLab wallet.
    pub(crate) wallet: Wallet,
}

impl Shared {
    pub(crate) fn new(config: SandboxConfig, addr: SocketAddr, stopped: watch::Receiver<()>) -> Self {
        let base_url = format!("http://{addr}");
        Self {
            log: RequestLog::default(),
            in_flight: InFlight::new(config.queue_limit),
            images: ImageStore::new(&base_url, config.download_delay),
            rate_limited: AtomicUsize::new(0),
            stopped,
            modelslab: modelslab::ProtocolState::default(),
            openai: openai::ProtocolState::default(),
            a1111: a1111::ProtocolState::default(),
            wallet: Wallet::new(config.starting_balance, config.image_price),
            base_url,
            config,
        }
    }

    /// Sleeps for `duration`, or less if the sandbox is shutting down.
    pub(crate) async fn pause(&self, duration: Duration) {
        tokio::select! {
            () = tokio::time::sleep(duration) => {}
            () = self.stopping() => {}
        }
    }

    /// Holds a request as [`crate::Scenario::Hang`] does: until the sandbox stops.
    pub(crate) async fn hang(&self) {
        self.pause(HANG_TIME).await;
    }

    /// Resolves once the sandbox is shutting down.
    pub(crate) async fn stopping(&self) {
        wait_for_stop(self.stopped.clone()).await;
    }

    /// Builds an HTTP 429 response with `body` and extra `headers`, and counts it.
    pub(crate) fn too_many_requests(&self, body: Value, headers: impl IntoIterator<Item = (HeaderName, HeaderValue)>) -> Response {
        self.rate_limited.fetch_add(1, Ordering::Relaxed);
        let mut response = json_response(StatusCode::TOO_MANY_REQUESTS, body);
        response.headers_mut().extend(headers);
        response
    }

    pub(crate) fn rate_limited_count(&self) -> usize {
        self.rate_limited.load(Ordering::Relaxed)
    }
}

/// Resolves once the [`crate::Sandbox`] owning the matching sender is gone.
pub(crate) async fn wait_for_stop(mut stopped: watch::Receiver<()>) {
    // The sender never sends, so this only returns (with an error) once it is dropped.
    while stopped.changed().await.is_ok() {}
}

/// Locks a mutex, ignoring poisoning: every critical section leaves the data consistent.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
