//! `junit.xml`: one test case per claim, per property of every model configuration and per
//! replay, for CI dashboards (a refuted claim fails, an unknown one is skipped).

use super::Exporter;
use crate::audit::configs::Expect;
use crate::audit::error::AuditError;
use crate::audit::findings::{executor_name, replay_result, Findings};
use crate::audit::models::ModelOutcome;
use crate::audit::replay::ReplayRow;
use crate::audit::verdicts::ClaimRow;
use crate::report::junit::{self, Case, Outcome};
use crate::verdict::{Subject, Verdict};

/// The JUnit report.
#[derive(Debug, Clone, Copy)]
pub struct JUnit;

impl Exporter for JUnit {
    fn file_name(&self) -> &'static str {
        "junit.xml"
    }

    fn render(&self, found: &Findings<'_>) -> Result<String, AuditError> {
        Ok(junit::render(&cases(
            found.rows,
            found.outcomes,
            found.replays,
        )))
    }
}

fn cases(rows: &[ClaimRow], outcomes: &[ModelOutcome], replays: &[(ReplayRow, f64)]) -> Vec<Case> {
    let mut cases = Vec::new();
    for r in rows {
        cases.push(Case {
            suite: format!("document claims ({})", r.decided_by),
            name: r.id.clone(),
            outcome: match r.verdict {
                Verdict::Holds => Outcome::Passed,
                v @ Verdict::Violated => {
                    Outcome::Failed(format!("{}: {}", v.word(Subject::Claim), r.why))
                }
                v @ Verdict::Unknown => {
                    Outcome::Skipped(format!("{}: {}", v.word(Subject::Claim), r.why))
                }
            },
        });
    }
    for o in outcomes {
        let suite = format!("{} {}", o.config.model, o.config.shown());
        for p in &o.rust.properties {
            let twin = o
                .twin
                .property(&p.name)
                .map_or("—", |t| t.verdict.word(Subject::Property));
            let word = p.verdict.word(Subject::Property);
            cases.push(Case {
                suite: suite.clone(),
                name: p.name.clone(),
                outcome: match p.verdict {
                    _ if !o.comparison.agree => Outcome::Failed(format!(
                        "the TLA+ twin disagrees: {}",
                        o.comparison.differences.join("; ")
                    )),
                    Verdict::Holds => Outcome::Passed,
                    Verdict::Violated if o.config.expect == Expect::Violations => Outcome::Failed(
                        format!("{word} (a finding about the seed; {twin} in TLA+)"),
                    ),
                    Verdict::Violated => Outcome::Failed(word.into()),
                    Verdict::Unknown => {
                        Outcome::Skipped(p.note.clone().unwrap_or_else(|| word.into()))
                    }
                },
            });
        }
    }
    for (r, _) in replays {
        cases.push(Case {
            suite: "replay".into(),
            name: format!("{} on {}", r.model, executor_name(r)),
            outcome: match &r.report {
                None => Outcome::Skipped("no implementation".into()),
                Some(rep) if rep.failures.is_empty() => Outcome::Passed,
                Some(_) => Outcome::Failed(replay_result(&r.report)),
            },
        });
    }
    cases
}
