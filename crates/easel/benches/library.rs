//! Library and gallery benchmarks, headless through egui_kittest (no GPU, no display):
//! a library of 10,000 images, then
//! - cold start: construct the window and draw its first frame;
//! - the first page of the gallery on screen;
//! - frame time while scrolling the whole gallery, top to bottom;
//! - peak RSS of the process (VmHWM);
//! - the library check (every row against its file, every file against a row).
//!
//! ```text
//! cargo bench --bench library                                            # 10,000 images
//! EASEL_BENCH_IMAGES=2000 cargo bench --bench library                    # a quicker run
//! EASEL_BENCH_IMAGES=2000 EASEL_BENCH_JOBS=10 cargo bench --bench library  # 10 jobs active
//! ```
//!
//! Prints medians and the machine it ran on. The frame time is egui's own work (layout,
//! tessellation, kittest's accessibility tree), not GPU time.
#![allow(clippy::unwrap_used)] // a benchmark stops at its first failed setup

use easel::app::{Deps, EaselApp, NoDialogs};
use easel_engine::keys::ApiKey;
use easel_engine::provider::ProviderKind;
use easel_testkit::MemoryStore;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

const KEY: &str = "bench-key-0000";
/// Side of each library image, in pixels.
const SIDE: u32 = 320;

fn main() {
    let images: usize = std::env::var("EASEL_BENCH_IMAGES").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    println!("# Easel library and gallery benchmarks\n\n{}\n", easel_testkit::bench::machine());
    let data = tempfile::tempdir().unwrap();
    let started = Instant::now();
    easel_testkit::bench::library(data.path(), images, SIDE);
    println!("Built a library of {images} images in {:.1} s (through Store::add_image).", started.elapsed().as_secs_f64());
    let checked = Instant::now();
    let report = easel_engine::store::Store::open(data.path()).unwrap().check_library().unwrap();
    assert!(report.is_clean(), "{}", report.summary());
    println!("Library check of {} rows and {} files: {:.1} ms.", report.rows, report.files, ms(checked.elapsed()));
    let rss_before = peak_rss_kib();

    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    // Twice: the first run decodes every original and writes the thumbnail cache; the second
    // reads the cached thumbnails, as every later start does.
    for run in ["first start (thumbnails decoded from the originals)", "next start (thumbnails from the disk cache)"] {
        println!("\n## {run}\n");
        measure(&runtime, data.path(), images);
    }
    let thumbs = std::fs::read_dir(data.path().join("thumbs")).map_or(0, |d| d.count());
    println!("\nThumbnails cached on disk: {thumbs}");
    println!(
        "Peak RSS (VmHWM): {:.0} MiB (after building the library: {:.0} MiB)",
        peak_rss_kib() as f64 / 1024.0,
        rss_before as f64 / 1024.0
    );
}

