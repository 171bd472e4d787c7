//! flashcheck's own TLA+ spec suite (`tests/tla_suite/`, written for flashcheck): one small
//! spec per TLC cfg construct and per shape that matters, run through `flashcheck tla --spec
//! … --config … --json` with TLC (when a jar is found) and with tla-checker (always).
//!
//! TLC's figures below were recorded on 2026-12-01 with TLC 2.20 (`tla2tools.jar` v1.8.0 at
//! `~/.cache/flashcheck/tla2tools.jar`), running the jar directly, not through flashcheck:
//!
//! ```text
//! cd tests/tla_suite && java -XX:+UseParallelGC [-DTLA-Library=$PWD/lib] -cp tla2tools.jar \
//!     tlc2.TLC -workers 1 -noGenerateSpecTE -cleanup -config CFG.cfg SPEC.tla
//! ```
//!
//! and reading "G states generated, D distinct states found" and "The depth of the complete
//! state graph search is N". For a cfg whose run stops at a violation, the complete counts
//! come from the same command on the cfg without the violated property (Constrained without
//! `NotBoth`: 28/57/7; InitNext without `Diagonal`: 9/13/5; Temporal without `StaysDone`:
//! 5/6/5). tla-checker must find the same distinct states, depth and verdicts, and TLC's
//! generated count minus the one initial state (it does not count initial states), or refuse
//! the cfg with exit 2 where it cannot check what the cfg says (pinned below).
//!
//! Without a jar the TLC half prints `TLC spec suite skipped: <why>` straight to the test
//! process's stderr (not through the captured `println!`), so it shows in `cargo test`.

#[path = "support/tlc.rs"]
mod tlc;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn suite() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tla_suite")
}

