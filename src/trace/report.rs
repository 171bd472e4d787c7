//! A check report's counterexamples and witnesses as ITF files, one per property, with the
//! model, engine and constants in `#meta` so that `replay` can tell what a trace is of.

use super::{Encoding, Trace, TraceError};
use crate::registry::Registry;
use crate::report::{CheckReport, PropertyKind, PropertyReport};
use crate::verdict::Verdict;
use serde_json::json;
use std::collections::BTreeMap;
use std::path::Path;

/// `flashcheck tla … --traces DIR`: the report's counterexamples (from TLC's
/// `-dumpTrace json`, or tla-checker's) written as ITF. Returns the files written.
pub fn write_report_traces(
    report: &CheckReport,
    registry: &Registry,
    out: &Path,
) -> Result<usize, TraceError> {
    create_dir(out)?;
    let mut written = 0;
    for p in &report.properties {
        let (Some(steps), Some(kind)) = (&p.counterexample, kind(p)) else {
            continue;
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

/// What a property's path is as a trace file: the witness of a `sometimes` property that
/// holds, the counterexample to one violated; `None` for anything else.
pub(super) fn kind(p: &PropertyReport) -> Option<&'static str> {
    match (p.kind, p.verdict) {
        (PropertyKind::Sometimes, Verdict::Holds) => Some("witness"),
        (_, Verdict::Violated) => Some("counterexample"),
        _ => None,
    }
}

/// Creates the trace directory `out`; the error names it.
pub(super) fn create_dir(out: &Path) -> Result<(), TraceError> {
    std::fs::create_dir_all(out).map_err(|error| TraceError::Io {
        path: out.to_path_buf(),
        error,
    })
}
