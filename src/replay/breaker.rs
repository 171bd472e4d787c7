//! Breaker conformance: the `breaker` model (`tla/Breaker.tla`) against the reference
//! [`CircuitBreaker`], behind a shared logical clock.
//!
//! # Constants → settings
//!
//! `WindowSize`, `MinimumCalls` and `Permitted` are the settings of the same name;
//! `ThresholdNum/ThresholdDen` becomes parts per million (refused when not exact: the
//! breaker would then compare against another threshold than the model); `Comparison` is
//! `threshold_comparison`. One model tick is [`TICK_MS`] of the implementation's time, so
//! `wait_in_open` is `WaitTicks × TICK_MS`.
//!
//! # Actions → operations
//!
//! The implementation under test is [`BreakerImpl`]: the breaker, the clock (its `now_ms`
//! passed into every breaker operation) and the permits each client holds.
//!
//! | model action | operation | result the model predicts |
//! | --- | --- | --- |
//! | `Succeed`, `Fail` | `Call{failed}`: `TryAcquire`, then the outcome recorded with its permit | `Recorded` |
//! | `Probe` | `Acquire`: `TryAcquire`, the permit kept by the client | `Admitted` |
//! | `ProbeSucceed`, `ProbeFail` | `Record{failed}`: the outcome of the client's newest permit | `Recorded` |
//! | `Tick` | `Tick`: the clock advances `TICK_MS` | `Ticked` |
//! | `Heal`, `Degrade` | none: the downstream's health is the environment's; each call carries its outcome | — |
//!
//! | — (negative step) | `Duplicate`: the outcome of the client's last recorded permit reported again (a never-issued permit when none was recorded) | `Refused` |
//!
//! A Closed call is one step in the model and two breaker operations here (the permit is
//! needed to record the outcome); only the record changes the breaker's state.
//!
//! # Negative steps (refusals)
//!
//! At every state, a `Duplicate` (an outcome reported twice, or with a permit never issued)
//! must be refused — `UnknownPermit`, or `IgnoredStale` when the permit is of an earlier
//! state, both answered as `Refused` — with no change; while Open, and in HalfOpen once the
//! model's `Probe` is not enabled (`Permitted` probes out), `Succeed`, `Fail` (a `Call`) and
//! `Probe` (an `Acquire`) must be `Rejected` with no change. This is how inline replay sees a
//! breaker that admits too many probes.
//!
//! # Abstraction function
//!
//! Both sides map to `{mode, window, countdown, admitted, succeeded}`, each field meaningful
//! in one mode only and zero (empty) in the others: `window` in Closed (the model keeps the
//! window it tripped on while Open and HalfOpen; the implementation clears it — neither is
//! observable until Closed again, with a fresh window on both sides), `countdown` (ticks
//! left) in Open, `admitted`/`succeeded` in HalfOpen. The implementation turns HalfOpen
//! lazily, at the first `TryAcquire` after `wait_in_open` has elapsed; its documented
//! meaning is that it is HalfOpen from then on, so an Open breaker whose wait has elapsed
//! at the clock's time is observed as HalfOpen with nothing admitted. The model's
//! `backend` (environment) and `openAdmitted` (history variable) are not compared: what
//! `openAdmitted` records — a call let through while Open — would show as a `TryAcquire`
//! answer, and those are compared.
//!
//! The model has no "call rejected" step (no call action is enabled while Open, nor in
//! HalfOpen once `Permitted` probes are out), so a model path alone never asks for an extra
//! probe; the negative steps above do, the sequential specification below checks every
//! rejection, and the concurrent workload ([`Conformance::workload_step`]) asks for extra
//! probes.
//!
//! # Sequential specification (linearizability)
//!
//! The state machine is the whole breaker: the model's state, stepped by [`Breaker::step`]
//! itself, plus, per client, how many of its held permits are current (admitted in the
//! present state, since every transition retires the permits before it) and how many
//! stale. `Tick` is its own operation on the shared clock; it takes the clock's write lock,
//! and every breaker operation reads the clock under the read lock, so the `now_ms` of
//! concurrent operations never goes backwards at the breaker (the reference refuses time
//! going backwards, so a clock read outside the lock would make a correct breaker fail).
//! With the clock's ticks as operations, time-carrying operations have an ordinary
//! sequential specification:
//!
//! - `TryAcquire` is `Admitted` in Closed (no model step), in HalfOpen exactly when the
//!   model's `Probe` is enabled (then it is that step), and `Rejected` otherwise;
//! - recording a current permit is the model's `Succeed`/`Fail` in Closed and
//!   `ProbeSucceed`/`ProbeFail` in HalfOpen; recording a stale one is `IgnoredStale`;
//! - a `Tick` is the model's `Tick` in Open and changes nothing otherwise.
//!
//! A `Call` is not atomic (two breaker operations): [`BreakerConformance::check_history`]
//! splits it into its acquire and its record, each inside the call's interval and the record
//! after the acquire.

