//! flashcheck's own breadth-first exploration of a model into an explicit state graph.
//!
//! stateright's checkers keep fingerprints, not the graph, and its BFS does not return
//! shortest paths (a discovery is overwritten by later, longer ones). This explorer keeps
//! every state, each state's BFS parent (so paths to any state are shortest) and every edge
//! with its fairness group: what shortest counterexamples and liveness under fairness need.

use flashcheck_models::Spec;
use hashbrown::HashTable;
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
        let mut index: HashTable<StateId> = HashTable::new();
        let mut intern =
            |graph: &mut Self, state: M::State, parent: (StateId, u16)| -> (StateId, bool) {
                let hash = hash_state(&state);
                let states = &graph.states;
                if let Some(&id) = index.find(hash, |&id| states[id as usize] == state) {
                    return (id, false);
                }
                let id = graph.states.len() as StateId;
                graph.states.push(state);
                graph.parent.push(parent);
                let states = &graph.states;
                index.insert_unique(hash, id, |&id| hash_state(&states[id as usize]));
                (id, true)
            };
        for s in model.init_states() {
            graph.generated += 1;
            let (id, new) = intern(&mut graph, s, (u32::MAX, u16::MAX));
            if new && goal.is_some_and(|g| g(&graph.states[id as usize])) {
                graph.init_count = graph.states.len();
                graph.complete = false;
                graph.depth = 1;
                return (graph, Some(id));
            }
        }
        graph.init_count = graph.states.len();
        let mut actions = Vec::new();
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
            for (action_index, action) in actions.drain(..).enumerate() {
                let group = model.fairness_group(&action).map_or(UNFAIR, |g| g as u16);
                let Some(next) = model.next_state(&state, action) else {
                    continue;
                };
                graph.generated += 1;
                let (target, new) =
                    intern(&mut graph, next, (current as StateId, action_index as u16));
                if options.keep_edges {
                    graph.edges.push(Edge {
                        target,
                        group,
                        action_index: action_index as u16,
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
