//! The state graph the liveness analysis needs, recorded by the same breadth-first pass that
//! counts states: per state its BFS parent, its outgoing edges with their fairness groups,
//! and the truth of every liveness predicate (goal and trigger, per property instance) —
//! not the states themselves, which a counterexample rebuilds by replay.

/// A state's index in breadth-first order (parents come first).
pub type StateId = u32;

/// Marks an edge whose action is under no fairness.
pub const UNFAIR: u16 = u16::MAX;

/// An outgoing edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edge {
    /// The successor.
    pub target: StateId,
    /// The action's fairness group, or [`UNFAIR`].
    pub group: u16,
}

/// Where each liveness predicate's truth lies in a state's bits: property `k`, instance `i`
/// has its goal at bit `base[k] + 2i` and its trigger at `base[k] + 2i + 1`.
#[derive(Debug, Clone, Default)]
pub struct Truths {
    base: Vec<usize>,
    /// 64-bit words per state.
    pub words: usize,
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
            words: bits.div_ceil(64),
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
    pub parent: Vec<StateId>,
    /// `edges[offsets[i]..offsets[i+1]]` are state `i`'s outgoing edges; only expanded
    /// states have an entry (`offsets.len() - 1` of them).
    pub offsets: Vec<u64>,
    /// All edges, grouped by source, each source's in `Model::actions` order.
    pub edges: Vec<Edge>,
    /// `truths.words` words per state.
    pub bits: Vec<u64>,
    /// The bit layout.
    pub truths: Truths,
    /// False when a limit stopped the exploration.
    pub complete: bool,
}

impl LiveGraph {
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
        self.offsets.len().saturating_sub(1)
    }

    /// State `id`'s outgoing edges (empty unless expanded).
    pub fn successors(&self, id: StateId) -> &[Edge] {
        let i = id as usize;
        match (self.offsets.get(i), self.offsets.get(i + 1)) {
            (Some(&a), Some(&b)) => &self.edges[a as usize..b as usize],
            _ => &[],
        }
    }

    /// Bit `bit` of state `id`.
    pub fn bit(&self, id: StateId, bit: usize) -> bool {
        let w = self.bits[id as usize * self.truths.words + bit / 64];
        w >> (bit % 64) & 1 == 1
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
            + self.offsets.capacity() * 8
            + self.edges.capacity() * std::mem::size_of::<Edge>()
            + self.bits.capacity() * 8) as u64
    }
}
