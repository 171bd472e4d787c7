//! A lossy cache of the fingerprints of states recently handed to stateright's DFS.
//!
//! stateright's DFS looks every generated state up in its `DashSet` of fingerprints: a lock
//! and two random DRAM accesses per lookup once the set outgrows the caches, and 80% of the
//! time of `check inventory` at 10 users / 6 stock (5.7 M distinct, 34 M generated). Five
//! in six generated states are duplicates, and most duplicates in a DFS are of states
//! generated shortly before (the other interleaving of two independent steps). The
//! [`Exhaustive`](super::exhaustive) wrapper answers those from this cache in its
//! `within_boundary`, and stateright never sees them; stateright's set stays the one
//! authority on what was visited. A fingerprint enters the cache only when
//! `within_boundary` lets the state through, after which stateright inserts it into its
//! set, so every cached fingerprint is in stateright's set and skipping a state whose
//! fingerprint is cached changes nothing but the number of lookups. The fingerprint is
//! stateright's own (same ahash, same seeds), so a collision here is one stateright would
//! make too.
//!
//! Layout: 8-way set-associative, one 64-byte cache line per set, oldest-first eviction
//! within a set. The number of sets in use grows with the number of expanded states: at
//! each power of two, twice as many entries as states (8 to 16 bytes per state), up to
//! [`MAX_LOG2_ENTRIES`]; the memory is reserved at the largest size but untouched pages
//! cost nothing.
//!
//! Measured (min/median wall of alternating runs on 2 shared cores). 10 users / 6 stock
//! (5,729,787 distinct, 34,396,711 generated, 28.7 M duplicates), load 1.2-2.2: no cache
//! 4.58/5.49 s; half as many entries as states 4.14/4.39 s (23.8 M duplicates answered
//! here); as many 4.14/4.23 s (25.4 M); twice as many 3.81/3.94 s (27.4 M, 153 MB peak);
//! four times 3.66/4.02 s (28.4 M, 216 MB). On a quiet machine the size mattered less there
//! (2^20 to 2^24 entries: 3.0-3.2 s) but did at 11 users / 6 stock (32 M distinct, 207 M
//! generated): no cache 38.8 s, at most 2^22 entries 28.8 s, at most 2^24 24.9 s (766 MB
//! peak). Direct-mapped instead of 8-way answered fewer at the same size (2^22 entries at
//! 10 / 6: 26.4 M against 28.4 M).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// Entries per set: one 64-byte cache line.
const WAYS: usize = 8;
/// The smallest cache: 4096 entries (32 KiB).
const MIN_LOG2_ENTRIES: u32 = 12;
/// The largest cache: 2^24 entries (128 MiB), reached at 2^23 expanded states.
pub(crate) const MAX_LOG2_ENTRIES: u32 = 24;
/// Prefetching (see [`Recent::prefetch`]) pays once the cache no longer fits in L2.
const PREFETCH_FROM_LOG2_ENTRIES: u32 = 16;

#[repr(align(64))]
struct Set([AtomicU64; WAYS]);

/// The cache; see the module doc.
pub(crate) struct Recent {
    sets: Box<[Set]>,
    /// Sets in use minus one (a power of two minus one).
    mask: AtomicUsize,
}

impl Recent {
    /// An empty cache that can grow to `2^max_log2_entries` entries.
    pub(crate) fn new(max_log2_entries: u32) -> Self {
        let max_log2_entries = max_log2_entries.max(MIN_LOG2_ENTRIES);
        let sets = (1usize << max_log2_entries) / WAYS;
        // SAFETY: all-zero bytes are a valid `AtomicU64`, hence a valid `Set`. Zeroed
        // allocation leaves the pages untouched until the cache grows into them.
        let sets = unsafe { Box::<[Set]>::new_zeroed_slice(sets).assume_init() };
        Recent {
            sets,
            mask: AtomicUsize::new((1usize << MIN_LOG2_ENTRIES) / WAYS - 1),
        }
    }

