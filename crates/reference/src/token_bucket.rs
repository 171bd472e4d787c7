//! The token bucket of §2.2, lock-free, with the seed's refill rule
//! `tokens = min(capacity, tokens + elapsed × rate)` in exact integer arithmetic.
//!
//! The whole state is one `AtomicU64`: the high 32 bits hold the tokens in milli-tokens
//! (1/1000 token), the low 32 bits the millisecond tick of the last refill (wrapping).
//! With the rate in tokens per second, `elapsed_ms × rate` is exactly the milli-tokens to
//! add: no floating point, no drift. An acquire is one CAS loop over the packed word.
//!
//! Unlike the seed, a `now_ms` older than the last refill (time going backwards, or a late
//! thread) adds nothing and leaves the last refill tick alone, instead of removing tokens.

use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::Mutation;
use flashcheck_specs::breaker::MAX_BUCKET_CAPACITY;
use flashcheck_specs::TokenBucketSettings;

/// One bucket operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BucketOp {
    Acquire { now_ms: u64, tokens: u32 },
}

/// The result of an acquire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BucketRet {
    Granted,
    Denied,
}

/// Settings a bucket cannot be built with.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TokenBucketError {
    #[error("capacity {capacity} is outside 1..={max}")]
    CapacityOutOfRange { capacity: u64, max: u64 },
    #[error("the refill rate must be at least 1 token per second")]
    ZeroRate,
}

/// The observable state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketSnapshot {
    pub tokens_milli: u64,
    pub last_refill_tick_ms: u32,
}

const MILLI: u64 = 1_000;

/// A lock-free token bucket.
#[derive(Debug)]
pub struct TokenBucket {
    packed: AtomicU64,
    capacity_milli: u64,
    refill_per_second: u64,
    mutation: Option<Mutation>,
}

fn pack(tokens_milli: u64, tick: u32) -> u64 {
    (tokens_milli << 32) | u64::from(tick)
}

fn unpack(word: u64) -> (u64, u32) {
    (word >> 32, word as u32)
}

impl TokenBucket {
    /// A full bucket whose clock starts at `now_ms`.
    pub fn new(settings: TokenBucketSettings, now_ms: u64) -> Result<Self, TokenBucketError> {
        Self::with_mutation(settings, now_ms, None)
    }

    /// TEST-ONLY: see [`Mutation`].
    #[doc(hidden)]
    pub fn with_mutation(
        settings: TokenBucketSettings,
        now_ms: u64,
        mutation: Option<Mutation>,
    ) -> Result<Self, TokenBucketError> {
        if settings.capacity == 0 || settings.capacity > MAX_BUCKET_CAPACITY {
            return Err(TokenBucketError::CapacityOutOfRange {
                capacity: settings.capacity,
                max: MAX_BUCKET_CAPACITY,
            });
        }
        if settings.refill_per_second == 0 {
            return Err(TokenBucketError::ZeroRate);
        }
        let capacity_milli = settings.capacity * MILLI;
        Ok(TokenBucket {
            packed: AtomicU64::new(pack(capacity_milli, now_ms as u32)),
            capacity_milli,
            refill_per_second: settings.refill_per_second,
            mutation,
        })
    }

    pub fn invoke(&self, op: BucketOp) -> BucketRet {
        let BucketOp::Acquire { now_ms, tokens } = op;
        let wanted_milli = u64::from(tokens) * MILLI;
        let now_tick = now_ms as u32;
        let mut current = self.packed.load(Ordering::Acquire);
        loop {
            let (refilled, tick) = self.refill(current, now_tick);
            let (remaining, granted) = match refilled.checked_sub(wanted_milli) {
                Some(left) => (left, true),
                None if self.mutation == Some(Mutation::BucketGrantsWithoutTokens) => (0, true),
                None => (refilled, false),
            };
            let next = pack(remaining, tick);
            if next == current {
                return if granted {
                    BucketRet::Granted
                } else {
                    BucketRet::Denied
                };
            }
            match self.packed.compare_exchange_weak(
                current,
                next,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    return if granted {
                        BucketRet::Granted
                    } else {
                        BucketRet::Denied
                    }
                }
                Err(actual) => current = actual,
            }
        }
    }

    /// Tokens after refilling `word` up to `now_tick`, and the new last-refill tick.
    fn refill(&self, word: u64, now_tick: u32) -> (u64, u32) {
        let (tokens, last_tick) = unpack(word);
        let elapsed = now_tick.wrapping_sub(last_tick);
        if elapsed == 0 || elapsed > u32::MAX / 2 {
            return (tokens, last_tick);
        }
        let added = u64::from(elapsed).saturating_mul(self.refill_per_second);
        let sum = tokens.saturating_add(added);
        let refilled = if self.mutation == Some(Mutation::BucketRefillsPastCapacity) {
            sum.min(u64::from(u32::MAX))
        } else {
            sum.min(self.capacity_milli)
        };
        (refilled, now_tick)
    }

    pub fn observe(&self) -> BucketSnapshot {
        let (tokens_milli, last_refill_tick_ms) = unpack(self.packed.load(Ordering::Acquire));
        BucketSnapshot {
            tokens_milli,
            last_refill_tick_ms,
        }
    }
}
