//! The order sagas: the seed's Python `SagaOrchestrator` as written (`saga-seed`) and the
//! orchestrator as it should be (`saga`, replayed against the reference's orchestrator); both
//! are built from a saga file (`--saga`, the seed's by default).

use super::ONE_TO_THREE;
use crate::registry::{out_of_range, Checkable, ConstantError, Constants, Entry, Port, Twin};
use crate::replay::job::{Done, Job, JobError, ReplaySetup};
use crate::replay::saga::SagaConformance;
use crate::report::CheckReport;
use crate::specs::SagaDefinition;
use crate::verdict::Verdict;
use flashcheck_models::saga::Saga;
use flashcheck_models::saga_history::{StepList, StepNames, CANCEL_RESERVATION, REFUND_PAYMENT};
use flashcheck_models::saga_seed::SagaSeed;

const DEFAULTS: &[(&str, &str)] = &[("F", "1"), ("R", "1"), ("C", "1")];
const SWEEP: &[(&str, &[u64])] = &[("R", ONE_TO_THREE), ("C", ONE_TO_THREE)];

/// `saga-seed`.
pub static SAGA_SEED: Entry = Entry {
    name: "saga-seed",
    description: "The seed's Python `SagaOrchestrator` of section 2.1, as written.",
    defaults: DEFAULTS,
    build: build_seed,
    twin: Some(Twin {
        module: "SagaSeed",
        source: include_str!("../../../tla/SagaSeed.tla"),
        model_values: &[],
    }),
    uses_saga: true,
    set_variables: &[],
    sweep: SWEEP,
    annotate: Some(annotate),
    replay: None,
};

/// `saga`.
pub static SAGA: Entry = Entry {
    name: "saga",
    description: "The saga orchestrator as it should be: retried compensations, a durable log.",
    defaults: DEFAULTS,
    build,
    twin: Some(Twin {
        module: "Saga",
        source: include_str!("../../../tla/Saga.tla"),
        model_values: &[],
    }),
    uses_saga: true,
    set_variables: &[],
    sweep: SWEEP,
    annotate: Some(annotate),
    replay: Some(replay),
};

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
    .map_err(out_of_range)
}

fn arguments(
    c: &Constants,
    saga: &SagaDefinition,
) -> Result<(StepList, u64, u64, u64), ConstantError> {
    Ok((
        step_list(saga)?,
        c.number("F")?,
        c.number("R")?,
        c.number("C")?,
    ))
}

fn build_seed(c: &Constants, saga: &SagaDefinition) -> Result<Box<dyn Checkable>, ConstantError> {
    let (steps, f, r, crashes) = arguments(c, saga)?;
    Ok(Box::new(
        SagaSeed::new(steps, f, r, crashes).map_err(out_of_range)?,
    ))
}

fn build(c: &Constants, saga: &SagaDefinition) -> Result<Box<dyn Checkable>, ConstantError> {
    let (steps, f, r, crashes) = arguments(c, saga)?;
    Ok(Box::new(
        Saga::new(steps, f, r, crashes).map_err(out_of_range)?,
    ))
}

fn replay(port: &Port, setup: &ReplaySetup<'_>, job: Job<'_>) -> Result<Done, JobError> {
    let model = port.model::<Saga>().expect("built by SAGA");
    job.run(SagaConformance::new(model.clone(), setup.saga.clone())?)
}

/// Marks `unknown`, with a note, the domain properties of a saga that lacks their step
/// (no `refund_payment` / `cancel_inventory_reservation` compensation): both engines
/// evaluate them vacuously there, which says nothing about the user's saga. Applied to the
/// Rust report and to the TLA+ twin's.
fn annotate(port: &Port, report: &mut CheckReport) {
    let steps = match (port.model::<Saga>(), port.model::<SagaSeed>()) {
        (Some(m), _) => m.steps(),
        (_, Some(m)) => m.steps(),
        _ => return,
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
