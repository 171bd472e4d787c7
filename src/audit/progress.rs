//! What the audit shows while it runs: one line per finished step and a spinner for each
//! long one, on stderr, only when stdout is a terminal (a redirected or CI run stays quiet
//! apart from the final summary).

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;

/// The audit's progress display.
#[derive(Debug)]
pub struct Progress {
    visible: bool,
}

impl Progress {
    /// Visible when stdout is a terminal.
    pub fn for_stdout() -> Self {
        Progress {
            visible: std::io::stdout().is_terminal(),
        }
    }

    /// Whether anything is drawn (the model checks draw their own state counters then).
    pub fn is_visible(&self) -> bool {
        self.visible
    }

    /// A spinner with `message` and the elapsed time, hidden when not visible.
    pub fn spinner(&self, message: String) -> ProgressBar {
        if !self.visible {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::new_spinner().with_message(message);
        bar.set_style(
            ProgressStyle::with_template("{spinner} {elapsed} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(100));
        bar
    }

    /// One finished step.
    pub fn done(&self, line: &str) {
        if self.visible {
            eprintln!("  {line}");
        }
    }
}
