//! The tla-checker backend: the crates.io `tla-checker` library run in-process (no install
//! step), on the same generated `MC.tla` and `.cfg` files as TLC, following the same
//! [`plan`](super::plan).
//!
//! Differences from TLC handled here (measured on tla-checker 0.24.11):
//! - its defaults stop silently at 10^6 states and depth 100: both are raised to "no limit"
//!   (or `TlaOptions::max_states`), and hitting any limit makes the run incomplete;
//! - with no INVARIANT in the cfg it checks operators named like `TypeOK`/`Inv` anyway; a run
//!   without invariants clears them, so each run checks exactly what the plan asked;
//! - action names carry no parameters (`Read`, not `Read(u1)`), and liveness counterexamples
//!   carry no action names at all (`?`); each property's `note` says so;
//! - it has no memory limit: each run is made in a forked child process under
//!   [`child::run_forked`], killed over `TlaOptions::max_memory` (default
//!   [`child::default_memory_bound`]) or on SIGINT/SIGTERM; the counts of a run stopped so
//!   are the last of its progress lines (every 1,000 states), `generated` unknown (0);
//! - it ignores `ACTION_CONSTRAINT` and `POSTCONDITION` with a warning, which would change
//!   what is checked: a cfg with either is refused ([`TlaError::Spec`], exit 2) — use TLC;
//!   `ALIAS` only changes how TLC prints traces and is ignored;
//! - it names the temporal property it found violated, so the plan needs no extra runs;
//! - its global evaluator settings are thread-local; a panic inside the library becomes
//!   [`TlaError::Engine`].
//!
//! Counts: `distinct` is its `states_explored` and `depth` its `max_depth_reached`, both
//! equal to TLC's on every spec measured. `generated` is its transition count, which is
//! TLC's "states generated" *minus the number of initial states* (TLC counts those too;
//! the library does not expose them): Counter 8 vs TLC 9, Shop 14 vs 15.

use super::child;
use super::error::TlaError;
use super::plan::{Backend, Counts, RunOutcome, Trace, Violation};
use super::tlc::shell_quote;
use super::workspace::{RunSpec, Workspace};
use super::TlaOptions;
use crate::report::{Engine, Step};
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tla_checker::ast::{Env, State, Value};
use tla_checker::checker::{check, CheckResult, CheckStats, CheckerConfig};

const ENGINE: &str = "tla-checker";
const ACTION_NOTE: &str = "tla-checker names actions without their parameters";
const LIVENESS_NOTE: &str =
    "tla-checker does not name the actions of a liveness counterexample: they are `?`";

/// The in-process tla-checker engine.
#[derive(Debug, Clone)]
pub struct TlaChecker {
    max_states: Option<u64>,
    max_memory: u64,
}

impl TlaChecker {
    /// An engine honouring `opts.max_states` and `opts.max_memory` (workers are ignored:
    /// it is single-threaded).
    pub fn new(opts: &TlaOptions) -> TlaChecker {
        TlaChecker {
            max_states: opts.max_states,
            max_memory: opts.max_memory.unwrap_or_else(child::default_memory_bound),
        }
    }
}

/// A failure inside the child process, carried back to the parent.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
enum ChildError {
    /// The spec or cfg cannot be read ([`TlaError::Spec`]).
    Spec(String),
    /// Anything else ([`TlaError::Engine`]).
    Engine(String),
}

impl From<TlaError> for ChildError {
    fn from(e: TlaError) -> Self {
        match e {
            TlaError::Spec { message, .. } => ChildError::Spec(message),
            TlaError::Engine { message, .. } => ChildError::Engine(message),
            other => ChildError::Engine(other.to_string()),
        }
    }
}

/// The distinct states and depth of tla-checker's last progress line
/// (`  N states explored | R/s | depth: D | queue: Q` or `  Progress: N states explored, …`).
pub fn progress_counts(stderr: &str) -> Counts {
    let number = |text: &str| -> Option<u64> {
        text.trim()
            .split(|c: char| !c.is_ascii_digit())
            .find(|w| !w.is_empty())?
            .parse()
            .ok()
    };
    stderr
        .lines()
        .rev()
        .find_map(|line| {
            let (head, tail) = line.split_once(" states explored")?;
            let distinct = number(head.trim().trim_start_matches("Progress:"))?;
            let depth = tail
                .split_once("depth:")
                .and_then(|(_, d)| number(d))
                .unwrap_or(0);
            Some(Counts {
                distinct,
                generated: 0,
                depth,
            })
        })
        .unwrap_or_default()
}

