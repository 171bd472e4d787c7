//! Checks a Rust port with flashcheck's own engine: one breadth-first pass ([`bfs`]) over
//! 64-bit [`fingerprint`]s in a lock-free [`table`] shared by every worker thread, evaluating
//! each `always`/`sometimes` property once per new state, keeping a [`parents`] log from which
//! shortest counterexamples are replayed ([`trace`]), and, when asked, recording the [`graph`]
//! on which [`liveness`] under weak fairness is decided — all in the same pass. `--engine
//! stateright` runs stateright's own checker instead ([`stateright`]), the independent check.
//! The result is the one [`CheckReport`] every engine produces ([`assemble`]).

pub mod bfs;
pub mod cluster;
pub mod counterexample;
pub mod fingerprint;
pub mod graph;
pub mod liveness;
pub mod parents;
pub mod scc;
pub mod stateright;
pub mod table;

use crate::report::{CheckReport, Engine, PropertyKind, PropertyReport};
use crate::verdict::Verdict;
use flashcheck_models::{Liveness, Spec};
use liveness::{LivenessVerdict, Question};
use std::hash::Hash;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The note of a property a limit left undecided.
pub const LIMIT_NOTE: &str = "a limit stopped the search before this was decided";
/// The note of a liveness property under `--safety-only`.
pub const NOT_CHECKED_SAFETY_ONLY: &str = "liveness not checked (--safety-only)";
/// The note of a liveness property under `--engine stateright`.
pub const NOT_CHECKED_BY_STATERIGHT: &str =
    "liveness not checked: stateright's checker knows no fairness (use --engine flashcheck)";

/// Limits on one search.
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub struct Limits {
    /// Stop after this many distinct states.
    pub max_states: Option<u64>,
    /// Stop after this much wall time.
    pub timeout: Option<Duration>,
}

/// Which engine checks the port.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CheckEngine {
    /// flashcheck's own engine (this module): the default.
    #[default]
    Flashcheck,
    /// stateright's own BFS checker: counts and safety only.
    Stateright,
}

impl std::str::FromStr for CheckEngine {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "flashcheck" => Ok(CheckEngine::Flashcheck),
            "stateright" => Ok(CheckEngine::Stateright),
            other => Err(format!(
                "unknown engine {other:?}: expected flashcheck or stateright"
            )),
        }
    }
}

/// How to run a check.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CheckOptions {
    /// Worker threads (`flashcheck check` defaults to one per core; the library to 1, so
    /// that the audit's many small checks do not compete with each other). Liveness
    /// exploration uses one.
    pub threads: usize,
    /// Distinct-state and time limits.
    pub limits: Limits,
    /// Record the graph and decide the liveness properties (default true).
    pub liveness: bool,
    /// Show a progress line on stderr during the search.
    pub progress: bool,
    /// Which engine (default [`CheckEngine::Flashcheck`]).
    pub engine: CheckEngine,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            threads: 1,
            limits: Limits::default(),
            liveness: true,
            progress: false,
            engine: CheckEngine::Flashcheck,
        }
    }
}

/// Why a check could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CheckError {
    /// The search failed (a thread could not start, the parent log failed).
    #[error(transparent)]
    Search(#[from] bfs::SearchError),
}

/// The raw results of a search, from which [`assemble`] builds a [`CheckReport`]: what any
/// search (one process or several) must produce.
#[derive(Debug, Clone)]
pub struct Found {
    /// Distinct states.
    pub distinct: u64,
    /// Generated states.
    pub generated: u64,
    /// BFS levels.
    pub depth: u64,
    /// False when a limit stopped the search.
    pub complete: bool,
    /// Per `always`/`sometimes` property (model order, `eventually` skipped): the
    /// fingerprints from an initial state to its first discovery, if any.
    pub paths: Vec<Option<Vec<u64>>>,
    /// The liveness properties' results; `None` when liveness was not checked.
    pub liveness: Option<Vec<PropertyReport>>,
}

