//! Trace generation and replay in the audit: for each correct model that has an
//! implementation, its witnesses and seeded random walks are written as ITF files (they are
//! evidence, committed with the report) and replayed against the reference implementation
//! on every executor — inline step by step, pool and pinned checked for linearizability.

use super::error::AuditError;
use crate::registry::{builtin, Constants, Entry};
use crate::replay::driver::ReplayReport;
use crate::replay::inventory::StoreChoice;
use crate::replay::job::{Done, Job, ReplaySetup};
use crate::replay::ExecutorChoice;
use crate::specs::SagaDefinition;
use crate::trace::generate::{self, TraceRequest};
use std::path::Path;
use std::time::Instant;

/// Random walks per model, their depth and the first seed: fixed, so the files are stable.
const WALKS: usize = 20;
const DEPTH: usize = 20;
const SEED: u64 = 0;

/// The correct models whose traces are replayed, with the constants they are generated for.
const REPLAYED: &[(&Entry, &[&str])] = &[
    (
        &builtin::INVENTORY,
        &["Users=3", "Stock=2", "Deduction=atomic"],
    ),
    (&builtin::SAGA, &["F=1", "R=1", "C=1"]),
    (&builtin::BREAKER, &[]),
    (&builtin::TOKEN_BUCKET, &[]),
];

/// One model's traces replayed on one executor.
#[derive(Debug)]
pub struct ReplayRow {
    /// The model.
    pub model: &'static Entry,
    /// Its constants as shown.
    pub constants: String,
    /// Where its traces are, relative to the report directory.
    pub traces_dir: String,
    /// The executor.
    pub executor: ExecutorChoice,
    /// What replay found; `None` when the model has no implementation yet.
    pub report: Option<ReplayReport>,
}

/// Generates each replayed model's traces under `out/evidence/traces/` and replays them on
/// every executor. Returns the rows and the seconds each took (machine-dependent).
pub fn run(out: &Path, saga: &SagaDefinition) -> Result<Vec<(ReplayRow, f64)>, AuditError> {
    let mut rows = Vec::new();
    for (model, constants) in REPLAYED {
        let owned: Vec<String> = constants.iter().map(|s| s.to_string()).collect();
        let constants = Constants::parse(model, &owned)?;
        let shown = constants.as_args().replace("-c ", "");
        let relative = format!("evidence/traces/{model}");
        let dir = out.join(&relative);
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(|e| AuditError::io("removing", &dir, e))?;
        }
        let port = constants.model().build(&constants, saga)?;
        let request = TraceRequest {
            constants: constants.clone(),
            count: WALKS,
            depth: DEPTH,
            seed: SEED,
        };
        generate::write_all_for(&port, &request, &dir)?;
        for executor in [
            ExecutorChoice::Inline,
            ExecutorChoice::Pool,
            ExecutorChoice::Pinned,
        ] {
            let started = Instant::now();
            let executor_name = executor.name();
            let job = Job::TraceDir {
                model: model.as_str(),
                dir: &dir,
                executor,
                base: format!(
                    "flashcheck replay {model} {} --executor {executor_name}",
                    constants.as_args()
                ),
            };
            let setup = ReplaySetup {
                saga,
                store: StoreChoice::Auto,
                stock: None,
            };
            let report = match port.replay(&setup, job).transpose()? {
                Some(Done::Paths(report)) => Some(*report),
                Some(Done::Workload(_)) => unreachable!("a trace directory replays paths"),
                None => None,
            };
            rows.push((
                ReplayRow {
                    model,
                    constants: shown.clone(),
                    traces_dir: relative.clone(),
                    executor,
                    report,
                },
                started.elapsed().as_secs_f64(),
            ));
        }
    }
    Ok(rows)
}
