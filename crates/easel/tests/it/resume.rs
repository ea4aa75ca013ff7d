//! Nothing lost: kill -9 the CLI at several points against the sandbox, start
//! again with `easel resume`, and check the three rules:
//! 1. a job the provider was making is fetched by its stored id, never resubmitted;
//! 2. a job sent without an answer is marked unknown, not resubmitted automatically;
//! 3. the library is consistent: no row without its file, no image lost.

use easel_sandbox::{Sandbox, SandboxConfig, Scenario};
use easel_testkit::*;
use serde_json::Value;
use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

fn easel_cmd(data: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_easel"));
    cmd.args(args).env("EASEL_DATA_DIR", data).env("EASEL_API_KEY", CANARY_KEY);
    cmd
}

/// Start `easel generate --json` and hand back its events as they arrive.
fn start_generate(data: &Path, base: &str) -> (Child, mpsc::Receiver<Value>) {
    start_generate_with(data, &["--base-url", base])
}

/// The same with other arguments.
fn start_generate_with(data: &Path, extra: &[&str]) -> (Child, mpsc::Receiver<Value>) {
    let mut args = vec!["generate", "--prompt", "survive a crash", "--json"];
    args.extend_from_slice(extra);
    let mut child = easel_cmd(data, &args).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Ok(v) = serde_json::from_str(&line)
                && tx.send(v).is_err()
            {
                break;
            }
        }
    });
    (child, rx)
}

/// Wait (bounded) until `pred` holds for an event.
fn wait_for_event(rx: &mpsc::Receiver<Value>, what: &str, mut pred: impl FnMut(&Value) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match rx.recv_timeout(left) {
            Ok(v) if pred(&v) => return,
            Ok(_) => {}
            Err(_) => break,
        }
    }
    panic!("never saw {what}");
}

/// Wait (bounded) until the sandbox has seen a request matching `pred`.
async fn wait_for_request(sandbox: &Sandbox, what: &str, pred: impl Fn(&easel_sandbox::LoggedRequest) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if sandbox.requests().iter().any(&pred) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the sandbox never saw {what}");
}

fn kill9(mut child: Child) {
    child.kill().unwrap(); // SIGKILL on Unix: no destructors, no flush
    child.wait().unwrap();
}

async fn run_cli(data: &Path, args: &[&str]) -> (i32, Vec<Value>, String) {
    let mut cmd = easel_cmd(data, args);
    let out = tokio::task::spawn_blocking(move || cmd.output()).await.unwrap().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let events = stdout.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    (out.status.code().unwrap_or(-1), events, stdout)
}

fn text2img_count(sandbox: &Sandbox) -> usize {
    sandbox.requests().iter().filter(|r| r.path.ends_with("/text2img")).count()
}

