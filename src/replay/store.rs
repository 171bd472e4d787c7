//! Outside stock services against the inventory model: the sequential specification a
//! recorded store history ([`crate::target`]) is checked against, built from the model's
//! own parts in [`super::inventory`] — one stock counter per SKU ([`StockSpec`]) and one
//! state machine per buyer ([`BuyerSpec`]) — plus the final stock read, and indeterminate
//! operations (a reservation whose answer was lost took a unit or not; a release returned
//! one or not).
//!
//! Before the search, each SKU's counter is refuted by counting where it can be
//! ([`super::stock_bounds`]).
//!
//! P-compositionality: the history is split by SKU for the counters and by buyer for the
//! buyers. The clients stop using a buyer after an indeterminate operation (as Jepsen
//! replaces a crashed process), so each buyer's indeterminate operation is its last and the
//! two splits cannot disagree about whether it happened.

use super::inventory::{BuyerSpec, StockSpec};
use super::linearizability::{
    check_partitioned_indeterminate, Failure, HistoryError, Operation, Outcome, Pending,
    SequentialSpec,
};
use crate::reference::inventory::{InventoryError, InventoryOp, InventoryRet};
use crate::target::{Sku, StoreOp, StoreRet};
use std::collections::BTreeMap;

type Ret = Result<InventoryRet, InventoryError>;

/// The model's operation and result for a store's (`None` for reads and refusals, which the
/// inventory model's operations do not cover: see [`BuyerPart`]).
fn as_model(op: &StoreOp, ret: &StoreRet) -> Option<(InventoryOp, Ret)> {
    let user = op.user()?;
    let mop = match op {
        StoreOp::Reserve { .. } => InventoryOp::Reserve { user },
        StoreOp::Pay { .. } => InventoryOp::Pay { user },
        StoreOp::Release { .. } => InventoryOp::Release { user },
        StoreOp::Read { .. } => return None,
    };
    let mret = match ret {
        StoreRet::Reserved => Ok(InventoryRet::Reserved),
        StoreRet::SoldOut => Ok(InventoryRet::SoldOut),
        StoreRet::Paid => Ok(InventoryRet::Paid),
        StoreRet::Released => Ok(InventoryRet::Released),
        _ => return None,
    };
    Some((mop, mret))
}

/// One SKU's stock: the model's counter, and reads of it.
#[derive(Debug, Clone, Copy)]
pub struct StockPart(pub StockSpec);

impl SequentialSpec for StockPart {
    type State = i64;
    type Op = StoreOp;
    type Ret = StoreRet;

    fn init(&self) -> i64 {
        self.0.init()
    }

    fn step(&self, s: &i64, op: &StoreOp, ret: &StoreRet) -> Option<i64> {
        match (op, ret) {
            (StoreOp::Read { .. }, StoreRet::Stock(n)) => (n == s).then_some(*s),
            (_, StoreRet::Refused) => Some(*s),
            _ => {
                let (mop, mret) = as_model(op, ret)?;
                self.0.step(s, &mop, &mret)
            }
        }
    }

    fn step_unseen(&self, s: &i64, op: &StoreOp) -> Option<Vec<i64>> {
        Some(match op {
            // Took a unit if one was left; otherwise sold out, which changes nothing.
            StoreOp::Reserve { .. } => vec![if *s > 0 { s - 1 } else { *s }],
            StoreOp::Release { .. } => vec![s + 1],
            StoreOp::Pay { .. } | StoreOp::Read { .. } => vec![*s],
        })
    }

    fn unseen_class(&self, op: &StoreOp) -> Option<u64> {
        Some(match op {
            StoreOp::Reserve { .. } => 0,
            StoreOp::Release { .. } => 1,
            StoreOp::Pay { .. } => 2,
            StoreOp::Read { .. } => 3,
        })
    }

    /// Refusals, and what the stock counter's own step leaves alone (payments).
    fn leaves_state(&self, op: &StoreOp, ret: &StoreRet) -> bool {
        match (op, ret) {
            (StoreOp::Read { .. }, _) => false,
            (_, StoreRet::Refused) => true,
            _ => as_model(op, ret).is_some_and(|(mop, mret)| {
                super::inventory::stock_class(&mop, &mret) == super::inventory::LEAVES_STOCK
            }),
        }
    }

    /// As [`StockPart::step`] reads them: a read by the value it saw (classes 8 and up), a
    /// refusal, or the model's operation by the stock counter's own classes (below 4).
    fn completed_class(&self, op: &StoreOp, ret: &StoreRet) -> Option<u64> {
        match (op, ret) {
            (StoreOp::Read { .. }, StoreRet::Stock(n)) => u64::try_from(*n).ok()?.checked_add(8),
            (_, StoreRet::Refused) => Some(4),
            _ => {
                let (mop, mret) = as_model(op, ret)?;
                Some(super::inventory::stock_class(&mop, &mret))
            }
        }
    }
}

