//! The circuit breaker: thresholds in both comparison modes, open/half-open cycle, permits,
//! and the extra-half-open-call mutation.

use flashcheck::reference::breaker::{
    BreakerError, BreakerOp, BreakerRet, BreakerStateName, CircuitBreaker, Permit,
};
use flashcheck::reference::Mutation;
use flashcheck::specs::{BreakerSettings, ThresholdComparison};
use proptest::prelude::*;

fn acquire(breaker: &CircuitBreaker, now_ms: u64) -> Option<Permit> {
    match breaker.invoke(BreakerOp::TryAcquire { now_ms }).unwrap() {
        BreakerRet::Admitted(permit) => Some(permit),
        BreakerRet::Rejected => None,
        other => panic!("unexpected {other:?}"),
    }
}

fn call(breaker: &CircuitBreaker, now_ms: u64, fail: bool) -> Option<BreakerRet> {
    let permit = acquire(breaker, now_ms)?;
    let op = if fail {
        BreakerOp::RecordFailure { now_ms, permit }
    } else {
        BreakerOp::RecordSuccess { now_ms, permit }
    };
    Some(breaker.invoke(op).unwrap())
}

/// 100 calls of which `failures` fail (failures first).
fn fill(breaker: &CircuitBreaker, failures: usize) {
    for index in 0..100 {
        call(breaker, 0, index < failures).expect("closed admits");
    }
}

fn settings(comparison: ThresholdComparison) -> BreakerSettings {
    BreakerSettings {
        threshold_comparison: comparison,
        ..BreakerSettings::seed()
    }
}

#[test]
fn exactly_half_failing_opens_only_with_greater_or_equal() {
    let strict = CircuitBreaker::new(settings(ThresholdComparison::Greater));
    fill(&strict, 50);
    assert_eq!(strict.observe().state, BreakerStateName::Closed);
    let inclusive = CircuitBreaker::new(settings(ThresholdComparison::GreaterOrEqual));
    fill(&inclusive, 50);
    assert_eq!(inclusive.observe().state, BreakerStateName::Open);
    let strict = CircuitBreaker::new(settings(ThresholdComparison::Greater));
    fill(&strict, 51);
    assert_eq!(strict.observe().state, BreakerStateName::Open);
}

#[test]
fn no_decision_below_the_minimum_number_of_calls() {
    let breaker = CircuitBreaker::new(BreakerSettings::seed());
    for _ in 0..99 {
        call(&breaker, 0, true);
    }
    assert_eq!(breaker.observe().state, BreakerStateName::Closed);
    call(&breaker, 0, true);
    assert_eq!(breaker.observe().state, BreakerStateName::Open);
}

#[test]
fn the_window_slides() {
    let breaker = CircuitBreaker::new(BreakerSettings::seed());
    fill(&breaker, 50);
    // The 50 failures were first: each new success pushes one failure out.
    for _ in 0..10 {
        call(&breaker, 1, false);
    }
    let snapshot = breaker.observe();
    assert_eq!(snapshot.window_failures.len(), 100);
    assert_eq!(snapshot.window_failures.iter().filter(|f| **f).count(), 40);
}

#[test]
fn open_half_open_closed_cycle() {
    let breaker = CircuitBreaker::new(BreakerSettings::seed());
    fill(&breaker, 100);
    assert_eq!(
        acquire(&breaker, 9_999),
        None,
        "open rejects before the wait"
    );
    let permits: Vec<_> = (0..10)
        .map(|_| acquire(&breaker, 10_000).expect("half-open admits ten"))
        .collect();
    assert_eq!(
        acquire(&breaker, 10_000),
        None,
        "the eleventh probe is rejected"
    );
    assert_eq!(breaker.observe().state, BreakerStateName::HalfOpen);
    for permit in permits {
        breaker
            .invoke(BreakerOp::RecordSuccess {
                now_ms: 10_001,
                permit,
            })
            .unwrap();
    }
    let snapshot = breaker.observe();
    assert_eq!(snapshot.state, BreakerStateName::Closed);
    assert!(
        snapshot.window_failures.is_empty(),
        "closing starts a fresh window"
    );
}

#[test]
fn a_failed_probe_reopens_and_late_outcomes_are_ignored() {
    let breaker = CircuitBreaker::new(BreakerSettings::seed());
    let early = acquire(&breaker, 0).unwrap();
    fill(&breaker, 100);
    assert_eq!(
        breaker.invoke(BreakerOp::RecordFailure {
            now_ms: 1,
            permit: early
        }),
        Ok(BreakerRet::IgnoredStale)
    );
    let first = acquire(&breaker, 20_000).unwrap();
    let second = acquire(&breaker, 20_000).unwrap();
    breaker
        .invoke(BreakerOp::RecordFailure {
            now_ms: 20_001,
            permit: first,
        })
        .unwrap();
    let snapshot = breaker.observe();
    assert_eq!(
        (snapshot.state, snapshot.opened_at_ms),
        (BreakerStateName::Open, Some(20_001))
    );
    assert_eq!(
        breaker.invoke(BreakerOp::RecordSuccess {
            now_ms: 20_002,
            permit: second
        }),
        Ok(BreakerRet::IgnoredStale)
    );
    assert_eq!(acquire(&breaker, 30_000), None);
    assert!(acquire(&breaker, 30_001).is_some());
}

