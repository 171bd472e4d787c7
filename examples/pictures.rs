//! Writes every kind of audit picture into a directory, the way `flashcheck audit` is meant
//! to: `cargo run --example pictures -- [OUT_DIR] [MAX_USERS]` (default `target/pictures`, 4).
//!
//! - `latency.svg`: the §3.1 latency budget (deterministic);
//! - `inventory-states.svg`: distinct states against Users, Rust port and TLA+ twin
//!   (deterministic), and `inventory-time.svg`: the same runs' wall time (machine-dependent);
//! - `saga-create_order.dot` (+ `.svg` when Graphviz is installed);
//! - `<model>-<property>.dot` (+ `.svg`) for each failing property of two seed findings.

use flashcheck::arith::design::Design;
use flashcheck::check::CheckOptions;
use flashcheck::registry::{builtin, Constants, Entry, Port};
use flashcheck::report::dot::{counterexample_dot, render_svg, saga_dot};
use flashcheck::report::figures::{growth_chart, latency_chart, GrowthMetric};
use flashcheck::report::CheckReport;
use flashcheck::tla::{TlaEngine, TlaOptions};
use flashcheck::twin;
use std::path::{Path, PathBuf};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn port(model: &'static Entry, constants: &[String]) -> Result<(Constants, Port)> {
    let constants = Constants::parse(model, constants)?;
    let port = Port::build(&constants)?;
    Ok((constants, port))
}

/// The Rust port's report and its TLA+ twin's (tla-checker: no jar needed).
fn both(model: &'static Entry, constants: &[String]) -> Result<[CheckReport; 2]> {
    let (parsed, port) = port(model, constants)?;
    let command = format!("flashcheck check {model} {}", parsed.as_args());
    let crossed = twin::cross(
        &port,
        command,
        &CheckOptions::default(),
        &TlaEngine::TlaChecker,
        &TlaOptions::default(),
        || {},
    )?;
    Ok([crossed.rust, crossed.twin])
}

/// Writes `name.dot` and, when Graphviz is installed, `name.svg`.
fn write_dot(out: &Path, name: &str, dot: &str) -> Result<()> {
    std::fs::write(out.join(format!("{name}.dot")), dot)?;
    match render_svg(dot)? {
        Some(svg) => std::fs::write(out.join(format!("{name}.svg")), svg)?,
        None => println!("{name}: Graphviz `dot` not found, kept {name}.dot only"),
    }
    Ok(())
}

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let out = PathBuf::from(args.next().unwrap_or_else(|| "target/pictures".into()));
    let max_users: u32 = args.next().map_or(Ok(4), |n| n.parse())?;
    std::fs::create_dir_all(&out)?;

    let spec = Design::load(Path::new("specs/double11.toml"))?;
    std::fs::write(out.join("latency.svg"), latency_chart(&spec).to_svg())?;

    let mut reports = Vec::new();
    for users in 1..=max_users {
        let constants = [
            format!("Users={users}"),
            "Stock=2".into(),
            "Deduction=atomic".into(),
        ];
        reports.extend(both(&builtin::INVENTORY, &constants)?);
    }
    let states = growth_chart(
        &reports,
        "Users",
        &["Deduction"],
        GrowthMetric::DistinctStates,
    )?;
    std::fs::write(out.join("inventory-states.svg"), states.to_svg())?;
    let time = growth_chart(&reports, "Users", &["Deduction"], GrowthMetric::Seconds)?;
    std::fs::write(out.join("inventory-time.svg"), time.to_svg())?;

    write_dot(
        &out,
        "saga-create_order",
        &saga_dot(&flashcheck::specs::load_saga_or_seed(None)?),
    )?;

    for (model, constants) in [
        (
            &builtin::INVENTORY,
            ["Users=3", "Stock=2", "Deduction=read_then_write"].as_slice(),
        ),
        (&builtin::INVENTORY_SEED, ["Users=3", "Stock=2"].as_slice()),
    ] {
        let constants: Vec<String> = constants.iter().map(|s| s.to_string()).collect();
        let (parsed, port) = port(model, &constants)?;
        let command = format!("flashcheck check {model} {}", parsed.as_args());
        let report = port.check(model.as_str(), command, &CheckOptions::default());
        for p in report.properties.iter().filter(|p| p.is_failure()) {
            if let Some(dot) = counterexample_dot(&report, p) {
                write_dot(&out, &format!("{model}-{}", p.name), &dot)?;
            }
        }
    }
    println!("pictures written to {}", out.display());
    Ok(())
}
