//! Strongly connected components of the liveness graph's `inside` states, one at a time:
//! Pearce's space-efficient variant of Tarjan's algorithm ("A space-efficient algorithm for
//! finding strongly connected components", IPL 2016; Algorithm 3, as petgraph's `TarjanScc`
//! has it), made iterative so that a long path cannot overflow the thread's stack, with one
//! `u32` per state rather than a `usize`.
//!
//! Components are reported in the same order and with their states in the same order as
//! petgraph's recursive version (the liveness counterexamples depend on it).

use super::graph::{LiveGraph, StateId};

/// One DFS frame: the state, the next of its edges to follow and the end of its edges
/// (positions in the graph's edge list), and whether it is still its component's root
/// candidate.
struct Frame {
    v: StateId,
    root: bool,
    next: usize,
    end: usize,
}

impl Frame {
    fn new(graph: &LiveGraph, v: StateId) -> Self {
        let edges = graph.edge_range(v);
        Frame {
            v,
            root: true,
            next: edges.start,
            end: edges.end,
        }
    }
}

/// Calls `each` with every strongly connected component of the subgraph of `graph` induced
/// by the states marked in `inside` (edges to other states are ignored), in the order
/// Tarjan's algorithm completes them (a component before any that reaches it).
pub fn for_each_scc(graph: &LiveGraph, inside: &[bool], mut each: impl FnMut(&[StateId])) {
    let n = inside.len();
    // 0: not visited; below `component`: the DFS index (or the lowest one reached);
    // from `component` up: done, in a component.
    let mut rindex = vec![0u32; n];
    let mut index: u32 = 1;
    let mut component: u32 = u32::MAX;
    let mut stack: Vec<StateId> = Vec::new();
    let mut calls: Vec<Frame> = Vec::new();
    for start in 0..n {
        if !inside[start] || rindex[start] != 0 {
            continue;
        }
        rindex[start] = index;
        index += 1;
        calls.push(Frame::new(graph, start as StateId));
        while let Some(top) = calls.last_mut() {
            let v = top.v;
            // v's next successor inside, if any.
            let mut w = None;
            while top.next < top.end {
                let t = graph.target(top.next);
                top.next += 1;
                if inside.get(t as usize) == Some(&true) {
                    w = Some(t);
                    break;
                }
            }
            if let Some(w) = w {
                if rindex[w as usize] == 0 {
                    rindex[w as usize] = index;
                    index += 1;
                    calls.push(Frame::new(graph, w));
                } else if rindex[w as usize] < rindex[v as usize] {
                    rindex[v as usize] = rindex[w as usize];
                    top.root = false;
                }
                continue;
            }
            // v is finished.
            let root = top.root;
            calls.pop();
            if root {
                let mut adjust = 1;
                let rv = rindex[v as usize];
                let first = stack
                    .iter()
                    .rposition(|&w| {
                        if rv > rindex[w as usize] {
                            true
                        } else {
                            rindex[w as usize] = component;
                            adjust += 1;
                            false
                        }
                    })
                    .map_or(0, |x| x + 1);
                rindex[v as usize] = component;
                stack.push(v);
                each(&stack[first..]);
                stack.truncate(first);
                index -= adjust;
                component -= 1;
            } else {
                stack.push(v);
            }
            // Back in the caller: the edge to v is followed.
            if let Some(caller) = calls.last_mut() {
                if rindex[v as usize] < rindex[caller.v as usize] {
                    rindex[caller.v as usize] = rindex[v as usize];
                    caller.root = false;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::graph::Truths;
    use petgraph::visit::{GraphBase, IntoNeighbors, IntoNodeIdentifiers, NodeIndexable};
    use proptest::prelude::*;

    fn graph(n: usize, edges: &[(usize, usize)]) -> LiveGraph {
        let mut g = LiveGraph::new(Truths::new([1]));
        for _ in 0..n {
            g.push_state(None);
        }
        let mut out = vec![Vec::new(); n];
        for &(s, t) in edges {
            out[s].push(t);
        }
        for targets in out {
            for t in targets {
                g.push_edge(t as StateId, None).unwrap();
            }
            g.end_state().unwrap();
        }
        g
    }

    /// The subgraph as petgraph's recursive `TarjanScc` sees it (what liveness used before).
    struct Masked<'a> {
        graph: &'a LiveGraph,
        inside: &'a [bool],
    }
    impl GraphBase for Masked<'_> {
        type NodeId = StateId;
        type EdgeId = (StateId, StateId);
    }
    impl<'a> IntoNeighbors for &'a Masked<'a> {
        type Neighbors = std::vec::IntoIter<StateId>;
        fn neighbors(self, n: StateId) -> Self::Neighbors {
            let inside = self.inside;
            let v: Vec<StateId> = self
                .graph
                .successors(n)
                .map(|e| e.target)
                .filter(|&t| inside[t as usize])
                .collect();
            v.into_iter()
        }
    }
    impl<'a> IntoNodeIdentifiers for &'a Masked<'a> {
        type NodeIdentifiers = std::vec::IntoIter<StateId>;
        fn node_identifiers(self) -> Self::NodeIdentifiers {
            let v: Vec<StateId> = (0..self.inside.len() as StateId)
                .filter(|&n| self.inside[n as usize])
                .collect();
            v.into_iter()
        }
    }
    impl NodeIndexable for &Masked<'_> {
        fn node_bound(&self) -> usize {
            self.inside.len()
        }
        fn to_index(&self, n: StateId) -> usize {
            n as usize
        }
        fn from_index(&self, i: usize) -> StateId {
            i as StateId
        }
    }

    proptest! {
        #[test]
        fn components_and_their_order_are_petgraphs(
            n in 1usize..24,
            raw in proptest::collection::vec((0usize..24, 0usize..24), 0..60),
            outside in proptest::collection::vec(0usize..24, 0..6),
        ) {
            let edges: Vec<(usize, usize)> =
                raw.into_iter().map(|(a, b)| (a % n, b % n)).collect();
            let g = graph(n, &edges);
            let mut inside = vec![true; n];
            for o in outside {
                inside[o % n] = false;
            }
            let mut ours = Vec::new();
            for_each_scc(&g, &inside, |c| ours.push(c.to_vec()));
            let mut theirs = Vec::new();
            petgraph::algo::TarjanScc::new()
                .run(&Masked { graph: &g, inside: &inside }, |c| theirs.push(c.to_vec()));
            prop_assert_eq!(ours, theirs);
        }
    }

    #[test]
    fn a_cycle_of_a_million_states_needs_no_deep_stack() {
        let n = 1_000_000;
        let edges: Vec<(usize, usize)> = (0..n).map(|s| (s, (s + 1) % n)).collect();
        let g = graph(n, &edges);
        let mut sizes = Vec::new();
        for_each_scc(&g, &vec![true; n], |c| sizes.push(c.len()));
        assert_eq!(sizes, vec![n]);
    }
}
