//! `flashcheck arith vcg`: the welfare-maximising allocation, each tenant's Clarke-pivot
//! (VCG) payment, and checks of individual rationality, no deficit and incentive
//! compatibility, plus the document's own §4.2 numbers.
//!
//! Payments involve `ln` and are reported as sound enclosures (see `lnbound`). Incentive
//! compatibility is checked by z3 without any approximation of `ln`: `ln(1+x)` at the true
//! and at the misreported allocation are free variables tied only by the concavity (tangent)
//! inequality `ln(1+y) ≤ ln(1+x) + (y−x)/(1+x)`, which the true logarithm satisfies; so an
//! UNSAT answer ("no misreport raises utility minus payment") is a proof for the true `ln`.

use super::allocation::{self, Allocation};
use super::design::{Design, Tenant};
use super::error::ArithError;
use super::eval::render_interval;
use super::rational::{int, render_exact, Interval, Q};
use super::solve::{check, q, qi, value, Outcome};
use crate::verdict::{Subject, Tally, Verdict};
use num_traits::Zero;
use serde::Serialize;
use std::io::Write;
use z3::ast::Real;

/// z3 timeout for one IC search (ms).
const IC_TIMEOUT_MS: u32 = 3000;

/// A tenant's VCG line.
#[derive(Debug, Clone, Serialize)]
pub struct TenantVcg {
    /// Tenant.
    pub name: String,
    /// Cores allocated (6 decimals).
    pub cores: String,
    /// Its value u_i(x_i*).
    pub value: String,
    /// Others' welfare without it, at their own optimum.
    pub others_without: String,
    /// Others' welfare with it, at x*.
    pub others_with: String,
    /// Clarke-pivot payment.
    pub payment: String,
    /// How the payment is known (exact or enclosure).
    pub payment_basis: String,
    /// payment ≥ 0.
    #[serde(with = "crate::verdict::claim")]
    pub payment_nonnegative: Verdict,
    /// Utility minus payment.
    pub net_utility: String,
    /// Individual rationality: net utility ≥ 0.
    #[serde(with = "crate::verdict::claim")]
    pub individual_rationality: Verdict,
    /// Incentive compatibility.
    #[serde(with = "crate::verdict::claim")]
    pub incentive_compatibility: Verdict,
    /// How IC was decided.
    pub ic_reason: String,
}

/// A check of a §4.2 number.
#[derive(Debug, Clone, Serialize)]
pub struct SeedCheck {
    /// What the document says.
    pub statement: String,
    /// The correct value.
    pub correct: String,
    /// Verdict.
    #[serde(with = "crate::verdict::claim")]
    pub verdict: Verdict,
    /// Explanation.
    pub reason: String,
}

/// The VCG report.
#[derive(Debug, Clone, Serialize)]
pub struct VcgReport {
    /// Design.
    pub spec: String,
    /// Capacity used.
    pub capacity: String,
    /// Whether Σx ≤ C binds.
    pub binding: bool,
    /// Shadow price λ.
    pub lambda: String,
    /// Total welfare at x*.
    pub welfare: String,
    /// Stated error of one ln enclosure.
    pub ln_epsilon: String,
    /// Misreport box.
    pub misreport_box: String,
    /// Per tenant.
    pub tenants: Vec<TenantVcg>,
    /// Σ payments.
    pub total_payment: String,
    /// Σ payments ≥ 0.
    #[serde(with = "crate::verdict::claim")]
    pub no_deficit: Verdict,
    /// The document's §4.2 numbers (reported at the spec's own capacity only).
    pub seed_checks: Vec<SeedCheck>,
    /// Counts of all verdicts.
    pub tally: Tally,
}

fn sign_verdict(i: &Interval) -> Verdict {
    if i.lo >= Q::zero() {
        Verdict::Holds
    } else if i.hi < Q::zero() {
        Verdict::Violated
    } else {
        Verdict::Unknown
    }
}

fn welfare(ts: &[Tenant], xs: &[Interval]) -> Result<Interval, ArithError> {
    let mut w = Interval::point(Q::zero());
    for (t, x) in ts.iter().zip(xs) {
        w = w.add(&allocation::utility(t, x)?);
    }
    Ok(w)
}

