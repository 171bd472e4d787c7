//! `flashcheck arith latency`: the §3.1 end-to-end latency model — each layer's breakdown
//! against its stated total, the end-to-end sum, the optimised total and the SLA verdicts —
//! each decided by z3 through the claim machinery.

use super::claims::{check_claim, Claim, ClaimResult};
use super::design::Design;
use super::error::ArithError;
use super::eval::EvalError;
use super::expr;
use super::rational::{render_exact, Interval, Q};
use crate::verdict::{Subject, Tally, Verdict};
use serde::Serialize;
use std::io::Write;

/// One layer.
#[derive(Debug, Clone, Serialize)]
pub struct LayerLine {
    /// Layer.
    pub name: String,
    /// The breakdown, e.g. `20 + 30 + 25 + 5`.
    pub breakdown: String,
    /// Σ breakdown.
    pub parts_sum: String,
    /// Stated total.
    pub stated: String,
    /// Optimised latency, if the document gives one.
    pub optimised: Option<String>,
    /// Σ breakdown = stated.
    #[serde(with = "crate::verdict::claim")]
    pub verdict: Verdict,
}

/// The latency report.
#[derive(Debug, Clone, Serialize)]
pub struct LatencyReport {
    /// Design.
    pub spec: String,
    /// Per layer.
    pub layers: Vec<LayerLine>,
    /// End-to-end sum of the stated layers.
    pub total: String,
    /// End-to-end sum with the optimised layers.
    pub optimised_total: String,
    /// The checks of §3.1's statements.
    pub checks: Vec<ClaimResult>,
    /// Counts.
    pub tally: Tally,
}

fn sum_expr(spec: &Design, f: &str) -> String {
    spec.latency
        .layers
        .iter()
        .map(|l| format!("{f}({})", l.name))
        .collect::<Vec<_>>()
        .join(" + ")
}

fn claim(id: &str, text: &str, e: &str, note: Option<&str>) -> Result<Claim, ArithError> {
    let parsed = expr::parse(e)
        .map_err(|m| ArithError::Solver(format!("internal latency claim `{e}`: {m}")))?;
    Ok(Claim {
        id: id.into(),
        section: "3.1".into(),
        line: None,
        also: Vec::new(),
        text: text.into(),
        expr: Some(parsed),
        expr_text: Some(e.into()),
        claimed: None,
        tolerance: Q::from_integer(0.into()),
        unknown: None,
        compute: None,
        note: note.map(str::to_string),
    })
}

