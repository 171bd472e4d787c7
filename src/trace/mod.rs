//! Traces in ITF, the Informal Trace Format of Apalache and Quint: writing model paths and
//! counterexamples as ITF, reading ITF (ours, Quint's, Apalache's) back and matching it to a
//! model path.
//!
//! A written trace is `{"#meta": {...}, "vars": [...], "states": [...]}`; each state carries
//! the model's TLA+ variables (values encoded by [`value`], sets and binder names by the
//! model's [`Encoding`]) plus `mbt::actionTaken` (the action's name without arguments,
//! `"init"` for the first state, as Quint's `--mbt` writes) and `mbt::nondetPicks` (every
//! binder of the trace's actions, keyed by the TLA+ twin's parameter names as Quint keys them
//! by its `nondet` binders: `{"u": {"tag": "Some", "value": {"#bigint": "2"}}}`, the unused
//! ones `None`; left out when no action has parameters). The full TLA+ name (`Reserve(2)`) is
//! also kept in the state's `#meta.action`. Every `#meta` value is a string (the `itf`
//! crate's `Trace` reader accepts nothing else).
//!
//! Reading goes through the `itf` crate's value type (its `#bigint`/`#set`/`#map`/`#tup`
//! parsing) one state at a time, without holding the whole document as a JSON tree, so every
//! error names the state index and the field and a large trace costs little more than its
//! text. Matching a trace to a model ([`decode_path`]) needs no per-model code: at each state
//! it takes the enabled action whose name matches (a Quint state names the action and its
//! binders' values: every argument of the action must be among them) and whose successor's
//! view equals the trace's state; a trace with no action names (Apalache's) is matched on
//! states alone.

pub mod encoding;
pub mod error;
pub mod generate;
mod read;
mod report;
pub mod value;

pub use encoding::Encoding;
pub use error::TraceError;
pub use report::write_report_traces;

use crate::report::Step;
use flashcheck_models::Spec;
use serde_json::{json, Value as Json};
use std::collections::{BTreeMap, BTreeSet};
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
    /// Quint's `mbt::nondetPicks` that were `Some`, as TLA+ writes the values (`2`, `TRUE`):
    /// the taken action's arguments are among them (other binders of the step may be too).
    pub picks: Vec<String>,
    /// The model's variables, by TLA+ name.
    pub vars: BTreeMap<String, Json>,
    /// The variables the trace writes as `#set` (compared with the model's as sets).
    pub sets: BTreeSet<String>,
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
    /// How the model's sets and binders are written (the default: no sets, binders `p1`…).
    pub encoding: Encoding,
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

/// An action argument as TLA+ prints it (`2`, `TRUE`, `"x"`) as an ITF value.
fn pick_value(arg: &str) -> Json {
    match (arg.parse::<i64>(), arg) {
        (Ok(n), _) => json!({"#bigint": n.to_string()}),
        (_, "TRUE") => Json::Bool(true),
        (_, "FALSE") => Json::Bool(false),
        _ => match arg.strip_prefix('"').and_then(|a| a.strip_suffix('"')) {
            Some(inner) => Json::String(inner.to_string()),
            None => Json::String(arg.to_string()),
        },
    }
}

