//! Saga conformance: the `saga` model (`tla/Saga.tla`) against [`SagaOrchestrator`], its
//! durable log in a temporary directory, and step services scripted by the model's actions.
//!
//! # The step services
//!
//! The orchestrator calls caller-supplied [`StepHandler`]s. Replay supplies [`Services`]: before
//! each operation the replayer scripts the answer to the *one* service call the model's action
//! makes (success or failure); a call with no answer scripted is one the model does not
//! make — it is refused (execute/compensate fail) and recorded as `unscripted`. The services
//! keep what each step holds (`effect`) and what they saw (`history`), as the step's real
//! service would: they are outside the orchestrator and survive its crashes.
//!
//! # Actions → operations
//!
//! `N` is the number of steps; model steps are 1-based, the orchestrator's 0-based.
//!
//! | model action | operation | result the model predicts |
//! | --- | --- | --- |
//! | `Execute(i)`, `i < N` | `Advance{ok: true}` | `[Committed(i)]` |
//! | `Execute(N)` | `Advance{ok: true, then_finish}` | `[Committed(N), Finished(Completed)]` |
//! | `Fail(i)`, `i > 1` | `Advance{ok: false}` | `[Failed(i)]` |
//! | `Fail(1)` | `Advance{ok: false, then_finish}` | `[Failed(1), Finished(Compensated)]` |
//! | `Compensate(i)`, `i > 1` | `Advance{ok: true}` | `[Compensated(i)]` |
//! | `Compensate(1)` | `Advance{ok: true, then_finish}` | `[Compensated(1), Finished(Compensated)]` |
//! | `CompensationFails(i)` | `Advance{ok: false}` | `[CompensationFailed(i)]` |
//! | `Crash` | `Crash`: the orchestrator is dropped (its log file stays) | `[Crashed]` |
//! | `Recover` | `Recover`: [`SagaOrchestrator::recover`] from the log | `[Recovered]` |
//!
//! `Advance{ok}` is one [`SagaOp::Advance`] with the services scripted to answer `ok`. The
//! model ends the saga in the same step as the last commit (`Execute(N)`: `pc` = `done`) or
//! the last compensation (`pc` = `aborted`); the orchestrator needs one more `Advance` to log
//! its `Finished` record, and makes no service call in it. `then_finish` is that `Advance`,
//! inside the same operation (the model has no state between the two, so no crash falls
//! between them either). Commits form a prefix `1..k` of the steps and are undone from the
//! top, so which actions end the saga follows from the action alone: `Execute(N)`, `Fail(1)`
//! and `Compensate(1)` (`tests::then_finish_is_where_the_model_ends_the_saga` checks it).
//! The failed attempt's number in `CompensationFailed` is dropped from the result: it is
//! compared as the state's `attempts`. No action is internal: every one is an operation.
//!
//! The orchestrator's [`RetryPolicy`] allows `R + 1` compensation attempts per session: the
//! model fails a compensation at most `R` times in all, so a correct orchestrator is never
//! stuck on a model path. The orchestrator's `CompensationStuck` (a session that runs out of
//! attempts) is a behaviour the model does not have; replay never reaches it.
//!
//! # Negative steps (refusals)
//!
//! At every state: while the saga is finished (`pc` `done` or `aborted`, the model enables no
//! step action), `Advance` with either scripted answer must get `[AlreadyFinished(outcome)]`
//! and call no service; while the orchestrator is down, `Advance` and a second `Crash` must be
//! refused (`Refused`: nothing runs); while it is up, a second `Recover` must be refused. Not
//! offered: `Crash` while up once the model's crash budget is spent — the bound is the
//! model's, a process can always die.
//!
//! # Abstraction function
//!
//! Both sides map to [`SagaAbstract`]:
//! - `up`: an orchestrator is running / the model's `up`;
//! - `pc`: the orchestrator's phase (`Forward` → `forward`, `Compensating` → `compensating`,
//!   `Finished(Completed)` → `done`, `Finished(Compensated)` → `aborted`) / the model's `pc`;
//! - `next`: the step the orchestrator acts on next — its `next_step` while forward, its
//!   `next_compensation()` while compensating / the model's `NextStep`, `ToUndo`;
//! - `attempts`: the failed attempts the log holds for that next compensation (0 when not
//!   compensating) / the model's `attempts`.
//!
//!   These three are read from a running orchestrator only: while it is down (`up` false)
//!   they are `None` on both sides — the log is compared when `Recover` reads it back;
//! - `effect`, `history`: what the step services hold and saw (execute succeeded → `commit`,
//!   execute failed → `fail`, compensate succeeded → `undo`) / the model's `effect`,
//!   `history` (its durable log of what the services did);
//! - `unscripted`: service calls the model does not make / always empty;
//! - `error`: the orchestrator's last start or recovery error / always `None`.
//!
//! The model's `crashes` bounds the crashes a behaviour may have; the orchestrator has no
//! counterpart and it is not compared.
//!
//! # Sequential specification (linearizability)
//!
//! The model itself: an operation with its result is a step of the model from the state
//! reached so far when some enabled action has exactly that operation and result
//! ([`SagaSpec`]). A concurrent run has several independent sagas — one client per saga,
//! each with its own log and its own services ([`Conformance::client`] is the saga) — so the
//! history is linearizable iff each saga's sub-history is (P-compositionality); a saga's
//! operations never overlap (one client), so each part is checked as a sequence. Replaying a
//! model path on pool or pinned runs its one saga on one worker: it checks the results only,
//! not the states. Concurrency is exercised by `--workload N`: `N` sagas, each following its
//! own random walk of the model, at once. What it can find beyond inline replay is
//! interference *between* sagas (shared state, log files); within one saga there is none to
//! find, because the orchestrator serialises its operations on a mutex.

