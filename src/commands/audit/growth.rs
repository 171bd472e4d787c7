//! How the inventory state space grows with the number of buyers, in the Rust port and its
//! TLA+ twin side by side: the distinct-state counts (deterministic, compared) and the time
//! each engine took (machine-dependent, kept apart).

use super::progress::Progress;
use anyhow::Result;
use flashcheck::catalog::{Constants, ModelName, Port};
use flashcheck::check::CheckOptions;
use flashcheck::report::CheckReport;
use flashcheck::tla::{self, TlaEngine, TlaOptions};
use flashcheck::twin;

/// The stock of every growth configuration.
pub const STOCK: u32 = 3;

/// One size, checked by both engines (every property, liveness included).
#[derive(Debug, Clone)]
pub struct GrowthPoint {
    /// Buyers.
    pub users: u32,
    /// The Rust port's report.
    pub rust: CheckReport,
    /// The TLA+ twin's report.
    pub twin: CheckReport,
}

/// Checks `inventory` (atomic, stock [`STOCK`]) for 2 to `max_users` buyers with both engines.
pub fn run(max_users: u32, engine: &TlaEngine, progress: &Progress) -> Result<Vec<GrowthPoint>> {
    let mut points = Vec::new();
    for users in 2..=max_users {
        let constants = Constants::parse(
            ModelName::Inventory,
            &[
                format!("Users={users}"),
                format!("Stock={STOCK}"),
                "Deduction=atomic".to_string(),
            ],
        )?;
        let port = Port::build(&constants)?;
        let command = format!("flashcheck check inventory {}", constants.as_args());
        let rust = port.check("inventory", command, &CheckOptions::default());
        let dir = tempfile::tempdir()?;
        let job = twin::job(ModelName::Inventory, &port, dir.path())?;
        let spinner = progress.spinner(format!("growth: inventory Users={users}, TLA+ twin"));
        let twin_report = tla::run(&job, engine, &TlaOptions::default())?;
        spinner.finish_and_clear();
        progress.done(&format!(
            "growth: inventory Users={users} Stock={STOCK}: {} distinct states",
            rust.distinct_states
        ));
        points.push(GrowthPoint {
            users,
            rust,
            twin: twin_report,
        });
    }
    Ok(points)
}
