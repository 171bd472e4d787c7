//! Replay of the token-bucket model (design document §2.2, 限流配置 令牌桶算法;
//! `tla/TokenBucket.tla`) against the lock-free reference bucket: inline on random walks and
//! on the traces library's ITF files, concurrently on the pool, and the refill-past-capacity
//! mutation (`tokens_in_range`, `rate_bounded`).

mod support;

use assert_cmd::Command;
use flashcheck::reference::Mutation;
use flashcheck::registry::{builtin, Constants};
use flashcheck::replay::concurrent::Plan;
use flashcheck::replay::driver::{itf_paths, replay_paths, seeded_walks, PathResult, PathToReplay};
use flashcheck::replay::token_bucket::{BucketCall, BucketConformance};
use flashcheck::replay::ExecutorChoice;
use flashcheck::trace::generate::{write_all, TraceRequest};
use flashcheck::trace::SplitMix64;
use flashcheck_models::token_bucket::{BucketAction, BucketConfig, BucketState, TokenBucket};
use serde_json::json;
use std::sync::Arc;

fn model(capacity: u64, rate: u64, rate_window: u64) -> TokenBucket {
    TokenBucket::new(BucketConfig {
        capacity,
        rate,
        rate_window,
    })
    .unwrap()
}

/// The registered defaults (`Capacity = 3`, `Rate = 1`, `RateWindow = 3`) and two more shapes:
/// a refill larger than one token, and a one-token bucket.
fn models() -> [TokenBucket; 3] {
    [model(3, 1, 3), model(5, 2, 2), model(1, 1, 1)]
}

type Path = PathToReplay<BucketState, BucketAction>;

fn walks(m: &TokenBucket, n: u64, depth: usize) -> Vec<Path> {
    seeded_walks(m, 0, n as usize, depth, |_| String::new())
}

fn replay(
    m: &TokenBucket,
    executor: ExecutorChoice,
    paths: &[Path],
    mutation: Option<Mutation>,
) -> Vec<PathResult> {
    let c = Arc::new(BucketConformance::new(m.clone()).unwrap());
    replay_paths(c, "token-bucket", executor, paths, mutation, &|_, _| {})
        .unwrap()
        .failures
}

#[test]
fn the_correct_bucket_conforms_inline_on_random_walks() {
    for m in models() {
        let paths = walks(&m, 2_000, 40);
        // Paths where a tick is capped: the refill rule's cap decides the next state.
        let (capacity, rate) = (m.config().capacity, m.config().rate);
        let capped = paths
            .iter()
            .filter(|p| {
                let mut tokens = capacity;
                p.actions.iter().any(|a| {
                    let capped = *a == BucketAction::Tick && tokens + rate > capacity;
                    match a {
                        BucketAction::Acquire => tokens -= 1,
                        BucketAction::Tick => tokens = (tokens + rate).min(capacity),
                        BucketAction::StopDemand => {}
                    }
                    capped
                })
            })
            .count();
        assert!(capped >= 500, "walks rarely cap a refill: {capped}");
        let failures = replay(&m, ExecutorChoice::Inline, &paths, None);
        assert!(failures.is_empty(), "{:#?}", failures.first());
    }
}

/// Every small shape: refills below, at and above the capacity.
#[test]
fn every_small_configuration_conforms_inline() {
    for capacity in 1..=5 {
        for rate in 1..=6 {
            for rate_window in 1..=2 {
                let m = model(capacity, rate, rate_window);
                let failures = replay(&m, ExecutorChoice::Inline, &walks(&m, 100, 30), None);
                assert!(
                    failures.is_empty(),
                    "{:?}: {:#?}",
                    m.config(),
                    failures.first()
                );
            }
        }
    }
}

#[test]
fn the_traces_library_replays_clean_inline_and_on_the_pool() {
    let dir = tempfile::tempdir().unwrap();
    let request = TraceRequest {
        constants: Constants::parse(&builtin::TOKEN_BUCKET, &[]).unwrap(),
        count: 40,
        depth: 40,
        seed: 5,
    };
    let written = write_all(&request, dir.path()).unwrap();
    assert!(written.iter().any(|w| w.kind == "witness"), "{written:?}");
    let m = models()[0].clone();
    let files: Vec<_> = written.iter().map(|w| w.path.clone()).collect();
    let paths: Vec<Path> = itf_paths(&m, &files, |_| String::new()).unwrap();
    for executor in [ExecutorChoice::Inline, ExecutorChoice::Pool] {
        let failures = replay(&m, executor, &paths, None);
        assert!(failures.is_empty(), "{executor:?}: {:#?}", failures.first());
    }
}

