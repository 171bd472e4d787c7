//! Any stock service over HTTP (issue 15, item 1): the reference implementation served over
//! flashcheck's JSON protocol stays linearizable at 8 clients on 2 SKUs; the same front with
//! a read-then-write stock counter inside is caught with a counterexample window; through the
//! command line, `flashcheck serve-reference` on a free port and `replay --target http://…`
//! exit 0 and 1 for the two; a service that breaks the protocol (404 to everything) exits 2.
//! Needs no outside server.

use flashcheck::replay::store;
use flashcheck::target::http::HttpTarget;
use flashcheck::target::http_front::{FrontDeduction, HttpFront};
use flashcheck::target::run::{run, Workload};
use flashcheck::target::{Setup, Target};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn one_run(front: &HttpFront, w: &Workload) -> flashcheck::history::check::HistoryReport {
    let addr = front.addr();
    let mut target = HttpTarget::new(
        addr,
        addr.to_string(),
        String::new(),
        Duration::from_secs(5),
    );
    target.setup(w.setup).unwrap();
    let recorded = run(&target, w, None).unwrap();
    target.teardown().unwrap();
    store::report(
        &recorded,
        i64::from(w.setup.stock),
        target.describe(),
        format!("seed {}", w.seed),
    )
    .unwrap()
}

fn workload(seed: u64, skus: u32) -> Workload {
    Workload {
        clients: 8,
        ops_per_client: 12,
        setup: Setup { stock: 5, skus },
        seed,
        faults: vec![],
    }
}

#[test]
fn the_reference_front_is_linearizable() {
    let front = HttpFront::start("127.0.0.1:0", FrontDeduction::Atomic, 8).unwrap();
    for seed in 0..20 {
        let r = one_run(&front, &workload(seed, 2));
        assert!(r.linearizable, "seed {seed}: {}", r.render_text());
        assert_eq!(r.indeterminate, 0);
    }
}

#[test]
fn a_read_then_write_front_is_caught_with_a_window() {
    let front = HttpFront::start("127.0.0.1:0", FrontDeduction::ReadThenWrite, 8).unwrap();
    let caught = (0..20).find(|&seed| {
        let r = one_run(&front, &workload(seed, 1));
        if !r.linearizable {
            assert!(!r.window.is_empty());
            println!(
                "read-then-write front caught at run {seed}:\n{}",
                r.render_text()
            );
        }
        !r.linearizable
    });
    assert!(
        caught.is_some(),
        "20 runs and the read-then-write front not caught"
    );
}

/// `flashcheck serve-reference` on a free port: the child and its URL.
struct Served(Child, String);

impl Served {
    fn start(deduction: &str) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_flashcheck"))
            .args([
                "serve-reference",
                "--listen",
                "127.0.0.1:0",
                "--deduction",
                deduction,
            ])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .split_whitespace()
            .last()
            .unwrap_or_default()
            .to_string();
        assert!(url.starts_with("http://127.0.0.1:"), "{line}");
        Served(child, url)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn replay(url: &str, seed: u64) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_flashcheck"))
        .args([
            "replay",
            "inventory",
            "--target",
            url,
            "--workload",
            "8",
            "--ops",
            "12",
        ])
        .args(["--stock", "5", "--seed", &seed.to_string()])
        .output()
        .unwrap()
}

#[test]
fn cli_serve_reference_then_replay_exits_0_or_1() {
    let good = Served::start("atomic");
    let out = replay(&good.1, 0);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("LINEARIZABLE"), "{stdout}");

    let bad = Served::start("read-then-write");
    let caught = (0..10).find_map(|seed| {
        let out = replay(&bad.1, seed);
        (out.status.code() == Some(1)).then_some(out)
    });
    let out = caught.expect("10 CLI runs against the read-then-write front, none exited 1");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("NOT LINEARIZABLE"), "{stdout}");
    assert!(
        stdout.contains("reproduce: flashcheck replay inventory --target http://"),
        "{stdout}"
    );
}

#[test]
fn a_service_breaking_the_protocol_exits_2_with_one_line() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut r = BufReader::new(stream);
            let mut len = 0usize;
            loop {
                let mut line = String::new();
                if r.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
                if line == "\r\n" {
                    let mut body = vec![0; len];
                    let _ = r.read_exact(&mut body);
                    let _ = r
                        .get_mut()
                        .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
                }
            }
        }
    });
    let out = replay(&url, 0);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("breaks flashcheck's HTTP protocol"),
        "{stderr}"
    );
}
