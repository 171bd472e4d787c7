//! The set of visited fingerprints: one table shared by every worker thread, lock-free.
//!
//! The design of LTSmin's multi-core reachability (Laarman, van de Pol, Weber, FMCAD 2010):
//! open addressing with linear probing, a slot is one `AtomicU64` holding a fingerprint (0 is
//! empty), and an insert claims an empty slot with one compare-and-swap, so a lookup that
//! finds its fingerprint takes no lock and writes nothing. Linear probing keeps a probe
//! sequence inside one or two cache lines.
//!
//! Growth: the table is split by the fingerprint's top [`SEGMENT_BITS`] bits into segments,
//! each an open-addressing table of any size (the home slot is `fastrange`,
//! `(h × n) >> 64`, so no power-of-two waste) that grows on its own. A segment that passes
//! [`GROW_AT`] load raises [`FpSet::wants_grow`]; the workers stop at their next batch
//! boundary and [`FpSet::grow`] (which takes `&mut self`: no worker runs) rebuilds each full
//! segment [`GROWTH`] times larger, one at a time, so the transient memory is one segment,
//! not a second table. An insert into a segment with no empty slot left answers
//! [`Insert::Full`] and the caller retries after growing: correctness never depends on the
//! growth check being early enough.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

/// log2 of the number of segments. 32, not 64: each segment's mapping is rounded up to whole
/// 2 MiB huge pages, and at 11 users / 6 stock (3.2 × 10^7 states) 64 segments peaked at
/// 520 MB (16.2 bytes/state), 32 at 438 MB (13.7), 16 at 474 MB (fewer segments, but each
/// growth copies a larger one), with the same speed (`reports/bench.md`, "Session 10").
pub const SEGMENT_BITS: u32 = 5;
const SEGMENTS: usize = 1 << SEGMENT_BITS;
/// Slots in a new segment.
const MIN_SLOTS: usize = 1 << 10;
/// Load (in 1/1024) past which a segment asks to grow.
pub const GROW_AT: usize = 870;
/// A growing segment's new size, in 1/1024 of its old size.
pub const GROWTH: usize = 1331;

/// The answer of [`FpSet::insert`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Insert {
    /// Not seen before; now recorded at this slot.
    New(Slot),
    /// Seen before, at this slot.
    Present(Slot),
    /// The segment has no empty slot: grow, then insert again.
    Full,
}

/// Where a fingerprint sits: (segment, index). Valid until the next [`FpSet::grow`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    segment: u32,
    index: u32,
}

struct Segment {
    slots: Box<[AtomicU64]>,
    /// One id per slot (id + 1; 0 while unset), kept only when ids are asked for.
    ids: Option<Box<[AtomicU32]>>,
    len: AtomicU64,
}

/// Zeroed slots. A segment of 2 MiB or more gets its own mapping in huge pages from the
/// binary's allocator (`src/alloc.rs`): the table is read at random, and with 4 KiB pages
/// nearly every lookup would also miss the TLB (17% of the CPU time at 11 users / 6 stock,
/// measured with `FLASHCHECK_HUGE_PAGES=0`).
fn zeroed_u64(n: usize) -> Box<[AtomicU64]> {
    // SAFETY: all-zero bytes are a valid AtomicU64; calloc'd pages stay untouched until used.
    unsafe { Box::<[AtomicU64]>::new_zeroed_slice(n).assume_init() }
}

fn zeroed_u32(n: usize) -> Box<[AtomicU32]> {
    // SAFETY: as in `zeroed_u64`.
    unsafe { Box::<[AtomicU32]>::new_zeroed_slice(n).assume_init() }
}

impl Segment {
    fn new(slots: usize, ids: bool) -> Self {
        Segment {
            slots: zeroed_u64(slots),
            ids: ids.then(|| zeroed_u32(slots)),
            len: AtomicU64::new(0),
        }
    }

    #[inline(always)]
    fn home(&self, fp: u64) -> usize {
        // The bits below the segment's: fastrange over this segment's size.
        ((u128::from(fp << SEGMENT_BITS) * self.slots.len() as u128) >> 64) as usize
    }
}

