//! The `flashcheck` command line. Minimal wiring on the `reference` branch: only `hw`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use flashcheck::exec::hw::{self, HwArgs};

#[derive(Debug, Parser)]
#[command(
    name = "flashcheck",
    about = "Formal verification of the Double 11 flash-sale design"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Show the CPUs, NUMA nodes, caches, huge pages and SIMD features, and the executor layout.
    Hw(HwArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut stdout = std::io::stdout().lock();
    let result = match cli.command {
        Command::Hw(args) => hw::run(&args, &mut stdout),
    };
    match result {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(error) => {
            eprintln!("flashcheck: {error}");
            ExitCode::from(2)
        }
    }
}
