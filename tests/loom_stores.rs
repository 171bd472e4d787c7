//! Exhaustive interleavings (issue 14, item 2, "loom where exhaustive search is feasible"):
//! the workload of `tests/shuttle_stores.rs` — three clients of the reference's inventory
//! service over its atomic and sharded stores — run under loom, which tries every
//! interleaving of the stores' atomics and locks up to a preemption bound (the reference's
//! sync types switched to loom's by the test-only `loom` feature, `reference::sync`). Every
//! execution's history is checked for linearizability against the inventory model's
//! sequential specification; a non-linearizable one panics, and loom stops there.
//!
//! Where shuttle samples schedules, loom's answer at a bound is complete: "no execution with
//! at most B preemptions is non-linearizable". Run alone (prints executions and time per
//! store and bound, and the executions to first detection of each concurrency mutation):
//! `cargo test --features loom --test loom_stores -- --nocapture --test-threads 1`
#![cfg(feature = "loom")]

#[path = "support/store_workload.rs"]
mod store_workload;

use flashcheck::reference::inventory::{InventoryService, StockStore};
use flashcheck::reference::Mutation;
use flashcheck::replay::inventory::InventoryConformance;
use flashcheck::replay::linearizability::Operation;
use loom::sync::atomic::{AtomicU64, Ordering};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;
use std::time::Instant;
use store_workload::{assert_linearizable, conformance, with_service, Store, CLIENTS};

/// One execution: the clients on loom threads against a fresh service; the history
/// (call/return stamps from a loom atomic) must linearize.
fn workload(
    store: Store,
    mutation: Option<Mutation>,
    executions: Arc<AtomicUsize>,
) -> impl Fn() + Sync + Send + 'static {
    let c = Arc::new(conformance());
    move || {
        executions.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
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
            loom::thread::spawn(move || {
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

/// What one loom run ended with: every execution up to the bound linearizable, or the
/// number of the first execution that was not.
#[derive(Debug, PartialEq, Eq)]
enum Search {
    Complete { executions: usize },
    Found { at_execution: usize },
}

fn search(store: Store, mutation: Option<Mutation>, preemptions: usize) -> Search {
    let count = Arc::new(AtomicUsize::new(0));
    let f = workload(store, mutation, Arc::clone(&count));
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(preemptions);
    let outcome = quiet_panics(|| catch_unwind(AssertUnwindSafe(|| builder.check(f))));
    let executions = count.load(std::sync::atomic::Ordering::Relaxed);
    match outcome {
        Ok(()) => Search::Complete { executions },
        Err(_) => Search::Found {
            at_execution: executions,
        },
    }
}

fn quiet_panics<T>(f: impl FnOnce() -> T) -> T {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let out = f();
    std::panic::set_hook(hook);
    out
}

/// The preemption bound of the completeness test: every interleaving with at most this many
/// preemptions is tried.
const BOUND: usize = 3;

/// Both correct stores are linearizable in every interleaving with at most `BOUND`
/// preemptions (loom's search is complete at each bound, so this is a proof for the bound,
/// not a sample); the executions and time of each bound are printed.
#[test]
fn the_correct_stores_are_linearizable_in_every_interleaving_up_to_the_bound() {
    for store in [Store::Atomic, Store::Sharded] {
        for bound in 1..=BOUND {
            let started = Instant::now();
            let result = search(store, None, bound);
            let secs = started.elapsed().as_secs_f64();
            let Search::Complete { executions } = result else {
                panic!("{store:?} store, bound {bound}: a correct store failed: {result:?}");
            };
            assert!(
                executions > 1,
                "{store:?}: loom explored one execution only"
            );
            println!(
                "{store:?} store, preemption bound {bound}: all {executions} executions linearizable in {secs:.2} s ({:.0} executions/s)",
                executions as f64 / secs
            );
        }
    }
}

/// Each concurrency mutation is found, and at the smallest bound that finds it; the number
/// of executions before the failing one is printed. The atomic store's check-then-decrement
/// needs one preemption (between the check and the decrement); the skipped rescan needs a
/// unit to move between shards inside one buyer's scan.
#[test]
fn every_concurrency_mutation_is_found_exhaustively() {
    let cases = [
        (Store::Atomic, Mutation::AtomicCheckThenDecrement),
        (Store::Sharded, Mutation::ShardRejectsWithoutStealing),
        (Store::Sharded, Mutation::ShardSkipsLockedRescan),
    ];
    for (store, mutation) in cases {
        let found = (0..=BOUND).find_map(|bound| {
            let started = Instant::now();
            match search(store, Some(mutation), bound) {
                Search::Found { at_execution } => {
                    Some((bound, at_execution, started.elapsed().as_secs_f64()))
                }
                Search::Complete { executions } => {
                    println!(
                        "{mutation:?} ({store:?} store): not at preemption bound {bound} ({executions} executions, all linearizable)"
                    );
                    None
                }
            }
        });
        let (bound, at, secs) =
            found.unwrap_or_else(|| panic!("{mutation:?} missed at every bound up to {BOUND}"));
        println!(
            "{mutation:?} ({store:?} store): found at preemption bound {bound}, execution {at}, in {secs:.2} s"
        );
    }
}
