//! The TLA+ engine driver: run a TLA+ spec through TLC (the engine of record) or the
//! crates.io `tla-checker` (in-process, for machines without a jar) and turn the result into
//! the project's one result type, [`CheckReport`].
//!
//! - [`workspace`]: the generated wrapper module `MC.tla` and per-run `.cfg` files;
//! - [`plan`]: which runs decide which properties (see its doc for the run count);
//! - [`tlc`]: runs `java … tlc2.TLC -tool`, reading [`tool_output`] and [`trace`];
//! - [`checker`]: runs `tla_checker` in-process (cargo feature `tla-checker`, on by default);
//! - [`cfg`]: reads a user's TLC `.cfg` into a [`TlaJob`] that hands it to the engine;
//! - [`jar`]: finds `tla2tools.jar`;
//! - [`child`]: the engine's child process: SIGINT/SIGTERM kill it, a memory bound kills it;
//! - [`sany`]: SANY's parse and semantic errors as `file:line:col: reason`.
//!
//! Reproduction command (`CheckReport::command`): the engine commands of every run, joined by
//! ` ; `, each starting with `cd <dir>` where `<dir>` holds the generated files. They work as
//! printed only when [`TlaOptions::keep_dir`] was set; otherwise `<dir>` was a tempdir,
//! removed when the check finished. For tla-checker the commands use its `tla` binary
//! (`cargo install tla-checker`), which reads the same files.

pub mod cfg;
#[cfg(feature = "tla-checker")]
pub mod checker;
pub mod child;
pub mod error;
pub mod jar;
pub mod json_trace;
pub mod plan;
pub mod sany;
pub mod tlc;
pub mod tool_output;
pub mod workspace;

pub use cfg::job_from_cfg;
pub use error::TlaError;
pub use jar::find_tla2tools;
pub use json_trace::dump_trace_to_steps;

use crate::report::{CheckReport, PropertyKind};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// The reserved `always` property name meaning "the engine's own deadlock check".
pub const DEADLOCK_FREE: &str = "deadlock_free";

/// One TLA+ check: a spec, its constants, and the properties to decide.
#[derive(Debug, Clone, PartialEq)]
pub struct TlaJob {
    /// Report name, e.g. `inventory` or the module name.
    pub model: String,
    /// The `.tla` file; its directory holds any modules it EXTENDS.
    pub spec: PathBuf,
    /// Constant name → value as TLA+ text (`"3"`, `"\"atomic\""`, `"{u1, u2}"`).
    pub constants: BTreeMap<String, String>,
    /// Constants assigned as model values (`NoUser = NoUser`).
    pub model_values: Vec<String>,
    /// The SPECIFICATION operator (usually `Spec`), or a temporal formula over the spec's
    /// operators (`Init /\ [][Next]_<<x, y>>`), which is defined as `MC_spec` in the wrapper.
    pub specification: String,
    /// What to check, in report order.
    pub properties: Vec<TlaProperty>,
    /// Optional CONSTRAINT operator.
    pub constraint: Option<String>,
    /// The user's own cfg, handed to the engine as written (with the run's properties
    /// appended): then `constants`, `model_values` and `specification` only describe it in
    /// the report, and `constraint` is unused. `None` for a built-in twin, whose cfg is
    /// generated from the fields above.
    pub user_cfg: Option<cfg::UserCfg>,
}

/// One property of a [`TlaJob`].
///
/// - `Always`: an INVARIANT named `name`, except [`DEADLOCK_FREE`]: the deadlock check.
/// - `Sometimes`: a state predicate that should be reachable (checked as the invariant
///   `~name`; a violation is the witness).
/// - `Eventually`: a temporal PROPERTY named `name` (one engine run each).
#[derive(Debug, Clone, PartialEq)]
pub struct TlaProperty {
    /// The operator name in the spec.
    pub name: String,
    /// always | sometimes | eventually.
    pub kind: PropertyKind,
    /// One sentence for the report.
    pub description: String,
}

