//! The three-client inventory workload that `tests/shuttle_stores.rs` and
//! `tests/loom_stores.rs` run under their schedulers: who calls what, on which store, and
//! the linearizability check of each schedule's history. Each test spawns the clients on its
//! own checker's threads and stamps calls with its own atomics.

use flashcheck::reference::inventory::InventoryError;
use flashcheck::reference::inventory::{
    AtomicStore, InventoryOp, InventoryRet, InventoryService, ShardedStore, StockStore,
};
use flashcheck::reference::Mutation;
use flashcheck::replay::inventory::{InventoryConformance, StoreChoice};
use flashcheck::replay::linearizability::{Operation, Outcome};
use flashcheck::replay::Conformance;
use flashcheck_models::inventory::{Deduction, Inventory};

/// Units for sale: two, split one per shard in the sharded store.
pub const STOCK: u32 = 2;

/// Each client's user id, home shard and script: client 1 (home 0) reserves then releases,
/// client 2 (home 1) and client 3 (home 0) reserve — so a unit can move between shards
/// (released to client 1's home) while client 3 looks for one.
pub const CLIENTS: [Client; 3] = [
    (1, 0, &[reserve, release]),
    (2, 1, &[reserve]),
    (3, 0, &[reserve]),
];

/// A client: its user id, its home shard, and its script.
pub type Client = (u64, usize, &'static [fn(u64) -> InventoryOp]);

fn reserve(user: u64) -> InventoryOp {
    InventoryOp::Reserve { user }
}

fn release(user: u64) -> InventoryOp {
    InventoryOp::Release { user }
}

/// The store under the service.
#[derive(Debug, Clone, Copy)]
pub enum Store {
    Atomic,
    Sharded,
}

/// The inventory model's sequential specification for the workload (3 users, [`STOCK`]).
pub fn conformance() -> InventoryConformance {
    let model = Inventory::new(3, u64::from(STOCK), Deduction::Atomic).unwrap();
    InventoryConformance::new(model, StoreChoice::Atomic).unwrap()
}

/// A fresh service over `store`, with `mutation` switched on (or none), handed to `run`.
pub fn with_service<R>(
    store: Store,
    mutation: Option<Mutation>,
    run: impl FnOnce(InventoryService<Box<dyn StockStore>>) -> R,
) -> R {
    let inner: Box<dyn StockStore> = match store {
        Store::Atomic => Box::new(AtomicStore::with_mutation(STOCK, mutation)),
        Store::Sharded => Box::new(ShardedStore::with_mutation(STOCK, 2, mutation).unwrap()),
    };
    run(InventoryService::with_mutation(STOCK, inner, mutation))
}

/// Panics, with the stuck operation and its window, when `history` does not linearize (so
/// the scheduler reports the schedule that produced it).
pub fn assert_linearizable(
    c: &InventoryConformance,
    history: &[Operation<InventoryOp, Result<InventoryRet, InventoryError>>],
) {
    if let Outcome::NotLinearizable(f) = c.check_history(history).unwrap() {
        let window: Vec<_> = f.window.iter().map(|&i| &history[i]).collect();
        panic!(
            "not linearizable: stuck at {:?}; window {window:?}",
            history[f.stuck_at]
        );
    }
}
