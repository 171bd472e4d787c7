//! Drives a batch of replays for one component and gathers one [`ReplayReport`]: inline
//! (state after every step) or concurrent (history, then linearizability).

use super::concurrent::{self, Plan, RunError, Segment};
use super::linearizability::{Failure, Operation, Outcome};
use super::stepwise::{self, Mismatch};
use super::{Conformance, ExecutorChoice};
use crate::reference::Mutation;
use crate::trace::{decode_path, random_walk, SplitMix64, Trace, TraceError};
use flashcheck_models::Spec;
use serde::Serialize;
use serde_json::Value as Json;
use stateright::Model;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// A model path to replay, with its name and the command that replays it alone.
#[derive(Debug, Clone)]
pub struct PathToReplay<S, A> {
    /// The trace file or walk name.
    pub name: String,
    /// The initial state.
    pub init: S,
    /// The actions.
    pub actions: Vec<A>,
    /// The command that replays only this path.
    pub command: String,
}

/// `count` seeded random walks of at most `depth` actions (walk `i` uses seed
/// `first_seed + i`), each named `walk seed S` and replayed alone by `command(S)`. A model
/// without an initial state has no walks.
pub fn seeded_walks<M: Spec>(
    model: &M,
    first_seed: u64,
    count: usize,
    depth: usize,
    command: impl Fn(u64) -> String,
) -> Vec<PathToReplay<M::State, M::Action>>
where
    M::State: Clone,
    M::Action: Clone,
{
    (0..count as u64)
        .filter_map(|i| {
            let seed = first_seed.wrapping_add(i);
            let (init, actions) = random_walk(model, depth, &mut SplitMix64::new(seed))?;
            Some(PathToReplay {
                name: format!("walk seed {seed}"),
                init,
                actions,
                command: command(seed),
            })
        })
        .collect()
}

/// A path of the model `M`.
pub type SpecPath<M> = PathToReplay<<M as Model>::State, <M as Model>::Action>;

/// An ITF trace file that could not be read or is not a path of the model.
#[derive(Debug, thiserror::Error)]
#[error("{file}: not a replayable trace", file = .file.display())]
pub struct TraceFileError {
    /// The file.
    pub file: PathBuf,
    /// What was wrong with it.
    #[source]
    pub source: Box<TraceError>,
}

/// The model paths of the ITF trace `files`, each named by its file and replayed alone by
/// `command(file)`; the first file that cannot be read or decoded is the error.
pub fn itf_paths<M: Spec>(
    model: &M,
    files: &[PathBuf],
    command: impl Fn(&Path) -> String,
) -> Result<Vec<SpecPath<M>>, TraceFileError>
where
    M::State: Clone,
    M::Action: Clone,
{
    files
        .iter()
        .map(|file| {
            let error = |source| TraceFileError {
                file: file.clone(),
                source: Box::new(source),
            };
            let trace = Trace::read(file).map_err(error)?;
            let (init, actions) = decode_path(model, &trace).map_err(error)?;
            Ok(PathToReplay {
                name: file.display().to_string(),
                init,
                actions,
                command: command(file),
            })
        })
        .collect()
}

/// A path of `C`'s model.
pub type ModelPath<C> = PathToReplay<
    <<C as Conformance>::Model as Model>::State,
    <<C as Conformance>::Model as Model>::Action,
>;

/// A non-linearizable history, rendered.
#[derive(Debug, Clone, Serialize)]
pub struct Violation {
    /// The checker's failure.
    pub failure: Failure,
    /// The window's operations, by call time.
    pub window: Vec<Json>,
}

/// One path's result.
#[derive(Debug, Clone, Serialize)]
pub struct PathResult {
    /// The path's name.
    pub name: String,
    /// Actions in the path.
    pub steps: usize,
    /// Implementation operations run.
    pub operations: usize,
    /// Inline: the first mismatch.
    pub mismatch: Option<Mismatch>,
    /// Concurrent: the non-linearizable window.
    pub violation: Option<Violation>,
    /// The command that replays this path alone.
    pub command: String,
}

/// How often one model action was taken, overall and per parameter value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ActionCoverage {
    /// Steps that took the action.
    pub taken: u64,
    /// Steps per parameter value (the text between the parentheses of its TLA+ name, e.g.
    /// `2` for `Pay(2)`); empty for an action without parameters.
    pub params: BTreeMap<String, u64>,
}

