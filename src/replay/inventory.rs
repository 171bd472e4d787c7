//! Inventory conformance: the `inventory` model (`tla/Inventory.tla`) against
//! [`InventoryService`] over the atomic or the sharded stock store.
//!
//! # Actions → operations
//!
//! | model action | operation | result the model predicts |
//! | --- | --- | --- |
//! | `Reserve(u)` (atomic), `Write(u)` (read_then_write) | `Reserve{user: u}` | `Ok(Reserved)` |
//! | `Reject(u)` | `Reserve{user: u}` | `Ok(SoldOut)` |
//! | `Pay(u)` | `Pay{user: u}` | `Ok(Paid)` |
//! | `Timeout(u)` | `Release{user: u}` | `Ok(Released)` |
//! | `Read(u)` | none: the first half of one `Reserve` call | — |
//!
//! # Negative steps (refusals)
//!
//! At every state, for every user `u` not in the middle of a call (`reading`): `Pay(u)` and
//! `Timeout(u)` when `u` holds no reservation (idle, sold — a duplicate payment —, released —
//! a payment arriving after the timeout —, rejected) must get `NoReservation` naming `u`'s
//! status; `Reserve(u)` while `u` holds a reservation or a purchase (a duplicate request)
//! must get `AlreadyHolding`. Not offered: `Reserve(u)` after `u` was released or rejected —
//! the model's buyers act once (a bound that keeps it finite), while the service documents
//! that such a buyer may try again, so there is no refusal to require.
//!
//! # Abstraction function
//!
//! Snapshot → `{available, phase}`: `available` is the store's count; `phase` maps each user
//! the service knows to `reserved`/`sold`/`released`/`rejected` (its status set). On the
//! model's side `phase[u]` is the same, leaving out users in `idle` and `reading` (a user
//! in the middle of a `Reserve` call has, observably, not called yet). `seen` (the value a
//! read_then_write reader holds) is private to an unfinished call and is dropped;
//! `falseSoldOut` is a history variable the implementation has no counterpart for: it is
//! not compared, but what it records is — a `Reject` replayed while stock is left must get
//! `SoldOut` from the implementation, and the implementation's answer is compared.
//!
//! # Sequential specification (linearizability)
//!
//! The model's atomic semantics as a product of independent parts: one state machine per
//! buyer (`idle → reserved → sold | released`, `idle → rejected`) and one stock counter
//! (`Reserved` needs a unit, `SoldOut` needs none left, `Released` returns one). When no two
//! operations of one buyer overlap (the replay drivers guarantee it: one client per buyer),
//! the history is linearizable for the product iff the counter's history is and each
//! buyer's is (P-compositionality): checked part by part. Otherwise the product is checked
//! whole. `tests::sequential_spec_is_the_model` checks that the spec follows the model.

use super::linearizability::{
    self, check, check_partitioned, HistoryError, Operation, Outcome, SequentialSpec,
};
use super::{Conformance, ExecutorChoice, Refusal};
use crate::reference::inventory::{
    AtomicStore, BuyerStatus, InventoryError, InventoryOp, InventoryRet, InventoryService,
    ShardedStore, UserId,
};
use crate::reference::Mutation;
use flashcheck_models::inventory::{Inventory, InventoryAction, InventoryState, Phase};
use flashcheck_models::Spec;
use serde::Serialize;
use std::collections::BTreeMap;

/// Which stock store the service runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreChoice {
    /// The atomic store for inline and pool, the sharded store (a shard per worker) for pinned.
    Auto,
    /// One atomic counter.
    Atomic,
    /// Per-worker shards with stealing (inline: two shards).
    Sharded,
}

impl StoreChoice {
    /// Its name on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            StoreChoice::Auto => "auto",
            StoreChoice::Atomic => "atomic",
            StoreChoice::Sharded => "sharded",
        }
    }
}

