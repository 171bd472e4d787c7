//! A linearizability checker: Wing & Gong's search with Lowe's just-in-time linearization and
//! memoisation (the algorithm of Porcupine and of stateright's `LinearizabilityTester`), made
//! to scale to histories of 10^5 operations.
//!
//! The history's call and return events sit in one time-ordered doubly linked list. The
//! search repeatedly linearizes a pending call whose operation the sequential spec accepts
//! (removing its call and return from the list), and backtracks when it meets the return of
//! an operation it has not linearized. Each `(linearized set, spec state)` reached is
//! remembered, so no configuration is explored twice.
//!
//! What keeps memory small (Porcupine stores a bitset of `n` bits per cache entry, `O(n²)`
//! bits, and ran out of memory at 5,000 events): the linearized set is held as a 128-bit
//! Zobrist fingerprint (XOR of a random 128-bit key per operation), updated in O(1) as the
//! search linearizes and undoes operations. A cache entry is 16 bytes plus the spec state.
//! Two different sets collide with probability about `entries² / 2^129` — for 10^6 entries,
//! below 10^-26. A collision can only prune a configuration that was never explored: a
//! "linearizable" answer is always sound (it is a full linearization, every step checked by
//! the spec); only a "not linearizable" answer could in theory be spurious, and a second run
//! with other keys ([`check_with_keys`]) settles it.
//!
//! P-compositionality (Horn & Kroening): when a spec is a product of independent parts keyed
//! by an operation's key (e.g. one state machine per user), [`check_partitioned`] checks each
//! part's sub-history alone; the history is linearizable iff every part is.

use hashbrown::HashSet;
use serde::Serialize;
use std::collections::BTreeMap;
use std::hash::Hash;

/// A sequential specification: what one operation, with the result it returned, does to the
/// state — or `None` when that result is impossible from that state.
pub trait SequentialSpec {
    /// The abstract state.
    type State: Clone + Eq + Hash;
    /// An operation.
    type Op;
    /// Its result.
    type Ret;
    /// The initial state.
    fn init(&self) -> Self::State;
    /// The state after `op` returned `ret`, if the spec allows that.
    fn step(&self, state: &Self::State, op: &Self::Op, ret: &Self::Ret) -> Option<Self::State>;
}

/// One completed operation of a history: invoked at `call`, returned `ret` at `returned`
/// (times from one logical clock, all distinct, `call < returned`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Operation<Op, Ret> {
    /// The client (thread, user) that issued it.
    pub client: u64,
    /// The operation.
    pub op: Op,
    /// What it returned.
    pub ret: Ret,
    /// Invocation time.
    pub call: u64,
    /// Response time.
    pub returned: u64,
}

/// How concurrent a history is: the operations (in call order) invoked before the previous
/// one returned. Machine-dependent, so tests report it rather than assert it.
pub fn overlapping<Op, Ret>(history: &[Operation<Op, Ret>]) -> usize {
    let mut spans: Vec<(u64, u64)> = history.iter().map(|o| (o.call, o.returned)).collect();
    spans.sort_unstable();
    spans.windows(2).filter(|w| w[1].0 < w[0].1).count()
}

/// A history that is not linearizable: the smallest window the search could not get past.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// Operations the longest linearizable prefix found had linearized.
    pub linearized: usize,
    /// The operation whose return the search could not get past (history index).
    pub stuck_at: usize,
    /// The window: `stuck_at`, every operation overlapping it, and every operation outside
    /// that prefix invoked before `stuck_at` returned — the operations among which no order
    /// works (history indices, by call time).
    pub window: Vec<usize>,
}

/// The checker's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Outcome {
    /// A linearization exists.
    Linearizable {
        /// Configurations remembered (cache size).
        explored: usize,
    },
    /// None exists.
    NotLinearizable(Failure),
}

impl Outcome {
    /// True for [`Outcome::Linearizable`].
    pub fn is_ok(&self) -> bool {
        matches!(self, Outcome::Linearizable { .. })
    }
}

/// A history the checker refuses: it would make any answer meaningless.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HistoryError {
    /// An operation returns before (or when) it is invoked.
    #[error("operation {index} returns at {returned}, not after its call at {call}")]
    ReturnBeforeCall {
        /// History index.
        index: usize,
        /// Its call time.
        call: u64,
        /// Its return time.
        returned: u64,
    },
    /// Two events share a time.
    #[error("two events happen at time {0}: times must be distinct")]
    DuplicateTime(u64),
}

const NIL: usize = usize::MAX;