/// One tenant's payment: (others' welfare without i, with i, payment, basis).
pub fn payment(
    ts: &[Tenant],
    c: &Q,
    full: &Allocation,
    i: usize,
) -> Result<(Interval, Interval, Interval, String), ArithError> {
    let others: Vec<Tenant> = ts
        .iter()
        .enumerate()
        .filter(|(j, _)| *j != i)
        .map(|(_, t)| t.clone())
        .collect();
    let without = allocation::optimum(&others, c)?;
    let with_x: Vec<Interval> = full
        .x
        .iter()
        .enumerate()
        .filter(|(j, _)| *j != i)
        .map(|(_, x)| x.interval.clone())
        .collect();
    let h = welfare(
        &others,
        &without
            .x
            .iter()
            .map(|x| x.interval.clone())
            .collect::<Vec<_>>(),
    )?;
    let w = welfare(&others, &with_x)?;
    if !without.binding && !full.binding {
        // Neither problem binds: every other tenant gets its unconstrained optimum in both,
        // the same algebraic number, so the difference is exactly 0.
        return Ok((h, w, Interval::point(Q::zero()), "exact: the capacity binds neither with nor without this tenant, so the others' allocation is unchanged".into()));
    }
    let p = h.sub(&w);
    let basis = format!(
        "enclosure of Σ_(j≠i) u_j(x_−i*) − Σ_(j≠i) u_j(x*), width {}",
        render_exact_small(&p)
    );
    Ok((h, w, p, basis))
}

fn render_exact_small(i: &Interval) -> String {
    let w = i.width();
    if w.is_zero() {
        "0".into()
    } else {
        // Upper bound on the width as a power of ten.
        let mut k = 0;
        let mut b = Q::from_integer(1.into());
        while b > w && k < 80 {
            b /= int(10);
            k += 1;
        }
        format!("< 1e-{}", k - 1)
    }
}