    /// Called with the number of states expanded so far: grows the cache to twice that
    /// many entries when `expanded` is a power of two.
    pub(crate) fn on_expanded(&self, expanded: u64) {
        if expanded.is_power_of_two() {
            let entries = (expanded * 2).max(1 << MIN_LOG2_ENTRIES) as usize;
            let sets = (entries / WAYS).min(self.sets.len());
            let old = self.mask.load(Ordering::Relaxed) + 1;
            if sets > old {
                // Each doubling moves half of the fingerprints to the new upper half of the
                // sets: copy the lower half up, so none is lost (the copies that belong in
                // the other half are never looked up there, and are evicted in time).
                for i in old..sets {
                    for (to, from) in self.sets[i].0.iter().zip(&self.sets[i % old].0) {
                        to.store(from.load(Ordering::Relaxed), Ordering::Relaxed);
                    }
                }
                self.mask.store(sets - 1, Ordering::Relaxed);
            }
        }
    }

    fn set(&self, fp: u64) -> &Set {
        &self.sets[fp as usize & self.mask.load(Ordering::Relaxed)]
    }

    /// Whether prefetching is worth its cost (the cache has outgrown L2).
    pub(crate) fn wants_prefetch(&self) -> bool {
        (self.mask.load(Ordering::Relaxed) + 1) * WAYS >= 1 << PREFETCH_FROM_LOG2_ENTRIES
    }

    /// Starts loading the cache line `fp` would be looked up in, so that a lookup shortly
    /// after does not wait for memory.
    pub(crate) fn prefetch(&self, fp: u64) {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: a prefetch hint for an address inside `self.sets`; it cannot fault.
        #[allow(unused_unsafe)]
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                (self.set(fp) as *const Set).cast(),
            );
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = fp;
    }

    /// Whether `fp` is cached. Zero is never a fingerprint stateright accepts (it panics on
    /// it) and marks empty entries, so it is never reported as cached.
    pub(crate) fn contains(&self, fp: u64) -> bool {
        fp != 0
            && self
                .set(fp)
                .0
                .iter()
                .any(|e| e.load(Ordering::Relaxed) == fp)
    }

    /// Caches `fp`, evicting the oldest entry of its set. Racing threads can lose or
    /// duplicate entries, never invent one: every stored value is some caller's `fp`.
    pub(crate) fn insert(&self, fp: u64) {
        let set = &self.set(fp).0;
        for i in (1..WAYS).rev() {
            set[i].store(set[i - 1].load(Ordering::Relaxed), Ordering::Relaxed);
        }
        set[0].store(fp, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_eight_of_a_set_and_grows() {
        let r = Recent::new(MIN_LOG2_ENTRIES);
        let sets = ((1usize << MIN_LOG2_ENTRIES) / WAYS) as u64;
        // Nine fingerprints in set 1: the first is evicted.
        let fps: Vec<u64> = (1..=9).map(|k| 1 + k * sets).collect();
        for &fp in &fps {
            assert!(!r.contains(fp));
            r.insert(fp);
        }
        assert!(!r.contains(fps[0]));
        assert!(fps[1..].iter().all(|&fp| r.contains(fp)));
        assert!(!r.contains(0));

        let big = Recent::new(22);
        assert!(!big.wants_prefetch());
        let fp = 0xdead_beef_f00d_0001;
        big.insert(fp);
        big.on_expanded(1 << 18);
        assert_eq!(big.mask.load(Ordering::Relaxed) + 1, (1 << 19) / WAYS);
        assert!(big.wants_prefetch());
        assert!(big.contains(fp), "growing keeps what was cached");
        big.on_expanded((1 << 18) + 1);
        assert_eq!(big.mask.load(Ordering::Relaxed) + 1, (1 << 19) / WAYS);
        big.on_expanded(1 << 30);
        assert_eq!(big.mask.load(Ordering::Relaxed) + 1, (1 << 22) / WAYS);
        assert!(big.contains(fp));
    }
}
