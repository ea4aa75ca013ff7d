//! The `easel` binary against the sandbox: exit codes, JSON events, files, secrecy.

use easel_sandbox::{Sandbox, SandboxConfig, Scenario};
use easel_testkit::*;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

pub(crate) struct CliRun {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub events: Vec<Value>,
}

impl CliRun {
    pub fn event(&self, name: &str) -> &Value {
        self.events.iter().find(|e| e["event"] == name).unwrap_or_else(|| panic!("no {name} event in:\n{}", self.stdout))
    }
    pub fn all(&self, name: &str) -> Vec<&Value> {
        self.events.iter().filter(|e| e["event"] == name).collect()
    }
}

/// Run the binary with a clean environment: its own data dir, the canary key, no keyring.
pub(crate) async fn easel(data: &Path, key: Option<&str>, args: &[&str]) -> CliRun {
    easel_with(data, key, args, &[]).await
}

/// The same with more environment.
pub(crate) async fn easel_with(data: &Path, key: Option<&str>, args: &[&str], env: &[(&str, &str)]) -> CliRun {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_easel"));
    cmd.envs(env.iter().copied());
    cmd.args(args)
        .env("EASEL_DATA_DIR", data)
        .env_remove("EASEL_API_KEY")
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env("XDG_RUNTIME_DIR", data);
    if let Some(k) = key {
        cmd.env("EASEL_API_KEY", k);
    }
    let Output { status, stdout, stderr } = tokio::task::spawn_blocking(move || cmd.output()).await.unwrap().unwrap();
    let stdout = String::from_utf8(stdout).unwrap();
    let stderr = String::from_utf8(stderr).unwrap();
    let events = stdout.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    CliRun { code: status.code().unwrap_or(-1), stdout, stderr, events }
}

async fn generate(scenario: Scenario, extra: &[&str]) -> (CliRun, Sandbox, tempfile::TempDir) {
    let sandbox = Sandbox::start(SandboxConfig::new(scenario)).await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let base = sandbox.base_url();
    let mut args = vec!["generate", "--prompt", "a small red boat", "--base-url", &base, "--model", "sdxl", "--json"];
    args.extend_from_slice(extra);
    let run = easel(data.path(), Some(CANARY_KEY), &args).await;
    assert!(!run.stdout.contains(CANARY_KEY) && !run.stderr.contains(CANARY_KEY), "key leaked to the terminal");
    assert_not_in_files(data.path(), CANARY_KEY);
    (run, sandbox, data)
}