use super::linearizability::{check_partitioned, HistoryError, Operation, Outcome, SequentialSpec};
use super::{Conformance, ExecutorChoice, Refusal};
use crate::reference::saga::{
    RetryPolicy, SagaError, SagaOp, SagaOrchestrator, SagaOutcome, SagaPhase, SagaRet, StepFailure,
    StepHandler, TransientFailure,
};
use crate::reference::Mutation;
use crate::specs::{SagaDefinition, SagaStep};
use flashcheck_models::saga::{Saga, SagaAction, SagaState};
use flashcheck_models::saga_history::{effect_view, Effect, Event, Op, Pc};
use flashcheck_models::Spec;
use serde::Serialize;
use stateright::Model;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// The saga a model path drives (the model has one); workload clients drive sagas `1..=N`.
pub const MODEL_SAGA: u64 = 1;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One replay operation on one saga.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SagaCall {
    /// One [`SagaOp::Advance`], the services scripted to answer its one call with success
    /// (`ok`) or failure; with `then_finish`, one more `Advance`, in which no call is scripted.
    Advance {
        /// The saga.
        saga: u64,
        /// The scripted answer.
        ok: bool,
        /// Advance once more: the model ends the saga with this action.
        then_finish: bool,
    },
    /// The orchestrator process dies: it is dropped, its log file stays.
    Crash {
        /// The saga.
        saga: u64,
    },
    /// A new orchestrator process recovers the saga from its log.
    Recover {
        /// The saga.
        saga: u64,
    },
}

impl SagaCall {
    /// The saga the call is for.
    pub fn saga(&self) -> u64 {
        match *self {
            SagaCall::Advance { saga, .. }
            | SagaCall::Crash { saga }
            | SagaCall::Recover { saga } => saga,
        }
    }

    fn on(self, saga: u64) -> Self {
        match self {
            SagaCall::Advance {
                ok, then_finish, ..
            } => SagaCall::Advance {
                saga,
                ok,
                then_finish,
            },
            SagaCall::Crash { .. } => SagaCall::Crash { saga },
            SagaCall::Recover { .. } => SagaCall::Recover { saga },
        }
    }
}

