//! The breaker and token-bucket ports against real TLC runs (tla2tools 2.20), recorded as
//! JSON reports in `tests/fixtures/tlc-reports/` by its `record_breaker.sh`: the
//! distinct-state count, the depth and every property's verdict must be equal (what
//! `flashcheck cross` checks live). Runs on every machine; no jar needed.

use flashcheck::catalog::{Constants, ModelName, Port};
use flashcheck::check::CheckOptions;
use flashcheck::report::{CheckReport, Engine};
use flashcheck::twin;
use std::path::Path;

fn pinned(fixture: &str, model: ModelName) -> CheckReport {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/tlc-reports")
        .join(format!("{fixture}.json"));
    let tlc: CheckReport = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(tlc.engine, Engine::Tlc);
    assert!(
        tlc.complete,
        "{fixture}: the recorded TLC run was incomplete"
    );
    // The recorded constants are TLA+ text (`"greater"`); -c takes bare values.
    let args: Vec<String> = tlc
        .constants
        .iter()
        .map(|(k, v)| format!("{k}={}", v.trim_matches('"')))
        .collect();
    let port = Port::build(&Constants::parse(model, &args).unwrap()).unwrap();
    let rust = port.check(model.as_str(), "test".into(), &CheckOptions::default());
    let comparison = twin::compare(&rust, &tlc);
    assert!(comparison.agree, "{fixture}: {:#?}", comparison.differences);
    assert_eq!(rust.depth, tlc.depth, "{fixture}: depth");
    tlc
}

#[test]
fn breaker_matches_tlc() {
    for (fixture, distinct) in [
        ("breaker-4-4-3-2-gt", 198),
        ("breaker-6-8-4-3-ge", 3669),
        ("breaker-10-12-5-4-gt", 75441),
    ] {
        let tlc = pinned(fixture, ModelName::Breaker);
        assert_eq!(tlc.distinct_states, distinct, "{fixture}");
    }
}

#[test]
fn breaker_seed_matches_tlc() {
    for (fixture, distinct) in [
        ("breaker-seed-4-4-3-2-gt", 129),
        ("breaker-seed-6-8-4-3-ge", 1131),
        ("breaker-seed-10-12-5-4-gt", 11403),
    ] {
        let tlc = pinned(fixture, ModelName::BreakerSeed);
        assert_eq!(tlc.distinct_states, distinct, "{fixture}");
    }
}

#[test]
fn token_bucket_matches_tlc() {
    for (fixture, distinct) in [
        ("token-bucket-3-1-3", 322),
        ("token-bucket-5-2-4", 8424),
        ("token-bucket-4-1-5", 6912),
    ] {
        let tlc = pinned(fixture, ModelName::TokenBucket);
        assert_eq!(tlc.distinct_states, distinct, "{fixture}");
    }
}
