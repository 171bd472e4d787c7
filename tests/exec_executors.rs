//! The executors: every task runs once, back-pressure, pinning, and per-worker shards.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::channel;
use std::sync::{Arc, Barrier, Mutex};

use flashcheck::exec::affinity::current_cpu;
use flashcheck::exec::inline::InlineExecutor;
use flashcheck::exec::pinned::PinnedExecutor;
use flashcheck::exec::pool::{available_workers, PoolExecutor};
use flashcheck::exec::topology::{CpuPlacement, Topology};
use flashcheck::exec::{ExecError, Executor, RejectReason, Rejected, WorkerContext};
use flashcheck::reference::inventory::{
    split_stock, InventoryOp, InventoryRet, InventoryService, ShardedStore, StockShard,
};

fn runs_every_task_once<E: Executor>(executor: E) {
    let count = Arc::new(AtomicUsize::new(0));
    for _ in 0..5_000 {
        let count = Arc::clone(&count);
        executor
            .submit(Box::new(move |_: &WorkerContext| {
                count.fetch_add(1, Ordering::Relaxed);
            }))
            .unwrap();
    }
    executor.join().unwrap();
    assert_eq!(count.load(Ordering::Relaxed), 5_000);
}

fn placements() -> Vec<CpuPlacement> {
    Topology::detect().unwrap().layout().placements
}

#[test]
fn inline_runs_in_order_on_the_caller() {
    let order = Arc::new(Mutex::new(Vec::new()));
    let executor = InlineExecutor::new();
    for index in 0..3 {
        let order = Arc::clone(&order);
        executor
            .submit(Box::new(move |context: &WorkerContext| {
                order.lock().unwrap().push((index, context.worker))
            }))
            .unwrap();
    }
    assert_eq!(*order.lock().unwrap(), [(0, 0), (1, 0), (2, 0)]);
    runs_every_task_once(InlineExecutor::new());
}

#[test]
fn pool_sizes_itself_like_the_seed_and_runs_everything() {
    let pool = PoolExecutor::with_seed_sizing().unwrap();
    assert_eq!(pool.workers(), available_workers().unwrap());
    runs_every_task_once(pool);
}

#[test]
fn pool_pushes_back_when_its_queue_is_full() {
    let pool = PoolExecutor::new(1, 2).unwrap();
    let gate = Arc::new(Barrier::new(2));
    let (started, has_started) = channel();
    let worker_gate = Arc::clone(&gate);
    pool.submit(Box::new(move |_: &WorkerContext| {
        started.send(()).unwrap();
        worker_gate.wait();
    }))
    .unwrap();
    has_started.recv().unwrap();
    pool.try_submit(Box::new(|_: &WorkerContext| {})).unwrap();
    pool.try_submit(Box::new(|_: &WorkerContext| {})).unwrap();
    assert!(
        matches!(
            pool.try_submit(Box::new(|_: &WorkerContext| {})),
            Err(Rejected {
                reason: RejectReason::Full,
                ..
            })
        ),
        "the third queued task finds the queue full"
    );
    gate.wait();
    pool.join().unwrap();
}

#[test]
fn panicking_tasks_are_counted_not_fatal() {
    let pool = PoolExecutor::new(2, 10).unwrap();
    pool.submit(Box::new(|_: &WorkerContext| {
        panic!("task failure (expected by this test)")
    }))
    .unwrap();
    runs_every_task_once(PoolExecutor::new(2, 10).unwrap());
    assert!(matches!(
        pool.join(),
        Err(ExecError::TasksPanicked { count: 1 })
    ));
    assert!(matches!(PoolExecutor::new(0, 10), Err(ExecError::NoCpus)));
    assert!(matches!(
        PoolExecutor::new(1, 0),
        Err(ExecError::ZeroCapacity)
    ));
}

#[test]
fn pinned_workers_run_on_their_cpus() {
    let placements = placements();
    let (executor, cpus_at_init) =
        PinnedExecutor::start(&placements, 100, |_| current_cpu().unwrap()).unwrap();
    let expected: Vec<usize> = placements.iter().map(|p| p.cpu).collect();
    assert_eq!(cpus_at_init, expected, "init ran on the pinned CPU");
    let seen = Arc::new(Mutex::new(BTreeSet::new()));
    for worker in 0..executor.workers() {
        let seen = Arc::clone(&seen);
        executor
            .submit_to(
                worker,
                Box::new(move |context: &WorkerContext| {
                    assert_eq!(Some(current_cpu().unwrap()), context.cpu);
                    seen.lock().unwrap().insert(context.worker);
                }),
            )
            .unwrap();
    }
    assert!(matches!(
        executor.submit_to(99, Box::new(|_: &WorkerContext| {})),
        Err(ExecError::NoSuchWorker { worker: 99, .. })
    ));
    assert!(matches!(
        executor.try_submit_to(99, Box::new(|_: &WorkerContext| {})),
        Err(Rejected {
            reason: RejectReason::NoSuchWorker { worker: 99, .. },
            ..
        })
    ));
    executor.join().unwrap();
    assert_eq!(seen.lock().unwrap().len(), placements.len());
    runs_every_task_once(PinnedExecutor::start(&placements, 1000, |_| ()).unwrap().0);
}

#[test]
fn pinning_to_a_forbidden_cpu_is_an_error_not_a_fallback() {
    // A CPU that is not online can never be pinned to (a merely disallowed one may be, since
    // a thread can widen its own mask unless a cpuset forbids it).
    let online = Topology::detect().unwrap().online_cpus;
    let forbidden = (0..1024).find(|cpu| !online.contains(cpu)).unwrap();
    let result = PinnedExecutor::start(
        &[CpuPlacement {
            worker: 0,
            cpu: forbidden,
            numa_node: None,
        }],
        10,
        |_| (),
    );
    assert!(matches!(result, Err(ExecError::Pin { cpu, .. }) if cpu == forbidden));
}

#[test]
fn pinned_workers_sell_from_their_own_shards() {
    let placements = placements();
    let stock = 1_000;
    let split = split_stock(stock, placements.len());
    let (executor, shards) = PinnedExecutor::start(&placements, 1000, move |context| {
        Box::new(StockShard::new(split[context.worker]))
    })
    .unwrap();
    let service = Arc::new(InventoryService::new(
        stock,
        ShardedStore::from_shards(shards).unwrap(),
    ));
    let sold = Arc::new(AtomicUsize::new(0));
    for batch in 0..30u64 {
        let service = Arc::clone(&service);
        let sold = Arc::clone(&sold);
        executor
            .submit(Box::new(move |context: &WorkerContext| {
                for index in 0..50 {
                    let user = batch * 50 + index;
                    if service.invoke_from(context.worker, InventoryOp::Reserve { user })
                        == Ok(InventoryRet::Reserved)
                    {
                        sold.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }))
            .unwrap();
    }
    executor.join().unwrap();
    assert_eq!(sold.load(Ordering::Relaxed), 1_000);
    let snapshot = service.observe();
    assert!(snapshot.conserves_stock());
    assert_eq!(snapshot.rejected.len(), 500);
}
