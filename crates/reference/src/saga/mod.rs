//! The saga orchestrator of §2.1, corrected: it runs a [`SagaDefinition`] against caller-
//! supplied step handlers and records every decision in a durable log before acting on it.
//!
//! Guarantees (the seed's sketch breaks the first three):
//! - only committed steps are compensated — a step that failed is never compensated;
//! - compensation runs in reverse commit order, and no step starts after the first failure;
//! - a failed compensation is retried (compensations must be idempotent), up to
//!   `max_compensation_attempts` per session; a saga that runs out is *stuck*, not finished,
//!   and the pending compensation is retried by the next session;
//! - [`SagaOrchestrator::recover`] resumes from the log after a crash: it never re-runs a
//!   step whose commit is logged, and never loses a pending compensation.
//!
//! The commit point of a step is its `StepCommitted` record. A crash after a handler's
//! `execute` returned but before that record reached disk leaves the step *in doubt*;
//! recovery executes it again, so `execute` must be idempotent per (saga, step) — the usual
//! saga requirement, which the seed's "exactly once" reading silently assumes.

pub mod log;
pub mod progress;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::Mutation;
use flashcheck_specs::{SagaDefinition, SagaStep};
pub use log::{DurableLog, LogRecord, SagaOutcome};
pub use progress::{Progress, SagaPhase};

/// A step's forward action failed for good: the saga must compensate.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("step failed: {0}")]
pub struct StepFailure(pub String);

/// A compensation failed this time; it may succeed when retried.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("compensation failed: {0}")]
pub struct TransientFailure(pub String);

/// The services a saga calls. `index` is the step's position in the definition.
pub trait StepHandler: Send + Sync {
    fn execute(&self, index: usize, step: &SagaStep) -> Result<(), StepFailure>;
    /// Must be idempotent: it may be called again after a failure or a crash.
    fn compensate(&self, index: usize, step: &SagaStep) -> Result<(), TransientFailure>;
}

/// A shared handler, so a caller can keep observing it across a crash and recovery.
impl<T: StepHandler + ?Sized> StepHandler for std::sync::Arc<T> {
    fn execute(&self, index: usize, step: &SagaStep) -> Result<(), StepFailure> {
        (**self).execute(index, step)
    }

    fn compensate(&self, index: usize, step: &SagaStep) -> Result<(), TransientFailure> {
        (**self).compensate(index, step)
    }
}

/// What the orchestrator could not do.
#[derive(Debug, Error)]
pub enum SagaError {
    #[error("saga log {path}: {source}", path = .path.display())]
    LogIo {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("saga log {path}:{line}: corrupt record: {reason}", path = .path.display())]
    CorruptLog {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    #[error("saga log {path}: record {record} is inconsistent: {reason}", path = .path.display())]
    InconsistentLog {
        path: PathBuf,
        record: usize,
        reason: String,
    },
    #[error("saga log {path} belongs to saga `{found}` with {found_steps} steps, not `{expected}` with {expected_steps}", path = .path.display())]
    WrongSaga {
        path: PathBuf,
        found: String,
        found_steps: usize,
        expected: String,
        expected_steps: usize,
    },
}

/// One orchestrator operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SagaOp {
    /// Take exactly one action: run a step, run a compensation, or finish.
    Advance,
    /// Advance until the saga finishes or is stuck.
    RunToEnd,
}

/// What an operation did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SagaRet {
    StepCommitted {
        step: usize,
    },
    StepFailed {
        step: usize,
    },
    Compensated {
        step: usize,
    },
    CompensationFailed {
        step: usize,
        attempt: u32,
    },
    /// This session has used up its attempts on `step`; recover later to retry.
    CompensationStuck {
        step: usize,
    },
    Finished(SagaOutcome),
    /// Nothing to do: the saga had already finished.
    AlreadyFinished(SagaOutcome),
}

/// How hard to try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Compensation attempts per step per session; at least 1.
    pub max_compensation_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_compensation_attempts: 5,
        }
    }
}

/// The observable state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SagaSnapshot {
    pub saga: String,
    pub progress: Progress,
    pub log_records: usize,
}

#[derive(Debug)]
struct Running {
    log: DurableLog,
    progress: Progress,
    log_records: usize,
    session_attempts: BTreeMap<usize, u32>,
}

