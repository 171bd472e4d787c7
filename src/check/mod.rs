//! Checks a Rust port: stateright's DFS for the state count and the safety properties,
//! flashcheck's BFS for shortest counterexamples, and the liveness pass under fairness.
//! The result is the one [`CheckReport`] every engine produces.

pub mod exhaustive;
pub mod explore;
pub mod liveness;
mod recent;
mod trace;

use crate::report::{CheckReport, Engine, PropertyKind, PropertyReport, Verdict};
use exhaustive::Limits;
use explore::{ExploreOptions, StateGraph};
use flashcheck_models::{Liveness, Spec};
use liveness::LivenessVerdict;
use stateright::Expectation;

use std::hash::Hash;
use std::time::Instant;

/// How to run a check.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CheckOptions {
    /// stateright worker threads (1 is fastest on 2 cores: measured).
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
    let safety = exhaustive::run(
        model.clone(),
        options.limits,
        options.threads,
        options.progress,
    );
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
            let condition = property.condition;
            let wanted = kind == PropertyKind::Sometimes;
            let goal = |s: &M::State| condition(&model, s) == wanted;
            let (graph, hit) = StateGraph::explore(
                &model,
                ExploreOptions {
                    keep_edges: false,
                    max_states: options.shortest_budget,
                    deadline,
                },
                Some(&goal),
            );
            match hit {
                Some(id) => trace::steps(&model, &graph, &graph.path_to(id)),
                None => {
                    note = Some(format!(
                        "no path: the breadth-first search for the shortest one stopped at {} \
                         states; the state the depth-first search found is shown",
                        graph.states.len()
                    ));
                    trace::lone_state(&model, found)
                }
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

    // (property, true when its goal is `[]goal`)
    let temporal: Vec<(Liveness<M>, bool)> = model
        .liveness()
        .into_iter()
        .map(|l| (l, false))
        .chain(model.persistence().into_iter().map(|l| (l, true)))
        .collect();
    if !temporal.is_empty() {
        let graph = options.liveness.then(|| {
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
        });
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
