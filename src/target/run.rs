//! Drives a target: `clients` threads, each with its own connection, run buyers through the
//! inventory model's operations (reserve; then pay or release), every invocation and
//! completion stamped from one monotonic clock shared by all clients; faults injected on a
//! server the harness owns; the stock read back at the end. The result is a [`History`].
//!
//! A client whose response is lost records `info`, reconnects, and continues with a fresh
//! buyer (the lost operation is that buyer's last, as Jepsen replaces a crashed process).

use super::{Connection, Setup, StoreOp, StoreRet, Target, TargetError};
use crate::history::{EventKind, History};
use crate::trace::SplitMix64;
use serde::Serialize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A fault the harness injects into a server it started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Fault {
    /// `SIGSTOP`, a pause longer than the clients' timeout, `SIGCONT`.
    Pause,
    /// `SIGKILL`, then a restart with the durable settings.
    Kill,
}

impl Fault {
    /// Its name on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Fault::Pause => "pause",
            Fault::Kill => "kill",
        }
    }
}

/// A server the harness can fault.
pub trait Faultable: Send {
    /// Freezes it.
    fn pause(&mut self);
    /// Lets it run again.
    fn resume(&mut self);
    /// Kills it and starts it again.
    fn kill_and_restart(&mut self) -> Result<(), String>;
}

impl Faultable for super::server::RedisServer {
    fn pause(&mut self) {
        super::server::RedisServer::pause(self);
    }
    fn resume(&mut self) {
        super::server::RedisServer::resume(self);
    }
    fn kill_and_restart(&mut self) -> Result<(), String> {
        super::server::RedisServer::kill_and_restart(self).map_err(|e| e.to_string())
    }
}

impl Faultable for super::server::MariaDbServer {
    fn pause(&mut self) {
        super::server::MariaDbServer::pause(self);
    }
    fn resume(&mut self) {
        super::server::MariaDbServer::resume(self);
    }
    fn kill_and_restart(&mut self) -> Result<(), String> {
        super::server::MariaDbServer::kill_and_restart(self).map_err(|e| e.to_string())
    }
}

/// What to run.
#[derive(Debug, Clone)]
pub struct Workload {
    /// Concurrent clients.
    pub clients: usize,
    /// Operations each client invokes (reserve, pay, release), about.
    pub ops_per_client: usize,
    /// Units and SKUs.
    pub setup: Setup,
    /// Seed of the pay-or-release coins and of the fault schedule.
    pub seed: u64,
    /// Faults to inject (on the server given to [`run`]).
    pub faults: Vec<Fault>,
}

/// A recorded run.
#[derive(Debug, Clone, Serialize)]
pub struct Recorded {
    /// The history, final stock reads included.
    pub history: History<StoreOp, StoreRet>,
    /// Wall time of the clients' part.
    pub elapsed_s: f64,
    /// Operations completed or lost per second.
    pub ops_per_s: f64,
    /// Faults injected, in order.
    pub faults: Vec<String>,
}

/// How long a client keeps trying to reconnect after a lost response: longer than the 30 s a
/// private server is given to come back after a kill (`server.rs`), so a client never gives up
/// on a server that is still allowed to restart. 20 s was not: on a loaded machine a killed
/// `mariadbd` took longer, and the fault test failed with "Connection refused".
const RECONNECT_FOR: Duration = Duration::from_secs(40);

fn reconnect(target: &dyn Target) -> Result<Box<dyn Connection>, TargetError> {
    let deadline = Instant::now() + RECONNECT_FOR;
    loop {
        match target.connect() {
            Ok(c) => return Ok(c),
            Err(e) if Instant::now() < deadline && e.is_lost() => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => return Err(e),
        }
    }
}

