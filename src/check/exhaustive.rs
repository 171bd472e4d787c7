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
//!
//! The wrapper also answers most duplicate states itself, from a cache of recently generated
//! fingerprints in its `within_boundary` (see [`super::recent`]), so that stateright's
//! fingerprint set, random DRAM accesses under a lock, sees mostly new states.

use super::recent::{Recent, MAX_LOG2_ENTRIES};
use stateright::{Checker, Expectation, HasDiscoveries, Model, Property};
use std::collections::{BTreeSet, HashMap};
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::Sender;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The name of the sentinel property; never shown to users.
/// Short: stateright SipHashes it for every state (a lookup in its map of discoveries).
const SENTINEL: &str = "limits";

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
    /// Fingerprints of states recently let through `within_boundary`; `None` to measure
    /// without it (`FLASHCHECK_RECENT=0`).
    recent: Option<Recent>,
    /// Generated states answered from `recent`: stateright does not count them.
    skipped: AtomicU64,
    /// One stateright thread: `expanded` and `skipped` are bumped with a plain load and
    /// store, not a locked read-modify-write, which waits for all pending stores (10 users /
    /// 6 stock, 5 alternating runs on a quiet machine, min/median wall: 3.35/3.40 s locked,
    /// 3.03/3.17 s plain).
    single_thread: bool,
    /// Told the name of each property when it is first discovered; taken (closing the
    /// channel) when the search ends.
    on_discovery: Mutex<Option<Sender<&'static str>>>,
}

/// Adds one to `counter` and returns the new value; see `Exhaustive::single_thread`.
fn bump(counter: &AtomicU64, single_thread: bool) -> u64 {
    if single_thread {
        let n = counter.load(Ordering::Relaxed) + 1;
        counter.store(n, Ordering::Relaxed);
        n
    } else {
        counter.fetch_add(1, Ordering::Relaxed) + 1
    }
}

/// stateright 0.31's fingerprint of a state (its private `fingerprint`: ahash, fixed seeds),
/// written as stateright writes it (ahash's `hash_one` may take another path).
#[allow(clippy::manual_hash_one)]
fn fingerprint<T: Hash>(value: &T) -> u64 {
    let mut hasher =
        ahash::RandomState::with_seeds(123_456_789_987_654_321, 98_765_432_123_456_789, 0, 0)
            .build_hasher();
    value.hash(&mut hasher);
    hasher.finish()
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
                if let Ok(Some(tx)) = self.on_discovery.lock().as_deref() {
                    // The receiver may have gone (it only speeds the report up).
                    let _ = tx.send(property.name);
                }
            }
        }
        let n = bump(&self.expanded, self.single_thread);
        if let Some(recent) = &self.recent {
            recent.on_expanded(n);
        }
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
    M::State: Clone + Hash,
    M::Action: Clone,
{
    type State = M::State;
    type Action = M::Action;

    fn init_states(&self) -> Vec<Self::State> {
        self.inner.init_states()
    }

    fn actions(&self, state: &Self::State, actions: &mut Vec<Self::Action>) {
        self.inner.actions(state, actions);
        // stateright looks each successor up next: start loading their cache lines now, all
        // at once, instead of one miss after another. It costs a second `next_state` and
        // fingerprint per successor; measured at 10 users / 6 stock with 2^22 entries, min of
        // 5 runs: 5.35 s user without, 3.92 s with.
        if let Some(recent) = self.recent.as_ref().filter(|r| r.wants_prefetch()) {
            for action in actions.iter() {
                if let Some(next) = self.inner.next_state(state, action.clone()) {
                    recent.prefetch(fingerprint(&next));
                }
            }
        }
    }

    fn next_state(&self, state: &Self::State, action: Self::Action) -> Option<Self::State> {
        self.inner.next_state(state, action)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![Property::always(SENTINEL, |m: &Self, s| m.visit(s))]
    }

    /// Also false for a state whose fingerprint is in `recent`: stateright has it already
    /// (see [`super::recent`]). stateright then skips the state as it would a duplicate,
    /// except that it does not count it (`skipped` does) and that it may take the parent
    /// for a terminal state, which matters only to `eventually` properties, and the one
    /// property stateright sees here is an `always`.
    fn within_boundary(&self, state: &Self::State) -> bool {
        let Some(recent) = &self.recent else {
            return self.inner.within_boundary(state);
        };
        let fp = fingerprint(state);
        if recent.contains(fp) {
            bump(&self.skipped, self.single_thread);
            return false;
        }
        if !self.inner.within_boundary(state) {
            return false;
        }
        recent.insert(fp);
        true
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
/// ignored: liveness is judged by [`super::liveness`]). `on_discovery`, if given, is sent the
/// name of each property as soon as it is discovered, and dropped when the search ends.
pub fn run<M>(
    model: M,
    limits: Limits,
    threads: usize,
    progress: bool,
    on_discovery: Option<Sender<&'static str>>,
) -> SafetyRun<M>
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
        recent: (std::env::var_os("FLASHCHECK_RECENT").is_none_or(|v| v != "0"))
            .then(|| Recent::new(MAX_LOG2_ENTRIES)),
        skipped: AtomicU64::new(0),
        single_thread: threads <= 1,
        on_discovery: Mutex::new(on_discovery),
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
    if let Ok(mut tx) = model.on_discovery.lock() {
        tx.take();
    }
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
        generated_states: checker.state_count() as u64 + model.skipped.load(Ordering::Relaxed),
        dfs_depth: checker.max_depth() as u64,
        complete: !limit_hit,
        discoveries,
    }
}
