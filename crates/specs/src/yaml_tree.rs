//! A YAML document as a small tree whose every node remembers its 1-based line, built from
//! `yaml-rust2`'s event parser, so validation errors can point at the offending line.

use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use super::SpecProblem;

/// A located YAML node.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    /// `null`: a plain (unquoted) `~`, `null`, `Null`, `NULL` or nothing, YAML's null.
    Scalar {
        value: String,
        line: usize,
        null: bool,
    },
    Sequence {
        items: Vec<Node>,
        line: usize,
    },
    Mapping {
        entries: Vec<Entry>,
        line: usize,
    },
}

/// One `key: value` pair of a mapping.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub key: String,
    pub key_line: usize,
    pub value: Node,
}

impl Node {
    pub fn line(&self) -> usize {
        match self {
            Node::Scalar { line, .. }
            | Node::Sequence { line, .. }
            | Node::Mapping { line, .. } => *line,
        }
    }
}

/// A located problem before the file name is attached.
pub(crate) type Located = (usize, SpecProblem);

/// Parses exactly one YAML document into a [`Node`] tree.
pub(crate) fn parse_document(text: &str) -> Result<Node, Located> {
    let mut parser = Parser::new_from_str(text);
    let mut builder = Builder {
        stack: Vec::new(),
        root: None,
    };
    let mut documents = 0usize;
    loop {
        let (event, mark) = parser.next_token().map_err(|error| {
            (
                error.marker().line().max(1),
                SpecProblem::syntax(error.info()),
            )
        })?;
        match event {
            Event::StreamEnd => break,
            Event::DocumentStart => {
                documents += 1;
                if documents > 1 {
                    return Err((line_of(&mark), SpecProblem::MultipleDocuments));
                }
            }
            other => builder.push(other, &mark)?,
        }
    }
    builder.root.ok_or((1, SpecProblem::EmptyDocument))
}

fn line_of(mark: &Marker) -> usize {
    mark.line().max(1)
}

/// A container being filled, with a pending key for mappings.
enum Open {
    Sequence {
        items: Vec<Node>,
        line: usize,
    },
    Mapping {
        entries: Vec<Entry>,
        pending_key: Option<(String, usize)>,
        line: usize,
    },
}

struct Builder {
    stack: Vec<Open>,
    root: Option<Node>,
}

impl Builder {
    fn push(&mut self, event: Event, mark: &Marker) -> Result<(), Located> {
        let line = line_of(mark);
        match event {
            Event::Scalar(value, style, ..) => {
                let null = style == TScalarStyle::Plain
                    && matches!(value.as_str(), "~" | "null" | "Null" | "NULL" | "");
                self.complete(Node::Scalar { value, line, null }, line)
            }
            Event::SequenceStart(..) => {
                self.reject_container_key(line)?;
                self.stack.push(Open::Sequence {
                    items: Vec::new(),
                    line,
                });
                Ok(())
            }
            Event::MappingStart(..) => {
                self.reject_container_key(line)?;
                self.stack.push(Open::Mapping {
                    entries: Vec::new(),
                    pending_key: None,
                    line,
                });
                Ok(())
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let node = match self.stack.pop() {
                    Some(Open::Sequence { items, line }) => Node::Sequence { items, line },
                    Some(Open::Mapping { entries, line, .. }) => Node::Mapping { entries, line },
                    None => return Err((line, SpecProblem::Syntax("unbalanced end".into()))),
                };
                let node_line = node.line();
                self.complete(node, node_line)
            }
            Event::Alias(_) => Err((line, SpecProblem::AliasUnsupported)),
            Event::Nothing | Event::StreamStart | Event::DocumentEnd | Event::DocumentStart => {
                Ok(())
            }
            Event::StreamEnd => Ok(()),
        }
    }

    /// A sequence or mapping may not stand where a mapping expects its key.
    fn reject_container_key(&self, line: usize) -> Result<(), Located> {
        match self.stack.last() {
            Some(Open::Mapping {
                pending_key: None, ..
            }) => Err((line, SpecProblem::NonScalarKey)),
            _ => Ok(()),
        }
    }

    fn complete(&mut self, node: Node, line: usize) -> Result<(), Located> {
        match self.stack.last_mut() {
            None => {
                self.root = Some(node);
                Ok(())
            }
            Some(Open::Sequence { items, .. }) => {
                items.push(node);
                Ok(())
            }
            Some(Open::Mapping {
                entries,
                pending_key,
                ..
            }) => match pending_key.take() {
                Some((key, key_line)) => {
                    entries.push(Entry {
                        key,
                        key_line,
                        value: node,
                    });
                    Ok(())
                }
                None => {
                    let Node::Scalar { value: key, .. } = node else {
                        return Err((line, SpecProblem::NonScalarKey));
                    };
                    if let Some(first) = entries.iter().find(|entry| entry.key == key) {
                        return Err((
                            line,
                            SpecProblem::DuplicateKey {
                                key,
                                first_line: first.key_line,
                            },
                        ));
                    }
                    *pending_key = Some((key, line));
                    Ok(())
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_one_based() {
        let node = parse_document("a:\n  - x\n  - y\nb: z\n").unwrap();
        let Node::Mapping { entries, line } = node else {
            panic!("mapping expected")
        };
        assert_eq!(line, 1);
        assert_eq!(entries[0].key_line, 1);
        assert_eq!(entries[1].key_line, 4);
        let Node::Sequence { items, .. } = &entries[0].value else {
            panic!("sequence expected")
        };
        assert_eq!(items[1].line(), 3);
    }

    #[test]
    fn duplicate_keys_are_located() {
        let err = parse_document("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!(
            err,
            (
                3,
                SpecProblem::DuplicateKey {
                    key: "a".into(),
                    first_line: 1
                }
            )
        );
    }

    #[test]
    fn empty_and_multi_documents() {
        assert_eq!(
            parse_document("").unwrap_err().1,
            SpecProblem::EmptyDocument
        );
        assert_eq!(
            parse_document("a: 1\n---\nb: 2\n").unwrap_err(),
            (2, SpecProblem::MultipleDocuments)
        );
    }
}