/// Builds the report.
pub fn report(spec: &Design) -> Result<LatencyReport, ArithError> {
    let lat = &spec.latency;
    let no_pay = |_: &str| -> Result<Interval, EvalError> {
        Err(EvalError::Undecidable("no payments here".into()))
    };
    let mut layers = Vec::new();
    let mut checks = Vec::new();
    for l in &lat.layers {
        let c = claim(
            &format!("3.1-{}-breakdown", l.name),
            &format!("T_{} = {}ms", l.name, render_exact(&l.stated_ms)),
            &format!("parts({0}) == layer({0})", l.name),
            None,
        )?;
        let r = check_claim(spec, &c, &no_pay);
        layers.push(LayerLine {
            name: l.name.clone(),
            breakdown: l
                .parts
                .iter()
                .map(|p| render_exact(&p.ms))
                .collect::<Vec<_>>()
                .join(" + "),
            parts_sum: render_exact(&l.parts.iter().map(|p| p.ms.clone()).sum::<Q>()),
            stated: render_exact(&l.stated_ms),
            optimised: l.optimised_ms.as_ref().map(render_exact),
            verdict: r.verdict,
        });
        checks.push(r);
    }
    let total: Q = lat.layers.iter().map(|l| l.stated_ms.clone()).sum();
    let opt: Q = lat
        .layers
        .iter()
        .map(|l| {
            l.optimised_ms
                .clone()
                .unwrap_or_else(|| l.stated_ms.clone())
        })
        .sum();
    let layer_sum = sum_expr(spec, "layer");
    let parts_sum = sum_expr(spec, "parts");
    let opt_sum = sum_expr(spec, "optimised");
    let s = &spec.sla;
    let (p99, p95) = (render_exact(&s.p99_ms), render_exact(&s.p95_ms));
    let items = [
        claim("3.1-total", "Latency_total = 5 + 10 + 80 + 20 + 30 + 15 + 2 + 1 = 163ms", &format!("{layer_sum} == latency.stated_total_ms"), None)?,
        claim("3.1-total-from-parts", "the breakdowns add up to the same 163ms", &format!("{parts_sum} == latency.stated_total_ms"), None)?,
        claim("3.1-p99", "P99延迟：163ms < 200ms ✓", "latency.stated_total_ms < sla.p99_ms", Some("checked as written; a sum of per-layer latencies is not a percentile"))?,
        claim(
            "3.1-p95-violated",
            "P95延迟：120ms < 100ms ✗（需要优化）",
            "latency.stated_p95_ms >= sla.p95_ms",
            Some("the document marks the P95 line ✗: its claim is that 120ms does not meet < 100ms; where 120ms comes from is not derivable from the model"),
        )?,
        claim("3.1-optimised-total", "优化后总延迟：128ms", &format!("{opt_sum} == latency.stated_optimised_total_ms"), Some("Saga 80→50 and Flink 30→20 remove 40ms from 163ms"))?,
        claim("3.1-optimised-p99", "优化后…符合SLA (P99 < 200ms)", &format!("{opt_sum} < sla.p99_ms"), None)?,
        claim(
            "3.1-optimised-p95-sum",
            "优化后…符合SLA (P95 < 100ms), reading: the optimised end-to-end sum is the latency the P95 bound applies to",
            &format!("{opt_sum} < sla.p95_ms"),
            Some("one of two readings; see 3.1-optimised-p95-shift"),
        )?,
        claim(
            "3.1-optimised-p95-shift",
            "优化后…符合SLA (P95 < 100ms), reading: the stated P95 of 120ms drops by the same 40ms",
            &format!("latency.stated_p95_ms - ({layer_sum} - ({opt_sum})) < sla.p95_ms"),
            Some("the document gives no P95 after optimisation; under this reading 120 − 40 = 80 < 100"),
        )?,
    ];
    for c in &items {
        checks.push(check_claim(spec, c, &no_pay));
    }
    let _ = (p99, p95);
    Ok(LatencyReport {
        spec: spec.file.display().to_string(),
        layers,
        total: render_exact(&total),
        optimised_total: render_exact(&opt),
        tally: Tally::of(checks.iter().map(|c| c.verdict)),
        checks,
    })
}

/// Human-readable rendering.
pub fn render_text(r: &LatencyReport, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "end-to-end latency model (§3.1), spec {}", r.spec)?;
    for l in &r.layers {
        let opt = l
            .optimised
            .as_ref()
            .map(|o| format!(", optimised {o}ms"))
            .unwrap_or_default();
        writeln!(
            out,
            "  [{}] {}: {} = {}ms, stated {}ms{}",
            l.verdict.word(Subject::Claim),
            l.name,
            l.breakdown,
            l.parts_sum,
            l.stated,
            opt
        )?;
    }
    writeln!(
        out,
        "end-to-end: {}ms; optimised: {}ms",
        r.total, r.optimised_total
    )?;
    for c in r.checks.iter().filter(|c| !c.id.ends_with("-breakdown")) {
        let sides = c
            .sides
            .iter()
            .map(|[a, b]| format!("{a} vs {b}"))
            .collect::<Vec<_>>()
            .join("; ");
        writeln!(
            out,
            "  [{}] {}: {} ({sides})",
            c.verdict.word(Subject::Claim),
            c.id,
            c.text
        )?;
        if let Some(n) = &c.note {
            writeln!(out, "      note: {n}")?;
        }
    }
    writeln!(out, "verdicts: {}", r.tally)
}