/// Builds the report from raw results; counterexamples are replayed from their fingerprints.
pub fn assemble<M>(
    model: &M,
    name: &str,
    command: String,
    found: &Found,
    engine: Engine,
    elapsed: Duration,
) -> CheckReport
where
    M: Spec,
    M::State: Hash,
    M::Action: Clone,
{
    let mut properties = Vec::new();
    let safety = model
        .properties()
        .into_iter()
        .filter(|p| p.expectation != ::stateright::Expectation::Eventually);
    for (property, path) in safety.zip(&found.paths) {
        let kind = match property.expectation {
            ::stateright::Expectation::Always => PropertyKind::Always,
            _ => PropertyKind::Sometimes,
        };
        let verdict = match (kind, path.is_some()) {
            (PropertyKind::Always, true) => Verdict::Violated,
            (_, true) => Verdict::Holds,
            (_, false) if !found.complete => Verdict::Unknown,
            (PropertyKind::Always, false) => Verdict::Holds,
            (_, false) => Verdict::Violated,
        };
        let mut note = (verdict == Verdict::Unknown).then(|| LIMIT_NOTE.to_string());
        let counterexample =
            path.as_ref()
                .and_then(|fps| match counterexample::replay(model, fps) {
                    Ok(states) => Some(counterexample::steps(model, &states)),
                    Err(e) => {
                        note = Some(format!("the counterexample could not be rebuilt: {e}"));
                        None
                    }
                });
        properties.push(PropertyReport {
            name: property.name.to_string(),
            kind,
            verdict,
            description: model.describe(property.name).to_string(),
            counterexample,
            cycle_start: None,
            note,
        });
    }
    match &found.liveness {
        Some(reports) => properties.extend(reports.iter().cloned()),
        None => {
            for l in model.liveness().into_iter().chain(model.persistence()) {
                properties.push(PropertyReport {
                    name: l.name.to_string(),
                    kind: PropertyKind::Eventually,
                    verdict: Verdict::Unknown,
                    description: l.description.to_string(),
                    counterexample: None,
                    cycle_start: None,
                    note: Some(NOT_CHECKED_SAFETY_ONLY.to_string()),
                });
            }
        }
    }
    CheckReport {
        model: name.to_string(),
        engine,
        constants: model
            .constants()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        distinct_states: found.distinct,
        generated_states: found.generated,
        depth: found.depth,
        elapsed_s: elapsed.as_secs_f64(),
        complete: found.complete,
        fingerprint_collision_probability: matches!(
            engine,
            Engine::Flashcheck | Engine::FlashcheckCluster
        )
        .then(|| fingerprint::collision_probability(found.distinct, found.generated)),
        properties,
        command,
    }
}

/// Decides every liveness property on the recorded graph; lassos are replayed from the
/// parent log's fingerprints (state ids are log indices).
fn liveness_reports<M>(
    model: &M,
    graph: &graph::LiveGraph,
    log: &parents::ParentLog,
) -> Result<Vec<PropertyReport>, parents::LogError>
where
    M: Spec,
    M::State: Hash,
    M::Action: Clone,
{
    let temporal: Vec<(Liveness<M>, bool)> = model
        .liveness()
        .into_iter()
        .map(|l| (l, false))
        .chain(model.persistence().into_iter().map(|l| (l, true)))
        .collect();
    let mut out = Vec::new();
    for (k, (property, persistent)) in temporal.iter().enumerate() {
        let q = Question {
            k,
            instances: property.instances,
            has_trigger: property.trigger.is_some(),
        };
        let verdict = if *persistent {
            liveness::check_persistent(graph, q)
        } else {
            liveness::check(graph, q)
        };
        let (verdict, counterexample, cycle_start, note) = match verdict {
            LivenessVerdict::Holds { vacuous } => (
                Verdict::Holds,
                None,
                None,
                vacuous.then(|| crate::report::HOLDS_VACUOUSLY.to_string()),
            ),
            LivenessVerdict::Unknown => (Verdict::Unknown, None, None, Some(LIMIT_NOTE.into())),
            LivenessVerdict::Violated(lasso) => {
                let fps = lasso
                    .path
                    .iter()
                    .map(|&id| log.record(u64::from(id)).map(|r| r[1]))
                    .collect::<Result<Vec<u64>, _>>()?;
                let mut note = (property.instances > 1)
                    .then(|| format!("violated for instance {} (1-based)", lasso.instance + 1));
                let steps = match counterexample::lasso_steps(model, &fps, lasso.cycle_start) {
                    Ok(steps) => Some(steps),
                    Err(e) => {
                        note = Some(format!("the counterexample could not be rebuilt: {e}"));
                        None
                    }
                };
                (Verdict::Violated, steps, Some(lasso.cycle_start), note)
            }
        };
        out.push(PropertyReport {
            name: property.name.to_string(),
            kind: PropertyKind::Eventually,
            verdict,
            description: property.description.to_string(),
            counterexample,
            cycle_start,
            note,
        });
    }
    Ok(out)
}

