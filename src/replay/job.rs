//! What replay does with a model's correspondence to its implementation, whatever the
//! component: the command's paths or workload ([`Job::Command`]) or every trace of a
//! directory ([`Job::TraceDir`], the audit's). A registered model's replay component builds
//! its [`Conformance`] and hands it to [`Job::run`].

use super::breaker::BreakerMappingError;
use super::concurrent::RunError;
use super::driver::{
    self, itf_paths, seeded_walks, ReplayReport, SpecPath, TraceFileError, WorkloadReport,
};
use super::inventory::{BadConstant, StoreChoice};
use super::saga::SagaConformanceError;
use super::{Conformance, ExecutorChoice};
use crate::cli::ReplayArgs;
use crate::reference::token_bucket::TokenBucketError;
use crate::specs::SagaDefinition;
use flashcheck_models::Spec;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What a component needs beyond the model to build its implementation.
#[derive(Debug, Clone, Copy)]
pub struct ReplaySetup<'a> {
    /// The saga the orchestrator runs (the one the saga model was built from).
    pub saga: &'a SagaDefinition,
    /// Inventory: which stock store.
    pub store: StoreChoice,
    /// Inventory: units of stock to sell, when not the model's.
    pub stock: Option<u32>,
}

/// A replay to run.
pub enum Job<'a> {
    /// `flashcheck replay`'s paths (`--traces`, `--generate`) or workload (`--workload`).
    Command {
        /// The parsed command line.
        args: &'a ReplayArgs,
        /// The command prefix that reproduces a replay.
        base: &'a str,
        /// Called with (done, total) as paths or clients finish.
        progress: &'a dyn Fn(usize, usize),
    },
    /// Every ITF trace in a directory on one executor (the audit's job).
    TraceDir {
        /// The model's name.
        model: &'a str,
        /// The directory of `.itf.json` files (or one file).
        dir: &'a Path,
        /// The executor.
        executor: ExecutorChoice,
        /// The command prefix that reproduces a replay.
        base: String,
    },
}

impl std::fmt::Debug for Job<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Job::Command { base, .. } => f.debug_struct("Command").field("base", base).finish(),
            Job::TraceDir { dir, .. } => f.debug_struct("TraceDir").field("dir", dir).finish(),
        }
    }
}

/// What a job found.
#[derive(Debug)]
pub enum Done {
    /// A workload's history and its linearizability verdict.
    Workload(Box<WorkloadReport>),
    /// Paths replayed.
    Paths(Box<ReplayReport>),
}

/// Why a replay could not run (a failing replay is a report, not an error).
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Bad input on the command line.
    #[error("{0}")]
    Input(String),
    /// A trace file that cannot be read or does not fit the model.
    #[error(transparent)]
    TraceFile(#[from] TraceFileError),
    /// The executor could not run.
    #[error(transparent)]
    Run(#[from] RunError),
    /// The inventory's constants have no implementation.
    #[error(transparent)]
    Inventory(#[from] BadConstant),
    /// The saga has no orchestrator.
    #[error(transparent)]
    Saga(#[from] SagaConformanceError),
    /// The breaker's constants have no implementation.
    #[error(transparent)]
    Breaker(#[from] BreakerMappingError),
    /// The bucket's constants have no implementation.
    #[error(transparent)]
    Bucket(#[from] TokenBucketError),
}

impl Job<'_> {
    /// Runs the job with the correspondence `c`.
    pub fn run<C: Conformance + Send + 'static>(self, c: C) -> Result<Done, JobError>
    where
        <C::Model as stateright::Model>::State: Clone,
        <C::Model as stateright::Model>::Action: Clone,
    {
        match self {
            Job::Command {
                args,
                base,
                progress,
            } => command(c, args, base, progress),
            Job::TraceDir {
                model,
                dir,
                executor,
                base,
            } => {
                let paths = trace_paths(c.model(), dir, &base)?;
                Ok(Done::Paths(Box::new(driver::replay_paths(
                    Arc::new(c),
                    model,
                    executor,
                    &paths,
                    None,
                    &|_, _| {},
                )?)))
            }
        }
    }
}

/// Replays `args`' paths or workload through the correspondence `c`.
fn command<C: Conformance + Send + 'static>(
    c: C,
    args: &ReplayArgs,
    base: &str,
    progress: &dyn Fn(usize, usize),
) -> Result<Done, JobError>
where
    <C::Model as stateright::Model>::State: Clone,
    <C::Model as stateright::Model>::Action: Clone,
{
    let executor = args.executor;
    if let Some(users) = args.workload {
        if executor == ExecutorChoice::Inline {
            return Err(JobError::Input(
                "--workload needs --executor pool or pinned".into(),
            ));
        }
        let report =
            driver::replay_workload(Arc::new(c), executor, users, args.seed, None, progress)?;
        return Ok(Done::Workload(Box::new(report)));
    }
    let paths = paths(c.model(), args, base)?;
    let report = driver::replay_paths(
        Arc::new(c),
        &args.model.model,
        executor,
        &paths,
        None,
        progress,
    )?;
    Ok(Done::Paths(Box::new(report)))
}

fn paths<M: Spec>(model: &M, args: &ReplayArgs, base: &str) -> Result<Vec<SpecPath<M>>, JobError>
where
    M::State: Clone,
    M::Action: Clone,
{
    let mut out = Vec::new();
    if let Some(dir) = &args.traces {
        out = trace_paths(model, dir, base)?;
    } else if let Some(n) = args.generate {
        out = seeded_walks(model, args.seed, n, args.depth, |seed| {
            format!(
                "{base} --no-sweep --generate 1 --seed {seed} --depth {}",
                args.depth
            )
        });
        if out.is_empty() && n > 0 {
            return Err(JobError::Input("the model has no initial state".into()));
        }
    }
    Ok(out)
}

/// The paths of the ITF traces under `dir` (a directory or one file).
fn trace_paths<M: Spec>(model: &M, dir: &Path, base: &str) -> Result<Vec<SpecPath<M>>, JobError>
where
    M::State: Clone,
    M::Action: Clone,
{
    Ok(itf_paths(model, &trace_files(dir)?, |file| {
        format!("{base} --traces {}", file.display())
    })?)
}

/// The `.itf.json` (or `.json`) files under `path`, sorted; `path` itself if it is a file.
pub fn trace_files(path: &Path) -> Result<Vec<PathBuf>, JobError> {
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| JobError::Input(format!("--traces {}: {e}", path.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(JobError::Input(format!(
            "--traces {}: no .json trace files",
            path.display()
        )));
    }
    Ok(files)
}
