//! Executors that run inventory work, and the hardware facts that choose between them.
//!
//! - [`inline`]: every task on the caller's thread — deterministic, for replay.
//! - [`pool`]: the seed's goroutine pool (§2.5): one worker per available core, one bounded
//!   queue of 1000 tasks with back-pressure (blocking `submit` or `try_submit` → `Full`).
//! - [`pinned`]: one worker pinned to each allowed CPU with its own queue, and per-worker
//!   state (inventory shards) allocated on that worker so it lands on its NUMA node (§2.6).
//! - [`topology`]: CPUs, NUMA nodes, caches, huge pages and SIMD features read from sysfs,
//!   procfs and CPUID, and the executor layout that follows; [`hw`] prints it.
//!
//! Never imports the model crate.

pub mod affinity;
pub mod hw;
pub mod inline;
pub mod pinned;
pub mod pool;
pub mod sysfs;
pub mod topology;

use thiserror::Error;

/// Where a task runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkerContext {
    /// The worker's index, `0..workers`; also its home inventory shard.
    pub worker: usize,
    /// The CPU the worker is pinned to, if it is pinned.
    pub cpu: Option<usize>,
    /// That CPU's NUMA node, when known.
    pub numa_node: Option<usize>,
}

/// A unit of work.
pub type Task = Box<dyn FnOnce(&WorkerContext) + Send + 'static>;

/// Why `try_submit` did not queue a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum RejectReason {
    #[error("the task queue is full")]
    Full,
    #[error("the executor's workers have stopped")]
    Stopped,
    #[error("worker {worker} does not exist (the executor has {workers})")]
    NoSuchWorker { worker: usize, workers: usize },
}

/// A task `try_submit` did not queue, handed back with the reason.
pub struct Rejected {
    pub task: Task,
    pub reason: RejectReason,
}

impl std::fmt::Debug for Rejected {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Rejected")
            .field("reason", &self.reason)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Display for Rejected {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.reason.fmt(formatter)
    }
}

impl std::error::Error for Rejected {}

impl Rejected {
    /// Maps a bounded channel's refusal onto a rejection.
    pub(crate) fn from_try_send(error: std::sync::mpsc::TrySendError<Task>) -> Self {
        match error {
            std::sync::mpsc::TrySendError::Full(task) => Rejected {
                task,
                reason: RejectReason::Full,
            },
            std::sync::mpsc::TrySendError::Disconnected(task) => Rejected {
                task,
                reason: RejectReason::Stopped,
            },
        }
    }
}

/// What can go wrong running an executor.
#[derive(Debug, Error)]
pub enum ExecError {
    #[error("the executor has no CPUs to run on")]
    NoCpus,
    #[error("queue capacity must be at least 1")]
    ZeroCapacity,
    #[error("cannot spawn worker {worker}: {source}")]
    Spawn {
        worker: usize,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot pin worker {worker} to CPU {cpu}: {source}")]
    Pin {
        worker: usize,
        cpu: usize,
        #[source]
        source: std::io::Error,
    },
    #[error("worker {worker} does not exist (the executor has {workers})")]
    NoSuchWorker { worker: usize, workers: usize },
    #[error("the executor's workers have stopped")]
    Stopped,
    #[error("{count} task(s) panicked")]
    TasksPanicked { count: usize },
}

/// Something that runs tasks.
pub trait Executor: Send + Sync {
    /// Number of workers (1 for inline).
    fn workers(&self) -> usize;
    /// Queues a task, waiting while the queue is full.
    fn submit(&self, task: Task) -> Result<(), ExecError>;
    /// Queues a task only if there is room now; otherwise hands it back with the reason.
    fn try_submit(&self, task: Task) -> Result<(), Rejected>;
    /// Runs the remaining queued tasks, stops the workers and reports panicked tasks.
    fn join(self) -> Result<(), ExecError>
    where
        Self: Sized;
}

/// Runs a task, converting a panic into a count instead of killing the worker.
pub(crate) fn run_guarded(task: Task, context: &WorkerContext) -> bool {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| task(context))).is_ok()
}
