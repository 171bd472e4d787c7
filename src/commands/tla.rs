//! `flashcheck tla`: a built-in model's TLA+ twin, or any spec, through TLC or tla-checker.

use super::print_report;
use anyhow::Result;
use flashcheck::catalog::{build_port, Port};
use flashcheck::cli::TlaArgs;
use flashcheck::tla::{self, TlaOptions};
use flashcheck::twin::{self, EngineChoice};

/// Runs `flashcheck tla`.
pub fn run(args: &TlaArgs) -> Result<i32> {
    let engine = EngineChoice::parse(args.engine.engine.as_deref())?
        .resolve(args.engine.tla2tools.as_deref())?;
    let options = TlaOptions {
        workers: args.engine.workers,
        keep_dir: args.keep.clone(),
        ..TlaOptions::default()
    };
    let dir = tempfile::tempdir()?;
    let (job, port): (_, Option<Port>) = match (&args.spec, args.model) {
        (Some(spec), _) => {
            let config = args
                .config
                .clone()
                .unwrap_or_else(|| spec.with_extension("cfg"));
            (tla::job_from_cfg(spec, &config)?, None)
        }
        (None, Some(model)) => {
            let (_, port) = build_port(model, &args.constants, args.saga.as_deref())?;
            (twin::job(model, &port, dir.path())?, Some(port))
        }
        (None, None) => anyhow::bail!("name a model or pass --spec FILE.tla"),
    };
    let mut report = tla::run(&job, &engine, &options)?;
    if let Some(port) = &port {
        port.annotate(&mut report);
    }
    if args.keep.is_none() {
        // TLC's files were in a tempdir that is gone: point at the command that keeps them.
        report.command = format!(
            "{} --keep DIR   (keeps the generated MC.tla and .cfg files for a direct TLC run)",
            std::env::args().collect::<Vec<_>>().join(" ")
        );
    }
    if let Some(dir) = &args.traces {
        let written = super::traces::write_report_traces(&report, dir)?;
        eprintln!(
            "tla: {written} trace(s) written to {} as ITF",
            dir.display()
        );
    }
    print_report(&report, &args.output);
    Ok(report.exit_code())
}
