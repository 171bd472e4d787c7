//! Token-bucket conformance: the `token-bucket` model (`tla/TokenBucket.tla`) against the
//! lock-free reference [`TokenBucket`], behind a shared logical clock.
//!
//! # Constants → settings
//!
//! `Capacity` is the capacity; one model tick is [`TICK_MS`] (one second) of the
//! implementation's time, so `Rate` tokens per tick is `refill_per_second = Rate`. The clock
//! starts at 0 with the bucket full, as the model's initial state.
//!
//! # Actions → operations
//!
//! | model action | operation | result the model predicts |
//! | --- | --- | --- |
//! | `Acquire` | `Acquire`: `acquire(1)` at the clock's time | `Granted` |
//! | `Tick` | `Tick`: the clock advances `TICK_MS`, then `acquire(0)` at the new time | `Ticked` |
//! | `StopDemand` | none: whether clients still call is the environment's | — |
//!
//! The bucket refills lazily, inside an acquire. `Tick`'s zero-token acquire (the Python
//! `acquire(tokens=0)`: takes nothing, always granted) makes the refill happen at the tick,
//! so the snapshot shows it — without it the abstraction would have to recompute the refill
//! rule, which is what is under test. The model's docs note that refilling lazily or at
//! every tick is observationally the same.
//!
//! # Negative steps (refusals)
//!
//! At every state with no whole token left, `Acquire` (the model's `Acquire`, not enabled)
//! must be `Denied` with the tokens unchanged. Not offered: `Acquire` with tokens left after
//! `StopDemand` — the model's clients stopped, but the bucket documents that it grants.
//!
//! # Abstraction function
//!
//! Snapshot → tokens in milli-tokens (the model's `tokens × 1000`, so a fractional refill
//! would show). The last-refill tick has no model counterpart (the model has no clock);
//! `recent` is a history variable for `rate_bounded` and is not compared, but what it
//! counts — acquisitions granted — is: every `Acquire`'s answer is compared; `demand` is
//! the environment.
//!
//! # Sequential specification (linearizability)
//!
//! The whole bucket, stepped by the model's own [`ModelBucket::step`] (with `recent`, the
//! history variable, dropped so equal buckets are equal states): `Granted` is the model's
//! `Acquire`, `Denied` is allowed exactly when the model's `Acquire` is not enabled, and
//! `Tick` is the model's `Tick`. The clock is a shared atomic; a tick is linearizable even
//! though its refill may be done by another thread's acquire: the first compare-and-swap
//! with a `now_ms` at or past the tick applies it, and that happens after the clock
//! advanced and no later than the tick's own zero-token acquire, so inside the tick's
//! interval; an acquire with an older `now_ms` adds nothing (the reference ignores time
//! going backwards). No lock is added: the bucket's lock-freedom is what the pool runs.

use super::linearizability::{self, HistoryError, Operation, Outcome, SequentialSpec};
use super::{Conformance, ExecutorChoice, Refusal};
use crate::reference::token_bucket::{BucketOp, BucketRet, TokenBucket, TokenBucketError};
use crate::reference::Mutation;
use crate::specs::TokenBucketSettings;
use flashcheck_models::token_bucket::{BucketAction, BucketState, TokenBucket as ModelBucket};
use serde::Serialize;
use stateright::Model;
use std::sync::atomic::{AtomicU64, Ordering};

/// Milliseconds of implementation time per model tick: one second, the unit of the bucket's
/// `refill_per_second`.
pub const TICK_MS: u64 = 1_000;

/// An operation of [`BucketImpl`], issued by `client`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum BucketCall {
    /// The shared clock advances one tick; the bucket refills at the new time.
    Tick {
        /// The issuing client.
        client: u64,
    },
    /// One token, at the clock's time.
    Acquire {
        /// The issuing client.
        client: u64,
    },
}

/// What a [`BucketCall`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum BucketReply {
    /// The clock advanced (the zero-token acquire was granted).
    Ticked,
    /// The token was taken.
    Granted,
    /// No whole token was there (or, for a tick, the zero-token acquire was refused).
    Denied,
}

