//! How the inventory state space grows with the number of buyers, in the Rust port and its
//! TLA+ twin side by side: the distinct-state counts (deterministic, compared) and the time
//! each engine took (machine-dependent, kept apart).

use super::error::AuditError;
use super::progress::Progress;
use crate::check::CheckOptions;
use crate::registry::{builtin, Constants, Port};
use crate::report::CheckReport;
use crate::tla::{TlaEngine, TlaOptions};
use crate::twin;

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
pub fn run(
    max_users: u32,
    engine: &TlaEngine,
    tla_options: &TlaOptions,
    progress: &Progress,
) -> Result<Vec<GrowthPoint>, AuditError> {
    let mut points = Vec::new();
    for users in 2..=max_users {
        let constants = Constants::parse(
            &builtin::INVENTORY,
            &[
                format!("Users={users}"),
                format!("Stock={STOCK}"),
                "Deduction=atomic".to_string(),
            ],
        )?;
        let port = Port::build(&constants)?;
        let command = format!("flashcheck check inventory {}", constants.as_args());
        let mut spinner = None;
        let crossed = twin::cross(
            &port,
            command,
            &CheckOptions::default(),
            engine,
            tla_options,
            || {
                spinner =
                    Some(progress.spinner(format!("growth: inventory Users={users}, TLA+ twin")))
            },
        )?;
        if let Some(s) = spinner {
            s.finish_and_clear();
        }
        let (rust, twin_report) = (crossed.rust, crossed.twin);
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
