//! Replay of the breaker model (design document §2.2, 案例13.3 熔断器; `tla/Breaker.tla`)
//! against the reference circuit breaker: inline on random walks and on the traces library's
//! ITF files, concurrently on the pool, and the half-open over-admission mutation
//! (`halfopen_admits_at_most_permitted`, resilience4j #1090/#1432).

mod support;

use assert_cmd::Command;
use flashcheck::reference::Mutation;
use flashcheck::registry::{builtin, Constants, Port};
use flashcheck::replay::breaker::{
    split_calls, BreakerCall, BreakerConformance, BreakerReply, CALLER,
};
use flashcheck::replay::concurrent::{self, Plan};
use flashcheck::replay::driver::{itf_paths, replay_paths, seeded_walks, PathResult, PathToReplay};
use flashcheck::replay::linearizability::{Operation, Outcome, SequentialSpec};
use flashcheck::replay::{Conformance, ExecutorChoice};
use flashcheck::trace::generate::{write_all, TraceRequest};
use flashcheck::trace::SplitMix64;
use flashcheck_models::breaker::{Breaker, BreakerAction, BreakerConfig, BreakerState, Comparison};
use stateright::Model;
use std::sync::Arc;

/// The registered scaled defaults (window 4, minimum 4, 3 ticks, 2 probes, > 1/2).
fn defaults() -> Breaker {
    let constants = Constants::parse(&builtin::BREAKER, &[]).unwrap();
    Port::build(&constants)
        .unwrap()
        .model::<Breaker>()
        .expect("a breaker port")
        .clone()
}

/// A second shape: a window longer than the minimum (it slides), `>=`, three probes.
fn sliding() -> Breaker {
    Breaker::new(BreakerConfig {
        minimum_calls: 3,
        window_size: 5,
        wait_ticks: 2,
        permitted: 3,
        threshold_num: 2,
        threshold_den: 5,
        comparison: Comparison::GreaterOrEqual,
    })
    .unwrap()
}

type Path = PathToReplay<BreakerState, BreakerAction>;

fn walks(m: &Breaker, n: u64, depth: usize) -> Vec<Path> {
    seeded_walks(m, 0, n as usize, depth, |_| String::new())
}

/// Random walks with the backend left flaky (no `Heal`, no `Degrade`): uniform walks mostly
/// heal or degrade it early, and then a probe can never succeed (`Degrade`) or the breaker
/// never trips (`Heal`); these reach every half-open outcome.
fn flaky_walks(m: &Breaker, n: u64, depth: usize) -> Vec<Path> {
    (0..n)
        .map(|seed| {
            let mut rng = SplitMix64::new(seed);
            let init = m.init_states().remove(0);
            let (mut state, mut actions, mut enabled) = (init, Vec::new(), Vec::new());
            while actions.len() < depth {
                enabled.clear();
                m.actions(&state, &mut enabled);
                enabled.retain(|a| !matches!(a, BreakerAction::Heal | BreakerAction::Degrade));
                let a = enabled[rng.below(enabled.len())];
                state = m.next_state(&state, a).unwrap();
                actions.push(a);
            }
            PathToReplay {
                name: format!("flaky seed {seed}"),
                init: m.init_states().remove(0),
                actions,
                command: String::new(),
            }
        })
        .collect()
}

fn replay(
    m: &Breaker,
    executor: ExecutorChoice,
    paths: &[Path],
    mutation: Option<Mutation>,
) -> Vec<PathResult> {
    let c = Arc::new(BreakerConformance::new(m.clone()).unwrap());
    replay_paths(c, "breaker", executor, paths, mutation, &|_, _| {})
        .unwrap()
        .failures
}

/// How many paths take `action` at least once: the walks must reach every corner.
fn reaching(paths: &[Path], action: BreakerAction) -> usize {
    paths.iter().filter(|p| p.actions.contains(&action)).count()
}

#[test]
fn the_correct_breaker_conforms_inline_on_random_walks() {
    for m in [defaults(), sliding()] {
        let mut paths = walks(&m, 1_000, 40);
        paths.extend(flaky_walks(&m, 1_000, 40));
        for action in [
            BreakerAction::Probe,
            BreakerAction::ProbeSucceed,
            BreakerAction::ProbeFail,
        ] {
            assert!(reaching(&paths, action) >= 100, "{action:?} rarely reached");
        }
        let failures = replay(&m, ExecutorChoice::Inline, &paths, None);
        assert!(failures.is_empty(), "{:#?}", failures.first());
    }
}

