//! `flashcheck cluster manifest` (issue #11, item 5): the Service and Indexed Job it prints are
//! snapshot-tested, validated against the Kubernetes schemas by PyPI's `kubernetes-validate`
//! (offline; installed by `scripts/setup`), and bad input is exit 2 with one line.

#[path = "support/skip.rs"]
mod skip;

use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_flashcheck");

fn manifest(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(["cluster", "manifest"])
        .args(args)
        .output()
        .unwrap()
}

const EXAMPLE: &[&str] = &[
    "--processes",
    "4",
    "--threads",
    "2",
    "--memory",
    "8Gi",
    "--image",
    "registry.example/flashcheck:0.1",
    "--",
    "check",
    "inventory",
    "-c",
    "Users=11",
    "-c",
    "Stock=6",
    "--safety-only",
    "--json",
];

fn example() -> String {
    let out = manifest(EXAMPLE);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn manifest_snapshot() {
    let text = example();
    for needle in [
        "completionMode: Indexed",
        "completions: 4",
        "parallelism: 4",
        "backoffLimit: 0",
        "activeDeadlineSeconds: ",
        "clusterIP: None",
        "subdomain: flashcheck",
        "--process \"$JOB_COMPLETION_INDEX\"",
    ] {
        assert!(text.contains(needle), "{needle} missing");
    }
    insta::assert_snapshot!(text);
}

/// `kubernetes-validate` as a command: its script, or the module through python3.
fn validator() -> Option<Command> {
    let works = |mut c: Command| {
        c.arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
            .then_some(())
    };
    if works(Command::new("kubernetes-validate")).is_some() {
        return Some(Command::new("kubernetes-validate"));
    }
    let mut module = Command::new("python3");
    module.args(["-m", "kubernetes_validate"]);
    works(module).map(|_| {
        let mut c = Command::new("python3");
        c.args(["-m", "kubernetes_validate"]);
        c
    })
}

/// Validates `file` strictly (unknown fields are errors) against Kubernetes 1.30's schemas.
fn validate(mut validator: Command, file: &Path) -> Output {
    validator
        .args(["--strict", "--kubernetes-version", "1.30.0"])
        .arg(file)
        .output()
        .unwrap()
}

#[test]
fn manifest_passes_the_kubernetes_schemas() {
    let Some(_) = validator() else {
        skip::skip_unless_ci(
            "cluster manifest schema validation",
            "kubernetes-validate not found (pip install kubernetes-validate, or run scripts/setup)",
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.yaml");
    std::fs::write(&good, example()).unwrap();
    let out = validate(validator().unwrap(), &good);
    let said =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    assert_eq!(
        said.matches("passed").count(),
        2,
        "both objects validated: {said}"
    );

    // The validator can fail: a misspelt field is refused.
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, example().replace("backoffLimit: 0", "backofLimit: 0")).unwrap();
    let out = validate(validator().unwrap(), &bad);
    assert!(!out.status.success(), "a misspelt field passed");
}

#[test]
fn bad_manifest_input_is_exit_2_with_one_line() {
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "--processes",
                "2",
                "--threads",
                "1",
                "--memory",
                "8gb",
                "--",
                "check",
                "inventory",
            ],
            "--memory \"8gb\"",
        ),
        (
            &[
                "--processes",
                "2",
                "--threads",
                "1",
                "--memory",
                "1Gi",
                "--name",
                "Big",
                "--",
                "check",
                "inventory",
            ],
            "--name \"Big\"",
        ),
        (
            &[
                "--processes",
                "2",
                "--threads",
                "1",
                "--memory",
                "1Gi",
                "--",
                "tla",
                "inventory",
            ],
            "starting with `check`",
        ),
        (
            &[
                "--processes",
                "2",
                "--threads",
                "1",
                "--memory",
                "1Gi",
                "--",
                "check",
                "no-such-model",
            ],
            "after --:",
        ),
        (
            &[
                "--processes",
                "2",
                "--threads",
                "1",
                "--memory",
                "1Gi",
                "--",
                "check",
                "inventory",
                "--processes",
                "3",
                "--process",
                "0",
                "--hosts",
                "h",
            ],
            "leave --processes",
        ),
        (
            &[
                "--processes",
                "2",
                "--threads",
                "1",
                "--memory",
                "1Gi",
                "--",
                "check",
                "inventory",
                "--threads",
                "4",
            ],
            "give --threads to `cluster manifest`",
        ),
    ];
    for (args, expected) in cases {
        let out = manifest(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(expected), "{args:?}: {err}");
        assert!(out.stdout.is_empty());
    }
}
