//! Stock as one atomic counter, taken with a compare-and-swap decrement-if-positive.

use crate::sync::{widen_race_window, AtomicI64, Ordering};

use super::store::{StockStore, TakeOutcome};
use crate::Mutation;

/// One shared counter. Every take is a CAS loop that only succeeds from a positive value, so
/// the counter never goes below zero and each take linearises at its successful CAS.
#[derive(Debug)]
pub struct AtomicStore {
    units: AtomicI64,
    mutation: Option<Mutation>,
}

impl AtomicStore {
    pub fn new(stock: u32) -> Self {
        Self::with_mutation(stock, None)
    }

    /// TEST-ONLY: see [`Mutation`].
    #[doc(hidden)]
    pub fn with_mutation(stock: u32, mutation: Option<Mutation>) -> Self {
        AtomicStore {
            units: AtomicI64::new(i64::from(stock)),
            mutation,
        }
    }
}

impl StockStore for AtomicStore {
    fn try_take(&self, _home: usize) -> TakeOutcome {
        if self.mutation == Some(Mutation::AtomicCheckThenDecrement) {
            if self.units.load(Ordering::Acquire) <= 0 {
                return TakeOutcome::SoldOut;
            }
            widen_race_window();
            self.units.fetch_sub(1, Ordering::AcqRel);
            return TakeOutcome::Taken;
        }
        let mut current = self.units.load(Ordering::Acquire);
        loop {
            if current <= 0 {
                return TakeOutcome::SoldOut;
            }
            match self.units.compare_exchange_weak(
                current,
                current - 1,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return TakeOutcome::Taken,
                Err(actual) => current = actual,
            }
        }
    }

    fn put_back(&self, _home: usize) {
        self.units.fetch_add(1, Ordering::AcqRel);
    }

    fn available(&self) -> i64 {
        self.units.load(Ordering::Acquire)
    }
}
