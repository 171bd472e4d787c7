//! Inventory reservations per second for each stock store under each executor, against a
//! `Mutex<u64>` baseline measured in the same run.
//!
//! Run: `CARGO_TARGET_DIR=/work/target-ref cargo bench --bench stores`
//! (`-- --quick` for a smoke run). Every cell takes `RESERVATIONS` units from a store that
//! holds enough for all of them, in tasks of `BATCH` reservations; the time runs from the
//! first submit to the executor's join. Each cell reports the median of `RUNS` runs after a
//! warm-up run. The whole bench stays well under 30 s.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use flashcheck::exec::inline::InlineExecutor;
use flashcheck::exec::pinned::PinnedExecutor;
use flashcheck::exec::pool::PoolExecutor;
use flashcheck::exec::topology::Topology;
use flashcheck::exec::{Executor, WorkerContext};
use flashcheck::reference::inventory::{
    split_stock, AtomicStore, ShardedStore, StockShard, StockStore, TakeOutcome,
};

const BATCH: u64 = 10_000;
const RUNS: usize = 5;

/// The baseline: one counter behind a mutex.
#[derive(Debug)]
struct MutexStore(Mutex<u64>);

impl StockStore for MutexStore {
    fn try_take(&self, _home: usize) -> TakeOutcome {
        let mut units = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if *units == 0 {
            return TakeOutcome::SoldOut;
        }
        *units -= 1;
        TakeOutcome::Taken
    }

    fn put_back(&self, _home: usize) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) += 1;
    }

    fn available(&self) -> i64 {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) as i64
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StoreKind {
    Mutex,
    Atomic,
    Sharded,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ExecKind {
    Inline,
    Pool,
    Pinned,
}

fn stock_for(reservations: u64) -> u32 {
    u32::try_from(reservations).expect("reservations fit in u32")
}

/// Submits the reservation tasks and returns how many units were taken.
fn drive<E: Executor>(
    executor: &E,
    store: &Arc<dyn StockStore>,
    reservations: u64,
    taken: &Arc<AtomicU64>,
) {
    for _ in 0..reservations / BATCH {
        let store = Arc::clone(store);
        let taken = Arc::clone(taken);
        executor
            .submit(Box::new(move |context: &WorkerContext| {
                let mut count = 0;
                for _ in 0..BATCH {
                    if black_box(store.try_take(context.worker)) == TakeOutcome::Taken {
                        count += 1;
                    }
                }
                taken.fetch_add(count, Ordering::Relaxed);
            }))
            .expect("submit");
    }
}

fn one_run(
    store_kind: StoreKind,
    exec_kind: ExecKind,
    threads: usize,
    reservations: u64,
) -> Duration {
    let stock = stock_for(reservations);
    let taken = Arc::new(AtomicU64::new(0));
    let make_store = |shards: Option<Vec<Box<StockShard>>>| -> Arc<dyn StockStore> {
        match store_kind {
            StoreKind::Mutex => Arc::new(MutexStore(Mutex::new(u64::from(stock)))),
            StoreKind::Atomic => Arc::new(AtomicStore::new(stock)),
            StoreKind::Sharded => match shards {
                Some(shards) => {
                    Arc::new(ShardedStore::from_shards(shards).expect("one shard per worker"))
                }
                None => Arc::new(ShardedStore::new(stock, threads).expect("threads >= 1")),
            },
        }
    };
    let elapsed = match exec_kind {
        ExecKind::Inline => {
            let store = make_store(None);
            let executor = InlineExecutor::new();
            let start = Instant::now();
            drive(&executor, &store, reservations, &taken);
            executor.join().expect("inline join");
            start.elapsed()
        }
        ExecKind::Pool => {
            let store = make_store(None);
            let executor = PoolExecutor::new(threads, 1000).expect("pool");
            let start = Instant::now();
            drive(&executor, &store, reservations, &taken);
            executor.join().expect("pool join");
            start.elapsed()
        }
        ExecKind::Pinned => {
            let placements: Vec<_> = Topology::detect()
                .expect("topology")
                .layout()
                .placements
                .into_iter()
                .take(threads)
                .collect();
            assert_eq!(
                placements.len(),
                threads,
                "not enough CPUs to pin {threads} workers"
            );
            let split = split_stock(stock, threads);
            let (executor, shards) = PinnedExecutor::start(&placements, 1000, move |context| {
                Box::new(StockShard::new(split[context.worker]))
            })
            .expect("pinned");
            let store = make_store(Some(shards));
            let start = Instant::now();
            drive(&executor, &store, reservations, &taken);
            executor.join().expect("pinned join");
            start.elapsed()
        }
    };
    assert_eq!(
        taken.load(Ordering::Relaxed),
        reservations,
        "every reservation must succeed"
    );
    elapsed
}

fn median_rate(store: StoreKind, exec: ExecKind, threads: usize, reservations: u64) -> f64 {
    one_run(store, exec, threads, reservations);
    let mut rates: Vec<f64> = (0..RUNS)
        .map(|_| reservations as f64 / one_run(store, exec, threads, reservations).as_secs_f64())
        .collect();
    rates.sort_by(f64::total_cmp);
    rates[RUNS / 2]
}

fn main() {
    let quick = std::env::args().any(|arg| arg == "--quick");
    let reservations: u64 = if quick { 200_000 } else { 10_000_000 };
    let cores = Topology::detect().expect("topology").allowed_cpus.len();
    let configs: Vec<(ExecKind, usize)> = [
        (ExecKind::Inline, 1),
        (ExecKind::Pool, 1),
        (ExecKind::Pool, 2),
        (ExecKind::Pinned, 1),
        (ExecKind::Pinned, 2),
    ]
    .into_iter()
    .filter(|(_, threads)| *threads <= cores)
    .collect();
    let started = Instant::now();
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "load average at start: {}",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!("{reservations} reservations per cell in tasks of {BATCH}; median of {RUNS} runs after a warm-up; {cores} usable CPUs");
    println!();
    println!("| executor | threads | Mutex<u64> (M res/s) | atomic (M res/s) | sharded (M res/s) | atomic / mutex | sharded / mutex |");
    println!("|---|---|---|---|---|---|---|");
    for (exec, threads) in configs {
        let mutex = median_rate(StoreKind::Mutex, exec, threads, reservations);
        let atomic = median_rate(StoreKind::Atomic, exec, threads, reservations);
        let sharded = median_rate(StoreKind::Sharded, exec, threads, reservations);
        println!(
            "| {exec:?} | {threads} | {:.1} | {:.1} | {:.1} | {:.2} | {:.2} |",
            mutex / 1e6,
            atomic / 1e6,
            sharded / 1e6,
            atomic / mutex,
            sharded / mutex
        );
    }
    println!();
    println!("total bench time {:.1} s", started.elapsed().as_secs_f64());
}
