//! The README's exit-code table, command by command: every code a command can end in, from
//! one small invocation each (0 expected properties and claims hold, 1 a property violated
//! or a claim refuted, 2 bad input or a missing tool, 3 a limit stopped the work or
//! something could not be decided). Codes a command cannot reach from the command line are
//! listed in `UNREACHABLE` with the reason, so the table below is the whole story.

use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_flashcheck");

/// (command, code) pairs no invocation can produce, and why.
const UNREACHABLE: &[(&str, i32, &str)] = &[
    (
        "cross",
        1,
        "port and twin both come from the built-in model: a disagreement needs a broken twin (twin::compare's tests)",
    ),
    ("traces", 1, "writes traces; checks nothing"),
    ("traces", 3, "no limit to hit"),
    ("hw", 1, "prints the topology; checks nothing"),
    ("hw", 3, "no limit to hit"),
    ("cluster manifest", 1, "prints a manifest; checks nothing"),
    ("cluster manifest", 3, "no limit to hit"),
    ("lincheck", 3, "the search always finishes (no limit option)"),
    ("replay", 3, "no limit option; a run that cannot finish is exit 2"),
    ("audit", 3, "every undecided claim is a reported verdict, not a stop"),
];

fn run(args: &[&str], dir: &Path) -> (i32, String) {
    let out = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env_remove("TLA2TOOLS_JAR")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

/// Runs every case `(code, args)` and asserts its exit code; also asserts a bad-input case
/// ends in one line on stderr.
fn assert_codes(command: &str, cases: &[(i32, &[&str])]) {
    let dir = fixtures();
    for &(code, args) in cases {
        let (got, text) = run(args, dir.path());
        assert_eq!(
            got, code,
            "{command}: {args:?} exited {got}, not {code}:\n{text}"
        );
        assert!(
            !text.contains("panicked"),
            "{command}: {args:?} panicked:\n{text}"
        );
        assert!(
            !UNREACHABLE
                .iter()
                .any(|&(c, k, _)| c == command && k == code),
            "{command} {code} is listed as unreachable"
        );
    }
}

/// A directory with the small files the cases name.
fn fixtures() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::write(p.join("doc.md"), "Stock is 100 units.\n").unwrap();
    for (name, body) in [
        ("holds.toml", "expr = \"1 < 2\""),
        ("refuted.toml", "expr = \"2 < 1\""),
        ("unknown.toml", "unknown = \"nothing to compute\""),
    ] {
        std::fs::write(
            p.join(name),
            format!(
                "[[claim]]\nid = \"c1\"\nsection = \"1\"\nline = 1\ntext = \"Stock is 100 units.\"\n{body}\n"
            ),
        )
        .unwrap();
    }
    std::fs::write(
        p.join("good.txt"),
        "0 :invoke :write 1\n0 :ok :write 1\n1 :invoke :read nil\n1 :ok :read 1\n",
    )
    .unwrap();
    std::fs::write(
        p.join("stale.txt"),
        "0 :invoke :write 1\n0 :ok :write 1\n1 :invoke :read nil\n1 :ok :read 0\n",
    )
    .unwrap();
    std::fs::write(p.join("garbage.txt"), "this is not a history\n").unwrap();
    std::fs::write(p.join("a-file"), "").unwrap();
    dir
}

#[test]
fn check() {
    assert_codes(
        "check",
        &[
            (0, &["check", "inventory"]),
            (
                1,
                &["check", "inventory", "-c", "Deduction=read_then_write"],
            ),
            (2, &["check", "inventory", "-c", "Users=abc"]),
            (3, &["check", "inventory", "--max-states", "10"]),
        ],
    );
}

#[test]
fn tla() {
    assert_codes(
        "tla",
        &[
            (0, &["tla", "inventory", "--engine", "tla-checker"]),
            (
                1,
                &[
                    "tla",
                    "inventory",
                    "-c",
                    "Deduction=read_then_write",
                    "--engine",
                    "tla-checker",
                ],
            ),
            (
                2,
                &["tla", "--spec", "missing.tla", "--engine", "tla-checker"],
            ),
            (
                2,
                &[
                    "tla",
                    "inventory",
                    "--tla2tools",
                    "/nonexistent/tla2tools.jar",
                ],
            ),
            (
                3,
                &[
                    "tla",
                    "inventory",
                    "--engine",
                    "tla-checker",
                    "--max-states",
                    "5",
                ],
            ),
        ],
    );
}

