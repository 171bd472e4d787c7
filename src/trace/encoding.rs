//! What the ITF writer must know about a model beyond its view's plain JSON: which of the
//! TLA+ variables are sets (a view writes a set as a sorted array, which JSON cannot tell
//! from a sequence), and the binder names of each action's parameters (Quint keys
//! `mbt::nondetPicks` by the name of the `nondet` binder; our binder is the TLA+ twin's
//! parameter, `u` in `Reserve(u) ==`). Each model's registry entry lists its set variables;
//! [`Encoding::of`] reads them and the twin's binders.
//!
//! Everything else follows ADR-015 without per-model code: a view's arrays are TLA+
//! sequences or functions over `1..n` (the same thing in TLA+) and are written as JSON
//! arrays, its objects are records, its integers `#bigint`s.

use crate::registry::{Entry, Registry};
use std::collections::{BTreeMap, BTreeSet};

/// How one model's states and actions are written as ITF.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Encoding {
    /// The variables that are TLA+ sets (written `{"#set": [...]}`).
    pub sets: BTreeSet<String>,
    /// Action name → its parameters' names, from the TLA+ twin's `Name(p, q) ==`.
    pub binders: BTreeMap<String, Vec<String>>,
}

impl Encoding {
    /// The encoding of a registered model: its set variables and its twin's binders (none
    /// without a twin: positional binder names).
    pub fn of(model: &'static Entry) -> Self {
        Encoding {
            sets: model
                .set_variables
                .iter()
                .map(|s| (*s).to_string())
                .collect(),
            binders: model.twin.map(|t| binders(t.source)).unwrap_or_default(),
        }
    }

    /// The encoding of a model known only by its report name (a registered model's, else
    /// none: no sets, positional binder names).
    pub fn of_name(registry: &Registry, name: &str) -> Self {
        registry
            .get(name)
            .map_or_else(|_| Encoding::default(), Encoding::of)
    }

    /// The binder names of `action`'s `arity` arguments: the TLA+ parameters when the twin
    /// defines the action with that many, else `p1`, `p2`, ….
    pub fn binder_names(&self, action: &str, arity: usize) -> Vec<String> {
        match self.binders.get(action) {
            Some(names) if names.len() == arity => names.clone(),
            _ => (1..=arity).map(|i| format!("p{i}")).collect(),
        }
    }

    /// Every binder name of the model's parametrised actions, sorted: each state lists them
    /// all, the unused ones as `None`, as Quint does.
    pub fn all_binders(&self, used: &BTreeMap<String, usize>) -> BTreeSet<String> {
        used.iter()
            .flat_map(|(action, arity)| self.binder_names(action, *arity))
            .collect()
    }
}

/// Operator definitions with parameters in a TLA+ module: `Name(a, b) ==` at the start of a
/// line → `Name` → `[a, b]`. Helper operators (`Min(a, b)`) are included; only the names of
/// actions are ever looked up.
pub fn binders(tla: &str) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    for line in tla.lines() {
        let Some((head, _)) = line.split_once("==") else {
            continue;
        };
        let head = head.trim_end();
        let Some((name, rest)) = head.split_once('(') else {
            continue;
        };
        let Some(params) = rest.strip_suffix(')') else {
            continue;
        };
        let is_ident = |s: &str| {
            !s.is_empty()
                && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !s.starts_with(|c: char| c.is_ascii_digit())
        };
        let params: Vec<String> = params.split(',').map(|p| p.trim().to_string()).collect();
        if is_ident(name) && params.iter().all(|p| is_ident(p)) {
            out.entry(name.to_string()).or_insert(params);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::builtin;

    #[test]
    fn binder_names_come_from_the_twin() {
        let e = Encoding::of(&builtin::INVENTORY);
        assert_eq!(e.binder_names("Reserve", 1), vec!["u"]);
        assert_eq!(e.binder_names("Nope", 2), vec!["p1", "p2"]);
        assert_eq!(
            Encoding::of(&builtin::SAGA).binder_names("Execute", 1),
            vec!["i"]
        );
        assert_eq!(
            Encoding::of(&builtin::INVENTORY_SEED).binder_names("Enter", 1),
            vec!["self"]
        );
    }
}
