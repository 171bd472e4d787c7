//! Claims decided by a computation other than one z3 expression (`[claim.compute]` in
//! `claims.toml`): a routing scheme simulated against its name ([`super::routing`]), a
//! state-space size against the model's structure and measured growth
//! ([`super::statespace`]), VCG truthfulness by `flashcheck arith vcg`'s z3 search. Each
//! decision carries its computation as Markdown, which the audit writes to
//! `evidence/arith/<claim-id>.md`.

use super::design::{Design, Reader};
use super::error::ArithError;
use super::rational::{render_exact, Q};
use super::routing::{self, Modulo, Ring, Router};
use super::statespace::{self, Measured, StateSpaceInputs};
use super::vcg;
use crate::report::table::Table;
use crate::verdict::{Subject, Verdict};
use num_bigint::BigUint;
use num_traits::{Signed, ToPrimitive};
use std::fmt::Write as _;
use std::path::Path;

/// A computation a claim names.
#[derive(Debug, Clone, PartialEq)]
pub enum Computation {
    /// The routing the code implements (`code`) against the scheme the text names.
    Routing {
        /// The code's router: `modulo` or `ring`.
        code: String,
        /// The scheme the text names: `consistent_hashing`.
        named: String,
        /// Shards before one is added.
        shards: u32,
    },
    /// A claimed state-space size of a model at its constants.
    StateSpace {
        /// The model (`inventory-seed`: the one whose structural bound is derived).
        model: String,
        /// Users.
        users: u64,
        /// Stock.
        stock: u64,
        /// Claimed distinct states.
        claimed: BigUint,
        /// Refuted only when the bound exceeds `claimed × factor`.
        factor: u64,
    },
    /// VCG incentive compatibility at the spec's capacity and at each extra capacity.
    VcgIncentiveCompatibility {
        /// Further capacities (cores) to search at, e.g. a binding 200.
        extra_capacities: Vec<Q>,
    },
}

