//! The run plan: which engine runs check a job, and how their outcomes become one
//! [`CheckReport`]. Engine-independent; TLC and tla-checker plug in as a [`Backend`].
//!
//! Both engines stop at the first violation, so a run that found one has not seen the
//! whole state space. The plan is one loop:
//!
//! - **Every property in one run.** A run checks every remaining `always` invariant, every
//!   `sometimes` property `P` as the invariant `MC_never_P`, deadlock when `deadlock_free`
//!   is listed (otherwise deadlock checking is off), and every remaining `eventually`
//!   property as a PROPERTY. When it stops at a violation, that property is decided (an
//!   `always` is violated, a `sometimes` holds with the trace as witness, `deadlock_free` is
//!   violated), dropped, and the loop runs again. The first run that finishes without a
//!   violation explored the complete state space: its counts are the report's counts and
//!   every property still in it is decided (`always` and `eventually` hold, `sometimes` is
//!   unreachable, i.e. violated).
//! - **Naming a temporal violation.** TLC does not say which PROPERTY it found violated.
//!   When a run with several stops at one, each of them is checked in a run of its own
//!   (nothing else in it), which decides all of them; when all but the last hold, the last
//!   is the violated one and needs no run (the first run's trace is its counterexample).
//!   The loop then goes on without them, unless nothing is left to check and a property
//!   run already explored everything. An engine that names the property (tla-checker)
//!   needs no such runs.
//! - A user's `POSTCONDITION` stays in every run; TLC evaluates it after a complete search,
//!   so a run that ends with it false is complete and decides it violated.
//!
//! For `v` safety checks decided by a violation and no temporal violation, that is `v + 1`
//! runs: one when everything holds. A temporal violation among `L > 1` properties adds at
//! most `L` (`L - 1` when only the last is violated), and one more run for what is left.
//!
//! TLC's `-continue` was measured and rejected: it prints a full trace for *every* violating
//! state, writes no `-dumpTrace` file, and exits 0.
//!
//! A limit (timeout, state limit, memory limit) makes a run incomplete: undecided properties
//! become `unknown`, the report `complete = false`, and its counts are the engine's own
//! statistics so far. A safety violation found before the limit is still a real
//! counterexample. A liveness violation found in a truncated graph may be an artefact of the
//! truncation, so it is reported `unknown` with the trace kept.

use super::error::TlaError;
use super::workspace::{never_name, RunSpec, Workspace};
use super::{TlaJob, DEADLOCK_FREE};
use crate::report::{CheckReport, Engine, PropertyKind, PropertyReport, Step};
use crate::verdict::Verdict;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

/// State-space counts of one run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Distinct states.
    pub distinct: u64,
    /// Generated states (TLC's convention).
    pub generated: u64,
    /// Depth (TLC's convention: states on the longest shortest path).
    pub depth: u64,
}

/// A counterexample as an engine reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trace {
    /// Steps, the first labelled `Init`.
    pub steps: Vec<Step>,
    /// Where a lasso's cycle starts.
    pub cycle_start: Option<usize>,
    /// A remark on the trace (how loops close, fallbacks used).
    pub note: Option<String>,
}

/// What stopped a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Violation {
    /// The named invariant (as named in the cfg).
    Invariant(String, Trace),
    /// A deadlock.
    Deadlock(Trace),
    /// A temporal property: named when the engine says which (tla-checker), `None` when
    /// it does not (TLC).
    Temporal(Option<String>, Trace),
    /// The cfg's POSTCONDITION was false after a complete search.
    Postcondition,
}

