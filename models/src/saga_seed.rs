//! `saga-seed`: the seed's Python `SagaOrchestrator` (design document §2.1) exactly as
//! written, the port of `tla/SagaSeed.tla` (same variables, actions and properties).
//!
//! Behaviours of the seed that are modelled:
//! - `executed_steps.append((step, result))` comes before `if not result.success`, so a step
//!   that returns a failed result (`StepFails`) is in the list and gets compensated;
//! - a step that raises (`StepRaises`) is not appended: the `except` path compensates only
//!   the steps appended before it (nothing at all when it is the first step);
//! - `compensate` walks `reversed(executed_steps)` and ignores `execute_compensation`'s
//!   result: a compensation that fails (`CompensationFails`, possible when `R > 0`) is not
//!   retried, the step stays committed and the walk goes on;
//! - there is no durable log: `executed_steps` lives in memory, so a crash (`Crash`, at most
//!   `C`) restarts the process with no memory of the saga, which is then `lost`.
//!
//! Not modelled: a compensation that raises (the `except` path would run `compensate` again
//! from the top); the seed does not say that `execute_compensation` raises.

use crate::constant::RangeError;
use crate::saga::{constants, describe};
use crate::saga_history::{self as h, Effect, Event, Op, Pc, StepList};
use crate::spec::{Liveness, Spec};
use serde::{Deserialize, Serialize};
use stateright::{Model, Property};

/// The model: a step list and the bounds `F`, `R`, `C`.
#[derive(Clone, Debug)]
pub struct SagaSeed {
    steps: StepList,
    f: u8,
    r: u8,
    c: u8,
}

impl SagaSeed {
    /// A model of `steps`; `f > 0` lets a step fail, `r > 0` lets a compensation fail, and
    /// the orchestrator may crash `c` times (each ≤ [`h::MAX_BOUND`]).
    pub fn new(steps: StepList, f: u64, r: u64, c: u64) -> Result<Self, RangeError> {
        Ok(SagaSeed {
            steps,
            f: h::bound("F", f)?,
            r: h::bound("R", r)?,
            c: h::bound("C", c)?,
        })
    }

    /// The step list.
    pub fn steps(&self) -> &StepList {
        &self.steps
    }

    /// True once `execute_saga` has returned or the saga was lost (`Ended`).
    pub fn ended(s: &SeedSagaState) -> bool {
        matches!(s.pc, Pc::Done | Pc::Aborted | Pc::Lost)
    }

    /// The step `compensate` handles next: `reversed(executed_steps)[cursor]`.
    fn to_undo(s: &SeedSagaState) -> Option<u8> {
        let len = s.executed.len();
        let k = usize::from(s.cursor);
        (k < len).then(|| s.executed[len - 1 - k])
    }
}

/// The variables of `tla/SagaSeed.tla`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SeedSagaState {
    /// `pc`: forward, compensating, done, aborted or lost.
    pub pc: Pc,
    /// `executed`: `executed_steps`, in memory.
    pub executed: Vec<u8>,
    /// `cursor`: how many entries of `reversed(executed_steps)` `compensate` has handled.
    pub cursor: u8,
    /// `effect[i]`: what step i's service holds.
    pub effect: Vec<Effect>,
    /// `history`: commits, failures and completed compensations, in order.
    pub history: Vec<Event>,
    /// `crashes`: crashes so far.
    pub crashes: u8,
}

/// The TLA+ actions; steps are 1-based.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SeedSagaAction {
    /// Step i returns success.
    Execute(u8),
    /// Step i returns a failed result (appended, then compensated).
    StepFails(u8),
    /// Step i raises (not appended).
    StepRaises(u8),
    /// The compensation of step i completes.
    Compensate(u8),
    /// The compensation of step i fails; its result is ignored.
    CompensationFails(u8),
    /// The process crashes and restarts with empty memory.
    Crash,
}

impl Model for SagaSeed {
    type State = SeedSagaState;
    type Action = SeedSagaAction;

    fn init_states(&self) -> Vec<SeedSagaState> {
        vec![SeedSagaState {
            pc: Pc::Forward,
            executed: Vec::new(),
            cursor: 0,
            effect: vec![Effect::None; usize::from(self.steps.len())],
            history: Vec::new(),
            crashes: 0,
        }]
    }

    fn actions(&self, s: &SeedSagaState, actions: &mut Vec<SeedSagaAction>) {
        match s.pc {
            Pc::Forward => {
                let i = s.executed.len() as u8 + 1;
                actions.push(SeedSagaAction::Execute(i));
                if self.f > 0 {
                    actions.push(SeedSagaAction::StepFails(i));
                    actions.push(SeedSagaAction::StepRaises(i));
                }
            }
            Pc::Compensating => {
                if let Some(i) = Self::to_undo(s) {
                    actions.push(SeedSagaAction::Compensate(i));
                    if self.r > 0 {
                        actions.push(SeedSagaAction::CompensationFails(i));
                    }
                }
            }
            Pc::Done | Pc::Aborted | Pc::Lost => return,
        }
        if s.crashes < self.c {
            actions.push(SeedSagaAction::Crash);
        }
    }

