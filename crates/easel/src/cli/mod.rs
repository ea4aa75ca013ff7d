//! The command-line face on the engine.
//!
//! clap only splits the words: every value is handed to the engine as text and
//! checked there, so the CLI and the window explain a bad value the same way.

pub mod doctor;

use clap::{Args, Parser, Subcommand};
use easel_engine::error::{EngineError, ErrorCategory};
use easel_engine::keys::{self, KeyringStore};
use easel_engine::provider::ProviderKind;
use easel_engine::provider::openai::AuthStyle;
use easel_engine::request::SettingsDraft;
use easel_engine::store::{ImageRecord, default_data_dir};
use easel_engine::{Engine, EngineConfig, Event, EventKind, JobOutcome, JobState, ServiceSpec};
use easel_sandbox::{self as sandbox, SandboxConfig, Scenario};
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

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
    Generate(GenerateArgs),
    /// Fetch the jobs that were still being made when Easel stopped (never resubmits them).
    Resume {
        #[command(flatten)]
        provider: ProviderArgs,
        /// Print one JSON object per line, as `generate` does.
        #[arg(long)]
        json: bool,
    },
    /// Look through the images you have made.
    Library {
        #[command(subcommand)]
        action: LibraryAction,
    },
    /// Check the connection and the key.
    Doctor {
        #[command(flatten)]
        provider: ProviderArgs,
        /// Print a JSON report.
        #[arg(long)]
        json: bool,
    },
    /// Keep, show or forget the API key in the system keychain.
    Key {
        #[command(subcommand)]
        action: KeyAction,
        /// The provider the key is for.
        #[arg(long, default_value = "modelslab", global = true)]
        provider: String,
    },
    /// Crash on purpose, to check that crash reports are written (and hold no key).
    #[command(hide = true)]
    CrashTest,
    /// Serve a local test API (test patterns, no credits) on 127.0.0.1.
    Sandbox {
        /// Port to listen on (0 picks a free one).
        #[arg(long, default_value_t = 7860)]
        port: u16,
        /// How the sandbox behaves (see --list).
        #[arg(long, default_value = "success")]
        scenario: String,
        /// Jobs allowed in flight before the sandbox answers 429.
        #[arg(long, default_value_t = 5)]
        queue_limit: usize,
        /// Seconds each job takes.
        #[arg(long, default_value_t = 0.0)]
        job_seconds: f64,
        /// List the scenarios and exit.
        #[arg(long)]
        list: bool,
    },
}

/// What to do with the library.
#[derive(Subcommand, Debug, Clone)]
pub enum LibraryAction {
    /// Every image, newest first.
    List {
        #[arg(long)]
        json: bool,
        /// At most this many.
        #[arg(long, default_value_t = 1000)]
        limit: u32,
    },
    /// Images whose prompt (or model) contains these words.
    Search {
        text: String,
        #[arg(long)]
        json: bool,
        #[arg(long, default_value_t = 1000)]
        limit: u32,
    },
    /// Copy images into a folder (with their settings in each PNG).
    Export {
        dir: PathBuf,
        /// Only images matching these words.
        #[arg(long)]
        query: Option<String>,
    },
}

/// What to do with the key.
#[derive(Subcommand, Debug, Clone, Copy)]
pub enum KeyAction {
    /// Read a key from standard input (so it never shows in the process list) and save it.
    Set,
    /// Say whether a key is saved, and where it comes from (never the key itself).
    Status,
    /// Remove the saved key.
    Forget,
}

/// Which provider, and where.
#[derive(Args, Debug, Clone, Default)]
pub struct ProviderArgs {
    /// The provider: modelslab, openai or a1111.
    #[arg(long, default_value = "modelslab")]
    pub provider: String,
    /// Another server. ModelsLab: replaces scheme, host and port. OpenAI: the API root
    /// including /v1. A1111: the server root (default http://127.0.0.1:7860).
    #[arg(long)]
    pub base_url: Option<String>,
    /// OpenAI-compatible: send the key in an `api-key` header (Azure) instead of Bearer.
    #[arg(long)]
    pub api_key_header: bool,
}