/// What one orchestrator call returned; steps 1-based, as the model numbers them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Reply {
    /// `StepCommitted`.
    Committed(u8),
    /// `StepFailed`.
    Failed(u8),
    /// `Compensated`.
    Compensated(u8),
    /// `CompensationFailed` (the attempt number is compared as state, see the module doc).
    CompensationFailed(u8),
    /// `CompensationStuck`.
    Stuck(u8),
    /// `Finished`.
    Finished(SagaOutcome),
    /// `AlreadyFinished`.
    AlreadyFinished(SagaOutcome),
    /// The orchestrator was dropped.
    Crashed,
    /// An orchestrator was recovered from the log.
    Recovered,
    /// The call makes no sense in the orchestrator's state (e.g. `Advance` while down).
    Refused(&'static str),
    /// The orchestrator returned an error.
    Error(String),
}

/// The results of one [`SagaCall`], in order.
pub type Ret = Vec<Reply>;

fn step_no(index: usize) -> u8 {
    u8::try_from(index + 1).unwrap_or(u8::MAX)
}

fn reply(ret: Result<SagaRet, SagaError>) -> Reply {
    match ret {
        Ok(SagaRet::StepCommitted { step }) => Reply::Committed(step_no(step)),
        Ok(SagaRet::StepFailed { step }) => Reply::Failed(step_no(step)),
        Ok(SagaRet::Compensated { step }) => Reply::Compensated(step_no(step)),
        Ok(SagaRet::CompensationFailed { step, .. }) => Reply::CompensationFailed(step_no(step)),
        Ok(SagaRet::CompensationStuck { step }) => Reply::Stuck(step_no(step)),
        Ok(SagaRet::Finished(outcome)) => Reply::Finished(outcome),
        Ok(SagaRet::AlreadyFinished(outcome)) => Reply::AlreadyFinished(outcome),
        Err(e) => Reply::Error(e.to_string()),
    }
}

/// What the step services hold and saw.
#[derive(Debug, Clone, Default)]
struct ServiceState {
    /// The answer to the next call, if one is scripted.
    answer: Option<bool>,
    effect: Vec<Effect>,
    history: Vec<Event>,
    unscripted: Vec<String>,
}

/// Step services scripted by the replayer (see the module doc).
#[derive(Debug)]
pub struct Services {
    state: Mutex<ServiceState>,
}

impl Services {
    fn new(steps: usize) -> Self {
        Services {
            state: Mutex::new(ServiceState {
                effect: vec![Effect::None; steps],
                ..ServiceState::default()
            }),
        }
    }

    fn script(&self, ok: bool) {
        lock(&self.state).answer = Some(ok);
    }

    fn unscript(&self) {
        lock(&self.state).answer = None;
    }

    /// Takes the scripted answer for `call` on step `index`; records `call` when none was.
    fn answer(&self, call: &str, index: usize) -> (MutexGuard<'_, ServiceState>, Option<bool>) {
        let mut s = lock(&self.state);
        let answer = s.answer.take();
        if answer.is_none() {
            s.unscripted.push(format!("{call}({})", step_no(index)));
        }
        (s, answer)
    }

    fn set_effect(s: &mut ServiceState, index: usize, effect: Effect) {
        if let Some(e) = s.effect.get_mut(index) {
            *e = effect;
        }
    }
}

impl StepHandler for Services {
    fn execute(&self, index: usize, _step: &SagaStep) -> Result<(), StepFailure> {
        let (mut s, answer) = self.answer("execute", index);
        match answer {
            Some(true) => {
                Self::set_effect(&mut s, index, Effect::Committed);
                s.history.push(Event::new(Op::Commit, step_no(index)));
                Ok(())
            }
            Some(false) => {
                s.history.push(Event::new(Op::Fail, step_no(index)));
                Err(StepFailure("scripted failure".into()))
            }
            None => Err(StepFailure("no call scripted".into())),
        }
    }

