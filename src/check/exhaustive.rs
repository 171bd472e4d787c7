//! Runs a model through stateright's DFS checker over the whole state space, with limits.
//!
//! stateright stops expanding states once every property has a discovery, its
//! `target_state_count` counts generated rather than distinct states, and its DFS looks every
//! property up by name in a SipHash-ed map for every state (measured: ~23% of all
//! instructions with six properties). So stateright is given the model wrapped in
//! [`Exhaustive`], which has exactly one `always` property: it evaluates the model's own
//! `always`/`sometimes` properties (each until its first discovery, flagged atomically), counts
//! distinct states and watches the clock, and is discovered only when a limit is reached. The
//! search therefore stays exhaustive until the space is done or a limit stops it exactly.

use stateright::{Checker, Expectation, HasDiscoveries, Model, Property};
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The name of the sentinel property; never shown to users.
const SENTINEL: &str = "__flashcheck_within_limits";

/// Limits on one search.
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
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
    discovered: Vec<AtomicBool>,
    first_states: Mutex<Vec<Option<M::State>>>,
    expanded: AtomicU64,
    limit_hit: AtomicBool,
    max_states: u64,
    deadline: Option<Instant>,
}

impl<M: Model> Exhaustive<M>
where
    M::State: Clone,
{
    /// Evaluates every undiscovered property on `state`; false once a limit is reached.
    fn visit(&self, state: &M::State) -> bool {
        for (i, property) in self.properties.iter().enumerate() {
            if self.discovered[i].load(Ordering::Relaxed) {
                continue;
            }
            let holds = (property.condition)(&self.inner, state);
            let found = match property.expectation {
                Expectation::Always => !holds,
                Expectation::Sometimes => holds,
                Expectation::Eventually => false,
            };
            if found && !self.discovered[i].swap(true, Ordering::Relaxed) {
                if let Ok(mut states) = self.first_states.lock() {
                    states[i] = Some(state.clone());
                }
            }
        }
        let n = self.expanded.fetch_add(1, Ordering::Relaxed) + 1;
        let over = n > self.max_states
            || (n.is_multiple_of(4096) && self.deadline.is_some_and(|d| Instant::now() >= d));
        if over {
            self.limit_hit.store(true, Ordering::Relaxed);
        }
        !over
    }
}

impl<M: Model> Model for Exhaustive<M>
where
    M::State: Clone,
{
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
        vec![Property::always(SENTINEL, |m: &Self, s| m.visit(s))]
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
    /// For each property with a discovery (violated `always`, reached `sometimes`): the first
    /// state found (its shortest path is computed separately).
    pub discoveries: HashMap<&'static str, M::State>,
}

/// A progress bar on stderr (distinct states, states/s) until the search ends.
fn show_progress<M: Model>(checker: &impl Checker<M>, started: Instant) {
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {elapsed} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    while !checker.is_done() {
        let n = checker.unique_state_count();
        let rate = n as f64 / started.elapsed().as_secs_f64().max(1e-9);
        bar.set_message(format!("{n} distinct states, {rate:.0}/s"));
        bar.tick();
        std::thread::sleep(Duration::from_millis(100));
    }
    bar.finish_and_clear();
}

/// Explores every state of `model` reachable within `limits` with stateright's DFS and
/// evaluates its `always` and `sometimes` properties (its `eventually` properties are
/// ignored: liveness is judged by [`super::liveness`]).
pub fn run<M>(model: M, limits: Limits, threads: usize, progress: bool) -> SafetyRun<M>
where
    M: Model + Send + Sync + 'static,
    M::State: Clone + std::fmt::Debug + PartialEq + std::hash::Hash + Send + Sync,
    M::Action: Clone + std::fmt::Debug + PartialEq + Send + Sync,
{
    let properties: Vec<Property<M>> = model
        .properties()
        .into_iter()
        .filter(|p| p.expectation != Expectation::Eventually)
        .collect();
    let started = Instant::now();
    let wrapped = Exhaustive {
        inner: model,
        discovered: properties.iter().map(|_| AtomicBool::new(false)).collect(),
        first_states: Mutex::new(vec![None; properties.len()]),
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
    let checker = builder.spawn_dfs();
    if progress {
        show_progress(&checker, started);
    }
    let checker = checker.join();
    let timed_out = limits.timeout.is_some_and(|t| started.elapsed() >= t);
    let model = checker.model();
    let limit_hit = model.limit_hit.load(Ordering::Relaxed) || timed_out;
    let first_states = model
        .first_states
        .lock()
        .map(|s| s.clone())
        .unwrap_or_default();
    let discoveries = model
        .properties
        .iter()
        .zip(first_states)
        .filter_map(|(p, s)| s.map(|s| (p.name, s)))
        .collect();
    SafetyRun {
        distinct_states: checker.unique_state_count() as u64,
        generated_states: checker.state_count() as u64,
        dfs_depth: checker.max_depth() as u64,
        complete: !limit_hit,
        discoveries,
    }
}
