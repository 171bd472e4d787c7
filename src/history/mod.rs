//! Histories as data: what each client invoked and what came back (Jepsen's invoke / ok /
//! fail / info events), stamped from one monotonic clock, serializable so that a run can be
//! stored, read back and checked again; and their reading into the checker's completed and
//! indeterminate operations ([`crate::replay::linearizability`]).
//!
//! Submodules: [`edn`] reads Jepsen's EDN values, [`jepsen`] reads Jepsen's history files
//! (log lines and EDN event maps), [`models`] holds the sequential models `flashcheck lincheck`
//! checks them against.

pub mod check;
pub mod edn;
pub mod jepsen;
pub mod models;
pub mod synth;

use crate::replay::linearizability::{Operation, Pending};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What happened at one instant for one client (Jepsen's `:type`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "type", content = "value")]
pub enum EventKind<Op, Ret> {
    /// The client called `Op`.
    Invoke(Op),
    /// It returned `Ret`: the operation took effect.
    Ok(Ret),
    /// It failed in a way that guarantees it took no effect.
    Fail,
    /// Its response was lost (timeout, reset connection, server killed): it may or may not
    /// have taken effect. Jepsen's `:info`.
    Info,
}

/// One event of a history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event<Op, Ret> {
    /// The client (Jepsen's process): its events alternate invoke, completion.
    pub process: u64,
    /// What happened.
    #[serde(flatten)]
    pub kind: EventKind<Op, Ret>,
    /// When, on the history's one clock: distinct and increasing in the order events happened.
    pub time: u64,
}

/// A history: events in the order they happened (by `time`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct History<Op, Ret> {
    /// The events.
    pub events: Vec<Event<Op, Ret>>,
}

impl<Op, Ret> Default for History<Op, Ret> {
    fn default() -> Self {
        History { events: Vec::new() }
    }
}

/// A history that does not read as alternating invocations and completions.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShapeError {
    /// A process completed an operation it never invoked.
    #[error("event {index}: process {process} completes an operation it never invoked")]
    CompletionWithoutInvoke {
        /// Event index.
        index: usize,
        /// The process.
        process: u64,
    },
    /// A process invoked again while its previous operation was still open.
    #[error("event {index}: process {process} invokes while its previous operation is still open")]
    InvokeWhileOpen {
        /// Event index.
        index: usize,
        /// The process.
        process: u64,
    },
    /// Times go backwards or repeat.
    #[error("event {index}: time {time} is not after the previous event's")]
    TimeNotIncreasing {
        /// Event index.
        index: usize,
        /// Its time.
        time: u64,
    },
}

/// The operations of a history, as the checker takes them.
#[derive(Debug, Clone)]
pub struct Operations<Op, Ret> {
    /// Completed operations (`ok`).
    pub completed: Vec<Operation<Op, Ret>>,
    /// Indeterminate operations (`info`, or invoked and never completed).
    pub pending: Vec<Pending<Op>>,
    /// Failed operations, left out (they took no effect).
    pub failed: usize,
    /// For each checker index (completed, then pending), the index of its invoke event.
    pub invoke_event: Vec<usize>,
}

impl<Op: Clone, Ret: Clone> History<Op, Ret> {
    /// Appends an event.
    pub fn push(&mut self, process: u64, kind: EventKind<Op, Ret>, time: u64) {
        self.events.push(Event {
            process,
            kind,
            time,
        });
    }

    /// Pairs each invocation with its process's next completion: `ok` is a completed
    /// operation, `info` or no completion at all an indeterminate one, `fail` is dropped.
    pub fn operations(&self) -> Result<Operations<Op, Ret>, ShapeError> {
        let mut open: BTreeMap<u64, usize> = BTreeMap::new();
        let mut completed = Vec::new();
        let mut completed_at = Vec::new();
        let mut pending = Vec::new();
        let mut pending_at = Vec::new();
        let mut failed = 0;
        let mut last_time = None;
        for (index, e) in self.events.iter().enumerate() {
            if last_time.is_some_and(|t| e.time <= t) {
                return Err(ShapeError::TimeNotIncreasing {
                    index,
                    time: e.time,
                });
            }
            last_time = Some(e.time);
            let process = e.process;
            match &e.kind {
                EventKind::Invoke(_) => {
                    if open.insert(process, index).is_some() {
                        return Err(ShapeError::InvokeWhileOpen { index, process });
                    }
                }
                kind => {
                    let Some(at) = open.remove(&process) else {
                        return Err(ShapeError::CompletionWithoutInvoke { index, process });
                    };
                    let (op, call) = self.invoked(at);
                    match kind {
                        EventKind::Ok(ret) => {
                            completed.push(Operation {
                                client: process,
                                op,
                                ret: ret.clone(),
                                call,
                                returned: e.time,
                            });
                            completed_at.push(at);
                        }
                        EventKind::Info => {
                            pending.push(Pending {
                                client: process,
                                op,
                                call,
                            });
                            pending_at.push(at);
                        }
                        _ => failed += 1,
                    }
                }
            }
        }
        for (&process, &at) in &open {
            let (op, call) = self.invoked(at);
            pending.push(Pending {
                client: process,
                op,
                call,
            });
            pending_at.push(at);
        }
        completed_at.extend(pending_at);
        Ok(Operations {
            completed,
            pending,
            failed,
            invoke_event: completed_at,
        })
    }

    fn invoked(&self, at: usize) -> (Op, u64) {
        match &self.events[at].kind {
            EventKind::Invoke(op) => (op.clone(), self.events[at].time),
            _ => unreachable!("`open` holds invoke events only"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_and_unfinished_invocations_are_pending_and_fail_is_dropped() {
        let mut h: History<&str, i64> = History::default();
        h.push(0, EventKind::Invoke("w"), 1);
        h.push(1, EventKind::Invoke("r"), 2);
        h.push(0, EventKind::Ok(0), 3);
        h.push(1, EventKind::Info, 4);
        h.push(2, EventKind::Invoke("c"), 5);
        h.push(2, EventKind::Fail, 6);
        h.push(3, EventKind::Invoke("x"), 7);
        let ops = h.operations().unwrap();
        assert_eq!(ops.completed.len(), 1);
        assert_eq!(ops.pending.len(), 2);
        assert_eq!(ops.failed, 1);
        assert_eq!(ops.invoke_event, vec![0, 1, 6]);
    }

    #[test]
    fn malformed_shapes_are_refused() {
        let mut h: History<&str, i64> = History::default();
        h.push(0, EventKind::Ok(1), 1);
        assert!(matches!(
            h.operations(),
            Err(ShapeError::CompletionWithoutInvoke { .. })
        ));
        let mut h: History<&str, i64> = History::default();
        h.push(0, EventKind::Invoke("a"), 1);
        h.push(0, EventKind::Invoke("b"), 2);
        assert!(matches!(
            h.operations(),
            Err(ShapeError::InvokeWhileOpen { .. })
        ));
    }

    #[test]
    fn a_history_round_trips_through_json() {
        let mut h: History<String, i64> = History::default();
        h.push(0, EventKind::Invoke("read".into()), 1);
        h.push(0, EventKind::Ok(3), 2);
        h.push(1, EventKind::Invoke("write".into()), 3);
        h.push(1, EventKind::Info, 4);
        let text = serde_json::to_string(&h).unwrap();
        let back: History<String, i64> = serde_json::from_str(&text).unwrap();
        assert_eq!(back, h);
    }
}
