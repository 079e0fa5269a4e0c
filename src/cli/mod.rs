//! The `connectors-csi` command line: `serve`, `demo`, `csi`, `render`, `volumes`,
//! `credential-provider`.

pub mod client;
pub mod demo;
pub mod heap;
pub mod render_cmd;
pub mod serve;
pub mod volumes;

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// Kubernetes CSI node driver that mounts Connector credential configurations into pods.
#[derive(Parser, Debug)]
#[command(name = "connectors-csi", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the CSI node driver.
    Serve(Box<serve::ServeArgs>),
    /// Show the driver working with no cluster: publish a volume from the example connectors,
    /// change a connector, watch the files update atomically, unpublish.
    Demo(demo::DemoArgs),
    /// A small CSI client for debugging a running driver over its socket.
    Csi(client::CsiArgs),
    /// Render a connector's files to stdout or a directory without mounting (for class authors).
    Render(render_cmd::RenderArgs),
    /// List the volumes a node's driver holds: pod, connectors, token, refresh times, condition
    /// (reads the state directory and asks the running driver; run on the node as root).
    Volumes(volumes::VolumesArgs),
    /// Kubelet image credential provider serving registry credentials from OCI connectors.
    CredentialProvider(crate::credprovider::CredentialProviderArgs),
}

/// Log output format.
#[derive(Clone, Copy, Debug, ValueEnum, Default, PartialEq, Eq)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// Installs the tracing subscriber (stderr). `level` is an env-filter directive.
pub fn init_logging(format: LogFormat, level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

/// Entry point used by `main`.
pub async fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Serve(args) => serve::run(*args).await,
        Command::Demo(args) => demo::run(args).await,
        Command::Csi(args) => client::run(args).await,
        Command::Render(args) => render_cmd::run(args),
        Command::Volumes(args) => volumes::run(args).await,
        Command::CredentialProvider(args) => crate::credprovider::main_entry(args).await,
    }
}
