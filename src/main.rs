//! The `tenantry` binary: parse the command line, hand over to the library.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = tenantry::config::Cli::parse();
    tenantry::cli::run(cli)
}