use super::linearizability::{self, HistoryError, Operation, Outcome, SequentialSpec};
use super::{Conformance, ExecutorChoice, Refusal};
use crate::reference::breaker::{
    BreakerError, BreakerOp, BreakerRet, BreakerStateName, CircuitBreaker, Permit,
};
use crate::reference::Mutation;
use crate::specs::{BreakerSettings, ThresholdComparison};
use flashcheck_models::breaker::{Breaker, BreakerAction, BreakerState, Comparison, Mode};
use serde::Serialize;
use stateright::Model;
use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError, RwLock};

/// Milliseconds of implementation time per model tick.
pub const TICK_MS: u64 = 1_000;

/// An operation of [`BreakerImpl`], issued by `client`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum BreakerCall {
    /// The shared clock advances one tick.
    Tick {
        /// The issuing client.
        client: u64,
    },
    /// A whole call: `TryAcquire`, then, if admitted, the outcome recorded with its permit.
    Call {
        /// The issuing client.
        client: u64,
        /// The downstream failed.
        failed: bool,
    },
    /// `TryAcquire`; an admitted permit is kept by the client.
    Acquire {
        /// The issuing client.
        client: u64,
    },
    /// The outcome of the client's newest kept permit.
    Record {
        /// The issuing client.
        client: u64,
        /// The downstream failed.
        failed: bool,
    },
    /// A negative step: the outcome of the client's last recorded permit reported again, or
    /// one for a permit never issued when the client has recorded none.
    Duplicate {
        /// The issuing client.
        client: u64,
    },
}

/// What a [`BreakerCall`] returned (permits stay inside [`BreakerImpl`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum BreakerReply {
    /// The clock advanced.
    Ticked,
    /// `TryAcquire` admitted the call.
    Admitted,
    /// `TryAcquire` rejected the call.
    Rejected,
    /// The outcome was recorded.
    Recorded,
    /// The permit belonged to an earlier state; its outcome was ignored.
    IgnoredStale,
    /// `Record` with no permit kept: nothing was called.
    NoPermit,
    /// `Duplicate`: the breaker refused the outcome (`UnknownPermit`, or `IgnoredStale` for a
    /// permit of an earlier state).
    Refused,
    /// The breaker refused the operation.
    Error(BreakerError),
}

/// The breaker under test with its clock and the clients' kept permits.
#[derive(Debug)]
pub struct BreakerImpl {
    breaker: CircuitBreaker,
    /// `now_ms`; written only by `Tick`, read (under the read lock) by every breaker call.
    clock_ms: RwLock<u64>,
    /// Each client's kept permits, oldest first.
    held: Mutex<BTreeMap<u64, Vec<Permit>>>,
    /// Each client's last recorded permit and its outcome (`true`: failed).
    recorded: Mutex<BTreeMap<u64, (Permit, bool)>>,
}

impl BreakerImpl {
    /// The breaker itself.
    pub fn breaker(&self) -> &CircuitBreaker {
        &self.breaker
    }

