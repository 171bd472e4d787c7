//! The one entry point [`run`] of `flashcheck arith …`: a job (quota, VCG, latency, claims)
//! in, its report as text or JSON out. The command-line arguments live in `src/cli`.

use super::claims;
use super::design::Design;
use super::error::ArithError;
use super::eval::EvalError;
use super::latency;
use super::quota;
use super::rational::Interval;
use super::vcg;
use serde::Serialize;
use std::cell::RefCell;
use std::io::Write;
use std::path::PathBuf;

/// One `flashcheck arith` job, as the command line names it.
#[derive(Debug, Clone)]
pub enum ArithJob {
    /// Each tenant's optimal quota (§4.1), the claimed quotas, the capacity and the KKT
    /// allocation; `capacity` overrides the spec's (an exact decimal).
    Quota {
        /// The spec file.
        spec: PathBuf,
        /// The capacity override.
        capacity: Option<String>,
    },
    /// VCG allocation, payments, individual rationality, no deficit, incentive compatibility
    /// (§4.2).
    Vcg {
        /// The spec file.
        spec: PathBuf,
        /// The capacity override.
        capacity: Option<String>,
    },
    /// The §3.1 latency sums, breakdowns, optimised total and SLA verdicts.
    Latency {
        /// The spec file.
        spec: PathBuf,
    },
    /// Every claim of the claims file: holds, refuted or unknown.
    Claims {
        /// The spec file.
        spec: PathBuf,
        /// The claims file.
        claims: PathBuf,
        /// The design document whose lines the claims cite.
        document: PathBuf,
    },
}

fn emit<T: Serialize>(
    json: bool,
    report: &T,
    text: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
    out: &mut dyn Write,
) -> Result<(), ArithError> {
    if json {
        let s = serde_json::to_string_pretty(report)
            .map_err(|e| ArithError::Solver(format!("serialising the report: {e}")))?;
        writeln!(out, "{s}")?;
    } else {
        text(out)?;
    }
    Ok(())
}

/// Runs one `flashcheck arith` command, writing its report to `out`. Returns what its checks
/// found ([`Tally::outcome`](crate::verdict::Tally::outcome)). Bad input is an `Err` whose
/// [`ArithError::is_bad_input`] is true (exit 2).
pub fn run(
    job: &ArithJob,
    json: bool,
    out: &mut dyn Write,
) -> Result<crate::outcome::Outcome, ArithError> {
    match job {
        ArithJob::Quota { spec, capacity } => {
            let spec = Design::load(spec)?;
            let c = spec.capacity_or(capacity.as_deref())?;
            let r = quota::report(&spec, &c)?;
            emit(json, &r, |o| quota::render_text(&r, o), out)?;
            Ok(r.tally.outcome())
        }
        ArithJob::Vcg { spec, capacity } => {
            let spec = Design::load(spec)?;
            let c = spec.capacity_or(capacity.as_deref())?;
            let r = vcg::report(&spec, &c)?;
            emit(json, &r, |o| vcg::render_text(&r, o), out)?;
            Ok(r.tally.outcome())
        }
        ArithJob::Latency { spec } => {
            let spec = Design::load(spec)?;
            let r = latency::report(&spec)?;
            emit(json, &r, |o| latency::render_text(&r, o), out)?;
            Ok(r.tally.outcome())
        }
        ArithJob::Claims {
            spec,
            claims: claims_file,
            document,
        } => {
            let spec = Design::load(spec)?;
            let text = std::fs::read_to_string(document).map_err(|e| ArithError::Io {
                file: document.clone(),
                reason: e.to_string(),
            })?;
            let document = crate::specs::Document::parse(&text, document);
            let cs = claims::load(claims_file, &spec, &document)?;
            let payments = payments_at_spec_capacity(&spec);
            let r = claims::report(&spec, claims_file, &cs, &payments, &measure_model);
            emit(json, &r, |o| claims::render_text(&r, o), out)?;
            Ok(r.tally.outcome())
        }
    }
}

/// The distinct states the model checker finds in `model` at `Users = users`,
/// `Stock = stock` (safety only, one thread): the measured sizes a state-space claim's bound
/// is validated against.
pub fn measure_model(model: &str, users: u64, stock: u64) -> Result<u64, String> {
    use crate::registry::{Constants, Port, Registry};
    let name = Registry::builtin().get(model).map_err(|e| e.to_string())?;
    let constants = Constants::parse(name, &[format!("Users={users}"), format!("Stock={stock}")])
        .map_err(|e| e.to_string())?;
    let port = Port::build(&constants).map_err(|e| e.to_string())?;
    let options = crate::check::CheckOptions {
        liveness: false,
        ..Default::default()
    };
    let command = format!("flashcheck check {model} {}", constants.as_args());
    let report = port.check(model, command, &options);
    if report.complete {
        Ok(report.distinct_states)
    } else {
        Err("the search did not complete".into())
    }
}

/// VCG payments at the spec's capacity, computed once on first use.
pub fn payments_at_spec_capacity(
    spec: &Design,
) -> impl Fn(&str) -> Result<Interval, EvalError> + '_ {
    let full = RefCell::new(None);
    move |name: &str| {
        let i = spec
            .tenants
            .iter()
            .position(|t| t.name == name)
            .ok_or_else(|| EvalError::Input(format!("unknown tenant `{name}`")))?;
        if full.borrow().is_none() {
            let a = super::allocation::optimum(&spec.tenants, &spec.capacity)
                .map_err(|e| EvalError::Undecidable(e.to_string()))?;
            *full.borrow_mut() = Some(a);
        }
        let guard = full.borrow();
        let a = guard
            .as_ref()
            .ok_or_else(|| EvalError::Undecidable("no allocation".into()))?;
        vcg::payment(&spec.tenants, &spec.capacity, a, i)
            .map(|p| p.2)
            .map_err(|e| EvalError::Undecidable(e.to_string()))
    }
}
