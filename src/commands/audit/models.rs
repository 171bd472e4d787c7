//! One configuration through both checkers: the Rust port (stateright and our liveness
//! pass) and its TLA+ twin (TLC, or tla-checker without a jar), and whether they agree.

use super::configs::{Config, Expect};
use super::progress::Progress;
use anyhow::Result;
use flashcheck::catalog::Port;
use flashcheck::check::CheckOptions;
use flashcheck::report::{CheckReport, Verdict};
use flashcheck::specs::SagaDefinition;
use flashcheck::tla::{self, TlaEngine, TlaOptions};
use flashcheck::twin::{self, Comparison};
use std::time::Instant;

/// What both checkers found for one configuration.
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
    progress: &Progress,
) -> Result<ModelOutcome> {
    let started = Instant::now();
    let port = Port::build_with_saga(&config.constants, saga)?;
    let command = format!(
        "flashcheck check {} {}",
        config.model,
        config.constants.as_args()
    );
    let mut options = CheckOptions::default();
    options.progress = progress.is_visible();
    let rust = port.check(config.model.as_str(), command, &options);
    let dir = tempfile::tempdir()?;
    let job = twin::job(config.model, &port, dir.path())?;
    let spinner = progress.spinner(format!(
        "{} {}: TLA+ twin on {}",
        config.model,
        config.shown(),
        engine_name(engine)
    ));
    let mut twin_report = tla::run(&job, engine, &TlaOptions::default())?;
    spinner.finish_and_clear();
    port.annotate(&mut twin_report);
    twin_report.command = format!(
        "flashcheck tla {} {} --engine {}",
        config.model,
        config.constants.as_args(),
        twin_report.engine.as_str()
    );
    let comparison = twin::compare(&rust, &twin_report);
    let any_violation = rust
        .properties
        .iter()
        .any(|p| p.verdict == Verdict::Violated);
    let met = comparison.agree
        && rust.complete
        && match config.expect {
            Expect::AllHold => rust.outcome() == flashcheck::outcome::Outcome::Holds,
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
