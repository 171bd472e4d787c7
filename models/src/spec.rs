//! The [`Spec`] trait: what a TLA+ spec states beyond stateright's `Model`.
//!
//! stateright's `eventually` properties know no fairness and are unsound on cyclic state
//! graphs, so liveness lives here as [`Liveness`] and is checked by flashcheck's own pass over
//! the explored graph, under weak fairness of each group returned by [`Spec::fairness_group`].

use serde::Serialize;
use stateright::Model;

/// A state predicate of one property instance (`i`, e.g. the 0-based user).
pub type InstancePredicate<M> = fn(&M, &<M as Model>::State, usize) -> bool;

/// A liveness property `\A i \in 0..instances : trigger(i) ~> goal(i)`, or
/// `\A i : <>goal(i)` when there is no trigger. Returned by [`Spec::persistence`] instead of
/// [`Spec::liveness`], the goal is `[]goal(i)`: `trigger(i) ~> []goal(i)` or `<>[]goal(i)`.
///
/// Quantified properties (one obligation per user) are checked instance by instance; the
/// property is violated when any instance is, and the counterexample names that instance.
pub struct Liveness<M: Model> {
    /// The property's name, identical to the TLA+ operator's.
    pub name: &'static str,
    /// One sentence saying what the property means.
    pub description: &'static str,
    /// How many instances the universal quantifier ranges over (1 when unquantified).
    pub instances: usize,
    /// `Some(p)`: `p(i) ~> goal(i)`; `None`: `<>goal(i)` from every initial state.
    pub trigger: Option<InstancePredicate<M>>,
    /// The state predicate that must eventually hold.
    pub goal: InstancePredicate<M>,
}

impl<M: Model> std::fmt::Debug for Liveness<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Liveness")
            .field("name", &self.name)
            .field("instances", &self.instances)
            .field("leads_to", &self.trigger.is_some())
            .finish()
    }
}

/// A stateright model that is the port of a TLA+ spec.
///
/// Contract the checkers rely on:
/// - `Model::actions` returns only enabled actions, and `next_state` returns `Some` for each
///   of them, so a state with no actions has no successor (it deadlocks unless
///   [`Spec::is_terminal`]);
/// - `init_states` and `actions` are deterministic (no hash-ordered iteration): counterexample
///   paths are replayed by action index;
/// - an action never maps a state to itself (TLA+ treats such a step as stuttering, which
///   neither takes nor enables a fair action).
pub trait Spec: Model {
    /// The state as the TLA+ twin's variables, for counterexample traces.
    type View: Serialize;

    /// The TLA+ variables of `state`, by name.
    fn view(&self, state: &Self::State) -> Self::View;

    /// The action as TLA+ names it, e.g. `Reserve(2)`.
    fn action_name(&self, action: &Self::Action) -> String;

    /// The weak-fairness group (`WF_vars(User(u))` → `u`) the action belongs to, or `None` for
    /// an action under no fairness.
    fn fairness_group(&self, action: &Self::Action) -> Option<usize>;

    /// True when the behaviour has ended on purpose (PlusCal's `Terminating`): stuttering here
    /// forever is not a deadlock.
    fn is_terminal(&self, state: &Self::State) -> bool;

    /// The model's liveness properties.
    fn liveness(&self) -> Vec<Liveness<Self>>
    where
        Self: Sized;

    /// The model's persistence properties: each [`Liveness`] here means
    /// `trigger(i) ~> []goal(i)` (or `<>[]goal(i)` without a trigger), "from some point on the
    /// goal holds for good". None by default.
    fn persistence(&self) -> Vec<Liveness<Self>>
    where
        Self: Sized,
    {
        Vec::new()
    }

    /// One sentence for each `always`/`sometimes` property, by name.
    fn describe(&self, property: &str) -> &'static str;

    /// The constants, by their TLA+ names, as TLA+ would write them.
    fn constants(&self) -> Vec<(&'static str, String)>;

    /// True when `state` has a successor or is terminal: TLC's deadlock check. It runs on
    /// every state; a model may override it to avoid allocating an action list.
    fn deadlock_free(&self, state: &Self::State) -> bool {
        if self.is_terminal(state) {
            return true;
        }
        let mut actions = Vec::new();
        self.actions(state, &mut actions);
        !actions.is_empty()
    }
}
