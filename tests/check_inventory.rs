//! Every property of `inventory` and `inventory-seed` (seed section 3.2, tla/Inventory.tla,
//! tla/Double11Seed.tla), each with a run that would fail if the property's check were broken:
//! a deliberately broken variant must produce the counterexample asserted here.

use flashcheck::check::{self, CheckOptions};
use flashcheck::outcome::Outcome;
use flashcheck::registry::{builtin, Constants, Entry, Port};
use flashcheck::report::{CheckReport, PropertyReport};
use flashcheck::verdict::Verdict;
use flashcheck_models::inventory::{Deduction, Inventory, InventoryAction};
use flashcheck_models::inventory_seed::{Double11Seed, SeedAction, SeedState};
use stateright::Model;

#[path = "support/mutant.rs"]
mod mutant;
use mutant::{Flaw, Mutant};

fn check_named(model: &'static Entry, constants: &[&str]) -> CheckReport {
    let constants = Constants::parse(
        model,
        &constants.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
    )
    .unwrap();
    Port::build(&constants)
        .unwrap()
        .check(model.as_str(), "test".into(), &CheckOptions::default())
}

fn property<'r>(report: &'r CheckReport, name: &str) -> &'r PropertyReport {
    report
        .property(name)
        .unwrap_or_else(|| panic!("no property {name}"))
}

fn last_state(p: &PropertyReport) -> &std::collections::BTreeMap<String, serde_json::Value> {
    &p.counterexample
        .as_ref()
        .expect("a counterexample")
        .last()
        .unwrap()
        .state
}

fn count(state: &std::collections::BTreeMap<String, serde_json::Value>, phase: &str) -> usize {
    state["phase"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| *p == phase)
        .count()
}

#[test]
fn atomic_deduction_satisfies_every_property() {
    let report = check_named(&builtin::INVENTORY, &["Users=4", "Stock=2"]);
    for p in &report.properties {
        assert_eq!(p.verdict, Verdict::Holds, "{}", p.name);
    }
    assert!(report.complete);
    assert_eq!(report.outcome(), Outcome::Holds);
}

#[test]
fn read_then_write_oversells_with_a_shortest_counterexample() {
    let report = check_named(
        &builtin::INVENTORY,
        &["Users=3", "Stock=2", "Deduction=read_then_write"],
    );
    let p = property(&report, "no_oversell");
    assert_eq!(p.verdict, Verdict::Violated);
    let last = last_state(p);
    assert_eq!(count(last, "reserved") + count(last, "sold"), 3);
    // Three reads and three writes are needed to hold three units of two: six steps.
    assert_eq!(p.counterexample.as_ref().unwrap().len(), 7);

    let p = property(&report, "conservation");
    assert_eq!(p.verdict, Verdict::Violated);
    // Two reads of the same value and two writes: four steps.
    assert_eq!(p.counterexample.as_ref().unwrap().len(), 5);
    let last = last_state(p);
    let available = last["available"].as_u64().unwrap() as usize;
    assert_ne!(available + count(last, "reserved") + count(last, "sold"), 2);
    assert_eq!(report.outcome(), Outcome::Refuted);
}

#[test]
fn read_then_write_rejects_while_stock_is_back() {
    let report = check_named(
        &builtin::INVENTORY,
        &["Users=3", "Stock=2", "Deduction=read_then_write"],
    );
    let p = property(&report, "no_false_soldout");
    assert_eq!(p.verdict, Verdict::Violated);
    let steps = p.counterexample.as_ref().unwrap();
    let last = steps.last().unwrap();
    assert!(last.action.starts_with("Reject("));
    assert_eq!(last.state["falseSoldOut"], true);
    assert!(last.state["available"].as_u64().unwrap() > 0);
    // The unit came back by a timeout before the stale reject.
    assert!(steps.iter().any(|s| s.action.starts_with("Timeout(")));
}

#[test]
fn the_whole_stock_cannot_sell_with_fewer_buyers() {
    let report = check_named(&builtin::INVENTORY, &["Users=1", "Stock=2"]);
    let p = property(&report, "sold_out_reachable");
    assert_eq!(p.verdict, Verdict::Violated);
    assert!(p.counterexample.is_none());
    // With enough buyers the witness is the shortest selling path: reserve+pay per unit.
    let report = check_named(&builtin::INVENTORY, &["Users=3", "Stock=2"]);
    let p = property(&report, "sold_out_reachable");
    assert_eq!(p.verdict, Verdict::Holds);
    assert_eq!(p.counterexample.as_ref().unwrap().len(), 5);
}

/// The inventory model with no fairness at all: `settles` must fail by stuttering.
#[derive(Clone, Debug)]
struct Unfair;

