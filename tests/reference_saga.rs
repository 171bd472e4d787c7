//! The saga orchestrator: forward path, compensation order, retries, crash recovery from the
//! durable log, and the saga mutations.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use flashcheck::reference::saga::{
    RetryPolicy, SagaError, SagaOp, SagaOrchestrator, SagaOutcome, SagaRet, StepFailure,
    StepHandler, TransientFailure,
};
use flashcheck::reference::Mutation;
use flashcheck::specs::{load_saga, SagaDefinition, SagaStep};
use proptest::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Call {
    Execute(usize),
    Compensate(usize),
}

/// A handler following a script: which step fails, and how often each compensation fails
/// before it succeeds.
#[derive(Debug, Default)]
struct Script {
    failing_step: Option<usize>,
    compensation_failures_left: Mutex<BTreeMap<usize, u32>>,
    calls: Mutex<Vec<Call>>,
}

impl Script {
    fn new(failing_step: Option<usize>, compensation_failures: &[(usize, u32)]) -> Arc<Self> {
        Arc::new(Script {
            failing_step,
            compensation_failures_left: Mutex::new(compensation_failures.iter().copied().collect()),
            calls: Mutex::new(Vec::new()),
        })
    }

    fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }
}

impl StepHandler for Script {
    fn execute(&self, index: usize, _step: &SagaStep) -> Result<(), StepFailure> {
        self.calls.lock().unwrap().push(Call::Execute(index));
        if self.failing_step == Some(index) {
            Err(StepFailure("declined".into()))
        } else {
            Ok(())
        }
    }

    fn compensate(&self, index: usize, _step: &SagaStep) -> Result<(), TransientFailure> {
        self.calls.lock().unwrap().push(Call::Compensate(index));
        let mut left = self.compensation_failures_left.lock().unwrap();
        match left.get_mut(&index) {
            Some(count) if *count > 0 => {
                *count -= 1;
                Err(TransientFailure("timeout".into()))
            }
            _ => Ok(()),
        }
    }
}

fn definition() -> SagaDefinition {
    load_saga(Path::new("specs/create_order.saga.yaml")).unwrap()
}

/// Recovery from a log holding `text`, which must fail.
fn recover_from(script: &Arc<Script>, path: &Path, text: impl AsRef<[u8]>) -> SagaError {
    std::fs::write(path, text).unwrap();
    SagaOrchestrator::recover(
        definition(),
        Arc::clone(script),
        path,
        RetryPolicy::default(),
    )
    .unwrap_err()
}

fn temp_log() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("saga.log");
    (dir, path)
}

fn start(script: &Arc<Script>, path: &Path) -> SagaOrchestrator<Arc<Script>> {
    SagaOrchestrator::start(
        definition(),
        Arc::clone(script),
        path,
        RetryPolicy::default(),
    )
    .unwrap()
}

fn recover(script: &Arc<Script>, path: &Path) -> SagaOrchestrator<Arc<Script>> {
    SagaOrchestrator::recover(
        definition(),
        Arc::clone(script),
        path,
        RetryPolicy::default(),
    )
    .unwrap()
}

use Call::{Compensate, Execute};

