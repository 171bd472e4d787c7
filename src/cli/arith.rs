//! Command-line arguments of `flashcheck arith …`; [`ArithArgs::job`] turns them into the
//! library's [`ArithJob`].

use crate::arith::ArithJob;
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

impl ArithArgs {
    /// The job these arguments name, and whether its report is JSON.
    pub fn job(&self) -> (ArithJob, bool) {
        match &self.command {
            ArithCommand::Quota(a) => (
                ArithJob::Quota {
                    spec: a.spec.clone(),
                    capacity: a.capacity.clone(),
                },
                a.json,
            ),
            ArithCommand::Vcg(a) => (
                ArithJob::Vcg {
                    spec: a.spec.clone(),
                    capacity: a.capacity.clone(),
                },
                a.json,
            ),
            ArithCommand::Latency(a) => (
                ArithJob::Latency {
                    spec: a.spec.clone(),
                },
                a.json,
            ),
            ArithCommand::Claims(a) => (
                ArithJob::Claims {
                    spec: a.spec.clone(),
                    claims: a.claims.clone(),
                    document: a.document.clone(),
                },
                a.json,
            ),
        }
    }
}