/// A saga in progress, backed by its log file.
#[derive(Debug)]
pub struct SagaOrchestrator<H: StepHandler> {
    definition: SagaDefinition,
    handler: H,
    policy: RetryPolicy,
    running: Mutex<Running>,
    mutation: Option<Mutation>,
}

impl<H: StepHandler> SagaOrchestrator<H> {
    /// Starts a new saga with a fresh log at `log_path`.
    pub fn start(
        definition: SagaDefinition,
        handler: H,
        log_path: &Path,
        policy: RetryPolicy,
    ) -> Result<Self, SagaError> {
        Self::start_with_mutation(definition, handler, log_path, policy, None)
    }

    /// TEST-ONLY: see [`Mutation`].
    #[doc(hidden)]
    pub fn start_with_mutation(
        definition: SagaDefinition,
        handler: H,
        log_path: &Path,
        policy: RetryPolicy,
        mutation: Option<Mutation>,
    ) -> Result<Self, SagaError> {
        let mut log = DurableLog::create(log_path)?;
        log.append(&LogRecord::Begin {
            saga: definition.name.clone(),
            steps: definition.steps.len(),
        })?;
        let running = Running {
            log,
            progress: Progress::new(definition.steps.len()),
            log_records: 1,
            session_attempts: BTreeMap::new(),
        };
        Ok(SagaOrchestrator {
            definition,
            handler,
            policy,
            running: Mutex::new(running),
            mutation,
        })
    }

    /// Resumes the saga whose log is at `log_path` after a crash.
    pub fn recover(
        definition: SagaDefinition,
        handler: H,
        log_path: &Path,
        policy: RetryPolicy,
    ) -> Result<Self, SagaError> {
        Self::recover_with_mutation(definition, handler, log_path, policy, None)
    }

    /// TEST-ONLY: see [`Mutation`].
    #[doc(hidden)]
    pub fn recover_with_mutation(
        definition: SagaDefinition,
        handler: H,
        log_path: &Path,
        policy: RetryPolicy,
        mutation: Option<Mutation>,
    ) -> Result<Self, SagaError> {
        let (mut log, mut records) = DurableLog::open(log_path)?;
        if records.is_empty() {
            // A crash inside `start` between creating the log and its begin record (or a begin
            // record torn by the crash, which `open` cut off): the saga never began, so it
            // begins now, in the same log.
            let begin = LogRecord::Begin {
                saga: definition.name.clone(),
                steps: definition.steps.len(),
            };
            log.append(&begin)?;
            records.push(begin);
        }
        let inconsistent = |record: usize, reason: String| SagaError::InconsistentLog {
            path: log_path.to_path_buf(),
            record,
            reason,
        };
        match records.first() {
            Some(LogRecord::Begin { saga, steps })
                if *saga == definition.name && *steps == definition.steps.len() => {}
            Some(LogRecord::Begin { saga, steps }) => {
                return Err(SagaError::WrongSaga {
                    path: log_path.to_path_buf(),
                    found: saga.clone(),
                    found_steps: *steps,
                    expected: definition.name.clone(),
                    expected_steps: definition.steps.len(),
                })
            }
            _ => {
                return Err(inconsistent(
                    1,
                    "the log does not start with a begin record".into(),
                ))
            }
        }
        let mut progress = Progress::new(definition.steps.len());
        for (index, record) in records.iter().enumerate().skip(1) {
            progress
                .apply(record, mutation)
                .map_err(|reason| inconsistent(index + 1, reason))?;
        }
        if mutation == Some(Mutation::RecoveryRerunsCommittedStep) {
            if let SagaPhase::Forward { next_step } = progress.phase {
                progress.phase = SagaPhase::Forward {
                    next_step: next_step.saturating_sub(1),
                };
            }
        }
        let running = Running {
            log,
            progress,
            log_records: records.len(),
            session_attempts: BTreeMap::new(),
        };
        Ok(SagaOrchestrator {
            definition,
            handler,
            policy,
            running: Mutex::new(running),
            mutation,
        })
    }

    pub fn definition(&self) -> &SagaDefinition {
        &self.definition
    }

