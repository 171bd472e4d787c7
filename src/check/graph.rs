//! The state graph the liveness analysis needs, recorded by the same breadth-first pass that
//! counts states: per state its BFS parent, its outgoing edges with their fairness groups,
//! and the truth of every liveness predicate (goal and trigger, per property instance) —
//! not the states themselves, which a counterexample rebuilds by replay.
//!
//! It is laid out for size, since it holds every edge: an edge is a 4-byte target in one
//! array and a 1-byte fairness group in another (5 bytes, not the 8 of a padded struct); a
//! state's edge range is a 4-byte end relative to a 64-bit base kept once per
//! [`BASE_EVERY`] states; the predicates take the bytes they need, not a 64-bit word.

/// A state's index in breadth-first order (parents come first).
pub type StateId = u32;

/// Marks an edge whose action is under no fairness.
pub const UNFAIR: u8 = u8::MAX;

/// Fairness groups a liveness graph can tell apart (one bit each in the analysis).
pub const MAX_GROUPS: usize = 64;

/// States per 64-bit edge base: each state's edge end is stored as a `u32` relative to its
/// block's base, so a block of this many states may hold up to 2^32 edges.
pub const BASE_EVERY: usize = 1 << 12;

/// An outgoing edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edge {
    /// The successor.
    pub target: StateId,
    /// The action's fairness group (below [`MAX_GROUPS`]), or [`UNFAIR`].
    pub group: u8,
}

/// Why an edge or a state could not be recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum GraphError {
    /// A fairness group beyond what the analysis can tell apart.
    #[error(
        "liveness checking supports fairness groups 0..{MAX_GROUPS}; the model gave group {0}"
    )]
    Group(usize),
    /// More edges than a block's relative ends can hold.
    #[error("liveness checking supports at most 2^32 edges per {BASE_EVERY} consecutive states")]
    Edges,
}

/// Where each liveness predicate's truth lies in a state's bits: property `k`, instance `i`
/// has its goal at bit `base[k] + 2i` and its trigger at `base[k] + 2i + 1`.
#[derive(Debug, Clone, Default)]
pub struct Truths {
    base: Vec<usize>,
    /// Bytes per state.
    pub bytes: usize,
}

impl Truths {
    /// The layout for properties with these instance counts.
    pub fn new(instances: impl IntoIterator<Item = usize>) -> Self {
        let mut base = Vec::new();
        let mut bits = 0;
        for n in instances {
            base.push(bits);
            bits += 2 * n;
        }
        Truths {
            base,
            bytes: bits.div_ceil(8),
        }
    }

    /// The bit of property `k`'s goal for instance `i`.
    pub fn goal(&self, k: usize, i: usize) -> usize {
        self.base[k] + 2 * i
    }

    /// The bit of property `k`'s trigger for instance `i`.
    pub fn trigger(&self, k: usize, i: usize) -> usize {
        self.base[k] + 2 * i + 1
    }
}

/// The explored graph; see the module doc.
#[derive(Debug, Default)]
pub struct LiveGraph {
    /// How many initial states there are (ids `0..init_count`).
    pub init_count: usize,
    /// Each state's BFS parent (`StateId::MAX` for initial states).
    parent: Vec<StateId>,
    /// Per expanded state, the end of its edges minus its block's base.
    ends: Vec<u32>,
    /// Per block of [`BASE_EVERY`] expanded states, the start of its first state's edges.
    bases: Vec<u64>,
    /// All edges' targets, grouped by source, each source's in `Model::actions` order.
    targets: Vec<StateId>,
    /// The edges' fairness groups, beside `targets`.
    groups: Vec<u8>,
    /// `truths.bytes` bytes per state.
    bits: Vec<u8>,
    /// The bit layout.
    pub truths: Truths,
    /// False when a limit stopped the exploration.
    pub complete: bool,
}

impl LiveGraph {
    /// An empty graph with this predicate layout.
    pub fn new(truths: Truths) -> Self {
        LiveGraph {
            truths,
            ..LiveGraph::default()
        }
    }

    /// Records a newly discovered state (the next id) and its parent; returns its predicate
    /// bytes, all false, to be set with [`set_bit`].
    pub fn push_state(&mut self, parent: Option<StateId>) -> &mut [u8] {
        self.parent.push(parent.unwrap_or(StateId::MAX));
        if parent.is_none() {
            self.init_count += 1;
        }
        let at = self.bits.len();
        self.bits.resize(at + self.truths.bytes, 0);
        &mut self.bits[at..]
    }

    /// Records an edge of the state being expanded.
    pub fn push_edge(&mut self, target: StateId, group: Option<usize>) -> Result<(), GraphError> {
        let group = match group {
            None => UNFAIR,
            Some(g) if g < MAX_GROUPS => g as u8,
            Some(g) => return Err(GraphError::Group(g)),
        };
        self.targets.push(target);
        self.groups.push(group);
        Ok(())
    }

