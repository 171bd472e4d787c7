//! Checking a recorded history and the one report both `flashcheck lincheck` and the store
//! replays print: verdict, the failing window as the history's own events, counts, time and
//! memory, and the command that reproduces the run.

use super::edn::Value;
use super::jepsen::{JepsenHistory, JepsenOp};
use super::models::{JepsenModel, JepsenSpec, UnknownOp};
use super::{Operations, ShapeError};
use crate::replay::linearizability::{
    check_partitioned_indeterminate, HistoryError, Operation, Outcome, Pending,
};
use serde::Serialize;
use std::fmt::Display;
use std::time::Instant;

/// The verdict on one history.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryReport {
    /// What was checked (a file, a target).
    pub subject: String,
    /// The model (or sequential specification) it was checked against.
    pub model: String,
    /// `linearizable` or `not linearizable`.
    pub linearizable: bool,
    /// Completed operations.
    pub completed: usize,
    /// Indeterminate operations (`info`, or never answered).
    pub indeterminate: usize,
    /// Indeterminate operations left out because they cannot change the state (reads).
    pub dropped_reads: usize,
    /// Failed operations (took no effect; left out).
    pub failed: usize,
    /// Configurations the search remembered (before it ruled out every order, when not
    /// linearizable).
    pub explored: usize,
    /// The failing window: the operations among which no order works, one line each
    /// (`[call, return] process: op → result`), by call time; empty when linearizable.
    pub window: Vec<String>,
    /// Why no order works, when counting decided it without a search (the window is then
    /// the operation it names and those overlapping it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Seconds the checker took.
    pub check_s: f64,
    /// Peak resident memory of the process in MiB (`VmHWM`), when the OS says.
    pub peak_rss_mib: Option<f64>,
    /// The command that reproduces the run.
    pub command: String,
}

impl HistoryReport {
    /// Holds when the history is linearizable, refuted when not.
    pub fn outcome(&self) -> crate::outcome::Outcome {
        crate::outcome::Outcome::holds_if(self.linearizable)
    }

    /// The report as text.
    pub fn render_text(&self) -> String {
        let mut out = format!(
            "{}: {} against {} — {} completed, {} indeterminate ({} reads dropped), {} failed; \
             checked in {:.3} s{}\n",
            self.subject,
            if self.linearizable {
                "LINEARIZABLE"
            } else {
                "NOT LINEARIZABLE"
            },
            self.model,
            self.completed,
            self.indeterminate,
            self.dropped_reads,
            self.failed,
            self.check_s,
            self.peak_rss_mib
                .map_or_else(String::new, |m| format!(", peak memory {m:.1} MiB")),
        );
        if !self.window.is_empty() {
            out.push_str("no order of these operations works (minimal failing window):\n");
            for line in &self.window {
                out.push_str(&format!("  {line}\n"));
            }
        }
        if let Some(reason) = &self.reason {
            out.push_str(&format!("decided by counting: {reason}\n"));
        }
        out.push_str(&format!("reproduce: {}\n", self.command));
        out
    }
}

/// Peak resident memory of this process in MiB (Linux `VmHWM`).
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// The window's operations as lines: `[call, return] process: op → result`.
pub fn window_lines<Op: Display, Ret: Display>(
    completed: &[Operation<Op, Ret>],
    pending: &[Pending<Op>],
    window: &[usize],
) -> Vec<String> {
    window
        .iter()
        .map(|&i| match completed.get(i) {
            Some(o) => format!(
                "[{}, {}] process {}: {} → {}",
                o.call, o.returned, o.client, o.op, o.ret
            ),
            None => {
                let p = &pending[i - completed.len()];
                format!(
                    "[{}, ?] process {}: {} → ? (indeterminate)",
                    p.call, p.client, p.op
                )
            }
        })
        .collect()
}

