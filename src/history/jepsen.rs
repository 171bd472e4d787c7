//! Jepsen's history files as [`History`]: the text log (`history.txt`, one event a line:
//! `process :invoke|:ok|:fail|:info :f value`, also as Jepsen's own log writes it, after
//! `INFO  jepsen.util - `) and EDN event maps (`history.edn`:
//! `{:type :invoke, :f :read, :process 0, :value nil}`, one after another or inside one
//! vector). Events take their order in the file as their time (Jepsen writes them in the
//! order they happened). The nemesis's events (`:process :nemesis`) are left out: they are
//! faults, not operations. Anything else that does not read is an error naming its line.

use super::edn::{self, Value};
use super::{EventKind, History};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// A Jepsen operation: its function (`:f`, without the colon) and the value it was invoked
/// with.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct JepsenOp {
    /// `:f`.
    pub f: String,
    /// `:value` at invocation.
    pub value: Value,
}

impl fmt::Display for JepsenOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, ":{} {}", self.f, self.value)
    }
}

/// A Jepsen history: operations, results as EDN values.
pub type JepsenHistory = History<JepsenOp, Value>;

/// A history file that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JepsenError {
    /// A line of the text format does not read.
    #[error("line {line}: {what}")]
    Line {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        what: String,
    },
    /// The EDN does not read.
    #[error(transparent)]
    Edn(#[from] edn::EdnError),
    /// An EDN event map lacks a field or has one of the wrong kind.
    #[error("event {index}: {what}")]
    Event {
        /// 0-based event number in the file.
        index: usize,
        /// What is wrong.
        what: String,
    },
    /// Nothing in the file.
    #[error("no events")]
    Empty,
}

/// Reads a history in either format (EDN when the first form opens with `{` or `[`).
pub fn parse(text: &str) -> Result<JepsenHistory, JepsenError> {
    let first = text
        .lines()
        .map(str::trim_start)
        .find(|l| !l.is_empty() && !l.starts_with(';'));
    let history = match first {
        Some(l) if l.starts_with('{') || l.starts_with('[') => parse_edn(text)?,
        Some(_) => parse_log(text)?,
        None => return Err(JepsenError::Empty),
    };
    if history.events.is_empty() {
        return Err(JepsenError::Empty);
    }
    Ok(history)
}

/// Process names to ids: integers keep their value; others (`"a"`, `:n1`) get ids above
/// every integer seen, in order of appearance.
#[derive(Default)]
struct Processes {
    named: BTreeMap<String, u64>,
}

impl Processes {
    fn id(&mut self, v: &Value) -> Result<Option<u64>, String> {
        match v {
            Value::Keyword(k) if k == "nemesis" => Ok(None),
            Value::Int(i) if *i >= 0 && *i < (1 << 62) => Ok(Some(*i as u64)),
            Value::Int(i) => Err(format!("process {i} out of range")),
            Value::Keyword(s) | Value::Str(s) | Value::Symbol(s) => {
                let next = (1u64 << 62) + self.named.len() as u64;
                Ok(Some(*self.named.entry(s.clone()).or_insert(next)))
            }
            other => Err(format!("process {other} is not a number or a name")),
        }
    }
}

fn kind_of(ty: &str, op: JepsenOp) -> Option<EventKind<JepsenOp, Value>> {
    Some(match ty {
        "invoke" => EventKind::Invoke(op),
        "ok" => EventKind::Ok(op.value),
        "fail" => EventKind::Fail,
        "info" => EventKind::Info,
        _ => return None,
    })
}

/// The history in a line of the text format. Jepsen's own log (`jepsen.log`) prefixes each
/// history line with its logger: `INFO  jepsen.util - 3\t:invoke\t:read\tnil`, after an
/// optional timestamp; that prefix is dropped, and lines of Jepsen's other loggers
/// (`INFO  jepsen.core - Run complete`) are not history (`None`). A bare line is kept whole.
fn history_part(line: &str) -> Option<&str> {
    const LOGGER: &str = " jepsen.util - ";
    if let Some(at) = line.find(LOGGER) {
        return Some(line[at + LOGGER.len()..].trim());
    }
    let logged = line
        .split_whitespace()
        .take(4)
        .any(|w| matches!(w, "TRACE" | "DEBUG" | "INFO" | "WARN" | "ERROR" | "FATAL"))
        && line.contains(" - ");
    (!logged).then(|| line.trim())
}

fn parse_log(text: &str) -> Result<JepsenHistory, JepsenError> {
    let mut history = History::default();
    let mut processes = Processes::default();
    for (i, line) in text.lines().enumerate() {
        let err = |what: String| JepsenError::Line { line: i + 1, what };
        let Some(trimmed) = history_part(line) else {
            continue;
        };
        if trimmed.is_empty() || trimmed.starts_with(';') {
            continue;
        }
        let mut forms = edn::parse_all(trimmed).map_err(|e| err(e.to_string()))?;
        if forms.len() < 3 {
            return Err(err("expected `process :type :f value`".into()));
        }
        let rest = forms.split_off(3);
        let (p, ty, f) = (&forms[0], &forms[1], &forms[2]);
        let Some(process) = processes.id(p).map_err(err)? else {
            continue;
        };
        let (Value::Keyword(ty), Value::Keyword(f)) = (ty, f) else {
            return Err(err(format!("expected `:type :f` keywords, found {ty} {f}")));
        };
        // A fourth form is the value; Jepsen appends an error to failed operations.
        let value = rest.into_iter().next().unwrap_or(Value::Nil);
        let op = JepsenOp {
            f: f.clone(),
            value,
        };
        let kind = kind_of(ty, op)
            .ok_or_else(|| err(format!(":{ty} is not :invoke, :ok, :fail or :info")))?;
        history.push(process, kind, history.events.len() as u64 + 1);
    }
    Ok(history)
}

