//! Negative steps (issue 14, item 1): at every state of a replayed path, inline replay offers
//! the operations the model does not enable there — duplicates, late messages, calls in the
//! wrong state — and requires the documented refusal with no observable change. One
//! mutation per component accepts what it must refuse (`reference::Mutation`); each is caught
//! at exactly the step the model predicts, with the refused action named, and the same walks
//! pass without it.

use flashcheck::registry::builtin::saga::step_list;
use flashcheck::specs::seed_saga;

use flashcheck::reference::Mutation;
use flashcheck::replay::breaker::BreakerConformance;
use flashcheck::replay::driver::{
    replay_paths, seeded_walks, ModelPath, PathToReplay, ReplayReport,
};
use flashcheck::replay::inventory::{InventoryConformance, StoreChoice};
use flashcheck::replay::saga::SagaConformance;
use flashcheck::replay::token_bucket::BucketConformance;
use flashcheck::replay::{Conformance, ExecutorChoice};
use flashcheck_models::breaker::{Breaker, BreakerAction, BreakerConfig, Comparison, Mode};
use flashcheck_models::inventory::{Deduction, Inventory, InventoryAction};
use flashcheck_models::saga::Saga;
use flashcheck_models::saga_history::Pc;
use flashcheck_models::token_bucket::{BucketConfig, TokenBucket};
use serde_json::json;
use stateright::Model;
use std::sync::Arc;

fn replay<C>(c: C, name: &str, paths: &[ModelPath<C>], mutation: Option<Mutation>) -> ReplayReport
where
    C: Conformance + Send + 'static,
    <C::Model as Model>::State: Clone,
    <C::Model as Model>::Action: Clone,
{
    let report = replay_paths(
        Arc::new(c),
        name,
        ExecutorChoice::Inline,
        paths,
        mutation,
        &|_, _| {},
    )
    .unwrap();
    assert_eq!(report.paths, paths.len());
    report
}

/// The states of a path, the initial one first.
fn states<M: Model>(m: &M, init: &M::State, actions: &[M::Action]) -> Vec<M::State>
where
    M::State: Clone,
    M::Action: Clone,
{
    let mut out = vec![init.clone()];
    for a in actions {
        let next = m.next_state(out.last().unwrap(), a.clone()).unwrap();
        out.push(next);
    }
    out
}

/// Asserts that the correct implementation conforms on `paths` with negative steps offered,
/// that `mutation` fails exactly the paths `predict` names a step for, at that step, refusing
/// the predicted action; returns how many paths it caught.
fn assert_caught_where_predicted<C>(
    c: impl Fn() -> C,
    name: &str,
    paths: &[ModelPath<C>],
    mutation: Mutation,
    predict: impl Fn(
        &[<C::Model as Model>::State],
        &[<C::Model as Model>::Action],
    ) -> Option<(usize, String)>,
) -> usize
where
    C: Conformance + Send + 'static,
    <C::Model as Model>::State: Clone,
    <C::Model as Model>::Action: Clone,
{
    let clean = replay(c(), name, paths, None);
    assert!(clean.failures.is_empty(), "{:#?}", clean.failures.first());
    assert!(clean.refusals > 0, "no negative step offered");
    let mutated = replay(c(), name, paths, Some(mutation));
    let model = c();
    let mut caught = 0;
    let mut failures = mutated.failures.iter();
    for path in paths {
        let predicted = predict(
            &states(model.model(), &path.init, &path.actions),
            &path.actions,
        );
        let Some((step, refused)) = predicted else {
            continue;
        };
        caught += 1;
        let failure = failures
            .next()
            .unwrap_or_else(|| panic!("{mutation:?} missed {}", path.name));
        assert_eq!(failure.name, path.name, "{mutation:?}: wrong path failed");
        let m = failure.mismatch.as_ref().unwrap();
        assert_eq!(
            (m.step, m.refused.as_deref(), m.what),
            (step, Some(refused.as_str()), "refusal"),
            "{mutation:?} {}: {m:#?}",
            path.name
        );
    }
    assert!(
        failures.next().is_none(),
        "{mutation:?}: unpredicted failure"
    );
    println!(
        "{mutation:?}: {caught} of {} walks caught where predicted; {} negative steps on the correct {name}",
        paths.len(),
        clean.refusals
    );
    assert!(
        caught * 10 >= paths.len(),
        "{mutation:?}: walks rarely reach it"
    );
    caught
}

