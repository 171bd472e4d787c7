//! Redis as the stock service: each SKU's stock in a string key, each buyer's status in a
//! hash, under fresh key names for the run (`flashcheck:{TAG}:stock:{sku}`,
//! `flashcheck:{TAG}:buyers:{sku}`), deleted afterwards.
//!
//! Deduction (the reservation's stock step):
//! - **atomic** (a): [`ATOMIC_RESERVE`], check and decrement in one `EVALSHA` (`EVAL` again
//!   when the server lost its script cache, e.g. after a restart);
//! - **read_then_write** (b): `GET`, then `SET` of the value read minus one (a cache-aside
//!   service's deduction); a release likewise `GET`s and `SET`s plus one;
//! - **custom** (c): `--script FILE.lua`, run by `EVALSHA` as the reservation with
//!   `KEYS[1]` = the SKU's stock key, `ARGV[1]` = the buyer's id, `ARGV[2]` = the SKU; it must
//!   return the integer 1 when it took a unit and 0 when none was left (any other reply
//!   breaks the contract and stops the run). Releases use `INCR`.
//!
//! The buyer's status (`reserved`, `sold`, `released`, `rejected`) is written with `HSET`
//! after the stock step; pay and release check it first (one client per buyer: no race).

use super::resp::{Reply, RespConnection, RespError};
use super::{Connection, Deduction, Setup, StoreOp, StoreRet, Target, TargetError};
use std::net::SocketAddr;
use std::time::Duration;

/// The built-in atomic reservation (a).
pub const ATOMIC_RESERVE: &str = "local n = tonumber(redis.call('GET', KEYS[1]))\n\
if n and n > 0 then redis.call('DECR', KEYS[1]) return 1 end\n\
return 0\n";

/// A Redis server as the stock service.
#[derive(Debug)]
pub struct RedisTarget {
    addr: SocketAddr,
    deduction: Deduction,
    timeout: Duration,
    tag: String,
    setup: Option<Setup>,
    sha: String,
}

impl RedisTarget {
    /// The server at `addr`, deducting by `deduction`, each command given `timeout`.
    pub fn new(addr: SocketAddr, deduction: Deduction, timeout: Duration) -> Self {
        RedisTarget {
            addr,
            deduction,
            timeout,
            tag: super::run_tag(),
            setup: None,
            sha: String::new(),
        }
    }

    fn script(&self) -> Option<&str> {
        match &self.deduction {
            Deduction::Atomic => Some(ATOMIC_RESERVE),
            Deduction::ReadThenWrite => None,
            Deduction::Custom { text, .. } => Some(text),
        }
    }

    fn raw(&self) -> Result<RespConnection, TargetError> {
        RespConnection::connect(&self.addr, self.timeout).map_err(|e| match e {
            RespError::Io(e) => TargetError::Unreachable(format!(
                "no Redis at {}: {e}; {}",
                self.addr,
                super::url::how_to_start(&super::url::TargetUrl::Redis { addr: self.addr })
            )),
            other => TargetError::Protocol(other.to_string()),
        })
    }

    fn stock_key(tag: &str, sku: u32) -> String {
        format!("flashcheck:{tag}:stock:{sku}")
    }

    fn buyers_key(tag: &str, sku: u32) -> String {
        format!("flashcheck:{tag}:buyers:{sku}")
    }
}

fn lost(e: RespError) -> TargetError {
    match e {
        RespError::Io(e) => TargetError::Lost(e.to_string()),
        RespError::Protocol(p) => TargetError::Protocol(p),
    }
}

fn ok(reply: Reply) -> Result<Reply, TargetError> {
    match reply {
        Reply::Error(e) => Err(TargetError::Server(e)),
        other => Ok(other),
    }
}

impl Target for RedisTarget {
    fn describe(&self) -> String {
        let how = match &self.deduction {
            Deduction::Atomic => "atomic Lua reservation".to_string(),
            Deduction::ReadThenWrite => "read_then_write (GET, then SET)".to_string(),
            Deduction::Custom { file, .. } => format!("--script {file}"),
        };
        format!("redis://{} ({how})", self.addr)
    }

    fn setup(&mut self, setup: Setup) -> Result<(), TargetError> {
        let mut c = self.raw()?;
        if let Some(script) = self.script() {
            let reply = ok(c.command(&["SCRIPT", "LOAD", script]).map_err(lost)?);
            self.sha = match reply {
                Ok(Reply::Bulk(Some(sha))) => String::from_utf8_lossy(&sha).into_owned(),
                Ok(other) => return Err(TargetError::Protocol(format!("SCRIPT LOAD: {other:?}"))),
                Err(TargetError::Server(e)) => {
                    return Err(TargetError::Contract(format!(
                        "the Lua script does not load: {e}"
                    )))
                }
                Err(e) => return Err(e),
            }
            .to_string();
        }
        for sku in 0..setup.skus {
            let key = Self::stock_key(&self.tag, sku);
            ok(c.command(&["SET", &key, &setup.stock.to_string()])
                .map_err(lost)?)?;
        }
        self.setup = Some(setup);
        Ok(())
    }

