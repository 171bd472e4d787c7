//! The parent log: one record (parent's index, own fingerprint) per distinct state, the way
//! TLC's trace file (`tlc2/tool/TLCTrace.java`) keeps them, so that the search stores no full
//! state and any state's shortest path is a walk back to an initial state.
//!
//! A state's *index* is its position in breadth-first order: level by level, and within a
//! level in the order of the next frontier (worker 0's part, then worker 1's…). Each worker
//! appends its records to its own [`Stream`] while a level runs; [`ParentLog::end_level`]
//! then notes where each worker's part of the level lies, so an index maps back to a stream
//! position without copying records. A stream keeps its newest records in memory and
//! spills older ones, 16 bytes each, to an unlinked temporary file.

use std::fs::File;
use std::io::Write;

/// The parent of an initial state.
pub const NO_PARENT: u64 = u64::MAX;

/// Records kept in memory before a stream spills them (16 MiB).
const SPILL_AT: usize = 1 << 20;

/// One worker's records, oldest first.
#[derive(Debug, Default)]
pub struct Stream {
    file: Option<File>,
    spilled: u64,
    buffer: Vec<[u64; 2]>,
}

/// Why the log failed: the temporary file could not be created, written or read.
#[derive(Debug, thiserror::Error)]
#[error("parent log ({what}): {source}")]
pub struct LogError {
    what: &'static str,
    #[source]
    source: std::io::Error,
}

impl Stream {
    /// Records written so far.
    pub fn len(&self) -> u64 {
        self.spilled + self.buffer.len() as u64
    }

    /// True when nothing was written.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends a record.
    #[inline]
    pub fn push(&mut self, parent: u64, fp: u64) -> Result<(), LogError> {
        self.buffer.push([parent, fp]);
        if self.buffer.len() >= SPILL_AT {
            self.spill()?;
        }
        Ok(())
    }

    fn spill(&mut self) -> Result<(), LogError> {
        if self.file.is_none() {
            self.file = Some(tempfile::tempfile().map_err(|source| LogError {
                what: "create",
                source,
            })?);
        }
        // SAFETY: `[u64; 2]` has no padding; the bytes are the records in native order,
        // read back by `get` with the same layout (the file never leaves this process).
        let bytes = unsafe {
            std::slice::from_raw_parts(self.buffer.as_ptr().cast::<u8>(), self.buffer.len() * 16)
        };
        if let Some(file) = &mut self.file {
            file.write_all(bytes).map_err(|source| LogError {
                what: "write",
                source,
            })?;
        }
        self.spilled += self.buffer.len() as u64;
        self.buffer.clear();
        Ok(())
    }

    /// Record `i` of this stream.
    pub fn get(&self, i: u64) -> Result<[u64; 2], LogError> {
        if i >= self.spilled {
            return Ok(self.buffer[(i - self.spilled) as usize]);
        }
        let mut bytes = [0u8; 16];
        let file = self.file.as_ref().ok_or_else(|| LogError {
            what: "read",
            source: std::io::Error::other("record not written"),
        })?;
        std::os::unix::fs::FileExt::read_exact_at(file, &mut bytes, i * 16).map_err(|source| {
            LogError {
                what: "read",
                source,
            }
        })?;
        let word =
            |k: usize| u64::from_ne_bytes(bytes[k * 8..k * 8 + 8].try_into().unwrap_or([0; 8]));
        Ok([word(0), word(1)])
    }
}

/// Where one worker's part of one level lies.
#[derive(Debug, Clone, Copy)]
struct Part {
    /// Index of the part's first state.
    first_index: u64,
    /// Its position in the worker's stream.
    stream_start: u64,
    len: u64,
    worker: usize,
}

/// Every worker's stream and the map from state index to stream position.
#[derive(Debug)]
pub struct ParentLog {
    /// One stream per worker.
    pub streams: Vec<Stream>,
    parts: Vec<Part>,
    /// Where each stream's current level starts.
    level_start: Vec<u64>,
    /// States indexed so far (the next level's first index).
    indexed: u64,
}

impl ParentLog {
    /// A log for `workers` workers.
    pub fn new(workers: usize) -> Self {
        ParentLog {
            streams: (0..workers).map(|_| Stream::default()).collect(),
            parts: Vec::new(),
            level_start: vec![0; workers],
            indexed: 0,
        }
    }

    /// Ends a level: what each stream received since the last call becomes the next indices,
    /// stream 0's first. Returns the index of the level's first state.
    pub fn end_level(&mut self) -> u64 {
        let first = self.indexed;
        for (w, stream) in self.streams.iter().enumerate() {
            let len = stream.len() - self.level_start[w];
            if len > 0 {
                self.parts.push(Part {
                    first_index: self.indexed,
                    stream_start: self.level_start[w],
                    len,
                    worker: w,
                });
                self.indexed += len;
            }
            self.level_start[w] = stream.len();
        }
        first
    }

    /// States indexed by completed levels.
    pub fn indexed(&self) -> u64 {
        self.indexed
    }

    /// The record of the state with index `index`: (parent index, fingerprint).
    pub fn record(&self, index: u64) -> Result<[u64; 2], LogError> {
        let at = self.parts.partition_point(|p| p.first_index <= index);
        let part = at
            .checked_sub(1)
            .map(|k| self.parts[k])
            .filter(|p| index < p.first_index + p.len)
            .ok_or_else(|| LogError {
                what: "lookup",
                source: std::io::Error::other(format!("no state has index {index}")),
            })?;
        self.streams[part.worker].get(part.stream_start + index - part.first_index)
    }

    /// The fingerprints from an initial state to the state `index`, walking parents back.
    pub fn path(&self, index: u64) -> Result<Vec<u64>, LogError> {
        let mut fps = Vec::new();
        let mut at = index;
        loop {
            let [parent, fp] = self.record(at)?;
            fps.push(fp);
            if parent == NO_PARENT {
                break;
            }
            at = parent;
        }
        fps.reverse();
        Ok(fps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indices_follow_levels_then_workers_and_survive_spilling() {
        let mut log = ParentLog::new(2);
        log.streams[0].push(NO_PARENT, 10).unwrap();
        assert_eq!(log.end_level(), 0);
        // level 1: worker 1 finds 21, worker 0 finds 20 and 22; indices 1, 2 (worker 0), 3
        log.streams[1].push(0, 21).unwrap();
        log.streams[0].push(0, 20).unwrap();
        log.streams[0].push(0, 22).unwrap();
        assert_eq!(log.end_level(), 1);
        assert_eq!(log.record(1).unwrap(), [0, 20]);
        assert_eq!(log.record(2).unwrap(), [0, 22]);
        assert_eq!(log.record(3).unwrap(), [0, 21]);
        // level 2: a long chain in worker 1's stream, spilled to the file
        for k in 0..(SPILL_AT as u64 + 5) {
            log.streams[1].push(3, 100 + k).unwrap();
        }
        assert_eq!(log.end_level(), 4);
        assert!(log.streams[1].spilled > 0);
        assert_eq!(log.record(4).unwrap(), [3, 100]);
        assert_eq!(log.path(5).unwrap(), vec![10, 21, 101]);
        assert!(log.record(4 + SPILL_AT as u64 + 5).is_err());
    }
}
