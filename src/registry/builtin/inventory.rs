//! The stock models: the seed's PlusCal algorithm as written (`inventory-seed`) and stock at
//! service granularity (`inventory`), replayed against the reference's inventory service.

use super::ONE_TO_THREE;
use crate::registry::{out_of_range, Checkable, ConstantError, Constants, Entry, Port, Twin};
use crate::replay::inventory::InventoryConformance;
use crate::replay::job::{Done, Job, JobError, ReplaySetup};
use crate::specs::SagaDefinition;
use flashcheck_models::inventory::{Deduction, Inventory};
use flashcheck_models::inventory_seed::Double11Seed;

/// `inventory-seed`.
pub static INVENTORY_SEED: Entry = Entry {
    name: "inventory-seed",
    description: "The seed's PlusCal algorithm of section 3.2, as written.",
    defaults: &[("Users", "3"), ("Stock", "2")],
    build: build_seed,
    twin: Some(Twin {
        module: "Double11Seed",
        source: include_str!("../../../tla/Double11Seed.tla"),
        model_values: &["defaultInitValue"],
    }),
    uses_saga: false,
    // `orders = {}`, `processing = {}` in Double11Seed.tla; the view lists them sorted.
    set_variables: &["orders", "processing"],
    sweep: &[("Users", ONE_TO_THREE), ("Stock", ONE_TO_THREE)],
    annotate: None,
    replay: None,
};

/// `inventory`.
pub static INVENTORY: Entry = Entry {
    name: "inventory",
    description: "Stock at service granularity: reserve, pay, time out, reject.",
    defaults: &[("Users", "3"), ("Stock", "2"), ("Deduction", "atomic")],
    build,
    twin: Some(Twin {
        module: "Inventory",
        source: include_str!("../../../tla/Inventory.tla"),
        model_values: &[],
    }),
    uses_saga: false,
    set_variables: &[],
    sweep: &[("Users", ONE_TO_THREE), ("Stock", ONE_TO_THREE)],
    annotate: None,
    replay: Some(replay),
};

fn build_seed(c: &Constants, _: &SagaDefinition) -> Result<Box<dyn Checkable>, ConstantError> {
    Ok(Box::new(
        Double11Seed::new(c.number("Users")?, c.number("Stock")?).map_err(out_of_range)?,
    ))
}

fn build(c: &Constants, _: &SagaDefinition) -> Result<Box<dyn Checkable>, ConstantError> {
    let deduction = c.choice(
        "Deduction",
        Deduction::from_tla_name,
        "atomic or read_then_write",
    )?;
    Ok(Box::new(
        Inventory::new(c.number("Users")?, c.number("Stock")?, deduction).map_err(out_of_range)?,
    ))
}

fn replay(port: &Port, setup: &ReplaySetup<'_>, job: Job<'_>) -> Result<Done, JobError> {
    let model = port.model::<Inventory>().expect("built by INVENTORY");
    let c = InventoryConformance::new(model.clone(), setup.store)?;
    job.run(match setup.stock {
        Some(units) => c.with_stock(units),
        None => c,
    })
}
