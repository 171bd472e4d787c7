//! Liveness under weak fairness on small cyclic models whose answers are known by hand
//! (issue 2: "test it on a small cyclic model where the answer is known").

use flashcheck::check::{self, CheckOptions};
use flashcheck::outcome::Outcome;
use flashcheck::report::CheckReport;
use flashcheck::verdict::Verdict;
use flashcheck_models::{Liveness, Spec};
use serde::Serialize;
use stateright::{Model, Property};

/// Two processes. `spinner` (group 0) moves a <-> b forever. `finisher` (group 1, or unfair)
/// moves to `done`; it is enabled in `a` always, and in `b` only when `finish_in_b`.
#[derive(Clone, Debug)]
struct Spin {
    finisher_fair: bool,
    finish_in_b: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
enum Loc {
    A,
    B,
    Done,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Act {
    Spin,
    Finish,
}

impl Model for Spin {
    type State = Loc;
    type Action = Act;
    fn init_states(&self) -> Vec<Loc> {
        vec![Loc::A]
    }
    fn actions(&self, s: &Loc, actions: &mut Vec<Act>) {
        match s {
            Loc::A => actions.extend([Act::Spin, Act::Finish]),
            Loc::B if self.finish_in_b => actions.extend([Act::Spin, Act::Finish]),
            Loc::B => actions.push(Act::Spin),
            Loc::Done => {}
        }
    }
    fn next_state(&self, s: &Loc, a: Act) -> Option<Loc> {
        Some(match (s, a) {
            (Loc::A, Act::Spin) => Loc::B,
            (Loc::B, Act::Spin) => Loc::A,
            (_, Act::Finish) => Loc::Done,
            (Loc::Done, Act::Spin) => return None,
        })
    }
    fn properties(&self) -> Vec<Property<Self>> {
        // stateright's own `eventually`: unsound on this cyclic graph (no fairness, and a
        // revisited state is never reported).
        vec![Property::eventually(
            "stateright_eventually_done",
            |_, s| *s == Loc::Done,
        )]
    }
}

impl Spec for Spin {
    type View = Loc;
    fn view(&self, s: &Loc) -> Loc {
        *s
    }
    fn action_name(&self, a: &Act) -> String {
        format!("{a:?}")
    }
    fn fairness_group(&self, a: &Act) -> Option<usize> {
        match a {
            Act::Spin => Some(0),
            Act::Finish => self.finisher_fair.then_some(1),
        }
    }
    fn is_terminal(&self, s: &Loc) -> bool {
        *s == Loc::Done
    }
    fn liveness(&self) -> Vec<Liveness<Self>> {
        vec![
            Liveness {
                name: "eventually_done",
                description: "<>(loc = done)",
                instances: 1,
                trigger: None,
                goal: |_, s, _| *s == Loc::Done,
            },
            Liveness {
                name: "b_leads_to_done",
                description: "loc = b ~> loc = done",
                instances: 1,
                trigger: Some(|_, s, _| *s == Loc::B),
                goal: |_, s, _| *s == Loc::Done,
            },
        ]
    }
    fn describe(&self, _: &str) -> &'static str {
        ""
    }
    fn constants(&self) -> Vec<(&'static str, String)> {
        vec![]
    }
}

fn run(model: Spin) -> CheckReport {
    check::check(model, "spin", "test".into(), &CheckOptions::default())
}

fn property<'r>(report: &'r CheckReport, name: &str) -> &'r flashcheck::report::PropertyReport {
    report
        .property(name)
        .unwrap_or_else(|| panic!("no property {name}"))
}

#[test]
fn weak_fairness_forces_a_continuously_enabled_action() {
    let report = run(Spin {
        finisher_fair: true,
        finish_in_b: true,
    });
    assert_eq!(report.distinct_states, 3);
    assert_eq!(property(&report, "eventually_done").verdict, Verdict::Holds);
    assert_eq!(property(&report, "b_leads_to_done").verdict, Verdict::Holds);
}

