//! The generated files of one check: a directory holding copies of the spec's modules, the
//! wrapper module `MC.tla` (which EXTENDS the spec and defines the operators the driver
//! needs), and one `.cfg` per engine run. The directory is a tempdir removed on drop, unless
//! the caller asked to keep it (`TlaOptions::keep_dir`), in which case the reproduction
//! command in the report works as printed.
//!
//! `MC.tla` defines, as needed:
//! - `MC_never_P == ~(P)` for each `sometimes` property `P` (checked as an INVARIANT: a
//!   violation is a witness that `P` is reachable);
//! - `MC_spec == <formula>` when the job's specification is a formula rather than an
//!   operator name (how a cfg with INIT/NEXT is run);
//! - `MC_limit == TLCGet("distinct") < N` for TLC's state limit (TLC has no such flag);
//! - `MC_time_limit == TLCGet("duration") < MC_budget` for TLC's time limit, `MC_budget` a
//!   constant each run's cfg sets to the seconds left: TLC stops exploring when the time is
//!   up and still prints its statistics (killing it would lose them).
//!
//! A job read from the user's own cfg ([`TlaJob::user_cfg`]) gets that cfg as written (see
//! [`UserCfg::passthrough`](super::cfg::UserCfg)), with only the run's INVARIANT and
//! PROPERTY lines and the state-limit CONSTRAINT appended; a built-in twin's cfg is
//! generated from the job's constants. TLC's own temporary files go to `java-tmp/` inside
//! the directory (`-Djava.io.tmpdir`), so that they are removed with it.

use super::error::TlaError;
use super::TlaJob;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// What one engine run checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunSpec {
    /// INVARIANT operator names (in `MC.tla`'s namespace: `MC_never_P` for a `sometimes`).
    pub invariants: Vec<String>,
    /// Whether a deadlock is an error in this run.
    pub check_deadlock: bool,
    /// The temporal PROPERTY operators of this run.
    pub properties: Vec<String>,
    /// Whole seconds left for this run when there is a time limit (TLC's `MC_budget`).
    pub time_budget: Option<u64>,
}

/// Name of the invariant that checks that `sometimes` property `name` is never reached.
pub fn never_name(name: &str) -> String {
    format!("MC_never_{name}")
}

/// The directory with the generated files.
#[derive(Debug)]
pub struct Workspace {
    dir: PathBuf,
    _temp: Option<tempfile::TempDir>,
    /// The wrapper module's name (`MC`, or `MC_flashcheck` when the spec is itself `MC`).
    pub module: String,
    specification: String,
    constants_block: String,
    constraint: Option<String>,
    passthrough: Option<String>,
    limit: bool,
    time_limit: bool,
    runs: usize,
}

/// True for a TLA+ identifier (letters, digits, `_`, at least one letter).
pub fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && s.chars().any(|c| c.is_ascii_alphabetic())
}

