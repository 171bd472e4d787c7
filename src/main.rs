//! The `flashcheck` binary: parses arguments, runs one subcommand, and turns its outcome into
//! the exit code: 0 expected properties and claims hold, 1 a property violated or a claim
//! refuted, 2 bad input or a missing tool, 3 a limit stopped the work or something could not
//! be decided ([`exit_code`]). Errors print as one line.

mod allocator;

use clap::Parser;
use flashcheck::cli::Cli;
use flashcheck::commands;
use flashcheck::outcome::Outcome;
use flashcheck::registry::Registry;
use std::process::ExitCode;

/// The one table from outcome to exit code (the README's "Exit codes"; an error is 2).
fn exit_code(outcome: Outcome) -> u8 {
    match outcome {
        Outcome::Holds => 0,
        Outcome::Refuted => 1,
        Outcome::Undecided => 3,
    }
}

/// Huge pages for large allocations (stateright's fingerprint set); see `allocator`.
#[global_allocator]
static GLOBAL: allocator::HugePageAlloc = allocator::HugePageAlloc;

fn main() -> ExitCode {
    // Die quietly when stdout closes early (`flashcheck ... | head`), as Unix filters do,
    // instead of panicking in println!.
    // SAFETY: called before any other thread exists; SIG_DFL is a valid disposition.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(&e),
    };
    match commands::run(cli, &Registry::builtin()) {
        Ok(outcome) => ExitCode::from(exit_code(outcome)),
        Err(e) => {
            eprintln!("flashcheck: {e:#}");
            // SIGINT/SIGTERM stopped a TLA+ engine: exit as a shell reports the signal.
            match e.downcast_ref::<flashcheck::tla::TlaError>() {
                Some(flashcheck::tla::TlaError::Interrupted(sig)) => {
                    ExitCode::from(u8::try_from(128 + sig).unwrap_or(130))
                }
                _ => ExitCode::from(2),
            }
        }
    }
}

/// A command-line error as one line (clap's message, its continuation lines folded in, its
/// tips dropped) plus clap's usage line as the hint; help and version print as clap prints
/// them.
fn usage_error(e: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        e.exit();
    }
    let (message, usage) = one_line(&e.render().to_string());
    eprintln!("flashcheck: {message}");
    eprintln!("{usage}");
    ExitCode::from(2)
}

/// clap's rendered error → (the message on one line, the hint line).
fn one_line(rendered: &str) -> (String, String) {
    let mut message = Vec::new();
    let mut usage = None;
    for line in rendered.lines().map(str::trim) {
        if line.is_empty() || line.starts_with("tip:") || line.starts_with("For more information") {
            continue;
        }
        if line.starts_with("Usage:") {
            usage = Some(format!("{line} (--help for more)"));
            continue;
        }
        message.push(line.strip_prefix("error: ").unwrap_or(line));
    }
    (
        message.join(" "),
        usage.unwrap_or_else(|| "For more information, try '--help'.".to_string()),
    )
}