impl Flaw<Inventory> for Unfair {
    fn fairness_group(&self, _: &Inventory, _: &InventoryAction) -> Option<usize> {
        None
    }
    fn keeps(&self, name: &str) -> bool {
        name == "settles"
    }
}

#[test]
fn settles_needs_fairness() {
    let fair = check_named(&builtin::INVENTORY, &["Users=2", "Stock=1"]);
    assert_eq!(property(&fair, "settles").verdict, Verdict::Holds);
    let unfair = Mutant::new(Inventory::new(2, 1, Deduction::Atomic).unwrap(), Unfair);
    let report = check::check(unfair, "unfair", "test".into(), &CheckOptions::default());
    let p = property(&report, "settles");
    assert_eq!(p.verdict, Verdict::Violated);
    // Without fairness the first user may simply never move: stutter in the initial state.
    let steps = p.counterexample.as_ref().unwrap();
    assert_eq!(steps.last().unwrap().action, "(stuttering)");
    assert_eq!(p.cycle_start, Some(0));
}

#[test]
fn seed_with_more_users_than_stock_deadlocks_and_starves() {
    let report = check_named(&builtin::INVENTORY_SEED, &["Users=3", "Stock=2"]);
    assert_eq!(report.distinct_states, 26);
    assert_eq!(property(&report, "SafetyInvariant").verdict, Verdict::Holds);
    let deadlock = property(&report, "deadlock_free");
    assert_eq!(deadlock.verdict, Verdict::Violated);
    let last = last_state(deadlock);
    assert_eq!(last["inventory"], 0);
    assert!(last["pc"].as_array().unwrap().contains(&"Buy".into()));
    let fairness = property(&report, "FairnessProperty");
    assert_eq!(fairness.verdict, Verdict::Violated);
    assert!(fairness.cycle_start.is_some());
    let liveness = property(&report, "LivenessProperty");
    assert_eq!(liveness.verdict, Verdict::Holds);
    assert!(liveness.note.as_deref().unwrap().contains("vacuously"));
    assert_eq!(report.outcome(), Outcome::Refuted);
}

#[test]
fn seed_with_enough_stock_passes_its_three_properties() {
    let report = check_named(&builtin::INVENTORY_SEED, &["Users=3", "Stock=3"]);
    for p in &report.properties {
        assert_eq!(p.verdict, Verdict::Holds, "{}", p.name);
    }
}

#[test]
fn bad_constants_are_refused_not_defaulted() {
    for bad in [
        vec!["Users=0"],
        vec!["Users=17"],
        vec!["Users=three"],
        vec!["Stock=-1"],
        vec!["Deduction=optimistic"],
        vec!["Colour=red"],
        vec!["Users"],
    ] {
        let args: Vec<String> = bad.iter().map(|s| s.to_string()).collect();
        let built =
            Constants::parse(&builtin::INVENTORY, &args).and_then(|c| Port::build(&c).map(|_| ()));
        assert!(built.is_err(), "{bad:?} was accepted");
    }
}

/// The seed with a retried, non-idempotent `Buy`: ProcessOrder runs twice for one order, so
/// stock is deducted twice while `orders` (a set) grows once. SafetyInvariant must catch it.
#[derive(Clone, Debug)]
struct DoubleDeduct;

impl Flaw<Double11Seed> for DoubleDeduct {
    fn next_state(&self, seed: &Double11Seed, s: &SeedState, a: SeedAction) -> Option<SeedState> {
        let once = seed.next_state(s, a)?;
        match a {
            SeedAction::Buy(_) => seed.next_state(&once, a),
            _ => Some(once),
        }
    }
    fn keeps(&self, name: &str) -> bool {
        name == "SafetyInvariant"
    }
}

#[test]
fn safety_invariant_catches_a_double_deduction() {
    let seed = Double11Seed::new(2, 2).unwrap();
    assert_eq!(seed.properties()[0].name, "SafetyInvariant");
    let report = check::check(
        Mutant::new(seed, DoubleDeduct),
        "double-deduct",
        "test".into(),
        &CheckOptions::default(),
    );
    let p = property(&report, "SafetyInvariant");
    assert_eq!(p.verdict, Verdict::Violated);
    let steps = p.counterexample.as_ref().unwrap();
    let actions: Vec<&str> = steps.iter().map(|s| s.action.as_str()).collect();
    assert_eq!(actions, ["Init", "Enter(1)", "Buy(1)"]);
    let last = &steps[2].state;
    assert_eq!(last["inventory"], 0);
    assert_eq!(last["orders"].as_array().unwrap().len(), 1);
}
