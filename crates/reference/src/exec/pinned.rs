//! One worker per CPU, pinned to it with `sched_setaffinity`, each with its own bounded
//! queue and its own per-worker state.
//!
//! Per-worker state (an inventory shard) is built by `init` *on the pinned worker thread*,
//! after pinning, and handed back to the caller. The allocation is therefore made and first
//! written by a thread running on the worker's CPU: under Linux's default first-touch policy
//! the page it lands on is placed on that CPU's NUMA node. With glibc each new thread also
//! gets its own malloc arena (fresh pages), so small shards of different workers do not
//! share a page. Nothing is placed with `mbind`; on a single-node machine (like this one)
//! placement is trivially local.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{channel, sync_channel, Receiver, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;

use super::affinity::pin_current_thread;
use super::topology::CpuPlacement;
use super::{run_guarded, ExecError, Executor, RejectReason, Rejected, Task, WorkerContext};

/// Pinned workers with per-worker queues.
#[derive(Debug)]
pub struct PinnedExecutor {
    senders: Vec<SyncSender<Task>>,
    handles: Vec<JoinHandle<()>>,
    next: AtomicUsize,
    panicked: Arc<AtomicUsize>,
}

impl PinnedExecutor {
    /// Starts one worker per placement, pins it, runs `init` on it and returns what each
    /// `init` built, in worker order. Fails — stopping the started workers — if any worker
    /// cannot be pinned: a pinned executor never silently runs unpinned.
    pub fn start<T, F>(
        placements: &[CpuPlacement],
        queue_capacity: usize,
        init: F,
    ) -> Result<(Self, Vec<T>), ExecError>
    where
        T: Send + 'static,
        F: Fn(&WorkerContext) -> T + Send + Sync + 'static,
    {
        if placements.is_empty() {
            return Err(ExecError::NoCpus);
        }
        if queue_capacity == 0 {
            return Err(ExecError::ZeroCapacity);
        }
        let init = Arc::new(init);
        let panicked = Arc::new(AtomicUsize::new(0));
        let (ready_sender, ready) = channel::<(usize, Result<T, ExecError>)>();
        let mut executor = PinnedExecutor {
            senders: Vec::new(),
            handles: Vec::new(),
            next: AtomicUsize::new(0),
            panicked,
        };
        for (worker, placement) in placements.iter().copied().enumerate() {
            let (sender, receiver) = sync_channel::<Task>(queue_capacity);
            let context = WorkerContext {
                worker,
                cpu: Some(placement.cpu),
                numa_node: placement.numa_node,
            };
            let init = Arc::clone(&init);
            let ready_sender = ready_sender.clone();
            let panicked = Arc::clone(&executor.panicked);
            let spawned = std::thread::Builder::new()
                .name(format!("pinned-{}", placement.cpu))
                .spawn(move || {
                    if let Err(source) = pin_current_thread(placement.cpu) {
                        let _ = ready_sender.send((
                            worker,
                            Err(ExecError::Pin {
                                worker,
                                cpu: placement.cpu,
                                source,
                            }),
                        ));
                        return;
                    }
                    let state = init(&context);
                    if ready_sender.send((worker, Ok(state))).is_err() {
                        return;
                    }
                    drain(&receiver, &panicked, &context);
                });
            match spawned {
                Ok(handle) => {
                    executor.senders.push(sender);
                    executor.handles.push(handle);
                }
                Err(source) => {
                    let _ = executor.join();
                    return Err(ExecError::Spawn { worker, source });
                }
            }
        }
        drop(ready_sender);
        let mut states: Vec<Option<T>> = (0..placements.len()).map(|_| None).collect();
        for _ in 0..placements.len() {
            match ready.recv() {
                Ok((worker, Ok(state))) => states[worker] = Some(state),
                Ok((_, Err(error))) => {
                    let _ = executor.join();
                    return Err(error);
                }
                Err(_) => {
                    let _ = executor.join();
                    return Err(ExecError::Stopped);
                }
            }
        }
        let states = states
            .into_iter()
            .collect::<Option<Vec<T>>>()
            .ok_or(ExecError::Stopped)?;
        Ok((executor, states))
    }

    /// Queues a task on one worker, waiting while its queue is full.
    pub fn submit_to(&self, worker: usize, task: Task) -> Result<(), ExecError> {
        let sender = self.sender(worker)?;
        sender.send(task).map_err(|_| ExecError::Stopped)
    }

    /// Queues a task on one worker only if its queue has room.
    pub fn try_submit_to(&self, worker: usize, task: Task) -> Result<(), Rejected> {
        match self.senders.get(worker) {
            Some(sender) => sender.try_send(task).map_err(Rejected::from_try_send),
            None => Err(Rejected {
                task,
                reason: RejectReason::NoSuchWorker {
                    worker,
                    workers: self.senders.len(),
                },
            }),
        }
    }

    fn sender(&self, worker: usize) -> Result<&SyncSender<Task>, ExecError> {
        self.senders.get(worker).ok_or(ExecError::NoSuchWorker {
            worker,
            workers: self.senders.len(),
        })
    }

    fn round_robin(&self) -> usize {
        self.next.fetch_add(1, Ordering::Relaxed) % self.senders.len()
    }
}

fn drain(receiver: &Receiver<Task>, panicked: &AtomicUsize, context: &WorkerContext) {
    while let Ok(task) = receiver.recv() {
        if !run_guarded(task, context) {
            panicked.fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl Executor for PinnedExecutor {
    fn workers(&self) -> usize {
        self.senders.len()
    }

    /// Round-robin over the workers.
    fn submit(&self, task: Task) -> Result<(), ExecError> {
        self.submit_to(self.round_robin(), task)
    }

    fn try_submit(&self, task: Task) -> Result<(), Rejected> {
        self.try_submit_to(self.round_robin(), task)
    }

    fn join(self) -> Result<(), ExecError> {
        drop(self.senders);
        let mut stopped = false;
        for handle in self.handles {
            stopped |= handle.join().is_err();
        }
        if stopped {
            return Err(ExecError::Stopped);
        }
        match self.panicked.load(Ordering::Relaxed) {
            0 => Ok(()),
            count => Err(ExecError::TasksPanicked { count }),
        }
    }
}
