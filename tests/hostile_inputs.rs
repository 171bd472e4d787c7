//! Hostile and careless input (issue 13, item 4): each case ends in exit 2 with one line
//! naming the file, option or value and the reason, or in documented behaviour. Each test
//! is named after what it guards.

use assert_cmd::Command;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn flashcheck() -> Command {
    let mut c = Command::cargo_bin("flashcheck").unwrap();
    c.timeout(Duration::from_secs(120));
    c
}

/// Runs `args`; (exit code, stdout, stderr).
fn run(args: &[&str]) -> (i32, String, String) {
    run_with(flashcheck().args(args))
}

fn run_with(c: &mut Command) -> (i32, String, String) {
    let out = c.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Exit 2 and one line on stderr (clap's usage hint allowed as a second), containing every
/// `needle`.
fn assert_one_line_exit_2(result: &(i32, String, String), needles: &[&str]) {
    let (code, stdout, stderr) = result;
    assert_eq!(*code, 2, "stdout: {stdout}\nstderr: {stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(
        lines.len() == 1 || (lines.len() == 2 && !lines[1].starts_with("flashcheck:")),
        "not one line: {stderr}"
    );
    assert!(lines[0].starts_with("flashcheck: "), "{stderr}");
    for n in needles {
        assert!(lines[0].contains(n), "missing `{n}` in: {stderr}");
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
}

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path; mkfifo only creates a file system node.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
}

const SAGA: &str =
    "saga:\n  name: s\n  steps:\n    - name: a\n      service: x\n      compensation: undo_a\n";

#[test]
fn audit_out_that_is_a_file_is_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("reports.txt");
    std::fs::write(&file, "mine").unwrap();
    let r = run_with(flashcheck().args(["audit", "--quick", "--out"]).arg(&file));
    assert_one_line_exit_2(&r, &["--out", "reports.txt", "not a directory"]);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine");
}

#[test]
fn audit_out_never_deletes_files_it_did_not_write() {
    let dir = tempfile::tempdir().unwrap();
    let out = &dir.path().join("out");
    std::fs::create_dir_all(out.join("evidence/traces")).unwrap();
    std::fs::write(out.join("evidence/notes.txt"), "my notes").unwrap();
    std::fs::write(out.join("evidence/traces/mine.itf.json"), "{}").unwrap();
    std::fs::write(out.join("bench.md"), "my bench").unwrap();
    // A file an earlier audit wrote and this one does not: listed, so removed.
    std::fs::write(out.join("evidence/stale.txt"), "old").unwrap();
    std::fs::write(
        out.join(".flashcheck-audit-manifest"),
        "evidence/stale.txt\n../outside.txt\n",
    )
    .unwrap();
    // `../outside.txt` from `out`: a manifest line that reaches out is ignored.
    std::fs::write(dir.path().join("outside.txt"), "x").unwrap();
    let (code, stdout, stderr) = run_with(
        flashcheck()
            .args(["audit", "--quick", "--out"])
            .arg(out)
            .timeout(Duration::from_secs(900)),
    );
    assert!(code == 0 || code == 1, "{stdout}{stderr}");
    assert_eq!(
        std::fs::read_to_string(out.join("evidence/notes.txt")).unwrap(),
        "my notes"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("evidence/traces/mine.itf.json")).unwrap(),
        "{}"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("bench.md")).unwrap(),
        "my bench"
    );
    assert!(!out.join("evidence/stale.txt").exists());
    assert!(dir.path().join("outside.txt").exists());
    let manifest = std::fs::read_to_string(out.join(".flashcheck-audit-manifest")).unwrap();
    assert!(manifest.contains("double11-audit.md") && manifest.contains("junit.xml"));
    assert!(!manifest.contains("notes.txt") && !manifest.contains("mine.itf.json"));
    assert!(out.join("double11-audit.md").exists());
    let staging: Vec<_> = std::fs::read_dir(out)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains("staging")
        })
        .collect();
    assert!(staging.is_empty(), "staging left behind");
}

