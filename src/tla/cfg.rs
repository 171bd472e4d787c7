//! Reading a user's TLC `.cfg` (for `flashcheck tla --spec FILE.tla [--config FILE.cfg]`)
//! into a [`TlaJob`] whose engine runs get the user's own cfg.
//!
//! flashcheck does not re-create the cfg: every construct TLC accepts (`CONSTANT C <- Def`,
//! `C <- [M] Def`, `CONSTRAINT`, `ACTION_CONSTRAINT`, `SYMMETRY`, `VIEW`, `ALIAS`,
//! `POSTCONDITION`, `INIT`/`NEXT`, `SPECIFICATION`) is handed to the engine as written
//! ([`UserCfg::passthrough`]). Only the sections that say *what to check* are read and
//! blanked, because the [`plan`](super::plan) decides per run which of them a run checks:
//! `INVARIANT(S)` (→ `always`), `PROPERTY`/`PROPERTIES` (→ `eventually`) and
//! `CHECK_DEADLOCK` (TLC checks deadlock unless `CHECK_DEADLOCK FALSE`, so the job gets a
//! `deadlock_free` property by default). A `POSTCONDITION P` stays in the cfg and becomes
//! the `always` property `P` (TLC evaluates it once, after a complete search).
//!
//! The rest of the cfg is read only to show the constants in the report (`C <- Def` is
//! shown as the value `<- Def`) and to reject what is not a cfg at all (an unknown
//! keyword, text before the first keyword, unbalanced brackets), each with its line.

use super::error::TlaError;
use super::workspace::is_identifier;
use super::{TlaJob, TlaProperty, DEADLOCK_FREE};
use crate::report::PropertyKind;
use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};

/// The largest `.tla` or `.cfg` file flashcheck reads (a bound, so that `/dev/zero` or a
/// huge file given by mistake is refused instead of read forever).
pub const MAX_INPUT_BYTES: u64 = 16 * 1024 * 1024;

const KEYWORDS: &[&str] = &[
    "CONSTANT",
    "CONSTANTS",
    "INIT",
    "NEXT",
    "SPECIFICATION",
    "INVARIANT",
    "INVARIANTS",
    "PROPERTY",
    "PROPERTIES",
    "CONSTRAINT",
    "CONSTRAINTS",
    "ACTION_CONSTRAINT",
    "ACTION_CONSTRAINTS",
    "SYMMETRY",
    "VIEW",
    "ALIAS",
    "POSTCONDITION",
    "CHECK_DEADLOCK",
];

/// Read a user's input file: it must be a regular file (not a FIFO, a device or a
/// directory) of at most [`MAX_INPUT_BYTES`], in UTF-8. `what` names it in the error
/// (`--spec`, `--config`).
pub fn read_input(path: &Path, what: &str) -> Result<String, TlaError> {
    let bad = |reason: String| TlaError::Input {
        what: what.to_string(),
        path: path.to_path_buf(),
        reason,
    };
    let meta = std::fs::metadata(path).map_err(|e| bad(io_reason(&e)))?;
    if !meta.is_file() {
        let kind = if meta.is_dir() {
            "a directory"
        } else {
            "not a regular file (a FIFO, socket or device)"
        };
        return Err(bad(format!("is {kind}")));
    }
    if meta.len() > MAX_INPUT_BYTES {
        return Err(bad(format!(
            "is {} bytes, over the {MAX_INPUT_BYTES}-byte bound",
            meta.len()
        )));
    }
    let file = std::fs::File::open(path).map_err(|e| bad(io_reason(&e)))?;
    let mut bytes = Vec::new();
    file.take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| bad(io_reason(&e)))?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(bad(format!("is over the {MAX_INPUT_BYTES}-byte bound")));
    }
    String::from_utf8(bytes).map_err(|e| bad(format!("is not UTF-8 ({e})")))
}

/// An OS error without the `(os error N)` suffix repeated by callers.
fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// A user's cfg as the engine runs get it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserCfg {
    /// The cfg file.
    pub path: PathBuf,
    /// The cfg without comments and without the INVARIANT(S), PROPERTY(IES) and
    /// CHECK_DEADLOCK sections (blanked, so that line numbers in the engine's messages are
    /// the user's); each run appends what it checks.
    pub passthrough: String,
    /// The POSTCONDITION operator, if any.
    pub postcondition: Option<String>,
    /// Directives present in the cfg (`VIEW`, `SYMMETRY`, …), for engines that cannot
    /// check all of them.
    pub directives: Vec<String>,
}

