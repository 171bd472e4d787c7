//! Private servers for tests and fault runs: a Redis or a MariaDB started on a free loopback
//! port in a temporary directory (never the system service), paused (`SIGSTOP`/`SIGCONT`) or
//! killed (`SIGKILL`) and restarted with durable settings (Redis: AOF, `appendfsync always`;
//! MariaDB: InnoDB's defaults, which flush the redo log at every commit), and stopped (and its
//! directory removed) when dropped. A harness killed by a signal takes its servers with it
//! (`PR_SET_PDEATHSIG`); the directories it could not remove are swept by the next start.

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

/// Whether `program` is on the `PATH` (or in `/usr/sbin`, where Debian puts `mariadbd`,
/// often not on a user's `PATH`).
pub fn installed(program: &str) -> bool {
    find_program(program).is_some()
}

/// Where `program` is: the first match on the `PATH`, then `/usr/sbin` and `/usr/local/sbin`.
pub fn find_program(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/local/sbin"].map(PathBuf::from))
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

/// A free TCP port on 127.0.0.1 (free when asked; taken by the caller right after).
pub fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A server process this module started: paused and resumed by signal, killed (after a
/// resume, so a stopped process can die) when stopped or dropped.
#[derive(Debug, Default)]
struct Process {
    child: Option<Child>,
    paused: bool,
}

impl Process {
    fn signal(&self, sig: i32) {
        if let Some(child) = &self.child {
            // SAFETY: kill(2) on our own child's pid; no memory is touched.
            unsafe {
                libc::kill(child.id() as i32, sig);
            }
        }
    }

    fn pause(&mut self) {
        self.signal(libc::SIGSTOP);
        self.paused = true;
    }

    fn resume(&mut self) {
        self.signal(libc::SIGCONT);
        self.paused = false;
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

impl Drop for Process {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A private Redis server.
#[derive(Debug)]
pub struct RedisServer {
    process: Process,
    port: u16,
    dir: tempfile::TempDir,
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
            let _ = child.kill();
            let _ = child.wait();
            return Err(ServerError::Start {
                what,
                why: "not listening after 30 s".into(),
            });
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A fresh temporary directory for a server of `kind` (`redis`, `mariadb`), named after this
/// process (`flashcheck-<kind>-<pid>-…`), after removing the directories such servers left
/// behind when the process that owned them was killed by a signal (no destructor ran; the
/// server itself died with it, see [`die_with_parent`]). A directory whose owner is alive,
/// this process included, is left alone.
fn server_dir(kind: &str) -> std::io::Result<tempfile::TempDir> {
    sweep_orphans(&std::env::temp_dir(), kind);
    tempfile::Builder::new()
        .prefix(&format!("flashcheck-{kind}-{}-", std::process::id()))
        .tempdir()
}

/// Removes `flashcheck-<kind>-<pid>-…` directories under `tmp` whose process `pid` is gone.
/// Returns how many it removed.
pub fn sweep_orphans(tmp: &Path, kind: &str) -> usize {
    let prefix = format!("flashcheck-{kind}-");
    let Ok(entries) = std::fs::read_dir(tmp) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(owner) = name
            .to_str()
            .and_then(|n| n.strip_prefix(&prefix))
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<i32>().ok())
        else {
            continue;
        };
        if owner > 0 && !process_alive(owner) && std::fs::remove_dir_all(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// Whether a process `pid` exists (signal 0; EPERM means it exists under another user).
fn process_alive(pid: i32) -> bool {
    // SAFETY: kill(2) with signal 0 only checks for the process; nothing is sent.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Makes the server die with the thread that starts it (`PR_SET_PDEATHSIG`), so that a
/// harness killed by a signal (no destructor runs) leaves no server behind. The thread is the
/// one that owns the server: the harness starts and restarts it from one thread.
fn die_with_parent(cmd: &mut Command) {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: prctl(2) is async-signal-safe and touches no memory of the parent.
        unsafe {
            cmd.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = cmd;
}

impl RedisServer {
    /// Starts `redis-server` on a free loopback port in a fresh temporary directory, with the
    /// append-only file fsynced on every write (`appendfsync always`), no RDB snapshots.
    pub fn start() -> Result<Self, ServerError> {
        if !installed("redis-server") {
            return Err(ServerError::Missing("redis-server", "redis-server"));
        }
        let dir = server_dir("redis")?;
        let mut s = RedisServer {
            process: Process::default(),
            port: free_port()?,
            dir,
        };
        s.spawn()?;
        Ok(s)
    }

    fn spawn(&mut self) -> Result<(), ServerError> {
        let log = self.dir.path().join("redis.log");
        let mut cmd = Command::new("redis-server");
        die_with_parent(&mut cmd);
        let mut child = cmd
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
        self.process.child = Some(child);
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

    /// Freezes the server (`SIGSTOP`): clients time out.
    pub fn pause(&mut self) {
        self.process.pause();
    }

    /// Lets it run again (`SIGCONT`).
    pub fn resume(&mut self) {
        self.process.resume();
    }

    /// Kills it (`SIGKILL`) and starts it again on the same port and directory; it reloads
    /// the append-only file.
    pub fn kill_and_restart(&mut self) -> Result<(), ServerError> {
        self.process.stop();
        self.spawn()
    }
}

/// A private MariaDB server: `mariadb-install-db` into a temporary directory, then `mariadbd`
/// on a free loopback port with its unix socket in that directory, `--skip-grant-tables`
/// (any user name logs in, no password), no other configuration read (`--no-defaults`), and
/// InnoDB at its defaults (`innodb_flush_log_at_trx_commit = 1`: a commit is on disk before
/// it is acknowledged). Holds one database, [`MariaDbServer::DATABASE`].
/// [`MariaDbServer::start_with_grant_tables`] keeps the grant tables instead: `root` logs in
/// from 127.0.0.1 with no password and can create users.
#[derive(Debug)]
pub struct MariaDbServer {
    process: Process,
    port: u16,
    dir: tempfile::TempDir,
    mariadbd: PathBuf,
    grants: bool,
}

impl MariaDbServer {
    /// The database the server is created with.
    pub const DATABASE: &'static str = "flashcheck";

    /// Installs a fresh data directory and starts `mariadbd` on it (about 3-4 s).
    pub fn start() -> Result<Self, ServerError> {
        Self::start_inner(false)
    }

    /// As [`MariaDbServer::start`], but users and passwords are checked.
    pub fn start_with_grant_tables() -> Result<Self, ServerError> {
        Self::start_inner(true)
    }

    fn start_inner(grants: bool) -> Result<Self, ServerError> {
        let mariadbd =
            find_program("mariadbd").ok_or(ServerError::Missing("mariadbd", "mariadb-server"))?;
        let install = find_program("mariadb-install-db")
            .ok_or(ServerError::Missing("mariadb-install-db", "mariadb-server"))?;
        let dir = server_dir("mariadb")?;
        let data = dir.path().join("data");
        let log = dir.path().join("install.log");
        // Its own tmpdir: installs running side by side in /tmp collided on the bootstrap
        // server's temporary table files (1 in 6 failed, "Unknown table 'mysql.tmp_user_sys'").
        let tmp = dir.path().join("tmp");
        std::fs::create_dir(&tmp)?;
        let out = std::fs::File::create(&log)?;
        let mut cmd = Command::new(install);
        cmd.arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .args(["--skip-test-db", "--auth-root-authentication-method=normal"])
            .arg(format!("--tmpdir={}", tmp.display()))
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out);
        if let Some(user) = run_as_user() {
            cmd.arg(format!("--user={user}"));
        }
        let status = cmd.status()?;
        if !status.success() {
            let tail = std::fs::read_to_string(&log).unwrap_or_default();
            let tail: Vec<&str> = tail.lines().rev().take(3).collect();
            return Err(ServerError::Start {
                what: "mariadb-install-db",
                why: format!("exited {status}: {}", tail.join(" | ")),
            });
        }
        std::fs::create_dir(data.join(Self::DATABASE))?;
        let mut s = MariaDbServer {
            process: Process::default(),
            port: free_port()?,
            dir,
            mariadbd,
            grants,
        };
        // The free port may be taken before mariadbd binds it (other tests' clients use the
        // same ephemeral range): try twice more on fresh ports.
        let mut attempts = 1;
        loop {
            match s.spawn() {
                Err(ServerError::Start { .. }) if attempts < 3 => {
                    attempts += 1;
                    s.port = free_port()?;
                }
                other => return other.map(|()| s),
            }
        }
    }

    fn spawn(&mut self) -> Result<(), ServerError> {
        let d = self.dir.path();
        let log = d.join("error.log");
        let mut cmd = Command::new(&self.mariadbd);
        cmd.arg("--no-defaults")
            .arg(format!("--datadir={}", d.join("data").display()))
            .arg(format!("--socket={}", d.join("mariadbd.sock").display()))
            .arg(format!("--pid-file={}", d.join("mariadbd.pid").display()))
            .arg(format!("--log-error={}", log.display()))
            .arg(format!("--tmpdir={}", d.join("tmp").display()))
            .arg(format!("--port={}", self.port))
            .args([
                "--bind-address=127.0.0.1",
                "--skip-name-resolve",
                "--max-connections=1000",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(user) = run_as_user() {
            cmd.arg(format!("--user={user}"));
        }
        if !self.grants {
            cmd.arg("--skip-grant-tables");
        }
        die_with_parent(&mut cmd);
        let mut child = cmd.spawn()?;
        wait_listening(self.addr(), &mut child, "mariadbd", &log)?;
        self.process.child = Some(child);
        Ok(())
    }

    /// Its address.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// Its URL (user `root`, database [`MariaDbServer::DATABASE`]).
    pub fn url(&self) -> String {
        format!("mysql://root@{}/{}", self.addr(), Self::DATABASE)
    }

    /// Freezes the server (`SIGSTOP`): clients time out.
    pub fn pause(&mut self) {
        self.process.pause();
    }

    /// Lets it run again (`SIGCONT`).
    pub fn resume(&mut self) {
        self.process.resume();
    }

    /// Kills it (`SIGKILL`) and starts it again on the same port and data directory; InnoDB
    /// recovers from its redo log.
    pub fn kill_and_restart(&mut self) -> Result<(), ServerError> {
        self.process.stop();
        self.spawn()
    }
}

/// `mariadbd` refuses to run as root unless told `--user=root`.
fn run_as_user() -> Option<&'static str> {
    // SAFETY: geteuid(2) has no preconditions.
    (unsafe { libc::geteuid() } == 0).then_some("root")
}
