//! Univariate polynomials over exact rationals, and the elimination of square roots that
//! turns the binding-capacity KKT system into one polynomial in the price λ.
//!
//! With price λ, tenant i's interior optimum is x_i = (s_i − p_i)/(4β_i) where
//! p_i = 2β_i + λ and s_i = √D_i, D_i = p_i² − 8β_i(λ − α_iT_i). Σx_i = C becomes
//! Σ s_i/(4β_i) − A(λ) = 0 with A = C + Σ p_i/(4β_i). Multiplying this by its conjugates in
//! each s_i (s_i² = D_i) eliminates the roots: the product is a polynomial P(λ) of which the
//! true λ* is a root.

use super::rational::{int, Q};
use num_traits::{One, Zero};
use std::collections::BTreeMap;

/// Coefficients, lowest degree first.
pub type Poly = Vec<Q>;

/// Trims trailing zeros.
fn trim(mut p: Poly) -> Poly {
    while p.last().is_some_and(|c| c.is_zero()) {
        p.pop();
    }
    p
}

/// Sum.
pub fn add(a: &Poly, b: &Poly) -> Poly {
    let n = a.len().max(b.len());
    trim(
        (0..n)
            .map(|i| {
                a.get(i).cloned().unwrap_or_else(Q::zero)
                    + b.get(i).cloned().unwrap_or_else(Q::zero)
            })
            .collect(),
    )
}

/// Product.
pub fn mul(a: &Poly, b: &Poly) -> Poly {
    if a.is_empty() || b.is_empty() {
        return Vec::new();
    }
    let mut out = vec![Q::zero(); a.len() + b.len() - 1];
    for (i, x) in a.iter().enumerate() {
        for (j, y) in b.iter().enumerate() {
            out[i + j] += x * y;
        }
    }
    trim(out)
}

/// Scalar multiple.
pub fn scale(a: &Poly, k: &Q) -> Poly {
    trim(a.iter().map(|c| c * k).collect())
}

/// Value at a rational point.
pub fn eval(a: &Poly, x: &Q) -> Q {
    a.iter().rev().fold(Q::zero(), |acc, c| acc * x + c)
}

/// An element of Q[λ][s_1..s_n]/(s_i² − D_i), multilinear in the s_i: monomial mask → poly.
type Elem = BTreeMap<u32, Poly>;

fn elem_mul(a: &Elem, b: &Elem, d: &[Poly]) -> Elem {
    let mut out: Elem = BTreeMap::new();
    for (ma, pa) in a {
        for (mb, pb) in b {
            let mut p = mul(pa, pb);
            let both = ma & mb;
            for (k, dk) in d.iter().enumerate() {
                if both & (1 << k) != 0 {
                    p = mul(&p, dk);
                }
            }
            let e = out.entry(ma ^ mb).or_default();
            *e = add(e, &p);
        }
    }
    out.retain(|_, p| !p.is_empty());
    out
}

/// The elimination polynomial P(λ) for tenants given as (αT, β), all interior, capacity `c`.
pub fn price_polynomial(tenants: &[(Q, Q)], c: &Q) -> Poly {
    let lam: Poly = vec![Q::zero(), Q::one()];
    let mut d = Vec::new();
    let mut f: Elem = BTreeMap::new();
    let mut a: Poly = vec![c.clone()];
    for (k, (w, b)) in tenants.iter().enumerate() {
        let p = add(&vec![b * int(2)], &lam); // 2β + λ
        let dk = add(
            &mul(&p, &p),
            &scale(&add(&lam, &vec![-w.clone()]), &(-(b * int(8)))),
        ); // p² − 8β(λ − w)
        d.push(dk);
        let c4 = (b * int(4)).recip();
        a = add(&a, &scale(&p, &c4));
        f.insert(1 << k, vec![c4]);
    }
    let e = f.entry(0).or_default();
    *e = add(e, &scale(&a, &-Q::one()));
    for k in 0..tenants.len() {
        let conj: Elem = f
            .iter()
            .map(|(m, p)| {
                (
                    *m,
                    if m & (1 << k) != 0 {
                        scale(p, &-Q::one())
                    } else {
                        p.clone()
                    },
                )
            })
            .collect();
        f = elem_mul(&f, &conj, &d);
    }
    f.remove(&0).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_tenant_polynomial_vanishes_at_its_price() {
        // One tenant, αT = 12, β = 1/2, capacity 2: λ = αT/(1+x) − 2βx at x = 2 is 4 − 2 = 2.
        let p = price_polynomial(&[(int(12), Q::new(1.into(), 2.into()))], &int(2));
        assert!(eval(&p, &int(2)).is_zero());
        assert!(!p.is_empty());
    }
}
