//! The engine: one breadth-first pass over a [`Spec`], level by level, on N worker threads.
//!
//! A level's frontier (the states discovered by the level before, in order) is a list of
//! blocks that the workers claim in turn. A worker expands a batch of states, computes every
//! successor's [`fingerprint`], prefetches the table slots of the whole batch, then inserts
//! them in order into the one shared [`FpSet`]. A new state gets one record in the
//! [`ParentLog`], is checked against every `always`/`sometimes` property not yet discovered
//! (so the first discovery of each is at the smallest depth: a shortest counterexample) and,
//! when liveness is asked for, has its liveness predicates evaluated and its edges recorded
//! ([`LiveGraph`]); then it joins the worker's part of the next frontier. No state is kept
//! beyond the current and next frontier, and those are kept encoded ([`codec`]: bincode's
//! varints, 7 to 10 bytes for a 32-byte inventory state); a block of the current one is
//! recycled for the next as soon as it is expanded, so the two together take little more
//! memory than the wider of them, and the blocks are freed after each level, so a wide level
//! does not hold its memory through the narrower ones after it. At 11 users / 6 stock
//! (32,084,681 states) the peak is 13.7 bytes per state: 11.5 for the table's slots, the
//! rest the huge pages' rounding, the frontier and the parent log's buffers
//! (`reports/bench.md`).
//!
//! With one worker the order is exactly the textbook BFS (initial states, then each state's
//! successors in `Model::actions` order), which fixes which of several shortest
//! counterexamples is reported. With more workers the same states are found at the same
//! levels, so counts, depth, verdicts and counterexample lengths are identical; which
//! counterexample of a given length is reported may differ. Liveness runs on one worker (its
//! state ids are the BFS order).
//!
//! Limits stop the search exactly: `max_states` is handed out to the workers in blocks, so
//! at most that many states are accepted in total; the deadline is checked every batch.

use super::fingerprint::fingerprint;
use super::graph::{set_bit, GraphError, LiveGraph, StateId, Truths};
use super::parents::{LogError, ParentLog, Stream, NO_PARENT};
use super::table::{FpSet, Insert};
use flashcheck_models::{Liveness, Spec};
use serde::de::DeserializeOwned;
use serde::Serialize;
use stateright::{Expectation, Property};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// States per frontier block (a worker claims a whole block).
const BLOCK: usize = 8192;
/// States expanded before their successors are looked up (their slots prefetched together).
const BATCH: usize = 8;
/// Distinct states a worker takes from the `max_states` budget at a time.
const QUOTA: u64 = 4096;

/// How to search.
#[derive(Debug, Clone, Copy)]
pub struct SearchOptions<'a> {
    /// Worker threads (at least 1; liveness uses 1).
    pub threads: usize,
    /// Stop after this many distinct states.
    pub max_states: Option<u64>,
    /// Stop at this instant.
    pub deadline: Option<Instant>,
    /// Record the graph for liveness.
    pub liveness: bool,
    /// Distinct states so far, updated every batch (for a progress display).
    pub progress: Option<&'a AtomicU64>,
}

/// Why a search could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SearchError {
    /// The operating system refused a worker thread.
    #[error("cannot start worker thread {index} of {threads}: {source}")]
    Spawn {
        /// 0-based.
        index: usize,
        /// Threads asked for.
        threads: usize,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The parent log failed.
    #[error(transparent)]
    Log(#[from] LogError),
    /// A liveness graph has 32-bit state ids.
    #[error(
        "liveness checking supports at most 2^32 - 1 states; use --safety-only or --max-states"
    )]
    TooManyForLiveness,
    /// The liveness graph could not record an edge.
    #[error(transparent)]
    Graph(#[from] GraphError),
}

