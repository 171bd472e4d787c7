//! stateright's BFS overwrites a discovery each time a later state matches, so its paths are
//! not shortest (TOOL-FACTS: a 6-step "sold out" came back as 10 steps). flashcheck's own BFS
//! is; this test shows the difference on the inventory model, where it matters to a reader.

use flashcheck::check::CheckOptions;
use flashcheck::registry::{builtin, Constants, Entry, Port};
use flashcheck::verdict::Verdict;
use flashcheck_models::breaker_seed::BreakerSeed;
use flashcheck_models::inventory::{Deduction, Inventory};
use flashcheck_models::inventory_seed::Double11Seed;
use flashcheck_models::token_bucket::TokenBucket;
use stateright::{Checker, Model};

#[test]
fn stateright_bfs_paths_are_longer_than_flashcheck_shortest_ones() {
    let model = Inventory::new(4, 3, Deduction::Atomic).unwrap();
    let checker = model.clone().checker().spawn_bfs().join();
    let stateright_steps = checker
        .discovery("sold_out_reachable")
        .expect("sold out is reachable")
        .into_actions()
        .len();

    let constants =
        Constants::parse(&builtin::INVENTORY, &["Users=4".into(), "Stock=3".into()]).unwrap();
    let report = Port::build(&constants).unwrap().check(
        "inventory",
        "test".into(),
        &CheckOptions::default(),
    );
    let p = report
        .properties
        .iter()
        .find(|p| p.name == "sold_out_reachable")
        .unwrap();
    assert_eq!(p.verdict, Verdict::Holds);
    let ours = p.counterexample.as_ref().unwrap().len() - 1;
    // Selling 3 units takes 3 reservations and 3 payments: 6 steps, no fewer.
    assert_eq!(ours, 6);
    assert!(
        stateright_steps > ours,
        "stateright's BFS gave {stateright_steps} steps; if this is now shortest, the \
         work-around may be unnecessary"
    );
}

/// The length of the shortest path to a state discovering each `always`/`sometimes`
/// property, by a plain breadth-first search over full states (no fingerprints, no parent
/// log): the reference the engine's counterexamples are held to.
fn reference_lengths<M>(model: &M) -> std::collections::BTreeMap<&'static str, usize>
where
    M: Model,
    M::State: Clone + Eq + std::hash::Hash,
{
    use std::collections::{BTreeMap, HashMap, VecDeque};
    let properties: Vec<_> = model
        .properties()
        .into_iter()
        .filter(|p| p.expectation != stateright::Expectation::Eventually)
        .collect();
    let mut lengths = BTreeMap::new();
    let mut seen: HashMap<M::State, usize> = HashMap::new();
    let mut queue = VecDeque::new();
    for s in model.init_states() {
        if !seen.contains_key(&s) {
            seen.insert(s.clone(), 0);
            queue.push_back(s);
        }
    }
    let mut actions = Vec::new();
    while let Some(s) = queue.pop_front() {
        let d = seen[&s];
        for p in &properties {
            let wanted = p.expectation == stateright::Expectation::Sometimes;
            if (p.condition)(model, &s) == wanted {
                lengths.entry(p.name).or_insert(d);
            }
        }
        model.actions(&s, &mut actions);
        for a in actions.drain(..) {
            if let Some(n) = model.next_state(&s, a) {
                if !seen.contains_key(&n) {
                    seen.insert(n.clone(), d + 1);
                    queue.push_back(n);
                }
            }
        }
    }
    lengths
}

/// Every counterexample and witness the engine prints is as short as the plain BFS says
/// is possible, on one thread and on two (issue 11: a walk back that picks a wrong parent,
/// or a discovery kept from a later level, fails here).
#[test]
fn every_counterexample_is_shortest_on_one_and_two_threads() {
    let configs: [(&'static Entry, &[&str]); 5] = [
        (
            &builtin::INVENTORY,
            &["Users=4", "Stock=3", "Deduction=read_then_write"],
        ),
        (&builtin::INVENTORY, &["Users=5", "Stock=3"]),
        (&builtin::INVENTORY_SEED, &["Users=4", "Stock=2"]),
        (&builtin::BREAKER_SEED, &[]),
        (&builtin::TOKEN_BUCKET, &[]),
    ];
    for (model, args) in configs {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let constants = Constants::parse(model, &args).unwrap();
        let port = Port::build(&constants).unwrap();
        let reference = if let Some(m) = port.model::<Inventory>() {
            reference_lengths(m)
        } else if let Some(m) = port.model::<Double11Seed>() {
            reference_lengths(m)
        } else if let Some(m) = port.model::<BreakerSeed>() {
            reference_lengths(m)
        } else if let Some(m) = port.model::<TokenBucket>() {
            reference_lengths(m)
        } else {
            unreachable!("not in the list above")
        };
        assert!(!reference.is_empty(), "{model:?}: nothing discovered");
        for threads in [1, 2] {
            let mut options = CheckOptions::default();
            options.threads = threads;
            options.liveness = false;
            let report = port.check(model.as_str(), "test".into(), &options);
            for p in &report.properties {
                let Some(&want) = reference.get(p.name.as_str()) else {
                    assert!(p.counterexample.is_none() || p.cycle_start.is_some());
                    continue;
                };
                let steps = p.counterexample.as_ref().map(|c| c.len() - 1);
                assert_eq!(
                    steps,
                    Some(want),
                    "{model:?} {args:?} {} on {threads} threads",
                    p.name
                );
            }
        }
    }
}