/// A plain value as TLA+ prints an action argument: the inverse of [`pick_value`].
fn pick_text(value: &Json) -> String {
    match value {
        Json::Bool(true) => "TRUE".into(),
        Json::Bool(false) => "FALSE".into(),
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Quint's `None` pick.
fn no_pick() -> Json {
    json!({"tag": "None", "value": {"#tup": []}})
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
                    picks: Vec::new(),
                    vars: s.state.clone().into_iter().collect(),
                    sets: BTreeSet::new(),
                })
                .collect(),
            loop_index,
            encoding: Encoding::default(),
        }
    }

    /// The trace written with `encoding` (a model's sets and binder names).
    #[must_use]
    pub fn with_encoding(mut self, encoding: Encoding) -> Self {
        self.encoding = encoding;
        self
    }

    /// The ITF document.
    pub fn to_itf(&self) -> Result<Json, TraceError> {
        let mut vars: Vec<String> = self
            .states
            .first()
            .map(|s| s.vars.keys().cloned().collect())
            .unwrap_or_default();
        let mut arities = BTreeMap::new();
        for state in self.states.iter().skip(1) {
            let (base, args) = split_action(state.action.as_deref().unwrap_or(""));
            if !args.is_empty() {
                arities.insert(base.to_string(), args.len());
            }
        }
        let binders = self.encoding.all_binders(&arities);
        vars.push(ACTION_TAKEN.to_string());
        if !binders.is_empty() {
            vars.push(NONDET_PICKS.to_string());
        }
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
                let set = self.encoding.sets.contains(name);
                let encoded = value::to_itf(v, name, set).map_err(|e| TraceError::Malformed {
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
            if !binders.is_empty() {
                let mut picks: serde_json::Map<String, Json> =
                    binders.iter().map(|b| (b.clone(), no_pick())).collect();
                if index > 0 {
                    let names = self.encoding.binder_names(base, args.len());
                    for (name, arg) in names.into_iter().zip(&args) {
                        picks.insert(name, json!({"tag": "Some", "value": pick_value(arg)}));
                    }
                }
                object.insert(NONDET_PICKS.into(), Json::Object(picks));
            }
            states.push(Json::Object(object));
        }
        // The `itf` crate reads `#meta` values as strings only.
        let mut meta: serde_json::Map<String, Json> = self
            .meta
            .iter()
            .map(|(k, v)| {
                let text = match v {
                    Json::String(s) => s.clone(),
                    other => other.to_string(),
                };
                (k.clone(), Json::String(text))
            })
            .collect();
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
            error: source,
        })
    }
}

pub use read::read_meta;

/// Refuses a trace whose `#meta` says it was written for another model or other constants
/// (flashcheck writes `model` and `constants`, the `-c` arguments; a trace without them,
/// e.g. Quint's, is accepted and matched on its states alone).
pub fn check_origin(
    meta: &BTreeMap<String, Json>,
    model: &str,
    constants: &str,
) -> Result<(), TraceError> {
    let text = |v: &Json| match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    };
    if let Some(written) = meta.get("model").map(text) {
        if written != model {
            return Err(TraceError::Origin {
                field: "model",
                written,
                replayed: model.to_string(),
            });
        }
    }
    if let Some(written) = meta.get("constants").map(text) {
        if written != constants {
            return Err(TraceError::Origin {
                field: "constants",
                written,
                replayed: constants.to_string(),
            });
        }
    }
    Ok(())
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

/// The model's variables as the trace state `like` holds them: the variables it writes as
/// sets sorted as a read set is (by JSON text), so that set order never makes a mismatch.
fn vars_like<M: Spec>(model: &M, state: &M::State, like: &TraceState) -> BTreeMap<String, Json> {
    let mut vars = view_vars(model, state);
    for name in &like.sets {
        if let Some(Json::Array(items)) = vars.get_mut(name) {
            items.sort_by_key(|v| v.to_string());
        }
    }
    vars
}

/// True when every argument of `args` is among `picks` (as a multiset): Quint's step lists
/// the values of all its `nondet` binders, the taken action's among them.
fn args_among(args: &[&str], picks: &[String]) -> bool {
    let mut left: Vec<&str> = picks.iter().map(String::as_str).collect();
    args.iter().all(|a| match left.iter().position(|p| p == a) {
        Some(i) => {
            left.swap_remove(i);
            true
        }
        None => false,
    })
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
    let mut state = match inits
        .iter()
        .find(|s| vars_like(model, s, first) == first.vars)
    {
        Some(s) => s.clone(),
        None => {
            let init = inits.first().ok_or_else(|| TraceError::Malformed {
                state: Some(0),
                field: "-".into(),
                reason: "the model has no initial state".into(),
            })?;
            let (field, expected, actual) =
                first_difference(&vars_like(model, init, first), &first.vars)
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
        let mut candidates: Vec<&M::Action> = enabled.iter().filter(|a| named(a)).collect();
        if !step.picks.is_empty() {
            let picked: Vec<&M::Action> = candidates
                .iter()
                .copied()
                .filter(|a| args_among(&split_action(&model.action_name(a)).1, &step.picks))
                .collect();
            if !picked.is_empty() {
                candidates = picked;
            }
        }
        let mut closest = None;
        let mut found = None;
        for a in &candidates {
            let Some(next) = model.next_state(&state, (*a).clone()) else {
                continue;
            };
            let vars = vars_like(model, &next, step);
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
