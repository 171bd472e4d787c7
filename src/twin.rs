//! A built-in model's TLA+ twin: the TLA+ job that checks it for the same constants, the
//! choice of TLA+ engine, and the comparison `flashcheck cross` makes between the two
//! reports (distinct-state counts and every property's verdict must be equal).

use crate::check::CheckOptions;
use crate::registry::Port;
use crate::report::CheckReport;
use crate::tla::{self, TlaEngine, TlaError, TlaJob, TlaOptions, TlaProperty};
use crate::verdict::Subject;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Which TLA+ engine the user asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineChoice {
    /// TLC; a missing jar is an error.
    Tlc,
    /// tla-checker, in-process.
    TlaChecker,
    /// TLC when a jar is found, tla-checker otherwise.
    Auto,
}

impl EngineChoice {
    /// Parses `--engine` (`tlc`, `tla-checker`; absent: auto).
    pub fn parse(engine: Option<&str>) -> Result<Self, TlaError> {
        match engine {
            None => Ok(EngineChoice::Auto),
            Some("tlc") => Ok(EngineChoice::Tlc),
            Some("tla-checker") => Ok(EngineChoice::TlaChecker),
            Some(other) => Err(TlaError::Job(format!(
                "--engine {other}: expected tlc or tla-checker"
            ))),
        }
    }

    /// The engine to run, looking for `tla2tools.jar` as `find_tla2tools` does. `Auto`
    /// falls back to tla-checker only when no jar was named at all: a `--tla2tools PATH`
    /// or `$TLA2TOOLS_JAR` that names no file is an error, never a reason to switch engines.
    pub fn resolve(self, jar: Option<&Path>) -> Result<TlaEngine, TlaError> {
        let env = std::env::var_os(tla::jar::ENV_VAR).filter(|v| !v.is_empty());
        self.resolve_in(jar, env.is_some(), || tla::find_tla2tools(jar))
    }

    /// [`resolve`](Self::resolve) with the search passed in (testable): `named` says whether
    /// `$TLA2TOOLS_JAR` is set.
    pub fn resolve_in(
        self,
        jar: Option<&Path>,
        named: bool,
        find: impl FnOnce() -> Result<PathBuf, TlaError>,
    ) -> Result<TlaEngine, TlaError> {
        match self {
            EngineChoice::Tlc => Ok(TlaEngine::Tlc { jar: find()? }),
            EngineChoice::TlaChecker => Ok(TlaEngine::TlaChecker),
            EngineChoice::Auto => match find() {
                Ok(jar) => Ok(TlaEngine::Tlc { jar }),
                Err(e) if jar.is_some() || named => Err(e),
                Err(_) => Ok(TlaEngine::TlaChecker),
            },
        }
    }
}

/// Writes the embedded TLA+ module of `port`'s model into `dir` and returns the job that
/// checks `port`'s constants and properties with it.
pub fn job(port: &Port, dir: &Path) -> Result<TlaJob, TlaError> {
    let entry = port.entry();
    let twin = entry.twin().map_err(|e| TlaError::Job(e.to_string()))?;
    let spec: PathBuf = dir.join(format!("{}.tla", twin.module));
    std::fs::write(&spec, twin.source).map_err(|source| TlaError::Io {
        context: format!("writing {}", spec.display()),
        source,
    })?;
    Ok(TlaJob {
        model: entry.name.to_string(),
        spec,
        constants: port.tla_constants(),
        model_values: twin.model_values.iter().map(|s| s.to_string()).collect(),
        specification: "Spec".to_string(),
        properties: port
            .properties()
            .into_iter()
            .map(|(name, kind, description)| TlaProperty {
                name,
                kind,
                description,
            })
            .collect(),
        constraint: None,
        user_cfg: None,
    })
}

/// A port and its TLA+ twin checked for the same constants.
#[derive(Debug, Clone)]
pub struct Crossed {
    /// The Rust port's report.
    pub rust: CheckReport,
    /// The twin's report, with the port's annotation applied.
    pub twin: CheckReport,
    /// How they compare.
    pub comparison: Comparison,
}

/// The one port-then-twin sequence: checks `port` with flashcheck's engine (`check`), calls
/// `before_twin` (the `cross` command installs its Ctrl-C handlers there, the audit starts a
/// spinner), runs its TLA+ twin on `engine` (`options`), applies the port's annotation to the
/// twin's report as to its own, and compares them. `command` is the Rust report's reproduce
/// line.
pub fn cross(
    port: &Port,
    command: String,
    check: &CheckOptions,
    engine: &TlaEngine,
    options: &TlaOptions,
    before_twin: impl FnOnce(),
) -> Result<Crossed, TlaError> {
    let rust = port.check(port.entry().name, command, check);
    before_twin();
    let dir = tempfile::tempdir().map_err(|source| TlaError::Io {
        context: "creating a temporary directory for the twin".into(),
        source,
    })?;
    let job = job(port, dir.path())?;
    let mut twin = tla::run(&job, engine, options)?;
    port.annotate(&mut twin);
    let comparison = compare(&rust, &twin);
    Ok(Crossed {
        rust,
        twin,
        comparison,
    })
}

/// How a Rust port's report and its TLA+ twin's compare.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// True when the distinct-state counts and every verdict are equal.
    pub agree: bool,
    /// One line per disagreement.
    pub differences: Vec<String>,
}

/// Compares two reports of the same model and constants.
pub fn compare(port: &CheckReport, twin: &CheckReport) -> Comparison {
    let mut differences = Vec::new();
    if port.distinct_states != twin.distinct_states {
        differences.push(format!(
            "distinct states: {} {} vs {} {}",
            port.engine.as_str(),
            port.distinct_states,
            twin.engine.as_str(),
            twin.distinct_states
        ));
    }
    if !port.complete || !twin.complete {
        differences.push("a limit stopped one of the checks: counts are not comparable".into());
    }
    for p in &port.properties {
        match twin.properties.iter().find(|t| t.name == p.name) {
            None => differences.push(format!("{}: missing from {}", p.name, twin.engine.as_str())),
            Some(t) if t.verdict != p.verdict => differences.push(format!(
                "{}: {} says {}, {} says {}",
                p.name,
                port.engine.as_str(),
                p.verdict.word(Subject::Property),
                twin.engine.as_str(),
                t.verdict.word(Subject::Property)
            )),
            Some(_) => {}
        }
    }
    for t in &twin.properties {
        if !port.properties.iter().any(|p| p.name == t.name) {
            differences.push(format!("{}: missing from {}", t.name, port.engine.as_str()));
        }
    }
    Comparison {
        agree: differences.is_empty(),
        differences,
    }
}
