//! Engine benchmarks: client overhead against curl and the official Python SDK,
//! batch makespan under a queue limit, and intake throughput.
//!
//!     cargo bench --bench engine            (needs curl; `pip install modelslab-py` for the SDK row)
//!
//! Prints medians and the machine it ran on. Everything talks to the in-process
//! sandbox on 127.0.0.1.
#![allow(clippy::unwrap_used)] // a benchmark stops at its first failed setup

use base64::Engine as _;
use easel_engine::intake::{self, Limits};
use easel_engine::keys::ApiKey;
use easel_engine::provider::ProviderKind;
use easel_engine::request::{SettingsDraft, ValidRequest};
use easel_engine::{Engine, EngineConfig};
use easel_sandbox::{Sandbox, SandboxConfig, Scenario};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

const KEY: &str = "bench-key-0000";
const ROUNDS: usize = 40;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let _guard = rt.enter();
    println!("# Easel engine benchmarks\n\n{}\n", easel_testkit::bench::machine());
    rt.block_on(async {
        overhead().await;
        makespan().await;
    });
    intake_throughput();
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn p(v: &[f64], q: f64) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() - 1) as f64 * q).round() as usize]
}

fn request(seed: u32) -> ValidRequest {
    let d = SettingsDraft { prompt: "benchmark".into(), model: "sdxl".into(), seed: seed.to_string(), ..Default::default() };
    let caps = easel_engine::provider::modelslab::ModelsLab::new(None);
    let mut v = d.validate(&easel_engine::provider::Provider::capabilities(&caps, "sdxl")).unwrap();
    // A fresh seed each time, and never the cache: this measures the network path.
    v.candidates[0].seed_from_person = false;
    v
}

/// Per generation: POST text2img, GET the 512×512 PNG, verify, store.
async fn overhead() {
    let sandbox = Sandbox::start(SandboxConfig::new(Scenario::Success)).await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut config = EngineConfig::new(data.path().into(), ProviderKind::ModelsLab);
    config.base_url = Some(sandbox.base_url());
    let engine = Engine::new(config, Arc::new(|_| {})).unwrap();
    let key = ApiKey::parse(KEY).unwrap();
    engine.run(request(1), key.clone()).await; // warm up the connection pool and the sandbox

    // Rounds alternate between the clients, so a change in machine load hits both alike.
    let base = sandbox.base_url();
    let (mut easel_ms, mut curl_ms, mut curl_wall_ms) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..ROUNDS {
        let t = Instant::now();
        let out = engine.run(request(1000 + i as u32), key.clone()).await;
        assert!(out[0].error.is_none(), "{:?}", out[0].error);
        easel_ms.push(t.elapsed().as_secs_f64() * 1000.0);

        let body = format!(
            r#"{{"key":"{KEY}","model_id":"sdxl","prompt":"benchmark","width":512,"height":512,"samples":1,"num_inference_steps":30,"guidance_scale":7.5,"seed":{}}}"#,
            2000 + i
        );
        let t = Instant::now();
        // curl's own -w time_total excludes starting the process; the wall time includes it.
        let out = Command::new("curl")
            .args(["-sS", "-w", "\n%{time_total}", "-X", "POST", &format!("{base}/api/v6/images/text2img")])
            .args(["-H", "Content-Type: application/json", "-d", &body])
            .output()
            .expect("curl is installed");
        let text = String::from_utf8(out.stdout).unwrap();
        let (json, post_secs) = text.rsplit_once('\n').unwrap();
        let json: serde_json::Value = serde_json::from_str(json).unwrap();
        let url = json["output"][0].as_str().unwrap().to_owned();
        let got = Command::new("curl").args(["-sS", "-o", "/dev/null", "-w", "%{time_total}", &url]).output().unwrap();
        let get_secs: f64 = String::from_utf8(got.stdout).unwrap().trim().parse().unwrap();
        curl_wall_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        curl_ms.push((post_secs.trim().parse::<f64>().unwrap() + get_secs) * 1000.0);
    }

    let sdk = python_sdk(&base);
    let (e, c) = (median(easel_ms.clone()), median(curl_ms.clone()));
    println!("## Client overhead per generation (512×512 PNG, sandbox on 127.0.0.1, {ROUNDS} runs each)\n");
    println!("| client | median ms | p90 ms | what it includes |");
    println!("|---|---|---|---|");
    println!(
        "| Easel engine | {e:.2} | {:.2} | POST, GET, sniff, full decode under limits, sha256, atomic write + fsync, SQLite rows |",
        p(&easel_ms, 0.9)
    );
    println!("| curl, its own time_total | {c:.2} | {:.2} | POST, GET to /dev/null, as curl measures them |", p(&curl_ms, 0.9));
    println!(
        "| curl, wall time | {:.2} | {:.2} | the same, plus starting 2 curl processes |",
        median(curl_wall_ms.clone()),
        p(&curl_wall_ms, 0.9)
    );
    match sdk {
        Some(s) => println!(
            "| modelslab-py + requests | {:.2} | {:.2} | SDK POST, requests GET into memory (Python already running) |",
            median(s.clone()),
            p(&s, 0.9)
        ),
        None => println!("| modelslab-py | skipped | | `pip install modelslab-py` to include it |"),
    }
    println!("\nAdded latency of Easel over curl (median difference): {:.2} ms\n", e - c);
}