fn engine_err(message: impl Into<String>) -> TlaError {
    TlaError::Engine {
        engine: ENGINE,
        exit: None,
        message: message.into(),
    }
}

fn spec_err(message: impl Into<String>) -> TlaError {
    TlaError::Spec {
        engine: ENGINE,
        spec: Default::default(),
        message: message.into(),
    }
}

impl Backend for TlaChecker {
    fn engine(&self) -> Engine {
        Engine::TlaChecker
    }

    fn command(&self, ws: &Workspace, run: &RunSpec, cfg: &Path) -> String {
        let mut parts = vec![
            "tla".to_string(),
            format!("{}.tla", ws.module),
            "--config".into(),
            cfg.file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default(),
            "--max-states".into(),
            self.max_states.map_or(usize::MAX as u64, |n| n).to_string(),
            "--max-depth".into(),
            usize::MAX.to_string(),
        ];
        if !run.check_deadlock {
            parts.push("--allow-deadlock".into());
        }
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
        let module_path = ws.module_path();
        let input = std::fs::read_to_string(&module_path)
            .map_err(|e| TlaError::io(format!("reading {}", module_path.display()), e))?;
        let cfg_text = std::fs::read_to_string(cfg)
            .map_err(|e| TlaError::io(format!("reading {}", cfg.display()), e))?;
        let max_states = match self.max_states {
            Some(n) => usize::try_from(n).unwrap_or(usize::MAX),
            None => usize::MAX,
        };
        let check_deadlock = run.check_deadlock;
        let no_invariants = run.invariants.is_empty();
        let properties = run.properties.clone();
        let work = move || -> Result<RunOutcome, ChildError> {
            let finished = std::panic::catch_unwind(move || {
                run_in_process(
                    &input,
                    &module_path,
                    &cfg_text,
                    max_states,
                    budget,
                    check_deadlock,
                    no_invariants,
                )
            })
            .map_err(|panic| {
                let msg = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "unknown panic".into());
                ChildError::Engine(format!("tla-checker panicked: {msg}"))
            })??;
            Ok(outcome(finished, &properties)?)
        };
        let started = Instant::now();
        // tla-checker stops itself at the budget (whole seconds); the kill is the backstop.
        let deadline = budget.map(|b| started + b + Duration::from_secs(2));
        let forked = child::run_forked(work, deadline, Some(self.max_memory))?;
        if let Some(stop) = forked.stop {
            return match stop.limit_text(ENGINE, started.elapsed()) {
                None => Err(TlaError::Interrupted(match stop {
                    child::Stop::Interrupted(sig) => sig,
                    _ => 0,
                })),
                Some(limit) => Ok(RunOutcome {
                    counts: progress_counts(&forked.stderr),
                    violation: None,
                    limit: Some(limit),
                }),
            };
        }
        match forked.result {
            Some(Ok(outcome)) => Ok(outcome),
            Some(Err(ChildError::Spec(message))) => Err(spec_err(message)),
            Some(Err(ChildError::Engine(message))) => Err(engine_err(message)),
            None => {
                let tail: Vec<&str> = forked
                    .stderr
                    .lines()
                    .filter(|l| !l.contains("states explored") && !l.trim().is_empty())
                    .collect();
                Err(engine_err(format!(
                    "tla-checker's process ended without a result{}{}",
                    forked
                        .signal
                        .map(|s| format!(" (signal {s})"))
                        .unwrap_or_default(),
                    tail.last()
                        .map(|l| format!(": {}", l.trim()))
                        .unwrap_or_default()
                )))
            }
        }
    }
}

/// What the library returned, with the variable names to read states.
struct Finished {
    result: CheckResult,
    vars: Vec<Arc<str>>,
    invariant_names: Vec<Option<Arc<str>>>,
}

