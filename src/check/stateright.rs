//! `check --engine stateright`: stateright's own breadth-first checker, unwrapped, on the same
//! model — the independent check of the engine's state counts and safety verdicts.
//!
//! What stateright gives and what it does not: distinct and generated states, its BFS depth,
//! a path to one discovery per `always`/`sometimes` property (not necessarily shortest: its
//! BFS overwrites a discovery with later ones). It knows no fairness, so liveness properties
//! are reported `unknown`. It stops expanding once every property has a discovery; such a
//! search is reported incomplete rather than with a short count.

use super::{Limits, NOT_CHECKED_BY_STATERIGHT};
use crate::report::{PropertyKind, PropertyReport};
use crate::verdict::Verdict;
use flashcheck_models::Spec;
use stateright::{Checker, Expectation, HasDiscoveries};
use std::collections::BTreeSet;
use std::time::Instant;

/// What stateright's checker found.
#[derive(Debug)]
pub struct StaterightRun {
    /// Distinct states.
    pub distinct: u64,
    /// States generated.
    pub generated: u64,
    /// stateright's depth (its BFS levels).
    pub depth: u64,
    /// False when a limit stopped it, or it stopped expanding after discovering everything.
    pub complete: bool,
    /// Every property's result (liveness `unknown`).
    pub properties: Vec<PropertyReport>,
}

/// Runs stateright's BFS checker on `model`.
pub fn run<M>(model: M, threads: usize, limits: Limits) -> StaterightRun
where
    M: Spec + Clone + Send + Sync + 'static,
    M::State: Clone + std::fmt::Debug + PartialEq + std::hash::Hash + Send + Sync,
    M::Action: Clone + std::fmt::Debug + PartialEq + Send + Sync,
{
    let started = Instant::now();
    let safety: Vec<(&'static str, Expectation)> = model
        .properties()
        .iter()
        .filter(|p| p.expectation != Expectation::Eventually)
        .map(|p| (p.name, p.expectation.clone()))
        .collect();
    let has_eventually = model
        .properties()
        .iter()
        .any(|p| p.expectation == Expectation::Eventually);
    // Never satisfied: stateright runs until the space is done (or a limit).
    let never = BTreeSet::from(["\u{0}flashcheck: run to completion"]);
    let mut builder = model
        .clone()
        .checker()
        .threads(threads.max(1))
        .finish_when(HasDiscoveries::AllOf(never));
    if let Some(t) = limits.timeout {
        builder = builder.timeout(t);
    }
    if let Some(n) = limits.max_states {
        builder = builder.target_state_count(n as usize);
    }
    let checker = builder.spawn_bfs().join();
    let timed_out = limits.timeout.is_some_and(|t| started.elapsed() >= t);
    let hit_target = limits
        .max_states
        .is_some_and(|n| checker.state_count() as u64 >= n);
    let all_discovered = !has_eventually
        && !safety.is_empty()
        && safety.iter().all(|(n, _)| checker.discovery(n).is_some());
    let complete = !timed_out && !hit_target && !all_discovered;
    let mut properties = Vec::new();
    for (name, expectation) in &safety {
        let kind = if *expectation == Expectation::Always {
            PropertyKind::Always
        } else {
            PropertyKind::Sometimes
        };
        let path = checker.discovery(name);
        let verdict = match (kind, path.is_some(), complete) {
            (PropertyKind::Always, true, _) => Verdict::Violated,
            (_, true, _) => Verdict::Holds,
            (_, false, false) => Verdict::Unknown,
            (PropertyKind::Always, false, true) => Verdict::Holds,
            (_, false, true) => Verdict::Violated,
        };
        let counterexample = path.map(|p| {
            let states: Vec<(Option<M::Action>, M::State)> = p
                .into_vec()
                .into_iter()
                .scan(None, |prev: &mut Option<M::Action>, (s, a)| {
                    let step = (prev.take(), s);
                    *prev = a;
                    Some(step)
                })
                .collect();
            super::counterexample::steps(&model, &states)
        });
        let note = if verdict == Verdict::Unknown {
            Some(super::LIMIT_NOTE.to_string())
        } else {
            counterexample
                .is_some()
                .then(|| "stateright's BFS path: not necessarily shortest".to_string())
        };
        properties.push(PropertyReport {
            name: name.to_string(),
            kind,
            verdict,
            description: model.describe(name).to_string(),
            counterexample,
            cycle_start: None,
            note,
        });
    }
    for l in model.liveness().into_iter().chain(model.persistence()) {
        properties.push(PropertyReport {
            name: l.name.to_string(),
            kind: PropertyKind::Eventually,
            verdict: Verdict::Unknown,
            description: l.description.to_string(),
            counterexample: None,
            cycle_start: None,
            note: Some(NOT_CHECKED_BY_STATERIGHT.to_string()),
        });
    }
    StaterightRun {
        distinct: checker.unique_state_count() as u64,
        generated: checker.state_count() as u64,
        depth: checker.max_depth() as u64,
        complete,
        properties,
    }
}
