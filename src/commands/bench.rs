//! `flashcheck bench`: measures `flashcheck check inventory` (time, distinct states/s, peak
//! memory per distinct state, what liveness adds) over a range of sizes, and side by side in
//! the same run the engine on one thread and on two, stateright's own checker
//! (`--engine stateright`) and TLC (`-workers 1`, same spec, same invariants), then writes a
//! Markdown table with the command that produced it.
//!
//! Each measurement is a child process (this binary, `check ... --json`), so its peak
//! resident memory comes from `wait4`'s rusage and no run inherits another's heap.

use crate::cli::BenchArgs;
use crate::outcome::Outcome;
use crate::registry::{builtin, Constants, Port};
use crate::report::table::Table;
use crate::report::{CheckReport, PropertyKind};
use crate::tla::{self, TlaEngine, TlaOptions};
use crate::twin::{self, EngineChoice};
use anyhow::{bail, Context, Result};
use std::fmt::Write as _;
use std::process::{Command, Stdio};
use std::time::Instant;

/// One child run: its report, wall seconds and peak RSS in bytes.
struct Measured {
    report: CheckReport,
    wall_s: f64,
    peak_rss: u64,
}

fn run_child(args: &[String]) -> Result<Measured> {
    let exe = std::env::current_exe()?;
    let started = Instant::now();
    let child = Command::new(exe)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    let pid = child.id() as libc::pid_t;
    let mut stdout = child.stdout.context("child stdout")?;
    let mut text = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut text)?;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to overwrite.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our own child, not yet reaped (std's Child was consumed without wait).
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall_s = started.elapsed().as_secs_f64();
    if waited != pid {
        bail!("wait4 failed for {}", args.join(" "));
    }
    let report: CheckReport =
        serde_json::from_str(&text).with_context(|| format!("flashcheck {}", args.join(" ")))?;
    Ok(Measured {
        report,
        wall_s,
        peak_rss: usage.ru_maxrss as u64 * 1024,
    })
}

/// `runs` runs of the same child (none for 0), sorted by wall time (fastest first).
fn run_repeated(args: &[String], runs: u32) -> Result<Vec<Measured>> {
    let mut all = (0..runs)
        .map(|_| run_child(args))
        .collect::<Result<Vec<_>>>()?;
    all.sort_by(|a, b| a.wall_s.total_cmp(&b.wall_s));
    Ok(all)
}

/// The median of runs sorted by [`run_repeated`] (the lower middle one for an even count).
fn median(sorted: &[Measured]) -> &Measured {
    &sorted[(sorted.len() - 1) / 2]
}

fn check_args(users: u64, stock: u64, safety_only: bool, threads: usize) -> Vec<String> {
    engine_args(users, stock, safety_only, threads, "flashcheck")
}

fn engine_args(
    users: u64,
    stock: u64,
    safety_only: bool,
    threads: usize,
    engine: &str,
) -> Vec<String> {
    let mut args: Vec<String> = [
        "check",
        "inventory",
        "-c",
        &format!("Users={users}"),
        "-c",
        &format!("Stock={stock}"),
        "--json",
        "--threads",
        &threads.to_string(),
        "--engine",
        engine,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    if safety_only {
        args.push("--safety-only".into());
    }
    args
}

/// TLC checking the same invariants (and deadlock) in one run: the safety-only workload.
fn tlc_safety(users: u64, stock: u64, jar: &std::path::Path) -> Result<CheckReport> {
    let constants = Constants::parse(
        &builtin::INVENTORY,
        &[format!("Users={users}"), format!("Stock={stock}")],
    )?;
    let port = Port::build(&constants)?;
    let dir = tempfile::tempdir()?;
    let mut job = twin::job(&port, dir.path())?;
    job.properties.retain(|p| p.kind == PropertyKind::Always);
    let engine = TlaEngine::Tlc {
        jar: jar.to_path_buf(),
    };
    Ok(tla::run(&job, &engine, &TlaOptions::default())?)
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

/// Fails now, with one line, when `out` cannot be written, rather than after minutes of
/// measuring (`--out /proc/x.md`, a directory, a read-only place). Leaves no file behind.
fn check_writable(out: &std::path::Path) -> Result<()> {
    if out.is_dir() {
        anyhow::bail!("--out {}: a directory, not a file", out.display());
    }
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("--out {}: cannot create its directory", out.display()))?;
    }
    let existed = out.exists();
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(out)
        .with_context(|| format!("--out {}: cannot write", out.display()))?;
    if !existed {
        let _ = std::fs::remove_file(out);
    }
    Ok(())
}

