//! `flashcheck check --processes N` (issue #11, items 4 and 5): processes over 127.0.0.1 give
//! the counts, depth, verdicts and shortest counterexample lengths of one process, of
//! `flashcheck check` and of TLC's recorded runs; a killed process, a bad hostfile and a limit
//! end the run with their exit codes and one line. Every process is started here on free
//! loopback ports and killed at the end.

use flashcheck::check::cluster::{self, ClusterOptions, Routing};
use flashcheck::check::CheckOptions;
use flashcheck::registry::{build_port, Port};
use flashcheck::report::{CheckReport, Engine, PropertyKind};
use flashcheck::verdict::Verdict;
use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_flashcheck");

/// A hostfile of `n` free ports on 127.0.0.1, in a fresh temporary directory.
fn hostfile(n: usize) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    // Hold every listener until all ports are chosen, so that no two are the same.
    let listeners: Vec<TcpListener> = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    let text: String = listeners
        .iter()
        .map(|l| format!("{}\n", l.local_addr().unwrap()))
        .collect();
    let path = dir.path().join("hosts");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

/// Kills a child process when dropped (a failing assertion must not leave one behind).
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn(args: &[&str], hosts: &Path, process: usize, processes: usize) -> Killed {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .args(["--processes", &processes.to_string()])
        .args(["--process", &process.to_string()])
        .arg("--hosts")
        .arg(hosts)
        .args(["--connect-timeout", "60"])
        .env("FLASHCHECK_CLUSTER_TIMING", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    Killed(cmd.spawn().unwrap())
}

/// Waits for `child` at most `limit`; its output, or a panic naming `what`.
fn wait(mut child: Killed, limit: Duration, what: &str) -> Output {
    let started = Instant::now();
    loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            let mut stdout = Vec::new();
            let mut stderr = Vec::new();
            child
                .0
                .stdout
                .take()
                .unwrap()
                .read_to_end(&mut stdout)
                .unwrap();
            child
                .0
                .stderr
                .take()
                .unwrap()
                .read_to_end(&mut stderr)
                .unwrap();
            return Output {
                status,
                stdout,
                stderr,
            };
        }
        assert!(
            started.elapsed() < limit,
            "{what}: still running after {limit:?} (a hang)"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs `args` as `processes` processes over loopback; process 0's JSON report and every
/// process's exit code.
fn run_cluster(args: &[&str], processes: usize) -> (CheckReport, Vec<i32>) {
    let (_dir, hosts) = hostfile(processes);
    let mut full: Vec<&str> = args.to_vec();
    full.push("--json");
    // Highest first: the others dial process 0 and the ones before them.
    let children: Vec<Killed> = (0..processes)
        .rev()
        .map(|i| spawn(&full, &hosts, i, processes))
        .collect();
    let mut outputs: Vec<Output> = children
        .into_iter()
        .map(|c| wait(c, Duration::from_secs(300), "a cluster process"))
        .collect();
    outputs.reverse();
    let codes: Vec<i32> = outputs
        .iter()
        .map(|o| o.status.code().unwrap_or(-1))
        .collect();
    for (i, o) in outputs.iter().enumerate().skip(1) {
        assert!(
            o.stdout.is_empty(),
            "process {i} printed {:?}",
            String::from_utf8_lossy(&o.stdout)
        );
        assert_eq!(
            codes[i],
            0,
            "process {i}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let report: CheckReport = serde_json::from_slice(&outputs[0].stdout).unwrap_or_else(|e| {
        panic!(
            "process 0 printed no report ({e}): {}",
            String::from_utf8_lossy(&outputs[0].stderr)
        )
    });
    (report, codes)
}

/// Each `always`/`sometimes` property: (name, verdict, counterexample length).
fn safety(report: &CheckReport) -> Vec<(String, Verdict, usize)> {
    report
        .properties
        .iter()
        .filter(|p| p.kind != PropertyKind::Eventually)
        .map(|p| {
            (
                p.name.clone(),
                p.verdict,
                p.counterexample.as_ref().map_or(0, Vec::len),
            )
        })
        .collect()
}

fn port(constants: &[&str]) -> Port {
    let args: Vec<String> = constants.iter().map(|s| s.to_string()).collect();
    build_port(&flashcheck::registry::builtin::INVENTORY, &args, None)
        .unwrap()
        .1
}

/// `flashcheck check` as it is today (stateright, BFS depth from the liveness pass).
fn today(constants: &[&str]) -> CheckReport {
    port(constants).check("inventory", "test".into(), &CheckOptions::default())
}

/// TLC's recorded report `fixture`.
fn tlc(fixture: &str) -> CheckReport {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("tests/fixtures/tlc-reports/{fixture}.json"));
    let report: CheckReport =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(report.engine, Engine::Tlc);
    report
}

/// One process, two processes, `flashcheck check` and TLC agree at `constants`.
fn agree(constants: &[&str], fixture: &str, pinned_distinct: u64) {
    let mut args = vec!["check", "inventory"];
    for c in constants {
        args.extend(["-c", c]);
    }
    let (one, one_codes) = run_cluster(&args, 1);
    let (two, two_codes) = run_cluster(&args, 2);
    let today = today(constants);
    let tlc = tlc(fixture);
    assert_eq!(one.engine, Engine::FlashcheckCluster);
    assert_eq!(
        tlc.distinct_states, pinned_distinct,
        "the count pinned here"
    );
    for (label, r) in [("1 process", &one), ("2 processes", &two)] {
        assert!(r.complete, "{label}");
        assert_eq!(
            r.distinct_states, today.distinct_states,
            "{label}: distinct"
        );
        assert_eq!(
            r.distinct_states, tlc.distinct_states,
            "{label}: distinct vs TLC"
        );
        assert_eq!(
            r.generated_states, today.generated_states,
            "{label}: generated"
        );
        assert_eq!(r.depth, today.depth, "{label}: depth");
        assert_eq!(r.depth, tlc.depth, "{label}: depth vs TLC");
        assert_eq!(
            safety(r),
            safety(&today),
            "{label}: verdicts and counterexample lengths"
        );
        assert_eq!(
            safety(r),
            safety(&tlc),
            "{label}: verdicts and lengths vs TLC"
        );
        for p in r
            .properties
            .iter()
            .filter(|p| p.kind == PropertyKind::Eventually)
        {
            assert_eq!(p.verdict, Verdict::Unknown);
            assert_eq!(p.note.as_deref(), Some(cluster::LIVENESS_NOTE));
        }
    }
    // Exit codes: a violated invariant is 1; otherwise the unknown liveness makes it 3.
    assert_eq!(one_codes[0], today_code(&today));
    assert_eq!(two_codes[0], today_code(&today));
}

fn today_code(today: &CheckReport) -> i32 {
    if today
        .properties
        .iter()
        .any(|p| p.verdict == Verdict::Violated)
    {
        1
    } else {
        3
    }
}

#[test]
fn read_then_write_two_processes_match_one_process_check_and_tlc() {
    agree(&["Deduction=read_then_write"], "inventory-rtw-3-2", 481);
    agree(
        &["Users=5", "Stock=3", "Deduction=read_then_write"],
        "inventory-rtw-5-3",
        60_515,
    );
}

#[test]
fn atomic_two_processes_match_one_process_check_and_tlc() {
    agree(&["Users=8", "Stock=5"], "inventory-atomic-8-5", 220_068);
}

/// In-process runs through the library: `threads` workers in one process.
fn in_process(constants: &[&str], threads: usize, routing: Routing) -> CheckReport {
    let model = port(constants)
        .model::<flashcheck_models::inventory::Inventory>()
        .expect("an inventory port")
        .clone();
    let mut options = CheckOptions::default();
    options.threads = threads;
    let mut cluster_options = ClusterOptions::new(0, vec!["127.0.0.1:1".into()]).unwrap();
    cluster_options.routing = routing;
    cluster::check(
        model,
        "inventory",
        "test".into(),
        &options,
        &cluster_options,
    )
    .unwrap()
    .report
    .unwrap()
}

#[test]
fn two_workers_match_one_and_wrong_routing_is_caught() {
    let constants = ["Users=5", "Stock=3", "Deduction=read_then_write"];
    let one = in_process(&constants, 1, Routing::Fingerprint);
    let two = in_process(&constants, 2, Routing::Fingerprint);
    assert_eq!(one.distinct_states, 60_515);
    assert_eq!(
        (two.distinct_states, two.generated_states, two.depth),
        (one.distinct_states, one.generated_states, one.depth)
    );
    assert_eq!(safety(&two), safety(&one));
    // Broken on purpose: route by the parent's fingerprint, so that two workers can both
    // admit one state. The comparison above must then fail.
    let broken = in_process(&constants, 2, Routing::Parent);
    assert_ne!(
        broken.distinct_states, one.distinct_states,
        "routing by the parent went unnoticed"
    );
}

fn one_line(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with("cluster: "))
        .collect();
    assert_eq!(lines.len(), 1, "expected one line, got {text:?}");
    lines[0].to_string()
}

