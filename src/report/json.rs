//! The `--json` report: one [`CheckReport`] object, pretty-printed. Field names are the
//! stable schema documented in the README.

use super::CheckReport;

/// Renders `report` as one JSON object.
pub fn render(report: &CheckReport) -> String {
    serde_json::to_string_pretty(report).expect("a CheckReport always serializes")
}
