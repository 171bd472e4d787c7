//! flashcheck: formal verification of the Double 11 flash-sale design.
//!
//! The binary (`src/main.rs`) is a thin shell over these modules: `cli` defines arguments,
//! `commands` runs one subcommand, `registry` is the one list of models, `check` is the
//! engine, `tla` drives TLC and tla-checker, `report` renders results.
#![warn(missing_debug_implementations, rust_2018_idioms)]

pub mod arith;
pub mod audit;
pub mod check;
pub mod cli;
pub mod commands;
pub mod explorer;
pub mod history;
pub mod outcome;
pub mod registry;
pub mod replay;
pub mod report;
pub mod target;
pub mod tla;
pub mod trace;
pub mod twin;
pub mod verdict;

// The reference implementation, its executors and the design inputs are workspace crates of
// their own (`crates/`), so that the compiler, not a convention, keeps the reference from
// importing the models. Re-exported under the names the rest of flashcheck uses.
pub use flashcheck_reference as reference;
pub use flashcheck_reference::exec;
pub use flashcheck_specs as specs;
pub use flashcheck_specs::input;
