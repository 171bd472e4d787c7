//! One generic replay loop drives every component through the shared `Component` trait.

use flashcheck::reference::breaker::{BreakerOp, BreakerRet, CircuitBreaker};
use flashcheck::reference::inventory::{InventoryOp, InventoryRet, InventoryService};
use flashcheck::reference::token_bucket::{BucketOp, BucketRet, TokenBucket};
use flashcheck::reference::Component;
use flashcheck::specs::{BreakerSettings, TokenBucketSettings};

/// What a trace replayer does: apply each operation, record the result and the state after it.
fn replay<C: Component>(component: &C, ops: Vec<C::Op>) -> Vec<(C::Ret, C::Snapshot)> {
    ops.into_iter()
        .map(|op| {
            let ret = component.invoke(op);
            (ret, component.observe())
        })
        .collect()
}

#[test]
fn inventory_replays() {
    let steps = replay(
        &InventoryService::sharded(1, 2).unwrap(),
        vec![
            InventoryOp::Reserve { user: 1 },
            InventoryOp::Reserve { user: 2 },
            InventoryOp::Release { user: 1 },
        ],
    );
    assert_eq!(steps[1].0, Ok(InventoryRet::SoldOut));
    assert_eq!(steps[2].1.available, 1);
}

#[test]
fn breaker_and_bucket_replay() {
    let steps = replay(
        &CircuitBreaker::new(BreakerSettings::seed()),
        vec![BreakerOp::TryAcquire { now_ms: 0 }],
    );
    assert!(matches!(steps[0].0, Ok(BreakerRet::Admitted(_))));
    assert_eq!(steps[0].1.outstanding_permits, 1);

    let bucket = TokenBucket::new(
        TokenBucketSettings {
            capacity: 1,
            refill_per_second: 1,
        },
        0,
    )
    .unwrap();
    let steps = replay(
        &bucket,
        vec![
            BucketOp::Acquire {
                now_ms: 0,
                tokens: 1,
            },
            BucketOp::Acquire {
                now_ms: 1,
                tokens: 1,
            },
        ],
    );
    assert_eq!(
        (steps[0].0, steps[1].0),
        (BucketRet::Granted, BucketRet::Denied)
    );
    assert_eq!(steps[1].1.tokens_milli, 1);
}
