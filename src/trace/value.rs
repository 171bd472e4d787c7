//! Values between a view's plain JSON and ITF (ADR-015, as Apalache and Quint write it).
//!
//! Encoding (plain → ITF): integers become `#bigint`; arrays become JSON arrays (TLA+
//! sequences, and functions over `1..n`, which TLA+ does not tell apart) unless the
//! [`Encoding`](super::encoding::Encoding) says the variable is a set, then `#set`; objects
//! become records.
//!
//! Normalising (ITF → plain, for comparison): `#bigint` → integer, `#map` with keys exactly
//! `1..n` → array (Apalache writes functions over `1..n` so), any other `#map` → array of
//! `[key, value]` pairs, `#set` → array sorted by its JSON text, `#tup` and lists → array.
//! A record field starting with `#` is refused: it is a misspelt ITF constructor (`itf`
//! parses an unknown `{"#bigint": "x"}` as a record).

use itf::value::{BigInt, Record, Set};
use itf::Value;
use serde_json::Value as Json;

/// Why a value could not be converted; the path names the offending part.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct ValueError {
    /// Where in the value, e.g. `phase[2]`.
    pub path: String,
    /// What is wrong.
    pub reason: String,
}

/// Encodes a plain JSON value as ITF; `set`: the value is a TLA+ set (a sorted array).
pub fn to_itf(json: &Json, path: &str, set: bool) -> Result<Value, ValueError> {
    Ok(match json {
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::BigInt(BigInt::new(i)),
            None => {
                return Err(ValueError {
                    path: path.to_string(),
                    reason: format!("{n} is not an integer in i64 range"),
                })
            }
        },
        Json::String(s) => Value::String(s.clone()),
        Json::Array(items) => {
            let encoded = items
                .iter()
                .enumerate()
                .map(|(i, item)| to_itf(item, &format!("{path}[{}]", i + 1), false))
                .collect::<Result<Vec<_>, _>>()?;
            if set {
                Value::Set(encoded.into_iter().collect::<Set<_>>())
            } else {
                Value::List(encoded)
            }
        }
        Json::Object(fields) => {
            let mut record = Record::new();
            for (k, v) in fields {
                record.insert(k.clone(), to_itf(v, &format!("{path}.{k}"), false)?);
            }
            Value::Record(record)
        }
        Json::Null => {
            return Err(ValueError {
                path: path.to_string(),
                reason: "null has no ITF encoding".to_string(),
            })
        }
    })
}

/// Decodes an ITF value into the plain JSON a view would produce (see the module doc).
pub fn normalise(value: &Value, path: &str) -> Result<Json, ValueError> {
    let err = |reason: String| ValueError {
        path: path.to_string(),
        reason,
    };
    Ok(match value {
        Value::Bool(b) => Json::Bool(*b),
        Value::Number(n) => Json::from(*n),
        Value::BigInt(b) => {
            let i = i64::try_from(b.get().clone())
                .map_err(|_| err(format!("#bigint {b} is out of i64 range")))?;
            Json::from(i)
        }
        Value::String(s) => Json::String(s.clone()),
        Value::List(items) => Json::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| normalise(v, &format!("{path}[{i}]")))
                .collect::<Result<_, _>>()?,
        ),
        Value::Tuple(items) => Json::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| normalise(v, &format!("{path}[{i}]")))
                .collect::<Result<_, _>>()?,
        ),
        Value::Set(items) => {
            let mut out = items
                .iter()
                .enumerate()
                .map(|(i, v)| normalise(v, &format!("{path}{{{i}}}")))
                .collect::<Result<Vec<_>, _>>()?;
            out.sort_by_key(|v| v.to_string());
            Json::Array(out)
        }
        Value::Map(map) => {
            let keyed_one_to_n = map.iter().enumerate().all(
                |(i, (k, _))| matches!(k, Value::BigInt(b) if *b.get() == (i as i64 + 1).into()),
            );
            let mut out = Vec::with_capacity(map.len());
            for (k, v) in map.iter() {
                let key = normalise(k, &format!("{path}.key"))?;
                let value = normalise(v, &format!("{path}[{key}]"))?;
                out.push(if keyed_one_to_n {
                    value
                } else {
                    Json::Array(vec![key, value])
                });
            }
            Json::Array(out)
        }
        Value::Record(record) => {
            let mut out = serde_json::Map::new();
            for (k, v) in record.iter() {
                if k.starts_with('#') {
                    return Err(err(format!(
                        "malformed ITF constructor '{k}' (expected #bigint, #set, #map, #tup)"
                    )));
                }
                out.insert(k.clone(), normalise(v, &format!("{path}.{k}"))?);
            }
            Json::Object(out)
        }
        Value::Unserializable(u) => return Err(err(format!("unserializable value {u:?}"))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrays_are_lists_and_sets_are_sets() {
        let json = serde_json::json!({"a": [1, 2], "b": "x", "c": true});
        let itf = to_itf(&json, "v", false).unwrap();
        let text = serde_json::to_string(&itf).unwrap();
        assert!(!text.contains("#map") && text.contains("#bigint"), "{text}");
        assert_eq!(normalise(&itf, "v").unwrap(), json);
        let set = to_itf(&serde_json::json!([2, 1]), "s", true).unwrap();
        let text = serde_json::to_string(&set).unwrap();
        assert!(text.starts_with("{\"#set\":"), "{text}");
    }

    #[test]
    fn a_misspelt_constructor_is_refused() {
        let v: Value = serde_json::from_str(r##"{"#bigint": "x1"}"##).unwrap();
        assert!(normalise(&v, "available").is_err());
    }
}
