//! Runs a model through stateright's DFS checker over the whole state space, with limits.
//!
//! stateright stops expanding states once every property has a discovery, and its
//! `target_state_count` counts generated rather than distinct states. Both are wrong for a
//! model checker whose state count is compared with TLC's, so the model is wrapped in
//! [`Exhaustive`], which adds one `always` property that stateright can never discover while
//! the search is within its limits: it stays awake until the space is exhausted, and it
//! counts distinct states and watches the clock to stop the search exactly at a limit.

use stateright::{Checker, HasDiscoveries, Model, Property};
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The name of the sentinel property; never shown to users.
const SENTINEL: &str = "__flashcheck_within_limits";

/// Limits on one search.
#[derive(Debug, Clone, Copy, Default)]
pub struct Limits {
    /// Stop after expanding this many distinct states.
    pub max_states: Option<u64>,
    /// Stop after this much wall time.
    pub timeout: Option<Duration>,
}

/// The model plus the sentinel property; see the module doc.
struct Exhaustive<M: Model> {
    inner: M,
    properties: Vec<Property<M>>,
    expanded: AtomicU64,
    limit_hit: AtomicBool,
    max_states: u64,
    deadline: Option<Instant>,
}

impl<M: Model> Exhaustive<M> {
    fn within_limits(&self) -> bool {
        let n = self.expanded.fetch_add(1, Ordering::Relaxed) + 1;
        let over = n > self.max_states
            || (n.is_multiple_of(4096) && self.deadline.is_some_and(|d| Instant::now() >= d));
        if over {
            self.limit_hit.store(true, Ordering::Relaxed);
        }
        !over
    }
}

/// stateright properties hold plain `fn` pointers, which cannot capture which inner property
/// they stand for; one monomorphised function per index does the capturing instead.
fn inner_property<M: Model, const I: usize>(m: &Exhaustive<M>, s: &M::State) -> bool {
    (m.properties[I].condition)(&m.inner, s)
}

macro_rules! inner_properties {
    ($($i:literal)*) => {
        fn property_table<M: Model>() -> Vec<fn(&Exhaustive<M>, &M::State) -> bool> {
            vec![$(inner_property::<M, $i>),*]
        }
    };
}
inner_properties!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23);

impl<M: Model> Model for Exhaustive<M> {
    type State = M::State;
    type Action = M::Action;

    fn init_states(&self) -> Vec<Self::State> {
        self.inner.init_states()
    }

    fn actions(&self, state: &Self::State, actions: &mut Vec<Self::Action>) {
        self.inner.actions(state, actions)
    }

    fn next_state(&self, state: &Self::State, action: Self::Action) -> Option<Self::State> {
        self.inner.next_state(state, action)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        let table = property_table::<M>();
        let mut properties: Vec<Property<Self>> = self
            .properties
            .iter()
            .zip(table)
            .map(|(p, condition)| Property {
                expectation: p.expectation.clone(),
                name: p.name,
                condition,
            })
            .collect();
        properties.push(Property::always(SENTINEL, |m: &Self, _| m.within_limits()));
        properties
    }

    fn within_boundary(&self, state: &Self::State) -> bool {
        self.inner.within_boundary(state)
    }
}

/// What the DFS pass found.
#[derive(Debug)]
pub struct SafetyRun<M: Model> {
    /// Distinct states reached.
    pub distinct_states: u64,
    /// States generated, duplicates included.
    pub generated_states: u64,
    /// The deepest DFS path, in states (equal to TLC's BFS depth on graded state spaces).
    pub dfs_depth: u64,
    /// False when a limit stopped the search.
    pub complete: bool,
    /// For each property with a discovery (violated `always`, reached `sometimes`): the path
    /// stateright found (not necessarily the shortest).
    pub discoveries: HashMap<&'static str, stateright::Path<M::State, M::Action>>,
}

/// The largest number of stateright properties a model may have.
pub const MAX_PROPERTIES: usize = 24;

/// Explores every state of `model` reachable within `limits` with stateright's DFS and
/// evaluates its `always` and `sometimes` properties (its `eventually` properties are
/// ignored: liveness is judged by [`super::liveness`]).
pub fn run<M>(model: M, limits: Limits, threads: usize) -> SafetyRun<M>
where
    M: Model + Send + Sync + 'static,
    M::State: Clone + std::fmt::Debug + PartialEq + std::hash::Hash + Send + Sync,
    M::Action: Clone + std::fmt::Debug + PartialEq + Send + Sync,
{
    let properties: Vec<Property<M>> = model
        .properties()
        .into_iter()
        .filter(|p| p.expectation != stateright::Expectation::Eventually)
        .collect();
    assert!(
        properties.len() <= MAX_PROPERTIES,
        "a model has at most {MAX_PROPERTIES} properties"
    );
    let started = Instant::now();
    let wrapped = Exhaustive {
        inner: model,
        properties,
        expanded: AtomicU64::new(0),
        limit_hit: AtomicBool::new(false),
        max_states: limits.max_states.unwrap_or(u64::MAX),
        deadline: limits.timeout.map(|t| started + t),
    };
    let mut builder = wrapped
        .checker()
        .threads(threads.max(1))
        .finish_when(HasDiscoveries::AllOf(BTreeSet::from([SENTINEL])));
    if let Some(t) = limits.timeout {
        builder = builder.timeout(t);
    }
    let checker = builder.spawn_dfs().join();
    let timed_out = limits.timeout.is_some_and(|t| started.elapsed() >= t);
    let limit_hit = checker.model().limit_hit.load(Ordering::Relaxed) || timed_out;
    let discoveries = checker
        .discoveries()
        .into_iter()
        .filter(|(name, _)| *name != SENTINEL)
        .collect();
    SafetyRun {
        distinct_states: checker.unique_state_count() as u64,
        generated_states: checker.state_count() as u64,
        dfs_depth: checker.max_depth() as u64,
        complete: !limit_hit,
        discoveries,
    }
}
