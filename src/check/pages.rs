//! Zeroed arrays of atomics taken straight from the kernel, in 2 MiB pages where they are
//! big enough: the fingerprint table is read at random, and with 4 KiB pages nearly every
//! lookup in a table of hundreds of megabytes also misses the TLB (a page walk that itself
//! misses the cache). Transparent huge pages are opt-in (`madvise`) on most distributions,
//! so the table asks for them; where the kernel declines, the memory works the same.

use std::sync::atomic::{AtomicU32, AtomicU64};

/// Set (to anything) in the environment, the table does not ask for huge pages: for hosts
/// where they are unwanted, and to measure what they bring (`reports/bench.md`).
pub const NO_HUGE_PAGES: &str = "FLASHCHECK_NO_HUGE_PAGES";

/// Arrays at least this big are mapped on their own and advised to use huge pages.
const HUGE: usize = 2 << 20;

/// A zero-initialised array of `T` (an atomic integer, for which all-zero bytes are a valid
/// value), freed on drop.
#[derive(Debug)]
pub struct Zeroed<T: Zero> {
    ptr: std::ptr::NonNull<T>,
    len: usize,
    mapped: bool,
}

/// Types whose all-zero bit pattern is a valid value.
///
/// # Safety
/// Implement only for such types.
pub unsafe trait Zero: Sized {}
// SAFETY: an atomic integer with all bits zero is the value 0.
unsafe impl Zero for AtomicU64 {}
// SAFETY: as above.
unsafe impl Zero for AtomicU32 {}

// SAFETY: `Zeroed<T>` owns its elements like a `Box<[T]>`; atomics are Send and Sync.
unsafe impl<T: Zero + Send> Send for Zeroed<T> {}
// SAFETY: as above.
unsafe impl<T: Zero + Sync> Sync for Zeroed<T> {}

impl<T: Zero> Zeroed<T> {
    /// `len` zeroed elements; aborts like any allocation when memory is exhausted.
    pub fn new(len: usize) -> Self {
        let bytes = len
            .checked_mul(std::mem::size_of::<T>())
            .expect("array size overflows usize");
        if bytes >= HUGE {
            if let Some(ptr) = map(bytes) {
                return Zeroed {
                    ptr: ptr.cast(),
                    len,
                    mapped: true,
                };
            }
        }
        let layout = std::alloc::Layout::array::<T>(len.max(1)).expect("array layout");
        // SAFETY: the layout has non-zero size; calloc'd memory is all zero, valid for T.
        let raw = unsafe { std::alloc::alloc_zeroed(layout) };
        let Some(ptr) = std::ptr::NonNull::new(raw.cast::<T>()) else {
            std::alloc::handle_alloc_error(layout)
        };
        Zeroed {
            ptr,
            len,
            mapped: false,
        }
    }

    /// Elements.
    #[inline(always)]
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when there is no element.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl<T: Zero> std::ops::Deref for Zeroed<T> {
    type Target = [T];
    #[inline(always)]
    fn deref(&self) -> &[T] {
        // SAFETY: `ptr` points at `len` initialised (zeroed or since written) elements.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl<T: Zero> std::ops::DerefMut for Zeroed<T> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut [T] {
        // SAFETY: as in `deref`, and `&mut self` is unique.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

impl<T: Zero> Drop for Zeroed<T> {
    fn drop(&mut self) {
        let bytes = self.len * std::mem::size_of::<T>();
        if self.mapped {
            // SAFETY: the region `map` returned, of this size, not yet unmapped.
            unsafe { libc::munmap(self.ptr.as_ptr().cast(), bytes) };
        } else {
            let layout = std::alloc::Layout::array::<T>(self.len.max(1)).expect("array layout");
            // SAFETY: allocated in `new` with this layout.
            unsafe { std::alloc::dealloc(self.ptr.as_ptr().cast(), layout) };
        }
    }
}

/// An anonymous private mapping of `bytes` (zero-filled by the kernel) starting on a 2 MiB
/// boundary (the kernel only backs aligned 2 MiB ranges with huge pages), advised to use
/// huge pages; `None` when the kernel refuses the mapping.
fn map(bytes: usize) -> Option<std::ptr::NonNull<u8>> {
    let padded = bytes.checked_add(HUGE)?;
    // SAFETY: a fresh anonymous mapping; no existing memory is touched.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            padded,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return None;
    }
    let start = p as usize;
    let aligned = start.next_multiple_of(HUGE);
    let head = aligned - start;
    let tail = padded - head - bytes;
    // SAFETY: both ranges lie inside the mapping just made and outside `aligned..+bytes`.
    unsafe {
        if head > 0 {
            libc::munmap(p, head);
        }
        if tail > 0 {
            libc::munmap((aligned + bytes) as *mut libc::c_void, tail);
        }
    }
    let p = aligned as *mut libc::c_void;
    #[cfg(target_os = "linux")]
    if std::env::var_os(NO_HUGE_PAGES).is_none() {
        // SAFETY: advice on the mapping just made; failure only means no huge pages.
        unsafe {
            libc::madvise(p, bytes, libc::MADV_HUGEPAGE);
        }
    }
    std::ptr::NonNull::new(p.cast())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::Ordering;

    #[test]
    fn small_and_mapped_arrays_start_zero_and_keep_writes() {
        for len in [0usize, 1, 1000, HUGE / 8 + 3] {
            let mut a = Zeroed::<AtomicU64>::new(len);
            assert_eq!(a.len(), len);
            assert!(a.iter().all(|x| x.load(Ordering::Relaxed) == 0));
            if len > 0 {
                a[len - 1].store(7, Ordering::Relaxed);
                *a[0].get_mut() = 5;
                assert_eq!(
                    a[len - 1].load(Ordering::Relaxed),
                    if len == 1 { 5 } else { 7 }
                );
            }
        }
    }
}
