//! `flashcheck traces`: writes a model's counterexamples, `sometimes` witnesses and seeded
//! random walks as ITF files.

use crate::cli::TracesArgs;
use crate::outcome::Outcome;
use crate::registry::Registry;
use crate::report::{PropertyKind, Verdict};
use crate::trace::generate::{self, TraceRequest};
use crate::trace::{Encoding, Trace};
use anyhow::Result;
use serde_json::json;
use std::collections::BTreeMap;
use std::path::Path;

/// Runs `flashcheck traces`.
pub fn run(args: &TracesArgs, registry: &Registry) -> Result<Outcome> {
    let (constants, port) = args.model.build(registry)?;
    let request = TraceRequest {
        constants,
        count: args.count,
        depth: args.depth,
        seed: args.seed,
    };
    let written = generate::write_all_for(&port, &request, &args.out)?;
    let count = |kind: &str| written.iter().filter(|w| w.kind == kind).count();
    println!(
        "traces: {} written to {} ({} counterexample(s), {} witness(es), {} walk(s))",
        written.len(),
        args.out.display(),
        count("counterexample"),
        count("witness"),
        count("walk")
    );
    for w in &written {
        println!(
            "  {:<15} {:>3} states  {}",
            w.kind,
            w.states,
            w.path.display()
        );
    }
    Ok(Outcome::Holds)
}

/// `flashcheck tla … --traces DIR`: the report's counterexamples (from TLC's
/// `-dumpTrace json`, or tla-checker's) written as ITF. Returns the files written.
pub fn write_report_traces(
    report: &crate::report::CheckReport,
    registry: &Registry,
    out: &Path,
) -> Result<usize> {
    std::fs::create_dir_all(out)?;
    let mut written = 0;
    for p in &report.properties {
        let Some(steps) = &p.counterexample else {
            continue;
        };
        let kind = match (p.kind, p.verdict) {
            (PropertyKind::Sometimes, Verdict::Holds) => "witness",
            (_, Verdict::Violated) => "counterexample",
            _ => continue,
        };
        // The constants as `-c` arguments, as `flashcheck traces` writes them (a string value
        // loses TLA+'s quotes), so that `replay` can tell which configuration a trace is of.
        let constants = report
            .constants
            .iter()
            .map(|(k, v)| format!("-c {k}={}", v.trim_matches('"')))
            .collect::<Vec<_>>()
            .join(" ");
        let meta = BTreeMap::from([
            ("model".to_string(), json!(report.model)),
            ("engine".to_string(), json!(report.engine.as_str())),
            ("constants".to_string(), json!(constants)),
            ("kind".to_string(), json!(kind)),
            ("property".to_string(), json!(p.name)),
        ]);
        let trace = Trace::from_steps(meta, steps, p.cycle_start)
            .with_encoding(Encoding::of_name(registry, &report.model));
        trace.write(&out.join(format!("{}-{}-{kind}.itf.json", report.model, p.name)))?;
        written += 1;
    }
    Ok(written)
}