fn measure(runtime: &tokio::runtime::Runtime, data: &Path, images: usize) {
    // Jobs that stay active (the sandbox keeps them processing) while the gallery scrolls.
    let jobs: usize = std::env::var("EASEL_BENCH_JOBS").ok().and_then(|v| v.parse().ok()).unwrap_or(0);
    let sandbox = (jobs > 0).then(|| {
        let config = easel_sandbox::SandboxConfig::new(easel_sandbox::Scenario::ProcessingForever);
        runtime.block_on(easel_sandbox::Sandbox::start(config)).unwrap()
    });
    let deps = Deps {
        runtime: runtime.handle().clone(),
        secrets: Arc::new(MemoryStore::default()),
        dialogs: Arc::new(NoDialogs),
        data_dir: data.to_path_buf(),
        provider: ProviderKind::ModelsLab,
        base_url: sandbox.as_ref().map(|s| s.base_url()),
        env_key: Ok(Some(ApiKey::parse(KEY).unwrap())),
        api_key_header: false,
        opener: Arc::new(easel::app::XdgOpener),
        notifier: Arc::new(easel::app::NoNotifier),
    };
    let started = Instant::now();
    let mut harness = Harness::builder().with_size(egui::vec2(1280.0, 800.0)).build_eframe(|cc| EaselApp::new(cc, deps));
    harness.step();
    let cold = started.elapsed();
    // The toolbar says "500+ images" while more pages remain unread, or the whole count once it
    // has been read (which may come before the page): wait for the page's pictures themselves.
    let page = if images > easel_page() { format!("{}+ images", easel_page()) } else { format!("{images} images") };
    let counted = format!("{images} images");
    let listed = |h: &Harness<'_, EaselApp>| {
        h.query_all_by_label_contains("Image: ").next().is_some()
            && (h.query_by_label_contains(&page).is_some() || h.query_by_label_contains(&counted).is_some())
    };
    while !listed(&harness) {
        assert!(started.elapsed() < Duration::from_secs(60), "the first page never arrived");
        harness.step();
        std::thread::sleep(Duration::from_millis(1));
    }
    let first_page = started.elapsed();
    println!("Cold start to the first frame: {:.1} ms", ms(cold));
    println!("Start to the first page of the gallery listed: {:.1} ms", ms(first_page));
    if jobs > 0 {
        harness.get_by_label("Prompt").set_text_value_accesskit("an active job");
        // One press of Generate per job ("How many pictures" is a slider now).
        for _ in 0..jobs {
            harness.get_by_role_and_label(egui::accesskit::Role::Button, "Generate").click_accesskit();
            harness.run_steps(2);
        }
        let requests = || sandbox.as_ref().map_or(0, |s| s.requests().iter().filter(|r| r.path.ends_with("/text2img")).count());
        while requests() < jobs.min(5) {
            assert!(started.elapsed() < Duration::from_secs(60), "the jobs never started");
            harness.step();
            std::thread::sleep(Duration::from_millis(5));
        }
        println!("{jobs} jobs active while scrolling ({} sent, the rest queued by the concurrency limit)", requests());
    }

    // Scroll from top to bottom with the mouse wheel over the gallery.
    harness.hover_at(egui::pos2(900.0, 500.0));
    let oldest = "Image: library picture 00000 ";
    let mut frames = Vec::new();
    let scroll_start = Instant::now();
    while harness.query_by_label_contains(oldest).is_none() {
        assert!(scroll_start.elapsed() < Duration::from_secs(600), "never reached the oldest image");
        harness.event(egui::Event::MouseWheel {
            unit: egui::MouseWheelUnit::Point,
            delta: egui::vec2(0.0, -600.0),
            phase: egui::TouchPhase::Move,
            source: egui::MouseWheelSource::Wheel,
            modifiers: egui::Modifiers::NONE,
        });
        let frame = Instant::now();
        harness.step();
        frames.push(frame.elapsed());
    }
    frames.sort();
    let pick = |q: f64| ms(frames[((frames.len() - 1) as f64 * q) as usize]);
    // Then 300 frames at rest over the gallery (jobs, if any, keep counting down).
    let mut steady: Vec<Duration> = (0..300)
        .map(|_| {
            let frame = Instant::now();
            harness.step();
            frame.elapsed()
        })
        .collect();
    steady.sort();
    println!(
        "300 frames at rest{}: median {:.2} ms, p99 {:.2} ms",
        if jobs > 0 { " with the jobs active" } else { "" },
        ms(steady[150]),
        ms(steady[296])
    );
    println!(
        "Scrolling the whole gallery: {} frames in {:.1} s; frame time median {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        frames.len(),
        scroll_start.elapsed().as_secs_f64(),
        pick(0.5),
        pick(0.99),
        pick(1.0)
    );
}

/// The gallery's page size (kept in step with `src/app/library.rs`).
fn easel_page() -> usize {
    500
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Peak resident set size of this process, in KiB.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .unwrap_or(0)
}