#[test]
fn tmpdir_missing_saga_replay_is_exit_2_not_a_panic() {
    let r = run_with(flashcheck().env("TMPDIR", "/nonexistent").args([
        "replay",
        "saga",
        "--generate",
        "2",
    ]));
    assert_one_line_exit_2(&r, &["TMPDIR", "/nonexistent"]);
}

#[test]
fn claim_expression_nested_5000_deep_is_refused_not_a_stack_overflow() {
    let nested = format!("{}1{}", "(".repeat(5000), ")".repeat(5000));
    let e = flashcheck::arith::expr::parse(&nested).unwrap_err();
    assert!(e.contains("nested more than"), "{e}");
    let minus = format!("{}1", "-".repeat(5000));
    assert!(flashcheck::arith::expr::parse(&minus).is_err());
    let chain = vec!["1"; 4000].join(" + ");
    let e = flashcheck::arith::expr::parse(&chain).unwrap_err();
    assert!(e.contains("operators deep"), "{e}");
    let e = flashcheck::arith::expr::parse("1e999999999 > 1").unwrap_err();
    assert!(e.contains("exponent"), "{e}");
    // Within the bounds, nesting still parses.
    let ok = format!("{}1{} > 0", "(".repeat(60), ")".repeat(60));
    assert!(flashcheck::arith::expr::parse(&ok).is_ok());
}

#[test]
fn check_saga_reproduce_line_keeps_saga() {
    let dir = tempfile::tempdir().unwrap();
    let saga = dir.path().join("mine.saga.yaml");
    std::fs::write(&saga, SAGA).unwrap();
    let (code, stdout, stderr) = run_with(
        flashcheck()
            .args(["check", "saga-seed", "--saga"])
            .arg(&saga),
    );
    assert!(code == 0 || code == 1, "{stderr}");
    let line = stdout
        .lines()
        .find(|l| l.contains("reproduce: flashcheck check saga-seed"))
        .unwrap_or_else(|| panic!("no reproduce line: {stdout}"));
    assert!(
        line.contains(&format!("--saga {}", saga.display())),
        "{line}"
    );
}

#[test]
fn fifo_as_saga_is_refused_not_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("saga.yaml");
    mkfifo(&fifo);
    let r = run_with(flashcheck().args(["check", "saga", "--saga"]).arg(&fifo));
    assert_one_line_exit_2(&r, &["saga.yaml", "FIFO"]);
}

#[test]
fn dev_zero_as_saga_is_refused_not_read_forever() {
    let r = run(&["check", "saga", "--saga", "/dev/zero"]);
    assert_one_line_exit_2(&r, &["/dev/zero", "character device"]);
}

#[test]
fn fifo_in_specs_dir_is_refused_not_blocking() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "claims.toml",
        "behaviour.toml",
        "create_order.saga.yaml",
        "breaker.toml",
    ] {
        std::fs::copy(repo("specs").join(name), dir.path().join(name)).unwrap();
    }
    mkfifo(&dir.path().join("double11.toml"));
    let out = tempfile::tempdir().unwrap();
    let r = run_with(
        flashcheck()
            .args(["audit", "--quick", "--specs"])
            .arg(dir.path())
            .arg("--out")
            .arg(out.path()),
    );
    assert_one_line_exit_2(&r, &["double11.toml", "FIFO"]);
}

#[test]
fn fifo_or_device_as_trace_file_is_refused_not_blocking() {
    let dir = tempfile::tempdir().unwrap();
    mkfifo(&dir.path().join("a.itf.json"));
    let r = run_with(
        flashcheck()
            .args(["replay", "inventory", "--traces"])
            .arg(dir.path()),
    );
    assert_one_line_exit_2(&r, &["a.itf.json", "FIFO"]);
    let r = run(&["replay", "inventory", "--traces", "/dev/zero"]);
    assert_one_line_exit_2(&r, &["/dev/zero"]);
}

