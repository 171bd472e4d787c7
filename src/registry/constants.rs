//! A model's constants from the command line: `-c NAME=VALUE` over the registered defaults,
//! each name checked against the model's, and the typed readers a model's `build` uses.

use super::Entry;
use std::collections::BTreeMap;

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
    model: &'static Entry,
    values: BTreeMap<String, String>,
}

impl Constants {
    /// The model's defaults overridden by `assignments` (`NAME=VALUE`).
    pub fn parse(model: &'static Entry, assignments: &[String]) -> Result<Self, ConstantError> {
        let mut values: BTreeMap<String, String> = model
            .defaults
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
                    model: model.name,
                    name: name.to_string(),
                    known: values.keys().cloned().collect::<Vec<_>>().join(", "),
                });
            }
            values.insert(name.to_string(), value.trim().to_string());
        }
        Ok(Constants { model, values })
    }

    /// The model these constants are of.
    pub fn model(&self) -> &'static Entry {
        self.model
    }

    /// The value of `name` as given (a name the model does not declare is a bug of its
    /// `build`, not of the input: it panics).
    pub fn value(&self, name: &str) -> &str {
        self.values
            .get(name)
            .unwrap_or_else(|| panic!("model {} declares no constant {name}", self.model.name))
    }

    /// The value of `name` as a non-negative whole number.
    pub fn number(&self, name: &str) -> Result<u64, ConstantError> {
        let value = self.value(name);
        value.parse::<u64>().map_err(|_| ConstantError::BadValue {
            name: name.to_string(),
            value: value.to_string(),
            reason: "not a non-negative whole number".to_string(),
        })
    }

    /// The value of `name` read by `parse`, which returns `None` for a value it does not
    /// know; `expected` says what it knows (`atomic or read_then_write`).
    pub fn choice<T>(
        &self,
        name: &str,
        parse: impl FnOnce(&str) -> Option<T>,
        expected: &str,
    ) -> Result<T, ConstantError> {
        let value = self.value(name);
        parse(value).ok_or_else(|| ConstantError::BadValue {
            name: name.to_string(),
            value: value.to_string(),
            reason: format!("expected {expected}"),
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

/// A model's own range check as a constant error.
pub fn out_of_range(e: flashcheck_models::constant::RangeError) -> ConstantError {
    ConstantError::OutOfRange {
        name: e.constant.to_string(),
        reason: e.reason,
    }
}
