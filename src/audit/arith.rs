//! The arithmetic part of the audit: z3 on the scenario's quotas, VCG, latency budget and
//! every numeric claim, each result kept as JSON (for the report) and as text (the evidence
//! file the verdict table links to).

use super::error::AuditError;
use crate::arith::claims::{self, ClaimResult};
use crate::arith::design::Design;
use crate::arith::job::{measure_model, payments_at_spec_capacity};
use crate::arith::{latency, quota, vcg};
use crate::specs::{Document, Scenario};
use crate::verdict::Tally;
use serde::Serialize;
use std::time::Instant;

/// One `flashcheck arith` run inside the audit.
#[derive(Debug)]
pub struct ArithRun {
    /// Its key in the JSON report (`quota_capacity_200`).
    pub key: &'static str,
    /// The command that reproduces it.
    pub command: String,
    /// The report as JSON.
    pub json: serde_json::Value,
    /// The report as `flashcheck arith` prints it.
    pub text: String,
    /// Its verdict counts.
    pub tally: Tally,
    /// Seconds it took (machine-dependent).
    pub elapsed_s: f64,
}

/// Everything z3 decided.
#[derive(Debug)]
pub struct ArithOutcome {
    /// Quota, quota at 200 cores, VCG, VCG at 200 cores, latency, claims — in that order.
    pub runs: Vec<ArithRun>,
    /// Each numeric claim's result.
    pub claims: Vec<ClaimResult>,
}

fn finish<R: Serialize>(
    key: &'static str,
    command: String,
    report: &R,
    tally: Tally,
    render: impl FnOnce(&R, &mut dyn std::io::Write) -> std::io::Result<()>,
    started: Instant,
) -> Result<ArithRun, AuditError> {
    let mut text = Vec::new();
    render(report, &mut text).map_err(|e| AuditError::io("rendering", key, e))?;
    Ok(ArithRun {
        key,
        command,
        json: serde_json::to_value(report)?,
        text: String::from_utf8_lossy(&text).into_owned(),
        tally,
        elapsed_s: started.elapsed().as_secs_f64(),
    })
}

/// Runs every arithmetic check on `scenario`. Bad input (an invalid spec or claims file) is
/// an error; a claim z3 cannot decide is an `unknown` verdict, not an error.
pub fn run(scenario: &Scenario) -> Result<ArithOutcome, AuditError> {
    let spec = Design::parse(&scenario.design.text, &scenario.design.path)?;
    let spec_arg = format!("--spec {}", scenario.design.path.display());
    let mut runs = Vec::new();
    for (key, capacity) in [("quota", None), ("quota_capacity_200", Some("200"))] {
        let started = Instant::now();
        let c = spec.capacity_or(capacity)?;
        let r = quota::report(&spec, &c)?;
        let command = match capacity {
            None => format!("flashcheck arith quota {spec_arg}"),
            Some(c) => format!("flashcheck arith quota {spec_arg} --capacity {c}"),
        };
        runs.push(finish(
            key,
            command,
            &r,
            r.tally.clone(),
            quota::render_text,
            started,
        )?);
    }
    for (key, capacity) in [("vcg", None), ("vcg_capacity_200", Some("200"))] {
        let started = Instant::now();
        let c = spec.capacity_or(capacity)?;
        let r = vcg::report(&spec, &c)?;
        let command = match capacity {
            None => format!("flashcheck arith vcg {spec_arg}"),
            Some(c) => format!("flashcheck arith vcg {spec_arg} --capacity {c}"),
        };
        runs.push(finish(
            key,
            command,
            &r,
            r.tally.clone(),
            vcg::render_text,
            started,
        )?);
    }
    let started = Instant::now();
    let r = latency::report(&spec)?;
    runs.push(finish(
        "latency",
        format!("flashcheck arith latency {spec_arg}"),
        &r,
        r.tally.clone(),
        latency::render_text,
        started,
    )?);
    let started = Instant::now();
    let document = Document::from_file(&scenario.document);
    let list = claims::parse(
        &scenario.claims.text,
        &scenario.claims.path,
        &spec,
        &document,
    )?;
    let payments = payments_at_spec_capacity(&spec);
    let r = claims::report(
        &spec,
        &scenario.claims.path,
        &list,
        &payments,
        &measure_model,
    );
    let results = r.claims.clone();
    runs.push(finish(
        "claims",
        format!(
            "flashcheck arith claims {spec_arg} --claims {}",
            scenario.claims.path.display()
        ),
        &r,
        r.tally.clone(),
        claims::render_text,
        started,
    )?);
    Ok(ArithOutcome {
        runs,
        claims: results,
    })
}
