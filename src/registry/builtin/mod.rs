//! The built-in models' registrations, one file per model family, and [`BUILTIN`], the one
//! list that names them (in report order).

pub mod breaker;
pub mod inventory;
pub mod saga;
pub mod token_bucket;

use super::Entry;

pub use breaker::{BREAKER, BREAKER_SEED};
pub use inventory::{INVENTORY, INVENTORY_SEED};
pub use saga::{SAGA, SAGA_SEED};
pub use token_bucket::TOKEN_BUCKET;

/// Every built-in model, in report order.
pub static BUILTIN: &[&Entry] = &[
    &INVENTORY_SEED,
    &INVENTORY,
    &SAGA_SEED,
    &SAGA,
    &BREAKER_SEED,
    &BREAKER,
    &TOKEN_BUCKET,
];

/// The values a bound sweep tries for a small bound.
pub(crate) const ONE_TO_THREE: &[u64] = &[1, 2, 3];