impl ProviderArgs {
    fn kind(&self) -> Result<ProviderKind, EngineError> {
        ProviderKind::parse(&self.provider)
            .ok_or_else(|| usage_error(format!("Unknown provider '{}'. Use: modelslab, openai or a1111.", self.provider), "provider"))
    }

    /// The service these flags name, for a provider already checked.
    fn service(&self, kind: ProviderKind) -> ServiceSpec {
        ServiceSpec { kind, base_url: self.base_url.clone(), openai_auth: AuthStyle::from_flag(self.api_key_header) }
    }

    fn config(&self, kind: ProviderKind) -> EngineConfig {
        self.service(kind).config(default_data_dir())
    }
}

/// The service the flags name (an unknown provider is a usage error).
impl TryFrom<&ProviderArgs> for ServiceSpec {
    type Error = EngineError;
    fn try_from(args: &ProviderArgs) -> Result<Self, EngineError> {
        Ok(args.service(args.kind()?))
    }
}

/// The key for `kind`, or none for a server that needs none (A1111 without --api-auth).
fn credentials(kind: ProviderKind) -> Result<Option<keys::ApiKey>, EngineError> {
    Ok(keys::find_key(kind.id(), kind.needs_key(), &KeyringStore)?.map(|(key, _)| key))
}

#[derive(Args, Debug)]
pub struct GenerateArgs {
    #[command(flatten)]
    pub provider: ProviderArgs,
    /// What to make.
    #[arg(long)]
    pub prompt: String,
    #[arg(long)]
    pub model: Option<String>,
    /// Tried once if the model fails with server errors.
    #[arg(long)]
    pub fallback_model: Option<String>,
    #[arg(long)]
    pub negative_prompt: Option<String>,
    #[arg(long)]
    pub width: Option<String>,
    #[arg(long)]
    pub height: Option<String>,
    /// Images per request.
    #[arg(long)]
    pub samples: Option<String>,
    #[arg(long)]
    pub steps: Option<String>,
    #[arg(long)]
    pub guidance: Option<String>,
    /// A whole number, or "random".
    #[arg(long, allow_hyphen_values = true)]
    pub seed: Option<String>,
    /// Separate jobs with different seeds, to pick from.
    #[arg(long)]
    pub candidates: Option<String>,
    /// For models that take an aspect ratio (ModelsLab v7): 1:1, 16:9, 9:16, 4:3, 3:4, 3:2, 2:3.
    #[arg(long)]
    pub aspect_ratio: Option<String>,
    /// Start from this image (image-to-image): PNG, JPEG or WebP.
    #[arg(long)]
    pub init_image: Option<PathBuf>,
    /// How far to move away from the starting image, 0 to 1 (default 0.7).
    #[arg(long)]
    pub strength: Option<String>,
    /// Repaint only part of the starting image (inpainting): a mask image of the same size,
    /// white where the picture should change and black where it should stay.
    #[arg(long, requires = "init_image")]
    pub mask: Option<PathBuf>,
    /// Jobs in flight at once.
    #[arg(long)]
    pub concurrency: Option<String>,
    /// Seconds each HTTP attempt may take (default depends on the model: 60 or 120).
    #[arg(long)]
    pub timeout: Option<String>,
    /// Seconds to keep polling a processing job (default 600).
    #[arg(long, hide = true)]
    pub deadline: Option<String>,
    /// Also copy the finished images into this folder.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print one JSON object per line.
    #[arg(long)]
    pub json: bool,
}

