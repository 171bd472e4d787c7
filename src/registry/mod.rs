//! The one list of models flashcheck knows: each model is registered once, as an [`Entry`]
//! (name, description, constants with defaults, how to build it, its TLA+ twin, its replay
//! component), and every command, the audit, traces, the Explorer and the tests reach models
//! only through a [`Registry`].
//!
//! A built model is a [`Port`]: the model behind [`Checkable`], one object-safe trait that
//! every `Spec` with the engine's bounds implements, so no command matches on which model it
//! holds. Adding a model is its file (the `Model` + `Spec` and its `pub static ENTRY`) and
//! one line in [`builtin::BUILTIN`]; a test registers its own with [`Registry::with`].

pub mod builtin;
mod constants;

pub use constants::{out_of_range, ConstantError, Constants};

use crate::check::cluster::{self, ClusterError, ClusterOptions};
use crate::check::{self, CheckError, CheckOptions, EngineState};
use crate::replay::job::{Done, Job, JobError, ReplaySetup};
use crate::report::{CheckReport, PropertyKind};
use crate::specs::{load_saga_or_seed, SagaDefinition, SpecError};
use crate::trace::generate::{walks, TraceRequest};
use crate::trace::Trace;
use flashcheck_models::Spec;
use std::any::Any;
use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

/// A model's TLA+ twin, embedded so the binary works anywhere.
#[derive(Debug, Clone, Copy)]
pub struct Twin {
    /// The module's name (`Inventory`).
    pub module: &'static str,
    /// The module's source text.
    pub source: &'static str,
    /// Constants the twin needs as model values (PlusCal's `defaultInitValue`).
    pub model_values: &'static [&'static str],
}

/// Builds a model from its constants and a saga definition (which only saga models read).
pub type BuildFn = fn(&Constants, &SagaDefinition) -> Result<Box<dyn Checkable>, ConstantError>;

/// Runs a replay job on a built port's implementation.
pub type ReplayFn = fn(&Port, &ReplaySetup<'_>, Job<'_>) -> Result<Done, JobError>;

/// Adjusts a report of the port or of its twin (see [`Entry::annotate`]).
pub type AnnotateFn = fn(&Port, &mut CheckReport);

/// One registered model: everything flashcheck knows about it beyond its Rust type.
pub struct Entry {
    /// The name on the command line and in reports (`inventory`).
    pub name: &'static str,
    /// One line for listings.
    pub description: &'static str,
    /// Every constant and its default value, as given with `-c NAME=VALUE`.
    pub defaults: &'static [(&'static str, &'static str)],
    /// Builds the model from its constants.
    pub build: BuildFn,
    /// The TLA+ twin, if the model has one.
    pub twin: Option<Twin>,
    /// True for the models built from a saga file (`--saga FILE`).
    pub uses_saga: bool,
    /// The variables the model's view writes as a sorted array but the twin holds as a set
    /// (the ITF writer writes them as `#set`).
    pub set_variables: &'static [&'static str],
    /// The bounds replay sweeps by default: each constant and its values.
    pub sweep: &'static [(&'static str, &'static [u64])],
    /// Marks what the port cannot decide in its own and its twin's reports (`None`: nothing).
    pub annotate: Option<AnnotateFn>,
    /// The implementation replay runs against, if any.
    pub replay: Option<ReplayFn>,
}

impl Entry {
    /// The model's name.
    pub fn as_str(&'static self) -> &'static str {
        self.name
    }

    /// Builds the port for `constants` (which must be this entry's) and `saga`.
    pub fn build(
        &'static self,
        constants: &Constants,
        saga: &SagaDefinition,
    ) -> Result<Port, ConstantError> {
        Ok(Port {
            entry: self,
            model: Arc::from((self.build)(constants, saga)?),
        })
    }

    /// The twin, or the error that says this model has none.
    pub fn twin(&'static self) -> Result<Twin, RegistryError> {
        self.twin.ok_or(RegistryError::NoTwin(self.name))
    }
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entry").field("name", &self.name).finish()
    }
}

impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for Entry {}

/// The models a run knows: the built-in ones, and any a caller adds.
#[derive(Debug, Clone)]
pub struct Registry {
    entries: Vec<&'static Entry>,
}

impl Registry {
    /// The built-in models, in report order.
    pub fn builtin() -> Self {
        Registry {
            entries: builtin::BUILTIN.to_vec(),
        }
    }

