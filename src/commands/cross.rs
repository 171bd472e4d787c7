//! `flashcheck cross`: the Rust port and its TLA+ twin for the same constants; exit 1 unless
//! they agree on the distinct-state count and every verdict, 3 when a limit stopped either.

use crate::check::CheckOptions;
use crate::cli::CrossArgs;
use crate::outcome::Outcome;
use crate::registry::Registry;
use crate::report::text;
use crate::tla::{self, TlaOptions};
use crate::twin::{self, EngineChoice};
use anyhow::Result;

/// Runs `flashcheck cross`.
pub fn run(args: &CrossArgs, registry: &Registry) -> Result<Outcome> {
    let model = registry.get(&args.model.model)?;
    model.twin()?;
    let (constants, port) = args.model.build(registry)?;
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
    let options: TlaOptions =
        super::tla::options(&args.limits, args.engine.workers.map_or(1, usize::from))?;
    let mut check_options = CheckOptions::default();
    check_options.limits.max_states = options.max_states;
    check_options.limits.timeout = options.timeout;
    // Ctrl-C stops the TLA+ engine cleanly once the twin runs (the Rust check keeps the
    // default: Ctrl-C ends it at once).
    let twin::Crossed {
        rust,
        twin: mut tla_report,
        comparison,
    } = twin::cross(
        &port,
        command,
        &check_options,
        &engine,
        &options,
        tla::child::install_interrupt_handlers,
    )?;
    // The twin's files were in a tempdir that is gone: point at the command that keeps them.
    tla_report.command = format!(
        "flashcheck tla {} {}{saga} --engine {} --keep DIR   (keeps the generated MC.tla and .cfg files for a direct run)",
        model.as_str(),
        constants.as_args(),
        tla_report.engine.as_str()
    );
    let limited = !rust.complete || !tla_report.complete;
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
