//! Systematic interleavings (issue 14, item 2): concurrent workloads of the reference's
//! inventory service over its atomic and sharded stores, run under shuttle's random and PCT
//! schedulers (the reference's atomics and locks switched to shuttle's by the test-only
//! `shuttle` feature, `reference::sync`); every schedule's history is checked for
//! linearizability against the inventory model's sequential specification, and a
//! non-linearizable one panics, so shuttle reports its failing schedule, which replays it.
//!
//! Run alone: `cargo test --release --features shuttle --test shuttle_stores -- --nocapture`
//! (prints schedules/s and schedules to first detection for each concurrency mutation).
#![cfg(feature = "shuttle")]

#[path = "support/store_workload.rs"]
mod store_workload;

use flashcheck::reference::inventory::{InventoryService, StockStore};
use flashcheck::reference::Mutation;
use flashcheck::replay::inventory::InventoryConformance;
use flashcheck::replay::linearizability::Operation;
use shuttle::scheduler::{PctScheduler, RandomScheduler, Scheduler};
use shuttle::sync::atomic::{AtomicU64, Ordering};
use shuttle::{Config, FailurePersistence, Runner};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;
use std::time::Instant;
use store_workload::{assert_linearizable, conformance, with_service, Store, CLIENTS};

/// One schedule: the clients run on shuttle threads against a fresh service; the history
/// (call/return stamps from a shuttle atomic, itself a scheduling point) must linearize.
fn workload(store: Store, mutation: Option<Mutation>, schedules: Arc<AtomicUsize>) -> impl Fn() {
    let c = Arc::new(conformance());
    move || {
        schedules.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        with_service(store, mutation, |service| run_clients(&c, service))
    }
}

fn run_clients(c: &InventoryConformance, service: InventoryService<Box<dyn StockStore>>) {
    let service = Arc::new(service);
    let clock = Arc::new(AtomicU64::new(0));
    let threads: Vec<_> = CLIENTS
        .iter()
        .map(|&(client, home, script)| {
            let (service, clock) = (Arc::clone(&service), Arc::clone(&clock));
            shuttle::thread::spawn(move || {
                script
                    .iter()
                    .map(|op| {
                        let op = op(client);
                        let call = clock.fetch_add(1, Ordering::SeqCst);
                        let ret = service.invoke_from(home, op);
                        let returned = clock.fetch_add(1, Ordering::SeqCst);
                        Operation {
                            client,
                            op,
                            ret,
                            call,
                            returned,
                        }
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let history: Vec<_> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    assert_linearizable(c, &history);
}

fn config() -> Config {
    let mut config = Config::new();
    config.failure_persistence = FailurePersistence::None;
    config
}

/// Runs `schedules` schedules; `Some(k)` when schedule `k` (1-based) was not linearizable.
fn first_detection(
    scheduler: impl Scheduler + 'static,
    store: Store,
    mutation: Option<Mutation>,
) -> Option<usize> {
    let count = Arc::new(AtomicUsize::new(0));
    let f = workload(store, mutation, Arc::clone(&count));
    let runner = Runner::new(scheduler, config());
    let outcome = catch_unwind(AssertUnwindSafe(|| runner.run(f)));
    outcome
        .is_err()
        .then(|| count.load(std::sync::atomic::Ordering::Relaxed))
}

fn quiet_panics<T>(f: impl FnOnce() -> T) -> T {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let out = f();
    std::panic::set_hook(hook);
    out
}

const SCHEDULES: usize = 20_000;

#[test]
fn the_correct_stores_are_linearizable_under_random_and_pct_schedules() {
    for store in [Store::Atomic, Store::Sharded] {
        for (name, pct) in [("random", false), ("pct", true)] {
            let started = Instant::now();
            let found = if pct {
                first_detection(
                    PctScheduler::new_from_seed(1, PCT_DEPTH, SCHEDULES),
                    store,
                    None,
                )
            } else {
                first_detection(RandomScheduler::new_from_seed(1, SCHEDULES), store, None)
            };
            let secs = started.elapsed().as_secs_f64();
            assert_eq!(found, None, "{store:?} {name}: a correct store failed");
            println!(
                "{store:?} store, {name}: {SCHEDULES} schedules linearizable in {secs:.2} s ({:.0} schedules/s)",
                SCHEDULES as f64 / secs
            );
        }
    }
}

/// PCT's depth (priority change points + 1). The skipped rescan needs three change points
/// (client 1 stopped after its reserve, client 3 after its first load, client 2 kept back
/// until the release is done): depth 3 missed it in 1,000,000 schedules (seed 0), depth 4
/// found it after 2,226.
const PCT_DEPTH: usize = 4;

/// Seeds per scheduler and mutation, and the schedules each may take.
const SEEDS: u64 = 5;
const BUDGET: usize = 1_000_000;

/// Each concurrency mutation is found by both schedulers, for every seed tried; the number
/// of schedules to the first detection is printed (median over the seeds). The sharded
/// store's skipped rescan needs a unit to move between shards inside one buyer's scan (a
/// reserve, a release into the shard already scanned and a take from the other, all between
/// two loads): rare under random scheduling.
#[test]
fn every_concurrency_mutation_is_found_by_both_schedulers() {
    let cases = [
        (Store::Atomic, Mutation::AtomicCheckThenDecrement),
        (Store::Sharded, Mutation::ShardRejectsWithoutStealing),
        (Store::Sharded, Mutation::ShardSkipsLockedRescan),
    ];
    for (store, mutation) in cases {
        for (name, pct) in [("random", false), ("pct", true)] {
            let mut counts: Vec<usize> = (0..SEEDS)
                .map(|seed| {
                    let found = quiet_panics(|| {
                        if pct {
                            first_detection(
                                PctScheduler::new_from_seed(seed, PCT_DEPTH, BUDGET),
                                store,
                                Some(mutation),
                            )
                        } else {
                            first_detection(
                                RandomScheduler::new_from_seed(seed, BUDGET),
                                store,
                                Some(mutation),
                            )
                        }
                    });
                    found.unwrap_or_else(|| {
                        panic!("{mutation:?} {name} seed {seed}: missed in {BUDGET} schedules")
                    })
                })
                .collect();
            counts.sort_unstable();
            println!(
                "{mutation:?} ({store:?} store), {name}: first detection after {counts:?} schedules ({SEEDS} seeds; median {})",
                counts[counts.len() / 2]
            );
        }
    }
}

/// A failure is reported with shuttle's schedule, and that schedule replays the failure.
#[test]
fn a_failing_schedule_is_persisted_and_replays_the_failure() {
    let dir = tempfile::tempdir().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let mutation = Some(Mutation::AtomicCheckThenDecrement);
    let mut config = Config::new();
    config.failure_persistence = FailurePersistence::File(Some(dir.path().to_path_buf()));
    let runner = Runner::new(RandomScheduler::new_from_seed(0, 50_000), config);
    let f = workload(Store::Atomic, mutation, Arc::clone(&count));
    assert!(quiet_panics(|| catch_unwind(AssertUnwindSafe(|| runner.run(f)))).is_err());
    let file = std::fs::read_dir(dir.path())
        .unwrap()
        .next()
        .expect("no schedule file")
        .unwrap()
        .path();
    let again = workload(Store::Atomic, mutation, Arc::new(AtomicUsize::new(0)));
    let replayed =
        quiet_panics(|| catch_unwind(AssertUnwindSafe(|| shuttle::replay_from_file(again, &file))));
    assert!(replayed.is_err(), "the schedule did not replay the failure");
}
