//! flashcheck: formal verification of the Double 11 flash-sale design.
//!
//! The binary (`src/main.rs`) is a thin shell over these modules: `cli` defines arguments,
//! `check` runs the stateright ports, `tla` drives TLC and tla-checker, `report` renders
//! results.
#![warn(missing_debug_implementations, rust_2018_idioms)]

pub mod arith;
pub mod catalog;
pub mod check;
pub mod cli;
pub mod exec;
pub mod explore;
pub mod history;
pub mod input;
pub mod outcome;
pub mod reference;
pub mod replay;
pub mod report;
pub mod specs;
pub mod target;
pub mod tla;
pub mod trace;
pub mod twin;