    /// The clock's time.
    pub fn now_ms(&self) -> u64 {
        *self.clock_ms.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn tick(&self) {
        *self
            .clock_ms
            .write()
            .unwrap_or_else(PoisonError::into_inner) += TICK_MS;
    }

    /// Runs `op(now_ms)` on the breaker with the clock held still.
    fn at_now(&self, op: impl FnOnce(u64) -> BreakerOp) -> Result<BreakerRet, BreakerError> {
        let now = self.clock_ms.read().unwrap_or_else(PoisonError::into_inner);
        self.breaker.invoke(op(*now))
    }

    fn try_acquire(&self) -> Result<Option<Permit>, BreakerReply> {
        match self.at_now(|now_ms| BreakerOp::TryAcquire { now_ms }) {
            Ok(BreakerRet::Admitted(permit)) => Ok(Some(permit)),
            Ok(BreakerRet::Rejected) => Ok(None),
            Ok(other) => Err(reply(Ok(other))),
            Err(e) => Err(BreakerReply::Error(e)),
        }
    }

    fn record(&self, permit: Permit, failed: bool) -> BreakerReply {
        reply(self.at_now(|now_ms| {
            if failed {
                BreakerOp::RecordFailure { now_ms, permit }
            } else {
                BreakerOp::RecordSuccess { now_ms, permit }
            }
        }))
    }

    fn held(&self) -> MutexGuard<'_, BTreeMap<u64, Vec<Permit>>> {
        lock(&self.held)
    }

    /// Performs one operation.
    pub fn invoke(&self, op: &BreakerCall) -> BreakerReply {
        match *op {
            BreakerCall::Tick { .. } => {
                self.tick();
                BreakerReply::Ticked
            }
            BreakerCall::Call { client, failed } => match self.try_acquire() {
                Ok(Some(permit)) => self.record_for(client, permit, failed),
                Ok(None) => BreakerReply::Rejected,
                Err(r) => r,
            },
            BreakerCall::Acquire { client } => match self.try_acquire() {
                Ok(Some(permit)) => {
                    self.held().entry(client).or_default().push(permit);
                    BreakerReply::Admitted
                }
                Ok(None) => BreakerReply::Rejected,
                Err(r) => r,
            },
            BreakerCall::Record { client, failed } => {
                let permit = self.held().get_mut(&client).and_then(Vec::pop);
                match permit {
                    Some(permit) => self.record_for(client, permit, failed),
                    None => BreakerReply::NoPermit,
                }
            }
            BreakerCall::Duplicate { client } => {
                let last = lock(&self.recorded).get(&client).copied();
                let (permit, failed) = last.unwrap_or((
                    Permit {
                        generation: 0,
                        id: u64::MAX,
                    },
                    false,
                ));
                match self.record(permit, failed) {
                    BreakerReply::IgnoredStale
                    | BreakerReply::Error(BreakerError::UnknownPermit { .. }) => {
                        BreakerReply::Refused
                    }
                    other => other,
                }
            }
        }
    }

    /// Records `client`'s outcome `failed` with `permit`, remembering it for `Duplicate`.
    fn record_for(&self, client: u64, permit: Permit, failed: bool) -> BreakerReply {
        let reply = self.record(permit, failed);
        lock(&self.recorded).insert(client, (permit, failed));
        reply
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn reply(ret: Result<BreakerRet, BreakerError>) -> BreakerReply {
    match ret {
        Ok(BreakerRet::Admitted(_)) => BreakerReply::Admitted,
        Ok(BreakerRet::Rejected) => BreakerReply::Rejected,
        Ok(BreakerRet::Recorded) => BreakerReply::Recorded,
        Ok(BreakerRet::IgnoredStale) => BreakerReply::IgnoredStale,
        Err(e) => BreakerReply::Error(e),
    }
}

/// The observable state both sides map to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BreakerAbstract {
    /// `closed`, `open` or `half_open`.
    pub mode: &'static str,
    /// Closed: the window's outcomes, oldest first (`true`: a failure).
    pub window: Vec<bool>,
    /// Open: ticks left before HalfOpen.
    pub countdown: u64,
    /// HalfOpen: probes admitted.
    pub admitted: u64,
    /// HalfOpen: probes that succeeded.
    pub succeeded: u64,
}

/// The model's constants have no exact counterpart in the breaker's settings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BreakerMappingError {
    /// The threshold is not a whole number of parts per million.
    #[error(
        "ThresholdNum/ThresholdDen = {num}/{den} is not a whole number of parts per million: \
         the breaker would compare against another threshold than the model"
    )]
    ThresholdNotPpm {
        /// `ThresholdNum`.
        num: u64,
        /// `ThresholdDen`.
        den: u64,
    },
    /// `WaitTicks × TICK_MS` overflows.
    #[error("WaitTicks = {0} ticks of {TICK_MS} ms overflow")]
    WaitOverflows(u64),
}