#[test]
fn killed_process_fails_the_run_with_one_line() {
    let (_dir, hosts) = hostfile(2);
    // 32 M states: long enough to be killed in the middle.
    let args = [
        "check",
        "inventory",
        "-c",
        "Users=11",
        "-c",
        "Stock=6",
        "--safety-only",
    ];
    let mut one = spawn(&args, &hosts, 1, 2);
    let zero = spawn(&args, &hosts, 0, 2);
    // Process 1 says when it is connected; then it is killed mid-run.
    let mut err = BufReader::new(one.0.stderr.take().unwrap());
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    assert!(
        line.starts_with("cluster: process 1 of 2 connected"),
        "{line}"
    );
    std::thread::sleep(Duration::from_millis(1000));
    assert!(
        one.0.try_wait().unwrap().is_none(),
        "process 1 ended before it was killed"
    );
    one.0.kill().unwrap();
    let out = wait(
        zero,
        Duration::from_secs(60),
        "process 0 after process 1 was killed",
    );
    let code = out.status.code();
    let line = one_line(&out.stderr);
    assert!(matches!(code, Some(2 | 3)), "exit {code:?}: {line}");
    assert!(out.stdout.is_empty(), "no report from a lost run");
    assert!(line.contains("process 1"), "{line}");
    assert!(line.contains("fail-stop"), "{line}");
}