/// The fingerprint set; see the module doc.
pub struct FpSet {
    segments: Vec<Segment>,
    wants_grow: AtomicBool,
    single_thread: bool,
}

impl std::fmt::Debug for FpSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FpSet")
            .field("len", &self.len())
            .field("slots", &self.capacity())
            .finish()
    }
}

/// 0 marks an empty slot: the one fingerprint 0 is stored as 1 (a collision TLC's estimate
/// already covers, at 2^-64).
#[inline(always)]
fn stored(fp: u64) -> u64 {
    fp.max(1)
}

impl FpSet {
    /// An empty set. `ids`: also keep a `u32` per fingerprint ([`FpSet::set_id`]).
    /// `single_thread`: only one thread will insert (a plain store instead of a CAS).
    pub fn new(ids: bool, single_thread: bool) -> Self {
        FpSet {
            segments: (0..SEGMENTS)
                .map(|_| Segment::new(MIN_SLOTS, ids))
                .collect(),
            wants_grow: AtomicBool::new(false),
            single_thread,
        }
    }

    #[inline(always)]
    fn segment_of(fp: u64) -> usize {
        (fp >> (64 - SEGMENT_BITS)) as usize
    }

    /// Starts loading the cache line where the lookup of `fp` begins.
    #[inline(always)]
    pub fn prefetch(&self, fp: u64) {
        let fp = stored(fp);
        let segment = &self.segments[Self::segment_of(fp)];
        let p = &segment.slots[segment.home(fp)];
        #[cfg(target_arch = "x86_64")]
        // SAFETY: a prefetch hint; it cannot fault.
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                (p as *const AtomicU64).cast(),
            );
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = p;
    }

    /// Records `fp` unless present.
    #[inline]
    pub fn insert(&self, fp: u64) -> Insert {
        let fp = stored(fp);
        let s = Self::segment_of(fp);
        let segment = &self.segments[s];
        let n = segment.slots.len();
        let mut i = segment.home(fp);
        for _ in 0..n {
            let slot = &segment.slots[i];
            let mut v = slot.load(Ordering::Relaxed);
            if v == 0 {
                if self.single_thread {
                    slot.store(fp, Ordering::Relaxed);
                } else {
                    match slot.compare_exchange(0, fp, Ordering::AcqRel, Ordering::Acquire) {
                        Ok(_) => {}
                        Err(now) => v = now,
                    }
                }
                if v == 0 {
                    let len = if self.single_thread {
                        let l = segment.len.load(Ordering::Relaxed) + 1;
                        segment.len.store(l, Ordering::Relaxed);
                        l
                    } else {
                        segment.len.fetch_add(1, Ordering::Relaxed) + 1
                    };
                    if len as usize * 1024 > n * GROW_AT {
                        self.wants_grow.store(true, Ordering::Relaxed);
                    }
                    return Insert::New(Slot {
                        segment: s as u32,
                        index: i as u32,
                    });
                }
            }
            if v == fp {
                return Insert::Present(Slot {
                    segment: s as u32,
                    index: i as u32,
                });
            }
            i += 1;
            if i == n {
                i = 0;
            }
        }
        self.wants_grow.store(true, Ordering::Relaxed);
        Insert::Full
    }

    /// Whether `fp` is recorded.
    pub fn contains(&self, fp: u64) -> bool {
        let fp = stored(fp);
        let segment = &self.segments[Self::segment_of(fp)];
        let n = segment.slots.len();
        let mut i = segment.home(fp);
        for _ in 0..n {
            match segment.slots[i].load(Ordering::Relaxed) {
                0 => return false,
                v if v == fp => return true,
                _ => {}
            }
            i = if i + 1 == n { 0 } else { i + 1 };
        }
        false
    }

    /// Sets the id of the fingerprint at `slot` (a set made with ids).
    #[inline]
    pub fn set_id(&self, slot: Slot, id: u32) {
        if let Some(ids) = &self.segments[slot.segment as usize].ids {
            ids[slot.index as usize].store(id.wrapping_add(1), Ordering::Release);
        }
    }

    /// The id of the fingerprint at `slot`, waiting for the thread that inserted it to set
    /// it; `None` in a set made without ids.
    #[inline]
    pub fn id(&self, slot: Slot) -> Option<u32> {
        let ids = self.segments[slot.segment as usize].ids.as_ref()?;
        loop {
            let v = ids[slot.index as usize].load(Ordering::Acquire);
            if v != 0 {
                return Some(v - 1);
            }
            std::hint::spin_loop();
        }
    }

    /// True when some segment passed its load limit (or was full): call [`FpSet::grow`]
    /// before inserting much more.
    #[inline]
    pub fn wants_grow(&self) -> bool {
        self.wants_grow.load(Ordering::Relaxed)
    }

    /// Rebuilds every segment past its load limit [`GROWTH`] times larger, one at a time.
    pub fn grow(&mut self) {
        for segment in &mut self.segments {
            let n = segment.slots.len();
            let len = *segment.len.get_mut() as usize;
            if len * 1024 <= n * GROW_AT && len < n {
                continue;
            }
            let mut bigger = Segment::new((n * GROWTH / 1024).max(n + 1), segment.ids.is_some());
            let m = bigger.slots.len();
            for (j, slot) in segment.slots.iter_mut().enumerate() {
                let fp = *slot.get_mut();
                if fp == 0 {
                    continue;
                }
                let mut i = bigger.home(fp);
                while *bigger.slots[i].get_mut() != 0 {
                    i = if i + 1 == m { 0 } else { i + 1 };
                }
                *bigger.slots[i].get_mut() = fp;
                if let (Some(to), Some(from)) = (&mut bigger.ids, &mut segment.ids) {
                    *to[i].get_mut() = *from[j].get_mut();
                }
            }
            *bigger.len.get_mut() = len as u64;
            *segment = bigger;
        }
        *self.wants_grow.get_mut() = false;
    }

    /// Fingerprints recorded.
    pub fn len(&self) -> u64 {
        self.segments
            .iter()
            .map(|s| s.len.load(Ordering::Relaxed))
            .sum()
    }

    /// True when nothing is recorded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Slots allocated.
    pub fn capacity(&self) -> u64 {
        self.segments.iter().map(|s| s.slots.len() as u64).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::fingerprint::fingerprint;

    #[test]
    fn inserts_once_grows_and_keeps_ids() {
        let mut set = FpSet::new(true, true);
        let n = 200_000u64;
        for k in 0..n {
            let fp = fingerprint(&k);
            loop {
                match set.insert(fp) {
                    Insert::New(slot) => {
                        set.set_id(slot, k as u32);
                        break;
                    }
                    Insert::Present(_) => panic!("{k} seen twice"),
                    Insert::Full => set.grow(),
                }
            }
            if set.wants_grow() {
                set.grow();
            }
        }
        assert_eq!(set.len(), n);
        assert!(set.capacity() * GROW_AT as u64 / 1024 < n * GROWTH as u64 / 1024 * 2);
        for k in (0..n).step_by(7) {
            let Insert::Present(slot) = set.insert(fingerprint(&k)) else {
                panic!("{k} lost");
            };
            assert_eq!(set.id(slot), Some(k as u32));
        }
        assert!(!set.contains(fingerprint(&n)));
        assert!(set.contains(fingerprint(&3u64)));
    }

    #[test]
    fn a_full_segment_answers_full_not_forever() {
        let set = FpSet::new(false, true);
        // Fingerprints all in segment 0: its 1024 slots fill up.
        let mut full = false;
        for k in 1..=2000u64 {
            if set.insert(k) == Insert::Full {
                full = true;
                break;
            }
        }
        assert!(full);
        assert!(set.wants_grow());
    }

    #[test]
    fn threads_insert_each_fingerprint_once() {
        let set = FpSet::new(false, false);
        let news: u64 = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..4)
                .map(|_| {
                    scope.spawn(|| {
                        (0..1000u64)
                            .filter(|k| matches!(set.insert(fingerprint(k)), Insert::New(_)))
                            .count() as u64
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).sum()
        });
        assert_eq!(news, 1000);
        assert_eq!(set.len(), 1000);
    }
}
