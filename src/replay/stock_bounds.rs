//! A counting refutation of one SKU's stock history, run before the search: what the stock
//! can be at each moment is bounded by counting the reservations and releases that must, or
//! may, have taken effect by then (Jepsen's counter checker argues the same way). A read, a
//! sold-out answer or a reservation outside those bounds makes the history impossible, which
//! is decided in O(n log n) where the search would have to rule out every order of the
//! overlapping operations (a lost update on a stock that never sells out is seen only by the
//! final read, after the whole history).
//!
//! # Why a refutation here is sound
//!
//! In any linearization, the stock just before an operation's linearization point `t` is
//! `S − R(t) + L(t)`, with `R(t)` the reservations that took a unit before `t` and `L(t)` the
//! releases that returned one. A reservation answered "reserved" that returned before `t` is
//! among them; so is none that was invoked after `t`; an indeterminate one may be (it took a
//! unit if one was left), and the same for releases. So for `t` inside `[call, return]`:
//!
//! `S − Rmax(return) + Lmin(call)  ≤  stock(t)  ≤  S − Rmin(call) + Lmax(return)`
//!
//! where `Rmin(x)` counts "reserved" answers returned before `x`, `Rmax(x)` reservations
//! ("reserved" or indeterminate) invoked before `x`, and `Lmin`/`Lmax` the same for releases.
//! Only the search can say a history *is* linearizable; this module only ever refutes, and
//! only when these bounds alone exclude every order.

use super::linearizability::{Operation, Pending};
use crate::target::{StoreOp, StoreRet};

/// A stock history refuted by counting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refutation {
    /// The operation no order can explain (index into the completed operations).
    pub op: usize,
    /// It and every operation overlapping it (completed first, then `completed.len() + j` for
    /// pending `j`), by call time: everything returned before it is settled in the counts.
    pub window: Vec<usize>,
    /// The count that excludes it, in words.
    pub reason: String,
}

/// Times sorted, to count those before a moment.
struct Times(Vec<u64>);

impl Times {
    fn new(times: impl Iterator<Item = u64>) -> Self {
        let mut v: Vec<u64> = times.collect();
        v.sort_unstable();
        Times(v)
    }

    /// How many are strictly before `t`.
    fn before(&self, t: u64) -> i64 {
        self.0.partition_point(|&x| x < t) as i64
    }

    /// How many are at or before `t`.
    fn until(&self, t: u64) -> i64 {
        self.0.partition_point(|&x| x <= t) as i64
    }
}

