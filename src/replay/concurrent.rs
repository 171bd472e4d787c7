//! Concurrent replay: clients' operations run on the pool or pinned executor, each client's
//! operations in order on one task, and every invocation and response is stamped from one
//! atomic logical clock. The call stamp is taken before the operation starts and the return
//! stamp after it ends, so each recorded interval contains the real one: the recorded
//! history can only allow more linearizations than the real one, never flag a correct run.

use super::linearizability::Operation;
use super::{Conformance, ExecutorChoice};
use crate::exec::pinned::PinnedExecutor;
use crate::exec::pool::PoolExecutor;
use crate::exec::topology::Topology;
use crate::exec::{ExecError, Executor, Task, WorkerContext};
use crate::reference::Mutation;
use crate::trace::SplitMix64;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// A client and, for a fixed plan, its operations.
type ClientOps<Op> = (u64, Option<Vec<Op>>);

/// What the clients do.
#[derive(Debug, Clone)]
pub enum Plan<Op> {
    /// Fixed per-client operation lists (from a trace), each run in order.
    Fixed(Vec<(u64, Vec<Op>)>),
    /// `clients` clients following [`Conformance::workload_step`], coins from `seed`.
    Workload {
        /// Number of clients (users).
        clients: u64,
        /// Seed of the coins.
        seed: u64,
    },
}

