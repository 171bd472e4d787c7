//! Targets: stock services that run outside flashcheck — Redis, MariaDB, any service over
//! HTTP — driven over TCP with the inventory model's operations. Beside `src/replay`, the
//! only code that talks to outside systems.
//!
//! A [`Target`] sets up the keys or tables it needs for one run (fresh names, never anything
//! else), hands out one [`Connection`] per client, and removes what it created afterwards.
//! A connection performs one [`StoreOp`]; an error that leaves the outcome unknown (timeout,
//! reset, server killed) is [`TargetError::Lost`], which the history records as
//! indeterminate (Jepsen's `:info`).
//!
//! Modules: [`url`] reads `--target`; [`resp`] and [`redis`] speak to Redis, [`mysql_wire`]
//! and [`mariadb`] to MariaDB, [`http`] to any service over the JSON protocol (and
//! [`http_front`] serves the reference implementation over it); [`server`] starts private
//! Redis and MariaDB servers on loopback and injects faults; [`run`] drives clients and
//! records the history.

pub mod http;
pub mod http_front;
pub mod mariadb;
pub mod mysql_wire;
pub mod redis;
pub mod resp;
pub mod run;
pub mod server;
pub mod url;

use serde::{Deserialize, Serialize};
use std::fmt;

/// A stock-keeping unit: which stock counter.
pub type Sku = u32;
/// A buyer.
pub type User = u64;

/// One operation on a stock service: the inventory model's reserve, pay and release (on
/// timeout) for a buyer on a SKU, and a read of a SKU's stock (taken after a run, to check
/// that no unit was lost or invented).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "f", rename_all = "snake_case")]
pub enum StoreOp {
    /// Hold one unit for `user`.
    Reserve {
        /// The SKU.
        sku: Sku,
        /// The buyer.
        user: User,
    },
    /// `user` paid: the held unit is sold.
    Pay {
        /// The SKU.
        sku: Sku,
        /// The buyer.
        user: User,
    },
    /// `user`'s reservation timed out: the unit returns to stock.
    Release {
        /// The SKU.
        sku: Sku,
        /// The buyer.
        user: User,
    },
    /// Units left.
    Read {
        /// The SKU.
        sku: Sku,
    },
}

impl StoreOp {
    /// The SKU it concerns.
    pub fn sku(&self) -> Sku {
        match *self {
            StoreOp::Reserve { sku, .. }
            | StoreOp::Pay { sku, .. }
            | StoreOp::Release { sku, .. }
            | StoreOp::Read { sku } => sku,
        }
    }

    /// The buyer, for all but reads.
    pub fn user(&self) -> Option<User> {
        match *self {
            StoreOp::Reserve { user, .. }
            | StoreOp::Pay { user, .. }
            | StoreOp::Release { user, .. } => Some(user),
            StoreOp::Read { .. } => None,
        }
    }
}

impl fmt::Display for StoreOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreOp::Reserve { sku, user } => write!(f, "reserve(sku {sku}, user {user})"),
            StoreOp::Pay { sku, user } => write!(f, "pay(sku {sku}, user {user})"),
            StoreOp::Release { sku, user } => write!(f, "release(sku {sku}, user {user})"),
            StoreOp::Read { sku } => write!(f, "read(sku {sku})"),
        }
    }
}

/// What a stock service answered.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoreRet {
    /// A unit is held for the buyer.
    Reserved,
    /// No unit was left.
    SoldOut,
    /// The held unit is sold.
    Paid,
    /// The held unit is back in stock.
    Released,
    /// The service refused: the buyer holds nothing to pay or release, or already holds one.
    Refused,
    /// Units left.
    Stock(i64),
}

impl fmt::Display for StoreRet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreRet::Stock(n) => write!(f, "{n}"),
            other => write!(f, "{}", format!("{other:?}").to_lowercase()),
        }
    }
}

/// What went wrong talking to a target.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    /// `--target` is not a URL flashcheck can use.
    #[error("--target {url}: {why}")]
    BadUrl {
        /// As given.
        url: String,
        /// What is wrong and what would work.
        why: String,
    },
    /// Nothing answers at the target: one line saying how to start a server there.
    #[error("{0}")]
    Unreachable(String),
    /// The response was lost (timeout, reset connection, server gone): the operation may or
    /// may not have taken effect.
    #[error("response lost: {0}")]
    Lost(String),
    /// The server answered with an error: the operation did not run.
    #[error("server refused: {0}")]
    Server(String),
    /// The server answered something the protocol does not allow.
    #[error("protocol: {0}")]
    Protocol(String),
    /// A user's script or SQL file does not keep its contract.
    #[error("{0}")]
    Contract(String),
}

impl TargetError {
    /// Whether the operation may have taken effect (record it as indeterminate).
    pub fn is_lost(&self) -> bool {
        matches!(self, TargetError::Lost(_))
    }
}

/// What a run needs from a target: `skus` SKUs with `stock` units each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Setup {
    /// Units per SKU at the start.
    pub stock: u32,
    /// SKUs (0..skus).
    pub skus: u32,
}

/// One client's connection.
pub trait Connection: Send {
    /// Performs `op`. `Err(TargetError::Lost)` when its outcome is unknown.
    fn invoke(&mut self, op: &StoreOp) -> Result<StoreRet, TargetError>;
}

/// A stock service under test.
pub trait Target: Send + Sync + fmt::Debug {
    /// How the target is named in reports (`redis://127.0.0.1:6379 (atomic)`).
    fn describe(&self) -> String;
    /// Creates the run's keys or tables (fresh names) holding `setup`.
    fn setup(&mut self, setup: Setup) -> Result<(), TargetError>;
    /// A new connection for one client.
    fn connect(&self) -> Result<Box<dyn Connection>, TargetError>;
    /// Removes what [`Target::setup`] created.
    fn teardown(&mut self) -> Result<(), TargetError>;
}

/// How a built-in target deducts stock (the model's `Deduction` constant).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Deduction {
    /// (a) check and decrement in one atomic step (a Lua script; `UPDATE … WHERE n > 0`).
    Atomic,
    /// (b) read the stock, then write back the value read minus one.
    ReadThenWrite,
    /// (c) the user's own file (`--script FILE.lua`, `--sql FILE.sql`): its text.
    Custom {
        /// The file as given.
        file: String,
        /// Its contents.
        text: String,
    },
}

/// A unique prefix for the run's keys and tables (`fc_<pid>_<nanos>`).
pub fn run_tag() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() % 1_000_000_000_000);
    format!("fc_{}_{nanos}", std::process::id())
}
