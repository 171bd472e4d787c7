//! Every property of `saga` and `saga-seed` (seed §2.1, tla/Saga.tla, tla/SagaSeed.tla), each
//! with a run that would fail if the property's check were broken: the seed's real
//! violations with their shortest counterexamples, and deliberately broken variants of
//! `saga` (the tests' one mutant wrapper, `support/mutant.rs`) for the properties the seed does not violate.

use flashcheck::check::{self, CheckOptions};
use flashcheck::outcome::Outcome;
use flashcheck::registry::{build_port, builtin, Entry};
use flashcheck::report::{CheckReport, PropertyReport};
use flashcheck::verdict::Verdict;
use flashcheck_models::saga::{Saga, SagaAction, SagaState};
use flashcheck_models::saga_history::{Effect, Event, Op, Pc};
use stateright::Model;

#[path = "support/mutant.rs"]
mod mutant;
use mutant::{Flaw, Mutant};
use std::collections::BTreeMap;
use std::path::Path;

const LONG_SAGA: &str = "tests/fixtures/sagas/flash_sale_8.saga.yaml";

fn saga_path(file: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(file)
}

fn check_named(model: &'static Entry, constants: &[&str], saga: Option<&str>) -> CheckReport {
    let assignments: Vec<String> = constants.iter().map(|s| s.to_string()).collect();
    let path = saga.map(saga_path);
    let (_, port) = build_port(model, &assignments, path.as_deref()).unwrap();
    port.check(model.as_str(), "test".into(), &CheckOptions::default())
}

fn property<'r>(report: &'r CheckReport, name: &str) -> &'r PropertyReport {
    report
        .property(name)
        .unwrap_or_else(|| panic!("no property {name}"))
}

fn last_state(p: &PropertyReport) -> &BTreeMap<String, serde_json::Value> {
    &p.counterexample
        .as_ref()
        .expect("a counterexample")
        .last()
        .unwrap()
        .state
}

fn assert_verdicts(report: &CheckReport, expected: &[(&str, Verdict)]) {
    assert_eq!(report.properties.len(), expected.len(), "property count");
    for (name, verdict) in expected {
        assert_eq!(property(report, name).verdict, *verdict, "{name}");
    }
}

#[test]
fn saga_satisfies_every_property() {
    for saga in [None, Some(LONG_SAGA)] {
        for constants in [
            &["F=1", "R=1", "C=1"][..],
            &["F=1", "R=2", "C=2"],
            &["F=0", "R=0", "C=0"],
        ] {
            let report = check_named(&builtin::SAGA, constants, saga);
            for p in &report.properties {
                assert_eq!(
                    p.verdict,
                    Verdict::Holds,
                    "{saga:?} {constants:?}: {}",
                    p.name
                );
                assert!(p.note.is_none(), "{}: {:?}", p.name, p.note);
            }
            assert!(report.complete);
            assert_eq!(report.outcome(), Outcome::Holds);
        }
    }
}

#[test]
fn saga_seed_violates_what_the_python_gets_wrong() {
    let report = check_named(&builtin::SAGA_SEED, &[], None);
    assert_verdicts(
        &report,
        &[
            ("compensate_only_committed", Verdict::Violated),
            ("reverse_order", Verdict::Holds),
            ("no_forward_after_abort", Verdict::Holds),
            ("no_refund_without_payment", Verdict::Violated),
            ("reservation_released_on_abort", Verdict::Violated),
            ("recovery_idempotent", Verdict::Violated),
            ("deadlock_free", Verdict::Holds),
            ("atomicity", Verdict::Violated),
        ],
    );
    assert_eq!(report.outcome(), Outcome::Refuted);

    // A step that returns a failed result is appended first, then compensated.
    let p = property(&report, "compensate_only_committed");
    assert_eq!(p.actions(), ["Init", "StepFails(1)", "Compensate(1)"]);
    let last = last_state(p);
    assert_eq!(last["effect"][0], "compensated");
    assert_eq!(last["pc"], "aborted");

    // The payment fails with a failed result: refund_payment runs for a payment never taken.
    let p = property(&report, "no_refund_without_payment");
    assert_eq!(
        p.actions(),
        [
            "Init",
            "Execute(1)",
            "Execute(2)",
            "StepFails(3)",
            "Compensate(3)"
        ]
    );
    let last = last_state(p);
    assert_eq!(last["effect"][2], "compensated");
    assert_eq!(
        last["history"][2],
        serde_json::json!({"op": "fail", "step": 3})
    );
    assert_eq!(
        last["history"][3],
        serde_json::json!({"op": "undo", "step": 3})
    );

    // No durable log: a crash after the reservation loses the saga and keeps the stock.
    for name in ["reservation_released_on_abort", "recovery_idempotent"] {
        let p = property(&report, name);
        assert_eq!(p.actions(), ["Init", "Execute(1)", "Crash"], "{name}");
        let last = last_state(p);
        assert_eq!(last["pc"], "lost");
        assert_eq!(last["effect"][0], "committed");
        assert_eq!(last["executed"], serde_json::json!([]));
    }

    let p = property(&report, "atomicity");
    assert_eq!(p.actions(), ["Init", "Execute(1)", "Crash", "(stuttering)"]);
    assert_eq!(p.cycle_start, Some(2));
}

