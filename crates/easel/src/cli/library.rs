//! `easel library`: list, search and export the images you have made, see what they cost and a
//! try-on-several-models group side by side, and check the library against its files.

use clap::Subcommand;
use easel_engine::cost::{Period, money_text};
use easel_engine::error::ErrorCategory;
use easel_engine::store::{Finding, ImageFilter, ImageRecord, Store, default_data_dir};
use serde_json::{Value, json};
use std::io::Write;
use std::path::PathBuf;

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
    /// What was spent today and this month.
    Costs {
        #[arg(long)]
        json: bool,
    },
    /// The jobs of one try-on-several-models group, side by side (the `group` of an image).
    Group {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Compare every picture with its file and every file with a picture; repair what can be
    /// repaired (a file without a record is added back, a missing or damaged file is marked).
    Check {
        #[arg(long)]
        json: bool,
    },
}

pub fn run(action: LibraryAction) -> i32 {
    let store = match Store::open(&default_data_dir()) {
        Ok(s) => s,
        Err(e) => {
            let err = easel_engine::store::storage_error(&e, "Easel could not open its library.");
            eprintln!("Error (storage): {}", err.describe());
            return err.category.exit_code();
        }
    };
    let (filter, limit, json) = match &action {
        LibraryAction::List { json, limit } => (ImageFilter::default(), *limit, *json),
        LibraryAction::Search { text, json, limit } => (ImageFilter { text: Some(text.clone()), ..Default::default() }, *limit, *json),
        LibraryAction::Export { query, .. } => (ImageFilter { text: query.clone(), ..Default::default() }, u32::MAX, false),
        LibraryAction::Costs { json } => return costs(&store, *json),
        LibraryAction::Group { id, json } => return group(&store, id, *json),
        LibraryAction::Check { json } => return check(&store, *json),
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
            image_json(image).to_string()
        } else {
            let cost = image.cost.as_ref().map_or("cost unknown".to_owned(), |c| money_text(c.amount, c.currency.as_deref()));
            format!(
                "{}  {}  {}  seed {}  {cost}  {}",
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

/// One image as `list --json` prints it: `cost` is a number (`null` when unknown).
fn image_json(image: &ImageRecord) -> Value {
    json!({
        "path": image.path, "prompt": image.prompt, "model": image.model, "seed": image.seed,
        "created": image.created, "request_id": image.request_id, "width": image.width,
        "height": image.height, "sha256": image.sha256, "starred": image.starred, "job": image.job,
        "provider": image.provider, "base_url": image.base_url, "group": image.group,
        "cost": image.cost.as_ref().map(|c| c.amount),
        "currency": image.cost.as_ref().and_then(|c| c.currency.clone()),
        "cost_source": image.cost.as_ref().map(|c| c.source),
        "recovered": image.recovered, "file_problem": image.file_problem,
    })
}

fn costs(store: &Store, json: bool) -> i32 {
    let read = store.cost_totals(Period::Today).and_then(|today| Ok((today, store.cost_totals(Period::ThisMonth)?)));
    let (today, month) = match read {
        Ok(both) => both,
        Err(e) => {
            eprintln!("Easel could not read its library: {e}");
            return 1;
        }
    };
    if json {
        println!("{}", json!({"event": "costs", "today": today, "this_month": month}));
        return 0;
    }
    for (name, t) in [("Today", &today), ("This month", &month)] {
        let spent: Vec<String> = t.spent.iter().map(|m| money_text(m.amount, m.currency.as_deref())).collect();
        let spent = if spent.is_empty() { "nothing known".to_owned() } else { spent.join(" + ") };
        let about = if t.estimated { " (partly estimated)" } else { "" };
        let unknown = if t.unknown > 0 { format!("; {} of them of unknown cost", t.unknown) } else { String::new() };
        println!("{name}: {spent}{about}, {} picture(s){unknown}.", t.images);
    }
    0
}

fn group(store: &Store, id: &str, json: bool) -> i32 {
    let members = match store.group(id) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("Easel could not read its library: {e}");
            return 1;
        }
    };
    if members.is_empty() {
        eprintln!("No group {id} in the library.");
        return ErrorCategory::Validation.exit_code();
    }
    if json {
        for m in &members {
            let images: Vec<Value> = m.images.iter().map(image_json).collect();
            println!(
                "{}",
                json!({"job": m.job, "service": m.service, "model": m.model, "state": m.state, "seconds": m.seconds,
                "cost": m.cost, "cost_source": m.cost_source, "error": m.error, "images": images})
            );
        }
        return 0;
    }
    for m in &members {
        let time = m.seconds.map_or("—".to_owned(), |s| format!("{s:.1} s"));
        let cost = m.cost.as_ref().map_or("cost unknown".to_owned(), |c| money_text(c.amount, c.currency.as_deref()));
        println!("{}  on {}  {}  {time}  {cost}  {} picture(s)", m.model, m.service, m.state.as_str(), m.images.len());
    }
    0
}

/// One finding of the check, in a line.
fn describe(finding: &Finding) -> String {
    match finding {
        Finding::Missing { path, .. } => format!("missing: {}", path.display()),
        Finding::Changed { path, .. } => format!("damaged or replaced: {}", path.display()),
        Finding::Restored { path, .. } => format!("back in place: {}", path.display()),
        Finding::Recovered { path, .. } => format!("added back as recovered: {}", path.display()),
        Finding::Unreadable { path, why } => format!("not a picture ({why}): {}", path.display()),
        Finding::Duplicate { path } => format!("an extra copy: {}", path.display()),
    }
}

fn check(store: &Store, json: bool) -> i32 {
    let report = match store.check_library() {
        Ok(r) => r,
        Err(e) => {
            let err = easel_engine::store::storage_error(&e, "Easel could not check its library.");
            eprintln!("Error (storage): {}", err.describe());
            return err.category.exit_code();
        }
    };
    if json {
        println!("{}", json!({"event": "check", "summary": report.summary(), "report": report}));
    } else {
        println!("{}", report.summary());
        for finding in &report.findings {
            println!("  {}", describe(finding));
        }
    }
    if report.needs_attention() { ErrorCategory::Storage.exit_code() } else { 0 }
}