/// Which parts of the model a batch of paths exercised.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Coverage {
    /// Per model action (TLA+ name without parameters): how often it was taken.
    pub actions: BTreeMap<String, ActionCoverage>,
    /// Actions with their parameters enabled in some state the paths passed through but never
    /// taken there: the part of the model these paths left out.
    pub enabled_never_taken: BTreeSet<String>,
    /// Inline: negative steps offered per refused action (operations the model does not
    /// enable, see [`Conformance::refusals`]).
    pub refused: BTreeMap<String, u64>,
    /// Every action taken, with its parameters.
    #[serde(skip)]
    taken: BTreeSet<String>,
}

impl Coverage {
    /// Counts the actions of `actions` from `init` (and, `with_refusals`, the negative steps
    /// offered at each state).
    fn add<C: Conformance>(
        &mut self,
        c: &C,
        init: &<C::Model as Model>::State,
        actions: &[<C::Model as Model>::Action],
        with_refusals: bool,
    ) where
        <C::Model as Model>::State: Clone,
        <C::Model as Model>::Action: Clone,
    {
        let model = c.model();
        let mut state = init.clone();
        let mut enabled = Vec::new();
        let mut seen_enabled = BTreeSet::new();
        let mut visit = |state: &<C::Model as Model>::State, this: &mut Coverage| {
            enabled.clear();
            model.actions(state, &mut enabled);
            seen_enabled.extend(enabled.iter().map(|a| model.action_name(a)));
            if with_refusals {
                for r in c.refusals(state) {
                    *this.refused.entry(r.action).or_default() += 1;
                }
            }
        };
        visit(&state, self);
        let mut taken = BTreeSet::new();
        for action in actions {
            let name = model.action_name(action);
            let (kind, param) = match name.split_once('(') {
                Some((kind, rest)) => (kind.to_string(), Some(rest.trim_end_matches(')'))),
                None => (name.clone(), None),
            };
            let entry = self.actions.entry(kind).or_default();
            entry.taken += 1;
            if let Some(p) = param {
                *entry.params.entry(p.to_string()).or_default() += 1;
            }
            taken.insert(name);
            let Some(next) = model.next_state(&state, action.clone()) else {
                break;
            };
            state = next;
            visit(&state, self);
        }
        self.taken.extend(taken);
        let taken = &self.taken;
        self.enabled_never_taken
            .extend(seen_enabled.into_iter().filter(|a| !taken.contains(a)));
        self.enabled_never_taken.retain(|a| !taken.contains(a));
    }

    /// Adds `other`'s counts (another batch, e.g. another configuration of a sweep).
    pub fn merge(&mut self, other: &Coverage) {
        for (name, a) in &other.actions {
            let mine = self.actions.entry(name.clone()).or_default();
            mine.taken += a.taken;
            for (p, n) in &a.params {
                *mine.params.entry(p.clone()).or_default() += n;
            }
        }
        for (name, n) in &other.refused {
            *self.refused.entry(name.clone()).or_default() += n;
        }
        self.taken.extend(other.taken.iter().cloned());
        self.enabled_never_taken
            .extend(other.enabled_never_taken.iter().cloned());
        let taken = &self.taken;
        self.enabled_never_taken.retain(|a| !taken.contains(a));
    }

    /// One line: each action with its count and parameter values, what was never taken, and
    /// the negative steps.
    pub fn render_line(&self, model: &str) -> String {
        let actions: Vec<String> = self
            .actions
            .iter()
            .map(|(name, a)| {
                if a.params.is_empty() {
                    format!("{name} {}", a.taken)
                } else {
                    let params: Vec<String> =
                        a.params.iter().map(|(p, n)| format!("{p}:{n}")).collect();
                    format!("{name} {} [{}]", a.taken, params.join(" "))
                }
            })
            .collect();
        let never = if self.enabled_never_taken.is_empty() {
            "none".to_string()
        } else {
            self.enabled_never_taken
                .iter()
                .cloned()
                .collect::<Vec<_>>()
                .join(" ")
        };
        let refused: Vec<String> = self
            .refused
            .iter()
            .map(|(a, n)| format!("{a} {n}"))
            .collect();
        format!(
            "coverage {model}: {}; enabled but never taken: {never}; negative steps: {}",
            actions.join(", "),
            if refused.is_empty() {
                "none".to_string()
            } else {
                refused.join(", ")
            }
        )
    }
}

