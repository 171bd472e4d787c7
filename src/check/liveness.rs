//! Liveness under weak fairness, decided on the explored state graph.
//!
//! A property `\A i : <>goal(i)` (or `trigger(i) ~> goal(i)`) is violated exactly when some
//! fair behaviour stays in `~goal(i)` forever after its start. Such a behaviour ends in a
//! strongly connected component C of the `~goal` subgraph (reachable from a start state
//! within `~goal`) that a fair path can stay in. Under weak fairness the best such path visits
//! every state and edge of C infinitely often, so C is fair iff every fairness group that is
//! enabled at *every* state of C is taken on some edge inside C. A state with no fair action
//! enabled (a deadlock, or intended termination) stutters forever, as in TLC: a one-state C
//! with no internal edge is fair iff no group is enabled there.
//!
//! A persistence property `trigger(i) ~> []goal(i)` ([`check_persistent`]) is violated exactly
//! when a fair behaviour passes a trigger state and then visits `~goal(i)` infinitely often.
//! The states a behaviour visits infinitely often form a strongly connected set S that is
//! fair (every group enabled throughout S is taken inside S); S lies in one SCC C of the
//! graph reachable from the trigger states, and C is then fair too (fewer groups are enabled
//! throughout C, more are taken in it). Conversely a fair C containing a `~goal` state yields
//! the behaviour that cycles through all of C. So: violated iff some fair SCC reachable from
//! a trigger state contains a `~goal` state; the lasso's cycle starts at that state.
//!
//! On an incomplete graph, unexpanded frontier states are left out: a fair cycle among
//! expanded states is still a real counterexample, but "holds" needs the whole graph.

use super::graph::{LiveGraph, StateId, UNFAIR};
use super::scc::for_each_scc;
use std::collections::VecDeque;

/// A lasso: `path[..]` is followed by a step from its last state back to `path[cycle_start]`
/// (the same state when the behaviour stutters there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lasso {
    /// States from an initial state; the last one steps back to `path[cycle_start]`.
    pub path: Vec<StateId>,
    /// Where the cycle starts.
    pub cycle_start: usize,
    /// The property instance violated (e.g. the 0-based user).
    pub instance: usize,
}

/// The result for one liveness property.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LivenessVerdict {
    /// No fair counterexample in the complete graph.
    Holds {
        /// True when every instance's goal holds in every initial state (`<>P` with P
        /// initially true): the property asserts nothing.
        vacuous: bool,
    },
    /// A fair behaviour never reaches the goal.
    Violated(Lasso),
    /// The graph is incomplete and no counterexample was found in its explored part.
    Unknown,
}

fn group_bit(group: u8) -> u64 {
    if group == UNFAIR {
        0
    } else {
        1u64 << group
    }
}

/// The fairness groups enabled at `s`: those of its outgoing edges.
fn enabled(graph: &LiveGraph, s: StateId) -> u64 {
    graph.successors(s).fold(0, |m, e| m | group_bit(e.group))
}

/// The property to check: its index `k` in the graph's [`Truths`](super::graph::Truths)
/// layout, its instance count and whether it has a trigger.
#[derive(Debug, Clone, Copy)]
pub struct Question {
    /// Index in the truth layout.
    pub k: usize,
    /// Instances of the universal quantifier.
    pub instances: usize,
    /// `trigger(i) ~> …` rather than `<>…`.
    pub has_trigger: bool,
}

fn goals(graph: &LiveGraph, q: Question, instance: usize) -> Vec<bool> {
    let bit = graph.truths.goal(q.k, instance);
    (0..graph.len() as StateId)
        .map(|s| graph.bit(s, bit))
        .collect()
}

/// Checks `trigger(i) ~> goal(i)` (or `<>goal(i)`) on `graph`.
pub fn check(graph: &LiveGraph, q: Question) -> LivenessVerdict {
    let expanded = graph.expanded();
    let mut vacuous = !q.has_trigger;
    for instance in 0..q.instances {
        let goal = goals(graph, q, instance);
        let trigger = graph.truths.trigger(q.k, instance);
        let starts: Vec<StateId> = if q.has_trigger {
            (0..graph.len() as StateId)
                .filter(|&s| !goal[s as usize] && graph.bit(s, trigger))
                .collect()
        } else {
            (0..graph.init_count as StateId)
                .filter(|&s| !goal[s as usize])
                .collect()
        };
        if !starts.is_empty() {
            vacuous = false;
        }
        if let Some(lasso) = find_fair_scc(graph, expanded, &goal, &starts, instance) {
            return LivenessVerdict::Violated(lasso);
        }
    }
    if !graph.complete {
        LivenessVerdict::Unknown
    } else {
        LivenessVerdict::Holds { vacuous }
    }
}

