//! The design inputs as data: the saga definition (`specs/create_order.saga.yaml`), the
//! breaker / rate-limiter settings (`specs/breaker.toml`) and the document's behavioural
//! claims (`specs/behaviour.toml`), parsed and validated into typed values; [`Scenario`]
//! bundles them with the arithmetic inputs. Every problem is reported as a [`SpecError`] naming the file, the line and the
//! reason, so a command line can print it on one line and exit 2.
//!
//! This module is shared by the reference implementation and the model builders; it never
//! depends on the model crate.

mod error;
mod yaml_tree;

pub mod behaviour;
pub mod breaker;
pub mod document;
pub mod duration;
pub mod input;
pub mod saga;
pub mod scenario;

pub use behaviour::{load_behaviour, parse_behaviour_str, BehaviourClaim, Evidence};
pub use breaker::{
    load_breaker_file, parse_breaker_str, BreakerFile, BreakerSettings, ThresholdComparison,
    TokenBucketSettings,
};
pub use document::Document;
pub use error::{SpecError, SpecProblem};
pub use saga::{
    load_saga, load_saga_or_seed, parse_saga_str, seed_saga, SagaDefinition, SagaStep,
    SEED_SAGA_PATH, SEED_SAGA_YAML,
};
pub use scenario::{Scenario, SpecFile};
