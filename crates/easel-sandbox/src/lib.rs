//! A local imitation of the hosted image-generation APIs, for trying Easel without credits and
//! for driving integration tests over real HTTP.
//!
//! The sandbox listens on 127.0.0.1 only. It speaks ModelsLab v6 and v7 (`/api/...`), the
//! OpenAI Images API (`/v1/images/generations`) and AUTOMATIC1111/Forge (`/sdapi/v1/...`), all
//! at once; one [`Scenario`] scripts the behaviours, quirks and failure modes of every protocol.
//! It answers with synthetic test-pattern images, never real generations.
//!
//! This file is the public face: the configuration, starting and stopping a [`Sandbox`], and
//! reading what it saw. Where the rest lives:
//!
//! - `server`: the router and the serving task; `shared`: the state every handler sees;
//! - `request_log`, `in_flight`, `image_store`: the request log, in-flight job accounting and
//!   the `/generations/{file}` image store;
//! - `canned`: the pages and junk bodies several protocols serve alike; `reply`: the JSON reply
//!   plumbing; `images`, `pattern`, `clock`: reading sent images, drawing test patterns, dates;
//! - `modelslab/`, `openai/`, `a1111/`: one folder per protocol, each with its routes
//!   (`mod.rs`), handlers, request checks, scenario behaviour, state and answer shapes.

mod a1111;
mod canned;
mod clock;
mod form;
mod image_store;
mod images;
mod in_flight;
mod modelslab;
mod openai;
mod pattern;
mod reply;
mod request_log;
mod scenario;
mod server;
mod shared;
#[cfg(test)]
mod test_support;
mod wallet;

pub use pattern::oversized_png;
pub use request_log::LoggedRequest;
pub use scenario::Scenario;

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use shared::Shared;

/// How the sandbox behaves.
#[derive(Clone, Debug)]
pub struct SandboxConfig {
    /// The scripted behaviour for generation requests.
    pub scenario: Scenario,
    /// Port to listen on; 0 picks any free port. The address is always 127.0.0.1.
    pub port: u16,
    /// Most generation jobs in flight at once; a further submission gets HTTP 429.
    pub queue_limit: usize,
    /// How long a generation takes. Scenarios that answer at once delay their success response
    /// by this; queued scenarios keep answering "processing" until it has elapsed.
    pub job_duration: Duration,
    /// How many fetches a queued job answers with "processing" before it can be ready.
    pub processing_polls: u32,
    /// How long each image download is held before its bytes are sent (to test a crash mid-download).
    pub download_delay: Duration,
    /// `base64_to_url` answers with a URL but keeps nothing behind it, so a generation that
    /// uses it cannot fetch its starting image (as when an upload has expired).
    pub forget_uploads: bool,
    /// Answer for GPT Image 1 and DALL·E 2 and 3 as an OpenAI-compatible server that still
    /// offers them would (OpenAI itself shut them down, GPT Image 1 on 2026-10-23 and DALL·E on
    /// 2026-05-12, and refuses them, as the sandbox does by default).
    pub legacy_openai_models: bool,
    /// The ModelsLab wallet's balance at start, in dollars; each picture ModelsLab makes takes
    /// `image_price` from it.
    pub starting_balance: f64,
    pub image_price: f64,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            scenario: Scenario::default(),
            port: 0,
            queue_limit: 5,
            job_duration: Duration::ZERO,
            processing_polls: 1,
            download_delay: Duration::ZERO,
            forget_uploads: false,
            legacy_openai_models: false,
            starting_balance: 43.6,
            image_price: 0.002,
        }
    }
}

impl SandboxConfig {
    /// The default configuration with the given scenario.
    pub fn new(scenario: Scenario) -> Self {
        Self { scenario, ..Self::default() }
    }
}

/// A running sandbox server. Dropping it (or calling [`Sandbox::shutdown`]) stops the server.
pub struct Sandbox {
    addr: SocketAddr,
    shared: Arc<Shared>,
    /// Never sent on: dropping it tells the server and any waiting handler to stop.
    _stop: watch::Sender<()>,
}