#[test]
fn cross() {
    assert_codes(
        "cross",
        &[
            (0, &["cross", "inventory", "--engine", "tla-checker"]),
            (2, &["cross", "inventory", "-c", "Stock=-1"]),
            (
                3,
                &[
                    "cross",
                    "inventory",
                    "--engine",
                    "tla-checker",
                    "--max-states",
                    "5",
                ],
            ),
        ],
    );
}

#[test]
fn traces() {
    assert_codes(
        "traces",
        &[
            (0, &["traces", "inventory", "--count", "2", "--out", "t"]),
            (2, &["traces", "inventory", "--out", "a-file"]),
        ],
    );
}

#[test]
fn replay() {
    assert_codes(
        "replay",
        &[
            (0, &["replay", "inventory", "--generate", "5"]),
            (2, &["replay", "inventory", "--generate", "0"]),
            (2, &["replay", "inventory", "--traces", "missing-dir"]),
        ],
    );
}

#[test]
fn arith() {
    let claims = |file: &'static str| -> [&'static str; 8] {
        [
            "arith",
            "claims",
            "--spec",
            concat!(env!("CARGO_MANIFEST_DIR"), "/specs/double11.toml"),
            "--claims",
            file,
            "--document",
            "doc.md",
        ]
    };
    assert_codes(
        "arith",
        &[
            (0, &claims("holds.toml")),
            (1, &claims("refuted.toml")),
            (2, &claims("missing.toml")),
            (3, &claims("unknown.toml")),
        ],
    );
}

#[test]
fn lincheck() {
    assert_codes(
        "lincheck",
        &[
            (
                0,
                &["lincheck", "--model", "register", "--history", "good.txt"],
            ),
            (
                1,
                &["lincheck", "--model", "register", "--history", "stale.txt"],
            ),
            (
                2,
                &[
                    "lincheck",
                    "--model",
                    "register",
                    "--history",
                    "garbage.txt",
                ],
            ),
        ],
    );
}

#[test]
fn hw_cluster_manifest_audit_bench_and_explore() {
    assert_codes("hw", &[(0, &["hw"]), (2, &["hw", "--no-such-flag"])]);
    assert_codes(
        "cluster manifest",
        &[
            (
                0,
                &[
                    "cluster",
                    "manifest",
                    "--processes",
                    "2",
                    "--threads",
                    "1",
                    "--memory",
                    "1Gi",
                    "--",
                    "check",
                    "inventory",
                ],
            ),
            (
                2,
                &[
                    "cluster",
                    "manifest",
                    "--processes",
                    "0",
                    "--threads",
                    "1",
                    "--memory",
                    "1Gi",
                    "--",
                    "check",
                    "inventory",
                ],
            ),
        ],
    );
    // 0 and 1 of the audit take a whole audit each: tests/audit_cli.rs (0: a scenario that
    // meets every expectation; 1: a one-step saga, on which a configuration misses its
    // expectation).
    assert_codes("audit", &[(2, &["audit", "--out", "a-file"])]);
    assert_codes("bench", &[(2, &["bench", "--repeat", "0"])]);
    assert_codes(
        "explore",
        &[(2, &["explore", "inventory", "-c", "Users=abc"])],
    );
}

#[test]
fn the_readme_table_is_the_one_main_applies() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    for row in [
        "| 0 | every expected property and claim holds |",
        "| 1 | a property is violated or a claim refuted |",
        "| 2 | bad input or a missing tool (one line on stderr) |",
        "| 3 | a limit stopped the work, or something could not be decided (`unknown`) |",
    ] {
        assert!(readme.contains(row), "README lacks the row {row}");
    }
    for (command, code, why) in UNREACHABLE {
        assert!(!why.is_empty(), "{command} {code}");
    }
}