/// Every path's result and the totals.
#[derive(Debug, Clone, Serialize)]
pub struct ReplayReport {
    /// The model.
    pub model: String,
    /// The executor.
    pub executor: ExecutorChoice,
    /// Paths replayed.
    pub paths: usize,
    /// Actions replayed.
    pub steps: usize,
    /// Operations run.
    pub operations: usize,
    /// Inline: negative steps offered (operations the model does not enable, each required
    /// to be refused with no observable change).
    pub refusals: usize,
    /// Concurrent paths with clock ticks: quiescent points whose observable state was
    /// compared with the model's.
    pub quiescent_compared: usize,
    /// Quiescent points not compared (several clients ran between them; their history is
    /// still checked for linearizability).
    pub quiescent_not_compared: usize,
    /// Wall time, seconds.
    pub elapsed_s: f64,
    /// Actions per second (inline).
    pub steps_per_s: f64,
    /// Which model actions and parameter values the paths exercised.
    pub coverage: Coverage,
    /// Failing paths only.
    pub failures: Vec<PathResult>,
}

impl ReplayReport {
    /// Holds when every path conforms, refuted otherwise.
    pub fn outcome(&self) -> crate::outcome::Outcome {
        crate::outcome::Outcome::holds_if(self.failures.is_empty())
    }
}

fn window_json<O: Serialize, R: Serialize>(
    history: &[Operation<O, R>],
    window: &[usize],
) -> Vec<Json> {
    window
        .iter()
        .map(|&i| serde_json::to_value(&history[i]).unwrap_or(Json::Null))
        .collect()
}

/// Replays `paths` on `executor`; `progress(done, total)` reports as it goes.
pub fn replay_paths<C>(
    c: Arc<C>,
    model_name: &str,
    executor: ExecutorChoice,
    paths: &[ModelPath<C>],
    mutation: Option<Mutation>,
    progress: &dyn Fn(usize, usize),
) -> Result<ReplayReport, RunError>
where
    C: Conformance + Send + 'static,
    <C::Model as Model>::State: Clone,
    <C::Model as Model>::Action: Clone,
{
    let started = Instant::now();
    let (mut steps, mut operations, mut refusals) = (0, 0, 0);
    let (mut quiescent_compared, mut quiescent_not_compared) = (0, 0);
    let mut failures = Vec::new();
    let every = (paths.len() / 20).max(1);
    let mut coverage = Coverage::default();
    for (i, path) in paths.iter().enumerate() {
        coverage.add(
            &*c,
            &path.init,
            &path.actions,
            executor == ExecutorChoice::Inline,
        );
        if i % every == 0 {
            progress(i, paths.len());
        }
        steps += path.actions.len();
        let mut result = PathResult {
            name: path.name.clone(),
            steps: path.actions.len(),
            operations: 0,
            mismatch: None,
            violation: None,
            command: path.command.clone(),
        };
        if executor == ExecutorChoice::Inline {
            let outcome = stepwise::replay(&*c, &path.init, &path.actions, mutation);
            result.operations = outcome.operations;
            result.mismatch = outcome.mismatch;
            refusals += outcome.refusals;
        } else if path
            .actions
            .iter()
            .any(|a| c.operation(a).is_some_and(|(op, _)| c.is_clock(&op)))
        {
            let segments = ordered_segments(&*c, path);
            let run = concurrent::run_ordered(Arc::clone(&c), executor, segments, mutation)?;
            result.operations = run.history.len();
            quiescent_compared += run.compared;
            quiescent_not_compared += run.not_compared;
            if let Some(m) = run.mismatch {
                let action = path
                    .actions
                    .get(m.step.wrapping_sub(1))
                    .map_or_else(|| "Init".to_string(), |a| c.model().action_name(a));
                result.mismatch = Some(Mismatch {
                    step: m.step,
                    action,
                    op: None,
                    what: "state at a quiescent point",
                    refused: None,
                    expected: m.expected,
                    actual: m.actual,
                });
            } else if let Outcome::NotLinearizable(failure) = check(&*c, &run.history)? {
                let window = window_json(&run.history, &failure.window);
                result.violation = Some(Violation { failure, window });
            }
        } else {
            let mut per_client: BTreeMap<u64, Vec<C::Op>> = BTreeMap::new();
            for a in &path.actions {
                if let Some((op, _)) = c.operation(a) {
                    per_client.entry(c.client(&op)).or_default().push(op);
                }
            }
            let plan = Plan::Fixed(per_client.into_iter().collect());
            let run = concurrent::run(Arc::clone(&c), executor, plan, mutation, &|_, _| {})?;
            result.operations = run.history.len();
            if let Outcome::NotLinearizable(failure) = check(&*c, &run.history)? {
                let window = window_json(&run.history, &failure.window);
                result.violation = Some(Violation { failure, window });
            }
        }
        operations += result.operations;
        if result.mismatch.is_some() || result.violation.is_some() {
            failures.push(result);
        }
    }
    progress(paths.len(), paths.len());
    let elapsed_s = started.elapsed().as_secs_f64();
    Ok(ReplayReport {
        model: model_name.to_string(),
        executor,
        paths: paths.len(),
        steps,
        operations,
        refusals,
        quiescent_compared,
        quiescent_not_compared,
        elapsed_s,
        steps_per_s: if elapsed_s > 0.0 {
            steps as f64 / elapsed_s
        } else {
            0.0
        },
        coverage,
        failures,
    })
}

