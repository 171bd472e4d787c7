//! `flashcheck arith claims`: loads `specs/claims.toml` (every numeric or checkable claim of
//! the design document, each pointing at its line of `specs/double11-design.md`), compiles
//! each expression, and lets z3 decide it: `holds` (the negation is unsatisfiable),
//! `refuted` (the claim is unsatisfiable, with the correct value) or `unknown` (with why). A
//! claim that no single expression decides names a computation instead ([`super::compute`]).

use super::compute::{self, Computation, Measure};
use super::design::{Design, Reader};
use super::error::ArithError;
use super::eval::{render_interval, Compiler, EvalError};
use super::expr::{self, Expr};
use super::rational::{render_exact, Interval, Q};
use super::solve::{check, q, Outcome};
use crate::specs::Document;
use crate::verdict::{Subject, Tally, Verdict};
use num_traits::Signed;
use serde::Serialize;
use std::io::Write;
use std::path::Path;
use z3::ast::Bool;

/// z3 timeout per check (ms).
const TIMEOUT_MS: u32 = 3000;

/// One claim as written in `claims.toml`.
#[derive(Debug, Clone)]
pub struct Claim {
    /// Unique id, e.g. `4.1-x1-quota`.
    pub id: String,
    /// Section of the document.
    pub section: String,
    /// The line of the design document where the sentence stands (its first line); `None`
    /// for the checks other reports build, which are not sentences of the document.
    pub line: Option<usize>,
    /// Further lines it rests on, in other sections.
    pub also: Vec<usize>,
    /// The original sentence.
    pub text: String,
    /// What must hold: a comparison, or a number compared with `claimed`.
    pub expr: Option<Expr>,
    /// The expression as written.
    pub expr_text: Option<String>,
    /// The claimed value of a numeric expression.
    pub claimed: Option<Q>,
    /// Allowed |value − claimed|.
    pub tolerance: Q,
    /// For claims that are not arithmetic: why they cannot be decided here.
    pub unknown: Option<String>,
    /// Instead of an expression: the computation that decides the claim.
    pub compute: Option<Computation>,
    /// How the sentence was read (interpretation notes).
    pub note: Option<String>,
}

/// Loads and validates a claims file against `spec` (names, tenants, layers, arity) and
/// `document` (every claim's line).
pub fn load(path: &Path, spec: &Design, document: &Document) -> Result<Vec<Claim>, ArithError> {
    let text =
        crate::input::read_text(path, crate::input::SPEC_LIMIT).map_err(|e| ArithError::Io {
            file: path.to_path_buf(),
            reason: e.to_string(),
        })?;
    parse(&text, path, spec, document)
}

/// The 1-based line of `text` where `needle` first stands (1 if nowhere).
fn line_of(text: &str, needle: &str) -> usize {
    text.find(needle)
        .map_or(1, |at| text[..at].matches('\n').count() + 1)
}

