//! Reading TLC `.cfg` files into jobs, finding the jar, and property tests of the parsers
//! (no panic on any input; what is written is read back).

use flashcheck::report::PropertyKind;
use flashcheck::tla::cfg::{parse_cfg, variables};
use flashcheck::tla::jar::find_in;
use flashcheck::tla::tool_output::parse_messages;
use flashcheck::tla::{dump_trace_to_steps, job_from_cfg, TlaError};
use proptest::prelude::*;

#[test]
fn full_cfg() {
    let cfg = parse_cfg(
        "\\* comment\nCONSTANTS\n  Users = {u1, u2}\n  Stock = 3 (* block\n comment *)\n  Mode = \"atomic\"\n  NoUser = NoUser\n\
         SPECIFICATION Spec\nINVARIANTS TypeOK NoOversell\nPROPERTY Eventually\nCONSTRAINT Bound\nCHECK_DEADLOCK FALSE\n",
    )
    .unwrap();
    assert_eq!(cfg.constants["Users"], "{u1, u2}");
    assert_eq!(cfg.constants["Stock"], "3");
    assert_eq!(cfg.constants["Mode"], "\"atomic\"");
    assert_eq!(cfg.model_values, ["NoUser"]);
    assert_eq!(cfg.specification.as_deref(), Some("Spec"));
    assert_eq!(cfg.invariants, ["TypeOK", "NoOversell"]);
    assert_eq!(cfg.properties, ["Eventually"]);
    assert_eq!(cfg.constraints, ["Bound"]);
    assert!(!cfg.check_deadlock);
    // What the plan controls is blanked, line structure kept; the rest passes through.
    assert!(!cfg.passthrough.contains("INVARIANTS") && !cfg.passthrough.contains("CHECK_DEADLOCK"));
    assert!(
        cfg.passthrough.contains("CONSTRAINT Bound") && cfg.passthrough.contains("NoUser = NoUser")
    );
    assert_eq!(cfg.passthrough.lines().count(), 12);
}

#[test]
fn every_tlc_construct_is_read_and_passed_through() {
    let cfg = parse_cfg(
        "CONSTANTS\n  Step <- TwoStep\n  Cap <- [Inner] SmallCap\n  N = 3\nSPECIFICATION Spec\n\
         CONSTRAINT A B\nACTION_CONSTRAINT Alt\nSYMMETRY Perms\nVIEW View\nALIAS Show\n\
         POSTCONDITION Done\nCONSTANT S = \"INIT\"\n",
    )
    .unwrap();
    assert_eq!(cfg.constants["Step"], "<- TwoStep");
    assert_eq!(cfg.constants["Cap"], "<- [Inner] SmallCap");
    assert_eq!(
        cfg.constants["S"], "\"INIT\"",
        "a keyword inside a string is not a keyword"
    );
    assert_eq!(cfg.constraints, ["A", "B"]);
    assert_eq!(cfg.action_constraints, ["Alt"]);
    assert_eq!(cfg.symmetry.as_deref(), Some("Perms"));
    assert_eq!(cfg.view.as_deref(), Some("View"));
    assert_eq!(cfg.alias.as_deref(), Some("Show"));
    assert_eq!(cfg.postcondition.as_deref(), Some("Done"));
    assert_eq!(cfg.init, None);
    for kept in [
        "Step <- TwoStep",
        "ACTION_CONSTRAINT Alt",
        "SYMMETRY Perms",
        "VIEW View",
        "POSTCONDITION Done",
    ] {
        assert!(
            cfg.passthrough.contains(kept),
            "{kept}: {}",
            cfg.passthrough
        );
    }
}

#[test]
fn unsupported_or_broken_cfgs_are_errors_with_lines() {
    for (text, line) in [
        ("SPECIFICATION Spec\nSYMMETRY Perms Other\n", 2),
        ("SPECIFICATION Spec\nWHATEVER Perms\n", 1),
        ("CONSTANT N <- 3\n", 1),
        ("SPECIFICATION Spec Other\n", 1),
        ("garbage\nSPECIFICATION Spec\n", 1),
        ("CONSTANT\n  N = 3\n  N = 4\n", 3),
        ("CONSTANT\n  S = {1, 2\n", 1),
        ("CHECK_DEADLOCK maybe\n", 1),
    ] {
        let err = parse_cfg(text).expect_err(text);
        assert_eq!(err.0, line, "{text:?}: {err:?}");
    }
}

#[test]
fn job_from_cfg_beside_spec() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("M.tla");
    std::fs::write(
        &spec,
        "---- MODULE M ----\nVARIABLES a,\n  b \\* two\nInit == a = 0 /\\ b = 0\n====\n",
    )
    .unwrap();
    let cfg = dir.path().join("M.cfg");
    std::fs::write(&cfg, "INIT Init\nNEXT Next\nINVARIANT Inv\nPROPERTY Live\n").unwrap();
    let job = job_from_cfg(&spec, &cfg).unwrap();
    assert_eq!(job.model, "M");
    assert_eq!(job.specification, "INIT Init NEXT Next");
    let kinds: Vec<(&str, PropertyKind)> = job
        .properties
        .iter()
        .map(|p| (p.name.as_str(), p.kind))
        .collect();
    assert_eq!(
        kinds,
        [
            ("deadlock_free", PropertyKind::Always),
            ("Inv", PropertyKind::Always),
            ("Live", PropertyKind::Eventually)
        ]
    );
    std::fs::write(&cfg, "INIT Init\nSPECIFICATION Spec\n").unwrap();
    assert!(matches!(
        job_from_cfg(&spec, &cfg),
        Err(TlaError::Cfg { .. })
    ));
    assert!(matches!(
        job_from_cfg(&spec, &dir.path().join("missing.cfg")),
        Err(TlaError::Input { .. })
    ));
}

