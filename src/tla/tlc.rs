//! The TLC backend: one `java … tlc2.TLC -tool` process per run, its exit code and `-tool`
//! messages read by [`tool_output`](super::tool_output), counterexamples from
//! `-dumpTrace json` (needs `CommunityModules.jar` beside `tla2tools.jar`; without it the
//! trace is read from the `-tool` messages 2217/2218/2122, values kept as TLA+ text, and the
//! property's `note` says so).
//!
//! Exit codes: 0 ok, 10 with statistics and message 2104 the cfg's POSTCONDITION false after
//! a complete search, 11 deadlock, 12 invariant violated, 13 temporal property violated,
//! 150 parse/semantic error ([`TlaError::Spec`]); anything else is [`TlaError::Engine`].
//!
//! Library modules (`TlaOptions::libs`): directories go on SANY's `-DTLA-Library` path,
//! jars on the classpath. TLC's own temporary directories (`tlc-*`, made by SANY for the
//! standard modules) go to `java-tmp/` in the workspace (`-Djava.io.tmpdir`), never `/tmp`.
//! The process is supervised by [`child::supervise`]: SIGINT/SIGTERM kill it.
//! A timeout is the wrapper's `MC_time_limit` constraint (TLC stops exploring and prints its
//! statistics); a process still running 10 s (+10%) later is killed. TLC has no state-limit flag:
//! the wrapper's `MC_limit == TLCGet("distinct") < N` constraint stops the exploration and a
//! run whose distinct count reached `N` is reported incomplete (conservatively, even when the
//! state space has exactly `N` states).

use super::child;
use super::error::TlaError;
use super::json_trace;
use super::plan::{Backend, Counts, RunOutcome, Trace, Violation};
use super::tool_output::{self, Stop, ToolOutput};
use super::workspace::{RunSpec, Workspace};
use super::TlaOptions;
use crate::report::Engine;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const ENGINE: &str = "tlc";

/// The TLC engine.
#[derive(Debug, Clone)]
pub struct Tlc {
    jar: PathBuf,
    community: Option<PathBuf>,
    workers: usize,
    max_states: Option<u64>,
    lib_dirs: Vec<PathBuf>,
    lib_jars: Vec<PathBuf>,
}

impl Tlc {
    /// TLC from `jar`, with `CommunityModules.jar` beside it when present.
    pub fn new(jar: &Path, opts: &TlaOptions) -> Result<Tlc, TlaError> {
        if !jar.is_file() {
            return Err(TlaError::JarNotFound {
                searched: format!("{} (no such file)", jar.display()),
            });
        }
        Ok(Tlc {
            jar: jar.to_path_buf(),
            community: super::jar::community_modules(jar),
            workers: opts.workers,
            max_states: opts.max_states,
            lib_dirs: opts.libs.iter().filter(|l| l.is_dir()).cloned().collect(),
            lib_jars: opts.libs.iter().filter(|l| !l.is_dir()).cloned().collect(),
        })
    }

    fn classpath(&self) -> String {
        std::iter::once(&self.jar)
            .chain(self.community.as_ref())
            .chain(&self.lib_jars)
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(":")
    }

    /// Arguments after `java`, for the cfg file name `cfg_name` (relative to the workspace).
    fn args(&self, ws: &Workspace, run: &RunSpec, cfg_name: &str) -> Vec<String> {
        let mut args = vec!["-XX:+UseParallelGC".to_string()];
        if !self.lib_dirs.is_empty() {
            let path: Vec<String> = self
                .lib_dirs
                .iter()
                .map(|d| std::path::absolute(d).unwrap_or_else(|_| d.clone()))
                .map(|d| d.display().to_string())
                .collect();
            args.push(format!("-DTLA-Library={}", path.join(":")));
        }
        args.extend([
            "-cp".to_string(),
            self.classpath(),
            "tlc2.TLC".into(),
            "-workers".into(),
            self.workers.to_string(),
            "-noGenerateSpecTE".into(),
            "-cleanup".into(),
            "-config".into(),
            cfg_name.to_string(),
        ]);
        if !run.check_deadlock {
            args.push("-deadlock".into());
        }
        let _ = ws;
        args
    }
}

impl Backend for Tlc {
    fn engine(&self) -> Engine {
        Engine::Tlc
    }

    fn command(&self, ws: &Workspace, run: &RunSpec, cfg: &Path) -> String {
        let cfg_name = file_name(cfg);
        let mut parts = vec!["java".to_string()];
        parts.extend(self.args(ws, run, &cfg_name));
        parts.push(format!("{}.tla", ws.module));
        format!(
            "cd {} && {}",
            shell_quote(&ws.dir().display().to_string()),
            parts
                .iter()
                .map(|p| shell_quote(p))
                .collect::<Vec<_>>()
                .join(" ")
        )
    }