#[test]
fn the_cli_replays_generated_walks_and_traces() {
    Command::cargo_bin("flashcheck")
        .unwrap()
        .args([
            "replay",
            "token-bucket",
            "--generate",
            "200",
            "--depth",
            "30",
        ])
        .assert()
        .code(0);
    let dir = tempfile::tempdir().unwrap();
    Command::cargo_bin("flashcheck")
        .unwrap()
        .args(["traces", "token-bucket", "--count", "5", "--out"])
        .arg(dir.path())
        .assert()
        .success();
    Command::cargo_bin("flashcheck")
        .unwrap()
        .args(["replay", "token-bucket", "--executor", "pool", "--traces"])
        .arg(dir.path())
        .assert()
        .code(0);
}

#[test]
fn a_concurrent_workload_on_the_correct_bucket_is_linearizable() {
    for m in models() {
        let c = Arc::new(BucketConformance::new(m).unwrap());
        support::assert_pool_run_linearizable(
            &c,
            Plan::Workload {
                clients: 2_000,
                seed: 7,
            },
            20_000,
            "bucket workload",
        );
    }
}

/// Long scripts for two clients, so both pool workers hit the bucket's compare-and-swap at
/// the same time for long stretches (a workload of many short clients overlaps little on a
/// busy machine); each ticks about once in six operations.
#[test]
fn two_clients_calling_at_once_are_linearizable() {
    let c = Arc::new(BucketConformance::new(model(5, 2, 2)).unwrap());
    let mut rng = SplitMix64::new(17);
    let mut script = |client: u64| -> Vec<BucketCall> {
        (0..200_000)
            .map(|_| match rng.below(6) {
                0 => BucketCall::Tick { client },
                _ => BucketCall::Acquire { client },
            })
            .collect()
    };
    let plan = Plan::Fixed(vec![(1, script(1)), (2, script(2))]);
    support::assert_pool_run_linearizable(&c, plan, 400_000, "bucket, two clients");
}

#[test]
fn random_walks_replayed_on_the_pool_are_linearizable() {
    let m = model(5, 2, 2);
    let failures = replay(&m, ExecutorChoice::Pool, &walks(&m, 300, 40), None);
    assert!(failures.is_empty(), "{:#?}", failures.first());
}

#[test]
fn mutation_bucket_refills_past_capacity_is_caught_inline() {
    // Take a token, let a tick refill the bucket, and tick once more: a full bucket must
    // stay at `Capacity`.
    let m = model(3, 1, 3);
    let path = PathToReplay {
        name: "acquire, tick, tick".into(),
        init: stateright::Model::init_states(&m).remove(0),
        actions: vec![
            BucketAction::Acquire,
            BucketAction::Tick,
            BucketAction::Tick,
        ],
        command: String::new(),
    };
    assert!(replay(
        &m,
        ExecutorChoice::Inline,
        std::slice::from_ref(&path),
        None
    )
    .is_empty());
    let failures = replay(
        &m,
        ExecutorChoice::Inline,
        &[path],
        Some(Mutation::BucketRefillsPastCapacity),
    );
    let mismatch = failures[0].mismatch.as_ref().expect("mutation not caught");
    println!(
        "BucketRefillsPastCapacity (inline, scripted): step {} {} {} differs: expected {} actual {}",
        mismatch.step, mismatch.action, mismatch.what, mismatch.expected, mismatch.actual
    );
    assert_eq!(
        (mismatch.step, mismatch.action.as_str(), mismatch.what),
        (3, "Tick", "state")
    );
    assert_eq!(mismatch.expected, json!({"tokens_milli": 3000}));
    assert_eq!(mismatch.actual, json!({"tokens_milli": 4000}));

    // Random walks find it too, always at a tick that would overfill the bucket.
    for m in models() {
        let failures = replay(
            &m,
            ExecutorChoice::Inline,
            &walks(&m, 500, 40),
            Some(Mutation::BucketRefillsPastCapacity),
        );
        assert!(failures.len() >= 200, "caught on {} of 500", failures.len());
        for f in &failures {
            let mismatch = f.mismatch.as_ref().unwrap();
            let capacity = m.config().capacity * 1_000;
            assert_eq!((mismatch.action.as_str(), mismatch.what), ("Tick", "state"));
            assert_eq!(mismatch.expected, json!({ "tokens_milli": capacity }));
            assert!(mismatch.actual["tokens_milli"].as_u64().unwrap() > capacity);
        }
    }
}

#[test]
fn mutation_bucket_refills_past_capacity_is_caught_on_the_pool() {
    let c = Arc::new(BucketConformance::new(model(3, 1, 3)).unwrap());
    let report = support::assert_pool_workload_catches(c, Mutation::BucketRefillsPastCapacity);
    // Only an acquire granted from tokens the spec never added can get the check stuck.
    assert!(report
        .window
        .iter()
        .any(|o| o["op"]["Acquire"].is_object() && o["ret"] == "Granted"));
}
