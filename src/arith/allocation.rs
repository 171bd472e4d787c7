//! Welfare-maximising allocations of the quota game: each tenant's unconstrained optimum (the
//! positive root of its first-order condition), the KKT solution under `Σx ≤ C` for real
//! cores, and the integer optimum certified by the exchange conditions.
//!
//! u_i(x) = α_i·T_i·ln(1+x) − β_i·x² is strictly concave, so the KKT point is the unique global
//! maximiser of Σu_i under Σx ≤ C, x ≥ 0 (KKT conditions are sufficient for a concave objective
//! with linear constraints). None of these conditions contains `ln`: z3 solves them exactly
//! (nlsat) and returns real algebraic numbers.

use super::design::Tenant;
use super::error::ArithError;
use super::lnbound;
use super::poly;
use super::rational::{int, Interval, Q};
use super::solve::{check, q, qi, value, ExactReal, Outcome};
use num_bigint::BigInt;
use num_traits::{One, Signed, Zero};
use z3::ast::{Bool, Real};

/// z3 timeout for the allocation systems (ms).
const TIMEOUT_MS: u32 = 4000;

/// `2β·x² + 2β·x − αT = 0` for `x`, as a z3 constraint (the first-order condition times `1+x`).
pub fn foc_poly(t: &Tenant, x: &Real) -> Bool {
    let two_b = q(&(&t.beta * int(2)));
    let lhs = Real::add(&[two_b.clone() * x.clone() * x.clone(), two_b * x.clone()]);
    lhs.eq(q(&t.weight()))
}

/// The unconstrained optimum of one tenant as an exact algebraic number.
pub fn unconstrained(t: &Tenant) -> Result<ExactReal, ArithError> {
    let x = Real::fresh_const("x");
    match check(&[foc_poly(t, &x), x.gt(qi(0))], TIMEOUT_MS) {
        Outcome::Sat(m) => value(&m, &x),
        other => Err(ArithError::Solver(format!(
            "first-order condition of `{}`: {other:?}",
            t.name
        ))),
    }
}

/// A welfare-maximising real allocation.
#[derive(Debug, Clone)]
pub struct Allocation {
    /// Cores per tenant, in the input order.
    pub x: Vec<ExactReal>,
    /// The multiplier λ of Σx ≤ C (0 when the capacity does not bind).
    pub lambda: ExactReal,
    /// Whether Σx = C binds.
    pub binding: bool,
}

/// The KKT system of `tenants` under capacity `c`, over the z3 variables `x` and `lambda`.
pub fn kkt_constraints(tenants: &[Tenant], c: &Q, x: &[Real], lambda: &Real) -> Vec<Bool> {
    let params: Vec<(Real, Real)> = tenants
        .iter()
        .map(|t| (q(&t.weight()), q(&t.beta)))
        .collect();
    kkt_terms(&params, c, x, lambda)
}

/// The KKT system with each tenant's (αT, β) given as z3 terms (which may be variables, for
/// the misreport search).
pub fn kkt_terms(params: &[(Real, Real)], c: &Q, x: &[Real], lambda: &Real) -> Vec<Bool> {
    let mut out = vec![lambda.ge(qi(0))];
    let sum = Real::add(&x.iter().collect::<Vec<_>>());
    out.push(sum.le(q(c)));
    // Complementary slackness: λ·(C − Σx) = 0.
    out.push((lambda.clone() * (q(c) - sum)).eq(qi(0)));
    for ((w, b), xi) in params.iter().zip(x) {
        let interior = Bool::and(&[
            xi.gt(qi(0)),
            // αT/(1+x) − 2βx = λ, multiplied by 1+x > 0.
            ((lambda.clone() + qi(2) * b.clone() * xi.clone()) * (qi(1) + xi.clone()))
                .eq(w.clone()),
        ]);
        let corner = Bool::and(&[xi.eq(qi(0)), w.le(lambda.clone())]);
        out.push(Bool::or(&[interior, corner]));
    }
    out
}

/// Enclosure of tenant `t`'s best response to the price `lambda` (≥ 0): the positive root of
/// 2βx² + (2β+λ)x + (λ − αT) = 0, or 0 when λ ≥ αT.
fn response(t: &Tenant, lambda: &Q) -> Interval {
    if *lambda >= t.weight() {
        return Interval::point(Q::zero());
    }
    let b2 = &t.beta * int(2);
    let p = &b2 + lambda;
    let disc = &p * &p - &b2 * int(4) * (lambda - t.weight());
    let s =
        super::rational::sqrt_interval(&disc, 120).unwrap_or_else(|| Interval::point(Q::zero()));
    let den = &b2 * int(2);
    Interval::new((&s.lo - &p) / &den, (&s.hi - &p) / &den)
}

