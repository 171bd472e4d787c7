//! Every claim of `specs/claims.toml` and `specs/behaviour.toml` points at the line of the
//! design document (`specs/double11-design.md`) where its sentence stands: the line holds
//! the claim's words better than the lines around it, so a line number off by one fails;
//! and a claim without a line, or with one outside the document, is refused naming the file
//! and the line of the claim.

use flashcheck::arith::claims;
use flashcheck::arith::design::Design;
use flashcheck::specs::{parse_behaviour_str, Document};
use std::path::Path;

const CLAIMS: &str = include_str!("../specs/claims.toml");
const BEHAVIOUR: &str = include_str!("../specs/behaviour.toml");
const DESIGN: &str = include_str!("../specs/double11.toml");

fn spec() -> Design {
    Design::parse(DESIGN, Path::new("specs/double11.toml")).unwrap()
}

/// (id, every line it cites, its text) for both claim files.
fn cited() -> Vec<(String, Vec<usize>, String)> {
    let document = Document::built_in();
    let numeric = claims::parse(CLAIMS, Path::new("specs/claims.toml"), &spec(), &document)
        .unwrap()
        .into_iter()
        .map(|c| {
            let mut lines = vec![c.line.expect("a claim of the file has a line")];
            lines.extend(c.also);
            (c.id, lines, c.text)
        });
    let behavioural = parse_behaviour_str(BEHAVIOUR, Path::new("specs/behaviour.toml"), &document)
        .unwrap()
        .into_iter()
        .map(|c| {
            let mut lines = vec![c.line];
            lines.extend(c.also);
            (c.id, lines, c.text)
        });
    numeric.chain(behavioural).collect()
}

#[test]
fn every_claim_stands_on_the_line_it_cites() {
    let document = Document::built_in();
    let all = cited();
    assert_eq!(all.len(), 106, "93 numeric and 13 behavioural claims");
    let wrong: Vec<String> = all
        .iter()
        .filter_map(|(id, lines, text)| {
            document
                .locates(lines, text)
                .err()
                .map(|why| format!("{id}: {why}"))
        })
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn a_line_number_off_by_one_is_caught_for_every_claim() {
    let document = Document::built_in();
    for shift in [1isize, -1] {
        let missed: Vec<String> = cited()
            .into_iter()
            .filter(|(_, lines, text)| {
                let moved: Vec<usize> = lines
                    .iter()
                    .map(|n| n.checked_add_signed(shift).unwrap())
                    .collect();
                document.locates(&moved, text).is_ok()
            })
            .map(|(id, _, _)| id)
            .collect();
        assert!(missed.is_empty(), "shift {shift} not caught: {missed:?}");
    }
}

#[test]
fn the_built_in_document_is_the_one_in_specs() {
    let on_disk = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("specs/double11-design.md"),
    )
    .unwrap();
    let document = Document::built_in();
    assert_eq!(document.line_count(), on_disk.lines().count());
    assert_eq!(document.line_count(), 1609);
    assert!(document.line(1).unwrap().contains("电商大促全链路分析"));
}

fn one_claim(lines: &str) -> String {
    format!("[[claim]]\nid = \"x\"\nsection = \"1.1\"\n{lines}text = \"t\"\nexpr = \"1 < 2\"\n")
}

#[test]
fn a_numeric_claim_without_a_line_is_refused_naming_file_and_line() {
    let err = claims::parse(
        &format!("# header\n\n{}", one_claim("")),
        Path::new("c.toml"),
        &spec(),
        &Document::built_in(),
    )
    .unwrap_err();
    let message = err.to_string();
    assert!(err.is_bad_input());
    assert!(
        message.starts_with("c.toml:4: claim `x`: missing `line`"),
        "{message}"
    );
}

#[test]
fn a_numeric_claim_outside_the_document_is_refused() {
    for (lines, key) in [
        ("line = 1610\n", "`line` = 1610"),
        ("line = 0\n", "`line` = 0"),
        ("line = 74\nalso = [2000]\n", "`also` = 2000"),
    ] {
        let err = claims::parse(
            &one_claim(lines),
            Path::new("c.toml"),
            &spec(),
            &Document::built_in(),
        )
        .unwrap_err();
        let message = err.to_string();
        assert!(message.starts_with("c.toml:2: claim `x`: "), "{message}");
        assert!(
            message.contains(&format!(
                "{key} is not a line of specs/double11-design.md (it has 1609 lines)"
            )),
            "{message}"
        );
    }
}
