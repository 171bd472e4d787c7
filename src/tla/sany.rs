//! SANY's parse and semantic errors (TLC exit 150), which TLC prints as a dump of a dozen
//! lines, shortened to what a person acts on: `file:line:col: reason`, the file being the
//! user's own module (not flashcheck's copy of it), plus how many more errors there were.
//!
//! Shapes read (TLC 2.20):
//! - parse error: `***Parse Error***` then `Encountered "X" at line L, column C and token "Y"`
//!   and, further down, `Fatal errors while parsing TLA+ spec in file M`;
//! - lexical error: `Lexical error at line L, column C.  Encountered: …` with the same file
//!   line;
//! - a missing module: `Cannot find source file for module X imported in module Y.`;
//! - semantic errors: `*** Errors: N`, then per error a location
//!   `line L, col C to line L2, col C2 of module M` and the reason on the next text line.
//!
//! Anything else is left as the engine said it, on one line.

use std::path::{Path, PathBuf};

/// One line for SANY's `message`: `file:line:col: reason`. `spec` is the user's spec (its
/// directory holds the modules it extends) and `libs` the library directories, used to
/// name the file a module came from.
pub fn concise(message: &str, spec: &Path, libs: &[PathBuf]) -> String {
    let lines: Vec<&str> = message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if let Some(one) = parse_error(&lines, spec, libs)
        .or_else(|| missing_module(&lines, spec, libs))
        .or_else(|| semantic(&lines, spec, libs))
    {
        return one;
    }
    const NOISE: &[&str] = &[
        "Residual stack trace",
        "Fatal errors while parsing",
        "tla2sany.semantic.AbortException",
        "*** Abort messages",
        "Unknown location",
        "Parsing or semantic analysis failed",
    ];
    let kept: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| !NOISE.iter().any(|n| l.starts_with(n)) && !l.contains(" starting at line "))
        .take(2)
        .collect();
    if kept.is_empty() {
        "SANY printed no error message".into()
    } else {
        kept.join("; ")
    }
}

/// The file holding module `module`.
fn module_file(module: &str, spec: &Path, libs: &[PathBuf]) -> String {
    let name = format!("{module}.tla");
    let spec_dir = spec.parent().unwrap_or(Path::new(""));
    std::iter::once(spec_dir)
        .chain(libs.iter().map(PathBuf::as_path))
        .map(|d| d.join(&name))
        .find(|p| p.is_file())
        .map_or(name, |p| p.display().to_string())
}

/// `Cannot find source file for module X imported in module Y.`
fn missing_module(lines: &[&str], spec: &Path, libs: &[PathBuf]) -> Option<String> {
    let rest = lines
        .iter()
        .find_map(|l| l.strip_prefix("Cannot find source file for module "))?;
    let (missing, importer) = rest
        .trim_end_matches('.')
        .split_once(" imported in module ")?;
    Some(format!(
        "{}: module {missing} not found beside the spec{}; a library module needs --lib DIR",
        module_file(importer.trim(), spec, libs),
        if libs.is_empty() {
            String::new()
        } else {
            " or in the --lib directories".to_string()
        }
    ))
}

/// `Encountered … at line L, column C …` or `Lexical error at line L, column C. …`.
fn parse_error(lines: &[&str], spec: &Path, libs: &[PathBuf]) -> Option<String> {
    let (at, line) = lines.iter().enumerate().find(|(_, l)| {
        (l.starts_with("Encountered ") || l.starts_with("Lexical error")) && l.contains(" line ")
    })?;
    let (row, col, rest) = line_column(line)?;
    let module = lines[at..]
        .iter()
        .find_map(|l| l.strip_prefix("In module "))
        .or_else(|| {
            lines[at..]
                .iter()
                .find_map(|l| l.strip_prefix("Fatal errors while parsing TLA+ spec in file "))
        })
        .map(|m| m.trim().to_string())
        .or_else(|| spec.file_stem().map(|s| s.to_string_lossy().into_owned()))?;
    let reason = format!("{}{}", rest.0, rest.1)
        .replace("  ", " ")
        .trim()
        .trim_end_matches('.')
        .to_string();
    Some(format!(
        "{}:{row}:{col}: parse error: {reason}",
        module_file(&module, spec, libs)
    ))
}

/// Split `… at line L, column C…` into (L, C, (text before, text after)).
fn line_column(text: &str) -> Option<(u32, u32, (String, String))> {
    let idx = text.find(" at line ")?;
    let after = &text[idx + " at line ".len()..];
    let (row, after) = after.split_once(", column ")?;
    let digits = after.chars().take_while(char::is_ascii_digit).count();
    let col = after[..digits].parse().ok()?;
    let tail = after[digits..].trim_start_matches('.').to_string();
    Some((
        row.trim().parse().ok()?,
        col,
        (text[..idx].to_string(), tail),
    ))
}

/// `line L, col C to line L2, col C2 of module M` followed by the reason.
fn semantic(lines: &[&str], spec: &Path, libs: &[PathBuf]) -> Option<String> {
    let total: usize = lines
        .iter()
        .find_map(|l| l.strip_prefix("*** Errors:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(1);
    let (at, location) = lines
        .iter()
        .enumerate()
        .find(|(_, l)| l.starts_with("line ") && l.contains(" of module "))?;
    let words: Vec<&str> = location.split_whitespace().collect();
    // line L, col C to line L2, col C2 of module M
    let row = words.get(1)?.trim_end_matches(',');
    let col = words.get(3)?;
    let module = words.last()?;
    let reason = lines
        .get(at + 1)
        .map_or("semantic error", |l| l.trim_end_matches('.'));
    let more = match total.saturating_sub(1) {
        0 => String::new(),
        1 => " (and 1 more error)".into(),
        n => format!(" (and {n} more errors)"),
    };
    Some(format!(
        "{}:{row}:{col}: {reason}{more}",
        module_file(module, spec, libs)
    ))
}
