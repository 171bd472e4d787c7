//! Which model configurations the audit checks, why, and what it expects of each: the
//! built-in list, plus every configuration a behavioural claim cites as evidence.

use super::error::AuditError;
use crate::registry::{builtin, Constants, Entry, Registry};
use crate::specs::{BehaviourClaim, SagaDefinition};

/// What the audit expects of a configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// A correct design: every property holds.
    AllHold,
    /// The seed as written, or a deliberately racy variant: the audit exists to show how it fails.
    Violations,
    /// Checked only because a claim cites it: its verdicts are evidence, not expectations.
    Evidence,
}

/// One model configuration to check.
#[derive(Debug, Clone)]
pub struct Config {
    /// The model.
    pub model: &'static Entry,
    /// Its constants (defaults filled in).
    pub constants: Constants,
    /// Why the audit checks it.
    pub why: String,
    /// What it expects.
    pub expect: Expect,
}

impl Config {
    /// The constants as the report shows them: `Stock=2 Users=3`.
    pub fn shown(&self) -> String {
        self.constants.as_args().replace("-c ", "")
    }

    /// The constants that name the configuration: all of them, or for models with many
    /// constants (the breakers) only those that differ from the defaults.
    fn naming_constants(&self) -> Vec<String> {
        let all: Vec<String> = self.shown().split_whitespace().map(String::from).collect();
        let defaults = self.model.defaults;
        if defaults.len() <= 3 {
            return all;
        }
        all.into_iter()
            .filter(|a| !defaults.iter().any(|(k, v)| *a == format!("{k}={v}")))
            .collect()
    }

    /// A short name for links: `inventory-seed Stock=2 Users=3`, `breaker (defaults)`.
    pub fn label(&self) -> String {
        let named = self.naming_constants();
        if named.is_empty() {
            format!("{} (defaults)", self.model)
        } else {
            format!("{} {}", self.model, named.join(" "))
        }
    }

    /// A file-name-safe name: `inventory-seed_Stock2_Users3`, `breaker_defaults`.
    pub fn slug(&self) -> String {
        let mut slug = self.model.as_str().to_string();
        let named = self.naming_constants();
        if named.is_empty() {
            slug.push_str("_defaults");
        }
        for assignment in named {
            slug.push('_');
            slug.extend(assignment.chars().filter(|c| c.is_ascii_alphanumeric()));
        }
        slug
    }
}

const BUILT_IN: &[(&Entry, &[&str], &str, Expect)] = &[
    (
        &builtin::INVENTORY_SEED,
        &["Users=3", "Stock=2"],
        "the seed's algorithm (§3.2) when buyers outnumber stock, as at midnight",
        Expect::Violations,
    ),
    (
        &builtin::INVENTORY_SEED,
        &["Users=2", "Stock=3"],
        "the seed's algorithm when stock suffices",
        Expect::AllHold,
    ),
    (
        &builtin::INVENTORY,
        &["Users=3", "Stock=2", "Deduction=atomic"],
        "atomic check-and-decrement (Lua script / conditional UPDATE)",
        Expect::AllHold,
    ),
    (
        &builtin::INVENTORY,
        &["Users=3", "Stock=2", "Deduction=read_then_write"],
        "read the stock, write it back later: the classic race",
        Expect::Violations,
    ),
    (
        &builtin::SAGA_SEED,
        &["F=1", "R=1", "C=1"],
        "the seed's SagaOrchestrator (§2.1) on the scenario's saga",
        Expect::Violations,
    ),
    (
        &builtin::SAGA,
        &["F=1", "R=1", "C=1"],
        "the orchestrator as it should be: durable log, retried compensations",
        Expect::AllHold,
    ),
    (
        &builtin::BREAKER_SEED,
        &[],
        "the seed's breaker formula (§2.2) read literally, scaled constants",
        Expect::Violations,
    ),
    (
        &builtin::BREAKER,
        &[],
        "a resilience4j-like count-window breaker, scaled constants",
        Expect::AllHold,
    ),
    (
        &builtin::TOKEN_BUCKET,
        &[],
        "the seed's token bucket (§2.2) with discrete time",
        Expect::AllHold,
    ),
];

/// The larger configuration the full audit adds (skipped by `--quick`).
const FULL_ONLY: (&Entry, &[&str], &str, Expect) = (
    &builtin::INVENTORY,
    &["Users=8", "Stock=5", "Deduction=atomic"],
    "atomic deduction at a larger size (220,068 states)",
    Expect::AllHold,
);

fn parse(model: &'static Entry, constants: &[&str]) -> Result<Constants, AuditError> {
    let owned: Vec<String> = constants.iter().map(|s| s.to_string()).collect();
    Ok(Constants::parse(model, &owned)?)
}

/// The audit's configurations: the built-in ones (the larger one unless `quick`), then those
/// `claims` cite that are not among them. A claim citing an unknown model, bad constants or
/// a property its model lacks is bad input.
pub fn configurations(
    quick: bool,
    claims: &[BehaviourClaim],
    saga: &SagaDefinition,
) -> Result<Vec<Config>, AuditError> {
    let mut list = Vec::new();
    for (model, constants, why, expect) in BUILT_IN
        .iter()
        .chain((!quick).then_some(&FULL_ONLY))
        .copied()
    {
        list.push(Config {
            model,
            constants: parse(model, constants)?,
            why: why.to_string(),
            expect,
        });
    }
    for claim in claims {
        for evidence in &claim.evidence {
            let Ok(model) = Registry::builtin().get(&evidence.model) else {
                return Err(AuditError::Input(format!(
                    "claim {}: unknown model `{}`",
                    claim.id, evidence.model
                )));
            };
            let constants = Constants::parse(model, &evidence.constants)
                .map_err(|e| AuditError::Input(format!("claim {}: {e}", claim.id)))?;
            let port = constants
                .model()
                .build(&constants, saga)
                .map_err(|e| AuditError::Input(format!("claim {}: {e}", claim.id)))?;
            let known: Vec<String> = port
                .properties()
                .into_iter()
                .map(|(name, _, _)| name)
                .chain(std::iter::once("deadlock_free".to_string()))
                .collect();
            if !known.contains(&evidence.property) {
                return Err(AuditError::Input(format!(
                    "claim {}: model {model} has no property `{}` (it has: {})",
                    claim.id,
                    evidence.property,
                    known.join(", ")
                )));
            }
            if !list
                .iter()
                .any(|c| c.model == model && c.constants == constants)
            {
                list.push(Config {
                    model,
                    constants,
                    why: format!("cited by claim {}", claim.id),
                    expect: Expect::Evidence,
                });
            }
        }
    }
    Ok(list)
}
