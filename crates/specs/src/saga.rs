//! The saga definition of §2.1 (`saga.name`, `steps[].name/service/compensation`): parsing,
//! validation and rendering back to YAML.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::yaml_tree::{parse_document, Entry, Located, Node};
use super::{SpecError, SpecProblem};

/// One forward step and the action that undoes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SagaStep {
    pub name: String,
    pub service: String,
    pub compensation: String,
}

/// A validated saga: a non-empty list of uniquely named, compensable steps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SagaDefinition {
    pub name: String,
    pub steps: Vec<SagaStep>,
}

impl SagaDefinition {
    /// Renders the definition in the seed's YAML structure; [`parse_saga_str`] reads it back.
    pub fn to_yaml(&self) -> String {
        let mut out = String::from("saga:\n");
        out.push_str(&format!("  name: {}\n  steps:\n", quote(&self.name)));
        for step in &self.steps {
            out.push_str(&format!("    - name: {}\n", quote(&step.name)));
            out.push_str(&format!("      service: {}\n", quote(&step.service)));
            out.push_str(&format!(
                "      compensation: {}\n",
                quote(&step.compensation)
            ));
        }
        out
    }
}

/// A YAML double-quoted scalar, escaping everything that is not printable ASCII.
fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            ' '..='~' => out.push(c),
            _ => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// Reads and validates a saga definition file (a regular file of at most
/// [`crate::input::SPEC_LIMIT`] bytes).
pub fn load_saga(path: &Path) -> Result<SagaDefinition, SpecError> {
    let text = crate::input::read_text(path, crate::input::SPEC_LIMIT).map_err(|source| {
        SpecError::Io {
            file: path.to_path_buf(),
            source,
        }
    })?;
    parse_saga_str(&text, path)
}

/// Parses and validates saga YAML; `file` is only used to name the source in errors.
pub fn parse_saga_str(text: &str, file: &Path) -> Result<SagaDefinition, SpecError> {
    parse_located(text).map_err(|(line, problem)| SpecError::Invalid {
        file: file.to_path_buf(),
        line,
        problem,
    })
}

fn parse_located(text: &str) -> Result<SagaDefinition, Located> {
    // A UTF-8 byte order mark (Windows editors write one) is not content.
    let root = parse_document(crate::input::strip_bom(text))?;
    let mut top = Fields::of(&root, "the document")?;
    let saga_node = top.required("saga")?;
    top.no_others()?;

    let mut saga = Fields::of(saga_node, "saga")?;
    let name = saga.required_text("name")?;
    let steps_node = saga.required("steps")?;
    saga.no_others()?;

    let Node::Sequence { items, line } = steps_node else {
        return Err(wrong_type(steps_node, "steps", "a list of steps"));
    };
    if items.is_empty() {
        return Err((*line, SpecProblem::EmptySteps));
    }
    let mut first_line_of: BTreeMap<String, usize> = BTreeMap::new();
    let mut steps = Vec::with_capacity(items.len());
    for item in items {
        let mut fields = Fields::of(item, "steps[]")?;
        let step_name = fields.required_text("name")?;
        let service = fields.required_text("service")?;
        // `compensation: ~` (YAML's null) is no compensation, like a missing key.
        let compensation = match fields.optional("compensation") {
            Some(entry) if !matches!(entry.value, Node::Scalar { null: true, .. }) => {
                scalar_text(&entry.value, "compensation")?
            }
            _ => {
                return Err((
                    item.line(),
                    SpecProblem::MissingCompensation { step: step_name },
                ))
            }
        };
        fields.no_others()?;
        if let Some(first_line) = first_line_of.get(&step_name) {
            return Err((
                item.line(),
                SpecProblem::DuplicateStepName {
                    name: step_name,
                    first_line: *first_line,
                },
            ));
        }
        first_line_of.insert(step_name.clone(), item.line());
        steps.push(SagaStep {
            name: step_name,
            service,
            compensation,
        });
    }
    Ok(SagaDefinition { name, steps })
}

fn wrong_type(node: &Node, key: &str, expected: &'static str) -> Located {
    (
        node.line(),
        SpecProblem::WrongType {
            key: key.to_string(),
            expected,
        },
    )
}

fn value_is_blank(node: &Node) -> bool {
    matches!(node, Node::Scalar { value, .. } if value.trim().is_empty())
}

/// The non-blank text of a scalar node.
fn scalar_text(node: &Node, key: &str) -> Result<String, Located> {
    match node {
        Node::Scalar {
            null: true, line, ..
        } if !value_is_blank(node) => Err((
            *line,
            SpecProblem::NullValue {
                key: key.to_string(),
            },
        )),
        Node::Scalar { value, line, .. } if value.trim().is_empty() => Err((
            *line,
            SpecProblem::EmptyValue {
                key: key.to_string(),
            },
        )),
        Node::Scalar { value, .. } => Ok(value.clone()),
        other => Err(wrong_type(other, key, "a string")),
    }
}

/// The entries of one mapping, consumed key by key so leftovers can be reported as unknown.
struct Fields<'a> {
    line: usize,
    entries: Vec<&'a Entry>,
}

impl<'a> Fields<'a> {
    fn of(node: &'a Node, what: &str) -> Result<Self, Located> {
        match node {
            Node::Mapping { entries, line } => Ok(Fields {
                line: *line,
                entries: entries.iter().collect(),
            }),
            other => Err(wrong_type(other, what, "a mapping")),
        }
    }

    fn optional(&mut self, key: &str) -> Option<&'a Entry> {
        let index = self.entries.iter().position(|entry| entry.key == key)?;
        Some(self.entries.remove(index))
    }

    fn required(&mut self, key: &str) -> Result<&'a Node, Located> {
        self.optional(key).map(|entry| &entry.value).ok_or((
            self.line,
            SpecProblem::MissingKey {
                key: key.to_string(),
            },
        ))
    }

    fn required_text(&mut self, key: &str) -> Result<String, Located> {
        scalar_text(self.required(key)?, key)
    }

    fn no_others(&self) -> Result<(), Located> {
        match self.entries.first() {
            Some(entry) => Err((
                entry.key_line,
                SpecProblem::UnknownKey {
                    key: entry.key.clone(),
                },
            )),
            None => Ok(()),
        }
    }
}

/// The seed's saga (`specs/create_order.saga.yaml`), embedded so the binary works anywhere.
pub const SEED_SAGA_YAML: &str = include_str!("../../../specs/create_order.saga.yaml");
/// The name the embedded seed saga is reported under.
pub const SEED_SAGA_PATH: &str = "specs/create_order.saga.yaml";

/// The seed's saga definition.
pub fn seed_saga() -> SagaDefinition {
    parse_saga_str(SEED_SAGA_YAML, Path::new(SEED_SAGA_PATH))
        .expect("the embedded seed saga is valid (tested)")
}

/// The saga in `path`, or the embedded seed saga when `path` is `None`.
pub fn load_saga_or_seed(path: Option<&Path>) -> Result<SagaDefinition, SpecError> {
    match path {
        Some(p) => load_saga(p),
        None => parse_saga_str(SEED_SAGA_YAML, Path::new(SEED_SAGA_PATH)),
    }
}