impl Computation {
    /// Its kind as `claims.toml` names it.
    pub fn kind(&self) -> &'static str {
        match self {
            Computation::Routing { .. } => "routing",
            Computation::StateSpace { .. } => "state_space",
            Computation::VcgIncentiveCompatibility { .. } => "vcg_incentive_compatibility",
        }
    }

    /// Reads `[claim.compute]`; names (dotted paths) resolve against `spec`.
    pub(crate) fn parse(
        t: &toml::Table,
        p: &str,
        file: &Path,
        spec: &Design,
    ) -> Result<Computation, ArithError> {
        let r = Reader { file };
        let kind = r.string(t, "kind", p)?;
        let allowed = |keys: &[&str]| -> Result<(), ArithError> {
            match t
                .keys()
                .find(|k| k.as_str() != "kind" && !keys.contains(&k.as_str()))
            {
                Some(k) => Err(ArithError::field(
                    file,
                    format!("{p}.{k}"),
                    format!("unknown key for kind `{kind}`"),
                )),
                None => Ok(()),
            }
        };
        // A number written literally, or the dotted name of a number in the spec.
        let value = |key: &str| -> Result<Q, ArithError> {
            match t.get(key) {
                Some(toml::Value::String(name)) if spec.values.contains_key(name) => {
                    Ok(spec.values[name].clone())
                }
                Some(toml::Value::String(name))
                    if super::rational::parse_decimal(name).is_none() =>
                {
                    Err(ArithError::field(
                        file,
                        format!("{p}.{key}"),
                        format!("unknown name `{name}` (not a numeric field of the spec)"),
                    ))
                }
                _ => r.number(t, key, p),
            }
        };
        let natural = |key: &str| -> Result<u64, ArithError> {
            let q = value(key)?;
            match (q.is_integer() && !q.is_negative(), q.to_integer().to_u64()) {
                (true, Some(n)) => Ok(n),
                _ => Err(ArithError::field(
                    file,
                    format!("{p}.{key}"),
                    format!("must be a whole number ≥ 0, got {}", render_exact(&q)),
                )),
            }
        };
        match kind.as_str() {
            "routing" => {
                allowed(&["code", "named", "shards"])?;
                let code = r.string(t, "code", p)?;
                if !["modulo", "ring"].contains(&code.as_str()) {
                    return Err(ArithError::field(
                        file,
                        format!("{p}.code"),
                        format!("`{code}`: expected \"modulo\" or \"ring\""),
                    ));
                }
                let named = r.string(t, "named", p)?;
                if named != "consistent_hashing" {
                    return Err(ArithError::field(
                        file,
                        format!("{p}.named"),
                        format!("`{named}`: the promise checked is \"consistent_hashing\""),
                    ));
                }
                let shards = natural("shards")?;
                let shards = u32::try_from(shards)
                    .ok()
                    .filter(|n| (1..=4096).contains(n))
                    .ok_or_else(|| {
                        ArithError::field(file, format!("{p}.shards"), format!("{shards} is outside 1..=4096"))
                    })?;
                Ok(Computation::Routing {
                    code,
                    named,
                    shards,
                })
            }
            "state_space" => {
                allowed(&["model", "users", "stock", "claimed_states", "factor"])?;
                let model = r.string(t, "model", p)?;
                if model != "inventory-seed" {
                    return Err(ArithError::field(
                        file,
                        format!("{p}.model"),
                        format!("`{model}`: a structural bound is derived for \"inventory-seed\" only"),
                    ));
                }
                let users = natural("users")?;
                if users > 1_000_000 {
                    return Err(ArithError::field(
                        file,
                        format!("{p}.users"),
                        format!("{users} is above 1000000 (the bound's size grows with it)"),
                    ));
                }
                Ok(Computation::StateSpace {
                    model,
                    users,
                    stock: natural("stock")?,
                    claimed: BigUint::from(natural("claimed_states")?),
                    factor: match t.get("factor") {
                        None => 1,
                        Some(_) => natural("factor")?.max(1),
                    },
                })
            }
            "vcg_incentive_compatibility" => {
                allowed(&["extra_capacities"])?;
                let extra = match t.get("extra_capacities") {
                    None => Vec::new(),
                    Some(v) => v
                        .as_array()
                        .ok_or_else(|| {
                            ArithError::field(file, format!("{p}.extra_capacities"), "must be an array of numbers")
                        })?
                        .iter()
                        .enumerate()
                        .map(|(i, v)| {
                            let q = r.number_value(v, format!("{p}.extra_capacities[{i}]"))?;
                            if q.is_positive() {
                                Ok(q)
                            } else {
                                Err(ArithError::field(
                                    file,
                                    format!("{p}.extra_capacities[{i}]"),
                                    "must be > 0",
                                ))
                            }
                        })
                        .collect::<Result<Vec<_>, _>>()?,
                };
                Ok(Computation::VcgIncentiveCompatibility {
                    extra_capacities: extra,
                })
            }
            other => Err(ArithError::field(
                file,
                format!("{p}.kind"),
                format!("unknown computation `{other}` (expected routing, state_space or vcg_incentive_compatibility)"),
            )),
        }
    }
}

/// Measures a model's distinct states at (users, stock); the caller runs the model checker.
pub type Measure<'a> = &'a dyn Fn(&str, u64, u64) -> Result<u64, String>;

/// The sizes at which a state-space bound is validated against the model checker.
pub const MEASURED_SIZES: [(u64, u64); 12] = [
    (1, 1),
    (2, 1),
    (2, 2),
    (3, 1),
    (3, 2),
    (3, 3),
    (4, 1),
    (4, 2),
    (4, 3),
    (5, 1),
    (5, 2),
    (5, 3),
];

/// What a computation decided.
#[derive(Debug, Clone)]
pub struct Decision {
    /// holds / refuted / unknown.
    pub verdict: Verdict,
    /// One line: why.
    pub reason: String,
    /// The computation as Markdown: inputs, output and the command that reproduces it.
    pub evidence: String,
}