    fn compensate(&self, index: usize, _step: &SagaStep) -> Result<(), TransientFailure> {
        let (mut s, answer) = self.answer("compensate", index);
        match answer {
            Some(true) => {
                Self::set_effect(&mut s, index, Effect::Compensated);
                s.history.push(Event::new(Op::Undo, step_no(index)));
                Ok(())
            }
            Some(false) => Err(TransientFailure("scripted failure".into())),
            None => Err(TransientFailure("no call scripted".into())),
        }
    }
}

/// One saga: its services, its log, and its orchestrator while one is running.
#[derive(Debug)]
struct Instance {
    services: Arc<Services>,
    log: PathBuf,
    orchestrator: Option<SagaOrchestrator<Arc<Services>>>,
    error: Option<String>,
}

impl Instance {
    /// The reply to a call that needs a running orchestrator when there is none: the error
    /// that stopped it starting or recovering (e.g. no file descriptor left for its log), if
    /// any, else a refusal.
    fn down(&self) -> Reply {
        match &self.error {
            Some(e) => Reply::Error(e.clone()),
            None => Reply::Refused("the orchestrator is down"),
        }
    }
}

/// The implementation under test: sagas by number, their logs in a temporary directory
/// (removed when this is dropped).
#[derive(Debug)]
pub struct SagaImpl {
    dir: tempfile::TempDir,
    definition: SagaDefinition,
    policy: RetryPolicy,
    mutation: Option<Mutation>,
    sagas: Mutex<BTreeMap<u64, Arc<Mutex<Instance>>>>,
}

impl SagaImpl {
    /// Sagas of `definition` logged under `dir`; saga [`MODEL_SAGA`] is started at once.
    fn new(
        dir: tempfile::TempDir,
        definition: SagaDefinition,
        policy: RetryPolicy,
        mutation: Option<Mutation>,
    ) -> Self {
        let imp = SagaImpl {
            dir,
            definition,
            policy,
            mutation,
            sagas: Mutex::new(BTreeMap::new()),
        };
        imp.instance(MODEL_SAGA);
        imp
    }

    /// Saga `saga`, started with a fresh log on first use.
    fn instance(&self, saga: u64) -> Arc<Mutex<Instance>> {
        let mut sagas = lock(&self.sagas);
        Arc::clone(sagas.entry(saga).or_insert_with(|| {
            let services = Arc::new(Services::new(self.definition.steps.len()));
            let log = self.dir.path().join(format!("saga-{saga}.log"));
            let started = SagaOrchestrator::start_with_mutation(
                self.definition.clone(),
                Arc::clone(&services),
                &log,
                self.policy,
                self.mutation,
            );
            let (orchestrator, error) = match started {
                Ok(o) => (Some(o), None),
                Err(e) => (None, Some(e.to_string())),
            };
            Arc::new(Mutex::new(Instance {
                services,
                log,
                orchestrator,
                error,
            }))
        }))
    }

    fn invoke(&self, call: &SagaCall) -> Ret {
        let instance = self.instance(call.saga());
        let mut inst = lock(&instance);
        match *call {
            SagaCall::Advance {
                ok, then_finish, ..
            } => {
                let Some(o) = &inst.orchestrator else {
                    return vec![inst.down()];
                };
                inst.services.script(ok);
                let mut replies = vec![reply(o.invoke(SagaOp::Advance))];
                // An answer the orchestrator did not ask for must not answer a later call.
                inst.services.unscript();
                if then_finish {
                    replies.push(reply(o.invoke(SagaOp::Advance)));
                }
                replies
            }
            SagaCall::Crash { .. } => match inst.orchestrator.take() {
                Some(o) => {
                    drop(o);
                    vec![Reply::Crashed]
                }
                None => vec![inst.down()],
            },
            SagaCall::Recover { .. } => {
                if inst.orchestrator.is_some() {
                    return vec![Reply::Refused("the orchestrator is already running")];
                }
                let recovered = SagaOrchestrator::recover_with_mutation(
                    self.definition.clone(),
                    Arc::clone(&inst.services),
                    &inst.log,
                    self.policy,
                    self.mutation,
                );
                match recovered {
                    Ok(o) => {
                        inst.orchestrator = Some(o);
                        inst.error = None;
                        vec![Reply::Recovered]
                    }
                    Err(e) => {
                        inst.error = Some(e.to_string());
                        vec![Reply::Error(e.to_string())]
                    }
                }
            }
        }
    }

