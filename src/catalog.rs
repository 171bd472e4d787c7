//! The models flashcheck knows by name: how to build each Rust port from `-c NAME=VALUE`
//! constants, its defaults, and its TLA+ twin (embedded, so the binary works anywhere).

use crate::check::{self, CheckOptions};
use crate::report::{CheckReport, PropertyKind};
use flashcheck_models::breaker::{Breaker, BreakerConfig, Comparison};
use flashcheck_models::breaker_seed::BreakerSeed;
use flashcheck_models::inventory::{Deduction, Inventory};
use flashcheck_models::inventory_seed::Double11Seed;
use flashcheck_models::token_bucket::{BucketConfig, TokenBucket};
use flashcheck_models::Spec;
use std::collections::BTreeMap;
use std::fmt;

/// A model flashcheck can check by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ModelName {
    /// The seed's PlusCal algorithm of section 3.2, as written.
    #[value(name = "inventory-seed")]
    InventorySeed,
    /// Stock at service granularity: reserve, pay, time out, reject.
    Inventory,
    /// The circuit breaker of §2.2 with resilience4j's semantics (scaled constants).
    Breaker,
    /// The seed's breaker formula of §2.2, read literally.
    #[value(name = "breaker-seed")]
    BreakerSeed,
    /// The seed's token bucket of §2.2 with discrete time.
    #[value(name = "token-bucket")]
    TokenBucket,
}

impl ModelName {
    /// Every model, in report order.
    pub const ALL: [ModelName; 5] = [
        ModelName::InventorySeed,
        ModelName::Inventory,
        ModelName::BreakerSeed,
        ModelName::Breaker,
        ModelName::TokenBucket,
    ];

    /// The model's name on the command line and in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            ModelName::InventorySeed => "inventory-seed",
            ModelName::Inventory => "inventory",
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
            | ModelName::Breaker
            | ModelName::BreakerSeed
            | ModelName::TokenBucket => &[],
        }
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
        for assignment in assignments {
            let (name, value) = assignment
                .split_once('=')
                .ok_or_else(|| ConstantError::Malformed(assignment.clone()))?;
            let name = name.trim();
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
    ConstantError::BadValue {
        name: e.constant.to_string(),
        value: String::new(),
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
    /// `breaker`.
    Breaker(Breaker),
    /// `breaker-seed`.
    BreakerSeed(BreakerSeed),
    /// `token-bucket`.
    TokenBucket(TokenBucket),
}

impl Port {
    /// Builds the port of `constants.model`.
    pub fn build(constants: &Constants) -> Result<Port, ConstantError> {
        let c = constants;
        Ok(match c.model {
            ModelName::InventorySeed => Port::InventorySeed(
                Double11Seed::new(c.number("Users")?, c.number("Stock")?).map_err(model_error)?,
            ),
            ModelName::Inventory => Port::Inventory(
                Inventory::new(c.number("Users")?, c.number("Stock")?, c.deduction()?)
                    .map_err(model_error)?,
            ),
            ModelName::Breaker => {
                Port::Breaker(Breaker::new(c.breaker_config()?).map_err(model_error)?)
            }
            ModelName::BreakerSeed => {
                Port::BreakerSeed(BreakerSeed::new(c.breaker_config()?).map_err(model_error)?)
            }
            ModelName::TokenBucket => Port::TokenBucket(
                TokenBucket::new(BucketConfig {
                    capacity: c.number("Capacity")?,
                    rate: c.number("Rate")?,
                    rate_window: c.number("RateWindow")?,
                })
                .map_err(model_error)?,
            ),
        })
    }

    /// Checks the port.
    pub fn check(&self, name: &str, command: String, options: &CheckOptions) -> CheckReport {
        match self {
            Port::InventorySeed(m) => check::check(m.clone(), name, command, options),
            Port::Inventory(m) => check::check(m.clone(), name, command, options),
            Port::Breaker(m) => check::check(m.clone(), name, command, options),
            Port::BreakerSeed(m) => check::check(m.clone(), name, command, options),
            Port::TokenBucket(m) => check::check(m.clone(), name, command, options),
        }
    }

    /// The properties, in report order, for the TLA+ twin.
    pub fn properties(&self) -> PropertyList {
        match self {
            Port::InventorySeed(m) => property_list(m),
            Port::Inventory(m) => property_list(m),
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
            Port::Breaker(m) => m.constants(),
            Port::BreakerSeed(m) => m.constants(),
            Port::TokenBucket(m) => m.constants(),
        };
        pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
    }
}

impl fmt::Display for ModelName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
