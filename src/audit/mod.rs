//! The audit: everything flashcheck can check, on the built-in Double 11 scenario (the
//! `specs/` files compiled into the binary) or a user's own (a specs directory), written to one
//! report directory:
//!
//! - every model configuration through the Rust port and its TLA+ twin ([`models`]);
//! - z3 on the arithmetic and every numeric claim ([`arith`]);
//! - traces generated and replayed on every executor ([`replay`]);
//! - one verdict per claim of the design document, linked to its evidence ([`verdicts`]);
//! - the report in every format ([`export`]: Markdown, JSON, JUnit, timings).
//!
//! The compared files (`double11-audit.md`, `double11-audit.json`, `junit.xml` and
//! `evidence/` except `evidence/tla/`) are deterministic: fixed seeds, no timings, no
//! temporary paths, so a change in them is a change in a verdict. The TLA+ engine's own
//! output (`evidence/tla/`, which depends on whether TLC or tla-checker ran) and all timings
//! (`audit-timings.md`) are kept apart. `flashcheck audit` only parses its arguments, calls
//! [`run`] and prints the [`AuditSummary`].

pub mod arith;
pub mod configs;
pub mod error;
mod evidence;
pub mod export;
pub mod findings;
pub mod growth;
pub mod models;
pub mod output;
pub mod pictures;
pub mod progress;
pub mod replay;
pub mod verdicts;

pub use error::AuditError;

use crate::outcome;
use crate::report::markdown;
use crate::specs::{parse_behaviour_str, parse_breaker_str, parse_saga_str, Document, Scenario};
use crate::tla::TlaOptions;
use crate::twin::EngineChoice;
use crate::verdict::Tally;
use error::{create_dir, write};
use findings::{deterministic, document_link, Findings};
use progress::Progress;
use std::path::PathBuf;
use std::time::Instant;
use verdicts::ClaimRow;

/// What to audit and where to write the report.
#[derive(Debug, Clone, Default)]
pub struct AuditOptions {
    /// The report directory.
    pub out: PathBuf,
    /// Small configurations only, and the twins in-process unless an engine is named.
    pub quick: bool,
    /// The scenario's directory; `None`: the built-in scenario.
    pub specs: Option<PathBuf>,
    /// `tlc` or `tla-checker`; `None`: TLC when a jar is found.
    pub engine: Option<String>,
    /// The jar, if given.
    pub tla2tools: Option<PathBuf>,
    /// TLC worker threads; `None`: every core (the twins' state counts and verdicts do not
    /// depend on it; at 8 users / 5 stock TLC took 235 s on one worker, 124 s on two).
    pub workers: Option<usize>,
}

/// What the audit found, in numbers, for the command's summary line.
#[derive(Debug, Clone)]
pub struct AuditSummary {
    /// Claims of the document.
    pub claims: usize,
    /// Claims that hold.
    pub holds: usize,
    /// Claims refuted.
    pub refuted: usize,
    /// Claims left unknown.
    pub unknown: usize,
    /// Model configurations checked.
    pub configurations: usize,
    /// Whether every configuration met its expectation.
    pub models_ok: bool,
    /// Whether every replay conformed.
    pub replay_ok: bool,
    /// The TLA+ engine that checked the twins.
    pub engine_name: &'static str,
    /// Holds when every configuration met its expectation and every replay conformed.
    pub outcome: outcome::Outcome,
}

