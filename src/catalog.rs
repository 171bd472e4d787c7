//! The models flashcheck knows by name: how to build each Rust port from `-c NAME=VALUE`
//! constants, its defaults, and its TLA+ twin (embedded, so the binary works anywhere).

use crate::check::{self, CheckOptions};
use crate::report::Verdict;
use crate::report::{CheckReport, PropertyKind};
use crate::specs::{parse_saga_str, SagaDefinition, SpecError};
use flashcheck_models::breaker::{Breaker, BreakerConfig, Comparison};
use flashcheck_models::breaker_seed::BreakerSeed;
use flashcheck_models::inventory::{Deduction, Inventory};
use flashcheck_models::inventory_seed::Double11Seed;
use flashcheck_models::saga::Saga;
use flashcheck_models::saga_history::{StepList, StepNames, CANCEL_RESERVATION, REFUND_PAYMENT};
use flashcheck_models::saga_seed::SagaSeed;
use flashcheck_models::token_bucket::{BucketConfig, TokenBucket};
use flashcheck_models::Spec;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

/// A model flashcheck can check by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ModelName {
    /// The seed's PlusCal algorithm of section 3.2, as written.
    #[value(name = "inventory-seed")]
    InventorySeed,
    /// Stock at service granularity: reserve, pay, time out, reject.
    Inventory,
    /// The seed's Python `SagaOrchestrator` of section 2.1, as written.
    #[value(name = "saga-seed")]
    SagaSeed,
    /// The saga orchestrator as it should be: retried compensations, a durable log.
    Saga,
    /// The seed's breaker formula of §2.2, read literally.
    #[value(name = "breaker-seed")]
    BreakerSeed,
    /// The circuit breaker of §2.2 with resilience4j's semantics (scaled constants).
    Breaker,
    /// The seed's token bucket of §2.2 with discrete time.
    #[value(name = "token-bucket")]
    TokenBucket,
}

impl ModelName {
    /// Every model, in report order.
    pub const ALL: [ModelName; 7] = [
        ModelName::InventorySeed,
        ModelName::Inventory,
        ModelName::SagaSeed,
        ModelName::Saga,
        ModelName::BreakerSeed,
        ModelName::Breaker,
        ModelName::TokenBucket,
    ];

    /// The model's name on the command line and in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            ModelName::InventorySeed => "inventory-seed",
            ModelName::Inventory => "inventory",
            ModelName::SagaSeed => "saga-seed",
            ModelName::Saga => "saga",
            ModelName::Breaker => "breaker",
            ModelName::BreakerSeed => "breaker-seed",
            ModelName::TokenBucket => "token-bucket",
        }
    }

    /// The built-in constants used when none are given.
    pub fn defaults(self) -> &'static [(&'static str, &'static str)] {
        match self {
            ModelName::InventorySeed => &[("Users", "3"), ("Stock", "2")],
            ModelName::Inventory => &[("Users", "3"), ("Stock", "2"), ("Deduction", "atomic")],
            ModelName::SagaSeed | ModelName::Saga => &[("F", "1"), ("R", "1"), ("C", "1")],
            // Scaled from specs/breaker.toml (100 calls, window 100, 10 s, 10 probes, θ = 0.5
            // compared with ">"): the threshold and its comparison are the file's.
            ModelName::Breaker | ModelName::BreakerSeed => BREAKER_DEFAULTS,
            // Scaled from specs/breaker.toml's 1,000,000 tokens refilled at 1,000,000/s.
            ModelName::TokenBucket => &[("Capacity", "3"), ("Rate", "1"), ("RateWindow", "3")],
        }
    }

    /// The TLA+ twin: module name and source text.
    pub fn tla_module(self) -> (&'static str, &'static str) {
        match self {
            ModelName::InventorySeed => ("Double11Seed", include_str!("../tla/Double11Seed.tla")),
            ModelName::Inventory => ("Inventory", include_str!("../tla/Inventory.tla")),
            ModelName::SagaSeed => ("SagaSeed", include_str!("../tla/SagaSeed.tla")),
            ModelName::Saga => ("Saga", include_str!("../tla/Saga.tla")),
            ModelName::Breaker => ("Breaker", include_str!("../tla/Breaker.tla")),
            ModelName::BreakerSeed => ("BreakerSeed", include_str!("../tla/BreakerSeed.tla")),
            ModelName::TokenBucket => ("TokenBucket", include_str!("../tla/TokenBucket.tla")),
        }
    }

    /// Constants the TLA+ twin needs as model values (PlusCal's `defaultInitValue`).
    pub fn tla_model_values(self) -> &'static [&'static str] {
        match self {
            ModelName::InventorySeed => &["defaultInitValue"],
            ModelName::Inventory
            | ModelName::SagaSeed
            | ModelName::Saga
            | ModelName::Breaker
            | ModelName::BreakerSeed
            | ModelName::TokenBucket => &[],
        }
    }

    /// True for the models built from a saga file (`--saga FILE`).
    pub fn uses_saga(self) -> bool {
        matches!(self, ModelName::SagaSeed | ModelName::Saga)
    }
}

