//! Parser for TLC's `-tool` output: splits stdout into tagged messages
//! (`@!@!@STARTMSG code:severity @!@!@ … @!@!@ENDMSG code @!@!@`) and reads the few
//! messages this driver relies on. Prose outside messages is never interpreted, except that
//! it is quoted in error messages (SANY prints its parse errors untagged).
//!
//! Messages used (TLC 2.20, `tlc2.output.EC`):
//! - 2199 `G states generated, D distinct states found, L states left on queue.`
//! - 2200 progress (same numbers; used only when a run was killed before 2199)
//! - 2194 `The depth of the complete state graph search is N.`
//! - 2186 `Finished in Nms at (…)`
//! - 2110 `Invariant X is violated.` / 2107 `Invariant X is violated by the initial state`
//! - 2114 `Deadlock reached.`
//! - 2116 `Temporal properties were violated.`
//! - 2217 one trace state `N: <Action line …>` then `/\ var = value` lines
//! - 2218 `N: Stuttering`; 2122 `N: Back to state: <Action …>` (end of a lasso)
//! - severity 1 (error) messages and untagged SANY text: quoted in [`TlaError`]s.

use super::error::TlaError;
use crate::report::Step;
use std::collections::BTreeMap;

const WHAT: &str = "TLC -tool output";
const START: &str = "@!@!@STARTMSG ";
const END: &str = "@!@!@ENDMSG ";
const TAIL: &str = " @!@!@";

/// One tagged message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// TLC's message code (`tlc2.output.EC`).
    pub code: u32,
    /// 0 info, 1 error, 2 warning, 3 error, 4 state (trace) …
    pub severity: u32,
    /// The text between the tags, without the final newline.
    pub body: String,
}

/// A whole `-tool` stdout, split.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ToolOutput {
    /// Tagged messages in order.
    pub messages: Vec<Message>,
    /// Lines outside any message (SANY's progress and errors), joined by newlines.
    pub untagged: String,
}

impl ToolOutput {
    /// All messages with this code.
    pub fn with_code(&self, code: u32) -> impl Iterator<Item = &Message> {
        self.messages.iter().filter(move |m| m.code == code)
    }

    /// The last message with this code.
    pub fn last(&self, code: u32) -> Option<&Message> {
        self.messages.iter().rev().find(|m| m.code == code)
    }
}

/// Split `-tool` output into messages. `truncated` allows a final unterminated message (the
/// process was killed); otherwise an unterminated or mismatched message is an error.
pub fn parse_messages(stdout: &str, truncated: bool) -> Result<ToolOutput, TlaError> {
    let mut out = ToolOutput::default();
    let mut open: Option<(u32, u32, Vec<&str>)> = None;
    let mut untagged: Vec<&str> = Vec::new();
    for (lineno, line) in stdout.lines().enumerate() {
        let n = lineno + 1;
        if let Some(rest) = line.strip_prefix(START) {
            if let Some((code, _, _)) = &open {
                return Err(TlaError::output(
                    WHAT,
                    format!("line {n}: message {code} not closed before a new one starts"),
                ));
            }
            let header = rest.strip_suffix(TAIL).ok_or_else(|| {
                TlaError::output(WHAT, format!("line {n}: malformed message header {line:?}"))
            })?;
            let (code, severity) = header.split_once(':').ok_or_else(|| {
                TlaError::output(WHAT, format!("line {n}: no code:severity in {line:?}"))
            })?;
            let code = parse_u32(code, n)?;
            let severity = parse_u32(severity, n)?;
            open = Some((code, severity, Vec::new()));
        } else if let Some(rest) = line.strip_prefix(END) {
            let code_text = rest.strip_suffix(TAIL).ok_or_else(|| {
                TlaError::output(WHAT, format!("line {n}: malformed message end {line:?}"))
            })?;
            let code = parse_u32(code_text, n)?;
            match open.take() {
                Some((open_code, severity, body)) if open_code == code => {
                    out.messages.push(Message {
                        code,
                        severity,
                        body: body.join("\n").trim_end().to_string(),
                    });
                }
                Some((open_code, _, _)) => {
                    return Err(TlaError::output(
                        WHAT,
                        format!("line {n}: message {open_code} closed as {code}"),
                    ))
                }
                None => {
                    return Err(TlaError::output(
                        WHAT,
                        format!("line {n}: end of message {code} that never started"),
                    ))
                }
            }
        } else if let Some((_, _, body)) = open.as_mut() {
            body.push(line);
        } else {
            untagged.push(line);
        }
    }
    if let Some((code, _, _)) = open {
        if !truncated {
            return Err(TlaError::output(
                WHAT,
                format!("output ends inside message {code}"),
            ));
        }
    }
    out.untagged = untagged.join("\n");
    Ok(out)
}

fn parse_u32(text: &str, line: usize) -> Result<u32, TlaError> {
    text.trim()
        .parse()
        .map_err(|_| TlaError::output(WHAT, format!("line {line}: {text:?} is not a number")))
}

