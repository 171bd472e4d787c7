//! Compiles a claim expression into z3 terms plus side constraints, and in parallel into a
//! sound rational interval, so z3 can decide the claim and the report can show the value.
//!
//! Exact parts (rationals, `sqrt`, `quota`) become z3 terms pinned by polynomial
//! constraints; each `ln(e)` becomes a fresh z3 variable bounded by a sound rational
//! enclosure of `ln` over the interval of `e` (see `lnbound`), so a verdict derived with
//! it is a proof for the true logarithm; when the enclosure straddles the decision the
//! verdict is `unknown`.

use super::allocation;
use super::design::Design;
use super::expr::{Cmp, Expr, Op};
use super::lnbound;
use super::quota;
use super::rational::{int, render_exact, render_fixed, sqrt_interval, Interval, Q};
use super::solve::q;
use num_traits::{One, Signed, Zero};
use std::collections::HashMap;
use z3::ast::{Bool, Real};

/// Why an expression could not be compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvalError {
    /// The claim refers to something that does not exist (bad input, exit 2).
    Input(String),
    /// The value exists but cannot be decided (verdict `unknown`).
    Undecidable(String),
}

/// A compiled numeric expression.
#[derive(Debug)]
pub struct Value {
    /// The z3 term.
    pub term: Real,
    /// Sound enclosure of its value.
    pub interval: Interval,
}

/// Compilation state: side constraints and caches.
pub struct Compiler<'a> {
    spec: &'a Design,
    /// Constraints pinning the fresh variables.
    pub constraints: Vec<Bool>,
    /// True once an `ln` enclosure (or another non-exact enclosure) was used.
    pub bounded: bool,
    /// The rendered values of both sides of every comparison compiled, in order.
    pub sides: Vec<[String; 2]>,
    quotas: HashMap<String, super::solve::ExactReal>,
    quota_terms: HashMap<String, Real>,
    /// When true, algebraic values (`quota`) enter z3 only through their isolating intervals
    /// (an over-approximation: still sound, and easier for nlsat).
    pub boxes: bool,
    payments: &'a dyn Fn(&str) -> Result<Interval, EvalError>,
}

impl std::fmt::Debug for Compiler<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Compiler")
            .field("constraints", &self.constraints.len())
            .field("bounded", &self.bounded)
            .finish()
    }
}

/// Renders an enclosure: exact if a point, 6 decimals if both ends agree, else both ends.
pub fn render_interval(i: &Interval) -> String {
    if i.is_point() {
        return render_exact(&i.lo);
    }
    let (a, b) = (render_fixed(&i.lo, 6), render_fixed(&i.hi, 6));
    if a == b {
        a
    } else {
        format!("[{}, {}]", render_fixed(&i.lo, 9), render_fixed(&i.hi, 9))
    }
}

impl<'a> Compiler<'a> {
    /// A compiler over `spec`; `payments` yields VCG payments by tenant name.
    pub fn new(
        spec: &'a Design,
        payments: &'a dyn Fn(&str) -> Result<Interval, EvalError>,
    ) -> Self {
        Compiler {
            spec,
            constraints: Vec::new(),
            bounded: false,
            sides: Vec::new(),
            quotas: HashMap::new(),
            quota_terms: HashMap::new(),
            boxes: false,
            payments,
        }
    }

