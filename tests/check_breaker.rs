//! Every property of `breaker` (tla/Breaker.tla), each with a run that would fail if the
//! property's check were broken: a deliberately broken variant (the tests' one mutant
//! wrapper, `support/mutant.rs`, with one step of the breaker changed) must produce the counterexample asserted here.

use flashcheck::check::{self, CheckOptions};
use flashcheck::registry::{builtin, Constants, Port};
use flashcheck::report::{CheckReport, PropertyReport};
use flashcheck::verdict::Verdict;
use flashcheck_models::breaker::{
    Backend, Breaker, BreakerAction, BreakerConfig, BreakerState, Comparison, Mode,
};

#[path = "support/mutant.rs"]
mod mutant;
use mutant::{Flaw, Mutant};

fn check_named(constants: &[&str]) -> CheckReport {
    let constants = Constants::parse(
        &builtin::BREAKER,
        &constants.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
    )
    .unwrap();
    Port::build(&constants)
        .unwrap()
        .check("breaker", "test".into(), &CheckOptions::default())
}

fn property<'r>(report: &'r CheckReport, name: &str) -> &'r PropertyReport {
    report
        .property(name)
        .unwrap_or_else(|| panic!("no property {name}"))
}

fn config() -> BreakerConfig {
    BreakerConfig {
        minimum_calls: 4,
        window_size: 4,
        wait_ticks: 3,
        permitted: 2,
        threshold_num: 1,
        threshold_den: 2,
        comparison: Comparison::Greater,
    }
}

/// One deliberate bug each.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Bug {
    /// HalfOpen admits Permitted + 1 probes (resilience4j #1090/#1432's symptom).
    ExtraProbe,
    /// Open lets a call through.
    OpenLeak,
    /// Closed trips on the rate alone, ignoring MinimumCalls.
    EagerTrip,
    /// HalfOpen never closes: all probes succeeded starts another probe round.
    StickyHalfOpen,
    /// A healthy backend's successes are recorded as failures: the breaker keeps closing and
    /// tripping again (it reaches Closed, but never stays there).
    Flapping,
}

impl Flaw<Breaker> for Bug {
    fn next_state(
        &self,
        inner: &Breaker,
        s: &BreakerState,
        a: BreakerAction,
    ) -> Option<BreakerState> {
        let c = inner.config();
        match (*self, a) {
            (Bug::ExtraProbe, BreakerAction::Probe)
                if s.mode == Mode::HalfOpen && u64::from(s.admitted) <= c.permitted =>
            {
                Some(BreakerState {
                    admitted: s.admitted + 1,
                    ..*s
                })
            }
            (Bug::OpenLeak, BreakerAction::Succeed) if s.mode == Mode::Open => Some(BreakerState {
                open_admitted: true,
                ..*s
            }),
            (Bug::EagerTrip, BreakerAction::Fail)
                if s.mode == Mode::Closed && s.backend.may_fail() =>
            {
                let window = s.window.record(true, c.window_size);
                Some(BreakerState {
                    mode: if c.rate_crosses(window) {
                        Mode::Open
                    } else {
                        Mode::Closed
                    },
                    countdown: if c.rate_crosses(window) {
                        c.wait_ticks as u8
                    } else {
                        0
                    },
                    window,
                    ..*s
                })
            }
            (Bug::StickyHalfOpen, BreakerAction::ProbeSucceed)
                if s.mode == Mode::HalfOpen
                    && s.admitted > s.succeeded
                    && s.backend.may_succeed()
                    && u64::from(s.succeeded) + 1 == c.permitted =>
            {
                Some(BreakerState {
                    admitted: 0,
                    succeeded: 0,
                    ..*s
                })
            }
            (Bug::Flapping, BreakerAction::Succeed) if s.backend == Backend::Healthy => inner
                .step(
                    &BreakerState {
                        backend: Backend::Failing,
                        ..*s
                    },
                    BreakerAction::Fail,
                )
                .map(|t| BreakerState {
                    backend: Backend::Healthy,
                    ..t
                }),
            _ => inner.step(s, a),
        }
    }
    fn actions(&self, inner: &Breaker, s: &BreakerState, actions: &mut Vec<BreakerAction>) {
        actions.extend(
            BreakerAction::ALL
                .into_iter()
                .filter(|&a| self.next_state(inner, s, a).is_some_and(|t| t != *s)),
        );
    }
}

fn run(bug: Bug) -> CheckReport {
    check::check(
        Mutant::new(Breaker::new(config()).unwrap(), bug),
        "broken-breaker",
        "test".into(),
        &CheckOptions::default(),
    )
}

