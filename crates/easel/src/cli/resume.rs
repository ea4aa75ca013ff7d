//! `easel resume`: pick up every job an earlier run left unfinished, each on its own service,
//! and report per service. Jobs sent without an answer are listed as unknown and never
//! resubmitted; jobs whose key is not available wait, untouched. `--provider` and `--base-url`
//! narrow it to one service.

use super::args::{credentials, usage_error};
use super::generate::finish_run;
use super::printer::Printer;
use super::runtime;
use clap::Args;
use easel_engine::error::{EngineError, ErrorCategory};
use easel_engine::provider::ProviderKind;
use easel_engine::store::default_data_dir;
use easel_engine::{Engine, Event, JobOutcome, ResumeReport, ServiceFilter, ServiceSpec};
use std::sync::Arc;

#[derive(Args, Debug)]
pub struct ResumeArgs {
    /// Only jobs of this provider: modelslab, openai or a1111.
    #[arg(long)]
    pub provider: Option<String>,
    /// Only jobs on this server.
    #[arg(long)]
    pub base_url: Option<String>,
    /// Print one JSON object per line, as `generate` does.
    #[arg(long)]
    pub json: bool,
}

impl ResumeArgs {
    fn filter(&self) -> Result<ServiceFilter, EngineError> {
        let kind = match &self.provider {
            None => None,
            Some(text) => Some(
                ProviderKind::parse(text)
                    .ok_or_else(|| usage_error(format!("Unknown provider '{text}'. Use: modelslab, openai or a1111."), "provider"))?,
            ),
        };
        Ok(ServiceFilter { kind, base_url: self.base_url.clone() })
    }
}

pub fn run(args: &ResumeArgs) -> i32 {
    let printer = Arc::new(Printer::new(args.json));
    let fail = |err: EngineError| {
        printer.error(None, &err);
        err.category.exit_code()
    };
    let filter = match args.filter() {
        Ok(filter) => filter,
        Err(e) => return fail(e),
    };
    let Some(rt) = runtime() else { return 1 };
    let _guard = rt.enter();
    // The engine's first service is only where it starts: every job runs on its own.
    let first = ServiceSpec::at(filter.kind.unwrap_or(ProviderKind::ModelsLab), filter.base_url.clone());
    let config = first.config(default_data_dir());
    let sink_printer = printer.clone();
    let engine = match Engine::new(config, Arc::new(move |e: Event| sink_printer.event(&e))) {
        Ok(engine) => engine,
        Err(e) => return fail(e),
    };
    let report = match engine.resume_with(&filter, &|service| credentials(service.spec())) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    say_per_service(&printer, &report);
    let mut outcomes = Vec::new();
    for (id, handle) in report.resumed {
        outcomes.push(rt.block_on(handle).unwrap_or_else(|_| JobOutcome {
            job: id,
            images: Vec::new(),
            error: Some(EngineError::new(ErrorCategory::Cancelled)),
        }));
    }
    let code = finish_run(&printer, &outcomes, None);
    if !report.unknown.is_empty() && !args.json {
        println!("Unknown jobs (they may have been charged; resubmit them in the window if you want them made again):");
        for id in &report.unknown {
            println!("  {id}");
        }
    }
    // Jobs that wait for their key are not lost, but they are not done either.
    match report.waiting_for_key.first() {
        Some(waiting) if code == 0 => waiting.error.category.exit_code(),
        _ => code,
    }
}

/// One line per service: what was picked up there, and what waits and why.
fn say_per_service(printer: &Printer, report: &ResumeReport) {
    for s in &report.services {
        if printer.json {
            printer.json_line(&serde_json::json!({
                "event": "resume",
                "service": s.service,
                "resumed": s.resumed,
                "unknown": s.unknown,
                "cancelled": s.cancelled,
                "waiting_for_key": s.waiting_for_key,
                "problem": s.problem,
            }));
            continue;
        }
        println!(
            "{}: resuming {} job(s); {} unknown (not resubmitted), {} never sent.",
            s.service.label, s.resumed, s.unknown, s.cancelled
        );
        if let Some(problem) = &s.problem {
            let waiting = if s.waiting_for_key > 0 { format!("{} job(s) wait: ", s.waiting_for_key) } else { String::new() };
            println!("  {waiting}{} {}", problem.message, problem.hint);
        }
    }
    if report.services.is_empty() && !printer.json {
        println!("Nothing to resume: every job has finished.");
    }
    if report.left_out > 0 && !printer.json {
        println!("{} unfinished job(s) on other services were left for a plain `easel resume`.", report.left_out);
    }
}