/// What one search found: the raw results a [`CheckReport`](crate::report::CheckReport) is
/// assembled from (see [`super::assemble`]).
#[derive(Debug)]
pub struct Outcome {
    /// Distinct states accepted.
    pub distinct: u64,
    /// Successors computed (duplicates included) plus initial states.
    pub generated: u64,
    /// Breadth-first levels with at least one state (TLC's depth).
    pub depth: u64,
    /// False when a limit stopped the search.
    pub complete: bool,
    /// Per `always`/`sometimes` property (model order, `eventually` skipped): the index of
    /// the first state found that violates (`always`) or satisfies (`sometimes`) it.
    pub found: Vec<Option<u64>>,
    /// Every state's (parent, fingerprint) record, by index.
    pub log: ParentLog,
    /// The liveness graph, when asked for.
    pub graph: Option<LiveGraph>,
    /// Slots of the fingerprint table at the end (8 bytes each).
    pub table_slots: u64,
}

/// A successor waiting to be looked up, or the end of a state's successors.
enum Item<S> {
    Successor {
        state: S,
        fp: u64,
        parent: u64,
        /// The action's fairness group, when liveness is asked for.
        group: Option<u32>,
        /// False for initial states (no edge leads to them).
        edge: bool,
    },
    EndOfState,
}

/// Frontier states are kept encoded (bincode's varints: an inventory state of 32 bytes
/// takes 7 to 10), so that the two levels in memory cost a few bytes per state, not the
/// size of the state type, beside the table's 8 to 12 (as TLC keeps its queue serialised).
fn codec() -> impl bincode::Options + Copy {
    bincode::DefaultOptions::new()
}

/// Up to [`BLOCK`] states, encoded one after another.
#[derive(Default)]
struct Block {
    bytes: Vec<u8>,
    states: usize,
}

impl Block {
    fn push<S: Serialize>(&mut self, state: &S) {
        use bincode::Options;
        codec()
            .serialize_into(&mut self.bytes, state)
            .expect("a state encodes into memory");
        self.states += 1;
    }

    fn clear(&mut self) {
        self.bytes.clear();
        self.states = 0;
    }
}

/// The current frontier: the workers' parts of the level, in worker order, as blocks.
struct Frontier {
    /// Taken by the worker that claims it.
    blocks: Vec<Mutex<Block>>,
    /// Position of each block's first state in the level.
    starts: Vec<u64>,
}

impl Frontier {
    fn new(parts: Vec<Vec<Block>>) -> Self {
        let mut blocks = Vec::new();
        let mut starts = Vec::new();
        let mut at = 0u64;
        for block in parts.into_iter().flatten().filter(|b| b.states > 0) {
            starts.push(at);
            at += block.states as u64;
            blocks.push(Mutex::new(block));
        }
        Frontier { blocks, starts }
    }

    fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }
}

/// Empty blocks, to be filled again (their pages stay mapped).
struct Pool(Mutex<Vec<Block>>);

impl Pool {
    fn take(&self) -> Block {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop()
            .unwrap_or_default()
    }

    /// Frees every pooled block and gives the heap's free memory back to the kernel.
    fn clear(&self) {
        let freed = std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()));
        if freed.is_empty() {
            return;
        }
        drop(freed);
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        // SAFETY: malloc_trim only returns free heap pages to the kernel.
        unsafe {
            libc::malloc_trim(0);
        }
    }

    fn give(&self, mut block: Block) {
        block.clear();
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push(block);
    }
}

/// A claimed frontier block being expanded.
struct Claimed {
    block: Block,
    /// The next state to expand, and where its encoding starts.
    at: usize,
    offset: usize,
    /// Index of the block's first state.
    first: u64,
}