#[test]
fn replay_generate_0_is_refused_not_all_conform() {
    let r = run(&["replay", "inventory", "--generate", "0"]);
    assert_one_line_exit_2(&r, &["--generate 0"]);
}

#[test]
fn replay_workload_0_is_refused_not_all_conform() {
    let r = run(&[
        "replay",
        "inventory",
        "--executor",
        "pool",
        "--workload",
        "0",
    ]);
    assert_one_line_exit_2(&r, &["--workload 0"]);
}

#[test]
fn store_on_saga_is_refused_not_ignored() {
    let r = run(&["replay", "saga", "--generate", "1", "--store", "sharded"]);
    assert_one_line_exit_2(&r, &["--store", "saga"]);
}

#[test]
fn constant_given_twice_is_refused_naming_it() {
    let r = run(&["check", "inventory", "-c", "Users=2", "-c", "Users=3"]);
    assert_one_line_exit_2(&r, &["Users", "twice", "Users=2", "Users=3"]);
}

#[test]
fn range_errors_name_the_constant_without_an_empty_value() {
    let r = run(&["check", "inventory", "-c", "Users=99"]);
    assert_one_line_exit_2(&r, &["Users", "99"]);
    assert!(!r.2.contains("''"), "{}", r.2);
}

#[test]
fn bench_out_unwritable_is_refused_before_the_run() {
    let started = std::time::Instant::now();
    let r = run(&["bench", "--out", "/proc/x.md"]);
    assert_one_line_exit_2(&r, &["--out /proc/x.md"]);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "it ran the benchmark first"
    );
}

#[test]
fn itf_meta_of_another_model_or_constants_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let traces = dir.path().join("t");
    flashcheck()
        .args(["traces", "inventory", "--count", "1", "--out"])
        .arg(&traces)
        .assert()
        .success();
    let r = run_with(
        flashcheck()
            .args(["replay", "breaker", "--traces"])
            .arg(&traces),
    );
    assert_one_line_exit_2(
        &r,
        &[
            "not a replayable trace",
            "#meta.model",
            "inventory",
            "breaker",
        ],
    );
    let r = run_with(
        flashcheck()
            .args(["replay", "inventory", "-c", "Stock=1", "--traces"])
            .arg(&traces),
    );
    assert_one_line_exit_2(&r, &["#meta.constants", "Stock=2", "Stock=1"]);
    // The broken variant: the same traces with the right configuration conform.
    let (code, stdout, _) = run_with(
        flashcheck()
            .args(["replay", "inventory", "--traces"])
            .arg(&traces),
    );
    assert_eq!(code, 0, "{stdout}");
}

#[test]
fn clap_errors_are_one_line_and_a_usage_hint() {
    for args in [
        &["check", "nosuch"][..],
        &["check", "inventory", "--bogus"],
        &["replay", "inventory"],
        &["check", "inventory", "--max-states", "x"],
    ] {
        let r = run(args);
        assert_one_line_exit_2(&r, &[]);
    }
}

#[test]
fn os_errors_are_printed_once() {
    let (code, _, stderr) = run(&["check", "saga", "--saga", "/nonexistent/s.yaml"]);
    assert_eq!(code, 2);
    assert_eq!(stderr.matches("No such file").count(), 1, "{stderr}");
    let (code, _, stderr) = run(&["replay", "inventory", "--traces", "/nonexistent/t.itf.json"]);
    assert_eq!(code, 2);
    assert_eq!(stderr.matches("No such file").count(), 1, "{stderr}");
}

#[test]
fn saga_yaml_with_a_bom_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let saga = dir.path().join("bom.saga.yaml");
    std::fs::write(&saga, format!("\u{feff}{SAGA}")).unwrap();
    let (code, stdout, stderr) =
        run_with(flashcheck().args(["check", "saga", "--saga"]).arg(&saga));
    // Read as the same saga without the mark (its verdicts, whatever exit they give).
    assert_ne!(code, 2, "{stdout}{stderr}");
    assert!(stdout.starts_with("saga (engine: flashcheck)"), "{stdout}");
}