/// Runs the benchmark and writes `args.out`.
pub fn run(args: &BenchArgs) -> Result<Outcome> {
    check_writable(&args.out)?;
    let mut sizes: Vec<(u64, u64)> = vec![(6, 4), (7, 4), (8, 5), (9, 6), (9, 5), (10, 6)];
    if args.large {
        sizes.push((11, 6));
    }
    if args.huge {
        // ~1.8 × 10^8 states: the growth table past 10^8, without TLC
        sizes.push((12, 6));
    }
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# flashcheck benchmark: `flashcheck check inventory`\n"
    );
    let _ = writeln!(
        out,
        "Produced by `{}` on {} cores (load average at start: {}). \
         Deduction = atomic; wall time of the whole child process; \
         each flashcheck figure is the median of {} runs.\n",
        std::env::args().collect::<Vec<_>>().join(" "),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
        args.repeat
    );
    let _ = writeln!(
        out,
        "## Growth with users and stock (the engine, one thread)\n"
    );
    let mut growth = Table::new(&[
        "users/stock",
        "distinct states",
        "depth",
        "safety-only s",
        "distinct/s",
        "peak MB",
        "bytes/state",
        "with liveness s",
        "liveness peak MB",
        "liveness extra bytes/state",
    ]);
    for &(users, stock) in &sizes {
        let safety_runs = run_repeated(&check_args(users, stock, true, 1), args.repeat)?;
        let safety = median(&safety_runs);
        let n = safety.report.distinct_states;
        let full_runs = if n <= 40_000_000 {
            Some(run_repeated(
                &check_args(users, stock, false, 1),
                args.repeat,
            )?)
        } else {
            None
        };
        let full = full_runs.as_deref().map(median);
        let (full_s, full_mb, extra) = match full {
            Some(f) => (
                format!("{:.2}", f.wall_s),
                format!("{:.0}", mb(f.peak_rss)),
                format!(
                    "{:.0}",
                    (f.peak_rss.saturating_sub(safety.peak_rss)) as f64 / n as f64
                ),
            ),
            None => ("—".into(), "—".into(), "—".into()),
        };
        growth.row([
            format!("{users}/{stock}"),
            n.to_string(),
            safety.report.depth.to_string(),
            format!("{:.3}", safety.wall_s),
            format!("{:.0}", n as f64 / safety.wall_s),
            format!("{:.0}", mb(safety.peak_rss)),
            format!("{:.1}", safety.peak_rss as f64 / n as f64),
            full_s,
            full_mb,
            extra,
        ]);
        eprintln!("bench: {users}/{stock}: {n} states, {:.2} s", safety.wall_s);
    }
    out.push_str(&growth.render());
    let mut pairs = vec![(9, 5)];
    if args.large {
        pairs.push((10, 6));
    }
    if args.huge {
        pairs.push((11, 6));
    }
    let jar = if args.tlc {
        let engine = EngineChoice::Tlc.resolve(args.engine.tla2tools.as_deref())?;
        let TlaEngine::Tlc { jar } = engine else {
            bail!("--tlc needs tla2tools.jar");
        };
        Some(jar)
    } else {
        None
    };
    let _ = writeln!(out, "\n## Side by side, safety only\n");
    let _ = writeln!(
        out,
        "Same model, same invariants and deadlock check: `flashcheck check --safety-only` on \
         one and two threads, stateright's own BFS checker (`--engine stateright`, one \
         thread), and TLC `-workers 1` on the twin `tla/Inventory.tla` (one run, JVM start \
         included; `—` without `--tlc`). Half of the flashcheck runs before TLC, half after.\n"
    );
    let mut side = Table::new(&[
        "users/stock",
        "checker",
        "distinct",
        "s (median)",
        "fastest–slowest s",
        "distinct/s",
        "× TLC",
        "peak MB",
        "bytes/state",
    ]);
    for (users, stock) in pairs {
        let variants: [(&str, Vec<String>); 3] = [
            ("flashcheck, 1 thread", check_args(users, stock, true, 1)),
            ("flashcheck, 2 threads", check_args(users, stock, true, 2)),
            (
                "stateright, 1 thread",
                engine_args(users, stock, true, 1, "stateright"),
            ),
        ];
        let before = args.repeat.div_ceil(2);
        let mut runs: Vec<Vec<Measured>> = variants
            .iter()
            .map(|(_, a)| run_repeated(a, before))
            .collect::<Result<_>>()?;
        let tlc = match &jar {
            Some(jar) => {
                let started = Instant::now();
                let report = tlc_safety(users, stock, jar)?;
                let tlc_s = started.elapsed().as_secs_f64();
                eprintln!("bench: TLC {users}/{stock}: {tlc_s:.1} s");
                side.row([
                    format!("{users}/{stock}"),
                    "TLC `-workers 1`".into(),
                    report.distinct_states.to_string(),
                    format!("{tlc_s:.2}"),
                    "—".into(),
                    format!("{:.0}", report.distinct_states as f64 / tlc_s),
                    "1.0×".into(),
                    "—".into(),
                    "—".to_string(),
                ]);
                Some(tlc_s)
            }
            None => None,
        };
        for ((name, a), runs) in variants.iter().zip(&mut runs) {
            runs.extend(run_repeated(a, args.repeat - before)?);
            runs.sort_by(|a, b| a.wall_s.total_cmp(&b.wall_s));
            let ours = median(runs);
            let n = ours.report.distinct_states;
            let speedup = tlc.map_or("—".to_string(), |t| format!("{:.1}×", t / ours.wall_s));
            side.row([
                format!("{users}/{stock}"),
                name.to_string(),
                n.to_string(),
                format!("{:.3}", ours.wall_s),
                format!("{:.3}–{:.3}", runs[0].wall_s, runs[runs.len() - 1].wall_s),
                format!("{:.0}", n as f64 / ours.wall_s),
                speedup,
                format!("{:.0}", mb(ours.peak_rss)),
                format!("{:.1}", ours.peak_rss as f64 / n as f64),
            ]);
            eprintln!("bench: {name} {users}/{stock}: {:.2} s", ours.wall_s);
        }
    }
    out.push_str(&side.render());
    if let Some(dir) = args.out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&args.out, &out)?;
    print!("{out}");
    Ok(Outcome::Holds)
}
