//! One configuration through both checkers: the Rust port (stateright and our liveness
//! pass) and its TLA+ twin (TLC, or tla-checker without a jar), and whether they agree.

use super::configs::{Config, Expect};
use super::error::AuditError;
use super::progress::Progress;
use crate::check::CheckOptions;
use crate::report::CheckReport;
use crate::specs::SagaDefinition;
use crate::tla::{TlaEngine, TlaOptions};
use crate::twin::{self, Comparison};
use crate::verdict::Verdict;
use std::time::Instant;

/// What both checkers found for one configuration.
#[derive(Debug)]
pub struct ModelOutcome {
    /// The configuration.
    pub config: Config,
    /// The Rust port's report.
    pub rust: CheckReport,
    /// The TLA+ twin's report.
    pub twin: CheckReport,
    /// Whether they agree.
    pub comparison: Comparison,
    /// Whether the configuration met the audit's expectation.
    pub met: bool,
    /// Seconds for the whole configuration (machine-dependent).
    pub elapsed_s: f64,
}

/// Checks `config` with both checkers.
pub fn run(
    config: Config,
    saga: &SagaDefinition,
    engine: &TlaEngine,
    tla_options: &TlaOptions,
    progress: &Progress,
) -> Result<ModelOutcome, AuditError> {
    let started = Instant::now();
    let port = config.constants.model().build(&config.constants, saga)?;
    let command = format!(
        "flashcheck check {} {}",
        config.model,
        config.constants.as_args()
    );
    let options = CheckOptions {
        progress: progress.is_visible(),
        ..CheckOptions::default()
    };
    let mut spinner = None;
    let crossed = twin::cross(&port, command, &options, engine, tla_options, || {
        spinner = Some(progress.spinner(format!(
            "{} {}: TLA+ twin on {}",
            config.model,
            config.shown(),
            engine_name(engine)
        )))
    })?;
    if let Some(s) = spinner {
        s.finish_and_clear();
    }
    let twin::Crossed {
        rust,
        twin: mut twin_report,
        comparison,
    } = crossed;
    twin_report.command = format!(
        "flashcheck tla {} {} --engine {}",
        config.model,
        config.constants.as_args(),
        twin_report.engine.as_str()
    );
    let any_violation = rust
        .properties
        .iter()
        .any(|p| p.verdict == Verdict::Violated);
    let met = comparison.agree
        && rust.complete
        && match config.expect {
            Expect::AllHold => rust.outcome() == crate::outcome::Outcome::Holds,
            Expect::Violations => any_violation,
            Expect::Evidence => true,
        };
    Ok(ModelOutcome {
        config,
        rust,
        twin: twin_report,
        comparison,
        met,
        elapsed_s: started.elapsed().as_secs_f64(),
    })
}

/// The engine's name as the report gives it.
pub fn engine_name(engine: &TlaEngine) -> &'static str {
    match engine {
        TlaEngine::Tlc { .. } => "TLC",
        TlaEngine::TlaChecker => "tla-checker",
    }
}
