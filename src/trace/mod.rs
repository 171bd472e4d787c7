//! Traces in ITF, the Informal Trace Format of Apalache and Quint: writing model paths and
//! counterexamples as ITF, reading ITF (ours, Quint's, Apalache's) back and matching it to a
//! model path.
//!
//! A written trace is `{"#meta": {...}, "vars": [...], "states": [...]}`; each state carries
//! the model's TLA+ variables (values encoded by [`value`]) plus `mbt::actionTaken` (the
//! action's name without arguments, `"init"` for the first state, as Quint's `--mbt` writes)
//! and `mbt::nondetPicks` (the arguments as `{"p1": {"tag": "Some", "value": 2}}`). The full
//! TLA+ name (`Reserve(2)`) is also kept in the state's `#meta.action`.
//!
//! Reading goes through the `itf` crate's value type (its `#bigint`/`#set`/`#map`/`#tup`
//! parsing) one variable at a time, so every error names the state index and the field.
//! Matching a trace to a model ([`decode_path`]) needs no per-model code: at each state it
//! takes the enabled action whose name matches and whose successor's view equals the trace's
//! state; a trace with no action names (Apalache's) is matched on states alone.

pub mod error;
pub mod generate;
pub mod value;

pub use error::TraceError;

use crate::report::Step;
use flashcheck_models::Spec;
use serde_json::{json, Value as Json};
use std::collections::BTreeMap;
use std::path::Path;

/// The variable holding the action's name.
pub const ACTION_TAKEN: &str = "mbt::actionTaken";
/// The variable holding the action's arguments.
pub const NONDET_PICKS: &str = "mbt::nondetPicks";

/// One state of a trace: the action that led to it and the model's variables (normalised
/// plain JSON, see [`value::normalise`]).
#[derive(Debug, Clone, PartialEq)]
pub struct TraceState {
    /// The full action name (`Reserve(2)`, `Init`), or its bare name when only that is known,
    /// or `None` when the trace does not say.
    pub action: Option<String>,
    /// The model's variables, by TLA+ name.
    pub vars: BTreeMap<String, Json>,
}

/// A trace read from, or to be written as, ITF.
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    /// `#meta` (source, description, model, constants …).
    pub meta: BTreeMap<String, Json>,
    /// The states, in order.
    pub states: Vec<TraceState>,
    /// Index a lasso loops back to (ITF's `loop`).
    pub loop_index: Option<usize>,
}

/// Splits `Reserve(2)` into `("Reserve", ["2"])`; a name without parentheses has no arguments.
pub fn split_action(name: &str) -> (&str, Vec<&str>) {
    match name.split_once('(') {
        Some((base, rest)) if rest.ends_with(')') => {
            let inner = &rest[..rest.len() - 1];
            let args = if inner.trim().is_empty() {
                Vec::new()
            } else {
                inner.split(',').map(str::trim).collect()
            };
            (base, args)
        }
        _ => (name, Vec::new()),
    }
}

fn pick_value(arg: &str) -> Json {
    match arg.parse::<i64>() {
        Ok(n) => json!({"#bigint": n.to_string()}),
        Err(_) => Json::String(arg.to_string()),
    }
}

impl Trace {
    /// A trace of report steps (the first labelled `Init`).
    pub fn from_steps(
        meta: BTreeMap<String, Json>,
        steps: &[Step],
        loop_index: Option<usize>,
    ) -> Self {
        Trace {
            meta,
            states: steps
                .iter()
                .map(|s| TraceState {
                    action: Some(s.action.clone()),
                    vars: s.state.clone().into_iter().collect(),
                })
                .collect(),
            loop_index,
        }
    }

