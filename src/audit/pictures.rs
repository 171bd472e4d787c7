//! The audit's pictures: the state-space growth chart and the §3.1 latency budget (SVG
//! written by flashcheck itself, deterministic, compared), the saga's step/compensation
//! graph and a graph of each counterexample (DOT, compared; rendered to SVG by Graphviz when
//! it is installed — that layout depends on the Graphviz version and fonts, so those SVGs
//! are not compared).

use super::error::AuditError;
use super::growth::GrowthPoint;
use super::models::ModelOutcome;
use crate::arith::design::Design;
use crate::report::dot::{counterexample_dot, render_svg, saga_dot};
use crate::report::figures::{growth_chart, latency_chart, GrowthMetric};
use crate::report::CheckReport;
use crate::specs::{SagaDefinition, Scenario};
use crate::verdict::Verdict;
use std::path::Path;

/// Where the pictures went, relative to the report directory.
#[derive(Debug)]
pub struct Figures {
    /// Distinct states against users.
    pub growth_states: String,
    /// The latency budget.
    pub latency: String,
    /// The saga graph (SVG when rendered, else DOT).
    pub saga: String,
    /// Each counterexample graph: (label, target).
    pub lassos: Vec<(String, String)>,
    /// Whether Graphviz rendered the DOT files.
    pub rendered: bool,
}

/// The growth reports with the twin's legend made engine-neutral: the committed chart must
/// not change with whether TLC or tla-checker ran (the report names the engine).
fn growth_reports(growth: &[GrowthPoint]) -> Vec<CheckReport> {
    growth
        .iter()
        .flat_map(|p| [p.rust.clone(), p.twin.clone()])
        .collect()
}

fn neutral_legend(svg: String) -> String {
    svg.replace("TLA+ twin (TLC)", "TLA+ twin")
        .replace("TLA+ twin (tla-checker)", "TLA+ twin")
}

/// The machine-dependent chart: seconds against users, both engines.
pub fn growth_time(growth: &[GrowthPoint]) -> Result<String, AuditError> {
    Ok(growth_chart(
        &growth_reports(growth),
        "Users",
        &["Deduction"],
        GrowthMetric::Seconds,
    )?
    .to_svg())
}

/// Writes `name.dot` under `dir`, and `name.svg` when Graphviz is installed; returns the
/// file to link (relative to the report directory `out`) and whether it was rendered.
fn write_graph(out: &Path, relative: &str, dot: &str) -> Result<(String, bool), AuditError> {
    let path = out.join(format!("{relative}.dot"));
    if let Some(parent) = path.parent() {
        super::error::create_dir(parent)?;
    }
    super::error::write(&path, dot)?;
    Ok(match render_svg(dot)? {
        Some(svg) => {
            super::error::write(&out.join(format!("{relative}.svg")), svg)?;
            (format!("{relative}.svg"), true)
        }
        None => (format!("{relative}.dot"), false),
    })
}

/// Writes every picture under `out/evidence/`.
pub fn write(
    out: &Path,
    scenario: &Scenario,
    saga: &SagaDefinition,
    outcomes: &[ModelOutcome],
    growth: &[GrowthPoint],
) -> Result<Figures, AuditError> {
    let growth_states = "evidence/growth-states.svg".to_string();
    let chart = growth_chart(
        &growth_reports(growth),
        "Users",
        &["Deduction"],
        GrowthMetric::DistinctStates,
    )?;
    super::error::write(&out.join(&growth_states), neutral_legend(chart.to_svg()))?;
    let latency = "evidence/latency-budget.svg".to_string();
    let spec = Design::parse(&scenario.design.text, &scenario.design.path)?;
    super::error::write(&out.join(&latency), latency_chart(&spec).to_svg())?;
    let (saga_target, mut rendered) = write_graph(out, "evidence/saga", &saga_dot(saga))?;
    let mut lassos = Vec::new();
    for o in outcomes {
        let slug = o.config.slug();
        for p in o
            .rust
            .properties
            .iter()
            .filter(|p| p.verdict == Verdict::Violated)
        {
            let Some(dot) = counterexample_dot(&o.rust, p) else {
                continue;
            };
            let (target, svg) =
                write_graph(out, &format!("evidence/models/{slug}/{}", p.name), &dot)?;
            rendered &= svg;
            lassos.push((format!("{}: `{}`", o.config.label(), p.name), target));
        }
    }
    Ok(Figures {
        growth_states,
        latency,
        saga: saga_target,
        lassos,
        rendered,
    })
}
