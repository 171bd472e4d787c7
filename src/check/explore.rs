//! flashcheck's own breadth-first exploration of a model into an explicit state graph.
//!
//! stateright's checkers keep fingerprints, not the graph, and its BFS does not return
//! shortest paths (a discovery is overwritten by later, longer ones). This explorer keeps
//! every state, each state's BFS parent (so paths to any state are shortest) and every edge
//! with its fairness group: what shortest counterexamples and liveness under fairness need.

use flashcheck_models::Spec;
use std::hash::Hash;

use std::time::Instant;

/// Index of a state in [`StateGraph::states`] (BFS order: parents come first).
pub type StateId = u32;

/// A predicate that stops the exploration at the first state satisfying it.
pub type Goal<'a, S> = &'a dyn Fn(&S) -> bool;

/// Marks an edge whose action is under no fairness.
pub const UNFAIR: u16 = u16::MAX;

/// An outgoing edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edge {
    /// The successor.
    pub target: StateId,
    /// The action's fairness group, or [`UNFAIR`].
    pub group: u16,
    /// The action's index among the source state's actions.
    pub action_index: u16,
}

/// The explored graph.
#[derive(Debug)]
pub struct StateGraph<M: Spec> {
    /// Every distinct state, in BFS order; `states[0..init_count]` are initial.
    pub states: Vec<M::State>,
    /// How many initial states there are.
    pub init_count: usize,
    /// `parent[i]`: the BFS parent of state `i` and the edge index used (`u32::MAX` for
    /// initial states).
    pub parent: Vec<(StateId, u16)>,
    /// `edges[offsets[i]..offsets[i+1]]` are state `i`'s outgoing edges (only when the graph
    /// was explored with edges kept).
    pub offsets: Vec<u64>,
    /// All edges, grouped by source.
    pub edges: Vec<Edge>,
    /// States generated, duplicates included (TLC's "states generated").
    pub generated: u64,
    /// Number of BFS levels (TLC's depth).
    pub depth: u64,
    /// False when exploration stopped at a limit or at the first goal state.
    pub complete: bool,
}

/// What to keep and when to stop.
#[derive(Debug, Clone, Copy)]
pub struct ExploreOptions {
    /// Keep edges (liveness needs them; shortest paths do not).
    pub keep_edges: bool,
    /// Stop after this many distinct states.
    pub max_states: u64,
    /// Stop at this instant.
    pub deadline: Option<Instant>,
}

fn hash_state<S: Hash>(state: &S) -> u64 {
    ahash::RandomState::with_seeds(1, 2, 3, 4).hash_one(state)
}

/// The states' hash index: open addressing with linear probing, at most 3/4 full. A slot
/// is 8 bytes: the upper 32 bits of the state's hash and its id plus one (0: empty). The
/// home slot is given by the hash's top bits, so growing reads no state, and a state is
/// read to compare only when those 32 bits match.
///
/// Why not `hashbrown`: past ~10^6 states each lookup is a few random DRAM accesses (the
/// control byte, the bucket, the state), and a BFS step looks up all of a state's
/// successors; this index lets the caller prefetch all of them first so that the accesses
/// overlap ([`Index::prefetch`], [`Index::prefetch_state`]). Measured with the shortest
/// witness of `sold_out_reachable` at 10 users / 6 stock (1.23 M states): 0.37-0.42 s with
/// `hashbrown`, 0.26-0.28 s with this.
struct Index {
    slots: Vec<u64>,
    /// log2 of `slots.len()` (at most 32: ids are `u32`).
    bits: u32,
    len: usize,
}

/// Starts loading the cache line at `p`; a hint, it cannot fault.
#[inline]
fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch hint; any address is allowed.
    #[allow(unused_unsafe)]
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

impl Index {
    fn new() -> Self {
        Index {
            slots: vec![0; 1 << 10],
            bits: 10,
            len: 0,
        }
    }

    fn tag(hash: u64) -> u64 {
        hash >> 32
    }

    fn home(&self, tag: u64) -> usize {
        (tag >> (32 - self.bits)) as usize
    }

    /// Starts loading the slot where the lookup of `hash` begins.
    fn prefetch(&self, hash: u64) {
        prefetch(&self.slots[self.home(Self::tag(hash))]);
    }

    /// Starts loading the state of the home slot of `hash` if its tag matches (call after
    /// [`Index::prefetch`], when the slot is cached).
    fn prefetch_state<S>(&self, hash: u64, states: &[S]) {
        let tag = Self::tag(hash);
        let slot = self.slots[self.home(tag)];
        if slot >> 32 == tag && slot as u32 != 0 {
            if let Some(s) = states.get(slot as u32 as usize - 1) {
                prefetch(s);
            }
        }
    }

    /// The id of the state with hash `hash` for which `eq` holds, or the empty slot where
    /// it would go.
    fn find(&self, hash: u64, eq: impl Fn(StateId) -> bool) -> Result<StateId, usize> {
        let tag = Self::tag(hash);
        let mask = self.slots.len() - 1;
        let mut i = self.home(tag);
        loop {
            let slot = self.slots[i];
            let id_plus_one = slot as u32;
            if id_plus_one == 0 {
                return Err(i);
            }
            if slot >> 32 == tag && eq(id_plus_one - 1) {
                return Ok(id_plus_one - 1);
            }
            i = (i + 1) & mask;
        }
    }

