//! The library on the command line: what each picture cost, try-on-several-models groups,
//! the library check, and a disk with no room.

use crate::cli::{easel, easel_with};
use easel_sandbox::{Sandbox, SandboxConfig, Scenario};
use easel_testkit::*;
use serde_json::Value;

async fn success() -> Sandbox {
    Sandbox::start(SandboxConfig::new(Scenario::Success)).await.unwrap()
}

fn listed(run: &crate::cli::CliRun) -> Vec<Value> {
    run.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn each_picture_made_through_the_sandbox_has_its_cost_and_today_has_a_total() {
    let sandbox = success().await;
    let data = tempfile::tempdir().unwrap();
    let base = sandbox.base_url();
    let run =
        easel(data.path(), Some(CANARY_KEY), &["generate", "--prompt", "two boats", "--samples", "2", "--base-url", &base, "--json"]).await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    let cost = run.event("cost");
    assert_eq!((cost["source"].as_str(), cost["images"].as_u64()), (Some("balance"), Some(2)));
    let fell = 43.6 - sandbox.balance();
    assert!((cost["amount"].as_f64().unwrap() - fell).abs() < 1e-9, "the wallet fell by {fell}: {cost}");
    assert_eq!(run.event("done")["cost"]["currency"], "USD");

    let list = easel(data.path(), None, &["library", "list", "--json"]).await;
    let rows = listed(&list);
    assert_eq!(rows.len(), 2);
    for row in &rows {
        assert!((row["cost"].as_f64().expect("a numeric cost") - fell / 2.0).abs() < 1e-9, "{row}");
        assert_eq!((row["currency"].as_str(), row["cost_source"].as_str()), (Some("USD"), Some("balance")));
    }
    let costs = easel(data.path(), None, &["library", "costs", "--json"]).await;
    let totals = costs.event("costs");
    assert!((totals["today"]["spent"][0]["amount"].as_f64().unwrap() - fell).abs() < 1e-9, "{totals}");
    assert_eq!(totals["today"]["images"], 2);
    assert_eq!(totals["this_month"]["spent"], totals["today"]["spent"]);
    let human = easel(data.path(), None, &["library", "costs"]).await;
    assert!(human.stdout.starts_with("Today: $0.004, 2 picture(s)."), "{}", human.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn several_models_at_once_are_one_group_side_by_side() {
    let sandbox = success().await;
    let data = tempfile::tempdir().unwrap();
    let base = sandbox.base_url();
    let args = ["generate", "--prompt", "a lighthouse", "--model", "sdxl", "--model", "flux", "--base-url", &base, "--json"];
    let run = easel(data.path(), Some(CANARY_KEY), &args).await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    let started: Vec<&str> = run.all("started").iter().map(|e| e["model"].as_str().unwrap()).collect();
    assert_eq!(started.len(), 2, "{started:?}");
    let group = run.event("done")["group"].as_str().expect("a group").to_owned();
    let members = easel(data.path(), None, &["library", "group", &group, "--json"]).await;
    let members = listed(&members);
    assert_eq!(members.iter().map(|m| m["model"].as_str().unwrap()).collect::<Vec<_>>(), ["sdxl", "flux"], "in the order asked");
    for m in &members {
        assert_eq!(m["images"].as_array().unwrap().len(), 1);
        assert!(m["seconds"].is_number() && m["cost"]["amount"].is_number(), "each with its time and cost: {m}");
    }
    let too_many =
        ["generate", "--prompt", "x", "--base-url", &base, "--model", "a", "--model", "b", "--model", "c", "--model", "d", "--model", "e"];
    let refused = easel(data.path(), Some(CANARY_KEY), &too_many).await;
    assert_eq!(refused.code, 2, "{}", refused.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn library_check_finds_and_repairs_a_deleted_file_an_orphan_and_a_changed_file() {
    let sandbox = success().await;
    let data = tempfile::tempdir().unwrap();
    let base = sandbox.base_url();
    let run = easel(data.path(), Some(CANARY_KEY), &["generate", "--prompt", "three", "--samples", "3", "--base-url", &base]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let clean = easel(data.path(), None, &["library", "check"]).await;
    assert_eq!(clean.code, 0);
    assert!(clean.stdout.starts_with("The library is in order: 3 picture(s)"), "{}", clean.stdout);

    let rows = listed(&easel(data.path(), None, &["library", "list", "--json"]).await);
    let path = |i: usize| std::path::PathBuf::from(rows[i]["path"].as_str().unwrap());
    std::fs::remove_file(path(0)).unwrap();
    std::fs::write(path(1), b"not a picture any more").unwrap();
    // A picture with no record (as when the disk filled up between the file and its row).
    let png = {
        let mut png = Vec::new();
        image::RgbImage::from_pixel(8, 8, image::Rgb([1, 2, 3]))
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        easel_engine::intake::verify(png, &Default::default()).unwrap()
    };
    let orphan = easel_engine::intake::store(&data.path().join("images"), &png).unwrap();

    let check = easel(data.path(), None, &["library", "check", "--json"]).await;
    assert_eq!(check.code, 9, "files are missing: a storage problem, {}", check.stdout);
    let report = &check.event("check")["report"];
    let found: Vec<&str> = report["findings"].as_array().unwrap().iter().map(|f| f["found"].as_str().unwrap()).collect();
    assert!(found.contains(&"missing") && found.contains(&"changed") && found.contains(&"recovered"), "{found:?}");

    let after = listed(&easel(data.path(), None, &["library", "list", "--json"]).await);
    assert_eq!(after.len(), 4, "the orphan is in the library again");
    let by_path = |p: &std::path::Path| after.iter().find(|r| r["path"] == p.to_str().unwrap()).unwrap().clone();
    assert_eq!(by_path(&path(0))["file_problem"], "missing");
    assert_eq!(by_path(&path(1))["file_problem"], "changed");
    assert_eq!(by_path(&orphan)["recovered"], true);
    let human = easel(data.path(), None, &["library", "check"]).await;
    assert!(human.stdout.contains("1 picture file(s) missing"), "{}", human.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_disk_is_a_storage_problem_with_its_own_exit_code_and_nothing_is_sent() {
    let sandbox = success().await;
    let data = tempfile::tempdir().unwrap();
    let base = sandbox.base_url();
    let full = [(easel_engine::store::faults::FAULT_ENV, "full")];
    let run = easel_with(data.path(), Some(CANARY_KEY), &["generate", "--prompt", "no room", "--base-url", &base, "--json"], &full).await;
    assert_eq!(run.code, 9, "{}", run.stdout);
    let err = run.event("error");
    assert_eq!(err["category"], "storage");
    assert!(err["message"].as_str().unwrap().contains("The disk is full."), "{err}");
    assert!(err["hint"].as_str().unwrap().contains("disk space"), "{err}");
    assert!(!sandbox.requests().iter().any(|r| r.path.ends_with("/text2img")), "refused before sending");
    let human = easel_with(data.path(), Some(CANARY_KEY), &["generate", "--prompt", "no room", "--base-url", &base], &full).await;
    assert!(human.stderr.contains("Error (storage)"), "{}", human.stderr);
}
