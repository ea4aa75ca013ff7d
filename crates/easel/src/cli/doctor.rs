//! `easel doctor`: print the engine's doctor checks, as text or JSON.

use super::{ProviderArgs, runtime};
use clap::Args;
use easel_engine::Engine;
use easel_engine::doctor::{Check, checks};
use easel_engine::error::ErrorCategory;
use easel_engine::keys::{KeyringStore, find_key};
use std::sync::Arc;

#[derive(Args, Debug)]
pub struct DoctorArgs {
    #[command(flatten)]
    pub provider: ProviderArgs,
    /// Print a JSON report.
    #[arg(long)]
    pub json: bool,
}

pub fn run(DoctorArgs { provider: args, json }: &DoctorArgs) -> i32 {
    let json = *json;
    let kind = match args.kind() {
        Ok(kind) => kind,
        Err(e) => {
            eprintln!("{}", e.message);
            return 2;
        }
    };
    let Some(rt) = runtime() else { return 1 };
    let _guard = rt.enter();
    let config = args.config(kind);
    // The keyring is asked here, on this thread, before any async work.
    let key = find_key(kind.id(), kind.needs_key(), &KeyringStore);
    let checks = match Engine::new(config, Arc::new(|_| {})) {
        Ok(engine) => rt.block_on(checks(&engine, key)),
        Err(e) => vec![Check::fail("setup", &e)],
    };
    let worst = checks.iter().filter_map(|c| c.category).max_by_key(|c| c.severity()).map_or(0, ErrorCategory::exit_code);
    if json {
        let report = serde_json::json!({"event": "doctor", "provider": kind.id(), "checks": checks, "ok": worst == 0});
        println!("{report}");
    } else {
        println!("Easel doctor ({})", kind.label());
        for c in &checks {
            let mark = if c.ok { "ok  " } else { "FAIL" };
            let time = c.millis.map(|m| format!(" ({m} ms)")).unwrap_or_default();
            println!("  [{mark}] {:<6} {}{time}", c.name, c.detail);
            if let Some(h) = &c.hint {
                println!("         What to do: {h}");
            }
        }
    }
    worst
}
