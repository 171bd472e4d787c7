//! The sequential models `flashcheck lincheck` checks Jepsen histories against (Knossos's
//! classic register and compare-and-set register, a counter, and the inventory's stock), as
//! [`SequentialSpec`]s over EDN values.
//!
//! | model | operations (`:f value` → ok value) | initial state |
//! | --- | --- | --- |
//! | `register` | `:write v` → any; `:read _` → the value held | `nil` |
//! | `cas-register` | the register's, and `:cas [old new]` → any: sets `new` if the value held is `old` | `nil` |
//! | `counter` | `:add n` → any; `:read _` → the count | `0` |
//! | `stock` | `:reserve _` → `:reserved`/`true` (takes a unit, needs one) or `:sold-out`/`false` (needs none left); `:release _` → any (returns a unit); `:read _` → units left | `--initial N` (required) |
//!
//! `:fail` means the operation took no effect; `:info` that it may or may not have
//! (indeterminate). With `--independent`, every value is a `[key value]` tuple (Jepsen's
//! `independent` checker) and each key is checked alone (P-compositionality).

use super::edn::Value;
use super::jepsen::JepsenOp;
use crate::replay::linearizability::SequentialSpec;
use serde::Serialize;
use std::collections::HashMap;

/// A model a Jepsen history is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum JepsenModel {
    /// Read / write register.
    Register,
    /// Read / write / compare-and-set register.
    CasRegister,
    /// Add / read counter.
    Counter,
    /// Reserve / release / read stock counter (the inventory's stock).
    Stock,
}

impl JepsenModel {
    /// Its name on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            JepsenModel::Register => "register",
            JepsenModel::CasRegister => "cas-register",
            JepsenModel::Counter => "counter",
            JepsenModel::Stock => "stock",
        }
    }
}

/// An operation the model does not have, or a value of the wrong kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("model {model:?} has no operation {op}: {why}")]
pub struct UnknownOp {
    /// The model.
    pub model: JepsenModel,
    /// The operation as written.
    pub op: String,
    /// Why.
    pub why: &'static str,
}

/// A model's sequential specification, with an initial value.
#[derive(Debug, Clone)]
pub struct JepsenSpec {
    model: JepsenModel,
    initial: Value,
    classes: HashMap<JepsenOp, u64>,
}

impl JepsenModel {
    /// The initial value when none is given; `None` when the model needs one.
    pub fn default_initial(self) -> Option<Value> {
        match self {
            JepsenModel::Register | JepsenModel::CasRegister => Some(Value::Nil),
            JepsenModel::Counter => Some(Value::Int(0)),
            JepsenModel::Stock => None,
        }
    }

    /// Whether `op` is one of this model's operations, with a value of the right kind.
    pub fn validate(self, op: &JepsenOp) -> Result<(), UnknownOp> {
        let bad = |why| {
            Err(UnknownOp {
                model: self,
                op: op.to_string(),
                why,
            })
        };
        match (self, op.f.as_str()) {
            (_, "read") => Ok(()),
            (JepsenModel::Register | JepsenModel::CasRegister, "write") => Ok(()),
            (JepsenModel::CasRegister, "cas") => match &op.value {
                Value::List(v) if v.len() == 2 => Ok(()),
                _ => bad("a cas value is [old new]"),
            },
            (JepsenModel::Counter, "add") => match op.value {
                Value::Int(_) => Ok(()),
                _ => bad("an add value is an integer"),
            },
            (JepsenModel::Stock, "reserve" | "release") => Ok(()),
            _ => bad("see `flashcheck lincheck --help` for each model's operations"),
        }
    }

    /// A read's effect is nothing: an indeterminate read can be dropped (as Knossos does).
    pub fn is_read(self, op: &JepsenOp) -> bool {
        op.f == "read"
    }
}