#[test]
fn bad_hostfile_and_process_out_of_range_are_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("hosts");
    std::fs::write(&bad, "127.0.0.1:4000\n127.0.0.1\n").unwrap();
    let run = |hosts: &Path, process: &str| {
        Command::new(BIN)
            .args([
                "check",
                "inventory",
                "--processes",
                "2",
                "--process",
                process,
            ])
            .arg("--hosts")
            .arg(hosts)
            .output()
            .unwrap()
    };
    let out = run(&bad, "0");
    assert_eq!(out.status.code(), Some(2));
    let line = one_line(&out.stderr);
    assert!(
        line.contains("hosts:2:") && line.contains("not host:port"),
        "{line}"
    );

    let out = run(&dir.path().join("missing"), "0");
    assert_eq!(out.status.code(), Some(2));
    assert!(one_line(&out.stderr).contains("cannot read the hostfile"));

    let (_d, good) = hostfile(2);
    let out = run(&good, "2");
    assert_eq!(out.status.code(), Some(2));
    assert!(one_line(&out.stderr).contains("--process 2 is out of range"));

    // A peer that never comes: the deadline ends the wait.
    let started = Instant::now();
    let out = Command::new(BIN)
        .args(["check", "inventory", "--processes", "2", "--process", "1"])
        .arg("--hosts")
        .arg(&good)
        .args(["--connect-timeout", "1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(started.elapsed() < Duration::from_secs(20));
    assert!(one_line(&out.stderr).contains("did not answer within 1 s"));
}

#[test]
fn mismatched_processes_refuse_each_other() {
    let (_dir, hosts) = hostfile(2);
    let one = spawn(&["check", "inventory", "-c", "Users=4"], &hosts, 1, 2);
    let zero = spawn(&["check", "inventory", "-c", "Users=5"], &hosts, 0, 2);
    for (i, child) in [zero, one].into_iter().enumerate() {
        let out = wait(child, Duration::from_secs(90), "a mismatched process");
        assert_eq!(out.status.code(), Some(2), "process {i}");
        let line = one_line(&out.stderr);
        assert!(
            line.contains("different check") || line.contains("handshake"),
            "{line}"
        );
    }
}

#[test]
fn limits_end_in_exit_3_with_partial_results() {
    let args = [
        "check",
        "inventory",
        "-c",
        "Users=8",
        "-c",
        "Stock=5",
        "--max-states",
        "1000",
    ];
    let (report, codes) = run_cluster(&args, 2);
    assert_eq!(codes[0], 3);
    assert!(!report.complete);
    assert!(
        report.distinct_states > 0 && report.distinct_states <= 1000,
        "{}",
        report.distinct_states
    );
    assert!(report
        .properties
        .iter()
        .any(|p| p.verdict == Verdict::Unknown
            && p.note.as_deref().is_some_and(|n| n.contains("limit"))));

    let args = [
        "check",
        "inventory",
        "-c",
        "Users=10",
        "-c",
        "Stock=6",
        "--timeout",
        "0.5",
    ];
    let started = Instant::now();
    let (report, codes) = run_cluster(&args, 2);
    assert_eq!(codes[0], 3);
    assert!(!report.complete);
    assert!(report.distinct_states < 5_729_787);
    assert!(started.elapsed() < Duration::from_secs(60));
}