/// Read `cfg` for `spec` into a job. The job's model name is the spec's module name.
pub fn job_from_cfg(spec: &Path, cfg: &Path) -> Result<TlaJob, TlaError> {
    read_input(spec, "--spec")?;
    let text = read_input(cfg, "--config")?;
    let module = spec
        .file_stem()
        .and_then(|s| s.to_str())
        .ok_or_else(|| TlaError::Job(format!("{} has no module name", spec.display())))?
        .to_string();
    let err = |line: usize, message: String| TlaError::Cfg {
        path: cfg.to_path_buf(),
        line,
        message,
    };
    let parsed = parse_cfg(&text).map_err(|(line, message)| err(line, message))?;
    let specification = match (&parsed.specification, &parsed.init, &parsed.next) {
        (Some(s), None, None) => s.clone(),
        (None, Some(init), Some(next)) => format!("INIT {init} NEXT {next}"),
        (None, None, None) => return Err(err(0, "no SPECIFICATION and no INIT/NEXT".into())),
        _ => {
            return Err(err(
                0,
                "give either SPECIFICATION or both INIT and NEXT".into(),
            ))
        }
    };
    let cfg_name = cfg.display();
    let mut properties: Vec<TlaProperty> = Vec::new();
    let mut push = |name: &str, kind: PropertyKind, description: String| {
        // TLC accepts a name listed twice; it is one property.
        if !properties.iter().any(|p| p.name == name) {
            properties.push(TlaProperty {
                name: name.to_string(),
                kind,
                description,
            });
        }
    };
    if parsed.check_deadlock {
        push(
            DEADLOCK_FREE,
            PropertyKind::Always,
            "TLC's deadlock check: every reachable state has a successor".into(),
        );
    }
    for inv in &parsed.invariants {
        push(
            inv,
            PropertyKind::Always,
            format!("INVARIANT {inv} of {cfg_name}"),
        );
    }
    for prop in &parsed.properties {
        push(
            prop,
            PropertyKind::Eventually,
            format!("PROPERTY {prop} of {cfg_name}"),
        );
    }
    if let Some(post) = &parsed.postcondition {
        if parsed.invariants.contains(post) || parsed.properties.contains(post) {
            return Err(err(
                0,
                format!("{post} is both the POSTCONDITION and an INVARIANT or PROPERTY"),
            ));
        }
        push(
            post,
            PropertyKind::Always,
            format!("POSTCONDITION {post} of {cfg_name}, evaluated after a complete search"),
        );
    }
    Ok(TlaJob {
        model: module,
        spec: PathBuf::from(spec),
        constants: parsed.constants,
        model_values: parsed.model_values,
        specification,
        properties,
        constraint: None,
        user_cfg: Some(UserCfg {
            path: cfg.to_path_buf(),
            passthrough: parsed.passthrough,
            postcondition: parsed.postcondition,
            directives: parsed.directives,
        }),
    })
}

/// The content of a cfg file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cfg {
    /// Constant → value text (`C <- Def` as `<- Def`, `C <- [M] Def` as `<- [M] Def`).
    pub constants: BTreeMap<String, String>,
    /// Constants assigned as model values.
    pub model_values: Vec<String>,
    /// SPECIFICATION.
    pub specification: Option<String>,
    /// INIT.
    pub init: Option<String>,
    /// NEXT.
    pub next: Option<String>,
    /// INVARIANT(S), in order.
    pub invariants: Vec<String>,
    /// PROPERTY/PROPERTIES, in order.
    pub properties: Vec<String>,
    /// CONSTRAINT(S), in order.
    pub constraints: Vec<String>,
    /// ACTION_CONSTRAINT(S), in order.
    pub action_constraints: Vec<String>,
    /// SYMMETRY.
    pub symmetry: Option<String>,
    /// VIEW.
    pub view: Option<String>,
    /// ALIAS.
    pub alias: Option<String>,
    /// POSTCONDITION.
    pub postcondition: Option<String>,
    /// CHECK_DEADLOCK (default true, as in TLC).
    pub check_deadlock: bool,
    /// Every directive keyword present, in order of first appearance (`CONSTANTS` as
    /// `CONSTANT`, plurals singular).
    pub directives: Vec<String>,
    /// The text without comments and without INVARIANT(S), PROPERTY(IES), CHECK_DEADLOCK
    /// (see [`UserCfg::passthrough`]).
    pub passthrough: String,
}

