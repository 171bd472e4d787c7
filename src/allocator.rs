//! The binary's global allocator: the system allocator, except that every allocation of
//! 2 MiB or more gets its own 2 MiB-aligned anonymous mapping advised `MADV_HUGEPAGE`.
//!
//! Why: past ~10^6 states the check is bound by random accesses into stateright's
//! fingerprint set (80% of the samples of `check inventory` at 10 users / 6 stock are in
//! `DashMap::_insert`, on the loads of a control group and of a bucket). With 4 KiB pages a
//! table of tens of MB also misses the TLB on nearly every one of those loads. Transparent
//! huge pages are in `madvise` mode on the machines this was measured on, so glibc's large
//! `mmap` chunks get none unless asked; asking here covers stateright's tables, which we do
//! not allocate ourselves. Measured numbers: reports/bench.md and the commit message.
//!
//! `FLASHCHECK_HUGE_PAGES=0` in the environment turns this off (everything goes to the
//! system allocator), to measure the difference.

use std::alloc::{GlobalAlloc, Layout, System};
use std::ptr;
use std::sync::atomic::{AtomicU8, Ordering};

/// The size of a transparent huge page on x86-64 and of the allocations this takes over.
const HUGE_PAGE: usize = 2 << 20;

/// The system allocator with huge pages for large allocations; see the module doc.
pub struct HugePageAlloc;

/// 0: not decided yet, 1: on, 2: off.
static ENABLED: AtomicU8 = AtomicU8::new(0);

fn enabled() -> bool {
    match ENABLED.load(Ordering::Relaxed) {
        1 => true,
        2 => false,
        _ => {
            // SAFETY: getenv with a NUL-terminated name; it does not allocate, and the
            // binary never calls setenv.
            let off = unsafe {
                let v = libc::getenv(c"FLASHCHECK_HUGE_PAGES".as_ptr());
                !v.is_null() && *v == b'0' as libc::c_char
            };
            ENABLED.store(if off { 2 } else { 1 }, Ordering::Relaxed);
            !off
        }
    }
}

/// Whether an allocation of this layout is (or would be) one of ours. It depends only on
/// the layout, so `dealloc` and `realloc` route a block the way `alloc` did.
fn is_huge(size: usize, align: usize) -> bool {
    size >= HUGE_PAGE && align <= HUGE_PAGE && enabled()
}

/// The mapping length of a block of `size` bytes: whole huge pages, so that its tail is
/// backed by a huge page too.
fn map_len(size: usize) -> usize {
    size.div_ceil(HUGE_PAGE) * HUGE_PAGE
}

/// Maps `len` (a multiple of [`HUGE_PAGE`]) bytes at a [`HUGE_PAGE`]-aligned address.
unsafe fn map_huge(len: usize) -> *mut u8 {
    let Some(over) = len.checked_add(HUGE_PAGE) else {
        return ptr::null_mut();
    };
    // SAFETY: an anonymous private mapping; the parts trimmed below lie inside it.
    unsafe {
        let raw = libc::mmap(
            ptr::null_mut(),
            over,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        if raw == libc::MAP_FAILED {
            return ptr::null_mut();
        }
        let start = raw as usize;
        let aligned = start.next_multiple_of(HUGE_PAGE);
        let head = aligned - start;
        if head > 0 {
            libc::munmap(raw, head);
        }
        let tail = over - head - len;
        if tail > 0 {
            libc::munmap((aligned + len) as *mut libc::c_void, tail);
        }
        // Advice only: if it fails the memory is still valid, in small pages.
        libc::madvise(aligned as *mut libc::c_void, len, libc::MADV_HUGEPAGE);
        aligned as *mut u8
    }
}

// SAFETY: every block is either the system allocator's or a mapping of `map_len(size)`
// bytes from `map_huge`, chosen by `is_huge` on the layout alone, and freed the same way.
unsafe impl GlobalAlloc for HugePageAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if is_huge(layout.size(), layout.align()) {
            // SAFETY: see `map_huge`.
            unsafe { map_huge(map_len(layout.size())) }
        } else {
            // SAFETY: forwarded with the caller's guarantees.
            unsafe { System.alloc(layout) }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if is_huge(layout.size(), layout.align()) {
            // SAFETY: see `map_huge`; fresh anonymous mappings are zero-filled.
            unsafe { map_huge(map_len(layout.size())) }
        } else {
            // SAFETY: forwarded with the caller's guarantees.
            unsafe { System.alloc_zeroed(layout) }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if is_huge(layout.size(), layout.align()) {
            // SAFETY: `ptr` is a mapping of this length made by `map_huge` (or moved by
            // `mremap` in `realloc`).
            unsafe {
                libc::munmap(ptr.cast(), map_len(layout.size()));
            }
        } else {
            // SAFETY: forwarded with the caller's guarantees.
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let align = layout.align();
        let old_huge = is_huge(layout.size(), align);
        let new_huge = is_huge(new_size, align);
        if !old_huge && !new_huge {
            // SAFETY: forwarded with the caller's guarantees.
            return unsafe { System.realloc(ptr, layout, new_size) };
        }
        if old_huge && new_huge {
            let (old_len, new_len) = (map_len(layout.size()), map_len(new_size));
            if old_len == new_len {
                return ptr;
            }
            if align <= 4096 {
                // Moves the pages instead of copying them (as glibc does for its own large
                // chunks). Whole-huge-page lengths get a huge-page-aligned address from the
                // kernel; any page-aligned address is correct for this alignment.
                // SAFETY: `ptr` is a mapping of `old_len` bytes.
                unsafe {
                    let moved = libc::mremap(ptr.cast(), old_len, new_len, libc::MREMAP_MAYMOVE);
                    if moved == libc::MAP_FAILED {
                        return ptr::null_mut();
                    }
                    libc::madvise(moved, new_len, libc::MADV_HUGEPAGE);
                    return moved.cast();
                }
            }
        }
        // Crossing the threshold (or a large alignment): allocate, copy, free.
        // SAFETY: the new layout is valid (the caller guarantees `new_size` fits `align`);
        // the copy stays within both blocks.
        unsafe {
            let new_layout = Layout::from_size_align_unchecked(new_size, align);
            let new = self.alloc(new_layout);
            if !new.is_null() {
                ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
            new
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_blocks_are_aligned_and_survive_growth_and_shrinking() {
        let a = HugePageAlloc;
        unsafe {
            let layout = Layout::from_size_align(HUGE_PAGE + 100, 8).unwrap();
            let p = a.alloc(layout);
            assert!(!p.is_null());
            assert_eq!(p as usize % HUGE_PAGE, 0);
            p.write_bytes(7, layout.size());
            let q = a.realloc(p, layout, 3 * HUGE_PAGE);
            assert_eq!(*q.add(HUGE_PAGE + 99), 7);
            let l3 = Layout::from_size_align(3 * HUGE_PAGE, 8).unwrap();
            let r = a.realloc(q, l3, 1000);
            assert_eq!(*r.add(999), 7);
            let small = Layout::from_size_align(1000, 8).unwrap();
            let s = a.realloc(r, small, 4 * HUGE_PAGE);
            assert_eq!(*s.add(999), 7);
            a.dealloc(s, Layout::from_size_align(4 * HUGE_PAGE, 8).unwrap());
            let z = a.alloc_zeroed(layout);
            assert_eq!(*z.add(HUGE_PAGE + 50), 0);
            a.dealloc(z, layout);
        }
    }
}
