//! What both saga models share: the step list they are built from, the service-side effect
//! of each step, the event history, and the history predicates behind the saga properties.
//!
//! The predicates are written exactly as the TLA+ twins (`tla/Saga.tla`, `tla/SagaSeed.tla`)
//! define them, so that both sides decide the same thing on the same states.

use crate::constant::RangeError;
use crate::spec::{InstancePredicate, Liveness};
use serde::{Deserialize, Serialize};
use stateright::Model;

/// The most steps a saga model accepts.
pub const MAX_STEPS: usize = 12;
/// The largest `F`, `R` or `C` a model accepts (each bound is a small counter).
pub const MAX_BOUND: u64 = 8;
/// The compensation that identifies the payment step (`no_refund_without_payment`).
pub const REFUND_PAYMENT: &str = "refund_payment";
/// The compensation that identifies the inventory step (`reservation_released_on_abort`).
pub const CANCEL_RESERVATION: &str = "cancel_inventory_reservation";

/// One step as the model needs it: its name and its compensation's name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepNames {
    /// The forward step's name.
    pub name: String,
    /// The compensation's name.
    pub compensation: String,
}

/// A validated step list: 1..=[`MAX_STEPS`] steps with distinct names, and where the domain
/// steps are (1-based; `None` when the saga has no such compensation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepList {
    steps: Vec<StepNames>,
    inventory: Option<u8>,
    payment: Option<u8>,
}

impl StepList {
    /// Validates `steps`: at least one, at most [`MAX_STEPS`], no duplicate step name, no
    /// empty name or compensation, at most one step per domain compensation.
    pub fn new(steps: Vec<StepNames>) -> Result<Self, RangeError> {
        let bad = |reason: String| RangeError {
            constant: "NSteps",
            reason,
        };
        if steps.is_empty() || steps.len() > MAX_STEPS {
            return Err(bad(format!(
                "{} steps is outside 1..={MAX_STEPS}",
                steps.len()
            )));
        }
        for (i, s) in steps.iter().enumerate() {
            if s.name.trim().is_empty() || s.compensation.trim().is_empty() {
                return Err(bad(format!(
                    "step {} has an empty name or compensation",
                    i + 1
                )));
            }
            if steps[..i].iter().any(|t| t.name == s.name) {
                return Err(bad(format!("step name `{}` is used twice", s.name)));
            }
        }
        let find = |compensation: &str| -> Result<Option<u8>, RangeError> {
            let mut found = steps
                .iter()
                .enumerate()
                .filter(|(_, s)| s.compensation == compensation)
                .map(|(i, _)| i as u8 + 1);
            let first = found.next();
            match found.next() {
                Some(_) => Err(bad(format!(
                    "more than one step is compensated by `{compensation}`"
                ))),
                None => Ok(first),
            }
        };
        let inventory = find(CANCEL_RESERVATION)?;
        let payment = find(REFUND_PAYMENT)?;
        Ok(StepList {
            steps,
            inventory,
            payment,
        })
    }

    /// The steps, in order.
    pub fn steps(&self) -> &[StepNames] {
        &self.steps
    }

    /// How many steps (`NSteps`).
    pub fn len(&self) -> u8 {
        self.steps.len() as u8
    }

    /// Never true: a step list has at least one step.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The 1-based index of the step compensated by `cancel_inventory_reservation`.
    pub fn inventory_step(&self) -> Option<u8> {
        self.inventory
    }

    /// The 1-based index of the step compensated by `refund_payment`.
    pub fn payment_step(&self) -> Option<u8> {
        self.payment
    }
}

/// Checks a bound constant (`F`, `R`, `C`) and narrows it.
pub(crate) fn bound(constant: &'static str, value: u64) -> Result<u8, RangeError> {
    if value > MAX_BOUND {
        return Err(RangeError {
            constant,
            reason: format!("{value} is above {MAX_BOUND}"),
        });
    }
    Ok(value as u8)
}

/// The orchestrator's control state (`pc`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Pc {
    /// Running steps in order.
    Forward,
    /// Running compensations.
    Compensating,
    /// Every step committed; the saga returned success.
    Done,
    /// The saga gave up and finished compensating (as far as it could).
    Aborted,
    /// `saga-seed` only: the orchestrator crashed and restarted with no memory of the saga.
    Lost,
}

impl Pc {
    /// The TLA+ string.
    pub fn tla_name(self) -> &'static str {
        match self {
            Pc::Forward => "forward",
            Pc::Compensating => "compensating",
            Pc::Done => "done",
            Pc::Aborted => "aborted",
            Pc::Lost => "lost",
        }
    }
}

/// What a step's service holds right now (`effect[i]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Effect {
    /// Never committed (or failed).
    None,
    /// Committed and not undone.
    Committed,
    /// Its compensation completed.
    Compensated,
}

impl Effect {
    /// The TLA+ string.
    pub fn tla_name(self) -> &'static str {
        match self {
            Effect::None => "none",
            Effect::Committed => "committed",
            Effect::Compensated => "compensated",
        }
    }
}

/// What happened, in the `history` sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    /// A step ran and committed.
    Commit,
    /// A step ran and failed.
    Fail,
    /// A compensation ran to completion.
    Undo,
}

/// One entry of `history`: `[op |-> "commit", step |-> 2]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Event {
    /// What happened.
    pub op: Op,
    /// To which step (1-based).
    pub step: u8,
}

impl Event {
    /// `[op |-> op, step |-> step]`.
    pub fn new(op: Op, step: u8) -> Self {
        Event { op, step }
    }

    fn started(self) -> bool {
        matches!(self.op, Op::Commit | Op::Fail)
    }
}