/// Parse a TLC count, which may carry thousands separators (`1,234`).
fn parse_count(text: &str, what: &str) -> Result<u64, TlaError> {
    let digits: String = text.chars().filter(|c| *c != ',').collect();
    digits
        .parse()
        .map_err(|_| TlaError::output(WHAT, format!("{what}: {text:?} is not a count")))
}

/// State-space statistics of one TLC run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// States generated.
    pub generated: u64,
    /// Distinct states.
    pub distinct: u64,
    /// States left on the queue (non-zero when the run stopped early).
    pub left: u64,
    /// Depth of the state graph search.
    pub depth: u64,
}

/// Read the statistics: 2199 (or, when `allow_progress`, the last 2200) and 2194.
/// `Ok(None)` when the output has none of them.
pub fn stats(out: &ToolOutput, allow_progress: bool) -> Result<Option<Stats>, TlaError> {
    let (msg, is_final) = match out.last(2199) {
        Some(m) => (m, true),
        None => match out.last(2200).filter(|_| allow_progress) {
            Some(m) => (m, false),
            None => return Ok(None),
        },
    };
    let text = if is_final {
        msg.body.as_str()
    } else {
        // "Progress(3) at …: 5 states generated (…), 3 distinct states found (…), 0 …"
        msg.body
            .split_once(": ")
            .map(|(_, t)| t)
            .ok_or_else(|| TlaError::output(WHAT, format!("2200: {:?}", msg.body)))?
    };
    let number_before = |label: &str| -> Result<u64, TlaError> {
        let idx = text.find(label).ok_or_else(|| {
            TlaError::output(WHAT, format!("{}: no {label:?} in {text:?}", msg.code))
        })?;
        let head = text[..idx].trim_end();
        // the byte after the last character that is not part of the number (which may be
        // several bytes long: found by fuzzing)
        let start = head
            .char_indices()
            .rev()
            .find(|&(_, c)| !(c.is_ascii_digit() || c == ','))
            .map_or(0, |(i, c)| i + c.len_utf8());
        parse_count(&head[start..], label)
    };
    let generated = number_before(" states generated")?;
    let distinct = number_before(" distinct states found")?;
    let left = number_before(" states left on queue")?;
    let depth = match out.last(2194) {
        Some(m) => {
            let t = m.body.trim().trim_end_matches('.');
            let n = t.rsplit(' ').next().unwrap_or("");
            parse_count(n, "2194 depth")?
        }
        None if is_final => {
            return Err(TlaError::output(WHAT, "2199 statistics without 2194 depth"))
        }
        None => 0,
    };
    Ok(Some(Stats {
        generated,
        distinct,
        left,
        depth,
    }))
}

/// What stopped a TLC run, read from its messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// 2110/2107: the named invariant is violated.
    Invariant(String),
    /// 2114: a deadlock.
    Deadlock,
    /// 2116: a temporal property is violated (TLC does not say which).
    Temporal,
    /// Exit 10 after a complete search with 2104: the cfg's POSTCONDITION is false.
    Postcondition,
}

/// The violation reported, if any (the first 2110/2107/2114/2116 message).
pub fn stop(out: &ToolOutput) -> Result<Option<Stop>, TlaError> {
    for m in &out.messages {
        match m.code {
            2110 | 2107 => {
                let name = m
                    .body
                    .trim()
                    .strip_prefix("Invariant ")
                    .and_then(|r| r.split_once(" is violated"))
                    .map(|(n, _)| n.trim().to_string())
                    .filter(|n| !n.is_empty())
                    .ok_or_else(|| {
                        TlaError::output(
                            WHAT,
                            format!("{}: no invariant name in {:?}", m.code, m.body),
                        )
                    })?;
                return Ok(Some(Stop::Invariant(name)));
            }
            2114 => return Ok(Some(Stop::Deadlock)),
            2116 => return Ok(Some(Stop::Temporal)),
            _ => {}
        }
    }
    Ok(None)
}

/// A counterexample read from 2217/2218/2122 messages. Values stay TLA+ text (JSON strings),
/// since TLC prints them in TLA+ syntax.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolTrace {
    /// Steps, the first labelled `Init`.
    pub steps: Vec<Step>,
    /// Where the lasso's cycle starts (2218 stuttering: the last state; 2122: state N).
    pub cycle_start: Option<usize>,
    /// The action closing the loop (2122), when TLC names it.
    pub loop_action: Option<String>,
}