#[test]
fn saga_seed_without_crashes_still_keeps_a_reservation() {
    // C=0: the failed compensation that is never retried is the only way to keep stock.
    let report = check_named(&builtin::SAGA_SEED, &["C=0"], None);
    assert_eq!(
        property(&report, "recovery_idempotent").verdict,
        Verdict::Holds
    );
    let p = property(&report, "reservation_released_on_abort");
    assert_eq!(p.verdict, Verdict::Violated);
    assert_eq!(
        p.actions(),
        [
            "Init",
            "Execute(1)",
            "StepRaises(2)",
            "CompensationFails(1)"
        ]
    );
    let last = last_state(p);
    assert_eq!(last["pc"], "aborted");
    assert_eq!(last["effect"][0], "committed");
    // The exception path compensated only step 1: the raising step 2 is not in the list.
    assert_eq!(last["executed"], serde_json::json!([1]));
    let p = property(&report, "atomicity");
    assert_eq!(p.verdict, Verdict::Violated);
    assert_eq!(
        p.actions(),
        [
            "Init",
            "Execute(1)",
            "StepRaises(2)",
            "CompensationFails(1)",
            "(stuttering)"
        ]
    );
    // R=0 and C=0: only the appended failed step remains wrong.
    let report = check_named(&builtin::SAGA_SEED, &["C=0", "R=0"], None);
    assert_eq!(property(&report, "atomicity").verdict, Verdict::Holds);
    assert_eq!(
        property(&report, "reservation_released_on_abort").verdict,
        Verdict::Holds
    );
    assert_eq!(
        property(&report, "compensate_only_committed").verdict,
        Verdict::Violated
    );
}

#[test]
fn domain_properties_are_unknown_on_a_saga_without_those_steps() {
    for model in [&builtin::SAGA, &builtin::SAGA_SEED] {
        let report = check_named(
            model,
            &[],
            Some("tests/fixtures/sagas/no_payment.saga.yaml"),
        );
        for name in ["no_refund_without_payment", "reservation_released_on_abort"] {
            let p = property(&report, name);
            assert_eq!(p.verdict, Verdict::Unknown, "{model} {name}");
            assert!(p.note.as_deref().unwrap().contains("not decided"), "{name}");
            assert!(p.counterexample.is_none());
        }
        assert_eq!(report.constants["PaymentStep"], "0");
        assert_eq!(report.constants["InventoryStep"], "0");
    }
}

/// How a broken variant of `saga` deviates.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Bug {
    /// Compensates the lowest committed step first.
    ForwardOrder,
    /// A failed step's compensation runs at once (as the seed does).
    CompensateFailedStep,
    /// The forward phase may go on while compensating.
    ForwardAfterAbort,
    /// The inventory step's compensation is skipped: the saga just ends.
    SkipInventoryCompensation,
    /// Recovery runs the last committed step again.
    RecoverRerunsLastStep,
    /// Recovery forgets it was compensating and ends the saga.
    RecoverForgetsCompensation,
}

