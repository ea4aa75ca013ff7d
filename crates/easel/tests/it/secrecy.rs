//! The secrecy audit: every scenario of every provider, run through the real binary
//! with a canary key, then a search for the canary in everything Easel produced:
//! stdout and stderr, the data directory (library, images, crash reports), exported
//! images, the diagnostics report and the "Copy as curl" commands. It must be nowhere.

use base64::Engine as _;
use easel_engine::diagnostics::{curl_command, report};
use easel_engine::provider::ProviderKind;
use easel_engine::store::Store;
use easel_sandbox::{Sandbox, SandboxConfig, Scenario};
use easel_testkit::*;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

fn needles() -> Vec<String> {
    vec![
        CANARY_KEY.to_owned(),
        base64::engine::general_purpose::STANDARD.encode(CANARY_KEY),
        // The middle of the key, in case something shortened it.
        CANARY_KEY[4..CANARY_KEY.len() - 4].to_owned(),
    ]
}

fn assert_clean(what: &str, text: &[u8]) {
    for needle in needles() {
        assert!(!contains(text, needle.as_bytes()), "the key leaked into {what}");
    }
}

fn assert_tree_clean(dir: &Path) {
    for file in files_under(dir) {
        assert_clean(&file.display().to_string(), &std::fs::read(&file).unwrap_or_default());
    }
}

fn extra_args(scenario: Scenario) -> Vec<&'static str> {
    match scenario {
        Scenario::Hang => vec!["--timeout", "1"],
        Scenario::ProcessingForever | Scenario::BigEta => vec!["--deadline", "2"],
        _ => vec![],
    }
}

async fn easel(data: &Path, args: Vec<String>) -> (Vec<u8>, Vec<u8>) {
    let data = data.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let out = Command::new(env!("CARGO_BIN_EXE_easel"))
            .args(&args)
            .env("EASEL_DATA_DIR", &data)
            .env("EASEL_API_KEY", CANARY_KEY)
            .output()
            .unwrap();
        (out.stdout, out.stderr)
    })
    .await
    .unwrap()
}

/// One CLI run against a fresh sandbox, then the canary search over everything it left.
async fn audit(kind: ProviderKind, scenario: Scenario, more: Vec<String>) {
    let sandbox = Sandbox::start(SandboxConfig::new(scenario)).await.unwrap();
    let base = match kind {
        ProviderKind::OpenAi => format!("{}/v1", sandbox.base_url()),
        _ => sandbox.base_url(),
    };
    let data = tempfile::tempdir().unwrap();
    let mut args: Vec<String> = ["generate", "--prompt", "secret audit", "--json", "--provider", kind.id(), "--base-url", &base]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.extend(extra_args(scenario).iter().map(|s| s.to_string()));
    args.extend(more);
    let (stdout, stderr) = easel(data.path(), args.clone()).await;
    let what = format!("{} / {scenario} / {args:?}", kind.id());
    assert_clean(&format!("stdout of {what}"), &stdout);
    assert_clean(&format!("stderr of {what}"), &stderr);
    assert!(!stdout.is_empty(), "{what}: the run said something");

    // The exported report and every curl command, from the library's records.
    let store = Store::open(data.path()).unwrap();
    let jobs = store.recent_jobs(100).unwrap();
    let base_url = url::Url::parse(&base).unwrap();
    for job in &jobs {
        let records = store.diagnostics_for(&job.id).unwrap();
        assert_clean(&format!("the report of {what}"), report(&records).as_bytes());
        for r in &records {
            let curl = curl_command(r, &base_url);
            assert_clean(&format!("curl of {what}"), curl.as_bytes());
            if r.request_body.is_some() && kind == ProviderKind::ModelsLab {
                assert!(curl.contains("$EASEL_API_KEY"), "{what}: {curl}");
            }
        }
    }
    drop(store);
    let out = tempfile::tempdir().unwrap();
    let (stdout, stderr) = easel(data.path(), vec!["library".into(), "export".into(), out.path().display().to_string()]).await;
    assert_clean("library export output", &stdout);
    assert_clean("library export errors", &stderr);
    assert_tree_clean(out.path());
    assert_tree_clean(data.path());
    sandbox.shutdown();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_key_is_nowhere_after_every_scenario_of_every_provider() {
    let slots = Arc::new(tokio::sync::Semaphore::new(6));
    let mut runs = Vec::new();
    for kind in ProviderKind::ALL.iter().copied() {
        for scenario in Scenario::ALL.iter().copied() {
            let slots = slots.clone();
            runs.push(tokio::spawn(async move {
                let _slot = slots.acquire().await.unwrap();
                audit(kind, scenario, Vec::new()).await;
            }));
        }
    }
    for run in runs {
        run.await.unwrap();
    }
}

/// Image-to-image and inpainting carry two more requests that hold the key: v7's upload of
/// the starting image and mask, and the image requests themselves.
#[tokio::test(flavor = "multi_thread")]
async fn the_key_is_nowhere_after_image_to_image_and_inpainting() {
    let pictures = tempfile::tempdir().unwrap();
    let start = pictures.path().join("start.png");
    image::RgbImage::from_pixel(320, 256, image::Rgb([90, 120, 200])).save(&start).unwrap();
    let mask = pictures.path().join("mask.png");
    image::GrayImage::from_pixel(320, 256, image::Luma([255])).save(&mask).unwrap();
    let (start, mask) = (start.display().to_string(), mask.display().to_string());
    let mut runs = Vec::new();
    for scenario in [Scenario::Success, Scenario::Processing, Scenario::Auth401, Scenario::Auth200, Scenario::RateLimited] {
        for (kind, model) in [(ProviderKind::ModelsLab, "sdxl"), (ProviderKind::ModelsLab, "seedream-4.5"), (ProviderKind::A1111, "")] {
            for with_mask in [false, true] {
                let mut more = vec!["--init-image".to_owned(), start.clone()];
                if with_mask {
                    more.extend(["--mask".to_owned(), mask.clone()]);
                }
                if model.is_empty() {
                    more.extend(["--width".to_owned(), "320".to_owned(), "--height".to_owned(), "256".to_owned()]);
                } else {
                    more.extend(["--model".to_owned(), model.to_owned()]);
                }
                runs.push(tokio::spawn(audit(kind, scenario, more)));
            }
        }
    }
    for run in runs {
        run.await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_crash_leaves_a_redacted_report_that_the_next_start_mentions() {
    let data = tempfile::tempdir().unwrap();
    let (stdout, stderr) = easel(data.path(), vec!["crash-test".into()]).await;
    assert_clean("the crash's stdout", &stdout);
    assert_clean("the crash's stderr", &stderr);
    let stderr = String::from_utf8_lossy(&stderr);
    assert!(stderr.contains("crash test requested") && stderr.contains("[redacted]"), "{stderr}");
    let reports = easel_engine::crash::unseen_reports(data.path());
    assert_eq!(reports.len(), 1);
    let text = std::fs::read_to_string(&reports[0]).unwrap();
    assert!(text.contains("the key in use is [redacted]"), "{text}");
    assert!(text.contains("Backtrace"));
    assert_tree_clean(data.path());

    let (_, stderr) = easel(data.path(), vec!["library".into(), "list".into()]).await;
    let stderr = String::from_utf8_lossy(&stderr);
    assert!(stderr.contains("Easel crashed last time"), "{stderr}");
    assert!(easel_engine::crash::unseen_reports(data.path()).is_empty(), "offered once");
}
