//! The Rust ports against real TLC runs (tla2tools 2.20), recorded as JSON reports in
//! `tests/fixtures/tlc-reports/` by its `record.sh`: the distinct-state count and every
//! property's verdict must be equal (what `flashcheck cross` checks live). Runs on every
//! machine; no jar needed.

use flashcheck::catalog::{Constants, ModelName, Port};
use flashcheck::check::CheckOptions;
use flashcheck::report::{CheckReport, Engine};
use flashcheck::twin;
use std::path::Path;

fn pinned(fixture: &str, model: ModelName) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/tlc-reports")
        .join(format!("{fixture}.json"));
    let tlc: CheckReport = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(tlc.engine, Engine::Tlc);
    assert!(
        tlc.complete,
        "{fixture}: the recorded TLC run was incomplete"
    );
    // The recorded constants are TLA+ text (`"atomic"`); -c takes bare values. Model values
    // (`defaultInitValue = defaultInitValue`) are the twin's, not the port's constants.
    let args: Vec<String> = tlc
        .constants
        .iter()
        .filter(|(k, v)| k != v)
        .map(|(k, v)| format!("{k}={}", v.trim_matches('"')))
        .collect();
    let port = Port::build(&Constants::parse(model, &args).unwrap()).unwrap();
    let rust = port.check(model.as_str(), "test".into(), &CheckOptions::default());
    let comparison = twin::compare(&rust, &tlc);
    assert!(comparison.agree, "{fixture}: {:#?}", comparison.differences);
    assert_eq!(rust.depth, tlc.depth, "{fixture}: depth");
}

#[test]
fn inventory_atomic_matches_tlc() {
    for size in ["3-2", "5-3", "8-5"] {
        pinned(&format!("inventory-atomic-{size}"), ModelName::Inventory);
    }
}

#[test]
fn inventory_read_then_write_matches_tlc() {
    for size in ["3-2", "4-3", "5-3"] {
        pinned(&format!("inventory-rtw-{size}"), ModelName::Inventory);
    }
}

#[test]
fn inventory_seed_matches_tlc() {
    for size in ["3-2", "2-3", "8-5", "5-8"] {
        pinned(&format!("seed-{size}"), ModelName::InventorySeed);
    }
}