/// `compensate_only_committed`: every `undo` of step i comes after a `commit` of step i.
pub fn compensate_only_committed(history: &[Event]) -> bool {
    history
        .iter()
        .enumerate()
        .all(|(k, e)| e.op != Op::Undo || history[..k].contains(&Event::new(Op::Commit, e.step)))
}

/// The first position (0-based) where step `i` committed.
fn commit_index(history: &[Event], step: u8) -> Option<usize> {
    history
        .iter()
        .position(|e| *e == Event::new(Op::Commit, step))
}

/// `reverse_order`: of two compensations of distinct committed steps, the later one is of
/// the step that committed earlier.
pub fn reverse_order(history: &[Event]) -> bool {
    for (p, a) in history.iter().enumerate() {
        for b in &history[p + 1..] {
            if a.op == Op::Undo && b.op == Op::Undo && a.step != b.step {
                if let (Some(ca), Some(cb)) =
                    (commit_index(history, a.step), commit_index(history, b.step))
                {
                    if cb >= ca {
                        return false;
                    }
                }
            }
        }
    }
    true
}

/// `no_forward_after_abort`: nothing but compensations after the first compensation.
pub fn no_forward_after_abort(history: &[Event]) -> bool {
    match history.iter().position(|e| e.op == Op::Undo) {
        None => true,
        Some(first) => history[first..].iter().all(|e| e.op == Op::Undo),
    }
}

/// First half of `recovery_idempotent`: no step starts again once it has committed.
pub fn no_rerun(history: &[Event]) -> bool {
    history.iter().enumerate().all(|(p, a)| {
        a.op != Op::Commit
            || !history[p + 1..]
                .iter()
                .any(|b| b.started() && b.step == a.step)
    })
}

/// `no_refund_without_payment`: the payment step's compensation runs only after the payment
/// committed; vacuous when the saga has no payment step.
pub fn no_refund_without_payment(history: &[Event], payment: Option<u8>) -> bool {
    match payment {
        None => true,
        Some(p) => history.iter().enumerate().all(|(k, e)| {
            *e != Event::new(Op::Undo, p) || history[..k].contains(&Event::new(Op::Commit, p))
        }),
    }
}

/// True when every step's service holds a commit.
pub fn all_committed(effect: &[Effect]) -> bool {
    effect.iter().all(|e| *e == Effect::Committed)
}

/// True when no step's service holds a commit (each committed one was compensated).
pub fn none_committed(effect: &[Effect]) -> bool {
    effect.iter().all(|e| *e != Effect::Committed)
}

/// `effect` as TLA+ strings, for counterexample traces.
pub fn effect_view(effect: &[Effect]) -> Vec<&'static str> {
    effect.iter().map(|e| e.tla_name()).collect()
}

/// `atomicity`, the saga's liveness property, for either model: `settled` says whether a
/// state is a settled end (see [`settled`]).
pub(crate) fn atomicity<M: Model>(settled: InstancePredicate<M>) -> Liveness<M> {
    Liveness {
        name: "atomicity",
        description: "eventually the saga ends with every step committed or every \
                      committed step compensated (weak fairness on the orchestrator)",
        instances: 1,
        trigger: None,
        goal: settled,
    }
}

/// An ended saga whose steps are all committed or none is: what `atomicity` waits for.
pub(crate) fn settled(ended: bool, effect: &[Effect]) -> bool {
    ended && (all_committed(effect) || none_committed(effect))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(op: Op, step: u8) -> Event {
        Event::new(op, step)
    }

    #[test]
    fn predicates_on_hand_written_histories() {
        let good = [
            ev(Op::Commit, 1),
            ev(Op::Commit, 2),
            ev(Op::Fail, 3),
            ev(Op::Undo, 2),
            ev(Op::Undo, 1),
        ];
        assert!(compensate_only_committed(&good));
        assert!(reverse_order(&good));
        assert!(no_forward_after_abort(&good));
        assert!(no_rerun(&good));
        let forward = [
            ev(Op::Commit, 1),
            ev(Op::Commit, 2),
            ev(Op::Undo, 1),
            ev(Op::Undo, 2),
        ];
        assert!(!reverse_order(&forward));
        assert!(!compensate_only_committed(&[
            ev(Op::Fail, 1),
            ev(Op::Undo, 1)
        ]));
        assert!(!no_forward_after_abort(&[
            ev(Op::Commit, 1),
            ev(Op::Undo, 1),
            ev(Op::Fail, 2)
        ]));
        assert!(!no_rerun(&[ev(Op::Commit, 1), ev(Op::Fail, 1)]));
        assert!(!no_refund_without_payment(
            &[ev(Op::Fail, 3), ev(Op::Undo, 3)],
            Some(3)
        ));
        assert!(no_refund_without_payment(
            &[ev(Op::Fail, 3), ev(Op::Undo, 3)],
            None
        ));
    }

    #[test]
    fn step_lists_are_validated() {
        let s = |n: &str, c: &str| StepNames {
            name: n.into(),
            compensation: c.into(),
        };
        assert!(StepList::new(vec![]).is_err());
        assert!(StepList::new(vec![s("a", "x"), s("a", "y")]).is_err());
        assert!(StepList::new(vec![s("a", REFUND_PAYMENT), s("b", REFUND_PAYMENT)]).is_err());
        let l = StepList::new(vec![s("a", CANCEL_RESERVATION), s("b", REFUND_PAYMENT)]).unwrap();
        assert_eq!((l.inventory_step(), l.payment_step()), (Some(1), Some(2)));
        assert!(StepList::new(vec![s("a", "x"); MAX_STEPS + 1]).is_err());
    }
}