#[test]
fn inventory_late_payment_is_refused_and_the_mutation_caught_at_the_timeout() {
    let m = Inventory::new(3, 2, Deduction::Atomic).unwrap();
    let paths = seeded_walks(&m, 0, 400, 12, |_| String::new());
    let conformance = || InventoryConformance::new(m.clone(), StoreChoice::Atomic).unwrap();
    // The first `Timeout(u)`: in the state it reaches, the late `Pay(u)` must be refused.
    assert_caught_where_predicted(
        conformance,
        "inventory",
        &paths,
        Mutation::InventoryAcceptsLatePayment,
        |_, actions| {
            actions.iter().enumerate().find_map(|(i, a)| match a {
                InventoryAction::Timeout(u) => Some((i + 1, format!("Pay({u})"))),
                _ => None,
            })
        },
    );
}

#[test]
fn the_late_payment_is_caught_with_the_documented_error_named() {
    let m = Inventory::new(1, 1, Deduction::Atomic).unwrap();
    let init = m.init_states().remove(0);
    let path = PathToReplay {
        name: "reserve, timeout".into(),
        init,
        actions: vec![InventoryAction::Reserve(1), InventoryAction::Timeout(1)],
        command: String::new(),
    };
    let c = InventoryConformance::new(m, StoreChoice::Sharded).unwrap();
    let report = replay(
        c,
        "inventory",
        &[path],
        Some(Mutation::InventoryAcceptsLatePayment),
    );
    let m = report.failures[0].mismatch.as_ref().unwrap();
    assert_eq!(m.step, 2);
    assert_eq!(m.action, "Timeout(1)");
    assert_eq!(m.refused.as_deref(), Some("Pay(1)"));
    assert_eq!(
        m.expected,
        json!({"Err": {"NoReservation": {"user": 1, "status": "Released"}}})
    );
    assert_eq!(m.actual, json!({"Ok": "Paid"}));
}

fn breaker() -> Breaker {
    Breaker::new(BreakerConfig {
        minimum_calls: 3,
        window_size: 4,
        wait_ticks: 2,
        permitted: 2,
        threshold_num: 1,
        threshold_den: 2,
        comparison: Comparison::GreaterOrEqual,
    })
    .unwrap()
}

#[test]
fn breaker_duplicate_outcomes_are_refused_and_the_mutation_caught_at_the_first_record() {
    let m = breaker();
    let paths = seeded_walks(&m, 0, 600, 40, |_| String::new());
    assert_caught_where_predicted(
        || BreakerConformance::new(m.clone()).unwrap(),
        "breaker",
        &paths,
        Mutation::BreakerCountsDuplicateOutcome,
        |states, actions| {
            // The first outcome recorded without a transition: its permit is still of the
            // present state, so reporting it again must get `UnknownPermit`. (After a
            // transition the repeat is `IgnoredStale`, refused either way.)
            actions.iter().enumerate().find_map(|(i, a)| {
                let outcome = matches!(
                    a,
                    BreakerAction::Succeed
                        | BreakerAction::Fail
                        | BreakerAction::ProbeSucceed
                        | BreakerAction::ProbeFail
                );
                (outcome && states[i].mode == states[i + 1].mode)
                    .then(|| (i + 1, "duplicate outcome".to_string()))
            })
        },
    );
}

/// The model has no "call rejected" step, so a model path alone never asks half-open for one
/// probe more than it permits (issue 14: on breaker, inline caught nothing the pool did not);
/// the negative steps do ask, at the first state with `Permitted` probes out.
#[test]
fn an_extra_half_open_call_is_now_caught_inline_by_a_negative_step() {
    let m = breaker();
    let paths = seeded_walks(&m, 0, 600, 40, |_| String::new());
    let permitted = m.config().permitted as u8;
    assert_caught_where_predicted(
        || BreakerConformance::new(m.clone()).unwrap(),
        "breaker",
        &paths,
        Mutation::BreakerAdmitsExtraHalfOpenCall,
        |states, _| {
            states
                .iter()
                .position(|s| s.mode == Mode::HalfOpen && s.admitted == permitted)
                .map(|i| (i, "Succeed".to_string()))
        },
    );
}

#[test]
fn bucket_acquire_on_empty_is_refused_and_the_mutation_caught_at_the_first_empty_state() {
    let m = TokenBucket::new(BucketConfig {
        capacity: 2,
        rate: 1,
        rate_window: 2,
    })
    .unwrap();
    let paths = seeded_walks(&m, 0, 400, 20, |_| String::new());
    assert_caught_where_predicted(
        || BucketConformance::new(m.clone()).unwrap(),
        "token-bucket",
        &paths,
        Mutation::BucketGrantsWithoutTokens,
        |states, _| {
            states
                .iter()
                .position(|s| s.tokens == 0)
                .map(|i| (i, "Acquire".to_string()))
        },
    );
}

