//! Big pictures in the viewer, headless through egui_kittest (no GPU, no display): for a
//! 3840×2160 picture (gpt-image-2's largest) and an 8192×8192 one (the largest upscale), each
//! in a process of its own so its peak RSS is its own:
//! - open time: from the click on its thumbnail to the picture's fit texture being in place
//!   (decoded and scaled off the UI thread), and the worst frame meanwhile;
//! - frame times while zooming in to twice full resolution, dragging across the picture (tiles
//!   cut as they come into view) and zooming back out to fit;
//! - the most texture memory egui held at once, against the tile budget;
//! - peak RSS of the process (VmHWM).
//!
//! ```text
//! cargo bench --locked -p easel --bench big_picture
//! ```
//!
//! The frame time is egui's own work (layout, tessellation, kittest's accessibility tree) and
//! the texture uploads it is handed, not GPU time.
#![allow(clippy::unwrap_used)] // a benchmark stops at its first failed setup

use easel::app::{Deps, EaselApp, NoDialogs};
use easel_engine::keys::ApiKey;
use easel_engine::provider::ProviderKind;
use easel_testkit::MemoryStore;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Which size the child process measures.
const SIZE_ENV: &str = "EASEL_BENCH_BIG_PICTURE";
/// The library holding it, made by the parent process.
const DATA_ENV: &str = "EASEL_BENCH_BIG_PICTURE_DATA";
const SIZES: [(u32, u32); 2] = [(3840, 2160), (8192, 8192)];
/// Where the picture is on screen (the middle of the viewer, right of the prompt panel).
const PICTURE_MIDDLE: egui::Pos2 = egui::pos2(820.0, 430.0);

fn main() {
    if let Some((w, h)) =
        std::env::var(SIZE_ENV).ok().and_then(|v| v.split_once('x').map(|(w, h)| (w.parse().unwrap(), h.parse().unwrap())))
    {
        measure(w, h);
        return;
    }
    println!("# Easel big-picture benchmarks\n\n{}\n", easel_testkit::bench::machine());
    for (w, h) in SIZES {
        // The picture is made here, so the memory making it takes is not counted as the window's.
        let data = tempfile::tempdir().unwrap();
        let made = Instant::now();
        let path = easel_testkit::bench::big_picture(data.path(), w, h);
        let bytes = std::fs::metadata(&path).unwrap().len();
        println!("## {w}×{h}\n");
        println!("Made the picture ({:.1} MB PNG) in {:.1} s.", bytes as f64 / 1e6, made.elapsed().as_secs_f64());
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .env(SIZE_ENV, format!("{w}x{h}"))
            .env(DATA_ENV, data.path())
            .output()
            .unwrap();
        print!("{}", String::from_utf8_lossy(&out.stdout));
        assert!(out.status.success(), "the {w}×{h} run failed:\n{}", String::from_utf8_lossy(&out.stderr));
    }
}

