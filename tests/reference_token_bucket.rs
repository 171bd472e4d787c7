//! The token bucket: refill arithmetic, the capacity cap, concurrency, and the
//! refill-past-capacity mutation.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use flashcheck::reference::token_bucket::{BucketOp, BucketRet, TokenBucket, TokenBucketError};
use flashcheck::reference::Mutation;
use flashcheck::specs::TokenBucketSettings;
use proptest::prelude::*;

fn bucket(capacity: u64, refill_per_second: u64) -> TokenBucket {
    TokenBucket::new(
        TokenBucketSettings {
            capacity,
            refill_per_second,
        },
        0,
    )
    .unwrap()
}

fn take(bucket: &TokenBucket, now_ms: u64, tokens: u32) -> BucketRet {
    bucket.invoke(BucketOp::Acquire { now_ms, tokens })
}

#[test]
fn starts_full_and_empties() {
    let bucket = bucket(3, 1);
    assert_eq!(take(&bucket, 0, 3), BucketRet::Granted);
    assert_eq!(take(&bucket, 0, 1), BucketRet::Denied);
}

#[test]
fn fractional_refill_accumulates_exactly() {
    let bucket = bucket(1, 1);
    assert_eq!(take(&bucket, 0, 1), BucketRet::Granted);
    for now in 1..1_000 {
        assert_eq!(
            take(&bucket, now, 1),
            BucketRet::Denied,
            "only {now} ms of one token/s elapsed"
        );
    }
    assert_eq!(
        take(&bucket, 1_000, 1),
        BucketRet::Granted,
        "a thousand 1 ms refills make exactly one token"
    );
}

#[test]
fn idle_time_is_capped_at_capacity() {
    let bucket = bucket(5, 1_000);
    assert_eq!(take(&bucket, 0, 5), BucketRet::Granted);
    assert_eq!(take(&bucket, 1_000_000, 0), BucketRet::Granted);
    assert_eq!(bucket.observe().tokens_milli, 5_000);
}

#[test]
fn time_going_backwards_removes_nothing() {
    let bucket = bucket(10, 1);
    assert_eq!(take(&bucket, 5_000, 5), BucketRet::Granted);
    let before = bucket.observe();
    assert_eq!(take(&bucket, 1_000, 0), BucketRet::Granted);
    assert_eq!(bucket.observe(), before);
}

#[test]
fn invalid_settings_are_rejected() {
    let err = TokenBucket::new(
        TokenBucketSettings {
            capacity: 0,
            refill_per_second: 1,
        },
        0,
    )
    .unwrap_err();
    assert!(matches!(
        err,
        TokenBucketError::CapacityOutOfRange { capacity: 0, .. }
    ));
    let err = TokenBucket::new(
        TokenBucketSettings {
            capacity: 1,
            refill_per_second: 0,
        },
        0,
    )
    .unwrap_err();
    assert_eq!(err, TokenBucketError::ZeroRate);
    // The largest capacity is allowed, one more is not.
    let max = flashcheck::specs::breaker::MAX_BUCKET_CAPACITY;
    let at = |capacity| {
        TokenBucket::new(
            TokenBucketSettings {
                capacity,
                refill_per_second: 1,
            },
            0,
        )
    };
    assert!(at(max).is_ok(), "capacity {max} is the largest allowed");
    assert!(matches!(
        at(max + 1).unwrap_err(),
        TokenBucketError::CapacityOutOfRange { .. }
    ));
}

#[test]
fn concurrent_acquires_grant_exactly_the_capacity() {
    let bucket = Arc::new(bucket(10_000, 1));
    let granted = Arc::new(AtomicU64::new(0));
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let bucket = Arc::clone(&bucket);
            let granted = Arc::clone(&granted);
            std::thread::spawn(move || {
                for _ in 0..5_000 {
                    if take(&bucket, 0, 1) == BucketRet::Granted {
                        granted.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    assert_eq!(granted.load(Ordering::Relaxed), 10_000);
}

#[test]
fn mutation_refills_past_capacity() {
    let settings = TokenBucketSettings {
        capacity: 5,
        refill_per_second: 1_000,
    };
    let bucket =
        TokenBucket::with_mutation(settings, 0, Some(Mutation::BucketRefillsPastCapacity)).unwrap();
    assert_eq!(
        take(&bucket, 10, 15),
        BucketRet::Granted,
        "a bucket of 5 handed out 15 tokens at once"
    );
}

proptest! {
    /// Against the seed's rule computed with exact rationals: tokens = min(cap, tokens + Δt·r).
    #[test]
    fn matches_the_seed_rule(capacity in 1u64..50, rate in 1u64..5_000, steps in prop::collection::vec((0u64..2_000, 0u32..60), 1..60)) {
        let bucket = bucket(capacity, rate);
        let mut now = 0u64;
        let mut tokens_milli = capacity * 1_000;
        for (advance, want) in steps {
            now += advance;
            tokens_milli = (tokens_milli + advance * rate).min(capacity * 1_000);
            let expected = if tokens_milli >= u64::from(want) * 1_000 {
                tokens_milli -= u64::from(want) * 1_000;
                BucketRet::Granted
            } else {
                BucketRet::Denied
            };
            prop_assert_eq!(take(&bucket, now, want), expected);
            prop_assert_eq!(bucket.observe().tokens_milli, tokens_milli);
        }
    }
}