#[tokio::test(flavor = "multi_thread")]
async fn generate_writes_real_pngs_and_reports_each_event() {
    let out = tempfile::tempdir().unwrap();
    let out_dir = out.path().to_str().unwrap();
    let (run, _sandbox, data) =
        generate(Scenario::Success, &["--width", "640", "--height", "448", "--samples", "2", "--seed", "7", "--out", out_dir]).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let request = run.all("request").into_iter().find(|r| r["endpoint"] != "balance").expect("a request").clone();
    assert_eq!(request["endpoint"], "generate");
    // The balance is read before and after the job (that is how its cost is known): the
    // generation's own answer is among the responses.
    let responses = run.all("response");
    assert_eq!(responses.iter().filter(|r| r["endpoint"] == "balance").count(), 2, "before and after");
    let response = responses.iter().find(|r| r["endpoint"] == "generate").expect("the generation's answer");
    assert_eq!(response["http_status"], 200);
    assert_eq!(response["api_status"], "success");
    assert!(response["request_id"].is_string());
    let images = run.all("image");
    assert_eq!(images.len(), 2);
    for image in &images {
        let path = image["path"].as_str().unwrap();
        assert!(path.starts_with(data.path().to_str().unwrap()));
        let bytes = std::fs::read(path).unwrap();
        assert_eq!(bytes.len() as u64, image["bytes"].as_u64().unwrap());
        let decoded = image::load_from_memory(&bytes).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (640, 448));
        assert_eq!((image["width"].as_u64(), image["height"].as_u64()), (Some(640), Some(448)));
        assert_eq!(image["sha256"].as_str().unwrap().len(), 64);
    }
    let done = run.event("done");
    assert_eq!((done["images"].as_u64(), done["exit_code"].as_i64()), (Some(2), Some(0)));
    let copies: Vec<_> = std::fs::read_dir(out.path()).unwrap().flatten().collect();
    assert_eq!(copies.len(), 2, "--out holds a copy of each image");
    for copy in copies {
        assert!(image::open(copy.path()).is_ok());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn each_failure_exits_with_its_category_code_and_explains_itself() {
    let cases: &[(Scenario, &[&str], &str, i32)] = &[
        (Scenario::Validation400, &[], "validation", 2),
        (Scenario::Auth401, &[], "auth", 3),
        (Scenario::Credits402, &[], "account", 4),
        (Scenario::RateLimitedLong, &[], "rate_limited", 5),
        (Scenario::ServerError, &[], "server", 6),
        (Scenario::Failed, &[], "generation_failed", 6),
        (Scenario::Hang, &["--timeout", "1"], "timeout", 7),
        (Scenario::NotAnImage, &[], "bad_output", 8),
    ];
    for (scenario, extra, category, code) in cases {
        let (run, _s, _d) = generate(*scenario, extra).await;
        assert_eq!(run.code, *code, "{scenario}: {}", run.stdout);
        let err = run.event("error");
        assert_eq!(err["category"], *category, "{scenario}");
        for field in ["message", "hint"] {
            assert!(err[field].as_str().is_some_and(|s| !s.is_empty()), "{scenario}: {field}");
        }
        for field in ["category", "http_status", "message", "detail", "fields", "hint", "request_id"] {
            assert!(err.get(field).is_some(), "{scenario}: the error event always has {field}");
        }
        assert!(err["fields"].is_object());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn waits_are_reported_as_events() {
    let (run, _s, _d) = generate(Scenario::RateLimited, &[]).await;
    assert_eq!(run.code, 0);
    let waits = run.all("wait");
    assert_eq!(waits.len(), 2);
    assert_eq!(waits[0]["seconds"], 1.0);
    assert_eq!(waits[0]["reason"], "rate_limited");
    let statuses: Vec<_> = run.all("response").iter().filter(|r| r["endpoint"] == "generate").map(|r| r["http_status"].clone()).collect();
    assert_eq!(statuses[..3], [429, 429, 200]);
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_settings_send_nothing_and_name_every_field() {
    let (run, sandbox, _d) = generate(Scenario::Success, &["--width", "100", "--samples", "9", "--seed", "-4"]).await;
    assert_eq!(run.code, 2);
    assert_eq!(run.events.len(), 1, "exactly one error event: {}", run.stdout);
    let err = run.event("error");
    assert_eq!(err["category"], "validation");
    let fields: Vec<&str> = err["fields"].as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(fields, ["samples", "seed", "width"]);
    assert!(sandbox.requests().is_empty(), "an invalid request is never sent");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cache_still_reports_images_and_copies() {
    let sandbox = Sandbox::start(SandboxConfig::new(Scenario::Success)).await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let base = sandbox.base_url();
    let args = ["generate", "--prompt", "cache me", "--seed", "99", "--base-url", &base, "--json", "--out", out.path().to_str().unwrap()];
    let first = easel(data.path(), Some(CANARY_KEY), &args).await;
    std::fs::remove_dir_all(out.path()).unwrap();
    std::fs::create_dir_all(out.path()).unwrap();
    let second = easel(data.path(), Some(CANARY_KEY), &args).await;
    assert_eq!((first.code, second.code), (0, 0));
    assert_eq!(sandbox.requests().iter().filter(|r| r.path.ends_with("text2img")).count(), 1);
    let image = second.event("image");
    assert_eq!(image["cached"], true);
    assert_eq!(image["sha256"], first.event("image")["sha256"]);
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 1, "cached images are copied to --out too");
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_key_it_says_where_to_set_one() {
    let sandbox = Sandbox::start(SandboxConfig::new(Scenario::Success)).await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let base = sandbox.base_url();
    let run = easel(data.path(), None, &["generate", "--prompt", "x", "--base-url", &base]).await;
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("EASEL_API_KEY"), "{}", run.stderr);
    assert!(sandbox.requests().is_empty());

    let run = easel(data.path(), Some("two words"), &["generate", "--prompt", "x", "--base-url", &base, "--json"]).await;
    assert_eq!(run.code, 3);
    assert!(run.event("error")["message"].as_str().unwrap().contains("spaces"));
    assert!(!run.stdout.contains("two words"));
}

#[tokio::test(flavor = "multi_thread")]
async fn doctor_checks_the_connection_and_the_balance() {
    let sandbox = Sandbox::start(SandboxConfig::new(Scenario::Success)).await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let base = sandbox.base_url();
    let run = easel(data.path(), Some(CANARY_KEY), &["doctor", "--base-url", &base, "--json"]).await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    let report = run.event("doctor");
    let checks = report["checks"].as_array().unwrap();
    let names: Vec<&str> = checks.iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["dns", "tcp", "key"]);
    assert!(checks[2]["detail"].as_str().unwrap().contains("43.60 USD"));

    let bad = Sandbox::start(SandboxConfig::new(Scenario::Auth401)).await.unwrap();
    let base = bad.base_url();
    let run = easel(data.path(), Some(CANARY_KEY), &["doctor", "--base-url", &base]).await;
    assert_eq!(run.code, 3);
    assert!(run.stdout.contains("FAIL") && !run.stdout.contains(CANARY_KEY));
}

#[tokio::test(flavor = "multi_thread")]
async fn generate_against_the_sandbox_command() {
    // `easel sandbox` as a person would start it, then `easel generate` against it.
    let data = tempfile::tempdir().unwrap();
    let mut server = Command::new(env!("CARGO_BIN_EXE_easel"))
        .args(["sandbox", "--port", "0", "--scenario", "success"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = server.stdout.take().unwrap();
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).unwrap();
        line
    })
    .await
    .unwrap();
    let url = line.split_whitespace().find(|w| w.starts_with("http://127.0.0.1:")).expect("the sandbox prints its address").to_owned();
    let run = easel(data.path(), Some(CANARY_KEY), &["generate", "--prompt", "hello", "--base-url", &url, "--json"]).await;
    server.kill().unwrap();
    let _ = server.wait();
    assert_eq!(run.code, 0, "{}", run.stdout);
    let path = run.event("image")["path"].as_str().unwrap().to_owned();
    assert_eq!(image::open(path).unwrap().width(), 512);
}

#[tokio::test(flavor = "multi_thread")]
async fn human_output_is_short_and_plain() {
    let sandbox = Sandbox::start(SandboxConfig::new(Scenario::Credits402)).await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let base = sandbox.base_url();
    let run = easel(data.path(), Some(CANARY_KEY), &["generate", "--prompt", "x", "--base-url", &base]).await;
    assert_eq!(run.code, 4);
    assert!(run.stderr.contains("Error (account)"), "{}", run.stderr);
    assert!(run.stderr.contains("What to do:"), "{}", run.stderr);
    assert!(run.stdout.contains("0 image(s) saved, 1 of 1 job(s) failed."), "{}", run.stdout);
}