#[test]
fn variables_are_read_from_declarations() {
    assert_eq!(variables("VARIABLE x\nvars == <<x>>"), ["x"]);
    assert_eq!(
        variables("(* VARIABLE hidden *)\nVARIABLES p, q\nVARIABLE r"),
        ["p", "q", "r"]
    );
}

#[test]
fn jar_search_order_and_message() {
    let dir = tempfile::tempdir().unwrap();
    let jar = dir.path().join("tla2tools.jar");
    std::fs::write(&jar, b"").unwrap();
    let home = dir.path().join("home");
    assert_eq!(find_in(Some(&jar), None, Some(&home)).unwrap(), jar);
    assert_eq!(find_in(None, Some(&jar), Some(&home)).unwrap(), jar);
    // An explicit path that does not exist is an error, not a reason to look elsewhere.
    let missing = dir.path().join("nope.jar");
    assert!(find_in(Some(&missing), Some(&jar), None).is_err());
    assert!(find_in(None, Some(&missing), None).is_err());
    std::fs::create_dir_all(home.join(".cache/flashcheck")).unwrap();
    let err = find_in(None, None, Some(&home)).unwrap_err().to_string();
    assert!(
        err.contains("--tla2tools")
            && err.contains("TLA2TOOLS_JAR")
            && err.contains(".cache/flashcheck/tla2tools.jar"),
        "{err}"
    );
    assert!(!err.contains('\n'), "one line: {err}");
    std::fs::copy(&jar, home.join(".cache/flashcheck/tla2tools.jar")).unwrap();
    assert!(find_in(None, None, Some(&home)).is_ok());
}

fn ident() -> impl Strategy<Value = String> {
    // A lower-case letter keeps it from being a cfg keyword.
    "[A-Z][a-z][a-zA-Z0-9_]{0,7}"
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u32..1000).prop_map(|n| n.to_string()),
        "[a-z]{1,6}".prop_map(|s| format!("\"{s}\"")),
        proptest::collection::vec("[a-z][0-9]", 0..4).prop_map(|v| format!("{{{}}}", v.join(", "))),
        proptest::collection::vec(0u8..9, 1..4).prop_map(|v| format!(
            "<<{}>>",
            v.iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    ]
}

proptest! {
    #[test]
    fn tool_output_parser_never_panics(s in "(@!@!@(START|END)MSG [0-9:]{0,6} @!@!@\n|[ -~]{0,20}\n){0,12}") {
        let _ = parse_messages(&s, false);
        let _ = parse_messages(&s, true);
    }

    #[test]
    fn tool_messages_round_trip(msgs in proptest::collection::vec((0u32..5000, 0u32..5, proptest::collection::vec("[a-zA-Z0-9 ,.:<>=/\\\\]{0,30}", 0..4)), 0..8)) {
        let mut text = String::new();
        for (code, sev, lines) in &msgs {
            text.push_str(&format!("@!@!@STARTMSG {code}:{sev} @!@!@\n"));
            for l in lines { text.push_str(l); text.push('\n'); }
            text.push_str(&format!("@!@!@ENDMSG {code} @!@!@\n"));
        }
        let parsed = parse_messages(&text, false).unwrap();
        prop_assert_eq!(parsed.messages.len(), msgs.len());
        for (m, (code, sev, lines)) in parsed.messages.iter().zip(&msgs) {
            prop_assert_eq!(m.code, *code);
            prop_assert_eq!(m.severity, *sev);
            let joined = lines.join("\n");
            prop_assert_eq!(m.body.as_str(), joined.trim_end());
        }
    }

    #[test]
    fn cfg_parser_never_panics(s in "[A-Z_ =\\n{}<>\"a-z0-9,()*\\\\-]{0,80}") {
        let _ = parse_cfg(&s);
    }

    #[test]
    fn cfg_constants_round_trip(consts in proptest::collection::btree_map(ident(), value(), 0..6)) {
        let mut text = String::from("CONSTANTS\n");
        for (k, v) in &consts { text.push_str(&format!("  {k} = {v}\n")); }
        text.push_str("SPECIFICATION Spec\n");
        let cfg = parse_cfg(&text).unwrap();
        prop_assert_eq!(cfg.constants, consts);
    }

    #[test]
    fn dump_parser_never_panics(s in "[\\[\\]{}0-9,:\"a-z ]{0,60}") {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&s) {
            let _ = dump_trace_to_steps(&v);
        }
    }
}
