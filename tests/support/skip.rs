//! A check that cannot run here says so where it counts: one line on the test's stderr
//! (written to the stream itself, so cargo's capture does not hide it) and, when
//! `scripts/test` set `FLASHCHECK_SKIP_LOG`, one line appended to that file, which the
//! script counts and prints in its summary — a run without TLC never looks like a run with
//! it. Under `CI=true` a skip whose tool `scripts/setup` installs is a failure instead.

use std::io::Write as _;

/// Records that `what` was skipped because of `why`.
pub fn skip(what: &str, why: &str) {
    // cargo's harness names each test's thread after the test.
    let test = std::thread::current().name().unwrap_or("?").to_string();
    let line = format!("{test}: {what} skipped: {why}");
    let _ = writeln!(std::io::stderr(), "{line}");
    if let Some(path) = std::env::var_os("FLASHCHECK_SKIP_LOG") {
        // One `write` of one line in append mode: lines from parallel tests do not interleave.
        let appended = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(&path)
            .and_then(|mut f| f.write_all(format!("{line}\n").as_bytes()));
        if let Err(e) = appended {
            let _ = writeln!(
                std::io::stderr(),
                "cannot record the skip in {}: {e}",
                std::path::Path::new(&path).display()
            );
        }
    }
}

/// Like [`skip`], but a failure under `CI=true`, where `scripts/setup` installed what is
/// missing.
#[allow(dead_code)]
pub fn skip_unless_ci(what: &str, why: &str) {
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{what}: CI=true but {why}: scripts/setup installs it"
    );
    skip(what, why);
}
