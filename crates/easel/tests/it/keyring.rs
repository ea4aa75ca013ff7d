//! The real OS keyring (Secret Service), across processes: save in one, read in
//! another, use it to generate, forget it.
//!
//! `tests/run.sh` runs the suite inside `dbus-run-session` with an unlocked
//! gnome-keyring and sets EASEL_REQUIRE_KEYRING=1, so there this test must pass.
//! A plain `cargo test` on a machine without a session bus skips it with a note.

use easel_sandbox::{Sandbox, SandboxConfig, Scenario};
use easel_testkit::CANARY_KEY;
use std::io::Write;
use std::process::{Command, Stdio};

fn easel(args: &[&str], stdin: Option<&str>, data: &std::path::Path) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_easel"))
        .args(args)
        .env("EASEL_DATA_DIR", data)
        .env_remove("EASEL_API_KEY")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(text) = stdin {
        child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_key_saved_in_one_process_is_used_by_another_then_forgotten() {
    let required = std::env::var_os("EASEL_REQUIRE_KEYRING").is_some();
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() && !required {
        eprintln!("SKIPPED: no session bus; run tests/run.sh for the real-keyring test");
        return;
    }
    let data = tempfile::tempdir().unwrap();
    // Each server has its own key: this one is saved for the sandbox's address.
    let sandbox = Sandbox::start(SandboxConfig::new(Scenario::Success)).await.unwrap();
    let base = sandbox.base_url();
    let service = ["--provider", "modelslab", "--base-url", &base];

    let (code, out, err) =
        easel(&["key", "set", service[0], service[1], service[2], service[3]], Some(&format!("  {CANARY_KEY}\n")), data.path());
    assert_eq!(code, 0, "save failed: {out}{err}");
    assert!(out.contains("Saved") && !out.contains(CANARY_KEY), "{out}");

    let (code, out, _) = easel(&["key", "status", "--base-url", &base], None, data.path());
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("is saved in the system keychain"), "{out}");
    assert!(!out.contains(CANARY_KEY));
    let (code, _, _) = easel(&["key", "status"], None, data.path());
    assert_eq!(code, 3, "not under ModelsLab's usual server");

    // A third process generates with the keyring's key (no EASEL_API_KEY).
    let (code, out, err) = tokio::task::spawn_blocking({
        let (data, base) = (data.path().to_path_buf(), base.clone());
        move || easel(&["generate", "--prompt", "from the keyring", "--base-url", &base, "--json"], None, &data)
    })
    .await
    .unwrap();
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(sandbox.requests()[0].body["key"], CANARY_KEY, "the keyring's key was sent");
    assert!(!out.contains(CANARY_KEY) && !err.contains(CANARY_KEY));

    let (code, _, _) = easel(&["key", "forget", "--base-url", &base], None, data.path());
    assert_eq!(code, 0);
    let (code, out, _) = easel(&["key", "status", "--base-url", &base], None, data.path());
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("No ModelsLab at 127.0.0.1"), "{out}");
}

#[test]
fn without_any_keyring_service_the_key_is_not_claimed_saved() {
    let data = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_easel"))
        .args(["key", "set"])
        .env("EASEL_DATA_DIR", data.path())
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env("XDG_RUNTIME_DIR", data.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin.take().unwrap().write_all(b"some-key-123456\n")?;
            c.wait_with_output()
        })
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(!stdout.contains("Saved"), "{stdout}");
    assert!(stderr.contains("NOT saved") && stderr.contains("not available"), "{stderr}");
}
