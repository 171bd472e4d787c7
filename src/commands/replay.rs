//! `flashcheck replay`: ITF traces or generated walks replayed against the reference
//! implementation, inline or concurrently; exit 0 all conform, 1 a mismatch or a
//! non-linearizable history, 2 bad input.

use anyhow::{bail, Context, Result};
use flashcheck::catalog::{build_port, load_saga_or_seed, Port};
use flashcheck::cli::ReplayArgs;
use flashcheck::replay::driver::{self, PathToReplay, ReplayReport, WorkloadReport};
use flashcheck::replay::inventory::InventoryConformance;
use flashcheck::replay::linearizability::Outcome;
use flashcheck::replay::saga::{max_running_sagas, SagaConformance};
use flashcheck::replay::{Conformance, ExecutorChoice};
use flashcheck::trace::{decode_path, random_walk, SplitMix64, Trace};
use flashcheck_models::Spec;

use std::path::{Path, PathBuf};
use std::sync::Arc;

fn progress(what: &'static str, quiet: bool) -> impl Fn(usize, usize) {
    move |done, total| {
        if !quiet && total >= 20 {
            eprint!("\rreplay: {done}/{total} {what}");
            if done == total {
                eprintln!();
            }
        }
    }
}

/// The `.itf.json` (or `.json`) files under `path`, sorted; `path` itself if it is a file.
fn trace_files(path: &Path) -> Result<Vec<PathBuf>> {
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .with_context(|| format!("--traces {}", path.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    if files.is_empty() {
        bail!("--traces {}: no .json trace files", path.display());
    }
    Ok(files)
}

fn paths<M: Spec>(
    model: &M,
    args: &ReplayArgs,
    base: &str,
) -> Result<Vec<PathToReplay<M::State, M::Action>>>
where
    M::State: Clone,
    M::Action: Clone,
{
    let mut out = Vec::new();
    if let Some(dir) = &args.traces {
        for file in trace_files(dir)? {
            let trace = Trace::read(&file).with_context(|| file.display().to_string())?;
            let (init, actions) =
                decode_path(model, &trace).with_context(|| file.display().to_string())?;
            out.push(PathToReplay {
                name: file.display().to_string(),
                init,
                actions,
                command: format!("{base} --traces {}", file.display()),
            });
        }
    } else if let Some(n) = args.generate {
        for i in 0..n {
            let seed = args.seed.wrapping_add(i as u64);
            let Some((init, actions)) = random_walk(model, args.depth, &mut SplitMix64::new(seed))
            else {
                bail!("the model has no initial state");
            };
            out.push(PathToReplay {
                name: format!("walk seed {seed}"),
                init,
                actions,
                command: format!("{base} --generate 1 --seed {seed} --depth {}", args.depth),
            });
        }
    }
    Ok(out)
}

/// Runs `flashcheck replay`.
pub fn run(args: &ReplayArgs) -> Result<i32> {
    let saga_file = args.model.saga.as_deref();
    let (constants, port) = build_port(args.model.model, &args.model.constants, saga_file)?;
    let executor = args.executor;
    let mut base = format!(
        "flashcheck replay {} {} --executor {} --store {}",
        args.model.model.as_str(),
        constants.as_args(),
        clap::ValueEnum::to_possible_value(&executor)
            .map_or_else(String::new, |v| v.get_name().to_string()),
        clap::ValueEnum::to_possible_value(&args.store)
            .map_or_else(String::new, |v| v.get_name().to_string()),
    );
    if let Some(file) = saga_file {
        base.push_str(&format!(" --saga {}", file.display()));
    }
    match port {
        Port::Inventory(model) => {
            let c = InventoryConformance::new(model, args.store)?;
            let c = match args.workload {
                Some(users) => c.with_stock(
                    args.stock
                        .unwrap_or((users / 2).min(u64::from(u32::MAX)) as u32),
                ),
                None => c,
            };
            replay_with(c, args, &base)
        }
        Port::Saga(model) => {
            if let (Some(sagas), Some(max)) = (args.workload, max_running_sagas()) {
                if sagas > max {
                    bail!(
                        "--workload {sagas}: every running saga holds its log file open, and the \
                         open-file limit (ulimit -n) leaves room for {max}"
                    );
                }
            }
            let definition = load_saga_or_seed(saga_file)?;
            replay_with(SagaConformance::new(model, definition)?, args, &base)
        }
        _ => bail!(
            "model {}: no implementation to replay against (replayable: inventory, saga)",
            args.model.model
        ),
    }
}

/// Replays `args`' paths or workload through the correspondence `c`.
fn replay_with<C: Conformance + Send + 'static>(c: C, args: &ReplayArgs, base: &str) -> Result<i32>
where
    <C::Model as stateright::Model>::State: Clone,
    <C::Model as stateright::Model>::Action: Clone,
{
    let executor = args.executor;
    if let Some(users) = args.workload {
        if executor == ExecutorChoice::Inline {
            bail!("--workload needs --executor pool or pinned");
        }
        let report = driver::replay_workload(
            Arc::new(c),
            executor,
            users,
            args.seed,
            None,
            &progress("users", args.json),
        )?;
        print_workload(&report, args.json)?;
        return Ok(i32::from(!report.outcome.is_ok()));
    }
    let paths = paths(c.model(), args, base)?;
    let report = driver::replay_paths(
        Arc::new(c),
        args.model.model.as_str(),
        executor,
        &paths,
        None,
        &progress("paths", args.json),
    )?;
    print_report(&report, args.json)?;
    Ok(report.exit_code())
}

fn print_workload(r: &WorkloadReport, json: bool) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(r)?);
        return Ok(());
    }
    let verdict = match &r.outcome {
        Outcome::Linearizable { explored } => format!("LINEARIZABLE ({explored} configurations)"),
        Outcome::NotLinearizable(f) => {
            format!("NOT LINEARIZABLE (stuck at operation {})", f.stuck_at)
        }
    };
    println!(
        "workload: {} users, {} operations on {} workers in {:.3}s; checked in {:.3}s: {verdict}",
        r.clients, r.operations, r.workers, r.run_s, r.check_s
    );
    for op in &r.window {
        println!("  window: {op}");
    }
    Ok(())
}

fn print_report(r: &ReplayReport, json: bool) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(r)?);
        return Ok(());
    }
    println!(
        "replay {} on {:?}: {} path(s), {} steps, {} operations in {:.3}s ({:.0} steps/s): {}",
        r.model,
        r.executor,
        r.paths,
        r.steps,
        r.operations,
        r.elapsed_s,
        r.steps_per_s,
        if r.failures.is_empty() {
            "all conform".to_string()
        } else {
            format!("{} FAIL", r.failures.len())
        }
    );
    for f in &r.failures {
        println!("FAIL {}", f.name);
        if let Some(m) = &f.mismatch {
            println!("  step {} ({}), {} differs", m.step, m.action, m.what);
            if let Some(op) = &m.op {
                println!("  operation: {op}");
            }
            println!("  expected (model):          {}", m.expected);
            println!("  actual (implementation):   {}", m.actual);
        }
        if let Some(v) = &f.violation {
            println!(
                "  not linearizable: {} operation(s) linearized, stuck at operation {}; window:",
                v.failure.linearized, v.failure.stuck_at
            );
            for op in &v.window {
                println!("    {op}");
            }
        }
        println!("  replay: {}", f.command);
    }
    Ok(())
}