/// z3 search for a misreport of tenant `i` that raises its true utility minus payment.
///
/// Whatever (α′, β′) tenant i reports, the mechanism's allocation x′ is feasible (x′ ≥ 0,
/// Σx′ ≤ C), so z3 searches over every feasible x′ — a superset of the misreport outcomes,
/// which makes UNSAT a proof for every misreport in the box and beyond. The true optimum x* is
/// described by facts it satisfies: its KKT conditions with slope s_j = 1/(1+x*_j) of
/// ln(1+x) (interior: α_jT_j·s_j − 2β_j·x*_j = λ; corner: x*_j = 0, α_jT_j·s_j ≤ λ), Σx* = C
/// when binding, λ = 0 when not (which tenants are interior and whether the capacity binds
/// were decided exactly; the values themselves are not needed). ln(1+x′_j) and
/// ln(1+x*_j) are free variables tied by the tangent inequality of the concave ln,
/// ln(1+x′) ≤ ln(1+x*) + s·(x′ − x*). Utility minus Clarke payment is written out with the
/// pivot term h_i (others' optimum without i, independent of i's report).
pub fn incentive_check(ts: &[Tenant], c: &Q, full: &Allocation, i: usize) -> (Verdict, String) {
    let n = ts.len();
    let fresh = |p: &str| -> Vec<Real> { (0..n).map(|_| Real::fresh_const(p)).collect() };
    let (xs, xp, ls, lp, sl) = (
        fresh("xs"),
        fresh("xp"),
        fresh("ls"),
        fresh("lp"),
        fresh("slope"),
    );
    let (lam, h) = (Real::fresh_const("lam"), Real::fresh_const("h"));
    let ti = &ts[i];
    let mut sys: Vec<z3::ast::Bool> = Vec::new();
    sys.push(lam.ge(qi(0)));
    if full.binding {
        sys.push(lam.gt(qi(0)));
        sys.push(Real::add(&xs.iter().collect::<Vec<_>>()).eq(q(c)));
    } else {
        sys.push(lam.eq(qi(0)));
    }
    for (j, t) in ts.iter().enumerate() {
        let box_ = &full.x[j].interval;
        if box_.lo > Q::zero() {
            sys.push(
                (q(&t.weight()) * sl[j].clone() - q(&(&t.beta * int(2))) * xs[j].clone())
                    .eq(lam.clone()),
            );
        } else {
            sys.push(xs[j].eq(qi(0)));
            sys.push((q(&t.weight()) * sl[j].clone()).le(lam.clone()));
        }
        sys.push(xp[j].ge(qi(0)));
        sys.push(
            (lp[j].clone() - ls[j].clone()).le(sl[j].clone() * (xp[j].clone() - xs[j].clone())),
        );
    }
    sys.push(Real::add(&xp.iter().collect::<Vec<_>>()).le(q(c)));
    let u = |t: &Tenant, l: &Real, x: &Real| {
        q(&t.weight()) * l.clone() - q(&t.beta) * x.clone() * x.clone()
    };
    let others = |l: &[Real], x: &[Real]| -> Real {
        let terms: Vec<Real> = (0..n)
            .filter(|&j| j != i)
            .map(|j| u(&ts[j], &l[j], &x[j]))
            .collect();
        if terms.is_empty() {
            qi(0)
        } else {
            Real::add(&terms)
        }
    };
    // The facts must be consistent, else UNSAT below would prove nothing.
    match check(&sys, IC_TIMEOUT_MS) {
        Outcome::Sat(_) => {}
        Outcome::Unsat => {
            return (
                Verdict::Unknown,
                "the facts describing x* are inconsistent; an UNSAT answer would be vacuous".into(),
            )
        }
        Outcome::Unknown(r) => return (Verdict::Unknown, format!("z3 gave up on the facts: {r}")),
    }
    let truth = u(ti, &ls[i], &xs[i]) - (h.clone() - others(&ls, &xs));
    let lie = u(ti, &lp[i], &xp[i]) - (h.clone() - others(&lp, &xp));
    sys.push(lie.gt(&truth));
    let boxed = format!(
        "α′ ∈ [{}, {}], β′ ∈ [{}, {}]",
        render_exact(&(&ti.alpha / int(10))),
        render_exact(&(&ti.alpha * int(10))),
        render_exact(&(&ti.beta / int(10))),
        render_exact(&(&ti.beta * int(10)))
    );
    match check(&sys, IC_TIMEOUT_MS) {
        Outcome::Unsat => (
            Verdict::Holds,
            format!("z3: the facts are satisfiable and adding a gain makes them UNSAT — no feasible allocation, hence no misreport ({boxed} or any other), raises utility minus payment; ln enters only through its tangent inequality"),
        ),
        Outcome::Sat(m) => counterexample(ts, &m, &xs, &xp, i),
        Outcome::Unknown(r) => (Verdict::Unknown, format!("z3 gave up: {r}")),
    }
}

fn counterexample(
    ts: &[Tenant],
    m: &z3::Model,
    xs: &[Real],
    xp: &[Real],
    i: usize,
) -> (Verdict, String) {
    // A model of the abstraction; confirm it with the true ln before calling it a counterexample.
    let read = |v: &[Real]| -> Option<Vec<Interval>> {
        v.iter()
            .map(|x| value(m, x).ok().map(|e| e.interval))
            .collect()
    };
    let (Some(s), Some(p)) = (read(xs), read(xp)) else {
        return (
            Verdict::Unknown,
            "z3 found a candidate whose values could not be read".into(),
        );
    };
    let (Ok(ws), Ok(wp)) = (welfare(ts, &s), welfare(ts, &p)) else {
        return (
            Verdict::Unknown,
            "candidate outside the domain of ln".into(),
        );
    };
    let gain = wp.sub(&ws);
    let desc = format!(
        "allocation {}; true utility gain {}",
        p.iter().map(render_interval).collect::<Vec<_>>().join(", "),
        render_interval(&gain)
    );
    let _ = &ts[i];
    if gain.lo > Q::zero() {
        (Verdict::Violated, format!("counterexample: {desc}"))
    } else {
        (
            Verdict::Unknown,
            format!("z3's candidate is not confirmed with the true ln: {desc}"),
        )
    }
}