fn parse_edn(text: &str) -> Result<JepsenHistory, JepsenError> {
    let mut maps = Vec::new();
    for form in edn::parse_all(text)? {
        match form {
            Value::List(items) => maps.extend(items),
            other => maps.push(other),
        }
    }
    let mut history = History::default();
    let mut processes = Processes::default();
    for (index, m) in maps.iter().enumerate() {
        let err = |what: String| JepsenError::Event { index, what };
        if !matches!(m, Value::Map(_)) {
            return Err(err(format!("not an event map: {m}")));
        }
        let field = |k: &str| m.get(k).ok_or_else(|| err(format!("no :{k}")));
        let Some(process) = processes.id(field("process")?).map_err(err)? else {
            continue;
        };
        let Value::Keyword(ty) = field("type")? else {
            return Err(err(":type is not a keyword".into()));
        };
        let f = match field("f")? {
            Value::Keyword(f) | Value::Str(f) | Value::Symbol(f) => f.clone(),
            other => return Err(err(format!(":f {other} is not a name"))),
        };
        let op = JepsenOp {
            f,
            value: m.get("value").cloned().unwrap_or(Value::Nil),
        };
        let kind = kind_of(ty, op)
            .ok_or_else(|| err(format!(":{ty} is not :invoke, :ok, :fail or :info")))?;
        history.push(process, kind, history.events.len() as u64 + 1);
    }
    Ok(history)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn both_formats_read_the_same_history() {
        let log = "0\t:invoke\t:write\t1\n1\t:invoke\t:read\tnil\n0\t:ok\t:write\t1\n\
                   :nemesis\t:info\t:start\tnil\n1\t:info\t:read\tnil\t:timeout\n";
        let edn = "[{:type :invoke, :f :write, :process 0, :value 1}\n\
                   {:type :invoke, :f :read, :process 1, :value nil}\n\
                   {:type :ok, :f :write, :process 0, :value 1}\n\
                   {:type :info, :f :start, :process :nemesis}\n\
                   {:type :info, :f :read, :process 1, :value nil}]";
        let a = parse(log).unwrap();
        let b = parse(edn).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.events.len(), 4);
        let ops = a.operations().unwrap();
        assert_eq!((ops.completed.len(), ops.pending.len()), (1, 1));
    }

    #[test]
    fn jepsen_log_lines_read_as_the_bare_format() {
        // As Jepsen's etcd test logs them (the histories Porcupine's tests check).
        let logged = "INFO  jepsen.core - Worker 0 starting\n\
                      INFO  jepsen.util - 0\t:invoke\t:write\t1\n\
                      2017-01-02 10:11:12,345{GMT}\tINFO\t[jepsen worker 1] jepsen.util - 1\t:invoke\t:read\tnil\n\
                      INFO  jepsen.util - 0\t:ok\t:write\t1\n\
                      INFO  jepsen.util - 1\t:fail\t:read\t:timed-out\n";
        let bare = "0\t:invoke\t:write\t1\n1\t:invoke\t:read\tnil\n0\t:ok\t:write\t1\n\
                    1\t:fail\t:read\t:timed-out\n";
        assert_eq!(parse(logged).unwrap(), parse(bare).unwrap());
        // A line that is neither stays an error.
        assert!(parse("INFO jepsen.util 0 :invoke :read nil\n").is_err());
    }

    #[test]
    fn bad_lines_are_named() {
        assert_eq!(
            parse("0 :invoke :read nil\n0 :done :read 1\n"),
            Err(JepsenError::Line {
                line: 2,
                what: ":done is not :invoke, :ok, :fail or :info".into()
            })
        );
        assert!(matches!(
            parse("{:type :ok}"),
            Err(JepsenError::Event { .. })
        ));
        assert_eq!(parse("\n\n"), Err(JepsenError::Empty));
    }

    proptest! {
        #[test]
        fn never_panics_on_garbage(text in "\\PC{0,80}") {
            let _ = parse(&text);
        }

        #[test]
        fn never_panics_on_history_like_garbage(
            lines in prop::collection::vec(
                "(-?[0-9]{1,3}|:nemesis|x) (:invoke|:ok|:fail|:info|:x) (:read|:write|:cas) (nil|[0-9]|\\[[0-9] [0-9]\\]|\\[)",
                0..8)
        ) {
            let text = lines.join("\n");
            if let Ok(h) = parse(&text) {
                let _ = h.operations();
            }
        }
    }
}