    fn next_state(&self, s: &SeedSagaState, action: SeedSagaAction) -> Option<SeedSagaState> {
        let mut n = s.clone();
        match action {
            SeedSagaAction::Execute(i) => {
                n.executed.push(i);
                *n.effect.get_mut(usize::from(i).checked_sub(1)?)? = Effect::Committed;
                n.history.push(Event::new(Op::Commit, i));
                if i == self.steps.len() {
                    n.pc = Pc::Done;
                }
            }
            SeedSagaAction::StepFails(i) => {
                n.executed.push(i);
                n.history.push(Event::new(Op::Fail, i));
                n.pc = Pc::Compensating;
            }
            SeedSagaAction::StepRaises(i) => {
                n.history.push(Event::new(Op::Fail, i));
                n.pc = if s.executed.is_empty() {
                    Pc::Aborted
                } else {
                    Pc::Compensating
                };
            }
            SeedSagaAction::Compensate(i) | SeedSagaAction::CompensationFails(i) => {
                if matches!(action, SeedSagaAction::Compensate(_)) {
                    *n.effect.get_mut(usize::from(i).checked_sub(1)?)? = Effect::Compensated;
                    n.history.push(Event::new(Op::Undo, i));
                }
                n.cursor += 1;
                if usize::from(n.cursor) == s.executed.len() {
                    n.pc = Pc::Aborted;
                }
            }
            SeedSagaAction::Crash => {
                n.pc = Pc::Lost;
                n.executed.clear();
                n.cursor = 0;
                n.crashes += 1;
            }
        }
        Some(n)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            Property::always(
                "compensate_only_committed",
                |_: &SagaSeed, s: &SeedSagaState| h::compensate_only_committed(&s.history),
            ),
            Property::always("reverse_order", |_: &SagaSeed, s: &SeedSagaState| {
                h::reverse_order(&s.history)
            }),
            Property::always(
                "no_forward_after_abort",
                |_: &SagaSeed, s: &SeedSagaState| h::no_forward_after_abort(&s.history),
            ),
            Property::always(
                "no_refund_without_payment",
                |m: &SagaSeed, s: &SeedSagaState| {
                    h::no_refund_without_payment(&s.history, m.steps.payment_step())
                },
            ),
            Property::always(
                "reservation_released_on_abort",
                |m: &SagaSeed, s: &SeedSagaState| match m.steps.inventory_step() {
                    Some(i) if matches!(s.pc, Pc::Aborted | Pc::Lost) => {
                        s.effect[usize::from(i) - 1] != Effect::Committed
                    }
                    _ => true,
                },
            ),
            Property::always("recovery_idempotent", |_: &SagaSeed, s: &SeedSagaState| {
                h::no_rerun(&s.history)
                    && !(s.crashes > 0
                        && matches!(s.pc, Pc::Aborted | Pc::Lost)
                        && !h::none_committed(&s.effect))
            }),
            Property::always("deadlock_free", |m: &SagaSeed, s: &SeedSagaState| {
                m.deadlock_free(s)
            }),
        ]
    }
}

/// The TLA+ variables of a [`SeedSagaState`].
#[derive(Debug, Serialize)]
pub struct SeedSagaView {
    /// `pc`.
    pub pc: &'static str,
    /// `executed`.
    pub executed: Vec<u8>,
    /// `cursor`.
    pub cursor: u8,
    /// `effect`, indexed by step 1..NSteps.
    pub effect: Vec<&'static str>,
    /// `history`.
    pub history: Vec<Event>,
    /// `crashes`.
    pub crashes: u8,
}

impl Spec for SagaSeed {
    type View = SeedSagaView;

    fn view(&self, s: &SeedSagaState) -> SeedSagaView {
        SeedSagaView {
            pc: s.pc.tla_name(),
            executed: s.executed.clone(),
            cursor: s.cursor,
            effect: h::effect_view(&s.effect),
            history: s.history.clone(),
            crashes: s.crashes,
        }
    }

    fn action_name(&self, action: &SeedSagaAction) -> String {
        format!("{action:?}")
    }

    fn fairness_group(&self, action: &SeedSagaAction) -> Option<usize> {
        match action {
            SeedSagaAction::Crash => None,
            _ => Some(0),
        }
    }

    fn is_terminal(&self, s: &SeedSagaState) -> bool {
        Self::ended(s)
    }

    fn liveness(&self) -> Vec<Liveness<Self>> {
        vec![h::atomicity(|_, s, _| {
            h::settled(SagaSeed::ended(s), &s.effect)
        })]
    }

    fn describe(&self, property: &str) -> &'static str {
        describe(property)
    }

    fn constants(&self) -> Vec<(&'static str, String)> {
        constants(&self.steps, self.f, self.r, self.c)
    }
}