/// Checks the persistence property `trigger(i) ~> []goal(i)` (`<>[]goal(i)` without a
/// trigger) on `graph`.
pub fn check_persistent(graph: &LiveGraph, q: Question) -> LivenessVerdict {
    let expanded = graph.expanded();
    let mut vacuous = true;
    for instance in 0..q.instances {
        let goal = goals(graph, q, instance);
        let trigger = graph.truths.trigger(q.k, instance);
        let starts: Vec<StateId> = if q.has_trigger {
            (0..graph.len() as StateId)
                .filter(|&s| graph.bit(s, trigger))
                .collect()
        } else {
            (0..graph.init_count as StateId).collect()
        };
        // Every start state reaches a fair SCC, so a vacuous verdict needs no start at all,
        // or the goal everywhere reachable (checked by the search finding nothing).
        if !starts.is_empty() && (0..expanded).any(|s| !goal[s]) {
            vacuous = false;
        }
        let everywhere = vec![false; graph.len()];
        let reach = Reach::new(graph, expanded, &everywhere, &starts);
        if let Some(lasso) = reach.fair_scc(graph, &goal, instance) {
            return LivenessVerdict::Violated(lasso);
        }
    }
    if !graph.complete {
        LivenessVerdict::Unknown
    } else {
        LivenessVerdict::Holds { vacuous }
    }
}

/// The expanded states reachable from the start states without entering a `blocked` state,
/// with BFS parents rooted at the start states and each state's rank in BFS order.
struct Reach {
    inside: Vec<bool>,
    parent: Vec<u32>,
    rank: Vec<u32>,
}

impl Reach {
    fn new(graph: &LiveGraph, expanded: usize, blocked: &[bool], starts: &[StateId]) -> Self {
        let n = graph.len();
        let mut inside = vec![false; n];
        let mut parent = vec![u32::MAX; n];
        let mut rank = vec![u32::MAX; n];
        let mut reached = 0u32;
        let mut queue: VecDeque<StateId> = VecDeque::new();
        for &s in starts {
            if (s as usize) < expanded && !blocked[s as usize] && !inside[s as usize] {
                inside[s as usize] = true;
                queue.push_back(s);
            }
        }
        while let Some(s) = queue.pop_front() {
            rank[s as usize] = reached;
            reached += 1;
            for e in graph.successors(s) {
                let t = e.target as usize;
                if !blocked[t] && !inside[t] && t < expanded {
                    inside[t] = true;
                    parent[t] = s;
                    queue.push_back(e.target);
                }
            }
        }
        Reach {
            inside,
            parent,
            rank,
        }
    }

    /// The fair SCC of the reached states that holds a `~goal` state reached first, as a
    /// lasso whose cycle starts at that state.
    fn fair_scc(&self, graph: &LiveGraph, goal: &[bool], instance: usize) -> Option<Lasso> {
        // (entry's rank, entry, the component, its witness edges)
        let mut best: Option<(u32, StateId, Vec<StateId>, Vec<Witness>)> = None;
        let mut member = vec![false; graph.len()];
        for_each_scc(graph, &self.inside, |scc| {
            let Some((entry_rank, entry)) = scc
                .iter()
                .filter(|&&s| !goal[s as usize])
                .map(|&s| (self.rank[s as usize], s))
                .min()
            else {
                return;
            };
            if best.as_ref().is_some_and(|(r, ..)| *r <= entry_rank) {
                return;
            }
            if let Some(witnesses) = fair_witnesses(graph, scc, &mut member) {
                best = Some((entry_rank, entry, scc.to_vec(), witnesses));
            }
        });
        let (_, entry, scc, witnesses) = best?;
        Some(lasso(
            graph,
            &self.parent,
            entry,
            &scc,
            &witnesses,
            instance,
        ))
    }
}

