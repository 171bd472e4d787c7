//! Reading a user's TLC `.cfg` (for `flashcheck tla --spec FILE.tla [--config FILE.cfg]`)
//! into a [`TlaJob`].
//!
//! Supported: `CONSTANT(S)` (`Name = value`; `Name = Name` is a model value),
//! `SPECIFICATION`, `INIT`/`NEXT` (run as `Init /\ [][Next]_<<vars>>`, the variables read from
//! the spec's `VARIABLE(S)` declarations), `INVARIANT(S)` (→ `always`),
//! `PROPERTY`/`PROPERTIES` (→ `eventually`), one `CONSTRAINT`, and `CHECK_DEADLOCK`
//! (TLC checks deadlock unless `CHECK_DEADLOCK FALSE`, so the job gets a `deadlock_free`
//! property by default). Anything else (`SYMMETRY`, `VIEW`, `<-` substitutions, …) is an
//! error rather than silently ignored.

use super::error::TlaError;
use super::workspace::is_identifier;
use super::{TlaJob, TlaProperty, DEADLOCK_FREE};
use crate::report::PropertyKind;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

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

/// Read `cfg` for `spec` into a job. The job's model name is the spec's module name.
pub fn job_from_cfg(spec: &Path, cfg: &Path) -> Result<TlaJob, TlaError> {
    let text = std::fs::read_to_string(cfg)
        .map_err(|e| TlaError::io(format!("reading {}", cfg.display()), e))?;
    let module = spec
        .file_stem()
        .and_then(|s| s.to_str())
        .ok_or_else(|| TlaError::Job(format!("{} has no module name", spec.display())))?
        .to_string();
    let parsed = parse_cfg(&text).map_err(|(line, message)| TlaError::Cfg {
        path: cfg.to_path_buf(),
        line,
        message,
    })?;
    let err = |line: usize, message: String| TlaError::Cfg {
        path: cfg.to_path_buf(),
        line,
        message,
    };
    let specification = match (&parsed.specification, &parsed.init, &parsed.next) {
        (Some(s), None, None) => s.clone(),
        (None, Some(init), Some(next)) => {
            let tla = std::fs::read_to_string(spec)
                .map_err(|e| TlaError::io(format!("reading {}", spec.display()), e))?;
            let vars = variables(&tla);
            if vars.is_empty() {
                return Err(err(
                    0,
                    format!(
                        "INIT/NEXT given but no VARIABLE declaration found in {}; use SPECIFICATION",
                        spec.display()
                    ),
                ));
            }
            format!("{init} /\\ [][{next}]_<<{}>>", vars.join(", "))
        }
        (None, None, None) => return Err(err(0, "no SPECIFICATION and no INIT/NEXT".into())),
        _ => {
            return Err(err(
                0,
                "give either SPECIFICATION or both INIT and NEXT".into(),
            ))
        }
    };
    let cfg_name = cfg.display();
    let mut properties = Vec::new();
    if parsed.check_deadlock {
        properties.push(TlaProperty {
            name: DEADLOCK_FREE.into(),
            kind: PropertyKind::Always,
            description: "TLC's deadlock check: every reachable state has a successor".into(),
        });
    }
    for inv in &parsed.invariants {
        properties.push(TlaProperty {
            name: inv.clone(),
            kind: PropertyKind::Always,
            description: format!("INVARIANT {inv} of {cfg_name}"),
        });
    }
    for prop in &parsed.properties {
        properties.push(TlaProperty {
            name: prop.clone(),
            kind: PropertyKind::Eventually,
            description: format!("PROPERTY {prop} of {cfg_name}"),
        });
    }
    Ok(TlaJob {
        model: module,
        spec: PathBuf::from(spec),
        constants: parsed.constants,
        model_values: parsed.model_values,
        specification,
        properties,
        constraint: parsed.constraint,
    })
}

/// The content of a cfg file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cfg {
    /// Constant → value text.
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
    /// CONSTRAINT.
    pub constraint: Option<String>,
    /// CHECK_DEADLOCK (default true, as in TLC).
    pub check_deadlock: bool,
}