    fn observe(&self, saga: u64) -> SagaAbstract {
        let instance = self.instance(saga);
        let inst = lock(&instance);
        let services = lock(&inst.services.state).clone();
        let (pc, next, attempts) = match &inst.orchestrator {
            None => (None, None, None),
            Some(o) => {
                let progress = o.observe().progress;
                let (pc, next) = match progress.phase {
                    SagaPhase::Forward { next_step } => ("forward", Some(step_no(next_step))),
                    SagaPhase::Compensating => {
                        ("compensating", progress.next_compensation().map(step_no))
                    }
                    SagaPhase::Finished(SagaOutcome::Completed) => ("done", None),
                    SagaPhase::Finished(SagaOutcome::Compensated) => ("aborted", None),
                };
                let attempts = match (&progress.phase, progress.next_compensation()) {
                    (SagaPhase::Compensating, Some(step)) => progress
                        .compensation_failures
                        .get(&step)
                        .map_or(0, |&n| u8::try_from(n).unwrap_or(u8::MAX)),
                    _ => 0,
                };
                (Some(pc), next, Some(attempts))
            }
        };
        SagaAbstract {
            up: inst.orchestrator.is_some(),
            pc,
            next,
            attempts,
            effect: effect_view(&services.effect),
            history: services.history,
            unscripted: services.unscripted,
            error: inst.error.clone(),
        }
    }
}

/// The observable state both sides map to (see the module doc).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SagaAbstract {
    /// An orchestrator is running.
    pub up: bool,
    /// Its phase, as the model names it; `None` while down.
    pub pc: Option<&'static str>,
    /// The step it acts on next (1-based), forward or compensating; `None` while down.
    pub next: Option<u8>,
    /// Failed attempts of the next compensation; `None` while down.
    pub attempts: Option<u8>,
    /// What each step's service holds.
    pub effect: Vec<&'static str>,
    /// What the services saw: commits, failures, completed compensations.
    pub history: Vec<Event>,
    /// Service calls that no action of the model makes.
    pub unscripted: Vec<String>,
    /// The orchestrator's last start or recovery error.
    pub error: Option<String>,
}

/// How many sagas can run at once in this process: each running orchestrator holds its log
/// file open, so the open-file limit (`ulimit -n`) less a margin for everything else; `None`
/// when the limit cannot be read or is unlimited.
pub fn max_running_sagas() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid, writable `rlimit` for the call to fill in.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0
        || limit.rlim_cur == libc::RLIM_INFINITY
    {
        return None;
    }
    // `rlim_t` is `u64` on 64-bit Linux, narrower on some other targets.
    #[allow(clippy::useless_conversion)]
    let soft = u64::from(limit.rlim_cur);
    Some(soft.saturating_sub(64))
}

/// The model/implementation correspondence for `saga`.
#[derive(Debug)]
pub struct SagaConformance {
    model: Saga,
    definition: SagaDefinition,
    retries: u8,
    /// Each workload client's position in its random walk of the model.
    walks: Mutex<BTreeMap<u64, SagaState>>,
}