impl JepsenSpec {
    /// `model` from `initial`; `ops` are the history's operations, numbered so that
    /// indeterminate operations with the same `:f` and value are interchangeable.
    pub fn new<'a>(
        model: JepsenModel,
        initial: Value,
        ops: impl IntoIterator<Item = &'a JepsenOp>,
    ) -> Self {
        let mut classes = HashMap::new();
        for op in ops {
            let next = classes.len() as u64;
            classes.entry(op.clone()).or_insert(next);
        }
        JepsenSpec {
            model,
            initial,
            classes,
        }
    }

    fn int(v: &Value) -> Option<i64> {
        match v {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The state after `op` with result `ret` (`None`: result unknown, any allowed).
    fn apply(&self, s: &Value, op: &JepsenOp, ret: Option<&Value>) -> Vec<Value> {
        let same = |v: &Value| ret.is_none_or(|r| r == v);
        match (self.model, op.f.as_str()) {
            (_, "read") => {
                if same(s) {
                    vec![s.clone()]
                } else {
                    vec![]
                }
            }
            (JepsenModel::Register | JepsenModel::CasRegister, "write") => vec![op.value.clone()],
            (JepsenModel::CasRegister, "cas") => match &op.value {
                Value::List(v) if v.len() == 2 && &v[0] == s => vec![v[1].clone()],
                _ => vec![],
            },
            (JepsenModel::Counter, "add") => match (Self::int(s), Self::int(&op.value)) {
                (Some(a), Some(b)) => a.checked_add(b).map(Value::Int).into_iter().collect(),
                _ => vec![],
            },
            (JepsenModel::Stock, "reserve") => {
                let Some(n) = Self::int(s) else { return vec![] };
                let reserved = || (n > 0).then(|| Value::Int(n - 1));
                let sold_out = || (n == 0).then_some(Value::Int(n));
                match ret {
                    None => reserved().into_iter().chain(sold_out()).collect(),
                    Some(Value::Keyword(k)) if k == "reserved" => reserved().into_iter().collect(),
                    Some(Value::Bool(true)) => reserved().into_iter().collect(),
                    Some(Value::Keyword(k)) if k == "sold-out" => sold_out().into_iter().collect(),
                    Some(Value::Bool(false)) => sold_out().into_iter().collect(),
                    Some(_) => vec![],
                }
            }
            (JepsenModel::Stock, "release") => Self::int(s)
                .and_then(|n| n.checked_add(1))
                .map(Value::Int)
                .into_iter()
                .collect(),
            _ => vec![],
        }
    }
}

impl SequentialSpec for JepsenSpec {
    type State = Value;
    type Op = JepsenOp;
    type Ret = Value;

    fn init(&self) -> Value {
        self.initial.clone()
    }

    fn step(&self, s: &Value, op: &JepsenOp, ret: &Value) -> Option<Value> {
        self.apply(s, op, Some(ret)).into_iter().next()
    }

    fn step_unseen(&self, s: &Value, op: &JepsenOp) -> Option<Vec<Value>> {
        Some(self.apply(s, op, None))
    }

    fn unseen_class(&self, op: &JepsenOp) -> Option<u64> {
        self.classes.get(op).copied()
    }

    /// Reads (they need the value they saw), compare-and-sets from a value to itself, and
    /// sold-out reservations (they need an empty stock): each leaves every state that allows
    /// it; the checker takes one at once when the current state allows it. A write of the
    /// value held is not one: later it may undo another write.
    fn only_observes(&self, op: &JepsenOp, ret: &Value) -> bool {
        match (self.model, op.f.as_str()) {
            (_, "read") => true,
            (JepsenModel::CasRegister, "cas") => {
                matches!(&op.value, Value::List(v) if v.len() == 2 && v[0] == v[1])
            }
            (JepsenModel::Counter, "add") => op.value == Value::Int(0),
            (JepsenModel::Stock, "reserve") => {
                matches!(ret, Value::Bool(false))
                    || matches!(ret, Value::Keyword(k) if k == "sold-out")
            }
            _ => false,
        }
    }

    /// [`JepsenSpec::step`] depends on the operation and its result alone: their 64-bit
    /// hash (SipHash with fixed keys) is the class; the trait says what a collision risks.
    fn completed_class(&self, op: &JepsenOp, ret: &Value) -> Option<u64> {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (op, ret).hash(&mut h);
        Some(h.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(f: &str, value: Value) -> JepsenOp {
        JepsenOp { f: f.into(), value }
    }

    #[test]
    fn cas_needs_the_old_value_and_reads_see_the_held_one() {
        let spec = JepsenSpec::new(JepsenModel::CasRegister, Value::Nil, []);
        let cas = op("cas", Value::List(vec![Value::Int(1), Value::Int(2)]));
        assert_eq!(
            spec.step(&Value::Int(1), &cas, &Value::Nil),
            Some(Value::Int(2))
        );
        assert_eq!(spec.step(&Value::Int(3), &cas, &Value::Nil), None);
        let read = op("read", Value::Nil);
        assert_eq!(spec.step(&Value::Nil, &read, &Value::Nil), Some(Value::Nil));
        assert_eq!(spec.step(&Value::Int(1), &read, &Value::Int(2)), None);
    }

    #[test]
    fn stock_reserves_only_what_is_left() {
        let spec = JepsenSpec::new(JepsenModel::Stock, Value::Int(1), []);
        let r = op("reserve", Value::Nil);
        let reserved = Value::Keyword("reserved".into());
        let sold_out = Value::Keyword("sold-out".into());
        assert_eq!(
            spec.step(&Value::Int(1), &r, &reserved),
            Some(Value::Int(0))
        );
        assert_eq!(spec.step(&Value::Int(0), &r, &reserved), None);
        assert_eq!(spec.step(&Value::Int(1), &r, &sold_out), None);
        assert_eq!(
            spec.step_unseen(&Value::Int(0), &r),
            Some(vec![Value::Int(0)])
        );
    }

    #[test]
    fn what_only_observes_changes_no_state_it_is_allowed_in() {
        let values = || {
            [Value::Nil, Value::Int(0), Value::Int(1), Value::Int(2)]
                .into_iter()
                .chain([Value::Keyword("reserved".into()), Value::Bool(false)])
        };
        let mut ops = vec![op("read", Value::Nil), op("reserve", Value::Nil)];
        ops.extend(values().map(|v| op("write", v)));
        ops.extend(values().map(|v| op("add", v)));
        for a in values() {
            ops.extend(values().map(|b| op("cas", Value::List(vec![a.clone(), b]))));
        }
        let models = [
            JepsenModel::Register,
            JepsenModel::CasRegister,
            JepsenModel::Counter,
            JepsenModel::Stock,
        ];
        let mut observers = 0;
        for model in models {
            let spec = JepsenSpec::new(model, Value::Nil, []);
            for o in &ops {
                for ret in values() {
                    if !spec.only_observes(o, &ret) {
                        continue;
                    }
                    observers += 1;
                    for s in values() {
                        let after = spec.step(&s, o, &ret);
                        assert!(
                            after.is_none() || after == Some(s.clone()),
                            "{model:?} {o} {ret} from {s}"
                        );
                    }
                }
            }
        }
        assert!(observers > 0);
        // The ones the checker counts on, and a write, which is not one.
        let spec = JepsenSpec::new(JepsenModel::CasRegister, Value::Nil, []);
        assert!(spec.only_observes(&op("read", Value::Nil), &Value::Int(1)));
        let same = op("cas", Value::List(vec![Value::Int(1), Value::Int(1)]));
        assert!(spec.only_observes(&same, &Value::Nil));
        assert!(!spec.only_observes(&op("write", Value::Int(1)), &Value::Nil));
    }

    /// `x = 1`, then writes of 1 and 2 overlap, then a read sees 1: linearizable ("2, then
    /// 1"), though the write of 1 leaves the value held when it becomes callable.
    #[test]
    fn a_write_of_the_value_held_may_still_come_last() {
        use crate::replay::linearizability::{check, Operation};
        let spec = JepsenSpec::new(JepsenModel::CasRegister, Value::Nil, []);
        let at = |o: JepsenOp, ret: Value, call: u64, returned: u64| Operation {
            client: call,
            op: o,
            ret,
            call,
            returned,
        };
        let h = vec![
            at(op("write", Value::Int(1)), Value::Int(1), 0, 1),
            at(op("write", Value::Int(1)), Value::Int(1), 2, 5),
            at(op("write", Value::Int(2)), Value::Int(2), 3, 6),
            at(op("read", Value::Nil), Value::Int(1), 7, 8),
        ];
        assert!(check(&spec, &h).unwrap().is_ok());
    }

    #[test]
    fn unknown_operations_are_refused() {
        assert!(JepsenModel::Register
            .validate(&op("cas", Value::Nil))
            .is_err());
        assert!(JepsenModel::Counter
            .validate(&op("add", Value::Nil))
            .is_err());
        assert!(JepsenModel::CasRegister
            .validate(&op("cas", Value::List(vec![Value::Int(1), Value::Int(2)])))
            .is_ok());
    }
}