/// The outcome of one engine run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    let mut plan = Plan {
        backend,
        ws,
        deadline: timeout.map(|t| started + t),
        decided: BTreeMap::new(),
        commands: Vec::new(),
        complete_counts: None,
        last_counts: Counts::default(),
        limits: Vec::new(),
    };
    let postcondition = job.user_cfg.as_ref().and_then(|u| u.postcondition.clone());
    // The invariants, cfg name -> property name.
    let mut invariants: Vec<(String, String)> = Vec::new();
    let mut deadlock = false;
    let mut temporal: Vec<String> = Vec::new();
    for p in &job.properties {
        match p.kind {
            _ if Some(&p.name) == postcondition.as_ref() => {}
            PropertyKind::Always if p.name == DEADLOCK_FREE => deadlock = true,
            PropertyKind::Always => invariants.push((p.name.clone(), p.name.clone())),
            PropertyKind::Sometimes => invariants.push((never_name(&p.name), p.name.clone())),
            PropertyKind::Eventually => temporal.push(p.name.clone()),
        }
    }
    let mut postcondition_violated = false;
    loop {
        if plan.out_of_time() {
            plan.limits
                .push("the time limit was used up before the checks ran".into());
            break;
        }
        let run = RunSpec {
            invariants: invariants.iter().map(|(c, _)| c.clone()).collect(),
            check_deadlock: deadlock,
            properties: temporal.clone(),
            time_budget: None,
        };
        let outcome = plan.execute(&run)?;
        let finished = outcome.limit.is_none()
            && matches!(outcome.violation, None | Some(Violation::Postcondition));
        match outcome.violation {
            Some(Violation::Invariant(cfg_name, trace)) => {
                let idx = invariants
                    .iter()
                    .position(|(c, _)| *c == cfg_name)
                    .ok_or_else(|| {
                        plan.engine_error(format!(
                            "reported a violation of {cfg_name}, which this run did not check"
                        ))
                    })?;
                let (_, name) = invariants.remove(idx);
                let verdict = if cfg_name == name {
                    Verdict::Violated
                } else {
                    Verdict::Holds
                };
                plan.decided
                    .insert(name, decide(verdict, Some(trace), None));
            }
            Some(Violation::Deadlock(trace)) => {
                if !deadlock {
                    return Err(plan.engine_error("reported a deadlock with deadlock checking off"));
                }
                deadlock = false;
                plan.decided.insert(
                    DEADLOCK_FREE.to_string(),
                    decide(Verdict::Violated, Some(trace), None),
                );
            }
            Some(Violation::Temporal(named, trace)) => {
                let name = match named {
                    Some(n) if temporal.contains(&n) => Some(n),
                    Some(n) => {
                        return Err(plan.engine_error(format!(
                            "reported a violation of PROPERTY {n}, which this run did not check"
                        )))
                    }
                    None if temporal.len() == 1 => Some(temporal[0].clone()),
                    None if temporal.is_empty() => {
                        return Err(plan.engine_error(
                            "reported a temporal violation in a run without a PROPERTY",
                        ))
                    }
                    None => None,
                };
                match name {
                    Some(name) => {
                        temporal.retain(|t| *t != name);
                        let report = temporal_violation(trace, outcome.limit.as_deref());
                        plan.decided.insert(name, report);
                    }
                    None if outcome.limit.is_some() => {
                        // Which one is unknown, and the graph was truncated: leave them all
                        // undecided (the limit note says why).
                    }
                    None => {
                        // One run per property; when all but the last hold, the last is
                        // the violated one and this run's trace is its counterexample.
                        let mut names = std::mem::take(&mut temporal);
                        let last = names.pop().unwrap_or_default();
                        let mut all_held = true;
                        for name in names {
                            let report = plan.temporal_alone(&name)?;
                            all_held &= report.verdict == Verdict::Holds;
                            plan.decided.insert(name, report);
                        }
                        let report = if all_held {
                            decide(Verdict::Violated, Some(trace), None)
                        } else {
                            plan.temporal_alone(&last)?
                        };
                        plan.decided.insert(last, report);
                        if invariants.is_empty() && !deadlock && plan.complete_counts.is_some() {
                            // A property run that held explored everything: nothing is left.
                            break;
                        }
                    }
                }
            }
            Some(Violation::Postcondition) => postcondition_violated = true,
            None => {}
        }
        if let Some(limit) = outcome.limit {
            plan.limits.push(limit);
            break;
        }
        if finished {
            plan.complete_counts = Some(outcome.counts);
            break;
        }
    }

    // What the last run left undecided.
    let complete = plan.complete_counts.is_some();
    let undecided = decide(Verdict::Unknown, None, Some(limit_note(&plan.limits)));
    for (cfg_name, name) in invariants {
        let report = if !complete {
            undecided.clone()
        } else if cfg_name == name {
            decide(Verdict::Holds, None, None)
        } else {
            decide(
                Verdict::Violated,
                None,
                Some("never reached in a complete search of the state space".into()),
            )
        };
        plan.decided.insert(name, report);
    }
    let holds_if_complete = || {
        if complete {
            decide(Verdict::Holds, None, None)
        } else {
            undecided.clone()
        }
    };
    if deadlock {
        plan.decided
            .insert(DEADLOCK_FREE.to_string(), holds_if_complete());
    }
    for name in temporal {
        plan.decided.insert(name, holds_if_complete());
    }
    if let Some(post) = postcondition {
        let report = if postcondition_violated {
            decide(
                Verdict::Violated,
                None,
                Some("false after the complete search".into()),
            )
        } else {
            holds_if_complete()
        };
        plan.decided.insert(post, report);
    }

    let counts = plan.complete_counts.unwrap_or(plan.last_counts);
    let properties =
        job.properties
            .iter()
            .map(|p| {
                let d = plan.decided.remove(&p.name).unwrap_or_else(|| {
                    decide(Verdict::Unknown, None, Some(limit_note(&plan.limits)))
                });
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
        engine: plan.backend.engine(),
        constants,
        distinct_states: counts.distinct,
        generated_states: counts.generated,
        depth: counts.depth,
        elapsed_s: started.elapsed().as_secs_f64(),
        complete: complete && plan.limits.is_empty(),
        fingerprint_collision_probability: None,
        properties,
        command: plan.commands.join(" ; "),
    })
}