/// What the workers share during one round.
struct Shared<'a, M: Spec> {
    model: &'a M,
    properties: &'a [Property<M>],
    temporal: &'a [&'a Liveness<M>],
    truths: &'a Truths,
    discovered: &'a [bool],
    table: &'a FpSet,
    frontier: &'a Frontier,
    pool: &'a Pool,
    /// Index of the frontier's first state.
    level_base: u64,
    /// Index of the first state this level discovers.
    next_base: u64,
    cursor: &'a AtomicUsize,
    stop: &'a AtomicBool,
    limit_hit: &'a AtomicBool,
    budget: &'a AtomicU64,
    deadline: Option<Instant>,
    progress: Option<&'a AtomicU64>,
}

/// The liveness graph one worker builds.
struct LiveParts {
    graph: LiveGraph,
}

impl LiveParts {
    fn new(truths: &Truths) -> Self {
        LiveParts {
            graph: LiveGraph::new(truths.clone()),
        }
    }
}

/// One worker's state, kept across rounds and levels.
struct Worker<M: Spec> {
    /// This level's discoveries: full blocks, then the block being filled.
    next: Vec<Block>,
    filling: Block,
    pending: VecDeque<Item<M::State>>,
    /// The claimed block being expanded.
    chunk: Option<Claimed>,
    quota: u64,
    generated: u64,
    /// Per property: position in `next` of this level's first discovery.
    found: Vec<Option<usize>>,
    actions: Vec<M::Action>,
    live: Option<LiveParts>,
    error: Option<SearchError>,
}

/// Takes from the budget: `QUOTA` at a time when there is no limit (the budget starts at
/// `u64::MAX`), one state at a time under `--max-states`, so that the budget is spent exactly
/// when it reads 0 (a quota held by another worker would otherwise stop the search early:
/// with 2 threads and `--max-states 2000` one worker held all 2000 and the other stopped the
/// search after 1 state); 0 when it is spent.
fn take_budget(budget: &AtomicU64) -> u64 {
    let mut cur = budget.load(Ordering::Relaxed);
    loop {
        if cur == 0 {
            return 0;
        }
        let take = if cur > u64::MAX / 2 {
            cur.min(QUOTA)
        } else {
            1
        };
        match budget.compare_exchange_weak(cur, cur - take, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return take,
            Err(now) => cur = now,
        }
    }
}

