//! The workspace's boundaries, checked from the files: the reference implementation and its
//! executors cannot see the models (their crate does not depend on them, so the compiler
//! refuses an import), and clap stays in the command line (`src/cli`, `src/commands`,
//! `src/main.rs`).

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every dependency name a Cargo.toml declares, in any dependency table.
fn dependencies(manifest: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(manifest).unwrap();
    let doc: toml::Table = toml::from_str(&text).unwrap();
    let mut names = Vec::new();
    for table in ["dependencies", "dev-dependencies", "build-dependencies"] {
        if let Some(t) = doc.get(table).and_then(|v| v.as_table()) {
            names.extend(t.keys().cloned());
        }
    }
    names
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn the_reference_and_the_specs_cannot_import_the_models() {
    for krate in ["crates/reference", "crates/specs"] {
        let deps = dependencies(&root().join(krate).join("Cargo.toml"));
        for forbidden in ["flashcheck", "flashcheck-models"] {
            assert!(
                !deps.iter().any(|d| d == forbidden),
                "{krate} depends on {forbidden}: {deps:?}"
            );
        }
    }
    // The executors live in the reference crate, not in the binary's library.
    assert!(root().join("crates/reference/src/exec/mod.rs").is_file());
    assert!(!root().join("src/exec").exists());
    assert!(!root().join("src/reference").exists());
}

#[test]
fn clap_appears_only_in_the_command_line() {
    let mut files = Vec::new();
    for dir in ["src", "crates", "models"] {
        rust_files(&root().join(dir), &mut files);
    }
    let allowed = [
        root().join("src/cli"),
        root().join("src/commands"),
        root().join("src/main.rs"),
    ];
    let offenders: Vec<String> = files
        .iter()
        .filter(|f| !allowed.iter().any(|a| f.starts_with(a)))
        .filter(|f| {
            std::fs::read_to_string(f)
                .unwrap()
                .lines()
                .any(|l| !l.trim_start().starts_with("//") && l.contains("clap::"))
        })
        .map(|f| f.strip_prefix(root()).unwrap().display().to_string())
        .collect();
    assert!(
        offenders.is_empty(),
        "clap outside the command line: {offenders:?}"
    );
    for krate in ["crates/reference", "crates/specs", "models"] {
        let deps = dependencies(&root().join(krate).join("Cargo.toml"));
        assert!(!deps.iter().any(|d| d == "clap"), "{krate} depends on clap");
    }
}
