//! `flashcheck arith quota`: each tenant's optimum from its first-order condition, the best
//! integer core count, the document's claimed quotas checked against them, the total against
//! the capacity, and the KKT allocation when the capacity binds.

use super::allocation::{self, IntegerOptimum};
use super::design::{Design, Tenant};
use super::error::ArithError;
use super::rational::{render_exact, render_fixed, Q};
use super::solve::{check, q, qi, ExactReal, Outcome};
use crate::verdict::{Subject, Tally, Verdict};
use num_traits::{One, Zero};
use serde::Serialize;
use std::io::Write;
use z3::ast::{Bool, Real};

/// One tenant's line.
#[derive(Debug, Clone, Serialize)]
pub struct TenantQuota {
    /// Identifier.
    pub name: String,
    /// The document's label.
    pub label: String,
    /// α, T, β as exact decimals.
    pub alpha: String,
    /// Traffic.
    pub traffic: String,
    /// β.
    pub beta: String,
    /// The first-order condition as solved, e.g. `0.2·x² + 0.2·x − 10000 = 0`.
    pub condition: String,
    /// The positive root, 6 decimals, from z3's isolating interval.
    pub optimum: String,
    /// z3's own decimal rendering of the algebraic number.
    pub optimum_z3: String,
    /// The isolating interval (12 decimals each end).
    pub optimum_interval: [String; 2],
    /// The best integer core count (proven), if decided.
    pub best_integer: Option<String>,
    /// Why the integer optimum is undecided, if it is.
    pub best_integer_reason: Option<String>,
    /// The document's claim.
    pub claimed: Option<String>,
    /// Does the claim lie within the tolerance of the optimum?
    #[serde(serialize_with = "crate::verdict::claim::option::serialize")]
    pub verdict: Option<Verdict>,
    /// αT/(1+c) − 2βc at the claimed c (0 iff the claim solves the condition), exact.
    pub residual_at_claim: Option<String>,
}

/// The capacity section.
#[derive(Debug, Clone, Serialize)]
pub struct CapacityCheck {
    /// The capacity used.
    pub capacity: String,
    /// Σ of the unconstrained optima (6 decimals).
    pub total_optimum: String,
    /// Whether Σx* > C (z3: proven either way).
    pub binds: bool,
    /// The claimed total, if any.
    pub claimed_total: Option<String>,
    /// Claimed total within tolerance of Σx*?
    #[serde(serialize_with = "crate::verdict::claim::option::serialize")]
    pub claimed_total_verdict: Option<Verdict>,
    /// When binding: λ, and the KKT allocation (real), and integer cores.
    pub kkt: Option<Kkt>,
}

/// The welfare-maximising allocation under a binding capacity.
#[derive(Debug, Clone, Serialize)]
pub struct Kkt {
    /// The shadow price λ (6 decimals).
    pub lambda: String,
    /// (tenant, real cores) in spec order.
    pub real: Vec<(String, String)>,
    /// (tenant, integer cores), when proven.
    pub integer: Option<Vec<(String, String)>>,
    /// Why the integer allocation is not proven, if not.
    pub integer_reason: Option<String>,
}

/// The whole quota report.
#[derive(Debug, Clone, Serialize)]
pub struct QuotaReport {
    /// Which spec.
    pub spec: String,
    /// Tolerance of the claimed quotas.
    pub tolerance: String,
    /// Per tenant.
    pub tenants: Vec<TenantQuota>,
    /// Total versus capacity.
    pub capacity: CapacityCheck,
    /// Counts of the verdicts above.
    pub tally: Tally,
}

fn within(x: &Real, c: &Q, tol: &Q) -> Bool {
    Bool::and(&[(x.clone() - q(c)).le(q(tol)), (q(c) - x.clone()).le(q(tol))])
}

/// Does some root of the condition (there is exactly one positive root) lie within `tol` of `c`?
fn claim_verdict(t: &Tenant, c: &Q, tol: &Q) -> Verdict {
    let x = Real::fresh_const("x");
    match check(
        &[allocation::foc_poly(t, &x), x.gt(qi(0)), within(&x, c, tol)],
        4000,
    ) {
        Outcome::Sat(_) => Verdict::Holds,
        Outcome::Unsat => Verdict::Violated,
        Outcome::Unknown(_) => Verdict::Unknown,
    }
}