/// The model and the saga definition do not correspond.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SagaConformanceError {
    /// A constant of the model could not be read back.
    #[error("saga constant {0} unreadable")]
    BadConstant(&'static str),
    /// The model was built from another step list.
    #[error("the model's steps are not saga `{saga}`'s: {reason}")]
    OtherSaga {
        /// The definition's name.
        saga: String,
        /// The first difference.
        reason: String,
    },
    /// No log directory can be created under the temporary directory (`TMPDIR`).
    #[error("saga replay: cannot create a log directory under {dir} (set TMPDIR to a writable directory): {reason}")]
    LogDir {
        /// The temporary directory tried.
        dir: String,
        /// The OS error.
        reason: String,
    },
}

impl SagaConformance {
    /// The correspondence for `model`, built from `definition`'s steps (as
    /// [`crate::registry::builtin::saga::step_list`] builds them).
    pub fn new(model: Saga, definition: SagaDefinition) -> Result<Self, SagaConformanceError> {
        // Every run logs to a fresh temporary directory (`build` has no error path): find out
        // now, with a clear error, whether one can be created.
        tempfile::Builder::new()
            .prefix("flashcheck-saga-")
            .tempdir()
            .map_err(|e| SagaConformanceError::LogDir {
                dir: std::env::temp_dir().display().to_string(),
                reason: e.to_string(),
            })?;
        let constants: BTreeMap<&str, String> = model.constants().into_iter().collect();
        let retries = constants
            .get("R")
            .and_then(|v| v.parse().ok())
            .ok_or(SagaConformanceError::BadConstant("R"))?;
        let other = |reason: String| SagaConformanceError::OtherSaga {
            saga: definition.name.clone(),
            reason,
        };
        let names = model.steps().steps();
        if names.len() != definition.steps.len() {
            return Err(other(format!(
                "{} steps in the model, {} in the definition",
                names.len(),
                definition.steps.len()
            )));
        }
        for (k, (m, d)) in names.iter().zip(&definition.steps).enumerate() {
            if m.name != d.name || m.compensation != d.compensation {
                return Err(other(format!(
                    "step {}: `{}`/`{}` in the model, `{}`/`{}` in the definition",
                    k + 1,
                    m.name,
                    m.compensation,
                    d.name,
                    d.compensation
                )));
            }
        }
        Ok(SagaConformance {
            model,
            definition,
            retries,
            walks: Mutex::new(BTreeMap::new()),
        })
    }

    /// The orchestrator's retry policy: `R + 1` attempts per session (see the module doc).
    pub fn policy(&self) -> RetryPolicy {
        RetryPolicy {
            max_compensation_attempts: u32::from(self.retries) + 1,
        }
    }

    /// The operation and predicted result of `action` on saga `saga`.
    pub fn operation_on(&self, action: &SagaAction, saga: u64) -> (SagaCall, Ret) {
        let last = self.model.steps().len();
        let advance = |ok: bool, reply: Reply, finish: Option<SagaOutcome>| {
            let mut ret = vec![reply];
            ret.extend(finish.map(Reply::Finished));
            (
                SagaCall::Advance {
                    saga,
                    ok,
                    then_finish: finish.is_some(),
                },
                ret,
            )
        };
        let ends = |yes: bool, outcome: SagaOutcome| yes.then_some(outcome);
        match *action {
            SagaAction::Execute(i) => advance(
                true,
                Reply::Committed(i),
                ends(i == last, SagaOutcome::Completed),
            ),
            SagaAction::Fail(i) => advance(
                false,
                Reply::Failed(i),
                ends(i == 1, SagaOutcome::Compensated),
            ),
            SagaAction::Compensate(i) => advance(
                true,
                Reply::Compensated(i),
                ends(i == 1, SagaOutcome::Compensated),
            ),
            SagaAction::CompensationFails(i) => advance(false, Reply::CompensationFailed(i), None),
            SagaAction::Crash => (SagaCall::Crash { saga }, vec![Reply::Crashed]),
            SagaAction::Recover => (SagaCall::Recover { saga }, vec![Reply::Recovered]),
        }
    }

    /// The model as a sequential specification.
    pub fn spec(&self) -> SagaSpec<'_> {
        SagaSpec { c: self }
    }
}

