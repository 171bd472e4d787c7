//! The breaker settings parser: the shipped file, located range errors, and fuzzing.

use std::path::Path;

use flashcheck::specs::{
    load_breaker_file, parse_breaker_str, BreakerFile, BreakerSettings, SpecProblem,
    ThresholdComparison, TokenBucketSettings,
};
use proptest::prelude::*;

fn parse(text: &str) -> Result<BreakerFile, flashcheck::specs::SpecError> {
    parse_breaker_str(text, Path::new("b.toml"))
}

const VALID: &str = "[circuit_breaker]\nfailure_rate_threshold = 0.5\nthreshold_comparison = \"greater\"\nminimum_calls = 100\nsliding_window_size = 100\nwait_in_open = \"10s\"\npermitted_calls_in_half_open = 10\n";

#[test]
fn shipped_file_states_the_seed_values() {
    let file = load_breaker_file(Path::new("specs/breaker.toml")).unwrap();
    assert_eq!(file.circuit_breaker, BreakerSettings::seed());
    assert_eq!(
        file.token_bucket,
        Some(TokenBucketSettings {
            capacity: 1_000_000,
            refill_per_second: 1_000_000
        })
    );
}

#[test]
fn both_comparisons_and_integer_seconds_parse() {
    let text = VALID
        .replace("\"greater\"", "\"greater_or_equal\"")
        .replace("\"10s\"", "7");
    let file = parse(&text).unwrap();
    assert_eq!(
        file.circuit_breaker.threshold_comparison,
        ThresholdComparison::GreaterOrEqual
    );
    assert_eq!(file.circuit_breaker.wait_in_open_ms, 7_000);
    assert_eq!(file.token_bucket, None);
}

#[test]
fn out_of_range_values_are_located() {
    let cases = [
        (VALID.replace("= 0.5", "= 1.5"), "b.toml:2: `failure_rate_threshold` = 1.5 is out of range: must lie in (0, 1]"),
        (VALID.replace("= 0.5", "= 0.0"), "b.toml:2: `failure_rate_threshold` = 0.0 is out of range: must lie in (0, 1]"),
        (VALID.replace("minimum_calls = 100", "minimum_calls = 0"), "b.toml:4: `minimum_calls` = 0 is out of range: must be at least 1"),
        (
            VALID.replace("sliding_window_size = 100", "sliding_window_size = 50"),
            "b.toml:5: sliding_window_size 50 is smaller than minimum_calls 100: the breaker could never open",
        ),
        (VALID.replace("\"10s\"", "\"10 parsecs\""), "b.toml:6: `10 parsecs` is not a duration (expected e.g. \"10s\", \"500ms\", \"1m\")"),
        (
            VALID.replace("\"greater\"", "\"bigger\""),
            "b.toml:3: unknown threshold comparison `bigger` (expected \"greater\" or \"greater_or_equal\")",
        ),
        (VALID.replace("permitted_calls_in_half_open = 10\n", ""), "b.toml:1: missing key `permitted_calls_in_half_open`"),
        (format!("{VALID}\n[token_bucket]\ncapacity = 5000000\nrefill_per_second = 1\n"), "b.toml:10: `capacity` = 5000000 is out of range: at most 4294967 tokens"),
    ];
    for (text, expected) in cases {
        assert_eq!(parse(&text).unwrap_err().to_string(), expected);
    }
}

#[test]
fn syntax_and_unknown_keys_are_located() {
    let err = parse(&format!("{VALID}colour = \"red\"\n")).unwrap_err();
    assert_eq!(err.line(), Some(8), "{err}");
    assert!(
        matches!(err.problem(), Some(SpecProblem::Syntax(message)) if message.contains("colour")),
        "{err}"
    );
    let err = parse("[circuit_breaker\n").unwrap_err();
    assert_eq!(err.line(), Some(1));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_text_never_panics(text in "[\\[\\]a-z_=\"0-9.\n ]{0,200}") {
        if let Err(err) = parse(&text) {
            prop_assert!(!err.to_string().contains('\n'), "one line: {}", err);
        }
    }

    #[test]
    fn valid_settings_round_trip(
        ppm in 1u32..=1_000_000,
        greater in any::<bool>(),
        minimum in 1u64..1000,
        extra in 0u64..1000,
        wait in 0u64..1_000_000,
        permitted in 1u64..100,
        bucket in prop::option::of((1u64..=4_294_967, 1u64..10_000_000)),
    ) {
        let file = BreakerFile {
            circuit_breaker: BreakerSettings {
                failure_rate_threshold_ppm: ppm,
                threshold_comparison: if greater { ThresholdComparison::Greater } else { ThresholdComparison::GreaterOrEqual },
                minimum_calls: minimum,
                sliding_window_size: minimum + extra,
                wait_in_open_ms: wait,
                permitted_calls_in_half_open: permitted,
            },
            token_bucket: bucket.map(|(capacity, refill_per_second)| TokenBucketSettings { capacity, refill_per_second }),
        };
        prop_assert_eq!(parse(&file.to_toml()).unwrap(), file);
    }
}
