//! `saga`: the create-order saga orchestrator as it should be (design document §2.1), the
//! port of `tla/Saga.tla` (same variables, actions and properties).
//!
//! Steps run in order; each may commit or fail (`F > 0` lets any step fail; the first failure
//! ends the forward phase, so a run sees at most one failure and every `F >= 1` gives the
//! same behaviours). After a failure the committed steps are compensated in reverse commit
//! order; a compensation may fail transiently and is retried, at most `R` failed attempts
//! each, then it succeeds (compensations are idempotent). The orchestrator may crash at most
//! `C` times; `pc`, `effect` and `history` are its durable log, so `Recover` resumes exactly
//! where the log says (the next step is the one after the last commit, the next compensation
//! the last step still committed).
//!
//! `reservation_released_on_abort` is a state property: whenever the saga has ended aborted,
//! the inventory step does not hold a reservation. Together with `atomicity` (every behaviour
//! ends) it says an aborted order always gives its stock back.

use crate::constant::RangeError;
use crate::saga_history::{self as h, Effect, Event, Op, Pc, StepList};
use crate::spec::{Liveness, Spec};
use serde::{Deserialize, Serialize};
use stateright::{Model, Property};

/// The model: a step list and the bounds `F`, `R`, `C`.
#[derive(Clone, Debug)]
pub struct Saga {
    steps: StepList,
    f: u8,
    r: u8,
    c: u8,
}

impl Saga {
    /// A model of `steps` with at most `f` step failures per run (only `f > 0` matters), `r`
    /// failed attempts per compensation and `c` crashes (each ≤ [`h::MAX_BOUND`]).
    pub fn new(steps: StepList, f: u64, r: u64, c: u64) -> Result<Self, RangeError> {
        Ok(Saga {
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

    /// The step that runs next: one after the last commit (`NextStep`).
    pub fn next_step(s: &SagaState) -> u8 {
        s.history.iter().filter(|e| e.op == Op::Commit).count() as u8 + 1
    }

    /// The step compensated next: the highest step still committed (`ToUndo`).
    pub fn to_undo(s: &SagaState) -> Option<u8> {
        s.effect
            .iter()
            .rposition(|e| *e == Effect::Committed)
            .map(|i| i as u8 + 1)
    }

    /// True once the saga has ended: up, and done or aborted (`Ended`).
    pub fn ended(s: &SagaState) -> bool {
        s.up && matches!(s.pc, Pc::Done | Pc::Aborted)
    }
}

/// The variables of `tla/Saga.tla`; fields are public so tests can build broken variants.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SagaState {
    /// `pc`: forward, compensating, done or aborted (durable).
    pub pc: Pc,
    /// `up`: the orchestrator process is running.
    pub up: bool,
    /// `effect[i]`: what step i's service holds.
    pub effect: Vec<Effect>,
    /// `history`: commits, failures and completed compensations, in order.
    pub history: Vec<Event>,
    /// `attempts`: failed attempts of the compensation in progress.
    pub attempts: u8,
    /// `crashes`: crashes so far.
    pub crashes: u8,
}

/// The TLA+ actions; steps are 1-based.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SagaAction {
    /// Step i runs and commits.
    Execute(u8),
    /// Step i runs and fails.
    Fail(u8),
    /// Step i's compensation completes.
    Compensate(u8),
    /// Step i's compensation fails transiently (it will be retried).
    CompensationFails(u8),
    /// The orchestrator crashes.
    Crash,
    /// The orchestrator restarts and reads its durable log.
    Recover,
}

impl Model for Saga {
    type State = SagaState;
    type Action = SagaAction;

    fn init_states(&self) -> Vec<SagaState> {
        vec![SagaState {
            pc: Pc::Forward,
            up: true,
            effect: vec![Effect::None; usize::from(self.steps.len())],
            history: Vec::new(),
            attempts: 0,
            crashes: 0,
        }]
    }

    fn actions(&self, s: &SagaState, actions: &mut Vec<SagaAction>) {
        if !s.up {
            actions.push(SagaAction::Recover);
            return;
        }
        match s.pc {
            Pc::Forward => {
                // `\E i \in Steps`: nothing runs beyond the last step.
                let i = Self::next_step(s);
                if i <= self.steps.len() {
                    actions.push(SagaAction::Execute(i));
                    if self.f > 0 {
                        actions.push(SagaAction::Fail(i));
                    }
                }
            }
            Pc::Compensating => {
                if let Some(i) = Self::to_undo(s) {
                    actions.push(SagaAction::Compensate(i));
                    if s.attempts < self.r {
                        actions.push(SagaAction::CompensationFails(i));
                    }
                }
            }
            Pc::Done | Pc::Aborted | Pc::Lost => return,
        }
        if s.crashes < self.c {
            actions.push(SagaAction::Crash);
        }
    }

