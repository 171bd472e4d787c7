//! The saga ports against real TLC runs (tla2tools 2.20), recorded as JSON reports in
//! `tests/fixtures/tlc-reports/` by its `record_saga.sh`: the distinct-state count, the depth
//! and every property's verdict must be equal. Runs on every machine; no jar needed.
//!
//! A fixture is named `<model>.<saga>.F-R-C`; `<saga>` is `seed` (the built-in
//! `specs/create_order.saga.yaml`) or `tests/fixtures/sagas/<saga>.saga.yaml`.

use flashcheck::catalog::{build_port, ModelName};
use flashcheck::check::CheckOptions;
use flashcheck::report::{CheckReport, Engine};
use flashcheck::twin;
use std::path::Path;

fn pinned(model: ModelName, saga: &str, constants: &str, distinct: u64) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fixture = format!("{}.{saga}.{constants}", model.as_str());
    let path = root.join(format!("tests/fixtures/tlc-reports/{fixture}.json"));
    let mut tlc: CheckReport =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(tlc.engine, Engine::Tlc);
    assert!(
        tlc.complete,
        "{fixture}: the recorded TLC run was incomplete"
    );
    assert_eq!(
        tlc.distinct_states, distinct,
        "{fixture}: the count pinned here"
    );
    let assignments: Vec<String> = ["F", "R", "C"]
        .iter()
        .map(|k| format!("{k}={}", tlc.constants[*k]))
        .collect();
    let file =
        (saga != "seed").then(|| root.join(format!("tests/fixtures/sagas/{saga}.saga.yaml")));
    let (_, port) = build_port(model, &assignments, file.as_deref()).unwrap();
    port.annotate(&mut tlc);
    let rust = port.check(model.as_str(), "test".into(), &CheckOptions::default());
    assert_eq!(rust.constants, tlc.constants, "{fixture}: constants");
    let comparison = twin::compare(&rust, &tlc);
    assert!(comparison.agree, "{fixture}: {:#?}", comparison.differences);
    assert_eq!(rust.depth, tlc.depth, "{fixture}: depth");
}

#[test]
fn saga_matches_tlc() {
    pinned(ModelName::Saga, "seed", "1-1-1", 58);
    pinned(ModelName::Saga, "seed", "1-2-2", 125);
    pinned(ModelName::Saga, "flash_sale_8", "1-3-3", 876);
}

#[test]
fn saga_seed_matches_tlc() {
    pinned(ModelName::SagaSeed, "seed", "1-1-1", 106);
    pinned(ModelName::SagaSeed, "seed", "0-1-1", 9);
    pinned(ModelName::SagaSeed, "flash_sale_8", "1-1-1", 1786);
}