    /// The ITF document.
    pub fn to_itf(&self) -> Result<Json, TraceError> {
        let mut vars: Vec<String> = self
            .states
            .first()
            .map(|s| s.vars.keys().cloned().collect())
            .unwrap_or_default();
        vars.push(ACTION_TAKEN.to_string());
        vars.push(NONDET_PICKS.to_string());
        let mut states = Vec::with_capacity(self.states.len());
        for (index, state) in self.states.iter().enumerate() {
            let mut object = serde_json::Map::new();
            let mut meta = serde_json::Map::new();
            meta.insert("index".into(), json!(index));
            if let Some(action) = &state.action {
                meta.insert("action".into(), json!(action));
            }
            object.insert("#meta".into(), Json::Object(meta));
            for (name, v) in &state.vars {
                let encoded = value::to_itf(v, name).map_err(|e| TraceError::Malformed {
                    state: Some(index),
                    field: e.path,
                    reason: e.reason,
                })?;
                let encoded =
                    serde_json::to_value(&encoded).map_err(|e| TraceError::Malformed {
                        state: Some(index),
                        field: name.clone(),
                        reason: e.to_string(),
                    })?;
                object.insert(name.clone(), encoded);
            }
            let full = state.action.as_deref().unwrap_or("");
            let (base, args) = split_action(full);
            let taken = if index == 0 { "init" } else { base };
            object.insert(ACTION_TAKEN.into(), json!(taken));
            let picks: serde_json::Map<String, Json> = args
                .iter()
                .enumerate()
                .map(|(i, a)| {
                    (
                        format!("p{}", i + 1),
                        json!({"tag": "Some", "value": pick_value(a)}),
                    )
                })
                .collect();
            object.insert(NONDET_PICKS.into(), Json::Object(picks));
            states.push(Json::Object(object));
        }
        let mut meta: serde_json::Map<String, Json> = self.meta.clone().into_iter().collect();
        meta.entry("format").or_insert(json!("ITF"));
        meta.entry("format-description")
            .or_insert(json!("https://apalache-mc.org/docs/adr/015adr-trace.html"));
        meta.entry("source").or_insert(json!("flashcheck"));
        let mut doc = serde_json::Map::new();
        doc.insert("#meta".into(), Json::Object(meta));
        doc.insert("vars".into(), json!(vars));
        if let Some(l) = self.loop_index {
            doc.insert("loop".into(), json!(l));
        }
        doc.insert("states".into(), Json::Array(states));
        Ok(Json::Object(doc))
    }

