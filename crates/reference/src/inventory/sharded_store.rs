//! Stock split into per-core shards, each on its own cache-line pair, that take stock from
//! one another before turning a buyer away.
//!
//! # Why "sold out" is linearizable
//!
//! A take first tries its home shard and then every other shard, lock-free; each attempt is
//! a CAS decrement-if-positive, and a successful one is the take's linearisation point. Only
//! when that optimistic pass finds nothing does the take enter the slow path: it locks
//! `refill_lock` and sweeps all shards again. `put_back` — the only operation that
//! *increases* a shard — holds the same lock. So during the locked sweep shards can only
//! decrease: a shard read as 0 stays 0 until the lock is released. When the sweep ends
//! having read 0 everywhere, every shard is 0 at that instant, and that instant (still inside
//! the lock) is where the `SoldOut` answer linearises. The fast path never blocks; the lock is
//! only taken when stock is (nearly) exhausted or a reservation is returned, both rare.

use std::sync::PoisonError;

use crate::sync::{AtomicI64, Mutex, Ordering};

use thiserror::Error;

use super::store::{StockStore, TakeOutcome};
use crate::Mutation;

/// One shard's counter, padded to 128 bytes: two 64-byte lines, because the adjacent-line
/// prefetcher on x86 pulls lines in pairs and would otherwise couple neighbouring shards.
#[derive(Debug)]
#[repr(align(128))]
pub struct StockShard {
    units: AtomicI64,
}

impl StockShard {
    pub fn new(units: u32) -> Self {
        StockShard {
            units: AtomicI64::new(i64::from(units)),
        }
    }

    /// CAS decrement-if-positive.
    fn try_take(&self) -> bool {
        let mut current = self.units.load(Ordering::Acquire);
        loop {
            if current <= 0 {
                return false;
            }
            match self.units.compare_exchange_weak(
                current,
                current - 1,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return true,
                Err(actual) => current = actual,
            }
        }
    }

    pub fn units(&self) -> i64 {
        self.units.load(Ordering::Acquire)
    }
}

/// Per-core shards with stealing; see the module documentation for the linearizability
/// argument.
#[derive(Debug)]
pub struct ShardedStore {
    // Boxed on purpose: each shard is a separate allocation so the thread that allocates it
    // (a pinned worker) first-touches its page, placing it on that worker's NUMA node.
    #[allow(clippy::vec_box)]
    shards: Vec<Box<StockShard>>,
    refill_lock: Mutex<()>,
    mutation: Option<Mutation>,
}

/// A sharded store was asked for with no shards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("a sharded store needs at least one shard")]
pub struct ZeroShards;

/// Splits `stock` into `count` near-equal parts (the first shards get the remainder); no
/// parts for `count == 0`.
pub fn split_stock(stock: u32, count: usize) -> Vec<u32> {
    let (stock, parts) = (u64::from(stock), count as u64);
    (0..parts)
        .map(|index| {
            let units = stock / parts + u64::from(index < stock % parts);
            u32::try_from(units).unwrap_or(u32::MAX) // never taken: units <= stock <= u32::MAX
        })
        .collect()
}

impl ShardedStore {
    /// `shards` shards sharing `stock` units.
    pub fn new(stock: u32, shards: usize) -> Result<Self, ZeroShards> {
        Self::with_mutation(stock, shards, None)
    }

    /// TEST-ONLY: see [`Mutation`].
    #[doc(hidden)]
    pub fn with_mutation(
        stock: u32,
        shards: usize,
        mutation: Option<Mutation>,
    ) -> Result<Self, ZeroShards> {
        let shards = split_stock(stock, shards)
            .into_iter()
            .map(|units| Box::new(StockShard::new(units)))
            .collect();
        let mut store = Self::from_shards(shards)?;
        store.mutation = mutation;
        Ok(store)
    }

    /// Builds the store from shards allocated elsewhere — the pinned executor allocates each
    /// shard on its own worker thread so first-touch places it on that worker's NUMA node.
    #[allow(clippy::vec_box)]
    pub fn from_shards(shards: Vec<Box<StockShard>>) -> Result<Self, ZeroShards> {
        if shards.is_empty() {
            return Err(ZeroShards);
        }
        Ok(ShardedStore {
            shards,
            refill_lock: Mutex::new(()),
            mutation: None,
        })
    }
}

impl StockStore for ShardedStore {
    fn try_take(&self, home: usize) -> TakeOutcome {
        let count = self.shards.len();
        let home = home % count;
        if self.mutation == Some(Mutation::ShardRejectsWithoutStealing) {
            return if self.shards[home].try_take() {
                TakeOutcome::Taken
            } else {
                TakeOutcome::SoldOut
            };
        }
        for offset in 0..count {
            if self.shards[(home + offset) % count].try_take() {
                return TakeOutcome::Taken;
            }
        }
        // The lock only excludes put_back; it guards no data, so a poisoned lock is still sound.
        if self.mutation == Some(Mutation::ShardSkipsLockedRescan) {
            return TakeOutcome::SoldOut;
        }
        let _no_refills = self
            .refill_lock
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for offset in 0..count {
            if self.shards[(home + offset) % count].try_take() {
                return TakeOutcome::Taken;
            }
        }
        TakeOutcome::SoldOut
    }

    fn put_back(&self, home: usize) {
        let _refilling = self
            .refill_lock
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        self.shards[home % self.shards.len()]
            .units
            .fetch_add(1, Ordering::AcqRel);
    }

    fn available(&self) -> i64 {
        self.shards.iter().map(|shard| shard.units()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_is_even_with_remainder_first() {
        assert_eq!(split_stock(10, 3), vec![4, 3, 3]);
        assert_eq!(split_stock(1, 2), vec![1, 0]);
        assert_eq!(split_stock(5, 0), Vec::<u32>::new());
        assert_eq!(ShardedStore::new(5, 0).unwrap_err(), ZeroShards);
    }

    #[test]
    fn shards_are_cache_line_pair_aligned() {
        assert_eq!(std::mem::align_of::<StockShard>(), 128);
        assert_eq!(std::mem::size_of::<StockShard>(), 128);
    }

    #[test]
    fn empty_home_shard_steals_from_the_others() {
        let store = ShardedStore::new(1, 2).unwrap();
        assert_eq!(store.try_take(1), TakeOutcome::Taken);
        assert_eq!(store.try_take(1), TakeOutcome::SoldOut);
        store.put_back(1);
        assert_eq!(store.try_take(0), TakeOutcome::Taken);
    }

    #[test]
    fn mutation_rejects_while_other_shards_hold_stock() {
        let store =
            ShardedStore::with_mutation(1, 2, Some(Mutation::ShardRejectsWithoutStealing)).unwrap();
        assert_eq!(store.try_take(1), TakeOutcome::SoldOut);
        assert_eq!(
            store.available(),
            1,
            "a buyer was turned away while stock remained"
        );
    }
}