/// An edge `(from, to, group)` that takes a fairness group inside an SCC.
type Witness = (StateId, StateId, u8);

/// `Some(witness edges, one per group that must be taken)` when `scc` is fair: every group
/// enabled at all its states is taken on an edge inside it. `member` is scratch, all false.
fn fair_witnesses(graph: &LiveGraph, scc: &[StateId], member: &mut [bool]) -> Option<Vec<Witness>> {
    for &s in scc {
        member[s as usize] = true;
    }
    let always_enabled = scc.iter().fold(u64::MAX, |m, &s| m & enabled(graph, s));
    let mut taken = 0u64;
    let mut witnesses: Vec<Witness> = Vec::new();
    for &s in scc {
        for e in graph.successors(s) {
            if member[e.target as usize] && e.target != s {
                let bit = group_bit(e.group);
                if bit & always_enabled & !taken != 0 {
                    witnesses.push((s, e.target, e.group));
                }
                taken |= bit;
            }
        }
    }
    for &s in scc {
        member[s as usize] = false;
    }
    (always_enabled & !taken == 0).then_some(witnesses)
}

/// BFS from `starts` inside `~goal`; the first fair SCC reached, as a lasso.
fn find_fair_scc(
    graph: &LiveGraph,
    expanded: usize,
    goal: &[bool],
    starts: &[StateId],
    instance: usize,
) -> Option<Lasso> {
    // Inside ~goal every state is a ~goal state: the fair SCC entered first wins.
    Reach::new(graph, expanded, goal, starts).fair_scc(graph, goal, instance)
}

/// The lasso: initial state → (BFS parents) → `entry`, then a cycle through `scc` taking
/// each witness edge, back to `entry`. `parent` roots at the start states.
fn lasso(
    graph: &LiveGraph,
    parent: &[u32],
    entry: StateId,
    scc: &[StateId],
    witnesses: &[Witness],
    instance: usize,
) -> Lasso {
    let n = graph.len();
    // Prefix: initial state → start state (full graph), then start → entry.
    let mut inner = vec![entry];
    let mut at = entry;
    while parent[at as usize] != u32::MAX {
        at = parent[at as usize];
        inner.push(at);
    }
    inner.reverse();
    let mut path = graph.path_to(inner[0]);
    path.extend_from_slice(&inner[1..]);
    let cycle_start = path.len() - 1;
    // Cycle: through one witness edge per group that must be taken, back to the entry.
    let mut in_scc = vec![false; n];
    for &s in scc {
        in_scc[s as usize] = true;
    }
    let mut cur = entry;
    for (from, to, _) in witnesses {
        path.extend(path_within(graph, &in_scc, cur, *from).into_iter().skip(1));
        path.push(*to);
        cur = *to;
    }
    if scc.len() > 1 && cur == entry && witnesses.is_empty() {
        if let Some(next) = graph
            .successors(entry)
            .find(|e| in_scc[e.target as usize] && e.target != entry)
            .map(|e| e.target)
        {
            path.push(next);
            cur = next;
        }
    }
    if cur == entry && path.len() - 1 > cycle_start {
        // The last witness edge already closes the cycle.
        path.pop();
    } else if cur != entry {
        let back = path_within(graph, &in_scc, cur, entry);
        // The final step back to the entry is implied by the lasso.
        path.extend(back.iter().skip(1).take(back.len().saturating_sub(2)));
    }
    Lasso {
        path,
        cycle_start,
        instance,
    }
}

/// Shortest path from `from` to `to` using only states marked in `allowed`.
fn path_within(graph: &LiveGraph, allowed: &[bool], from: StateId, to: StateId) -> Vec<StateId> {
    if from == to {
        return vec![from];
    }
    let mut prev: std::collections::HashMap<StateId, StateId> = Default::default();
    let mut queue = VecDeque::from([from]);
    prev.insert(from, from);
    while let Some(s) = queue.pop_front() {
        for e in graph.successors(s) {
            if allowed[e.target as usize] && !prev.contains_key(&e.target) {
                prev.insert(e.target, s);
                if e.target == to {
                    let mut path = vec![to];
                    let mut at = to;
                    while at != from {
                        at = prev[&at];
                        path.push(at);
                    }
                    path.reverse();
                    return path;
                }
                queue.push_back(e.target);
            }
        }
    }
    vec![from, to]
}