/// The model/implementation correspondence for `breaker`.
#[derive(Debug, Clone)]
pub struct BreakerConformance {
    model: Breaker,
    settings: BreakerSettings,
}

/// The client every model action but `Tick` is issued by.
pub const CALLER: u64 = 1;
/// The client issuing the model's `Tick`s.
pub const CLOCK: u64 = 0;

impl BreakerConformance {
    /// The correspondence for `model`.
    pub fn new(model: Breaker) -> Result<Self, BreakerMappingError> {
        let settings = settings_for(&model)?;
        Ok(BreakerConformance { model, settings })
    }

    /// The breaker's settings the model's constants map to.
    pub fn settings(&self) -> &BreakerSettings {
        &self.settings
    }

    /// The sequential specification concurrent histories are checked against.
    pub fn spec(&self) -> BreakerSpec {
        BreakerSpec {
            model: self.model.clone(),
        }
    }
}

/// The breaker settings for `model`'s constants.
pub fn settings_for(model: &Breaker) -> Result<BreakerSettings, BreakerMappingError> {
    let c = model.config();
    let scaled = c.threshold_num * 1_000_000;
    let quotient = scaled / c.threshold_den;
    // Exact division only (`is_multiple_of` is newer than the crate's rust-version).
    let ppm = u32::try_from(quotient)
        .ok()
        .filter(|_| quotient * c.threshold_den == scaled)
        .ok_or(BreakerMappingError::ThresholdNotPpm {
            num: c.threshold_num,
            den: c.threshold_den,
        })?;
    Ok(BreakerSettings {
        failure_rate_threshold_ppm: ppm,
        threshold_comparison: match c.comparison {
            Comparison::Greater => ThresholdComparison::Greater,
            Comparison::GreaterOrEqual => ThresholdComparison::GreaterOrEqual,
        },
        minimum_calls: c.minimum_calls,
        sliding_window_size: c.window_size,
        wait_in_open_ms: c
            .wait_ticks
            .checked_mul(TICK_MS)
            .ok_or(BreakerMappingError::WaitOverflows(c.wait_ticks))?,
        permitted_calls_in_half_open: c.permitted,
    })
}

impl Conformance for BreakerConformance {
    type Model = Breaker;
    type Impl = BreakerImpl;
    type Op = BreakerCall;
    type Ret = BreakerReply;
    type Abstract = BreakerAbstract;

    fn model(&self) -> &Breaker {
        &self.model
    }

    /// One breaker for every executor: it is a single shared object.
    fn build(&self, _: ExecutorChoice, _: usize, mutation: Option<Mutation>) -> BreakerImpl {
        BreakerImpl {
            breaker: CircuitBreaker::with_mutation(self.settings, mutation),
            clock_ms: RwLock::new(0),
            held: Mutex::new(BTreeMap::new()),
            recorded: Mutex::new(BTreeMap::new()),
        }
    }

