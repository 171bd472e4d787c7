//! The atomics and locks the reference's inventory is built on: std's, or — with the
//! test-only `shuttle` feature — shuttle's, so `tests/shuttle_stores.rs` can run the stores
//! under shuttle's schedulers (the switch shuttle documents). Shuttle's types work only inside
//! a shuttle test: no other test or binary may be built with that feature.

#[cfg(feature = "shuttle")]
pub use shuttle::sync::{
    atomic::{AtomicI64, Ordering},
    Mutex, MutexGuard,
};
#[cfg(not(feature = "shuttle"))]
pub use std::sync::{
    atomic::{AtomicI64, Ordering},
    Mutex, MutexGuard,
};

/// A pause inside an operation that a mutation uses to widen its race window: a real sleep
/// on threads, a scheduling point under shuttle (where sleeping would only slow it down).
pub fn widen_race_window() {
    #[cfg(feature = "shuttle")]
    shuttle::thread::yield_now();
    #[cfg(not(feature = "shuttle"))]
    std::thread::sleep(std::time::Duration::from_millis(1));
}
