//! What can be wrong with a trace file. Every variant that concerns a state names its index
//! (0-based, as in ITF's `#meta.index`) and the field, so a bad file is fixed without a hunt.

use std::path::PathBuf;

/// A trace that cannot be read, written or matched against a model.
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    /// The file could not be read or written. The OS error is part of the message and not a
    /// `source`, so that an error chain prints it once.
    #[error("{path}: {error}", path = .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        error: std::io::Error,
    },
    /// Not JSON (or cut short): where the parser stopped.
    #[error("not valid JSON at line {line}, column {column} (state {state}, field {field}): {message}", state = opt(*.state), field = .field.as_deref().unwrap_or("-"))]
    Syntax {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The state being read when the text broke off, if inside `states`.
        state: Option<usize>,
        /// The last field name read in that state.
        field: Option<String>,
        /// The parser's message.
        message: String,
    },
    /// Valid JSON that is not an ITF trace of the expected shape.
    #[error("state {state}, field {field}: {reason}", state = opt(*.state))]
    Malformed {
        /// The state (`None`: the top level).
        state: Option<usize>,
        /// The field or ITF path.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// The trace's state differs from the model's state after the same action.
    #[error(
        "state {state} ({action}), field {field}: the model has {expected}, the trace has {actual}"
    )]
    Mismatch {
        /// The state.
        state: usize,
        /// The action that led to it.
        action: String,
        /// The first differing variable.
        field: String,
        /// The model's value.
        expected: String,
        /// The trace's value.
        actual: String,
    },
    /// The trace's `#meta` names another model or other constants than the replay's.
    #[error("#meta.{field} is '{written}', but the replay is of '{replayed}'")]
    Origin {
        /// `model` or `constants`.
        field: &'static str,
        /// What the trace says.
        written: String,
        /// What is being replayed.
        replayed: String,
    },
    /// The trace takes an action the model does not enable there.
    #[error("state {state}, field mbt::actionTaken: '{action}' is not enabled in the model (enabled: {enabled})")]
    NotEnabled {
        /// The state.
        state: usize,
        /// The action the trace names.
        action: String,
        /// The model's enabled actions.
        enabled: String,
    },
}

fn opt(state: Option<usize>) -> String {
    state.map_or_else(|| "-".to_string(), |s| s.to_string())
}

/// Where a JSON syntax error at byte `offset` falls: the index of the `states` element and
/// the last key read inside it. A tiny scanner, because serde_json reports only a position.
pub(crate) fn locate(text: &str, offset: usize) -> (Option<usize>, Option<String>) {
    let bytes = text.as_bytes();
    let end = offset.min(bytes.len());
    let mut depth = 0usize;
    let mut states_depth: Option<usize> = None;
    let mut index: Option<usize> = None;
    let mut field: Option<String> = None;
    let mut last_string: Option<String> = None;
    let mut i = 0;
    while i < end {
        match bytes[i] {
            b'"' => {
                let start = i + 1;
                i += 1;
                while i < end && bytes[i] != b'"' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                last_string = text.get(start..i.min(end)).map(str::to_string);
            }
            b':' => {
                if states_depth.is_some_and(|d| depth == d + 1) {
                    field.clone_from(&last_string);
                }
                if depth == 1 && last_string.as_deref() == Some("states") {
                    states_depth = Some(2);
                }
            }
            b'{' | b'[' => {
                depth += 1;
                if states_depth.is_some_and(|d| depth == d + 1) && bytes[i] == b'{' {
                    index = Some(index.map_or(0, |n| n + 1));
                    field = None;
                }
            }
            b'}' | b']' => {
                if states_depth == Some(depth) {
                    states_depth = None;
                }
                depth = depth.saturating_sub(1);
            }
            _ => {}
        }
        i += 1;
    }
    (index, field)
}

#[cfg(test)]
mod tests {
    use super::locate;

    #[test]
    fn locates_the_state_and_field_of_a_cut() {
        let text = r##"{"#meta":{},"vars":["a"],"states":[{"a":1},{"b":2,"a":{"#big"##;
        assert_eq!(locate(text, text.len()), (Some(1), Some("a".to_string())));
    }
}
