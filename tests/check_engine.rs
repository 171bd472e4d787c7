//! `flashcheck check` through the engine (issue 11): limits stop the search exactly with
//! partial results and exit 3; a complete `--safety-only` search exits 0/1, not 3; thread
//! counts past the bound and unknown engines are bad input (exit 2, one line); the report
//! states the fingerprint collision probability; `--engine stateright` runs stateright.

use serde_json::Value;

fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let out = assert_cmd::Command::cargo_bin("flashcheck")
        .unwrap()
        .arg("check")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json(args: &[&str]) -> (Option<i32>, Value) {
    let (code, out, err) = run(&[args, &["--json"]].concat());
    let value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out} {err}"));
    (code, value)
}

#[test]
fn max_states_stops_exactly_with_partial_results_on_any_thread_count() {
    for threads in ["1", "2"] {
        let (code, r) = json(&[
            "inventory",
            "-c",
            "Users=8",
            "-c",
            "Stock=5",
            "--max-states",
            "1000",
            "--threads",
            threads,
        ]);
        assert_eq!(code, Some(3), "--threads {threads}");
        assert_eq!(r["complete"], false);
        assert_eq!(r["distinct_states"], 1000, "--threads {threads}");
        let verdicts: Vec<&str> = r["properties"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["verdict"].as_str().unwrap())
            .collect();
        // nothing is violated in the first 1000 states; nothing can be claimed to hold
        assert!(verdicts.iter().all(|v| *v == "unknown"), "{verdicts:?}");
    }
    // A limit larger than the space changes nothing.
    let (code, r) = json(&["inventory", "--max-states", "83"]);
    assert_eq!((code, r["complete"].as_bool()), (Some(0), Some(true)));
    assert_eq!(r["distinct_states"], 83);
}

#[test]
fn a_violation_found_before_the_limit_is_reported_with_its_path() {
    let (code, r) = json(&[
        "inventory",
        "-c",
        "Users=5",
        "-c",
        "Stock=3",
        "-c",
        "Deduction=read_then_write",
        "--max-states",
        "2000",
        "--safety-only",
    ]);
    assert_eq!(code, Some(1));
    assert_eq!(r["complete"], false);
    let violated: Vec<&Value> = r["properties"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["verdict"] == "violated")
        .collect();
    assert!(!violated.is_empty());
    for p in violated {
        assert!(p["counterexample"].as_array().unwrap().len() > 1, "{p}");
    }
}

#[test]
fn a_timeout_ends_in_exit_3() {
    let (code, r) = json(&[
        "inventory",
        "-c",
        "Users=9",
        "-c",
        "Stock=5",
        "--timeout",
        "0",
    ]);
    assert_eq!(code, Some(3));
    assert_eq!(r["complete"], false);
}

#[test]
fn a_complete_safety_only_search_exits_0_or_1() {
    let (code, out, _) = run(&["inventory", "--safety-only"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("liveness not checked (--safety-only)"),
        "{out}"
    );
    let (code, _, _) = run(&[
        "inventory",
        "-c",
        "Deduction=read_then_write",
        "--safety-only",
    ]);
    assert_eq!(code, Some(1));
}

#[test]
fn the_report_states_the_collision_probability() {
    let (_, r) = json(&["inventory"]);
    let p = r["fingerprint_collision_probability"].as_f64().unwrap();
    assert!(p > 0.0 && p < 1e-12, "{p}");
    let (_, out, _) = run(&["inventory"]);
    assert!(out.contains("fingerprint collision probability: "), "{out}");
}

#[test]
fn too_many_threads_and_unknown_engines_are_bad_input() {
    let (code, _, err) = run(&["inventory", "--threads", "100000"]);
    assert_eq!(code, Some(2));
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("--threads 100000: at most"), "{err}");
    let (code, _, _) = run(&["inventory", "--engine", "tlc"]);
    assert_eq!(code, Some(2));
}

#[test]
fn engine_stateright_runs_staterights_checker() {
    let (code, r) = json(&["inventory", "--engine", "stateright"]);
    assert_eq!(code, Some(0));
    assert_eq!(r["engine"], "stateright");
    assert_eq!(r["distinct_states"], 83);
    assert_eq!(r["fingerprint_collision_probability"], Value::Null);
    let settles = r["properties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["kind"] == "eventually")
        .unwrap();
    assert_eq!(settles["verdict"], "unknown");
}
