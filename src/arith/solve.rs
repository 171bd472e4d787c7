//! Thin layer over z3 (crate `z3` 0.19, thread-local context): building rational terms,
//! checking a set of assertions with a timeout, and reading exact values (rationals or
//! real algebraic numbers with a rational isolating interval) back from a model.

use super::error::ArithError;
use super::rational::{parse_decimal, render_exact, render_fixed, Interval, Q};
use num_bigint::BigInt;
use std::ffi::CStr;
use z3::ast::{Ast, Bool, Real};
use z3::{Context, Model, Params, SatResult, Tactic};

/// Decimal digits of the isolating intervals requested from z3 for algebraic numbers.
const ISOLATE_DIGITS: u32 = 40;

/// A z3 constant for an exact rational.
pub fn q(r: &Q) -> Real {
    Real::from_big_rational(r)
}

/// A z3 constant for a small integer.
pub fn qi(n: i64) -> Real {
    q(&super::rational::int(n))
}

/// The answer of one z3 check.
pub enum Outcome {
    /// Satisfiable, with a model.
    Sat(Model),
    /// Unsatisfiable: the negation of what was asked is proven.
    Unsat,
    /// z3 gave up (timeout, incompleteness); the reason.
    Unknown(String),
}

impl std::fmt::Debug for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Sat(_) => write!(f, "sat"),
            Outcome::Unsat => write!(f, "unsat"),
            Outcome::Unknown(r) => write!(f, "unknown ({r})"),
        }
    }
}

/// Checks the conjunction of `assertions` with a timeout in milliseconds.
pub fn check(assertions: &[Bool], timeout_ms: u32) -> Outcome {
    // The nonlinear real arithmetic procedure (nlsat), complete for polynomial systems over
    // the reals, run directly as a tactic: z3's default solver goes through its incomplete
    // SMT core first on these problems.
    let tactic =
        Tactic::new("qfnra-nlsat").try_for(std::time::Duration::from_millis(u64::from(timeout_ms)));
    let solver = tactic.solver();
    let mut p = Params::new();
    p.set_u32("timeout", timeout_ms);
    solver.set_params(&p);
    for a in assertions {
        solver.assert(a);
    }
    match solver.check() {
        SatResult::Sat => match solver.get_model() {
            Some(m) => Outcome::Sat(m),
            None => Outcome::Unknown("sat without a model".into()),
        },
        SatResult::Unsat => Outcome::Unsat,
        SatResult::Unknown => Outcome::Unknown(
            solver
                .get_reason_unknown()
                .unwrap_or_else(|| "unknown".into()),
        ),
    }
}

/// An exact real number read from z3: a rational, or an algebraic number known through a
/// rational isolating interval of width below 10^-40.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExactReal {
    /// `[v, v]` for a rational, else the isolating interval.
    pub interval: Interval,
    /// True for a rational.
    pub rational: bool,
    /// z3's own decimal rendering (truncated by z3; `?` removed).
    pub z3_decimal: String,
}

impl ExactReal {
    /// From a known rational.
    pub fn rational(v: Q) -> Self {
        ExactReal {
            z3_decimal: render_fixed(&v, 6),
            interval: Interval::point(v),
            rational: true,
        }
    }
    /// Rendered to 6 decimals, rounded, from the isolating interval; if the interval straddles
    /// a rounding boundary the rendering says so instead of guessing.
    pub fn six(&self) -> String {
        let lo = render_fixed(&self.interval.lo, 6);
        let hi = render_fixed(&self.interval.hi, 6);
        if lo == hi {
            lo
        } else {
            format!(
                "{}..{}",
                render_fixed(&self.interval.lo, 12),
                render_fixed(&self.interval.hi, 12)
            )
        }
    }
    /// Exact rendering when rational (e.g. `0`, `99.95`), else six decimals.
    pub fn render(&self) -> String {
        if self.rational {
            render_exact(&self.interval.lo)
        } else {
            self.six()
        }
    }
}

fn numeral_string(ctx: &Context, a: z3_sys::Z3_ast) -> Result<Q, ArithError> {
    // SAFETY: `a` is a live numeral AST of the thread-local context.
    let s = unsafe {
        let p = z3_sys::Z3_get_numeral_string(ctx.get_z3_context(), a);
        if p.is_null() {
            return Err(ArithError::Solver("null numeral string".into()));
        }
        CStr::from_ptr(p).to_string_lossy().into_owned()
    };
    parse_ratio(&s).ok_or_else(|| ArithError::Solver(format!("unparsable numeral `{s}`")))
}

fn parse_ratio(s: &str) -> Option<Q> {
    match s.split_once('/') {
        Some((n, d)) => {
            let n: BigInt = n.trim().parse().ok()?;
            let d: BigInt = d.trim().parse().ok()?;
            if d == BigInt::from(0) {
                return None;
            }
            Some(Q::new(n, d))
        }
        None => parse_decimal(s),
    }
}

/// The exact value of `term` in `model` (model completion on).
pub fn value(model: &Model, term: &Real) -> Result<ExactReal, ArithError> {
    let v = model
        .eval(term, true)
        .ok_or_else(|| ArithError::Solver(format!("cannot evaluate {term}")))?;
    let ctx = Context::thread_local();
    let c = ctx.get_z3_context();
    let a = v.get_z3_ast();
    // SAFETY: plain queries on a live AST of the thread-local context.
    let (is_num, is_alg) = unsafe {
        (
            z3_sys::Z3_is_numeral_ast(c, a),
            z3_sys::Z3_is_algebraic_number(c, a),
        )
    };
    if is_alg {
        // SAFETY: `a` is an algebraic number; each bound is a fresh rational numeral, held
        // with inc_ref while it is read (the context is reference-counted).
        let bound = |upper: bool| -> Result<Q, ArithError> {
            unsafe {
                let r = if upper {
                    z3_sys::Z3_get_algebraic_number_upper(c, a, ISOLATE_DIGITS)
                } else {
                    z3_sys::Z3_get_algebraic_number_lower(c, a, ISOLATE_DIGITS)
                }
                .ok_or_else(|| ArithError::Solver("no isolating bound".into()))?;
                z3_sys::Z3_inc_ref(c, r);
                let out = numeral_string(&ctx, r);
                z3_sys::Z3_dec_ref(c, r);
                out
            }
        };
        let (lo, hi) = (bound(false)?, bound(true)?);
        if lo > hi {
            return Err(ArithError::Solver("empty isolating interval".into()));
        }
        Ok(ExactReal {
            interval: Interval::new(lo, hi),
            rational: false,
            z3_decimal: v.approx(6),
        })
    } else if is_num {
        let r = numeral_string(&ctx, a)?;
        Ok(ExactReal {
            z3_decimal: v.approx(6),
            interval: Interval::point(r),
            rational: true,
        })
    } else {
        Err(ArithError::Solver(format!(
            "model value is not a numeral: {v}"
        )))
    }
}
