//! The arithmetic layer: z3 proves or refutes the quota, Nash, VCG and latency arithmetic
//! and every numeric claim of the design document.
//!
//! # Soundness
//!
//! * Inputs are exact rationals: decimals are parsed from their text (`0.1` is 1/10), never
//!   through a binary float ([`rational`]).
//! * Everything polynomial is decided by z3 over the reals (nlsat): the quota optimum is the
//!   positive root of `2βx² + 2βx − αT = 0`, the binding-capacity allocation the solution of
//!   the KKT system; z3 returns real algebraic numbers, shown to 6 decimals from z3's rational
//!   isolating interval (width < 10⁻⁴⁰), never from an `f64` square root ([`solve`],
//!   [`alloc`]).
//! * `ln` is not in z3's theories. Where a value needs it (utilities, welfare, payments,
//!   integer optima), `ln q` is replaced by a rational interval that provably contains it:
//!   the atanh series after range reduction, partial sum below, partial sum plus a geometric
//!   tail bound above, rounded outward ([`lnbound`]; ε ≤ 1e-40 per evaluation). A claim
//!   containing `ln` is decided by z3 with `ln(e)` as a fresh variable constrained to that
//!   interval: if the claim (or its negation) is unsatisfiable for *every* value in the
//!   interval, it is so for the true logarithm. If the enclosure straddles the decision
//!   boundary the verdict is `unknown`.
//! * Incentive compatibility needs no enclosure: `ln` at the true and the misreported
//!   allocation are free variables linked only by concavity, `ln(1+y) ≤ ln(1+x) + (y−x)/(1+x)`,
//!   which the true logarithm satisfies; UNSAT of "a misreport raises utility minus payment"
//!   over this weaker theory is a proof ([`vcg`]).
//! * Nothing is ever reported as proven from a floating-point computation.

pub mod allocation;
pub mod claims;
pub mod compute;
pub mod design;
pub mod error;
pub mod eval;
pub mod expr;
pub mod job;
pub mod latency;
pub mod lnbound;
pub mod poly;
pub mod quota;
pub mod rational;
pub mod routing;
pub mod solve;
pub mod statespace;
pub mod vcg;

pub use error::ArithError;
pub use job::{run, ArithJob};
