//! A state-space size claimed for a model, checked against a lower bound derived from the
//! model's structure and validated against the model's own measured growth. Decides §3.2's
//! "状态空间：10^6状态" for the seed's PlusCal algorithm at its own constants.
//!
//! The bound for `inventory-seed` (users `1..U`, stock `S`): each user is at `Enter`, at
//! `Buy` (entered, waiting) or `Done` (bought), and any assignment with at most `S` users
//! done is reachable (let the chosen users enter, then the chosen ones buy while stock
//! lasts); the other variables follow from the program counters. So the model has at least
//! `Σ_{k=0}^{min(U,S)} C(U,k)·2^(U−k)` distinct states. The bound is exact big-integer
//! arithmetic; before it decides anything it must not exceed the count the model checker
//! measures at every small size (a bound above a measured count is wrong and decides
//! nothing).

use crate::report::table::Table;
use num_bigint::BigUint;
use num_traits::{One, Zero};
use std::fmt::Write as _;

/// The structural lower bound on the distinct states of `inventory-seed`.
pub fn seed_lower_bound(users: u64, stock: u64) -> BigUint {
    let mut total = BigUint::zero();
    // term(k) = C(U,k)·2^(U−k); term(0) = 2^U, term(k+1) = term(k)·(U−k) / (2(k+1)).
    let mut term = BigUint::one() << users;
    for k in 0..=users.min(stock) {
        total += &term;
        if k == users {
            break;
        }
        term = term * BigUint::from(users - k) / BigUint::from(2 * (k + 1));
    }
    total
}

/// One size the model checker measured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Measured {
    /// Users.
    pub users: u64,
    /// Stock.
    pub stock: u64,
    /// Distinct states found.
    pub distinct: u64,
}

/// The inputs of a state-space claim.
#[derive(Debug, Clone)]
pub struct StateSpaceInputs {
    /// The model, as `flashcheck check` names it.
    pub model: String,
    /// Users at the claim's constants.
    pub users: u64,
    /// Stock at the claim's constants.
    pub stock: u64,
    /// The claimed number of states.
    pub claimed: BigUint,
    /// How far above the claim the bound must be to refute it (an order-of-magnitude
    /// figure such as 10^6 is read generously).
    pub factor: u64,
}

/// The decision on a state-space claim.
#[derive(Debug, Clone)]
pub struct StateSpaceDecision {
    /// `Some(false)`: the model has more states than claimed (refuted); `None`: not decided
    /// (a lower bound cannot confirm a size, or the bound failed its validation).
    pub claim_holds: Option<bool>,
    /// One line: why.
    pub reason: String,
    /// The computation as Markdown.
    pub evidence: String,
}

/// Decimal digits of `n` and its leading digits, without printing the whole number.
fn magnitude(n: &BigUint) -> (usize, String) {
    let digits = n.to_str_radix(10);
    (digits.len(), digits.chars().take(6).collect())
}

fn shown(n: &BigUint) -> String {
    let (len, lead) = magnitude(n);
    if len <= 15 {
        n.to_string()
    } else {
        format!(
            "{}.{}… × 10^{} ({len} digits)",
            &lead[..1],
            &lead[1..],
            len - 1
        )
    }
}

