//! What a saga's log says has happened, folded record by record, with every record checked
//! against the saga's rules so an inconsistent log is rejected rather than trusted.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::log::{LogRecord, SagaOutcome};
use crate::Mutation;

/// Where the saga stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SagaPhase {
    /// Executing forward; `next_step` runs next (or the saga completes if none is left).
    Forward {
        next_step: usize,
    },
    /// A step failed; committed steps are being compensated, latest first.
    Compensating,
    Finished(SagaOutcome),
}

/// The state folded from the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    pub step_count: usize,
    pub phase: SagaPhase,
    /// Steps in commit order.
    pub committed: Vec<usize>,
    pub failed_step: Option<usize>,
    /// Steps in compensation order.
    pub compensated: Vec<usize>,
    /// Failed compensation attempts per step, over the saga's whole life.
    pub compensation_failures: BTreeMap<usize, u32>,
}

impl Progress {
    pub fn new(step_count: usize) -> Self {
        Progress {
            step_count,
            phase: SagaPhase::Forward { next_step: 0 },
            committed: Vec::new(),
            failed_step: None,
            compensated: Vec::new(),
            compensation_failures: BTreeMap::new(),
        }
    }

    /// The next step to compensate: the latest committed step not yet compensated.
    pub fn next_compensation(&self) -> Option<usize> {
        self.committed
            .iter()
            .rev()
            .copied()
            .find(|step| !self.compensated.contains(step))
    }

    /// Applies one record, or says why it cannot follow the records before it.
    pub fn apply(&mut self, record: &LogRecord, mutation: Option<Mutation>) -> Result<(), String> {
        match (record, &self.phase) {
            (LogRecord::Begin { .. }, _) => Err("a second begin record".into()),
            (LogRecord::StepCommitted { step }, SagaPhase::Forward { next_step })
                if step == next_step =>
            {
                self.committed.push(*step);
                self.phase = SagaPhase::Forward {
                    next_step: step + 1,
                };
                Ok(())
            }
            (LogRecord::StepFailed { step }, SagaPhase::Forward { next_step })
                if step == next_step =>
            {
                self.failed_step = Some(*step);
                if mutation == Some(Mutation::SagaCompensatesFailedStep) {
                    self.committed.push(*step);
                }
                self.phase = SagaPhase::Compensating;
                Ok(())
            }
            (LogRecord::Compensated { step }, SagaPhase::Compensating)
                if self.next_compensation() == Some(*step) =>
            {
                self.compensated.push(*step);
                Ok(())
            }
            (LogRecord::CompensationFailed { step, attempt }, SagaPhase::Compensating)
                if self.next_compensation() == Some(*step) =>
            {
                self.compensation_failures.insert(*step, *attempt);
                Ok(())
            }
            (
                LogRecord::Finished {
                    outcome: SagaOutcome::Completed,
                },
                SagaPhase::Forward { next_step },
            ) if *next_step == self.step_count => {
                self.phase = SagaPhase::Finished(SagaOutcome::Completed);
                Ok(())
            }
            (
                LogRecord::Finished {
                    outcome: SagaOutcome::Compensated,
                },
                SagaPhase::Compensating,
            ) if self.next_compensation().is_none()
                || mutation == Some(Mutation::SagaNeverRetriesCompensation) =>
            {
                self.phase = SagaPhase::Finished(SagaOutcome::Compensated);
                Ok(())
            }
            (record, phase) => Err(format!("{record:?} cannot follow phase {phase:?}")),
        }
    }
}
