//! Hostile and careless input to `flashcheck tla` / `cross` (issue 13), one regression test
//! per case, each named after what it guards. Tests that need TLC print
//! `TLC hostile-input test skipped: <why>` to the uncaptured stderr without a jar.

#[path = "support/tlc.rs"]
mod tlc;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn suite() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tla_suite")
}

fn flashcheck() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_flashcheck"));
    c.current_dir(suite()).env_remove("TLA2TOOLS_JAR");
    c
}

/// (exit code, stdout, stderr).
fn run(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Processes whose parent is `pid`.
fn children(pid: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|p| {
            std::fs::read_to_string(format!("/proc/{p}/stat"))
                .ok()
                .and_then(|s| {
                    let after = s.rsplit_once(')')?.1.to_string();
                    after.split_whitespace().nth(1)?.parse::<u32>().ok()
                })
                == Some(pid)
        })
        .collect()
}

fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            s.rsplit_once(')')
                .and_then(|(_, a)| a.split_whitespace().next().map(|st| st != "Z"))
                .unwrap_or(false)
        })
        .unwrap_or(false)
}

/// Start `flashcheck tla --spec Unbounded.tla` with TMPDIR in a fresh directory, wait for
/// its engine child, send `signal`, and check that the child is gone, the temporary
/// directory is empty and the exit code is 128 + signal.
fn signal_stops_engine(engine: &[&str], signal: i32) {
    let tmp = tempfile::tempdir().unwrap();
    let mut child = flashcheck()
        .env("TMPDIR", tmp.path())
        .args(["tla", "--spec", "Unbounded.tla"])
        .args(engine)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let started = Instant::now();
    let engine_pid = loop {
        if let Some(&c) = children(pid).first() {
            break c;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no engine process appeared"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let workspace_made = std::fs::read_dir(tmp.path()).unwrap().count() > 0;
    assert!(workspace_made, "the workspace is under TMPDIR");
    std::thread::sleep(Duration::from_millis(700));
    // SAFETY: signalling our own child process.
    unsafe {
        libc::kill(pid as i32, signal);
    }
    let status = child.wait().unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(128 + signal), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        !alive(engine_pid),
        "the engine process {engine_pid} survived"
    );
    let left: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "left behind in TMPDIR: {left:?}");
}

#[test]
fn sigint_kills_the_java_child_and_removes_the_workspace() {
    let Some(jar) = tlc::jar("TLC hostile-input test") else {
        return;
    };
    let jar = jar.display().to_string();
    signal_stops_engine(&["--engine", "tlc", "--tla2tools", &jar], libc::SIGINT);
}

#[test]
fn sigterm_kills_the_java_child_and_removes_the_workspace() {
    let Some(jar) = tlc::jar("TLC hostile-input test") else {
        return;
    };
    let jar = jar.display().to_string();
    signal_stops_engine(&["--engine", "tlc", "--tla2tools", &jar], libc::SIGTERM);
}

#[cfg(feature = "tla-checker")]
#[test]
fn sigint_kills_the_tla_checker_child_and_removes_the_workspace() {
    signal_stops_engine(&["--engine", "tla-checker"], libc::SIGINT);
}

fn tlc_dirs_in_tmp() -> Vec<std::ffi::OsString> {
    std::fs::read_dir("/tmp")
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().starts_with("tlc-"))
        .collect()
}

#[test]
fn tlc_leaves_no_tlc_directories_in_tmp() {
    let Some(jar) = tlc::jar("TLC hostile-input test") else {
        return;
    };
    // TLC (SANY) makes a `tlc-*` directory for the standard modules in java.io.tmpdir and
    // never removes it; flashcheck points java.io.tmpdir into its own workspace.
    let before = tlc_dirs_in_tmp();
    let (code, _, err) = run(flashcheck()
        .args(["tla", "--spec", "Substitution.tla", "--engine", "tlc"])
        .arg("--tla2tools")
        .arg(&jar));
    assert_eq!(code, 0, "{err}");
    let new: Vec<_> = tlc_dirs_in_tmp()
        .into_iter()
        .filter(|n| !before.contains(n))
        .collect();
    assert!(new.is_empty(), "TLC left {new:?} in /tmp");
}