impl Workspace {
    /// Create the directory (a tempdir, or `keep` created if missing), copy the spec's
    /// `.tla` files into it (and those of the library directories `libs`, for engines
    /// without a library path; a spec module of the same name wins) and write `MC.tla`.
    /// `state_limit` adds `MC_limit` and `time_limit` adds `MC_time_limit` (TLC only).
    pub fn prepare(
        job: &TlaJob,
        keep: Option<&Path>,
        state_limit: Option<u64>,
        time_limit: bool,
        libs: &[PathBuf],
    ) -> Result<Workspace, TlaError> {
        validate(job)?;
        let spec_module = job
            .spec
            .file_stem()
            .and_then(|s| s.to_str())
            .filter(|s| is_identifier(s))
            .ok_or_else(|| {
                TlaError::Job(format!(
                    "spec file name {} is not a TLA+ module name",
                    job.spec.display()
                ))
            })?
            .to_string();
        if !job.spec.is_file() {
            return Err(TlaError::Job(format!(
                "spec file {} does not exist",
                job.spec.display()
            )));
        }
        let module = if spec_module == "MC" {
            "MC_flashcheck".to_string()
        } else {
            "MC".to_string()
        };
        let (dir, temp) = match keep {
            Some(k) => {
                std::fs::create_dir_all(k)
                    .map_err(|e| TlaError::io(format!("creating {}", k.display()), e))?;
                (k.to_path_buf(), None)
            }
            None => {
                let t = tempfile::Builder::new()
                    .prefix("flashcheck-tla-")
                    .tempdir()
                    .map_err(|e| TlaError::io("creating a temporary directory", e))?;
                (t.path().to_path_buf(), Some(t))
            }
        };
        let spec_dir = match job.spec.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        copy_modules(&spec_dir, &dir, &module, true)?;
        for lib in libs {
            copy_modules(lib, &dir, &module, false)?;
        }

        let mut tla = format!("---- MODULE {module} ----\n");
        tla.push_str("\\* Generated by flashcheck: wraps the spec for one model-checking job.\n");
        let _ = write!(tla, "EXTENDS {spec_module}");
        if state_limit.is_some() || time_limit {
            tla.push_str(", TLC");
        }
        tla.push('\n');
        let mut seen = BTreeSet::new();
        for p in &job.properties {
            if p.kind == crate::report::PropertyKind::Sometimes && seen.insert(p.name.clone()) {
                let _ = writeln!(tla, "{} == ~({})", never_name(&p.name), p.name);
            }
        }
        let specification = if job.user_cfg.is_some() {
            // The user's cfg names its own SPECIFICATION or INIT/NEXT.
            String::new()
        } else if is_identifier(job.specification.trim()) {
            job.specification.trim().to_string()
        } else {
            let _ = writeln!(tla, "MC_spec == {}", job.specification.trim());
            "MC_spec".to_string()
        };
        if let Some(n) = state_limit {
            let _ = writeln!(tla, "MC_limit == TLCGet(\"distinct\") < {n}");
        }
        if time_limit {
            tla.push_str("CONSTANT MC_budget\n");
            tla.push_str("MC_time_limit == TLCGet(\"duration\") < MC_budget\n");
        }
        tla.push_str("====\n");
        let mc_path = dir.join(format!("{module}.tla"));
        std::fs::write(&mc_path, tla)
            .map_err(|e| TlaError::io(format!("writing {}", mc_path.display()), e))?;

        let mut constants_block = String::new();
        if !job.constants.is_empty() || !job.model_values.is_empty() {
            constants_block.push_str("CONSTANTS\n");
            for (name, value) in &job.constants {
                let _ = writeln!(constants_block, "  {name} = {value}");
            }
            for name in &job.model_values {
                let _ = writeln!(constants_block, "  {name} = {name}");
            }
        }
        Ok(Workspace {
            dir,
            _temp: temp,
            module,
            specification,
            constants_block,
            constraint: job.constraint.clone(),
            passthrough: job.user_cfg.as_ref().map(|u| u.passthrough.clone()),
            limit: state_limit.is_some(),
            time_limit,
            runs: 0,
        })
    }

    /// The directory holding the generated files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Path of the wrapper module.
    pub fn module_path(&self) -> PathBuf {
        self.dir.join(format!("{}.tla", self.module))
    }

    /// Write the cfg for the next run (`run1.cfg`, `run2.cfg`, …) and return its path.
    pub fn write_cfg(&mut self, run: &RunSpec) -> Result<PathBuf, TlaError> {
        self.runs += 1;
        let path = self.dir.join(format!("run{}.cfg", self.runs));
        std::fs::write(&path, self.cfg_text(run))
            .map_err(|e| TlaError::io(format!("writing {}", path.display()), e))?;
        Ok(path)
    }