/// Run the CLI; returns the process exit code. `gui` is how `easel`/`easel gui` open the window.
pub fn run(cli: Cli, gui: impl FnOnce(ProviderArgs) -> i32) -> i32 {
    let data_dir = default_data_dir();
    easel_engine::crash::install_panic_hook(&data_dir);
    // The window offers unseen crash reports itself; the command line mentions them once.
    if !matches!(cli.command, None | Some(Command::Gui(_)) | Some(Command::Sandbox { .. })) {
        for report in easel_engine::crash::unseen_reports(&data_dir) {
            eprintln!("Easel crashed last time. The report (your key removed) is at {}", report.display());
            let _ = easel_engine::crash::mark_seen(&report);
        }
    }
    match cli.command {
        None => gui(ProviderArgs { provider: "modelslab".into(), ..Default::default() }),
        Some(Command::Gui(args)) => gui(args),
        Some(Command::Generate(args)) => generate(args),
        Some(Command::Doctor { provider, json }) => doctor::run(&provider, json),
        Some(Command::Key { action, provider }) => key_command(action, &provider),
        Some(Command::Resume { provider, json }) => resume(&provider, json),
        Some(Command::CrashTest) => {
            let key = keys::key_from_env().ok().flatten();
            let key_text = key.as_ref().map_or("(no key)", |k| k.expose());
            panic!("crash test requested; the key in use is {key_text}");
        }
        Some(Command::Library { action }) => library(action),
        Some(Command::Sandbox { port, scenario, queue_limit, job_seconds, list }) => {
            run_sandbox(port, &scenario, queue_limit, job_seconds, list)
        }
    }
}

/// A tokio runtime for one command.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime can be built")
}

fn key_command(action: KeyAction, provider: &str) -> i32 {
    use easel_engine::keys::{ApiKey, SecretStore};
    let Some(kind) = ProviderKind::parse(provider) else {
        eprintln!("Unknown provider '{provider}'. Use: modelslab, openai or a1111.");
        return 2;
    };
    let store = KeyringStore;
    let id = kind.id();
    match action {
        KeyAction::Set => {
            let mut raw = String::new();
            if let Err(e) = std::io::stdin().read_line(&mut raw) {
                eprintln!("Could not read the key from standard input: {e}");
                return 1;
            }
            let key = match ApiKey::parse(&raw) {
                Ok(k) => k,
                Err(problem) => {
                    eprintln!("{problem}");
                    return ErrorCategory::Auth.exit_code();
                }
            };
            match store.set(id, &key) {
                Ok(()) => {
                    println!("Saved the {} key ({}) in the system keychain.", kind.label(), key.last_four());
                    0
                }
                Err(e) => {
                    eprintln!("{e} The key was NOT saved. You can set {} for this session instead.", keys::KEY_ENV);
                    1
                }
            }
        }
        KeyAction::Status => {
            if let Ok(Some(key)) = keys::key_from_env() {
                println!("Using {} from {} (this session only).", key.last_four(), keys::KEY_ENV);
            }
            match store.get(id) {
                Ok(Some(key)) => {
                    println!("A {} key ({}) is saved in the system keychain.", kind.label(), key.last_four());
                    0
                }
                Ok(None) => {
                    println!("No {} key is saved in the system keychain.", kind.label());
                    ErrorCategory::Auth.exit_code()
                }
                Err(e) => {
                    eprintln!("{e}");
                    1
                }
            }
        }
        KeyAction::Forget => match store.delete(id) {
            Ok(()) => {
                println!("The {} key is no longer in the system keychain.", kind.label());
                0
            }
            Err(e) => {
                eprintln!("{e}");
                1
            }
        },
    }
}

fn run_sandbox(port: u16, scenario: &str, queue_limit: usize, job_seconds: f64, list: bool) -> i32 {
    if list {
        for s in Scenario::ALL {
            println!("{:<22} {}", s.name(), s.description());
        }
        return 0;
    }
    let scenario: Scenario = match scenario.parse() {
        Ok(s) => s,
        Err(why) => {
            eprintln!("{why}");
            return 2;
        }
    };
    let mut config = SandboxConfig::new(scenario);
    config.port = port;
    config.queue_limit = queue_limit.max(1);
    config.job_duration = Duration::from_secs_f64(job_seconds.clamp(0.0, 3600.0));
    match runtime().block_on(sandbox::serve_forever(config)) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("The sandbox could not start: {e}");
            1
        }
    }
}

/// Prints events as they come, human or JSON.
struct Printer {
    json: bool,
    out: Mutex<std::io::Stdout>,
}