/// Why a concurrent run could not be made.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The executor failed.
    #[error("executor: {0}")]
    Exec(#[from] ExecError),
    /// The machine could not be read for the pinned layout.
    #[error("topology: {0}")]
    Topology(String),
    /// The recorded history is not a well-formed history (a driver bug).
    #[error("recorded history refused: {0}")]
    History(#[from] super::linearizability::HistoryError),
    /// `inline` is not a concurrent executor.
    #[error("inline is not a concurrent executor")]
    Inline,
}

/// A recorded run.
#[derive(Debug)]
pub struct Recorded<C: Conformance> {
    /// The history, in no particular order.
    pub history: Vec<Operation<C::Op, C::Ret>>,
    /// Workers that ran it.
    pub workers: usize,
    /// Wall time of the run.
    pub elapsed: Duration,
    /// The implementation's abstract state at the end.
    pub final_state: C::Abstract,
}

/// Runs `plan` on `executor` against a fresh implementation and records the history.
/// `progress(done, total)` is called from the submitting thread as clients are queued.
pub fn run<C>(
    c: Arc<C>,
    executor: ExecutorChoice,
    plan: Plan<C::Op>,
    mutation: Option<Mutation>,
    progress: &dyn Fn(usize, usize),
) -> Result<Recorded<C>, RunError>
where
    C: Conformance + Send + 'static,
{
    let (clients, coin_seed): (Vec<ClientOps<C::Op>>, u64) = match plan {
        Plan::Fixed(lists) => (
            lists.into_iter().map(|(k, ops)| (k, Some(ops))).collect(),
            0,
        ),
        Plan::Workload { clients, seed } => ((1..=clients).map(|k| (k, None)).collect(), seed),
    };
    let total = clients.len();
    let clock = Arc::new(AtomicU64::new(0));
    let history = Arc::new(Mutex::new(Vec::new()));
    let done = Arc::new(AtomicUsize::new(0));
    let make_task =
        |imp: Arc<C::Impl>, client: u64, ops: Option<Vec<C::Op>>, coin_seed: u64| -> Task {
            let c = Arc::clone(&c);
            let clock = Arc::clone(&clock);
            let history = Arc::clone(&history);
            let done = Arc::clone(&done);
            Box::new(move |ctx: &WorkerContext| {
                let mut local = Vec::new();
                let mut record = |op: C::Op| -> C::Ret {
                    let call = clock.fetch_add(1, Ordering::SeqCst);
                    let ret = c.invoke(&imp, ctx.worker, &op);
                    let returned = clock.fetch_add(1, Ordering::SeqCst);
                    local.push(Operation {
                        client,
                        op,
                        ret: ret.clone(),
                        call,
                        returned,
                    });
                    ret
                };
                match ops {
                    Some(ops) => {
                        for op in ops {
                            record(op);
                        }
                    }
                    None => {
                        let mut rng = SplitMix64::new(coin_seed ^ client.wrapping_mul(0x9E37_79B9));
                        let mut previous: Option<(C::Op, C::Ret)> = None;
                        while let Some(op) = c.workload_step(
                            client,
                            previous.as_ref().map(|(o, r)| (o, r)),
                            rng.next_u64(),
                        ) {
                            let ret = record(op.clone());
                            previous = Some((op, ret));
                        }
                    }
                }
                history
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .extend(local);
                done.fetch_add(1, Ordering::Relaxed);
            })
        };
    let started = Instant::now();
    let step = (total / 20).max(1);
    let (imp, workers) = match executor {
        ExecutorChoice::Inline => return Err(RunError::Inline),
        ExecutorChoice::Pool => {
            let pool = PoolExecutor::with_seed_sizing()?;
            let workers = pool.workers();
            let imp = Arc::new(c.build(executor, workers, mutation));
            for (i, (client, ops)) in clients.into_iter().enumerate() {
                pool.submit(make_task(Arc::clone(&imp), client, ops, coin_seed))?;
                if i % step == 0 {
                    progress(i, total);
                }
            }
            pool.join()?;
            (imp, workers)
        }
        ExecutorChoice::Pinned => {
            let topology = Topology::detect().map_err(|e| RunError::Topology(e.to_string()))?;
            let placements = topology.layout().placements;
            let (pinned, _) = PinnedExecutor::start(&placements, 1000, |_| ())?;
            let workers = pinned.workers();
            let imp = Arc::new(c.build(executor, workers, mutation));
            for (i, (client, ops)) in clients.into_iter().enumerate() {
                pinned.submit_to(
                    client as usize % workers,
                    make_task(Arc::clone(&imp), client, ops, coin_seed),
                )?;
                if i % step == 0 {
                    progress(i, total);
                }
            }
            pinned.join()?;
            (imp, workers)
        }
    };
    progress(total, total);
    let elapsed = started.elapsed();
    let final_state = c.observe(&imp);
    let history = std::mem::take(&mut *history.lock().unwrap_or_else(PoisonError::into_inner));
    Ok(Recorded {
        history,
        workers,
        elapsed,
        final_state,
    })
}

/// A stretch of a model path between two quiescent points: each client's operations, run
/// concurrently (each client's in order), and the observable state the model has when all of
/// them are done, when that state is determined (one client: its operations are sequential).
#[derive(Debug, Clone)]
pub struct Segment<Op, A> {
    /// Each client's operations.
    pub clients: Vec<(u64, Vec<Op>)>,
    /// Actions of the path done when the segment ends (its step number).
    pub step: usize,
    /// The model's observable state then; `None` when several clients run in the segment
    /// and their interleaving decides it (the history's linearizability still checks them).
    pub expected: Option<A>,
}

/// The observable state at a quiescent point differs from the model's.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct QuiescentMismatch {
    /// Actions of the path done at that point.
    pub step: usize,
    /// The model's side.
    pub expected: serde_json::Value,
    /// The implementation's side.
    pub actual: serde_json::Value,
}

/// An ordered run: the history of every segment and the first quiescent mismatch.
#[derive(Debug)]
pub struct OrderedRun<C: Conformance> {
    /// The history (call and return stamps from one clock across the segments).
    pub history: Vec<Operation<C::Op, C::Ret>>,
    /// Quiescent points whose state was compared.
    pub compared: usize,
    /// Quiescent points not compared (several clients in the segment).
    pub not_compared: usize,
    /// The first state that differs; the run stops there.
    pub mismatch: Option<QuiescentMismatch>,
}

/// The executor of an ordered run, kept across its segments.
enum Workers {
    Pool(PoolExecutor),
    Pinned(PinnedExecutor),
}