    fn execute(
        &mut self,
        ws: &Workspace,
        run: &RunSpec,
        cfg: &Path,
        budget: Option<Duration>,
    ) -> Result<RunOutcome, TlaError> {
        let cfg_name = file_name(cfg);
        let stem = cfg_name.trim_end_matches(".cfg").to_string();
        let metadir = ws.dir().join(format!("{stem}-states"));
        let dump = self
            .community
            .as_ref()
            .map(|_| ws.dir().join(format!("{stem}-trace.json")));
        let java_tmp = ws.dir().join("java-tmp");
        std::fs::create_dir_all(&java_tmp)
            .map_err(|e| TlaError::io(format!("creating {}", java_tmp.display()), e))?;
        let mut args = vec![format!("-Djava.io.tmpdir={}", java_tmp.display())];
        args.extend(self.args(ws, run, &cfg_name));
        args.push("-metadir".into());
        args.push(metadir.display().to_string());
        if let Some(d) = &dump {
            let _ = std::fs::remove_file(d);
            args.push("-dumpTrace".into());
            args.push("json".into());
            args.push(d.display().to_string());
        }
        args.push("-tool".into());
        args.push(format!("{}.tla", ws.module));

        let started = Instant::now();
        // TLC stops exploring by itself at the budget (MC_time_limit) and prints its
        // statistics; the kill, later, is the backstop (a long liveness check, a hung JVM).
        let backstop = budget.map(|b| b + Duration::from_secs(10) + b / 10);
        let (status, stdout, stderr, stop) = run_java(ws.dir(), &args, backstop)?;
        let _ = std::fs::remove_dir_all(&metadir);
        let _ = std::fs::remove_dir_all(&java_tmp);
        if let Some(child::Stop::Interrupted(sig)) = stop {
            return Err(TlaError::Interrupted(sig));
        }
        let killed = stop.is_some();
        let elapsed = started.elapsed();
        let dump_json = match &dump {
            Some(d) if d.is_file() => {
                let text = std::fs::read_to_string(d)
                    .map_err(|e| TlaError::io(format!("reading {}", d.display()), e))?;
                let _ = std::fs::remove_file(d);
                Some(serde_json::from_str(&text).map_err(|e| {
                    TlaError::output("TLC -dumpTrace json", format!("{}: {e}", d.display()))
                })?)
            }
            _ => None,
        };
        let mut outcome = interpret(status, killed, &stdout, &stderr, dump_json.as_ref())?;
        if let Some(stop) = stop {
            outcome.limit = stop.limit_text("TLC", elapsed);
        } else if let Some(secs) = run.time_budget.filter(|s| elapsed.as_secs() >= *s) {
            outcome.limit = Some(format!(
                "time limit: TLC stopped exploring after {secs}s (its statistics so far)"
            ));
        } else if let Some(n) = self.max_states {
            if outcome.counts.distinct >= n {
                outcome.limit = Some(format!("state limit: {n} distinct states reached"));
            }
        }
        Ok(outcome)
    }
}

/// Interpret one finished (or killed) TLC run: exit code, `-tool` stdout, stderr, and the
/// `-dumpTrace json` file if one was written.
pub fn interpret(
    exit: Option<i32>,
    killed: bool,
    stdout: &str,
    stderr: &str,
    dump: Option<&serde_json::Value>,
) -> Result<RunOutcome, TlaError> {
    let out = tool_output::parse_messages(stdout, killed)?;
    if killed {
        let counts = tool_output::stats(&out, true)?
            .map(counts)
            .unwrap_or_default();
        return Ok(RunOutcome {
            counts,
            violation: None,
            limit: Some("time limit".into()),
        });
    }
    let code = exit.ok_or_else(|| TlaError::Engine {
        engine: ENGINE,
        exit: None,
        message: format!(
            "TLC was killed by a signal: {}",
            tool_output::error_text(&out, stderr)
        ),
    })?;
    let expected_stop = match code {
        0 => None,
        10 if out.last(2199).is_some() && out.last(2104).is_some() => Some(Stop::Postcondition),
        11 => Some(Stop::Deadlock),
        12 => Some(Stop::Invariant(String::new())),
        13 => Some(Stop::Temporal),
        150 => {
            return Err(TlaError::Spec {
                engine: ENGINE,
                spec: PathBuf::new(),
                message: tool_output::error_text(&out, stderr),
            })
        }
        other => {
            return Err(TlaError::Engine {
                engine: ENGINE,
                exit: Some(other),
                message: tool_output::error_text(&out, stderr),
            })
        }
    };
    let stats = tool_output::stats(&out, false)?.ok_or_else(|| {
        TlaError::output(
            "TLC -tool output",
            format!("exit {code} without statistics (2199)"),
        )
    })?;
    let stop = tool_output::stop(&out)?;
    let violation = match (expected_stop, stop) {
        (None, None) => None,
        (Some(Stop::Deadlock), Some(Stop::Deadlock)) => {
            Some(Violation::Deadlock(read_trace(&out, dump)?))
        }
        (Some(Stop::Invariant(_)), Some(Stop::Invariant(name))) => {
            Some(Violation::Invariant(name, read_trace(&out, dump)?))
        }
        (Some(Stop::Temporal), Some(Stop::Temporal)) => {
            Some(Violation::Temporal(None, read_trace(&out, dump)?))
        }
        (Some(Stop::Postcondition), None) => Some(Violation::Postcondition),
        (expected, found) => {
            return Err(TlaError::output(
                "TLC -tool output",
                format!("exit {code} means {expected:?} but the messages say {found:?}"),
            ))
        }
    };
    Ok(RunOutcome {
        counts: counts(stats),
        violation,
        limit: None,
    })
}

