//! The circuit breaker of §2.2 over a count-based sliding window, with settings from
//! `specs/breaker.toml` and time passed in by the caller.
//!
//! Closed → Open when the window holds at least `minimum_calls` outcomes and the failure
//! rate crosses θ (`>` or `≥`, per the settings). Open rejects every call until
//! `wait_in_open` has elapsed; the first call after that moves to HalfOpen, which admits at
//! most `permitted_calls_in_half_open` calls: if all of them succeed → Closed (fresh window),
//! the first failure → Open again.
//!
//! Each admitted call gets a [`Permit`] naming the state generation that admitted it; every
//! transition starts a new generation, so an outcome reported for a call admitted before a
//! transition is ignored instead of being counted against the new state.

use std::collections::{BTreeSet, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::Mutation;
use flashcheck_specs::{BreakerSettings, ThresholdComparison};

/// Proof that a call was admitted, to be handed back with its outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Permit {
    pub generation: u64,
    pub id: u64,
}

/// One breaker operation at time `now_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BreakerOp {
    TryAcquire { now_ms: u64 },
    RecordSuccess { now_ms: u64, permit: Permit },
    RecordFailure { now_ms: u64, permit: Permit },
}

/// The result of a breaker operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BreakerRet {
    Admitted(Permit),
    Rejected,
    Recorded,
    /// The permit belongs to an earlier state generation; its outcome no longer matters.
    IgnoredStale,
}

/// A breaker operation that makes no sense.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
pub enum BreakerError {
    #[error("time went backwards: {now_ms} ms after {last_ms} ms")]
    TimeWentBackwards { now_ms: u64, last_ms: u64 },
    #[error("permit {permit:?} was never issued or was already recorded")]
    UnknownPermit { permit: Permit },
}

/// The breaker's state name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BreakerStateName {
    Closed,
    Open,
    HalfOpen,
}

/// The observable state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreakerSnapshot {
    pub state: BreakerStateName,
    pub generation: u64,
    /// Outcomes in the closed window, oldest first; `true` is a failure.
    pub window_failures: Vec<bool>,
    pub opened_at_ms: Option<u64>,
    pub half_open_admitted: u64,
    pub half_open_succeeded: u64,
    pub outstanding_permits: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Closed,
    Open { since_ms: u64 },
    HalfOpen { admitted: u64, succeeded: u64 },
}

#[derive(Debug)]
struct Inner {
    state: State,
    generation: u64,
    next_permit: u64,
    outstanding: BTreeSet<u64>,
    window: VecDeque<bool>,
    last_now_ms: u64,
}

/// A thread-safe circuit breaker.
#[derive(Debug)]
pub struct CircuitBreaker {
    settings: BreakerSettings,
    inner: Mutex<Inner>,
    mutation: Option<Mutation>,
}

impl CircuitBreaker {
    pub fn new(settings: BreakerSettings) -> Self {
        Self::with_mutation(settings, None)
    }

    /// TEST-ONLY: see [`Mutation`].
    #[doc(hidden)]
    pub fn with_mutation(settings: BreakerSettings, mutation: Option<Mutation>) -> Self {
        let inner = Inner {
            state: State::Closed,
            generation: 0,
            next_permit: 0,
            outstanding: BTreeSet::new(),
            window: VecDeque::new(),
            last_now_ms: 0,
        };
        CircuitBreaker {
            settings,
            inner: Mutex::new(inner),
            mutation,
        }
    }

    pub fn settings(&self) -> &BreakerSettings {
        &self.settings
    }

    pub fn invoke(&self, op: BreakerOp) -> Result<BreakerRet, BreakerError> {
        let mut inner = self.lock();
        let now_ms = match op {
            BreakerOp::TryAcquire { now_ms }
            | BreakerOp::RecordSuccess { now_ms, .. }
            | BreakerOp::RecordFailure { now_ms, .. } => now_ms,
        };
        if now_ms < inner.last_now_ms {
            return Err(BreakerError::TimeWentBackwards {
                now_ms,
                last_ms: inner.last_now_ms,
            });
        }
        inner.last_now_ms = now_ms;
        match op {
            BreakerOp::TryAcquire { now_ms } => Ok(self.try_acquire(&mut inner, now_ms)),
            BreakerOp::RecordSuccess { now_ms, permit } => {
                self.record(&mut inner, now_ms, permit, false)
            }
            BreakerOp::RecordFailure { now_ms, permit } => {
                self.record(&mut inner, now_ms, permit, true)
            }
        }
    }