    /// The cfg text for one run. Deadlock checking is not in the cfg; each engine gets it as
    /// an option (TLC: `-deadlock` disables it).
    pub fn cfg_text(&self, run: &RunSpec) -> String {
        let mut cfg = match &self.passthrough {
            Some(user) => {
                let mut cfg = user.trim_end().to_string();
                cfg.push_str("\n\\* added by flashcheck for this run\n");
                cfg
            }
            None => {
                let mut cfg = self.constants_block.clone();
                let _ = writeln!(cfg, "SPECIFICATION {}", self.specification);
                cfg
            }
        };
        for inv in &run.invariants {
            let _ = writeln!(cfg, "INVARIANT {inv}");
        }
        for p in &run.properties {
            let _ = writeln!(cfg, "PROPERTY {p}");
        }
        if let Some(c) = &self.constraint {
            let _ = writeln!(cfg, "CONSTRAINT {c}");
        }
        if self.limit {
            cfg.push_str("CONSTRAINT MC_limit\n");
        }
        if self.time_limit {
            let budget = run.time_budget.unwrap_or(u64::from(u32::MAX));
            let _ = writeln!(
                cfg,
                "CONSTANT MC_budget = {budget}\nCONSTRAINT MC_time_limit"
            );
        }
        cfg
    }
}

fn validate(job: &TlaJob) -> Result<(), TlaError> {
    if job.model.trim().is_empty() {
        return Err(TlaError::Job("empty model name".into()));
    }
    if job.specification.trim().is_empty() {
        return Err(TlaError::Job("empty specification".into()));
    }
    for name in job.constants.keys().chain(job.model_values.iter()) {
        if !is_identifier(name) {
            return Err(TlaError::Job(format!(
                "constant {name:?} is not an identifier"
            )));
        }
    }
    for name in &job.model_values {
        if job.constants.contains_key(name) {
            return Err(TlaError::Job(format!(
                "constant {name} is both given a value and declared a model value"
            )));
        }
    }
    for (name, value) in &job.constants {
        if value.trim().is_empty() || value.contains('\n') {
            return Err(TlaError::Job(format!(
                "constant {name} has an empty or multi-line value {value:?}"
            )));
        }
    }
    let mut names = BTreeSet::new();
    for p in &job.properties {
        if !is_identifier(&p.name) {
            return Err(TlaError::Job(format!(
                "property {:?} is not an operator name",
                p.name
            )));
        }
        if !names.insert(p.name.as_str()) {
            return Err(TlaError::Job(format!("property {} listed twice", p.name)));
        }
        if p.name == super::DEADLOCK_FREE && p.kind != crate::report::PropertyKind::Always {
            return Err(TlaError::Job(format!(
                "{} is reserved for TLC's deadlock check and must be kind `always`",
                super::DEADLOCK_FREE
            )));
        }
    }
    if let Some(c) = &job.constraint {
        if !is_identifier(c) {
            return Err(TlaError::Job(format!(
                "constraint {c:?} is not an operator name"
            )));
        }
    }
    Ok(())
}

/// Copy every `.tla` file of `from` (the modules the spec may EXTEND) into `to`, except one
/// named like the wrapper module, which is generated; `overwrite: false` keeps a module
/// already there (a library module never replaces one of the spec's).
fn copy_modules(from: &Path, to: &Path, wrapper: &str, overwrite: bool) -> Result<(), TlaError> {
    let entries = std::fs::read_dir(from)
        .map_err(|e| TlaError::io(format!("reading directory {}", from.display()), e))?;
    for entry in entries {
        let entry = entry.map_err(|e| TlaError::io(format!("reading {}", from.display()), e))?;
        let path = entry.path();
        let is_tla = path.extension().is_some_and(|e| e == "tla");
        let is_wrapper = path.file_stem().is_some_and(|s| s == wrapper);
        if is_tla && !is_wrapper && path.is_file() {
            let target = to.join(entry.file_name());
            if !overwrite && target.exists() {
                continue;
            }
            std::fs::copy(&path, &target).map_err(|e| {
                TlaError::io(
                    format!("copying {} to {}", path.display(), target.display()),
                    e,
                )
            })?;
        }
    }
    Ok(())
}
