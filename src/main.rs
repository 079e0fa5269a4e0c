//! The `connectors-csi` binary: parses the command line and runs the chosen subcommand.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    connectors_csi::cli::run(connectors_csi::cli::Cli::parse()).await
}