    fn refusals(&self, s: &BreakerState) -> Vec<Refusal<BreakerCall, BreakerReply>> {
        let client = CALLER;
        let mut out = vec![Refusal {
            action: "duplicate outcome".into(),
            op: BreakerCall::Duplicate { client },
            expected: BreakerReply::Refused,
        }];
        let rejects = match s.mode {
            Mode::Open => true,
            Mode::HalfOpen => self.model.step(s, BreakerAction::Probe).is_none(),
            Mode::Closed => false,
        };
        if rejects {
            let calls = [
                (
                    "Succeed",
                    BreakerCall::Call {
                        client,
                        failed: false,
                    },
                ),
                (
                    "Fail",
                    BreakerCall::Call {
                        client,
                        failed: true,
                    },
                ),
                ("Probe", BreakerCall::Acquire { client }),
            ];
            out.extend(calls.into_iter().map(|(name, op)| Refusal {
                action: name.into(),
                op,
                expected: BreakerReply::Rejected,
            }));
        }
        out
    }

    fn operation(&self, action: &BreakerAction) -> Option<(BreakerCall, BreakerReply)> {
        let client = CALLER;
        Some(match action {
            BreakerAction::Succeed | BreakerAction::Fail => (
                BreakerCall::Call {
                    client,
                    failed: *action == BreakerAction::Fail,
                },
                BreakerReply::Recorded,
            ),
            BreakerAction::Probe => (BreakerCall::Acquire { client }, BreakerReply::Admitted),
            BreakerAction::ProbeSucceed | BreakerAction::ProbeFail => (
                BreakerCall::Record {
                    client,
                    failed: *action == BreakerAction::ProbeFail,
                },
                BreakerReply::Recorded,
            ),
            BreakerAction::Tick => (BreakerCall::Tick { client: CLOCK }, BreakerReply::Ticked),
            BreakerAction::Heal | BreakerAction::Degrade => return None,
        })
    }

    fn invoke(&self, imp: &BreakerImpl, _home: usize, op: &BreakerCall) -> BreakerReply {
        imp.invoke(op)
    }

    fn observe(&self, imp: &BreakerImpl) -> BreakerAbstract {
        let snapshot = imp.breaker.observe();
        let now = imp.now_ms();
        let wait = self.settings.wait_in_open_ms;
        let closed = || BreakerAbstract {
            mode: Mode::Closed.tla_name(),
            window: Vec::new(),
            countdown: 0,
            admitted: 0,
            succeeded: 0,
        };
        match (snapshot.state, snapshot.opened_at_ms) {
            (BreakerStateName::Closed, _) => BreakerAbstract {
                window: snapshot.window_failures,
                ..closed()
            },
            (BreakerStateName::Open, Some(since)) if now.saturating_sub(since) < wait => {
                BreakerAbstract {
                    mode: Mode::Open.tla_name(),
                    countdown: (wait - (now - since)).div_ceil(TICK_MS),
                    ..closed()
                }
            }
            // Open with its wait elapsed: HalfOpen at the next call, nothing admitted yet.
            (BreakerStateName::Open, _) => BreakerAbstract {
                mode: Mode::HalfOpen.tla_name(),
                ..closed()
            },
            (BreakerStateName::HalfOpen, _) => BreakerAbstract {
                mode: Mode::HalfOpen.tla_name(),
                admitted: snapshot.half_open_admitted,
                succeeded: snapshot.half_open_succeeded,
                ..closed()
            },
        }
    }

    fn abstract_model(&self, s: &BreakerState) -> BreakerAbstract {
        let mut a = BreakerAbstract {
            mode: s.mode.tla_name(),
            window: Vec::new(),
            countdown: 0,
            admitted: 0,
            succeeded: 0,
        };
        match s.mode {
            Mode::Closed => a.window = s.window.outcomes(),
            Mode::Open => a.countdown = u64::from(s.countdown),
            Mode::HalfOpen => {
                a.admitted = u64::from(s.admitted);
                a.succeeded = u64::from(s.succeeded);
            }
        }
        a
    }

    fn is_clock(&self, op: &BreakerCall) -> bool {
        matches!(op, BreakerCall::Tick { .. })
    }

