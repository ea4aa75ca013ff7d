//! The release window edits a picture with the real mouse: tests/window/paint.py makes a
//! picture with each service, presses "Edit this picture", paints a stroke down its left part
//! with xdotool, types the change and generates; this test then checks the mask each service
//! received in the sandbox (white = change for ModelsLab and A1111, transparent for OpenAI).
//! Before that, Ctrl+V with a picture on the clipboard (xclip) must set the start image.
//!
//! `tests/run.sh` provides the display and EASEL_SMOKE_BIN, so there this test must run; a
//! plain `cargo test` without them (or without xclip) skips it and says so.

use crate::ui_editing::received_mask;
use easel_engine::provider::ProviderKind;
use easel_sandbox::{Sandbox, SandboxConfig, Scenario};
use std::process::Command;

#[tokio::test(flavor = "multi_thread")]
async fn in_the_real_window_a_painted_stroke_reaches_every_service_as_its_mask() {
    let (Some(bin), Some(_display)) = (std::env::var_os("EASEL_SMOKE_BIN"), std::env::var_os("DISPLAY")) else {
        eprintln!("SKIPPED: run tests/run.sh for the real-window painting test");
        return;
    };
    if Command::new("xclip").arg("-version").output().is_err() {
        eprintln!("SKIPPED: the real-window painting test needs xclip (tests/run.sh installs it)");
        return;
    }
    let _one_window = crate::window::ONE_REAL_WINDOW.lock().await;
    let sandbox = Sandbox::start(SandboxConfig::new(Scenario::Success)).await.unwrap();
    let work = tempfile::tempdir().unwrap();
    let run = crate::window::run_window_script("paint.py", bin, sandbox.base_url(), work.path(), 420).await;
    let said = run.said;
    assert!(run.success, "the real window did not edit the pictures:\n{said}");
    assert!(said.contains("Ctrl+V with a picture on the clipboard set the start image"), "{said}");

    let requests = sandbox.requests();
    for (kind, route) in [
        (ProviderKind::ModelsLab, "/api/v6/images/inpaint"),
        (ProviderKind::OpenAi, "/v1/images/edits"),
        (ProviderKind::A1111, "/sdapi/v1/img2img"),
    ] {
        let provider = kind.id();
        assert!(said.contains(&format!("stroke {provider} 0.15")), "{provider} was not painted:\n{said}");
        let request = requests
            .iter()
            .find(|r| r.path == route && (r.body.get("mask").is_some() || r.body.get("mask_image").is_some()))
            .unwrap_or_else(|| panic!("{provider}: no {route} with a mask:\n{said}"));
        let mask = received_mask(kind, &request.body);
        let (w, h) = mask.dimensions();
        assert_eq!(mask.get_pixel(w * 15 / 100, h / 2).0[0], 255, "{provider}: the stroke is marked to change");
        assert_eq!(mask.get_pixel(w * 70 / 100, h / 2).0[0], 0, "{provider}: the rest is kept");
        assert_eq!(mask.get_pixel(w * 15 / 100, h * 2 / 100).0[0], 0, "{provider}: above the stroke's start is kept");
    }
}
