//! The TLC output parsers on outputs recorded from real TLC 2.20 runs
//! (`tests/fixtures/tlc/record.sh`). These run on every machine, with or without a jar.

use flashcheck::tla::plan::{Counts, Violation};
use flashcheck::tla::tlc::interpret;
use flashcheck::tla::{dump_trace_to_steps, json_trace, tool_output, TlaError};
use serde_json::json;
use std::path::PathBuf;

fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/tlc")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn exit(name: &str) -> i32 {
    fixture(&format!("{name}.exit")).trim().parse().unwrap()
}

fn dump(name: &str) -> serde_json::Value {
    serde_json::from_str(&fixture(&format!("{name}.trace.json"))).unwrap()
}

fn actions(steps: &[flashcheck::report::Step]) -> Vec<&str> {
    steps.iter().map(|s| s.action.as_str()).collect()
}

#[test]
fn complete_run_counts() {
    let o = interpret(
        Some(exit("counter_ok")),
        false,
        &fixture("counter_ok.out"),
        "",
        None,
    )
    .unwrap();
    assert_eq!(
        o.counts,
        Counts {
            distinct: 5,
            generated: 9,
            depth: 3
        }
    );
    assert_eq!(o.violation, None);
    assert_eq!(o.limit, None);
}

#[test]
fn invariant_violation_from_dump() {
    let d = dump("counter_small");
    let o = interpret(Some(12), false, &fixture("counter_small.out"), "", Some(&d)).unwrap();
    assert_eq!(o.counts.distinct, 4, "TLC stopped early: 4 of 5 states");
    let Some(Violation::Invariant(name, t)) = o.violation else {
        panic!("{:?}", o.violation)
    };
    assert_eq!(name, "Small");
    assert_eq!(actions(&t.steps), ["Init", "Inc(1)", "Inc(2)"]);
    assert_eq!(t.steps[2].state["x"], json!(3));
    assert_eq!(t.cycle_start, None);
    assert_eq!(t.note, None);
}

#[test]
fn invariant_violation_from_tool_messages_without_community_modules() {
    let o = interpret(Some(12), false, &fixture("counter_small.out"), "", None).unwrap();
    let Some(Violation::Invariant(name, t)) = o.violation else {
        panic!()
    };
    assert_eq!(name, "Small");
    assert_eq!(actions(&t.steps), ["Init", "Inc(1)", "Inc(2)"]);
    assert_eq!(t.steps[2].state["x"], json!("3"), "values stay TLA+ text");
    assert!(t.note.unwrap().contains("CommunityModules.jar not found"));
}

#[test]
fn deadlock() {
    let d = dump("stuck_deadlock");
    let o = interpret(
        Some(exit("stuck_deadlock")),
        false,
        &fixture("stuck_deadlock.out"),
        "",
        Some(&d),
    )
    .unwrap();
    let Some(Violation::Deadlock(t)) = o.violation else {
        panic!()
    };
    assert_eq!(actions(&t.steps), ["Init", "Next", "Next", "Next"]);
    assert_eq!(t.steps[3].state["x"], json!(3));
    assert_eq!(o.counts.distinct, 4);
}