#[test]
fn all_steps_commit_and_the_log_says_so() {
    let (_dir, path) = temp_log();
    let script = Script::new(None, &[]);
    let saga = start(&script, &path);
    assert_eq!(
        saga.invoke(SagaOp::RunToEnd).unwrap(),
        SagaRet::Finished(SagaOutcome::Completed)
    );
    assert_eq!(
        script.calls(),
        [Execute(0), Execute(1), Execute(2), Execute(3)]
    );
    assert_eq!(
        saga.invoke(SagaOp::Advance).unwrap(),
        SagaRet::AlreadyFinished(SagaOutcome::Completed)
    );
    insta::assert_snapshot!(std::fs::read_to_string(&path).unwrap(), @r###"
    {"record":"begin","saga":"create_order","steps":4}
    {"record":"step_committed","step":0}
    {"record":"step_committed","step":1}
    {"record":"step_committed","step":2}
    {"record":"step_committed","step":3}
    {"record":"finished","outcome":"Completed"}
    "###);
}

#[test]
fn a_failed_step_is_not_compensated_and_the_rest_are_in_reverse() {
    let (_dir, path) = temp_log();
    let script = Script::new(Some(2), &[]);
    let saga = start(&script, &path);
    assert_eq!(
        saga.invoke(SagaOp::RunToEnd).unwrap(),
        SagaRet::Finished(SagaOutcome::Compensated)
    );
    assert_eq!(
        script.calls(),
        [
            Execute(0),
            Execute(1),
            Execute(2),
            Compensate(1),
            Compensate(0)
        ]
    );
    let progress = saga.observe().progress;
    assert_eq!(
        (
            progress.committed,
            progress.compensated,
            progress.failed_step
        ),
        (vec![0, 1], vec![1, 0], Some(2))
    );
}

#[test]
fn failing_first_step_compensates_nothing() {
    let (_dir, path) = temp_log();
    let script = Script::new(Some(0), &[]);
    assert_eq!(
        start(&script, &path).invoke(SagaOp::RunToEnd).unwrap(),
        SagaRet::Finished(SagaOutcome::Compensated)
    );
    assert_eq!(script.calls(), [Execute(0)]);
}

#[test]
fn failed_compensations_are_retried() {
    let (_dir, path) = temp_log();
    let script = Script::new(Some(3), &[(1, 2)]);
    let saga = start(&script, &path);
    assert_eq!(
        saga.invoke(SagaOp::RunToEnd).unwrap(),
        SagaRet::Finished(SagaOutcome::Compensated)
    );
    assert_eq!(
        script.calls()[3..],
        [
            Execute(3),
            Compensate(2),
            Compensate(1),
            Compensate(1),
            Compensate(1),
            Compensate(0)
        ]
    );
    assert_eq!(
        saga.observe().progress.compensation_failures,
        BTreeMap::from([(1, 2)])
    );
}

#[test]
fn a_stuck_compensation_survives_into_the_next_session() {
    let (_dir, path) = temp_log();
    let script = Script::new(Some(2), &[(1, 3)]);
    let policy = RetryPolicy {
        max_compensation_attempts: 2,
    };
    let saga = SagaOrchestrator::start(definition(), Arc::clone(&script), &path, policy).unwrap();
    assert_eq!(
        saga.invoke(SagaOp::RunToEnd).unwrap(),
        SagaRet::CompensationStuck { step: 1 }
    );
    drop(saga);
    let saga = SagaOrchestrator::recover(definition(), Arc::clone(&script), &path, policy).unwrap();
    assert_eq!(
        saga.invoke(SagaOp::RunToEnd).unwrap(),
        SagaRet::Finished(SagaOutcome::Compensated)
    );
    assert_eq!(
        script.calls(),
        [
            Execute(0),
            Execute(1),
            Execute(2),
            Compensate(1),
            Compensate(1),
            Compensate(1),
            Compensate(1),
            Compensate(0)
        ]
    );
    assert_eq!(
        saga.observe().progress.compensation_failures,
        BTreeMap::from([(1, 3)])
    );
}

/// The snapshot's `log_records` is the number of records in the durable log, after every
/// step and across a recovery.
#[test]
fn the_snapshot_counts_the_log_records() {
    let (_dir, path) = temp_log();
    let lines = || std::fs::read_to_string(&path).unwrap().lines().count();
    let script = Script::new(Some(2), &[(1, 1)]);
    let saga = start(&script, &path);
    assert_eq!(saga.observe().log_records, lines());
    for _ in 0..3 {
        saga.invoke(SagaOp::Advance).unwrap();
        assert_eq!(saga.observe().log_records, lines());
    }
    drop(saga);
    let saga = recover(&script, &path);
    assert_eq!(saga.observe().log_records, lines());
    saga.invoke(SagaOp::RunToEnd).unwrap();
    assert_eq!(saga.observe().log_records, lines());
    assert!(lines() > 5);
}

#[test]
fn recovery_never_reruns_a_committed_step() {
    let (_dir, path) = temp_log();
    let script = Script::new(None, &[]);
    let saga = start(&script, &path);
    saga.invoke(SagaOp::Advance).unwrap();
    saga.invoke(SagaOp::Advance).unwrap();
    drop(saga); // crash
    let saga = recover(&script, &path);
    assert_eq!(
        saga.invoke(SagaOp::RunToEnd).unwrap(),
        SagaRet::Finished(SagaOutcome::Completed)
    );
    assert_eq!(
        script.calls(),
        [Execute(0), Execute(1), Execute(2), Execute(3)]
    );
}

#[test]
fn recovery_resumes_a_pending_compensation_in_reverse_order() {
    let (_dir, path) = temp_log();
    let script = Script::new(Some(3), &[]);
    let saga = start(&script, &path);
    for _ in 0..5 {
        saga.invoke(SagaOp::Advance).unwrap(); // 0, 1, 2 commit; 3 fails; 2 compensated
    }
    drop(saga);
    let saga = recover(&script, &path);
    assert_eq!(
        saga.invoke(SagaOp::RunToEnd).unwrap(),
        SagaRet::Finished(SagaOutcome::Compensated)
    );
    assert_eq!(
        script.calls()[4..],
        [Compensate(2), Compensate(1), Compensate(0)]
    );
}

#[test]
fn an_unlogged_commit_is_in_doubt_and_executed_again() {
    let (_dir, path) = temp_log();
    let script = Script::new(None, &[]);
    let saga = start(&script, &path);
    for _ in 0..3 {
        saga.invoke(SagaOp::Advance).unwrap();
    }
    drop(saga);
    // Crash before the third commit record reached the disk.
    let text = std::fs::read_to_string(&path).unwrap();
    let kept: Vec<_> = text.lines().take(3).collect();
    std::fs::write(&path, format!("{}\n", kept.join("\n"))).unwrap();
    let saga = recover(&script, &path);
    saga.invoke(SagaOp::RunToEnd).unwrap();
    assert_eq!(
        script.calls(),
        [Execute(0), Execute(1), Execute(2), Execute(2), Execute(3)]
    );
}

#[test]
fn a_torn_last_record_is_cut_off() {
    let (_dir, path) = temp_log();
    let script = Script::new(None, &[]);
    start(&script, &path).invoke(SagaOp::Advance).unwrap();
    std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(b"{\"record\":\"step_comm")
        .unwrap();
    let saga = recover(&script, &path);
    assert_eq!(saga.observe().log_records, 2);
    assert!(std::fs::read_to_string(&path)
        .unwrap()
        .ends_with("\"step\":0}\n"));
    saga.invoke(SagaOp::RunToEnd).unwrap();
    assert_eq!(
        script.calls(),
        [Execute(0), Execute(1), Execute(2), Execute(3)]
    );
}

#[test]
fn corrupt_inconsistent_and_foreign_logs_are_refused() {
    let (_dir, path) = temp_log();
    let script = Script::new(None, &[]);
    let err = recover_from(
        &script,
        &path,
        "{\"record\":\"begin\",\"saga\":\"create_order\",\"steps\":4}\nnot json\n",
    );
    assert!(
        matches!(err, SagaError::CorruptLog { line: 2, .. }),
        "{err}"
    );

    let err = recover_from(&script, &path, "{\"record\":\"begin\",\"saga\":\"create_order\",\"steps\":4}\n{\"record\":\"step_committed\",\"step\":2}\n");
    assert!(
        matches!(err, SagaError::InconsistentLog { record: 2, .. }),
        "{err}"
    );
    // A failed compensation of a step that is not the next to compensate (step 0 while
    // step 1, committed after it, still stands) cannot follow the records before it.
    let err = recover_from(
        &script,
        &path,
        "{\"record\":\"begin\",\"saga\":\"create_order\",\"steps\":4}\n\
         {\"record\":\"step_committed\",\"step\":0}\n\
         {\"record\":\"step_committed\",\"step\":1}\n\
         {\"record\":\"step_failed\",\"step\":2}\n\
         {\"record\":\"compensation_failed\",\"step\":0,\"attempt\":1}\n",
    );
    assert!(
        matches!(err, SagaError::InconsistentLog { record: 5, .. }),
        "{err}"
    );
    // A failure of a step that is not the next one, and a completion before every step was
    // committed, cannot follow the records before them either.
    let begin = "{\"record\":\"begin\",\"saga\":\"create_order\",\"steps\":4}\n\
                 {\"record\":\"step_committed\",\"step\":0}\n";
    for last in [
        "{\"record\":\"step_failed\",\"step\":2}\n",
        "{\"record\":\"finished\",\"outcome\":\"Completed\"}\n",
    ] {
        let err = recover_from(&script, &path, format!("{begin}{last}"));
        assert!(
            matches!(err, SagaError::InconsistentLog { record: 3, .. }),
            "{last}: {err}"
        );
    }

    let err = recover_from(
        &script,
        &path,
        "{\"record\":\"begin\",\"saga\":\"refund\",\"steps\":2}\n",
    );
    assert!(matches!(err, SagaError::WrongSaga { .. }), "{err}");

    // The same saga's name with another number of steps is another saga too (and so is
    // another name with the same number of steps): both must match.
    let d = definition();
    for (name, steps) in [
        (d.name.clone(), d.steps.len() + 1),
        ("refund".to_string(), d.steps.len()),
    ] {
        let err = recover_from(
            &script,
            &path,
            format!("{{\"record\":\"begin\",\"saga\":\"{name}\",\"steps\":{steps}}}\n"),
        );
        assert!(
            matches!(err, SagaError::WrongSaga { .. }),
            "{name} {steps}: {err}"
        );
    }

    let err =
        SagaOrchestrator::start(definition(), script, &path, RetryPolicy::default()).unwrap_err();
    assert!(
        matches!(err, SagaError::LogIo { .. }),
        "a saga never overwrites an existing log: {err}"
    );
}

#[test]
fn mutation_compensates_the_failed_step() {
    let (_dir, path) = temp_log();
    let script = Script::new(Some(2), &[]);
    let saga = SagaOrchestrator::start_with_mutation(
        definition(),
        Arc::clone(&script),
        &path,
        RetryPolicy::default(),
        Some(Mutation::SagaCompensatesFailedStep),
    )
    .unwrap();
    saga.invoke(SagaOp::RunToEnd).unwrap();
    assert!(
        script.calls().contains(&Compensate(2)),
        "the failed step was compensated"
    );
}

#[test]
fn mutation_never_retrying_loses_a_compensation() {
    let (_dir, path) = temp_log();
    let script = Script::new(Some(2), &[(1, 1)]);
    let saga = SagaOrchestrator::start_with_mutation(
        definition(),
        Arc::clone(&script),
        &path,
        RetryPolicy::default(),
        Some(Mutation::SagaNeverRetriesCompensation),
    )
    .unwrap();
    saga.invoke(SagaOp::RunToEnd).unwrap();
    let progress = saga.observe().progress;
    assert_eq!(progress.compensated, Vec::<usize>::new());
    assert_eq!(
        script
            .calls()
            .iter()
            .filter(|call| matches!(call, Compensate(0)))
            .count(),
        0,
        "step 0 is never undone"
    );
}

#[test]
fn mutation_recovery_reruns_a_committed_step() {
    let (_dir, path) = temp_log();
    let script = Script::new(None, &[]);
    let saga = start(&script, &path);
    saga.invoke(SagaOp::Advance).unwrap();
    saga.invoke(SagaOp::Advance).unwrap();
    drop(saga);
    let saga = SagaOrchestrator::recover_with_mutation(
        definition(),
        Arc::clone(&script),
        &path,
        RetryPolicy::default(),
        Some(Mutation::RecoveryRerunsCommittedStep),
    )
    .unwrap();
    saga.invoke(SagaOp::RunToEnd).unwrap();
    assert_eq!(
        script
            .calls()
            .iter()
            .filter(|call| **call == Execute(1))
            .count(),
        2
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any failure plan, crashed at any points, ends with the saga's guarantees intact.
    #[test]
    fn crashes_anywhere_keep_the_guarantees(
        failing_step in prop::option::of(0usize..4),
        flaky in prop::collection::vec((0usize..4, 0u32..4), 0..3),
        crashes in prop::collection::vec(0usize..6, 0..4),
    ) {
        let (_dir, path) = temp_log();
        let script = Script::new(failing_step, &flaky);
        let policy = RetryPolicy { max_compensation_attempts: 2 };
        let mut saga = SagaOrchestrator::start(definition(), Arc::clone(&script), &path, policy).unwrap();
        for advances in crashes {
            for _ in 0..advances {
                saga.invoke(SagaOp::Advance).unwrap();
            }
            drop(saga);
            saga = SagaOrchestrator::recover(definition(), Arc::clone(&script), &path, policy).unwrap();
        }
        let outcome = loop {
            match saga.invoke(SagaOp::RunToEnd).unwrap() {
                SagaRet::Finished(outcome) | SagaRet::AlreadyFinished(outcome) => break outcome,
                SagaRet::CompensationStuck { .. } => {
                    drop(saga);
                    saga = SagaOrchestrator::recover(definition(), Arc::clone(&script), &path, policy).unwrap();
                }
                other => prop_assert!(false, "RunToEnd stopped at {other:?}"),
            }
        };
        let calls = script.calls();
        let executed: Vec<usize> = calls.iter().filter_map(|c| if let Execute(i) = c { Some(*i) } else { None }).collect();
        let expected_executed: Vec<usize> = (0..=failing_step.unwrap_or(3)).collect();
        prop_assert_eq!(&executed, &expected_executed, "each step runs once, in order, and none after a failure");
        let first_compensation = calls.iter().position(|c| matches!(c, Compensate(_)));
        if let Some(first) = first_compensation {
            prop_assert!(calls[first..].iter().all(|c| matches!(c, Compensate(_))));
        }
        let progress = saga.observe().progress;
        match failing_step {
            None => prop_assert_eq!(outcome, SagaOutcome::Completed),
            Some(failed) => {
                prop_assert_eq!(outcome, SagaOutcome::Compensated);
                prop_assert_eq!(progress.compensated, (0..failed).rev().collect::<Vec<_>>());
                prop_assert!(!calls.contains(&Compensate(failed)));
            }
        }
    }
}