impl Workers {
    fn count(&self) -> usize {
        match self {
            Workers::Pool(p) => p.workers(),
            Workers::Pinned(p) => p.workers(),
        }
    }

    fn submit(&self, client: u64, task: Task) -> Result<(), ExecError> {
        match self {
            Workers::Pool(p) => p.submit(task),
            Workers::Pinned(p) => p.submit_to(client as usize % p.workers(), task),
        }
    }

    fn join(self) -> Result<(), ExecError> {
        match self {
            Workers::Pool(p) => p.join(),
            Workers::Pinned(p) => p.join(),
        }
    }
}

/// Sends on drop, so a waiting segment learns that a task ended even if it panicked.
struct Finished(std::sync::mpsc::Sender<()>);

impl Drop for Finished {
    fn drop(&mut self) {
        // The receiver outlives every task of the segment; a send cannot fail before it.
        let _ = self.0.send(());
    }
}

/// Runs `segments` one after another on one `executor` (clock ticks keep their order
/// relative to the calls around them: a tick is its own segment), waits for every task of a
/// segment before the next starts (a barrier), and compares the observable state with the
/// model's at each such quiescent point.
pub fn run_ordered<C>(
    c: Arc<C>,
    executor: ExecutorChoice,
    segments: Vec<Segment<C::Op, C::Abstract>>,
    mutation: Option<Mutation>,
) -> Result<OrderedRun<C>, RunError>
where
    C: Conformance + Send + 'static,
{
    let workers = match executor {
        ExecutorChoice::Inline => return Err(RunError::Inline),
        ExecutorChoice::Pool => Workers::Pool(PoolExecutor::with_seed_sizing()?),
        ExecutorChoice::Pinned => {
            let topology = Topology::detect().map_err(|e| RunError::Topology(e.to_string()))?;
            let placements = topology.layout().placements;
            Workers::Pinned(PinnedExecutor::start(&placements, 1000, |_| ())?.0)
        }
    };
    let imp = Arc::new(c.build(executor, workers.count(), mutation));
    let clock = Arc::new(AtomicU64::new(0));
    let history = Arc::new(Mutex::new(Vec::new()));
    let mut run = OrderedRun {
        history: Vec::new(),
        compared: 0,
        not_compared: 0,
        mismatch: None,
    };
    for segment in segments {
        let (sender, finished) = std::sync::mpsc::channel();
        let tasks = segment.clients.len();
        for (client, ops) in segment.clients {
            let (c, imp, clock, history) = (
                Arc::clone(&c),
                Arc::clone(&imp),
                Arc::clone(&clock),
                Arc::clone(&history),
            );
            let guard = Finished(sender.clone());
            workers.submit(
                client,
                Box::new(move |ctx: &WorkerContext| {
                    let _guard = guard;
                    let mut local = Vec::with_capacity(ops.len());
                    for op in ops {
                        let call = clock.fetch_add(1, Ordering::SeqCst);
                        let ret = c.invoke(&imp, ctx.worker, &op);
                        let returned = clock.fetch_add(1, Ordering::SeqCst);
                        local.push(Operation {
                            client,
                            op,
                            ret,
                            call,
                            returned,
                        });
                    }
                    history
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .extend(local);
                }),
            )?;
        }
        drop(sender);
        for _ in 0..tasks {
            if finished.recv().is_err() {
                break;
            }
        }
        let Some(expected) = segment.expected else {
            run.not_compared += 1;
            continue;
        };
        run.compared += 1;
        let actual = c.observe(&imp);
        if actual != expected {
            let json = |v: &C::Abstract| serde_json::to_value(v).unwrap_or_default();
            run.mismatch = Some(QuiescentMismatch {
                step: segment.step,
                expected: json(&expected),
                actual: json(&actual),
            });
            break;
        }
    }
    workers.join()?;
    run.history = std::mem::take(&mut *history.lock().unwrap_or_else(PoisonError::into_inner));
    Ok(run)
}
