//! Test support shared by the real-store tests (Redis, MariaDB): the small workload that
//! sells out within a run, and a user's own deduction file.

use flashcheck::target::run::{Fault, Workload};
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

/// 4 clients × 6 operations on two SKUs of 4 units, with the server paused and killed
/// (restarted from its durable state) while they run.
pub fn paused_and_killed(seed: u64) -> Workload {
    Workload {
        clients: 4,
        ops_per_client: 6,
        setup: Setup { stock: 4, skus: 2 },
        seed,
        faults: vec![Fault::Pause, Fault::Kill],
    }
}

/// A user's own deduction (`--script FILE.lua`, `--sql FILE.sql`) with the text `text`.
pub fn custom(file: &str, text: &str) -> Deduction {
    Deduction::Custom {
        file: file.into(),
        text: text.into(),
    }
}

/// The issue's ≥ 200 runs with pauses and kills, counted so that a run whose clients all
/// finished before the first fault does not count: each run is added with [`add`], until
/// [`FaultTally::done`]; [`FaultTally::finish`] prints the tally and fails when the faults did
/// nothing.
///
/// [`add`]: FaultTally::add
#[derive(Debug, Default)]
pub struct FaultTally {
    /// Runs made, faulted or not (the next run's seed).
    pub runs: u64,
    faulted: u64,
    pauses: usize,
    kills: usize,
    indeterminate: usize,
}

/// Faulted runs asked for.
const FAULTED_RUNS: u64 = 200;

impl FaultTally {
    /// False until 200 runs were faulted; fails when fewer than half of the runs are.
    pub fn done(&self) -> bool {
        assert!(
            self.runs < 2 * FAULTED_RUNS,
            "{} of {} runs were faulted",
            self.faulted,
            self.runs
        );
        self.faulted >= FAULTED_RUNS
    }

    /// Adds one run: its history must be linearizable (a false alarm otherwise) and every
    /// restart must have worked.
    pub fn add(
        &mut self,
        recorded: &flashcheck::target::run::Recorded,
        report: &flashcheck::history::check::HistoryReport,
    ) {
        let (runs, faults) = (self.runs, &recorded.faults);
        assert!(
            report.linearizable,
            "run {runs}: false alarm (faults {faults:?})\n{}",
            report.render_text()
        );
        assert!(
            !faults.iter().any(|f| f.contains("failed")),
            "run {runs}: {faults:?}"
        );
        self.indeterminate += report.indeterminate;
        self.kills += faults.iter().filter(|f| *f == "kill").count();
        self.pauses += faults.iter().filter(|f| *f == "pause").count();
        self.faulted += u64::from(!faults.is_empty());
        self.runs += 1;
    }

    /// Prints the tally for `what` and fails when no kill, no pause or no lost response
    /// happened.
    pub fn finish(&self, what: &str, started: std::time::Instant) {
        let Self {
            runs,
            faulted,
            pauses,
            kills,
            indeterminate,
        } = self;
        println!(
            "{runs} {what} runs, {faulted} of them faulted, in {:.1} s: {pauses} pauses, \
             {kills} kills, {indeterminate} indeterminate operations, all linearizable with \
             the final stock read",
            started.elapsed().as_secs_f64()
        );
        assert!(*kills > 0 && *pauses > 0, "{kills} kills, {pauses} pauses");
        assert!(
            *indeterminate > 0,
            "no response was lost: the faults did nothing"
        );
    }
}
