//! `flashcheck cross`: the Rust port and its TLA+ twin for the same constants; exit 1 unless
//! they agree on the distinct-state count and every verdict.

use anyhow::Result;
use flashcheck::catalog::build_port;
use flashcheck::check::CheckOptions;
use flashcheck::cli::CrossArgs;
use flashcheck::report::text;
use flashcheck::tla::{self, TlaOptions};
use flashcheck::twin::{self, EngineChoice};

/// Runs `flashcheck cross`.
pub fn run(args: &CrossArgs) -> Result<i32> {
    let model = args.model.model;
    let (constants, port) = build_port(model, &args.model.constants, args.model.saga.as_deref())?;
    let engine = EngineChoice::parse(args.engine.engine.as_deref())?
        .resolve(args.engine.tla2tools.as_deref())?;
    let command = args.model.reproduce("cross", &constants);
    let rust = port.check(model.as_str(), command.clone(), &CheckOptions::default());
    let dir = tempfile::tempdir()?;
    let job = twin::job(model, &port, dir.path())?;
    let options = TlaOptions {
        workers: args.engine.workers,
        ..TlaOptions::default()
    };
    let mut tla_report = tla::run(&job, &engine, &options)?;
    port.annotate(&mut tla_report);
    let comparison = twin::compare(&rust, &tla_report);
    if args.json {
        let both = serde_json::json!({
            "model": model.as_str(),
            "agree": comparison.agree,
            "differences": comparison.differences,
            "rust": rust,
            "tla": tla_report,
        });
        println!("{}", serde_json::to_string_pretty(&both)?);
    } else {
        print!("{}", text::render(&rust));
        println!();
        print!("{}", text::render(&tla_report));
        println!();
        if comparison.agree {
            println!(
                "cross: AGREE — {} distinct states; every verdict equal ({} vs {})",
                rust.distinct_states,
                rust.engine.as_str(),
                tla_report.engine.as_str()
            );
        } else {
            println!("cross: DISAGREE");
            for d in &comparison.differences {
                println!("  {d}");
            }
        }
    }
    Ok(if comparison.agree { 0 } else { 1 })
}
