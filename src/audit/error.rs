//! What can stop an audit, typed: the scenario's files, the TLA+ engine, z3, a trace or a
//! picture that could not be written, the output directory. The CLI prints it as one line
//! (exit 2).

use std::path::PathBuf;

/// Why the audit stopped before writing its report.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// A claim or configuration names a model, constant or property that does not exist.
    #[error("{0}")]
    Input(String),
    /// A file or directory could not be read or written; `what` names it. The OS error is
    /// part of the message, not a `source`, so an error chain prints it once.
    #[error("{what}: {error}")]
    Io {
        /// What was being done, with the path.
        what: String,
        /// The OS error.
        error: std::io::Error,
    },
    /// The scenario's files (saga, breaker, behaviour claims, design document) are malformed.
    #[error(transparent)]
    Spec(#[from] flashcheck_specs::SpecError),
    /// A model's constants were refused.
    #[error(transparent)]
    Constants(#[from] crate::registry::ConstantError),
    /// The TLA+ engine could not be chosen or failed.
    #[error(transparent)]
    Tla(#[from] crate::tla::TlaError),
    /// z3 or the arithmetic spec failed.
    #[error(transparent)]
    Arith(#[from] crate::arith::ArithError),
    /// An ITF trace could not be written or read.
    #[error(transparent)]
    Trace(#[from] crate::trace::TraceError),
    /// Graphviz failed on a picture.
    #[error(transparent)]
    Render(#[from] crate::report::dot::RenderError),
    /// A chart could not be drawn from the figures.
    #[error(transparent)]
    Figure(#[from] crate::report::figures::FigureError),
    /// A replay job could not run (a trace that does not fit the model, bad input).
    #[error(transparent)]
    Job(#[from] crate::replay::job::JobError),
    /// A JSON report could not be serialised.
    #[error("serialising the JSON report: {0}")]
    Json(#[from] serde_json::Error),
}

impl AuditError {
    /// An I/O error on `path` while doing `doing` ("writing", "reading", …).
    pub fn io(doing: &str, path: impl Into<PathBuf>, error: std::io::Error) -> Self {
        AuditError::Io {
            what: format!("{doing} {}", path.into().display()),
            error,
        }
    }
}

/// `.at(|| "what")` on an I/O result: the error names what was being done.
pub trait IoContext<T> {
    /// Maps an I/O error into [`AuditError::Io`] with `what` (called only on error).
    fn at(self, what: impl FnOnce() -> String) -> Result<T, AuditError>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn at(self, what: impl FnOnce() -> String) -> Result<T, AuditError> {
        self.map_err(|error| AuditError::Io {
            what: what(),
            error,
        })
    }
}

/// Writes `contents` to `path`; the error names the file.
pub fn write(path: &std::path::Path, contents: impl AsRef<[u8]>) -> Result<(), AuditError> {
    std::fs::write(path, contents).map_err(|e| AuditError::io("writing", path, e))
}

/// Creates `path` and its parents; the error names the directory.
pub fn create_dir(path: &std::path::Path) -> Result<(), AuditError> {
    std::fs::create_dir_all(path).map_err(|e| AuditError::io("creating", path, e))
}
