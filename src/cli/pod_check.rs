//! The check command a cluster manifest's pods run, validated as the binary will parse it:
//! clap's own parser, so a wrong flag or model fails before any pod starts.

use super::{Cli, Command};
use clap::Parser;

/// Checks that `check` is a `flashcheck check` command line that leaves the cluster options
/// and `--threads` to the manifest.
pub fn validate(check: &[String]) -> Result<(), String> {
    if check.first().map(String::as_str) != Some("check") {
        return Err(
            "give the check to run, starting with `check` (e.g. -- check inventory -c Users=10)"
                .into(),
        );
    }
    if let Some(bad) = check.iter().find(|a| a.chars().any(char::is_control)) {
        return Err(format!("{bad:?}: control characters are not allowed"));
    }
    let cli =
        Cli::try_parse_from(std::iter::once("flashcheck".to_string()).chain(check.iter().cloned()))
            .map_err(|e| {
                e.to_string()
                    .lines()
                    .find(|l| l.starts_with("error:"))
                    .unwrap_or("not a valid check command")
                    .trim_start_matches("error: ")
                    .to_string()
            })?;
    let Command::Check(args) = cli.command else {
        return Err("only `check` runs across processes".into());
    };
    // The binary the pods run knows the built-in models.
    crate::registry::Registry::builtin()
        .get(&args.model.model)
        .map_err(|e| e.to_string())?;
    let c = &args.cluster;
    if c.processes.is_some() || c.process.is_some() || c.hosts.is_some() || c.listen.is_some() {
        return Err("leave --processes, --process, --hosts and --listen to the manifest".into());
    }
    if args.threads.is_some() {
        return Err(
            "give --threads to `cluster manifest` (it also sets each pod's CPUs), not to the check"
                .into(),
        );
    }
    Ok(())
}