    fn next_state(&self, s: &SagaState, action: SagaAction) -> Option<SagaState> {
        let mut n = s.clone();
        match action {
            SagaAction::Execute(i) => {
                *n.effect.get_mut(usize::from(i).checked_sub(1)?)? = Effect::Committed;
                n.history.push(Event::new(Op::Commit, i));
                if i == self.steps.len() {
                    n.pc = Pc::Done;
                }
            }
            SagaAction::Fail(i) => {
                n.history.push(Event::new(Op::Fail, i));
                n.pc = if h::none_committed(&s.effect) {
                    Pc::Aborted
                } else {
                    Pc::Compensating
                };
            }
            SagaAction::Compensate(i) => {
                *n.effect.get_mut(usize::from(i).checked_sub(1)?)? = Effect::Compensated;
                n.history.push(Event::new(Op::Undo, i));
                n.attempts = 0;
                if h::none_committed(&n.effect) {
                    n.pc = Pc::Aborted;
                }
            }
            SagaAction::CompensationFails(_) => n.attempts += 1,
            SagaAction::Crash => {
                n.up = false;
                n.crashes += 1;
            }
            SagaAction::Recover => n.up = true,
        }
        Some(n)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            Property::always("compensate_only_committed", |_: &Saga, s: &SagaState| {
                h::compensate_only_committed(&s.history)
            }),
            Property::always("reverse_order", |_: &Saga, s: &SagaState| {
                h::reverse_order(&s.history)
            }),
            Property::always("no_forward_after_abort", |_: &Saga, s: &SagaState| {
                h::no_forward_after_abort(&s.history)
            }),
            Property::always("no_refund_without_payment", |m: &Saga, s: &SagaState| {
                h::no_refund_without_payment(&s.history, m.steps.payment_step())
            }),
            Property::always(
                "reservation_released_on_abort",
                |m: &Saga, s: &SagaState| match m.steps.inventory_step() {
                    Some(i) if s.pc == Pc::Aborted => {
                        s.effect[usize::from(i) - 1] != Effect::Committed
                    }
                    _ => true,
                },
            ),
            Property::always("recovery_idempotent", |_: &Saga, s: &SagaState| {
                h::no_rerun(&s.history)
                    && !(s.crashes > 0 && s.pc == Pc::Aborted && !h::none_committed(&s.effect))
            }),
            Property::always("deadlock_free", |m: &Saga, s: &SagaState| {
                m.deadlock_free(s)
            }),
        ]
    }
}

/// The TLA+ variables of a [`SagaState`].
#[derive(Debug, Serialize)]
pub struct SagaView {
    /// `pc`.
    pub pc: &'static str,
    /// `up`.
    pub up: bool,
    /// `effect`, indexed by step 1..NSteps.
    pub effect: Vec<&'static str>,
    /// `history`.
    pub history: Vec<Event>,
    /// `attempts`.
    pub attempts: u8,
    /// `crashes`.
    pub crashes: u8,
}

impl Spec for Saga {
    type View = SagaView;

    fn view(&self, s: &SagaState) -> SagaView {
        SagaView {
            pc: s.pc.tla_name(),
            up: s.up,
            effect: h::effect_view(&s.effect),
            history: s.history.clone(),
            attempts: s.attempts,
            crashes: s.crashes,
        }
    }

    fn action_name(&self, action: &SagaAction) -> String {
        format!("{action:?}")
    }

    fn fairness_group(&self, action: &SagaAction) -> Option<usize> {
        match action {
            SagaAction::Crash => None,
            _ => Some(0),
        }
    }

    fn is_terminal(&self, s: &SagaState) -> bool {
        Self::ended(s)
    }

    fn liveness(&self) -> Vec<Liveness<Self>> {
        vec![h::atomicity(|_, s, _| {
            h::settled(Saga::ended(s), &s.effect)
        })]
    }

    fn describe(&self, property: &str) -> &'static str {
        describe(property)
    }

    fn constants(&self) -> Vec<(&'static str, String)> {
        constants(&self.steps, self.f, self.r, self.c)
    }
}

/// One sentence per `always` property, shared by both saga models.
pub(crate) fn describe(property: &str) -> &'static str {
    match property {
        "compensate_only_committed" => "a compensation runs only for a step that committed",
        "reverse_order" => "compensations run in reverse commit order",
        "no_forward_after_abort" => "no step starts after the first compensation",
        "no_refund_without_payment" => "refund_payment runs only after the payment step committed",
        "reservation_released_on_abort" => {
            "once the saga has ended aborted, the inventory step holds no reservation"
        }
        "recovery_idempotent" => {
            "no step runs again once committed, and after a crash no aborted saga is left \
             holding a committed step"
        }
        "deadlock_free" => "some step is always possible until the saga has ended",
        _ => "",
    }
}

/// The constants as the TLA+ twins declare them (0: no such domain step).
pub(crate) fn constants(steps: &StepList, f: u8, r: u8, c: u8) -> Vec<(&'static str, String)> {
    vec![
        ("NSteps", steps.len().to_string()),
        ("F", f.to_string()),
        ("R", r.to_string()),
        ("C", c.to_string()),
        (
            "InventoryStep",
            steps.inventory_step().unwrap_or(0).to_string(),
        ),
        ("PaymentStep", steps.payment_step().unwrap_or(0).to_string()),
    ]
}