#[test]
fn an_unfair_action_may_be_ignored_forever() {
    let report = run(Spin {
        finisher_fair: false,
        finish_in_b: true,
    });
    let p = property(&report, "eventually_done");
    assert_eq!(p.verdict, Verdict::Violated);
    // Lasso: Init(a), Spin -> b, and Spin back to a: the cycle starts at step 0.
    let steps = p.counterexample.as_ref().unwrap();
    let actions: Vec<&str> = steps.iter().map(|s| s.action.as_str()).collect();
    assert_eq!(actions, ["Init", "Spin", "Spin"]);
    assert_eq!(p.cycle_start, Some(0));
    assert_eq!(steps.last().unwrap().state, steps[0].state);
}

#[test]
fn weak_fairness_does_not_force_an_intermittently_enabled_action() {
    // finish is disabled in b, so it is never *continuously* enabled on the a<->b cycle:
    // weak fairness allows spinning forever (strong fairness would not).
    let report = run(Spin {
        finisher_fair: true,
        finish_in_b: false,
    });
    let p = property(&report, "eventually_done");
    assert_eq!(p.verdict, Verdict::Violated);
    assert_eq!(p.cycle_start, Some(0));
    let p = property(&report, "b_leads_to_done");
    assert_eq!(p.verdict, Verdict::Violated);
    // The leads-to counterexample passes through b.
    let steps = p.counterexample.as_ref().unwrap();
    assert!(steps.iter().any(|s| s.state["state"] == "B"));
}

#[test]
fn stateright_eventually_misses_the_cycle_that_flashcheck_finds() {
    use stateright::Checker;
    let model = Spin {
        finisher_fair: false,
        finish_in_b: true,
    };
    let checker = model.clone().checker().spawn_bfs().join();
    // stateright reports no counterexample to <>done although a -> b -> a -> ... never ends.
    assert!(checker.discovery("stateright_eventually_done").is_none());
    let report = run(model);
    assert_eq!(
        property(&report, "eventually_done").verdict,
        Verdict::Violated
    );
}

/// A deadlock that is not termination stutters forever (as in TLC): <>goal fails there.
#[derive(Clone, Debug)]
struct Stuck;

impl Model for Stuck {
    type State = u8;
    type Action = u8;
    fn init_states(&self) -> Vec<u8> {
        vec![0]
    }
    fn actions(&self, s: &u8, actions: &mut Vec<u8>) {
        if *s == 0 {
            actions.extend([1, 2]);
        }
    }
    fn next_state(&self, _: &u8, a: u8) -> Option<u8> {
        Some(a)
    }
}

impl Spec for Stuck {
    type View = u8;
    fn view(&self, s: &u8) -> u8 {
        *s
    }
    fn action_name(&self, a: &u8) -> String {
        format!("Go({a})")
    }
    fn fairness_group(&self, _: &u8) -> Option<usize> {
        Some(0)
    }
    fn is_terminal(&self, s: &u8) -> bool {
        *s == 2
    }
    fn liveness(&self) -> Vec<Liveness<Self>> {
        vec![Liveness {
            name: "reaches_two",
            description: "<>(s = 2)",
            instances: 1,
            trigger: None,
            goal: |_, s, _| *s == 2,
        }]
    }
    fn describe(&self, _: &str) -> &'static str {
        ""
    }
    fn constants(&self) -> Vec<(&'static str, String)> {
        vec![]
    }
}

#[test]
fn a_deadlocked_state_stutters_forever() {
    let report = check::check(Stuck, "stuck", "test".into(), &CheckOptions::default());
    let p = property(&report, "reaches_two");
    assert_eq!(p.verdict, Verdict::Violated);
    let steps = p.counterexample.as_ref().unwrap();
    let actions: Vec<&str> = steps.iter().map(|s| s.action.as_str()).collect();
    assert_eq!(actions, ["Init", "Go(1)", "(stuttering)"]);
    assert_eq!(p.cycle_start, Some(1));
}

#[test]
fn an_incomplete_graph_never_claims_holds() {
    let mut options = CheckOptions::default();
    options.limits.max_states = Some(1);
    let report = check::check(
        Spin {
            finisher_fair: true,
            finish_in_b: true,
        },
        "spin",
        "test".into(),
        &options,
    );
    assert!(!report.complete);
    assert_eq!(
        property(&report, "eventually_done").verdict,
        Verdict::Unknown
    );
    assert_eq!(report.outcome(), Outcome::Undecided);
}