/// Every small shape of the constants: windows that slide or not, thresholds at 0, 1 and in
/// between, both comparisons (a tie at exactly θ), one to three probes.
#[test]
fn every_small_configuration_conforms_inline() {
    let mut configurations = 0;
    for window_size in 1..=5 {
        for minimum_calls in 1..=window_size {
            for (threshold_num, threshold_den) in [(0, 1), (1, 4), (1, 2), (3, 5), (1, 1)] {
                for comparison in [Comparison::Greater, Comparison::GreaterOrEqual] {
                    for (wait_ticks, permitted) in [(1, 1), (2, 3)] {
                        let m = Breaker::new(BreakerConfig {
                            minimum_calls,
                            window_size,
                            wait_ticks,
                            permitted,
                            threshold_num,
                            threshold_den,
                            comparison,
                        })
                        .unwrap();
                        let failures =
                            replay(&m, ExecutorChoice::Inline, &flaky_walks(&m, 40, 30), None);
                        assert!(
                            failures.is_empty(),
                            "{:?}: {:#?}",
                            m.config(),
                            failures.first()
                        );
                        configurations += 1;
                    }
                }
            }
        }
    }
    assert_eq!(configurations, 15 * 5 * 2 * 2);
}

#[test]
fn the_traces_library_replays_clean_inline_and_on_the_pool() {
    let dir = tempfile::tempdir().unwrap();
    let request = TraceRequest {
        constants: Constants::parse(&builtin::BREAKER, &[]).unwrap(),
        count: 40,
        depth: 40,
        seed: 11,
    };
    let written = write_all(&request, dir.path()).unwrap();
    assert!(written.iter().any(|w| w.kind == "witness"), "{written:?}");
    let m = defaults();
    let files: Vec<_> = written.iter().map(|w| w.path.clone()).collect();
    let paths: Vec<Path> = itf_paths(&m, &files, |_| String::new()).unwrap();
    assert_eq!(paths.len(), written.len());
    for executor in [ExecutorChoice::Inline, ExecutorChoice::Pool] {
        let failures = replay(&m, executor, &paths, None);
        assert!(failures.is_empty(), "{executor:?}: {:#?}", failures.first());
    }
}

#[test]
fn the_cli_replays_generated_walks_and_traces() {
    Command::cargo_bin("flashcheck")
        .unwrap()
        .args(["replay", "breaker", "--generate", "200", "--depth", "30"])
        .assert()
        .code(0);
    let dir = tempfile::tempdir().unwrap();
    Command::cargo_bin("flashcheck")
        .unwrap()
        .args(["traces", "breaker", "--count", "5", "--out"])
        .arg(dir.path())
        .assert()
        .success();
    Command::cargo_bin("flashcheck")
        .unwrap()
        .args(["replay", "breaker", "--executor", "pool", "--traces"])
        .arg(dir.path())
        .assert()
        .code(0);
}

#[test]
fn a_concurrent_workload_on_the_correct_breaker_is_linearizable() {
    for m in [defaults(), sliding()] {
        let c = Arc::new(BreakerConformance::new(m).unwrap());
        support::assert_pool_run_linearizable(
            &c,
            Plan::Workload {
                clients: 2_000,
                seed: 5,
            },
            20_000,
            "breaker workload",
        );
    }
}

/// Long scripts for two clients, so both pool workers call the breaker at the same time for
/// long stretches (a workload of many short clients overlaps little on a busy machine):
/// acquires (sometimes two held at once), records (a `Record` with nothing held is
/// `NoPermit`), and ticks.
#[test]
fn two_clients_calling_at_once_are_linearizable() {
    let c = Arc::new(BreakerConformance::new(sliding()).unwrap());
    let mut rng = SplitMix64::new(17);
    let mut script = |client: u64| -> Vec<BreakerCall> {
        let mut ops = Vec::new();
        while ops.len() < 200_000 {
            let coin = rng.next_u64();
            ops.push(BreakerCall::Acquire { client });
            if coin & 3 == 0 {
                ops.push(BreakerCall::Acquire { client });
            }
            for shift in 2..4 {
                ops.push(BreakerCall::Record {
                    client,
                    failed: coin >> shift & 1 == 1,
                });
            }
            if coin >> 4 & 7 == 0 {
                ops.push(BreakerCall::Tick { client });
            }
        }
        ops
    };
    let plan = Plan::Fixed(vec![(1, script(1)), (2, script(2))]);
    support::assert_pool_run_linearizable(&c, plan, 400_000, "breaker, two clients");
}

#[test]
fn random_walks_replayed_on_the_pool_are_linearizable() {
    let m = sliding();
    let failures = replay(&m, ExecutorChoice::Pool, &flaky_walks(&m, 300, 40), None);
    assert!(failures.is_empty(), "{:#?}", failures.first());
}

