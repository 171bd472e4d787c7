//! The inventory service of §3.2: a fixed stock S sold to buyers who reserve, then pay or let
//! the reservation time out. Never oversells, never turns a buyer away while a unit is left.
//!
//! Per-buyer state lives in lock stripes keyed by user id; every operation holds its buyer's
//! stripe while it consults the stock store, so an operation is atomic with respect to its
//! buyer and linearizes at its store access. `observe` takes all stripes (in index order) and
//! therefore sees a state between operations: `available + |reserved| + |sold| = S`.

mod atomic_store;
mod sharded_store;
mod store;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::PoisonError;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::sync::{Mutex, MutexGuard};
use crate::Mutation;

pub use atomic_store::AtomicStore;
pub use sharded_store::{split_stock, ShardedStore, StockShard, ZeroShards};
pub use store::{StockStore, TakeOutcome};

/// A buyer.
pub type UserId = u64;

/// Where a buyer stands after their latest operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum BuyerStatus {
    Reserved,
    Sold,
    Released,
    Rejected,
}

/// One inventory operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum InventoryOp {
    /// Hold one unit for the buyer.
    Reserve { user: UserId },
    /// The buyer paid: the held unit is sold.
    Pay { user: UserId },
    /// The reservation timed out: the unit returns to stock.
    Release { user: UserId },
}

/// The successful result of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum InventoryRet {
    Reserved,
    SoldOut,
    Paid,
    Released,
}

/// An operation that is not allowed in the buyer's current state.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
pub enum InventoryError {
    #[error("user {user} already holds a reservation or a purchase ({status:?})")]
    AlreadyHolding { user: UserId, status: BuyerStatus },
    #[error("user {user} has no reservation (status {status:?})")]
    NoReservation {
        user: UserId,
        status: Option<BuyerStatus>,
    },
}

/// The observable state: stock left and the buyers in each status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InventorySnapshot {
    pub initial_stock: u32,
    pub available: i64,
    pub reserved: BTreeSet<UserId>,
    pub sold: BTreeSet<UserId>,
    pub released: BTreeSet<UserId>,
    pub rejected: BTreeSet<UserId>,
}

impl InventorySnapshot {
    /// No overselling and no lost units: `available ≥ 0` and `available + reserved + sold = S`.
    pub fn conserves_stock(&self) -> bool {
        let held = (self.reserved.len() + self.sold.len()) as i64;
        self.available >= 0 && self.available + held == i64::from(self.initial_stock)
    }
}

const STRIPES: usize = 64;

type Buyers = BTreeMap<UserId, BuyerStatus>;

/// The inventory service over a stock store `S`.
#[derive(Debug)]
pub struct InventoryService<S: StockStore> {
    initial_stock: u32,
    store: S,
    stripes: Box<[Mutex<Buyers>]>,
    mutation: Option<Mutation>,
}

impl InventoryService<AtomicStore> {
    /// A service over one atomic counter.
    pub fn atomic(stock: u32) -> Self {
        InventoryService::new(stock, AtomicStore::new(stock))
    }
}

impl InventoryService<ShardedStore> {
    /// A service over `shards` cache-padded shards.
    pub fn sharded(stock: u32, shards: usize) -> Result<Self, ZeroShards> {
        Ok(InventoryService::new(
            stock,
            ShardedStore::new(stock, shards)?,
        ))
    }
}

impl<S: StockStore> InventoryService<S> {
    /// `store` must hold exactly `initial_stock` units.
    pub fn new(initial_stock: u32, store: S) -> Self {
        Self::with_mutation(initial_stock, store, None)
    }

    /// TEST-ONLY: see [`Mutation`] (the store's mutations are the store's).
    #[doc(hidden)]
    pub fn with_mutation(initial_stock: u32, store: S, mutation: Option<Mutation>) -> Self {
        let stripes = (0..STRIPES).map(|_| Mutex::new(Buyers::new())).collect();
        InventoryService {
            initial_stock,
            store,
            stripes,
            mutation,
        }
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    /// Performs `op` with the user id as the shard hint.
    pub fn invoke(&self, op: InventoryOp) -> Result<InventoryRet, InventoryError> {
        let user = match op {
            InventoryOp::Reserve { user }
            | InventoryOp::Pay { user }
            | InventoryOp::Release { user } => user,
        };
        self.invoke_from(user as usize, op)
    }

    /// Performs `op` for a caller whose home shard is `home` (its worker or core).
    pub fn invoke_from(
        &self,
        home: usize,
        op: InventoryOp,
    ) -> Result<InventoryRet, InventoryError> {
        match op {
            InventoryOp::Reserve { user } => {
                let mut buyers = self.stripe(user);
                if let Some(status @ (BuyerStatus::Reserved | BuyerStatus::Sold)) =
                    buyers.get(&user).copied()
                {
                    return Err(InventoryError::AlreadyHolding { user, status });
                }
                match self.store.try_take(home) {
                    TakeOutcome::Taken => {
                        buyers.insert(user, BuyerStatus::Reserved);
                        Ok(InventoryRet::Reserved)
                    }
                    TakeOutcome::SoldOut => {
                        buyers.insert(user, BuyerStatus::Rejected);
                        Ok(InventoryRet::SoldOut)
                    }
                }
            }
            InventoryOp::Pay { user } => {
                let mut buyers = self.stripe(user);
                let late = self.mutation == Some(Mutation::InventoryAcceptsLatePayment)
                    && buyers.get(&user) == Some(&BuyerStatus::Released);
                if !late {
                    Self::require_reservation(&buyers, user)?;
                }
                buyers.insert(user, BuyerStatus::Sold);
                Ok(InventoryRet::Paid)
            }
            InventoryOp::Release { user } => {
                let mut buyers = self.stripe(user);
                Self::require_reservation(&buyers, user)?;
                self.store.put_back(home);
                buyers.insert(user, BuyerStatus::Released);
                Ok(InventoryRet::Released)
            }
        }
    }

    fn require_reservation(buyers: &Buyers, user: UserId) -> Result<(), InventoryError> {
        match buyers.get(&user).copied() {
            Some(BuyerStatus::Reserved) => Ok(()),
            status => Err(InventoryError::NoReservation { user, status }),
        }
    }

    /// A consistent snapshot: all stripes are held while the store is read.
    pub fn observe(&self) -> InventorySnapshot {
        let guards: Vec<MutexGuard<'_, Buyers>> = self.stripes.iter().map(lock).collect();
        let mut snapshot = InventorySnapshot {
            initial_stock: self.initial_stock,
            available: self.store.available(),
            reserved: BTreeSet::new(),
            sold: BTreeSet::new(),
            released: BTreeSet::new(),
            rejected: BTreeSet::new(),
        };
        for (user, status) in guards.iter().flat_map(|buyers| buyers.iter()) {
            let set = match status {
                BuyerStatus::Reserved => &mut snapshot.reserved,
                BuyerStatus::Sold => &mut snapshot.sold,
                BuyerStatus::Released => &mut snapshot.released,
                BuyerStatus::Rejected => &mut snapshot.rejected,
            };
            set.insert(*user);
        }
        snapshot
    }

    fn stripe(&self, user: UserId) -> MutexGuard<'_, Buyers> {
        lock(&self.stripes[(user % STRIPES as u64) as usize])
    }
}

/// Every critical section updates the map with a single insert after all checks, so a panic
/// elsewhere cannot leave a half-written entry: recovering a poisoned stripe is sound.
fn lock(stripe: &Mutex<Buyers>) -> MutexGuard<'_, Buyers> {
    stripe.lock().unwrap_or_else(PoisonError::into_inner)
}