/// Which engine runs the job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlaEngine {
    /// TLC from this `tla2tools.jar` (a `CommunityModules.jar` beside it is used for JSON
    /// traces when present).
    Tlc {
        /// Path to `tla2tools.jar`.
        jar: PathBuf,
    },
    /// The crates.io `tla-checker`, in-process.
    TlaChecker,
}

/// Limits and knobs of a check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlaOptions {
    /// TLC worker threads (tla-checker is single-threaded and ignores this).
    pub workers: usize,
    /// Wall-time limit for all runs together.
    pub timeout: Option<Duration>,
    /// Stop exploring after this many distinct states (the report is then incomplete).
    pub max_states: Option<u64>,
    /// Keep the generated files here (created if missing) so that the report's `command`
    /// can be run; `None`: a tempdir removed afterwards.
    pub keep_dir: Option<PathBuf>,
    /// Library module directories (TLAPS, the community modules …): TLC gets them on its
    /// `-DTLA-Library` path (a `.jar` goes on the classpath); tla-checker gets their `.tla`
    /// files copied beside the spec.
    pub libs: Vec<PathBuf>,
    /// Memory bound of the tla-checker engine in bytes (its child process's resident set);
    /// over it the run stops with a limit. `None`: [`child::default_memory_bound`].
    pub max_memory: Option<u64>,
}

impl Default for TlaOptions {
    fn default() -> Self {
        TlaOptions {
            workers: 1,
            timeout: None,
            max_states: None,
            keep_dir: None,
            libs: Vec::new(),
            max_memory: None,
        }
    }
}

/// Check `job` with `engine` and report every property. See [`plan`] for the runs made.
pub fn run(job: &TlaJob, engine: &TlaEngine, opts: &TlaOptions) -> Result<CheckReport, TlaError> {
    if opts.workers == 0 {
        return Err(TlaError::Job("workers must be at least 1".into()));
    }
    for lib in &opts.libs {
        let is_jar = lib.extension().is_some_and(|e| e == "jar") && lib.is_file();
        if !lib.is_dir() && !is_jar {
            return Err(TlaError::Input {
                what: "--lib".into(),
                path: lib.clone(),
                reason: "is neither a directory nor a .jar file".into(),
            });
        }
    }
    let result = match engine {
        TlaEngine::Tlc { jar } => {
            let mut ws = workspace::Workspace::prepare(
                job,
                opts.keep_dir.as_deref(),
                opts.max_states,
                opts.timeout.is_some(),
                &[],
            )?;
            let mut backend = tlc::Tlc::new(jar, opts)?;
            plan::execute(job, &mut backend, &mut ws, opts.timeout)
        }
        TlaEngine::TlaChecker => run_tla_checker(job, opts),
    };
    // Engines do not know the user's spec path (they read the generated wrapper).
    result.map_err(|e| match e {
        TlaError::Spec {
            engine, message, ..
        } => TlaError::Spec {
            engine,
            spec: job.spec.clone(),
            message: if engine == "tlc" {
                sany::concise(&message, &job.spec, &opts.libs)
            } else {
                message.lines().map(str::trim).collect::<Vec<_>>().join(" ")
            },
        },
        other => other,
    })
}

#[cfg(feature = "tla-checker")]
fn run_tla_checker(job: &TlaJob, opts: &TlaOptions) -> Result<CheckReport, TlaError> {
    if let Some(jar) = opts.libs.iter().find(|l| !l.is_dir()) {
        return Err(TlaError::Input {
            what: "--lib".into(),
            path: jar.clone(),
            reason: "tla-checker reads library modules from directories only, not from a jar"
                .into(),
        });
    }
    let mut ws =
        workspace::Workspace::prepare(job, opts.keep_dir.as_deref(), None, false, &opts.libs)?;
    let mut backend = checker::TlaChecker::new(opts);
    plan::execute(job, &mut backend, &mut ws, opts.timeout)
}

#[cfg(not(feature = "tla-checker"))]
fn run_tla_checker(_job: &TlaJob, _opts: &TlaOptions) -> Result<CheckReport, TlaError> {
    Err(TlaError::EngineUnavailable(
        "flashcheck was built without the `tla-checker` feature; rebuild with default features or use TLC (--tla2tools PATH)".into(),
    ))
}
