//! The `easel` binary: parse the command line and hand over to the library.

use clap::Parser as _;

fn main() {
    let cli = easel::cli::Cli::parse();
    let code = easel::cli::run(cli, easel::app::run);
    std::process::exit(code);
}