fn run_in_process(
    input: &str,
    module_path: &Path,
    cfg_text: &str,
    max_states: usize,
    budget: Option<Duration>,
    check_deadlock: bool,
    no_invariants: bool,
) -> Result<Finished, TlaError> {
    tla_checker::reset_tlc_state();
    let (mut spec, _warnings) = tla_checker::parser::parse_with_warnings(input).map_err(|e| {
        spec_err(format!(
            "{}{}",
            e.message,
            e.span
                .map(|s| format!(" at bytes {}..{}", s.start, s.end))
                .unwrap_or_default()
        ))
    })?;
    tla_checker::modules::merge_extended_declarations(&mut spec, module_path).map_err(spec_err)?;
    let tlc_cfg = tla_checker::config::parse_cfg(cfg_text)
        .map_err(|e| spec_err(format!("tla-checker cannot read the cfg: {e}")))?;
    let mut spec =
        tla_checker::config::override_operators(&tlc_cfg, spec, input, Some(module_path))
            .map_err(spec_err)?;
    let mut domains = Env::new();
    let mut config = CheckerConfig {
        max_states,
        max_depth: usize::MAX,
        max_seconds: budget.map(|b| b.as_secs() + u64::from(b.subsec_nanos() > 0)),
        // Progress lines on stderr give the counts of a run stopped by the memory bound.
        quiet: false,
        verbosity: 1,
        spec_path: Some(module_path.to_path_buf()),
        ..CheckerConfig::default()
    };
    let warnings = tla_checker::config::apply_config(
        &tlc_cfg,
        &mut spec,
        &mut domains,
        &mut config,
        &[],
        &[],
        !check_deadlock,
    )
    .map_err(spec_err)?;
    if let Some(ignored) = warnings.iter().find(|w| {
        (w.starts_with("ACTION_CONSTRAINT") || w.starts_with("POSTCONDITION"))
            && w.contains("not yet supported")
    }) {
        return Err(spec_err(format!(
            "{} (it would check something other than the cfg says; use --engine tlc)",
            ignored.trim_end_matches(", ignoring")
        )));
    }
    config.allow_deadlock = !check_deadlock;
    if no_invariants {
        spec.invariants.clear();
        spec.invariant_names.clear();
    }
    tla_checker::eval::set_use_inference_engine(config.use_inference_engine);
    tla_checker::eval::set_allow_unassigned_stutter(config.allow_unassigned_stutter);
    tla_checker::eval::set_symbolic_integers(config.symbolic_integers);
    let vars = spec.vars.clone();
    let invariant_names = spec.invariant_names.clone();
    let result = check(&spec, &domains, &config);
    Ok(Finished {
        result,
        vars,
        invariant_names,
    })
}

/// `properties`: the run's PROPERTY names, to recognise the one tla-checker names.
fn outcome(f: Finished, properties: &[String]) -> Result<RunOutcome, TlaError> {
    let named = |p: &str| properties.iter().find(|n| n.as_str() == p).cloned();
    let vars = &f.vars;
    let plain = |counts: Counts| RunOutcome {
        counts,
        violation: None,
        limit: None,
    };
    Ok(match f.result {
        CheckResult::Ok(stats) => {
            if stats.violation_count > 0 {
                return Err(engine_err(
                    "reported violations in a run that should stop at the first",
                ));
            }
            plain(counts(&stats))
        }
        CheckResult::InvariantViolation(cex, stats) => {
            let name = f
                .invariant_names
                .get(cex.violated_invariant)
                .and_then(|n| n.clone())
                .ok_or_else(|| engine_err("an invariant violation without the invariant's name"))?;
            let trace = finite_trace(&cex.trace, &cex.actions, vars);
            RunOutcome {
                violation: Some(Violation::Invariant(name.to_string(), trace)),
                ..plain(counts(&stats))
            }
        }
        CheckResult::Deadlock(trace, actions, stats) => RunOutcome {
            violation: Some(Violation::Deadlock(finite_trace(&trace, &actions, vars))),
            ..plain(counts(&stats))
        },
        CheckResult::LivenessViolation(v, stats) => {
            let mut states: Vec<&State> = v.prefix.iter().collect();
            // `prefix` runs up to cycle[0] inclusive; the cycle then repeats.
            let cycle_start = states
                .len()
                .checked_sub(1)
                .ok_or_else(|| engine_err("a liveness violation with an empty prefix"))?;
            states.extend(v.cycle.iter().skip(1));
            let steps = states
                .iter()
                .enumerate()
                .map(|(i, s)| Step {
                    action: if i == 0 { "Init".into() } else { "?".into() },
                    state: state_json(s, vars),
                })
                .collect::<Vec<_>>();
            let note = if v.cycle.len() <= 1 {
                format!("{LIVENESS_NOTE}; the behaviour stutters forever in step {cycle_start}")
            } else {
                format!("{LIVENESS_NOTE}; the cycle closes back to step {cycle_start}")
            };
            RunOutcome {
                violation: Some(Violation::Temporal(
                    named(&v.property),
                    Trace {
                        steps,
                        cycle_start: Some(cycle_start),
                        note: Some(note),
                    },
                )),
                ..plain(counts(&stats))
            }
        }
        CheckResult::PropertyViolation(v, stats) => RunOutcome {
            violation: Some(Violation::Temporal(
                named(&v.property),
                finite_trace(&v.trace, &v.actions, vars),
            )),
            ..plain(counts(&stats))
        },
        CheckResult::MaxStatesExceeded(stats) => RunOutcome {
            limit: Some(format!(
                "state limit: stopped after {} distinct states",
                stats.states_explored
            )),
            ..plain(counts(&stats))
        },
        CheckResult::MaxDepthExceeded(stats) => RunOutcome {
            limit: Some(format!(
                "depth limit: stopped at depth {}",
                stats.max_depth_reached
            )),
            ..plain(counts(&stats))
        },
        CheckResult::MaxTimeExceeded(stats) => RunOutcome {
            limit: Some(format!(
                "time limit: stopped after {:.1}s",
                stats.elapsed_secs
            )),
            ..plain(counts(&stats))
        },
        CheckResult::InitError(e) => {
            return Err(engine_err(format!(
                "evaluating Init: {}",
                tla_checker::checker::format_eval_error(&e)
            )))
        }
        CheckResult::NextError(e, _, _) => {
            return Err(engine_err(format!(
                "evaluating Next: {}",
                tla_checker::checker::format_eval_error(&e)
            )))
        }
        CheckResult::InvariantError(e, _, _) => {
            return Err(engine_err(format!(
                "evaluating an invariant: {}",
                tla_checker::checker::format_eval_error(&e)
            )))
        }
        CheckResult::LivenessError(e, _) => {
            return Err(engine_err(format!(
                "checking liveness{}: {}",
                e.property.map(|p| format!(" of {p}")).unwrap_or_default(),
                tla_checker::checker::format_eval_error(&e.error)
            )))
        }
        CheckResult::RefinementViolation(..) => {
            return Err(engine_err(
                "reported a refinement violation, which flashcheck never asks for",
            ))
        }
        CheckResult::NoInitialStates => return Err(spec_err("the spec has no initial state")),
        CheckResult::PrepareError(e) => return Err(spec_err(format!("{e:?}"))),
    })
}

