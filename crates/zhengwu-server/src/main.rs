//! The `zhengwu` binary: parses the command line and hands it to the library.

use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = zhengwu_server::cli::Cli::parse();
    match zhengwu_server::cli::run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("zhengwu: {e:#}");
            ExitCode::FAILURE
        }
    }
}