impl<M> Worker<M>
where
    M: Spec,
    M::State: std::hash::Hash + Serialize + DeserializeOwned,
    M::Action: Clone,
{
    fn new(properties: usize, live: Option<&Truths>) -> Self {
        Worker {
            next: Vec::new(),
            filling: Block::default(),
            pending: VecDeque::new(),
            chunk: None,
            quota: 0,
            generated: 0,
            found: vec![None; properties],
            actions: Vec::new(),
            live: live.map(LiveParts::new),
            error: None,
        }
    }

    /// Works until the level is done for this worker, the table wants to grow, or a limit
    /// or an error stops the search.
    fn run_round(&mut self, shared: &Shared<'_, M>, stream: &mut Stream) {
        loop {
            if !self.drain(shared, stream) {
                return;
            }
            if shared.stop.load(Ordering::Relaxed) || shared.table.wants_grow() {
                return;
            }
            let mut claimed = match self.chunk.take() {
                Some(c) => c,
                None => {
                    let c = shared.cursor.fetch_add(1, Ordering::Relaxed);
                    let Some(block) = shared.frontier.blocks.get(c) else {
                        return;
                    };
                    Claimed {
                        block: std::mem::take(
                            &mut *block.lock().unwrap_or_else(|p| p.into_inner()),
                        ),
                        at: 0,
                        offset: 0,
                        first: shared.level_base + shared.frontier.starts[c],
                    }
                }
            };
            if shared.deadline.is_some_and(|d| Instant::now() >= d) {
                shared.limit_hit.store(true, Ordering::Relaxed);
                shared.stop.store(true, Ordering::Relaxed);
                self.chunk = Some(claimed);
                return;
            }
            let stop = (claimed.at + BATCH).min(claimed.block.states);
            let mut rest = &claimed.block.bytes[claimed.offset..];
            for k in claimed.at..stop {
                use bincode::Options;
                let state: M::State = codec()
                    .deserialize_from(&mut rest)
                    .expect("a state the engine encoded decodes");
                self.expand(shared, &state, claimed.first + k as u64);
            }
            claimed.offset = claimed.block.bytes.len() - rest.len();
            claimed.at = stop;
            if stop < claimed.block.states {
                self.chunk = Some(claimed);
            } else {
                shared.pool.give(claimed.block);
            }
        }
    }

    /// States this worker discovered in this level.
    fn produced(&self) -> usize {
        self.next.len() * BLOCK + self.filling.states
    }

    /// Appends a discovered state to this level's part.
    #[inline]
    fn push_next(&mut self, pool: &Pool, state: &M::State) {
        if self.filling.states == BLOCK {
            let full = std::mem::replace(&mut self.filling, pool.take());
            self.next.push(full);
        }
        self.filling.push(state);
    }

    /// This level's part, as blocks.
    fn take_part(&mut self) -> Vec<Block> {
        let mut part = std::mem::take(&mut self.next);
        part.push(std::mem::take(&mut self.filling));
        part
    }

    /// Queues `state`'s successors (and prefetches their slots).
    fn expand(&mut self, shared: &Shared<'_, M>, state: &M::State, index: u64) {
        let model = shared.model;
        model.actions(state, &mut self.actions);
        let live = self.live.is_some();
        for action in self.actions.drain(..) {
            let group = if live {
                model
                    .fairness_group(&action)
                    .map(|g| u32::try_from(g).unwrap_or(u32::MAX))
            } else {
                None
            };
            let Some(next) = model.next_state(state, action) else {
                continue;
            };
            if !model.within_boundary(&next) {
                continue;
            }
            self.generated += 1;
            let fp = fingerprint(&next);
            shared.table.prefetch(fp);
            self.pending.push_back(Item::Successor {
                state: next,
                fp,
                parent: index,
                group,
                edge: true,
            });
        }
        self.pending.push_back(Item::EndOfState);
    }

    /// Looks up every queued successor in order; false when stopped (table full, limit,
    /// error), with the rest still queued.
    fn drain(&mut self, shared: &Shared<'_, M>, stream: &mut Stream) -> bool {
        let before = self.produced();
        while let Some(item) = self.pending.pop_front() {
            match item {
                Item::EndOfState => {
                    if let Some(live) = &mut self.live {
                        if let Err(e) = live.graph.end_state() {
                            self.error = Some(e.into());
                            shared.stop.store(true, Ordering::Relaxed);
                            return false;
                        }
                    }
                }
                Item::Successor {
                    state,
                    fp,
                    parent,
                    group,
                    edge,
                } => match shared.table.insert(fp) {
                    Insert::Full => {
                        self.pending.push_front(Item::Successor {
                            state,
                            fp,
                            parent,
                            group,
                            edge,
                        });
                        return false;
                    }
                    Insert::Present(slot) => {
                        if let (Some(live), true) = (&mut self.live, edge) {
                            let target = shared.table.id(slot).unwrap_or(StateId::MAX);
                            if let Err(e) = live.graph.push_edge(target, group.map(|g| g as usize))
                            {
                                self.error = Some(e.into());
                                shared.stop.store(true, Ordering::Relaxed);
                                return false;
                            }
                        }
                    }
                    Insert::New(slot) => {
                        if self.quota == 0 {
                            self.quota = take_budget(shared.budget);
                            if self.quota == 0 {
                                shared.limit_hit.store(true, Ordering::Relaxed);
                                shared.stop.store(true, Ordering::Relaxed);
                                return false;
                            }
                        }
                        self.quota -= 1;
                        if let Err(e) = stream.push(parent, fp) {
                            self.error = Some(e.into());
                            shared.stop.store(true, Ordering::Relaxed);
                            return false;
                        }
                        let pos = self.produced();
                        self.evaluate(shared, &state, pos);
                        if let Some(live) = &mut self.live {
                            let id = (shared.next_base + pos as u64) as StateId;
                            shared.table.set_id(slot, id);
                            let g = &mut live.graph;
                            let parent = (parent != NO_PARENT).then_some(parent as StateId);
                            let bytes = g.push_state(parent);
                            for (k, property) in shared.temporal.iter().enumerate() {
                                for i in 0..property.instances {
                                    if (property.goal)(shared.model, &state, i) {
                                        set_bit(bytes, shared.truths.goal(k, i));
                                    }
                                    if property.trigger.is_some_and(|t| t(shared.model, &state, i))
                                    {
                                        set_bit(bytes, shared.truths.trigger(k, i));
                                    }
                                }
                            }
                            if edge {
                                if let Err(e) = g.push_edge(id, group.map(|g| g as usize)) {
                                    self.error = Some(e.into());
                                    shared.stop.store(true, Ordering::Relaxed);
                                    return false;
                                }
                            }
                        }
                        self.push_next(shared.pool, &state);
                    }
                },
            }
        }
        if let Some(p) = shared.progress {
            p.fetch_add((self.produced() - before) as u64, Ordering::Relaxed);
        }
        true
    }

    /// Checks the new state at `pos` of `next` against every undiscovered property.
    #[inline]
    fn evaluate(&mut self, shared: &Shared<'_, M>, state: &M::State, pos: usize) {
        for (j, property) in shared.properties.iter().enumerate() {
            if shared.discovered[j] || self.found[j].is_some() {
                continue;
            }
            let holds = (property.condition)(shared.model, state);
            if holds == (property.expectation == Expectation::Sometimes) {
                self.found[j] = Some(pos);
            }
        }
    }
}

