//! Counterexamples from fingerprints: replays the next-state relation forward from an
//! initial state, keeping at each step the first successor (in `Model::actions` order) whose
//! fingerprint is the next one on the path, as TLC rebuilds a trace from its trace file; then
//! turns the states into report [`Step`]s (TLA+ action names and variables).

use super::fingerprint::fingerprint;
use crate::report::Step;
use flashcheck_models::Spec;
use std::collections::BTreeMap;

/// A path of fingerprints that the model does not reproduce (a fingerprint collision, or a
/// log that does not belong to this model).
#[derive(Debug, Clone, thiserror::Error)]
#[error("no successor of step {step} has the next fingerprint on the path")]
pub struct ReplayError {
    /// The step (0: the initial state) at which the replay failed.
    pub step: usize,
}

/// The states along `fps` (fingerprints from an initial state), each with the action that
/// led to it (`None` for the initial state).
#[allow(clippy::type_complexity)]
pub fn replay<M: Spec>(
    model: &M,
    fps: &[u64],
) -> Result<Vec<(Option<M::Action>, M::State)>, ReplayError>
where
    M::State: std::hash::Hash,
    M::Action: Clone,
{
    let Some((&first, rest)) = fps.split_first() else {
        return Ok(Vec::new());
    };
    let init = model
        .init_states()
        .into_iter()
        .find(|s| fingerprint(s) == first)
        .ok_or(ReplayError { step: 0 })?;
    let mut out = vec![(None, init)];
    let mut actions = Vec::new();
    for (k, &want) in rest.iter().enumerate() {
        let state = &out[out.len() - 1].1;
        actions.clear();
        model.actions(state, &mut actions);
        let next = actions.iter().find_map(|a| {
            model
                .next_state(state, a.clone())
                .filter(|n| fingerprint(n) == want)
                .map(|n| (a.clone(), n))
        });
        let (action, next) = next.ok_or(ReplayError { step: k + 1 })?;
        out.push((Some(action), next));
    }
    Ok(out)
}

/// The first action (in `Model::actions` order) leading from `from` to a state with
/// fingerprint `to`.
pub fn action_to<M: Spec>(model: &M, from: &M::State, to: u64) -> Option<M::Action>
where
    M::State: std::hash::Hash,
    M::Action: Clone,
{
    let mut actions = Vec::new();
    model.actions(from, &mut actions);
    actions.into_iter().find(|a| {
        model
            .next_state(from, a.clone())
            .is_some_and(|n| fingerprint(&n) == to)
    })
}

/// The TLA+ variables of `state`.
pub fn variables<M: Spec>(model: &M, state: &M::State) -> BTreeMap<String, serde_json::Value> {
    match serde_json::to_value(model.view(state)) {
        Ok(serde_json::Value::Object(map)) => map.into_iter().collect(),
        Ok(other) => BTreeMap::from([("state".to_string(), other)]),
        Err(e) => BTreeMap::from([("error".to_string(), e.to_string().into())]),
    }
}

/// Report steps for replayed states (`Init` first).
pub fn steps<M: Spec>(model: &M, path: &[(Option<M::Action>, M::State)]) -> Vec<Step> {
    path.iter()
        .map(|(action, state)| Step {
            action: action
                .as_ref()
                .map_or_else(|| "Init".to_string(), |a| model.action_name(a)),
            state: variables(model, state),
        })
        .collect()
}

/// The steps of a lasso whose states are `fps` and whose last state steps back to
/// `fps[cycle_start]`; a behaviour that stutters at its last state gets a final
/// `(stuttering)` step, so the last step always leads back to `cycle_start`.
pub fn lasso_steps<M: Spec>(
    model: &M,
    fps: &[u64],
    cycle_start: usize,
) -> Result<Vec<Step>, ReplayError>
where
    M::State: std::hash::Hash,
    M::Action: Clone,
{
    let path = replay(model, fps)?;
    let mut out = steps(model, &path);
    let (_, last) = &path[path.len() - 1];
    let (_, back) = &path[cycle_start];
    if cycle_start + 1 == path.len() {
        out.push(Step {
            action: "(stuttering)".to_string(),
            state: variables(model, last),
        });
    } else {
        let action = action_to(model, last, fps[cycle_start])
            .map_or_else(|| "?".to_string(), |a| model.action_name(&a));
        out.push(Step {
            action,
            state: variables(model, back),
        });
    }
    Ok(out)
}