    fn client(&self, op: &BreakerCall) -> u64 {
        client_of(op)
    }

    fn check_history(
        &self,
        history: &[Operation<BreakerCall, BreakerReply>],
    ) -> Result<Outcome, HistoryError> {
        let (steps, origin) = split_calls(history);
        Ok(match linearizability::check(&self.spec(), &steps)? {
            Outcome::NotLinearizable(f) => {
                let mut window: Vec<usize> = f.window.iter().map(|&i| origin[i]).collect();
                window.dedup();
                Outcome::NotLinearizable(linearizability::Failure {
                    linearized: f.linearized,
                    stuck_at: origin[f.stuck_at],
                    explored: f.explored,
                    window,
                    reason: f.reason,
                })
            }
            ok => ok,
        })
    }

    /// Each client calls through the breaker until it stops: it acquires, sometimes acquires
    /// again while holding a permit (so HalfOpen is asked for more probes than it permits),
    /// records the outcomes of what it holds (failing with probability 1/2: the downstream
    /// is flaky, so the breaker trips and recovers over and over), and now and then advances
    /// the shared clock. It stops only when it holds no permit (a kept permit would hold
    /// HalfOpen's quota forever).
    fn workload_step(
        &self,
        client: u64,
        previous: Option<(&BreakerCall, &BreakerReply)>,
        coin: u64,
    ) -> Option<BreakerCall> {
        let failed = coin & 1 == 1;
        let (acquire, record) = (
            BreakerCall::Acquire { client },
            BreakerCall::Record { client, failed },
        );
        Some(match previous {
            None | Some((BreakerCall::Tick { .. }, _)) => acquire,
            Some((BreakerCall::Acquire { .. }, BreakerReply::Admitted)) => {
                if (coin >> 1) & 3 == 0 {
                    acquire
                } else {
                    record
                }
            }
            Some((BreakerCall::Acquire { .. } | BreakerCall::Record { .. }, reply))
                if *reply != BreakerReply::NoPermit =>
            {
                // Rejected, or an outcome recorded: drain what is still held.
                record
            }
            // Nothing held.
            Some(_) => match (coin >> 1) & 15 {
                0 => return None,
                1..=4 => BreakerCall::Tick { client },
                _ => acquire,
            },
        })
    }
}

fn client_of(op: &BreakerCall) -> u64 {
    match *op {
        BreakerCall::Tick { client }
        | BreakerCall::Call { client, .. }
        | BreakerCall::Acquire { client }
        | BreakerCall::Record { client, .. }
        | BreakerCall::Duplicate { client } => client,
    }
}

/// One atomic breaker step, as the sequential specification sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum BreakerStep {
    /// A duplicate outcome: refused, nothing changes.
    Duplicate,
    /// The clock advances one tick.
    Tick,
    /// `TryAcquire`: the permit is kept (`Acquire`) or recorded by the same call (`Call`).
    Acquire {
        /// The issuing client.
        client: u64,
        /// Part of a `Call`: its record follows.
        of_call: bool,
    },
    /// An outcome recorded: the call's own permit, or the client's newest kept one.
    Record {
        /// The issuing client.
        client: u64,
        /// Part of a `Call`.
        of_call: bool,
        /// The downstream failed.
        failed: bool,
    },
}

