//! The design document's behavioural claims (`specs/behaviour.toml`): sentences about what its
//! algorithms do, each tied to the model-checked properties that decide it. The verdict of a
//! claim is derived, never written down: it holds when every linked property holds, is
//! refuted when one is violated, and is unknown otherwise.

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{Document, SpecError, SpecProblem};

/// One sentence of the design document and the checks that decide it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BehaviourClaim {
    /// Stable identifier, e.g. `3.2-fairness-verified`.
    pub id: String,
    /// The section(s) of the document.
    pub section: String,
    /// The line of the design document where the sentence stands (its first line).
    pub line: usize,
    /// Further lines it rests on, in other sections (a claim that compares two passages).
    #[serde(default)]
    pub also: Vec<usize>,
    /// The original sentence.
    pub text: String,
    /// How flashcheck reads it.
    pub reading: String,
    /// The properties that decide it.
    pub evidence: Vec<Evidence>,
}

/// One model-checked property a claim rests on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    /// The model, as `flashcheck check` names it.
    pub model: String,
    /// `NAME=VALUE` constants, as `-c` takes them (the model's defaults fill the rest).
    #[serde(default)]
    pub constants: Vec<String>,
    /// The property's name in the model.
    pub property: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    claim: Vec<BehaviourClaim>,
}

/// Parses and validates `specs/behaviour.toml`; `file` names the source in errors. Every
/// claim's `line` (and `also`) must be a line of `document`.
pub fn parse_behaviour_str(
    text: &str,
    file: &Path,
    document: &Document,
) -> Result<Vec<BehaviourClaim>, SpecError> {
    let text = crate::input::strip_bom(text);
    let invalid = |line: usize, problem: SpecProblem| SpecError::Invalid {
        file: file.to_path_buf(),
        line,
        problem,
    };
    let raw: RawFile = toml::from_str(text).map_err(|error| {
        let line = error.span().map_or(1, |span| line_at(text, span.start));
        invalid(line, SpecProblem::syntax(error.message()))
    })?;
    let mut seen = BTreeSet::new();
    for claim in &raw.claim {
        let quoted = format!("\"{}\"", claim.id);
        let line = find_line(text, &quoted);
        if !seen.insert(claim.id.as_str()) {
            let again = text
                .match_indices(&quoted)
                .nth(1)
                .map_or(line, |(offset, _)| line_at(text, offset));
            return Err(invalid(
                again,
                SpecProblem::DuplicateKey {
                    key: format!("id = {quoted}"),
                    first_line: line,
                },
            ));
        }
        if claim.evidence.is_empty() {
            return Err(invalid(
                line,
                SpecProblem::EmptyValue {
                    key: format!("evidence of claim `{}`", claim.id),
                },
            ));
        }
        for (key, n) in
            std::iter::once(("line", claim.line)).chain(claim.also.iter().map(|n| ("also", *n)))
        {
            if !document.contains_line(n) {
                return Err(invalid(
                    line,
                    SpecProblem::LineOutsideDocument {
                        key: format!("{key} of claim `{}`", claim.id),
                        line: n,
                        document: document.path.display().to_string(),
                        lines: document.line_count(),
                    },
                ));
            }
        }
        for field in [&claim.id, &claim.text, &claim.reading] {
            if field.trim().is_empty() {
                return Err(invalid(
                    line,
                    SpecProblem::EmptyValue {
                        key: format!("a field of claim `{}`", claim.id),
                    },
                ));
            }
        }
    }
    Ok(raw.claim)
}

/// Reads and validates a behaviour-claims file against `document`.
pub fn load_behaviour(path: &Path, document: &Document) -> Result<Vec<BehaviourClaim>, SpecError> {
    let text = crate::input::read_text(path, crate::input::SPEC_LIMIT).map_err(|source| {
        SpecError::Io {
            file: path.to_path_buf(),
            source,
        }
    })?;
    parse_behaviour_str(&text, path, document)
}

fn line_at(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

fn find_line(text: &str, needle: &str) -> usize {
    text.find(needle).map_or(1, |offset| line_at(text, offset))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_claims_parse() {
        let claims = parse_behaviour_str(
            include_str!("../../../specs/behaviour.toml"),
            Path::new("specs/behaviour.toml"),
            &Document::built_in(),
        )
        .unwrap();
        assert!(claims.iter().any(|c| c.id == "3.2-fairness-verified"));
        assert!(claims.iter().all(|c| !c.evidence.is_empty()));
    }

    #[test]
    fn a_claim_without_evidence_is_refused_with_its_line() {
        let text = "[[claim]]\nid = \"a\"\nsection = \"1\"\nline = 1\ntext = \"t\"\nreading = \"r\"\nevidence = []\n";
        let err = parse_behaviour_str(text, Path::new("b.toml"), &tiny()).unwrap_err();
        assert_eq!(err.line(), Some(2));
        assert!(err.to_string().contains("evidence of claim `a`"), "{err}");
    }

    #[test]
    fn unknown_keys_are_refused() {
        let text = "[[claim]]\nid = \"a\"\nsection = \"1\"\nline = 1\ntext = \"t\"\nreading = \"r\"\nverdict = \"holds\"\n";
        let err = parse_behaviour_str(text, Path::new("b.toml"), &tiny()).unwrap_err();
        assert!(err.to_string().contains("verdict"), "{err}");
    }

    fn tiny() -> Document {
        Document::parse("one\ntwo\n", Path::new("d.md"))
    }

    const EVIDENCE: &str = "[[claim.evidence]]\nmodel = \"m\"\nproperty = \"p\"\n";

    #[test]
    fn a_claim_without_a_line_is_refused_with_its_line() {
        let text = format!(
            "[[claim]]\nid = \"a\"\nsection = \"1\"\ntext = \"t\"\nreading = \"r\"\n{EVIDENCE}"
        );
        let err = parse_behaviour_str(&text, Path::new("b.toml"), &tiny()).unwrap_err();
        assert_eq!(err.line(), Some(1), "{err}");
        assert!(err.to_string().starts_with("b.toml:1:"), "{err}");
        assert!(err.to_string().contains("missing field `line`"), "{err}");
    }

    #[test]
    fn a_line_outside_the_document_is_refused_naming_both() {
        for (key, lines) in [("line", "line = 3"), ("also", "line = 1\nalso = [2, 9]")] {
            let text = format!("[[claim]]\nid = \"a\"\nsection = \"1\"\n{lines}\ntext = \"t\"\nreading = \"r\"\n{EVIDENCE}");
            let err = parse_behaviour_str(&text, Path::new("b.toml"), &tiny()).unwrap_err();
            assert_eq!(err.line(), Some(2), "{err}");
            let message = err.to_string();
            assert!(
                message.contains(&format!("`{key} of claim `a``")),
                "{message}"
            );
            assert!(
                message.contains("is not a line of d.md (it has 2 lines)"),
                "{message}"
            );
        }
    }
}
