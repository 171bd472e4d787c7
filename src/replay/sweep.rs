//! Bound sweeps: the small configurations of a model that replay tries by default, so a bug
//! that needs a second crash, a second retry, a third user or a larger stock is met without
//! the user guessing the `-c` that shows it.
//!
//! Each model sweeps the constants its registry entry names (`Entry::sweep`): those that bound
//! how much can go wrong or how much contends, up to 3 each (where a whole sweep stays within
//! seconds): inventory `Users` × `Stock`, saga `R` (compensation failures) × `C` (crashes),
//! breaker `Permitted` × `WaitTicks`, token bucket `Capacity` × `Rate`. A constant given with `-c` is held at its value; the others take every
//! value of the grid. Each failure's reproduce line names its whole configuration.

use crate::registry::Entry;

/// The `-c` assignments of every configuration to replay: `given` (held as given) followed by
/// one value for each swept constant `given` does not name, every combination, in order of
/// the grid. Always at least one configuration (`given` alone when nothing is left to sweep).
pub fn configurations(model: &'static Entry, given: &[String]) -> Vec<Vec<String>> {
    let named = |name: &str| {
        given
            .iter()
            .any(|a| a.split_once('=').is_some_and(|(n, _)| n.trim() == name))
    };
    let mut out = vec![given.to_vec()];
    for (name, values) in model.sweep.iter().filter(|(n, _)| !named(n)) {
        out = out
            .into_iter()
            .flat_map(|config| {
                values.iter().map(move |v| {
                    let mut c = config.clone();
                    c.push(format!("{name}={v}"));
                    c
                })
            })
            .collect();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::builtin;

    #[test]
    fn given_constants_are_held_and_the_others_swept() {
        assert_eq!(configurations(&builtin::SAGA, &[]).len(), 9);
        let held = configurations(&builtin::SAGA, &["R=2".to_string()]);
        assert_eq!(
            held,
            [
                vec!["R=2".to_string(), "C=1".to_string()],
                vec!["R=2".to_string(), "C=2".to_string()],
                vec!["R=2".to_string(), "C=3".to_string()],
            ]
        );
        let both = ["R=2".to_string(), " C =0".to_string()];
        assert_eq!(configurations(&builtin::SAGA, &both), [both.to_vec()]);
    }
}
