//! Snapshots of the three report formats (text, JSON, Markdown) for a safety counterexample
//! and a liveness lasso; elapsed time is zeroed, the rest is deterministic.

use flashcheck::check::CheckOptions;
use flashcheck::registry::{builtin, Constants, Entry, Port};
use flashcheck::report::{json, markdown, text, CheckReport};

fn report(model: &'static Entry, constants: &[&str]) -> CheckReport {
    let constants = Constants::parse(
        model,
        &constants.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
    )
    .unwrap();
    let command = format!("flashcheck check {model} {}", constants.as_args());
    let mut report =
        Port::build(&constants)
            .unwrap()
            .check(model.as_str(), command, &CheckOptions::default());
    report.elapsed_s = 0.0;
    report
}

#[test]
fn read_then_write_oversell_report() {
    let r = report(
        &builtin::INVENTORY,
        &["Users=2", "Stock=1", "Deduction=read_then_write"],
    );
    insta::assert_snapshot!("rtw_text", text::render(&r));
    insta::assert_snapshot!("rtw_json", json::render(&r));
    insta::assert_snapshot!("rtw_markdown", markdown::render(&r));
}

#[test]
fn seed_deadlock_and_starvation_report() {
    let r = report(&builtin::INVENTORY_SEED, &["Users=3", "Stock=2"]);
    insta::assert_snapshot!("seed_text", text::render(&r));
    insta::assert_snapshot!("seed_markdown", markdown::render(&r));
}