/// The official Python SDK against the sandbox: per-iteration times, Python start excluded.
fn python_sdk(base: &str) -> Option<Vec<f64>> {
    let script = format!(
        r#"
import json, time, requests
from modelslab_py.core.client import Client
from modelslab_py.core.apis.community import Community
from modelslab_py.schemas.community import Text2Image
c = Client(api_key="{KEY}")
c.base_url = "{base}/api/"
api = Community(client=c, enterprise=False)
out = []
for i in range({ROUNDS} + 1):
    t = time.perf_counter()
    r = api.text_to_image(Text2Image(prompt="benchmark", model_id="sdxl", width=512, height=512, samples=1, seed=3000 + i))
    data = requests.get(r["output"][0]).content
    assert data[:4] == b"\x89PNG"
    out.append((time.perf_counter() - t) * 1000)
print(json.dumps(out[1:]))
"#
    );
    let out = Command::new("python3").args(["-c", &script]).output().ok()?;
    if !out.status.success() {
        eprintln!("SDK run skipped: {}", String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or(""));
        return None;
    }
    serde_json::from_slice(&out.stdout).ok()
}

/// 100 jobs; the sandbox holds each for 1 s and queues at most 5. Ideal: 20 s.
async fn makespan() {
    let mut sc = SandboxConfig::new(Scenario::Success);
    sc.job_duration = Duration::from_secs(1);
    sc.queue_limit = 5;
    let sandbox = Sandbox::start(sc).await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut config = EngineConfig::new(data.path().into(), ProviderKind::ModelsLab);
    config.base_url = Some(sandbox.base_url());
    let engine = Engine::new(config, Arc::new(|_| {})).unwrap();
    let mut all = request(1);
    let one = all.candidates.remove(0);
    all.candidates = (0..100u64)
        .map(|i| {
            let mut s = one.clone();
            s.width = 256;
            s.height = 256;
            s.seed = easel_engine::request::Seed::Fixed(5000 + i);
            s
        })
        .collect();
    let t = Instant::now();
    let out = engine.run(all, ApiKey::parse(KEY).unwrap()).await;
    let total = t.elapsed().as_secs_f64();
    let failed = out.iter().filter(|o| o.error.is_some()).count();
    println!("## Batch makespan (100 jobs, 1 s each, queue limit 5, concurrency 5)\n");
    println!("| total s | ideal s | ratio | 429s provoked | failed jobs |");
    println!("|---|---|---|---|---|");
    println!("| {total:.2} | 20.00 | {:.3} | {} | {failed} |\n", total / 20.0, sandbox.rate_limited_count());
}

