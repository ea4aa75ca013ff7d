//! `easel sandbox`: serve the local imitation of the services on 127.0.0.1 (test patterns,
//! no credits), in one of its scenarios.

use super::runtime;
use clap::Args;
use easel_sandbox::{self as sandbox, SandboxConfig, Scenario};
use std::time::Duration;

#[derive(Args, Debug)]
pub struct SandboxArgs {
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 7860)]
    pub port: u16,
    /// How the sandbox behaves (see --list).
    #[arg(long, default_value = "success")]
    pub scenario: String,
    /// Jobs allowed in flight before the sandbox answers 429.
    #[arg(long, default_value_t = 5)]
    pub queue_limit: usize,
    /// Seconds each job takes.
    #[arg(long, default_value_t = 0.0)]
    pub job_seconds: f64,
    /// Fetches a queued job answers "processing" before it is ready (queued scenarios).
    #[arg(long, default_value_t = 1)]
    pub processing_polls: u32,
    /// Also serve GPT Image 1 and DALL·E 2 and 3, as an OpenAI-compatible server that still has
    /// them would (OpenAI shut them down; by default the sandbox refuses them as OpenAI does).
    #[arg(long)]
    pub legacy_openai_models: bool,
    /// List the scenarios and exit.
    #[arg(long)]
    pub list: bool,
}

pub fn run(
    &SandboxArgs { port, ref scenario, queue_limit, job_seconds, processing_polls, legacy_openai_models, list }: &SandboxArgs,
) -> i32 {
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
    config.processing_polls = processing_polls.min(1000);
    config.legacy_openai_models = legacy_openai_models;
    let Some(rt) = runtime() else { return 1 };
    match rt.block_on(sandbox::serve_forever(config)) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("The sandbox could not start: {e}");
            1
        }
    }
}
