//! Jepsen-shaped histories made to order, for tests and measurements: `clients` processes
//! run reads, writes and compare-and-sets on one register (Jepsen's etcd and key-value test
//! shape), each operation taking effect atomically at one instant between its invocation and
//! its completion, so the history is linearizable by construction; some responses are lost
//! (`:info`, after which the process is replaced by a fresh one, as Jepsen does). With
//! `stale_reads` > 0, that fraction of reads returns an older value instead: not
//! linearizable (as soon as one stale read is actually visible).

use super::edn::Value;
use super::jepsen::{JepsenHistory, JepsenOp};
use super::{EventKind, History};
use crate::trace::SplitMix64;

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// Concurrent processes.
    pub clients: usize,
    /// Operations (invocations) in all.
    pub operations: usize,
    /// Fraction (per mille) of responses lost: `:info`.
    pub info_per_mille: u64,
    /// Fraction (per mille) of reads returning a stale value.
    pub stale_per_mille: u64,
    /// Distinct values written.
    pub values: i64,
    /// The seed.
    pub seed: u64,
}

#[derive(Clone)]
struct InFlight {
    process: u64,
    op: JepsenOp,
    /// The result once the operation took effect (`Some(None)`: a cas that did not match).
    result: Option<Option<Value>>,
}

/// A cas-register history of `shape` (register-only when the caller ignores `:cas`).
pub fn cas_register(shape: Shape) -> JepsenHistory {
    let mut rng = SplitMix64::new(shape.seed);
    let mut h: JepsenHistory = History::default();
    let mut state = Value::Nil;
    let mut past: Vec<Value> = vec![Value::Nil];
    let mut slots: Vec<Option<InFlight>> = vec![None; shape.clients.max(1)];
    let mut process_of: Vec<u64> = (0..slots.len() as u64).collect();
    let mut next_process = slots.len() as u64;
    let mut invoked = 0;
    let mut time = 0u64;
    let roll = |rng: &mut SplitMix64, per_mille: u64| rng.next_u64() % 1000 < per_mille;
    loop {
        let busy = slots.iter().any(Option::is_some);
        if invoked >= shape.operations && !busy {
            break;
        }
        let s = rng.below(slots.len());
        time += 1;
        match &mut slots[s] {
            None if invoked < shape.operations => {
                let v = Value::Int(rng.below(shape.values.max(1) as usize) as i64);
                let op = match rng.below(5) {
                    0 | 1 => JepsenOp {
                        f: "read".into(),
                        value: Value::Nil,
                    },
                    2 | 3 => JepsenOp {
                        f: "write".into(),
                        value: v,
                    },
                    _ => JepsenOp {
                        f: "cas".into(),
                        value: Value::List(vec![
                            Value::Int(rng.below(shape.values.max(1) as usize) as i64),
                            v,
                        ]),
                    },
                };
                invoked += 1;
                h.push(process_of[s], EventKind::Invoke(op.clone()), time);
                slots[s] = Some(InFlight {
                    process: process_of[s],
                    op,
                    result: None,
                });
            }
            None => {}
            Some(f) if f.result.is_none() => {
                // The operation takes effect now.
                f.result = Some(match f.op.f.as_str() {
                    "read" => Some(if roll(&mut rng, shape.stale_per_mille) {
                        past[rng.below(past.len())].clone()
                    } else {
                        state.clone()
                    }),
                    "write" => {
                        state = f.op.value.clone();
                        past.push(state.clone());
                        Some(f.op.value.clone())
                    }
                    _ => match &f.op.value {
                        Value::List(ab) if ab[0] == state => {
                            state = ab[1].clone();
                            past.push(state.clone());
                            Some(f.op.value.clone())
                        }
                        _ => None,
                    },
                });
            }
            Some(f) => {
                let kind = if roll(&mut rng, shape.info_per_mille) {
                    EventKind::Info
                } else {
                    match f.result.clone().flatten() {
                        Some(v) => EventKind::Ok(v),
                        None => EventKind::Fail,
                    }
                };
                let info = kind == EventKind::Info;
                h.push(f.process, kind, time);
                slots[s] = None;
                if info {
                    process_of[s] = next_process;
                    next_process += 1;
                }
            }
        }
    }
    h
}

/// The history as Jepsen's `history.txt` lines.
pub fn to_log(h: &JepsenHistory) -> String {
    let mut open: std::collections::BTreeMap<u64, JepsenOp> = Default::default();
    let mut out = String::new();
    for e in &h.events {
        let (ty, f, value) = match &e.kind {
            EventKind::Invoke(op) => {
                open.insert(e.process, op.clone());
                ("invoke", op.f.clone(), op.value.clone())
            }
            kind => {
                let op = open.remove(&e.process).unwrap_or(JepsenOp {
                    f: "unknown".into(),
                    value: Value::Nil,
                });
                match kind {
                    EventKind::Ok(v) => ("ok", op.f, v.clone()),
                    EventKind::Fail => ("fail", op.f, op.value),
                    _ => ("info", op.f, op.value),
                }
            }
        };
        out.push_str(&format!("{}\t:{ty}\t:{f}\t{value}\n", e.process));
    }
    out
}
