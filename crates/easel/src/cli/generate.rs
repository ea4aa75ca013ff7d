//! `easel generate`: check the settings, send the jobs (to one model, or to up to four to try
//! the prompt on, on one service or several), report each event, the images and what they cost.

use super::args::{ProviderArgs, credentials};
use super::printer::Printer;
use super::runtime;
use super::targets::{self, MAX_MODELS};
use clap::Args;
use easel_engine::error::{EngineError, ErrorCategory, FieldErrors};
use easel_engine::request::SettingsDraft;
use easel_engine::store::ImageRecord;
use easel_engine::{Engine, Event, JobOutcome, Target};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Args, Debug)]
pub struct GenerateArgs {
    #[command(flatten)]
    pub provider: ProviderArgs,
    /// What to make.
    #[arg(long)]
    pub prompt: String,
    /// The model. Repeat it (up to 4) to try the prompt on several models side by side; a model
    /// may name its own service: `openai:gpt-image-1.5`, `modelslab:flux@http://127.0.0.1:7860`.
    #[arg(long)]
    pub model: Vec<String>,
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
    /// For models that take an aspect ratio instead of a size (ModelsLab v7), e.g. 16:9; each
    /// model takes its own set, and a ratio it does not take is refused with the list.
    #[arg(long)]
    pub aspect_ratio: Option<String>,
    /// Start from this image (image-to-image): PNG, JPEG or WebP. Repeat it for models that
    /// take several start images; the first one decides the picture's size.
    #[arg(long)]
    pub init_image: Vec<PathBuf>,
    /// How far to move away from the starting image, 0 to 1 (default 0.7).
    #[arg(long)]
    pub strength: Option<String>,
    /// Repaint only part of the starting image (inpainting): a mask image of the same size,
    /// white where the picture should change and black where it should stay.
    #[arg(long, requires = "init_image")]
    pub mask: Option<PathBuf>,
    /// OpenAI's GPT image models: low, medium, high or auto (the same as --option quality=…).
    #[arg(long)]
    pub quality: Option<String>,
    /// OpenAI's GPT image models: transparent, opaque or auto (--option background=…).
    #[arg(long)]
    pub background: Option<String>,
    /// OpenAI's GPT image models: png, webp or jpeg; the saved file keeps it (--option output_format=…).
    #[arg(long)]
    pub output_format: Option<String>,
    /// A choice only some models have, as ID=VALUE (repeatable), e.g. `--option quality=high`;
    /// `easel models` is not needed: a wrong id or value is named with the ones the model takes.
    #[arg(long = "option", value_name = "ID=VALUE")]
    pub options: Vec<String>,
    /// Let the service rewrite the prompt with words of its own (ModelsLab community models;
    /// the same as `--option enhance_prompt=yes`). Off by default: the prompt is sent as typed.
    #[arg(long)]
    pub enhance_prompt: bool,
    /// Jobs in flight at once (on the service of --provider/--base-url).
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

impl GenerateArgs {
    /// The settings as typed (the model is set per target).
    fn draft(&self, bad: &mut FieldErrors) -> SettingsDraft {
        let defaults = SettingsDraft::default();
        let mut draft = SettingsDraft {
            prompt: self.prompt.clone(),
            negative_prompt: self.negative_prompt.clone().unwrap_or(defaults.negative_prompt),
            model: String::new(),
            fallback_model: self.fallback_model.clone().unwrap_or_default(),
            width: self.width.clone().unwrap_or(defaults.width),
            height: self.height.clone().unwrap_or(defaults.height),
            samples: self.samples.clone().unwrap_or(defaults.samples),
            steps: self.steps.clone().unwrap_or(defaults.steps),
            guidance: self.guidance.clone().unwrap_or(defaults.guidance),
            seed: self.seed.clone().unwrap_or_default(),
            candidates: self.candidates.clone().unwrap_or(defaults.candidates),
            aspect_ratio: self.aspect_ratio.clone().unwrap_or(defaults.aspect_ratio),
            init_images: self.init_image.iter().map(|p| p.display().to_string()).collect(),
            strength: self.strength.clone().unwrap_or(defaults.strength),
            mask_image: self.mask.as_ref().map(|p| p.display().to_string()).unwrap_or_default(),
            options: Default::default(),
        };
        for pair in &self.options {
            match pair.split_once('=') {
                Some((id, value)) if !id.trim().is_empty() => {
                    draft.options.insert(id.trim().to_owned(), value.trim().to_owned());
                }
                _ => {
                    bad.insert("option".into(), vec![format!("--option takes ID=VALUE (for example quality=high), not '{pair}'.")]);
                }
            }
        }
        // The convenience flags are the options of the same name.
        for (id, value) in [("quality", &self.quality), ("background", &self.background), ("output_format", &self.output_format)] {
            if let Some(value) = value {
                draft.options.insert(id.to_owned(), value.trim().to_owned());
            }
        }
        if self.enhance_prompt {
            draft.options.insert("enhance_prompt".into(), "yes".into());
        }
        draft
    }
}

pub fn run(args: GenerateArgs) -> i32 {
    let printer = Arc::new(Printer::new(args.json));
    let fail = |err: EngineError| {
        printer.error(None, &err);
        err.category.exit_code()
    };
    let kind = match args.provider.kind() {
        Ok(kind) => kind,
        Err(e) => return fail(e),
    };
    let mut bad = FieldErrors::new();
    let draft = args.draft(&mut bad);
    let mut config = args.provider.config(kind);
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
    let default = config.service();
    let mut wanted = Vec::new();
    for text in args.model.iter().map(String::as_str).chain(args.model.is_empty().then_some("")) {
        match targets::parse_target(text, &default) {
            Ok(target) => wanted.push(target),
            Err(e) => bad.extend(e.fields),
        }
    }
    if wanted.len() > MAX_MODELS {
        bad.insert("model".into(), vec![format!("Try at most {MAX_MODELS} models at once.")]);
    }

    let Some(rt) = runtime() else { return 1 };
    let _guard = rt.enter();
    let sink_printer = printer.clone();
    let engine = match Engine::new(config, Arc::new(move |e: Event| sink_printer.event(&e))) {
        Ok(engine) => engine,
        Err(e) => return fail(e),
    };
    let checked = match targets::check_all(&engine, &wanted, &draft, args.width.is_some() || args.height.is_some(), args.steps.is_some()) {
        Ok(checked) if bad.is_empty() => checked,
        Ok(_) => {
            let err = EngineError::new(ErrorCategory::Validation).with_message("Some settings need fixing before anything is sent.");
            return fail(err.with_fields(bad));
        }
        Err(mut e) => {
            e.fields.extend(bad);
            return fail(e);
        }
    };
    let seed_given = args.seed.as_deref().is_some_and(|s| !s.trim().is_empty() && !s.trim().eq_ignore_ascii_case("random"));
    if seed_given && checked.iter().any(|t| !t.seeded) {
        printer.note("This service takes no seed, so the seed is not used: the same settings make a different picture each time.");
    }
    let mut notes: Vec<&str> = Vec::new();
    for note in checked.iter().flat_map(|t| t.notes.iter().copied()) {
        if !notes.contains(&note) {
            notes.push(note);
            printer.note(note);
        }
    }
    // Keys are looked up only once every request is known to be valid.
    let mut sendable = Vec::new();
    for target in checked {
        match credentials(target.service.spec()) {
            Ok(key) => sendable.push(Target { service: target.service, request: target.request, key }),
            Err(e) => return fail(e),
        }
    }
    let targets: Vec<_> = sendable.iter().map(|t| (&t.service, &t.request, t.key.as_ref())).collect();
    let mut estimate = engine.estimate(&targets);
    // With a price known, the balance is read once per service that has one, to warn when the
    // batch could cost more than is left.
    if estimate.high.is_some_and(|high| high > 0.0) {
        let mut asked: Vec<&easel_engine::Service> = Vec::new();
        for (service, _, key) in &targets {
            if service.provider().balance(*key).is_none() || asked.iter().any(|s| s.is(service)) {
                continue;
            }
            asked.push(service);
            if let Err(e) = rt.block_on(service.check_key(*key)) {
                tracing::warn!("the balance of {} could not be read before sending: {}", service.label(), e.message);
            }
        }
        estimate = engine.estimate(&targets);
    }
    printer.estimate(&estimate);
    let outcomes = rt.block_on(engine.run_group(sendable));
    finish_run(&printer, &outcomes, args.out.as_deref())
}

/// Report how the jobs ended, copy images to `out`, and return the exit code of the worst failure.
pub fn finish_run(printer: &Printer, outcomes: &[JobOutcome], out: Option<&std::path::Path>) -> i32 {
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
        (None, Some(_)) => ErrorCategory::Storage.exit_code(),
        (None, None) => 0,
    };
    if let Some(e) = &copy_failed {
        printer.error(
            None,
            &EngineError::new(ErrorCategory::Storage)
                .with_message("Some images could not be copied to the --out folder (they are safe in the library).")
                .with_hint("Check that the folder exists and is writable.")
                .with_detail(e.to_string()),
        );
    }
    let failed = outcomes.iter().filter(|o| o.error.is_some()).count();
    // Nothing made and nothing charged is not worth a figure.
    let cost = printer.spent().filter(|c| c.amount > 0.0 || !images.is_empty());
    if printer.json {
        printer.json_line(&serde_json::json!({
            "event": "done",
            "images": images.len(),
            "failed": failed,
            "jobs": outcomes.len(),
            "exit_code": exit_code,
            "copies": copies,
            "group": images.iter().find_map(|i| i.group.clone()),
            "cost": cost,
        }));
    } else {
        let spent = cost.map(|c| format!(", {}", c.text())).unwrap_or_default();
        println!("{} image(s) saved, {failed} of {} job(s) failed{spent}.", images.len(), outcomes.len());
        for image in &images {
            let seed = image.seed.map_or("random".to_owned(), |s| s.to_string());
            let cached = if image.cached { ", from the library" } else { "" };
            println!("  {} ({}×{}, {}, seed {seed}{cached})", image.path.display(), image.width, image.height, image.model);
        }
        for copy in &copies {
            println!("  copied to {}", copy.display());
        }
    }
    exit_code
}
