//! End-to-end checks of the toy specs in `tests/fixtures/tla/` with both engines.
//!
//! TLC tests need java and a `tla2tools.jar` (see `find_tla2tools`); without them each prints
//! one line `TLC cross-validation skipped: <why>` and returns. tla-checker tests run
//! everywhere. Both engines must agree on every count and verdict below.

#[path = "support/skip.rs"]
mod skip;

use flashcheck::outcome::Outcome;
use flashcheck::report::{CheckReport, PropertyKind};
use flashcheck::tla::{self, TlaEngine, TlaError, TlaJob, TlaOptions, TlaProperty};
use flashcheck::verdict::Verdict;
use serde_json::json;
use std::collections::BTreeMap;
use std::path::PathBuf;

fn spec(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/tla")
        .join(format!("{name}.tla"))
}

fn prop(name: &str, kind: PropertyKind) -> TlaProperty {
    TlaProperty {
        name: name.into(),
        kind,
        description: format!("{name} (test)"),
    }
}

fn job(
    name: &str,
    constants: &[(&str, &str)],
    specification: &str,
    props: Vec<TlaProperty>,
) -> TlaJob {
    TlaJob {
        model: name.to_lowercase(),
        spec: spec(name),
        constants: constants
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
        model_values: Vec::new(),
        specification: specification.into(),
        properties: props,
        constraint: None,
        user_cfg: None,
    }
}

fn counter_job() -> TlaJob {
    use PropertyKind::*;
    job(
        "Counter",
        &[("Max", "4")],
        "Spec",
        vec![
            prop("deadlock_free", Always),
            prop("TypeOK", Always),
            prop("Small", Always),
            prop("ReachMax", Sometimes),
            prop("Beyond", Sometimes),
            prop("EventuallyMax", Eventually),
        ],
    )
}

fn shop_job(mode: &str) -> TlaJob {
    let mut j = job(
        "Shop",
        &[("Users", "{u1, u2}"), ("Stock", "1"), ("Mode", mode)],
        "Spec",
        vec![
            prop("TypeOK", PropertyKind::Always),
            prop("NoOversell", PropertyKind::Always),
            prop("SoldOut", PropertyKind::Sometimes),
        ],
    );
    j.model_values = vec!["NoUser".into()];
    j
}

fn verdicts(r: &CheckReport) -> Vec<(&str, Verdict)> {
    r.properties
        .iter()
        .map(|p| (p.name.as_str(), p.verdict))
        .collect()
}

fn actions(r: &CheckReport, name: &str) -> Vec<String> {
    let p = r.properties.iter().find(|p| p.name == name).unwrap();
    p.counterexample
        .as_ref()
        .unwrap()
        .iter()
        .map(|s| s.action.clone())
        .collect()
}

fn last_state(r: &CheckReport, name: &str) -> BTreeMap<String, serde_json::Value> {
    let p = r.properties.iter().find(|p| p.name == name).unwrap();
    p.counterexample
        .as_ref()
        .unwrap()
        .last()
        .unwrap()
        .state
        .clone()
}

fn opts() -> TlaOptions {
    TlaOptions {
        workers: 1,
        ..TlaOptions::default()
    }
}

// ---- expectations shared by both engines ----

fn assert_counter(r: &CheckReport) {
    use Verdict::*;
    assert_eq!(
        verdicts(r),
        [
            ("deadlock_free", Holds),
            ("TypeOK", Holds),
            ("Small", Violated),
            ("ReachMax", Holds),
            ("Beyond", Violated),
            ("EventuallyMax", Holds)
        ]
    );
    assert_eq!(r.distinct_states, 5);
    assert!(r.complete);
    assert_eq!(r.outcome(), Outcome::Refuted);
    let small = last_state(r, "Small");
    assert!(
        small["x"] == json!(3) || small["x"] == json!(4),
        "{small:?}"
    );
    assert_eq!(
        actions(r, "Small").len(),
        3,
        "a shortest counterexample: two steps"
    );
    assert_eq!(
        last_state(r, "ReachMax")["x"],
        json!(4),
        "the witness reaches Max"
    );
    assert!(r.properties[4]
        .note
        .as_deref()
        .unwrap()
        .contains("never reached"));
}

