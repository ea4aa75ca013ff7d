//! The server: binding the socket, assembling every protocol's routes into one router, and
//! serving until the [`crate::Sandbox`] is dropped.
//!
//! Each protocol contributes its routes, with a 404 of its own for unknown paths under its
//! prefix; a path under no protocol's prefix gets [`canned::route_not_found`].

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::shared::{Shared, wait_for_stop};
use crate::{SandboxConfig, a1111, canned, image_store, modelslab, openai, request_log};

/// Largest request body the sandbox reads; bigger bodies get HTTP 413. Starting images travel
/// as base64 (up to 5 MB of image, so ~6.7 MB of text), or several as a form (OpenAI's edits).
pub(crate) const MAX_BODY_BYTES: usize = 48 * 1024 * 1024;

/// A sandbox being served.
pub(crate) struct Serving {
    pub(crate) addr: SocketAddr,
    pub(crate) shared: Arc<Shared>,
    /// Dropping it stops the server and cuts short every handler that is waiting.
    pub(crate) stop: watch::Sender<()>,
}

/// Binds 127.0.0.1 on the configured port and serves on the current tokio runtime.
pub(crate) async fn start(config: SandboxConfig) -> io::Result<Serving> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, config.port)).await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = watch::channel(());
    let shared = Arc::new(Shared::new(config, addr, stopped.clone()));
    let app = router(Arc::clone(&shared));
    tokio::spawn(async move {
        let served = axum::serve(listener, app).with_graceful_shutdown(wait_for_stop(stopped)).await;
        if let Err(err) = served {
            eprintln!("easel sandbox: server error: {err}");
        }
    });
    Ok(Serving { addr, shared, stop })
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .merge(modelslab::routes())
        .merge(openai::routes())
        .merge(a1111::routes())
        .route(image_store::ROUTE, get(image_store::serve))
        .route(request_log::ROUTE, get(request_log::serve))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .fallback(canned::route_not_found)
        .method_not_allowed_fallback(canned::route_not_found)
        .layer(middleware::from_fn_with_state(Arc::clone(&shared), request_log::record))
        .with_state(shared)
}

#[cfg(test)]
mod tests {
    use crate::test_support::post;
    use crate::{Sandbox, SandboxConfig};
    use serde_json::json;

    #[tokio::test]
    async fn unknown_routes_get_a_json_404_under_every_prefix() {
        let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
        for path in ["/nowhere", "/api/v6/nowhere", "/generations/a/b"] {
            let (status, reply) = post(&format!("{}{path}", sandbox.base_url()), json!({})).await;
            assert_eq!((status, reply), (404, json!({"status": "error", "message": "Route not found"})), "{path}");
        }
        // OpenAI's and FastAPI's (A1111's) own shapes under their prefixes.
        let (status, reply) = post(&format!("{}/v1/nowhere", sandbox.base_url()), json!({})).await;
        let openai =
            json!({"error": {"message": "Invalid URL (POST /v1/nowhere)", "type": "invalid_request_error", "param": null, "code": null}});
        assert_eq!((status, reply), (404, openai));
        let (status, reply) = post(&format!("{}/sdapi/v1/nowhere", sandbox.base_url()), json!({})).await;
        assert_eq!((status, reply), (404, json!({"detail": "Not Found"})));
        let wrong_method = reqwest::get(format!("{}/api/v6/images/text2img", sandbox.base_url())).await.unwrap();
        assert_eq!(wrong_method.status(), 404);
        assert_eq!(sandbox.requests().len(), 6, "unknown routes are logged too");
    }
}
