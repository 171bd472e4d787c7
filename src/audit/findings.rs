//! Everything one audit found, gathered once for the exporters: the claim rows, the model
//! outcomes, z3's runs, the replays, the growth series and the pictures.

use super::arith::ArithOutcome;
use super::configs::Expect;
use super::growth::GrowthPoint;
use super::models::ModelOutcome;
use super::pictures::Figures;
use super::replay::ReplayRow;
use super::verdicts::ClaimRow;
use crate::replay::driver::ReplayReport;
use crate::report::CheckReport;
use crate::specs::Scenario;

/// Everything the audit found, for the exporters.
#[derive(Debug)]
pub struct Findings<'a> {
    /// The design document as the report links it.
    pub document_link: &'a str,
    /// The scenario audited.
    pub scenario: &'a Scenario,
    /// The TLA+ engine that checked the twins.
    pub engine_name: &'a str,
    /// One row per claim of the document, sorted.
    pub rows: &'a [ClaimRow],
    /// Every model configuration, port and twin.
    pub outcomes: &'a [ModelOutcome],
    /// z3's runs and the claims it decided.
    pub arith: &'a ArithOutcome,
    /// Each replay with its wall time (seconds).
    pub replays: &'a [(ReplayRow, f64)],
    /// The state-space growth series.
    pub growth: &'a [GrowthPoint],
    /// The pictures written.
    pub figures: &'a Figures,
    /// Seconds from the audit's start to its report.
    pub elapsed_s: f64,
}

/// The report with its timing zeroed, for the compared files.
pub fn deterministic(mut report: CheckReport) -> CheckReport {
    report.elapsed_s = 0.0;
    report
}

/// The executor a replay row ran on, by its command-line name.
pub fn executor_name(r: &ReplayRow) -> String {
    r.executor.name().to_string()
}

/// A replay's result as the report words it.
pub fn replay_result(report: &Option<ReplayReport>) -> String {
    match report {
        None => "not replayed: no implementation".into(),
        Some(r) if r.failures.is_empty() => "conforms".into(),
        Some(r) => format!(
            "**{} of {} traces fail** (first: {})",
            r.failures.len(),
            r.paths,
            r.failures[0].command
        ),
    }
}

/// What a configuration is expected to show, as the report words it.
pub fn expectation(expect: Expect) -> &'static str {
    match expect {
        Expect::AllHold => "every property holds",
        Expect::Violations => "violations (findings)",
        Expect::Evidence => "evidence for a claim",
    }
}

/// The design document as the report links it: the committed `specs/` copy seen from
/// `reports/` for the built-in scenario, else the scenario's own file.
pub fn document_link(scenario: &Scenario) -> String {
    if scenario.origin == "built-in" {
        format!("../specs/{}", crate::specs::document::FILE_NAME)
    } else {
        scenario.document.path.display().to_string()
    }
}