/// Counts (see the module doc for how they relate to TLC's).
fn counts(stats: &CheckStats) -> Counts {
    Counts {
        distinct: stats.states_explored as u64,
        generated: stats.transitions as u64,
        depth: stats.max_depth_reached as u64,
    }
}

fn finite_trace(states: &[State], actions: &[Option<Arc<str>>], vars: &[Arc<str>]) -> Trace {
    let steps = states
        .iter()
        .enumerate()
        .map(|(i, s)| Step {
            action: if i == 0 {
                "Init".into()
            } else {
                actions
                    .get(i)
                    .and_then(|a| a.as_ref())
                    .map_or_else(|| "?".to_string(), |a| a.to_string())
            },
            state: state_json(s, vars),
        })
        .collect();
    Trace {
        steps,
        cycle_start: None,
        note: Some(ACTION_NOTE.into()),
    }
}

fn state_json(state: &State, vars: &[Arc<str>]) -> BTreeMap<String, Json> {
    vars.iter()
        .zip(state.values.iter())
        .map(|(k, v)| (k.to_string(), value_json(v)))
        .collect()
}

/// A value in the shape TLC's `-dumpTrace json` uses: model values and strings as strings,
/// sets and tuples as arrays, functions with domain `1..n` as arrays, other functions and
/// records as objects (keys rendered as text).
pub fn value_json(v: &Value) -> Json {
    match v {
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::from(*i),
        Value::Str(s) | Value::Model(s) => Json::String(s.to_string()),
        Value::Set(s) => Json::Array(s.iter().map(value_json).collect()),
        Value::Tuple(t) => Json::Array(t.iter().map(value_json).collect()),
        Value::Record(r) => Json::Object(
            r.iter()
                .map(|(k, v)| (k.to_string(), value_json(v)))
                .collect(),
        ),
        Value::Fn(f) => {
            let is_seq = f
                .keys()
                .enumerate()
                .all(|(i, k)| matches!(k, Value::Int(n) if *n == i as i64 + 1));
            if is_seq {
                Json::Array(f.values().map(value_json).collect())
            } else {
                Json::Object(
                    f.iter()
                        .map(|(k, v)| {
                            let key = match value_json(k) {
                                Json::String(s) => s,
                                other => other.to_string(),
                            };
                            (key, value_json(v))
                        })
                        .collect(),
                )
            }
        }
        Value::IntSet(d) => Json::String(d.name().to_string()),
    }
}