/// Runs one round on every worker (on this thread when there is one).
fn round<M>(
    shared: &Shared<'_, M>,
    workers: &mut [Worker<M>],
    streams: &mut [Stream],
) -> Result<(), SearchError>
where
    M: Spec + Sync,
    M::State: std::hash::Hash + Serialize + DeserializeOwned + Send + Sync,
    M::Action: Clone + Send,
{
    if let ([worker], [stream]) = (&mut *workers, &mut *streams) {
        worker.run_round(shared, stream);
        return Ok(());
    }
    let threads = workers.len();
    std::thread::scope(|scope| {
        let mut spawn_error = None;
        let mut handles = Vec::new();
        for (index, (worker, stream)) in workers.iter_mut().zip(streams.iter_mut()).enumerate() {
            let spawned = std::thread::Builder::new()
                .name(format!("flashcheck-{index}"))
                .spawn_scoped(scope, move || worker.run_round(shared, stream));
            match spawned {
                Ok(h) => handles.push(h),
                Err(source) => {
                    shared.stop.store(true, Ordering::Relaxed);
                    spawn_error = Some(SearchError::Spawn {
                        index,
                        threads,
                        source,
                    });
                    break;
                }
            }
        }
        for h in handles {
            if let Err(panic) = h.join() {
                std::panic::resume_unwind(panic);
            }
        }
        spawn_error.map_or(Ok(()), Err)
    })
}

