//! `flashcheck replay`: ITF traces or generated walks replayed against the reference
//! implementation, inline or concurrently; exit 0 all conform, 1 a mismatch or a
//! non-linearizable history, 2 bad input.

use crate::cli::ReplayArgs;
use crate::outcome;
use crate::registry::Registry;
use crate::replay::driver::{self, ReplayReport, WorkloadReport};
use crate::replay::job::{trace_files, Done, Job, ReplaySetup};
use crate::replay::linearizability::Outcome;
use crate::replay::saga::max_running_sagas;
use crate::replay::sweep;
use crate::specs::load_saga_or_seed;
use crate::trace::{check_origin, read_meta};
use anyhow::{bail, Context, Result};
use std::path::Path;

/// Progress on stderr for long replays, only when stderr is a terminal.
fn progress(what: &'static str, quiet: bool) -> impl Fn(usize, usize) {
    let shown = !quiet && std::io::IsTerminal::is_terminal(&std::io::stderr());
    move |done, total| {
        if shown && total >= 20 {
            eprint!("\rreplay: {done}/{total} {what}");
            if done == total {
                eprintln!();
            }
        }
    }
}

/// Refuses the trace files under `dir` whose `#meta` names another model or other
/// constants than `model`'s `constants` (a trace that would otherwise be matched against
/// the wrong configuration, and might even conform).
fn check_trace_origins(dir: &Path, model: &str, constants: &str) -> Result<()> {
    for file in trace_files(dir)? {
        let what = || format!("{}: not a replayable trace", file.display());
        let meta = read_meta(&file).with_context(what)?;
        check_origin(&meta, model, constants).with_context(what)?;
    }
    Ok(())
}

/// Runs `flashcheck replay`: with `--generate`, every configuration of the bound sweep
/// (`replay::sweep`) unless `--no-sweep`.
pub fn run(args: &ReplayArgs, registry: &Registry) -> Result<outcome::Outcome> {
    let model = registry.get(&args.model.model)?;
    if let Some(url) = &args.target {
        if model.name != crate::registry::builtin::INVENTORY.name {
            bail!("--target: only the inventory model has targets");
        }
        return run_target(args, url);
    }
    let configurations = if args.generate.is_some() && !args.no_sweep {
        sweep::configurations(model, &args.model.constants)
    } else {
        vec![args.model.constants.clone()]
    };
    if let [only] = configurations.as_slice() {
        return match run_configuration(args, registry, only)?.1 {
            Done::Workload(report) => {
                print_workload(&report, args.json)?;
                Ok(outcome::Outcome::holds_if(report.outcome.is_ok()))
            }
            Done::Paths(report) => {
                print_report(&report, args.json)?;
                Ok(report.outcome())
            }
        };
    }
    let mut reports = Vec::new();
    for assignments in &configurations {
        if let (constants, Done::Paths(report)) = run_configuration(args, registry, assignments)? {
            reports.push(SweptConfiguration {
                constants,
                report: *report,
            });
        }
    }
    print_sweep(&reports, args.json)
}

/// One configuration of a sweep and its replay.
#[derive(Debug, serde::Serialize)]
struct SweptConfiguration {
    /// Its constants, as `-c` arguments.
    constants: String,
    /// Its replay.
    report: ReplayReport,
}

