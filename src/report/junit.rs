//! JUnit XML for CI dashboards: one test case per property or claim, a failure for each
//! violated or refuted one, a skip for each `unknown` (never a pass).

use std::fmt::Write;

/// One test case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// The suite it belongs to (a model configuration, or "arith claims").
    pub suite: String,
    /// The property or claim id.
    pub name: String,
    /// Its outcome.
    pub outcome: Outcome,
}

/// A test case's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Holds.
    Passed,
    /// Violated or refuted, with a one-line reason.
    Failed(String),
    /// Undecided, with why.
    Skipped(String),
}

/// `text` as an XML 1.0 attribute value: markup characters escaped, tab, newline and carriage
/// return kept as character references (an attribute would otherwise normalise them to
/// spaces), and every character XML 1.0 forbids (other C0 controls, U+FFFE, U+FFFF) replaced
/// by U+FFFD, so the document stays well-formed whatever a message holds.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}' => {
                out.push(c)
            }
            _ => out.push('\u{FFFD}'),
        }
    }
    out
}

/// Renders `cases` as one `<testsuites>` document, suites in first-seen order.
pub fn render(cases: &[Case]) -> String {
    let mut suites: Vec<&str> = Vec::new();
    for case in cases {
        if !suites.contains(&case.suite.as_str()) {
            suites.push(&case.suite);
        }
    }
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
    for suite in suites {
        let members: Vec<&Case> = cases.iter().filter(|c| c.suite == suite).collect();
        let failures = members
            .iter()
            .filter(|c| matches!(c.outcome, Outcome::Failed(_)))
            .count();
        let skipped = members
            .iter()
            .filter(|c| matches!(c.outcome, Outcome::Skipped(_)))
            .count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" skipped=\"{skipped}\">",
            escape(suite),
            members.len()
        );
        for case in members {
            let name = escape(&case.name);
            match &case.outcome {
                Outcome::Passed => {
                    let _ = writeln!(out, "    <testcase name=\"{name}\"/>");
                }
                Outcome::Failed(why) => {
                    let _ = writeln!(
                        out,
                        "    <testcase name=\"{name}\"><failure message=\"{}\"/></testcase>",
                        escape(why)
                    );
                }
                Outcome::Skipped(why) => {
                    let _ = writeln!(
                        out,
                        "    <testcase name=\"{name}\"><skipped message=\"{}\"/></testcase>",
                        escape(why)
                    );
                }
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_is_skipped_not_passed_and_text_is_escaped() {
        let xml = render(&[
            Case {
                suite: "m <1>".into(),
                name: "a".into(),
                outcome: Outcome::Passed,
            },
            Case {
                suite: "m <1>".into(),
                name: "b".into(),
                outcome: Outcome::Skipped("limit & time".into()),
            },
            Case {
                suite: "claims".into(),
                name: "c".into(),
                outcome: Outcome::Failed("316 \"≠\" 223".into()),
            },
        ]);
        assert!(xml.contains("name=\"m &lt;1&gt;\" tests=\"2\" failures=\"0\" skipped=\"1\""));
        assert!(xml.contains("<skipped message=\"limit &amp; time\"/>"));
        assert!(xml.contains("<failure message=\"316 &quot;≠&quot; 223\"/>"));
    }
}