/// Splits every admitted `Call` of `history` into its acquire and its record. Times are
/// scaled by 4 (`t` → `4t`); the acquire keeps the call's interval and the record gets the
/// interval one unit later, so both lie inside the call's real-time relations to every other
/// operation, and the spec orders the record after the acquire. Returns the steps and, for
/// each, the index of the history operation it came from.
pub fn split_calls(
    history: &[Operation<BreakerCall, BreakerReply>],
) -> (Vec<Operation<BreakerStep, BreakerReply>>, Vec<usize>) {
    let mut steps = Vec::with_capacity(history.len());
    let mut origin = Vec::with_capacity(history.len());
    for (i, o) in history.iter().enumerate() {
        let (call, returned) = (o.call * 4, o.returned * 4);
        let mut push = |op: BreakerStep, ret: BreakerReply, shift: u64| {
            steps.push(Operation {
                client: o.client,
                op,
                ret,
                call: call + shift,
                returned: returned + shift,
            });
            origin.push(i);
        };
        match o.op {
            BreakerCall::Tick { .. } => push(BreakerStep::Tick, o.ret.clone(), 0),
            BreakerCall::Duplicate { .. } => push(BreakerStep::Duplicate, o.ret.clone(), 0),
            BreakerCall::Acquire { client } => push(
                BreakerStep::Acquire {
                    client,
                    of_call: false,
                },
                o.ret.clone(),
                0,
            ),
            BreakerCall::Record { client, failed } => push(
                BreakerStep::Record {
                    client,
                    of_call: false,
                    failed,
                },
                o.ret.clone(),
                0,
            ),
            BreakerCall::Call { client, failed } => match o.ret {
                // Not admitted (or refused outright): the acquire is the whole call.
                BreakerReply::Rejected | BreakerReply::Ticked => push(
                    BreakerStep::Acquire {
                        client,
                        of_call: true,
                    },
                    o.ret.clone(),
                    0,
                ),
                _ => {
                    push(
                        BreakerStep::Acquire {
                            client,
                            of_call: true,
                        },
                        BreakerReply::Admitted,
                        0,
                    );
                    push(
                        BreakerStep::Record {
                            client,
                            of_call: true,
                            failed,
                        },
                        o.ret.clone(),
                        1,
                    );
                }
            },
        }
    }
    (steps, origin)
}

/// A client's permits in the sequential specification.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Held {
    /// Kept permits retired by a transition (they sit below the current ones).
    pub stale: u32,
    /// Kept permits of the present state.
    pub current: u32,
    /// A `Call`'s own permit between its acquire and its record: `Some(current)`.
    pub call: Option<bool>,
}

impl Held {
    fn retire(&mut self) {
        self.stale += self.current;
        self.current = 0;
        if self.call.is_some() {
            self.call = Some(false);
        }
    }
}

/// The whole breaker as a sequential specification: the model's state and the clients'
/// permits.
#[derive(Debug, Clone)]
pub struct BreakerSpec {
    model: Breaker,
}

/// A state of [`BreakerSpec`].
pub type BreakerSpecState = (BreakerState, BTreeMap<u64, Held>);

impl BreakerSpec {
    fn model_step(
        &self,
        (s, held): &BreakerSpecState,
        action: BreakerAction,
    ) -> Option<BreakerSpecState> {
        let next = self.model.step(s, action)?;
        let mut held = held.clone();
        if next.mode != s.mode {
            held.values_mut().for_each(Held::retire);
        }
        Some((next, held))
    }
}

impl SequentialSpec for BreakerSpec {
    type State = BreakerSpecState;
    type Op = BreakerStep;
    type Ret = BreakerReply;

    fn init(&self) -> BreakerSpecState {
        let init = self.model.init_states().remove(0);
        (init, BTreeMap::new())
    }

