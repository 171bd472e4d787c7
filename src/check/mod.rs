//! Checks a Rust port: stateright's DFS for the state count and the safety properties,
//! flashcheck's BFS for shortest counterexamples, and the liveness pass under fairness. The
//! shortest-path searches and the liveness graph run on their own threads while the DFS runs.
//! The result is the one [`CheckReport`] every engine produces.

pub mod cluster;
pub mod exhaustive;
pub mod explore;
pub mod fingerprint;
pub mod liveness;
mod recent;
mod trace;

use crate::report::{CheckReport, Engine, PropertyKind, PropertyReport, Verdict};
use exhaustive::Limits;
use explore::{ExploreOptions, StateGraph};
use flashcheck_models::{Liveness, Spec};
use liveness::LivenessVerdict;
use stateright::{Expectation, Property};

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::mpsc;
use std::time::Instant;

/// How to run a check.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CheckOptions {
    /// stateright worker threads (`flashcheck check` defaults to one per core; the library
    /// to 1, so that the audit's many small checks do not compete with each other).
    pub threads: usize,
    /// Distinct-state and time limits for every pass.
    pub limits: Limits,
    /// Run the liveness pass (it keeps the whole graph in memory).
    pub liveness: bool,
    /// The most states the shortest-counterexample BFS may store; past it the violating
    /// state is shown without its path.
    pub shortest_budget: u64,
    /// Show a progress bar on stderr during the stateright search.
    pub progress: bool,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            threads: 1,
            limits: Limits::default(),
            liveness: true,
            shortest_budget: 4_000_000,
            progress: false,
        }
    }
}