    /// Writes the ITF document to `path`.
    pub fn write(&self, path: &Path) -> Result<(), TraceError> {
        let text =
            serde_json::to_string_pretty(&self.to_itf()?).map_err(|e| TraceError::Malformed {
                state: None,
                field: "-".into(),
                reason: e.to_string(),
            })?;
        std::fs::write(path, text + "\n").map_err(|source| TraceError::Io {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Reads an ITF file.
    pub fn read(path: &Path) -> Result<Self, TraceError> {
        let text = std::fs::read_to_string(path).map_err(|source| TraceError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text)
    }

    /// Parses ITF text.
    pub fn parse(text: &str) -> Result<Self, TraceError> {
        let doc: Json = serde_json::from_str(text).map_err(|e| {
            let offset = byte_offset(text, e.line(), e.column());
            let (state, field) = error::locate(text, offset);
            TraceError::Syntax {
                line: e.line(),
                column: e.column(),
                state,
                field,
                message: e.to_string(),
            }
        })?;
        Self::from_json(&doc)
    }

    /// Reads a parsed ITF document.
    pub fn from_json(doc: &Json) -> Result<Self, TraceError> {
        let top = |field: &str, reason: &str| TraceError::Malformed {
            state: None,
            field: field.to_string(),
            reason: reason.to_string(),
        };
        let object = doc
            .as_object()
            .ok_or_else(|| top("-", "the top level is not an object"))?;
        let meta = match object.get("#meta") {
            None => BTreeMap::new(),
            Some(Json::Object(m)) => m.clone().into_iter().collect(),
            Some(_) => return Err(top("#meta", "not an object")),
        };
        let states = object
            .get("states")
            .ok_or_else(|| top("states", "missing"))?
            .as_array()
            .ok_or_else(|| top("states", "not an array"))?;
        if states.is_empty() {
            return Err(top(
                "states",
                "empty: a trace has at least its initial state",
            ));
        }
        let declared: Option<Vec<String>> = match object.get("vars") {
            None => None,
            Some(Json::Array(vs)) => Some(
                vs.iter()
                    .map(|v| v.as_str().map(str::to_string))
                    .collect::<Option<_>>()
                    .ok_or_else(|| top("vars", "not an array of strings"))?,
            ),
            Some(_) => return Err(top("vars", "not an array")),
        };
        let loop_index = match object.get("loop") {
            None | Some(Json::Null) => None,
            Some(v) => Some(
                v.as_u64()
                    .filter(|&l| (l as usize) < states.len())
                    .ok_or_else(|| top("loop", "not an index of a state"))?
                    as usize,
            ),
        };
        let mut out = Vec::with_capacity(states.len());
        for (index, state) in states.iter().enumerate() {
            out.push(read_state(index, state, declared.as_deref())?);
        }
        Ok(Trace {
            meta,
            states: out,
            loop_index,
        })
    }
}

fn byte_offset(text: &str, line: usize, column: usize) -> usize {
    let mut offset = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            return offset + column.min(l.len());
        }
        offset += l.len();
    }
    text.len()
}

fn read_state(
    index: usize,
    state: &Json,
    declared: Option<&[String]>,
) -> Result<TraceState, TraceError> {
    let bad = |field: &str, reason: String| TraceError::Malformed {
        state: Some(index),
        field: field.to_string(),
        reason,
    };
    let object = state
        .as_object()
        .ok_or_else(|| bad("-", "the state is not an object".into()))?;
    let mut action = match object.get("#meta").and_then(|m| m.get("action")) {
        None => None,
        Some(Json::String(s)) => Some(s.clone()),
        Some(_) => return Err(bad("#meta.action", "not a string".into())),
    };
    if action.is_none() {
        action = match object.get(ACTION_TAKEN) {
            None => None,
            Some(Json::String(s)) => Some(with_picks(index, s, object.get(NONDET_PICKS))?),
            Some(_) => return Err(bad(ACTION_TAKEN, "not a string".into())),
        };
    }
    if let Some(vars) = declared {
        if let Some(missing) = vars.iter().find(|v| !object.contains_key(v.as_str())) {
            return Err(bad(
                missing,
                "declared in vars but missing from the state".into(),
            ));
        }
    }
    let mut vars = BTreeMap::new();
    for (name, raw) in object {
        if name.starts_with('#') || name.starts_with("mbt::") {
            continue;
        }
        let parsed: itf::Value = serde_json::from_value(raw.clone())
            .map_err(|e| bad(name, format!("not an ITF value: {e}")))?;
        let plain = value::normalise(&parsed, name).map_err(|e| bad(&e.path, e.reason))?;
        vars.insert(name.clone(), plain);
    }
    Ok(TraceState { action, vars })
}

/// `actionTaken` plus Quint's `nondetPicks` (`{x: {tag: "Some", value: v}}`) as a full name.
fn with_picks(index: usize, taken: &str, picks: Option<&Json>) -> Result<String, TraceError> {
    if index == 0 || taken == "init" || taken == "step" {
        return Ok(if index == 0 {
            "Init".to_string()
        } else {
            taken.to_string()
        });
    }
    let Some(Json::Object(picks)) = picks else {
        return Ok(taken.to_string());
    };
    let mut args = Vec::new();
    for (k, v) in picks {
        let field = format!("{NONDET_PICKS}.{k}");
        match (v.get("tag").and_then(Json::as_str), v.get("value")) {
            (Some("Some"), Some(value)) => {
                let parsed: itf::Value =
                    serde_json::from_value(value.clone()).map_err(|e| TraceError::Malformed {
                        state: Some(index),
                        field: field.clone(),
                        reason: e.to_string(),
                    })?;
                let plain =
                    value::normalise(&parsed, &field).map_err(|e| TraceError::Malformed {
                        state: Some(index),
                        field: e.path,
                        reason: e.reason,
                    })?;
                args.push(match plain {
                    Json::String(s) => s,
                    other => other.to_string(),
                });
            }
            (Some("None"), _) => {}
            _ => {
                return Err(TraceError::Malformed {
                    state: Some(index),
                    field,
                    reason: "expected {\"tag\": \"Some\"|\"None\", \"value\": …}".into(),
                })
            }
        }
    }
    Ok(if args.is_empty() {
        taken.to_string()
    } else {
        format!("{taken}({})", args.join(", "))
    })
}

/// The model's variables as plain JSON, by name.
pub fn view_vars<M: Spec>(model: &M, state: &M::State) -> BTreeMap<String, Json> {
    match serde_json::to_value(model.view(state)) {
        Ok(Json::Object(map)) => map.into_iter().collect(),
        Ok(other) => BTreeMap::from([("state".to_string(), other)]),
        Err(e) => BTreeMap::from([("error".to_string(), e.to_string().into())]),
    }
}

/// The report steps of a model path from `init` taking `actions`.
pub fn path_steps<M: Spec>(model: &M, init: &M::State, actions: &[M::Action]) -> Vec<Step>
where
    M::State: Clone,
    M::Action: Clone,
{
    let mut steps = vec![Step {
        action: "Init".into(),
        state: view_vars(model, init),
    }];
    let mut state = init.clone();
    for a in actions {
        match model.next_state(&state, a.clone()) {
            Some(next) => state = next,
            None => break,
        }
        steps.push(Step {
            action: model.action_name(a),
            state: view_vars(model, &state),
        });
    }
    steps
}

fn first_difference(
    model: &BTreeMap<String, Json>,
    trace: &BTreeMap<String, Json>,
) -> Option<(String, String, String)> {
    for (name, expected) in model {
        match trace.get(name) {
            None => {
                return Some((
                    name.clone(),
                    expected.to_string(),
                    "nothing (missing)".into(),
                ))
            }
            Some(actual) if actual != expected => {
                return Some((name.clone(), expected.to_string(), actual.to_string()))
            }
            Some(_) => {}
        }
    }
    trace
        .keys()
        .find(|k| !model.contains_key(*k))
        .map(|k| (k.clone(), "no such variable".into(), trace[k].to_string()))
}

/// The model path a trace follows: its initial state and actions. Fails at the first state
/// the model cannot reproduce, naming the state and the field.
pub fn decode_path<M: Spec>(
    model: &M,
    trace: &Trace,
) -> Result<(M::State, Vec<M::Action>), TraceError>
where
    M::State: Clone,
    M::Action: Clone,
{
    let first = &trace.states[0];
    let inits = model.init_states();
    let mut state = match inits.iter().find(|s| view_vars(model, s) == first.vars) {
        Some(s) => s.clone(),
        None => {
            let init = inits.first().ok_or_else(|| TraceError::Malformed {
                state: Some(0),
                field: "-".into(),
                reason: "the model has no initial state".into(),
            })?;
            let (field, expected, actual) = first_difference(&view_vars(model, init), &first.vars)
                .unwrap_or_else(|| ("-".into(), "?".into(), "?".into()));
            return Err(TraceError::Mismatch {
                state: 0,
                action: "Init".into(),
                field,
                expected,
                actual,
            });
        }
    };
    let init = state.clone();
    let mut path = Vec::with_capacity(trace.states.len());
    let mut enabled = Vec::new();
    for (index, step) in trace.states.iter().enumerate().skip(1) {
        enabled.clear();
        model.actions(&state, &mut enabled);
        let named = |a: &M::Action| match &step.action {
            None => true,
            Some(name) => {
                let full = model.action_name(a);
                full == *name || (!name.contains('(') && split_action(&full).0 == name)
            }
        };
        let candidates: Vec<&M::Action> = enabled.iter().filter(|a| named(a)).collect();
        let mut closest = None;
        let mut found = None;
        for a in &candidates {
            let Some(next) = model.next_state(&state, (*a).clone()) else {
                continue;
            };
            let vars = view_vars(model, &next);
            match first_difference(&vars, &step.vars) {
                None => {
                    found = Some(((*a).clone(), next));
                    break;
                }
                Some(d) => {
                    closest.get_or_insert((model.action_name(a), d));
                }
            }
        }
        match found {
            Some((a, next)) => {
                path.push(a);
                state = next;
            }
            None => {
                return Err(match closest {
                    Some((action, (field, expected, actual))) => TraceError::Mismatch {
                        state: index,
                        action,
                        field,
                        expected,
                        actual,
                    },
                    None => TraceError::NotEnabled {
                        state: index,
                        action: step.action.clone().unwrap_or_else(|| "?".into()),
                        enabled: enabled
                            .iter()
                            .map(|a| model.action_name(a))
                            .collect::<Vec<_>>()
                            .join(", "),
                    },
                })
            }
        }
    }
    Ok((init, path))
}

/// A deterministic generator (SplitMix64): the same seed gives the same walks on every
/// platform, which `rand`'s default generators do not promise across versions.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// A random walk of at most `depth` actions from the first initial state, choosing
/// uniformly among the enabled actions; stops early where none is enabled.
pub fn random_walk<M: Spec>(
    model: &M,
    depth: usize,
    rng: &mut SplitMix64,
) -> Option<(M::State, Vec<M::Action>)>
where
    M::State: Clone,
    M::Action: Clone,
{
    let init = model.init_states().into_iter().next()?;
    let mut state = init.clone();
    let mut path = Vec::new();
    let mut actions = Vec::new();
    while path.len() < depth {
        actions.clear();
        model.actions(&state, &mut actions);
        if actions.is_empty() {
            break;
        }
        let a = actions[rng.below(actions.len())].clone();
        let Some(next) = model.next_state(&state, a.clone()) else {
            break;
        };
        path.push(a);
        state = next;
    }
    Some((init, path))
}