/// Builds the report at capacity `c`; the §4.2 checks only when `c` is the spec's capacity.
pub fn report(spec: &Design, c: &Q) -> Result<VcgReport, ArithError> {
    let ts = &spec.tenants;
    let full = allocation::optimum(ts, c)?;
    let xs: Vec<Interval> = full.x.iter().map(|x| x.interval.clone()).collect();
    let w = welfare(ts, &xs)?;
    let mut tenants = Vec::new();
    let mut total = Interval::point(Q::zero());
    let mut exact_total = true;
    for (i, t) in ts.iter().enumerate() {
        let (h, wo, p, basis) = payment(ts, c, &full, i)?;
        exact_total &= p.is_point();
        total = total.add(&p);
        let v = allocation::utility(t, &xs[i])?;
        let net = v.sub(&p);
        let (ic, ic_reason) = incentive_check(ts, c, &full, i);
        tenants.push(TenantVcg {
            name: t.name.clone(),
            cores: full.x[i].six(),
            value: render_interval(&v),
            others_without: render_interval(&h),
            others_with: render_interval(&wo),
            payment: render_interval(&p),
            payment_basis: basis,
            payment_nonnegative: sign_verdict(&p),
            net_utility: render_interval(&net),
            individual_rationality: sign_verdict(&net),
            incentive_compatibility: ic,
            ic_reason,
        });
    }
    let _ = exact_total;
    let no_deficit = sign_verdict(&total);
    let seed_checks = if *c == spec.capacity {
        seed_checks(spec, &full)?
    } else {
        Vec::new()
    };
    let mut vs: Vec<Verdict> = Vec::new();
    for t in &tenants {
        vs.extend([
            t.payment_nonnegative,
            t.individual_rationality,
            t.incentive_compatibility,
        ]);
    }
    vs.push(no_deficit);
    vs.extend(seed_checks.iter().map(|s| s.verdict));
    Ok(VcgReport {
        spec: spec.file.display().to_string(),
        capacity: render_exact(c),
        binding: full.binding,
        lambda: full.lambda.render(),
        welfare: render_interval(&w),
        ln_epsilon: super::lnbound::EPSILON_TEXT.into(),
        misreport_box: "α′ ∈ [α/10, 10α], β′ ∈ [β/10, 10β]".into(),
        tenants,
        total_payment: render_interval(&total),
        no_deficit,
        seed_checks,
        tally: Tally::of(vs),
    })
}

/// Verdict of "the value in `i` equals `c` within `tol`".
fn within(i: &Interval, c: &Q, tol: &Q) -> Verdict {
    if i.lo >= c - tol && i.hi <= c + tol {
        Verdict::Holds
    } else if i.hi < c - tol || i.lo > c + tol {
        Verdict::Violated
    } else {
        Verdict::Unknown
    }
}