/// `path` cut at its clock ticks: the calls between two ticks (each client's in order), then
/// the tick alone, and so on; each segment with the model's observable state at its end when
/// one client ran it.
fn ordered_segments<C: Conformance>(c: &C, path: &ModelPath<C>) -> Vec<Segment<C::Op, C::Abstract>>
where
    <C::Model as Model>::State: Clone,
    <C::Model as Model>::Action: Clone,
{
    let model = c.model();
    let mut state = path.init.clone();
    let mut segments = Vec::new();
    let mut calls: BTreeMap<u64, Vec<C::Op>> = BTreeMap::new();
    let flush = |calls: &mut BTreeMap<u64, Vec<C::Op>>,
                 state: &<C::Model as Model>::State,
                 step: usize,
                 segments: &mut Vec<Segment<C::Op, C::Abstract>>| {
        if calls.is_empty() {
            return;
        }
        let expected = (calls.len() == 1).then(|| c.abstract_model(state));
        segments.push(Segment {
            clients: std::mem::take(calls).into_iter().collect(),
            step,
            expected,
        });
    };
    for (i, action) in path.actions.iter().enumerate() {
        let Some(next) = model.next_state(&state, action.clone()) else {
            break;
        };
        match c.operation(action) {
            Some((op, _)) if c.is_clock(&op) => {
                flush(&mut calls, &state, i, &mut segments);
                state = next;
                segments.push(Segment {
                    clients: vec![(c.client(&op), vec![op])],
                    step: i + 1,
                    expected: Some(c.abstract_model(&state)),
                });
            }
            Some((op, _)) => {
                calls.entry(c.client(&op)).or_default().push(op);
                state = next;
            }
            None => state = next,
        }
    }
    flush(&mut calls, &state, path.actions.len(), &mut segments);
    segments
}

fn check<C: Conformance>(c: &C, history: &[Operation<C::Op, C::Ret>]) -> Result<Outcome, RunError> {
    Ok(c.check_history(history)?)
}

/// A synthetic workload's result: the history's size, run and check times.
#[derive(Debug, Clone, Serialize)]
pub struct WorkloadReport {
    /// Clients (users).
    pub clients: u64,
    /// Operations in the history.
    pub operations: usize,
    /// Workers that ran it.
    pub workers: usize,
    /// Seconds to run the workload.
    pub run_s: f64,
    /// Seconds to check linearizability.
    pub check_s: f64,
    /// The checker's outcome.
    pub outcome: Outcome,
    /// The failing window's operations, if any.
    pub window: Vec<Json>,
}

/// Runs a synthetic workload of `clients` clients on `executor` and checks its history.
pub fn replay_workload<C>(
    c: Arc<C>,
    executor: ExecutorChoice,
    clients: u64,
    seed: u64,
    mutation: Option<Mutation>,
    progress: &dyn Fn(usize, usize),
) -> Result<WorkloadReport, RunError>
where
    C: Conformance + Send + 'static,
{
    let run = concurrent::run(
        Arc::clone(&c),
        executor,
        Plan::Workload { clients, seed },
        mutation,
        progress,
    )?;
    let started = Instant::now();
    let outcome = check(&*c, &run.history)?;
    let check_s = started.elapsed().as_secs_f64();
    let window = match &outcome {
        Outcome::NotLinearizable(f) => window_json(&run.history, &f.window),
        Outcome::Linearizable { .. } => Vec::new(),
    };
    Ok(WorkloadReport {
        clients,
        operations: run.history.len(),
        workers: run.workers,
        run_s: run.elapsed.as_secs_f64(),
        check_s,
        outcome,
        window,
    })
}
