//! The atomics and locks the reference's inventory is built on: std's, or — with a test-only
//! feature — shuttle's (`shuttle`, randomized and PCT schedules) or loom's (`loom`, every
//! interleaving up to a preemption bound), so `tests/shuttle_stores.rs` and
//! `tests/loom_stores.rs` can run the stores under those checkers (the switch both document).
//! Their types work only inside their own test: no other test or binary may be built with
//! either feature, and the two exclude each other.

#[cfg(all(feature = "shuttle", feature = "loom"))]
compile_error!("the test-only features `shuttle` and `loom` exclude each other");

#[cfg(feature = "loom")]
pub use loom::sync::{
    atomic::{AtomicI64, Ordering},
    Mutex, MutexGuard,
};
#[cfg(all(feature = "shuttle", not(feature = "loom")))]
pub use shuttle::sync::{
    atomic::{AtomicI64, Ordering},
    Mutex, MutexGuard,
};
#[cfg(not(any(feature = "shuttle", feature = "loom")))]
pub use std::sync::{
    atomic::{AtomicI64, Ordering},
    Mutex, MutexGuard,
};

/// A pause inside an operation that a mutation uses to widen its race window: a real sleep
/// on threads, a scheduling point under shuttle or loom (where sleeping would only slow it
/// down).
pub fn widen_race_window() {
    #[cfg(feature = "loom")]
    loom::thread::yield_now();
    #[cfg(all(feature = "shuttle", not(feature = "loom")))]
    shuttle::thread::yield_now();
    #[cfg(not(any(feature = "shuttle", feature = "loom")))]
    std::thread::sleep(std::time::Duration::from_millis(1));
}