/// Decides the claim with `bound` (the structural lower bound) validated against
/// `measured` (the model checker's counts at small sizes).
pub fn decide(
    inputs: &StateSpaceInputs,
    measured: &[Measured],
    bound: &dyn Fn(u64, u64) -> BigUint,
) -> StateSpaceDecision {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "Model `{}` at Users = {}, Stock = {}; claimed: {} states.\n",
        inputs.model,
        inputs.users,
        inputs.stock,
        shown(&inputs.claimed)
    );
    let _ = writeln!(
        md,
        "Lower bound from the structure: every user at `Enter`, `Buy` or `Done` with at most \
         Stock users done is a reachable state, so distinct states ≥ Σ_(k=0..min(U,S)) \
         C(U,k)·2^(U−k).\n"
    );
    let _ = writeln!(
        md,
        "Validation against the model checker (`flashcheck check {} -c Users=U -c Stock=S`):\n",
        inputs.model
    );
    let mut table = Table::new(&[
        "Users",
        "Stock",
        "measured distinct states",
        "bound",
        "bound ≤ measured",
    ])
    .right(&[0, 1, 2, 3]);
    let mut broken = None;
    for m in measured {
        let b = bound(m.users, m.stock);
        let ok = b <= BigUint::from(m.distinct);
        if !ok && broken.is_none() {
            broken = Some(m.clone());
        }
        table.row([
            m.users.to_string(),
            m.stock.to_string(),
            m.distinct.to_string(),
            b.to_string(),
            if ok { "yes" } else { "**no**" }.to_string(),
        ]);
    }
    md.push_str(&table.render());
    let growth: Vec<String> = measured
        .windows(2)
        .filter(|w| w[0].stock == w[1].stock && w[1].users == w[0].users + 1 && w[0].distinct > 0)
        .map(|w| {
            format!(
                "{}→{} users (Stock={}): ×{:.2}",
                w[0].users,
                w[1].users,
                w[0].stock,
                w[1].distinct as f64 / w[0].distinct as f64
            )
        })
        .collect();
    if !growth.is_empty() {
        let _ = writeln!(
            md,
            "\nMeasured growth per added user: {}.",
            growth.join("; ")
        );
    }
    let at_claim = bound(inputs.users, inputs.stock);
    let _ = writeln!(
        md,
        "\nBound at the claim's constants (U = {}, S = {}): {}.",
        inputs.users,
        inputs.stock,
        shown(&at_claim)
    );
    let (claim_holds, reason) = if measured.is_empty() {
        (
            None,
            "no measured sizes to validate the bound against: nothing decided".to_string(),
        )
    } else if let Some(m) = broken {
        (
            None,
            format!(
                "the bound exceeds the measured count at Users={}, Stock={} ({} states): the bound is wrong and decides nothing",
                m.users, m.stock, m.distinct
            ),
        )
    } else if at_claim > &inputs.claimed * BigUint::from(inputs.factor) {
        (
            Some(false),
            format!(
                "at Users={}, Stock={} the model has at least {} distinct states (a bound from its structure, never above the {} counts measured), more than {} × the claimed {}",
                inputs.users,
                inputs.stock,
                shown(&at_claim),
                measured.len(),
                inputs.factor,
                shown(&inputs.claimed)
            ),
        )
    } else {
        (
            None,
            format!(
                "the lower bound {} does not exceed {} × the claimed {}: a lower bound cannot confirm a size",
                shown(&at_claim),
                inputs.factor,
                shown(&inputs.claimed)
            ),
        )
    };
    let _ = writeln!(md, "\nDecision: {reason}.");
    StateSpaceDecision {
        claim_holds,
        reason,
        evidence: md,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts `flashcheck check inventory-seed` reports (measured 2026-12-01).
    const MEASURED: [(u64, u64, u64); 9] = [
        (1, 1, 3),
        (2, 1, 8),
        (2, 2, 9),
        (3, 1, 20),
        (3, 2, 26),
        (3, 3, 27),
        (4, 2, 72),
        (5, 1, 112),
        (5, 3, 232),
    ];

    fn measured() -> Vec<Measured> {
        MEASURED
            .iter()
            .map(|&(users, stock, distinct)| Measured {
                users,
                stock,
                distinct,
            })
            .collect()
    }

    fn seed_claim() -> StateSpaceInputs {
        StateSpaceInputs {
            model: "inventory-seed".into(),
            users: 100_000,
            stock: 10_000,
            claimed: BigUint::from(1_000_000u32),
            factor: 10,
        }
    }

    #[test]
    fn the_bound_meets_the_measured_counts() {
        for m in measured() {
            assert_eq!(
                seed_lower_bound(m.users, m.stock),
                BigUint::from(m.distinct)
            );
        }
    }

    #[test]
    fn ten_to_the_six_is_refuted_at_the_documents_constants() {
        let d = decide(&seed_claim(), &measured(), &seed_lower_bound);
        assert_eq!(d.claim_holds, Some(false), "{}", d.reason);
        assert!(seed_lower_bound(100_000, 10_000) >= BigUint::one() << 100_000u32);
        assert!(d.reason.contains("digits"), "{}", d.reason);
    }

    #[test]
    fn a_bound_above_a_measured_count_decides_nothing() {
        // Broken: 3^U counts every program-counter assignment, ignoring the stock.
        let broken = |u: u64, _s: u64| BigUint::from(3u32).pow(u as u32);
        let d = decide(&seed_claim(), &measured(), &broken);
        assert_eq!(d.claim_holds, None, "{}", d.reason);
        assert!(d.reason.contains("the bound is wrong"), "{}", d.reason);
    }

    #[test]
    fn a_small_model_is_not_refuted() {
        let small = StateSpaceInputs {
            users: 3,
            stock: 2,
            ..seed_claim()
        };
        assert_eq!(
            decide(&small, &measured(), &seed_lower_bound).claim_holds,
            None
        );
    }
}