fn assert_stuck(r: &CheckReport) {
    assert_eq!(
        verdicts(r),
        [
            ("deadlock_free", Verdict::Violated),
            ("TypeOK", Verdict::Holds)
        ]
    );
    assert_eq!(r.distinct_states, 4);
    assert_eq!(
        actions(r, "deadlock_free"),
        ["Init", "Next", "Next", "Next"]
    );
    assert_eq!(last_state(r, "deadlock_free")["x"], json!(3));
}

fn assert_toggle(r: &CheckReport) {
    assert_eq!(
        verdicts(r),
        [("TypeOK", Verdict::Holds), ("Finishes", Verdict::Violated)]
    );
    assert_eq!(r.distinct_states, 3);
    let p = &r.properties[1];
    let cex = p.counterexample.as_ref().unwrap();
    let cycle_start = p.cycle_start.unwrap();
    assert!(
        cex[cycle_start..].iter().all(|s| s.state["x"] != json!(2)),
        "the cycle never finishes: {cex:?}"
    );
}

fn assert_lazy(r: &CheckReport) {
    let p = &r.properties[0];
    assert_eq!(p.verdict, Verdict::Violated);
    let cex = p.counterexample.as_ref().unwrap();
    assert_eq!(
        p.cycle_start,
        Some(cex.len() - 1),
        "stuttering in the last state"
    );
    assert_ne!(cex.last().unwrap().state["x"], json!(4));
    assert_eq!(r.distinct_states, 5);
}

fn assert_shop_racy(r: &CheckReport) {
    use Verdict::*;
    assert_eq!(
        verdicts(r),
        [
            ("TypeOK", Holds),
            ("NoOversell", Violated),
            ("SoldOut", Holds)
        ]
    );
    let last = last_state(r, "NoOversell");
    assert_eq!(
        last["bought"],
        json!(["u1", "u2"]),
        "both users bought the one item"
    );
    assert_eq!(last["stock"], json!(0));
    assert_eq!(r.constants["NoUser"], "NoUser");
}

fn assert_shop_atomic(r: &CheckReport) {
    use Verdict::*;
    assert_eq!(
        verdicts(r),
        [("TypeOK", Holds), ("NoOversell", Holds), ("SoldOut", Holds)]
    );
    assert!(r.complete);
}

fn lazy_job() -> TlaJob {
    job(
        "Counter",
        &[("Max", "4")],
        "LazySpec",
        vec![prop("EventuallyMax", PropertyKind::Eventually)],
    )
}

fn toggle_job() -> TlaJob {
    job(
        "Toggle",
        &[],
        "Spec",
        vec![
            prop("TypeOK", PropertyKind::Always),
            prop("Finishes", PropertyKind::Eventually),
        ],
    )
}

fn stuck_job() -> TlaJob {
    job(
        "Stuck",
        &[("Max", "3")],
        "Spec",
        vec![
            prop("deadlock_free", PropertyKind::Always),
            prop("TypeOK", PropertyKind::Always),
        ],
    )
}

// ---- TLC ----

fn tlc() -> Option<TlaEngine> {
    let jar = match tla::find_tla2tools(None) {
        Ok(j) => j,
        Err(e) => {
            skip::skip("TLC cross-validation", &e.to_string());
            return None;
        }
    };
    match std::process::Command::new("java").arg("-version").output() {
        Ok(o) if o.status.success() => Some(TlaEngine::Tlc { jar }),
        Ok(o) => {
            skip::skip(
                "TLC cross-validation",
                &format!("`java -version` exited {}", o.status),
            );
            None
        }
        Err(e) => {
            skip::skip("TLC cross-validation", &format!("cannot run java: {e}"));
            None
        }
    }
}

