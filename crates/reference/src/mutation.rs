//! Deliberate bugs for mutation testing of the trace replayer. TEST-ONLY.
//!
//! Each component has a `#[doc(hidden)] with_mutation` constructor taking an
//! `Option<Mutation>`; the normal constructors always pass `None`. A mutation that does not
//! belong to the component it is given to has no effect. Production code must never build a
//! component with a mutation: these exist so that replay's mutation tests can show that a
//! wrong implementation is caught.

use serde::{Deserialize, Serialize};

/// One deliberate bug.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Mutation {
    /// Atomic store: reads the counter, then decrements it in a separate step (check-then-act),
    /// with a pause between the two so the race is easy to hit: stock can go negative.
    AtomicCheckThenDecrement,
    /// Sharded store: a buyer whose home shard is empty is told sold out without taking stock
    /// from the other shards.
    ShardRejectsWithoutStealing,
    /// Saga: the step that failed is compensated too (the seed's append-before-check bug).
    SagaCompensatesFailedStep,
    /// Saga: a failed compensation is given up at once instead of retried (the seed's bug).
    SagaNeverRetriesCompensation,
    /// Saga recovery: resumes at the last committed step instead of the one after it, so that
    /// step runs twice.
    RecoveryRerunsCommittedStep,
    /// Breaker: half-open admits `permitted + 1` calls.
    BreakerAdmitsExtraHalfOpenCall,
    /// Token bucket: refill is not capped at the capacity.
    BucketRefillsPastCapacity,
    /// Inventory: a payment that arrives after the reservation timed out (a late message) is
    /// accepted and the released buyer counted as sold, instead of `NoReservation`.
    InventoryAcceptsLatePayment,
    /// Breaker: an outcome reported again with a permit already recorded (a duplicate) is
    /// counted again instead of refused as `UnknownPermit`.
    BreakerCountsDuplicateOutcome,
    /// Token bucket: an acquire asking for more tokens than are left is granted and empties
    /// the bucket (a saturating subtraction where a checked one belongs).
    BucketGrantsWithoutTokens,
    /// Saga: `Advance` on a finished saga finishes it again (logs a second `Finished`
    /// record) instead of answering `AlreadyFinished`.
    SagaRefinishesFinishedSaga,
    /// Saga: a failed compensation's attempt number is counted per session (since the last
    /// recovery) instead of over the saga's life, so after a crash the count starts again;
    /// only a second failure of one compensation with a crash between shows it.
    SagaCountsAttemptsPerSession,
    /// Sharded store: when every shard looked empty in one pass, the buyer is told sold out
    /// without the second pass under the refill lock, so a unit put back into a shard already
    /// passed while the last unit elsewhere was taken is missed: sold out though no instant
    /// had the stock empty.
    ShardSkipsLockedRescan,
}