impl Conformance for SagaConformance {
    type Model = Saga;
    type Impl = SagaImpl;
    type Op = SagaCall;
    type Ret = Ret;
    type Abstract = SagaAbstract;

    fn model(&self) -> &Saga {
        &self.model
    }

    /// Logs go to a fresh directory under the system's temporary directory (`TMPDIR`).
    /// Panics if it cannot be created: the trait has no error path, and no replay can run.
    fn build(&self, _: ExecutorChoice, _: usize, mutation: Option<Mutation>) -> SagaImpl {
        let dir = tempfile::Builder::new()
            .prefix("flashcheck-saga-")
            .tempdir()
            .unwrap_or_else(|e| panic!("saga replay: cannot create a log directory: {e}"));
        SagaImpl::new(dir, self.definition.clone(), self.policy(), mutation)
    }

    fn operation(&self, action: &SagaAction) -> Option<(SagaCall, Ret)> {
        Some(self.operation_on(action, MODEL_SAGA))
    }

    fn refusals(&self, s: &SagaState) -> Vec<Refusal<SagaCall, Ret>> {
        let saga = MODEL_SAGA;
        let advance = |ok| SagaCall::Advance {
            saga,
            ok,
            then_finish: false,
        };
        let names = ["Execute/Compensate", "Fail/CompensationFails"];
        if !s.up {
            let down = vec![Reply::Refused("the orchestrator is down")];
            let mut out: Vec<_> = [true, false]
                .into_iter()
                .zip(names)
                .map(|(ok, name)| Refusal {
                    action: format!("{name} while down"),
                    op: advance(ok),
                    expected: down.clone(),
                })
                .collect();
            out.push(Refusal {
                action: "Crash while down".into(),
                op: SagaCall::Crash { saga },
                expected: down,
            });
            return out;
        }
        let mut out = vec![Refusal {
            action: "Recover while up".into(),
            op: SagaCall::Recover { saga },
            expected: vec![Reply::Refused("the orchestrator is already running")],
        }];
        let outcome = match s.pc {
            Pc::Done => SagaOutcome::Completed,
            Pc::Aborted => SagaOutcome::Compensated,
            Pc::Forward | Pc::Compensating | Pc::Lost => return out,
        };
        out.extend(
            [true, false]
                .into_iter()
                .zip(names)
                .map(|(ok, name)| Refusal {
                    action: format!("{name} after the saga finished"),
                    op: advance(ok),
                    expected: vec![Reply::AlreadyFinished(outcome)],
                }),
        );
        out
    }

    fn invoke(&self, imp: &SagaImpl, _home: usize, op: &SagaCall) -> Ret {
        imp.invoke(op)
    }

    fn observe(&self, imp: &SagaImpl) -> SagaAbstract {
        imp.observe(MODEL_SAGA)
    }

    fn abstract_model(&self, s: &SagaState) -> SagaAbstract {
        let (pc, next, attempts) = if s.up {
            let next = match s.pc {
                Pc::Forward => Some(Saga::next_step(s)),
                Pc::Compensating => Saga::to_undo(s),
                Pc::Done | Pc::Aborted | Pc::Lost => None,
            };
            (Some(s.pc.tla_name()), next, Some(s.attempts))
        } else {
            (None, None, None)
        };
        SagaAbstract {
            up: s.up,
            pc,
            next,
            attempts,
            effect: effect_view(&s.effect),
            history: s.history.clone(),
            unscripted: Vec::new(),
            error: None,
        }
    }

    fn client(&self, op: &SagaCall) -> u64 {
        op.saga()
    }

    fn check_history(&self, history: &[Operation<SagaCall, Ret>]) -> Result<Outcome, HistoryError> {
        check_partitioned(history, SagaCall::saga, |_| self.spec())
    }