/// What tla-checker does with a case.
#[derive(Clone, Copy)]
enum Checker {
    /// The same counts and verdicts as TLC.
    Agrees,
    /// Exit 2, the one line containing this text.
    Refuses(&'static str),
}

struct Case {
    spec: &'static str,
    cfg: &'static str,
    lib: bool,
    /// TLC's distinct states, generated states, depth.
    tlc: (u64, u64, u64),
    verdicts: &'static [(&'static str, &'static str)],
    exit: i32,
    checker: Checker,
}

const CASES: &[Case] = &[
    // CONSTANT Step <- TwoStep
    Case {
        spec: "Substitution",
        cfg: "Substitution",
        lib: false,
        tlc: (6, 6, 6),
        verdicts: &[("Bounded", "holds"), ("Even", "holds")],
        exit: 0,
        checker: Checker::Agrees,
    },
    // CONSTANT Cap <- [QualifiedInner] SmallCap (without it: 101 states)
    Case {
        spec: "Qualified",
        cfg: "Qualified",
        lib: false,
        tlc: (4, 4, 4),
        verdicts: &[("UnderCap", "holds")],
        exit: 0,
        checker: Checker::Refuses("into another module is not supported"),
    },
    // CONSTRAINT, and an invariant violated inside the constrained space
    Case {
        spec: "Constrained",
        cfg: "Constrained",
        lib: false,
        tlc: (28, 57, 7),
        verdicts: &[("deadlock_free", "holds"), ("NotBoth", "violated")],
        exit: 1,
        checker: Checker::Agrees,
    },
    // ACTION_CONSTRAINT
    Case {
        spec: "ActionConstrained",
        cfg: "ActionConstrained",
        lib: false,
        tlc: (13, 21, 7),
        verdicts: &[("TypeOK", "holds")],
        exit: 0,
        checker: Checker::Refuses("ACTION_CONSTRAINT 'Alternate'"),
    },
    // SYMMETRY Permutations(Procs) (without it: 8 states)
    Case {
        spec: "Symmetric",
        cfg: "Symmetric",
        lib: false,
        tlc: (4, 7, 4),
        verdicts: &[("TypeOK", "holds")],
        exit: 0,
        checker: Checker::Agrees,
    },
    // VIEW (without it the spec is unbounded)
    Case {
        spec: "Viewed",
        cfg: "Viewed",
        lib: false,
        tlc: (3, 4, 3),
        verdicts: &[("deadlock_free", "holds"), ("Colour", "holds")],
        exit: 0,
        checker: Checker::Agrees,
    },
    // CHECK_DEADLOCK FALSE
    Case {
        spec: "Deadlocking",
        cfg: "Deadlocking",
        lib: false,
        tlc: (4, 4, 4),
        verdicts: &[("TypeOK", "holds")],
        exit: 0,
        checker: Checker::Agrees,
    },
    // CHECK_DEADLOCK TRUE
    Case {
        spec: "Deadlocking",
        cfg: "DeadlockingChecked",
        lib: false,
        tlc: (4, 4, 4),
        verdicts: &[("deadlock_free", "violated"), ("TypeOK", "holds")],
        exit: 1,
        checker: Checker::Agrees,
    },
    // POSTCONDITION true
    Case {
        spec: "Post",
        cfg: "Post",
        lib: false,
        tlc: (5, 5, 5),
        verdicts: &[("FiveStates", "holds")],
        exit: 0,
        checker: Checker::Refuses("POSTCONDITION 'FiveStates'"),
    },
    // POSTCONDITION false (TLC exits 10 after a complete search)
    Case {
        spec: "Post",
        cfg: "PostFalse",
        lib: false,
        tlc: (5, 5, 5),
        verdicts: &[("SixStates", "violated")],
        exit: 1,
        checker: Checker::Refuses("POSTCONDITION 'SixStates'"),
    },
    // INIT / NEXT
    Case {
        spec: "InitNext",
        cfg: "InitNext",
        lib: false,
        tlc: (9, 13, 5),
        verdicts: &[("TypeOK", "holds"), ("Diagonal", "violated")],
        exit: 1,
        checker: Checker::Agrees,
    },
    // Several temporal properties, one violated
    Case {
        spec: "Temporal",
        cfg: "Temporal",
        lib: false,
        tlc: (5, 6, 5),
        verdicts: &[
            ("deadlock_free", "holds"),
            ("TypeOK", "holds"),
            ("ReachesThree", "holds"),
            ("KeepsRunning", "holds"),
            ("StaysDone", "violated"),
        ],
        exit: 1,
        checker: Checker::Agrees,
    },
    // A library module found through --lib
    Case {
        spec: "WithLib",
        cfg: "WithLib",
        lib: true,
        tlc: (6, 13, 4),
        verdicts: &[("deadlock_free", "holds"), ("InRange", "holds")],
        exit: 0,
        checker: Checker::Agrees,
    },
];

/// `flashcheck tla --spec … --config … --engine ENGINE --json EXTRA…` in the suite directory:
/// (exit code, stdout, stderr).
fn flashcheck(engine: &[&str], case: &str, cfg: &str, extra: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_flashcheck"))
        .current_dir(suite())
        .args(["tla", "--spec", &format!("{case}.tla")])
        .args(["--config", &format!("{cfg}.cfg"), "--json"])
        .args(engine)
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn verdicts(report: &Value) -> Vec<(String, String)> {
    report["properties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["verdict"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn expected(case: &Case) -> Vec<(String, String)> {
    case.verdicts
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

fn lib_args(case: &Case) -> Vec<&'static str> {
    if case.lib {
        vec!["--lib", "lib"]
    } else {
        Vec::new()
    }
}

#[test]
fn suite_with_tlc_matches_the_recorded_tlc_runs() {
    let Some(jar) = tlc::jar("TLC spec suite") else {
        return;
    };
    let jar = jar.display().to_string();
    for case in CASES {
        let engine = ["--engine", "tlc", "--tla2tools", jar.as_str()];
        let (code, out, err) = flashcheck(&engine, case.spec, case.cfg, &lib_args(case));
        let what = format!("{}.cfg with TLC: {err}", case.cfg);
        assert_eq!(code, case.exit, "{what}");
        let r: Value = serde_json::from_str(&out).expect(&what);
        assert_eq!(r["engine"], "tlc", "{what}");
        assert_eq!(r["complete"], true, "{what}");
        let counts = (
            r["distinct_states"].as_u64().unwrap(),
            r["generated_states"].as_u64().unwrap(),
            r["depth"].as_u64().unwrap(),
        );
        assert_eq!(counts, case.tlc, "{what}");
        assert_eq!(verdicts(&r), expected(case), "{what}");
    }
}

#[cfg(feature = "tla-checker")]
#[test]
fn suite_with_tla_checker_agrees_with_tlc_or_refuses_in_one_line() {
    for case in CASES {
        let engine = ["--engine", "tla-checker"];
        let (code, out, err) = flashcheck(&engine, case.spec, case.cfg, &lib_args(case));
        let what = format!("{}.cfg with tla-checker: {err}", case.cfg);
        match case.checker {
            Checker::Refuses(reason) => {
                assert_eq!(code, 2, "{what}");
                assert!(out.is_empty(), "{what}: {out}");
                assert_eq!(err.lines().count(), 1, "{what}");
                assert!(err.contains(reason), "{what}");
            }
            Checker::Agrees => {
                assert_eq!(code, case.exit, "{what}");
                let r: Value = serde_json::from_str(&out).expect(&what);
                assert_eq!(r["engine"], "tla-checker", "{what}");
                assert_eq!(r["complete"], true, "{what}");
                let (distinct, generated, depth) = case.tlc;
                assert_eq!(r["distinct_states"], distinct, "{what}");
                assert_eq!(r["depth"], depth, "{what}");
                assert_eq!(r["generated_states"], generated - 1, "{what}");
                assert_eq!(verdicts(&r), expected(case), "{what}");
            }
        }
    }
}

/// The generated cfgs of a `--keep` run.
fn runs_kept(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .filter(|e| {
            let name = e.as_ref().unwrap().file_name();
            let name = name.to_string_lossy();
            name.starts_with("run") && name.ends_with(".cfg")
        })
        .count()
}

#[test]
fn tlc_checks_every_property_in_one_run_and_reruns_only_to_name_a_temporal_violation() {
    let Some(jar) = tlc::jar("TLC spec suite") else {
        return;
    };
    let jar = jar.display().to_string();
    let engine = ["--engine", "tlc", "--tla2tools", jar.as_str()];
    // Everything holds: one run, whatever the number of properties.
    let keep = tempfile::tempdir().unwrap();
    let keep_arg = keep.path().display().to_string();
    let (code, _, err) = flashcheck(
        &engine,
        "Substitution",
        "Substitution",
        &["--keep", &keep_arg],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(runs_kept(keep.path()), 1);
    let run1 = std::fs::read_to_string(keep.path().join("run1.cfg")).unwrap();
    assert!(
        run1.contains("Step <- TwoStep"),
        "the user's cfg as written: {run1}"
    );
    assert!(run1.contains("INVARIANT Bounded") && run1.contains("INVARIANT Even"));
    // One of three temporal properties violated, the last: the run that found it, one run
    // for each of the other two (both hold, so the last is the violated one), and the run
    // finishing the invariants and deadlock.
    let keep = tempfile::tempdir().unwrap();
    let keep_arg = keep.path().display().to_string();
    let (code, out, err) = flashcheck(&engine, "Temporal", "Temporal", &["--keep", &keep_arg]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(runs_kept(keep.path()), 4);
    let r: Value = serde_json::from_str(&out).unwrap();
    let stays = &r["properties"][4];
    assert_eq!(stays["name"], "StaysDone");
    let lasso = stays["counterexample"].as_array().unwrap();
    let start = stays["cycle_start"].as_u64().unwrap() as usize;
    assert!(
        lasso[start..].iter().any(|s| s["state"]["phase"] == "run"),
        "the cycle leaves phase done: {lasso:?}"
    );
}

#[cfg(feature = "tla-checker")]
#[test]
fn tla_checker_names_the_violated_temporal_property_without_extra_runs() {
    let keep = tempfile::tempdir().unwrap();
    let keep_arg = keep.path().display().to_string();
    let engine = ["--engine", "tla-checker"];
    let (code, _, err) = flashcheck(&engine, "Temporal", "Temporal", &["--keep", &keep_arg]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(runs_kept(keep.path()), 2);
}

/// An unbounded spec: exit 3, incomplete, every property unknown, the engine's counts so far.
fn assert_stopped(code: i32, out: &str, err: &str, limit: &str) {
    assert_eq!(code, 3, "{err}");
    let r: Value = serde_json::from_str(out).unwrap();
    assert_eq!(r["complete"], false);
    assert!(r["distinct_states"].as_u64().unwrap() > 0, "{out}");
    for p in r["properties"].as_array().unwrap() {
        assert_eq!(p["verdict"], "unknown", "{out}");
        assert!(p["note"].as_str().unwrap().contains(limit), "{out}");
    }
}

#[test]
fn unbounded_spec_is_stopped_by_max_states_and_timeout_with_tlc() {
    let Some(jar) = tlc::jar("TLC spec suite") else {
        return;
    };
    let jar = jar.display().to_string();
    let engine = ["--engine", "tlc", "--tla2tools", jar.as_str()];
    let (code, out, err) = flashcheck(&engine, "Unbounded", "Unbounded", &["--max-states", "500"]);
    assert_stopped(code, &out, &err, "state limit");
    let r: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["distinct_states"], 500);
    let (code, out, err) = flashcheck(&engine, "Unbounded", "Unbounded", &["--timeout", "4"]);
    assert_stopped(code, &out, &err, "time limit");
}

#[cfg(feature = "tla-checker")]
#[test]
fn unbounded_spec_is_stopped_by_max_states_and_timeout_with_tla_checker() {
    let engine = ["--engine", "tla-checker"];
    let (code, out, err) = flashcheck(&engine, "Unbounded", "Unbounded", &["--max-states", "500"]);
    assert_stopped(code, &out, &err, "state limit");
    let (code, out, err) = flashcheck(&engine, "Unbounded", "Unbounded", &["--timeout", "2"]);
    assert_stopped(code, &out, &err, "time limit");
}

#[cfg(feature = "tla-checker")]
#[test]
fn tla_checker_over_max_memory_stops_with_exit_3_and_its_counts_so_far() {
    let engine = ["--engine", "tla-checker"];
    let started = std::time::Instant::now();
    let (code, out, err) = flashcheck(
        &engine,
        "Hungry",
        "Hungry",
        &["--max-memory", "150M", "--timeout", "120"],
    );
    assert_stopped(code, &out, &err, "memory limit");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(110),
        "stopped by memory, not time"
    );
}

#[test]
fn a_library_module_without_lib_is_one_line_naming_the_module() {
    let mut engines: Vec<Vec<String>> = vec![vec!["--engine".into(), "tla-checker".into()]];
    if let Some(jar) = tlc::jar("TLC spec suite") {
        engines.push(vec![
            "--engine".into(),
            "tlc".into(),
            "--tla2tools".into(),
            jar.display().to_string(),
        ]);
    }
    for engine in engines {
        let engine: Vec<&str> = engine.iter().map(String::as_str).collect();
        let (code, out, err) = flashcheck(&engine, "WithLib", "WithLib", &[]);
        assert_eq!(code, 2, "{engine:?}: {err}");
        assert!(out.is_empty());
        assert_eq!(err.lines().count(), 1, "{engine:?}: {err}");
        assert!(err.contains("SuiteLib"), "{engine:?}: {err}");
    }
}
