//! What `flashcheck explore` serves: a Rust port dressed for stateright's Explorer.
//!
//! The Explorer labels each step with `Model::format_action` and shows the state it leads to
//! with `Model::format_step`, both `Debug` by default. The ports keep packed states
//! (`InventoryState { phases: 9, .. }` means "user 1 holds a reservation, user 2 has paid"),
//! so [`Explorable`] shows what the traces and the TLA+ twin show instead: the action as
//! [`Spec::action_name`] names it and the state as the twin's variables ([`Spec::view`]) in
//! JSON. The initial states have no step, so the Explorer shows those as `Debug`.

use flashcheck_models::Spec;
use stateright::{Model, Property};
use std::fmt::{self, Debug};
use std::hash::Hash;
use std::net::SocketAddr;

/// Most properties a model may have for [`Explorable`] to forward them: one entry per
/// property in [`forwarding`]'s table. The ports have at most 7.
pub const MAX_PROPERTIES: usize = 16;

/// A [`Spec`] whose actions and steps the Explorer prints by their TLA+ names.
///
/// Everything else (initial states, actions and their order, successors, properties,
/// boundary) is the model's own, so the Explorer's action-index paths (`#/steps/0/2`) are the
/// model's and its "Run to completion" finds the same discoveries `flashcheck check` does.
#[derive(Clone)]
pub struct Explorable<M: Model> {
    model: M,
    properties: Vec<Property<M>>,
}

