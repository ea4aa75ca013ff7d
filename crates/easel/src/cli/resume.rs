//! `easel resume`: fetch the jobs that were still being made when Easel stopped. Jobs sent
//! without an answer are listed as unknown and never resubmitted.

use super::args::{ProviderArgs, credentials};
use super::generate::finish_run;
use super::printer::Printer;
use super::runtime;
use clap::Args;
use easel_engine::error::{EngineError, ErrorCategory};
use easel_engine::{Engine, Event, JobOutcome};
use std::sync::Arc;

#[derive(Args, Debug)]
pub struct ResumeArgs {
    #[command(flatten)]
    pub provider: ProviderArgs,
    /// Print one JSON object per line, as `generate` does.
    #[arg(long)]
    pub json: bool,
}

pub fn run(ResumeArgs { provider: args, json }: &ResumeArgs) -> i32 {
    let json = *json;
    let printer = Arc::new(Printer::new(json));
    let fail = |err: EngineError| {
        printer.error(None, &err);
        err.category.exit_code()
    };
    let kind = match args.kind() {
        Ok(kind) => kind,
        Err(e) => return fail(e),
    };
    let Some(rt) = runtime() else { return 1 };
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
