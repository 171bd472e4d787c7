//! ITF between flashcheck and the real Quint (npm `@informalsystems/quint`, installed by
//! `scripts/setup` into `~/.cache/flashcheck/quint`, or `$FLASHCHECK_QUINT_DIR`): Quint's
//! simulator writes traces of `tests/quint/inventory.qnt` (the inventory model with a second
//! `nondet` binder) that `flashcheck replay` replays against the reference implementation,
//! and Quint's own ITF reader reads flashcheck's traces with sets as sets (issue 13, item 3).
//!
//! Without Quint each test prints `Quint test skipped: <why>`; under `CI=true` a missing
//! Quint fails instead.

#[path = "support/skip.rs"]
mod skip;

use assert_cmd::Command;
use std::path::{Path, PathBuf};

/// The npm project folder holding `node_modules/@informalsystems/quint`.
fn quint_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("FLASHCHECK_QUINT_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(std::env::var_os("HOME")?).join(".cache/flashcheck/quint"),
    };
    let bin = dir.join("node_modules/.bin/quint");
    let ok = bin.exists()
        && std::process::Command::new("node")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
    ok.then_some(dir)
}

fn quint_or_skip(test: &str) -> Option<PathBuf> {
    let found = quint_dir();
    if found.is_none() {
        let why = "no node_modules/.bin/quint under $FLASHCHECK_QUINT_DIR or \
                   ~/.cache/flashcheck/quint (run scripts/setup), or no node";
        skip::skip_unless_ci(&format!("Quint test {test}"), why);
    }
    found
}

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// `quint run` on the Quint inventory: `n` traces into `out`.
fn quint_traces(quint: &Path, out: &Path, n: usize, seed: u64) {
    let status = std::process::Command::new(quint.join("node_modules/.bin/quint"))
        .current_dir(out)
        .args(["run", "--backend", "typescript", "--mbt"])
        .args([
            "--max-samples",
            &n.to_string(),
            "--n-traces",
            &n.to_string(),
        ])
        .args(["--max-steps", "6", "--seed", &seed.to_string()])
        .args([
            "--invariant",
            "no_oversell",
            "--out-itf",
            "quint_{seq}.itf.json",
        ])
        .arg(repo("tests/quint/inventory.qnt"))
        .output()
        .expect("quint runs");
    assert!(
        status.status.success(),
        "quint run failed: {}{}",
        String::from_utf8_lossy(&status.stdout),
        String::from_utf8_lossy(&status.stderr)
    );
}

fn itf_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".itf.json"))
        .collect();
    files.sort();
    files
}

#[test]
fn quint_traces_with_two_binders_replay_against_the_reference_implementation() {
    let Some(quint) = quint_or_skip("quint_traces_replay") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    quint_traces(&quint, dir.path(), 8, 11);
    let files = itf_files(dir.path());
    assert_eq!(files.len(), 8, "{files:?}");
    // Quint keys nondetPicks by its binders, both `Some` at every step.
    let first: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&files[0]).unwrap()).unwrap();
    let picks = &first["states"][1]["mbt::nondetPicks"];
    assert_eq!(picks["u"]["tag"], "Some", "{picks}");
    assert_eq!(picks["v"]["tag"], "Some", "{picks}");
    for executor in ["inline", "pool"] {
        let out = Command::cargo_bin("flashcheck")
            .unwrap()
            .args(["replay", "inventory", "-c", "Users=3", "-c", "Stock=2"])
            .args(["--executor", executor, "--traces"])
            .arg(dir.path())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            stdout.contains("8 path(s)") && stdout.contains("all conform"),
            "{stdout}"
        );
    }
}

#[test]
fn a_quint_trace_that_leaves_the_model_is_refused() {
    let Some(quint) = quint_or_skip("quint_trace_leaves_the_model") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    quint_traces(&quint, dir.path(), 1, 5);
    let file = &itf_files(dir.path())[0];
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    // One more unit of stock after the first step than the model allows.
    doc["states"][1]["available"] = serde_json::json!({"#bigint": "9"});
    std::fs::write(file, doc.to_string()).unwrap();
    let out = Command::cargo_bin("flashcheck")
        .unwrap()
        .args(["replay", "inventory", "--traces"])
        .arg(file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("state 1") && stderr.contains("available"),
        "{stderr}"
    );
}

#[test]
fn quint_reads_our_sets_as_sets_and_sequences_as_lists() {
    let Some(quint) = quint_or_skip("quint_reads_our_sets") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    Command::cargo_bin("flashcheck")
        .unwrap()
        .args(["traces", "inventory-seed", "--count", "3", "--out"])
        .arg(dir.path())
        .assert()
        .success();
    let files = itf_files(dir.path());
    let out = std::process::Command::new("node")
        .arg(repo("tests/quint/read_itf.js"))
        .arg(quint.join("node_modules/@informalsystems/quint"))
        .args(&files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let kinds: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut states = 0;
    for file in &files {
        for state in kinds[file.to_str().unwrap()].as_array().unwrap() {
            states += 1;
            assert_eq!(state["orders"], "Set", "{file:?}: {state}");
            assert_eq!(state["processing"], "Set", "{file:?}: {state}");
            assert_eq!(state["pc"], "List", "{file:?}: {state}");
            assert_eq!(state["order"], "List", "{file:?}: {state}");
            assert_eq!(state["inventory"], "int", "{file:?}: {state}");
        }
    }
    assert!(states > 10, "only {states} states read");
}