impl<M: Model + Debug> Debug for Explorable<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Explorable")
            .field("model", &self.model)
            .field(
                "properties",
                &self.properties.iter().map(|p| p.name).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl<M: Model> Explorable<M> {
    /// Wraps `model`.
    ///
    /// # Panics
    /// When the model has more than [`MAX_PROPERTIES`] properties (a test builds every port).
    pub fn new(model: M) -> Self {
        let properties = model.properties();
        assert!(
            properties.len() <= MAX_PROPERTIES,
            "Explorable forwards at most {MAX_PROPERTIES} properties; the model has {}",
            properties.len()
        );
        Explorable { model, properties }
    }

    /// The wrapped model.
    pub fn model(&self) -> &M {
        &self.model
    }
}

/// A property condition of the wrapper: property `I` of the wrapped model.
///
/// `Property::condition` is a plain `fn` pointer, so a wrapper cannot close over the model's
/// conditions; one monomorphised function per index can look its condition up instead.
fn forwarded<M: Model, const I: usize>(e: &Explorable<M>, state: &M::State) -> bool {
    (e.properties[I].condition)(&e.model, state)
}

/// A property condition of [`Explorable`].
type Condition<M> = fn(&Explorable<M>, &<M as Model>::State) -> bool;

/// The condition forwarding property `index`, for `index < MAX_PROPERTIES`.
fn forwarding<M: Model>(index: usize) -> Condition<M> {
    let table: [Condition<M>; MAX_PROPERTIES] = [
        forwarded::<M, 0>,
        forwarded::<M, 1>,
        forwarded::<M, 2>,
        forwarded::<M, 3>,
        forwarded::<M, 4>,
        forwarded::<M, 5>,
        forwarded::<M, 6>,
        forwarded::<M, 7>,
        forwarded::<M, 8>,
        forwarded::<M, 9>,
        forwarded::<M, 10>,
        forwarded::<M, 11>,
        forwarded::<M, 12>,
        forwarded::<M, 13>,
        forwarded::<M, 14>,
        forwarded::<M, 15>,
    ];
    table[index]
}

impl<M: Spec> Model for Explorable<M> {
    type State = M::State;
    type Action = M::Action;

    fn init_states(&self) -> Vec<Self::State> {
        self.model.init_states()
    }

    fn actions(&self, state: &Self::State, actions: &mut Vec<Self::Action>) {
        self.model.actions(state, actions);
    }

    fn next_state(&self, last_state: &Self::State, action: Self::Action) -> Option<Self::State> {
        self.model.next_state(last_state, action)
    }

    fn format_action(&self, action: &Self::Action) -> String
    where
        Self::Action: Debug,
    {
        self.model.action_name(action)
    }

    fn format_step(&self, last_state: &Self::State, action: Self::Action) -> Option<String>
    where
        Self::State: Debug,
    {
        let next = self.model.next_state(last_state, action)?;
        // A view is plain data (numbers, strings, vectors, maps with string keys), which
        // serde_json always encodes; fall back to Debug rather than hide the step.
        Some(
            serde_json::to_string_pretty(&self.model.view(&next))
                .unwrap_or_else(|_| format!("{next:#?}")),
        )
    }

    fn properties(&self) -> Vec<Property<Self>> {
        self.properties
            .iter()
            .enumerate()
            .map(|(i, p)| Property {
                expectation: p.expectation.clone(),
                name: p.name,
                condition: forwarding::<M>(i),
            })
            .collect()
    }

    fn within_boundary(&self, state: &Self::State) -> bool {
        self.model.within_boundary(state)
    }
}

/// Serves the Explorer for `model` on `address` until the process ends.
///
/// stateright's `serve` binds with `unwrap` (an address in use panics this thread), never
/// returns, and reads its UI from `./ui/` when that directory exists (its development mode),
/// else from the copy compiled in. It explores on demand: only the states the browser asks
/// for, until "Run to completion".
pub fn serve<M>(model: M, address: SocketAddr)
where
    M: Spec + Send + Sync + 'static,
    M::State: Debug + Hash + Send + Sync + Clone + PartialEq,
    M::Action: Debug + Send + Sync + Clone + PartialEq,
{
    Explorable::new(model).checker().serve(address);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{build_port, builtin, Entry, Port, Registry};
    use flashcheck_models::breaker::Breaker;
    use flashcheck_models::breaker_seed::BreakerSeed;
    use flashcheck_models::inventory::{Inventory, InventoryAction};
    use flashcheck_models::inventory_seed::Double11Seed;
    use flashcheck_models::saga::Saga;
    use flashcheck_models::saga_seed::SagaSeed;
    use flashcheck_models::token_bucket::TokenBucket;

    /// Every property of `port`, through the wrapper, agrees with the model's own on every
    /// state within `depth` steps, and the wrapper keeps names and expectations.
    fn assert_forwards<M>(model: M, depth: usize)
    where
        M: Spec + Clone,
        M::State: Debug + Clone,
        M::Action: Debug,
    {
        let wrapped = Explorable::new(model.clone());
        let own = model.properties();
        let forwarded = wrapped.properties();
        assert_eq!(
            own.iter()
                .map(|p| (p.name, p.expectation.clone()))
                .collect::<Vec<_>>(),
            forwarded
                .iter()
                .map(|p| (p.name, p.expectation.clone()))
                .collect::<Vec<_>>()
        );
        let mut frontier = model.init_states();
        for _ in 0..=depth {
            let mut next = Vec::new();
            for state in &frontier {
                for (p, q) in own.iter().zip(&forwarded) {
                    assert_eq!(
                        (p.condition)(&model, state),
                        (q.condition)(&wrapped, state),
                        "{} on {state:?}",
                        p.name
                    );
                }
                next.extend(model.next_states(state));
            }
            frontier = next;
        }
    }

    #[test]
    fn every_port_is_explorable_and_forwards_its_properties() {
        fn forwards<M>(port: &Port)
        where
            M: Spec + Clone + 'static,
            M::State: Debug + Clone,
            M::Action: Debug,
        {
            assert_forwards(port.model::<M>().expect("the entry's type").clone(), 4)
        }
        type Forwards = fn(&Port);
        let types: [(&Entry, Forwards); 7] = [
            (&builtin::INVENTORY_SEED, forwards::<Double11Seed>),
            (&builtin::INVENTORY, forwards::<Inventory>),
            (&builtin::SAGA_SEED, forwards::<SagaSeed>),
            (&builtin::SAGA, forwards::<Saga>),
            (&builtin::BREAKER_SEED, forwards::<BreakerSeed>),
            (&builtin::BREAKER, forwards::<Breaker>),
            (&builtin::TOKEN_BUCKET, forwards::<TokenBucket>),
        ];
        assert_eq!(types.len(), Registry::builtin().entries().len());
        for (entry, forwards) in types {
            let (_, port) = build_port(entry, &[], None).expect("defaults build");
            forwards(&port);
        }
    }

    #[test]
    fn steps_show_tla_names_and_variables() {
        let (_, port) = build_port(&builtin::INVENTORY, &[], None).unwrap();
        let wrapped = Explorable::new(port.model::<Inventory>().unwrap().clone());
        let init = &wrapped.init_states()[0];
        let reserve = InventoryAction::Reserve(1);
        assert_eq!(wrapped.format_action(&reserve), "Reserve(1)");
        let shown = wrapped.format_step(init, reserve).unwrap();
        let view: serde_json::Value = serde_json::from_str(&shown).unwrap();
        assert_eq!(view["available"], 1, "{shown}");
        assert_eq!(view["phase"][0], "reserved", "{shown}");
    }
}