/// The breaker models' scaled defaults.
pub const BREAKER_DEFAULTS: &[(&str, &str)] = &[
    ("MinimumCalls", "4"),
    ("WindowSize", "4"),
    ("WaitTicks", "3"),
    ("Permitted", "2"),
    ("ThresholdNum", "1"),
    ("ThresholdDen", "2"),
    ("Comparison", "greater"),
];

/// The seed's saga (`specs/create_order.saga.yaml`), embedded so the binary works anywhere.
pub const SEED_SAGA_YAML: &str = include_str!("../specs/create_order.saga.yaml");
/// The name the embedded seed saga is reported under.
pub const SEED_SAGA_PATH: &str = "specs/create_order.saga.yaml";

/// The seed's saga definition.
pub fn seed_saga() -> SagaDefinition {
    parse_saga_str(SEED_SAGA_YAML, Path::new(SEED_SAGA_PATH))
        .expect("the embedded seed saga is valid (tested)")
}

/// The saga in `path`, or the embedded seed saga when `path` is `None`.
pub fn load_saga_or_seed(path: Option<&Path>) -> Result<SagaDefinition, SpecError> {
    match path {
        Some(p) => crate::specs::load_saga(p),
        None => parse_saga_str(SEED_SAGA_YAML, Path::new(SEED_SAGA_PATH)),
    }
}

/// A saga definition as the models' step list.
pub fn step_list(saga: &SagaDefinition) -> Result<StepList, ConstantError> {
    StepList::new(
        saga.steps
            .iter()
            .map(|s| StepNames {
                name: s.name.clone(),
                compensation: s.compensation.clone(),
            })
            .collect(),
    )
    .map_err(model_error)
}

/// Bad `-c NAME=VALUE` constants.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConstantError {
    /// Not of the form NAME=VALUE.
    #[error("constant '{0}' is not of the form NAME=VALUE")]
    Malformed(String),
    /// A name the model does not have.
    #[error("model {model} has no constant '{name}' (it has: {known})")]
    Unknown {
        /// The model.
        model: &'static str,
        /// The name given.
        name: String,
        /// The names it has.
        known: String,
    },
    /// The same constant given twice (the last would silently win).
    #[error("constant {name} is given twice ('{first}', then '{again}'): give it once")]
    Repeated {
        /// The constant.
        name: String,
        /// The first assignment.
        first: String,
        /// The second.
        again: String,
    },
    /// A model's own range check (the value is in its reason).
    #[error("constant {name}: {reason}")]
    OutOfRange {
        /// The constant.
        name: String,
        /// Why the model refused it.
        reason: String,
    },
    /// A value that does not parse or is out of range.
    #[error("constant {name} = '{value}': {reason}")]
    BadValue {
        /// The constant.
        name: String,
        /// The value given.
        value: String,
        /// Why it was refused.
        reason: String,
    },
}

/// Constants after defaults: name → value as given (`3`, `atomic`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constants {
    model: ModelName,
    values: BTreeMap<String, String>,
}

impl Constants {
    /// The model's defaults overridden by `assignments` (`NAME=VALUE`).
    pub fn parse(model: ModelName, assignments: &[String]) -> Result<Self, ConstantError> {
        let mut values: BTreeMap<String, String> = model
            .defaults()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let mut seen: BTreeMap<String, String> = BTreeMap::new();
        for assignment in assignments {
            let (name, value) = assignment
                .split_once('=')
                .ok_or_else(|| ConstantError::Malformed(assignment.clone()))?;
            let name = name.trim();
            if let Some(first) = seen.insert(name.to_string(), assignment.clone()) {
                return Err(ConstantError::Repeated {
                    name: name.to_string(),
                    first,
                    again: assignment.clone(),
                });
            }
            if !values.contains_key(name) {
                return Err(ConstantError::Unknown {
                    model: model.as_str(),
                    name: name.to_string(),
                    known: values.keys().cloned().collect::<Vec<_>>().join(", "),
                });
            }
            values.insert(name.to_string(), value.trim().to_string());
        }
        Ok(Constants { model, values })
    }

