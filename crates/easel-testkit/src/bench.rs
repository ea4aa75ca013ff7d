//! What the benchmarks share.

use easel_engine::intake::{Limits, verify};
use easel_engine::provider::ProviderKind;
use easel_engine::request::{GenerationSettings, Seed};
use easel_engine::store::{JobPhase, NewImage, NewJob, Store};
use std::path::Path;

/// Images per job, as a Generate press with 4 samples makes them.
const PER_JOB: usize = 4;

/// The machine the figures come from: CPU model, cores, memory, OS.
pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("model name")).map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned()))
        .unwrap_or_else(|| "unknown CPU".into());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| s.lines().next().map(|l| l.split_whitespace().nth(1).unwrap_or("0").parse::<u64>().unwrap_or(0)))
        .unwrap_or(0);
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("Machine: {cpu}, {cores} cores, {:.0} GiB RAM, {} {}", mem as f64 / 1048576.0, std::env::consts::OS, std::env::consts::ARCH)
}

/// A library of `count` images of `side`×`side` pixels in `dir`, made through the engine's own
/// `Store::add_image`: four images per job, half of them "flux", half "sdxl".
pub fn library(dir: &Path, count: usize, side: u32) {
    let store = Store::open(dir).unwrap();
    let limits = Limits::default();
    let base_url = ProviderKind::ModelsLab.default_base_url();
    for job in 0..count.div_ceil(PER_JOB) {
        let job_id = format!("j-bench{job:07}");
        let first = job * PER_JOB;
        let settings = GenerationSettings {
            prompt: format!("library picture {first:05} of a quiet harbour"),
            model: if job % 2 == 0 { "flux".into() } else { "sdxl".into() },
            width: side,
            height: side,
            samples: PER_JOB as u32,
            steps: 30,
            guidance: 7.5,
            seed: Seed::Random,
            ..Default::default()
        };
        let new_job = NewJob::new(&job_id, "b-bench", "modelslab", base_url, &settings);
        store.insert_job(&new_job).unwrap();
        for index in 0..PER_JOB.min(count - first) {
            let n = first + index;
            let mut settings = settings.clone();
            settings.prompt = format!("library picture {n:05} of a quiet harbour");
            let image = verify(png(n as u32, side), &limits).unwrap();
            let meta = NewImage {
                job_id: &job_id,
                batch_id: "b-bench",
                index: index as u32,
                seed: Some(n as u64),
                settings: &settings,
                provider: "modelslab",
                base_url,
                request_id: None,
                made: None,
            };
            store.add_image(&image, &meta).unwrap();
        }
        store.set_job_phase(&job_id, JobPhase::Done, None, None).unwrap();
    }
}

/// A library holding one `width`×`height` picture (an upscale, a 4K output), made through
/// `Store::add_image` with the limits enlarged pictures are kept with. Returns its file.
pub fn big_picture(dir: &Path, width: u32, height: u32) -> std::path::PathBuf {
    let store = Store::open(dir).unwrap();
    let settings = GenerationSettings {
        prompt: format!("a big picture of {width}x{height}"),
        model: "flux".into(),
        width,
        height,
        samples: 1,
        seed: Seed::Random,
        ..Default::default()
    };
    let base_url = ProviderKind::ModelsLab.default_base_url();
    store.insert_job(&NewJob::new("j-big", "b-big", "modelslab", base_url, &settings)).unwrap();
    // Detail everywhere (not one flat colour), so decoding and scaling do real work.
    let image = image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x ^ y) as u8, (x / 7) as u8, (y / 5) as u8]));
    let mut bytes = Vec::new();
    image.write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png).unwrap();
    let image = verify(bytes, &Limits::upscaled()).unwrap();
    let meta = NewImage {
        job_id: "j-big",
        batch_id: "b-big",
        index: 0,
        seed: Some(1),
        settings: &settings,
        provider: "modelslab",
        base_url,
        request_id: None,
        made: None,
    };
    let record = store.add_image(&image, &meta).unwrap();
    store.set_job_phase("j-big", JobPhase::Done, None, None).unwrap();
    record.path
}

/// A SIDE×SIDE PNG whose pixels encode `n`, so every image (and its sha256) differs. Larger
/// than a thumbnail, so thumbnails are scaled down and the texture budget is exercised.
fn png(n: u32, side: u32) -> Vec<u8> {
    let [a, b, c, _] = n.to_le_bytes();
    let image = image::RgbaImage::from_fn(side, side, |x, y| image::Rgba([a ^ (x as u8), b ^ (y as u8), c, 255]));
    let mut bytes = Vec::new();
    image.write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png).unwrap();
    bytes
}