    fn connect(&self) -> Result<Box<dyn Connection>, TargetError> {
        let conn = RespConnection::connect(&self.addr, self.timeout)
            .map_err(|e| TargetError::Lost(e.to_string()))?;
        Ok(Box::new(RedisConnection {
            conn,
            tag: self.tag.clone(),
            deduction: self.deduction.clone(),
            script: self.script().map(str::to_string),
            sha: self.sha.clone(),
        }))
    }

    fn teardown(&mut self) -> Result<(), TargetError> {
        let Some(setup) = self.setup.take() else {
            return Ok(());
        };
        let mut keys = vec!["DEL".to_string()];
        for sku in 0..setup.skus {
            keys.push(Self::stock_key(&self.tag, sku));
            keys.push(Self::buyers_key(&self.tag, sku));
        }
        // DEL is idempotent: a lost answer (a loaded machine, a server just restarted from its
        // AOF) is asked again on a fresh connection, for up to 10 s.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let answer = self.raw().and_then(|mut c| c.command(&keys).map_err(lost));
            match answer {
                Ok(reply) => return ok(reply).map(|_| ()),
                Err(e) if e.is_lost() && std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// One client's connection to Redis.
#[derive(Debug)]
struct RedisConnection {
    conn: RespConnection,
    tag: String,
    deduction: Deduction,
    script: Option<String>,
    sha: String,
}

impl RedisConnection {
    fn cmd(&mut self, args: &[&str]) -> Result<Reply, TargetError> {
        ok(self.conn.command(args).map_err(lost)?)
    }

    fn int(&mut self, args: &[&str]) -> Result<Option<i64>, TargetError> {
        let reply = self.cmd(args)?;
        reply.as_int().map_err(TargetError::Protocol)
    }

    /// The reservation's stock step: true when a unit was taken.
    fn take(&mut self, key: &str, sku: u32, user: u64) -> Result<bool, TargetError> {
        let Some(script) = self.script.clone() else {
            // (b) read, then write the value read minus one.
            let n = self.int(&["GET", key])?.unwrap_or(0);
            if n <= 0 {
                return Ok(false);
            }
            self.cmd(&["SET", key, &(n - 1).to_string()])?;
            return Ok(true);
        };
        let (user, sku) = (user.to_string(), sku.to_string());
        let sha = self.sha.clone();
        let reply = match self.cmd(&["EVALSHA", &sha, "1", key, &user, &sku]) {
            Err(TargetError::Server(e)) if e.starts_with("NOSCRIPT") => {
                self.cmd(&["EVAL", &script, "1", key, &user, &sku])
            }
            other => other,
        };
        let custom = matches!(self.deduction, Deduction::Custom { .. });
        match reply {
            Ok(Reply::Int(1)) => Ok(true),
            Ok(Reply::Int(0)) => Ok(false),
            Ok(other) if custom => Err(TargetError::Contract(format!(
                "--script must return 1 (reserved) or 0 (sold out), returned {other:?}"
            ))),
            Err(TargetError::Server(e)) if custom => {
                Err(TargetError::Contract(format!("--script failed: {e}")))
            }
            Ok(other) => Err(TargetError::Protocol(format!(
                "reservation script: {other:?}"
            ))),
            Err(e) => Err(e),
        }
    }

    fn status(&mut self, buyers: &str, user: &str) -> Result<Option<String>, TargetError> {
        match self.cmd(&["HGET", buyers, user])? {
            Reply::Bulk(b) => Ok(b.map(|b| String::from_utf8_lossy(&b).into_owned())),
            other => Err(TargetError::Protocol(format!("HGET: {other:?}"))),
        }
    }
}

impl Connection for RedisConnection {
    fn invoke(&mut self, op: &StoreOp) -> Result<StoreRet, TargetError> {
        let sku = op.sku();
        let key = RedisTarget::stock_key(&self.tag, sku);
        let buyers = RedisTarget::buyers_key(&self.tag, sku);
        match *op {
            StoreOp::Read { .. } => Ok(StoreRet::Stock(self.int(&["GET", &key])?.unwrap_or(0))),
            StoreOp::Reserve { user, .. } => {
                let u = user.to_string();
                if matches!(
                    self.status(&buyers, &u)?.as_deref(),
                    Some("reserved" | "sold")
                ) {
                    return Ok(StoreRet::Refused);
                }
                if self.take(&key, sku, user)? {
                    self.cmd(&["HSET", &buyers, &u, "reserved"])?;
                    Ok(StoreRet::Reserved)
                } else {
                    self.cmd(&["HSET", &buyers, &u, "rejected"])?;
                    Ok(StoreRet::SoldOut)
                }
            }
            StoreOp::Pay { user, .. } | StoreOp::Release { user, .. } => {
                let u = user.to_string();
                if self.status(&buyers, &u)?.as_deref() != Some("reserved") {
                    return Ok(StoreRet::Refused);
                }
                if let StoreOp::Pay { .. } = op {
                    self.cmd(&["HSET", &buyers, &u, "sold"])?;
                    return Ok(StoreRet::Paid);
                }
                if self.deduction == Deduction::ReadThenWrite {
                    let n = self.int(&["GET", &key])?.unwrap_or(0);
                    self.cmd(&["SET", &key, &(n + 1).to_string()])?;
                } else {
                    self.cmd(&["INCR", &key])?;
                }
                self.cmd(&["HSET", &buyers, &u, "released"])?;
                Ok(StoreRet::Released)
            }
        }
    }
}
