//! The reference implementation under test: the flash-sale components written from the
//! design document (§2.1, §2.2, §3.2), correct where the seed's sketches are not.
//!
//! Every component has the same replayable shape: an operation enum, a thread-safe
//! `invoke(&self, op)` that performs one operation atomically, and `observe(&self)` returning
//! a serialisable snapshot an abstraction function can map onto a model state. Time is never
//! read from a clock: operations carry their `now_ms`, so a replay is deterministic.
//!
//! This module never imports the model crate; it is an independent statement of behaviour.

pub mod breaker;
pub mod component;
pub mod exec;
pub mod inventory;
pub mod mutation;
pub mod saga;
pub mod sync;
pub mod token_bucket;

pub use component::Component;
pub use mutation::Mutation;