/// A joined thread's result, its panic passed on.
fn joined<T>(result: std::thread::Result<T>) -> T {
    result.unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// The shortest path (breadth first) to a state that violates `property` (an `always`) or
/// satisfies it (a `sometimes`), as report steps; `Err(states searched)` when the budget or
/// the deadline stopped the search first.
fn shortest_path<M>(
    model: &M,
    property: &Property<M>,
    budget: u64,
    deadline: Option<Instant>,
) -> Result<Vec<crate::report::Step>, usize>
where
    M: Spec,
    M::State: Clone + Eq + Hash,
    M::Action: Clone,
{
    let condition = property.condition;
    let wanted = property.expectation == Expectation::Sometimes;
    let goal = |s: &M::State| condition(model, s) == wanted;
    let (graph, hit) = StateGraph::explore(
        model,
        ExploreOptions {
            keep_edges: false,
            max_states: budget,
            deadline,
        },
        Some(&goal),
    );
    match hit {
        Some(id) => Ok(trace::steps(model, &graph, &graph.path_to(id))),
        None => Err(graph.states.len()),
    }
}

/// Checks `model` and reports every property. `name` is the model's name and `command` the
/// command line that reproduces the check.
pub fn check<M>(model: M, name: &str, command: String, options: &CheckOptions) -> CheckReport
where
    M: Spec + Clone + Send + Sync + 'static,
    M::State: Clone + Eq + Hash + std::fmt::Debug + Send + Sync,
    M::Action: Clone + PartialEq + std::fmt::Debug + Send + Sync,
{
    let started = Instant::now();
    let deadline = options.limits.timeout.map(|t| started + t);
    // (property, true when its goal is `[]goal`)
    let temporal: Vec<(Liveness<M>, bool)> = model
        .liveness()
        .into_iter()
        .map(|l| (l, false))
        .chain(model.persistence().into_iter().map(|l| (l, true)))
        .collect();

    // stateright's DFS runs on `options.threads` threads. Meanwhile one thread searches the
    // shortest path to each property the DFS discovers, as soon as it is discovered, and
    // another builds the state graph for liveness: wall time is the longest of the three,
    // not their sum.
    let (found_tx, found_rx) = mpsc::channel::<&'static str>();
    let (safety, mut shortest, graph) = std::thread::scope(|scope| {
        let searcher = scope.spawn(|| {
            found_rx
                .into_iter()
                .filter_map(|name| {
                    let property = model.properties().into_iter().find(|p| p.name == name)?;
                    Some((
                        name,
                        shortest_path(&model, &property, options.shortest_budget, deadline),
                    ))
                })
                .collect::<HashMap<_, _>>()
        });
        let grapher = (options.liveness && !temporal.is_empty()).then(|| {
            scope.spawn(|| {
                StateGraph::explore(
                    &model,
                    ExploreOptions {
                        keep_edges: true,
                        max_states: options.limits.max_states.unwrap_or(u64::MAX),
                        deadline,
                    },
                    None,
                )
                .0
            })
        });
        let safety = exhaustive::run(
            model.clone(),
            options.limits,
            options.threads,
            options.progress,
            Some(found_tx),
        );
        (
            safety,
            joined(searcher.join()),
            grapher.map(|g| joined(g.join())),
        )
    });
    let mut complete = safety.complete;
    let mut depth = safety.dfs_depth;
    let mut properties = Vec::new();

    for property in model.properties() {
        let kind = match property.expectation {
            Expectation::Always => PropertyKind::Always,
            Expectation::Sometimes => PropertyKind::Sometimes,
            Expectation::Eventually => continue,
        };
        let discovered = safety.discoveries.get(property.name);
        let verdict = match (kind, discovered.is_some()) {
            (PropertyKind::Always, true) => Verdict::Violated,
            (PropertyKind::Sometimes, true) => Verdict::Holds,
            (_, false) if !safety.complete => Verdict::Unknown,
            (PropertyKind::Always, false) => Verdict::Holds,
            (_, false) => Verdict::Violated,
            (PropertyKind::Eventually, true) => {
                unreachable!("eventually properties are skipped above")
            }
        };
        let mut note = (verdict == Verdict::Unknown)
            .then(|| "a limit stopped the search before this was decided".to_string());
        let counterexample = discovered.map(|found| {
            let path = shortest.remove(property.name).unwrap_or_else(|| {
                shortest_path(&model, &property, options.shortest_budget, deadline)
            });
            path.unwrap_or_else(|searched| {
                note = Some(format!(
                    "no path: the breadth-first search for the shortest one stopped at \
                     {searched} states; the state the depth-first search found is shown"
                ));
                trace::lone_state(&model, found)
            })
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

    if !temporal.is_empty() {
        if let Some(graph) = &graph {
            complete &= graph.complete;
            if graph.complete {
                depth = graph.depth;
            }
        }
        for (property, persistent) in &temporal {
            let (verdict, counterexample, cycle_start, note) = match &graph {
                None => (
                    Verdict::Unknown,
                    None,
                    None,
                    Some("liveness not checked (--safety-only)".to_string()),
                ),
                Some(graph) => match if *persistent {
                    liveness::check_persistent(&model, graph, property)
                } else {
                    liveness::check(&model, graph, property)
                } {
                    LivenessVerdict::Holds { vacuous } => (
                        Verdict::Holds,
                        None,
                        None,
                        vacuous.then(|| crate::report::HOLDS_VACUOUSLY.to_string()),
                    ),
                    LivenessVerdict::Unknown => (
                        Verdict::Unknown,
                        None,
                        None,
                        Some("a limit stopped the search before this was decided".to_string()),
                    ),
                    LivenessVerdict::Violated(lasso) => {
                        let steps = trace::lasso_steps(&model, graph, &lasso);
                        let note = (property.instances > 1).then(|| {
                            format!("violated for instance {} (1-based)", lasso.instance + 1)
                        });
                        (
                            Verdict::Violated,
                            Some(steps),
                            Some(lasso.cycle_start),
                            note,
                        )
                    }
                },
            };
            properties.push(PropertyReport {
                name: property.name.to_string(),
                kind: PropertyKind::Eventually,
                verdict,
                description: property.description.to_string(),
                counterexample,
                cycle_start,
                note,
            });
        }
    }

    CheckReport {
        model: name.to_string(),
        engine: Engine::Stateright,
        constants: model
            .constants()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        distinct_states: safety.distinct_states,
        generated_states: safety.generated_states,
        depth,
        elapsed_s: started.elapsed().as_secs_f64(),
        complete,
        properties,
        command,
    }
}