/// The bucket under test with its clock.
#[derive(Debug)]
pub struct BucketImpl {
    bucket: TokenBucket,
    clock_ms: AtomicU64,
}

impl BucketImpl {
    /// The bucket itself.
    pub fn bucket(&self) -> &TokenBucket {
        &self.bucket
    }

    /// Performs one operation.
    pub fn invoke(&self, op: &BucketCall) -> BucketReply {
        match op {
            BucketCall::Tick { .. } => {
                let now_ms = self.clock_ms.fetch_add(TICK_MS, Ordering::SeqCst) + TICK_MS;
                match self.bucket.invoke(BucketOp::Acquire { now_ms, tokens: 0 }) {
                    BucketRet::Granted => BucketReply::Ticked,
                    BucketRet::Denied => BucketReply::Denied,
                }
            }
            BucketCall::Acquire { .. } => {
                let now_ms = self.clock_ms.load(Ordering::SeqCst);
                match self.bucket.invoke(BucketOp::Acquire { now_ms, tokens: 1 }) {
                    BucketRet::Granted => BucketReply::Granted,
                    BucketRet::Denied => BucketReply::Denied,
                }
            }
        }
    }
}

/// The observable state both sides map to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BucketAbstract {
    /// Tokens, in thousandths.
    pub tokens_milli: u64,
}

/// The client issuing the model's `Acquire`s.
pub const CALLER: u64 = 1;
/// The client issuing the model's `Tick`s.
pub const CLOCK: u64 = 0;

/// The model/implementation correspondence for `token-bucket`.
#[derive(Debug, Clone)]
pub struct BucketConformance {
    model: ModelBucket,
    settings: TokenBucketSettings,
}

impl BucketConformance {
    /// The correspondence for `model`; refused when the reference cannot hold its constants.
    pub fn new(model: ModelBucket) -> Result<Self, TokenBucketError> {
        let c = model.config();
        let settings = TokenBucketSettings {
            capacity: c.capacity,
            // A tick is one second: `Rate` tokens per tick are `Rate` per second.
            refill_per_second: c.rate,
        };
        TokenBucket::new(settings, 0)?;
        Ok(BucketConformance { model, settings })
    }

    /// The bucket's settings the model's constants map to.
    pub fn settings(&self) -> &TokenBucketSettings {
        &self.settings
    }

    /// The sequential specification concurrent histories are checked against.
    pub fn spec(&self) -> BucketSpec {
        BucketSpec {
            model: self.model.clone(),
        }
    }
}

impl Conformance for BucketConformance {
    type Model = ModelBucket;
    type Impl = BucketImpl;
    type Op = BucketCall;
    type Ret = BucketReply;
    type Abstract = BucketAbstract;

    fn model(&self) -> &ModelBucket {
        &self.model
    }

    /// One bucket for every executor: it is a single shared object.
    fn build(&self, _: ExecutorChoice, _: usize, mutation: Option<Mutation>) -> BucketImpl {
        let bucket = match TokenBucket::with_mutation(self.settings, 0, mutation) {
            Ok(bucket) => bucket,
            Err(e) => unreachable!("settings accepted by BucketConformance::new: {e}"),
        };
        BucketImpl {
            bucket,
            clock_ms: AtomicU64::new(0),
        }
    }

    fn operation(&self, action: &BucketAction) -> Option<(BucketCall, BucketReply)> {
        Some(match action {
            BucketAction::Acquire => (BucketCall::Acquire { client: CALLER }, BucketReply::Granted),
            BucketAction::Tick => (BucketCall::Tick { client: CLOCK }, BucketReply::Ticked),
            BucketAction::StopDemand => return None,
        })
    }

