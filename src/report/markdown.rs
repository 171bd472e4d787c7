//! The Markdown report: the same content as the text report, as tables.

use super::table::Table;
use super::{text, CheckReport};
use crate::verdict::Subject;
use std::fmt::Write;

/// Renders `report` as a Markdown section.
pub fn render(report: &CheckReport) -> String {
    let mut out = String::new();
    let constants = report
        .constants
        .iter()
        .map(|(k, v)| format!("`{k} = {v}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let _ = writeln!(
        out,
        "### {} — {} ({constants})\n",
        report.model,
        report.engine.as_str()
    );
    let mut table = Table::new(&["property", "kind", "verdict", "meaning"]);
    for p in &report.properties {
        let note = p
            .note
            .as_deref()
            .map(|n| format!(" — *{n}*"))
            .unwrap_or_default();
        table.row([
            format!("`{}`", p.name),
            format!("{:?}", p.kind).to_lowercase(),
            format!("**{}**", p.verdict.word(Subject::Property)),
            format!("{}{note}", p.description),
        ]);
    }
    out.push_str(&table.render());
    let _ = writeln!(
        out,
        "\n{} distinct states, {} generated, depth {}, {}.\n",
        report.distinct_states,
        report.generated_states,
        report.depth,
        if report.complete {
            "complete"
        } else {
            "**incomplete** (a limit stopped the search)"
        }
    );
    for p in report.properties.iter().filter(|p| p.is_failure()) {
        if let Some(steps) = &p.counterexample {
            let _ = writeln!(out, "Counterexample to `{}`:\n\n```text", p.name);
            let mut body = String::new();
            text::render_steps(&mut body, steps, p.cycle_start);
            out.push_str(&body);
            let _ = writeln!(out, "```\n");
        }
    }
    let _ = writeln!(out, "Reproduce: `{}`\n", report.command);
    out
}