fn only_violation(report: &CheckReport) -> &PropertyReport {
    let violated: Vec<&PropertyReport> = report
        .properties
        .iter()
        .filter(|p| p.verdict == Verdict::Violated)
        .collect();
    assert_eq!(violated.len(), 1, "{:#?}", report.properties);
    violated[0]
}

#[test]
fn every_property_holds_at_the_default_constants() {
    let report = check_named(&[]);
    assert_eq!(report.distinct_states, 198);
    for p in &report.properties {
        assert_eq!(p.verdict, Verdict::Holds, "{}", p.name);
        assert!(p.note.is_none(), "{}: {:?}", p.name, p.note);
    }
    assert_eq!(report.properties.len(), 7);
}

#[test]
fn an_extra_half_open_probe_is_caught() {
    let report = run(Bug::ExtraProbe);
    let p = property(&report, "halfopen_admits_at_most_permitted");
    assert_eq!(p.verdict, Verdict::Violated);
    // Three failures and a fourth call trip the breaker (3/4 > 1/2 once 4 calls are in),
    // three ticks turn it HalfOpen, the third probe is one too many.
    assert_eq!(
        p.actions(),
        [
            "Init", "Succeed", "Fail", "Fail", "Fail", "Tick", "Tick", "Tick", "Probe", "Probe",
            "Probe"
        ]
    );
    let last = &p.counterexample.as_ref().unwrap().last().unwrap().state;
    assert_eq!(last["admitted"], 3);
}

#[test]
fn a_call_through_an_open_breaker_is_caught() {
    let report = run(Bug::OpenLeak);
    let p = only_violation(&report);
    assert_eq!(p.name, "no_call_while_open");
    assert_eq!(
        p.actions(),
        ["Init", "Succeed", "Fail", "Fail", "Fail", "Succeed"]
    );
}

#[test]
fn a_trip_below_the_minimum_is_caught() {
    let report = run(Bug::EagerTrip);
    let p = only_violation(&report);
    assert_eq!(p.name, "no_trip_below_minimum");
    assert_eq!(p.actions(), ["Init", "Fail"]);
}

#[test]
fn a_breaker_that_never_closes_does_not_recover() {
    let report = run(Bug::StickyHalfOpen);
    let p = only_violation(&report);
    assert_eq!(p.name, "recovers");
    let steps = p.counterexample.as_ref().unwrap();
    let start = p.cycle_start.expect("a lasso");
    // On the cycle the backend is healthy and the breaker never Closed.
    for step in &steps[start..] {
        assert_eq!(step.state["backend"], "healthy");
    }
    assert!(steps[start..].iter().any(|s| s.state["state"] != "closed"));
}

#[test]
fn reaching_closed_is_not_staying_closed() {
    // `healthy ~> closed` holds here (the breaker keeps coming back to Closed), but
    // `healthy ~> [](closed)` does not: a check of the weaker property would pass this.
    let report = run(Bug::Flapping);
    let p = only_violation(&report);
    assert_eq!(p.name, "recovers");
    let steps = p.counterexample.as_ref().unwrap();
    let start = p.cycle_start.expect("a lasso");
    let cycle: Vec<&str> = steps[start..]
        .iter()
        .map(|s| s.state["state"].as_str().unwrap())
        .collect();
    assert!(cycle.contains(&"closed"), "{cycle:?}");
    assert!(cycle.contains(&"open"), "{cycle:?}");
}

#[test]
fn a_threshold_that_cannot_be_crossed_never_opens() {
    // θ = 1 compared with ">": no failure rate exceeds it, so an all-failing backend never
    // opens the breaker, and HalfOpen is unreachable.
    let report = check_named(&["ThresholdNum=2", "ThresholdDen=2"]);
    let p = property(&report, "opens_under_failure");
    assert_eq!(p.verdict, Verdict::Violated);
    let steps = p.counterexample.as_ref().unwrap();
    let start = p.cycle_start.unwrap();
    assert!(steps[start..]
        .iter()
        .all(|s| s.state["backend"] == "failing" && s.state["state"] == "closed"));
    assert_eq!(
        property(&report, "halfopen_reachable").verdict,
        Verdict::Violated
    );
    // resilience4j's ">=" opens at a 100% failure rate.
    let report = check_named(&[
        "ThresholdNum=2",
        "ThresholdDen=2",
        "Comparison=greater_or_equal",
    ]);
    assert_eq!(
        property(&report, "opens_under_failure").verdict,
        Verdict::Holds
    );
}

#[test]
fn the_tie_at_the_threshold_depends_on_the_comparison() {
    // 2 failures in 4 calls: a rate of exactly 1/2. Only ">=" trips on it, so with ">=" the
    // shortest path to HalfOpen needs one failure less.
    let gt = check_named(&[]);
    let ge = check_named(&["Comparison=greater_or_equal"]);
    assert!(gt.distinct_states < ge.distinct_states);
    let fails = |r: &CheckReport| {
        property(r, "halfopen_reachable")
            .actions()
            .iter()
            .filter(|a| **a == "Fail")
            .count()
    };
    assert_eq!(fails(&gt), 3);
    assert_eq!(fails(&ge), 2);
}