impl Printer {
    fn json_line(&self, value: &serde_json::Value) {
        if let Ok(mut out) = self.out.lock() {
            let _ = writeln!(out, "{value}");
            let _ = out.flush();
        }
    }

    fn event(&self, event: &Event) {
        if self.json {
            // The documented events; job states are for the window's job list.
            if matches!(event.kind, EventKind::State(_) | EventKind::Finished { .. }) {
                return;
            }
            if let Ok(value) = serde_json::to_value(event) {
                self.json_line(&value);
            }
            return;
        }
        let job = event.job.as_deref().unwrap_or_default();
        let short = &job[job.len().saturating_sub(4)..];
        match &event.kind {
            EventKind::State(JobState::Uploading) => eprintln!("[{short}] uploading the start image…"),
            EventKind::State(JobState::Sending { attempt }) => eprintln!("[{short}] sending (attempt {attempt})…"),
            EventKind::State(JobState::Downloading { index, total }) => eprintln!("[{short}] downloading {index}/{total}…"),
            EventKind::Wait { seconds, reason, .. } => eprintln!("[{short}] waiting {seconds:.1} s ({})", reason.label()),
            EventKind::Fallback { message, .. } => eprintln!("[{short}] {message}"),
            EventKind::Image(image) => eprintln!("[{short}] saved {}", image.path.display()),
            _ => {}
        }
    }

    fn error(&self, job: Option<&str>, err: &EngineError) {
        if self.json {
            let mut value = serde_json::to_value(err).unwrap_or_default();
            if let Some(obj) = value.as_object_mut() {
                obj.insert("event".into(), "error".into());
                if let Some(job) = job {
                    obj.insert("job".into(), job.into());
                }
            }
            self.json_line(&value);
        } else {
            eprintln!("Error ({}): {}", err.category, err.describe());
        }
    }
}

fn usage_error(message: String, field: &str) -> EngineError {
    let mut fields = easel_engine::error::FieldErrors::new();
    fields.insert(field.to_owned(), vec![message.clone()]);
    EngineError::new(ErrorCategory::Validation).with_message(message).with_fields(fields)
}

