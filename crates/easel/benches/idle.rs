//! Idle CPU of the real window: the `easel` binary under Xvfb with software rendering, the
//! prompt box focused (clicked), the mouse parked, nothing running. CPU time is read from
//! `/proc/PID/stat` (user + system) over 10 s windows:
//! - the first 10 s after the click, while the cursor blinks (what the window did forever
//!   before it learnt to stop);
//! - the next 10 s, once the cursor has stopped: the figure that must stay under 0.5 %.
//!
//! ```text
//! cargo bench --bench idle                    # an empty library and one of 2,000 images
//! EASEL_BENCH_IMAGES=0 cargo bench --bench idle
//! EASEL_BIN=target/release/easel cargo bench --profile dev --bench idle   # that binary
//! ```
//!
//! Needs Xvfb and xdotool (tests/run.sh installs them). Without DISPLAY it starts its own
//! Xvfb; without Xvfb or xdotool it says so and measures nothing.
#![allow(clippy::unwrap_used)] // a benchmark stops at its first failed setup

use easel_sandbox::{Sandbox, SandboxConfig, Scenario};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long each measured window lasts.
const WINDOW: Duration = Duration::from_secs(10);
/// The window's size on the virtual screen.
const SIZE: (u32, u32) = (1366, 768);

fn main() {
    if !has("Xvfb") || !has("xdotool") {
        println!("SKIPPED: the idle bench needs Xvfb and xdotool (bash tests/run.sh installs them).");
        return;
    }
    println!("# Easel idle CPU\n\n{}\n", easel_testkit::bench::machine());
    let _display = own_display();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let sandbox = runtime.block_on(Sandbox::start(SandboxConfig::new(Scenario::Success))).unwrap();
    let counts: Vec<usize> = match std::env::var("EASEL_BENCH_IMAGES").ok().and_then(|v| v.parse().ok()) {
        Some(n) => vec![n],
        None => vec![0, 2000],
    };
    println!("| library | first 10 s after a click (cursor blinking) | next 10 s (cursor stopped) |");
    println!("|---|---|---|");
    for count in counts {
        let (blinking, idle) = measure(&sandbox.base_url(), count);
        println!("| {count} images | {blinking:.2} % of a core | {idle:.2} % of a core |");
    }
    println!("\nTarget: under 0.5 % of a core once the cursor has stopped.");
}

/// CPU use (% of one core) of a fresh window on a library of `count` images: while the
/// cursor blinks, then once it has stopped.
fn measure(base_url: &str, count: usize) -> (f64, f64) {
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("data");
    if count > 0 {
        easel_testkit::bench::library(&data, count, 320);
    }
    let app = Window::open(base_url, home.path(), &data);
    let id = app.id.clone();
    // Let the window settle: the gallery's first thumbnails decode, the model list arrives.
    std::thread::sleep(Duration::from_secs(4));
    xdotool(&["windowfocus", "--sync", &id]);
    // Click into the prompt box (top left), then park the mouse over the empty panel below.
    xdotool(&["mousemove", "--window", &id, "170", "80", "click", "1"]);
    xdotool(&["mousemove", "--window", &id, "170", &(SIZE.1 - 140).to_string()]);
    let blinking = cpu_percent(app.child.id(), WINDOW);
    let idle = cpu_percent(app.child.id(), WINDOW);
    app.close();
    (blinking, idle)
}

/// The real window, started on its own data folder, talking to the sandbox.
struct Window {
    child: Child,
    id: String,
}

impl Window {
    fn open(base_url: &str, home: &Path, data: &Path) -> Self {
        let bin = std::env::var_os("EASEL_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_easel").into());
        let child = x(bin)
            .args(["gui", "--base-url", base_url])
            .env("EASEL_API_KEY", "bench-key-0123456789")
            .env("EASEL_DATA_DIR", data)
            .env("XDG_DATA_HOME", home.join("xdg"))
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("LIBGL_ALWAYS_SOFTWARE", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let found = xdotool(&["search", "--sync", "--onlyvisible", "--name", "^Easel$"]);
        let id = found.lines().next().unwrap().to_owned();
        xdotool(&["windowsize", "--sync", &id, &SIZE.0.to_string(), &SIZE.1.to_string()]);
        Self { child, id }
    }

    fn close(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

/// Percent of one core the process used over `window`, from its user and system time.
fn cpu_percent(pid: u32, window: Duration) -> f64 {
    let ticks_per_second: f64 = Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0);
    let before = (cpu_ticks(pid), Instant::now());
    std::thread::sleep(window);
    let after = (cpu_ticks(pid), Instant::now());
    let seconds = (after.0 - before.0) as f64 / ticks_per_second;
    100.0 * seconds / (after.1 - before.1).as_secs_f64()
}

/// utime + stime of a process, in clock ticks (`/proc/PID/stat`, fields 14 and 15).
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    let after_name = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

fn xdotool(args: &[&str]) -> String {
    let out = x("timeout").arg("30").arg("xdotool").args(args).output().unwrap();
    assert!(out.status.success(), "xdotool {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn has(program: &str) -> bool {
    Command::new("sh").args(["-c", &format!("command -v {program}")]).stdout(Stdio::null()).status().is_ok_and(|s| s.success())
}

/// A virtual display of our own when there is none (killed when dropped). The process
/// environment is never changed (that needs `unsafe`): every child gets DISPLAY from [`x`].
fn own_display() -> Option<KillOnDrop> {
    if std::env::var_os("DISPLAY").is_some() {
        return None;
    }
    let display = format!(":{}", 80 + std::process::id() % 19);
    let screen = format!("{}x{}x24", SIZE.0 + 100, SIZE.1 + 100);
    let child = Command::new("Xvfb").args([&display, "-screen", "0", &screen, "-nolisten", "tcp"]).stderr(Stdio::null()).spawn().unwrap();
    OWN_DISPLAY.set(display).unwrap();
    std::thread::sleep(Duration::from_secs(1));
    Some(KillOnDrop(child))
}

/// The display this bench started, when it started one.
static OWN_DISPLAY: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// A command for the X display in use.
fn x(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut command = Command::new(program);
    if let Some(display) = OWN_DISPLAY.get() {
        command.env("DISPLAY", display);
    }
    command
}

struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        self.0.kill().unwrap();
        self.0.wait().unwrap();
    }
}
