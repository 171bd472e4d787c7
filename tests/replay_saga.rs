//! Replay of the `saga` model (`tla/Saga.tla`) against the reference orchestrator: the correct
//! orchestrator conforms on generated walks and on the ITF traces `flashcheck traces` writes;
//! each saga mutation is caught, at the first step of the path where the model says its bug
//! is observable, with the expected and actual values that show it. None of these tests
//! needs z3 or TLC.

use assert_cmd::Command;
use flashcheck::reference::Mutation;
use flashcheck::registry::builtin::saga::step_list;
use flashcheck::registry::{builtin, Constants};
use flashcheck::replay::driver::{
    itf_paths, replay_paths, replay_workload, seeded_walks, PathResult, PathToReplay,
};
use flashcheck::replay::linearizability::Outcome;
use flashcheck::replay::saga::SagaConformance;
use flashcheck::replay::{Conformance, ExecutorChoice};
use flashcheck::specs::seed_saga;
use flashcheck::trace::generate::{write_all, TraceRequest};
use flashcheck_models::saga::{Saga, SagaAction, SagaState};
use flashcheck_models::saga_history::Pc;
use serde_json::json;
use stateright::Model;
use std::sync::Arc;

type Path = PathToReplay<SagaState, SagaAction>;

/// The seed's four-step saga with `F = 1` and the given `R` (compensation failures) and `C`
/// (crashes).
fn conformance(r: u64, c: u64) -> Arc<SagaConformance> {
    let definition = seed_saga();
    let model = Saga::new(step_list(&definition).unwrap(), 1, r, c).unwrap();
    Arc::new(SagaConformance::new(model, definition).unwrap())
}

fn walks(c: &SagaConformance, n: u64, depth: usize) -> Vec<Path> {
    seeded_walks(c.model(), 0, n as usize, depth, |_| String::new())
}

fn replay(
    c: &Arc<SagaConformance>,
    executor: ExecutorChoice,
    paths: &[Path],
    mutation: Option<Mutation>,
) -> Vec<PathResult> {
    let report =
        replay_paths(Arc::clone(c), "saga", executor, paths, mutation, &|_, _| {}).unwrap();
    assert_eq!(report.paths, paths.len());
    report.failures
}

/// The states a path passes through, the initial one first.
fn states(m: &Saga, path: &Path) -> Vec<SagaState> {
    let mut out = vec![path.init.clone()];
    for a in &path.actions {
        let next = m.next_state(out.last().unwrap(), *a).unwrap();
        out.push(next);
    }
    out
}

fn action_kinds(paths: &[Path]) -> std::collections::BTreeSet<&'static str> {
    paths
        .iter()
        .flat_map(|p| &p.actions)
        .map(|a| match a {
            SagaAction::Execute(_) => "Execute",
            SagaAction::Fail(_) => "Fail",
            SagaAction::Compensate(_) => "Compensate",
            SagaAction::CompensationFails(_) => "CompensationFails",
            SagaAction::Crash => "Crash",
            SagaAction::Recover => "Recover",
        })
        .collect()
}

#[test]
fn the_correct_orchestrator_conforms_inline_on_generated_walks() {
    let c = conformance(2, 2);
    let paths = walks(&c, 400, 40);
    assert_eq!(
        action_kinds(&paths).len(),
        6,
        "the walks exercise every action"
    );
    let failures = replay(&c, ExecutorChoice::Inline, &paths, None);
    assert!(failures.is_empty(), "{:#?}", failures.first());
}

#[test]
fn the_correct_orchestrator_conforms_on_the_pool() {
    let c = conformance(1, 1);
    let failures = replay(&c, ExecutorChoice::Pool, &walks(&c, 60, 30), None);
    assert!(failures.is_empty(), "{:#?}", failures.first());
}

#[test]
fn itf_traces_written_by_traces_replay_clean() {
    let dir = tempfile::tempdir().unwrap();
    let request = TraceRequest {
        constants: Constants::parse(&builtin::SAGA, &[]).unwrap(),
        count: 40,
        depth: 30,
        seed: 11,
    };
    let written = write_all(&request, dir.path()).unwrap();
    assert!(written.len() >= 40);
    let c = conformance(1, 1);
    let files: Vec<_> = written.iter().map(|w| w.path.clone()).collect();
    let paths: Vec<Path> = itf_paths(c.model(), &files, |_| String::new()).unwrap();
    for executor in [ExecutorChoice::Inline, ExecutorChoice::Pool] {
        let failures = replay(&c, executor, &paths, None);
        assert!(failures.is_empty(), "{executor:?}: {:#?}", failures.first());
    }
    // The same traces, mutated orchestrator: the file replays must be able to fail.
    assert!(!replay(
        &c,
        ExecutorChoice::Inline,
        &paths,
        Some(Mutation::SagaCompensatesFailedStep)
    )
    .is_empty());
}

