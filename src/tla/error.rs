//! The one error type of the TLA+ driver: every way a TLA+ check can fail to produce a
//! [`CheckReport`](crate::report::CheckReport).

use std::path::PathBuf;

/// Why a TLA+ check produced no report.
#[derive(Debug, thiserror::Error)]
pub enum TlaError {
    /// No `tla2tools.jar` in any of the places searched.
    #[error("tla2tools.jar not found; looked in: {searched}. Fix: pass --tla2tools PATH, set TLA2TOOLS_JAR=PATH, or put the jar at ~/.cache/flashcheck/tla2tools.jar")]
    JarNotFound {
        /// Every place looked at, and why each did not qualify.
        searched: String,
    },
    /// A file could not be read, written or run.
    #[error("{context}")]
    Io {
        /// What was being done, with the path.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The spec (or a module it extends) does not parse or fails semantic analysis
    /// (TLC exit 150). The CLI maps this to exit code 2.
    #[error("{engine} rejected the spec {spec}: {message}")]
    Spec {
        /// `tlc` or `tla-checker`.
        engine: &'static str,
        /// The spec file.
        spec: PathBuf,
        /// The engine's own message.
        message: String,
    },
    /// The engine failed for another reason: an evaluation error, a crash, an unexpected
    /// exit code.
    #[error("{engine} failed{}: {message}", exit.map(|c| format!(" (exit {c})")).unwrap_or_default())]
    Engine {
        /// `tlc` or `tla-checker`.
        engine: &'static str,
        /// The process exit code, when there was a process.
        exit: Option<i32>,
        /// What went wrong, in the engine's words where possible.
        message: String,
    },
    /// The engine's output is not what this driver understands.
    #[error("cannot parse {what}: {message}")]
    Output {
        /// Which output (`TLC -tool output`, `TLC -dumpTrace json`, …).
        what: &'static str,
        /// What was wrong with it.
        message: String,
    },
    /// A TLC `.cfg` file this driver cannot read.
    #[error("{}:{line}: {message}", path.display())]
    Cfg {
        /// The cfg file.
        path: PathBuf,
        /// 1-based line of the problem (0 when it concerns the whole file).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The job itself is inconsistent (an empty name, a property name that is not an
    /// identifier, …).
    #[error("invalid TLA+ job: {0}")]
    Job(String),
    /// A file the user named cannot be used as input (missing, not a regular file, too
    /// large, not UTF-8).
    #[error("{what} {}: {reason}", path.display())]
    Input {
        /// The option or role of the file (`--spec`, `--config`, `--lib`).
        what: String,
        /// The file.
        path: PathBuf,
        /// Why it cannot be used.
        reason: String,
    },
    /// SIGINT or SIGTERM arrived: the engine's process was killed and the generated files
    /// removed. The binary exits 128 + the signal number.
    #[error("interrupted by signal {0}: the TLA+ engine was stopped and its files removed")]
    Interrupted(i32),
    /// The requested engine is not compiled in.
    #[error("{0}")]
    EngineUnavailable(String),
}

impl TlaError {
    /// Shorthand for [`TlaError::Io`].
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        TlaError::Io {
            context: context.into(),
            source,
        }
    }

    /// Shorthand for [`TlaError::Output`].
    pub(crate) fn output(what: &'static str, message: impl Into<String>) -> Self {
        TlaError::Output {
            what,
            message: message.into(),
        }
    }
}
