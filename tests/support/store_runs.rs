//! Test support shared by the real-store tests (Redis, MariaDB): the small workload that
//! sells out within a run, and a user's own deduction file.

use flashcheck::target::run::Workload;
use flashcheck::target::{Deduction, Setup};

/// 8 clients × 12 operations on one SKU of 5 units: sold out within the run, so a
/// read-then-write race shows as an oversell or a unit sold twice.
pub fn sells_out(seed: u64) -> Workload {
    Workload {
        clients: 8,
        ops_per_client: 12,
        setup: Setup { stock: 5, skus: 1 },
        seed,
        faults: vec![],
    }
}

/// A user's own deduction (`--script FILE.lua`, `--sql FILE.sql`) with the text `text`.
pub fn custom(file: &str, text: &str) -> Deduction {
    Deduction::Custom {
        file: file.into(),
        text: text.into(),
    }
}