/// Rule 3: every row's file is there, whole and verified; every file has a row.
async fn assert_library_consistent(data: &Path) -> Vec<Value> {
    let (code, rows, out) = run_cli(data, &["library", "list", "--json"]).await;
    assert_eq!(code, 0, "{out}");
    let mut listed = std::collections::HashSet::new();
    for row in &rows {
        let path = std::path::PathBuf::from(row["path"].as_str().unwrap());
        let bytes = std::fs::read(&path).unwrap_or_else(|_| panic!("row without its file: {}", path.display()));
        easel_engine::intake::verify(bytes, &Default::default()).expect("a stored file is a whole image");
        listed.insert(path);
    }
    for file in image_files(data) {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        assert!(!name.ends_with(".tmp"), "a temporary file was left behind: {name}");
        assert!(listed.contains(&file), "an image file has no row: {}", file.display());
    }
    rows
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_after_sending_the_job_is_unknown_and_not_resubmitted() {
    let mut config = SandboxConfig::new(Scenario::Success);
    config.job_duration = Duration::from_secs(60); // the answer never comes before the kill
    let sandbox = Sandbox::start(config).await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let (child, _events) = start_generate(data.path(), &sandbox.base_url());
    wait_for_request(&sandbox, "the generation request", |r| r.path.ends_with("/text2img")).await;
    kill9(child);

    let (code, events, out) = run_cli(data.path(), &["resume", "--base-url", &sandbox.base_url(), "--json"]).await;
    assert_eq!(code, 0, "{out}");
    assert!(
        events.iter().any(|e| e["event"] == "error" && e["message"].as_str().unwrap().starts_with("Unknown:")),
        "the job is reported unknown: {out}"
    );
    assert_eq!(text2img_count(&sandbox), 1, "never resubmitted");
    assert!(assert_library_consistent(data.path()).await.is_empty());
    // A second resume finds nothing left to do.
    let (_, events, _) = run_cli(data.path(), &["resume", "--base-url", &sandbox.base_url(), "--json"]).await;
    assert!(events.iter().all(|e| e["event"] == "done"), "{events:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_while_processing_is_fetched_by_id_on_resume() {
    let mut config = SandboxConfig::new(Scenario::Processing);
    config.job_duration = Duration::from_secs(3);
    let sandbox = Sandbox::start(config).await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let (child, events) = start_generate(data.path(), &sandbox.base_url());
    wait_for_event(&events, "a processing wait", |e| e["event"] == "wait" && e["reason"] == "processing");
    kill9(child);
    let fetches_before = sandbox.requests().iter().filter(|r| r.path.contains("/fetch")).count();

    let (code, events, out) = run_cli(data.path(), &["resume", "--base-url", &sandbox.base_url(), "--json"]).await;
    assert_eq!(code, 0, "{out}");
    assert_eq!(events.iter().filter(|e| e["event"] == "image").count(), 1, "{out}");
    assert_eq!(text2img_count(&sandbox), 1, "fetched by id, never resubmitted");
    let fetches_after = sandbox.requests().iter().filter(|r| r.path.contains("/fetch")).count();
    assert!(fetches_after > fetches_before);
    assert_eq!(assert_library_consistent(data.path()).await.len(), 1);
}

/// One process with a job on each of two sandboxes at once (the same prompt on sdxl at A and on
/// sdxl at B), killed while both services are making them.
async fn killed_mid_job_on_two_services() -> (Sandbox, Sandbox, tempfile::TempDir) {
    let queued = || SandboxConfig { job_duration: Duration::from_secs(3), ..SandboxConfig::new(Scenario::Processing) };
    let (a, b) = (Sandbox::start(queued()).await.unwrap(), Sandbox::start(queued()).await.unwrap());
    let data = tempfile::tempdir().unwrap();
    let on_b = format!("modelslab:sdxl@{}", b.base_url());
    let (child, events) = start_generate_with(data.path(), &["--base-url", &a.base_url(), "--model", "sdxl", "--model", &on_b]);
    let mut processing = std::collections::HashSet::new();
    while processing.len() < 2 {
        wait_for_event(&events, "a processing wait", |e| {
            let waiting = e["event"] == "wait" && e["reason"] == "processing";
            waiting && processing.insert(e["job"].as_str().unwrap_or_default().to_owned())
        });
    }
    kill9(child);
    (a, b, data)
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_mid_job_on_two_services_a_plain_resume_finishes_both() {
    let (a, b, data) = killed_mid_job_on_two_services().await;

    let (code, events, out) = run_cli(data.path(), &["resume", "--json"]).await;
    assert_eq!(code, 0, "{out}");
    assert_eq!(events.iter().filter(|e| e["event"] == "image").count(), 2, "both finished: {out}");
    let services: Vec<&Value> = events.iter().filter(|e| e["event"] == "resume").collect();
    assert_eq!(services.len(), 2, "reported per service: {out}");
    assert!(services.iter().all(|s| s["resumed"] == 1));
    assert_eq!(events.iter().find(|e| e["event"] == "done").unwrap()["jobs"], 2);
    assert_eq!((text2img_count(&a), text2img_count(&b)), (1, 1), "fetched by id on each service, never resubmitted");
    let rows = assert_library_consistent(data.path()).await;
    assert_eq!(rows.len(), 2);
    assert_eq!(rows.iter().filter_map(|r| r["group"].as_str()).collect::<std::collections::HashSet<_>>().len(), 1, "one group");
}

#[tokio::test(flavor = "multi_thread")]
async fn resume_narrowed_to_one_service_leaves_the_others_for_later() {
    let (a, b, data) = killed_mid_job_on_two_services().await;
    let (code, events, out) = run_cli(data.path(), &["resume", "--base-url", &b.base_url(), "--json"]).await;
    assert_eq!(code, 0, "{out}");
    assert_eq!(events.iter().filter(|e| e["event"] == "image").count(), 1, "only B's: {out}");
    let (_, events, out) = run_cli(data.path(), &["resume", "--json"]).await;
    assert_eq!(events.iter().filter(|e| e["event"] == "image").count(), 1, "then A's: {out}");
    assert_eq!((text2img_count(&a), text2img_count(&b)), (1, 1));
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_mid_download_finishes_the_download_on_resume() {
    let mut config = SandboxConfig::new(Scenario::Success);
    config.download_delay = Duration::from_secs(60);
    let sandbox = Sandbox::start(config).await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let (child, _events) = start_generate(data.path(), &sandbox.base_url());
    wait_for_request(&sandbox, "the image download", |r| r.path.starts_with("/generations/")).await;
    kill9(child);
    sandbox.set_download_delay(Duration::ZERO);

    let (code, events, out) = run_cli(data.path(), &["resume", "--base-url", &sandbox.base_url(), "--json"]).await;
    assert_eq!(code, 0, "{out}");
    assert_eq!(events.iter().filter(|e| e["event"] == "image").count(), 1, "{out}");
    assert_eq!(text2img_count(&sandbox), 1, "never resubmitted");
    assert_eq!(assert_library_consistent(data.path()).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_while_rate_limited_is_known_uncharged() {
    let sandbox = Sandbox::start(SandboxConfig::new(Scenario::RateLimitedForever)).await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let (child, events) = start_generate(data.path(), &sandbox.base_url());
    wait_for_event(&events, "a rate-limit wait", |e| e["event"] == "wait" && e["reason"] == "rate_limited");
    kill9(child);
    let (code, events, out) = run_cli(data.path(), &["resume", "--base-url", &sandbox.base_url(), "--json"]).await;
    assert_eq!(code, 0, "{out}");
    let err = events.iter().find(|e| e["event"] == "error").expect("the job is reported");
    assert!(err["message"].as_str().unwrap().contains("nothing was charged"), "{err}");
    assert!(assert_library_consistent(data.path()).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn library_search_and_export_after_a_crash() {
    let sandbox = Sandbox::start(SandboxConfig::new(Scenario::Success)).await.unwrap();
    let data = tempfile::tempdir().unwrap();
    for prompt in ["a lighthouse at dusk", "a cat on a windowsill", "lighthouse in fog"] {
        let (code, _, out) = run_cli(data.path(), &["generate", "--prompt", prompt, "--base-url", &sandbox.base_url(), "--json"]).await;
        assert_eq!(code, 0, "{out}");
    }
    let (_, rows, _) = run_cli(data.path(), &["library", "search", "lighthouse", "--json"]).await;
    let prompts: Vec<&str> = rows.iter().map(|r| r["prompt"].as_str().unwrap()).collect();
    assert_eq!(prompts, ["lighthouse in fog", "a lighthouse at dusk"], "newest first");
    for key in ["path", "prompt", "model", "seed", "created", "request_id"] {
        assert!(rows[0].get(key).is_some(), "{key}");
    }
    let out = tempfile::tempdir().unwrap();
    let (code, _, text) = run_cli(data.path(), &["library", "export", out.path().to_str().unwrap(), "--query", "cat"]).await;
    assert_eq!(code, 0, "{text}");
    let exported: Vec<_> = std::fs::read_dir(out.path()).unwrap().flatten().collect();
    assert_eq!(exported.len(), 1);
    let bytes = std::fs::read(exported[0].path()).unwrap();
    let params = easel_engine::export::read_png_text(&bytes, "parameters").unwrap();
    assert!(params.starts_with("a cat on a windowsill"));
}
