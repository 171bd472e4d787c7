//! stateright ports of flashcheck's TLA+ specs (`tla/`): pure state machines with their
//! properties, no I/O.
//!
//! Each model implements stateright's [`Model`](stateright::Model) and this crate's
//! [`Spec`], which adds what a TLA+ spec states and stateright does not: action names as TLA+
//! prints them, the weak-fairness group of each action, which states end a behaviour on
//! purpose, and liveness properties. A port and its TLA+ twin use the same variable, action and
//! property names and must reach the same number of distinct states.
#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms)]

pub mod breaker;
pub mod breaker_seed;
pub mod constant;
pub mod inventory;
pub mod inventory_seed;
mod packed;
pub mod saga;
pub mod saga_history;
pub mod saga_seed;
pub mod spec;
pub mod token_bucket;

pub use spec::{Liveness, Spec};