/// The service under test, over either store.
#[derive(Debug)]
pub enum InventoryImpl {
    /// Over [`AtomicStore`].
    Atomic(InventoryService<AtomicStore>),
    /// Over [`ShardedStore`].
    Sharded(InventoryService<ShardedStore>),
}

/// The observable state both sides map to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InventoryAbstract {
    /// Units in stock.
    pub available: i64,
    /// Each user that has called, by id (1-based), and where they stand.
    pub phase: BTreeMap<UserId, &'static str>,
}

/// The model/implementation correspondence for `inventory`.
#[derive(Debug, Clone)]
pub struct InventoryConformance {
    model: Inventory,
    stock: u32,
    users: u64,
    store: StoreChoice,
}

/// The model's constants could not be read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("inventory constant {0} unreadable")]
pub struct BadConstant(&'static str);

impl InventoryConformance {
    /// The correspondence for `model`, with the service on `store`.
    pub fn new(model: Inventory, store: StoreChoice) -> Result<Self, BadConstant> {
        let constants: BTreeMap<&str, String> = model.constants().into_iter().collect();
        let number = |name: &'static str| -> Result<u64, BadConstant> {
            constants
                .get(name)
                .and_then(|v| v.parse().ok())
                .ok_or(BadConstant(name))
        };
        let stock = u32::try_from(number("Stock")?).map_err(|_| BadConstant("Stock"))?;
        let users = number("Users")?;
        Ok(InventoryConformance {
            model,
            stock,
            users,
            store,
        })
    }

    /// The same correspondence selling `stock` units (synthetic workloads beyond the model's
    /// bounds of 16 users and 255 units use the sequential specification only).
    pub fn with_stock(mut self, stock: u32) -> Self {
        self.stock = stock;
        self
    }

    /// Users in the model.
    pub fn users(&self) -> u64 {
        self.users
    }
}

fn phase_name(phase: Phase) -> Option<&'static str> {
    match phase {
        Phase::Idle | Phase::Reading => None,
        other => Some(other.tla_name()),
    }
}

type Ret = Result<InventoryRet, InventoryError>;

impl Conformance for InventoryConformance {
    type Model = Inventory;
    type Impl = InventoryImpl;
    type Op = InventoryOp;
    type Ret = Ret;
    type Abstract = InventoryAbstract;

    fn model(&self) -> &Inventory {
        &self.model
    }

    fn build(
        &self,
        executor: ExecutorChoice,
        workers: usize,
        mutation: Option<Mutation>,
    ) -> InventoryImpl {
        let sharded = match self.store {
            StoreChoice::Auto => executor == ExecutorChoice::Pinned,
            StoreChoice::Atomic => false,
            StoreChoice::Sharded => true,
        };
        if sharded {
            let shards = if executor == ExecutorChoice::Inline {
                2
            } else {
                workers.max(1)
            };
            // `shards >= 1`, so the store cannot refuse.
            match ShardedStore::with_mutation(self.stock, shards, mutation) {
                Ok(store) => {
                    return InventoryImpl::Sharded(InventoryService::with_mutation(
                        self.stock, store, mutation,
                    ))
                }
                Err(_) => unreachable!("at least one shard"),
            }
        }
        InventoryImpl::Atomic(InventoryService::with_mutation(
            self.stock,
            AtomicStore::with_mutation(self.stock, mutation),
            mutation,
        ))
    }

    fn operation(&self, action: &InventoryAction) -> Option<(InventoryOp, Ret)> {
        let user = |u: &u8| UserId::from(*u);
        Some(match action {
            InventoryAction::Reserve(u) | InventoryAction::Write(u) => (
                InventoryOp::Reserve { user: user(u) },
                Ok(InventoryRet::Reserved),
            ),
            InventoryAction::Reject(u) => (
                InventoryOp::Reserve { user: user(u) },
                Ok(InventoryRet::SoldOut),
            ),
            InventoryAction::Pay(u) => (InventoryOp::Pay { user: user(u) }, Ok(InventoryRet::Paid)),
            InventoryAction::Timeout(u) => (
                InventoryOp::Release { user: user(u) },
                Ok(InventoryRet::Released),
            ),
            InventoryAction::Read(_) => return None,
        })
    }