/// The state of one plan's execution.
struct Plan<'a> {
    backend: &'a mut dyn Backend,
    ws: &'a mut Workspace,
    deadline: Option<Instant>,
    decided: BTreeMap<String, PropertyReport>,
    commands: Vec<String>,
    complete_counts: Option<Counts>,
    last_counts: Counts,
    limits: Vec<String>,
}

impl Plan<'_> {
    fn out_of_time(&self) -> bool {
        self.deadline.is_some_and(|d| Instant::now() >= d)
    }

    /// One engine run, recorded in the commands and the last counts.
    fn execute(&mut self, run: &RunSpec) -> Result<RunOutcome, TlaError> {
        let budget = self
            .deadline
            .map(|d| d.saturating_duration_since(Instant::now()));
        let run = RunSpec {
            time_budget: budget.map(|b| b.as_secs() + u64::from(b.subsec_nanos() > 0)),
            ..run.clone()
        };
        let cfg = self.ws.write_cfg(&run)?;
        self.commands
            .push(self.backend.command(self.ws, &run, &cfg));
        let outcome = self.backend.execute(self.ws, &run, &cfg, budget)?;
        self.last_counts = outcome.counts;
        Ok(outcome)
    }

    /// Decide temporal property `name` in a run checking nothing else.
    fn temporal_alone(&mut self, name: &str) -> Result<PropertyReport, TlaError> {
        if self.out_of_time() {
            self.limits
                .push(format!("the time limit was used up before {name} ran"));
            return Ok(decide(
                Verdict::Unknown,
                None,
                Some("not run: the time limit was used up".into()),
            ));
        }
        let run = RunSpec {
            invariants: Vec::new(),
            check_deadlock: false,
            properties: vec![name.to_string()],
            time_budget: None,
        };
        let outcome = self.execute(&run)?;
        let report = match (outcome.violation, &outcome.limit) {
            (Some(Violation::Temporal(_, trace)), limit) => {
                temporal_violation(trace, limit.as_deref())
            }
            (None, None) => {
                self.complete_counts.get_or_insert(outcome.counts);
                decide(Verdict::Holds, None, None)
            }
            (None, Some(limit)) => decide(Verdict::Unknown, None, Some(limit.clone())),
            (Some(other), _) => {
                return Err(self.engine_error(format!(
                    "reported {other:?} in a run checking only PROPERTY {name}"
                )))
            }
        };
        if let Some(limit) = outcome.limit {
            self.limits.push(limit);
        }
        Ok(report)
    }

    fn engine_error(&self, message: impl Into<String>) -> TlaError {
        TlaError::Engine {
            engine: self.backend.engine().as_str(),
            exit: None,
            message: message.into(),
        }
    }
}

/// A temporal violation: violated, or `unknown` with the lasso kept when a limit truncated
/// the graph it was found in.
fn temporal_violation(trace: Trace, limit: Option<&str>) -> PropertyReport {
    match limit {
        None => decide(Verdict::Violated, Some(trace), None),
        Some(limit) => {
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
    }
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