    fn refusals(&self, s: &BucketState) -> Vec<Refusal<BucketCall, BucketReply>> {
        if s.tokens > 0 {
            return Vec::new();
        }
        vec![Refusal {
            action: "Acquire".into(),
            op: BucketCall::Acquire { client: CALLER },
            expected: BucketReply::Denied,
        }]
    }

    fn invoke(&self, imp: &BucketImpl, _home: usize, op: &BucketCall) -> BucketReply {
        imp.invoke(op)
    }

    fn observe(&self, imp: &BucketImpl) -> BucketAbstract {
        BucketAbstract {
            tokens_milli: imp.bucket.observe().tokens_milli,
        }
    }

    fn abstract_model(&self, s: &BucketState) -> BucketAbstract {
        BucketAbstract {
            tokens_milli: u64::from(s.tokens) * 1_000,
        }
    }

    fn is_clock(&self, op: &BucketCall) -> bool {
        matches!(op, BucketCall::Tick { .. })
    }

    fn client(&self, op: &BucketCall) -> u64 {
        match *op {
            BucketCall::Tick { client } | BucketCall::Acquire { client } => client,
        }
    }

    fn check_history(
        &self,
        history: &[Operation<BucketCall, BucketReply>],
    ) -> Result<Outcome, HistoryError> {
        linearizability::check(&self.spec(), history)
    }

    /// Each client acquires tokens, advancing the shared clock about once in eight
    /// operations (so demand outruns the refill and the bucket is often empty, and full
    /// ticks are common too), and stops after about 32 operations.
    fn workload_step(
        &self,
        client: u64,
        _previous: Option<(&BucketCall, &BucketReply)>,
        coin: u64,
    ) -> Option<BucketCall> {
        match coin & 31 {
            0 => None,
            1..=4 => Some(BucketCall::Tick { client }),
            _ => Some(BucketCall::Acquire { client }),
        }
    }
}

/// The whole bucket as a sequential specification: the model's state without `recent`.
#[derive(Debug, Clone)]
pub struct BucketSpec {
    model: ModelBucket,
}

impl SequentialSpec for BucketSpec {
    type State = BucketState;
    type Op = BucketCall;
    type Ret = BucketReply;

    fn init(&self) -> BucketState {
        let mut init = self.model.init_states().remove(0);
        init.recent = 0;
        init
    }

    fn step(&self, s: &BucketState, op: &BucketCall, ret: &BucketReply) -> Option<BucketState> {
        let next = match (op, ret) {
            (BucketCall::Tick { .. }, BucketReply::Ticked) => {
                self.model.step(s, BucketAction::Tick)?
            }
            (BucketCall::Acquire { .. }, BucketReply::Granted) => {
                self.model.step(s, BucketAction::Acquire)?
            }
            (BucketCall::Acquire { .. }, BucketReply::Denied) => {
                return self
                    .model
                    .step(s, BucketAction::Acquire)
                    .is_none()
                    .then_some(*s)
            }
            _ => return None,
        };
        Some(BucketState { recent: 0, ..next })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{random_walk, SplitMix64};
    use flashcheck_models::token_bucket::BucketConfig;

    /// Along model paths the spec accepts each step with the result the model predicts and
    /// keeps the model's tokens.
    #[test]
    fn sequential_spec_is_the_model() {
        let model = ModelBucket::new(BucketConfig {
            capacity: 3,
            rate: 2,
            rate_window: 3,
        })
        .unwrap();
        let c = BucketConformance::new(model.clone()).unwrap();
        let spec = c.spec();
        for seed in 0..300 {
            let (init, path) = random_walk(&model, 40, &mut SplitMix64::new(seed)).unwrap();
            let (mut m, mut s) = (init, spec.init());
            for a in &path {
                m = model.next_state(&m, *a).unwrap();
                if let Some((op, ret)) = c.operation(a) {
                    s = spec
                        .step(&s, &op, &ret)
                        .unwrap_or_else(|| panic!("seed {seed}: spec refuses {a:?}"));
                }
                assert_eq!(s.tokens, m.tokens, "seed {seed} {a:?}");
            }
        }
    }
}