    pub fn handler(&self) -> &H {
        &self.handler
    }

    pub fn invoke(&self, op: SagaOp) -> Result<SagaRet, SagaError> {
        let mut running = self.lock();
        match op {
            SagaOp::Advance => self.advance(&mut running),
            SagaOp::RunToEnd => loop {
                let ret = self.advance(&mut running)?;
                if matches!(
                    ret,
                    SagaRet::Finished(_)
                        | SagaRet::AlreadyFinished(_)
                        | SagaRet::CompensationStuck { .. }
                ) {
                    return Ok(ret);
                }
            },
        }
    }

    pub fn observe(&self) -> SagaSnapshot {
        let running = self.lock();
        SagaSnapshot {
            saga: self.definition.name.clone(),
            progress: running.progress.clone(),
            log_records: running.log_records,
        }
    }

    /// Progress is only changed after a successful append, so a poisoned lock still guards
    /// a state that matches the log.
    fn lock(&self) -> MutexGuard<'_, Running> {
        self.running.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn record(&self, running: &mut Running, record: LogRecord) -> Result<(), SagaError> {
        running.log.append(&record)?;
        running.log_records += 1;
        let position = running.log_records;
        running
            .progress
            .apply(&record, self.mutation)
            .map_err(|reason| SagaError::InconsistentLog {
                path: running.log.path().to_path_buf(),
                record: position,
                reason,
            })
    }

    fn advance(&self, running: &mut Running) -> Result<SagaRet, SagaError> {
        match running.progress.phase.clone() {
            SagaPhase::Finished(outcome)
                if self.mutation == Some(Mutation::SagaRefinishesFinishedSaga) =>
            {
                self.record(running, LogRecord::Finished { outcome })?;
                Ok(SagaRet::Finished(outcome))
            }
            SagaPhase::Finished(outcome) => Ok(SagaRet::AlreadyFinished(outcome)),
            SagaPhase::Forward { next_step } if next_step == self.definition.steps.len() => {
                self.record(
                    running,
                    LogRecord::Finished {
                        outcome: SagaOutcome::Completed,
                    },
                )?;
                Ok(SagaRet::Finished(SagaOutcome::Completed))
            }
            SagaPhase::Forward { next_step } => match self
                .handler
                .execute(next_step, &self.definition.steps[next_step])
            {
                Ok(()) => {
                    self.record(running, LogRecord::StepCommitted { step: next_step })?;
                    Ok(SagaRet::StepCommitted { step: next_step })
                }
                Err(_) => {
                    self.record(running, LogRecord::StepFailed { step: next_step })?;
                    Ok(SagaRet::StepFailed { step: next_step })
                }
            },
            SagaPhase::Compensating => {
                let Some(step) = running.progress.next_compensation() else {
                    self.record(
                        running,
                        LogRecord::Finished {
                            outcome: SagaOutcome::Compensated,
                        },
                    )?;
                    return Ok(SagaRet::Finished(SagaOutcome::Compensated));
                };
                let tried = running.session_attempts.get(&step).copied().unwrap_or(0);
                if tried >= self.policy.max_compensation_attempts.max(1) {
                    return Ok(SagaRet::CompensationStuck { step });
                }
                running.session_attempts.insert(step, tried + 1);
                match self.handler.compensate(step, &self.definition.steps[step]) {
                    Ok(()) => {
                        self.record(running, LogRecord::Compensated { step })?;
                        Ok(SagaRet::Compensated { step })
                    }
                    Err(_) => {
                        let attempt =
                            if self.mutation == Some(Mutation::SagaCountsAttemptsPerSession) {
                                tried + 1
                            } else {
                                running
                                    .progress
                                    .compensation_failures
                                    .get(&step)
                                    .copied()
                                    .unwrap_or(0)
                                    + 1
                            };
                        self.record(running, LogRecord::CompensationFailed { step, attempt })?;
                        if self.mutation == Some(Mutation::SagaNeverRetriesCompensation) {
                            self.record(
                                running,
                                LogRecord::Finished {
                                    outcome: SagaOutcome::Compensated,
                                },
                            )?;
                        }
                        Ok(SagaRet::CompensationFailed { step, attempt })
                    }
                }
            }
        }
    }
}