    fn refusals(&self, state: &InventoryState) -> Vec<Refusal<InventoryOp, Ret>> {
        let mut out = Vec::new();
        for u in 0..self.users as usize {
            let user = u as UserId + 1;
            let phase = state.phase(u);
            if phase == Phase::Reading {
                continue;
            }
            let status = status_of(phase as u8);
            if let Some(status @ (BuyerStatus::Reserved | BuyerStatus::Sold)) = status {
                out.push(Refusal {
                    action: format!("Reserve({user})"),
                    op: InventoryOp::Reserve { user },
                    expected: Err(InventoryError::AlreadyHolding { user, status }),
                });
            }
            if status != Some(BuyerStatus::Reserved) {
                let refused = Err(InventoryError::NoReservation { user, status });
                out.push(Refusal {
                    action: format!("Pay({user})"),
                    op: InventoryOp::Pay { user },
                    expected: refused.clone(),
                });
                out.push(Refusal {
                    action: format!("Timeout({user})"),
                    op: InventoryOp::Release { user },
                    expected: refused,
                });
            }
        }
        out
    }

    fn invoke(&self, imp: &InventoryImpl, home: usize, op: &InventoryOp) -> Ret {
        match imp {
            InventoryImpl::Atomic(s) => s.invoke_from(home, *op),
            InventoryImpl::Sharded(s) => s.invoke_from(home, *op),
        }
    }

    fn observe(&self, imp: &InventoryImpl) -> InventoryAbstract {
        let snapshot = match imp {
            InventoryImpl::Atomic(s) => s.observe(),
            InventoryImpl::Sharded(s) => s.observe(),
        };
        let mut phase = BTreeMap::new();
        for (set, name) in [
            (&snapshot.reserved, "reserved"),
            (&snapshot.sold, "sold"),
            (&snapshot.released, "released"),
            (&snapshot.rejected, "rejected"),
        ] {
            for &user in set {
                phase.insert(user, name);
            }
        }
        InventoryAbstract {
            available: snapshot.available,
            phase,
        }
    }

    fn abstract_model(&self, state: &InventoryState) -> InventoryAbstract {
        let phase = (0..self.users as usize)
            .filter_map(|u| phase_name(state.phase(u)).map(|name| (u as UserId + 1, name)))
            .collect();
        InventoryAbstract {
            available: i64::from(state.available()),
            phase,
        }
    }

    fn client(&self, op: &InventoryOp) -> u64 {
        user_of(op)
    }

    fn check_history(
        &self,
        history: &[Operation<InventoryOp, Ret>],
    ) -> Result<Outcome, HistoryError> {
        if buyers_overlap(history) {
            return check(
                &ProductSpec {
                    stock: i64::from(self.stock),
                },
                history,
            );
        }
        let per_buyer = check_partitioned(history, user_of, |_| BuyerSpec)?;
        if !per_buyer.is_ok() {
            return Ok(per_buyer);
        }
        let counter = linearizability::check(
            &StockSpec {
                stock: i64::from(self.stock),
            },
            history,
        )?;
        Ok(match (counter, per_buyer) {
            (Outcome::Linearizable { explored: a }, Outcome::Linearizable { explored: b }) => {
                Outcome::Linearizable { explored: a + b }
            }
            (failed, _) => failed,
        })
    }

    fn workload_step(
        &self,
        client: u64,
        previous: Option<(&InventoryOp, &Ret)>,
        coin: u64,
    ) -> Option<InventoryOp> {
        match previous {
            None => Some(InventoryOp::Reserve { user: client }),
            Some((InventoryOp::Reserve { .. }, Ok(InventoryRet::Reserved))) => {
                Some(if coin & 1 == 0 {
                    InventoryOp::Pay { user: client }
                } else {
                    InventoryOp::Release { user: client }
                })
            }
            Some(_) => None,
        }
    }
}

