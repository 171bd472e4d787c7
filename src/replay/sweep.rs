//! Bound sweeps: the small configurations of a model that replay tries by default, so a bug
//! that needs a second crash, a second retry, a third user or a larger stock is met without
//! the user guessing the `-c` that shows it.
//!
//! Each model sweeps the constants that bound how much can go wrong or how much contends, up
//! to 3 each (where a whole sweep stays within seconds): inventory `Users` × `Stock`, saga `R`
//! (compensation failures) × `C` (crashes), breaker `Permitted` × `WaitTicks`, token bucket
//! `Capacity` × `Rate`. A constant given with `-c` is held at its value; the others take every
//! value of the grid. Each failure's reproduce line names its whole configuration.

use crate::catalog::ModelName;

/// The values swept, per constant, for `model` (empty: nothing to sweep).
pub fn grid(model: ModelName) -> &'static [(&'static str, &'static [u64])] {
    const ONE_TO_THREE: &[u64] = &[1, 2, 3];
    match model {
        ModelName::Inventory | ModelName::InventorySeed => {
            &[("Users", ONE_TO_THREE), ("Stock", ONE_TO_THREE)]
        }
        ModelName::Saga | ModelName::SagaSeed => &[("R", ONE_TO_THREE), ("C", ONE_TO_THREE)],
        ModelName::Breaker | ModelName::BreakerSeed => {
            &[("Permitted", ONE_TO_THREE), ("WaitTicks", ONE_TO_THREE)]
        }
        ModelName::TokenBucket => &[("Capacity", ONE_TO_THREE), ("Rate", ONE_TO_THREE)],
    }
}

/// The `-c` assignments of every configuration to replay: `given` (held as given) followed by
/// one value for each swept constant `given` does not name, every combination, in order of
/// the grid. Always at least one configuration (`given` alone when nothing is left to sweep).
pub fn configurations(model: ModelName, given: &[String]) -> Vec<Vec<String>> {
    let named = |name: &str| {
        given
            .iter()
            .any(|a| a.split_once('=').is_some_and(|(n, _)| n.trim() == name))
    };
    let mut out = vec![given.to_vec()];
    for (name, values) in grid(model).iter().filter(|(n, _)| !named(n)) {
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

    #[test]
    fn given_constants_are_held_and_the_others_swept() {
        assert_eq!(configurations(ModelName::Saga, &[]).len(), 9);
        let held = configurations(ModelName::Saga, &["R=2".to_string()]);
        assert_eq!(
            held,
            [
                vec!["R=2".to_string(), "C=1".to_string()],
                vec!["R=2".to_string(), "C=2".to_string()],
                vec!["R=2".to_string(), "C=3".to_string()],
            ]
        );
        let both = ["R=2".to_string(), " C =0".to_string()];
        assert_eq!(configurations(ModelName::Saga, &both), [both.to_vec()]);
    }
}
