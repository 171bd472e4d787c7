//! Inline replay: a model path run step by step on one thread, the implementation's abstract
//! state compared with the model's after every step, and at every state the operations the
//! model does not enable offered to the implementation, each required to be refused with no
//! observable change (negative steps).

use super::{Conformance, ExecutorChoice};
use crate::reference::Mutation;
use flashcheck_models::Spec;
use serde::Serialize;
use serde_json::Value as Json;
use stateright::Model;

/// The first step where implementation and model part.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mismatch {
    /// Step index (1 = the first action; 0 = the initial state).
    pub step: usize,
    /// The model action (TLA+ name).
    pub action: String,
    /// The implementation operation it performed, if any.
    pub op: Option<Json>,
    /// What differs: `state` or `result`; for a negative step `refusal` (the answer) or
    /// `refusal state` (the observable state changed).
    pub what: &'static str,
    /// A negative step: the action the model does not enable that the implementation did not
    /// refuse as documented (offered in the state reached after `step`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
    /// The model's side.
    pub expected: Json,
    /// The implementation's side.
    pub actual: Json,
}

/// The result of replaying one path.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InlineOutcome {
    /// Actions replayed (internal ones included).
    pub steps: usize,
    /// Implementation operations performed (negative steps not included).
    pub operations: usize,
    /// Negative steps offered (operations the model does not enable), refused as required
    /// unless `mismatch` says otherwise.
    pub refusals: usize,
    /// The first mismatch, if any.
    pub mismatch: Option<Mismatch>,
}

fn json<T: Serialize>(value: &T) -> Json {
    serde_json::to_value(value).unwrap_or_else(|e| Json::String(format!("<unserialisable: {e}>")))
}

/// Replays `actions` from `init` on a fresh implementation.
pub fn replay<C: Conformance>(
    c: &C,
    init: &<C::Model as Model>::State,
    actions: &[<C::Model as Model>::Action],
    mutation: Option<Mutation>,
) -> InlineOutcome
where
    <C::Model as Model>::State: Clone,
    <C::Model as Model>::Action: Clone,
{
    let model = c.model();
    let imp = c.build(ExecutorChoice::Inline, 1, mutation);
    let mut state = init.clone();
    let mut operations = 0;
    let start = (c.abstract_model(&state), c.observe(&imp));
    if start.0 != start.1 {
        return InlineOutcome {
            steps: 0,
            operations,
            mismatch: Some(Mismatch {
                step: 0,
                action: "Init".into(),
                op: None,
                what: "state",
                refused: None,
                expected: json(&start.0),
                actual: json(&start.1),
            }),
            refusals: 0,
        };
    }
    let mut refusals = 0;
    if let Some(mismatch) = refuse_all(c, &imp, &state, &start.0, 0, "Init", &mut refusals) {
        return InlineOutcome {
            steps: 0,
            operations,
            refusals,
            mismatch: Some(mismatch),
        };
    }
    for (i, action) in actions.iter().enumerate() {
        let name = model.action_name(action);
        let Some(next) = model.next_state(&state, action.clone()) else {
            return InlineOutcome {
                steps: i,
                operations,
                refusals,
                mismatch: Some(Mismatch {
                    step: i + 1,
                    action: name,
                    op: None,
                    what: "model",
                    refused: None,
                    expected: Json::String("an enabled action".into()),
                    actual: Json::String("the model has no successor for it".into()),
                }),
            };
        };
        state = next;
        let mut op_json = None;
        if let Some((op, predicted)) = c.operation(action) {
            operations += 1;
            op_json = Some(json(&op));
            let ret = c.invoke(&imp, c.client(&op) as usize, &op);
            if ret != predicted {
                return InlineOutcome {
                    steps: i + 1,
                    operations,
                    refusals,
                    mismatch: Some(Mismatch {
                        step: i + 1,
                        action: name,
                        op: op_json,
                        what: "result",
                        refused: None,
                        expected: json(&predicted),
                        actual: json(&ret),
                    }),
                };
            }
        }
        let (expected, actual) = (c.abstract_model(&state), c.observe(&imp));
        if expected != actual {
            return InlineOutcome {
                steps: i + 1,
                operations,
                mismatch: Some(Mismatch {
                    step: i + 1,
                    action: name,
                    op: op_json,
                    what: "state",
                    refused: None,
                    expected: json(&expected),
                    actual: json(&actual),
                }),
                refusals,
            };
        }
        if let Some(mismatch) = refuse_all(c, &imp, &state, &expected, i + 1, &name, &mut refusals)
        {
            return InlineOutcome {
                steps: i + 1,
                operations,
                refusals,
                mismatch: Some(mismatch),
            };
        }
    }
    InlineOutcome {
        steps: actions.len(),
        operations,
        refusals,
        mismatch: None,
    }
}

/// Offers every refusal of `state` (reached by `action`, step `step`) to `imp`, whose
/// observable state is `expected`; the first one not refused as documented, or that changed
/// the observable state, is the mismatch.
fn refuse_all<C: Conformance>(
    c: &C,
    imp: &C::Impl,
    state: &<C::Model as Model>::State,
    expected: &C::Abstract,
    step: usize,
    action: &str,
    offered: &mut usize,
) -> Option<Mismatch> {
    for refusal in c.refusals(state) {
        *offered += 1;
        let ret = c.invoke(imp, c.client(&refusal.op) as usize, &refusal.op);
        let mismatch = |what, expected: Json, actual: Json| Mismatch {
            step,
            action: action.to_string(),
            op: Some(json(&refusal.op)),
            what,
            refused: Some(refusal.action.clone()),
            expected,
            actual,
        };
        if ret != refusal.expected {
            return Some(mismatch("refusal", json(&refusal.expected), json(&ret)));
        }
        let after = c.observe(imp);
        if after != *expected {
            return Some(mismatch("refusal state", json(expected), json(&after)));
        }
    }
    None
}
