//! The release window on a desktop with no file-chooser portal (a fresh Debian without
//! `xdg-desktop-portal`): "Save as…" still saves, through Easel's own chooser. The window is
//! driven through its accessibility tree by tests/window/no_portal.py, inside a private
//! session bus whose service folder offers only the accessibility bus.
//!
//! `tests/run.sh` provides the display and EASEL_SMOKE_BIN, so there this test must run; a
//! plain `cargo test` without them skips it and says so.

use easel_sandbox::{Sandbox, SandboxConfig, Scenario};

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
    let run = crate::window::run_window_script("no_portal.py", bin, sandbox.base_url(), work.path(), 180).await;
    let said = run.said;
    assert!(run.success, "the window did not save without a portal:\n{said}");
    assert!(said.contains("Easel's own chooser opened"), "{said}");
    assert!(work.path().join("home/kept-without-a-portal.png").is_file(), "{said}");
}
