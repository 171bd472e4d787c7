//! Ordered concurrent replay (issue 14, item 4): on the pinned executor (and the pool) a
//! model path's clock ticks keep their order relative to the calls around them — each tick
//! is its own segment behind a barrier — and the observable state is compared with the
//! model's at every quiescent point, not only the results. Before, ticks ran as a separate
//! client and only results were checked: `BucketRefillsPastCapacity` went unseen on pinned.

use flashcheck::reference::Mutation;
use flashcheck::replay::breaker::BreakerConformance;
use flashcheck::replay::concurrent::{self, Plan};
use flashcheck::replay::driver::{
    replay_paths, seeded_walks, ModelPath, PathToReplay, ReplayReport,
};
use flashcheck::replay::token_bucket::BucketConformance;
use flashcheck::replay::{Conformance, ExecutorChoice};
use flashcheck_models::breaker::{Breaker, BreakerConfig, Comparison};
use flashcheck_models::token_bucket::{BucketAction, BucketConfig, TokenBucket};
use serde_json::json;
use stateright::Model;
use std::collections::BTreeMap;
use std::sync::Arc;

fn bucket() -> TokenBucket {
    TokenBucket::new(BucketConfig {
        capacity: 3,
        rate: 1,
        rate_window: 3,
    })
    .unwrap()
}

fn replay<C>(
    c: C,
    executor: ExecutorChoice,
    paths: &[ModelPath<C>],
    mutation: Option<Mutation>,
) -> ReplayReport
where
    C: Conformance + Send + 'static,
    <C::Model as Model>::State: Clone,
    <C::Model as Model>::Action: Clone,
{
    replay_paths(Arc::new(c), "m", executor, paths, mutation, &|_, _| {}).unwrap()
}

#[test]
fn a_refill_past_capacity_is_caught_on_pinned_at_the_tick_and_was_not_without_order() {
    let m = bucket();
    let actions = vec![
        BucketAction::Acquire,
        BucketAction::Tick,
        BucketAction::Tick,
    ];
    let path = PathToReplay {
        name: "acquire, tick, tick".into(),
        init: m.init_states().remove(0),
        actions: actions.clone(),
        command: String::new(),
    };
    let c = BucketConformance::new(m.clone()).unwrap();

    // The old way: every client's operations on its own task, results checked only.
    let mut per_client: BTreeMap<u64, Vec<_>> = BTreeMap::new();
    for a in &actions {
        let (op, _) = c.operation(a).unwrap();
        per_client.entry(c.client(&op)).or_default().push(op);
    }
    let c = Arc::new(c);
    let unordered = concurrent::run(
        Arc::clone(&c),
        ExecutorChoice::Pinned,
        Plan::Fixed(per_client.into_iter().collect()),
        Some(Mutation::BucketRefillsPastCapacity),
        &|_, _| {},
    )
    .unwrap();
    assert!(
        c.check_history(&unordered.history).unwrap().is_ok(),
        "results alone were expected to pass"
    );

    for executor in [ExecutorChoice::Pinned, ExecutorChoice::Pool] {
        let clean = replay(
            BucketConformance::new(m.clone()).unwrap(),
            executor,
            std::slice::from_ref(&path),
            None,
        );
        assert!(clean.failures.is_empty(), "{:#?}", clean.failures);
        let report = replay(
            BucketConformance::new(m.clone()).unwrap(),
            executor,
            std::slice::from_ref(&path),
            Some(Mutation::BucketRefillsPastCapacity),
        );
        let mismatch = report.failures[0].mismatch.as_ref().unwrap();
        assert_eq!(mismatch.step, 3, "{mismatch:#?}");
        assert_eq!(mismatch.what, "state at a quiescent point");
        assert_eq!(mismatch.expected, json!({"tokens_milli": 3000}));
        assert_eq!(mismatch.actual, json!({"tokens_milli": 4000}));
    }
}

/// On random walks the mutation is caught on pinned exactly at the first tick the model caps
/// (its refill would pass the capacity), and the correct bucket conforms on the same walks.
#[test]
fn on_pinned_walks_the_refill_mutation_is_caught_at_the_first_capped_tick() {
    let m = bucket();
    let paths = seeded_walks(&m, 0, 150, 20, |_| String::new());
    let clean = replay(
        BucketConformance::new(m.clone()).unwrap(),
        ExecutorChoice::Pinned,
        &paths,
        None,
    );
    assert!(clean.failures.is_empty(), "{:#?}", clean.failures.first());
    let report = replay(
        BucketConformance::new(m.clone()).unwrap(),
        ExecutorChoice::Pinned,
        &paths,
        Some(Mutation::BucketRefillsPastCapacity),
    );
    let mut failures = report.failures.iter();
    let mut caught = 0;
    for path in &paths {
        let mut tokens = m.config().capacity;
        let capped = path.actions.iter().enumerate().find_map(|(i, a)| {
            match a {
                BucketAction::Acquire => tokens -= 1,
                BucketAction::Tick if tokens + m.config().rate > m.config().capacity => {
                    return Some(i + 1)
                }
                BucketAction::Tick => tokens += m.config().rate,
                BucketAction::StopDemand => {}
            }
            None
        });
        let Some(step) = capped else { continue };
        caught += 1;
        let f = failures
            .next()
            .unwrap_or_else(|| panic!("missed {}", path.name));
        assert_eq!(f.name, path.name);
        assert_eq!(f.mismatch.as_ref().unwrap().step, step, "{}", path.name);
    }
    assert!(failures.next().is_none());
    assert!(caught >= 50, "{caught}");
    println!("BucketRefillsPastCapacity on pinned: {caught} of 150 walks caught at the first capped tick");
}

#[test]
fn the_correct_breaker_conforms_on_pinned_with_ticks_in_order() {
    let m = Breaker::new(BreakerConfig {
        minimum_calls: 3,
        window_size: 4,
        wait_ticks: 2,
        permitted: 2,
        threshold_num: 1,
        threshold_den: 2,
        comparison: Comparison::GreaterOrEqual,
    })
    .unwrap();
    let paths = seeded_walks(&m, 0, 100, 30, |_| String::new());
    let report = replay(
        BreakerConformance::new(m.clone()).unwrap(),
        ExecutorChoice::Pinned,
        &paths,
        None,
    );
    assert!(report.failures.is_empty(), "{:#?}", report.failures.first());
    assert!(report.operations > 1_000, "{}", report.operations);
    assert!(
        report.quiescent_compared > 500,
        "{}",
        report.quiescent_compared
    );
    assert_eq!(report.quiescent_not_compared, 0);
}
