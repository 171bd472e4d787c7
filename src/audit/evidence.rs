//! The evidence files of the arithmetic claims: one per claim decided by a computation, and
//! `evidence/arith/claims.md` with one anchored block per claim.

use crate::verdict::Subject;
use std::fmt::Write as _;

/// The evidence file of a claim decided by a computation: the sentence, where it stands,
/// the computation's inputs and output, and the verdict.
pub fn computation_evidence(
    c: &crate::arith::claims::ClaimResult,
    document_link: &str,
) -> Option<String> {
    let body = c.evidence.as_ref()?;
    let mut md = format!(
        "# `{}`: {}

",
        c.id,
        c.verdict.word(Subject::Claim)
    );
    let _ = writeln!(
        md,
        "> {}
",
        c.text
    );
    if let Some(line) = c.line {
        // Evidence files sit two folders below the report.
        let link = if document_link.starts_with("../") {
            format!("../../{document_link}")
        } else {
            document_link.to_string()
        };
        let lines: Vec<String> = std::iter::once(line)
            .chain(c.also.iter().copied())
            .map(|n| format!("[{n}]({link}#L{n})"))
            .collect();
        let _ = writeln!(
            md,
            "§{}, design document line(s) {}.
",
            c.section,
            lines.join(", ")
        );
    }
    if let Some(note) = &c.note {
        let _ = writeln!(
            md,
            "Reading: {note}
"
        );
    }
    let _ = writeln!(
        md,
        "Computation: `{}` (`src/arith/`), run by `flashcheck audit` and `flashcheck arith claims`.\n",
        c.computation.as_deref().unwrap_or("?")
    );
    md.push_str(body);
    let _ = writeln!(
        md,
        "
Verdict: **{}** — {}.",
        c.verdict.word(Subject::Claim),
        c.reason
    );
    Some(md)
}

/// The per-claim evidence file of the arithmetic claims, one anchored block per claim.
pub fn claims_evidence(claims: &[crate::arith::claims::ClaimResult]) -> String {
    let mut md = String::from(
        "# z3 on the document's numeric claims\n\n\
         Reproduce: `flashcheck arith claims` (the full report: `claims.txt`).\n",
    );
    for c in claims {
        let _ = writeln!(md, "\n<a id=\"{}\"></a>\n", super::verdicts::anchor(&c.id));
        let _ = writeln!(
            md,
            "## `{}` (§{}): {}\n",
            c.id,
            c.section,
            c.verdict.word(Subject::Claim)
        );
        if let Some(k) = &c.computation {
            let _ = writeln!(
                md,
                "- decided by a computation (`{k}`): [{}]({})",
                super::verdicts::computation_file(&c.id),
                super::verdicts::computation_file(&c.id)
            );
        }
        let _ = writeln!(md, "> {}\n", c.text);
        if let Some(expr) = &c.expr {
            let _ = writeln!(md, "- checked: `{expr}`");
        }
        if let Some(claimed) = &c.claimed {
            let _ = writeln!(md, "- claimed: {claimed}");
        }
        if let Some(value) = &c.value {
            let _ = writeln!(md, "- value: {value}");
        }
        for [left, right] in &c.sides {
            let _ = writeln!(md, "- sides: {left} vs {right}");
        }
        let _ = writeln!(
            md,
            "- {}: {}",
            if c.computation.is_some() {
                "decision"
            } else {
                "z3"
            },
            c.reason
        );
        if let Some(note) = &c.note {
            let _ = writeln!(md, "- reading: {note}");
        }
    }
    md
}