#[test]
fn a_missing_jar_is_exit_2_in_one_line_never_a_fallback_to_tla_checker() {
    // --tla2tools naming nothing, with and without --engine.
    for engine in [&[][..], &["--engine", "tlc"][..]] {
        let (code, out, err) = run(flashcheck()
            .args(["tla", "inventory", "--tla2tools", "/nonexistent.jar"])
            .args(engine));
        assert_eq!(code, 2, "{err}");
        assert!(out.is_empty(), "no report from another engine: {out}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("/nonexistent.jar"), "{err}");
    }
    // $TLA2TOOLS_JAR naming nothing.
    let (code, out, err) = run(flashcheck()
        .env("TLA2TOOLS_JAR", "/nowhere/tla2tools.jar")
        .args(["cross", "inventory"]));
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty(), "{out}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("/nowhere/tla2tools.jar"), "{err}");
}

#[test]
fn cross_prints_no_cd_into_a_deleted_directory() {
    let (code, out, err) = run(flashcheck().args([
        "cross",
        "inventory",
        "-c",
        "Users=2",
        "-c",
        "Stock=1",
        "--engine",
        "tla-checker",
    ]));
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains("cd /"), "{out}");
    assert!(out.contains("--keep DIR"), "{out}");
}

#[test]
fn traces_into_an_existing_file_still_reports_the_violation() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, "mine").unwrap();
    let (code, out, err) = run(flashcheck()
        .args([
            "tla",
            "--spec",
            "InitNext.tla",
            "--engine",
            "tla-checker",
            "--traces",
        ])
        .arg(&file));
    assert_eq!(code, 1, "the violation decides the exit code: {err}");
    assert!(out.contains("Diagonal"), "the report is printed: {out}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(&file.display().to_string()), "{err}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine");
}

#[test]
fn a_sany_parse_error_is_one_line_with_file_line_and_column() {
    let Some(jar) = tlc::jar("TLC hostile-input test") else {
        return;
    };
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tla");
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixtures.join("Broken.tla"), dir.path().join("Broken.tla")).unwrap();
    std::fs::write(dir.path().join("Broken.cfg"), "INIT Init\nNEXT Next\n").unwrap();
    std::fs::copy(
        fixtures.join("Undefined.tla"),
        dir.path().join("Undefined.tla"),
    )
    .unwrap();
    std::fs::write(dir.path().join("Undefined.cfg"), "SPECIFICATION Spec\n").unwrap();
    for (spec, at) in [("Broken", ":5:1: parse error: "), ("Undefined", ":5:16: ")] {
        let (code, _, err) = run(flashcheck()
            .current_dir(dir.path())
            .args(["tla", "--spec", &format!("{spec}.tla"), "--engine", "tlc"])
            .arg("--tla2tools")
            .arg(&jar));
        assert_eq!(code, 2, "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(&format!("{spec}.tla{at}")), "{err}");
    }
}

#[test]
fn constants_given_with_spec_are_rejected_not_ignored() {
    let (code, out, err) =
        run(flashcheck().args(["tla", "--spec", "Unbounded.tla", "-c", "Foo=1"]));
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("-c Foo=1"), "{err}");
}

#[test]
fn a_fifo_or_dev_zero_as_spec_or_config_is_refused_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("Fifo.cfg");
    let c = std::ffi::CString::new(fifo.display().to_string()).unwrap();
    // SAFETY: mkfifo with a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let fifo = fifo.display().to_string();
    for args in [
        vec!["--spec", "Unbounded.tla", "--config", fifo.as_str()],
        vec!["--spec", "Unbounded.tla", "--config", "/dev/zero"],
        vec!["--spec", "/dev/zero", "--config", "Unbounded.cfg"],
    ] {
        let started = Instant::now();
        let (code, out, err) = run(flashcheck()
            .arg("tla")
            .args(&args)
            .args(["--engine", "tla-checker"]));
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{args:?} blocked"
        );
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(out.is_empty());
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("not a regular file"), "{err}");
    }
}

#[test]
fn cross_stopped_by_max_states_is_exit_3_not_a_disagreement() {
    let (code, out, err) = run(flashcheck().args([
        "cross",
        "inventory",
        "--engine",
        "tla-checker",
        "--max-states",
        "20",
    ]));
    assert_eq!(code, 3, "{out}\n{err}");
    assert!(out.contains("INCOMPLETE"), "{out}");
}