    /// This registry with `entry` added after the others (an entry of the same name is an
    /// error of the caller's: the first one wins lookups, so it panics instead).
    pub fn with(mut self, entry: &'static Entry) -> Self {
        assert!(
            self.entries.iter().all(|e| e.name != entry.name),
            "model {} registered twice",
            entry.name
        );
        self.entries.push(entry);
        self
    }

    /// Every entry, in order.
    pub fn entries(&self) -> &[&'static Entry] {
        &self.entries
    }

    /// The entry named `name`.
    pub fn get(&self, name: &str) -> Result<&'static Entry, RegistryError> {
        self.entries
            .iter()
            .find(|e| e.name == name)
            .copied()
            .ok_or_else(|| RegistryError::Unknown {
                name: name.to_string(),
                known: self.names().join(", "),
            })
    }

    /// Every model's name.
    pub fn names(&self) -> Vec<&'static str> {
        self.entries.iter().map(|e| e.name).collect()
    }

    /// The names of the models with an implementation to replay against.
    pub fn replayable(&self) -> Vec<&'static str> {
        self.entries
            .iter()
            .filter(|e| e.replay.is_some())
            .map(|e| e.name)
            .collect()
    }
}

/// A model name or capability the registry does not have.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RegistryError {
    /// No model of that name.
    #[error("unknown model '{name}' (known: {known})")]
    Unknown {
        /// The name given.
        name: String,
        /// The names registered.
        known: String,
    },
    /// The model has no TLA+ twin.
    #[error("model {0} has no TLA+ twin")]
    NoTwin(&'static str),
}

/// A port's properties as the TLA+ driver needs them: name, kind, description.
pub type PropertyList = Vec<(String, PropertyKind, String)>;

/// What every command does with a model, whatever its type: implemented once, for every
/// `Spec` whose states and actions the engine can store.
pub trait Checkable: Send + Sync + fmt::Debug + 'static {
    /// Checks it; a search that cannot run reports every verdict `unknown` with the reason.
    fn check(&self, name: &str, command: String, options: &CheckOptions) -> CheckReport;
    /// Checks it with flashcheck's engine (or stateright's, as `options` says).
    fn try_check(
        &self,
        name: &str,
        command: String,
        options: &CheckOptions,
    ) -> Result<CheckReport, CheckError>;
    /// Checks it across processes (`check --processes`).
    fn check_cluster(
        &self,
        name: &str,
        command: String,
        options: &CheckOptions,
        cluster: &ClusterOptions,
    ) -> Result<cluster::Outcome, ClusterError>;
    /// Its properties, in report order.
    fn properties(&self) -> PropertyList;
    /// Its constants as TLA+ text.
    fn tla_constants(&self) -> Vec<(&'static str, String)>;
    /// The seeded random walks `request` asks for, as traces.
    fn walks(&self, request: &TraceRequest) -> Vec<Trace>;
    /// Serves the Explorer for it on `address` until the process ends.
    fn serve_explorer(&self, address: SocketAddr);
    /// Itself, for a caller that knows its type ([`Port::model`]).
    fn as_any(&self) -> &dyn Any;
}

impl<M> Checkable for M
where
    M: Spec + Clone + Send + Sync + fmt::Debug + 'static,
    M::State: EngineState,
    M::Action: Clone + PartialEq + fmt::Debug + Send + Sync,
{
    fn check(&self, name: &str, command: String, options: &CheckOptions) -> CheckReport {
        check::check(self.clone(), name, command, options)
    }

    fn try_check(
        &self,
        name: &str,
        command: String,
        options: &CheckOptions,
    ) -> Result<CheckReport, CheckError> {
        check::try_check(self.clone(), name, command, options)
    }

    fn check_cluster(
        &self,
        name: &str,
        command: String,
        options: &CheckOptions,
        cluster: &ClusterOptions,
    ) -> Result<cluster::Outcome, ClusterError> {
        cluster::check(self.clone(), name, command, options, cluster)
    }

    fn properties(&self) -> PropertyList {
        property_list(self)
    }

    fn tla_constants(&self) -> Vec<(&'static str, String)> {
        self.constants()
    }

    fn walks(&self, request: &TraceRequest) -> Vec<Trace> {
        walks(self, request)
    }

    fn serve_explorer(&self, address: SocketAddr) {
        crate::explorer::serve(self.clone(), address)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

fn property_list<M: Spec>(model: &M) -> PropertyList {
    let mut list: PropertyList = model
        .properties()
        .iter()
        .filter_map(|p| {
            let kind = match p.expectation {
                stateright::Expectation::Always => PropertyKind::Always,
                stateright::Expectation::Sometimes => PropertyKind::Sometimes,
                stateright::Expectation::Eventually => return None,
            };
            Some((p.name.to_string(), kind, model.describe(p.name).to_string()))
        })
        .collect();
    list.extend(
        model
            .liveness()
            .iter()
            .chain(&model.persistence())
            .map(|l| {
                (
                    l.name.to_string(),
                    PropertyKind::Eventually,
                    l.description.to_string(),
                )
            }),
    );
    list
}

/// A built model, ready for any command.
#[derive(Clone)]
pub struct Port {
    entry: &'static Entry,
    model: Arc<dyn Checkable>,
}

impl fmt::Debug for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Port")
            .field("entry", &self.entry.name)
            .field("model", &self.model)
            .finish()
    }
}