/// Read the trace, or `Ok(None)` when the output has no 2217 message.
pub fn trace(out: &ToolOutput) -> Result<Option<ToolTrace>, TlaError> {
    let mut steps = Vec::new();
    let mut cycle_start = None;
    let mut loop_action = None;
    for m in &out.messages {
        match m.code {
            2217 => {
                let (head, rest) = m.body.split_once('\n').unwrap_or((m.body.as_str(), ""));
                let (num, label) = split_numbered(head, m.code)?;
                if num != steps.len() + 1 {
                    return Err(TlaError::output(
                        WHAT,
                        format!("2217: state {num} where {} was expected", steps.len() + 1),
                    ));
                }
                let action = action_label(label)?;
                let action = if action == "Initial predicate" {
                    "Init".to_string()
                } else {
                    action
                };
                steps.push(Step {
                    action,
                    state: state_vars(rest)?,
                });
            }
            2218 => {
                if steps.is_empty() {
                    return Err(TlaError::output(WHAT, "2218 stuttering before any state"));
                }
                cycle_start = Some(steps.len() - 1);
                loop_action = Some("Stuttering".to_string());
            }
            2122 => {
                let head = m.body.lines().next().unwrap_or("");
                let (num, label) = split_numbered(head, m.code)?;
                if num == 0 || num > steps.len() {
                    return Err(TlaError::output(
                        WHAT,
                        format!("2122: back to state {num} of {}", steps.len()),
                    ));
                }
                cycle_start = Some(num - 1);
                let label = label
                    .trim()
                    .strip_prefix("Back to state:")
                    .unwrap_or(label)
                    .trim();
                loop_action = Some(action_label(label)?);
            }
            _ => {}
        }
    }
    if steps.is_empty() {
        return Ok(None);
    }
    Ok(Some(ToolTrace {
        steps,
        cycle_start,
        loop_action,
    }))
}

fn split_numbered(head: &str, code: u32) -> Result<(usize, &str), TlaError> {
    let (num, label) = head
        .split_once(": ")
        .ok_or_else(|| TlaError::output(WHAT, format!("{code}: no `N: ` in {head:?}")))?;
    let num = num
        .trim()
        .parse()
        .map_err(|_| TlaError::output(WHAT, format!("{code}: {num:?} is not a state number")))?;
    Ok((num, label))
}

/// `<Inc(1) line 9, col 11 to line 9, col 36 of module Counter>` → `Inc(1)`.
fn action_label(label: &str) -> Result<String, TlaError> {
    let inner = label
        .trim()
        .strip_prefix('<')
        .and_then(|l| l.strip_suffix('>'))
        .ok_or_else(|| TlaError::output(WHAT, format!("action label {label:?} not in <>")))?;
    let mut search = 0;
    while let Some(i) = inner[search..].find(" line ") {
        let at = search + i;
        if is_location(&inner[at + 1..]) {
            return Ok(inner[..at].to_string());
        }
        search = at + 1;
    }
    Ok(inner.to_string())
}

/// `line 9, col 11 to line 9, col 36 of module Counter`
fn is_location(text: &str) -> bool {
    let words: Vec<&str> = text.split_whitespace().collect();
    words.len() == 12
        && words[0] == "line"
        && words[2] == "col"
        && words[4] == "to"
        && words[5] == "line"
        && words[7] == "col"
        && words[9] == "of"
        && words[10] == "module"
}

/// `/\ x = 1` lines (or one `x = 1` line for a single variable); values may span lines.
fn state_vars(text: &str) -> Result<BTreeMap<String, serde_json::Value>, TlaError> {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let conjunction = lines.first().is_some_and(|l| l.starts_with("/\\ "));
    let mut vars: Vec<(String, String)> = Vec::new();
    for line in lines {
        let fresh = if conjunction {
            line.strip_prefix("/\\ ")
        } else if vars.is_empty() {
            Some(line)
        } else {
            None
        };
        match (fresh, vars.last_mut()) {
            (Some(assignment), _) => {
                let (name, value) = assignment.split_once(" = ").ok_or_else(|| {
                    TlaError::output(WHAT, format!("2217: no `var = value` in {line:?}"))
                })?;
                vars.push((name.trim().to_string(), value.to_string()));
            }
            (None, Some((_, value))) => {
                value.push('\n');
                value.push_str(line);
            }
            (None, None) => {
                return Err(TlaError::output(
                    WHAT,
                    format!("2217: continuation line {line:?} before any variable"),
                ))
            }
        }
    }
    Ok(vars
        .into_iter()
        .map(|(k, v)| (k, serde_json::Value::String(v.trim().to_string())))
        .collect())
}

/// The text of all error messages (severity 1 and 3) plus SANY's untagged error text, for
/// a [`TlaError`].
pub fn error_text(out: &ToolOutput, stderr: &str) -> String {
    let mut parts: Vec<String> = Vec::new();
    let sany: Vec<&str> = out
        .untagged
        .lines()
        .filter(|l| {
            let t = l.trim();
            !t.is_empty()
                && !t.starts_with("Parsing file ")
                && !t.starts_with("Semantic processing of module ")
        })
        .collect();
    if !sany.is_empty() {
        parts.push(sany.join("\n"));
    }
    for m in &out.messages {
        if (m.severity == 1 || m.severity == 3) && !m.body.trim().is_empty() {
            parts.push(m.body.trim().to_string());
        }
    }
    let stderr = stderr.trim();
    if !stderr.is_empty() {
        parts.push(stderr.to_string());
    }
    if parts.is_empty() {
        "TLC printed no error message".to_string()
    } else {
        parts.join("\n")
    }
}