#[test]
fn tlc_counter() {
    let Some(engine) = tlc() else { return };
    let r = tla::run(&counter_job(), &engine, &opts()).unwrap();
    assert_counter(&r);
    assert_eq!((r.generated_states, r.depth), (9, 3));
    assert_eq!(actions(&r, "Small"), ["Init", "Inc(1)", "Inc(2)"]);
    // Every property in one run: Small and ReachMax stop a run each, the third (with the
    // liveness property EventuallyMax in it) completes.
    assert_eq!(r.command.matches("tlc2.TLC").count(), 3, "{}", r.command);
}

#[test]
fn tlc_deadlock() {
    let Some(engine) = tlc() else { return };
    assert_stuck(&tla::run(&stuck_job(), &engine, &opts()).unwrap());
}

#[test]
fn tlc_liveness_back_loop() {
    let Some(engine) = tlc() else { return };
    let r = tla::run(&toggle_job(), &engine, &opts()).unwrap();
    assert_toggle(&r);
    assert_eq!(actions(&r, "Finishes"), ["Init", "Flip"]);
    assert_eq!(r.properties[1].cycle_start, Some(0));
}

#[test]
fn tlc_liveness_stuttering() {
    let Some(engine) = tlc() else { return };
    assert_lazy(&tla::run(&lazy_job(), &engine, &opts()).unwrap());
}

#[test]
fn tlc_shop() {
    let Some(engine) = tlc() else { return };
    let r = tla::run(&shop_job("\"racy\""), &engine, &opts()).unwrap();
    assert_shop_racy(&r);
    assert_eq!(
        actions(&r, "NoOversell"),
        ["Init", "Read(u1)", "Read(u2)", "Buy(u1)", "Buy(u2)"]
    );
    let a = tla::run(&shop_job("\"atomic\""), &engine, &opts()).unwrap();
    assert_shop_atomic(&a);
}

