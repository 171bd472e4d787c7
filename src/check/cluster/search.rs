//! The breadth-first search as one timely dataflow: a BFS level is a timely round.
//!
//! Every worker runs one operator in a loop. A record is a generated state with its
//! fingerprint and its parent's, sent to the worker that owns the fingerprint ([`owner`]: the
//! fingerprint's high bits). The owner admits the state if its [`ParentTable`] has not seen the
//! fingerprint, evaluates every `always`/`sometimes` property on it, expands it and sends the
//! successors back round the loop, one round (one level) later.
//!
//! A level is final only when the frontier has passed it: records of round t are admitted on
//! arrival once no record of an earlier round can still arrive; records that arrive early (a
//! fast worker is already a level ahead) wait, deduplicated against the table, until it has.
//! So a state is admitted in the round of its shortest distance from an initial state, its
//! parent record is on a shortest path, and counterexamples stay shortest.

use super::table::ParentTable;
use crate::check::fingerprint::fingerprint;
use flashcheck_models::Spec;
use serde::de::DeserializeOwned;
use serde::Serialize;
use stateright::{Expectation, Property};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::hash::Hash;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;
use timely::container::CapacityContainerBuilder;
use timely::dataflow::channels::pact::Exchange;
use timely::dataflow::operators::generic::operator::Operator;
use timely::dataflow::operators::{Capability, ConnectLoop, Feedback, Probe};
use timely::dataflow::ProbeHandle;
use timely::worker::Worker;

/// A generated state on its way to its owner: `(fingerprint, parent fingerprint, state)`; an
/// initial state is its own parent.
pub(crate) type Record<S> = (u64, u64, S);

/// Work waiting in a worker, by round: the capability to send in that round, and the items.
type ByRound<T> = BTreeMap<u64, (Capability<u64>, Vec<T>)>;

/// States a worker expands before it yields to timely (and to the network) again.
const CHUNK: usize = 4096;

/// Which worker owns a fingerprint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[doc(hidden)]
pub enum Routing {
    /// By the fingerprint's high bits: each state has exactly one owner.
    #[default]
    Fingerprint,
    /// By the parent's fingerprint: broken on purpose (two owners can admit one state), so
    /// that a test can show the counts would differ.
    Parent,
}

/// The worker, of `peers`, that owns fingerprint `fp`: the high 32 bits scaled to `peers`
/// (the table indexes by the low bits).
pub(crate) fn owner(fp: u64, peers: usize) -> usize {
    (((fp >> 32) * peers as u64) >> 32) as usize
}

/// Limits and knobs of one search, the same in every worker.
#[derive(Debug, Clone)]
pub(crate) struct SearchConfig {
    pub routing: Routing,
    /// Each worker stops admitting past this many states (its share of `--max-states`).
    pub max_per_worker: u64,
    pub deadline: Option<Instant>,
}

/// Set by any worker of this process that hit a limit; every local worker then stops.
#[derive(Debug, Default)]
pub(crate) struct Stop {
    pub hit: AtomicBool,
}

/// What one worker found.
#[derive(Debug, Clone, Default)]
pub(crate) struct Local {
    /// States this worker admitted (its share of the distinct states).
    pub admitted: u64,
    /// Successors this worker computed, initial states included.
    pub generated: u64,
    /// The deepest level admitted here (0: initial states).
    pub max_level: Option<u64>,
    /// Per `always`/`sometimes` property: the least `(level, fingerprint)` of a state that
    /// violates it (always) or satisfies it (sometimes).
    pub discoveries: Vec<Option<(u64, u64)>>,
    /// A limit stopped this worker.
    pub stopped: bool,
}

/// The model's `always` and `sometimes` properties, in the model's order.
pub(crate) fn safety_properties<M: Spec>(model: &M) -> Vec<Property<M>> {
    model
        .properties()
        .into_iter()
        .filter(|p| p.expectation != Expectation::Eventually)
        .collect()
}

