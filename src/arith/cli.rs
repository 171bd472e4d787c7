//! Command-line arguments of `flashcheck arith …` and the one entry point [`run`] that the
//! main CLI wires in.

use super::claims;
use super::error::ArithError;
use super::eval::EvalError;
use super::latency;
use super::quota;
use super::rational::Interval;
use super::spec::Spec;
use super::vcg;
use serde::Serialize;
use std::cell::RefCell;
use std::io::Write;
use std::path::PathBuf;

/// `flashcheck arith`: z3 proves or refutes the document's arithmetic.
#[derive(clap::Args, Debug, Clone)]
pub struct ArithArgs {
    /// What to check.
    #[command(subcommand)]
    pub command: ArithCommand,
}

/// The arithmetic subcommands.
#[derive(clap::Subcommand, Debug, Clone)]
pub enum ArithCommand {
    /// Each tenant's optimal quota (§4.1), the claimed quotas, the capacity and the KKT allocation.
    Quota(GameArgs),
    /// VCG allocation, payments, individual rationality, no deficit, incentive compatibility (§4.2).
    Vcg(GameArgs),
    /// The §3.1 latency sums, breakdowns, optimised total and SLA verdicts.
    Latency(SpecArgs),
    /// Every claim of the claims file: holds, refuted or unknown.
    Claims(ClaimsArgs),
}

/// Arguments of `quota` and `vcg`.
#[derive(clap::Args, Debug, Clone)]
pub struct GameArgs {
    /// The spec file.
    #[arg(long, default_value = "specs/double11.toml")]
    pub spec: PathBuf,
    /// Override the capacity (cores), an exact decimal, e.g. 200.
    #[arg(long)]
    pub capacity: Option<String>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `latency`.
#[derive(clap::Args, Debug, Clone)]
pub struct SpecArgs {
    /// The spec file.
    #[arg(long, default_value = "specs/double11.toml")]
    pub spec: PathBuf,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `claims`.
#[derive(clap::Args, Debug, Clone)]
pub struct ClaimsArgs {
    /// The spec file.
    #[arg(long, default_value = "specs/double11.toml")]
    pub spec: PathBuf,
    /// The claims file.
    #[arg(long, default_value = "specs/claims.toml")]
    pub claims: PathBuf,
    /// The design document whose lines the claims cite.
    #[arg(long, default_value = "specs/double11-design.md")]
    pub document: PathBuf,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
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
/// found ([`Tally::outcome`](crate::arith::verdict::Tally::outcome)). Bad input is an `Err` whose
/// [`ArithError::is_bad_input`] is true (exit 2).
pub fn run(args: &ArithArgs, out: &mut dyn Write) -> Result<crate::outcome::Outcome, ArithError> {
    match &args.command {
        ArithCommand::Quota(a) => {
            let spec = Spec::load(&a.spec)?;
            let c = spec.capacity_or(a.capacity.as_deref())?;
            let r = quota::report(&spec, &c)?;
            emit(a.json, &r, |o| quota::render_text(&r, o), out)?;
            Ok(r.tally.outcome())
        }
        ArithCommand::Vcg(a) => {
            let spec = Spec::load(&a.spec)?;
            let c = spec.capacity_or(a.capacity.as_deref())?;
            let r = vcg::report(&spec, &c)?;
            emit(a.json, &r, |o| vcg::render_text(&r, o), out)?;
            Ok(r.tally.outcome())
        }
        ArithCommand::Latency(a) => {
            let spec = Spec::load(&a.spec)?;
            let r = latency::report(&spec)?;
            emit(a.json, &r, |o| latency::render_text(&r, o), out)?;
            Ok(r.tally.outcome())
        }
        ArithCommand::Claims(a) => {
            let spec = Spec::load(&a.spec)?;
            let text = std::fs::read_to_string(&a.document).map_err(|e| ArithError::Io {
                file: a.document.clone(),
                reason: e.to_string(),
            })?;
            let document = crate::specs::Document::parse(&text, &a.document);
            let cs = claims::load(&a.claims, &spec, &document)?;
            let payments = payments_at_spec_capacity(&spec);
            let r = claims::report(&spec, &a.claims, &cs, &payments, &measure_model);
            emit(a.json, &r, |o| claims::render_text(&r, o), out)?;
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
pub fn payments_at_spec_capacity(spec: &Spec) -> impl Fn(&str) -> Result<Interval, EvalError> + '_ {
    let full = RefCell::new(None);
    move |name: &str| {
        let i = spec
            .tenants
            .iter()
            .position(|t| t.name == name)
            .ok_or_else(|| EvalError::Input(format!("unknown tenant `{name}`")))?;
        if full.borrow().is_none() {
            let a = super::alloc::optimum(&spec.tenants, &spec.capacity)
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