fn user_of(op: &InventoryOp) -> UserId {
    match *op {
        InventoryOp::Reserve { user }
        | InventoryOp::Pay { user }
        | InventoryOp::Release { user } => user,
    }
}

fn buyers_overlap(history: &[Operation<InventoryOp, Ret>]) -> bool {
    let mut by_user: BTreeMap<UserId, Vec<(u64, u64)>> = BTreeMap::new();
    for o in history {
        by_user
            .entry(user_of(&o.op))
            .or_default()
            .push((o.call, o.returned));
    }
    by_user.values_mut().any(|spans| {
        spans.sort_unstable();
        spans.windows(2).any(|w| w[1].0 < w[0].1)
    })
}

/// One buyer's phases, as the model's `phase[u]` moves.
#[derive(Debug, Clone, Copy)]
pub struct BuyerSpec;

impl SequentialSpec for BuyerSpec {
    type State = u8; // Phase as u8: idle 0, reserved 2, sold 3, released 4, rejected 5
    type Op = InventoryOp;
    type Ret = Ret;

    fn init(&self) -> u8 {
        Phase::Idle as u8
    }

    fn step(&self, s: &u8, op: &InventoryOp, ret: &Ret) -> Option<u8> {
        buyer_step(*s, op, ret)
    }
}

fn buyer_step(s: u8, op: &InventoryOp, ret: &Ret) -> Option<u8> {
    let (idle, reserved) = (Phase::Idle as u8, Phase::Reserved as u8);
    match (op, ret) {
        (InventoryOp::Reserve { .. }, Ok(InventoryRet::Reserved)) if s == idle => Some(reserved),
        (InventoryOp::Reserve { .. }, Ok(InventoryRet::SoldOut)) if s == idle => {
            Some(Phase::Rejected as u8)
        }
        (InventoryOp::Pay { .. }, Ok(InventoryRet::Paid)) if s == reserved => {
            Some(Phase::Sold as u8)
        }
        (InventoryOp::Release { .. }, Ok(InventoryRet::Released)) if s == reserved => {
            Some(Phase::Released as u8)
        }
        // Refusals change nothing, and must name the buyer's real status. A concurrent run
        // meets them when its interleaving differs from the trace's (a buyer the trace had
        // reserving is told sold out, and then pays).
        (
            InventoryOp::Pay { .. } | InventoryOp::Release { .. },
            Err(InventoryError::NoReservation { status, .. }),
        ) if s != reserved && *status == status_of(s) => Some(s),
        (InventoryOp::Reserve { .. }, Err(InventoryError::AlreadyHolding { status, .. }))
            if (s == reserved || s == Phase::Sold as u8) && Some(*status) == status_of(s) =>
        {
            Some(s)
        }
        _ => None,
    }
}

/// The service's status for a model phase (`None`: never called).
fn status_of(phase: u8) -> Option<BuyerStatus> {
    match phase {
        p if p == Phase::Reserved as u8 => Some(BuyerStatus::Reserved),
        p if p == Phase::Sold as u8 => Some(BuyerStatus::Sold),
        p if p == Phase::Released as u8 => Some(BuyerStatus::Released),
        p if p == Phase::Rejected as u8 => Some(BuyerStatus::Rejected),
        _ => None,
    }
}

/// The stock counter: `available`, as the model's `available` moves.
#[derive(Debug, Clone, Copy)]
pub struct StockSpec {
    /// Units at the start.
    pub stock: i64,
}

fn stock_step(available: i64, op: &InventoryOp, ret: &Ret) -> Option<i64> {
    match (op, ret) {
        (InventoryOp::Reserve { .. }, Ok(InventoryRet::Reserved)) => {
            (available > 0).then_some(available - 1)
        }
        (InventoryOp::Reserve { .. }, Ok(InventoryRet::SoldOut)) => {
            (available == 0).then_some(available)
        }
        (InventoryOp::Release { .. }, Ok(InventoryRet::Released)) => Some(available + 1),
        // Pay and refusals leave the stock alone; whether they were allowed is the buyer's part.
        _ => Some(available),
    }
}

