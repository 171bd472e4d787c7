//! Every Rust port against real TLC runs (tla2tools 2.20), recorded as JSON reports in
//! `tests/fixtures/tlc-reports/` by its `record*.sh` scripts: the distinct-state count (also
//! pinned here as a number), the depth and every property's verdict must be equal — what
//! `flashcheck cross` checks live. Runs on every machine; no jar needed.
//!
//! The same configurations also run through stateright's own checker (`--engine
//! stateright`), which must agree with flashcheck's engine on distinct and generated states,
//! depth and every safety verdict (issue 11), and through the engine on two threads, which
//! must agree with one thread on counts, depth, verdicts and counterexample lengths.

use flashcheck::check::{CheckEngine, CheckOptions};
use flashcheck::registry::{build_port, builtin, Entry};
use flashcheck::report::{CheckReport, Engine, PropertyKind};
use flashcheck::twin;
use flashcheck::verdict::{Subject, Verdict};
use std::path::Path;

/// Checks the port of `model` with the constants of the recorded TLC report `fixture` (and
/// the saga file `saga`, for the saga models) and asserts it agrees with TLC.
fn pinned(fixture: &str, model: &'static Entry, saga: Option<&str>, distinct: u64) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
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
    // The recorded constants are TLA+ text (`"atomic"`); -c takes bare values. Model values
    // (`defaultInitValue = defaultInitValue`) and the saga's step indices are the twin's.
    let args: Vec<String> = tlc
        .constants
        .iter()
        .filter(|(k, v)| k != v)
        .filter(|(k, _)| !model.uses_saga || ["F", "R", "C"].contains(&k.as_str()))
        .map(|(k, v)| format!("{k}={}", v.trim_matches('"')))
        .collect();
    let file = saga.map(|s| root.join(format!("tests/fixtures/sagas/{s}.saga.yaml")));
    let (_, port) = build_port(model, &args, file.as_deref()).unwrap();
    port.annotate(&mut tlc);
    let rust = port.check(model.as_str(), "test".into(), &CheckOptions::default());
    let twin_constants: std::collections::BTreeMap<_, _> = tlc
        .constants
        .iter()
        .filter(|(k, v)| k != v)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    assert_eq!(rust.constants, twin_constants, "{fixture}: constants");
    let comparison = twin::compare(&rust, &tlc);
    assert!(comparison.agree, "{fixture}: {:#?}", comparison.differences);
    assert_eq!(rust.depth, tlc.depth, "{fixture}: depth");
    assert_eq!(rust.engine, Engine::Flashcheck);

    let mut options = CheckOptions::default();
    options.engine = CheckEngine::Stateright;
    let stateright = port.check(model.as_str(), "test".into(), &options);
    assert_eq!(stateright.engine, Engine::Stateright);
    assert!(stateright.complete, "{fixture}: stateright stopped early");
    assert_eq!(
        (
            stateright.distinct_states,
            stateright.generated_states,
            stateright.depth
        ),
        (rust.distinct_states, rust.generated_states, rust.depth),
        "{fixture}: stateright's (distinct, generated, depth) against the engine's"
    );
    let safety = |r: &CheckReport| -> Vec<(String, Verdict)> {
        r.properties
            .iter()
            .filter(|p| p.kind != PropertyKind::Eventually)
            .map(|p| (p.name.clone(), p.verdict))
            .collect()
    };
    assert_eq!(safety(&stateright), safety(&rust), "{fixture}: verdicts");

    let mut options = CheckOptions::default();
    options.threads = 2;
    options.liveness = false;
    let two = port.check(model.as_str(), "test".into(), &options);
    assert_eq!(outline(&two), outline(&rust), "{fixture}: two threads");
}

/// What one thread and two must share: counts, depth, completeness, and per safety property
/// its verdict and counterexample length.
/// (distinct, generated, depth, complete, per safety property (name, verdict, steps)).
type Outline = (u64, u64, u64, bool, Vec<(String, String, Option<usize>)>);

fn outline(r: &CheckReport) -> Outline {
    (
        r.distinct_states,
        r.generated_states,
        r.depth,
        r.complete,
        r.properties
            .iter()
            .filter(|p| p.kind != PropertyKind::Eventually)
            .map(|p| {
                (
                    p.name.clone(),
                    p.verdict.word(Subject::Property).to_string(),
                    p.counterexample.as_ref().map(Vec::len),
                )
            })
            .collect(),
    )
}

#[test]
fn inventory_atomic_matches_tlc() {
    pinned("inventory-atomic-3-2", &builtin::INVENTORY, None, 83);
    pinned("inventory-atomic-5-3", &builtin::INVENTORY, None, 1967);
    pinned("inventory-atomic-8-5", &builtin::INVENTORY, None, 220_068);
}

#[test]
fn inventory_read_then_write_matches_tlc() {
    pinned("inventory-rtw-3-2", &builtin::INVENTORY, None, 481);
    pinned("inventory-rtw-4-3", &builtin::INVENTORY, None, 4922);
    pinned("inventory-rtw-5-3", &builtin::INVENTORY, None, 60_515);
}

#[test]
fn inventory_seed_matches_tlc() {
    pinned("seed-3-2", &builtin::INVENTORY_SEED, None, 26);
    pinned("seed-2-3", &builtin::INVENTORY_SEED, None, 9);
    pinned("seed-8-5", &builtin::INVENTORY_SEED, None, 6432);
    pinned("seed-5-8", &builtin::INVENTORY_SEED, None, 243);
}

#[test]
fn saga_matches_tlc() {
    pinned("saga.seed.1-1-1", &builtin::SAGA, None, 58);
    pinned("saga.seed.1-2-2", &builtin::SAGA, None, 125);
    pinned(
        "saga.flash_sale_8.1-3-3",
        &builtin::SAGA,
        Some("flash_sale_8"),
        876,
    );
}

#[test]
fn saga_seed_matches_tlc() {
    pinned("saga-seed.seed.1-1-1", &builtin::SAGA_SEED, None, 106);
    pinned("saga-seed.seed.0-1-1", &builtin::SAGA_SEED, None, 9);
    pinned(
        "saga-seed.flash_sale_8.1-1-1",
        &builtin::SAGA_SEED,
        Some("flash_sale_8"),
        1786,
    );
}

#[test]
fn breaker_matches_tlc() {
    pinned("breaker-4-4-3-2-gt", &builtin::BREAKER, None, 198);
    pinned("breaker-6-8-4-3-ge", &builtin::BREAKER, None, 3669);
    pinned("breaker-10-12-5-4-gt", &builtin::BREAKER, None, 75_441);
}

#[test]
fn breaker_seed_matches_tlc() {
    pinned("breaker-seed-4-4-3-2-gt", &builtin::BREAKER_SEED, None, 129);
    pinned(
        "breaker-seed-6-8-4-3-ge",
        &builtin::BREAKER_SEED,
        None,
        1131,
    );
    pinned(
        "breaker-seed-10-12-5-4-gt",
        &builtin::BREAKER_SEED,
        None,
        11_403,
    );
}

#[test]
fn token_bucket_matches_tlc() {
    pinned("token-bucket-3-1-3", &builtin::TOKEN_BUCKET, None, 322);
    pinned("token-bucket-5-2-4", &builtin::TOKEN_BUCKET, None, 8424);
    pinned("token-bucket-4-1-5", &builtin::TOKEN_BUCKET, None, 6912);
}