fn splitmix(x: &mut u64) -> u64 {
    *x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Checks `history` against `spec` with the default fingerprint keys.
pub fn check<S: SequentialSpec>(
    spec: &S,
    history: &[Operation<S::Op, S::Ret>],
) -> Result<Outcome, HistoryError> {
    check_with_keys(spec, history, 0x5EED_F1A5_4C4E_C4B0)
}

/// Checks `history` against `spec`; `key_seed` chooses the Zobrist keys.
pub fn check_with_keys<S: SequentialSpec>(
    spec: &S,
    history: &[Operation<S::Op, S::Ret>],
    key_seed: u64,
) -> Result<Outcome, HistoryError> {
    let n = history.len();
    // Events: (time, op index, is_return).
    let mut events: Vec<(u64, usize, bool)> = Vec::with_capacity(2 * n);
    for (i, o) in history.iter().enumerate() {
        if o.returned <= o.call {
            return Err(HistoryError::ReturnBeforeCall {
                index: i,
                call: o.call,
                returned: o.returned,
            });
        }
        events.push((o.call, i, false));
        events.push((o.returned, i, true));
    }
    events.sort_unstable_by_key(|e| e.0);
    if let Some(w) = events.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(HistoryError::DuplicateTime(w[0].0));
    }
    // Linked list over event positions; node `2n` is the head sentinel.
    let head = events.len();
    let mut next = vec![NIL; events.len() + 1];
    let mut prev = vec![NIL; events.len() + 1];
    let mut call_pos = vec![0usize; n];
    let mut ret_pos = vec![0usize; n];
    let mut last = head;
    for (p, &(_, op, is_ret)) in events.iter().enumerate() {
        if is_ret {
            ret_pos[op] = p;
        } else {
            call_pos[op] = p;
        }
        next[last] = p;
        prev[p] = last;
        last = p;
    }
    let unlink = |next: &mut Vec<usize>, prev: &mut Vec<usize>, p: usize| {
        let (a, b) = (prev[p], next[p]);
        next[a] = b;
        if b != NIL {
            prev[b] = a;
        }
    };
    let relink = |next: &mut Vec<usize>, prev: &mut Vec<usize>, p: usize| {
        let (a, b) = (prev[p], next[p]);
        next[a] = p;
        if b != NIL {
            prev[b] = p;
        }
    };
    let mut seed = key_seed;
    let keys: Vec<u128> = (0..n)
        .map(|_| (u128::from(splitmix(&mut seed)) << 64) | u128::from(splitmix(&mut seed)))
        .collect();

    let mut cache: HashSet<(u128, S::State)> = HashSet::new();
    let mut stack: Vec<(usize, S::State)> = Vec::new();
    let mut linearized = vec![false; n];
    let mut fingerprint: u128 = 0;
    let mut state = spec.init();
    let mut best: (usize, usize) = (0, NIL); // (depth, stuck op)
    let mut best_linearized: Vec<bool> = Vec::new();
    let mut entry = next[head];
    while next[head] != NIL {
        if entry == NIL {
            // Only returns stop a pass; the list always ends with one while non-empty.
            break;
        }
        let (_, op, is_ret) = events[entry];
        if !is_ret {
            let o = &history[op];
            if let Some(after) = spec.step(&state, &o.op, &o.ret) {
                let fp = fingerprint ^ keys[op];
                if cache.insert((fp, after.clone())) {
                    stack.push((op, std::mem::replace(&mut state, after)));
                    fingerprint = fp;
                    linearized[op] = true;
                    unlink(&mut next, &mut prev, call_pos[op]);
                    unlink(&mut next, &mut prev, ret_pos[op]);
                    entry = next[head];
                    continue;
                }
            }
            entry = next[entry];
        } else {
            if stack.len() > best.0 || best.1 == NIL {
                best = (stack.len(), op);
                best_linearized.clone_from(&linearized);
            }
            let Some((undo, before)) = stack.pop() else {
                return Ok(Outcome::NotLinearizable(failure(
                    history,
                    best,
                    &best_linearized,
                )));
            };
            state = before;
            fingerprint ^= keys[undo];
            linearized[undo] = false;
            relink(&mut next, &mut prev, ret_pos[undo]);
            relink(&mut next, &mut prev, call_pos[undo]);
            entry = next[call_pos[undo]];
        }
    }
    Ok(Outcome::Linearizable {
        explored: cache.len(),
    })
}