#[test]
fn default_constants_follow_breaker_toml() {
    let file = flashcheck::specs::load_breaker_file(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("specs/breaker.toml"),
    )
    .unwrap();
    let settings = file.circuit_breaker;
    let defaults: std::collections::BTreeMap<_, _> =
        builtin::BREAKER.defaults.iter().copied().collect();
    let num: u64 = defaults["ThresholdNum"].parse().unwrap();
    let den: u64 = defaults["ThresholdDen"].parse().unwrap();
    assert_eq!(
        num * 1_000_000 / den,
        u64::from(settings.failure_rate_threshold_ppm)
    );
    let comparison = match settings.threshold_comparison {
        flashcheck::specs::ThresholdComparison::Greater => "greater",
        flashcheck::specs::ThresholdComparison::GreaterOrEqual => "greater_or_equal",
    };
    assert_eq!(defaults["Comparison"], comparison);
}

#[test]
fn bad_constants_are_refused() {
    for bad in [
        "MinimumCalls=5",
        "WindowSize=0",
        "WaitTicks=0",
        "Permitted=0",
        "ThresholdDen=0",
        "ThresholdNum=3",
        "Comparison=gt",
        "WindowSize=-1",
    ] {
        let constants = Constants::parse(&builtin::BREAKER, &[bad.to_string()]).unwrap();
        assert!(Port::build(&constants).is_err(), "{bad}");
    }
}

fn check_seed(constants: &[&str]) -> CheckReport {
    let constants = Constants::parse(
        &builtin::BREAKER_SEED,
        &constants.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
    )
    .unwrap();
    Port::build(&constants)
        .unwrap()
        .check("breaker-seed", "test".into(), &CheckOptions::default())
}

#[test]
fn the_seed_formula_trips_on_a_single_failure() {
    let report = check_seed(&[]);
    let p = property(&report, "no_trip_below_minimum");
    assert_eq!(p.verdict, Verdict::Violated);
    assert_eq!(p.actions(), ["Init", "Fail"]);
    let last = &p.counterexample.as_ref().unwrap().last().unwrap().state;
    assert_eq!(last["state"], "open");
    assert_eq!(last["window"], serde_json::json!([true]));
}

#[test]
fn the_seed_formula_stays_open_forever_once_both_conditions_hold() {
    // After Δt both "ErrorRate > θ" and "TimeSinceOpen > Δt" hold; the first case wins, and
    // an Open breaker records nothing, so the rate never falls: HalfOpen is dead.
    let report = check_seed(&[]);
    let p = property(&report, "recovers");
    assert_eq!(p.verdict, Verdict::Violated);
    assert_eq!(
        p.actions(),
        [
            "Init",
            "Fail",
            "Tick",
            "Tick",
            "Tick",
            "Tick",
            "Heal",
            "(stuttering)"
        ]
    );
    let steps = p.counterexample.as_ref().unwrap();
    // The cycle is the state after Heal stuttering for ever.
    assert_eq!(p.cycle_start, Some(6));
    assert_eq!(steps.len(), 8);
    let last = &steps[6].state;
    assert_eq!(last["state"], "open");
    assert_eq!(last["sinceOpen"], 4, "TimeSinceOpen > Δt = 3");
    assert_eq!(
        property(&report, "halfopen_reachable").verdict,
        Verdict::Violated
    );
    // Nothing can happen any more: the stuck breaker is a deadlock.
    let d = property(&report, "deadlock_free");
    assert_eq!(d.verdict, Verdict::Violated);
    assert_eq!(
        d.counterexample.as_ref().unwrap().last().unwrap().state["state"],
        "open"
    );
    // It still opens under failure, and admits nothing while Open.
    for holds in [
        "opens_under_failure",
        "no_call_while_open",
        "halfopen_admits_at_most_permitted",
    ] {
        assert_eq!(property(&report, holds).verdict, Verdict::Holds, "{holds}");
    }
}

#[test]
fn the_seed_flaws_do_not_depend_on_the_comparison() {
    let report = check_seed(&["Comparison=greater_or_equal"]);
    for violated in ["no_trip_below_minimum", "recovers", "halfopen_reachable"] {
        assert_eq!(
            property(&report, violated).verdict,
            Verdict::Violated,
            "{violated}"
        );
    }
    // An empty window has rate 0: the breaker does not start Open under ">=".
    assert_eq!(
        property(&report, "no_trip_below_minimum").actions(),
        ["Init", "Fail"]
    );
}
