//! One wrapper for the tests' broken variants: a built-in model with one deliberate flaw.
//! A [`Flaw`] overrides only what it breaks (a step, the enabled actions, fairness, which
//! properties are kept); everything else — properties, liveness, view, names, constants — is
//! the inner model's, evaluated on the inner model, so a test states its bug and nothing else.
//! `deadlock_free` too asks the inner model: a flaw that bounds its own state space (so that
//! a broken counter stays finite) must not show up as a deadlock.

use flashcheck_models::spec::{InstancePredicate, Liveness, Spec};
use stateright::{Expectation, Model, Property};
use std::fmt::Debug;
use std::sync::Arc;

/// What a broken variant changes; every method defaults to the inner model's behaviour.
pub trait Flaw<M: Spec>: Clone + Debug + Send + Sync + 'static {
    /// The flawed successor of `s` under `a`.
    fn next_state(&self, inner: &M, s: &M::State, a: M::Action) -> Option<M::State> {
        inner.next_state(s, a)
    }
    /// The actions enabled in `s` (by default the inner model's).
    fn actions(&self, inner: &M, s: &M::State, out: &mut Vec<M::Action>) {
        inner.actions(s, out)
    }
    /// The fairness group of `a`.
    fn fairness_group(&self, inner: &M, a: &M::Action) -> Option<usize> {
        inner.fairness_group(a)
    }
    /// Whether the variant keeps the inner model's property (safety, liveness or
    /// persistence) named `name`.
    fn keeps(&self, _name: &str) -> bool {
        true
    }
}

/// The most properties of each kind a wrapped model may have.
const MAX: usize = 16;

/// A built-in model with one [`Flaw`].
#[derive(Clone)]
pub struct Mutant<M: Spec, F> {
    /// The model the flaw is planted in.
    pub inner: M,
    /// The flaw.
    pub flaw: F,
    properties: Arc<Vec<Property<M>>>,
    liveness: Arc<Vec<Liveness<M>>>,
    persistence: Arc<Vec<Liveness<M>>>,
}

impl<M: Spec + Debug, F: Debug> Debug for Mutant<M, F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mutant")
            .field("inner", &self.inner)
            .field("flaw", &self.flaw)
            .finish()
    }
}

impl<M: Spec, F: Flaw<M>> Mutant<M, F> {
    /// `inner` with `flaw` planted in it.
    pub fn new(inner: M, flaw: F) -> Self {
        let properties = Arc::new(inner.properties());
        let liveness = Arc::new(inner.liveness());
        let persistence = Arc::new(inner.persistence());
        assert!(properties.len() <= MAX && liveness.len() <= MAX && persistence.len() <= MAX);
        Mutant {
            inner,
            flaw,
            properties,
            liveness,
            persistence,
        }
    }

    fn condition<const I: usize>(m: &Self, s: &M::State) -> bool {
        (m.properties[I].condition)(&m.inner, s)
    }
    fn live_goal<const I: usize>(m: &Self, s: &M::State, i: usize) -> bool {
        (m.liveness[I].goal)(&m.inner, s, i)
    }
    fn live_trigger<const I: usize>(m: &Self, s: &M::State, i: usize) -> bool {
        m.liveness[I].trigger.is_some_and(|t| t(&m.inner, s, i))
    }
    fn persist_goal<const I: usize>(m: &Self, s: &M::State, i: usize) -> bool {
        (m.persistence[I].goal)(&m.inner, s, i)
    }
    fn persist_trigger<const I: usize>(m: &Self, s: &M::State, i: usize) -> bool {
        m.persistence[I].trigger.is_some_and(|t| t(&m.inner, s, i))
    }

    /// The inner model's liveness (or persistence) properties, re-expressed on the mutant
    /// through `goals[i]` / `triggers[i]`, which evaluate the inner's `i`-th on the inner model.
    fn wrap(
        &self,
        inner: &[Liveness<M>],
        goals: [InstancePredicate<Self>; MAX],
        triggers: [InstancePredicate<Self>; MAX],
    ) -> Vec<Liveness<Self>> {
        inner
            .iter()
            .enumerate()
            .filter(|(_, l)| self.flaw.keeps(l.name))
            .map(|(i, l)| Liveness {
                name: l.name,
                description: l.description,
                instances: l.instances,
                trigger: l.trigger.map(|_| triggers[i]),
                goal: goals[i],
            })
            .collect()
    }
}

/// `[f::<0>, f::<1>, …, f::<15>]`.
macro_rules! indexed {
    ($f:ident) => {
        [
            Self::$f::<0>,
            Self::$f::<1>,
            Self::$f::<2>,
            Self::$f::<3>,
            Self::$f::<4>,
            Self::$f::<5>,
            Self::$f::<6>,
            Self::$f::<7>,
            Self::$f::<8>,
            Self::$f::<9>,
            Self::$f::<10>,
            Self::$f::<11>,
            Self::$f::<12>,
            Self::$f::<13>,
            Self::$f::<14>,
            Self::$f::<15>,
        ]
    };
}

impl<M: Spec, F: Flaw<M>> Model for Mutant<M, F> {
    type State = M::State;
    type Action = M::Action;
    fn init_states(&self) -> Vec<Self::State> {
        self.inner.init_states()
    }
    fn actions(&self, s: &Self::State, out: &mut Vec<Self::Action>) {
        self.flaw.actions(&self.inner, s, out)
    }
    fn next_state(&self, s: &Self::State, a: Self::Action) -> Option<Self::State> {
        self.flaw.next_state(&self.inner, s, a)
    }
    fn properties(&self) -> Vec<Property<Self>> {
        let conditions: [fn(&Self, &M::State) -> bool; MAX] = indexed!(condition);
        self.properties
            .iter()
            .enumerate()
            .filter(|(_, p)| self.flaw.keeps(p.name))
            .map(|(i, p)| match p.expectation {
                Expectation::Always => Property::always(p.name, conditions[i]),
                Expectation::Sometimes => Property::sometimes(p.name, conditions[i]),
                Expectation::Eventually => Property::eventually(p.name, conditions[i]),
            })
            .collect()
    }
}

impl<M: Spec, F: Flaw<M>> Spec for Mutant<M, F> {
    type View = M::View;
    fn view(&self, s: &Self::State) -> Self::View {
        self.inner.view(s)
    }
    fn action_name(&self, a: &Self::Action) -> String {
        self.inner.action_name(a)
    }
    fn fairness_group(&self, a: &Self::Action) -> Option<usize> {
        self.flaw.fairness_group(&self.inner, a)
    }
    fn is_terminal(&self, s: &Self::State) -> bool {
        self.inner.is_terminal(s)
    }
    fn liveness(&self) -> Vec<Liveness<Self>> {
        self.wrap(&self.liveness, indexed!(live_goal), indexed!(live_trigger))
    }
    fn persistence(&self) -> Vec<Liveness<Self>> {
        self.wrap(
            &self.persistence,
            indexed!(persist_goal),
            indexed!(persist_trigger),
        )
    }
    fn describe(&self, property: &str) -> &'static str {
        self.inner.describe(property)
    }
    fn constants(&self) -> Vec<(&'static str, String)> {
        self.inner.constants()
    }
}
