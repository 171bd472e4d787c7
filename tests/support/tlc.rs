//! Finding TLC for the tests that need it: the jar and a working `java`, or a skip line printed
//! where cargo's capture does not hide it.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::Command;

/// The jar, or `None` after printing `<what> skipped: <why>` to stderr (uncaptured).
pub fn jar(what: &str) -> Option<PathBuf> {
    let why = match flashcheck::tla::find_tla2tools(None) {
        Err(e) => e.to_string(),
        Ok(jar) => match Command::new("java").arg("-version").output() {
            Ok(o) if o.status.success() => return Some(jar),
            Ok(o) => format!("`java -version` exited {}", o.status),
            Err(e) => format!("cannot run java: {e}"),
        },
    };
    let _ = writeln!(std::io::stderr(), "{what} skipped: {why}");
    None
}