/// Why a Jepsen history could not be checked.
#[derive(Debug, thiserror::Error)]
pub enum LincheckError {
    /// Events do not pair up.
    #[error(transparent)]
    Shape(#[from] ShapeError),
    /// An operation the model does not have.
    #[error(transparent)]
    UnknownOp(#[from] UnknownOp),
    /// The checker refused the history.
    #[error(transparent)]
    History(#[from] HistoryError),
    /// `--independent` and a value that is not `[key value]`.
    #[error("--independent: {0} is not a [key value] tuple")]
    NotKeyed(String),
    /// The model needs an initial value.
    #[error("model {0:?} needs --initial VALUE")]
    NoInitial(JepsenModel),
}

/// A Jepsen operation under its key (`Value::Nil` for a single object).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Keyed {
    key: Value,
    op: JepsenOp,
}

fn split(v: &Value, independent: bool) -> Result<(Value, Value), LincheckError> {
    if !independent {
        return Ok((Value::Nil, v.clone()));
    }
    match v {
        Value::List(kv) if kv.len() == 2 => Ok((kv[0].clone(), kv[1].clone())),
        other => Err(LincheckError::NotKeyed(other.to_string())),
    }
}

/// Checks `history` against `model` from `initial` (the model's default when `None`);
/// `independent`: values are `[key value]` and each key is its own object.
pub fn check_jepsen(
    history: &JepsenHistory,
    model: JepsenModel,
    initial: Option<Value>,
    independent: bool,
    subject: String,
    command: String,
) -> Result<HistoryReport, LincheckError> {
    let initial = initial
        .or_else(|| model.default_initial())
        .ok_or(LincheckError::NoInitial(model))?;
    let Operations {
        completed,
        pending,
        failed,
        ..
    } = history.operations()?;
    let started = Instant::now();
    let mut done: Vec<Operation<JepsenOp, Value>> = Vec::with_capacity(completed.len());
    let mut keys = Vec::with_capacity(completed.len() + pending.len());
    for o in &completed {
        let (key, value) = split(&o.op.value, independent)?;
        let (_, ret) = split(&o.ret, independent)?;
        let op = JepsenOp {
            f: o.op.f.clone(),
            value,
        };
        model.validate(&op)?;
        keys.push(key);
        done.push(Operation {
            client: o.client,
            op,
            ret,
            call: o.call,
            returned: o.returned,
        });
    }
    let mut open = Vec::new();
    let mut dropped_reads = 0;
    for p in &pending {
        let (key, value) = split(&p.op.value, independent)?;
        let op = JepsenOp {
            f: p.op.f.clone(),
            value,
        };
        model.validate(&op)?;
        if model.is_read(&op) {
            dropped_reads += 1;
            continue;
        }
        keys.push(key);
        open.push(Pending {
            client: p.client,
            op,
            call: p.call,
        });
    }
    // Key the operations for the partition, then check each key's part.
    let keyed_done: Vec<Operation<Keyed, Value>> = done
        .iter()
        .zip(&keys)
        .map(|(o, k)| Operation {
            client: o.client,
            op: Keyed {
                key: k.clone(),
                op: o.op.clone(),
            },
            ret: o.ret.clone(),
            call: o.call,
            returned: o.returned,
        })
        .collect();
    let keyed_open: Vec<Pending<Keyed>> = open
        .iter()
        .zip(&keys[done.len()..])
        .map(|(p, k)| Pending {
            client: p.client,
            op: Keyed {
                key: k.clone(),
                op: p.op.clone(),
            },
            call: p.call,
        })
        .collect();
    let spec = KeyedSpec(JepsenSpec::new(model, initial, open.iter().map(|p| &p.op)));
    let outcome = check_partitioned_indeterminate(
        &keyed_done,
        &keyed_open,
        |k: &Keyed| k.key.clone(),
        |_| spec.clone(),
    )?;
    let check_s = started.elapsed().as_secs_f64();
    let (linearizable, explored, window) = match &outcome {
        Outcome::Linearizable { explored } => (true, *explored, Vec::new()),
        Outcome::NotLinearizable(f) => (false, f.explored, window_lines(&done, &open, &f.window)),
    };
    Ok(HistoryReport {
        subject,
        model: format!("{model:?}"),
        linearizable,
        completed: done.len(),
        indeterminate: pending.len(),
        dropped_reads,
        failed,
        explored,
        window,
        reason: match &outcome {
            Outcome::NotLinearizable(f) => f.reason.clone(),
            Outcome::Linearizable { .. } => None,
        },
        check_s,
        peak_rss_mib: peak_rss_mib(),
        command,
    })
}

#[derive(Debug, Clone)]
struct KeyedSpec(JepsenSpec);

impl crate::replay::linearizability::SequentialSpec for KeyedSpec {
    type State = Value;
    type Op = Keyed;
    type Ret = Value;
    fn init(&self) -> Value {
        self.0.init()
    }
    fn step(&self, s: &Value, op: &Keyed, ret: &Value) -> Option<Value> {
        self.0.step(s, &op.op, ret)
    }
    fn step_unseen(&self, s: &Value, op: &Keyed) -> Option<Vec<Value>> {
        self.0.step_unseen(s, &op.op)
    }
    fn unseen_class(&self, op: &Keyed) -> Option<u64> {
        self.0.unseen_class(&op.op)
    }
    fn completed_class(&self, op: &Keyed, ret: &Value) -> Option<u64> {
        self.0.completed_class(&op.op, ret)
    }
    fn only_observes(&self, op: &Keyed, ret: &Value) -> bool {
        self.0.only_observes(&op.op, ret)
    }
}