#[test]
fn compensation_null_is_no_compensation_not_a_step_named_tilde() {
    let dir = tempfile::tempdir().unwrap();
    let saga = dir.path().join("null.saga.yaml");
    std::fs::write(
        &saga,
        SAGA.replace("compensation: undo_a", "compensation: ~"),
    )
    .unwrap();
    let r = run_with(flashcheck().args(["check", "saga", "--saga"]).arg(&saga));
    assert_one_line_exit_2(&r, &["null.saga.yaml:4", "has no compensation"]);
    // Quoted, "~" is a name like any other.
    std::fs::write(
        &saga,
        SAGA.replace("compensation: undo_a", "compensation: \"~\""),
    )
    .unwrap();
    let def = flashcheck::specs::load_saga(&saga).unwrap();
    assert_eq!(def.steps[0].compensation, "~");
}

#[test]
fn unknown_breaker_key_is_refused_with_file_and_line() {
    let text = std::fs::read_to_string(repo("specs/breaker.toml"))
        .unwrap()
        .replace(
            "minimum_calls = 100",
            "minimum_calls = 100\nminimum_cals = 5",
        );
    let line = text
        .lines()
        .position(|l| l.starts_with("minimum_cals"))
        .unwrap()
        + 1;
    let e = flashcheck::specs::parse_breaker_str(&text, Path::new("b.toml")).unwrap_err();
    let shown = e.to_string();
    assert!(shown.starts_with(&format!("b.toml:{line}:")), "{shown}");
    assert!(shown.contains("minimum_cals"), "{shown}");
}

#[test]
fn junit_control_characters_still_make_valid_xml() {
    use flashcheck::report::junit::{render, Case, Outcome};
    let nasty: String = (0u32..0x20)
        .chain([0x7f, 0xfffe, 0xffff, 0xd7ff, 0x1f600])
        .filter_map(char::from_u32)
        .collect();
    let xml = render(&[
        Case {
            suite: format!("suite{nasty}"),
            name: format!("name{nasty}"),
            outcome: Outcome::Failed(format!("why\nline two\t{nasty}<&>\"")),
        },
        Case {
            suite: "s".into(),
            name: "n".into(),
            outcome: Outcome::Skipped(nasty.clone()),
        },
    ]);
    let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}\n{xml:?}"));
    let failure = doc
        .descendants()
        .find(|n| n.has_tag_name("failure"))
        .unwrap();
    let message = failure.attribute("message").unwrap();
    assert!(message.starts_with("why\nline two\t"), "{message:?}");
    assert!(message.ends_with("<&>\""), "{message:?}");
}

#[test]
fn unknown_key_in_a_typed_double11_table_is_refused_naming_it() {
    // A typo in a table flashcheck reads (here `sla`) is refused; the free-form tables that
    // claims cite (`components`, …) stay free-form.
    let text = std::fs::read_to_string(repo("specs/double11.toml")).unwrap();
    let typo = text.replace("p95_ms = 100", "p95_msec = 100\np95_ms = 100");
    assert_ne!(typo, text, "the fixture line moved");
    let e = flashcheck::arith::design::Design::parse(&typo, Path::new("d.toml")).unwrap_err();
    let shown = e.to_string();
    assert!(shown.contains("d.toml"), "{shown}");
    assert!(shown.contains("sla.p95_msec"), "{shown}");
    assert!(shown.contains("unknown key"), "{shown}");
    let free = text.replace("servers = 100", "servers = 100\nanything_new = 7");
    let spec = flashcheck::arith::design::Design::parse(&free, Path::new("d.toml")).unwrap();
    assert!(spec.values.contains_key("components.nginx.anything_new"));
}