    /// Fills the empty slot `at` (from [`Index::find`]), growing the index if it is then
    /// more than 3/4 full.
    fn insert_at(&mut self, at: usize, hash: u64, id: StateId) {
        self.slots[at] = Self::tag(hash) << 32 | u64::from(id + 1);
        self.len += 1;
        if self.len * 4 > self.slots.len() * 3 && self.bits < 32 {
            self.bits += 1;
            let old = std::mem::replace(&mut self.slots, vec![0; 1 << self.bits]);
            let mask = self.slots.len() - 1;
            for slot in old.into_iter().filter(|&s| s as u32 != 0) {
                let mut i = self.home(slot >> 32);
                while self.slots[i] != 0 {
                    i = (i + 1) & mask;
                }
                self.slots[i] = slot;
            }
        }
    }
}

impl<M: Spec> StateGraph<M>
where
    M::State: Clone + Eq + Hash,
    M::Action: Clone,
{
    /// Explores `model` breadth first until every state is reached, a limit hits, or a state
    /// satisfying `goal` is reached (its id is returned).
    pub fn explore(
        model: &M,
        options: ExploreOptions,
        goal: Option<Goal<'_, M::State>>,
    ) -> (Self, Option<StateId>) {
        let mut graph = StateGraph {
            states: Vec::new(),
            init_count: 0,
            parent: Vec::new(),
            offsets: vec![0],
            edges: Vec::new(),
            generated: 0,
            depth: 0,
            complete: true,
        };
        let mut index = Index::new();
        let intern = |graph: &mut Self,
                      index: &mut Index,
                      state: M::State,
                      hash: u64,
                      parent: (StateId, u16)|
         -> (StateId, bool) {
            let states = &graph.states;
            match index.find(hash, |id| states[id as usize] == state) {
                Ok(id) => (id, false),
                Err(at) => {
                    let id = graph.states.len() as StateId;
                    graph.states.push(state);
                    graph.parent.push(parent);
                    index.insert_at(at, hash, id);
                    (id, true)
                }
            }
        };
        for s in model.init_states() {
            graph.generated += 1;
            let hash = hash_state(&s);
            let (id, new) = intern(&mut graph, &mut index, s, hash, (u32::MAX, u16::MAX));
            if new && goal.is_some_and(|g| g(&graph.states[id as usize])) {
                graph.init_count = graph.states.len();
                graph.complete = false;
                graph.depth = 1;
                return (graph, Some(id));
            }
        }
        graph.init_count = graph.states.len();
        let mut actions = Vec::new();
        // A state's successors: (state, hash, action index, fairness group).
        let mut successors: Vec<(M::State, u64, u16, u16)> = Vec::new();
        let mut level_end = graph.states.len();
        graph.depth = u64::from(!graph.states.is_empty());
        let mut current = 0usize;
        while current < graph.states.len() {
            if current == level_end {
                level_end = graph.states.len();
                graph.depth += 1;
            }
            if graph.states.len() as u64 >= options.max_states
                || (current.is_multiple_of(4096)
                    && options.deadline.is_some_and(|d| Instant::now() >= d))
            {
                graph.complete = false;
                break;
            }
            let state = graph.states[current].clone();
            model.actions(&state, &mut actions);
            // All successors first, so that their lookups' memory accesses overlap: the
            // slots, then the states those slots point to, then the lookups themselves.
            for (action_index, action) in actions.drain(..).enumerate() {
                let group = model.fairness_group(&action).map_or(UNFAIR, |g| g as u16);
                let Some(next) = model.next_state(&state, action) else {
                    continue;
                };
                let hash = hash_state(&next);
                index.prefetch(hash);
                successors.push((next, hash, action_index as u16, group));
            }
            for &(_, hash, _, _) in &successors {
                index.prefetch_state(hash, &graph.states);
            }
            for (next, hash, action_index, group) in successors.drain(..) {
                graph.generated += 1;
                let (target, new) = intern(
                    &mut graph,
                    &mut index,
                    next,
                    hash,
                    (current as StateId, action_index),
                );
                if options.keep_edges {
                    graph.edges.push(Edge {
                        target,
                        group,
                        action_index,
                    });
                }
                if new && goal.is_some_and(|g| g(&graph.states[target as usize])) {
                    graph.complete = false;
                    if target as usize >= level_end {
                        graph.depth += 1;
                    }
                    return (graph, Some(target));
                }
            }
            if options.keep_edges {
                graph.offsets.push(graph.edges.len() as u64);
            }
            current += 1;
        }
        if !graph.complete {
            graph.depth = graph.depth.max(1);
        }
        (graph, None)
    }

    /// State `id`'s outgoing edges (empty unless explored with `keep_edges`).
    pub fn successors(&self, id: StateId) -> &[Edge] {
        let i = id as usize;
        match (self.offsets.get(i), self.offsets.get(i + 1)) {
            (Some(&a), Some(&b)) => &self.edges[a as usize..b as usize],
            _ => &[],
        }
    }

    /// The shortest path from an initial state to `id`, as state ids.
    pub fn path_to(&self, id: StateId) -> Vec<StateId> {
        let mut path = vec![id];
        let mut at = id;
        while self.parent[at as usize].0 != u32::MAX {
            at = self.parent[at as usize].0;
            path.push(at);
        }
        path.reverse();
        path
    }

    /// The action that leads from `from` to `to` (the first one, in action order).
    pub fn action_between(&self, model: &M, from: StateId, to: StateId) -> Option<M::Action> {
        let state = &self.states[from as usize];
        let mut actions = Vec::new();
        model.actions(state, &mut actions);
        actions.into_iter().find(|a| {
            model
                .next_state(state, a.clone())
                .is_some_and(|n| n == self.states[to as usize])
        })
    }

    /// Bytes held by the graph's own vectors (states counted at their inline size).
    pub fn approx_bytes(&self) -> u64 {
        (self.states.capacity() * std::mem::size_of::<M::State>()
            + self.parent.capacity() * std::mem::size_of::<(StateId, u16)>()
            + self.offsets.capacity() * 8
            + self.edges.capacity() * std::mem::size_of::<Edge>()) as u64
    }
}