fn generate(args: GenerateArgs) -> i32 {
    let printer = Arc::new(Printer { json: args.json, out: Mutex::new(std::io::stdout()) });
    let fail = |err: EngineError| {
        printer.error(None, &err);
        err.category.exit_code()
    };
    let kind = match args.provider.kind() {
        Ok(kind) => kind,
        Err(e) => return fail(e),
    };
    let defaults = SettingsDraft::default();
    let mut draft = SettingsDraft {
        prompt: args.prompt.clone(),
        negative_prompt: args.negative_prompt.clone().unwrap_or(defaults.negative_prompt),
        model: args.model.clone().unwrap_or_default(),
        fallback_model: args.fallback_model.clone().unwrap_or_default(),
        width: args.width.clone().unwrap_or(defaults.width),
        height: args.height.clone().unwrap_or(defaults.height),
        samples: args.samples.clone().unwrap_or(defaults.samples),
        steps: args.steps.clone().unwrap_or(defaults.steps),
        guidance: args.guidance.clone().unwrap_or(defaults.guidance),
        seed: args.seed.clone().unwrap_or_default(),
        candidates: args.candidates.clone().unwrap_or(defaults.candidates),
        aspect_ratio: args.aspect_ratio.clone().unwrap_or(defaults.aspect_ratio),
        init_image: args.init_image.as_ref().map(|p| p.display().to_string()).unwrap_or_default(),
        strength: args.strength.clone().unwrap_or(defaults.strength),
        mask_image: args.mask.as_ref().map(|p| p.display().to_string()).unwrap_or_default(),
    };
    let mut config = args.provider.config(kind);
    let mut bad = easel_engine::error::FieldErrors::new();
    let mut seconds = |text: &Option<String>, field: &str, max: f64| -> Option<Duration> {
        let text = text.as_deref()?;
        match text.trim().parse::<f64>() {
            Ok(s) if s > 0.0 && s <= max => Some(Duration::from_secs_f64(s)),
            _ => {
                bad.insert(field.into(), vec![format!("{field} must be a number of seconds from 1 to {max}.")]);
                None
            }
        }
    };
    config.timeout = seconds(&args.timeout, "timeout", 3600.0);
    if let Some(d) = seconds(&args.deadline, "deadline", 86_400.0) {
        config.policy.processing_deadline = d;
    }
    if let Some(c) = &args.concurrency {
        match c.trim().parse::<usize>() {
            Ok(n) if (1..=16).contains(&n) => config.concurrency = n,
            _ => {
                bad.insert("concurrency".into(), vec!["Concurrency must be a whole number from 1 to 16.".into()]);
            }
        }
    }

    let rt = runtime();
    let _guard = rt.enter();
    let sink_printer = printer.clone();
    let engine = match Engine::new(config, Arc::new(move |e: Event| sink_printer.event(&e))) {
        Ok(engine) => engine,
        Err(e) => return fail(e),
    };
    if args.model.is_none() {
        draft.model = engine.provider().default_model().to_owned();
    }
    let caps = engine.provider().capabilities(draft.model.trim());
    // Without a size, use the model's first preset (OpenAI models make only a few sizes).
    if let (None, None, Some((w, h))) = (&args.width, &args.height, caps.size_presets.first()) {
        draft.width = w.to_string();
        draft.height = h.to_string();
    }
    let valid = match draft.validate(&caps) {
        Ok(v) if bad.is_empty() => v,
        Ok(_) => {
            return fail(
                EngineError::new(ErrorCategory::Validation)
                    .with_message("Some settings need fixing before anything is sent.")
                    .with_fields(bad),
            );
        }
        Err(mut e) => {
            e.fields.extend(bad);
            return fail(e);
        }
    };
    // The key is looked up only once the request is known to be valid.
    let key = match credentials(kind) {
        Ok(key) => key,
        Err(e) => return fail(e),
    };

    let outcomes = rt.block_on(engine.run(valid, key));
    finish_run(&printer, &outcomes, args.out.as_deref())
}

/// Report how the jobs ended, copy images to `out`, and return the exit code of the worst failure.
fn finish_run(printer: &Printer, outcomes: &[JobOutcome], out: Option<&std::path::Path>) -> i32 {
    let mut images: Vec<ImageRecord> = Vec::new();
    let mut worst: Option<ErrorCategory> = None;
    for outcome in outcomes {
        images.extend(outcome.images.iter().cloned());
        if let Some(err) = &outcome.error {
            if !printer.json {
                printer.error(Some(&outcome.job), err);
            }
            worst = Some(match worst {
                Some(w) if w.severity() >= err.category.severity() => w,
                _ => err.category,
            });
        }
    }
    let mut copy_failed = None;
    let mut copies = Vec::new();
    if let Some(dir) = out {
        let options = easel_engine::export::SaveOptions::default();
        for result in easel_engine::export::save_many(&images, dir, &options) {
            match result {
                Ok(path) => copies.push(path),
                Err(e) => copy_failed = Some(e),
            }
        }
    }
    let exit_code = match (worst, &copy_failed) {
        (Some(category), _) => category.exit_code(),
        (None, Some(_)) => 1,
        (None, None) => 0,
    };
    if let Some(e) = &copy_failed {
        printer.error(
            None,
            &EngineError::new(ErrorCategory::Network)
                .with_message("Some images could not be copied to the --out folder (they are safe in the library).")
                .with_hint("Check that the folder exists and is writable.")
                .with_detail(e.to_string()),
        );
    }
    let failed = outcomes.iter().filter(|o| o.error.is_some()).count();
    if printer.json {
        printer.json_line(&serde_json::json!({
            "event": "done",
            "images": images.len(),
            "failed": failed,
            "jobs": outcomes.len(),
            "exit_code": exit_code,
            "copies": copies,
        }));
    } else {
        println!("{} image(s) saved, {failed} of {} job(s) failed.", images.len(), outcomes.len());
        for image in &images {
            let seed = image.seed.map_or("random".to_owned(), |s| s.to_string());
            let cached = if image.cached { ", from the library" } else { "" };
            println!("  {} ({}×{}, seed {seed}{cached})", image.path.display(), image.width, image.height);
        }
        for copy in &copies {
            println!("  copied to {}", copy.display());
        }
    }
    exit_code
}