/// Runs the computation.
pub fn decide(c: &Computation, spec: &Design, measure: Measure<'_>) -> Decision {
    match c {
        Computation::Routing { code, shards, .. } => {
            let router: Box<dyn Router> = match code.as_str() {
                "ring" => Box::new(Ring {
                    points: routing::RING_POINTS,
                }),
                _ => Box::new(Modulo),
            };
            let d = routing::decide(router.as_ref(), *shards);
            Decision {
                verdict: match d.keeps_promise {
                    Some(true) => Verdict::Holds,
                    Some(false) => Verdict::Violated,
                    None => Verdict::Unknown,
                },
                reason: d.reason,
                evidence: d.evidence,
            }
        }
        Computation::StateSpace {
            model,
            users,
            stock,
            claimed,
            factor,
        } => {
            let mut measured = Vec::new();
            let mut failure = None;
            for (u, s) in MEASURED_SIZES {
                match measure(model, u, s) {
                    Ok(distinct) => measured.push(Measured {
                        users: u,
                        stock: s,
                        distinct,
                    }),
                    Err(e) => {
                        failure = Some(format!("measuring Users={u}, Stock={s}: {e}"));
                        break;
                    }
                }
            }
            let inputs = StateSpaceInputs {
                model: model.clone(),
                users: *users,
                stock: *stock,
                claimed: claimed.clone(),
                factor: *factor,
            };
            let d = statespace::decide(&inputs, &measured, &statespace::seed_lower_bound);
            match failure {
                Some(f) => Decision {
                    verdict: Verdict::Unknown,
                    reason: format!(
                        "the model checker could not measure the model ({f}): nothing decided"
                    ),
                    evidence: d.evidence,
                },
                None => Decision {
                    verdict: match d.claim_holds {
                        Some(true) => Verdict::Holds,
                        Some(false) => Verdict::Violated,
                        None => Verdict::Unknown,
                    },
                    reason: d.reason,
                    evidence: d.evidence,
                },
            }
        }
        Computation::VcgIncentiveCompatibility { extra_capacities } => {
            vcg_truthfulness(spec, extra_capacities)
        }
    }
}

fn vcg_truthfulness(spec: &Design, extra: &[Q]) -> Decision {
    let mut md = String::from(
        "Incentive compatibility: no tenant raises its utility minus payment by misreporting \
         (α′, β′ or anything else) — z3 searches every feasible allocation for a profitable \
         misreport (`flashcheck arith vcg`; `ln` enters only through its tangent inequality, \
         so UNSAT is a proof).\n\n",
    );
    let mut table = Table::new(&[
        "command",
        "capacity binds",
        "tenant",
        "incentive compatibility",
        "z3",
    ]);
    let mut verdicts = Vec::new();
    let capacities = std::iter::once((spec.capacity.clone(), None))
        .chain(extra.iter().map(|c| (c.clone(), Some(render_exact(c)))));
    for (capacity, arg) in capacities {
        let command = match &arg {
            None => "flashcheck arith vcg".to_string(),
            Some(c) => format!("flashcheck arith vcg --capacity {c}"),
        };
        match vcg::report(spec, &capacity) {
            Err(e) => {
                verdicts.push(Verdict::Unknown);
                table.row([
                    format!("`{command}`"),
                    "—".into(),
                    "—".into(),
                    "unknown".into(),
                    e.to_string(),
                ]);
            }
            Ok(r) => {
                for t in &r.tenants {
                    verdicts.push(t.incentive_compatibility);
                    table.row([
                        format!("`{command}`"),
                        if r.binding { "yes" } else { "no" }.to_string(),
                        t.name.clone(),
                        t.incentive_compatibility.word(Subject::Claim).to_string(),
                        t.ic_reason.clone(),
                    ]);
                }
            }
        }
    }
    md.push_str(&table.render());
    let searches = verdicts.len();
    // No search at all decides nothing.
    let verdict = if verdicts.is_empty() {
        Verdict::Unknown
    } else {
        Verdict::all(verdicts)
    };
    let reason = match verdict {
        Verdict::Violated => "z3 found a profitable misreport (see the table)".to_string(),
        Verdict::Holds => format!(
            "z3 proved that no tenant gains by misreporting, in all {searches} searches (every tenant, at capacity {}{})",
            render_exact(&spec.capacity),
            extra
                .iter()
                .map(|c| format!(" and {}", render_exact(c)))
                .collect::<String>()
        ),
        Verdict::Unknown => "z3 did not decide every search (see the table)".to_string(),
    };
    let _ = writeln!(md, "\nDecision: {reason}.");
    Decision {
        verdict,
        reason,
        evidence: md,
    }
}