impl Sandbox {
    /// Binds 127.0.0.1 on the configured port and starts serving on the current tokio runtime.
    ///
    /// Returns once the socket is listening, so requests can be sent right away.
    pub async fn start(config: SandboxConfig) -> io::Result<Sandbox> {
        let server::Serving { addr, shared, stop } = server::start(config).await?;
        Ok(Sandbox { addr, shared, _stop: stop })
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL clients should use, e.g. `http://127.0.0.1:41234`.
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.shared.log.snapshot()
    }

    /// The largest number of generation jobs that were in flight at the same time.
    pub fn max_in_flight(&self) -> usize {
        self.shared.in_flight.peak()
    }

    /// The ModelsLab wallet's balance now, in dollars.
    pub fn balance(&self) -> f64 {
        self.shared.wallet.balance()
    }

    /// How many HTTP 429 responses were sent.
    pub fn rate_limited_count(&self) -> usize {
        self.shared.rate_limited_count()
    }

    /// Change how long image downloads are held, from now on.
    pub fn set_download_delay(&self, delay: Duration) {
        self.shared.images.set_download_delay(delay);
    }

    /// Stops the server: it accepts no new connections, finishes the responses under way and
    /// cuts short handlers that are waiting (such as the `hang` scenario).
    pub fn shutdown(self) {
        drop(self);
    }
}

impl fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sandbox").field("addr", &self.addr).field("scenario", &self.shared.config.scenario).finish_non_exhaustive()
    }
}

/// Runs a sandbox until Ctrl+C, announcing its address on stdout. Used by `easel sandbox`.
pub async fn serve_forever(config: SandboxConfig) -> io::Result<()> {
    let scenario = config.scenario;
    let sandbox = Sandbox::start(config).await?;
    println!("Easel sandbox listening on {} (scenario: {}) — test patterns only, no real images", sandbox.base_url(), scenario.name());
    tokio::signal::ctrl_c().await?;
    sandbox.shutdown();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{get, post, text2img};
    use serde_json::json;
    use std::net::Ipv4Addr;

    #[tokio::test]
    async fn success_returns_png_of_requested_size() {
        let sandbox = Sandbox::start(SandboxConfig::new(Scenario::Success)).await.unwrap();
        assert_eq!(sandbox.addr().ip(), Ipv4Addr::LOCALHOST);
        let body = json!({"key": "k", "model_id": "flux", "prompt": "a cat",
                          "width": "96", "height": 64, "samples": 2, "seed": 42});
        let (status, reply) = post(&text2img(&sandbox), body.clone()).await;
        assert_eq!(status, 400, "sizes from 256 to 1024, as documented");
        assert_eq!(reply["message"]["width"][0], "width must be between 256 and 1024");
        let body = json!({"key": "k", "model_id": "flux", "prompt": "a cat",
                          "width": "384", "height": 256, "samples": 2, "seed": 42});
        let (status, reply) = post(&text2img(&sandbox), body).await;
        assert_eq!(status, 200);
        assert_eq!(reply["status"], "success");
        assert_eq!((reply["meta"]["seed"].as_u64(), reply["meta"]["n_samples"].as_u64()), (Some(42), Some(2)));
        assert!(reply["meta"].get("seeds").is_none(), "one seed, as documented");
        let urls = reply["output"].as_array().unwrap();
        assert_eq!(urls.len(), 2);

        let mut images = Vec::new();
        for url in urls {
            let response = get(url.as_str().unwrap()).await;
            assert_eq!(response.headers()["content-type"], "image/png");
            let image = image::load_from_memory(&response.bytes().await.unwrap()).unwrap();
            assert_eq!((image.width(), image.height()), (384, 256));
            images.push(image);
        }
        assert_ne!(images[0], images[1], "each sample uses its own seed");

        let logged = sandbox.requests();
        assert_eq!(logged[1].path, "/api/v6/images/text2img");
        assert_eq!(logged[1].body["prompt"], "a cat");
        assert_eq!(sandbox.max_in_flight(), 1);
    }
}
