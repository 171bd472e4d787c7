//! Private servers for tests and fault runs: a Redis started on a free loopback port in a
//! temporary directory (never the system service), paused (`SIGSTOP`/`SIGCONT`) or killed
//! (`SIGKILL`) and restarted with durable settings (AOF, `appendfsync always`), and stopped
//! (and its directory removed) when dropped.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Why a server could not be started.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The binary is not installed.
    #[error("{0} not found (Debian: apt-get install {1}, or run scripts/setup)")]
    Missing(&'static str, &'static str),
    /// It did not start listening in time.
    #[error("{what} did not start: {why}")]
    Start {
        /// Which server.
        what: &'static str,
        /// Its log's tail, or the error.
        why: String,
    },
    /// I/O on its directory.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Whether `program` is on the `PATH`.
pub fn installed(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// A free TCP port on 127.0.0.1 (free when asked; taken by the caller right after).
pub fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A private Redis server.
#[derive(Debug)]
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
    dir: tempfile::TempDir,
    paused: bool,
}

fn wait_listening(
    addr: SocketAddr,
    child: &mut Child,
    what: &'static str,
    log: &Path,
) -> Result<(), ServerError> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        if let Ok(Some(status)) = child.try_wait() {
            let tail = std::fs::read_to_string(log).unwrap_or_default();
            let tail: Vec<&str> = tail.lines().rev().take(3).collect();
            return Err(ServerError::Start {
                what,
                why: format!("exited {status}: {}", tail.join(" | ")),
            });
        }
        if Instant::now() > deadline {
            return Err(ServerError::Start {
                what,
                why: "not listening after 30 s".into(),
            });
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

impl RedisServer {
    /// Starts `redis-server` on a free loopback port in a fresh temporary directory, with the
    /// append-only file fsynced on every write (`appendfsync always`), no RDB snapshots.
    pub fn start() -> Result<Self, ServerError> {
        if !installed("redis-server") {
            return Err(ServerError::Missing("redis-server", "redis-server"));
        }
        let dir = tempfile::Builder::new()
            .prefix("flashcheck-redis")
            .tempdir()?;
        let mut s = RedisServer {
            child: None,
            port: free_port()?,
            dir,
            paused: false,
        };
        s.spawn()?;
        Ok(s)
    }

    fn spawn(&mut self) -> Result<(), ServerError> {
        let log = self.dir.path().join("redis.log");
        let mut child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args([
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
            ])
            .args(["--protected-mode", "yes", "--daemonize", "no"])
            .arg("--dir")
            .arg(self.dir.path())
            .arg("--logfile")
            .arg(&log)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        wait_listening(self.addr(), &mut child, "redis-server", &log)?;
        self.child = Some(child);
        Ok(())
    }

    /// Its address.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// Its URL.
    pub fn url(&self) -> String {
        format!("redis://{}", self.addr())
    }

    /// Its directory.
    pub fn dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    fn signal(&self, sig: i32) {
        if let Some(child) = &self.child {
            // SAFETY: kill(2) on our own child's pid; no memory is touched.
            unsafe {
                libc::kill(child.id() as i32, sig);
            }
        }
    }

    /// Freezes the server (`SIGSTOP`): clients time out.
    pub fn pause(&mut self) {
        self.signal(libc::SIGSTOP);
        self.paused = true;
    }

    /// Lets it run again (`SIGCONT`).
    pub fn resume(&mut self) {
        self.signal(libc::SIGCONT);
        self.paused = false;
    }

    /// Kills it (`SIGKILL`) and starts it again on the same port and directory; it reloads
    /// the append-only file.
    pub fn kill_and_restart(&mut self) -> Result<(), ServerError> {
        self.stop();
        self.spawn()
    }

    fn stop(&mut self) {
        if self.paused {
            self.resume();
        }
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}
