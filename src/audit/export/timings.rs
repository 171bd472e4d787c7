//! `audit-timings.md`: how long each part of the audit took (machine-dependent, kept apart
//! from the compared files).

use super::Exporter;
use crate::audit::error::AuditError;
use crate::audit::findings::{executor_name, Findings};
use std::fmt::Write as _;

/// The timings file.
#[derive(Debug, Clone, Copy)]
pub struct Timings;

impl Exporter for Timings {
    fn file_name(&self) -> &'static str {
        "audit-timings.md"
    }

    fn render(&self, found: &Findings<'_>) -> Result<String, AuditError> {
        Ok(render(found))
    }
}

fn render(found: &Findings<'_>) -> String {
    let Findings {
        engine_name,
        outcomes,
        arith,
        replays,
        growth,
        elapsed_s,
        ..
    } = *found;
    let mut t = String::from("# Audit timings (machine-dependent; not compared)\n\n");
    let _ = writeln!(
        t,
        "TLA+ engine: {engine_name}. Graphviz: {}.\n",
        crate::report::dot::graphviz_version().unwrap_or_else(|| "not found".into())
    );
    for p in growth {
        let _ = writeln!(
            t,
            "- growth inventory Users={}: Rust {:.3} s, {} {:.3} s",
            p.users,
            p.rust.elapsed_s,
            p.twin.engine.as_str(),
            p.twin.elapsed_s
        );
    }
    for o in outcomes {
        let _ = writeln!(
            t,
            "- {} {}: {:.3} s (Rust {:.3} s, {} {:.3} s)",
            o.config.model,
            o.config.shown(),
            o.elapsed_s,
            o.rust.elapsed_s,
            o.twin.engine.as_str(),
            o.twin.elapsed_s
        );
    }
    for r in &arith.runs {
        let _ = writeln!(t, "- `{}`: {:.3} s", r.command, r.elapsed_s);
    }
    for (r, seconds) in replays {
        let _ = writeln!(
            t,
            "- replay {} on {}: {seconds:.3} s",
            r.model,
            executor_name(r)
        );
    }
    let _ = writeln!(t, "\nTotal: {elapsed_s:.1} s.");
    t
}
