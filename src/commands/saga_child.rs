//! `flashcheck saga-child` (hidden): one session of the seed's saga with its durable log, run
//! as a child process so that tests/saga_crash.rs can `SIGKILL` it at every step (issue 15,
//! item 5). The services are a durable ledger file: a call is made when its line is on disk.
//!
//! Crash points, printed to stdout as `point N: …` (flushed) as they are reached:
//! `after begin logged` (a fresh session only); for each step the orchestrator takes,
//! `before <call>` (nothing sent yet), `after <call>` (the service acted; the saga's log
//! record not yet written) and `after <record> logged`; a `finished` record has only its
//! `after` point (nothing happens between the previous record and it). With `--stop-at N`
//! the child stops at point N and waits to be killed.

use crate::cli::SagaChildArgs;
use crate::reference::saga::{
    RetryPolicy, SagaOp, SagaOrchestrator, SagaRet, StepFailure, StepHandler, TransientFailure,
};
use crate::reference::Mutation;
use crate::specs::seed_saga;
use crate::specs::SagaStep;
use anyhow::{bail, Context, Result};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

/// Prints crash points and stops at the chosen one.
#[derive(Debug)]
struct Points {
    next: Mutex<usize>,
    stop_at: Option<usize>,
}

impl Points {
    fn reach(&self, what: &str) {
        let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
        let n = *next;
        *next += 1;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "point {n}: {what}");
        let _ = out.flush();
        if self.stop_at == Some(n) {
            // Wait to be killed: the parent sends SIGKILL on reading this line.
            loop {
                std::thread::sleep(std::time::Duration::from_secs(3600));
            }
        }
    }
}

/// The services: every call appends one fsync'd line to the ledger.
#[derive(Debug)]
struct Ledger {
    path: PathBuf,
    file: Mutex<File>,
    fail_step: Option<usize>,
    flaky_compensation: Option<usize>,
    points: Points,
}

impl Ledger {
    fn call(&self, line: &str) {
        self.points.reach(&format!("before {line}"));
        let mut f = self.file.lock().unwrap_or_else(|p| p.into_inner());
        // A service that cannot record its action has not acted: stop the session loudly.
        if let Err(e) = writeln!(f, "{line}").and_then(|()| f.sync_data()) {
            eprintln!("flashcheck: ledger {}: {e}", self.path.display());
            std::process::exit(2);
        }
        drop(f);
        self.points.reach(&format!("after {line}"));
    }

    fn compensation_failed_before(&self, index: usize) -> bool {
        std::fs::read_to_string(&self.path)
            .unwrap_or_default()
            .lines()
            .any(|l| l == format!("compensate {index} fail"))
    }
}

impl StepHandler for Ledger {
    fn execute(&self, index: usize, _step: &SagaStep) -> Result<(), StepFailure> {
        if self.fail_step == Some(index) {
            self.call(&format!("execute {index} fail"));
            return Err(StepFailure("declined".into()));
        }
        self.call(&format!("execute {index} ok"));
        Ok(())
    }

    fn compensate(&self, index: usize, _step: &SagaStep) -> Result<(), TransientFailure> {
        if self.flaky_compensation == Some(index) && !self.compensation_failed_before(index) {
            self.call(&format!("compensate {index} fail"));
            return Err(TransientFailure("unavailable".into()));
        }
        self.call(&format!("compensate {index} ok"));
        Ok(())
    }
}

fn mutation(name: Option<&str>) -> Result<Option<Mutation>> {
    Ok(match name {
        None => None,
        Some("recovery-reruns-committed-step") => Some(Mutation::RecoveryRerunsCommittedStep),
        Some("saga-compensates-failed-step") => Some(Mutation::SagaCompensatesFailedStep),
        Some(other) => bail!(
            "--mutation {other}: expected recovery-reruns-committed-step or saga-compensates-failed-step"
        ),
    })
}

/// Runs the session to the saga's end (or to the stop point).
pub fn run(args: &SagaChildArgs) -> Result<crate::outcome::Outcome> {
    let mutation = mutation(args.mutation.as_deref())?;
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&args.ledger)
        .with_context(|| format!("ledger {}", args.ledger.display()))?;
    let ledger = Ledger {
        path: args.ledger.clone(),
        file: Mutex::new(file),
        fail_step: args.fail_step,
        flaky_compensation: args.flaky_compensation,
        points: Points {
            next: Mutex::new(0),
            stop_at: args.stop_at,
        },
    };
    let policy = RetryPolicy::default();
    let saga = if args.recover {
        SagaOrchestrator::recover_with_mutation(seed_saga(), ledger, &args.log, policy, mutation)?
    } else {
        let s = SagaOrchestrator::start_with_mutation(
            seed_saga(),
            ledger,
            &args.log,
            policy,
            mutation,
        )?;
        s.handler().points.reach("after begin logged");
        s
    };
    loop {
        let ret = saga.invoke(SagaOp::Advance)?;
        saga.handler()
            .points
            .reach(&format!("after {ret:?} logged"));
        match ret {
            SagaRet::Finished(outcome) | SagaRet::AlreadyFinished(outcome) => {
                println!("outcome {outcome:?}");
                return Ok(crate::outcome::Outcome::Holds);
            }
            SagaRet::CompensationStuck { step } => {
                println!("stuck compensating step {step}");
                return Ok(crate::outcome::Outcome::Refuted);
            }
            _ => {}
        }
    }
}