/// Parses claims text; `path` is used in error messages.
pub fn parse(
    text: &str,
    path: &Path,
    spec: &Design,
    document: &Document,
) -> Result<Vec<Claim>, ArithError> {
    let root: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| ArithError::Toml {
            file: path.to_path_buf(),
            reason: e.message().to_string(),
        })?;
    let r = Reader { file: path };
    let mut out: Vec<Claim> = Vec::new();
    for (i, v) in r.array(&root, "claim", "claim")?.iter().enumerate() {
        let p = format!("claim[{i}]");
        let t = r.table(v, &p)?;
        let id = r.string(t, "id", &p)?;
        let p = format!("claim[{i}] ({id})");
        if out.iter().any(|c| c.id == id) {
            return Err(ArithError::field(
                path,
                format!("{p}.id"),
                format!("duplicate id `{id}`"),
            ));
        }
        let at = line_of(text, &format!("id = \"{id}\""));
        let claim_error = |reason: String| ArithError::Claim {
            file: path.to_path_buf(),
            line: at,
            id: id.clone(),
            reason,
        };
        let line_number = |v: &toml::Value, key: &str| -> Result<usize, ArithError> {
            let n = v
                .as_integer()
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(|| claim_error(format!("`{key}` must be a line number, got {v}")))?;
            if document.contains_line(n) {
                Ok(n)
            } else {
                Err(claim_error(format!(
                    "`{key}` = {n} is not a line of {} (it has {} lines)",
                    document.path.display(),
                    document.line_count()
                )))
            }
        };
        let line = match t.get("line") {
            None => {
                return Err(claim_error(format!(
                    "missing `line`: the line of {} where the sentence stands",
                    document.path.display()
                )))
            }
            Some(v) => line_number(v, "line")?,
        };
        let also = match t.get("also") {
            None => Vec::new(),
            Some(toml::Value::Array(items)) => items
                .iter()
                .map(|v| line_number(v, "also"))
                .collect::<Result<Vec<_>, _>>()?,
            Some(v) => {
                return Err(claim_error(format!(
                    "`also` must be an array of line numbers, got {v}"
                )))
            }
        };
        let compute = match t.get("compute") {
            None => None,
            Some(v) => {
                let ct = r.table(v, &format!("{p}.compute"))?;
                Some(Computation::parse(ct, &format!("{p}.compute"), path, spec)?)
            }
        };
        let expr_text = r.opt_string(t, "expr", &p)?;
        let unknown = r.opt_string(t, "unknown", &p)?;
        let claimed = r.opt_number(t, "claimed", &p)?;
        if compute.is_some() && (expr_text.is_some() || unknown.is_some() || claimed.is_some()) {
            return Err(ArithError::field(
                path,
                format!("{p}.compute"),
                "a claim decided by a computation has no `expr`, `unknown` or `claimed`",
            ));
        }
        let tolerance = r
            .opt_number(t, "tolerance", &p)?
            .unwrap_or_else(|| Q::from_integer(0.into()));
        if tolerance.is_negative() {
            return Err(ArithError::field(
                path,
                format!("{p}.tolerance"),
                "must be >= 0",
            ));
        }
        let expr = match (&expr_text, &unknown) {
            (Some(_), Some(_)) => {
                return Err(ArithError::field(
                    path,
                    format!("{p}.unknown"),
                    "a claim has either `expr` or `unknown`, not both",
                ))
            }
            (None, None) if compute.is_some() => None,
            (None, None) => {
                return Err(ArithError::field(
                    path,
                    format!("{p}.expr"),
                    "missing (or give `unknown` with the reason it cannot be checked)",
                ))
            }
            (Some(s), None) => {
                let e =
                    expr::parse(s).map_err(|m| ArithError::field(path, format!("{p}.expr"), m))?;
                match (e.is_bool(), &claimed) {
                    (true, Some(_)) => {
                        return Err(ArithError::field(
                            path,
                            format!("{p}.claimed"),
                            "a comparison takes no `claimed` value",
                        ))
                    }
                    (false, None) => {
                        return Err(ArithError::field(
                            path,
                            format!("{p}.claimed"),
                            "missing: a numeric expression needs the claimed value",
                        ))
                    }
                    _ => {}
                }
                // Resolve names, tenants and layers now (bad input is exit 2, not `unknown`).
                let no_pay = |_: &str| Ok(Interval::point(Q::from_integer(0.into())));
                let mut c = Compiler::new(spec, &no_pay);
                let r = if e.is_bool() {
                    c.boolean(&e).map(|_| ())
                } else {
                    c.num(&e).map(|_| ())
                };
                if let Err(EvalError::Input(m)) = r {
                    return Err(ArithError::field(path, format!("{p}.expr"), m));
                }
                Some(e)
            }
            (None, Some(_)) => None,
        };
        out.push(Claim {
            line: Some(line),
            also,
            compute,
            section: r.string(t, "section", &p)?,
            text: r.string(t, "text", &p)?,
            note: r.opt_string(t, "note", &p)?,
            id,
            expr,
            expr_text,
            claimed,
            tolerance,
            unknown,
        });
    }
    Ok(out)
}