fn failure<O, R>(
    history: &[Operation<O, R>],
    best: (usize, usize),
    linearized: &[bool],
) -> Failure {
    let (depth, stuck) = best;
    let end = history[stuck].returned;
    // Not linearized and invoked before the stuck operation returned: these are the
    // operations the search tried to order around `stuck`. Keep the ones that overlap
    // `stuck` or whose own return the search also could not pass.
    let earliest_open = history
        .iter()
        .enumerate()
        .filter(|(i, o)| !linearized[*i] && o.call < end)
        .map(|(_, o)| o.call)
        .min()
        .unwrap_or(history[stuck].call);
    let start = history[stuck].call;
    let mut window: Vec<usize> = history
        .iter()
        .enumerate()
        .filter(|(i, o)| {
            let open = !linearized[*i] && o.call >= earliest_open && o.call < end;
            let overlaps_stuck = o.call < end && o.returned > start;
            open || overlaps_stuck
        })
        .map(|(i, _)| i)
        .collect();
    window.sort_by_key(|&i| history[i].call);
    Failure {
        linearized: depth,
        stuck_at: stuck,
        window,
    }
}

/// Checks a history against a spec that is a product of independent parts: `key` gives
/// each operation's part, and `spec_for` the part's spec. Fails with the first failing
/// part's window (indices into `history`).
pub fn check_partitioned<S, K, F>(
    history: &[Operation<S::Op, S::Ret>],
    key: impl Fn(&S::Op) -> K,
    spec_for: F,
) -> Result<Outcome, HistoryError>
where
    S: SequentialSpec,
    S::Op: Clone,
    S::Ret: Clone,
    K: Ord,
    F: Fn(&K) -> S,
{
    let mut parts: BTreeMap<K, Vec<usize>> = BTreeMap::new();
    for (i, o) in history.iter().enumerate() {
        parts.entry(key(&o.op)).or_default().push(i);
    }
    let mut explored = 0;
    for (k, indices) in &parts {
        let sub: Vec<Operation<S::Op, S::Ret>> =
            indices.iter().map(|&i| history[i].clone()).collect();
        match check(&spec_for(k), &sub)? {
            Outcome::Linearizable { explored: e } => explored += e,
            Outcome::NotLinearizable(f) => {
                return Ok(Outcome::NotLinearizable(Failure {
                    linearized: f.linearized,
                    stuck_at: indices[f.stuck_at],
                    window: f.window.iter().map(|&i| indices[i]).collect(),
                }))
            }
        }
    }
    Ok(Outcome::Linearizable { explored })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A register: write(v) → (), read → v.
    struct Register;
    #[derive(Clone, Debug)]
    enum Op {
        Write(u8),
        Read,
    }
    impl SequentialSpec for Register {
        type State = u8;
        type Op = Op;
        type Ret = Option<u8>;
        fn init(&self) -> u8 {
            0
        }
        fn step(&self, s: &u8, op: &Op, ret: &Option<u8>) -> Option<u8> {
            match (op, ret) {
                (Op::Write(v), None) => Some(*v),
                (Op::Read, Some(v)) if v == s => Some(*s),
                _ => None,
            }
        }
    }

    fn op(
        client: u64,
        op: Op,
        ret: Option<u8>,
        call: u64,
        returned: u64,
    ) -> Operation<Op, Option<u8>> {
        Operation {
            client,
            op,
            ret,
            call,
            returned,
        }
    }

    #[test]
    fn concurrent_write_and_read_may_see_either_value() {
        let h = vec![
            op(0, Op::Write(1), None, 0, 3),
            op(1, Op::Read, Some(1), 1, 2),
        ];
        assert!(check(&Register, &h).unwrap().is_ok());
        let h = vec![
            op(0, Op::Write(1), None, 0, 3),
            op(1, Op::Read, Some(0), 1, 2),
        ];
        assert!(check(&Register, &h).unwrap().is_ok());
    }

    #[test]
    fn a_stale_read_after_the_write_returned_is_caught_with_its_window() {
        let h = vec![
            op(0, Op::Write(1), None, 0, 1),
            op(1, Op::Read, Some(0), 2, 3),
            op(0, Op::Write(2), None, 4, 5),
        ];
        let Outcome::NotLinearizable(f) = check(&Register, &h).unwrap() else {
            panic!("missed")
        };
        assert_eq!(f.stuck_at, 1);
        assert_eq!(f.window, vec![1]);
        assert_eq!(f.linearized, 1);
    }

    #[test]
    fn malformed_histories_are_refused() {
        let h = vec![op(0, Op::Read, Some(0), 3, 3)];
        assert!(matches!(
            check(&Register, &h),
            Err(HistoryError::ReturnBeforeCall { .. })
        ));
        let h = vec![
            op(0, Op::Read, Some(0), 1, 2),
            op(1, Op::Read, Some(0), 2, 3),
        ];
        assert_eq!(check(&Register, &h), Err(HistoryError::DuplicateTime(2)));
    }
}
