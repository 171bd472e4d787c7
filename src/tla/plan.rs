//! The run plan: which engine runs check a job, and how their outcomes become one
//! [`CheckReport`]. Engine-independent; TLC and tla-checker plug in as a [`Backend`].
//!
//! Both engines stop at the first violation, so a run that found one has not seen the
//! whole state space. The plan:
//!
//! 1. **Safety loop.** One run checks every remaining `always` invariant, every
//!    `sometimes` property `P` as the invariant `MC_never_P`, and deadlock when
//!    `deadlock_free` is listed (otherwise deadlock checking is off). When a run stops at a
//!    violation, that property is decided (an `always` is violated, a `sometimes` holds with
//!    the trace as witness, `deadlock_free` is violated); it is dropped and the loop runs
//!    again. The first run that finishes without a violation explored the complete state
//!    space: its counts are the report's counts, and every property still in it is decided
//!    (`always` holds, `sometimes` is unreachable, i.e. violated).
//! 2. **One run per `eventually` property** (TLC does not say which temporal property it
//!    found violated), with deadlock checking off. A run that finishes without violation
//!    also explored the whole state space.
//! 3. **A count run** (no property at all) only when no run so far was complete (no safety
//!    checks and every `eventually` property violated).
//!
//! For `S` safety checks of which `v` are decided by a violation (violated invariants,
//! deadlock found, reachable `sometimes`) and `L` liveness properties, that is
//! `v + 1 + L` runs (`L + 1` when there is no safety check and all `L` fail). When every
//! invariant holds: one run, plus one per liveness property.
//!
//! TLC's `-continue` was measured and rejected: it prints a full trace for *every* violating
//! state, writes no `-dumpTrace` file, and exits 0.
//!
//! A limit (timeout, state limit) makes a run incomplete: undecided properties become
//! `unknown`, the report `complete = false`. A safety violation found before the limit is
//! still a real counterexample. A liveness violation found in a truncated graph may be an
//! artefact of the truncation, so it is reported `unknown` with the trace kept in `note`.

use super::error::TlaError;
use super::workspace::{never_name, RunSpec, Workspace};
use super::{TlaJob, DEADLOCK_FREE};
use crate::report::{CheckReport, Engine, PropertyKind, PropertyReport, Step, Verdict};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

/// State-space counts of one run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Distinct states.
    pub distinct: u64,
    /// Generated states (TLC's convention).
    pub generated: u64,
    /// Depth (TLC's convention: states on the longest shortest path).
    pub depth: u64,
}

/// A counterexample as an engine reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    /// Steps, the first labelled `Init`.
    pub steps: Vec<Step>,
    /// Where a lasso's cycle starts.
    pub cycle_start: Option<usize>,
    /// A remark on the trace (how loops close, fallbacks used).
    pub note: Option<String>,
}

/// What stopped a run.
#[derive(Debug, Clone, PartialEq)]
pub enum Violation {
    /// The named invariant (as named in the cfg).
    Invariant(String, Trace),
    /// A deadlock.
    Deadlock(Trace),
    /// The run's temporal property.
    Temporal(Trace),
}

/// The outcome of one engine run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutcome {
    /// Counts (complete only when `violation` and `limit` are both `None`).
    pub counts: Counts,
    /// The violation that stopped the run.
    pub violation: Option<Violation>,
    /// Why the run was cut short by a limit (`None`: not cut short).
    pub limit: Option<String>,
}

/// One engine.
pub trait Backend {
    /// Which engine this is.
    fn engine(&self) -> Engine;
    /// Run the engine once with the cfg at `cfg`, within `budget` (None: no time limit).
    fn execute(
        &mut self,
        ws: &Workspace,
        run: &RunSpec,
        cfg: &Path,
        budget: Option<Duration>,
    ) -> Result<RunOutcome, TlaError>;
    /// A shell command reproducing this run with the engine directly.
    fn command(&self, ws: &Workspace, run: &RunSpec, cfg: &Path) -> String;
}