impl Port {
    /// Builds the port of `constants`' model; saga models get the seed's saga.
    pub fn build(constants: &Constants) -> Result<Port, ConstantError> {
        constants
            .model()
            .build(constants, &crate::specs::seed_saga())
    }

    /// The registered model this is a port of.
    pub fn entry(&self) -> &'static Entry {
        self.entry
    }

    /// The model itself, when it is an `M`.
    pub fn model<M: 'static>(&self) -> Option<&M> {
        self.model.as_any().downcast_ref::<M>()
    }

    /// The model behind its object-safe trait.
    pub fn checkable(&self) -> &dyn Checkable {
        &*self.model
    }

    /// Checks the port and marks what it cannot decide ([`Entry::annotate`]); a search that
    /// cannot run at all (a worker thread refused) is reported with every verdict `unknown`.
    pub fn check(&self, name: &str, command: String, options: &CheckOptions) -> CheckReport {
        let mut report = self.model.check(name, command, options);
        self.annotate(&mut report);
        report
    }

    /// [`Port::check`], with the reason when the search cannot run (a worker thread refused,
    /// the parent log failing) instead of a report of `unknown`s.
    pub fn try_check(
        &self,
        name: &str,
        command: String,
        options: &CheckOptions,
    ) -> Result<CheckReport, CheckError> {
        let mut report = self.model.try_check(name, command, options)?;
        self.annotate(&mut report);
        Ok(report)
    }

    /// Applies the entry's annotation to a report of this port or of its twin.
    pub fn annotate(&self, report: &mut CheckReport) {
        if let Some(annotate) = self.entry.annotate {
            annotate(self, report);
        }
    }

    /// The properties, in report order, for the TLA+ twin.
    pub fn properties(&self) -> PropertyList {
        self.model.properties()
    }

    /// The constants as TLA+ text (`Deduction = "atomic"`).
    pub fn tla_constants(&self) -> BTreeMap<String, String> {
        self.model
            .tla_constants()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect()
    }

    /// Runs `job` against the model's implementation; `None` when the model has none.
    pub fn replay(&self, setup: &ReplaySetup<'_>, job: Job<'_>) -> Option<Result<Done, JobError>> {
        self.entry.replay.map(|replay| replay(self, setup, job))
    }
}

/// A port of `model` for `-c` assignments and an optional `--saga FILE`: the one way the
/// commands build a model. A saga file given to a model that does not use one is refused.
pub fn build_port(
    model: &'static Entry,
    assignments: &[String],
    saga: Option<&Path>,
) -> Result<(Constants, Port), BuildError> {
    if saga.is_some() && !model.uses_saga {
        return Err(BuildError::SagaNotUsed(model.name));
    }
    let constants = Constants::parse(model, assignments)?;
    let definition = load_saga_or_seed(saga)?;
    let port = model.build(&constants, &definition)?;
    Ok((constants, port))
}

/// Why a model could not be built from the command line.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// A model name the registry does not have.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// A bad `-c` constant.
    #[error(transparent)]
    Constant(#[from] ConstantError),
    /// A saga file that cannot be read or is invalid (names file, line and reason).
    #[error(transparent)]
    Saga(#[from] SpecError),
    /// `--saga` given to a model that is not built from a saga.
    #[error("--saga: model {0} is not built from a saga file")]
    SagaNotUsed(&'static str),
}
