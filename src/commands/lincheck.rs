//! `flashcheck lincheck`: reads a Jepsen history, checks it against a model, prints the
//! report; exit 0 linearizable, 1 not, 2 bad input.

use crate::cli::LincheckArgs;
use crate::history::check::check_jepsen;
use crate::history::{edn, jepsen};
use crate::outcome::Outcome;
use anyhow::{Context, Result};

/// Runs `flashcheck lincheck`.
pub fn run(args: &LincheckArgs) -> Result<Outcome> {
    let file = args.history.display().to_string();
    let text =
        std::fs::read_to_string(&args.history).with_context(|| format!("--history {file}"))?;
    let history = jepsen::parse(&text).with_context(|| format!("--history {file}"))?;
    let initial = args
        .initial
        .as_deref()
        .map(edn::parse_one)
        .transpose()
        .context("--initial")?;
    let mut command = format!(
        "flashcheck lincheck --history {file} --model {}",
        args.model.name()
    );
    if let Some(i) = &args.initial {
        command.push_str(&format!(" --initial '{i}'"));
    }
    if args.independent {
        command.push_str(" --independent");
    }
    let report = check_jepsen(
        &history,
        args.model,
        initial,
        args.independent,
        file.clone(),
        command,
    )
    .with_context(|| format!("--history {file}"))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.render_text());
    }
    Ok(report.outcome())
}