/// Execute the plan for `job` and build the report.
pub fn execute(
    job: &TlaJob,
    backend: &mut dyn Backend,
    ws: &mut Workspace,
    timeout: Option<Duration>,
) -> Result<CheckReport, TlaError> {
    let started = Instant::now();
    let deadline = timeout.map(|t| started + t);
    let mut decided: BTreeMap<String, PropertyReport> = BTreeMap::new();
    let mut commands = Vec::new();
    let mut complete_counts: Option<Counts> = None;
    let mut last_counts = Counts::default();
    let mut limits: Vec<String> = Vec::new();

    // The invariants of the safety loop, cfg name -> property name.
    let mut remaining: Vec<(String, String)> = Vec::new();
    let mut deadlock = false;
    for p in &job.properties {
        match p.kind {
            PropertyKind::Always if p.name == DEADLOCK_FREE => deadlock = true,
            PropertyKind::Always => remaining.push((p.name.clone(), p.name.clone())),
            PropertyKind::Sometimes => remaining.push((never_name(&p.name), p.name.clone())),
            PropertyKind::Eventually => {}
        }
    }
    let liveness: Vec<&super::TlaProperty> = job
        .properties
        .iter()
        .filter(|p| p.kind == PropertyKind::Eventually)
        .collect();

    let budget = |deadline: Option<Instant>| -> Option<Duration> {
        deadline.map(|d| d.saturating_duration_since(Instant::now()))
    };
    let out_of_time = |deadline: Option<Instant>| deadline.is_some_and(|d| Instant::now() >= d);

    // 1. Safety loop.
    if !remaining.is_empty() || deadlock || liveness.is_empty() {
        loop {
            if out_of_time(deadline) {
                limits.push("the time limit was used up before the safety checks ran".into());
                break;
            }
            let run = RunSpec {
                invariants: remaining.iter().map(|(c, _)| c.clone()).collect(),
                check_deadlock: deadlock,
                property: None,
            };
            let cfg = ws.write_cfg(&run)?;
            commands.push(backend.command(ws, &run, &cfg));
            let outcome = backend.execute(ws, &run, &cfg, budget(deadline))?;
            last_counts = outcome.counts;
            let finished = outcome.violation.is_none() && outcome.limit.is_none();
            match outcome.violation {
                Some(Violation::Invariant(cfg_name, trace)) => {
                    let idx = remaining
                        .iter()
                        .position(|(c, _)| *c == cfg_name)
                        .ok_or_else(|| TlaError::Engine {
                            engine: backend.engine().as_str(),
                            exit: None,
                            message: format!(
                                "reported a violation of {cfg_name}, which this run did not check"
                            ),
                        })?;
                    let (_, name) = remaining.remove(idx);
                    let verdict = if cfg_name == name {
                        Verdict::Violated
                    } else {
                        Verdict::Holds
                    };
                    decided.insert(name, decide(verdict, Some(trace), None));
                }
                Some(Violation::Deadlock(trace)) => {
                    if !deadlock {
                        return Err(TlaError::Engine {
                            engine: backend.engine().as_str(),
                            exit: None,
                            message: "reported a deadlock with deadlock checking off".into(),
                        });
                    }
                    deadlock = false;
                    decided.insert(
                        DEADLOCK_FREE.to_string(),
                        decide(Verdict::Violated, Some(trace), None),
                    );
                }
                Some(Violation::Temporal(_)) => {
                    return Err(TlaError::Engine {
                        engine: backend.engine().as_str(),
                        exit: None,
                        message: "reported a temporal violation in a run without a PROPERTY".into(),
                    })
                }
                None => {}
            }
            if let Some(limit) = outcome.limit {
                limits.push(limit);
                break;
            }
            if finished {
                complete_counts = Some(outcome.counts);
                break;
            }
        }
        let safety_complete = complete_counts.is_some();
        for (cfg_name, name) in remaining.drain(..) {
            let report = if !safety_complete {
                decide(Verdict::Unknown, None, Some(limit_note(&limits)))
            } else if cfg_name == name {
                decide(Verdict::Holds, None, None)
            } else {
                decide(
                    Verdict::Violated,
                    None,
                    Some("never reached in a complete search of the state space".into()),
                )
            };
            decided.insert(name, report);
        }
        if deadlock {
            let report = if safety_complete {
                decide(Verdict::Holds, None, None)
            } else {
                decide(Verdict::Unknown, None, Some(limit_note(&limits)))
            };
            decided.insert(DEADLOCK_FREE.to_string(), report);
        }
    }

    // 2. One run per liveness property.
    for p in &liveness {
        if out_of_time(deadline) {
            limits.push(format!("the time limit was used up before {} ran", p.name));
            decided.insert(
                p.name.clone(),
                decide(
                    Verdict::Unknown,
                    None,
                    Some("not run: the time limit was used up".into()),
                ),
            );
            continue;
        }
        let run = RunSpec {
            invariants: Vec::new(),
            check_deadlock: false,
            property: Some(p.name.clone()),
        };
        let cfg = ws.write_cfg(&run)?;
        commands.push(backend.command(ws, &run, &cfg));
        let outcome = backend.execute(ws, &run, &cfg, budget(deadline))?;
        last_counts = outcome.counts;
        let report = match (outcome.violation, &outcome.limit) {
            (Some(Violation::Temporal(trace)), None) => {
                decide(Verdict::Violated, Some(trace), None)
            }
            (Some(Violation::Temporal(trace)), Some(limit)) => {
                let mut r = decide(
                    Verdict::Unknown,
                    None,
                    Some(format!(
                        "{limit}; a lasso was found in the truncated state graph, which may be an artefact of the truncation ({} steps)",
                        trace.steps.len()
                    )),
                );
                r.counterexample = Some(trace.steps);
                r.cycle_start = trace.cycle_start;
                r
            }
            (None, None) => {
                complete_counts.get_or_insert(outcome.counts);
                decide(Verdict::Holds, None, None)
            }
            (None, Some(limit)) => decide(Verdict::Unknown, None, Some(limit.clone())),
            (Some(other), _) => {
                return Err(TlaError::Engine {
                    engine: backend.engine().as_str(),
                    exit: None,
                    message: format!(
                        "reported {other:?} in a run checking only PROPERTY {}",
                        p.name
                    ),
                })
            }
        };
        if let Some(limit) = outcome.limit {
            limits.push(limit);
        }
        decided.insert(p.name.clone(), report);
    }

    // 3. A count run when nothing above explored the whole state space.
    if complete_counts.is_none() && limits.is_empty() {
        let run = RunSpec {
            invariants: Vec::new(),
            check_deadlock: false,
            property: None,
        };
        let cfg = ws.write_cfg(&run)?;
        commands.push(backend.command(ws, &run, &cfg));
        let outcome = backend.execute(ws, &run, &cfg, budget(deadline))?;
        last_counts = outcome.counts;
        match (outcome.violation, outcome.limit) {
            (None, None) => complete_counts = Some(outcome.counts),
            (None, Some(limit)) => limits.push(limit),
            (Some(v), _) => {
                return Err(TlaError::Engine {
                    engine: backend.engine().as_str(),
                    exit: None,
                    message: format!("reported {v:?} in a run checking nothing"),
                })
            }
        }
    }

    let counts = complete_counts.unwrap_or(last_counts);
    let properties = job
        .properties
        .iter()
        .map(|p| {
            let d = decided
                .remove(&p.name)
                .unwrap_or_else(|| decide(Verdict::Unknown, None, Some(limit_note(&limits))));
            PropertyReport {
                name: p.name.clone(),
                kind: p.kind,
                description: p.description.clone(),
                ..d
            }
        })
        .collect();
    let mut constants = job.constants.clone();
    for mv in &job.model_values {
        constants.insert(mv.clone(), mv.clone());
    }
    Ok(CheckReport {
        model: job.model.clone(),
        engine: backend.engine(),
        constants,
        distinct_states: counts.distinct,
        generated_states: counts.generated,
        depth: counts.depth,
        elapsed_s: started.elapsed().as_secs_f64(),
        complete: complete_counts.is_some() && limits.is_empty(),
        fingerprint_collision_probability: None,
        properties,
        command: commands.join(" ; "),
    })
}

fn limit_note(limits: &[String]) -> String {
    if limits.is_empty() {
        "not decided".to_string()
    } else {
        format!("not decided: {}", limits.join("; "))
    }
}

/// A property report with placeholder name/kind/description (filled in by the caller).
fn decide(verdict: Verdict, trace: Option<Trace>, note: Option<String>) -> PropertyReport {
    let (counterexample, cycle_start, trace_note) = match trace {
        Some(t) => (Some(t.steps), t.cycle_start, t.note),
        None => (None, None, None),
    };
    let note = match (note, trace_note) {
        (Some(a), Some(b)) => Some(format!("{a}; {b}")),
        (a, b) => a.or(b),
    };
    PropertyReport {
        name: String::new(),
        kind: PropertyKind::Always,
        verdict,
        description: String::new(),
        counterexample,
        cycle_start,
        note,
    }
}
