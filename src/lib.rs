//! flashcheck: formal verification of the Double 11 flash-sale design.
//!
//! The binary (`src/main.rs`) is a thin shell over these modules: `cli` defines arguments,
//! `commands` runs one subcommand, `registry` is the one list of models, `check` is the
//! engine, `tla` drives TLC and tla-checker, `report` renders results.
#![warn(missing_debug_implementations, rust_2018_idioms)]

pub mod arith;
pub mod check;
pub mod cli;
pub mod commands;
pub mod exec;
pub mod explore;
pub mod history;
pub mod input;
pub mod outcome;
pub mod reference;
pub mod registry;
pub mod replay;
pub mod report;
pub mod specs;
pub mod target;
pub mod tla;
pub mod trace;
pub mod twin;
