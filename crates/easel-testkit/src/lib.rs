//! Test and bench equipment shared by the crates' integration tests and benchmarks: a sandbox
//! per test, an engine that records its events, checks over the data directory, and
//! [`hostile`], a raw-TCP server that misbehaves on purpose (the fault matrix). A
//! dev-dependency only: nothing here ships in the product.
// Test equipment: a failed setup should stop the test at once, and the hostile server shuts
// sockets down best-effort (a peer that already left is no failure).
#![allow(clippy::unwrap_used, clippy::let_underscore_must_use)]

pub mod bench;
pub mod hostile;
mod secrets;

pub use secrets::MemoryStore;

use easel_engine::error::{EngineError, ErrorCategory};
use easel_engine::keys::ApiKey;
use easel_engine::provider::ProviderKind;
use easel_engine::request::SettingsDraft;
use easel_engine::retry::RetryPolicy;
use easel_engine::store::{ImageRecord, JobPhase, Store};
use easel_engine::{Engine, EngineConfig, Event, EventKind, JobOutcome};
use easel_sandbox::{LoggedRequest, Sandbox, SandboxConfig, Scenario};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The key every test uses; it must never appear anywhere Easel writes.
pub const CANARY_KEY: &str = "canary-k3y-5f0e9d8c7b6a";

/// Waits shortened where the wait itself is not under test. Waits that are under
/// test (Retry-After, ETA) come from the sandbox and are never shortened.
pub fn quick_policy() -> RetryPolicy {
    RetryPolicy {
        server_error_wait: Duration::from_millis(100),
        bad_download_wait: Duration::from_millis(50),
        not_ready_wait: Duration::from_millis(100),
        backoff_base: Duration::from_millis(200),
        ..RetryPolicy::default()
    }
}

pub fn draft(prompt: &str) -> SettingsDraft {
    SettingsDraft { prompt: prompt.into(), model: "sdxl".into(), width: "256".into(), height: "256".into(), ..Default::default() }
}

/// One engine run against one sandbox.
pub struct Run {
    pub sandbox: Sandbox,
    pub data: tempfile::TempDir,
    pub events: Vec<Event>,
    pub outcomes: Vec<JobOutcome>,
}

/// What every finished engine run can answer, whoever ran it.
pub trait RunOutcome {
    fn events(&self) -> &[Event];
    fn outcomes(&self) -> &[JobOutcome];

    fn error(&self) -> &EngineError {
        self.outcomes().iter().find_map(|o| o.error.as_ref()).expect("the run should have failed")
    }
    fn category(&self) -> ErrorCategory {
        self.error().category
    }
    fn images(&self) -> Vec<ImageRecord> {
        self.outcomes().iter().flat_map(|o| o.images.clone()).collect()
    }
    /// Each wait as (seconds, reason, source).
    fn waits(&self) -> Vec<(f64, String, String)> {
        self.events()
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Wait { seconds, reason, source } => {
                    Some((*seconds, reason.as_str().to_owned(), serde_json::to_value(source).unwrap().as_str().unwrap().to_owned()))
                }
                _ => None,
            })
            .collect()
    }
    fn assert_ok(&self) {
        for o in self.outcomes() {
            assert!(o.error.is_none(), "job {} failed: {:?}", o.job, o.error);
        }
    }
}

impl RunOutcome for Run {
    fn events(&self) -> &[Event] {
        &self.events
    }
    fn outcomes(&self) -> &[JobOutcome] {
        &self.outcomes
    }
}

impl Run {
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.sandbox.requests()
    }
    pub fn generate_requests(&self) -> Vec<LoggedRequest> {
        self.requests().into_iter().filter(|r| r.path == "/api/v6/images/text2img").collect()
    }
}

/// Start a sandbox, run `draft` through a fresh ModelsLab engine, and collect everything.
pub async fn run(scenario: Scenario, draft: SettingsDraft, tweak: impl FnOnce(&mut EngineConfig, &mut SandboxConfig)) -> Run {
    run_provider(ProviderKind::ModelsLab, scenario, draft, Some(CANARY_KEY), tweak).await
}