/// The verdict on one claim.
#[derive(Debug, Clone, Serialize)]
pub struct ClaimResult {
    /// Claim id.
    pub id: String,
    /// Section.
    pub section: String,
    /// The line of the design document where the sentence stands.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// Further lines of the document it rests on.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<usize>,
    /// The original sentence.
    pub text: String,
    /// The computation that decided it, when not an expression (`routing`, `state_space`…).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub computation: Option<String>,
    /// The computation's inputs and output as Markdown (the audit writes it to
    /// `evidence/arith/<claim-id>.md`).
    #[serde(skip)]
    pub evidence: Option<String>,
    /// The expression checked.
    pub expr: Option<String>,
    /// Claimed value (numeric claims).
    pub claimed: Option<String>,
    /// Tolerance (numeric claims).
    pub tolerance: Option<String>,
    /// holds / refuted / unknown.
    #[serde(with = "crate::verdict::claim")]
    pub verdict: Verdict,
    /// The correct value of a numeric expression (exact, 6 decimals, or an enclosure).
    pub value: Option<String>,
    /// For comparisons: the values of both sides.
    pub sides: Vec<[String; 2]>,
    /// Whether an ln enclosure was involved.
    pub uses_ln_enclosure: bool,
    /// Why (proof method, or why unknown).
    pub reason: String,
    /// Interpretation note from the claims file.
    pub note: Option<String>,
}

fn decide(constraints: &[Bool], b: &Bool, bounded: bool) -> (Verdict, String) {
    let enc = if bounded {
        " (ln replaced by its sound enclosure)"
    } else {
        ""
    };
    let mut neg = constraints.to_vec();
    neg.push(b.not());
    let mut pos = constraints.to_vec();
    pos.push(b.clone());
    // Both are asked, so a verdict is never vacuous: `holds` needs the claim satisfiable and
    // its negation not, `refuted` the reverse.
    let (n, p) = (check(&neg, TIMEOUT_MS), check(&pos, TIMEOUT_MS));
    match (n, p) {
        (Outcome::Unsat, Outcome::Sat(_)) => (Verdict::Holds, format!("z3: the negation is unsatisfiable{enc}")),
        (Outcome::Sat(_), Outcome::Unsat) => (Verdict::Violated, format!("z3: the claim is unsatisfiable{enc}")),
        (Outcome::Unsat, Outcome::Unsat) => (
            Verdict::Unknown,
            "the constraints defining the values are inconsistent (both the claim and its negation are unsatisfiable)".into(),
        ),
        (Outcome::Unknown(r), _) => (Verdict::Unknown, format!("z3 gave up on the negation: {r}")),
        (_, Outcome::Unknown(r)) => (Verdict::Unknown, format!("z3 gave up on the claim: {r}")),
        (Outcome::Sat(_), Outcome::Sat(_)) if bounded => (
            Verdict::Unknown,
            format!(
                "the ln enclosures (width ≤ {} each) straddle the decision boundary",
                super::lnbound::EPSILON_TEXT
            ),
        ),
        (Outcome::Sat(_), Outcome::Sat(_)) => (
            Verdict::Unknown,
            "z3 satisfied both the claim and its negation".into(),
        ),
    }
}

/// Decides one claim: by its computation if it names one (run with `measure` for model
/// sizes), else by z3 on its expression.
pub fn decide_claim(
    spec: &Design,
    c: &Claim,
    payments: &dyn Fn(&str) -> Result<Interval, EvalError>,
    measure: Measure<'_>,
) -> ClaimResult {
    let mut res = check_claim(spec, c, payments);
    if let Some(k) = &c.compute {
        let d = compute::decide(k, spec, measure);
        res.verdict = d.verdict;
        res.reason = d.reason;
        res.evidence = Some(d.evidence);
    }
    res
}

