//! Checking across processes on timely dataflow (`flashcheck check … --processes N --process I
//! --hosts FILE`): safety and reachability by a breadth-first search whose visited set is
//! partitioned by fingerprint between timely workers, each BFS level a timely round
//! ([`search`]); the shortest path to each discovery walked back across owners and replayed
//! forward from an initial state ([`walk`]). Process 0 assembles the one [`CheckReport`]; the
//! others return none.
//!
//! timely is fail-stop: a process that dies ends the run; this module turns that into one
//! error ([`ClusterError::Lost`]) instead of timely's panics, and connects the processes
//! itself with a deadline ([`connect`]). Liveness is not checked here (reported `unknown`).
//!
//! The seam to a one-process engine is [`check`]: a [`Spec`] model and the usual
//! [`CheckOptions`] in, a [`CheckReport`] out.

mod connect;
pub mod hosts;
pub mod manifest;
mod search;
mod table;
mod walk;

pub use connect::ConnectError;
pub use hosts::HostsError;
pub use search::Routing;

use crate::check::fingerprint::fingerprint;
use crate::check::CheckOptions;
use crate::report::{CheckReport, Engine, PropertyKind, PropertyReport};
use crate::verdict::Verdict;
use flashcheck_models::Spec;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::hash::Hash;
use std::panic::PanicHookInfo;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};
use timely::communication::allocator::zero_copy::initialize::initialize_networking_from_sockets;
use timely::communication::allocator::{AllocatorBuilder, ProcessBuilder};
use timely::communication::Hooks;
use timely::{CommunicationConfig, WorkerConfig};

/// The note on every liveness property of a multi-process check.
pub const LIVENESS_NOTE: &str =
    "liveness is not checked across processes; TLC's distributed mode has the same limit";

/// The engine name in reports.
pub const ENGINE: Engine = Engine::FlashcheckCluster;

/// Where this process stands in the cluster.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ClusterOptions {
    /// How many processes (the hostfile's lines).
    pub processes: usize,
    /// This process, 0-based; process 0 prints the report.
    pub process: usize,
    /// One `host:port` per process.
    pub hosts: Vec<String>,
    /// Listen here instead of on this process's own hostfile line (in a container, where the
    /// name of the pod may not resolve to an address the pod has until it is running).
    pub listen: Option<String>,
    /// How long to wait for every process to connect. Default 30 s.
    pub connect_timeout: Duration,
    /// Called once the processes are connected, with this process, the number of processes
    /// and the seconds it took (`flashcheck check` prints them under
    /// `FLASHCHECK_CLUSTER_TIMING=1`).
    pub on_connected: Option<fn(usize, usize, f64)>,
    /// Which worker owns a fingerprint; only tests change it.
    #[doc(hidden)]
    pub routing: Routing,
}

impl ClusterOptions {
    /// Process `process` of `hosts.len()`.
    pub fn new(process: usize, hosts: Vec<String>) -> Result<Self, ClusterError> {
        let processes = hosts.len();
        if process >= processes {
            return Err(ClusterError::ProcessOutOfRange { process, processes });
        }
        Ok(ClusterOptions {
            processes,
            process,
            hosts,
            listen: None,
            connect_timeout: Duration::from_secs(30),
            on_connected: None,
            routing: Routing::default(),
        })
    }
}

/// Why a multi-process check did not produce a result.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClusterError {
    /// A bad hostfile.
    #[error(transparent)]
    Hosts(#[from] HostsError),
    /// `--process` is not one of the processes.
    #[error("--process {process} is out of range: with {processes} processes it is 0 to {}", processes - 1)]
    ProcessOutOfRange {
        /// `--process`.
        process: usize,
        /// `--processes`.
        processes: usize,
    },
    /// The processes could not be connected.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// A process stopped (or its connection broke) during the check; the run is lost.
    #[error("{0}; timely dataflow is fail-stop: the run is lost, start every process again")]
    Lost(String),
    /// timely could not start.
    #[error("timely dataflow: {0}")]
    Timely(String),
}

/// What this process produced.
#[derive(Debug)]
#[non_exhaustive]
pub struct Outcome {
    /// The report (process 0 only).
    pub report: Option<CheckReport>,
    /// Seconds spent connecting the processes.
    pub connect_s: f64,
}

/// The first failure any thread of the run reported by panicking (timely reports a broken
/// connection that way); see [`Watch::install`].
#[derive(Default)]
struct Watch {
    failed: AtomicBool,
    /// From a `timely:send-K`/`timely:recv-K` thread: the connection to process K broke.
    peer: Mutex<Option<(usize, String)>>,
    /// Any other panic during the run.
    other: Mutex<Option<String>>,
}

