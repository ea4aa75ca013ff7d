//! `easel library`: list, search and export the images you have made.

use clap::Subcommand;
use easel_engine::store::{ImageFilter, Store, default_data_dir};
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
}

pub fn run(action: LibraryAction) -> i32 {
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
