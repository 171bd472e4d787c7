//! The `flashcheck` binary: parses arguments, runs one subcommand, and exits 0 (expected
//! properties hold), 1 (a property is violated), 2 (bad input or missing tool) or 3 (a limit
//! stopped the check). Errors print as one line.

mod alloc;
mod commands;

use clap::Parser;
use flashcheck::cli::{Cli, Command};
use std::process::ExitCode;

/// Huge pages for large allocations (stateright's fingerprint set); see `alloc`.
#[global_allocator]
static GLOBAL: alloc::HugePageAlloc = alloc::HugePageAlloc;

fn run(cli: Cli) -> anyhow::Result<i32> {
    match cli.command {
        Command::Check(args) => commands::check::run(&args),
        Command::Tla(args) => commands::tla::run(&args),
        Command::Cross(args) => commands::cross::run(&args),
        Command::Traces(args) => commands::traces::run(&args),
        Command::Replay(args) => commands::replay::run(&args),
        Command::Arith(args) => commands::arith(&args),
        Command::Hw(args) => Ok(flashcheck::exec::hw::run(
            &args,
            &mut std::io::stdout().lock(),
        )?),
        Command::Bench(args) => commands::bench::run(&args),
        Command::Audit(args) => commands::audit::run(&args),
        Command::Explore(args) => commands::explore::run(&args),
        Command::Lincheck(args) => commands::lincheck::run(&args),
    }
}

fn main() -> ExitCode {
    // Die quietly when stdout closes early (`flashcheck ... | head`), as Unix filters do,
    // instead of panicking in println!.
    // SAFETY: called before any other thread exists; SIG_DFL is a valid disposition.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(2)),
        Err(e) => {
            eprintln!("flashcheck: {e:#}");
            ExitCode::from(2)
        }
    }
}