/// Parse cfg text; errors are (1-based line, message).
pub fn parse_cfg(text: &str) -> Result<Cfg, (usize, String)> {
    let clean = strip_comments(text);
    let mut cfg = Cfg {
        check_deadlock: true,
        ..Cfg::default()
    };
    let sections = split_sections(&clean)?;
    let mut blank: Vec<(usize, usize)> = Vec::new();
    for section in sections {
        let Section {
            keyword,
            line,
            body,
            start,
            end,
        } = section;
        let directive = keyword
            .trim_end_matches('S')
            .replace("PROPERTIE", "PROPERTY");
        if !cfg.directives.contains(&directive) {
            cfg.directives.push(directive);
        }
        let words = || {
            body.split(|c: char| c.is_whitespace() || c == ',')
                .filter(|w| !w.is_empty())
        };
        let one = |what: &str| -> Result<String, (usize, String)> {
            let w: Vec<&str> = words().collect();
            match w.as_slice() {
                [name] if is_identifier(name) => Ok(name.to_string()),
                _ => Err((
                    line,
                    format!("{what} needs one operator name, found {:?}", body.trim()),
                )),
            }
        };
        let names = || -> Result<Vec<String>, (usize, String)> {
            let names: Vec<String> = words().map(str::to_string).collect();
            if names.is_empty() {
                return Err((line, format!("{keyword} without a name")));
            }
            match names.iter().find(|n| !is_identifier(n)) {
                Some(n) => Err((line, format!("{n:?} is not an operator name"))),
                None => Ok(names),
            }
        };
        let set_once = |slot: &mut Option<String>, value: String| -> Result<(), (usize, String)> {
            if slot.replace(value).is_some() {
                Err((line, format!("{keyword} given twice")))
            } else {
                Ok(())
            }
        };
        match keyword.as_str() {
            "CONSTANT" | "CONSTANTS" => constants(&body, line, &mut cfg)?,
            "INIT" => set_once(&mut cfg.init, one("INIT")?)?,
            "NEXT" => set_once(&mut cfg.next, one("NEXT")?)?,
            "SPECIFICATION" => set_once(&mut cfg.specification, one("SPECIFICATION")?)?,
            "SYMMETRY" => set_once(&mut cfg.symmetry, one("SYMMETRY")?)?,
            "VIEW" => set_once(&mut cfg.view, one("VIEW")?)?,
            "ALIAS" => set_once(&mut cfg.alias, one("ALIAS")?)?,
            "POSTCONDITION" => set_once(&mut cfg.postcondition, one("POSTCONDITION")?)?,
            "CONSTRAINT" | "CONSTRAINTS" => cfg.constraints.extend(names()?),
            "ACTION_CONSTRAINT" | "ACTION_CONSTRAINTS" => cfg.action_constraints.extend(names()?),
            "INVARIANT" | "INVARIANTS" => {
                cfg.invariants.extend(names()?);
                blank.push((start, end));
            }
            "PROPERTY" | "PROPERTIES" => {
                cfg.properties.extend(names()?);
                blank.push((start, end));
            }
            "CHECK_DEADLOCK" => {
                cfg.check_deadlock = match words().collect::<Vec<_>>().as_slice() {
                    ["TRUE"] => true,
                    ["FALSE"] => false,
                    _ => {
                        return Err((
                            line,
                            format!(
                                "CHECK_DEADLOCK needs TRUE or FALSE, found {:?}",
                                body.trim()
                            ),
                        ))
                    }
                };
                blank.push((start, end));
            }
            other => return Err((line, format!("{other} is not a TLC cfg keyword"))),
        }
    }
    let mut passthrough = String::with_capacity(clean.len());
    let mut at = 0;
    for (start, end) in blank {
        passthrough.push_str(&clean[at..start]);
        passthrough.extend(clean[start..end].chars().filter(|c| *c == '\n'));
        at = end;
    }
    passthrough.push_str(&clean[at..]);
    cfg.passthrough = passthrough;
    Ok(cfg)
}

