//! The `connectors-csi` binary: parses the command line and runs the chosen subcommand.

use clap::Parser;

fn main() -> std::process::ExitCode {
    // Before any thread exists: one allocator arena for the process (see `cli::heap`).
    connectors_csi::cli::heap::one_arena();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("the tokio runtime starts");
    runtime.block_on(connectors_csi::cli::run(connectors_csi::cli::Cli::parse()))
}
