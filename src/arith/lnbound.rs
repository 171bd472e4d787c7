//! Sound rational enclosures of the natural logarithm, the only transcendental function the
//! arithmetic layer needs (z3 has no `log`).
//!
//! For a rational `q > 0` write `q = 2^k · m` with `m ∈ [1, 2)`, so
//! `ln q = k·ln 2 + ln m` and `ln m = 2·atanh(z) = 2·Σ_{n≥0} z^{2n+1}/(2n+1)` with
//! `z = (m−1)/(m+1) ∈ [0, 1/3)`. Every term is non-negative, so the partial sum of the first
//! `N` terms is a lower bound, and the tail is at most
//! `z^{2N+1}/((2N+1)(1−z²))` (a geometric series dominating it), which gives the upper bound.
//! `ln 2 = 2·atanh(1/3)` is enclosed the same way. The ends are then rounded outward to
//! multiples of `2^-BITS`. The enclosure width is below [`EPSILON_TEXT`] for the magnitudes
//! the design document uses; every report prints the actual width of what it derived.

use super::rational::{int, round_dyadic, Interval, Q};
use num_bigint::BigInt;
use num_traits::{One, Signed, Zero};

/// Bits of the dyadic outward rounding.
const BITS: u32 = 160;
/// Series terms: (1/9)^TERMS is far below 2^-BITS.
const TERMS: usize = 60;
/// The stated error bound of a single `ln` enclosure, as printed in reports.
pub const EPSILON_TEXT: &str = "1e-40";

/// Enclosure of `2·atanh(z)` for rational `0 <= z < 1/2`.
fn two_atanh(z: &Q) -> Interval {
    let z2 = z * z;
    let mut pow = z.clone(); // z^{2n+1}
    let mut sum = Q::zero();
    for n in 0..TERMS {
        sum += &pow / int(2 * n as i64 + 1);
        pow = round_dyadic(&(&pow * &z2), BITS + 20, true);
    }
    // `pow` now bounds z^{2N+1} from above (rounded up each step).
    let tail = &pow / (int(2 * TERMS as i64 + 1) * (Q::one() - &z2));
    // The partial sum used rounded-up powers: recompute a lower bound with rounded-down powers.
    let mut low_pow = z.clone();
    let mut low_sum = Q::zero();
    for n in 0..TERMS {
        low_sum += &low_pow / int(2 * n as i64 + 1);
        low_pow = round_dyadic(&(&low_pow * &z2), BITS + 20, false);
    }
    Interval::new(
        round_dyadic(&(low_sum * int(2)), BITS, false),
        round_dyadic(&((sum + tail) * int(2)), BITS, true),
    )
}

/// Enclosure of `ln 2`.
pub fn ln2() -> Interval {
    two_atanh(&Q::new(BigInt::one(), BigInt::from(3)))
}

/// Sound enclosure of `ln q`; `None` when `q <= 0`.
pub fn ln(q: &Q) -> Option<Interval> {
    if !q.is_positive() {
        return None;
    }
    // k = floor(log2 q) from bit lengths, corrected by one step either way.
    let mut k: i64 = q.numer().bits() as i64 - q.denom().bits() as i64;
    let two = int(2);
    let pow2 = |k: i64| -> Q {
        if k >= 0 {
            Q::from_integer(BigInt::one() << k as u64)
        } else {
            Q::new(BigInt::one(), BigInt::one() << (-k) as u64)
        }
    };
    let mut m = q / pow2(k);
    while m < Q::one() {
        k -= 1;
        m = &m * &two;
    }
    while m >= two {
        k += 1;
        m = &m / &two;
    }
    let z = (&m - Q::one()) / (&m + Q::one());
    let lnm = two_atanh(&z);
    let kl = Interval::point(int(k)).mul(&ln2());
    Some(kl.add(&lnm))
}

/// Sound enclosure of `ln x` for every `x` in a positive interval (ln is increasing).
pub fn ln_interval(x: &Interval) -> Option<Interval> {
    let lo = ln(&x.lo)?;
    let hi = ln(&x.hi)?;
    Some(Interval::new(lo.lo, hi.hi))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arith::rational::{parse_decimal, to_f64};
    use proptest::prelude::*;

    #[test]
    fn ln_of_one_is_zero_and_ln2_is_tight() {
        let z = ln(&int(1)).unwrap();
        assert!(z.lo <= Q::zero() && z.hi >= Q::zero());
        let l = ln2();
        assert!(to_f64(&l.width()) < 1e-40);
        assert!((to_f64(&l.lo) - std::f64::consts::LN_2).abs() < 1e-15);
        assert!(ln(&int(0)).is_none());
        assert!(ln(&int(-3)).is_none());
    }

    #[test]
    fn ln_80_matches_known_digits() {
        // ln 80 = 4.382026634673881...
        let i = ln(&int(80)).unwrap();
        assert!(i.lo <= parse_decimal("4.3820266346738817").unwrap());
        assert!(i.hi >= parse_decimal("4.3820266346738816").unwrap());
        assert!(to_f64(&i.width()) < 1e-40);
    }

    proptest! {
        #[test]
        fn enclosure_contains_f64_ln(n in 1u64..10_000_000, d in 1u64..10_000) {
            let q = Q::new(BigInt::from(n), BigInt::from(d));
            let i = ln(&q).unwrap();
            let f = (n as f64 / d as f64).ln();
            prop_assert!(to_f64(&i.lo) <= f + 1e-12 && to_f64(&i.hi) >= f - 1e-12);
            prop_assert!(to_f64(&i.width()) < 1e-38);
        }

        #[test]
        fn ln_is_additive_within_bounds(a in 1u64..100_000, b in 1u64..100_000) {
            let (qa, qb) = (int(a as i64), int(b as i64));
            let sum = ln(&qa).unwrap().add(&ln(&qb).unwrap());
            let prod = ln(&(&qa * &qb)).unwrap();
            // Both enclose ln(ab): they must overlap.
            prop_assert!(sum.lo <= prod.hi && prod.lo <= sum.hi);
        }
    }
}