/// Runs the audit and writes its report into `options.out` (all files or none: the report is
/// staged and moved in place at the end). Progress goes to stderr when stdout is a terminal.
pub fn run(options: &AuditOptions) -> Result<AuditSummary, AuditError> {
    let args = options;
    let started = Instant::now();
    let scenario = match &args.specs {
        Some(dir) => Scenario::from_dir(dir)?,
        None => Scenario::built_in(),
    };
    let saga = parse_saga_str(&scenario.saga.text, &scenario.saga.path)?;
    parse_breaker_str(&scenario.breaker.text, &scenario.breaker.path)?;
    let document = Document::from_file(&scenario.document);
    let behaviour = parse_behaviour_str(
        &scenario.behaviour.text,
        &scenario.behaviour.path,
        &document,
    )?;
    let mut choice = EngineChoice::parse(args.engine.as_deref())?;
    // --quick is the one-minute pre-check: TLC's JVM start-up per property run alone would
    // take most of that, so the twins run in-process unless an engine is asked for.
    if args.quick && args.engine.is_none() && cfg!(feature = "tla-checker") {
        choice = EngineChoice::TlaChecker;
    }
    let engine = choice.resolve(args.tla2tools.as_deref())?;
    let engine_name = models::engine_name(&engine);
    let tla_options = TlaOptions {
        workers: args.workers.unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
        }),
        ..TlaOptions::default()
    };
    let configurations = configs::configurations(args.quick, &behaviour, &saga)?;
    let progress = Progress::for_stdout();
    let staging = output::Staging::new(&args.out)?;
    let out = staging.path();
    let evidence = out.join("evidence");
    for dir in ["models", "tla", "arith"] {
        create_dir(&evidence.join(dir))?;
    }

    let mut outcomes = Vec::new();
    for config in configurations {
        let outcome = models::run(config, &saga, &engine, &tla_options, &progress)?;
        progress.done(&format!(
            "{} {}: {} distinct states, {} ({:.1} s)",
            outcome.config.model,
            outcome.config.shown(),
            outcome.rust.distinct_states,
            if outcome.comparison.agree {
                "TLA+ twin agrees"
            } else {
                "TLA+ twin DISAGREES"
            },
            outcome.elapsed_s
        ));
        let slug = outcome.config.slug();
        crate::trace::write_report_traces(
            &deterministic(outcome.rust.clone()),
            &crate::registry::Registry::builtin(),
            &evidence.join("models").join(&slug),
        )?;
        write(
            &evidence.join("tla").join(format!("{slug}.md")),
            markdown::render(&outcome.twin),
        )?;
        outcomes.push(outcome);
    }

    let growth = growth::run(
        if args.quick { 5 } else { 7 },
        &engine,
        &tla_options,
        &progress,
    )?;
    let figures = pictures::write(out, &scenario, &saga, &outcomes, &growth)?;

    let spinner = progress.spinner("z3: arithmetic and claims".into());
    let arith = arith::run(&scenario)?;
    spinner.finish_and_clear();
    progress.done(&format!("z3: {} arithmetic claims", arith.claims.len()));
    for run in &arith.runs {
        write(
            &evidence.join("arith").join(format!("{}.txt", run.key)),
            &run.text,
        )?;
    }
    write(
        &evidence.join("arith").join("claims.md"),
        evidence::claims_evidence(&arith.claims),
    )?;
    let document_link = document_link(&scenario);
    for c in &arith.claims {
        if let Some(text) = evidence::computation_evidence(c, &document_link) {
            write(
                &evidence
                    .join("arith")
                    .join(verdicts::computation_file(&c.id)),
                text,
            )?;
        }
    }

    let spinner = progress.spinner("replay: traces on inline, pool and pinned".into());
    let replays = replay::run(out, &saga)?;
    spinner.finish_and_clear();
    progress.done(&format!("replay: {} runs", replays.len()));

    let mut rows: Vec<ClaimRow> = behaviour
        .iter()
        .map(|c| {
            verdicts::behaviour_row(c, &outcomes, if figures.rendered { "svg" } else { "dot" })
        })
        .chain(arith.claims.iter().map(verdicts::arith_row))
        .collect();
    verdicts::sort(&mut rows);

    let models_ok = outcomes.iter().all(|o| o.met);
    let replay_ok = replays
        .iter()
        .all(|(r, _)| r.report.as_ref().is_some_and(|r| r.failures.is_empty()));
    let ok = models_ok && replay_ok;

    write(
        &out.join("audit-timings.svg"),
        pictures::growth_time(&growth)?,
    )?;
    let found = Findings {
        document_link: &document_link,
        scenario: &scenario,
        engine_name,
        rows: &rows,
        outcomes: &outcomes,
        arith: &arith,
        replays: &replays,
        growth: &growth,
        figures: &figures,
        elapsed_s: started.elapsed().as_secs_f64(),
    };
    for exporter in export::all() {
        write(&out.join(exporter.file_name()), exporter.render(&found)?)?;
    }

    staging.commit()?;
    let tally = Tally::of(rows.iter().map(|r| r.verdict));
    Ok(AuditSummary {
        claims: rows.len(),
        holds: tally.holds,
        refuted: tally.refuted,
        unknown: tally.unknown,
        configurations: outcomes.len(),
        models_ok,
        replay_ok,
        engine_name,
        outcome: outcome::Outcome::holds_if(ok),
    })
}