type Hook = Arc<dyn Fn(&PanicHookInfo<'_>) + Send + Sync>;

impl Watch {
    /// Replaces the panic hook for the run: timely's communication panics (a broken
    /// connection, and the "poisoned" panics it cascades into) are recorded, not printed;
    /// others are recorded and printed as before. Returns the previous hook.
    fn install(self: &Arc<Self>) -> Hook {
        let previous: Hook = Arc::from(std::panic::take_hook());
        let watch = Arc::clone(self);
        let chain = Arc::clone(&previous);
        std::panic::set_hook(Box::new(move |info| {
            let message = info
                .payload()
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_default();
            let thread = std::thread::current();
            let name = thread.name().unwrap_or("");
            watch.failed.store(true, Ordering::SeqCst);
            let peer = name
                .strip_prefix("timely:recv-")
                .or_else(|| name.strip_prefix("timely:send-"))
                .and_then(|k| k.parse::<usize>().ok());
            let communication = message.contains("timely communication error")
                || message.contains("poisoned")
                || message.contains("Send thread panic")
                || message.contains("Recv thread panic");
            match peer {
                Some(k) => {
                    if let Ok(mut p) = watch.peer.lock() {
                        p.get_or_insert((k, message));
                    }
                }
                None => {
                    if let Ok(mut o) = watch.other.lock() {
                        o.get_or_insert(message);
                    }
                    if !communication {
                        chain(info);
                    }
                }
            }
        }));
        previous
    }

    fn restore(previous: Hook) {
        std::panic::set_hook(Box::new(move |info| previous(info)));
    }

    /// After a lost run the threads left behind keep panicking as their channels break
    /// ("MergeQueue poisoned"): those are silenced for good, so that the one line stays one
    /// line; a panic in any thread not named `timely:*` still goes to the previous hook.
    fn abandon(previous: Hook) {
        std::panic::set_hook(Box::new(move |info| {
            let timely = std::thread::current()
                .name()
                .is_some_and(|n| n.starts_with("timely:"));
            if !timely {
                previous(info);
            }
        }));
    }

    /// The one line saying what went wrong.
    fn describe(&self, hosts: &[String]) -> String {
        if let Some((k, message)) = self.peer.lock().ok().and_then(|p| p.clone()) {
            let address = hosts.get(k).map_or("?", String::as_str);
            return format!(
                "the connection to process {k} ({address}) broke during the check ({message})"
            );
        }
        let other = self.other.lock().ok().and_then(|o| o.clone());
        format!(
            "a worker stopped during the check ({})",
            other.unwrap_or_else(|| "no message".into())
        )
    }
}

/// Everything that must be equal in every process, hashed for the handshake.
fn run_digest(command: &str, options: &CheckOptions, cluster: &ClusterOptions) -> u64 {
    fingerprint(&(
        env!("CARGO_PKG_VERSION"),
        command,
        options.threads as u64,
        cluster.processes as u64,
        options.limits.max_states,
        options.limits.timeout.map(|t| t.as_nanos() as u64),
        options.liveness,
        cluster.routing == Routing::Fingerprint,
    ))
}

/// Checks `model` as process `cluster.process` of a cluster, with `options.threads` timely
/// workers in this process. Returns the report in process 0 (`Outcome::report`), none in the
/// others. `name` and `command` are as for [`crate::check::check`].
pub fn check<M>(
    model: M,
    name: &str,
    command: String,
    options: &CheckOptions,
    cluster: &ClusterOptions,
) -> Result<Outcome, ClusterError>
where
    M: Spec + Clone + Send + Sync + 'static,
    M::State: Clone + Eq + Hash + Serialize + DeserializeOwned + Send + 'static,
    M::Action: Clone,
{
    let threads = options.threads.max(1);
    let connecting = Instant::now();
    let (builders, others): (Vec<AllocatorBuilder>, Box<dyn std::any::Any + Send>) = if cluster
        .processes
        <= 1
    {
        let config = if threads == 1 {
            CommunicationConfig::Thread
        } else {
            CommunicationConfig::Process(threads)
        };
        config.try_build().map_err(ClusterError::Timely)?
    } else {
        let sockets = connect::connect(
            &cluster.hosts,
            cluster.process,
            cluster.listen.as_deref(),
            run_digest(&command, options, cluster),
            cluster.connect_timeout,
        )?;
        let hooks = Hooks::default();
        let locals = ProcessBuilder::new_typed_vector(threads, hooks.refill.clone(), None);
        let (builders, guard) =
            initialize_networking_from_sockets(locals, sockets, cluster.process, threads, hooks)
                .map_err(|e| ClusterError::Timely(e.to_string()))?;
        (
            builders.into_iter().map(AllocatorBuilder::Tcp).collect(),
            Box::new(guard),
        )
    };
    let connect_s = connecting.elapsed().as_secs_f64();
    if let Some(told) = cluster.on_connected {
        told(cluster.process, cluster.processes, connect_s);
    }

    let started = Instant::now();
    let workers = (threads * cluster.processes.max(1)) as u64;
    let config = search::SearchConfig {
        routing: cluster.routing,
        max_per_worker: options
            .limits
            .max_states
            .map_or(u64::MAX, |m| m.div_ceil(workers)),
        deadline: options.limits.timeout.map(|t| started + t),
    };
    let stop = Arc::new(search::Stop::default());
    let shared = Arc::new(model.clone());
    let (tx, rx) = mpsc::channel::<walk::Gathered>();
    let tx = Mutex::new(tx);

    let watch = Arc::new(Watch::default());
    let previous = watch.install();
    let guards =
        timely::execute::execute_from(builders, others, WorkerConfig::default(), move |worker| {
            let (table, local) = search::run(
                worker,
                Arc::clone(&shared),
                config.clone(),
                Arc::clone(&stop),
            );
            let gathered = walk::gather(worker, table, &local);
            if let Ok(tx) = tx.lock() {
                let _ = tx.send(gathered);
            }
        });
    let guards = match guards {
        Ok(g) => g,
        Err(e) => {
            Watch::restore(previous);
            return Err(ClusterError::Timely(e));
        }
    };
    // Wait for every local worker, watching for a broken run: then leave the threads behind
    // (joining them could wait on a dead peer) and report.
    let mut results = Vec::new();
    while results.len() < threads {
        if watch.failed.load(Ordering::SeqCst) {
            std::mem::forget(guards);
            let line = watch.describe(&cluster.hosts);
            Watch::abandon(previous);
            return Err(ClusterError::Lost(line));
        }
        match rx.recv_timeout(Duration::from_millis(50)) {
            Ok(g) => results.push(g),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    // Every worker finished: a clean shutdown, which also waits for the other processes.
    let joined = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| guards.join()));
    let failed = watch.failed.load(Ordering::SeqCst)
        || results.len() < threads
        || joined.map_or(true, |r| r.iter().any(Result::is_err));
    let line = failed.then(|| watch.describe(&cluster.hosts));
    Watch::restore(previous);
    if let Some(line) = line {
        return Err(ClusterError::Lost(line));
    }
    let elapsed_s = started.elapsed().as_secs_f64();
    let report = (cluster.process == 0).then(|| {
        let gathered = results
            .into_iter()
            .find(|g| !g.summaries.is_empty())
            .unwrap_or_default();
        assemble(&model, name, command, options, &gathered, elapsed_s)
    });
    Ok(Outcome { report, connect_s })
}

/// Builds process 0's report from what every worker sent it: the counts summed, per
/// property the discovery nearest an initial state (ties broken by fingerprint), and then the
/// one report every engine builds ([`crate::check::assemble`]), which replays each path.
fn assemble<M>(
    model: &M,
    name: &str,
    command: String,
    options: &CheckOptions,
    gathered: &walk::Gathered,
    elapsed_s: f64,
) -> CheckReport
where
    M: Spec,
    M::State: Hash,
    M::Action: Clone,
{
    let (mut distinct, mut generated, mut deepest, mut complete) = (0, 0, None::<u64>, true);
    for summary in &gathered.summaries {
        if let walk::Gather::Summary {
            admitted,
            generated: g,
            max_level,
            stopped,
        } = summary
        {
            distinct += admitted;
            generated += g;
            deepest = deepest.max(*max_level);
            complete &= !stopped;
        }
    }
    let paths = (0..search::safety_properties(model).len())
        .map(|index| {
            gathered
                .walks
                .iter()
                .filter_map(|w| match w {
                    walk::Gather::Walk {
                        property,
                        level,
                        path,
                        ..
                    } if *property as usize == index => Some((*level, path[0], path)),
                    _ => None,
                })
                .min_by_key(|(level, fp, _)| (*level, *fp))
                // Walked back from the discovery: reversed, it starts at an initial state (a
                // walk broken by a missing parent does not, and its replay says so).
                .map(|(_, _, path)| path.iter().rev().copied().collect())
        })
        .collect();
    let liveness = options.liveness.then(|| {
        model
            .liveness()
            .iter()
            .chain(&model.persistence())
            .map(|live| PropertyReport {
                name: live.name.to_string(),
                kind: PropertyKind::Eventually,
                verdict: Verdict::Unknown,
                description: live.description.to_string(),
                counterexample: None,
                cycle_start: None,
                note: Some(LIVENESS_NOTE.to_string()),
            })
            .collect()
    });
    let found = crate::check::Found {
        distinct,
        generated,
        depth: deepest.map_or(0, |d| d + 1),
        complete,
        paths,
        liveness,
    };
    crate::check::assemble(
        model,
        name,
        command,
        &found,
        ENGINE,
        Duration::from_secs_f64(elapsed_s),
    )
}
