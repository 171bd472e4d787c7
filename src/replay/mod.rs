//! Replay: the one module that joins the models (`flashcheck_models`) and the reference
//! implementation (`crate::reference`), to check running code against the models.
//! Replayable: [`inventory`], [`breaker`], [`token_bucket`].
//!
//! A component plugs in by implementing [`Conformance`] in one file (see [`inventory`]): which
//! implementation operation each model action performs and what it must return, the
//! abstraction function from the implementation's snapshot to the model's observable state,
//! and the sequential specification linearizability is checked against. Then:
//!
//! - [`stepwise::replay`] runs a model path step by step on one thread and compares the
//!   abstract states after every step (the first mismatch is reported); at every state it
//!   also offers the operations the model does not enable there ([`Conformance::refusals`])
//!   and requires each to be refused with the documented answer and no observable change;
//! - [`concurrent::run`] runs the path's operations concurrently on the pool or pinned
//!   executor (each client's order kept), records the history, and
//!   [`linearizability`] checks it against the sequential specification.

pub mod breaker;
pub mod concurrent;
pub mod driver;
pub mod inventory;
pub mod job;
pub mod linearizability;
pub mod saga;
pub mod stepwise;
pub mod stock_bounds;
pub mod store;
pub mod sweep;
pub mod token_bucket;

use crate::reference::Mutation;
use flashcheck_models::Spec;
use linearizability::{HistoryError, Operation, Outcome};
use serde::Serialize;
use std::fmt::Debug;

/// Which executor a replay runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ExecutorChoice {
    /// One thread, step by step, abstract states compared after each step.
    Inline,
    /// The seed's pool: a worker per core, one shared queue.
    Pool,
    /// One pinned worker per CPU, each with its own queue and its own stock shard.
    Pinned,
}

impl ExecutorChoice {
    /// Its name on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            ExecutorChoice::Inline => "inline",
            ExecutorChoice::Pool => "pool",
            ExecutorChoice::Pinned => "pinned",
        }
    }
}

/// An implementation operation the model does not enable in some state (a duplicate, a late
/// message, a call in the wrong state), with the refusal the implementation documents for it.
/// Offering it must leave the observable state unchanged.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal<Op, Ret> {
    /// What is offered, in the model's alphabet with its parameters (e.g. `Pay(2)`).
    pub action: String,
    /// The implementation operation.
    pub op: Op,
    /// The refusal it must answer.
    pub expected: Ret,
}

/// How a model and its implementation correspond. One implementation per component.
pub trait Conformance: Sync {
    /// The model.
    type Model: Spec;
    /// The implementation under test.
    type Impl: Send + Sync + 'static;
    /// An implementation operation.
    type Op: Clone + Debug + Serialize + Send + 'static;
    /// Its result.
    type Ret: Clone + Debug + PartialEq + Serialize + Send + 'static;
    /// The observable state both sides are mapped to.
    type Abstract: Debug + PartialEq + Serialize;

    /// The model.
    fn model(&self) -> &Self::Model;
    /// A fresh implementation for `executor` (pinned builds per-worker state), with the
    /// test-only `mutation` switched on.
    fn build(
        &self,
        executor: ExecutorChoice,
        workers: usize,
        mutation: Option<Mutation>,
    ) -> Self::Impl;
    /// The operation a model action performs and the result the model predicts; `None` for a
    /// step internal to one operation (it changes no observable state).
    fn operation(
        &self,
        action: &<Self::Model as stateright::Model>::Action,
    ) -> Option<(Self::Op, Self::Ret)>;
    /// Every operation of the model's alphabet, with every parameter value, that the model
    /// does not enable at `state` and that the implementation documents a refusal for, in a
    /// fixed order. Inline replay offers each at each state of a path (negative steps); an
    /// operation the model does not enable but the implementation is documented to accept is
    /// left out, and the component's module doc says which and why.
    fn refusals(
        &self,
        state: &<Self::Model as stateright::Model>::State,
    ) -> Vec<Refusal<Self::Op, Self::Ret>>;
    /// Runs one operation on the caller's home worker `home`.
    fn invoke(&self, imp: &Self::Impl, home: usize, op: &Self::Op) -> Self::Ret;
    /// The abstraction function on the implementation's side.
    fn observe(&self, imp: &Self::Impl) -> Self::Abstract;
    /// The same abstraction on the model's side.
    fn abstract_model(&self, state: &<Self::Model as stateright::Model>::State) -> Self::Abstract;
    /// True for a tick of the implementation's clock: concurrent replay of a path keeps
    /// ticks in their order relative to the calls around them (each tick a quiescent point).
    /// Default: the component has no clock.
    fn is_clock(&self, _op: &Self::Op) -> bool {
        false
    }
    /// The client issuing `op` (its operations keep their order in concurrent runs).
    fn client(&self, op: &Self::Op) -> u64;
    /// Checks a concurrent history against the model as sequential specification.
    fn check_history(
        &self,
        history: &[Operation<Self::Op, Self::Ret>],
    ) -> Result<Outcome, HistoryError>;
    /// Per-client scripts for a synthetic workload of `clients` clients (for long histories):
    /// given the previous result, the next operation, or `None` when the client is done.
    fn workload_step(
        &self,
        client: u64,
        previous: Option<(&Self::Op, &Self::Ret)>,
        coin: u64,
    ) -> Option<Self::Op>;
}