    fn step(
        &self,
        state: &BreakerSpecState,
        op: &BreakerStep,
        ret: &BreakerReply,
    ) -> Option<BreakerSpecState> {
        let s = &state.0;
        match (*op, ret) {
            (BreakerStep::Duplicate, BreakerReply::Refused) => Some(state.clone()),
            (BreakerStep::Tick, BreakerReply::Ticked) => Some(
                self.model_step(state, BreakerAction::Tick)
                    .unwrap_or_else(|| state.clone()),
            ),
            (BreakerStep::Acquire { client, of_call }, BreakerReply::Admitted) => {
                let (next, mut held) = match s.mode {
                    Mode::Closed => state.clone(),
                    Mode::HalfOpen => self.model_step(state, BreakerAction::Probe)?,
                    Mode::Open => return None,
                };
                let h = held.entry(client).or_default();
                if of_call {
                    if h.call.is_some() {
                        return None;
                    }
                    h.call = Some(true);
                } else {
                    h.current += 1;
                }
                Some((next, held))
            }
            (BreakerStep::Acquire { .. }, BreakerReply::Rejected) => {
                let admits = match s.mode {
                    Mode::Closed => true,
                    Mode::HalfOpen => self.model.step(s, BreakerAction::Probe).is_some(),
                    Mode::Open => false,
                };
                (!admits).then(|| state.clone())
            }
            (
                BreakerStep::Record {
                    client,
                    of_call,
                    failed,
                },
                BreakerReply::Recorded | BreakerReply::IgnoredStale | BreakerReply::NoPermit,
            ) => {
                let mut held = state.1.clone();
                let h = held.entry(client).or_default();
                let current = if of_call {
                    h.call.take()
                } else if h.current > 0 {
                    h.current -= 1;
                    Some(true)
                } else if h.stale > 0 {
                    h.stale -= 1;
                    Some(false)
                } else {
                    None
                };
                if *h == Held::default() {
                    held.remove(&client);
                }
                let unchanged = || Some((*s, held.clone()));
                match (current, ret) {
                    (None, BreakerReply::NoPermit) if !of_call => unchanged(),
                    (Some(false), BreakerReply::IgnoredStale) => unchanged(),
                    (Some(true), BreakerReply::Recorded) => {
                        let action = match (s.mode, failed) {
                            (Mode::Closed, false) => BreakerAction::Succeed,
                            (Mode::Closed, true) => BreakerAction::Fail,
                            (_, false) => BreakerAction::ProbeSucceed,
                            (_, true) => BreakerAction::ProbeFail,
                        };
                        self.model_step(&(*s, held), action)
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{random_walk, SplitMix64};
    use flashcheck_models::breaker::BreakerConfig;

    fn model() -> Breaker {
        Breaker::new(BreakerConfig {
            minimum_calls: 3,
            window_size: 4,
            wait_ticks: 2,
            permitted: 2,
            threshold_num: 1,
            threshold_den: 2,
            comparison: Comparison::GreaterOrEqual,
        })
        .unwrap()
    }

    /// Along model paths the spec accepts each step with the result the model predicts and
    /// follows the model's state.
    #[test]
    fn sequential_spec_is_the_model() {
        let model = model();
        let c = BreakerConformance::new(model.clone()).unwrap();
        let spec = c.spec();
        for seed in 0..300 {
            let (init, path) = random_walk(&model, 40, &mut SplitMix64::new(seed)).unwrap();
            let (mut m, mut s) = (init, spec.init());
            for (i, a) in path.iter().enumerate() {
                m = model.next_state(&m, *a).unwrap();
                let Some((op, ret)) = c.operation(a) else {
                    continue;
                };
                let history = [Operation {
                    client: c.client(&op),
                    op,
                    ret: ret.clone(),
                    call: 0,
                    returned: 1,
                }];
                let (steps, _) = split_calls(&history);
                for step in &steps {
                    s = spec
                        .step(&s, &step.op, &step.ret)
                        .unwrap_or_else(|| panic!("seed {seed} step {i}: spec refuses {a:?}"));
                }
                assert_eq!(
                    c.abstract_model(&s.0),
                    c.abstract_model(&m),
                    "seed {seed} {a:?}"
                );
            }
        }
    }

    #[test]
    fn a_threshold_without_an_exact_ppm_is_refused() {
        let thirds = Breaker::new(BreakerConfig {
            threshold_num: 1,
            threshold_den: 3,
            ..*model().config()
        })
        .unwrap();
        assert_eq!(
            BreakerConformance::new(thirds).unwrap_err(),
            BreakerMappingError::ThresholdNotPpm { num: 1, den: 3 }
        );
        let settings = *BreakerConformance::new(model()).unwrap().settings();
        assert_eq!(settings.failure_rate_threshold_ppm, 500_000);
        assert_eq!(settings.wait_in_open_ms, 2 * TICK_MS);
    }
}