/// Parse cfg text; errors are (1-based line, message).
pub fn parse_cfg(text: &str) -> Result<Cfg, (usize, String)> {
    let clean = strip_comments(text);
    let mut cfg = Cfg {
        check_deadlock: true,
        ..Cfg::default()
    };
    let sections = split_sections(&clean)?;
    for (keyword, line, body) in sections {
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
            "CONSTRAINT" | "CONSTRAINTS" => {
                let names: Vec<&str> = words().collect();
                match names.as_slice() {
                    [name] if is_identifier(name) => {
                        set_once(&mut cfg.constraint, name.to_string())?
                    }
                    _ => {
                        return Err((
                            line,
                            format!(
                                "exactly one CONSTRAINT operator is supported, found {:?}",
                                body.trim()
                            ),
                        ))
                    }
                }
            }
            "INVARIANT" | "INVARIANTS" | "PROPERTY" | "PROPERTIES" => {
                let names: Vec<String> = words().map(str::to_string).collect();
                if names.is_empty() {
                    return Err((line, format!("{keyword} without a name")));
                }
                for n in names {
                    if !is_identifier(&n) {
                        return Err((line, format!("{n:?} is not an operator name")));
                    }
                    if keyword.starts_with("INVARIANT") {
                        cfg.invariants.push(n);
                    } else {
                        cfg.properties.push(n);
                    }
                }
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
                }
            }
            other => {
                return Err((
                    line,
                    format!("{other} is not supported by flashcheck's TLA+ driver"),
                ))
            }
        }
    }
    Ok(cfg)
}

/// `Name = value` assignments (values may contain spaces and span lines).
fn constants(body: &str, first_line: usize, cfg: &mut Cfg) -> Result<(), (usize, String)> {
    let chars: Vec<char> = body.chars().collect();
    let line_at = |i: usize| first_line + chars[..i].iter().filter(|c| **c == '\n').count();
    // Depth-0 `=` and `<-` positions, with the identifier before each.
    let mut marks: Vec<(usize, usize, usize)> = Vec::new(); // (name start, op start, op end)
    let mut depth = 0i32;
    let mut in_string = false;
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
                    return Err((line_at(i), "`<-` substitutions are not supported".into()));
                }
                '=' if depth == 0 => {
                    let prev = i.checked_sub(1).map(|p| chars[p]);
                    let next = chars.get(i + 1).copied();
                    let part_of_op = matches!(prev, Some('=' | '<' | '>' | '/' | '#'))
                        || matches!(next, Some('=' | '>' | '<'));
                    if !part_of_op {
                        let mut end = i;
                        while end > 0 && chars[end - 1].is_whitespace() {
                            end -= 1;
                        }
                        let mut start = end;
                        while start > 0
                            && (chars[start - 1].is_ascii_alphanumeric() || chars[start - 1] == '_')
                        {
                            start -= 1;
                        }
                        if start == end {
                            return Err((
                                line_at(i),
                                "`=` without a constant name before it".into(),
                            ));
                        }
                        marks.push((start, i, i + 1));
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
            format!("{:?} is not a `Name = value` assignment", leading.trim()),
        ));
    }
    for (k, &(name_start, op, op_end)) in marks.iter().enumerate() {
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
        if value == name {
            cfg.model_values.push(name);
        } else {
            cfg.constants.insert(name, value);
        }
    }
    Ok(())
}

/// A cfg section: keyword, line of the keyword, body text.
type Section = (String, usize, String);

/// Split into sections by keywords.
fn split_sections(text: &str) -> Result<Vec<Section>, (usize, String)> {
    let mut sections: Vec<Section> = Vec::new();
    let mut line = 1;
    let mut word = String::new();
    let mut pending = String::new();
    let flush_word = |word: &mut String,
                      pending: &mut String,
                      sections: &mut Vec<Section>,
                      line: usize|
     -> Result<(), (usize, String)> {
        if word.is_empty() {
            return Ok(());
        }
        if KEYWORDS.contains(&word.as_str()) {
            if let Some(last) = sections.last_mut() {
                last.2.push_str(pending);
            } else if !pending.trim().is_empty() {
                return Err((
                    leading_line(pending),
                    format!("{:?} before any keyword", pending.trim()),
                ));
            }
            pending.clear();
            sections.push((word.clone(), line, String::new()));
        } else {
            pending.push_str(word);
        }
        word.clear();
        Ok(())
    };
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            flush_word(&mut word, &mut pending, &mut sections, line)?;
            pending.push(c);
            if c == '\n' {
                line += 1;
            }
        }
    }
    flush_word(&mut word, &mut pending, &mut sections, line)?;
    match sections.last_mut() {
        Some(last) => last.2.push_str(&pending),
        None if !pending.trim().is_empty() => {
            return Err((
                leading_line(&pending),
                format!("{:?} before any keyword", pending.trim()),
            ))
        }
        None => {}
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
