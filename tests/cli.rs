//! The command line as a user meets it: exit codes 0/1/2/3, one-line errors, JSON on stdout,
//! and reproduction commands that really reproduce.

use assert_cmd::Command;

fn flashcheck() -> Command {
    Command::cargo_bin("flashcheck").unwrap()
}

fn output_of(args: &[&str]) -> (i32, String, String) {
    let out = flashcheck().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn all_properties_hold_exits_0() {
    let (code, stdout, _) = output_of(&["check", "inventory"]);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("with Deduction = \"atomic\", Stock = 2, Users = 3"));
}

#[test]
fn a_violation_exits_1_and_prints_a_reproducing_command() {
    let (code, stdout, _) = output_of(&["check", "inventory", "-c", "Deduction=read_then_write"]);
    assert_eq!(code, 1);
    assert!(stdout.contains("counterexample to no_oversell (shortest, 6 steps)"));
    let command = stdout
        .lines()
        .find_map(|l| l.strip_prefix("reproduce: flashcheck "))
        .unwrap();
    let args: Vec<&str> = command.split_whitespace().collect();
    let (again, rerun, _) = output_of(&args);
    assert_eq!(again, 1);
    assert_eq!(
        rerun
            .lines()
            .filter(|l| !l.starts_with("states:"))
            .collect::<Vec<_>>(),
        stdout
            .lines()
            .filter(|l| !l.starts_with("states:"))
            .collect::<Vec<_>>()
    );
}

#[test]
fn bad_input_exits_2_with_one_line() {
    for args in [
        vec!["check", "inventory", "-c", "Users=99"],
        vec!["check", "inventory", "-c", "Deduction=optimistic"],
        vec!["check", "inventory", "-c", "Colour=red"],
        vec!["check", "inventory", "--timeout=-1"],
        vec![
            "tla",
            "inventory",
            "--engine",
            "tlc",
            "--tla2tools",
            "/nonexistent/tla2tools.jar",
        ],
        vec!["tla", "--spec", "/nonexistent/Spec.tla"],
    ] {
        let (code, stdout, stderr) = output_of(&args);
        assert_eq!(code, 2, "{args:?}: {stdout}{stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.starts_with("flashcheck: "), "{stderr}");
    }
}

#[test]
fn a_state_limit_exits_3_with_partial_results() {
    let (code, stdout, _) = output_of(&[
        "check",
        "inventory",
        "-c",
        "Users=8",
        "-c",
        "Stock=5",
        "--max-states",
        "1000",
    ]);
    assert_eq!(code, 3, "{stdout}");
    assert!(stdout.contains("INCOMPLETE"));
    assert!(stdout.contains("unknown"));
    assert!(!stdout.contains("  holds     eventually"));
}

#[test]
fn json_has_the_documented_fields() {
    let (code, stdout, _) = output_of(&["check", "inventory-seed", "--json"]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    for field in [
        "model",
        "engine",
        "constants",
        "distinct_states",
        "generated_states",
        "depth",
        "elapsed_s",
        "complete",
        "properties",
        "command",
    ] {
        assert!(v.get(field).is_some(), "missing {field}");
    }
    let fairness = v["properties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "FairnessProperty")
        .unwrap();
    assert_eq!(fairness["kind"], "eventually");
    assert_eq!(fairness["verdict"], "violated");
    assert!(fairness["cycle_start"].is_u64());
    assert_eq!(fairness["counterexample"][0]["action"], "Init");
}

#[test]
fn cross_agrees_with_tla_checker_on_every_machine() {
    let (code, stdout, _) = output_of(&[
        "cross",
        "inventory",
        "-c",
        "Deduction=read_then_write",
        "--engine",
        "tla-checker",
    ]);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("cross: AGREE — 481 distinct states"));
}

#[test]
fn a_malformed_trace_exits_2_naming_the_file_once() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.itf.json");
    std::fs::write(&file, r#"{"vars":[]}"#).unwrap();
    let (code, _, stderr) = output_of(&["replay", "breaker", "--traces", file.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("bad.itf.json: not a replayable trace: "),
        "{stderr}"
    );
    assert_eq!(stderr.matches("missing").count(), 1, "{stderr}");
}
