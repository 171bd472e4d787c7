//! The seed's token bucket of §2.2 with discrete time, replayed against the reference's
//! bucket.

use super::ONE_TO_THREE;
use crate::registry::{out_of_range, Checkable, ConstantError, Constants, Entry, Port, Twin};
use crate::replay::job::{Done, Job, JobError, ReplaySetup};
use crate::replay::token_bucket::BucketConformance;
use crate::specs::SagaDefinition;
use flashcheck_models::token_bucket::{BucketConfig, TokenBucket};

/// `token-bucket`.
pub static TOKEN_BUCKET: Entry = Entry {
    name: "token-bucket",
    description: "The seed's token bucket of §2.2 with discrete time.",
    // Scaled from specs/breaker.toml's 1,000,000 tokens refilled at 1,000,000/s.
    defaults: &[("Capacity", "3"), ("Rate", "1"), ("RateWindow", "3")],
    build,
    twin: Some(Twin {
        module: "TokenBucket",
        source: include_str!("../../../tla/TokenBucket.tla"),
        model_values: &[],
    }),
    uses_saga: false,
    set_variables: &[],
    sweep: &[("Capacity", ONE_TO_THREE), ("Rate", ONE_TO_THREE)],
    annotate: None,
    replay: Some(replay),
};

fn build(c: &Constants, _: &SagaDefinition) -> Result<Box<dyn Checkable>, ConstantError> {
    Ok(Box::new(
        TokenBucket::new(BucketConfig {
            capacity: c.number("Capacity")?,
            rate: c.number("Rate")?,
            rate_window: c.number("RateWindow")?,
        })
        .map_err(out_of_range)?,
    ))
}

fn replay(port: &Port, _: &ReplaySetup<'_>, job: Job<'_>) -> Result<Done, JobError> {
    let model = port.model::<TokenBucket>().expect("built by TOKEN_BUCKET");
    job.run(BucketConformance::new(model.clone())?)
}