/// Explores `model` breadth first; see the module doc.
pub fn search<M>(model: &M, options: &SearchOptions<'_>) -> Result<Outcome, SearchError>
where
    M: Spec + Sync,
    M::State: std::hash::Hash + Serialize + DeserializeOwned + Send + Sync,
    M::Action: Clone + Send,
{
    let properties: Vec<Property<M>> = model
        .properties()
        .into_iter()
        .filter(|p| p.expectation != Expectation::Eventually)
        .collect();
    let liveness_owned: Vec<Liveness<M>> = if options.liveness {
        model
            .liveness()
            .into_iter()
            .chain(model.persistence())
            .collect()
    } else {
        Vec::new()
    };
    let temporal: Vec<&Liveness<M>> = liveness_owned.iter().collect();
    let truths = Truths::new(temporal.iter().map(|l| l.instances));
    let threads = if options.liveness {
        1
    } else {
        options.threads.max(1)
    };
    let mut table = FpSet::new(options.liveness, threads == 1);
    let mut log = ParentLog::new(threads);
    let mut workers: Vec<Worker<M>> = (0..threads)
        .map(|w| {
            Worker::new(
                properties.len(),
                (options.liveness && w == 0).then_some(&truths),
            )
        })
        .collect();
    let mut discovered = vec![false; properties.len()];
    let mut found: Vec<Option<u64>> = vec![None; properties.len()];
    let stop = AtomicBool::new(false);
    let limit_hit = AtomicBool::new(false);
    let budget = AtomicU64::new(options.max_states.unwrap_or(u64::MAX));

    // Level 0: the initial states, looked up by worker 0 like any successor.
    for state in model.init_states() {
        workers[0].generated += 1;
        let fp = fingerprint(&state);
        workers[0].pending.push_back(Item::Successor {
            state,
            fp,
            parent: NO_PARENT,
            group: None,
            edge: false,
        });
    }
    let mut frontier = Frontier::new(Vec::new());
    let pool = Pool(Mutex::new(Vec::new()));
    let mut level_base = 0u64;
    let mut depth = 0u64;
    loop {
        let cursor = AtomicUsize::new(0);
        let next_base = log.indexed();
        if options.liveness && next_base > u64::from(StateId::MAX - 1) {
            return Err(SearchError::TooManyForLiveness);
        }
        loop {
            let shared = Shared {
                model,
                properties: &properties,
                temporal: &temporal,
                truths: &truths,
                discovered: &discovered,
                table: &table,
                frontier: &frontier,
                pool: &pool,
                level_base,
                next_base,
                cursor: &cursor,
                stop: &stop,
                limit_hit: &limit_hit,
                budget: &budget,
                deadline: options.deadline,
                progress: options.progress,
            };
            round(&shared, &mut workers, &mut log.streams)?;
            if let Some(e) = workers.iter_mut().find_map(|w| w.error.take()) {
                return Err(e);
            }
            if stop.load(Ordering::Relaxed) {
                break;
            }
            if table.wants_grow() {
                table.grow();
                continue;
            }
            break;
        }
        let first = log.end_level();
        debug_assert_eq!(first, next_base);
        // This level's first discovery of each property, the lowest index among workers.
        let mut offset = first;
        for worker in &mut workers {
            for (j, f) in worker.found.iter_mut().enumerate() {
                if let Some(pos) = f.take() {
                    let index = offset + pos as u64;
                    if found[j].is_none_or(|k| index < k) && !discovered[j] {
                        found[j] = Some(index);
                    }
                }
            }
            offset += worker.produced() as u64;
        }
        for (d, f) in discovered.iter_mut().zip(&found) {
            *d |= f.is_some();
        }
        if offset > first {
            depth += 1;
        }
        if stop.load(Ordering::Relaxed) {
            break;
        }
        frontier = Frontier::new(workers.iter_mut().map(Worker::take_part).collect());
        // The blocks of a wide level would otherwise stay mapped through every narrower
        // level after it: free them, so the peak is the widest level once, not twice.
        pool.clear();
        level_base = first;
        if frontier.is_empty() {
            break;
        }
    }
    drop(frontier);
    let complete = !limit_hit.load(Ordering::Relaxed);
    let distinct = log.indexed();
    let generated = workers.iter().map(|w| w.generated).sum();
    let graph = workers.first_mut().and_then(|w| w.live.take()).map(|l| {
        let mut graph = l.graph;
        graph.complete = complete;
        graph
    });
    Ok(Outcome {
        distinct,
        generated,
        depth,
        complete,
        found,
        log,
        graph,
        table_slots: table.capacity(),
    })
}