    pub fn observe(&self) -> BreakerSnapshot {
        let inner = self.lock();
        let (state, opened_at_ms, half_open_admitted, half_open_succeeded) = match inner.state {
            State::Closed => (BreakerStateName::Closed, None, 0, 0),
            State::Open { since_ms } => (BreakerStateName::Open, Some(since_ms), 0, 0),
            State::HalfOpen {
                admitted,
                succeeded,
            } => (BreakerStateName::HalfOpen, None, admitted, succeeded),
        };
        BreakerSnapshot {
            state,
            generation: inner.generation,
            window_failures: inner.window.iter().copied().collect(),
            opened_at_ms,
            half_open_admitted,
            half_open_succeeded,
            outstanding_permits: inner.outstanding.len(),
        }
    }

    /// Every critical section leaves `Inner` consistent before it can panic, so a poisoned
    /// lock still guards a valid state.
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn try_acquire(&self, inner: &mut Inner, now_ms: u64) -> BreakerRet {
        match inner.state {
            State::Closed => Self::admit(inner),
            State::Open { since_ms } => {
                if now_ms - since_ms >= self.settings.wait_in_open_ms {
                    Self::transition(
                        inner,
                        State::HalfOpen {
                            admitted: 0,
                            succeeded: 0,
                        },
                    );
                    self.try_acquire(inner, now_ms)
                } else {
                    BreakerRet::Rejected
                }
            }
            State::HalfOpen {
                admitted,
                succeeded,
            } => {
                let extra =
                    u64::from(self.mutation == Some(Mutation::BreakerAdmitsExtraHalfOpenCall));
                if admitted < self.settings.permitted_calls_in_half_open + extra {
                    inner.state = State::HalfOpen {
                        admitted: admitted + 1,
                        succeeded,
                    };
                    Self::admit(inner)
                } else {
                    BreakerRet::Rejected
                }
            }
        }
    }

    fn admit(inner: &mut Inner) -> BreakerRet {
        let id = inner.next_permit;
        inner.next_permit += 1;
        inner.outstanding.insert(id);
        BreakerRet::Admitted(Permit {
            generation: inner.generation,
            id,
        })
    }

    fn transition(inner: &mut Inner, state: State) {
        inner.state = state;
        inner.generation += 1;
        inner.outstanding.clear();
        inner.window.clear();
    }

    fn record(
        &self,
        inner: &mut Inner,
        now_ms: u64,
        permit: Permit,
        failed: bool,
    ) -> Result<BreakerRet, BreakerError> {
        if permit.generation < inner.generation && permit.id < inner.next_permit {
            return Ok(BreakerRet::IgnoredStale);
        }
        let duplicate_counted = self.mutation == Some(Mutation::BreakerCountsDuplicateOutcome)
            && permit.id < inner.next_permit;
        if permit.generation != inner.generation
            || (!inner.outstanding.remove(&permit.id) && !duplicate_counted)
        {
            return Err(BreakerError::UnknownPermit { permit });
        }
        match inner.state {
            State::Closed => {
                if inner.window.len() as u64 >= self.settings.sliding_window_size {
                    inner.window.pop_front();
                }
                inner.window.push_back(failed);
                if self.should_open(&inner.window) {
                    Self::transition(inner, State::Open { since_ms: now_ms });
                }
            }
            State::HalfOpen {
                admitted,
                succeeded,
            } => {
                if failed {
                    Self::transition(inner, State::Open { since_ms: now_ms });
                } else if succeeded + 1 >= self.settings.permitted_calls_in_half_open {
                    Self::transition(inner, State::Closed);
                } else {
                    inner.state = State::HalfOpen {
                        admitted,
                        succeeded: succeeded + 1,
                    };
                }
            }
            // Open issues no permits, and every transition retires the earlier ones.
            State::Open { .. } => return Err(BreakerError::UnknownPermit { permit }),
        }
        Ok(BreakerRet::Recorded)
    }

    fn should_open(&self, window: &VecDeque<bool>) -> bool {
        let calls = window.len() as u64;
        if calls < self.settings.minimum_calls {
            return false;
        }
        let failures = window.iter().filter(|failed| **failed).count() as u64;
        let rate = u128::from(failures) * 1_000_000;
        let threshold = u128::from(self.settings.failure_rate_threshold_ppm) * u128::from(calls);
        match self.settings.threshold_comparison {
            ThresholdComparison::Greater => rate > threshold,
            ThresholdComparison::GreaterOrEqual => rate >= threshold,
        }
    }
}
