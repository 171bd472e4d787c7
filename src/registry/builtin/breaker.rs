//! The circuit breakers of §2.2: the seed's formula read literally (`breaker-seed`) and
//! resilience4j's semantics (`breaker`, replayed against the reference's breaker).

use super::ONE_TO_THREE;
use crate::registry::{out_of_range, Checkable, ConstantError, Constants, Entry, Port, Twin};
use crate::replay::breaker::BreakerConformance;
use crate::replay::job::{Done, Job, JobError, ReplaySetup};
use crate::specs::SagaDefinition;
use flashcheck_models::breaker::{Breaker, BreakerConfig, Comparison};
use flashcheck_models::breaker_seed::BreakerSeed;

/// The breaker models' scaled defaults, from specs/breaker.toml (100 calls, window 100,
/// 10 s, 10 probes, θ = 0.5 compared with ">"): the threshold and its comparison are the
/// file's.
pub const BREAKER_DEFAULTS: &[(&str, &str)] = &[
    ("MinimumCalls", "4"),
    ("WindowSize", "4"),
    ("WaitTicks", "3"),
    ("Permitted", "2"),
    ("ThresholdNum", "1"),
    ("ThresholdDen", "2"),
    ("Comparison", "greater"),
];

const SWEEP: &[(&str, &[u64])] = &[("Permitted", ONE_TO_THREE), ("WaitTicks", ONE_TO_THREE)];

/// `breaker-seed`.
pub static BREAKER_SEED: Entry = Entry {
    name: "breaker-seed",
    description: "The seed's breaker formula of §2.2, read literally.",
    defaults: BREAKER_DEFAULTS,
    build: build_seed,
    twin: Some(Twin {
        module: "BreakerSeed",
        source: include_str!("../../../tla/BreakerSeed.tla"),
        model_values: &[],
    }),
    uses_saga: false,
    set_variables: &[],
    sweep: SWEEP,
    annotate: None,
    replay: None,
};

/// `breaker`.
pub static BREAKER: Entry = Entry {
    name: "breaker",
    description: "The circuit breaker of §2.2 with resilience4j's semantics (scaled constants).",
    defaults: BREAKER_DEFAULTS,
    build,
    twin: Some(Twin {
        module: "Breaker",
        source: include_str!("../../../tla/Breaker.tla"),
        model_values: &[],
    }),
    uses_saga: false,
    set_variables: &[],
    sweep: SWEEP,
    annotate: None,
    replay: Some(replay),
};

fn config(c: &Constants) -> Result<BreakerConfig, ConstantError> {
    Ok(BreakerConfig {
        minimum_calls: c.number("MinimumCalls")?,
        window_size: c.number("WindowSize")?,
        wait_ticks: c.number("WaitTicks")?,
        permitted: c.number("Permitted")?,
        threshold_num: c.number("ThresholdNum")?,
        threshold_den: c.number("ThresholdDen")?,
        comparison: c.choice(
            "Comparison",
            Comparison::from_tla_name,
            "greater or greater_or_equal",
        )?,
    })
}

fn build_seed(c: &Constants, _: &SagaDefinition) -> Result<Box<dyn Checkable>, ConstantError> {
    Ok(Box::new(
        BreakerSeed::new(config(c)?).map_err(out_of_range)?,
    ))
}

fn build(c: &Constants, _: &SagaDefinition) -> Result<Box<dyn Checkable>, ConstantError> {
    Ok(Box::new(Breaker::new(config(c)?).map_err(out_of_range)?))
}

fn replay(port: &Port, _: &ReplaySetup<'_>, job: Job<'_>) -> Result<Done, JobError> {
    let model = port.model::<Breaker>().expect("built by BREAKER");
    job.run(BreakerConformance::new(model.clone())?)
}