impl SequentialSpec for StockSpec {
    type State = i64;
    type Op = InventoryOp;
    type Ret = Ret;

    fn init(&self) -> i64 {
        self.stock
    }

    fn step(&self, s: &i64, op: &InventoryOp, ret: &Ret) -> Option<i64> {
        stock_step(*s, op, ret)
    }

    fn completed_class(&self, op: &InventoryOp, ret: &Ret) -> Option<u64> {
        Some(stock_class(op, ret))
    }

    fn leaves_state(&self, op: &InventoryOp, ret: &Ret) -> bool {
        stock_class(op, ret) == LEAVES_STOCK
    }
}

/// [`stock_class`]'s class of what leaves the stock alone: payments and errors.
pub(crate) const LEAVES_STOCK: u64 = 3;

/// The class of an operation and its result by what [`stock_step`] does with them: the
/// user never matters to the stock (the stores' stock part adds reads and refusals).
pub(crate) fn stock_class(op: &InventoryOp, ret: &Ret) -> u64 {
    match (op, ret) {
        (InventoryOp::Reserve { .. }, Ok(InventoryRet::Reserved)) => 0,
        (InventoryOp::Reserve { .. }, Ok(InventoryRet::SoldOut)) => 1,
        (InventoryOp::Release { .. }, Ok(InventoryRet::Released)) => 2,
        _ => LEAVES_STOCK,
    }
}

/// The whole product, for histories where one buyer's operations overlap.
#[derive(Debug, Clone, Copy)]
pub struct ProductSpec {
    /// Units at the start.
    pub stock: i64,
}

impl SequentialSpec for ProductSpec {
    type State = (i64, BTreeMap<UserId, u8>);
    type Op = InventoryOp;
    type Ret = Ret;

    fn init(&self) -> Self::State {
        (self.stock, BTreeMap::new())
    }

    fn step(
        &self,
        (available, buyers): &Self::State,
        op: &InventoryOp,
        ret: &Ret,
    ) -> Option<Self::State> {
        let user = user_of(op);
        let phase = buyers.get(&user).copied().unwrap_or(Phase::Idle as u8);
        let phase = buyer_step(phase, op, ret)?;
        let available = stock_step(*available, op, ret)?;
        let mut buyers = buyers.clone();
        buyers.insert(user, phase);
        Some((available, buyers))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{random_walk, SplitMix64};
    use flashcheck_models::inventory::Deduction;
    use stateright::Model;

    #[test]
    fn sequential_spec_is_the_model() {
        let model = Inventory::new(4, 2, Deduction::Atomic).unwrap();
        let c = InventoryConformance::new(model.clone(), StoreChoice::Atomic).unwrap();
        let spec = ProductSpec { stock: 2 };
        for seed in 0..200 {
            let (init, path) = random_walk(&model, 12, &mut SplitMix64::new(seed)).unwrap();
            let (mut m, mut s) = (init, spec.init());
            for a in &path {
                m = model.next_state(&m, *a).unwrap();
                let (op, ret) = c.operation(a).unwrap();
                s = spec
                    .step(&s, &op, &ret)
                    .expect("the spec refuses a model step");
                assert_eq!(s.0, i64::from(m.available()));
                for u in 0..4usize {
                    let want = phase_name(m.phase(u));
                    let got = s.1.get(&(u as u64 + 1)).map(|&p| phase_name(Phase_from(p)));
                    assert_eq!(got.flatten(), want);
                }
            }
        }
    }

    #[allow(non_snake_case)]
    fn Phase_from(p: u8) -> Phase {
        [
            Phase::Idle,
            Phase::Reading,
            Phase::Reserved,
            Phase::Sold,
            Phase::Released,
            Phase::Rejected,
        ][p as usize]
    }
}