fn measure(width: u32, height: u32) {
    let data = std::path::PathBuf::from(std::env::var_os(DATA_ENV).unwrap());
    let store = easel_engine::store::Store::open(&data).unwrap();
    let path = store.search(&Default::default(), 1, 0).unwrap().remove(0).path;
    assert_eq!(store.search(&Default::default(), 1, 0).unwrap()[0].width, width, "the {width}×{height} picture");
    drop(store);

    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let deps = Deps {
        runtime: runtime.handle().clone(),
        secrets: Arc::new(MemoryStore::default()),
        dialogs: Arc::new(NoDialogs),
        data_dir: data.clone(),
        provider: ProviderKind::ModelsLab,
        base_url: None,
        env_key: Ok(Some(ApiKey::parse("bench-key-0000").unwrap())),
        api_key_header: false,
        opener: Arc::new(easel::app::XdgOpener),
        notifier: Arc::new(easel::app::NoNotifier),
    };
    let mut harness = Harness::builder().with_size(egui::vec2(1280.0, 800.0)).build_eframe(|cc| EaselApp::new(cc, deps));
    let label = "Image: a big picture";
    let started = Instant::now();
    while harness.query_by_label_contains(label).is_none() {
        assert!(started.elapsed() < Duration::from_secs(120), "the picture never showed in the gallery");
        harness.step();
        std::thread::sleep(Duration::from_millis(1));
    }
    let rss_gallery = peak_rss_mib();

    // Open it: click, then frames until its fit texture is in place.
    let fit_name = format!("picture-{}", path.display());
    let fit_ready = |h: &Harness<'_, EaselApp>| h.ctx.tex_manager().read().allocated().any(|(_, meta)| meta.name == fit_name);
    harness.get_by_label_contains(label).click_accesskit();
    let opened = Instant::now();
    let mut opening = Vec::new();
    while !fit_ready(&harness) {
        assert!(opened.elapsed() < Duration::from_secs(120), "the picture never opened");
        opening.push(frame(&mut harness));
        std::thread::sleep(Duration::from_millis(1));
    }
    let open_time = opened.elapsed();
    let mut texture_peak = texture_bytes(&harness);

    // Zoom in about the middle to twice full resolution, drag across, zoom back out.
    harness.hover_at(PICTURE_MIDDLE);
    harness.step();
    let steps = (2.0 * width.max(height) as f32 / 900.0).ln() / 1.15f32.ln();
    let mut frames = Vec::new();
    for _ in 0..steps.ceil() as usize {
        harness.event(egui::Event::Zoom(1.15));
        frames.push(frame(&mut harness));
        texture_peak = texture_peak.max(texture_bytes(&harness));
    }
    let mut at = PICTURE_MIDDLE;
    harness.event(egui::Event::PointerButton {
        pos: at,
        button: egui::PointerButton::Primary,
        pressed: true,
        modifiers: egui::Modifiers::NONE,
    });
    for step in 0..120 {
        at += if step < 60 { egui::vec2(-6.0, -3.0) } else { egui::vec2(6.0, 3.0) };
        harness.event(egui::Event::PointerMoved(at));
        frames.push(frame(&mut harness));
        texture_peak = texture_peak.max(texture_bytes(&harness));
    }
    harness.event(egui::Event::PointerButton {
        pos: at,
        button: egui::PointerButton::Primary,
        pressed: false,
        modifiers: egui::Modifiers::NONE,
    });
    let tiles = harness.ctx.tex_manager().read().allocated().filter(|(_, meta)| meta.name.starts_with("tile-")).count();
    for _ in 0..steps.ceil() as usize {
        harness.event(egui::Event::Zoom(1.0 / 1.15));
        frames.push(frame(&mut harness));
        texture_peak = texture_peak.max(texture_bytes(&harness));
    }

    opening.sort();
    frames.sort();
    let pick = |q: f64| ms(frames[((frames.len() - 1) as f64 * q) as usize]);
    println!(
        "Open (click to the fit texture in place): {:.0} ms over {} frames, worst frame {:.2} ms",
        ms(open_time),
        opening.len(),
        ms(*opening.last().unwrap())
    );
    println!(
        "Zooming to 2× full resolution, dragging, zooming back: {} frames, median {:.2} ms, p99 {:.2} ms, worst {:.2} ms; {tiles} tiles in use when zoomed in",
        frames.len(),
        pick(0.5),
        pick(0.99),
        pick(1.0)
    );
    println!(
        "Most texture memory at once: {:.0} MiB (tile budget {} MiB, plus the fit texture and thumbnails)",
        texture_peak as f64 / 1048576.0,
        easel::app::TILE_BUDGET_BYTES >> 20
    );
    println!("Peak RSS (VmHWM): {:.0} MiB (with the gallery only: {:.0} MiB)\n", peak_rss_mib(), rss_gallery);
}

fn frame(harness: &mut Harness<'_, EaselApp>) -> Duration {
    let started = Instant::now();
    harness.step();
    started.elapsed()
}

/// Bytes of every texture egui holds now.
fn texture_bytes(harness: &Harness<'_, EaselApp>) -> usize {
    harness.ctx.tex_manager().read().allocated().map(|(_, meta)| meta.size[0] * meta.size[1] * meta.bytes_per_pixel).sum()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Peak resident set size of this process so far, in MiB.
fn peak_rss_mib() -> f64 {
    easel_testkit::peak_rss_kib().unwrap_or(0) as f64 / 1024.0
}