/// The same, for any provider, with or without a key.
pub async fn run_provider(
    kind: ProviderKind,
    scenario: Scenario,
    draft: SettingsDraft,
    key: Option<&str>,
    tweak: impl FnOnce(&mut EngineConfig, &mut SandboxConfig),
) -> Run {
    let mut sandbox_config = SandboxConfig::new(scenario);
    let data = tempfile::tempdir().unwrap();
    let mut config = EngineConfig::new(data.path().to_path_buf(), kind);
    config.policy = quick_policy();
    tweak(&mut config, &mut sandbox_config);
    let sandbox = Sandbox::start(sandbox_config).await.unwrap();
    config.base_url = Some(match kind {
        ProviderKind::OpenAi => format!("{}/v1", sandbox.base_url()),
        _ => sandbox.base_url(),
    });
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink_events = events.clone();
    let engine = Engine::new(config, Arc::new(move |e| sink_events.lock().unwrap().push(e))).unwrap();
    let caps = engine.provider().capabilities(draft.model.trim());
    let valid = draft.validate(&caps).expect("test drafts are valid");
    let outcomes = engine.run(valid, key.map(|k| ApiKey::parse(k).unwrap())).await;
    let events = events.lock().unwrap().clone();
    Run { sandbox, data, events, outcomes }
}

/// The phase the library holds for job `id`, as the faces read it (the jobs list); `None`
/// for a job it does not know.
pub fn job_phase(store: &Store, id: &str) -> Option<JobPhase> {
    store.recent_jobs(u32::MAX).unwrap().into_iter().find(|job| job.id == id).map(|job| job.state)
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// Image files in the data directory (not the database).
pub fn image_files(dir: &Path) -> Vec<std::path::PathBuf> {
    files_under(&dir.join("images"))
}

/// Fail if `needle` appears in any file under `dir` (database, WAL, images, anything).
pub fn assert_not_in_files(dir: &Path, needle: &str) {
    for file in files_under(dir) {
        let bytes = std::fs::read(&file).unwrap_or_default();
        assert!(!contains(&bytes, needle.as_bytes()), "the key leaked into {}", file.display());
    }
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

// ---------- any server (the hostile one of the fault matrix) ----------

/// One engine run against any server address: what came out, and the data directory it used.
pub struct EngineRun {
    pub data: tempfile::TempDir,
    pub events: Vec<Event>,
    pub outcomes: Vec<JobOutcome>,
    pub elapsed: Duration,
}

impl RunOutcome for EngineRun {
    fn events(&self) -> &[Event] {
        &self.events
    }
    fn outcomes(&self) -> &[JobOutcome] {
        &self.outcomes
    }
}

/// Run `draft` through a fresh engine pointed at `base_url` (quick policy; `tweak` may change
/// anything), and collect everything. The caller bounds the time with `tokio::time::timeout`.
pub async fn run_engine(base_url: &str, draft: SettingsDraft, tweak: impl FnOnce(&mut EngineConfig)) -> EngineRun {
    let data = tempfile::tempdir().unwrap();
    let mut config = EngineConfig::new(data.path().to_path_buf(), ProviderKind::ModelsLab);
    config.policy = quick_policy();
    config.base_url = Some(base_url.to_owned());
    tweak(&mut config);
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink_events = events.clone();
    let engine = Engine::new(config, Arc::new(move |e| sink_events.lock().unwrap().push(e))).unwrap();
    let caps = engine.provider().capabilities(draft.model.trim());
    let valid = draft.validate(&caps).expect("test drafts are valid");
    let started = std::time::Instant::now();
    let outcomes = engine.run(valid, Some(ApiKey::parse(CANARY_KEY).unwrap())).await;
    let elapsed = started.elapsed();
    let events = events.lock().unwrap().clone();
    EngineRun { data, events, outcomes, elapsed }
}

/// The environment variable that tells a test binary it is the child of [`run_test_in_child`].
pub const CHILD_TEST_ENV: &str = "EASEL_TEST_CHILD";

/// True inside the child process started by [`run_test_in_child`] for `test`.
pub fn is_child_for(test: &str) -> bool {
    std::env::var(CHILD_TEST_ENV).is_ok_and(|v| v == test)
}

/// Run one test of the current test binary alone, in a fresh process with extra environment
/// (its own memory accounting, its own TLS roots). Returns stdout+stderr; panics if it failed.
pub fn run_test_in_child(test: &str, env: &[(&str, &str)]) -> String {
    let exe = std::env::current_exe().expect("the test binary knows its path");
    let output = std::process::Command::new(exe)
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_TEST_ENV, test)
        .envs(env.iter().copied())
        .output()
        .expect("the test binary starts again");
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "child run of {test} failed:\n{text}");
    assert!(text.contains("1 passed"), "child run of {test} ran nothing:\n{text}");
    text
}

/// Peak resident memory of this process so far (VmHWM), in KiB; None off Linux.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
