//! The human-readable report: one line per property, the totals, then each counterexample
//! step by step (the action, then only the variables it changed) and the command that
//! reproduces it.

use super::{CheckReport, PropertyReport, Step};
use crate::verdict::Subject;
use std::fmt::Write;

fn value_text(v: &serde_json::Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// Writes `steps` with each state's changed variables only (all of them for the first).
pub fn render_steps(out: &mut String, steps: &[Step], cycle_start: Option<usize>) {
    let mut previous: Option<&Step> = None;
    for (i, step) in steps.iter().enumerate() {
        let marker = match cycle_start {
            Some(c) if i == c => "  <- cycle starts here",
            Some(_) if i + 1 == steps.len() => "  -> back to the cycle start",
            _ => "",
        };
        let _ = writeln!(out, "    {i:>3} {}{marker}", step.action);
        for (name, value) in &step.state {
            let changed = previous.is_none_or(|p| p.state.get(name) != Some(value));
            if changed {
                let _ = writeln!(out, "          {name} = {}", value_text(value));
            }
        }
        previous = Some(step);
    }
}

fn property_line(out: &mut String, p: &PropertyReport) {
    let _ = writeln!(
        out,
        "  {:<9} {:<10} {:<22} {}",
        p.verdict.word(Subject::Property),
        format!("{:?}", p.kind).to_lowercase(),
        p.name,
        p.description
    );
    if let Some(note) = &p.note {
        let _ = writeln!(out, "  {:<9} {:<10} {:<22} note: {note}", "", "", "");
    }
}

/// Renders `report` as text.
pub fn render(report: &CheckReport) -> String {
    let mut out = String::new();
    let constants = report
        .constants
        .iter()
        .map(|(k, v)| format!("{k} = {v}"))
        .collect::<Vec<_>>()
        .join(", ");
    let _ = writeln!(
        out,
        "{} (engine: {}) with {constants}",
        report.model,
        report.engine.as_str()
    );
    for p in &report.properties {
        property_line(&mut out, p);
    }
    let _ = writeln!(
        out,
        "states: {} distinct, {} generated, depth {}, {:.3} s, {:.0} distinct states/s{}",
        report.distinct_states,
        report.generated_states,
        report.depth,
        report.elapsed_s,
        report.states_per_second(),
        if report.complete {
            ""
        } else {
            " (INCOMPLETE: a limit stopped the search)"
        }
    );
    if let Some(p) = report.fingerprint_collision_probability {
        let _ = writeln!(
            out,
            "fingerprint collision probability: {p:.1e} (TLC's optimistic estimate)"
        );
    }
    for p in report.properties.iter().filter(|p| p.is_failure()) {
        if let Some(steps) = &p.counterexample {
            let kind = if p.cycle_start.is_some() {
                "lasso: the behaviour repeats its cycle forever"
            } else {
                "shortest"
            };
            let _ = writeln!(
                out,
                "\ncounterexample to {} ({kind}, {} steps):",
                p.name,
                steps.len().saturating_sub(1)
            );
            render_steps(&mut out, steps, p.cycle_start);
        }
    }
    let _ = writeln!(out, "\nreproduce: {}", report.command);
    out
}