/// §4.2's numbers (from the spec's `[vcg]` table): the allocation without tenant 1, the
/// others' welfare, tenant 1's payment, and whether the document's algorithm (each tenant's
/// solo optimum) respects the capacity.
fn seed_checks(spec: &Design, full: &Allocation) -> Result<Vec<SeedCheck>, ArithError> {
    let ts = &spec.tenants;
    let mut out = Vec::new();
    let Some(vc) = &spec.vcg_claims else {
        return Ok(out);
    };
    let c = &spec.capacity;
    let others: Vec<Tenant> = ts[1..].to_vec();
    if others.is_empty() {
        return Ok(out);
    }
    let without = allocation::optimum(&others, c)?;
    let xs: Vec<Interval> = without.x.iter().map(|x| x.interval.clone()).collect();
    let tol = &spec.quota_tolerance;
    for ((t, claimed), x) in others.iter().zip(&vc.without_first).zip(&without.x) {
        out.push(SeedCheck {
            statement: format!(
                "x* of `{}` = {} when `{}` does not participate",
                t.name,
                render_exact(claimed),
                ts[0].name
            ),
            correct: x.six(),
            verdict: within(&x.interval, claimed, tol),
            reason: format!(
                "KKT optimum of the other tenants at capacity {} (±{})",
                render_exact(c),
                render_exact(tol)
            ),
        });
    }
    let h = welfare(&others, &xs)?;
    out.push(SeedCheck {
        statement: format!("Σ_(j≠1) u_j(x_−1*) = {}", render_exact(&vc.others_welfare)),
        correct: render_interval(&h),
        verdict: within(&h, &vc.others_welfare, &vc.welfare_tolerance),
        reason: format!(
            "u_j(x) = α_j·T_j·ln(1+x) − β_j·x² (natural log: the document's own first-order condition αT/(1+x) is its derivative) at the optimum without tenant 1, tolerance ±{}",
            render_exact(&vc.welfare_tolerance)
        ),
    });
    let p1 = payment(ts, c, full, 0)?.2;
    out.push(SeedCheck {
        statement: format!("Payment_1 = {}", render_exact(&vc.payment_first)),
        correct: render_interval(&p1),
        verdict: within(&p1, &vc.payment_first, &Q::zero()),
        reason: "Clarke pivot payment; at a non-binding capacity it is exactly 0, whatever the welfare figures".into(),
    });
    // The document's algorithm ignores the capacity: optimal only if Σ solo optima ≤ C.
    let solo: Vec<_> = ts
        .iter()
        .map(allocation::unconstrained)
        .collect::<Result<_, _>>()?;
    let lo: Q = solo.iter().map(|x| x.interval.lo.clone()).sum();
    let hi: Q = solo.iter().map(|x| x.interval.hi.clone()).sum();
    out.push(SeedCheck {
        statement: "compute_nash_equilibrium (each tenant's solo optimum, capacity ignored) gives the welfare-maximising allocation".into(),
        correct: format!("Σ solo optima = {}", render_interval(&Interval::new(lo.clone(), hi.clone()))),
        verdict: if hi <= *c {
            Verdict::Holds
        } else if lo > *c {
            Verdict::Violated
        } else {
            Verdict::Unknown
        },
        reason: format!(
            "true exactly when Σ solo optima ≤ C = {}; at a binding capacity (try --capacity 200) the algorithm allocates more than C and charges nothing",
            render_exact(c)
        ),
    });
    Ok(out)
}

/// Human-readable rendering.
pub fn render_text(r: &VcgReport, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "VCG mechanism (§4.2) at capacity {} ({}), spec {}",
        r.capacity,
        if r.binding { "binding" } else { "not binding" },
        r.spec
    )?;
    writeln!(
        out,
        "welfare-maximising allocation (KKT, exact): λ = {}, welfare Σu = {}",
        r.lambda, r.welfare
    )?;
    writeln!(
        out,
        "values involving ln are sound enclosures (each ln to ε ≤ {}); misreports {} (and any other) are covered by z3 searching every feasible allocation",
        r.ln_epsilon, r.misreport_box
    )?;
    for t in &r.tenants {
        writeln!(out, "- {}: x = {}, u(x) = {}", t.name, t.cores, t.value)?;
        writeln!(
            out,
            "    others' welfare without it {} / with it {}",
            t.others_without, t.others_with
        )?;
        writeln!(
            out,
            "    payment = {} ({}) — payment ≥ 0: {}",
            t.payment,
            t.payment_basis,
            t.payment_nonnegative.word(Subject::Claim)
        )?;
        writeln!(
            out,
            "    utility − payment = {} — individual rationality: {}",
            t.net_utility,
            t.individual_rationality.word(Subject::Claim)
        )?;
        writeln!(
            out,
            "    incentive compatibility: {} — {}",
            t.incentive_compatibility.word(Subject::Claim),
            t.ic_reason
        )?;
    }
    writeln!(
        out,
        "Σ payments = {} — no deficit: {}",
        r.total_payment,
        r.no_deficit.word(Subject::Claim)
    )?;
    if !r.seed_checks.is_empty() {
        writeln!(out, "the document's §4.2 numbers:")?;
        for s in &r.seed_checks {
            writeln!(
                out,
                "  [{}] {} — correct: {} ({})",
                s.verdict.word(Subject::Claim),
                s.statement,
                s.correct,
                s.reason
            )?;
        }
    }
    writeln!(out, "verdicts: {}", r.tally)
}