/// MB/s of each intake stage on 1024×1024 PNGs.
fn intake_throughput() {
    let images: Vec<Vec<u8>> = (0..8u32)
        .map(|n| {
            let img = image::RgbImage::from_fn(1024, 1024, |x, y| {
                let h = (x.wrapping_mul(2654435761) ^ y.wrapping_mul(40503) ^ n.wrapping_mul(97)) >> 7;
                image::Rgb([(x / 4) as u8 ^ (h as u8 & 15), (y / 4) as u8, ((x + y + n) / 8) as u8])
            });
            let mut out = Vec::new();
            img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png).unwrap();
            out
        })
        .collect();
    let total_mb = images.iter().map(Vec::len).sum::<usize>() as f64 / 1e6;
    let texts: Vec<String> = images.iter().map(|b| base64::engine::general_purpose::STANDARD.encode(b)).collect();
    let dir = tempfile::tempdir().unwrap();
    let limits = Limits::default();
    let stage = |name: &str, f: &dyn Fn()| {
        let runs: Vec<f64> = (0..5)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed().as_secs_f64()
            })
            .collect();
        let secs = median(runs);
        println!("| {name} | {:.0} | {:.1} |", total_mb / secs, secs * 1000.0 / images.len() as f64);
    };
    println!("## Intake throughput (8 PNGs of 1024×1024, {:.1} MB in all; median of 5)\n", total_mb);
    println!("| stage | MB/s | ms per image |");
    println!("|---|---|---|");
    stage("base64 decode", &|| {
        for t in &texts {
            intake::decode_base64_text(t, limits.max_download_bytes).unwrap();
        }
    });
    stage("sniff", &|| {
        for b in &images {
            assert!(intake::sniff(b).is_some());
        }
    });
    stage("decode-verify (limits, sha256)", &|| {
        for b in &images {
            intake::verify(b.clone(), &limits).unwrap();
        }
    });
    let verified: Vec<_> = images.iter().map(|b| intake::verify(b.clone(), &limits).unwrap()).collect();
    stage("store (atomic write + fsync)", &|| {
        for v in &verified {
            let p = dir.path().join(format!("{}.png", v.sha256));
            intake::write_atomically(&p, &v.bytes).unwrap();
        }
    });
    stage("thumbnail (decode + 256 px)", &|| {
        for b in &images {
            let _thumb = image::load_from_memory(b).unwrap().thumbnail(256, 256);
        }
    });
    println!();

    // The window validates the draft on every edit; with a start image that used to mean
    // reading, decoding and hashing it each time, on the UI thread.
    let start = dir.path().join("start.png");
    std::fs::write(&start, &images[0]).unwrap();
    let caps = easel_engine::provider::Provider::capabilities(&easel_engine::provider::modelslab::ModelsLab::new(None), "sdxl");
    let draft = SettingsDraft {
        prompt: "the same scene at night".into(),
        model: "sdxl".into(),
        init_images: vec![start.display().to_string()],
        ..SettingsDraft::default()
    };
    let t = Instant::now();
    draft.validate(&caps).unwrap();
    let first = t.elapsed().as_secs_f64() * 1000.0;
    let again: Vec<f64> = (0..200)
        .map(|_| {
            let t = Instant::now();
            draft.validate(&caps).unwrap();
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    println!(
        "## Validating a draft with a 1024×1024 start image ({:.1} MB)
",
        images[0].len() as f64 / 1e6
    );
    println!("| check | ms |");
    println!("|---|---|");
    println!("| first (reads, decodes, hashes; the window does this off the UI thread) | {first:.2} |");
    println!("| every later edit (file unchanged), median of 200 | {:.3} |", median(again));
    println!();
}