/// Runs the search on this worker until every worker is done; returns the worker's table and
/// findings.
pub(crate) fn run<M>(
    worker: &mut Worker,
    model: Arc<M>,
    config: SearchConfig,
    stop: Arc<Stop>,
) -> (ParentTable, Local)
where
    M: Spec + Send + Sync + 'static,
    M::State: Clone + Hash + Serialize + DeserializeOwned + Send + 'static,
{
    let me = worker.index();
    let peers = worker.peers();
    let properties = safety_properties(&*model);
    let table = Rc::new(RefCell::new(ParentTable::new()));
    let local = Rc::new(RefCell::new(Local {
        discoveries: vec![None; properties.len()],
        ..Local::default()
    }));
    let probe = ProbeHandle::new();
    {
        let table = Rc::clone(&table);
        let local = Rc::clone(&local);
        let probe = probe.clone();
        worker.dataflow::<u64, _, _>(move |scope| {
            let (handle, cycle) = scope.feedback::<Vec<Record<M::State>>>(1);
            let routing = config.routing;
            let route = move |r: &Record<M::State>| match routing {
                Routing::Fingerprint => owner(r.0, peers) as u64,
                Routing::Parent => owner(r.1, peers) as u64,
            };
            let activator_scope = scope;
            let out = cycle
                .unary_frontier::<CapacityContainerBuilder<Vec<Record<M::State>>>, _, _, _>(
                    Exchange::new(route),
                    "bfs",
                    move |seed, info| {
                        let activator = activator_scope.activator_for(info.address);
                        // Worker 0 sends the initial states, in round 0, to their owners.
                        let mut seed = (me == 0).then_some(seed);
                        // Records that arrived before their round was final: round → (capability,
                        // records); deduplicated against the table on arrival.
                        let mut early: ByRound<Record<M::State>> = BTreeMap::new();
                        // Admitted states not yet expanded: round → (capability, states).
                        let mut todo: ByRound<(u64, M::State)> = BTreeMap::new();
                        let mut successors = Vec::new();
                        let mut actions = Vec::new();
                        move |(input, frontier), output| {
                            let mut local = local.borrow_mut();
                            let mut table = table.borrow_mut();
                            if let Some(cap) = seed.take() {
                                let mut session = output.session(&cap);
                                for state in model.init_states() {
                                    let fp = fingerprint(&state);
                                    local.generated += 1;
                                    session.give((fp, fp, state));
                                }
                            }
                            let stopped = stop.hit.load(Ordering::Relaxed);
                            if stopped {
                                local.stopped = true;
                                early.clear();
                                todo.clear();
                                input.for_each_stamp(|_, _| {});
                                return;
                            }
                            // Admits `record` in `round` if new: its properties, then onto `todo`.
                            let admit =
                                |record: Record<M::State>,
                                 round: u64,
                                 table: &mut ParentTable,
                                 local: &mut Local,
                                 queue: &mut Vec<(u64, M::State)>| {
                                    let (fp, parent, state) = record;
                                    if local.admitted >= config.max_per_worker {
                                        local.stopped = true;
                                        stop.hit.store(true, Ordering::Relaxed);
                                        return;
                                    }
                                    if !table.insert(fp, parent) {
                                        return;
                                    }
                                    local.admitted += 1;
                                    let level = round - 1;
                                    local.max_level =
                                        Some(local.max_level.map_or(level, |l| l.max(level)));
                                    for (i, p) in properties.iter().enumerate() {
                                        let holds = (p.condition)(&*model, &state);
                                        let found = match p.expectation {
                                            Expectation::Always => !holds,
                                            Expectation::Sometimes => holds,
                                            Expectation::Eventually => false,
                                        };
                                        if found
                                            && local.discoveries[i].is_none_or(|d| (level, fp) < d)
                                        {
                                            local.discoveries[i] = Some((level, fp));
                                        }
                                    }
                                    queue.push((fp, state));
                                };
                            input.for_each_stamp(|cap, data| {
                                let Some(cap) = cap.retain_least(0) else {
                                    return;
                                };
                                let round = *cap.time();
                                if frontier.less_than(&round) {
                                    let entry =
                                        early.entry(round).or_insert_with(|| (cap, Vec::new()));
                                    for batch in data {
                                        entry.1.extend(
                                            batch.drain(..).filter(|r| !table.contains(r.0)),
                                        );
                                    }
                                } else {
                                    let entry =
                                        todo.entry(round).or_insert_with(|| (cap, Vec::new()));
                                    for batch in data {
                                        for record in batch.drain(..) {
                                            admit(
                                                record,
                                                round,
                                                &mut table,
                                                &mut local,
                                                &mut entry.1,
                                            );
                                        }
                                    }
                                }
                            });
                            while let Some(round) = early.keys().next().copied() {
                                if frontier.less_than(&round) {
                                    break;
                                }
                                let (cap, records) = early.remove(&round).expect("present");
                                let entry = todo.entry(round).or_insert_with(|| (cap, Vec::new()));
                                for record in records {
                                    admit(record, round, &mut table, &mut local, &mut entry.1);
                                }
                            }
                            // Expand at most CHUNK states, earliest round first.
                            let mut budget = CHUNK;
                            while budget > 0 {
                                let Some(mut entry) = todo.first_entry() else {
                                    break;
                                };
                                let (cap, states) = entry.get_mut();
                                let mut session = output.session(&*cap);
                                while budget > 0 {
                                    let Some((fp, state)) = states.pop() else {
                                        break;
                                    };
                                    budget -= 1;
                                    model.actions(&state, &mut actions);
                                    for action in actions.drain(..) {
                                        if let Some(next) = model.next_state(&state, action) {
                                            successors.push((fingerprint(&next), fp, next));
                                        }
                                    }
                                    local.generated += successors.len() as u64;
                                    session.give_iterator(successors.drain(..));
                                }
                                drop(session);
                                if states.is_empty() {
                                    entry.remove();
                                }
                            }
                            if !todo.is_empty() {
                                if config.deadline.is_some_and(|d| Instant::now() >= d) {
                                    local.stopped = true;
                                    stop.hit.store(true, Ordering::Relaxed);
                                }
                                activator.activate();
                            }
                        }
                    },
                );
            out.probe_with(&probe).connect_loop(handle);
        });
    }
    worker.step_or_park_while(None, || !probe.done());
    let local = local.borrow().clone();
    let table = std::mem::replace(&mut *table.borrow_mut(), ParentTable::new());
    (table, local)
}
