//! The saga's durable step log: an append-only file of JSON lines, fsync'd after every
//! record, so that whatever a crash interrupts, recovery knows exactly what was decided.
//!
//! A crash in the middle of an append leaves a torn last line (no trailing newline); opening
//! the log cuts it off, because that record was never acknowledged. A complete line that does
//! not parse is corruption and is reported, never skipped.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::SagaError;

/// How a saga ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SagaOutcome {
    /// Every step committed.
    Completed,
    /// A step failed and every committed step was compensated.
    Compensated,
}

/// One durable decision. Step numbers are indices into the definition's steps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "record", rename_all = "snake_case")]
pub enum LogRecord {
    Begin { saga: String, steps: usize },
    StepCommitted { step: usize },
    StepFailed { step: usize },
    CompensationFailed { step: usize, attempt: u32 },
    Compensated { step: usize },
    Finished { outcome: SagaOutcome },
}

/// An open, append-only log file.
#[derive(Debug)]
pub struct DurableLog {
    path: PathBuf,
    file: File,
}

impl DurableLog {
    /// Creates a new, empty log; fails if the file exists (a saga never reuses a log).
    pub fn create(path: &Path) -> Result<Self, SagaError> {
        let file = OpenOptions::new()
            .create_new(true)
            .append(true)
            .open(path)
            .map_err(|source| SagaError::LogIo {
                path: path.to_path_buf(),
                source,
            })?;
        sync_parent_directory(path)?;
        Ok(DurableLog {
            path: path.to_path_buf(),
            file,
        })
    }

    /// Opens an existing log for recovery: returns its records after cutting off a torn tail.
    pub fn open(path: &Path) -> Result<(Self, Vec<LogRecord>), SagaError> {
        let io = |source| SagaError::LogIo {
            path: path.to_path_buf(),
            source,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .open(path)
            .map_err(io)?;
        let mut text = String::new();
        file.read_to_string(&mut text).map_err(io)?;
        let complete = text.rfind('\n').map_or(0, |newline| newline + 1);
        if complete < text.len() {
            file.set_len(complete as u64).map_err(io)?;
            file.sync_data().map_err(io)?;
        }
        let records = text[..complete]
            .lines()
            .enumerate()
            .map(|(index, line)| {
                serde_json::from_str(line).map_err(|error| SagaError::CorruptLog {
                    path: path.to_path_buf(),
                    line: index + 1,
                    reason: error.to_string(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok((
            DurableLog {
                path: path.to_path_buf(),
                file,
            },
            records,
        ))
    }

    /// Appends one record and waits until it is on stable storage.
    pub fn append(&mut self, record: &LogRecord) -> Result<(), SagaError> {
        let mut line = serde_json::to_string(record).map_err(|error| SagaError::CorruptLog {
            path: self.path.clone(),
            line: 0,
            reason: error.to_string(),
        })?;
        line.push('\n');
        let io = |source| SagaError::LogIo {
            path: self.path.clone(),
            source,
        };
        self.file.write_all(line.as_bytes()).map_err(io)?;
        self.file.sync_data().map_err(io)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Makes the new file's directory entry durable too.
fn sync_parent_directory(path: &Path) -> Result<(), SagaError> {
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    File::open(parent)
        .and_then(|directory| directory.sync_all())
        .map_err(|source| SagaError::LogIo {
            path: parent.to_path_buf(),
            source,
        })
}