/// `Name = value`, `Name <- Def` and `Name <- [M] Def` entries (values may contain spaces
/// and span lines).
fn constants(body: &str, first_line: usize, cfg: &mut Cfg) -> Result<(), (usize, String)> {
    let chars: Vec<char> = body.chars().collect();
    let line_at = |i: usize| first_line + chars[..i].iter().filter(|c| **c == '\n').count();
    // Depth-0 `=` and `<-` positions: (name start, op start, op end, is a substitution).
    let mut marks: Vec<(usize, usize, usize, bool)> = Vec::new();
    let mut depth = 0i32;
    let mut in_string = false;
    let name_before = |i: usize| -> Option<usize> {
        let mut end = i;
        while end > 0 && chars[end - 1].is_whitespace() {
            end -= 1;
        }
        let mut start = end;
        while start > 0 && (chars[start - 1].is_ascii_alphanumeric() || chars[start - 1] == '_') {
            start -= 1;
        }
        (start < end).then_some(start)
    };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if in_string {
            if c == '\\' {
                i += 1;
            } else if c == '"' {
                in_string = false;
            }
        } else {
            match c {
                '"' => in_string = true,
                '{' | '[' | '(' => depth += 1,
                '}' | ']' | ')' => depth -= 1,
                '<' if chars.get(i + 1) == Some(&'<') => {
                    depth += 1;
                    i += 1;
                }
                '>' if chars.get(i + 1) == Some(&'>') => {
                    depth -= 1;
                    i += 1;
                }
                '<' if chars.get(i + 1) == Some(&'-') && depth == 0 => {
                    let start = name_before(i)
                        .ok_or_else(|| (line_at(i), "`<-` without a name before it".to_string()))?;
                    marks.push((start, i, i + 2, true));
                    i += 1;
                }
                '=' if depth == 0 => {
                    let prev = i.checked_sub(1).map(|p| chars[p]);
                    let next = chars.get(i + 1).copied();
                    let part_of_op = matches!(prev, Some('=' | '<' | '>' | '/' | '#' | ':'))
                        || matches!(next, Some('=' | '>' | '<'));
                    if !part_of_op {
                        let start = name_before(i).ok_or_else(|| {
                            (
                                line_at(i),
                                "`=` without a constant name before it".to_string(),
                            )
                        })?;
                        marks.push((start, i, i + 1, false));
                    }
                }
                _ => {}
            }
        }
        i += 1;
    }
    if in_string || depth != 0 {
        return Err((
            first_line,
            "unbalanced brackets or quotes in CONSTANTS".into(),
        ));
    }
    let leading: String = chars[..marks.first().map_or(chars.len(), |m| m.0)]
        .iter()
        .collect();
    if !leading.trim().is_empty() {
        return Err((
            first_line,
            format!(
                "{:?} is not a `Name = value` or `Name <- Def` entry",
                leading.trim()
            ),
        ));
    }
    for (k, &(name_start, op, op_end, substitution)) in marks.iter().enumerate() {
        let name: String = chars[name_start..op]
            .iter()
            .collect::<String>()
            .trim()
            .to_string();
        let value_end = marks.get(k + 1).map_or(chars.len(), |m| m.0);
        let value: String = chars[op_end..value_end].iter().collect::<String>();
        let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
        if value.is_empty() {
            return Err((line_at(op), format!("constant {name} has no value")));
        }
        if cfg.constants.contains_key(&name) || cfg.model_values.contains(&name) {
            return Err((line_at(op), format!("constant {name} assigned twice")));
        }
        if substitution {
            let target = value
                .strip_prefix('[')
                .and_then(|v| v.split_once(']'))
                .map_or(value.as_str(), |(_, def)| def)
                .trim();
            if !is_identifier(target) {
                return Err((
                    line_at(op),
                    format!("`{name} <- {value}`: {target:?} is not an operator name"),
                ));
            }
            cfg.constants.insert(name, format!("<- {value}"));
        } else if value == name {
            cfg.model_values.push(name);
        } else {
            cfg.constants.insert(name, value);
        }
    }
    Ok(())
}