/// One buyer: the model's phases; a refusal must come when the model would refuse.
#[derive(Debug, Clone, Copy)]
pub struct BuyerPart;

impl SequentialSpec for BuyerPart {
    type State = u8;
    type Op = StoreOp;
    type Ret = StoreRet;

    fn init(&self) -> u8 {
        BuyerSpec.init()
    }

    fn step(&self, s: &u8, op: &StoreOp, ret: &StoreRet) -> Option<u8> {
        if *ret == StoreRet::Refused {
            // Refusing is right exactly when the model has no such step from here.
            let user = op.user()?;
            let (mop, ok) = match op {
                StoreOp::Reserve { .. } => (InventoryOp::Reserve { user }, None),
                StoreOp::Pay { .. } => (InventoryOp::Pay { user }, Some(InventoryRet::Paid)),
                StoreOp::Release { .. } => {
                    (InventoryOp::Release { user }, Some(InventoryRet::Released))
                }
                StoreOp::Read { .. } => return None,
            };
            let allowed = match ok {
                Some(r) => BuyerSpec.step(s, &mop, &Ok(r)).is_some(),
                None => [InventoryRet::Reserved, InventoryRet::SoldOut]
                    .into_iter()
                    .any(|r| BuyerSpec.step(s, &mop, &Ok(r)).is_some()),
            };
            return (!allowed).then_some(*s);
        }
        let (mop, mret) = as_model(op, ret)?;
        BuyerSpec.step(s, &mop, &mret)
    }

    fn step_unseen(&self, s: &u8, op: &StoreOp) -> Option<Vec<u8>> {
        let Some(user) = op.user() else {
            return Some(vec![*s]);
        };
        let candidates: Vec<(InventoryOp, Ret)> = match op {
            StoreOp::Reserve { .. } => vec![
                (InventoryOp::Reserve { user }, Ok(InventoryRet::Reserved)),
                (InventoryOp::Reserve { user }, Ok(InventoryRet::SoldOut)),
            ],
            StoreOp::Pay { .. } => vec![(InventoryOp::Pay { user }, Ok(InventoryRet::Paid))],
            StoreOp::Release { .. } => {
                vec![(InventoryOp::Release { user }, Ok(InventoryRet::Released))]
            }
            StoreOp::Read { .. } => vec![],
        };
        Some(
            candidates
                .iter()
                .filter_map(|(o, r)| BuyerSpec.step(s, o, r))
                .chain(std::iter::once(*s))
                .collect(),
        )
    }
}

/// Checks a store history: every SKU's counter (from `stock` units) and every buyer. The
/// counters are first counted ([`super::stock_bounds`], which only ever refutes), then
/// searched. Window indices count `completed` first, then `pending`.
pub fn check_store(
    completed: &[Operation<StoreOp, StoreRet>],
    pending: &[Pending<StoreOp>],
    stock: i64,
) -> Result<Outcome, HistoryError> {
    if let Some(failure) = refute_by_counting(completed, pending, stock) {
        return Ok(Outcome::NotLinearizable(failure));
    }
    let counters = check_partitioned_indeterminate(completed, pending, StoreOp::sku, |_| {
        StockPart(StockSpec { stock })
    })?;
    if !counters.is_ok() {
        return Ok(counters);
    }
    let buyers = check_partitioned_indeterminate(
        completed,
        pending,
        |op: &StoreOp| op.user().map(|u| (op.sku(), u)),
        |key| BuyerOrNothing(key.is_some()),
    )?;
    Ok(match (counters, buyers) {
        (Outcome::Linearizable { explored: a }, Outcome::Linearizable { explored: b }) => {
            Outcome::Linearizable { explored: a + b }
        }
        (_, failed) => failed,
    })
}

/// The counting refutation ([`super::stock_bounds`]) of every SKU's counter, the one whose
/// operation returned first; indices as in [`check_store`].
fn refute_by_counting(
    completed: &[Operation<StoreOp, StoreRet>],
    pending: &[Pending<StoreOp>],
    stock: i64,
) -> Option<Failure> {
    let n = completed.len();
    let mut skus: BTreeMap<Sku, (Vec<usize>, Vec<usize>)> = BTreeMap::new();
    for (i, o) in completed.iter().enumerate() {
        skus.entry(o.op.sku()).or_default().0.push(i);
    }
    for (j, p) in pending.iter().enumerate() {
        skus.entry(p.op.sku()).or_default().1.push(j);
    }
    skus.values()
        .filter_map(|(done, open)| {
            let sub: Vec<_> = done.iter().map(|&i| completed[i].clone()).collect();
            let sub_pending: Vec<_> = open.iter().map(|&j| pending[j].clone()).collect();
            let r = super::stock_bounds::refute(&sub, &sub_pending, stock)?;
            let global = |i: usize| match done.get(i) {
                Some(&g) => g,
                None => n + open[i - done.len()],
            };
            Some(Failure {
                linearized: 0,
                stuck_at: global(r.op),
                explored: 0,
                window: r.window.iter().map(|&i| global(i)).collect(),
                reason: Some(r.reason),
            })
        })
        .min_by_key(|f| completed[f.stuck_at].returned)
}

