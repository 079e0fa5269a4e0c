use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    connectors_csi::cli::run(connectors_csi::cli::Cli::parse()).await
}
