//! Finding `tla2tools.jar`: the command-line path, then `$TLA2TOOLS_JAR`, then
//! `~/.cache/flashcheck/tla2tools.jar`. No silent fallback: a path given explicitly that
//! does not exist is an error, not a reason to look elsewhere.

use super::error::TlaError;
use std::path::{Path, PathBuf};

/// The environment variable naming the jar.
pub const ENV_VAR: &str = "TLA2TOOLS_JAR";

/// Locate `tla2tools.jar`. The error lists all three places and how to fix it.
pub fn find_tla2tools(cli_path: Option<&Path>) -> Result<PathBuf, TlaError> {
    let env = std::env::var_os(ENV_VAR).map(PathBuf::from);
    let home = std::env::var_os("HOME").map(PathBuf::from);
    find_in(cli_path, env.as_deref(), home.as_deref())
}

/// [`find_tla2tools`] with the environment passed in (testable).
pub fn find_in(
    cli_path: Option<&Path>,
    env_path: Option<&Path>,
    home: Option<&Path>,
) -> Result<PathBuf, TlaError> {
    if let Some(p) = cli_path {
        return existing(p).ok_or_else(|| TlaError::JarNotFound {
            searched: format!(
                "--tla2tools {} (no such file; not looking further)",
                p.display()
            ),
        });
    }
    if let Some(p) = env_path.filter(|p| !p.as_os_str().is_empty()) {
        return existing(p).ok_or_else(|| TlaError::JarNotFound {
            searched: format!(
                "${ENV_VAR}={} (no such file; not looking further)",
                p.display()
            ),
        });
    }
    let default = home.map(|h| h.join(".cache/flashcheck/tla2tools.jar"));
    if let Some(found) = default.as_deref().and_then(existing) {
        return Ok(found);
    }
    Err(TlaError::JarNotFound {
        searched: format!(
            "--tla2tools (not given), ${ENV_VAR} (not set), {}",
            default
                .map(|d| format!("{} (missing)", d.display()))
                .unwrap_or_else(|| "~/.cache/flashcheck/tla2tools.jar ($HOME not set)".into())
        ),
    })
}

fn existing(p: &Path) -> Option<PathBuf> {
    p.is_file().then(|| p.to_path_buf())
}

/// `CommunityModules.jar` beside the given `tla2tools.jar`, if present.
pub fn community_modules(tla2tools: &Path) -> Option<PathBuf> {
    let candidate = tla2tools.parent()?.join("CommunityModules.jar");
    candidate.is_file().then_some(candidate)
}
