//! The committed `reports/` is exactly what `flashcheck audit` writes for the built-in
//! scenario: a change in any verdict, count, counterexample or evidence file fails here until
//! the reports are regenerated (`cargo run --release -- audit`) and committed with it.
//!
//! Compared: `double11-audit.md`, `double11-audit.json`, `junit.xml` and `evidence/` except
//! `evidence/tla/` (the TLA+ engine's own output, which differs between TLC and tla-checker)
//! and the SVGs Graphviz renders from the compared `.dot` files (their layout depends on the
//! Graphviz version and fonts; flashcheck's own charts are compared).
//! The one line naming the engine is masked: without a TLC jar the audit runs tla-checker,
//! whose verdicts and state counts must agree with the Rust ports all the same.
//! `audit-timings.md` is machine-dependent and never compared.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const COMPARED_FILES: [&str; 3] = ["double11-audit.md", "double11-audit.json", "junit.xml"];

fn mask_engine(text: &str) -> String {
    text.replace("TLA+ engine: TLC.", "TLA+ engine: <engine>.")
        .replace("TLA+ engine: tla-checker.", "TLA+ engine: <engine>.")
        .replace("\"tla_engine\": \"TLC\"", "\"tla_engine\": \"<engine>\"")
        .replace(
            "\"tla_engine\": \"tla-checker\"",
            "\"tla_engine\": \"<engine>\"",
        )
}

/// Every compared file under `root`, by relative path.
fn compared(root: &Path) -> BTreeMap<PathBuf, String> {
    let mut files = BTreeMap::new();
    for name in COMPARED_FILES {
        let path = root.join(name);
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        files.insert(PathBuf::from(name), mask_engine(&text));
    }
    let mut stack = vec![root.join("evidence")];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let relative = path.strip_prefix(root).unwrap().to_path_buf();
            if relative.starts_with("evidence/tla") {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "svg")
                && path.with_extension("dot").exists()
            {
                // Rendered by Graphviz from the compared `.dot`: its layout depends on the
                // Graphviz version and fonts.
                continue;
            } else {
                let text = std::fs::read_to_string(&path).unwrap();
                files.insert(relative, text);
            }
        }
    }
    files
}

fn first_difference(committed: &str, written: &str) -> String {
    for (i, (a, b)) in committed.lines().zip(written.lines()).enumerate() {
        if a != b {
            return format!("line {}:\n  committed: {a}\n  audit:     {b}", i + 1);
        }
    }
    format!(
        "lengths differ: committed {} lines, audit {} lines",
        committed.lines().count(),
        written.lines().count()
    )
}

#[test]
fn committed_reports_are_what_audit_writes() {
    let out = tempfile::tempdir().unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_flashcheck"))
        .args(["audit", "--out"])
        .arg(out.path())
        .status()
        .unwrap();
    assert_eq!(
        status.code(),
        Some(0),
        "the audit of the built-in scenario must meet every expectation"
    );
    let committed = compared(&Path::new(env!("CARGO_MANIFEST_DIR")).join("reports"));
    let written = compared(out.path());
    let mut problems = Vec::new();
    for (path, text) in &written {
        match committed.get(path) {
            None => problems.push(format!(
                "{}: written by audit, not committed",
                path.display()
            )),
            Some(old) if old != text => problems.push(format!(
                "{}: differs; {}",
                path.display(),
                first_difference(old, text)
            )),
            Some(_) => {}
        }
    }
    for path in committed.keys().filter(|p| !written.contains_key(*p)) {
        problems.push(format!("{}: committed, no longer written", path.display()));
    }
    assert!(
        problems.is_empty(),
        "reports/ is out of date; run `cargo run --release -- audit` and commit reports/:\n{}",
        problems.join("\n")
    );
}