    fn tenant_arg(&self, f: &str, args: &[Expr]) -> Result<&'a super::design::Tenant, EvalError> {
        match args.first() {
            Some(Expr::Name(n)) => self
                .spec
                .tenant(n)
                .ok_or_else(|| EvalError::Input(format!("`{f}({n})`: unknown tenant `{n}`"))),
            _ => Err(EvalError::Input(format!(
                "`{f}` needs a tenant name as its first argument"
            ))),
        }
    }

    fn layer_arg(
        &self,
        f: &str,
        args: &[Expr],
    ) -> Result<&'a super::design::LatencyLayer, EvalError> {
        match args.first() {
            Some(Expr::Name(n)) => self
                .spec
                .latency
                .layers
                .iter()
                .find(|l| &l.name == n)
                .ok_or_else(|| {
                    EvalError::Input(format!("`{f}({n})`: unknown latency layer `{n}`"))
                }),
            _ => Err(EvalError::Input(format!(
                "`{f}` needs a latency layer name"
            ))),
        }
    }

    fn point(v: Q) -> Value {
        Value {
            term: q(&v),
            interval: Interval::point(v),
        }
    }

    fn bounded_var(&mut self, i: Interval) -> Value {
        let y = Real::fresh_const("bnd");
        self.constraints.push(y.ge(q(&i.lo)));
        self.constraints.push(y.le(q(&i.hi)));
        if !i.is_point() {
            self.bounded = true;
        }
        Value {
            term: y,
            interval: i,
        }
    }

    /// Whether re-running with [`Compiler::boxes`] could change the outcome (an algebraic
    /// value was pinned by its polynomial).
    pub fn boxes_would_help(&self) -> bool {
        !self.boxes && !self.quota_terms.is_empty()
    }

    /// Compiles a numeric expression.
    pub fn num(&mut self, e: &Expr) -> Result<Value, EvalError> {
        match e {
            Expr::Num(v) => Ok(Self::point(v.clone())),
            Expr::Name(n) => match self.spec.values.get(n) {
                Some(v) => Ok(Self::point(v.clone())),
                None => Err(EvalError::Input(format!(
                    "unknown name `{n}` (not a numeric field of the spec)"
                ))),
            },
            Expr::Neg(a) => {
                let a = self.num(a)?;
                Ok(Value {
                    term: a.term.unary_minus(),
                    interval: a.interval.neg(),
                })
            }
            Expr::Bin(op, a, b) => {
                let (a, b) = (self.num(a)?, self.num(b)?);
                Ok(match op {
                    Op::Add => Value {
                        term: a.term + b.term,
                        interval: a.interval.add(&b.interval),
                    },
                    Op::Sub => Value {
                        term: a.term - b.term,
                        interval: a.interval.sub(&b.interval),
                    },
                    Op::Mul => Value {
                        term: a.term * b.term,
                        interval: a.interval.mul(&b.interval),
                    },
                    Op::Div => {
                        let i = a.interval.div(&b.interval).ok_or_else(|| {
                            EvalError::Undecidable(format!(
                                "divisor {} may be zero",
                                render_interval(&b.interval)
                            ))
                        })?;
                        Value {
                            term: a.term.div(&b.term),
                            interval: i,
                        }
                    }
                })
            }
            Expr::Pow(a, k) => {
                let a = self.num(a)?;
                let mut term = q(&Q::one());
                for _ in 0..*k {
                    term *= a.term.clone();
                }
                Ok(Value {
                    term,
                    interval: a.interval.pow(*k),
                })
            }
            Expr::Call(f, args) => self.call(f, args),
            Expr::Cmp(..) | Expr::And(..) => Err(EvalError::Input(format!(
                "`{e}` is a comparison where a number is needed"
            ))),
        }
    }

    fn call(&mut self, f: &str, args: &[Expr]) -> Result<Value, EvalError> {
        match f {
            "sqrt" => {
                let a = self.num(&args[0])?;
                if a.interval.lo.is_negative() {
                    return Err(EvalError::Undecidable(format!(
                        "sqrt of {} (may be negative)",
                        render_interval(&a.interval)
                    )));
                }
                let lo = sqrt_interval(&a.interval.lo, 140)
                    .map(|i| i.lo)
                    .unwrap_or_else(Q::zero);
                let hi = sqrt_interval(&a.interval.hi, 140)
                    .map(|i| i.hi)
                    .unwrap_or_else(Q::zero);
                let y = Real::fresh_const("sqrt");
                self.constraints.push(y.ge(q(&Q::zero())));
                self.constraints.push((y.clone() * y.clone()).eq(a.term));
                Ok(Value {
                    term: y,
                    interval: Interval::new(lo, hi),
                })
            }
            "ln" => {
                let a = self.num(&args[0])?;
                let i = lnbound::ln_interval(&a.interval).ok_or_else(|| {
                    EvalError::Undecidable(format!(
                        "ln of {} (may be ≤ 0)",
                        render_interval(&a.interval)
                    ))
                })?;
                Ok(self.bounded_var(i))
            }
            "quota" => {
                let t = self.tenant_arg(f, args)?;
                let x = match self.quotas.get(&t.name) {
                    Some(x) => x.clone(),
                    None => {
                        let x = allocation::unconstrained(t)
                            .map_err(|e| EvalError::Undecidable(e.to_string()))?;
                        self.quotas.insert(t.name.clone(), x.clone());
                        x
                    }
                };
                if self.boxes {
                    return Ok(self.bounded_var(x.interval));
                }
                if let Some(v) = self.quota_terms.get(&t.name) {
                    return Ok(Value {
                        term: v.clone(),
                        interval: x.interval,
                    });
                }
                let v = Real::fresh_const("quota");
                self.constraints.push(allocation::foc_poly(t, &v));
                self.constraints.push(v.gt(q(&Q::zero())));
                self.quota_terms.insert(t.name.clone(), v.clone());
                Ok(Value {
                    term: v,
                    interval: x.interval,
                })
            }
            "best_quota" => {
                let t = self.tenant_arg(f, args)?;
                let x = allocation::unconstrained(t)
                    .map_err(|e| EvalError::Undecidable(e.to_string()))?;
                quota::best_integer(t, &x)
                    .map(Self::point)
                    .map_err(EvalError::Undecidable)
            }
            "alpha" => Ok(Self::point(self.tenant_arg(f, args)?.alpha.clone())),
            "beta" => Ok(Self::point(self.tenant_arg(f, args)?.beta.clone())),
            "traffic" => Ok(Self::point(self.tenant_arg(f, args)?.traffic.clone())),
            "u" | "foc" => {
                let t = self.tenant_arg(f, args)?;
                let x = Box::new(args[1].clone());
                let one_plus =
                    Box::new(Expr::Bin(Op::Add, Box::new(Expr::Num(Q::one())), x.clone()));
                let e = if f == "u" {
                    Expr::Bin(
                        Op::Sub,
                        Box::new(Expr::Bin(
                            Op::Mul,
                            Box::new(Expr::Num(t.weight())),
                            Box::new(Expr::Call("ln".into(), vec![*one_plus])),
                        )),
                        Box::new(Expr::Bin(
                            Op::Mul,
                            Box::new(Expr::Num(t.beta.clone())),
                            Box::new(Expr::Pow(x, 2)),
                        )),
                    )
                } else {
                    Expr::Bin(
                        Op::Sub,
                        Box::new(Expr::Bin(
                            Op::Div,
                            Box::new(Expr::Num(t.weight())),
                            one_plus,
                        )),
                        Box::new(Expr::Bin(Op::Mul, Box::new(Expr::Num(&t.beta * int(2))), x)),
                    )
                };
                self.num(&e)
            }
            "parts" => Ok(Self::point(
                self.layer_arg(f, args)?
                    .parts
                    .iter()
                    .map(|p| p.ms.clone())
                    .sum(),
            )),
            "layer" => Ok(Self::point(self.layer_arg(f, args)?.stated_ms.clone())),
            "optimised" => {
                let l = self.layer_arg(f, args)?;
                Ok(Self::point(
                    l.optimised_ms
                        .clone()
                        .unwrap_or_else(|| l.stated_ms.clone()),
                ))
            }
            "vcg_payment" => {
                let t = self.tenant_arg(f, args)?;
                let i = (self.payments)(&t.name)?;
                Ok(self.bounded_var(i))
            }
            other => Err(EvalError::Input(format!("unknown function `{other}`"))),
        }
    }

    /// Compiles a boolean expression.
    pub fn boolean(&mut self, e: &Expr) -> Result<Bool, EvalError> {
        match e {
            Expr::Cmp(c, a, b) => {
                let (a, b) = (self.num(a)?, self.num(b)?);
                self.sides
                    .push([render_interval(&a.interval), render_interval(&b.interval)]);
                let (x, y) = (a.term, b.term);
                Ok(match c {
                    Cmp::Lt => x.lt(&y),
                    Cmp::Le => x.le(&y),
                    Cmp::Gt => x.gt(&y),
                    Cmp::Ge => x.ge(&y),
                    Cmp::Eq => x.eq(&y),
                    Cmp::Ne => x.eq(&y).not(),
                })
            }
            Expr::And(es) => {
                let bs = es
                    .iter()
                    .map(|e| self.boolean(e))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Bool::and(&bs))
            }
            other => Err(EvalError::Input(format!(
                "`{other}` is a number where a comparison is needed"
            ))),
        }
    }
}
