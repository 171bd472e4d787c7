//! The engine's child process, supervised: TLC's `java`, or tla-checker run in a forked
//! copy of flashcheck so that it can be bounded and stopped.
//!
//! - **Signals.** [`install_interrupt_handlers`] (called by the `tla` and `cross` commands)
//!   makes SIGINT and SIGTERM set a flag instead of killing flashcheck. Every supervision
//!   loop polls the flag every 20 ms: it kills the child, reaps it and returns
//!   [`Stop::Interrupted`], so that the caller's temporary directories are removed as the
//!   error unwinds (the binary then exits 128 + the signal). The handlers reset themselves:
//!   a second Ctrl-C kills flashcheck at once.
//! - **Memory.** The child's resident set (`/proc/PID/statm`) is read at every poll; over
//!   the bound the child is killed with SIGKILL ([`Stop::Memory`]). tla-checker has no
//!   memory limit of its own and grew to 21 GB in 40 s on an 8,496-state spec (issue 13),
//!   so at ~0.5 GB/s a poll every 20 ms overshoots by about 10 MB.
//! - **Time.** Past the deadline the child is killed ([`Stop::Timeout`]).
//!
//! The fork ([`run_forked`]) copies only the calling thread. The child runs the closure,
//! writes its JSON result to a pipe and leaves with `_exit`. glibc's malloc is safe after a
//! fork; the one lock the child is known to take that another thread could hold is Rust's
//! stderr lock (tla-checker prints its progress there), so the parent holds that lock
//! across the fork: the child's copy of the thread then owns it (it is reentrant).

use super::error::TlaError;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::io::Read;
use std::os::fd::{FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

static INTERRUPT: AtomicI32 = AtomicI32::new(0);

/// How often a supervision loop looks at the child, the flag and the clock.
pub const POLL: Duration = Duration::from_millis(20);

/// How much of the child's stderr is kept (its tail).
const STDERR_TAIL: usize = 64 * 1024;

extern "C" fn on_signal(sig: libc::c_int) {
    INTERRUPT.store(sig, Ordering::SeqCst);
}

/// Make SIGINT and SIGTERM stop the running engine cleanly (see the module doc).
pub fn install_interrupt_handlers() {
    for sig in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: a zeroed sigaction is valid; the handler only stores into an atomic,
        // which is async-signal-safe.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as usize;
            action.sa_flags = libc::SA_RESETHAND;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(sig, &action, std::ptr::null_mut());
        }
    }
}

/// The signal that arrived since the handlers were installed, if any.
pub fn interrupted() -> Option<i32> {
    match INTERRUPT.load(Ordering::SeqCst) {
        0 => None,
        sig => Some(sig),
    }
}

/// Half of the machine's physical memory (`MemTotal` of `/proc/meminfo`), or 8 GiB when it
/// cannot be read.
pub fn default_memory_bound() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(8 << 30, |kib| kib * 1024 / 2)
}

/// Resident set of process `pid` in bytes.
pub fn rss_bytes(pid: u32) -> Option<u64> {
    let statm = std::fs::read_to_string(format!("/proc/{pid}/statm")).ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    Some(pages * u64::try_from(page).unwrap_or(4096))
}

/// Why a supervised child was stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// The deadline passed.
    Timeout,
    /// Its resident set reached `rss` bytes, over `bound`.
    Memory {
        /// Resident set when it was killed.
        rss: u64,
        /// The bound.
        bound: u64,
    },
    /// SIGINT or SIGTERM (the number) arrived.
    Interrupted(i32),
}

impl Stop {
    /// The limit in words, for a report; `None` for an interruption, which is an error.
    pub fn limit_text(self, engine: &str, elapsed: Duration) -> Option<String> {
        match self {
            Stop::Timeout => Some(format!(
                "time limit: {engine} was stopped after {:.1}s",
                elapsed.as_secs_f64()
            )),
            Stop::Memory { rss, bound } => Some(format!(
                "memory limit: {engine} was stopped at {} MiB resident, over the --max-memory bound of {} MiB",
                rss >> 20,
                bound >> 20
            )),
            Stop::Interrupted(_) => None,
        }
    }
}