    /// Ends the state being expanded: the edges pushed since the last call are its.
    pub fn end_state(&mut self) -> Result<(), GraphError> {
        let i = self.ends.len();
        let total = self.targets.len() as u64;
        if i.is_multiple_of(BASE_EVERY) {
            let start = self.edge_end(i.wrapping_sub(1));
            self.bases.push(start);
        }
        let rel = total - self.bases[i / BASE_EVERY];
        self.ends
            .push(u32::try_from(rel).map_err(|_| GraphError::Edges)?);
        Ok(())
    }

    /// States discovered.
    pub fn len(&self) -> usize {
        self.parent.len()
    }

    /// True when no state was discovered.
    pub fn is_empty(&self) -> bool {
        self.parent.is_empty()
    }

    /// States expanded (their edges recorded).
    pub fn expanded(&self) -> usize {
        self.ends.len()
    }

    /// The end of expanded state `i`'s edges (0 for `i = usize::MAX`, before the first).
    fn edge_end(&self, i: usize) -> u64 {
        match self.ends.get(i) {
            Some(&rel) => self.bases[i / BASE_EVERY] + u64::from(rel),
            None => 0,
        }
    }

    /// Where state `id`'s outgoing edges lie in the edge list (empty unless expanded).
    pub fn edge_range(&self, id: StateId) -> std::ops::Range<usize> {
        let i = id as usize;
        if i < self.ends.len() {
            self.edge_end(i.wrapping_sub(1)) as usize..self.edge_end(i) as usize
        } else {
            0..0
        }
    }

    /// The target of the edge at position `e` of the edge list.
    pub fn target(&self, e: usize) -> StateId {
        self.targets[e]
    }

    /// State `id`'s outgoing edges (none unless expanded).
    pub fn successors(&self, id: StateId) -> impl Iterator<Item = Edge> + '_ {
        let range = self.edge_range(id);
        self.targets[range.clone()]
            .iter()
            .zip(&self.groups[range])
            .map(|(&target, &group)| Edge { target, group })
    }

    /// Bit `bit` of state `id`.
    pub fn bit(&self, id: StateId, bit: usize) -> bool {
        let byte = self.bits[id as usize * self.truths.bytes + bit / 8];
        byte >> (bit % 8) & 1 == 1
    }

    /// The shortest path from an initial state to `id`, as state ids.
    pub fn path_to(&self, id: StateId) -> Vec<StateId> {
        let mut path = vec![id];
        let mut at = id;
        while self.parent[at as usize] != StateId::MAX {
            at = self.parent[at as usize];
            path.push(at);
        }
        path.reverse();
        path
    }

    /// Bytes held by the graph's vectors.
    pub fn bytes(&self) -> u64 {
        (self.parent.capacity() * 4
            + self.ends.capacity() * 4
            + self.bases.capacity() * 8
            + self.targets.capacity() * 4
            + self.groups.capacity()
            + self.bits.capacity()) as u64
    }
}

/// Sets bit `bit` in a state's predicate bytes (from [`LiveGraph::push_state`]).
pub fn set_bit(bytes: &mut [u8], bit: usize) {
    bytes[bit / 8] |= 1 << (bit % 8);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edges_survive_the_relative_ends_across_blocks() {
        let mut g = LiveGraph::new(Truths::new([3]));
        let n = 2 * BASE_EVERY + 7;
        for s in 0..n {
            let bytes = g.push_state(s.checked_sub(1).map(|p| p as StateId));
            if s % 3 == 0 {
                set_bit(bytes, 5);
            }
        }
        for s in 0..n {
            // state s has s % 5 edges, to s + 1 .. with groups s % 7 (6 = unfair)
            for k in 0..s % 5 {
                let group = (s % 7 != 6).then_some(s % 7);
                g.push_edge(((s + k + 1) % n) as StateId, group).unwrap();
            }
            g.end_state().unwrap();
        }
        assert_eq!(g.expanded(), n);
        assert_eq!(g.init_count, 1);
        for s in 0..n {
            let edges: Vec<Edge> = g.successors(s as StateId).collect();
            assert_eq!(edges.len(), s % 5, "state {s}");
            for (k, e) in edges.iter().enumerate() {
                assert_eq!(e.target as usize, (s + k + 1) % n);
                let group = if s % 7 == 6 { UNFAIR } else { (s % 7) as u8 };
                assert_eq!(e.group, group);
            }
            assert_eq!(g.bit(s as StateId, 5), s % 3 == 0);
            assert!(!g.bit(s as StateId, 4));
        }
        assert_eq!(g.successors(n as StateId).count(), 0);
        assert_eq!(g.path_to(3), vec![0, 1, 2, 3]);
    }

    #[test]
    fn a_group_the_analysis_cannot_tell_apart_is_refused() {
        let mut g = LiveGraph::new(Truths::new([1]));
        g.push_state(None);
        assert_eq!(g.push_edge(0, Some(63)), Ok(()));
        assert_eq!(g.push_edge(0, Some(64)), Err(GraphError::Group(64)));
    }
}
