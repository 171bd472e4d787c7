//! The saga spec parser: the shipped file, located errors, and fuzzing.

use std::path::Path;

use flashcheck::specs::{load_saga, parse_saga_str, SagaDefinition, SagaStep, SpecProblem};
use proptest::prelude::*;

fn parse(text: &str) -> Result<SagaDefinition, flashcheck::specs::SpecError> {
    parse_saga_str(text, Path::new("t.saga.yaml"))
}

#[test]
fn shipped_definition_matches_the_seed() {
    let saga = load_saga(Path::new("specs/create_order.saga.yaml")).unwrap();
    assert_eq!(saga.name, "create_order");
    let names: Vec<_> = saga.steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "validate_inventory",
            "create_order",
            "process_payment",
            "update_logistics"
        ]
    );
    assert_eq!(saga.steps[2].compensation, "refund_payment");
    assert_eq!(saga.steps[3].service, "logistics-service");
}

#[test]
fn missing_compensation_names_file_line_and_step() {
    let text = "saga:\n  name: s\n  steps:\n    - name: a\n      service: x\n      compensation: ua\n    - name: b\n      service: y\n";
    let err = parse(text).unwrap_err();
    assert_eq!(
        err.to_string(),
        "t.saga.yaml:7: step `b` has no compensation"
    );
    assert_eq!(
        err.problem(),
        Some(&SpecProblem::MissingCompensation { step: "b".into() })
    );
}

#[test]
fn duplicate_step_name_is_located_at_the_second() {
    let text = "saga:\n  name: s\n  steps:\n    - name: a\n      service: x\n      compensation: ua\n    - name: a\n      service: y\n      compensation: ub\n";
    let err = parse(text).unwrap_err();
    assert_eq!(
        err.to_string(),
        "t.saga.yaml:7: step name `a` is used twice (first on line 4)"
    );
}

#[test]
fn empty_steps_and_syntax_errors_are_located() {
    let err = parse("saga:\n  name: s\n  steps: []\n").unwrap_err();
    assert_eq!(
        (err.line(), err.problem()),
        (Some(3), Some(&SpecProblem::EmptySteps))
    );
    let err = parse("saga:\n  name: s\n  steps: [\n").unwrap_err();
    assert!(
        matches!(err.problem(), Some(SpecProblem::Syntax(_))),
        "{err}"
    );
    let err = parse("saga:\n  name: s\n  stepz: []\n").unwrap_err();
    assert_eq!(err.to_string(), "t.saga.yaml:2: missing key `steps`");
}

#[test]
fn unknown_keys_empty_values_and_wrong_types_are_rejected() {
    let base =
        "saga:\n  name: s\n  steps:\n    - name: a\n      service: x\n      compensation: ua\n";
    let err = parse(&format!("{base}      retries: 3\n")).unwrap_err();
    assert_eq!(err.to_string(), "t.saga.yaml:7: unknown key `retries`");
    let err = parse(&base.replace("service: x", "service: ''")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "t.saga.yaml:5: `service` must not be empty"
    );
    let err = parse(&base.replace("service: x", "service: [x]")).unwrap_err();
    assert_eq!(err.to_string(), "t.saga.yaml:5: `service` must be a string");
    let err = parse("- 1\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "t.saga.yaml:1: `the document` must be a mapping"
    );
}

#[test]
fn unreadable_file_is_an_io_error() {
    let err = load_saga(Path::new("specs/does-not-exist.yaml")).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("specs/does-not-exist.yaml: cannot read"),
        "{err}"
    );
}

fn step_strategy() -> impl Strategy<Value = SagaStep> {
    ("[a-z_][a-z0-9_ -]{0,8}", "\\PC{1,10}", "[^\u{0}]{1,10}").prop_map(
        |(name, service, compensation)| SagaStep {
            name,
            service,
            compensation,
        },
    )
}

fn definition_strategy() -> impl Strategy<Value = SagaDefinition> {
    ("\\PC{1,12}", prop::collection::vec(step_strategy(), 1..6))
        .prop_filter("names unique and values non-blank", |(name, steps)| {
            let mut names: Vec<_> = steps.iter().map(|s| &s.name).collect();
            names.sort();
            names.dedup();
            names.len() == steps.len()
                && !name.trim().is_empty()
                && steps.iter().all(|s| {
                    !s.name.trim().is_empty()
                        && !s.service.trim().is_empty()
                        && !s.compensation.trim().is_empty()
                })
        })
        .prop_map(|(name, steps)| SagaDefinition { name, steps })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let text = String::from_utf8_lossy(&bytes);
        if let Err(err) = parse(&text) {
            prop_assert!(!err.to_string().contains('\n'), "one line: {}", err);
        }
    }

    #[test]
    fn mutated_yaml_never_panics(position in 0usize..400, insert in "[ \\-:\\[\\]{}#&*!|>'\"\n\ta-z]{0,4}", cut in 0usize..6) {
        let original = std::fs::read_to_string("specs/create_order.saga.yaml").unwrap();
        let position = position.min(original.len());
        let position = (0..=position).rev().find(|p| original.is_char_boundary(*p)).unwrap_or(0);
        let mut mutated = original[..position].to_string();
        mutated.push_str(&insert);
        let rest = &original[position..];
        let skip = (cut..=rest.len()).find(|p| rest.is_char_boundary(*p)).unwrap_or(rest.len());
        mutated.push_str(&rest[skip..]);
        if let Err(err) = parse(&mutated) {
            prop_assert!(err.line().unwrap() >= 1);
            prop_assert!(!err.to_string().contains('\n'), "one line: {}", err);
        }
    }

    #[test]
    fn valid_definitions_round_trip(definition in definition_strategy()) {
        let parsed = parse(&definition.to_yaml());
        prop_assert_eq!(parsed.unwrap(), definition);
    }
}
