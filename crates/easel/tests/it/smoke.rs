//! The real window: the release binary under Xvfb, pointed at the sandbox with
//! EASEL_API_KEY set. xdotool types a prompt and presses Ctrl+Enter; the image
//! must land in the data directory while the process stays alive. A screenshot
//! is kept at target/smoke/window.png for people to look at.
//!
//! `tests/run.sh` provides the display and sets EASEL_SMOKE_BIN, so there this test
//! must run; a plain `cargo test` without them skips it and says so.

use easel_sandbox::{Sandbox, SandboxConfig, Scenario};
use easel_testkit::*;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn xdotool(args: &[&str]) -> String {
    let out = Command::new("timeout").arg("30").arg("xdotool").args(args).output().expect("xdotool is installed");
    assert!(out.status.success(), "xdotool {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_release_window_generates_from_the_keyboard() {
    let (Some(bin), Some(_display)) = (std::env::var_os("EASEL_SMOKE_BIN"), std::env::var_os("DISPLAY")) else {
        assert!(std::env::var_os("EASEL_SMOKE_BIN").is_none(), "EASEL_SMOKE_BIN is set but there is no DISPLAY");
        eprintln!("SKIPPED: run tests/run.sh for the real-window smoke test");
        return;
    };
    let _one_window = crate::window::ONE_REAL_WINDOW.lock().await;
    let sandbox = Sandbox::start(SandboxConfig::new(Scenario::Success)).await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut app = Command::new(bin)
        .args(["gui", "--base-url", &sandbox.base_url()])
        .env("EASEL_API_KEY", CANARY_KEY)
        .env("EASEL_DATA_DIR", data.path().join("easel"))
        .env("XDG_DATA_HOME", data.path().join("xdg"))
        .env("XDG_CONFIG_HOME", data.path().join("config"))
        .env("LIBGL_ALWAYS_SOFTWARE", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    let window = tokio::task::spawn_blocking(|| xdotool(&["search", "--sync", "--onlyvisible", "--name", "^Easel$"])).await.unwrap();
    let window = window.lines().next().unwrap().to_owned();
    // Xvfb has no window manager: keys reach the window only after an explicit, synced focus.
    let prompt = "a lighthouse at dusk";
    tokio::task::spawn_blocking({
        let window = window.clone();
        move || {
            xdotool(&["windowfocus", "--sync", &window]);
            xdotool(&["type", "--delay", "30", prompt]);
            xdotool(&["key", "ctrl+Return"]);
        }
    })
    .await
    .unwrap();

    let images = data.path().join("easel");
    let deadline = Instant::now() + Duration::from_secs(90);
    while image_files(&images).is_empty() {
        if let Some(status) = app.try_wait().unwrap() {
            let out = app.wait_with_output().unwrap();
            panic!("the window exited ({status}): {}", String::from_utf8_lossy(&out.stderr));
        }
        assert!(
            Instant::now() < deadline,
            "no image arrived; sandbox saw {:?}",
            sandbox.requests().iter().map(|r| &r.path).collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Give the gallery a moment to draw the new thumbnail before the screenshot.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let shot_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/smoke");
    std::fs::create_dir_all(&shot_dir).unwrap();
    let shot = shot_dir.join("window.png");
    let status = Command::new("import").args(["-window", "root"]).arg(&shot).status().expect("ImageMagick import");
    assert!(status.success());

    assert!(app.try_wait().unwrap().is_none(), "the window is still running");
    let sent = sandbox.requests().into_iter().find(|r| r.path.ends_with("/text2img")).expect("a generation request");
    assert_eq!(sent.body["prompt"], prompt, "the typed prompt was sent");
    let file = image_files(&images).remove(0);
    assert!(image::open(&file).is_ok(), "a real image is on disk: {}", file.display());
    assert_not_in_files(data.path(), CANARY_KEY);
    app.kill().unwrap();
    let out = app.wait_with_output().unwrap();
    assert!(!String::from_utf8_lossy(&out.stderr).contains(CANARY_KEY));
    assert!(!String::from_utf8_lossy(&out.stdout).contains(CANARY_KEY));
    eprintln!("screenshot: {}", shot.display());
}