    fn number(&self, name: &str) -> Result<u64, ConstantError> {
        let value = &self.values[name];
        value.parse::<u64>().map_err(|_| ConstantError::BadValue {
            name: name.to_string(),
            value: value.clone(),
            reason: "not a non-negative whole number".to_string(),
        })
    }

    fn deduction(&self) -> Result<Deduction, ConstantError> {
        let value = &self.values["Deduction"];
        Deduction::from_tla_name(value).ok_or_else(|| ConstantError::BadValue {
            name: "Deduction".to_string(),
            value: value.clone(),
            reason: "expected atomic or read_then_write".to_string(),
        })
    }

    fn comparison(&self) -> Result<Comparison, ConstantError> {
        let value = &self.values["Comparison"];
        Comparison::from_tla_name(value).ok_or_else(|| ConstantError::BadValue {
            name: "Comparison".to_string(),
            value: value.clone(),
            reason: "expected greater or greater_or_equal".to_string(),
        })
    }

    fn breaker_config(&self) -> Result<BreakerConfig, ConstantError> {
        Ok(BreakerConfig {
            minimum_calls: self.number("MinimumCalls")?,
            window_size: self.number("WindowSize")?,
            wait_ticks: self.number("WaitTicks")?,
            permitted: self.number("Permitted")?,
            threshold_num: self.number("ThresholdNum")?,
            threshold_den: self.number("ThresholdDen")?,
            comparison: self.comparison()?,
        })
    }

