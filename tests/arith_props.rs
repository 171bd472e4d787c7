//! Property tests of the arithmetic layer on random tenants: z3's quota satisfies the
//! first-order condition, no random feasible allocation beats the KKT optimum, VCG payments
//! are non-negative and individually rational.

use flashcheck::arith::allocation;
use flashcheck::arith::design::Tenant;
use flashcheck::arith::rational::{int, Interval, Q};
use flashcheck::arith::vcg;
use num_traits::{Signed, Zero};
use proptest::prelude::*;

fn tenant(i: usize, a: i64, t: i64, b: i64) -> Tenant {
    Tenant {
        name: format!("t{i}"),
        label: format!("t{i}"),
        alpha: int(a),
        traffic: int(t),
        beta: Q::new(b.into(), 100.into()),
        claimed_quota: None,
    }
}

fn arb_tenants() -> impl Strategy<Value = Vec<Tenant>> {
    prop::collection::vec((1i64..=20, 10i64..=2000, 1i64..=50), 2..=3).prop_map(|v| {
        v.into_iter()
            .enumerate()
            .map(|(i, (a, t, b))| tenant(i, a, t, b))
            .collect()
    })
}

fn tiny() -> Q {
    Q::new(1.into(), num_bigint::BigInt::from(10).pow(9))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn quota_satisfies_first_order_condition(a in 1i64..=50, t in 1i64..=5000, b in 1i64..=100) {
        let ten = tenant(0, a, t, b);
        let x = allocation::unconstrained(&ten).unwrap();
        prop_assert!(x.interval.lo.is_positive());
        for v in [&x.interval.lo, &x.interval.hi] {
            let foc = ten.weight() / (v + int(1)) - &ten.beta * int(2) * v;
            prop_assert!(foc.abs() <= tiny(), "foc = {}", foc);
        }
    }

    #[test]
    fn no_random_feasible_allocation_beats_the_optimum(ts in arb_tenants(), cap in 20i64..600, shares in prop::collection::vec(0i64..100, 3)) {
        let c = int(cap);
        let opt = allocation::optimum(&ts, &c).unwrap();
        let sum_hi: Q = opt.x.iter().map(|x| x.interval.hi.clone()).sum();
        prop_assert!(sum_hi <= &c + tiny());
        let w = |xs: &[Interval]| -> Interval {
            ts.iter().zip(xs).fold(Interval::point(Q::zero()), |acc, (t, x)| acc.add(&allocation::utility(t, x).unwrap()))
        };
        let best = w(&opt.x.iter().map(|x| x.interval.clone()).collect::<Vec<_>>());
        let total: i64 = shares.iter().take(ts.len()).sum::<i64>().max(1);
        let y: Vec<Interval> = shares.iter().take(ts.len()).map(|s| Interval::point(int(cap * s) / int(total))).collect();
        let wy = w(&y);
        prop_assert!(wy.lo <= best.hi, "random allocation provably better: {} > {}", wy, best);
    }

    #[test]
    fn payments_are_nonnegative_and_individually_rational(ts in arb_tenants(), cap in 20i64..600) {
        let c = int(cap);
        let full = allocation::optimum(&ts, &c).unwrap();
        for i in 0..ts.len() {
            let (_, _, p, _) = vcg::payment(&ts, &c, &full, i).unwrap();
            prop_assert!(p.hi >= Q::zero() && p.lo >= -tiny(), "payment {}", p);
            let net = allocation::utility(&ts[i], &full.x[i].interval).unwrap().sub(&p);
            prop_assert!(net.hi >= Q::zero() && net.lo >= -tiny(), "net utility {}", net);
        }
    }
}