fn lowest_committed(s: &SagaState) -> Option<u8> {
    s.effect
        .iter()
        .position(|e| *e == Effect::Committed)
        .map(|i| i as u8 + 1)
}

impl Flaw<Saga> for Bug {
    fn actions(&self, inner: &Saga, s: &SagaState, actions: &mut Vec<SagaAction>) {
        inner.actions(s, actions);
        match self {
            Bug::ForwardOrder => {
                if let Some(low) = lowest_committed(s) {
                    for a in actions.iter_mut() {
                        if let SagaAction::Compensate(_) = a {
                            *a = SagaAction::Compensate(low);
                        }
                    }
                }
            }
            Bug::ForwardAfterAbort => {
                let next = Saga::next_step(s);
                let undone = s.history.iter().any(|e| e.op == Op::Undo);
                if s.up && s.pc == Pc::Compensating && undone && next <= inner.steps().len() {
                    actions.push(SagaAction::Execute(next));
                }
            }
            _ => {}
        }
    }

    fn next_state(&self, inner: &Saga, s: &SagaState, action: SagaAction) -> Option<SagaState> {
        let mut n = inner.next_state(s, action)?;
        let inventory = inner.steps().inventory_step();
        match (*self, action) {
            (Bug::CompensateFailedStep, SagaAction::Fail(i)) => {
                n.history.push(Event::new(Op::Undo, i));
                n.effect[usize::from(i) - 1] = Effect::Compensated;
            }
            (Bug::ForwardAfterAbort, SagaAction::Execute(_)) if s.pc == Pc::Compensating => {
                n.pc = Pc::Compensating;
            }
            (Bug::SkipInventoryCompensation, SagaAction::Compensate(i)) if Some(i) == inventory => {
                n = s.clone();
                n.pc = Pc::Aborted;
            }
            (Bug::RecoverRerunsLastStep, SagaAction::Recover) if s.pc == Pc::Forward => {
                if let Some(last) = s.history.iter().rev().find(|e| e.op == Op::Commit) {
                    n.history.push(*last);
                }
            }
            (Bug::RecoverForgetsCompensation, SagaAction::Recover) if s.pc == Pc::Compensating => {
                n.pc = Pc::Aborted;
            }
            _ => {}
        }
        Some(n)
    }
}

fn check_broken(bug: Bug) -> CheckReport {
    let (_, port) = build_port(&builtin::SAGA, &[], None).unwrap();
    let inner = port
        .model::<flashcheck_models::saga::Saga>()
        .expect("a saga port")
        .clone();
    check::check(
        Mutant::new(inner, bug),
        "saga-broken",
        "test".into(),
        &CheckOptions::default(),
    )
}

fn violated_only(report: &CheckReport, violated: &[&str]) {
    for p in &report.properties {
        let want = if violated.contains(&p.name.as_str()) {
            Verdict::Violated
        } else {
            Verdict::Holds
        };
        assert_eq!(p.verdict, want, "{}", p.name);
    }
}

#[test]
fn forward_order_compensation_breaks_reverse_order() {
    let report = check_broken(Bug::ForwardOrder);
    violated_only(&report, &["reverse_order"]);
    let p = property(&report, "reverse_order");
    assert_eq!(
        p.actions(),
        [
            "Init",
            "Execute(1)",
            "Execute(2)",
            "Fail(3)",
            "Compensate(1)",
            "Compensate(2)"
        ]
    );
}

#[test]
fn compensating_the_failed_step_breaks_compensate_only_committed_and_refunds() {
    let report = check_broken(Bug::CompensateFailedStep);
    violated_only(
        &report,
        &["compensate_only_committed", "no_refund_without_payment"],
    );
    assert_eq!(
        property(&report, "compensate_only_committed").actions(),
        ["Init", "Fail(1)"]
    );
    let p = property(&report, "no_refund_without_payment");
    assert_eq!(p.actions(), ["Init", "Execute(1)", "Execute(2)", "Fail(3)"]);
    assert_eq!(last_state(p)["effect"][2], "compensated");
}