#[test]
fn misuse_is_a_typed_error() {
    let breaker = CircuitBreaker::new(BreakerSettings::seed());
    let permit = acquire(&breaker, 5).unwrap();
    breaker
        .invoke(BreakerOp::RecordSuccess { now_ms: 5, permit })
        .unwrap();
    assert_eq!(
        breaker.invoke(BreakerOp::RecordSuccess { now_ms: 5, permit }),
        Err(BreakerError::UnknownPermit { permit })
    );
    assert_eq!(
        breaker.invoke(BreakerOp::TryAcquire { now_ms: 4 }),
        Err(BreakerError::TimeWentBackwards {
            now_ms: 4,
            last_ms: 5
        })
    );
}

/// A permit nobody was issued is refused, even when its generation is an earlier one: only
/// permits really handed out (ids below the next one to issue) may come back late and be
/// ignored as stale. Forged here with the very id the breaker would issue next.
#[test]
fn a_forged_permit_of_an_earlier_generation_is_refused_not_ignored() {
    let breaker = CircuitBreaker::new(BreakerSettings::seed());
    let first = acquire(&breaker, 0).unwrap();
    fill(&breaker, 100);
    assert_eq!(breaker.observe().state, BreakerStateName::Open);
    // `fill` took 100 permits after `first`: the next one to issue is `first.id + 101`.
    let forged = Permit {
        generation: first.generation,
        id: first.id + 101,
    };
    assert_eq!(
        breaker.invoke(BreakerOp::RecordFailure {
            now_ms: 1,
            permit: forged
        }),
        Err(BreakerError::UnknownPermit { permit: forged })
    );
    let issued = Permit {
        id: first.id + 100,
        ..forged
    };
    assert_eq!(
        breaker.invoke(BreakerOp::RecordFailure {
            now_ms: 1,
            permit: issued
        }),
        Ok(BreakerRet::IgnoredStale),
        "the last permit really issued is stale, not unknown"
    );
}

#[test]
fn snapshot_after_opening() {
    let small = BreakerSettings {
        minimum_calls: 2,
        sliding_window_size: 3,
        permitted_calls_in_half_open: 1,
        ..BreakerSettings::seed()
    };
    let breaker = CircuitBreaker::new(small);
    call(&breaker, 1, false);
    call(&breaker, 2, true);
    insta::assert_json_snapshot!(breaker.observe(), @r###"
    {
      "state": "Closed",
      "generation": 0,
      "window_failures": [
        false,
        true
      ],
      "opened_at_ms": null,
      "half_open_admitted": 0,
      "half_open_succeeded": 0,
      "outstanding_permits": 0
    }
    "###);
    call(&breaker, 3, true);
    insta::assert_json_snapshot!(breaker.observe(), @r###"
    {
      "state": "Open",
      "generation": 1,
      "window_failures": [],
      "opened_at_ms": 3,
      "half_open_admitted": 0,
      "half_open_succeeded": 0,
      "outstanding_permits": 0
    }
    "###);
}

#[test]
fn mutation_admits_an_eleventh_half_open_call() {
    let breaker = CircuitBreaker::with_mutation(
        BreakerSettings::seed(),
        Some(Mutation::BreakerAdmitsExtraHalfOpenCall),
    );
    fill(&breaker, 100);
    let admitted = (0..20).filter_map(|_| acquire(&breaker, 10_000)).count();
    assert_eq!(admitted, 11);
    assert_eq!(breaker.observe().half_open_admitted, 11);
}

proptest! {
    #[test]
    fn half_open_never_exceeds_its_permits(steps in prop::collection::vec((0u64..3_000, any::<bool>(), any::<bool>()), 1..300)) {
        let small = BreakerSettings { minimum_calls: 4, sliding_window_size: 6, wait_in_open_ms: 1_000, permitted_calls_in_half_open: 3, ..BreakerSettings::seed() };
        let breaker = CircuitBreaker::new(small);
        let mut now = 0;
        let mut held: Vec<Permit> = Vec::new();
        for (advance, fail, settle) in steps {
            now += advance;
            if settle && !held.is_empty() {
                let permit = held.remove(0);
                let op = if fail { BreakerOp::RecordFailure { now_ms: now, permit } } else { BreakerOp::RecordSuccess { now_ms: now, permit } };
                let ret = breaker.invoke(op).unwrap();
                prop_assert!(matches!(ret, BreakerRet::Recorded | BreakerRet::IgnoredStale));
            } else if let BreakerRet::Admitted(permit) = breaker.invoke(BreakerOp::TryAcquire { now_ms: now }).unwrap() {
                held.push(permit);
            }
            let snapshot = breaker.observe();
            prop_assert!(snapshot.half_open_admitted <= 3);
            prop_assert!(snapshot.window_failures.len() <= 6);
        }
    }
}
