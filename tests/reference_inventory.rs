//! The inventory service: sequential semantics, concurrent conservation, and mutations.

use std::collections::BTreeMap;
use std::sync::{Arc, Barrier};

use flashcheck::reference::inventory::{
    AtomicStore, BuyerStatus, InventoryError, InventoryOp, InventoryRet, InventoryService,
    ShardedStore, StockStore,
};
use flashcheck::reference::Mutation;
use proptest::prelude::*;

fn sequential_story<S: StockStore>(service: InventoryService<S>) {
    use InventoryOp::*;
    assert_eq!(
        service.invoke(Reserve { user: 1 }),
        Ok(InventoryRet::Reserved)
    );
    assert_eq!(
        service.invoke(Reserve { user: 1 }),
        Err(InventoryError::AlreadyHolding {
            user: 1,
            status: BuyerStatus::Reserved
        })
    );
    assert_eq!(
        service.invoke(Reserve { user: 2 }),
        Ok(InventoryRet::Reserved)
    );
    assert_eq!(
        service.invoke(Reserve { user: 3 }),
        Ok(InventoryRet::SoldOut)
    );
    assert_eq!(
        service.invoke(Pay { user: 3 }),
        Err(InventoryError::NoReservation {
            user: 3,
            status: Some(BuyerStatus::Rejected)
        })
    );
    assert_eq!(
        service.invoke(Pay { user: 9 }),
        Err(InventoryError::NoReservation {
            user: 9,
            status: None
        })
    );
    assert_eq!(service.invoke(Pay { user: 1 }), Ok(InventoryRet::Paid));
    assert_eq!(
        service.invoke(Release { user: 1 }),
        Err(InventoryError::NoReservation {
            user: 1,
            status: Some(BuyerStatus::Sold)
        })
    );
    assert_eq!(
        service.invoke(Release { user: 2 }),
        Ok(InventoryRet::Released)
    );
    assert_eq!(
        service.invoke(Reserve { user: 3 }),
        Ok(InventoryRet::Reserved)
    );
    let snapshot = service.observe();
    insta::allow_duplicates! { insta::assert_json_snapshot!(snapshot, @r###"
    {
      "initial_stock": 2,
      "available": 0,
      "reserved": [
        3
      ],
      "sold": [
        1
      ],
      "released": [
        2
      ],
      "rejected": []
    }
    "###); }
    assert!(snapshot.conserves_stock());
}

#[test]
fn atomic_store_sequential_story() {
    sequential_story(InventoryService::atomic(2));
}

#[test]
fn sharded_store_sequential_story() {
    sequential_story(InventoryService::sharded(2, 4).unwrap());
}

/// A store chosen at run time (as the HTTP front does) tells the same story: every call goes
/// through the box to the store inside.
#[test]
fn boxed_stores_sequential_story() {
    let atomic: Box<dyn StockStore> = Box::new(AtomicStore::new(2));
    let sharded: Box<dyn StockStore> = Box::new(ShardedStore::new(2, 4).unwrap());
    for store in [atomic, sharded] {
        let service = InventoryService::new(2, store);
        assert_eq!(service.observe().available, 2, "read through the box");
        sequential_story(service);
    }
}

/// `threads` buyers' threads, each reserving for its own users; with no releases, anyone
/// rejected must have seen the store truly empty.
fn hammer<S: StockStore + 'static>(
    service: InventoryService<S>,
    stock: u32,
    threads: u64,
    users_per_thread: u64,
) {
    let service = Arc::new(service);
    let barrier = Arc::new(Barrier::new(threads as usize));
    let handles: Vec<_> = (0..threads)
        .map(|thread| {
            let service = Arc::clone(&service);
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                for index in 0..users_per_thread {
                    let user = thread * users_per_thread + index;
                    service
                        .invoke_from(thread as usize, InventoryOp::Reserve { user })
                        .unwrap();
                    if user % 3 == 1 {
                        let _ = service.invoke(InventoryOp::Pay { user });
                    }
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    let snapshot = service.observe();
    assert!(snapshot.conserves_stock(), "{snapshot:?}");
    let buyers = threads * users_per_thread;
    assert_eq!(
        (snapshot.reserved.len() + snapshot.sold.len()) as u64,
        buyers.min(u64::from(stock))
    );
    assert_eq!(
        snapshot.rejected.len() as u64,
        buyers.saturating_sub(u64::from(stock))
    );
}

#[test]
fn atomic_store_never_oversells_under_contention() {
    hammer(InventoryService::atomic(1_000), 1_000, 4, 600);
}

#[test]
fn sharded_store_never_oversells_nor_rejects_early() {
    // Thread 0 buys far more than its shard holds: it must steal from the others.
    hammer(InventoryService::sharded(1_000, 4).unwrap(), 1_000, 4, 600);
    hammer(InventoryService::sharded(7, 2).unwrap(), 7, 2, 3);
}

#[test]
fn concurrent_releases_and_reserves_conserve_stock() {
    let service = Arc::new(InventoryService::sharded(10, 2).unwrap());
    let handles: Vec<_> = (0..2u64)
        .map(|thread| {
            let service = Arc::clone(&service);
            std::thread::spawn(move || {
                for round in 0..2_000u64 {
                    let user = thread * 1_000_000 + round;
                    if service.invoke_from(thread as usize, InventoryOp::Reserve { user })
                        == Ok(InventoryRet::Reserved)
                    {
                        service
                            .invoke_from(thread as usize, InventoryOp::Release { user })
                            .unwrap();
                    }
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    let snapshot = service.observe();
    assert_eq!(snapshot.available, 10);
    assert!(
        snapshot.rejected.is_empty(),
        "nobody may be rejected while stock sits in another shard"
    );
}

#[test]
fn mutation_check_then_decrement_oversells() {
    let mut oversold = false;
    for _ in 0..50 {
        let service = Arc::new(InventoryService::new(
            1,
            AtomicStore::with_mutation(1, Some(Mutation::AtomicCheckThenDecrement)),
        ));
        let barrier = Arc::new(Barrier::new(2));
        let handles: Vec<_> = (0..2u64)
            .map(|user| {
                let service = Arc::clone(&service);
                let barrier = Arc::clone(&barrier);
                std::thread::spawn(move || {
                    barrier.wait();
                    service.invoke(InventoryOp::Reserve { user }).unwrap();
                })
            })
            .collect();
        for handle in handles {
            handle.join().unwrap();
        }
        let snapshot = service.observe();
        if !snapshot.conserves_stock() {
            assert_eq!(snapshot.available, -1);
            assert_eq!(snapshot.reserved.len(), 2);
            oversold = true;
            break;
        }
    }
    assert!(oversold, "the check-then-decrement race was never observed");
}

#[test]
fn mutation_shard_without_stealing_rejects_while_stock_remains() {
    let service = InventoryService::new(
        1,
        ShardedStore::with_mutation(1, 2, Some(Mutation::ShardRejectsWithoutStealing)).unwrap(),
    );
    assert_eq!(
        service.invoke_from(1, InventoryOp::Reserve { user: 5 }),
        Ok(InventoryRet::SoldOut)
    );
    let snapshot = service.observe();
    assert_eq!(snapshot.available, 1);
    assert_eq!(snapshot.rejected.len(), 1);
}

/// A plain sequential oracle written from the operation contracts.
fn oracle(stock: u32, ops: &[InventoryOp]) -> Vec<Result<InventoryRet, InventoryError>> {
    let mut available = stock;
    let mut status: BTreeMap<u64, BuyerStatus> = BTreeMap::new();
    ops.iter()
        .map(|op| match *op {
            InventoryOp::Reserve { user } => match status.get(&user) {
                Some(s @ (BuyerStatus::Reserved | BuyerStatus::Sold)) => {
                    Err(InventoryError::AlreadyHolding { user, status: *s })
                }
                _ if available == 0 => {
                    status.insert(user, BuyerStatus::Rejected);
                    Ok(InventoryRet::SoldOut)
                }
                _ => {
                    available -= 1;
                    status.insert(user, BuyerStatus::Reserved);
                    Ok(InventoryRet::Reserved)
                }
            },
            InventoryOp::Pay { user } | InventoryOp::Release { user } => {
                match status.get(&user).copied() {
                    Some(BuyerStatus::Reserved) => {
                        if matches!(op, InventoryOp::Pay { .. }) {
                            status.insert(user, BuyerStatus::Sold);
                            Ok(InventoryRet::Paid)
                        } else {
                            available += 1;
                            status.insert(user, BuyerStatus::Released);
                            Ok(InventoryRet::Released)
                        }
                    }
                    other => Err(InventoryError::NoReservation {
                        user,
                        status: other,
                    }),
                }
            }
        })
        .collect()
}

fn op_strategy() -> impl Strategy<Value = InventoryOp> {
    (0u8..3, 0u64..6).prop_map(|(kind, user)| match kind {
        0 => InventoryOp::Reserve { user },
        1 => InventoryOp::Pay { user },
        _ => InventoryOp::Release { user },
    })
}

proptest! {
    #[test]
    fn both_stores_agree_with_the_oracle(stock in 0u32..4, shards in 1usize..4, homes in prop::collection::vec(0usize..4, 40), ops in prop::collection::vec(op_strategy(), 0..40)) {
        let expected = oracle(stock, &ops);
        let atomic = InventoryService::atomic(stock);
        let sharded = InventoryService::sharded(stock, shards).unwrap();
        for (index, op) in ops.iter().enumerate() {
            prop_assert_eq!(&atomic.invoke(*op), &expected[index]);
            prop_assert_eq!(&sharded.invoke_from(homes[index], *op), &expected[index]);
        }
        prop_assert!(atomic.observe().conserves_stock());
        prop_assert_eq!(sharded.observe(), atomic.observe());
    }
}
