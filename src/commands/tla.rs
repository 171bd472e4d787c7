//! `flashcheck tla`: a built-in model's TLA+ twin, or any spec, through TLC or tla-checker.

use super::print_report;
use crate::cli::{TlaArgs, TlaLimitArgs};
use crate::outcome::Outcome;
use crate::registry::{Port, Registry};
use crate::tla::{self, TlaOptions};
use crate::twin::{self, EngineChoice};
use anyhow::{bail, Result};

/// The options of a TLA+ check from its limit arguments.
pub fn options(limits: &TlaLimitArgs, workers: usize) -> Result<TlaOptions> {
    Ok(TlaOptions {
        workers,
        timeout: super::check::timeout(limits.timeout)?,
        max_states: limits.max_states,
        max_memory: limits.max_memory,
        ..TlaOptions::default()
    })
}

/// Runs `flashcheck tla`.
pub fn run(args: &TlaArgs, registry: &Registry) -> Result<Outcome> {
    if args.spec.is_some() && !args.constants.is_empty() {
        bail!(
            "-c {} applies to built-in models only; with --spec the constants come from the cfg (--config FILE.cfg)",
            args.constants[0]
        );
    }
    let engine = EngineChoice::parse(args.engine.engine.as_deref())?
        .resolve(args.engine.tla2tools.as_deref())?;
    let options = TlaOptions {
        keep_dir: args.keep.clone(),
        libs: args.libs.clone(),
        ..options(&args.limits, args.engine.workers.map_or(1, usize::from))?
    };
    let dir = tempfile::tempdir()?;
    let (job, port): (_, Option<Port>) = match (&args.spec, &args.model) {
        (Some(spec), _) => {
            let config = args
                .config
                .clone()
                .unwrap_or_else(|| spec.with_extension("cfg"));
            (tla::job_from_cfg(spec, &config)?, None)
        }
        (None, Some(model)) => {
            let model = registry.get(model)?;
            model.twin()?;
            let (_, port) =
                crate::registry::build_port(model, &args.constants, args.saga.as_deref())?;
            (twin::job(&port, dir.path())?, Some(port))
        }
        (None, None) => bail!("name a model or pass --spec FILE.tla"),
    };
    tla::child::install_interrupt_handlers();
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
    print_report(&report, &args.output);
    if let Some(dir) = &args.traces {
        // The report is out first: a trace directory that cannot be written loses nothing
        // (one line says why, the exit code is still the check's).
        let written = if dir.exists() && !dir.is_dir() {
            Err(anyhow::anyhow!("exists and is not a directory"))
        } else {
            crate::trace::write_report_traces(&report, registry, dir).map_err(anyhow::Error::from)
        };
        match written {
            Ok(n) => eprintln!("tla: {n} trace(s) written to {} as ITF", dir.display()),
            Err(e) => eprintln!(
                "flashcheck: --traces {}: {}; no traces written",
                dir.display(),
                format!("{e:#}").replace('\n', " ")
            ),
        }
    }
    Ok(report.outcome())
}
