//! The shape every reference component shares — like stateright's `SequentialSpec`, but
//! thread-safe (`&self`) — so one trace replayer can drive any of them step by step and map
//! each observed state onto a model state.

use super::breaker::{BreakerError, BreakerOp, BreakerRet, BreakerSnapshot, CircuitBreaker};
use super::inventory::{
    InventoryError, InventoryOp, InventoryRet, InventoryService, InventorySnapshot, StockStore,
};
use super::saga::{SagaError, SagaOp, SagaOrchestrator, SagaRet, SagaSnapshot, StepHandler};
use super::token_bucket::{BucketOp, BucketRet, BucketSnapshot, TokenBucket};

/// A component driven by operations and observed through snapshots.
pub trait Component {
    type Op;
    type Ret;
    type Snapshot;

    /// Performs one operation atomically.
    fn invoke(&self, op: Self::Op) -> Self::Ret;
    /// The state between operations.
    fn observe(&self) -> Self::Snapshot;
}

impl<S: StockStore> Component for InventoryService<S> {
    type Op = InventoryOp;
    type Ret = Result<InventoryRet, InventoryError>;
    type Snapshot = InventorySnapshot;

    fn invoke(&self, op: InventoryOp) -> Self::Ret {
        InventoryService::invoke(self, op)
    }

    fn observe(&self) -> InventorySnapshot {
        InventoryService::observe(self)
    }
}

impl Component for CircuitBreaker {
    type Op = BreakerOp;
    type Ret = Result<BreakerRet, BreakerError>;
    type Snapshot = BreakerSnapshot;

    fn invoke(&self, op: BreakerOp) -> Self::Ret {
        CircuitBreaker::invoke(self, op)
    }

    fn observe(&self) -> BreakerSnapshot {
        CircuitBreaker::observe(self)
    }
}

impl Component for TokenBucket {
    type Op = BucketOp;
    type Ret = BucketRet;
    type Snapshot = BucketSnapshot;

    fn invoke(&self, op: BucketOp) -> BucketRet {
        TokenBucket::invoke(self, op)
    }

    fn observe(&self) -> BucketSnapshot {
        TokenBucket::observe(self)
    }
}

impl<H: StepHandler> Component for SagaOrchestrator<H> {
    type Op = SagaOp;
    type Ret = Result<SagaRet, SagaError>;
    type Snapshot = SagaSnapshot;

    fn invoke(&self, op: SagaOp) -> Self::Ret {
        SagaOrchestrator::invoke(self, op)
    }

    fn observe(&self) -> SagaSnapshot {
        SagaOrchestrator::observe(self)
    }
}
