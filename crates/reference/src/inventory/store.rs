//! The stock counter behind the inventory service: one trait, two implementations.

use std::fmt::Debug;

/// The answer of a stock store to one request for a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TakeOutcome {
    /// One unit was taken.
    Taken,
    /// No unit was left at the moment the request linearised.
    SoldOut,
}

/// A linearizable counter of units for sale.
///
/// `home` is the caller's preferred shard (its worker or core index); single-counter stores
/// ignore it.
pub trait StockStore: Send + Sync + Debug {
    /// Takes one unit if any is left anywhere in the store.
    fn try_take(&self, home: usize) -> TakeOutcome;
    /// Returns one unit (a reservation that timed out).
    fn put_back(&self, home: usize);
    /// Units left. Exact when no operation is in flight (the service guarantees that while it
    /// observes); negative only if a mutation broke the store.
    fn available(&self) -> i64;
}

/// A store chosen at run time (the HTTP front picks one per SKU).
impl StockStore for Box<dyn StockStore> {
    fn try_take(&self, home: usize) -> TakeOutcome {
        (**self).try_take(home)
    }
    fn put_back(&self, home: usize) {
        (**self).put_back(home)
    }
    fn available(&self) -> i64 {
        (**self).available()
    }
}
