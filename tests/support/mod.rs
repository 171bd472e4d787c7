//! Test support shared by the replay tests: run a plan on the pool executor and assert that
//! the recorded history is linearizable (or, with a mutation, that it is not), printing how concurrent the run was (which depends
//! on the machine, so it is reported, not asserted).

use flashcheck::reference::Mutation;
use flashcheck::replay::concurrent::{self, Plan};
use flashcheck::replay::driver::{replay_workload, WorkloadReport};
use flashcheck::replay::linearizability::{overlapping, Outcome};
use flashcheck::replay::{Conformance, ExecutorChoice};
use std::sync::Arc;

/// Runs `plan` against a fresh implementation on the pool, asserts the history holds at least
/// `min_operations` operations and is linearizable, and prints `label` with its size and
/// overlap.
pub fn assert_pool_run_linearizable<C>(
    c: &Arc<C>,
    plan: Plan<C::Op>,
    min_operations: usize,
    label: &str,
) where
    C: Conformance + Send + 'static,
{
    let run = concurrent::run(Arc::clone(c), ExecutorChoice::Pool, plan, None, &|_, _| {}).unwrap();
    let history = &run.history;
    assert!(
        history.len() >= min_operations,
        "{label}: {}",
        history.len()
    );
    println!(
        "{label}: {} operations on {} workers, {} overlapping",
        history.len(),
        run.workers,
        overlapping(history)
    );
    let outcome = c.check_history(history).unwrap();
    assert!(outcome.is_ok(), "{label}: {outcome:?}");
}

/// Runs the synthetic workload of 500 clients (seed 3) on the pool against the implementation
/// with `mutation` applied, asserts the history is not linearizable, prints where the check got
/// stuck, and returns the report so that the caller can assert what its window shows.
pub fn assert_pool_workload_catches<C>(c: Arc<C>, mutation: Mutation) -> WorkloadReport
where
    C: Conformance + Send + 'static,
{
    let report =
        replay_workload(c, ExecutorChoice::Pool, 500, 3, Some(mutation), &|_, _| {}).unwrap();
    let Outcome::NotLinearizable(f) = &report.outcome else {
        panic!("workload missed {mutation:?}: {report:?}")
    };
    println!(
        "{mutation:?} (pool workload): {} linearized, stuck at {}, window {:?}",
        f.linearized, f.stuck_at, report.window
    );
    report
}
