//! Reading ITF: the document is deserialized one state at a time (never held whole as a JSON
//! tree, which cost 30× the text), each state converted to plain values at once; `#meta`
//! alone can be read without keeping anything else ([`read_meta`]).

use super::error::{self, TraceError};
use super::{value, Encoding, Trace, TraceState, ACTION_TAKEN, NONDET_PICKS};
use serde::de::{DeserializeSeed, Deserializer, Error as _, IgnoredAny, MapAccess, SeqAccess};
use serde_json::Value as Json;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

impl Trace {
    /// Reads an ITF file (a regular file of at most [`crate::input::TRACE_LIMIT`] bytes).
    pub fn read(path: &Path) -> Result<Self, TraceError> {
        let text = crate::input::read_text(path, crate::input::TRACE_LIMIT).map_err(|source| {
            TraceError::Io {
                path: path.to_path_buf(),
                error: source,
            }
        })?;
        Self::parse(&text)
    }

    /// Parses ITF text.
    pub fn parse(text: &str) -> Result<Self, TraceError> {
        let failure = RefCell::new(None);
        let mut de = serde_json::Deserializer::from_str(text);
        let result = Document { failure: &failure }
            .deserialize(&mut de)
            .and_then(|doc| de.end().map(|()| doc));
        if let Some(e) = failure.into_inner() {
            return Err(e);
        }
        let raw = result.map_err(|e| syntax(text, &e))?;
        raw.finish()
    }

    /// Reads a parsed ITF document.
    pub fn from_json(doc: &Json) -> Result<Self, TraceError> {
        let object = doc
            .as_object()
            .ok_or_else(|| top("-", "the top level is not an object"))?;
        let mut raw = RawDocument::default();
        for (key, v) in object {
            raw.field(key, v.clone());
        }
        if let Some(Json::Array(states)) = object.get("states") {
            let mut out = Vec::with_capacity(states.len());
            for (index, state) in states.iter().enumerate() {
                out.push(read_state(index, state)?);
            }
            raw.states = Some(out);
        } else if object.contains_key("states") {
            return Err(top("states", "not an array"));
        }
        raw.finish()
    }
}

/// The `#meta` object of the ITF file `path` (empty when there is none), read without
/// keeping the states.
pub fn read_meta(path: &Path) -> Result<BTreeMap<String, Json>, TraceError> {
    let io = |source| TraceError::Io {
        path: path.to_path_buf(),
        error: source,
    };
    let text = crate::input::read_text(path, crate::input::TRACE_LIMIT).map_err(io)?;
    let mut de = serde_json::Deserializer::from_str(&text);
    let meta = MetaOnly
        .deserialize(&mut de)
        .map_err(|e| syntax(&text, &e))?;
    match meta {
        None => Ok(BTreeMap::new()),
        Some(Json::Object(m)) => Ok(m.into_iter().collect()),
        Some(_) => Err(top("#meta", "not an object")),
    }
}

fn top(field: &str, reason: &str) -> TraceError {
    TraceError::Malformed {
        state: None,
        field: field.to_string(),
        reason: reason.to_string(),
    }
}

