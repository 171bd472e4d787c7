//! stateright's BFS overwrites a discovery each time a later state matches, so its paths are
//! not shortest (TOOL-FACTS: a 6-step "sold out" came back as 10 steps). flashcheck's own BFS
//! is; this test shows the difference on the inventory model, where it matters to a reader.

use flashcheck::catalog::{Constants, ModelName, Port};
use flashcheck::check::CheckOptions;
use flashcheck::report::Verdict;
use flashcheck_models::inventory::{Deduction, Inventory};
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
        Constants::parse(ModelName::Inventory, &["Users=4".into(), "Stock=3".into()]).unwrap();
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