#[test]
fn running_forward_while_compensating_breaks_no_forward_after_abort() {
    let report = check_broken(Bug::ForwardAfterAbort);
    let p = property(&report, "no_forward_after_abort");
    assert_eq!(p.verdict, Verdict::Violated);
    assert_eq!(
        p.actions(),
        [
            "Init",
            "Execute(1)",
            "Execute(2)",
            "Fail(3)",
            "Compensate(2)",
            "Execute(3)"
        ]
    );
}

#[test]
fn skipping_the_inventory_compensation_keeps_the_reservation() {
    let report = check_broken(Bug::SkipInventoryCompensation);
    // After a crash the skipped compensation also leaves an aborted saga holding a commit.
    violated_only(
        &report,
        &[
            "reservation_released_on_abort",
            "recovery_idempotent",
            "atomicity",
        ],
    );
    let p = property(&report, "reservation_released_on_abort");
    assert_eq!(
        p.actions(),
        ["Init", "Execute(1)", "Fail(2)", "Compensate(1)"]
    );
    assert_eq!(last_state(p)["effect"][0], "committed");
    assert_eq!(last_state(p)["pc"], "aborted");
    assert_eq!(
        property(&report, "atomicity").actions(),
        [
            "Init",
            "Execute(1)",
            "Fail(2)",
            "Compensate(1)",
            "(stuttering)"
        ]
    );
}

#[test]
fn recovery_that_reruns_or_forgets_breaks_recovery_idempotent() {
    let report = check_broken(Bug::RecoverRerunsLastStep);
    let p = property(&report, "recovery_idempotent");
    assert_eq!(p.verdict, Verdict::Violated);
    assert_eq!(p.actions(), ["Init", "Execute(1)", "Crash", "Recover"]);

    let report = check_broken(Bug::RecoverForgetsCompensation);
    let p = property(&report, "recovery_idempotent");
    assert_eq!(p.verdict, Verdict::Violated);
    assert_eq!(
        p.actions(),
        ["Init", "Execute(1)", "Fail(2)", "Crash", "Recover"]
    );
    assert_eq!(last_state(p)["crashes"], 1);
    assert_eq!(last_state(p)["effect"][0], "committed");
}

#[test]
fn bad_saga_files_exit_2_naming_file_line_and_reason() {
    let cases = [
        (
            "missing_compensation.saga.yaml",
            ":7: step `b` has no compensation",
        ),
        (
            "duplicate_step.saga.yaml",
            ":7: step name `a` is used twice",
        ),
        ("invalid_yaml.saga.yaml", ":"),
    ];
    for (file, reason) in cases {
        let path = format!("tests/fixtures/sagas/{file}");
        for (command, model) in [("check", "saga"), ("cross", "saga-seed"), ("tla", "saga")] {
            let out = assert_cmd::Command::cargo_bin("flashcheck")
                .unwrap()
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .args([command, model, "--saga", &path])
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{command} {file}: {stderr}");
            assert!(
                stderr.contains(&format!("{path}{reason}")),
                "{command} {file}: {stderr}"
            );
            assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        }
    }
}

#[test]
fn the_embedded_seed_saga_is_the_file_in_specs() {
    let from_file =
        flashcheck::specs::load_saga(&saga_path("specs/create_order.saga.yaml")).unwrap();
    assert_eq!(flashcheck::specs::seed_saga(), from_file);
    assert_eq!(from_file.steps.len(), 4);
}

#[test]
fn traces_are_written_for_the_saga_given_with_saga() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let run = |saga: Option<&str>| {
        let mut args = vec!["traces", "saga", "--count", "1", "--out", out];
        if let Some(saga) = saga {
            args.extend(["--saga", saga]);
        }
        let status = assert_cmd::Command::cargo_bin("flashcheck")
            .unwrap()
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(&args)
            .output()
            .unwrap();
        assert!(status.status.success(), "{status:?}");
        let walk = std::fs::read_to_string(dir.path().join("saga-walk-0000.itf.json")).unwrap();
        let walk: serde_json::Value = serde_json::from_str(&walk).unwrap();
        walk["states"][0]["effect"].as_array().unwrap().len()
    };
    assert_eq!(run(None), 4, "the seed saga has four steps");
    assert_eq!(run(Some("tests/fixtures/sagas/flash_sale_8.saga.yaml")), 8);
}
