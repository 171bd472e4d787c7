//! `flashcheck check`: the Rust port through flashcheck's engine (or stateright's checker).

use super::print_report;
use crate::check::{CheckOptions, NOT_CHECKED_BY_STATERIGHT, NOT_CHECKED_SAFETY_ONLY};
use crate::cli::CheckArgs;
use crate::outcome::Outcome;
use crate::registry::Registry;
use crate::report::{CheckReport, PropertyKind};
use crate::verdict::Verdict;
use anyhow::Result;
use std::time::Duration;

/// Worker threads per available core that `--threads` may ask for.
const THREADS_PER_CORE: u64 = 4;

/// `--timeout SECS` as a duration.
pub fn timeout(secs: Option<f64>) -> Result<Option<Duration>> {
    secs.map(|s| {
        Duration::try_from_secs_f64(s)
            .map_err(|_| anyhow::anyhow!("--timeout {s}: not a non-negative number of seconds"))
    })
    .transpose()
}

/// The report's outcome, except that liveness properties left unchecked on purpose
/// (`--safety-only`, `--engine stateright`) do not make a complete search undecided.
pub fn outcome(report: &CheckReport) -> Outcome {
    let skipped = |p: &crate::report::PropertyReport| {
        p.kind == PropertyKind::Eventually
            && p.verdict == Verdict::Unknown
            && matches!(
                p.note.as_deref(),
                Some(NOT_CHECKED_SAFETY_ONLY | NOT_CHECKED_BY_STATERIGHT)
            )
    };
    report.outcome_counting(|p| !skipped(p))
}

/// Runs `flashcheck check`.
pub fn run(args: &CheckArgs, registry: &Registry) -> Result<Outcome> {
    if args.cluster.processes.is_some() {
        return super::cluster::check(args, registry);
    }
    let (constants, port) = args.model.build(registry)?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
    let threads = match args.threads {
        Some(n) if n > THREADS_PER_CORE * cores => anyhow::bail!(
            "--threads {n}: at most {} on this machine ({THREADS_PER_CORE} per core)",
            THREADS_PER_CORE * cores
        ),
        Some(n) => n as usize,
        None => cores as usize,
    };
    let mut options = CheckOptions {
        threads,
        ..CheckOptions::default()
    };
    options.limits.max_states = args.max_states;
    options.limits.timeout = timeout(args.timeout)?;
    options.progress = !args.output.json && std::io::IsTerminal::is_terminal(&std::io::stderr());
    options.liveness = !args.safety_only;
    options.engine = args.engine;
    let command = args.model.reproduce("check", &constants);
    let report = port.try_check(&args.model.model, command, &options)?;
    print_report(&report, &args.output);
    Ok(outcome(&report))
}