/// The first operation of a one-client (so sequential) history the spec refuses: its index,
/// the result the spec accepts there instead, and the one it got.
fn first_refusal(
    c: &BreakerConformance,
    history: &[Operation<BreakerCall, BreakerReply>],
) -> Option<(usize, Option<BreakerReply>, BreakerReply)> {
    let spec = c.spec();
    // The state after `op`, or None when the spec refuses it from `state`.
    let apply = |state: &_, op: &Operation<BreakerCall, BreakerReply>| {
        let (steps, _) = split_calls(std::slice::from_ref(op));
        steps.iter().try_fold(Clone::clone(state), |s, step| {
            spec.step(&s, &step.op, &step.ret)
        })
    };
    let mut state = spec.init();
    let mut ordered: Vec<usize> = (0..history.len()).collect();
    ordered.sort_by_key(|&i| history[i].call);
    for i in ordered {
        match apply(&state, &history[i]) {
            Some(next) => state = next,
            None => {
                let expected = [
                    BreakerReply::Admitted,
                    BreakerReply::Rejected,
                    BreakerReply::Recorded,
                    BreakerReply::IgnoredStale,
                    BreakerReply::NoPermit,
                ]
                .into_iter()
                .find(|r| {
                    let mut alt = history[i].clone();
                    alt.ret = r.clone();
                    apply(&state, &alt).is_some()
                });
                return Some((i, expected, history[i].ret.clone()));
            }
        }
    }
    None
}

/// Trip the breaker (four failures), wait `WaitTicks`, then ask for `Permitted + 1` probes.
fn over_asking(m: &Breaker) -> Vec<BreakerCall> {
    let client = CALLER;
    let config = m.config();
    let mut ops = vec![
        BreakerCall::Call {
            client,
            failed: true
        };
        config.window_size as usize
    ];
    ops.extend((0..config.wait_ticks).map(|_| BreakerCall::Tick { client }));
    ops.extend((0..=config.permitted).map(|_| BreakerCall::Acquire { client }));
    ops
}

#[test]
fn mutation_breaker_admits_extra_half_open_call_is_caught_on_the_pool() {
    let m = defaults();
    let c = Arc::new(BreakerConformance::new(m.clone()).unwrap());
    // One client: a deterministic history, so the failing step is known exactly.
    let ops = over_asking(&m);
    let permitted = m.config().permitted as usize;
    let correct = concurrent::run(
        Arc::clone(&c),
        ExecutorChoice::Pool,
        Plan::Fixed(vec![(CALLER, ops.clone())]),
        None,
        &|_, _| {},
    )
    .unwrap();
    assert!(c.check_history(&correct.history).unwrap().is_ok());
    let run = concurrent::run(
        Arc::clone(&c),
        ExecutorChoice::Pool,
        Plan::Fixed(vec![(CALLER, ops.clone())]),
        Some(Mutation::BreakerAdmitsExtraHalfOpenCall),
        &|_, _| {},
    )
    .unwrap();
    let Outcome::NotLinearizable(f) = c.check_history(&run.history).unwrap() else {
        panic!("mutation not caught: {:?}", run.history)
    };
    let stuck = &run.history[f.stuck_at];
    let (index, expected, actual) = first_refusal(&c, &run.history).unwrap();
    println!(
        "BreakerAdmitsExtraHalfOpenCall (pool, scripted): operation {} of {} {:?}: expected {:?}, actual {:?}",
        index + 1,
        ops.len(),
        stuck.op,
        expected,
        actual
    );
    assert_eq!(index, f.stuck_at);
    assert_eq!(stuck.op, BreakerCall::Acquire { client: CALLER });
    // The (Permitted + 1)-th probe of the half-open period: the last operation.
    assert_eq!(
        stuck.call,
        run.history.iter().map(|o| o.call).max().unwrap()
    );
    assert_eq!(
        ops.len(),
        (m.config().window_size + m.config().wait_ticks) as usize + permitted + 1
    );
    assert_eq!(
        (expected, actual),
        (Some(BreakerReply::Rejected), BreakerReply::Admitted)
    );

    // And the synthetic workload, many clients at once, finds it unaided.
    let report = support::assert_pool_workload_catches(c, Mutation::BreakerAdmitsExtraHalfOpenCall);
    assert!(report
        .window
        .iter()
        .any(|o| o["op"]["Acquire"].is_object() && o["ret"] == "Admitted"));
}

// Inline replay now catches over-admission through its negative steps (a call offered
// where the model enables none): `tests/replay_refusals.rs`,
// `an_extra_half_open_call_is_now_caught_inline_by_a_negative_step`.
