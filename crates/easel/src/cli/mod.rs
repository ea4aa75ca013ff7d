//! The command-line face on the engine: one module per command, the shared argument types in
//! `args`, and the report of `generate` and `resume` in `printer`.
//!
//! clap only splits the words: every value is handed to the engine as text and
//! checked there, so the CLI and the window explain a bad value the same way.

mod args;
pub mod doctor;
pub mod generate;
pub mod key;
pub mod library;
mod printer;
pub mod resume;
pub mod sandbox;
mod targets;

pub use args::ProviderArgs;

use clap::{Parser, Subcommand};
use easel_engine::keys;
use easel_engine::provider::ProviderKind;
use easel_engine::store::default_data_dir;

/// Easel: make images through hosted image-generation APIs.
#[derive(Parser, Debug)]
#[command(name = "easel", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
#[allow(clippy::large_enum_variant)] // parsed once per run
pub enum Command {
    /// Open the window (the default with no command).
    Gui(ProviderArgs),
    /// Generate images from a prompt.
    Generate(generate::GenerateArgs),
    /// Fetch the jobs that were still being made when Easel stopped (never resubmits them).
    Resume(resume::ResumeArgs),
    /// Look through the images you have made.
    Library {
        #[command(subcommand)]
        action: library::LibraryAction,
    },
    /// Check the connection and the key.
    Doctor(doctor::DoctorArgs),
    /// Keep, show or forget the API key in the system keychain.
    Key(key::KeyArgs),
    /// Crash on purpose, to check that crash reports are written (and hold no key).
    #[command(hide = true)]
    CrashTest,
    /// Serve a local test API (test patterns, no credits) on 127.0.0.1.
    Sandbox(sandbox::SandboxArgs),
}

/// How `easel` and `easel gui` open the window: on this provider, at this server (`None`: the
/// usual one), with the key in an `api-key` header or not. Returns the exit code.
pub type OpenWindow = fn(ProviderKind, Option<String>, bool) -> i32;

/// Run the CLI; returns the process exit code. `gui` opens the window ([`crate::app::run`]).
pub fn run(cli: Cli, gui: OpenWindow) -> i32 {
    let data_dir = default_data_dir();
    easel_engine::crash::install_panic_hook(&data_dir);
    // The window offers unseen crash reports itself; the command line mentions them once.
    if !matches!(cli.command, None | Some(Command::Gui(_)) | Some(Command::Sandbox(_))) {
        for report in easel_engine::crash::unseen_reports(&data_dir) {
            eprintln!("Easel crashed last time. The report (your key removed) is at {}", report.display());
            if let Err(why) = easel_engine::crash::mark_seen(&report) {
                eprintln!("Easel could not mark that report as seen ({why}); it will mention it again next time.");
            }
        }
    }
    // Commands that use the library say so while they run; one that finds an earlier run ended
    // without saying goodbye checks the library first (the window does the same at its start).
    let _marker = match &cli.command {
        Some(Command::Generate(_) | Command::Resume(_) | Command::Library { .. }) => Some(claim_and_check(&data_dir, &cli.command)),
        _ => None,
    };
    match cli.command {
        None => gui(ProviderKind::ModelsLab, None, false),
        Some(Command::Gui(args)) => match args.kind() {
            Ok(kind) => gui(kind, args.base_url, args.api_key_header),
            Err(e) => {
                eprintln!("{}", e.message);
                2
            }
        },
        Some(Command::Generate(args)) => generate::run(args),
        Some(Command::Doctor(args)) => doctor::run(&args),
        Some(Command::Key(args)) => key::run(&args),
        Some(Command::Resume(args)) => resume::run(&args),
        Some(Command::CrashTest) => {
            let key = keys::key_from_env().ok().flatten();
            let key_text = key.as_ref().map_or("(no key)", |k| k.expose());
            panic!("crash test requested; the key in use is {key_text}");
        }
        Some(Command::Library { action }) => library::run(action),
        Some(Command::Sandbox(args)) => sandbox::run(&args),
    }
}

/// Mark the data folder in use; after a crash, check the library (unless the command is the
/// check itself) and say what it found, if anything.
fn claim_and_check(data_dir: &std::path::Path, command: &Option<Command>) -> easel_engine::store::RunMarker {
    let (marker, crashed) = easel_engine::store::RunMarker::claim(data_dir);
    let checking = matches!(command, Some(Command::Library { action: library::LibraryAction::Check { .. } }));
    if crashed && !checking {
        match easel_engine::store::Store::open(data_dir).and_then(|store| store.check_library()) {
            Ok(report) if report.is_clean() => {}
            Ok(report) => eprintln!("Easel stopped unexpectedly last time, so it checked the library: {}", report.summary()),
            Err(e) => eprintln!("Easel stopped unexpectedly last time, and checking the library failed: {e}"),
        }
    }
    marker
}

/// A tokio runtime for one command, or `None` after saying why there is none.
pub fn runtime() -> Option<tokio::runtime::Runtime> {
    match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => Some(runtime),
        Err(e) => {
            eprintln!("Easel could not start its background workers: {e}");
            None
        }
    }
}