/// A progress line on stderr (distinct states, states/s) until `done`.
fn show_progress(count: &AtomicU64, done: &AtomicBool, started: Instant) {
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {elapsed} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    while !done.load(Ordering::Relaxed) {
        let n = count.load(Ordering::Relaxed);
        let rate = n as f64 / started.elapsed().as_secs_f64().max(1e-9);
        bar.set_message(format!("{n} distinct states, {rate:.0}/s"));
        bar.tick();
        std::thread::sleep(Duration::from_millis(100));
    }
    bar.finish_and_clear();
}

/// What the engine asks of a model's state: hashable to a fingerprint, encodable for the
/// frontier (`bfs`), shared between worker threads. Every type with these traits has it.
pub trait EngineState:
    Clone + Eq + Hash + std::fmt::Debug + serde::Serialize + serde::de::DeserializeOwned + Send + Sync
{
}

impl<T> EngineState for T where
    T: Clone
        + Eq
        + Hash
        + std::fmt::Debug
        + serde::Serialize
        + serde::de::DeserializeOwned
        + Send
        + Sync
{
}

/// Checks `model` and reports every property; see [`try_check`]. A search that cannot run
/// (a worker thread refused, the parent log's file failing) is reported incomplete, every
/// property `unknown` with the reason.
pub fn check<M>(model: M, name: &str, command: String, options: &CheckOptions) -> CheckReport
where
    M: Spec + Clone + Send + Sync + 'static,
    M::State: EngineState,
    M::Action: Clone + PartialEq + std::fmt::Debug + Send + Sync,
{
    let fallback = model.clone();
    try_check(model, name, command.clone(), options).unwrap_or_else(|e| {
        let found = Found {
            distinct: 0,
            generated: 0,
            depth: 0,
            complete: false,
            paths: vec![
                None;
                fallback
                    .properties()
                    .iter()
                    .filter(|p| p.expectation != ::stateright::Expectation::Eventually)
                    .count()
            ],
            liveness: None,
        };
        let mut report = assemble(
            &fallback,
            name,
            command,
            &found,
            Engine::Flashcheck,
            Duration::ZERO,
        );
        for p in &mut report.properties {
            p.note = Some(format!("not checked: {e}"));
        }
        report
    })
}

/// Checks `model` and reports every property. `name` is the model's name and `command` the
/// command line that reproduces the check.
pub fn try_check<M>(
    model: M,
    name: &str,
    command: String,
    options: &CheckOptions,
) -> Result<CheckReport, CheckError>
where
    M: Spec + Clone + Send + Sync + 'static,
    M::State: EngineState,
    M::Action: Clone + PartialEq + std::fmt::Debug + Send + Sync,
{
    let started = Instant::now();
    if options.engine == CheckEngine::Stateright {
        let run = stateright::run(model.clone(), options.threads, options.limits);
        let mut report = assemble(
            &model,
            name,
            command,
            &Found {
                distinct: run.distinct,
                generated: run.generated,
                depth: run.depth,
                complete: run.complete,
                paths: Vec::new(),
                liveness: Some(Vec::new()),
            },
            Engine::Stateright,
            started.elapsed(),
        );
        report.properties = run.properties;
        return Ok(report);
    }
    let has_temporal = !model.liveness().is_empty() || !model.persistence().is_empty();
    let count = AtomicU64::new(0);
    let done = AtomicBool::new(false);
    let outcome = std::thread::scope(|scope| {
        if options.progress {
            scope.spawn(|| show_progress(&count, &done, started));
        }
        let outcome = bfs::search(
            &model,
            &bfs::SearchOptions {
                threads: options.threads,
                max_states: options.limits.max_states,
                deadline: options.limits.timeout.map(|t| started + t),
                liveness: options.liveness && has_temporal,
                progress: options.progress.then_some(&count),
            },
        );
        done.store(true, Ordering::Relaxed);
        outcome
    })?;
    let paths = outcome
        .found
        .iter()
        .map(|f| f.map(|index| outcome.log.path(index)).transpose())
        .collect::<Result<Vec<_>, _>>()
        .map_err(bfs::SearchError::from)?;
    let liveness = match (&outcome.graph, options.liveness) {
        (Some(graph), _) => {
            Some(liveness_reports(&model, graph, &outcome.log).map_err(bfs::SearchError::from)?)
        }
        (None, true) => Some(Vec::new()),
        (None, false) => None,
    };
    let found = Found {
        distinct: outcome.distinct,
        generated: outcome.generated,
        depth: outcome.depth,
        complete: outcome.complete,
        paths,
        liveness,
    };
    Ok(assemble(
        &model,
        name,
        command,
        &found,
        Engine::Flashcheck,
        started.elapsed(),
    ))
}