#[test]
fn tlc_parse_error() {
    let Some(engine) = tlc() else { return };
    let j = job("Broken", &[], "Spec", vec![]);
    match tla::run(&j, &engine, &opts()) {
        Err(TlaError::Spec { message, spec, .. }) => {
            assert!(message.contains("Encountered"), "{message}");
            assert!(spec.ends_with("Broken.tla"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn tlc_state_limit_makes_the_report_incomplete() {
    let Some(engine) = tlc() else { return };
    let j = job(
        "Counter",
        &[("Max", "4")],
        "Spec",
        vec![prop("TypeOK", PropertyKind::Always)],
    );
    let r = tla::run(
        &j,
        &engine,
        &TlaOptions {
            max_states: Some(2),
            ..opts()
        },
    )
    .unwrap();
    assert!(!r.complete);
    assert_eq!(r.properties[0].verdict, Verdict::Unknown);
    assert_eq!(r.outcome(), Outcome::Undecided);
}

#[test]
fn tlc_keep_dir_makes_the_command_runnable() {
    let Some(engine) = tlc() else { return };
    let keep = tempfile::tempdir().unwrap();
    let j = job(
        "Counter",
        &[("Max", "4")],
        "Spec",
        vec![prop("TypeOK", PropertyKind::Always)],
    );
    let r = tla::run(
        &j,
        &engine,
        &TlaOptions {
            keep_dir: Some(keep.path().into()),
            ..opts()
        },
    )
    .unwrap();
    assert!(keep.path().join("MC.tla").is_file() && keep.path().join("run1.cfg").is_file());
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{} > /dev/null", r.command))
        .status()
        .unwrap();
    assert!(status.success(), "{}", r.command);
}

#[test]
fn tlc_job_from_cfg() {
    let Some(engine) = tlc() else { return };
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("Stuck.cfg");
    std::fs::write(
        &cfg,
        "\\* user cfg\nCONSTANT Max = 3\nINIT Init\nNEXT Next\nINVARIANT TypeOK\n",
    )
    .unwrap();
    let j = tla::job_from_cfg(&spec("Stuck"), &cfg).unwrap();
    assert_eq!(j.specification, "INIT Init NEXT Next");
    assert_stuck(&tla::run(&j, &engine, &opts()).unwrap());
}

// ---- tla-checker (in-process; runs everywhere) ----

#[cfg(feature = "tla-checker")]
mod checker {
    use super::*;

    #[test]
    fn checker_counter() {
        let r = tla::run(&counter_job(), &TlaEngine::TlaChecker, &opts()).unwrap();
        assert_counter(&r);
        assert_eq!(r.engine, flashcheck::report::Engine::TlaChecker);
    }

    #[test]
    fn checker_deadlock() {
        assert_stuck(&tla::run(&stuck_job(), &TlaEngine::TlaChecker, &opts()).unwrap());
    }

    #[test]
    fn checker_liveness_back_loop() {
        assert_toggle(&tla::run(&toggle_job(), &TlaEngine::TlaChecker, &opts()).unwrap());
    }

    #[test]
    fn checker_liveness_stuttering() {
        assert_lazy(&tla::run(&lazy_job(), &TlaEngine::TlaChecker, &opts()).unwrap());
    }

    #[test]
    fn checker_shop() {
        assert_shop_racy(
            &tla::run(&shop_job("\"racy\""), &TlaEngine::TlaChecker, &opts()).unwrap(),
        );
        assert_shop_atomic(
            &tla::run(&shop_job("\"atomic\""), &TlaEngine::TlaChecker, &opts()).unwrap(),
        );
    }

    #[test]
    fn checker_parse_error() {
        let j = job("Broken", &[], "Spec", vec![]);
        assert!(matches!(
            tla::run(&j, &TlaEngine::TlaChecker, &opts()),
            Err(TlaError::Spec { .. })
        ));
    }

    #[test]
    fn checker_state_limit_makes_the_report_incomplete() {
        let j = job(
            "Counter",
            &[("Max", "4")],
            "Spec",
            vec![prop("TypeOK", PropertyKind::Always)],
        );
        let r = tla::run(
            &j,
            &TlaEngine::TlaChecker,
            &TlaOptions {
                max_states: Some(2),
                ..opts()
            },
        )
        .unwrap();
        assert!(!r.complete);
        assert_eq!(r.properties[0].verdict, Verdict::Unknown);
    }
}

// ---- the lead's Inventory twin: both engines must agree ----

#[cfg(feature = "tla-checker")]
fn inventory_job(deduction: &str) -> TlaJob {
    use PropertyKind::*;
    TlaJob {
        model: format!("inventory-{deduction}"),
        spec: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tla/Inventory.tla"),
        constants: [
            ("Users", "3".to_string()),
            ("Stock", "2".into()),
            ("Deduction", format!("\"{deduction}\"")),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect(),
        model_values: Vec::new(),
        specification: "Spec".into(),
        properties: vec![
            prop("deadlock_free", Always),
            prop("no_oversell", Always),
            prop("conservation", Always),
            prop("no_false_soldout", Always),
            prop("sold_out_reachable", Sometimes),
            prop("settles", Eventually),
        ],
        constraint: None,
        user_cfg: None,
    }
}

#[cfg(feature = "tla-checker")]
#[test]
fn inventory_engines_agree() {
    for deduction in ["atomic", "read_then_write"] {
        let j = inventory_job(deduction);
        let c = tla::run(&j, &TlaEngine::TlaChecker, &opts()).unwrap();
        assert!(c.complete);
        let oversell = c
            .properties
            .iter()
            .find(|p| p.name == "no_oversell")
            .unwrap()
            .verdict;
        let expected = if deduction == "atomic" {
            Verdict::Holds
        } else {
            Verdict::Violated
        };
        assert_eq!(oversell, expected, "{deduction}");
        let Some(engine) = tlc() else { continue };
        let t = tla::run(&j, &engine, &opts()).unwrap();
        assert_eq!(
            (t.distinct_states, t.depth),
            (c.distinct_states, c.depth),
            "{deduction}"
        );
        assert_eq!(verdicts(&t), verdicts(&c), "{deduction}");
    }
}