/// Watch child `pid` until `try_wait` reports it finished, killing it (with `kill`) at the
/// deadline, over the memory bound, or on SIGINT/SIGTERM. Returns its status and why it was
/// stopped, if it was.
pub fn supervise<T>(
    pid: u32,
    mut try_wait: impl FnMut() -> std::io::Result<Option<T>>,
    mut kill: impl FnMut(),
    deadline: Option<Instant>,
    memory_bound: Option<u64>,
) -> std::io::Result<(T, Option<Stop>)> {
    let mut stop = None;
    loop {
        if let Some(status) = try_wait()? {
            return Ok((status, stop));
        }
        if stop.is_none() {
            stop = if let Some(sig) = interrupted() {
                Some(Stop::Interrupted(sig))
            } else if deadline.is_some_and(|d| Instant::now() >= d) {
                Some(Stop::Timeout)
            } else {
                memory_bound.and_then(|bound| {
                    rss_bytes(pid)
                        .filter(|rss| *rss > bound)
                        .map(|rss| Stop::Memory { rss, bound })
                })
            };
            if stop.is_some() {
                kill();
            }
        }
        std::thread::sleep(POLL);
    }
}

/// What a forked run left.
#[derive(Debug)]
pub struct Forked<T> {
    /// The closure's result; `None` when the child died without writing one.
    pub result: Option<T>,
    /// The tail of the child's stderr.
    pub stderr: String,
    /// Why it was stopped, if it was.
    pub stop: Option<Stop>,
    /// The signal that ended the child, when one did.
    pub signal: Option<i32>,
}

/// Run `work` in a forked child process under [`supervise`] and return its result.
pub fn run_forked<T, F>(
    work: F,
    deadline: Option<Instant>,
    memory_bound: Option<u64>,
) -> Result<Forked<T>, TlaError>
where
    T: Serialize + DeserializeOwned,
    F: FnOnce() -> T,
{
    let (result_r, result_w) = pipe()?;
    let (err_r, err_w) = pipe()?;
    let stderr_guard = std::io::stderr().lock();
    // SAFETY: the child only runs `work` (see the module doc for the locks it may take),
    // writes to its own pipe and leaves with `_exit`, never returning into the caller.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        drop(result_r);
        drop(err_r);
        // SAFETY: plain fd operations on fds this process owns.
        unsafe {
            libc::dup2(std::os::fd::AsRawFd::as_raw_fd(&err_w), 2);
        }
        let bytes = serde_json::to_vec(&work()).unwrap_or_default();
        let mut file = std::fs::File::from(result_w);
        let ok = std::io::Write::write_all(&mut file, &bytes).is_ok();
        // SAFETY: ends the child without running the parent's destructors or atexit hooks.
        unsafe { libc::_exit(if ok && !bytes.is_empty() { 0 } else { 3 }) }
    }
    drop(stderr_guard);
    if pid < 0 {
        return Err(TlaError::io(
            "forking a process for tla-checker",
            std::io::Error::last_os_error(),
        ));
    }
    drop(result_w);
    drop(err_w);
    let result_reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        std::fs::File::from(result_r)
            .read_to_end(&mut bytes)
            .map(|_| bytes)
    });
    let err_reader = std::thread::spawn(move || {
        let mut file = std::fs::File::from(err_r);
        let mut tail: Vec<u8> = Vec::new();
        let mut buf = [0u8; 8192];
        loop {
            match file.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    tail.extend_from_slice(&buf[..n]);
                    if tail.len() > 2 * STDERR_TAIL {
                        tail.drain(..tail.len() - STDERR_TAIL);
                    }
                }
            }
        }
        String::from_utf8_lossy(&tail).into_owned()
    });
    let child = pid as u32;
    let (status, stop) = supervise(
        child,
        || {
            let mut status = 0;
            // SAFETY: waitpid on our own child with a valid status pointer.
            match unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) } {
                0 => Ok(None),
                r if r == pid => Ok(Some(status)),
                _ => Err(std::io::Error::last_os_error()),
            }
        },
        || {
            // SAFETY: signalling our own child, not yet reaped.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
            }
        },
        deadline,
        memory_bound,
    )
    .map_err(|e| TlaError::io("waiting for tla-checker's process", e))?;
    let bytes = result_reader
        .join()
        .ok()
        .and_then(Result::ok)
        .unwrap_or_default();
    let stderr = err_reader.join().unwrap_or_default();
    let signal = libc::WIFSIGNALED(status).then(|| libc::WTERMSIG(status));
    let result =
        if bytes.is_empty() {
            None
        } else {
            Some(serde_json::from_slice(&bytes).map_err(|e| {
                TlaError::output("tla-checker's child process result", e.to_string())
            })?)
        };
    Ok(Forked {
        result,
        stderr,
        stop,
        signal,
    })
}

fn pipe() -> Result<(OwnedFd, OwnedFd), TlaError> {
    let mut fds = [0; 2];
    // SAFETY: pipe2 writes two fds into the array on success.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(TlaError::io(
            "creating a pipe",
            std::io::Error::last_os_error(),
        ));
    }
    // SAFETY: both fds were just created and are owned by nobody else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}