/// Rational bisection on the price λ: an enclosure of the KKT multiplier when the capacity
/// binds (Σ responses is decreasing in λ). Used only to give z3 a box to search in; z3's
/// answer is checked against the full KKT system.
fn lambda_box(tenants: &[Tenant], c: &Q) -> Interval {
    let total = |l: &Q| {
        tenants
            .iter()
            .fold(Interval::point(Q::zero()), |a, t| a.add(&response(t, l)))
    };
    let mut lo = Q::zero();
    let mut hi = tenants
        .iter()
        .map(|t| t.weight())
        .max()
        .unwrap_or_else(Q::one);
    for _ in 0..200 {
        let mid = (&lo + &hi) / int(2);
        let s = total(&mid);
        if s.lo > *c {
            lo = mid;
        } else if s.hi < *c {
            hi = mid;
        } else {
            break;
        }
        if &hi - &lo < Q::new(1.into(), BigInt::from(10).pow(30)) {
            break;
        }
    }
    Interval::new(lo, hi)
}

/// Solves the KKT system exactly.
pub fn optimum(tenants: &[Tenant], c: &Q) -> Result<Allocation, ArithError> {
    let x: Vec<Real> = tenants.iter().map(|_| Real::fresh_const("x")).collect();
    let lambda = Real::fresh_const("lambda");
    let mut system = kkt_constraints(tenants, c, &x, &lambda);
    // Does the capacity bind? (Σ of unconstrained optima > C, decided exactly by z3.)
    let solo: Vec<Real> = tenants.iter().map(|_| Real::fresh_const("s")).collect();
    let mut over: Vec<Bool> = Vec::new();
    for (t, s) in tenants.iter().zip(&solo) {
        over.push(foc_poly(t, s));
        over.push(s.gt(qi(0)));
    }
    over.push(Real::add(&solo.iter().collect::<Vec<_>>()).gt(q(c)));
    let binds = match check(&over, TIMEOUT_MS) {
        Outcome::Sat(_) => true,
        Outcome::Unsat => false,
        Outcome::Unknown(r) => {
            return Err(ArithError::Solver(format!(
                "does capacity {} bind: {r}",
                super::rational::render_exact(c)
            )))
        }
    };
    if !binds {
        system.push(lambda.eq(qi(0)));
        return match check(&system, TIMEOUT_MS) {
            Outcome::Sat(m) => {
                let xs = x
                    .iter()
                    .map(|xi| value(&m, xi))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Allocation {
                    x: xs,
                    lambda: ExactReal::rational(Q::zero()),
                    binding: false,
                })
            }
            other => Err(ArithError::Solver(format!(
                "KKT system at capacity {}: {other:?}",
                super::rational::render_exact(c)
            ))),
        };
    }
    binding_optimum(tenants, c)
}

/// z3 term of a polynomial at `v`.
fn poly_term(p: &poly::Poly, v: &Real) -> Real {
    let mut acc = qi(0);
    for coeff in p.iter().rev() {
        acc = acc * v.clone() + q(coeff);
    }
    acc
}

