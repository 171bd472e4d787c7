//! Counterexamples from TLC's `-dumpTrace json FILE` (the CommunityModules `_JsonTrace`
//! format) turned into report [`Step`]s.
//!
//! The format is `{"state": [[i, {var: value}]…], "action": [[[i, s], A, [j, s']]…]}` with
//! states numbered from 1 and `A = {name, location, context?, parameters?}`. Values are JSON:
//! model values and strings become strings, sets and sequences arrays, functions over model
//! values or strings objects. An invariant or deadlock trace has one action per state after
//! the first. A lasso (liveness) trace has one more action, the edge that closes the loop:
//! its target `j` is an earlier (or the same, for stuttering) state. TLC labels a stuttering
//! self-loop with a real action name, so that edge is never rendered as a step; it only sets
//! `cycle_start`.
//!
//! Action names are rendered deterministically as `Name` or `Name(v1, v2)`, the values
//! taken from `context` in the order of `parameters`: a JSON string is printed bare
//! (`Reserve(u2)`), anything else as compact JSON (`Inc(1)`, `Put({"a":1})`).

use super::error::TlaError;
use crate::report::Step;
use serde_json::Value;
use std::collections::BTreeMap;

const WHAT: &str = "TLC -dumpTrace json";

/// A dumped trace: its steps, and the lasso's loop when there is one.
#[derive(Debug, Clone, PartialEq)]
pub struct DumpedTrace {
    /// Steps; the first is labelled `Init`.
    pub steps: Vec<Step>,
    /// Index in `steps` the loop goes back to (`None` for a finite trace).
    pub cycle_start: Option<usize>,
    /// The rendered name TLC gave the loop-closing edge (for stuttering: a real action name;
    /// see the module doc).
    pub loop_action: Option<String>,
}

/// Parse a dump, keeping the loop information.
pub fn parse_dump(json: &Value) -> Result<DumpedTrace, TlaError> {
    let obj = json
        .as_object()
        .ok_or_else(|| TlaError::output(WHAT, "top level is not an object"))?;
    let states = obj
        .get("state")
        .and_then(Value::as_array)
        .ok_or_else(|| TlaError::output(WHAT, "no \"state\" array"))?;
    if states.is_empty() {
        return Err(TlaError::output(WHAT, "empty \"state\" array"));
    }
    let actions: &[Value] = match obj.get("action") {
        None | Some(Value::Null) => &[],
        Some(Value::Array(a)) => a,
        Some(other) => {
            return Err(TlaError::output(
                WHAT,
                format!("\"action\" is not an array: {other}"),
            ))
        }
    };

    let mut ids = Vec::with_capacity(states.len());
    let mut vars = Vec::with_capacity(states.len());
    for (pos, entry) in states.iter().enumerate() {
        let (id, state) = numbered_state(entry, &format!("state[{pos}]"))?;
        ids.push(id);
        vars.push(state);
    }

    let mut steps = vec![Step {
        action: "Init".to_string(),
        state: vars[0].clone(),
    }];
    let mut cycle_start = None;
    let mut loop_action = None;
    for (pos, edge) in actions.iter().enumerate() {
        let where_ = format!("action[{pos}]");
        let parts = edge
            .as_array()
            .filter(|a| a.len() == 3)
            .ok_or_else(|| TlaError::output(WHAT, format!("{where_} is not [from, action, to]")))?;
        let (from, _) = numbered_state(&parts[0], &format!("{where_} source"))?;
        let (to, _) = numbered_state(&parts[2], &format!("{where_} target"))?;
        let name =
            action_name(&parts[1]).map_err(|m| TlaError::output(WHAT, format!("{where_}: {m}")))?;
        if cycle_start.is_some() {
            return Err(TlaError::output(
                WHAT,
                format!("{where_} follows the loop-closing edge"),
            ));
        }
        let current = steps.len() - 1;
        if from != ids[current] {
            return Err(TlaError::output(
                WHAT,
                format!(
                    "{where_} leaves state {from}, but the trace is at state {}",
                    ids[current]
                ),
            ));
        }
        if let Some(next_id) = ids.get(steps.len()).filter(|&&n| n == to) {
            let _ = next_id;
            steps.push(Step {
                action: name,
                state: vars[steps.len()].clone(),
            });
        } else if let Some(back) = ids[..steps.len()].iter().position(|&i| i == to) {
            cycle_start = Some(back);
            loop_action = Some(name);
        } else {
            return Err(TlaError::output(
                WHAT,
                format!("{where_} goes to state {to}, which is neither next nor earlier"),
            ));
        }
    }
    if steps.len() != states.len() {
        return Err(TlaError::output(
            WHAT,
            format!(
                "{} states but actions reach only {}",
                states.len(),
                steps.len()
            ),
        ));
    }
    Ok(DumpedTrace {
        steps,
        cycle_start,
        loop_action,
    })
}

/// TLC `-dumpTrace json` → steps (step 0 is `Init`). See [`parse_dump`] for the lasso.
pub fn dump_trace_to_steps(json: &Value) -> Result<Vec<Step>, TlaError> {
    parse_dump(json).map(|t| t.steps)
}

fn numbered_state(entry: &Value, where_: &str) -> Result<(u64, BTreeMap<String, Value>), TlaError> {
    let pair = entry
        .as_array()
        .filter(|a| a.len() == 2)
        .ok_or_else(|| TlaError::output(WHAT, format!("{where_} is not [number, state]")))?;
    let id = pair[0].as_u64().ok_or_else(|| {
        TlaError::output(
            WHAT,
            format!("{where_}: state number {} is not a natural", pair[0]),
        )
    })?;
    let state = pair[1]
        .as_object()
        .ok_or_else(|| TlaError::output(WHAT, format!("{where_}: state is not an object")))?
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Ok((id, state))
}

/// Render `{name, context, parameters}` as `Name(v1, v2)`.
pub fn action_name(action: &Value) -> Result<String, String> {
    let name = action
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .ok_or("action has no name")?;
    let context = match action.get("context") {
        None | Some(Value::Null) => None,
        Some(Value::Object(c)) => Some(c),
        Some(_) => return Err("action context is not an object".into()),
    };
    let params: Vec<String> = match action.get("parameters") {
        None | Some(Value::Null) => context
            .map(|c| c.keys().cloned().collect())
            .unwrap_or_default(),
        Some(Value::Array(p)) => p
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or("parameter name is not a string")
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err("action parameters is not an array".into()),
    };
    if params.is_empty() {
        return Ok(name.to_string());
    }
    let context = context.ok_or("action has parameters but no context")?;
    let values = params
        .iter()
        .map(|p| {
            context
                .get(p)
                .map(render_value)
                .ok_or_else(|| format!("parameter {p} has no value in the context"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(format!("{name}({})", values.join(", ")))
}

/// A parameter value: strings bare, everything else compact JSON.
pub fn render_value(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