/// A cfg section: its keyword, the keyword's line, its body, and the byte span of keyword
/// and body in the comment-free text.
struct Section {
    keyword: String,
    line: usize,
    body: String,
    start: usize,
    end: usize,
}

/// Split into sections by keywords (not inside string literals).
fn split_sections(text: &str) -> Result<Vec<Section>, (usize, String)> {
    let mut sections: Vec<Section> = Vec::new();
    let mut line = 1;
    let mut word_start = None;
    let mut in_string = false;
    let mut escaped = false;
    let close = |sections: &mut Vec<Section>, at: usize| {
        if let Some(last) = sections.last_mut() {
            last.body = text[last.start + last.keyword.len()..at].to_string();
            last.end = at;
        }
    };
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    for (k, &(at, c)) in chars.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
        } else if is_word(c) {
            let start = *word_start.get_or_insert(at);
            let word_goes_on = chars.get(k + 1).is_some_and(|&(_, n)| is_word(n));
            if !word_goes_on {
                word_start = None;
                let word = &text[start..at + c.len_utf8()];
                if KEYWORDS.contains(&word) {
                    if sections.is_empty() && !text[..start].trim().is_empty() {
                        let first = text[..start].trim();
                        return Err((leading_line(text), format!("{first:?} before any keyword")));
                    }
                    close(&mut sections, start);
                    sections.push(Section {
                        keyword: word.to_string(),
                        line,
                        body: String::new(),
                        start,
                        end: start,
                    });
                }
            }
        }
        if c == '\n' {
            line += 1;
        }
    }
    close(&mut sections, text.len());
    if sections.is_empty() && !text.trim().is_empty() {
        return Err((
            leading_line(text),
            format!("{:?} before any keyword", text.trim()),
        ));
    }
    Ok(sections)
}

/// 1-based line of the first non-blank character of text that starts the file.
fn leading_line(text: &str) -> usize {
    let blank = text.len() - text.trim_start().len();
    1 + text[..blank].matches('\n').count()
}

/// Remove `\*` line comments and (nested) `(* *)` block comments, keeping newlines.
pub fn strip_comments(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut depth = 0;
    let mut in_string = false;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if depth > 0 {
            if c == '(' && next == Some('*') {
                depth += 1;
                i += 2;
                continue;
            }
            if c == '*' && next == Some(')') {
                depth -= 1;
                i += 2;
                continue;
            }
            if c == '\n' {
                out.push('\n');
            }
            i += 1;
            continue;
        }
        if in_string {
            out.push(c);
            if c == '\\' {
                if let Some(n) = next {
                    out.push(n);
                    i += 1;
                }
            } else if c == '"' {
                in_string = false;
            }
            i += 1;
            continue;
        }
        match (c, next) {
            ('"', _) => {
                in_string = true;
                out.push(c);
            }
            ('\\', Some('*')) => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
                continue;
            }
            ('(', Some('*')) => {
                depth = 1;
                i += 2;
                continue;
            }
            _ => out.push(c),
        }
        i += 1;
    }
    out
}

/// Variable names declared by `VARIABLE(S) a, b, c` in a module's text.
pub fn variables(tla: &str) -> Vec<String> {
    let clean = strip_comments(tla);
    let tokens = tokenize(&clean);
    let mut vars = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        if tokens[i] == "VARIABLE" || tokens[i] == "VARIABLES" {
            i += 1;
            while i < tokens.len()
                && is_identifier(&tokens[i])
                && !KEYWORD_LIKE.contains(&tokens[i].as_str())
            {
                vars.push(tokens[i].clone());
                if tokens.get(i + 1).map(String::as_str) == Some(",") {
                    i += 2;
                } else {
                    i += 1;
                    break;
                }
            }
        } else {
            i += 1;
        }
    }
    vars
}

const KEYWORD_LIKE: &[&str] = &[
    "VARIABLE",
    "VARIABLES",
    "CONSTANT",
    "CONSTANTS",
    "ASSUME",
    "THEOREM",
    "LOCAL",
    "INSTANCE",
];

fn tokenize(text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut word = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            if !word.is_empty() {
                tokens.push(std::mem::take(&mut word));
            }
            if !c.is_whitespace() {
                tokens.push(c.to_string());
            }
        }
    }
    if !word.is_empty() {
        tokens.push(word);
    }
    tokens
}
