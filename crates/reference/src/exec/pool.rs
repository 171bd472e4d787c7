//! The seed's goroutine pool (§2.5) done with threads: `workers` threads (default: the
//! available parallelism, the seed's GOMAXPROCS = NumCPU) draining one bounded queue
//! (default 1000, the seed's `make(chan func(), 1000)`). A full queue pushes back: `submit`
//! waits for room, `try_submit` hands the task back as a [`Rejected`] with
//! [`RejectReason::Full`](super::RejectReason::Full).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use super::{run_guarded, ExecError, Executor, Rejected, Task, WorkerContext};

/// The seed's task-queue capacity.
pub const SEED_QUEUE_CAPACITY: usize = 1000;

/// A fixed pool of workers sharing one bounded queue.
#[derive(Debug)]
pub struct PoolExecutor {
    sender: SyncSender<Task>,
    handles: Vec<JoinHandle<()>>,
    panicked: Arc<AtomicUsize>,
}

/// The number of workers the seed asks for: one per available core.
pub fn available_workers() -> Result<usize, ExecError> {
    std::thread::available_parallelism()
        .map(usize::from)
        .map_err(|_| ExecError::NoCpus)
}

impl PoolExecutor {
    /// One worker per available core and the seed's queue of 1000.
    pub fn with_seed_sizing() -> Result<Self, ExecError> {
        Self::new(available_workers()?, SEED_QUEUE_CAPACITY)
    }

    pub fn new(workers: usize, queue_capacity: usize) -> Result<Self, ExecError> {
        if workers == 0 {
            return Err(ExecError::NoCpus);
        }
        if queue_capacity == 0 {
            return Err(ExecError::ZeroCapacity);
        }
        let (sender, receiver) = sync_channel::<Task>(queue_capacity);
        let receiver = Arc::new(Mutex::new(receiver));
        let panicked = Arc::new(AtomicUsize::new(0));
        let mut handles = Vec::with_capacity(workers);
        for worker in 0..workers {
            let receiver = Arc::clone(&receiver);
            let panicked = Arc::clone(&panicked);
            let handle = std::thread::Builder::new()
                .name(format!("pool-{worker}"))
                .spawn(move || {
                    drain(
                        &receiver,
                        &panicked,
                        WorkerContext {
                            worker,
                            cpu: None,
                            numa_node: None,
                        },
                    )
                })
                .map_err(|source| ExecError::Spawn { worker, source })?;
            handles.push(handle);
        }
        Ok(PoolExecutor {
            sender,
            handles,
            panicked,
        })
    }
}

fn drain(receiver: &Mutex<Receiver<Task>>, panicked: &AtomicUsize, context: WorkerContext) {
    loop {
        // The receiver is only held while taking one task, so poisoning cannot corrupt it.
        let next = receiver
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .recv();
        let Ok(task) = next else { return };
        if !run_guarded(task, &context) {
            panicked.fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl Executor for PoolExecutor {
    fn workers(&self) -> usize {
        self.handles.len()
    }

    fn submit(&self, task: Task) -> Result<(), ExecError> {
        self.sender.send(task).map_err(|_| ExecError::Stopped)
    }

    fn try_submit(&self, task: Task) -> Result<(), Rejected> {
        self.sender.try_send(task).map_err(Rejected::from_try_send)
    }

    fn join(self) -> Result<(), ExecError> {
        drop(self.sender);
        for handle in self.handles {
            handle.join().map_err(|_| ExecError::Stopped)?;
        }
        match self.panicked.load(Ordering::Relaxed) {
            0 => Ok(()),
            count => Err(ExecError::TasksPanicked { count }),
        }
    }
}
