//! The verdict table the report opens with: every claim of the design document — the
//! behavioural ones decided by model checking, the arithmetic ones by z3 — with its verdict
//! and links to the evidence.

use super::models::ModelOutcome;
use crate::arith::claims::ClaimResult;
use crate::registry::Constants;
use crate::specs::BehaviourClaim;
use crate::verdict::{Subject, Verdict};
use serde::Serialize;

/// One claim's row.
#[derive(Debug, Clone, Serialize)]
pub struct ClaimRow {
    /// The claim's id.
    pub id: String,
    /// Section(s) of the document.
    pub section: String,
    /// The line of the design document where the sentence stands.
    pub line: Option<usize>,
    /// Further lines of the document it rests on.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<usize>,
    /// `model checking`, `z3`, or the computation that decided it.
    pub decided_by: &'static str,
    /// The original sentence.
    pub text: String,
    /// holds | refuted | unknown.
    #[serde(with = "crate::verdict::claim")]
    pub verdict: Verdict,
    /// How the claim was read, or why z3 decided as it did.
    pub why: String,
    /// Links to the evidence, relative to the report: (label, target).
    pub evidence: Vec<(String, String)>,
}

/// The row of a behavioural claim, from the model outcomes that hold its evidence.
/// `graphs` is the extension of the counterexample graphs (`svg` when Graphviz rendered
/// them, else `dot`).
pub fn behaviour_row(claim: &BehaviourClaim, outcomes: &[ModelOutcome], graphs: &str) -> ClaimRow {
    let mut verdicts = Vec::new();
    let mut evidence = Vec::new();
    for e in &claim.evidence {
        let outcome = outcomes.iter().find(|o| {
            e.model == o.config.model.name
                && Constants::parse(o.config.model, &e.constants)
                    .is_ok_and(|c| c == o.config.constants)
        });
        let Some(outcome) = outcome else {
            verdicts.push(Verdict::Unknown);
            continue;
        };
        let slug = outcome.config.slug();
        let property = outcome.rust.property(&e.property);
        let found = property.map_or(Verdict::Unknown, |p| p.verdict);
        let vacuous = property.is_some_and(|p| p.is_vacuous());
        // A disagreement between the two checkers, or a vacuous truth, decides nothing.
        let verdict = if outcome.comparison.agree && !vacuous {
            found
        } else {
            Verdict::Unknown
        };
        verdicts.push(verdict);
        evidence.push((
            format!(
                "{}: `{}` {}",
                outcome.config.label(),
                e.property,
                if vacuous {
                    "holds vacuously"
                } else {
                    found.word(Subject::Property)
                }
            ),
            format!("#{slug}"),
        ));
        if let Some(p) = property.filter(|p| p.verdict == Verdict::Violated) {
            if p.counterexample.is_some() {
                evidence.push((
                    "counterexample".into(),
                    format!(
                        "evidence/models/{slug}/{}-{}-counterexample.itf.json",
                        outcome.config.model, p.name
                    ),
                ));
                evidence.push((
                    "graph".into(),
                    format!("evidence/models/{slug}/{}.{graphs}", p.name),
                ));
            }
        }
        evidence.push(("TLA+ twin".into(), format!("evidence/tla/{slug}.md")));
    }
    // Refuted when a property it rests on is violated, holds when every one holds.
    let verdict = Verdict::all(verdicts);
    evidence.dedup();
    ClaimRow {
        id: claim.id.clone(),
        section: claim.section.clone(),
        line: Some(claim.line),
        also: claim.also.clone(),
        decided_by: "model checking",
        text: claim.text.clone(),
        verdict,
        why: claim.reading.clone(),
        evidence,
    }
}

/// The row of an arithmetic claim; a claim decided by a computation links its evidence
/// file, `evidence/arith/<claim-id>.md` (see [`computation_file`]).
pub fn arith_row(claim: &ClaimResult) -> ClaimRow {
    let mut evidence = vec![(
        "z3".into(),
        format!("evidence/arith/claims.md#{}", anchor(&claim.id)),
    )];
    if claim.evidence.is_some() {
        evidence.insert(
            0,
            (
                "computation".into(),
                format!("evidence/arith/{}", computation_file(&claim.id)),
            ),
        );
    }
    ClaimRow {
        id: claim.id.clone(),
        section: claim.section.clone(),
        line: claim.line,
        also: claim.also.clone(),
        decided_by: match claim.computation.as_deref() {
            Some("routing") => "routing simulation",
            Some("state_space") => "state-space bound",
            _ => "z3",
        },
        text: claim.text.clone(),
        verdict: claim.verdict,
        why: match (&claim.computation, &claim.note) {
            // A computation's own one-line reason is the finding; the reading follows it.
            (Some(_), Some(note)) => format!("{} (reading: {note})", claim.reason),
            (Some(_), None) => claim.reason.clone(),
            (None, note) => note.clone().unwrap_or_else(|| claim.reason.clone()),
        },
        evidence,
    }
}

/// The evidence file of a claim decided by a computation, under `evidence/arith/`.
pub fn computation_file(id: &str) -> String {
    format!("{}.md", anchor(id))
}

/// Where the claim stands in the document: `§1.1/1.2, lines 83, 135`, each line a link into
/// `document` (the design document as the report links it).
pub fn location(row: &ClaimRow, document: &str) -> String {
    let Some(line) = row.line else {
        return row.section.clone();
    };
    let lines: Vec<String> = std::iter::once(line)
        .chain(row.also.iter().copied())
        .map(|n| format!("[{n}]({document}#L{n})"))
        .collect();
    format!(
        "§{}, line{} {}",
        row.section,
        if lines.len() > 1 { "s" } else { "" },
        lines.join(", ")
    )
}

/// An HTML anchor id for a claim id (letters, digits and `-` only).
pub fn anchor(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

/// Rows in document order: by the first section number, claims of one section together.
pub fn sort(rows: &mut [ClaimRow]) {
    rows.sort_by_key(|r| section_key(&r.section));
}

fn section_key(section: &str) -> Vec<u32> {
    section
        .split(|c: char| !c.is_ascii_digit() && c != '.')
        .next()
        .unwrap_or("")
        .split('.')
        .map(|n| n.parse().unwrap_or(u32::MAX))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_sort_numerically() {
        let mut keys = ["12.1", "2.2", "3.2/1.1", "1.1", "2.10", "cross"]
            .map(section_key)
            .to_vec();
        keys.sort();
        assert_eq!(
            keys,
            vec![
                vec![1, 1],
                vec![2, 2],
                vec![2, 10],
                vec![3, 2],
                vec![12, 1],
                vec![u32::MAX]
            ]
        );
    }
}
