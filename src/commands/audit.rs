//! `flashcheck audit`: parses its arguments, runs [`crate::audit::run`], prints the summary.

use crate::audit::{self, output, AuditOptions};
use crate::cli::AuditArgs;
use crate::outcome::Outcome;
use anyhow::Result;

/// Runs the audit into `--out` and prints what it found.
pub fn run(args: &AuditArgs) -> Result<Outcome> {
    let summary = audit::run(&AuditOptions {
        out: args.out.clone(),
        quick: args.quick,
        specs: args.specs.clone(),
        engine: args.engine.engine.clone(),
        tla2tools: args.engine.tla2tools.clone(),
        workers: args.engine.workers.map(usize::from),
    })?;
    println!(
        "audit: {} claims of the document: {} hold, {} refuted, {} unknown; {} model configurations ({}), TLA+ engine {}; replay on 3 executors: {}",
        summary.claims,
        summary.holds,
        summary.refuted,
        summary.unknown,
        summary.configurations,
        if summary.models_ok {
            "each met its expectation"
        } else {
            "SOME DID NOT MEET THEIR EXPECTATION"
        },
        summary.engine_name,
        if summary.replay_ok { "conforms" } else { "FAILED" },
    );
    println!(
        "audit: wrote {}/double11-audit.md (start there), double11-audit.json, junit.xml, evidence/, audit-timings.md (listed in {})",
        args.out.display(),
        output::MANIFEST
    );
    Ok(summary.outcome)
}