/// Refutes one SKU's history (every operation given is of that SKU) from `stock` units, or
/// says nothing. The refutation returned is the one whose operation returned first.
pub fn refute(
    completed: &[Operation<StoreOp, StoreRet>],
    pending: &[Pending<StoreOp>],
    stock: i64,
) -> Option<Refutation> {
    let reserve = |op: &StoreOp| matches!(op, StoreOp::Reserve { .. });
    let release = |op: &StoreOp| matches!(op, StoreOp::Release { .. });
    let answered = |want: fn(&StoreOp) -> bool, ret: StoreRet| {
        completed
            .iter()
            .filter(move |o| want(&o.op) && o.ret == ret)
    };
    let maybe = |want: fn(&StoreOp) -> bool| pending.iter().filter(move |p| want(&p.op));
    let reserved_returns = Times::new(answered(reserve, StoreRet::Reserved).map(|o| o.returned));
    let reserve_calls = Times::new(
        answered(reserve, StoreRet::Reserved)
            .map(|o| o.call)
            .chain(maybe(reserve).map(|p| p.call)),
    );
    let released_returns = Times::new(answered(release, StoreRet::Released).map(|o| o.returned));
    let release_calls = Times::new(
        answered(release, StoreRet::Released)
            .map(|o| o.call)
            .chain(maybe(release).map(|p| p.call)),
    );
    let most =
        |call: u64, ret: u64| stock - reserved_returns.before(call) + release_calls.before(ret);
    let least = |call: u64, ret: u64| {
        (stock - reserve_calls.before(ret) + released_returns.before(call)).max(0)
    };
    let explain = |call: u64, ret: u64| {
        format!(
            "from {stock} units, {} reservations answered before it and {} more invoked while it ran \
             (or indeterminate), {} releases returned before it and {} more invoked while it ran \
             (or indeterminate)",
            reserved_returns.before(call),
            reserve_calls.before(ret) - reserved_returns.before(call),
            released_returns.before(call),
            release_calls.before(ret) - released_returns.before(call),
        )
    };
    let mut first: Option<(u64, usize, String)> = None;
    for (i, o) in completed.iter().enumerate() {
        if first.as_ref().is_some_and(|f| f.0 <= o.returned) {
            continue;
        }
        let (c, r) = (o.call, o.returned);
        let why = match (&o.op, &o.ret) {
            (StoreOp::Read { .. }, StoreRet::Stock(v)) if *v > most(c, r) => Some(format!(
                "read {v}, but at most {} units can be left at any moment of the read \
                 ({} invented): {}",
                most(c, r),
                v - most(c, r),
                explain(c, r)
            )),
            (StoreOp::Read { .. }, StoreRet::Stock(v)) if *v < least(c, r) => Some(format!(
                "read {v}, but at least {} units are left at every moment of the read \
                 ({} lost): {}",
                least(c, r),
                least(c, r) - v,
                explain(c, r)
            )),
            (StoreOp::Reserve { .. }, StoreRet::SoldOut) if least(c, r) > 0 => Some(format!(
                "sold out, but at least {} units are left at every moment of the call: {}",
                least(c, r),
                explain(c, r)
            )),
            // Counting this reservation too: more units taken than there were, even with
            // every release that could have come first.
            (StoreOp::Reserve { .. }, StoreRet::Reserved)
                if stock - reserved_returns.until(r) + release_calls.before(r) < 0 =>
            {
                Some(format!(
                    "reserved, but it is reservation {} answered by then, from {stock} units \
                     and at most {} releases: a unit was sold twice",
                    reserved_returns.until(r),
                    release_calls.before(r),
                ))
            }
            _ => None,
        };
        if let Some(why) = why {
            first = Some((r, i, why));
        }
    }
    let (_, op, reason) = first?;
    let (c, r) = (completed[op].call, completed[op].returned);
    let n = completed.len();
    let mut window: Vec<(u64, usize)> = completed
        .iter()
        .enumerate()
        .filter(|&(i, o)| i == op || (o.call < r && o.returned > c))
        .map(|(i, o)| (o.call, i))
        .chain(
            pending
                .iter()
                .enumerate()
                .filter(|(_, p)| p.call < r)
                .map(|(j, p)| (p.call, n + j)),
        )
        .collect();
    window.sort_unstable();
    Some(Refutation {
        op,
        window: window.into_iter().map(|(_, i)| i).collect(),
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(call: u64, returned: u64, op: StoreOp, ret: StoreRet) -> Operation<StoreOp, StoreRet> {
        Operation {
            client: call,
            op,
            ret,
            call,
            returned,
        }
    }

    const R: StoreOp = StoreOp::Reserve { sku: 0, user: 1 };
    const L: StoreOp = StoreOp::Release { sku: 0, user: 1 };
    const READ: StoreOp = StoreOp::Read { sku: 0 };

    #[test]
    fn a_lost_update_is_refuted_by_the_final_read() {
        // Two reservations answered, stock 5, final read 4: one unit vanished from the count.
        let h = [
            op(1, 3, R, StoreRet::Reserved),
            op(2, 4, R, StoreRet::Reserved),
            op(5, 6, READ, StoreRet::Stock(4)),
        ];
        let r = refute(&h, &[], 5).expect("refuted");
        assert_eq!(r.op, 2);
        assert_eq!(r.window, vec![2]);
        assert!(
            r.reason.starts_with("read 4, but at most 3"),
            "{}",
            r.reason
        );
    }

    #[test]
    fn overlapping_and_indeterminate_operations_widen_the_bounds() {
        // The read overlaps the second reservation: 4 or 3 are both possible.
        let h = [
            op(1, 3, R, StoreRet::Reserved),
            op(4, 7, R, StoreRet::Reserved),
            op(5, 6, READ, StoreRet::Stock(4)),
        ];
        assert_eq!(refute(&h, &[], 5), None);
        // An indeterminate release may have returned a unit: 5 is possible after one reserve.
        let h = [
            op(1, 3, R, StoreRet::Reserved),
            op(5, 6, READ, StoreRet::Stock(5)),
        ];
        let lost = Pending {
            client: 9,
            op: L,
            call: 4,
        };
        assert_eq!(refute(&h, std::slice::from_ref(&lost), 5), None);
        // ... but not 6.
        let h6 = [
            op(1, 3, R, StoreRet::Reserved),
            op(5, 6, READ, StoreRet::Stock(6)),
        ];
        let r = refute(&h6, &[lost], 5).expect("refuted");
        assert_eq!(
            r.window,
            vec![2, 1],
            "the indeterminate release, then the read (by call)"
        );
    }

    #[test]
    fn oversell_and_a_false_sold_out_are_refuted() {
        let h = [
            op(1, 2, R, StoreRet::Reserved),
            op(3, 4, R, StoreRet::Reserved),
        ];
        let r = refute(&h, &[], 1).expect("oversold");
        assert_eq!(r.op, 1);
        assert!(r.reason.contains("sold twice"), "{}", r.reason);
        let h = [
            op(1, 2, R, StoreRet::Reserved),
            op(3, 4, R, StoreRet::SoldOut),
        ];
        assert!(refute(&h, &[], 2).is_some(), "one unit was left");
        assert_eq!(refute(&h, &[], 1), None);
        // A release that may have come first makes the second reservation possible.
        let h = [
            op(1, 2, R, StoreRet::Reserved),
            op(3, 6, L, StoreRet::Released),
            op(4, 5, R, StoreRet::Reserved),
        ];
        assert_eq!(refute(&h, &[], 1), None);
    }

    proptest::proptest! {
        /// Counting refutes only what the search refutes: random small histories of
        /// reservations, releases and reads (stock 2; results of every kind, some operations
        /// indeterminate) that it refutes are refuted by the search too.
        #[test]
        fn counting_refutes_only_what_the_search_refutes(
            ops in proptest::collection::vec((0u8..3, 0u8..4, 0u64..12, 1u64..8), 1..9)
        ) {
            use crate::replay::inventory::StockSpec;
            use crate::replay::linearizability::{check_indeterminate, Outcome};
            use crate::replay::store::StockPart;
            let mut completed = Vec::new();
            let mut pending = Vec::new();
            for (i, &(kind, result, start, len)) in ops.iter().enumerate() {
                let user = i as u64;
                let (o, ret) = match kind {
                    0 => (StoreOp::Reserve { sku: 0, user }, [StoreRet::Reserved, StoreRet::SoldOut][usize::from(result % 2)].clone()),
                    1 => (StoreOp::Release { sku: 0, user }, StoreRet::Released),
                    _ => (StoreOp::Read { sku: 0 }, StoreRet::Stock(i64::from(result))),
                };
                let call = 100 * start + i as u64;
                if result == 3 && kind < 2 {
                    pending.push(Pending { client: user, op: o, call });
                } else {
                    completed.push(Operation {
                        client: user,
                        op: o,
                        ret,
                        call,
                        returned: 100 * (start + len) + 50 + i as u64,
                    });
                }
            }
            if refute(&completed, &pending, 2).is_some() {
                let searched = check_indeterminate(&StockPart(StockSpec { stock: 2 }), &completed, &pending).unwrap();
                proptest::prop_assert!(matches!(searched, Outcome::NotLinearizable(_)), "{completed:?} {pending:?}");
            }
        }
    }
}
