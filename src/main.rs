//! The `easel` binary: parse the command line and hand over to the library.

use clap::Parser as _;

fn main() {
    let cli = easel::cli::Cli::parse();
    let code = easel::cli::run(cli, |_args| {
        eprintln!("The Easel window is not part of this build yet; use `easel generate --help`.");
        1
    });
    std::process::exit(code);
}
