//! Finding TLC for the tests that need it: the jar and a working `java`, or a recorded skip
//! (see `skip.rs`).

#[path = "skip.rs"]
mod skip;

use std::path::PathBuf;
use std::process::Command;

/// The jar, or `None` after recording `<what> skipped: <why>`.
pub fn jar(what: &str) -> Option<PathBuf> {
    let why = match flashcheck::tla::find_tla2tools(None) {
        Err(e) => e.to_string(),
        Ok(jar) => match Command::new("java").arg("-version").output() {
            Ok(o) if o.status.success() => return Some(jar),
            Ok(o) => format!("`java -version` exited {}", o.status),
            Err(e) => format!("cannot run java: {e}"),
        },
    };
    skip::skip(what, &why);
    None
}
