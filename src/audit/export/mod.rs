//! The audit's report formats, one exporter per format behind [`Exporter`] (hyperfine's
//! `export/`): each turns the same [`Findings`] into one file of the report directory. Their
//! tables go through the one table writer, [`crate::report::table`].

mod json;
mod junit;
mod markdown;
mod timings;

pub use json::Json;
pub use junit::JUnit;
pub use markdown::Markdown;
pub use timings::Timings;

use super::error::AuditError;
use super::findings::Findings;

/// One report format.
pub trait Exporter {
    /// The file it writes, relative to the report directory.
    fn file_name(&self) -> &'static str;
    /// The file's contents.
    fn render(&self, found: &Findings<'_>) -> Result<String, AuditError>;
}

/// Every format the audit writes, in the order it writes them.
pub fn all() -> Vec<Box<dyn Exporter>> {
    vec![
        Box::new(Markdown),
        Box::new(Json),
        Box::new(JUnit),
        Box::new(Timings),
    ]
}