fn print_sweep(reports: &[SweptConfiguration], json: bool) -> Result<outcome::Outcome> {
    let mut coverage = driver::Coverage::default();
    for r in reports {
        coverage.merge(&r.report.coverage);
    }
    let failing: Vec<&str> = reports
        .iter()
        .filter(|r| !r.report.failures.is_empty())
        .map(|r| r.constants.as_str())
        .collect();
    let code = outcome::Outcome::holds_if(failing.is_empty());
    let Some(first) = reports.first() else {
        bail!("the sweep has no configuration to replay");
    };
    if json {
        let out = serde_json::json!({
            "model": first.report.model,
            "executor": first.report.executor,
            "configurations": reports.len(),
            "paths": reports.iter().map(|r| r.report.paths).sum::<usize>(),
            "refusals": reports.iter().map(|r| r.report.refusals).sum::<usize>(),
            "failing_configurations": failing,
            "coverage": coverage,
            "sweep": reports,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(code);
    }
    for r in reports {
        print!("{}: ", r.constants);
        print_paths(&r.report);
    }
    println!("{}", coverage.render_line(&first.report.model));
    println!(
        "sweep {} on {:?}: {} configurations: {}",
        first.report.model,
        first.report.executor,
        reports.len(),
        if failing.is_empty() {
            "all conform".to_string()
        } else {
            format!("FAIL in {}", failing.join("; "))
        }
    );
    Ok(code)
}

/// Runs `args` with the constants `assignments`; returns the constants as `-c` arguments.
fn run_configuration(
    args: &ReplayArgs,
    registry: &Registry,
    assignments: &[String],
) -> Result<(String, Done)> {
    let saga_file = args.model.saga.as_deref();
    let model = registry.get(&args.model.model)?;
    let (constants, port) = crate::registry::build_port(model, assignments, saga_file)?;
    let executor = args.executor;
    let mut base = format!(
        "flashcheck replay {} {} --executor {} --store {}",
        model.name,
        constants.as_args(),
        executor.name(),
        args.store.name(),
    );
    if let Some(file) = saga_file {
        base.push_str(&format!(" --saga {}", file.display()));
    }
    if let (true, Some(sagas), Some(max)) = (model.uses_saga, args.workload, max_running_sagas()) {
        if sagas > max {
            bail!(
                "--workload {sagas}: every running saga holds its log file open, and the \
                 open-file limit (ulimit -n) leaves room for {max}"
            );
        }
    }
    if args.generate == Some(0) {
        bail!("--generate 0: nothing to replay (give at least 1 walk)");
    }
    if args.workload == Some(0) {
        bail!("--workload 0: nothing to replay (give at least 1 client)");
    }
    if args.store != crate::replay::inventory::StoreChoice::Auto
        && model.name != crate::registry::builtin::INVENTORY.name
    {
        bail!(
            "--store: model {} has no stock store (only inventory replays against one)",
            args.model.model
        );
    }
    if let Some(dir) = &args.traces {
        check_trace_origins(dir, model.name, &constants.as_args())?;
    }
    let saga = load_saga_or_seed(saga_file)?;
    let stock = args.workload.map(|users| {
        args.stock
            .unwrap_or((users / 2).min(u64::from(u32::MAX)) as u32)
    });
    let setup = ReplaySetup {
        saga: &saga,
        store: args.store,
        stock,
    };
    let progress = progress(
        if args.workload.is_some() {
            "clients"
        } else {
            "paths"
        },
        args.json,
    );
    let job = Job::Command {
        args,
        base: &base,
        progress: &progress,
    };
    let done = port.replay(&setup, job).ok_or_else(|| {
        anyhow::anyhow!(
            "model {}: no implementation to replay against (replayable: {})",
            model.name,
            registry.replayable().join(", ")
        )
    })??;
    Ok((constants.as_args(), done))
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
        "workload: {} clients, {} operations on {} workers in {:.3}s; checked in {:.3}s: {verdict}",
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
    print_paths(r);
    println!("{}", r.coverage.render_line(&r.model));
    Ok(())
}

/// The summary line and every failure of `r`, with the command that replays it.
fn print_paths(r: &ReplayReport) {
    println!(
        "replay {} on {:?}: {} path(s), {} steps, {} operations, {} negative steps in {:.3}s ({:.0} steps/s): {}",
        r.model,
        r.executor,
        r.paths,
        r.steps,
        r.operations,
        r.refusals,
        r.elapsed_s,
        r.steps_per_s,
        if r.failures.is_empty() {
            "all conform".to_string()
        } else {
            format!("{} FAIL", r.failures.len())
        }
    );
    if r.quiescent_compared + r.quiescent_not_compared > 0 {
        println!(
            "  ticks in order: {} quiescent point(s) compared with the model, {} not compared (several clients between them)",
            r.quiescent_compared, r.quiescent_not_compared
        );
    }
    for f in &r.failures {
        println!("FAIL {}", f.name);
        if let Some(m) = &f.mismatch {
            match &m.refused {
                Some(refused) => println!(
                    "  after step {} ({}): {refused}, which the model does not enable, was not refused ({} differs)",
                    m.step, m.action, m.what
                ),
                None => println!("  step {} ({}), {} differs", m.step, m.action, m.what),
            }
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
}

/// `--target`: the workload against an outside stock service, its history checked against
/// the inventory model.
fn run_target(args: &ReplayArgs, url: &str) -> Result<outcome::Outcome> {
    use crate::replay::store;
    use crate::target::http::HttpTarget;
    use crate::target::mariadb::{Login, MariaDbTarget};
    use crate::target::run::{self as target_run, Faultable, Workload};
    use crate::target::server::{MariaDbServer, RedisServer};
    use crate::target::url::TargetUrl;
    use crate::target::{redis::RedisTarget, Deduction, Setup, Target};

    let clients = args.workload.unwrap_or(1);
    if clients == 0 || args.skus == 0 || args.ops == 0 {
        bail!("--workload, --skus and --ops must be at least 1");
    }
    let mut deduction = Deduction::Atomic;
    for c in &args.model.constants {
        match c.split_once('=') {
            Some(("Deduction", "atomic" | "\"atomic\"")) => deduction = Deduction::Atomic,
            Some(("Deduction", "read_then_write" | "\"read_then_write\"")) => {
                deduction = Deduction::ReadThenWrite
            }
            Some(("Deduction", other)) => {
                bail!("-c Deduction={other}: expected atomic or read_then_write")
            }
            _ => bail!("--target: only -c Deduction=atomic|read_then_write applies, not {c}"),
        }
    }
    let parsed = TargetUrl::parse(url)?;
    let custom = match (&parsed, &args.script, &args.sql) {
        (TargetUrl::Redis { .. }, Some(file), None) => Some(("--script", file)),
        (TargetUrl::Mysql { .. }, None, Some(file)) => Some(("--sql", file)),
        (_, None, None) => None,
        (_, Some(_), _) => bail!("--script FILE.lua applies to a redis:// target only"),
        (_, _, Some(_)) => bail!("--sql FILE.sql applies to a mysql:// target only"),
    };
    if let Some((flag, file)) = custom {
        let text =
            std::fs::read_to_string(file).with_context(|| format!("{flag} {}", file.display()))?;
        deduction = Deduction::Custom {
            file: file.display().to_string(),
            text,
        };
    }
    let stock = args
        .stock
        .unwrap_or(((clients as usize * args.ops) / 4).clamp(1, u32::MAX as usize) as u32);
    let timeout = std::time::Duration::from_millis(args.timeout_ms.max(1));
    let mut server = None;
    let mut mariadb_server = None;
    let mut target: Box<dyn Target> = match parsed {
        TargetUrl::Redis { addr } => {
            let addr = if args.faults.is_empty() {
                addr
            } else {
                let s = RedisServer::start()?;
                let a = s.addr();
                server = Some(s);
                a
            };
            Box::new(RedisTarget::new(addr, deduction, timeout))
        }
        TargetUrl::Mysql {
            addr,
            user,
            password,
            database,
        } => {
            let login = if args.faults.is_empty() {
                Login {
                    addr,
                    user,
                    password,
                    database,
                }
            } else {
                let s = MariaDbServer::start()?;
                let login = Login {
                    addr: s.addr(),
                    user: "root".into(),
                    password: String::new(),
                    database: MariaDbServer::DATABASE.into(),
                };
                mariadb_server = Some(s);
                login
            };
            Box::new(MariaDbTarget::new(login, deduction, timeout)?)
        }
        TargetUrl::Http { addr, prefix, host } => {
            if !args.faults.is_empty() {
                bail!("--faults: flashcheck injects faults only into servers it starts (redis://, mysql://), not into an http:// service");
            }
            if !args.model.constants.is_empty() {
                bail!("-c Deduction: an http:// service deducts as it is written; the constant does not apply");
            }
            Box::new(HttpTarget::new(addr, host, prefix, timeout))
        }
    };
    target.setup(Setup {
        stock,
        skus: args.skus,
    })?;
    let workload = Workload {
        clients: clients as usize,
        ops_per_client: args.ops,
        setup: Setup {
            stock,
            skus: args.skus,
        },
        seed: args.seed,
        faults: args.faults.clone(),
    };
    let faulted: Option<&mut dyn Faultable> = match (server.as_mut(), mariadb_server.as_mut()) {
        (Some(s), _) => Some(s),
        (_, Some(s)) => Some(s),
        _ => None,
    };
    let recorded = target_run::run(&*target, &workload, faulted);
    let teardown = target.teardown();
    let recorded = recorded?;
    teardown?;
    let mut command = format!(
        "flashcheck replay inventory --target {url} --workload {clients} --ops {} --skus {} --stock {stock} --seed {} --timeout-ms {}",
        args.ops, args.skus, args.seed, args.timeout_ms
    );
    for c in &args.model.constants {
        command.push_str(&format!(" -c {c}"));
    }
    if let Some(f) = &args.script {
        command.push_str(&format!(" --script {}", f.display()));
    }
    if let Some(f) = &args.sql {
        command.push_str(&format!(" --sql {}", f.display()));
    }
    if !args.faults.is_empty() {
        let names: Vec<String> = args
            .faults
            .iter()
            .map(|f| format!("{f:?}").to_lowercase())
            .collect();
        command.push_str(&format!(" --faults {}", names.join(",")));
    }
    if !args.json {
        // The run's figures first: the check of a long history can take a while.
        println!(
            "{} clients, {:.0} operations/s over {:.3} s{}",
            clients,
            recorded.ops_per_s,
            recorded.elapsed_s,
            if recorded.faults.is_empty() {
                String::new()
            } else {
                format!("; faults: {}", recorded.faults.join(" "))
            }
        );
        std::io::Write::flush(&mut std::io::stdout())?;
    }
    let report = store::report(&recorded, i64::from(stock), target.describe(), command)?;
    if args.json {
        let out = serde_json::json!({
            "report": report,
            "ops_per_s": recorded.ops_per_s,
            "run_s": recorded.elapsed_s,
            "faults": recorded.faults,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print!("{}", report.render_text());
    }
    Ok(report.outcome())
}
