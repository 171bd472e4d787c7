//! Typed errors of the arithmetic layer: bad input (exit 2) versus solver trouble.

use std::path::PathBuf;

/// Everything that can go wrong in `flashcheck arith`.
#[derive(Debug, thiserror::Error)]
pub enum ArithError {
    /// A file could not be read.
    #[error("{file}: cannot read: {reason}")]
    Io {
        /// The file.
        file: PathBuf,
        /// The operating system's reason.
        reason: String,
    },
    /// A file is not valid TOML.
    #[error("{file}: not valid TOML: {reason}")]
    Toml {
        /// The file.
        file: PathBuf,
        /// The parser's reason.
        reason: String,
    },
    /// A field is missing, of the wrong type or out of range.
    #[error("{file}: field `{field}`: {reason}")]
    Field {
        /// The file.
        file: PathBuf,
        /// Dotted path of the field, e.g. `tenant[0].beta`.
        field: String,
        /// Why it was rejected.
        reason: String,
    },
    /// A claim is invalid where its sentence is concerned (its line of the document).
    #[error("{file}:{line}: claim `{id}`: {reason}")]
    Claim {
        /// The claims file.
        file: PathBuf,
        /// The claims file's line where the claim's id stands.
        line: usize,
        /// The claim's id.
        id: String,
        /// Why it was rejected.
        reason: String,
    },
    /// A command-line value is out of range.
    #[error("argument `{arg}`: {reason}")]
    Arg {
        /// The argument name.
        arg: String,
        /// Why it was rejected.
        reason: String,
    },
    /// z3 returned something the layer did not expect (not a user error).
    #[error("z3: {0}")]
    Solver(String),
    /// Writing the report failed.
    #[error("cannot write report: {0}")]
    Write(#[from] std::io::Error),
}

impl ArithError {
    /// True when the error is the user's input (exit code 2).
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            ArithError::Io { .. }
                | ArithError::Toml { .. }
                | ArithError::Field { .. }
                | ArithError::Claim { .. }
                | ArithError::Arg { .. }
        )
    }

    /// Shorthand for a [`ArithError::Field`].
    pub fn field(
        file: &std::path::Path,
        field: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        ArithError::Field {
            file: file.to_path_buf(),
            field: field.into(),
            reason: reason.into(),
        }
    }
}