#[test]
fn liveness_back_loop() {
    let d = dump("toggle_backloop");
    let out = fixture("toggle_backloop.out");
    let o = interpret(Some(exit("toggle_backloop")), false, &out, "", Some(&d)).unwrap();
    let Some(Violation::Temporal(None, t)) = o.violation else {
        panic!()
    };
    assert_eq!(actions(&t.steps), ["Init", "Flip"]);
    assert_eq!(t.cycle_start, Some(0));
    assert_eq!(
        t.note.as_deref(),
        Some("the cycle closes with Flip back to step 0")
    );
    assert_eq!(
        o.counts,
        Counts {
            distinct: 3,
            generated: 5,
            depth: 3
        }
    );
    // The -tool messages (2122 "Back to state") agree with the dump.
    let tool = tool_output::trace(&tool_output::parse_messages(&out, false).unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(tool.cycle_start, Some(0));
    assert_eq!(tool.loop_action.as_deref(), Some("Flip"));
}

#[test]
fn liveness_stuttering_is_not_a_step() {
    let d = dump("counter_stutter");
    let out = fixture("counter_stutter.out");
    let o = interpret(Some(13), false, &out, "", Some(&d)).unwrap();
    let Some(Violation::Temporal(None, t)) = o.violation else {
        panic!()
    };
    // TLC labels the stuttering self-loop at x = 3 `Inc(2)` (not even enabled there); it must
    // not appear as a fourth step.
    assert_eq!(actions(&t.steps), ["Init", "Inc(1)", "Inc(2)"]);
    assert_eq!(t.cycle_start, Some(2));
    assert_eq!(
        t.note.as_deref(),
        Some("the behaviour stutters forever in step 2")
    );
    let tool = tool_output::trace(&tool_output::parse_messages(&out, false).unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(tool.cycle_start, Some(2), "2218 Stuttering");
}

#[test]
fn model_values_and_functions() {
    let d = dump("shop_racy");
    let o = interpret(Some(12), false, &fixture("shop_racy.out"), "", Some(&d)).unwrap();
    let Some(Violation::Invariant(name, t)) = o.violation else {
        panic!()
    };
    assert_eq!(name, "NoOversell");
    insta::assert_json_snapshot!("tla_shop_racy_steps", t.steps);
    let last = &t.steps.last().unwrap().state;
    assert_eq!(last["bought"], json!(["u1", "u2"]));
    assert_eq!(last["seen"], json!({"u1": -1, "u2": -1}));
}

#[test]
fn multi_variable_tool_states() {
    let out = tool_output::parse_messages(&fixture("shop_racy.out"), false).unwrap();
    let t = tool_output::trace(&out).unwrap().unwrap();
    assert_eq!(
        actions(&t.steps),
        ["Init", "Read(u1)", "Read(u2)", "Buy(u1)", "Buy(u2)"]
    );
    assert_eq!(t.steps[4].state["seen"], json!("(u1 :> -1 @@ u2 :> -1)"));
    assert_eq!(t.steps[4].state["bought"], json!("{u1, u2}"));
}

#[test]
fn parse_error_is_a_spec_error_with_tlc_message() {
    let err = interpret(
        Some(exit("broken_parse")),
        false,
        &fixture("broken_parse.out"),
        "",
        None,
    )
    .unwrap_err();
    let TlaError::Spec { message, .. } = err else {
        panic!("{err:?}")
    };
    assert!(
        message.contains("Encountered \"====\" at line 5, column 1"),
        "{message}"
    );
    assert!(!message.contains("Parsing file"), "{message}");
}

#[test]
fn semantic_error_is_a_spec_error_with_tlc_message() {
    let err = interpret(
        Some(exit("undefined_semantic")),
        false,
        &fixture("undefined_semantic.out"),
        "",
        None,
    )
    .unwrap_err();
    let TlaError::Spec { message, .. } = err else {
        panic!("{err:?}")
    };
    assert!(
        message.contains("Could not find declaration or definition of symbol '-'"),
        "{message}"
    );
}

#[test]
fn malformed_output_is_a_typed_error() {
    let unterminated = "@!@!@STARTMSG 2199:0 @!@!@\n5 states generated";
    assert!(matches!(
        tool_output::parse_messages(unterminated, false),
        Err(TlaError::Output { .. })
    ));
    assert!(
        tool_output::parse_messages(unterminated, true).is_ok(),
        "allowed when killed"
    );
    let mismatched = "@!@!@STARTMSG 2199:0 @!@!@\nx\n@!@!@ENDMSG 2194 @!@!@\n";
    assert!(matches!(
        tool_output::parse_messages(mismatched, false),
        Err(TlaError::Output { .. })
    ));
    let bad_code = "@!@!@STARTMSG twenty:0 @!@!@\n@!@!@ENDMSG twenty @!@!@\n";
    assert!(matches!(
        tool_output::parse_messages(bad_code, false),
        Err(TlaError::Output { .. })
    ));
    // Exit 0 without statistics.
    assert!(matches!(
        interpret(Some(0), false, "", "", None),
        Err(TlaError::Output { .. })
    ));
    // Exit 12 whose messages report no invariant.
    assert!(matches!(
        interpret(Some(12), false, &fixture("counter_ok.out"), "", None),
        Err(TlaError::Output { .. })
    ));
    // Statistics that are not numbers.
    let bad_stats = "@!@!@STARTMSG 2199:0 @!@!@\nmany states generated, 4 distinct states found, 0 states left on queue.\n@!@!@ENDMSG 2199 @!@!@\n@!@!@STARTMSG 2194:0 @!@!@\nThe depth of the complete state graph search is 3.\n@!@!@ENDMSG 2194 @!@!@\n";
    assert!(matches!(
        interpret(Some(0), false, bad_stats, "", None),
        Err(TlaError::Output { .. })
    ));
    // An exit code TLC uses for other failures.
    let err = interpret(Some(75), false, &fixture("counter_ok.out"), "boom", None).unwrap_err();
    assert!(
        matches!(err, TlaError::Engine { exit: Some(75), .. }),
        "{err:?}"
    );
}

#[test]
fn malformed_dump_is_a_typed_error() {
    for bad in [
        json!(null),
        json!({"state": []}),
        json!({"state": [[1, {"x": 0}], [2, {"x": 1}]]}),
        json!({"state": [[1, {"x": 0}]], "action": [[[1, {"x": 0}], {"name": "A"}, [7, {"x": 1}]]]}),
        json!({"state": [[1, {"x": 0}], [2, {"x": 1}]], "action": [[[1, {}], {"location": {}}, [2, {}]]]}),
        json!({"state": [[1, {"x": 0}], [2, {"x": 1}]], "action": [[[1, {}], {"name": "A", "parameters": ["k"]}, [2, {}]]]}),
    ] {
        assert!(
            matches!(dump_trace_to_steps(&bad), Err(TlaError::Output { .. })),
            "{bad}"
        );
    }
}

#[test]
fn action_names_are_rendered_deterministically() {
    let a = json!({"name": "Move", "context": {"to": "u2", "n": 3, "s": [1, 2]}, "parameters": ["to", "n", "s"]});
    assert_eq!(json_trace::action_name(&a).unwrap(), "Move(u2, 3, [1,2])");
    let b = json!({"name": "Move", "context": {"n": 3, "to": "u2"}});
    assert_eq!(
        json_trace::action_name(&b).unwrap(),
        "Move(3, u2)",
        "no parameter list: context keys sorted"
    );
    assert_eq!(
        json_trace::action_name(&json!({"name": "Tick"})).unwrap(),
        "Tick"
    );
}

/// The raw TLC message of a recorded run, shortened as `flashcheck tla` prints it.
fn concise(name: &str, spec: &std::path::Path) -> String {
    let out = fixture(&format!("{name}.out"));
    let err = interpret(Some(exit(name)), false, &out, "", None).unwrap_err();
    let TlaError::Spec { message, .. } = err else {
        panic!("{err:?}")
    };
    flashcheck::tla::sany::concise(&message, spec, &[])
}

#[test]
fn sany_parse_error_is_shortened_to_file_line_col() {
    let spec = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tla/Broken.tla");
    let line = concise("broken_parse", &spec);
    assert_eq!(
        line,
        format!(
            "{}:5:1: parse error: Encountered \"====\" and token \"+\"",
            spec.display()
        )
    );
}

#[test]
fn sany_semantic_errors_are_shortened_to_the_first_with_a_count() {
    let spec = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tla/Undefined.tla");
    let line = concise("undefined_semantic", &spec);
    assert!(
        line.starts_with(&format!("{}:5:", spec.display())),
        "{line}"
    );
    assert!(line.contains("more error"), "{line}");
    assert!(!line.contains('\n'));
}

#[test]
fn sany_missing_module_names_it_and_the_fix() {
    let text =
        "Fatal errors while parsing TLA+ spec in file MC\n\ntla2sany.semantic.AbortException\n\
                *** Abort messages: 1\n\nUnknown location\n\n\
                Cannot find source file for module SuiteLib imported in module WithLib.\n";
    let line = flashcheck::tla::sany::concise(text, std::path::Path::new("WithLib.tla"), &[]);
    assert!(
        line.contains("module SuiteLib not found") && line.contains("--lib"),
        "{line}"
    );
}

#[cfg(feature = "tla-checker")]
#[test]
fn tla_checker_progress_lines_give_the_counts_of_a_stopped_run() {
    use flashcheck::tla::checker::progress_counts;
    let stderr = "  Exploring states...\n  Progress: 100 states explored, queue: 3\n  \
                  4000 states explored | 344/s | depth: 3999 | queue: 1\n";
    assert_eq!(
        progress_counts(stderr),
        Counts {
            distinct: 4000,
            generated: 0,
            depth: 3999
        }
    );
    assert_eq!(
        progress_counts("  Progress: 10 states explored, queue: 2\n").distinct,
        10
    );
    assert_eq!(progress_counts("nothing\n"), Counts::default());
}

#[test]
fn memory_sizes_parse_with_units_and_refuse_nonsense() {
    use flashcheck::cli::parse_size;
    assert_eq!(parse_size("512M"), Ok(512 << 20));
    assert_eq!(parse_size("4G"), Ok(4 << 30));
    assert_eq!(parse_size("2GiB"), Ok(2 << 30));
    assert_eq!(parse_size("1000"), Ok(1000));
    for bad in ["", "0", "-1M", "4X", "M", "99999999999T"] {
        assert!(parse_size(bad).is_err(), "{bad}");
    }
}
