//! The one error type of the spec parsers: which file, which line, and why.

use std::path::PathBuf;

use thiserror::Error;

/// A design input that could not be read or does not describe a valid design.
#[derive(Debug, Error)]
pub enum SpecError {
    /// The file could not be read at all.
    #[error("{file}: cannot read", file = .file.display())]
    Io {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file was read but is not valid; `line` is 1-based.
    #[error("{file}:{line}: {problem}", file = .file.display())]
    Invalid {
        file: PathBuf,
        line: usize,
        problem: SpecProblem,
    },
}

impl SpecError {
    /// The reason, when the file was readable.
    pub fn problem(&self) -> Option<&SpecProblem> {
        match self {
            SpecError::Io { .. } => None,
            SpecError::Invalid { problem, .. } => Some(problem),
        }
    }

    /// The 1-based line of the problem, when the file was readable.
    pub fn line(&self) -> Option<usize> {
        match self {
            SpecError::Io { .. } => None,
            SpecError::Invalid { line, .. } => Some(*line),
        }
    }
}

impl SpecProblem {
    /// A parser's message, folded onto one line so an error stays one line of output.
    pub fn syntax(message: &str) -> Self {
        let lines: Vec<&str> = message
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .collect();
        SpecProblem::Syntax(lines.join("; "))
    }
}

/// Why a readable design input is invalid.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SpecProblem {
    #[error("syntax error: {0}")]
    Syntax(String),
    #[error("the document is empty")]
    EmptyDocument,
    #[error("more than one document in the file")]
    MultipleDocuments,
    #[error("YAML aliases are not supported")]
    AliasUnsupported,
    #[error("mapping keys must be plain scalars")]
    NonScalarKey,
    #[error("key `{key}` appears twice (first on line {first_line})")]
    DuplicateKey { key: String, first_line: usize },
    #[error("missing key `{key}`")]
    MissingKey { key: String },
    #[error("unknown key `{key}`")]
    UnknownKey { key: String },
    #[error("`{key}` must be {expected}")]
    WrongType { key: String, expected: &'static str },
    #[error("`{key}` is null (`~`): give it a value")]
    NullValue { key: String },
    #[error("`{key}` must not be empty")]
    EmptyValue { key: String },
    #[error("the saga has no steps")]
    EmptySteps,
    #[error("step `{step}` has no compensation")]
    MissingCompensation { step: String },
    #[error("step name `{name}` is used twice (first on line {first_line})")]
    DuplicateStepName { name: String, first_line: usize },
    #[error("`{key}` = {value} is out of range: {allowed}")]
    OutOfRange {
        key: String,
        value: String,
        allowed: &'static str,
    },
    #[error("`{value}` is not a duration (expected e.g. \"10s\", \"500ms\", \"1m\")")]
    InvalidDuration { value: String },
    #[error(
        "unknown threshold comparison `{value}` (expected \"greater\" or \"greater_or_equal\")"
    )]
    UnknownComparison { value: String },
    #[error("`{key}` = {line} is not a line of {document} (it has {lines} lines)")]
    LineOutsideDocument {
        key: String,
        line: usize,
        document: String,
        lines: usize,
    },
    #[error("sliding_window_size {window} is smaller than minimum_calls {minimum}: the breaker could never open")]
    WindowSmallerThanMinimum { window: u64, minimum: u64 },
}