/// Checks one claim by its expression (a claim naming a computation: see [`decide_claim`]).
pub fn check_claim(
    spec: &Design,
    c: &Claim,
    payments: &dyn Fn(&str) -> Result<Interval, EvalError>,
) -> ClaimResult {
    let mut res = ClaimResult {
        id: c.id.clone(),
        section: c.section.clone(),
        line: c.line,
        also: c.also.clone(),
        text: c.text.clone(),
        computation: c.compute.as_ref().map(|k| k.kind().to_string()),
        evidence: None,
        expr: c.expr_text.clone(),
        claimed: c.claimed.as_ref().map(render_exact),
        tolerance: c.claimed.as_ref().map(|_| render_exact(&c.tolerance)),
        verdict: Verdict::Unknown,
        value: None,
        sides: Vec::new(),
        uses_ln_enclosure: false,
        reason: String::new(),
        note: c.note.clone(),
    };
    if c.compute.is_some() {
        res.reason = "decided by a computation".into();
        return res;
    }
    let Some(e) = &c.expr else {
        res.reason = format!(
            "not decidable by arithmetic: {}",
            c.unknown.clone().unwrap_or_default()
        );
        return res;
    };
    // First exactly (algebraic values pinned by their polynomials); if z3 gives up, again
    // with algebraic values replaced by their isolating intervals (sound over-approximation).
    for boxes in [false, true] {
        let mut comp = Compiler::new(spec, payments);
        comp.boxes = boxes;
        let compiled: Result<Bool, EvalError> = if e.is_bool() {
            comp.boolean(e)
        } else {
            comp.num(e).map(|v| {
                res.value = Some(render_interval(&v.interval));
                let cl = c
                    .claimed
                    .clone()
                    .unwrap_or_else(|| Q::from_integer(0.into()));
                Bool::and(&[
                    (v.term.clone() - q(&cl)).le(q(&c.tolerance)),
                    (q(&cl) - v.term).le(q(&c.tolerance)),
                ])
            })
        };
        res.sides = comp.sides.clone();
        res.uses_ln_enclosure = comp.bounded;
        match compiled {
            Err(EvalError::Input(m)) | Err(EvalError::Undecidable(m)) => {
                res.reason = m;
                return res;
            }
            Ok(b) => {
                let (v, why) = decide(&comp.constraints, &b, comp.bounded);
                res.verdict = v;
                res.reason = if boxes {
                    format!("{why}; algebraic values entered through their isolating intervals (width < 1e-40) because the exact encoding timed out")
                } else {
                    why
                };
                if v != Verdict::Unknown || !comp.boxes_would_help() {
                    return res;
                }
            }
        }
    }
    res
}

/// The claims report.
#[derive(Debug, Clone, Serialize)]
pub struct ClaimsReport {
    /// Design file.
    pub spec: String,
    /// Claims file.
    pub claims_file: String,
    /// Stated error of one ln enclosure.
    pub ln_epsilon: String,
    /// Per claim.
    pub claims: Vec<ClaimResult>,
    /// Counts.
    pub tally: Tally,
}

/// Checks every claim.
pub fn report(
    spec: &Design,
    claims_file: &Path,
    claims: &[Claim],
    payments: &dyn Fn(&str) -> Result<Interval, EvalError>,
    measure: Measure<'_>,
) -> ClaimsReport {
    let results: Vec<ClaimResult> = claims
        .iter()
        .map(|c| decide_claim(spec, c, payments, measure))
        .collect();
    ClaimsReport {
        spec: spec.file.display().to_string(),
        claims_file: claims_file.display().to_string(),
        ln_epsilon: super::lnbound::EPSILON_TEXT.into(),
        tally: Tally::of(results.iter().map(|r| r.verdict)),
        claims: results,
    }
}

/// Human-readable rendering.
pub fn render_text(r: &ClaimsReport, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "claims of {} against {} (z3 is the checker of record; ln enclosed to ε ≤ {})",
        r.claims_file, r.spec, r.ln_epsilon
    )?;
    for c in &r.claims {
        match c.line {
            Some(line) => writeln!(
                out,
                "[{}] {} (§{}, line {line}): {}",
                c.verdict.word(Subject::Claim),
                c.id,
                c.section,
                c.text
            )?,
            None => writeln!(
                out,
                "[{}] {} (§{}): {}",
                c.verdict.word(Subject::Claim),
                c.id,
                c.section,
                c.text
            )?,
        }
        if let Some(k) = &c.computation {
            writeln!(out, "    computation: {k}")?;
        }
        if let Some(e) = &c.expr {
            match (&c.claimed, &c.value) {
                (Some(cl), Some(v)) => writeln!(
                    out,
                    "    {e} = {v}; claimed {cl} ± {}",
                    c.tolerance.clone().unwrap_or_default()
                )?,
                _ => writeln!(out, "    {e}")?,
            }
        }
        for [a, b] in &c.sides {
            writeln!(out, "    sides: {a} vs {b}")?;
        }
        writeln!(out, "    {}", c.reason)?;
        if let Some(n) = &c.note {
            writeln!(out, "    note: {n}")?;
        }
    }
    writeln!(out, "verdicts: {}", r.tally)
}