#[test]
fn the_command_replays_traces_and_walks() {
    let dir = tempfile::tempdir().unwrap();
    Command::cargo_bin("flashcheck")
        .unwrap()
        .args(["traces", "saga", "--count", "5", "--depth", "25", "--out"])
        .arg(dir.path())
        .assert()
        .success();
    for executor in ["inline", "pool"] {
        Command::cargo_bin("flashcheck")
            .unwrap()
            .args(["replay", "saga", "--executor", executor, "--traces"])
            .arg(dir.path())
            .assert()
            .code(0);
    }
    let out = Command::cargo_bin("flashcheck")
        .unwrap()
        .args([
            "replay",
            "saga",
            "-c",
            "R=2",
            "-c",
            "C=2",
            "--generate",
            "100",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("100 path(s)") && stdout.contains("all conform"),
        "{stdout}"
    );
}

#[test]
fn the_command_replays_a_saga_file() {
    Command::cargo_bin("flashcheck")
        .unwrap()
        .args([
            "replay",
            "saga",
            "--saga",
            "tests/fixtures/sagas/flash_sale_8.saga.yaml",
            "--generate",
            "50",
            "--depth",
            "40",
        ])
        .assert()
        .code(0);
}

#[test]
fn the_command_runs_a_workload_of_sagas_on_the_pool() {
    let out = Command::cargo_bin("flashcheck")
        .unwrap()
        .args(["replay", "saga", "--executor", "pool", "--workload", "50"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains(": LINEARIZABLE ("), "{stdout}");
}

/// Where a mutation must first show on `path`: the 1-based step and the field or result
/// that differs, with the model's and the implementation's values.
#[derive(Debug, PartialEq)]
struct Expected {
    step: usize,
    action: String,
    what: &'static str,
    field: &'static str,
    expected: serde_json::Value,
    actual: serde_json::Value,
}

fn check_mutation(
    r: u64,
    c: u64,
    mutation: Mutation,
    predict: impl Fn(&[SagaState], &[SagaAction]) -> Option<Expected>,
) {
    let conf = conformance(r, c);
    let paths = walks(&conf, 300, 40);
    let failures = replay(&conf, ExecutorChoice::Inline, &paths, Some(mutation));
    let mut caught = 0;
    for path in &paths {
        let predicted = predict(&states(conf.model(), path), &path.actions);
        let failure = failures.iter().find(|f| f.name == path.name);
        match (predicted, failure) {
            (None, None) => {}
            (Some(want), Some(f)) => {
                let m = f.mismatch.as_ref().unwrap();
                let pick = |v: &serde_json::Value| match want.field {
                    "" => v.clone(),
                    field => v[field].clone(),
                };
                let got = Expected {
                    step: m.step,
                    action: m.action.clone(),
                    what: m.what,
                    field: want.field,
                    expected: pick(&m.expected),
                    actual: pick(&m.actual),
                };
                assert_eq!(got, want, "{mutation:?} on {}", path.name);
                if caught == 0 {
                    println!(
                        "{mutation:?} (inline): {} step {} {} {} differs\n  expected {}\n  actual   {}",
                        path.name, m.step, m.action, m.what, m.expected, m.actual
                    );
                }
                caught += 1;
            }
            (want, got) => panic!(
                "{mutation:?} on {}: predicted {want:?}, got {got:#?}",
                path.name
            ),
        }
    }
    // The mutation-free orchestrator passes the same paths, so the catch is the mutation's.
    assert!(
        caught >= 20,
        "{mutation:?}: only {caught} of 300 walks reach the bug"
    );
    println!("{mutation:?} (inline): caught on {caught} of 300 walks, each where predicted");
    assert!(replay(&conf, ExecutorChoice::Inline, &paths, None).is_empty());
}

/// `compensate_only_committed`: the step that failed is compensated too. With steps
/// `1..i-1` committed, `Fail(i)` leaves the orchestrator about to compensate `i` instead of
/// `i - 1`; `Fail(1)` should end the saga, and the orchestrator compensates step 1 instead.
#[test]
fn mutation_saga_compensates_failed_step_is_caught_inline_at_the_fail() {
    check_mutation(1, 1, Mutation::SagaCompensatesFailedStep, |_, actions| {
        let (k, i) = actions.iter().enumerate().find_map(|(k, a)| match a {
            SagaAction::Fail(i) => Some((k, *i)),
            _ => None,
        })?;
        Some(if i == 1 {
            Expected {
                step: k + 1,
                action: "Fail(1)".into(),
                what: "result",
                field: "",
                expected: json!([{"Failed": 1}, {"Finished": "Compensated"}]),
                actual: json!([{"Failed": 1}, {"CompensationFailed": 1}]),
            }
        } else {
            Expected {
                step: k + 1,
                action: format!("Fail({i})"),
                what: "state",
                field: "next",
                expected: json!(i - 1),
                actual: json!(i),
            }
        })
    });
}

/// `atomicity`: a failed compensation is given up at once — the saga is logged finished
/// (`aborted`) while the model is still compensating the step.
#[test]
fn mutation_saga_never_retries_compensation_is_caught_inline_at_the_failed_compensation() {
    check_mutation(
        1,
        1,
        Mutation::SagaNeverRetriesCompensation,
        |_, actions| {
            let (k, i) = actions.iter().enumerate().find_map(|(k, a)| match a {
                SagaAction::CompensationFails(i) => Some((k, *i)),
                _ => None,
            })?;
            Some(Expected {
                step: k + 1,
                action: format!("CompensationFails({i})"),
                what: "state",
                field: "pc",
                expected: json!("compensating"),
                actual: json!("aborted"),
            })
        },
    );
}

/// `recovery_idempotent`: recovery resumes at the last committed step. It shows at the first
/// `Recover` into the forward phase after at least one commit.
#[test]
fn mutation_recovery_reruns_committed_step_is_caught_inline_at_the_recover() {
    check_mutation(
        1,
        2,
        Mutation::RecoveryRerunsCommittedStep,
        |states, actions| {
            let k = actions.iter().enumerate().position(|(k, a)| {
                let after = &states[k + 1];
                *a == SagaAction::Recover && after.pc == Pc::Forward && Saga::next_step(after) > 1
            })?;
            let next = Saga::next_step(&states[k + 1]);
            Some(Expected {
                step: k + 1,
                action: "Recover".into(),
                what: "state",
                field: "next",
                expected: json!(next),
                actual: json!(next - 1),
            })
        },
    );
}

/// On the pool a model path runs as one client: only results are compared, so a mutation
/// shows at the first later operation whose result differs. Every walk the inline replay
/// catches and that runs on to the saga's end is caught here too.
#[test]
fn the_mutations_are_caught_on_the_pool_from_model_paths() {
    for (mutation, c) in [
        (Mutation::SagaCompensatesFailedStep, 1),
        (Mutation::SagaNeverRetriesCompensation, 1),
        (Mutation::RecoveryRerunsCommittedStep, 2),
    ] {
        let conf = conformance(1, c);
        let paths = walks(&conf, 120, 60);
        let inline: Vec<String> = replay(&conf, ExecutorChoice::Inline, &paths, Some(mutation))
            .into_iter()
            .map(|f| f.name)
            .collect();
        let pool = replay(&conf, ExecutorChoice::Pool, &paths, Some(mutation));
        for f in &pool {
            assert!(
                inline.contains(&f.name),
                "{mutation:?}: {} only on the pool",
                f.name
            );
            assert!(f.violation.is_some());
        }
        for path in &paths {
            let end = states(conf.model(), path).pop().unwrap();
            if Saga::ended(&end) && inline.contains(&path.name) {
                assert!(
                    pool.iter().any(|f| f.name == path.name),
                    "{mutation:?}: {} missed on the pool",
                    path.name
                );
            }
        }
        assert!(!pool.is_empty(), "{mutation:?} not caught on the pool");
        let v = pool[0].violation.as_ref().unwrap();
        println!(
            "{mutation:?} (pool): {} of {} walks; {}: stuck at operation {}, window {}",
            pool.len(),
            paths.len(),
            pool[0].name,
            v.failure.stuck_at,
            serde_json::to_string(&v.window).unwrap()
        );
    }
}

fn workload(
    executor: ExecutorChoice,
    mutation: Option<Mutation>,
) -> flashcheck::replay::driver::WorkloadReport {
    replay_workload(conformance(1, 1), executor, 300, 3, mutation, &|_, _| {}).unwrap()
}

#[test]
fn a_workload_of_300_sagas_is_linearizable_and_the_mutations_are_not() {
    let clean = workload(ExecutorChoice::Pool, None);
    assert!(clean.outcome.is_ok(), "{:?}", clean.window);
    assert!(clean.operations >= 300 * 3);
    for mutation in [
        Mutation::SagaCompensatesFailedStep,
        Mutation::SagaNeverRetriesCompensation,
        Mutation::RecoveryRerunsCommittedStep,
    ] {
        let report = workload(ExecutorChoice::Pool, Some(mutation));
        let Outcome::NotLinearizable(f) = &report.outcome else {
            panic!("{mutation:?} not caught by the workload")
        };
        // The window is one saga's: sagas are checked apart.
        let sagas: std::collections::BTreeSet<_> = report
            .window
            .iter()
            .map(|op| op["client"].as_u64())
            .collect();
        assert_eq!(sagas.len(), 1, "{mutation:?}: {:?}", report.window);
        println!(
            "{mutation:?} (pool workload): stuck at {}, window {:?}",
            f.stuck_at, report.window
        );
    }
}

#[test]
fn a_workload_of_sagas_runs_on_pinned_workers() {
    let clean = workload(ExecutorChoice::Pinned, None);
    assert!(clean.outcome.is_ok(), "{:?}", clean.window);
    let caught = workload(
        ExecutorChoice::Pinned,
        Some(Mutation::SagaNeverRetriesCompensation),
    );
    assert!(!caught.outcome.is_ok());
}