fn condition_text(t: &Tenant) -> String {
    let tb = &t.beta * super::rational::int(2);
    format!(
        "{}·x² + {}·x − {} = 0",
        render_exact(&tb),
        render_exact(&tb),
        render_exact(&t.weight())
    )
}

/// Best integer core count of one tenant: floor or ceiling of x*, decided by the sign of the
/// marginal gain u(f+1) − u(f) (enclosed soundly).
pub fn best_integer(t: &Tenant, x: &ExactReal) -> Result<Q, String> {
    let f = x.interval.lo.floor();
    if x.interval.hi.floor() != f && !x.rational {
        return Err("the isolating interval straddles an integer".into());
    }
    let g = allocation::marginal(t, &f);
    if g.lo > Q::zero() {
        Ok(f + Q::one())
    } else if g.hi < Q::zero() {
        Ok(f)
    } else {
        Err(format!(
            "u({}) − u({}) = {g} is within the ln enclosure of 0",
            render_exact(&(&f + Q::one())),
            render_exact(&f)
        ))
    }
}

/// Builds the report.
pub fn report(spec: &Design, capacity: &Q) -> Result<QuotaReport, ArithError> {
    let tol = &spec.quota_tolerance;
    let mut tenants = Vec::new();
    let mut optima = Vec::new();
    for t in &spec.tenants {
        let x = allocation::unconstrained(t)?;
        let bi = best_integer(t, &x);
        let (verdict, residual) = match &t.claimed_quota {
            Some(c) => {
                let res = t.weight() / (c + Q::one()) - &t.beta * super::rational::int(2) * c;
                (Some(claim_verdict(t, c, tol)), Some(render_exact(&res)))
            }
            None => (None, None),
        };
        tenants.push(TenantQuota {
            name: t.name.clone(),
            label: t.label.clone(),
            alpha: render_exact(&t.alpha),
            traffic: render_exact(&t.traffic),
            beta: render_exact(&t.beta),
            condition: condition_text(t),
            optimum: x.six(),
            optimum_z3: x.z3_decimal.clone(),
            optimum_interval: [
                render_fixed(&x.interval.lo, 12),
                render_fixed(&x.interval.hi, 12),
            ],
            best_integer: bi.as_ref().ok().map(render_exact),
            best_integer_reason: bi.err(),
            claimed: t.claimed_quota.as_ref().map(render_exact),
            verdict,
            residual_at_claim: residual,
        });
        optima.push(x);
    }
    // Σx* > C ? with every x_i pinned by its condition.
    let xs: Vec<Real> = spec
        .tenants
        .iter()
        .map(|_| Real::fresh_const("x"))
        .collect();
    let mut base: Vec<Bool> = Vec::new();
    for (t, x) in spec.tenants.iter().zip(&xs) {
        base.push(allocation::foc_poly(t, x));
        base.push(x.gt(qi(0)));
    }
    let sum = Real::add(&xs.iter().collect::<Vec<_>>());
    let mut over = base.clone();
    over.push(sum.gt(q(capacity)));
    let binds = match check(&over, 4000) {
        Outcome::Sat(_) => true,
        Outcome::Unsat => false,
        Outcome::Unknown(r) => return Err(ArithError::Solver(format!("Σx* vs capacity: {r}"))),
    };
    let total_lo: Q = optima.iter().map(|x| x.interval.lo.clone()).sum();
    let total_hi: Q = optima.iter().map(|x| x.interval.hi.clone()).sum();
    let total = ExactReal {
        interval: super::rational::Interval::new(total_lo, total_hi),
        rational: false,
        z3_decimal: String::new(),
    };
    let claimed_total_verdict = spec.claimed_total.as_ref().map(|c| {
        let mut a = base.clone();
        a.push(within(&sum, c, tol));
        match check(&a, 4000) {
            Outcome::Sat(_) => Verdict::Holds,
            Outcome::Unsat => Verdict::Violated,
            Outcome::Unknown(_) => Verdict::Unknown,
        }
    });
    let kkt = if binds {
        Some(kkt(spec, capacity)?)
    } else {
        None
    };
    let mut vs: Vec<Verdict> = tenants.iter().filter_map(|t| t.verdict).collect();
    vs.extend(claimed_total_verdict);
    Ok(QuotaReport {
        spec: spec.file.display().to_string(),
        tolerance: render_exact(tol),
        tenants,
        capacity: CapacityCheck {
            capacity: render_exact(capacity),
            total_optimum: total.six(),
            binds,
            claimed_total: spec.claimed_total.as_ref().map(render_exact),
            claimed_total_verdict,
            kkt,
        },
        tally: Tally::of(vs),
    })
}

