//! `flashcheck cross`: the Rust port and its TLA+ twin for the same constants; exit 1 unless
//! they agree on the distinct-state count and every verdict, 3 when a limit stopped either.

use anyhow::Result;
use flashcheck::catalog::build_port;
use flashcheck::check::CheckOptions;
use flashcheck::cli::CrossArgs;
use flashcheck::outcome::Outcome;
use flashcheck::report::text;
use flashcheck::tla::{self, TlaOptions};
use flashcheck::twin::{self, EngineChoice};

/// Runs `flashcheck cross`.
pub fn run(args: &CrossArgs) -> Result<Outcome> {
    let model = args.model.model;
    let (constants, port) = build_port(model, &args.model.constants, args.model.saga.as_deref())?;
    let engine = EngineChoice::parse(args.engine.engine.as_deref())?
        .resolve(args.engine.tla2tools.as_deref())?;
    let saga = args
        .model
        .saga
        .as_ref()
        .map(|s| {
            format!(
                " --saga {}",
                tla::tlc::shell_quote(&s.display().to_string())
            )
        })
        .unwrap_or_default();
    let command = args.model.reproduce("cross", &constants);
    let options: TlaOptions = super::tla::options(&args.limits, args.engine.workers)?;
    let mut check_options = CheckOptions::default();
    check_options.limits.max_states = options.max_states;
    check_options.limits.timeout = options.timeout;
    let rust = port.check(model.as_str(), command.clone(), &check_options);
    // From here on Ctrl-C stops the TLA+ engine cleanly (the Rust check above keeps the
    // default: Ctrl-C ends it at once).
    tla::child::install_interrupt_handlers();
    let dir = tempfile::tempdir()?;
    let job = twin::job(model, &port, dir.path())?;
    let mut tla_report = tla::run(&job, &engine, &options)?;
    port.annotate(&mut tla_report);
    // The twin's files were in a tempdir that is gone: point at the command that keeps them.
    tla_report.command = format!(
        "flashcheck tla {} {}{saga} --engine {} --keep DIR   (keeps the generated MC.tla and .cfg files for a direct run)",
        model.as_str(),
        constants.as_args(),
        tla_report.engine.as_str()
    );
    let limited = !rust.complete || !tla_report.complete;
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
    Ok(if limited {
        Outcome::Undecided
    } else {
        Outcome::holds_if(comparison.agree)
    })
}