#[test]
fn saga_advance_after_finish_is_refused_and_the_mutation_caught_where_it_ends() {
    let definition = seed_saga();
    let model = Saga::new(step_list(&definition).unwrap(), 1, 1, 1).unwrap();
    let paths = seeded_walks(&model, 0, 300, 30, |_| String::new());
    assert_caught_where_predicted(
        || SagaConformance::new(model.clone(), definition.clone()).unwrap(),
        "saga",
        &paths,
        Mutation::SagaRefinishesFinishedSaga,
        |states, _| {
            states
                .iter()
                .position(|s| s.up && matches!(s.pc, Pc::Done | Pc::Aborted))
                .map(|i| (i, "Execute/Compensate after the saga finished".to_string()))
        },
    );
}

/// Coverage (issue 14, item 6): replay reports the actions and parameter values its paths
/// took, the enabled actions they never took, and the negative steps offered; a batch that
/// never takes an action shows it as enabled but never taken.
#[test]
fn replay_reports_the_actions_and_parameters_its_paths_exercised() {
    let m = Inventory::new(3, 2, Deduction::Atomic).unwrap();
    let paths = seeded_walks(&m, 0, 200, 12, |_| String::new());
    let c = || InventoryConformance::new(m.clone(), StoreChoice::Atomic).unwrap();
    let report = replay(c(), "inventory", &paths, None);
    let cov = &report.coverage;
    let taken: u64 = cov.actions.values().map(|a| a.taken).sum();
    assert_eq!(taken as usize, report.steps);
    for action in ["Reserve", "Reject", "Pay", "Timeout"] {
        let a = &cov.actions[action];
        assert_eq!(
            a.params.keys().cloned().collect::<Vec<_>>(),
            ["1", "2", "3"],
            "{action}"
        );
        assert_eq!(a.params.values().sum::<u64>(), a.taken);
    }
    assert!(cov.enabled_never_taken.is_empty(), "{cov:?}");
    assert_eq!(cov.refused.values().sum::<u64>() as usize, report.refusals);
    assert!(cov.refused.contains_key("Pay(1)") && cov.refused.contains_key("Reserve(3)"));

    // Paths that never pay: every enabled Pay(u) is reported as never taken.
    let no_pay: Vec<_> = paths
        .iter()
        .map(|p| {
            let mut p = p.clone();
            if let Some(i) = p
                .actions
                .iter()
                .position(|a| matches!(a, InventoryAction::Pay(_)))
            {
                p.actions.truncate(i);
            }
            p
        })
        .collect();
    let report = replay(c(), "inventory", &no_pay, None);
    assert!(!report.coverage.actions.contains_key("Pay"));
    let never: Vec<_> = report
        .coverage
        .enabled_never_taken
        .iter()
        .cloned()
        .collect();
    assert_eq!(never, ["Pay(1)", "Pay(2)", "Pay(3)"]);
    let line = report.coverage.render_line("inventory");
    assert!(
        line.starts_with("coverage inventory: Reject ")
            && line.contains("enabled but never taken: Pay(1) Pay(2) Pay(3); negative steps: "),
        "{line}"
    );
}

#[test]
fn the_cli_prints_coverage_one_line_per_model_and_in_its_json() {
    let out = assert_cmd::Command::cargo_bin("flashcheck")
        .unwrap()
        .args(["replay", "inventory", "--generate", "50", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let reserve = &report["coverage"]["actions"]["Reserve"];
    assert!(reserve["taken"].as_u64().unwrap() > 0, "{report}");
    assert!(reserve["params"]["1"].as_u64().unwrap() > 0, "{report}");
    assert!(report["refusals"].as_u64().unwrap() > 0);
    assert!(report["coverage"]["refused"]["Pay(1)"].as_u64().unwrap() > 0);

    let out = assert_cmd::Command::cargo_bin("flashcheck")
        .unwrap()
        .args(["replay", "breaker", "--generate", "50"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("coverage "))
        .collect();
    assert_eq!(lines.len(), 1, "{text}");
    assert!(lines[0].starts_with("coverage breaker: "), "{text}");
    assert!(lines[0].contains("negative steps: "), "{text}");
}
