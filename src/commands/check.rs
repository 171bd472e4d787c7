//! `flashcheck check`: the Rust port through stateright and the liveness pass.

use super::print_report;
use anyhow::Result;
use flashcheck::catalog::build_port;
use flashcheck::check::CheckOptions;
use flashcheck::cli::CheckArgs;
use std::time::Duration;

/// `--timeout SECS` as a duration.
pub fn timeout(secs: Option<f64>) -> Result<Option<Duration>> {
    secs.map(|s| {
        Duration::try_from_secs_f64(s)
            .map_err(|_| anyhow::anyhow!("--timeout {s}: not a non-negative number of seconds"))
    })
    .transpose()
}

/// Runs `flashcheck check`.
pub fn run(args: &CheckArgs) -> Result<i32> {
    if args.cluster.processes.is_some() {
        return super::cluster::check(args);
    }
    let (constants, port) = build_port(
        args.model.model,
        &args.model.constants,
        args.model.saga.as_deref(),
    )?;
    let mut options = CheckOptions::default();
    options.threads = match args.threads {
        Some(n) => n as usize,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    options.limits.max_states = args.max_states;
    options.limits.timeout = timeout(args.timeout)?;
    options.progress = !args.output.json && std::io::IsTerminal::is_terminal(&std::io::stderr());
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