/// Runs `workload` against `target` (already set up with `workload.setup`), injecting its
/// faults into `server`, and reads every SKU's stock at the end.
pub fn run(
    target: &dyn Target,
    workload: &Workload,
    server: Option<&mut dyn Faultable>,
) -> Result<Recorded, TargetError> {
    let clock = AtomicU64::new(1);
    let events = Mutex::new(Vec::new());
    let first_error: Mutex<Option<TargetError>> = Mutex::new(None);
    let started = Instant::now();
    let mut fault_log = Vec::new();
    std::thread::scope(|scope| {
        let mut handles = Vec::new();
        for client in 0..workload.clients {
            let (clock, events, first_error) = (&clock, &events, &first_error);
            handles.push(scope.spawn(move || {
                let result = client_loop(target, workload, client as u64, clock);
                match result {
                    Ok(local) => events
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .extend(local),
                    Err((local, e)) => {
                        events
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .extend(local);
                        first_error
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .get_or_insert(e);
                    }
                }
            }));
        }
        if let (Some(server), false) = (server, workload.faults.is_empty()) {
            let mut rng = SplitMix64::new(workload.seed ^ 0xFA17);
            // The first fault as soon as a client has invoked its first operation. A fixed
            // 10 ms delay let small runs end before any fault on an idle machine: 12 of 200
            // MariaDB runs of 4 clients × 6 operations were faulted at all.
            while clock.load(Ordering::SeqCst) < 2 && !handles.iter().all(|h| h.is_finished()) {
                std::thread::yield_now();
            }
            while !handles.iter().all(|h| h.is_finished()) {
                let fault = workload.faults[rng.below(workload.faults.len())];
                match fault {
                    Fault::Pause => {
                        server.pause();
                        std::thread::sleep(Duration::from_millis(150 + rng.below(100) as u64));
                        server.resume();
                        fault_log.push("pause".to_string());
                    }
                    Fault::Kill => match server.kill_and_restart() {
                        Ok(()) => fault_log.push("kill".to_string()),
                        Err(e) => {
                            fault_log.push(format!("kill: restart failed: {e}"));
                            break;
                        }
                    },
                }
                std::thread::sleep(Duration::from_millis(20 + rng.below(60) as u64));
            }
        }
    });
    let elapsed = started.elapsed();
    if let Some(e) = first_error.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(e);
    }
    let mut events = events.into_inner().unwrap_or_else(|p| p.into_inner());
    let operations = events
        .iter()
        .filter(|(_, _, k)| matches!(k, EventKind::Invoke(_)))
        .count();
    // The final reads, after every client finished (and every fault was healed).
    let mut conn = reconnect(target)?;
    let reader = workload.clients as u64;
    for sku in 0..workload.setup.skus {
        let op = StoreOp::Read { sku };
        let call = clock.fetch_add(1, Ordering::SeqCst);
        // A read changes nothing, so a lost one is asked again (on a fresh connection) until
        // an answer comes: on a loaded machine a server just restarted from its AOF or redo log
        // can miss the client timeout more than once.
        let deadline = Instant::now() + FINAL_READ_PATIENCE;
        let ret = loop {
            match conn.invoke(&op) {
                Ok(ret) => break ret,
                Err(e) if e.is_lost() && Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(50));
                    if let Ok(fresh) = reconnect(target) {
                        conn = fresh;
                    }
                }
                Err(e) => return Err(e),
            }
        };
        let at = clock.fetch_add(1, Ordering::SeqCst);
        events.push((call, reader, EventKind::Invoke(op)));
        events.push((at, reader, EventKind::Ok(ret)));
    }
    events.sort_by_key(|e| e.0);
    let mut history = History::default();
    for (time, process, kind) in events {
        history.push(process, kind, time);
    }
    Ok(Recorded {
        history,
        elapsed_s: elapsed.as_secs_f64(),
        ops_per_s: operations as f64 / elapsed.as_secs_f64().max(1e-9),
        faults: fault_log,
    })
}

/// How long the final stock reads keep asking a server that does not answer.
const FINAL_READ_PATIENCE: Duration = Duration::from_secs(10);

type Local = Vec<(u64, u64, EventKind<StoreOp, StoreRet>)>;

fn client_loop(
    target: &dyn Target,
    w: &Workload,
    client: u64,
    clock: &AtomicU64,
) -> Result<Local, (Local, TargetError)> {
    let mut local: Local = Vec::new();
    let mut rng = SplitMix64::new(w.seed ^ (client + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let mut conn = match reconnect(target) {
        Ok(c) => Some(c),
        Err(e) => return Err((local, e)),
    };
    let mut invoked = 0;
    let mut round = 0u64;
    // Each buyer is used by this client only; a fresh id each round.
    while invoked < w.ops_per_client {
        let user = 1 + client + round * w.clients as u64;
        round += 1;
        let sku = (user % u64::from(w.setup.skus.max(1))) as u32;
        let mut next = Some(StoreOp::Reserve { sku, user });
        while let Some(op) = next.take() {
            let c = match conn.as_mut() {
                Some(c) => c,
                None => match reconnect(target) {
                    Ok(c) => conn.insert(c),
                    Err(e) => return Err((local, e)),
                },
            };
            invoked += 1;
            let call = clock.fetch_add(1, Ordering::SeqCst);
            let result = c.invoke(&op);
            let at = clock.fetch_add(1, Ordering::SeqCst);
            local.push((call, client, EventKind::Invoke(op)));
            match result {
                Ok(ret) => {
                    if ret == StoreRet::Reserved {
                        next = Some(if rng.next_u64() & 1 == 0 {
                            StoreOp::Pay { sku, user }
                        } else {
                            StoreOp::Release { sku, user }
                        });
                    }
                    local.push((at, client, EventKind::Ok(ret)));
                }
                Err(TargetError::Contract(e)) => return Err((local, TargetError::Contract(e))),
                Err(_) => {
                    // Lost, or refused half-way: it may have taken effect.
                    local.push((at, client, EventKind::Info));
                    conn = None;
                }
            }
        }
    }
    Ok(local)
}
