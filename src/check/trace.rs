//! Turns paths of model states into report [`Step`]s: TLA+ action names and variables.

use super::explore::{StateGraph, StateId};
use super::liveness::Lasso;
use crate::report::Step;
use flashcheck_models::Spec;
use std::collections::BTreeMap;
use std::hash::Hash;

fn variables<M: Spec>(model: &M, state: &M::State) -> BTreeMap<String, serde_json::Value> {
    match serde_json::to_value(model.view(state)) {
        Ok(serde_json::Value::Object(map)) => map.into_iter().collect(),
        Ok(other) => BTreeMap::from([("state".to_string(), other)]),
        Err(e) => BTreeMap::from([("error".to_string(), e.to_string().into())]),
    }
}

/// The steps along `path` (state ids of `graph`, consecutive ones linked by an edge).
pub(super) fn steps<M: Spec>(model: &M, graph: &StateGraph<M>, path: &[StateId]) -> Vec<Step>
where
    M::State: Clone + Eq + Hash,
    M::Action: Clone,
{
    let mut out = Vec::with_capacity(path.len());
    for (i, &id) in path.iter().enumerate() {
        let action = if i == 0 {
            "Init".to_string()
        } else {
            graph
                .action_between(model, path[i - 1], id)
                .map_or_else(|| "?".to_string(), |a| model.action_name(&a))
        };
        out.push(Step {
            action,
            state: variables(model, &graph.states[id as usize]),
        });
    }
    out
}

/// The steps of a lasso; a behaviour that stutters at its last state gets a final
/// `(stuttering)` step, so the last step always leads back to `cycle_start`.
pub(super) fn lasso_steps<M: Spec>(model: &M, graph: &StateGraph<M>, lasso: &Lasso) -> Vec<Step>
where
    M::State: Clone + Eq + Hash,
    M::Action: Clone,
{
    let mut out = steps(model, graph, &lasso.path);
    if lasso.cycle_start + 1 == lasso.path.len() {
        let last = lasso.path[lasso.cycle_start];
        out.push(Step {
            action: "(stuttering)".to_string(),
            state: variables(model, &graph.states[last as usize]),
        });
    } else {
        let from = lasso.path[lasso.path.len() - 1];
        let to = lasso.path[lasso.cycle_start];
        let action = graph
            .action_between(model, from, to)
            .map_or_else(|| "?".to_string(), |a| model.action_name(&a));
        out.push(Step {
            action,
            state: variables(model, &graph.states[to as usize]),
        });
    }
    out
}

/// A single state without the path to it (when no shortest path could be afforded).
pub(super) fn lone_state<M: Spec>(model: &M, state: &M::State) -> Vec<Step> {
    vec![Step {
        action: "(path not reconstructed)".to_string(),
        state: variables(model, state),
    }]
}
