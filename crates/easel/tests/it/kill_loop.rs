//! Crash safety, many times over: 100 rounds of starting `easel generate`, killing it
//! with SIGKILL at a random moment, and running `easel resume`. After every round the
//! library must be consistent (every row's file whole on disk, no stray temporary
//! files), and no job may ever have been sent twice.

use easel_sandbox::{Sandbox, SandboxConfig, Scenario};
use easel_testkit::*;
use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

const ROUNDS: usize = 100;

fn easel(data: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_easel"));
    cmd.env("EASEL_DATA_DIR", data).env("EASEL_API_KEY", CANARY_KEY).stdout(Stdio::null()).stderr(Stdio::null());
    cmd
}

fn check_library(data: &Path) -> usize {
    let store = easel_engine::store::Store::open(data).unwrap();
    let rows = store.search(&Default::default(), u32::MAX, 0).unwrap();
    for row in &rows {
        let bytes = std::fs::read(&row.path).unwrap_or_else(|_| panic!("a row without its file: {}", row.path.display()));
        easel_engine::intake::verify(bytes, &Default::default()).expect("every stored file is a whole image");
    }
    for file in image_files(data) {
        assert!(!file.to_string_lossy().ends_with(".tmp"), "a temporary file was left: {}", file.display());
    }
    rows.len()
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_nine_at_random_moments_one_hundred_times() {
    // Each job is held 150 ms and then downloaded, so random kills land before sending,
    // while sent, mid-download and after the end. (Killing while the provider is still
    // processing has its own test in tests/resume.rs.)
    let mut config = SandboxConfig::new(Scenario::Success);
    config.job_duration = Duration::from_millis(150);
    let sandbox = Sandbox::start(config).await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let base = sandbox.base_url();
    let mut images = 0;
    for round in 0..ROUNDS {
        let delay = Duration::from_millis(rand::random::<u64>() % 500);
        let mut child =
            easel(data.path()).args(["generate", "--prompt", &format!("round {round}"), "--base-url", &base, "--json"]).spawn().unwrap();
        tokio::time::sleep(delay).await;
        child.kill().unwrap(); // SIGKILL; if it had already finished this is harmless
        child.wait().unwrap();
        let status = tokio::task::spawn_blocking({
            let data = data.path().to_path_buf();
            let base = base.clone();
            move || easel(&data).args(["resume", "--base-url", &base, "--json"]).status().unwrap()
        })
        .await
        .unwrap();
        assert!(status.code().is_some(), "resume itself must not crash (round {round})");
        let now = check_library(data.path());
        assert!(now >= images, "an image was lost in round {round}");
        images = now;
    }
    // No job was ever resubmitted: each prompt reached the provider at most once.
    let mut sends: HashMap<String, usize> = HashMap::new();
    for r in sandbox.requests().iter().filter(|r| r.path.ends_with("/text2img")) {
        *sends.entry(r.body["prompt"].as_str().unwrap_or_default().to_owned()).or_default() += 1;
    }
    assert!(sends.values().all(|n| *n == 1), "a job was sent twice: {sends:?}");
    assert!(images > 0, "some rounds finished");
    eprintln!("{ROUNDS} rounds: {images} images kept, {} jobs sent", sends.len());
}