fn counts(s: tool_output::Stats) -> Counts {
    Counts {
        distinct: s.distinct,
        generated: s.generated,
        depth: s.depth,
    }
}

/// The counterexample: from the JSON dump when there is one, else from the `-tool` messages.
fn read_trace(out: &ToolOutput, dump: Option<&serde_json::Value>) -> Result<Trace, TlaError> {
    if let Some(json) = dump {
        let t = json_trace::parse_dump(json)?;
        let note = loop_note(t.cycle_start, t.steps.len(), t.loop_action.as_deref());
        return Ok(Trace {
            steps: t.steps,
            cycle_start: t.cycle_start,
            note,
        });
    }
    let t = tool_output::trace(out)?.ok_or_else(|| {
        TlaError::output("TLC -tool output", "a violation without a trace (2217)")
    })?;
    let mut notes = vec![
        "CommunityModules.jar not found beside tla2tools.jar: trace read from TLC's -tool output, values are TLA+ text".to_string(),
    ];
    if let Some(n) = loop_note(t.cycle_start, t.steps.len(), t.loop_action.as_deref()) {
        notes.push(n);
    }
    Ok(Trace {
        steps: t.steps,
        cycle_start: t.cycle_start,
        note: Some(notes.join("; ")),
    })
}

/// How a lasso closes, in words.
fn loop_note(cycle_start: Option<usize>, len: usize, action: Option<&str>) -> Option<String> {
    let start = cycle_start?;
    if start + 1 == len {
        Some(format!("the behaviour stutters forever in step {start}"))
    } else {
        Some(format!(
            "the cycle closes with {} back to step {start}",
            action.unwrap_or("an unnamed action")
        ))
    }
}

/// Run `java args` in `dir` under [`child::supervise`]; returns (exit code, stdout,
/// stderr, why it was stopped).
fn run_java(
    dir: &Path,
    args: &[String],
    budget: Option<Duration>,
) -> Result<(Option<i32>, String, String, Option<child::Stop>), TlaError> {
    let mut child = Command::new("java")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| TlaError::io("starting java (is a JDK 11+ on PATH?)", e))?;
    let (Some(mut out_pipe), Some(mut err_pipe)) = (child.stdout.take(), child.stderr.take())
    else {
        let _ = child.kill();
        let _ = child.wait();
        return Err(TlaError::io(
            "starting java",
            std::io::Error::other("no pipe to its stdout or stderr"),
        ));
    };
    let out_reader = std::thread::spawn(move || {
        let mut s = String::new();
        out_pipe.read_to_string(&mut s).map(|_| s)
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        err_pipe.read_to_string(&mut s).map(|_| s)
    });
    let deadline = budget.map(|b| Instant::now() + b);
    let pid = child.id();
    let child = std::cell::RefCell::new(child);
    let (status, stop) = child::supervise(
        pid,
        || child.borrow_mut().try_wait(),
        || {
            let _ = child.borrow_mut().kill();
        },
        deadline,
        None,
    )
    .map_err(|e| TlaError::io("waiting for TLC", e))?;
    let join = |h: std::thread::JoinHandle<std::io::Result<String>>, what: &str| {
        h.join()
            .map_err(|_| TlaError::Engine {
                engine: ENGINE,
                exit: None,
                message: format!("the thread reading TLC's {what} panicked"),
            })?
            .map_err(|e| TlaError::io(format!("reading TLC's {what}"), e))
    };
    let stdout = join(out_reader, "stdout")?;
    let stderr = join(err_reader, "stderr")?;
    Ok((status.code(), stdout, stderr, stop))
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Quote for a POSIX shell when needed.
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=+@,".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}
