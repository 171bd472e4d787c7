//! Replay of the inventory model against the reference service: ITF round trips, bad trace
//! files, inline and concurrent conformance, and the mutations replay must catch.

use assert_cmd::Command;
use flashcheck::reference::Mutation;
use flashcheck::replay::driver::{replay_paths, replay_workload, seeded_walks, PathToReplay};
use flashcheck::replay::inventory::{InventoryConformance, StoreChoice};
use flashcheck::replay::linearizability::Outcome;
use flashcheck::replay::ExecutorChoice;
use flashcheck::trace::{decode_path, path_steps, random_walk, SplitMix64, Trace, TraceError};
use flashcheck_models::inventory::{Deduction, Inventory, InventoryAction, InventoryState};
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::sync::Arc;

fn model(users: u64, stock: u64, deduction: Deduction) -> Inventory {
    Inventory::new(users, stock, deduction).unwrap()
}

fn itf_text(m: &Inventory, seed: u64, depth: usize) -> (String, Vec<InventoryAction>) {
    let (init, path) = random_walk(m, depth, &mut SplitMix64::new(seed)).unwrap();
    let trace = Trace::from_steps(BTreeMap::new(), &path_steps(m, &init, &path), None);
    (
        serde_json::to_string_pretty(&trace.to_itf().unwrap()).unwrap(),
        path,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn model_path_to_itf_and_back_is_the_identity(
        users in 1u64..=5, stock in 0u64..=4, rtw in any::<bool>(), seed in any::<u64>(), depth in 0usize..25
    ) {
        let deduction = if rtw { Deduction::ReadThenWrite } else { Deduction::Atomic };
        let m = model(users, stock, deduction);
        let (text, path) = itf_text(&m, seed, depth);
        let parsed = Trace::parse(&text).unwrap();
        let (init, decoded) = decode_path(&m, &parsed).unwrap();
        prop_assert_eq!(&init, &m.init_states_first());
        prop_assert_eq!(decoded, path);
    }

    #[test]
    fn truncated_itf_names_the_state_and_field(seed in any::<u64>(), cut in 0.05f64..0.95) {
        let m = model(3, 2, Deduction::Atomic);
        let (text, _) = itf_text(&m, seed, 8);
        let at = (text.len() as f64 * cut) as usize;
        let at = (0..=at).rev().find(|&i| text.is_char_boundary(i)).unwrap();
        match Trace::parse(&text[..at]) {
            Err(TraceError::Syntax { line, .. }) => prop_assert!(line >= 1),
            Err(other) => prop_assert!(false, "unexpected error {other}"),
            Ok(_) => prop_assert!(false, "a truncated trace was accepted"),
        }
    }
}

trait FirstInit {
    fn init_states_first(&self) -> InventoryState;
}
impl FirstInit for Inventory {
    fn init_states_first(&self) -> InventoryState {
        stateright::Model::init_states(self).remove(0)
    }
}

#[test]
fn a_wrong_value_is_reported_with_state_and_field() {
    let m = model(3, 2, Deduction::Atomic);
    let (text, _) = itf_text(&m, 7, 6);
    let mut doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    doc["states"][2]["available"] = serde_json::json!({"#bigint": "9"});
    let err = decode_path(&m, &Trace::from_json(&doc).unwrap()).unwrap_err();
    let message = err.to_string();
    assert!(
        matches!(err, TraceError::Mismatch { state: 2, ref field, .. } if field == "available"),
        "{message}"
    );
    doc["states"][1]["phase"] = serde_json::json!({"#bigint": "x"});
    let err = Trace::from_json(&doc).unwrap_err();
    assert!(err.to_string().starts_with("state 1, field phase"), "{err}");
}

#[test]
fn a_truncated_trace_file_exits_2_naming_state_and_field() {
    let m = model(3, 2, Deduction::Atomic);
    let (text, _) = itf_text(&m, 3, 6);
    let cut = text.find("\"states\"").unwrap()
        + text[text.find("\"states\"").unwrap()..]
            .find("\"phase\"")
            .unwrap()
        + 12;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cut.itf.json");
    std::fs::write(&file, &text[..cut]).unwrap();
    let out = Command::cargo_bin("flashcheck")
        .unwrap()
        .args(["replay", "inventory", "--traces"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("state 0") && stderr.contains("field phase"),
        "{stderr}"
    );
}

#[test]
fn traces_are_deterministic_and_replay_clean() {
    let dir = tempfile::tempdir().unwrap();
    let run = |sub: &str| {
        let out = dir.path().join(sub);
        Command::cargo_bin("flashcheck")
            .unwrap()
            .args([
                "traces",
                "inventory",
                "--count",
                "5",
                "--depth",
                "12",
                "--seed",
                "42",
                "--out",
            ])
            .arg(&out)
            .assert()
            .success();
        out
    };
    let (a, b) = (run("a"), run("b"));
    for entry in std::fs::read_dir(&a).unwrap() {
        let name = entry.unwrap().file_name();
        assert_eq!(
            std::fs::read(a.join(&name)).unwrap(),
            std::fs::read(b.join(&name)).unwrap()
        );
    }
    for executor in ["inline", "pool"] {
        Command::cargo_bin("flashcheck")
            .unwrap()
            .args(["replay", "inventory", "--executor", executor, "--traces"])
            .arg(&a)
            .assert()
            .code(0);
    }
}

fn walks(
    m: &Inventory,
    n: u64,
    depth: usize,
) -> Vec<PathToReplay<InventoryState, InventoryAction>> {
    seeded_walks(m, 0, n as usize, depth, |_| String::new())
}

fn inline_failures(
    store: StoreChoice,
    mutation: Option<Mutation>,
) -> Vec<flashcheck::replay::driver::PathResult> {
    let m = model(4, 2, Deduction::Atomic);
    let c = Arc::new(InventoryConformance::new(m.clone(), store).unwrap());
    replay_paths(
        c,
        "inventory",
        ExecutorChoice::Inline,
        &walks(&m, 200, 16),
        mutation,
        &|_, _| {},
    )
    .unwrap()
    .failures
}

#[test]
fn the_correct_service_conforms_inline_on_both_stores() {
    assert!(inline_failures(StoreChoice::Atomic, None).is_empty());
    assert!(inline_failures(StoreChoice::Sharded, None).is_empty());
}

#[test]
fn read_then_write_counterexamples_do_not_replay_on_the_correct_service() {
    // The model's race oversells; the service must not follow it.
    let m = model(2, 1, Deduction::ReadThenWrite);
    let c = Arc::new(InventoryConformance::new(m.clone(), StoreChoice::Atomic).unwrap());
    let (init, actions) = (
        m.init_states_first(),
        vec![
            InventoryAction::Read(1),
            InventoryAction::Read(2),
            InventoryAction::Write(1),
            InventoryAction::Write(2),
        ],
    );
    let path = PathToReplay {
        name: "race".into(),
        init,
        actions,
        command: String::new(),
    };
    let report = replay_paths(
        c,
        "inventory",
        ExecutorChoice::Inline,
        &[path],
        None,
        &|_, _| {},
    )
    .unwrap();
    let mismatch = report.failures[0].mismatch.as_ref().unwrap();
    assert_eq!((mismatch.step, mismatch.what), (4, "result"));
}

#[test]
fn mutation_shard_rejects_without_stealing_is_caught_inline() {
    let failures = inline_failures(
        StoreChoice::Sharded,
        Some(Mutation::ShardRejectsWithoutStealing),
    );
    let first = failures.first().expect("mutation not caught");
    let m = first.mismatch.as_ref().unwrap();
    println!(
        "ShardRejectsWithoutStealing: {} step {} {} {}: expected {} actual {}",
        first.name, m.step, m.action, m.what, m.expected, m.actual
    );
    assert_eq!(m.what, "result");
}

#[test]
fn mutation_shard_rejects_without_stealing_is_caught_on_pinned() {
    let m = model(3, 2, Deduction::Atomic);
    let c = Arc::new(
        InventoryConformance::new(m, StoreChoice::Sharded)
            .unwrap()
            .with_stock(64),
    );
    let report = replay_workload(
        c,
        ExecutorChoice::Pinned,
        400,
        1,
        Some(Mutation::ShardRejectsWithoutStealing),
        &|_, _| {},
    );
    let report = match report {
        Ok(r) => r,
        Err(e) => {
            eprintln!("pinned executor unavailable here: {e}");
            return;
        }
    };
    let Outcome::NotLinearizable(f) = &report.outcome else {
        panic!("mutation not caught: {report:?}")
    };
    println!(
        "ShardRejectsWithoutStealing (pinned): stuck at {} window {:?}",
        f.stuck_at, report.window
    );
}

#[test]
fn mutation_atomic_check_then_decrement_is_caught_on_the_pool_not_inline() {
    assert!(
        inline_failures(
            StoreChoice::Atomic,
            Some(Mutation::AtomicCheckThenDecrement)
        )
        .is_empty(),
        "a sequential replay cannot see a race"
    );
    let m = model(3, 2, Deduction::Atomic);
    let c = Arc::new(
        InventoryConformance::new(m, StoreChoice::Atomic)
            .unwrap()
            .with_stock(8),
    );
    for attempt in 0..5 {
        let report = replay_workload(
            Arc::clone(&c),
            ExecutorChoice::Pool,
            200,
            attempt,
            Some(Mutation::AtomicCheckThenDecrement),
            &|_, _| {},
        )
        .unwrap();
        if let Outcome::NotLinearizable(f) = &report.outcome {
            println!("AtomicCheckThenDecrement (pool, attempt {attempt}): {} linearized, stuck at {}, window {:?}", f.linearized, f.stuck_at, report.window);
            assert!(!f.window.is_empty());
            return;
        }
    }
    panic!("the check-then-decrement race was never caught in 5 pool runs");
}

#[test]
fn long_histories_are_checked_and_linearizable() {
    let m = model(3, 2, Deduction::Atomic);
    let c = Arc::new(
        InventoryConformance::new(m, StoreChoice::Auto)
            .unwrap()
            .with_stock(5_000),
    );
    let report = replay_workload(c, ExecutorChoice::Pool, 10_000, 9, None, &|_, _| {}).unwrap();
    assert!(report.operations >= 10_000);
    assert!(report.outcome.is_ok(), "{:?}", report.outcome);
}