    /// The constants as `-c` arguments, for reproduction commands.
    pub fn as_args(&self) -> String {
        self.values
            .iter()
            .map(|(k, v)| format!("-c {k}={v}"))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn model_error(e: flashcheck_models::inventory::ConstantError) -> ConstantError {
    ConstantError::OutOfRange {
        name: e.constant.to_string(),
        reason: e.reason,
    }
}

/// A port's properties as the TLA+ driver needs them: name, kind, description.
pub type PropertyList = Vec<(String, PropertyKind, String)>;

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

/// A built Rust port, ready to check.
#[derive(Debug, Clone)]
pub enum Port {
    /// `inventory-seed`.
    InventorySeed(Double11Seed),
    /// `inventory`.
    Inventory(Inventory),
    /// `saga-seed`.
    SagaSeed(SagaSeed),
    /// `saga`.
    Saga(Saga),
    /// `breaker-seed`.
    BreakerSeed(BreakerSeed),
    /// `breaker`.
    Breaker(Breaker),
    /// `token-bucket`.
    TokenBucket(TokenBucket),
}

impl Port {
    /// Builds the port of `constants.model`; the saga models get the seed's saga.
    pub fn build(constants: &Constants) -> Result<Port, ConstantError> {
        Port::build_with_saga(constants, &seed_saga())
    }

    /// Builds the port of `constants.model`; the saga models are built from `saga` (the
    /// other models ignore it).
    pub fn build_with_saga(
        constants: &Constants,
        saga: &SagaDefinition,
    ) -> Result<Port, ConstantError> {
        let saga_args = || -> Result<(StepList, u64, u64, u64), ConstantError> {
            Ok((
                step_list(saga)?,
                constants.number("F")?,
                constants.number("R")?,
                constants.number("C")?,
            ))
        };
        Ok(match constants.model {
            ModelName::InventorySeed => Port::InventorySeed(
                Double11Seed::new(constants.number("Users")?, constants.number("Stock")?)
                    .map_err(model_error)?,
            ),
            ModelName::Inventory => Port::Inventory(
                Inventory::new(
                    constants.number("Users")?,
                    constants.number("Stock")?,
                    constants.deduction()?,
                )
                .map_err(model_error)?,
            ),
            ModelName::SagaSeed => {
                let (steps, f, r, c) = saga_args()?;
                Port::SagaSeed(SagaSeed::new(steps, f, r, c).map_err(model_error)?)
            }
            ModelName::Saga => {
                let (steps, f, r, c) = saga_args()?;
                Port::Saga(Saga::new(steps, f, r, c).map_err(model_error)?)
            }
            ModelName::Breaker => {
                Port::Breaker(Breaker::new(constants.breaker_config()?).map_err(model_error)?)
            }
            ModelName::BreakerSeed => Port::BreakerSeed(
                BreakerSeed::new(constants.breaker_config()?).map_err(model_error)?,
            ),
            ModelName::TokenBucket => Port::TokenBucket(
                TokenBucket::new(BucketConfig {
                    capacity: constants.number("Capacity")?,
                    rate: constants.number("Rate")?,
                    rate_window: constants.number("RateWindow")?,
                })
                .map_err(model_error)?,
            ),
        })
    }

    /// Checks the port (and marks what it cannot decide, see [`Port::annotate`]).
    pub fn check(&self, name: &str, command: String, options: &CheckOptions) -> CheckReport {
        let mut report = match self {
            Port::InventorySeed(m) => check::check(m.clone(), name, command, options),
            Port::Inventory(m) => check::check(m.clone(), name, command, options),
            Port::SagaSeed(m) => check::check(m.clone(), name, command, options),
            Port::Saga(m) => check::check(m.clone(), name, command, options),
            Port::Breaker(m) => check::check(m.clone(), name, command, options),
            Port::BreakerSeed(m) => check::check(m.clone(), name, command, options),
            Port::TokenBucket(m) => check::check(m.clone(), name, command, options),
        };
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
    ) -> Result<CheckReport, check::CheckError> {
        let mut report = match self {
            Port::InventorySeed(m) => check::try_check(m.clone(), name, command, options),
            Port::Inventory(m) => check::try_check(m.clone(), name, command, options),
            Port::SagaSeed(m) => check::try_check(m.clone(), name, command, options),
            Port::Saga(m) => check::try_check(m.clone(), name, command, options),
            Port::Breaker(m) => check::try_check(m.clone(), name, command, options),
            Port::BreakerSeed(m) => check::try_check(m.clone(), name, command, options),
            Port::TokenBucket(m) => check::try_check(m.clone(), name, command, options),
        }?;
        self.annotate(&mut report);
        Ok(report)
    }

    /// Marks `unknown`, with a note, the domain properties of a saga that lacks their step
    /// (no `refund_payment` / `cancel_inventory_reservation` compensation): both engines
    /// evaluate them vacuously there, which says nothing about the user's saga. Apply to
    /// the Rust report and to the TLA+ twin's.
    pub fn annotate(&self, report: &mut CheckReport) {
        let steps = match self {
            Port::SagaSeed(m) => m.steps(),
            Port::Saga(m) => m.steps(),
            Port::InventorySeed(_)
            | Port::Inventory(_)
            | Port::Breaker(_)
            | Port::BreakerSeed(_)
            | Port::TokenBucket(_) => return,
        };
        let missing = [
            (
                "no_refund_without_payment",
                steps.payment_step().is_none(),
                REFUND_PAYMENT,
            ),
            (
                "reservation_released_on_abort",
                steps.inventory_step().is_none(),
                CANCEL_RESERVATION,
            ),
        ];
        for (property, absent, compensation) in missing {
            if !absent {
                continue;
            }
            for p in report.properties.iter_mut().filter(|p| p.name == property) {
                p.verdict = Verdict::Unknown;
                p.counterexample = None;
                p.cycle_start = None;
                p.note = Some(format!(
                    "not decided: no step of this saga has the compensation `{compensation}`"
                ));
            }
        }
    }

    /// The properties, in report order, for the TLA+ twin.
    pub fn properties(&self) -> PropertyList {
        match self {
            Port::InventorySeed(m) => property_list(m),
            Port::Inventory(m) => property_list(m),
            Port::SagaSeed(m) => property_list(m),
            Port::Saga(m) => property_list(m),
            Port::Breaker(m) => property_list(m),
            Port::BreakerSeed(m) => property_list(m),
            Port::TokenBucket(m) => property_list(m),
        }
    }

    /// The constants as TLA+ text (`Deduction = "atomic"`).
    pub fn tla_constants(&self) -> BTreeMap<String, String> {
        let pairs = match self {
            Port::InventorySeed(m) => m.constants(),
            Port::Inventory(m) => m.constants(),
            Port::SagaSeed(m) => m.constants(),
            Port::Saga(m) => m.constants(),
            Port::Breaker(m) => m.constants(),
            Port::BreakerSeed(m) => m.constants(),
            Port::TokenBucket(m) => m.constants(),
        };
        pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
    }
}

/// A port of `model` for `-c` assignments and an optional `--saga FILE`: the one way the
/// commands build a model. A saga file given to a model that does not use one is refused.
pub fn build_port(
    model: ModelName,
    assignments: &[String],
    saga: Option<&Path>,
) -> Result<(Constants, Port), BuildError> {
    if saga.is_some() && !model.uses_saga() {
        return Err(BuildError::SagaNotUsed(model.as_str()));
    }
    let constants = Constants::parse(model, assignments)?;
    let definition = load_saga_or_seed(saga)?;
    let port = Port::build_with_saga(&constants, &definition)?;
    Ok((constants, port))
}

/// Why a model could not be built from the command line.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
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

impl fmt::Display for ModelName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