/// The buyer part for operations with a buyer; reads (no buyer) constrain nothing here.
#[derive(Debug, Clone, Copy)]
struct BuyerOrNothing(bool);

impl SequentialSpec for BuyerOrNothing {
    type State = u8;
    type Op = StoreOp;
    type Ret = StoreRet;
    fn init(&self) -> u8 {
        BuyerPart.init()
    }
    fn step(&self, s: &u8, op: &StoreOp, ret: &StoreRet) -> Option<u8> {
        if self.0 {
            BuyerPart.step(s, op, ret)
        } else {
            Some(*s)
        }
    }
    fn step_unseen(&self, s: &u8, op: &StoreOp) -> Option<Vec<u8>> {
        if self.0 {
            BuyerPart.step_unseen(s, op)
        } else {
            Some(vec![*s])
        }
    }
}

/// Checks a recorded run against the model and reports it (the final stock reads are part
/// of the history: a unit lost or invented shows there).
pub fn report(
    recorded: &crate::target::run::Recorded,
    stock: i64,
    subject: String,
    command: String,
) -> Result<crate::history::check::HistoryReport, StoreCheckError> {
    use crate::history::check::{peak_rss_mib, window_lines, HistoryReport};
    let ops = recorded.history.operations()?;
    let started = std::time::Instant::now();
    let outcome = check_store(&ops.completed, &ops.pending, stock)?;
    let check_s = started.elapsed().as_secs_f64();
    let (linearizable, explored, window) = match &outcome {
        Outcome::Linearizable { explored } => (true, *explored, Vec::new()),
        Outcome::NotLinearizable(f) => (
            false,
            f.explored,
            window_lines(&ops.completed, &ops.pending, &f.window),
        ),
    };
    Ok(HistoryReport {
        subject,
        model: format!("inventory (Stock = {stock} per SKU)"),
        linearizable,
        completed: ops.completed.len(),
        indeterminate: ops.pending.len(),
        dropped_reads: 0,
        failed: ops.failed,
        explored,
        window,
        reason: match &outcome {
            Outcome::NotLinearizable(f) => f.reason.clone(),
            Outcome::Linearizable { .. } => None,
        },
        check_s,
        peak_rss_mib: peak_rss_mib(),
        command,
    })
}

/// A recorded store history that could not be checked (a harness bug).
#[derive(Debug, thiserror::Error)]
pub enum StoreCheckError {
    /// Events do not pair up.
    #[error(transparent)]
    Shape(#[from] crate::history::ShapeError),
    /// The checker refused it.
    #[error(transparent)]
    History(#[from] HistoryError),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::linearizability::SequentialSpec;

    /// The classes and `leaves_state` promise what the checker relies on: one class, one
    /// effect from every state; "leaves the state" means `step` is `Some(s)` everywhere.
    #[test]
    fn classes_and_leaves_state_match_what_step_does() {
        let part = StockPart(StockSpec { stock: 3 });
        let (sku, user) = (0, 1);
        let ops = [
            StoreOp::Reserve { sku, user },
            StoreOp::Pay { sku, user },
            StoreOp::Release { sku, user },
            StoreOp::Read { sku },
        ];
        let rets = [
            StoreRet::Reserved,
            StoreRet::SoldOut,
            StoreRet::Paid,
            StoreRet::Released,
            StoreRet::Refused,
            StoreRet::Stock(0),
            StoreRet::Stock(2),
        ];
        let states = [0i64, 1, 2, 3];
        let pairs: Vec<_> = ops
            .iter()
            .flat_map(|o| rets.iter().map(move |r| (o, r)))
            .collect();
        for &(o, r) in &pairs {
            if part.leaves_state(o, r) {
                for s in states {
                    assert_eq!(part.step(&s, o, r), Some(s), "{o:?} {r:?} from {s}");
                }
            }
            for &(o2, r2) in &pairs {
                let (c1, c2) = (part.completed_class(o, r), part.completed_class(o2, r2));
                if c1.is_some() && c1 == c2 {
                    for s in states {
                        assert_eq!(
                            part.step(&s, o, r),
                            part.step(&s, o2, r2),
                            "{o:?} {r:?} and {o2:?} {r2:?} share a class from {s}"
                        );
                    }
                }
            }
        }
    }
}