/// The KKT allocation (real and integer) at capacity `c`.
pub fn kkt(spec: &Design, c: &Q) -> Result<Kkt, ArithError> {
    let a = allocation::optimum(&spec.tenants, c)?;
    let names = spec.tenants.iter().map(|t| t.name.clone());
    let real = names.clone().zip(a.x.iter().map(|x| x.six())).collect();
    let (integer, integer_reason) =
        match allocation::integer_optimum(&spec.tenants, c, allocation::floors(&a.x)) {
            IntegerOptimum::Proven(n) => {
                (Some(names.zip(n.iter().map(render_exact)).collect()), None)
            }
            IntegerOptimum::Undecided { reason, .. } => (None, Some(reason)),
        };
    Ok(Kkt {
        lambda: a.lambda.six(),
        real,
        integer,
        integer_reason,
    })
}

/// Human-readable rendering.
pub fn render_text(r: &QuotaReport, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "quota game (§4.1), spec {}", r.spec)?;
    writeln!(out, "optimum: positive root of 2β·x² + 2β·x − αT = 0 (the first-order condition αT/(1+x) − 2βx = 0 times 1+x), solved by z3 as an algebraic number")?;
    for t in &r.tenants {
        writeln!(
            out,
            "- {} ({}): α={} T={} β={}",
            t.name, t.label, t.alpha, t.traffic, t.beta
        )?;
        writeln!(
            out,
            "    condition {}  →  x* = {} (rounded from z3's isolating interval, width < 1e-40; z3's own decimal, truncated: {})",
            t.condition, t.optimum, t.optimum_z3
        )?;
        match (&t.best_integer, &t.best_integer_reason) {
            (Some(b), _) => writeln!(
                out,
                "    best integer cores: {b} (proven by the sign of u(⌊x*⌋+1) − u(⌊x*⌋))"
            )?,
            (None, Some(why)) => writeln!(out, "    best integer cores: unknown ({why})")?,
            _ => {}
        }
        if let (Some(c), Some(v), Some(res)) = (&t.claimed, &t.verdict, &t.residual_at_claim) {
            writeln!(out, "    claim x* = {c} (±{}): {}; first-order condition at {c}: {res} (≠ 0 means {c} is not a root)", r.tolerance, v.word(Subject::Claim))?;
        }
    }
    let c = &r.capacity;
    writeln!(
        out,
        "capacity {}: Σx* = {} → {}",
        c.capacity,
        c.total_optimum,
        if c.binds {
            "binds (Σx* > C)"
        } else {
            "does not bind (z3: Σx* ≤ C)"
        }
    )?;
    if let (Some(ct), Some(v)) = (&c.claimed_total, &c.claimed_total_verdict) {
        writeln!(
            out,
            "claim total = {ct} (±{}): {}",
            r.tolerance,
            v.word(Subject::Claim)
        )?;
    }
    if let Some(k) = &c.kkt {
        writeln!(
            out,
            "KKT allocation under Σx ≤ {} (αT/(1+x) − 2βx = λ for x > 0): λ = {}",
            c.capacity, k.lambda
        )?;
        for (n, x) in &k.real {
            writeln!(out, "    {n}: {x}")?;
        }
        match (&k.integer, &k.integer_reason) {
            (Some(v), _) => writeln!(
                out,
                "  integer cores (proven: no single-core add/remove/transfer improves welfare): {}",
                v.iter()
                    .map(|(n, x)| format!("{n}={x}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )?,
            (None, Some(why)) => writeln!(out, "  integer cores: unknown ({why})")?,
            _ => {}
        }
    }
    writeln!(out, "verdicts: {}", r.tally)
}
