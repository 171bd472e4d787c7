//! The inline executor: each task runs on the caller's thread, at once, in submission order.
//! Deterministic; the baseline for replay and for the benchmark.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::{run_guarded, ExecError, Executor, Rejected, Task, WorkerContext};

/// Runs tasks where they are submitted.
#[derive(Debug, Default)]
pub struct InlineExecutor {
    panicked: AtomicUsize,
}

impl InlineExecutor {
    pub fn new() -> Self {
        Self::default()
    }

    const CONTEXT: WorkerContext = WorkerContext {
        worker: 0,
        cpu: None,
        numa_node: None,
    };
}

impl Executor for InlineExecutor {
    fn workers(&self) -> usize {
        1
    }

    fn submit(&self, task: Task) -> Result<(), ExecError> {
        if !run_guarded(task, &Self::CONTEXT) {
            self.panicked.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }

    fn try_submit(&self, task: Task) -> Result<(), Rejected> {
        if !run_guarded(task, &Self::CONTEXT) {
            self.panicked.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }

    fn join(self) -> Result<(), ExecError> {
        match self.panicked.into_inner() {
            0 => Ok(()),
            count => Err(ExecError::TasksPanicked { count }),
        }
    }
}
