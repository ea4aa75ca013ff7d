//! The release window on a desktop with no file-chooser portal (a fresh Debian without
//! `xdg-desktop-portal`): "Save as…" still saves, through Easel's own chooser. The window is
//! driven through its accessibility tree by tests/window/no_portal.py, inside a private
//! session bus whose service folder offers only the accessibility bus.
//!
//! `tests/run.sh` provides the display and EASEL_SMOKE_BIN, so there this test must run; a
//! plain `cargo test` without them skips it and says so.

use easel_sandbox::{Sandbox, SandboxConfig, Scenario};
use std::process::Command;

#[tokio::test(flavor = "multi_thread")]
async fn without_a_portal_save_as_still_saves_in_the_real_window() {
    let (Some(bin), Some(_display)) = (std::env::var_os("EASEL_SMOKE_BIN"), std::env::var_os("DISPLAY")) else {
        eprintln!("SKIPPED: run tests/run.sh for the real-window test without a portal");
        return;
    };
    let _one_window = crate::window::ONE_REAL_WINDOW.lock().await;
    let sandbox = Sandbox::start(SandboxConfig::new(Scenario::Success)).await.unwrap();
    let work = tempfile::tempdir().unwrap();
    // A bus that can start the accessibility bus and nothing else: no portal, no keyring.
    let services = work.path().join("share/dbus-1/services");
    std::fs::create_dir_all(&services).unwrap();
    std::fs::copy("/usr/share/dbus-1/services/org.a11y.Bus.service", services.join("org.a11y.Bus.service")).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/window/no_portal.py");
    let url = sandbox.base_url();
    let work_dir = work.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("timeout")
            .args(["180", "dbus-run-session", "--", "/usr/bin/python3", script])
            .arg(&bin)
            .arg(&url)
            .arg(&work_dir)
            .env("XDG_DATA_DIRS", work_dir.join("share"))
            // The accessibility bus reads its settings' schemas from the usual place.
            .env("GSETTINGS_SCHEMA_DIR", "/usr/share/glib-2.0/schemas")
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "the window did not save without a portal:\n{said}");
    assert!(said.contains("Easel's own chooser opened"), "{said}");
    assert!(work.path().join("home/kept-without-a-portal.png").is_file(), "{said}");
}