fn resume(args: &ProviderArgs, json: bool) -> i32 {
    let printer = Arc::new(Printer { json, out: Mutex::new(std::io::stdout()) });
    let fail = |err: EngineError| {
        printer.error(None, &err);
        err.category.exit_code()
    };
    let kind = match args.kind() {
        Ok(kind) => kind,
        Err(e) => return fail(e),
    };
    let rt = runtime();
    let _guard = rt.enter();
    let config = args.config(kind);
    let sink_printer = printer.clone();
    let engine = match Engine::new(config, Arc::new(move |e: Event| sink_printer.event(&e))) {
        Ok(engine) => engine,
        Err(e) => return fail(e),
    };
    let key = match credentials(kind) {
        Ok(key) => key,
        Err(e) => return fail(e),
    };
    let report = match engine.resume(key) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    if !json {
        println!(
            "Resuming {} job(s); {} unknown (not resubmitted), {} never sent, {} for another server.",
            report.resumed.len(),
            report.unknown.len(),
            report.cancelled.len(),
            report.other_servers
        );
    }
    let mut outcomes = Vec::new();
    for (id, handle) in report.resumed {
        outcomes.push(rt.block_on(handle).unwrap_or_else(|_| JobOutcome {
            job: id,
            images: Vec::new(),
            error: Some(EngineError::new(ErrorCategory::Cancelled)),
        }));
    }
    let code = finish_run(&printer, &outcomes, None);
    if !report.unknown.is_empty() && !json {
        println!("Unknown jobs (they may have been charged; resubmit them in the window if you want them made again):");
        for id in &report.unknown {
            println!("  {id}");
        }
    }
    code
}

fn library(action: LibraryAction) -> i32 {
    use easel_engine::store::{ImageFilter, Store};
    let store = match Store::open(&default_data_dir()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("Easel could not open its library: {e}");
            return 1;
        }
    };
    let (filter, limit, json) = match &action {
        LibraryAction::List { json, limit } => (ImageFilter::default(), *limit, *json),
        LibraryAction::Search { text, json, limit } => (ImageFilter { text: Some(text.clone()), ..Default::default() }, *limit, *json),
        LibraryAction::Export { query, .. } => (ImageFilter { text: query.clone(), ..Default::default() }, u32::MAX, false),
    };
    let images = match store.search(&filter, limit, 0) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("Easel could not read its library: {e}");
            return 1;
        }
    };
    if let LibraryAction::Export { dir, .. } = &action {
        if let Err(e) = std::fs::create_dir_all(dir) {
            eprintln!("Could not create {}: {e}", dir.display());
            return 1;
        }
        let results = easel_engine::export::save_many(&images, dir, &Default::default());
        let failed: Vec<String> = results.iter().filter_map(|r| r.as_ref().err().map(ToString::to_string)).collect();
        println!("Exported {} of {} image(s) to {}.", results.len() - failed.len(), results.len(), dir.display());
        for f in &failed {
            eprintln!("  {f}");
        }
        return i32::from(!failed.is_empty());
    }
    let mut out = std::io::stdout().lock();
    for image in &images {
        let line = if json {
            serde_json::json!({
                "path": image.path, "prompt": image.prompt, "model": image.model, "seed": image.seed,
                "created": image.created, "request_id": image.request_id, "width": image.width,
                "height": image.height, "sha256": image.sha256, "starred": image.starred, "job": image.job,
            })
            .to_string()
        } else {
            format!(
                "{}  {}  {}  seed {}  {}",
                image.created,
                image.model,
                image.path.display(),
                image.seed.map_or("random".to_owned(), |s| s.to_string()),
                image.prompt
            )
        };
        if writeln!(out, "{line}").is_err() {
            return 0; // a closed pipe (| head) is not an error
        }
    }
    0
}