/// The binding case. z3 4.8.12's nlsat does not finish on the joint KKT system, so it is
/// solved in triangular form: (1) a rational bisection encloses the price λ* in a box (Σx(λ)
/// is strictly decreasing; sound interval arithmetic), which also fixes which tenants are
/// interior (αT > λ); (2) the square roots are eliminated into one polynomial P(λ) with
/// P(λ*) = 0 ([`poly::price_polynomial`]); z3 proves P has exactly one root in the box, so that
/// root is λ*; (3) each x_i is the positive root of (λ* + 2β_i x)(1 + x) = α_iT_i, solved by
/// z3 with λ* pinned. All values are z3 algebraic numbers.
fn binding_optimum(tenants: &[Tenant], c: &Q) -> Result<Allocation, ArithError> {
    let lb = lambda_box(tenants, c);
    let mut interior = Vec::new();
    for t in tenants {
        if t.weight() > lb.hi {
            interior.push(true);
        } else if t.weight() <= lb.lo {
            interior.push(false);
        } else {
            return Err(ArithError::Solver(format!(
                "degenerate: α·T of `{}` equals the price λ* to 30 digits",
                t.name
            )));
        }
    }
    let params: Vec<(Q, Q)> = tenants
        .iter()
        .zip(&interior)
        .filter(|(_, i)| **i)
        .map(|(t, _)| (t.weight(), t.beta.clone()))
        .collect();
    let p = poly::price_polynomial(&params, c);
    if p.len() < 2 {
        return Err(ArithError::Solver(
            "the price polynomial is constant".into(),
        ));
    }
    let in_box = |v: &Real| vec![v.ge(q(&lb.lo)), v.le(q(&lb.hi)), poly_term(&p, v).eq(qi(0))];
    // Uniqueness of the root in the box.
    let (l1, l2) = (Real::fresh_const("l1"), Real::fresh_const("l2"));
    let mut two = in_box(&l1);
    two.extend(in_box(&l2));
    two.push(l1.lt(&l2));
    match check(&two, TIMEOUT_MS) {
        Outcome::Unsat => {}
        other => {
            return Err(ArithError::Solver(format!(
                "price polynomial: root not proven unique in its box ({other:?})"
            )))
        }
    }
    let lam = Real::fresh_const("lambda");
    let lambda = match check(&in_box(&lam), TIMEOUT_MS) {
        Outcome::Sat(m) => value(&m, &lam)?,
        other => {
            return Err(ArithError::Solver(format!(
                "price polynomial has no root in its box ({other:?})"
            )))
        }
    };
    let mut xs = Vec::new();
    for (t, inner) in tenants.iter().zip(&interior) {
        if !*inner {
            xs.push(ExactReal::rational(Q::zero()));
            continue;
        }
        let x = Real::fresh_const("x");
        let mut sys = in_box(&lam);
        sys.push(x.gt(qi(0)));
        sys.push(
            ((lam.clone() + q(&(&t.beta * int(2))) * x.clone()) * (qi(1) + x.clone()))
                .eq(q(&t.weight())),
        );
        match check(&sys, TIMEOUT_MS) {
            Outcome::Sat(m) => xs.push(value(&m, &x)?),
            other => {
                return Err(ArithError::Solver(format!(
                    "allocation of `{}` at the price λ*: {other:?}",
                    t.name
                )))
            }
        }
    }
    Ok(Allocation {
        x: xs,
        lambda,
        binding: true,
    })
}

/// Sound enclosure of u(x) = αT·ln(1+x) − βx² for x in an interval.
pub fn utility(t: &Tenant, x: &Interval) -> Result<Interval, ArithError> {
    let one_plus = x.add(&Interval::point(Q::one()));
    let l = lnbound::ln_interval(&one_plus)
        .ok_or_else(|| ArithError::Solver(format!("ln of a non-positive 1+x for `{}`", t.name)))?;
    Ok(Interval::point(t.weight())
        .mul(&l)
        .sub(&Interval::point(t.beta.clone()).mul(&x.pow(2))))
}

/// Sound enclosure of the marginal gain u(n+1) − u(n) = αT·ln((n+2)/(n+1)) − β(2n+1).
pub fn marginal(t: &Tenant, n: &Q) -> Interval {
    let ratio = (n + int(2)) / (n + int(1));
    let l = lnbound::ln(&ratio).unwrap_or_else(|| Interval::point(Q::zero()));
    Interval::point(t.weight())
        .mul(&l)
        .sub(&Interval::point(&t.beta * (n * int(2) + int(1))))
}

/// The result of the integer search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntegerOptimum {
    /// Proven optimal integer cores (every single-core move is proven not to improve).
    Proven(Vec<Q>),
    /// A move could not be decided by the ln enclosures (a tie within ε); the best found.
    Undecided {
        /// Best allocation found.
        cores: Vec<Q>,
        /// Which comparison was undecided.
        reason: String,
    },
}

