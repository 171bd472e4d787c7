//! Every property of `token-bucket` (tla/TokenBucket.tla), each with a run that would fail if
//! the property's check were broken: a deliberately broken bucket (the tests' one mutant
//! wrapper, `support/mutant.rs`, with one step changed) must produce the counterexample asserted here.

use flashcheck::check::{self, CheckOptions};
use flashcheck::registry::{builtin, Constants, Port};
use flashcheck::report::{CheckReport, PropertyReport};
use flashcheck::verdict::Verdict;
use flashcheck_models::token_bucket::{BucketAction, BucketConfig, BucketState, TokenBucket};

#[path = "support/mutant.rs"]
mod mutant;
use mutant::{Flaw, Mutant};

fn check_named(constants: &[&str]) -> CheckReport {
    let constants = Constants::parse(
        &builtin::TOKEN_BUCKET,
        &constants.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
    )
    .unwrap();
    Port::build(&constants)
        .unwrap()
        .check("token-bucket", "test".into(), &CheckOptions::default())
}

fn property<'r>(report: &'r CheckReport, name: &str) -> &'r PropertyReport {
    report
        .property(name)
        .unwrap_or_else(|| panic!("no property {name}"))
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

/// One deliberate bug each.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Bug {
    /// Tick forgets the `min(capacity, …)`.
    RefillPastCapacity,
    /// An acquire of the last token does not take it (a lost update).
    LastTokenKept,
    /// Refill happens only while clients call (a lazy refill whose state is never
    /// observed refilled when no one asks).
    RefillOnlyOnDemand,
}

impl Flaw<TokenBucket> for Bug {
    fn next_state(
        &self,
        inner: &TokenBucket,
        s: &BucketState,
        a: BucketAction,
    ) -> Option<BucketState> {
        let c = inner.config();
        match (*self, a) {
            (Bug::RefillPastCapacity, BucketAction::Tick) => Some(BucketState {
                tokens: s.tokens + c.rate as u8,
                recent: inner.shift(s),
                ..*s
            })
            .filter(|t| u64::from(t.tokens) <= c.capacity + 1),
            (Bug::LastTokenKept, BucketAction::Acquire) if s.demand && s.tokens == 1 => {
                Some(BucketState {
                    recent: inner.count_acquire(s),
                    ..*s
                })
                .filter(|t| inner.acquired(t) <= inner.bound() + 1)
            }
            (Bug::RefillOnlyOnDemand, BucketAction::Tick) if !s.demand => Some(BucketState {
                recent: inner.shift(s),
                ..*s
            }),
            _ => inner.step(s, a),
        }
    }
    fn actions(&self, inner: &TokenBucket, s: &BucketState, actions: &mut Vec<BucketAction>) {
        actions.extend(
            BucketAction::ALL
                .into_iter()
                .filter(|&a| self.next_state(inner, s, a).is_some_and(|t| t != *s)),
        );
    }
}

fn run(bug: Bug) -> CheckReport {
    let inner = TokenBucket::new(BucketConfig {
        capacity: 3,
        rate: 1,
        rate_window: 3,
    })
    .unwrap();
    check::check(
        Mutant::new(inner, bug),
        "broken-bucket",
        "test".into(),
        &CheckOptions::default(),
    )
}

#[test]
fn every_property_holds_at_the_default_constants() {
    let report = check_named(&[]);
    assert_eq!(report.distinct_states, 322);
    for p in &report.properties {
        assert_eq!(p.verdict, Verdict::Holds, "{}", p.name);
        assert!(p.note.is_none(), "{}: {:?}", p.name, p.note);
    }
    assert_eq!(report.properties.len(), 5);
}

#[test]
fn the_rate_bound_is_reached_by_a_full_burst_then_one_token_per_tick() {
    let report = check_named(&[]);
    let p = property(&report, "burst_reachable");
    assert_eq!(
        p.actions(),
        [
            "Init", "Acquire", "Acquire", "Acquire", "Tick", "Acquire", "Tick", "Acquire", "Tick",
            "Acquire"
        ]
    );
    let last = &p.counterexample.as_ref().unwrap().last().unwrap().state;
    assert_eq!(last["recent"], serde_json::json!([1, 1, 1, 3]));
}

#[test]
fn a_refill_past_capacity_is_caught() {
    let report = run(Bug::RefillPastCapacity);
    let p = property(&report, "tokens_in_range");
    assert_eq!(p.verdict, Verdict::Violated);
    assert_eq!(p.actions(), ["Init", "Tick"]);
    let last = &p.counterexample.as_ref().unwrap().last().unwrap().state;
    assert_eq!(last["tokens"], 4);
    // The extra token is also one acquisition too many over the window.
    assert_eq!(property(&report, "rate_bounded").verdict, Verdict::Violated);
}

#[test]
fn a_lost_update_on_the_last_token_breaks_the_rate_bound() {
    let report = run(Bug::LastTokenKept);
    let p = only_violation(&report);
    assert_eq!(p.name, "rate_bounded");
    // Capacity + RateWindow * Rate = 6; the seventh acquire needs no tick at all.
    assert_eq!(
        p.actions(),
        ["Init"]
            .into_iter()
            .chain(["Acquire"; 7])
            .collect::<Vec<_>>()
    );
}

#[test]
fn a_bucket_that_refills_only_on_demand_never_refills_when_idle() {
    let report = run(Bug::RefillOnlyOnDemand);
    let p = only_violation(&report);
    assert_eq!(p.name, "refills");
    let steps = p.counterexample.as_ref().unwrap();
    let start = p.cycle_start.expect("a lasso");
    for step in &steps[start..] {
        assert_eq!(step.state["demand"], false);
        assert_ne!(step.state["tokens"], 3);
    }
}

#[test]
fn bad_constants_are_refused() {
    for bad in [
        "Capacity=0",
        "Rate=0",
        "RateWindow=0",
        "RateWindow=16",
        "Capacity=x",
    ] {
        let constants = Constants::parse(&builtin::TOKEN_BUCKET, &[bad.to_string()]).unwrap();
        assert!(Port::build(&constants).is_err(), "{bad}");
    }
    assert!(Constants::parse(&builtin::TOKEN_BUCKET, &["Tokens=3".to_string()]).is_err());
}
