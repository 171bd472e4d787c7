//! After the search: every worker's findings go to worker 0, and the path to each discovery is
//! walked back across owners, one timely round per step: the owner of a fingerprint appends its
//! parent and passes the walk to the parent's owner, until an initial state (its own parent).
//! The engine's [`crate::check::counterexample::replay`] then rebuilds the states forward from an
//! initial state by re-running the next-state relation, as for one process (and TLC).

use super::search::{owner, Local};
use super::table::ParentTable;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::rc::Rc;
use timely::container::CapacityContainerBuilder;
use timely::dataflow::channels::pact::Exchange;
use timely::dataflow::operators::generic::operator::Operator;
use timely::dataflow::operators::{Concat, ConnectLoop, Feedback, Input, Probe};
use timely::dataflow::{InputHandle, ProbeHandle};
use timely::worker::Worker;

/// A message of the gathering dataflow.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) enum Gather {
    /// One worker's counts (to worker 0).
    Summary {
        admitted: u64,
        generated: u64,
        max_level: Option<u64>,
        stopped: bool,
    },
    /// A walk from a discovery back towards an initial state; `path` holds fingerprints from
    /// the discovery backwards.
    Walk {
        property: u32,
        level: u64,
        path: Vec<u64>,
        /// Reached an initial state (or a fingerprint with no record: `broken`).
        done: bool,
        broken: bool,
    },
}

/// Worker 0's view after gathering: every worker's summary and every finished walk.
#[derive(Debug, Default)]
pub(crate) struct Gathered {
    pub summaries: Vec<Gather>,
    pub walks: Vec<Gather>,
}

/// Sends this worker's `local` findings to worker 0 and walks each of its discoveries back;
/// returns what worker 0 gathered (empty on the other workers).
pub(crate) fn gather(worker: &mut Worker, table: ParentTable, local: &Local) -> Gathered {
    let me = worker.index();
    let peers = worker.peers();
    let table = Rc::new(table);
    let gathered = Rc::new(RefCell::new(Gathered::default()));
    let mut input = InputHandle::new();
    let probe = ProbeHandle::new();
    {
        let gathered = Rc::clone(&gathered);
        let probe = probe.clone();
        let table = Rc::clone(&table);
        worker.dataflow::<u64, _, _>(|scope| {
            let (handle, cycle) = scope.feedback::<Vec<Gather>>(1);
            let route = move |m: &Gather| match m {
                Gather::Walk {
                    path, done: false, ..
                } => owner(*path.last().expect("a walk is never empty"), peers) as u64,
                _ => 0,
            };
            let out = scope
                .input_from(&mut input)
                .concat(cycle)
                .unary::<CapacityContainerBuilder<Vec<Gather>>, _, _, _>(
                    Exchange::new(route),
                    "walk",
                    move |_, _| {
                        move |input, output| {
                            input.for_each(|cap, data| {
                                let mut session = output.session(&cap);
                                for message in data.drain(..) {
                                    match message {
                                        Gather::Walk {
                                            property,
                                            level,
                                            mut path,
                                            done: false,
                                            ..
                                        } => {
                                            let at = *path.last().expect("not empty");
                                            let (done, broken) = match table.parent(at) {
                                                Some(p) if p == at => (true, false),
                                                Some(p) => {
                                                    path.push(p);
                                                    (false, false)
                                                }
                                                None => (true, true),
                                            };
                                            session.give(Gather::Walk {
                                                property,
                                                level,
                                                path,
                                                done,
                                                broken,
                                            });
                                        }
                                        Gather::Walk { .. } => {
                                            gathered.borrow_mut().walks.push(message)
                                        }
                                        Gather::Summary { .. } => {
                                            gathered.borrow_mut().summaries.push(message)
                                        }
                                    }
                                }
                            });
                        }
                    },
                );
            out.probe_with(&probe).connect_loop(handle);
        });
    }
    input.send(Gather::Summary {
        admitted: local.admitted,
        generated: local.generated,
        max_level: local.max_level,
        stopped: local.stopped,
    });
    for (property, found) in local.discoveries.iter().enumerate() {
        if let Some((level, fp)) = *found {
            input.send(Gather::Walk {
                property: property as u32,
                level,
                path: vec![fp],
                done: false,
                broken: false,
            });
        }
    }
    input.close();
    worker.step_or_park_while(None, || !probe.done());
    debug_assert!(me == 0 || gathered.borrow().summaries.is_empty());
    let taken = std::mem::take(&mut *gathered.borrow_mut());
    taken
}
