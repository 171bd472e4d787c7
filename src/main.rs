//! The `flashcheck` binary: parses arguments, runs the library, prints one report, and exits
//! 0 (expected properties hold), 1 (a property is violated), 2 (bad input or missing tool)
//! or 3 (a limit stopped the check).

use anyhow::Result;
use clap::Parser;
use flashcheck::catalog::{Constants, Port};
use flashcheck::check::{exhaustive::Limits, CheckOptions};
use flashcheck::cli::{CheckArgs, Cli, Command, OutputArgs};
use flashcheck::report::{json, markdown, text, CheckReport};
use std::process::ExitCode;
use std::time::Duration;

fn print_report(report: &CheckReport, output: &OutputArgs) {
    if output.json {
        println!("{}", json::render(report));
    } else if output.markdown {
        print!("{}", markdown::render(report));
    } else {
        print!("{}", text::render(report));
    }
}

fn timeout(secs: Option<f64>) -> Result<Option<Duration>> {
    secs.map(|s| {
        Duration::try_from_secs_f64(s)
            .map_err(|_| anyhow::anyhow!("--timeout {s}: not a non-negative number of seconds"))
    })
    .transpose()
}

fn run_check(args: &CheckArgs) -> Result<i32> {
    let constants = Constants::parse(args.model.model, &args.model.constants)?;
    let port = Port::build(&constants)?;
    let mut options = CheckOptions::default();
    options.threads = args.threads;
    options.limits = Limits {
        max_states: args.max_states,
        timeout: timeout(args.timeout)?,
    };
    options.liveness = !args.safety_only;
    let command = format!(
        "flashcheck check {} {}",
        args.model.model.as_str(),
        constants.as_args()
    );
    let report = port.check(args.model.model.as_str(), command, &options);
    print_report(&report, &args.output);
    Ok(report.exit_code())
}

fn run(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Check(args) => run_check(&args),
        Command::Tla(_) | Command::Cross(_) | Command::Audit(_) | Command::Bench(_) => {
            anyhow::bail!("not built yet")
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            eprintln!("flashcheck: {e:#}");
            ExitCode::from(2)
        }
    }
}