fn syntax(text: &str, e: &serde_json::Error) -> TraceError {
    if !e.is_syntax() && !e.is_eof() {
        // A shape error from serde (e.g. `states` not an array) carries no position worth
        // locating: report it as malformed.
        return top("-", &e.to_string());
    }
    let offset = byte_offset(text, e.line(), e.column());
    let (state, field) = error::locate(text, offset);
    TraceError::Syntax {
        line: e.line(),
        column: e.column(),
        state,
        field,
        message: e.to_string(),
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

/// The top-level fields, before validation.
#[derive(Default)]
struct RawDocument {
    meta: Option<Json>,
    vars: Option<Json>,
    loop_index: Option<Json>,
    states: Option<Vec<TraceState>>,
}

impl RawDocument {
    fn field(&mut self, key: &str, value: Json) {
        match key {
            "#meta" => self.meta = Some(value),
            "vars" => self.vars = Some(value),
            "loop" => self.loop_index = Some(value),
            _ => {}
        }
    }

    fn finish(self) -> Result<Trace, TraceError> {
        let meta = match self.meta {
            None => BTreeMap::new(),
            Some(Json::Object(m)) => m.into_iter().collect(),
            Some(_) => return Err(top("#meta", "not an object")),
        };
        let states = self.states.ok_or_else(|| top("states", "missing"))?;
        if states.is_empty() {
            return Err(top(
                "states",
                "empty: a trace has at least its initial state",
            ));
        }
        let declared: Option<Vec<String>> = match self.vars {
            None => None,
            Some(Json::Array(vs)) => Some(
                vs.iter()
                    .map(|v| v.as_str().map(str::to_string))
                    .collect::<Option<_>>()
                    .ok_or_else(|| top("vars", "not an array of strings"))?,
            ),
            Some(_) => return Err(top("vars", "not an array")),
        };
        if let Some(vars) = declared {
            for (index, state) in states.iter().enumerate() {
                // `mbt::` variables are Quint's bookkeeping, not the model's.
                let missing = vars
                    .iter()
                    .find(|v| !v.starts_with("mbt::") && !state.vars.contains_key(v.as_str()));
                if let Some(missing) = missing {
                    return Err(TraceError::Malformed {
                        state: Some(index),
                        field: missing.clone(),
                        reason: "declared in vars but missing from the state".into(),
                    });
                }
            }
        }
        let loop_index = match self.loop_index {
            None | Some(Json::Null) => None,
            Some(v) => Some(
                v.as_u64()
                    .filter(|&l| (l as usize) < states.len())
                    .ok_or_else(|| top("loop", "not an index of a state"))?
                    as usize,
            ),
        };
        Ok(Trace {
            meta,
            states,
            loop_index,
            encoding: Encoding::default(),
        })
    }
}

/// The whole document, its states converted as they are read. A state's [`TraceError`] is
/// parked in `failure` (serde's error type cannot carry it) and stops the parse.
struct Document<'a> {
    failure: &'a RefCell<Option<TraceError>>,
}

impl<'de> DeserializeSeed<'de> for Document<'_> {
    type Value = RawDocument;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<RawDocument, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Document<'_> {
    type Value = RawDocument;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an ITF trace object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawDocument, A::Error> {
        let mut raw = RawDocument::default();
        while let Some(key) = map.next_key::<String>()? {
            if key == "states" {
                raw.states = Some(map.next_value_seed(States {
                    failure: self.failure,
                })?);
            } else if matches!(key.as_str(), "#meta" | "vars" | "loop") {
                let value: Json = map.next_value()?;
                raw.field(&key, value);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(raw)
    }
}

struct States<'a> {
    failure: &'a RefCell<Option<TraceError>>,
}

impl<'de> DeserializeSeed<'de> for States<'_> {
    type Value = Vec<TraceState>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<TraceState>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> serde::de::Visitor<'de> for States<'_> {
    type Value = Vec<TraceState>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("`states`, an array of state objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<TraceState>, A::Error> {
        let mut out = Vec::new();
        while let Some(state) = seq.next_element::<Json>()? {
            match read_state(out.len(), &state) {
                Ok(s) => out.push(s),
                Err(e) => {
                    *self.failure.borrow_mut() = Some(e);
                    return Err(A::Error::custom("invalid state"));
                }
            }
        }
        Ok(out)
    }
}

/// Only `#meta`; everything else is skipped without being kept.
struct MetaOnly;

impl<'de> DeserializeSeed<'de> for MetaOnly {
    type Value = Option<Json>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<Json>, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for MetaOnly {
    type Value = Option<Json>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an ITF trace object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<Json>, A::Error> {
        let mut meta = None;
        while let Some(key) = map.next_key::<String>()? {
            if key == "#meta" {
                meta = Some(map.next_value()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(meta)
    }
}

fn read_state(index: usize, state: &Json) -> Result<TraceState, TraceError> {
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
    let picks = read_picks(index, object.get(NONDET_PICKS))?;
    if action.is_none() {
        action = match object.get(ACTION_TAKEN) {
            None => None,
            Some(Json::String(_)) if index == 0 => Some("Init".to_string()),
            Some(Json::String(s)) => Some(s.clone()),
            Some(_) => return Err(bad(ACTION_TAKEN, "not a string".into())),
        };
    }
    let mut vars = BTreeMap::new();
    let mut sets = BTreeSet::new();
    for (name, raw) in object {
        if name.starts_with('#') || name.starts_with("mbt::") {
            continue;
        }
        let parsed: itf::Value = serde_json::from_value(raw.clone())
            .map_err(|e| bad(name, format!("not an ITF value: {e}")))?;
        if matches!(parsed, itf::Value::Set(_)) {
            sets.insert(name.clone());
        }
        let plain = value::normalise(&parsed, name).map_err(|e| bad(&e.path, e.reason))?;
        vars.insert(name.clone(), plain);
    }
    Ok(TraceState {
        action,
        picks,
        vars,
        sets,
    })
}

/// Quint's `mbt::nondetPicks` (`{binder: {tag: "Some", value: v} | {tag: "None", …}}`): the
/// `Some` values, as TLA+ prints them, in binder order.
fn read_picks(index: usize, picks: Option<&Json>) -> Result<Vec<String>, TraceError> {
    let picks = match picks {
        None => return Ok(Vec::new()),
        Some(Json::Object(p)) => p,
        Some(_) => {
            return Err(TraceError::Malformed {
                state: Some(index),
                field: NONDET_PICKS.into(),
                reason: "not an object".into(),
            })
        }
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
                args.push(super::pick_text(&plain));
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
    Ok(args)
}