/// Integer cores maximising Σu_i under Σn ≤ C, starting from `start` (e.g. the floors of the
/// real optimum) and applying provably improving single-core moves (add, remove, transfer).
/// For separable concave utilities a point no such move improves is a global optimum.
pub fn integer_optimum(tenants: &[Tenant], c: &Q, start: Vec<Q>) -> IntegerOptimum {
    let mut n = start;
    let cap = c.floor();
    let zero = Q::zero();
    for _ in 0..100_000 {
        let sum: Q = n.iter().fold(Q::zero(), |a, b| a + b);
        let mut undecided: Option<String> = None;
        let mut improved = false;
        // Add one core to j (needs slack).
        let gains: Vec<Interval> = tenants
            .iter()
            .zip(&n)
            .map(|(t, k)| marginal(t, k))
            .collect();
        let losses: Vec<Option<Interval>> = tenants
            .iter()
            .zip(&n)
            .map(|(t, k)| {
                if k.is_positive() {
                    Some(marginal(t, &(k - int(1))))
                } else {
                    None
                }
            })
            .collect();
        if sum < cap {
            if let Some(j) = (0..n.len()).find(|&j| gains[j].lo > zero) {
                n[j] += int(1);
                continue;
            }
            if let Some(j) = (0..n.len()).find(|&j| gains[j].hi > zero) {
                undecided = Some(format!(
                    "adding a core to `{}` changes welfare by {}",
                    tenants[j].name, gains[j]
                ));
            }
        } else if sum > cap {
            // Infeasible start: remove from the tenant losing least (decided or not).
            let i = (0..n.len())
                .filter(|&i| losses[i].is_some())
                .min_by(|&a, &b| {
                    let (la, lb) = (
                        losses[a].as_ref().map(|l| l.mid()),
                        losses[b].as_ref().map(|l| l.mid()),
                    );
                    la.cmp(&lb)
                });
            match i {
                Some(i) => {
                    n[i] -= int(1);
                    continue;
                }
                None => {
                    return IntegerOptimum::Undecided {
                        cores: n,
                        reason: "no feasible start".into(),
                    }
                }
            }
        }
        // Remove a core from i.
        for i in 0..n.len() {
            if let Some(l) = &losses[i] {
                if l.hi < zero {
                    n[i] -= int(1);
                    improved = true;
                    break;
                } else if l.lo < zero && undecided.is_none() {
                    undecided = Some(format!(
                        "removing a core from `{}` changes welfare by {}",
                        tenants[i].name,
                        l.neg()
                    ));
                }
            }
        }
        if improved {
            continue;
        }
        // Transfer a core from i to j.
        'outer: for i in 0..n.len() {
            if let Some(l) = &losses[i] {
                for j in 0..n.len() {
                    if i == j {
                        continue;
                    }
                    let d = gains[j].sub(l);
                    if d.lo > zero {
                        n[i] -= int(1);
                        n[j] += int(1);
                        improved = true;
                        break 'outer;
                    } else if d.hi > zero && undecided.is_none() {
                        undecided = Some(format!(
                            "moving a core from `{}` to `{}` changes welfare by {d}",
                            tenants[i].name, tenants[j].name
                        ));
                    }
                }
            }
        }
        if improved {
            continue;
        }
        return match undecided {
            None => IntegerOptimum::Proven(n),
            Some(reason) => IntegerOptimum::Undecided { cores: n, reason },
        };
    }
    IntegerOptimum::Undecided {
        cores: n,
        reason: "search did not converge".into(),
    }
}

/// Floors of the lower ends of the real allocation (a feasible integer start).
pub fn floors(a: &[ExactReal]) -> Vec<Q> {
    a.iter()
        .map(|x| Q::from_integer(x.interval.lo.floor().to_integer()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arith::rational::parse_decimal;

    fn t(name: &str, a: i64, tr: i64, b: &str) -> Tenant {
        Tenant {
            name: name.into(),
            label: name.into(),
            alpha: int(a),
            traffic: int(tr),
            beta: parse_decimal(b).unwrap(),
            claimed_quota: None,
        }
    }

    #[test]
    fn ecommerce_optimum_is_223_107() {
        let x = unconstrained(&t("e", 10, 1000, "0.1")).unwrap();
        assert_eq!(x.six(), "223.107357");
    }

    #[test]
    fn binding_capacity_sums_to_capacity() {
        let ts = vec![
            t("e", 10, 1000, "0.1"),
            t("a", 5, 500, "0.2"),
            t("i", 2, 100, "0.3"),
        ];
        let a = optimum(&ts, &int(200)).unwrap();
        assert!(a.binding);
        let lo: Q = a.x.iter().map(|x| x.interval.lo.clone()).sum();
        let hi: Q = a.x.iter().map(|x| x.interval.hi.clone()).sum();
        assert!(lo <= int(200) && hi >= int(200));
        match integer_optimum(&ts, &int(200), floors(&a.x)) {
            IntegerOptimum::Proven(n) => assert_eq!(n.iter().sum::<Q>(), int(200)),
            other => panic!("{other:?}"),
        }
    }
}