    /// Client `k` drives saga `k` along its own random walk of the model (`coin` chooses
    /// among the enabled actions); it is done when the model's saga has ended. The walk
    /// follows the model, not the results: a wrong result is the checker's to find.
    fn workload_step(
        &self,
        client: u64,
        previous: Option<(&SagaCall, &Ret)>,
        coin: u64,
    ) -> Option<SagaCall> {
        let mut walks = lock(&self.walks);
        let state = match previous {
            None => self.model.init_states().into_iter().next()?,
            Some(_) => walks.get(&client)?.clone(),
        };
        let mut actions = Vec::new();
        self.model.actions(&state, &mut actions);
        if actions.is_empty() {
            walks.remove(&client);
            return None;
        }
        let action = actions[(coin % actions.len() as u64) as usize];
        let next = self.model.next_state(&state, action)?;
        walks.insert(client, next);
        Some(self.operation_on(&action, client).0)
    }
}

/// The model as the sequential specification of one saga: `(op, ret)` steps the model by the
/// enabled action whose operation and predicted result they are.
#[derive(Debug, Clone, Copy)]
pub struct SagaSpec<'a> {
    c: &'a SagaConformance,
}

impl SequentialSpec for SagaSpec<'_> {
    type State = SagaState;
    type Op = SagaCall;
    type Ret = Ret;

    fn init(&self) -> SagaState {
        self.c
            .model
            .init_states()
            .into_iter()
            .next()
            .expect("the saga model has one initial state")
    }

    fn step(&self, s: &SagaState, op: &SagaCall, ret: &Ret) -> Option<SagaState> {
        let mut actions = Vec::new();
        self.c.model.actions(s, &mut actions);
        let normalised = op.on(MODEL_SAGA);
        actions.into_iter().find_map(|a| {
            let (want_op, want_ret) = self.c.operation_on(&a, MODEL_SAGA);
            (want_op == normalised && want_ret == *ret)
                .then(|| self.c.model.next_state(s, a))
                .flatten()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::builtin::saga::step_list;
    use crate::specs::seed_saga;
    use crate::trace::{random_walk, SplitMix64};

    fn conformance(f: u64, r: u64, c: u64) -> SagaConformance {
        let definition = seed_saga();
        let model = Saga::new(step_list(&definition).unwrap(), f, r, c).unwrap();
        SagaConformance::new(model, definition).unwrap()
    }

    #[test]
    fn then_finish_is_where_the_model_ends_the_saga() {
        let c = conformance(1, 2, 2);
        for seed in 0..500 {
            let (init, path) = random_walk(&c.model, 40, &mut SplitMix64::new(seed)).unwrap();
            let mut s = init;
            for a in &path {
                s = c.model.next_state(&s, *a).unwrap();
                let (op, _) = c.operation(a).unwrap();
                let finishes = matches!(
                    op,
                    SagaCall::Advance {
                        then_finish: true,
                        ..
                    }
                );
                assert_eq!(finishes, Saga::ended(&s), "{a:?} from seed {seed}");
            }
        }
    }

    #[test]
    fn sequential_spec_is_the_model() {
        let c = conformance(1, 2, 2);
        let spec = c.spec();
        for seed in 0..500 {
            let (init, path) = random_walk(&c.model, 40, &mut SplitMix64::new(seed)).unwrap();
            let (mut m, mut s) = (init, spec.init());
            for a in &path {
                m = c.model.next_state(&m, *a).unwrap();
                let (op, ret) = c.operation_on(a, 7);
                s = spec
                    .step(&s, &op, &ret)
                    .expect("the spec refuses a model step");
                assert_eq!(s, m);
            }
        }
    }

    #[test]
    fn a_model_of_other_steps_is_refused() {
        let definition = seed_saga();
        let mut other = definition.clone();
        other.steps.pop();
        let model = Saga::new(step_list(&other).unwrap(), 1, 1, 1).unwrap();
        assert!(matches!(
            SagaConformance::new(model, definition),
            Err(SagaConformanceError::OtherSaga { .. })
        ));
    }
}
