//! Connects the processes of a cluster before timely starts, in timely's arrangement (process
//! i dials every process before it and accepts every process after it), with two changes:
//! a deadline instead of timely's retry-forever, and a handshake that refuses a process
//! running another check (timely needs every process to run the same dataflow; a mismatch
//! would otherwise corrupt the run silently). Nothing is printed: timely's own connection
//! code writes its progress to stdout, where process 0's report goes.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// "flchk" and a protocol version.
const MAGIC: u64 = 0x666c_6368_6b00_0001;

/// Why the processes could not be connected.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// This process could not listen on its own address.
    #[error("process {process} cannot listen on {address}: {source}")]
    Listen {
        /// This process.
        process: usize,
        /// Its hostfile line (or `--listen`).
        address: String,
        /// Why.
        source: std::io::Error,
    },
    /// A process before this one did not answer in time.
    #[error("process {process} at {address} did not answer within {waited_s:.0} s (last error: {last}); start every process with the same hostfile and --processes, or raise --connect-timeout")]
    Unreachable {
        /// The process dialled.
        process: usize,
        /// Its address.
        address: String,
        /// The deadline.
        waited_s: f64,
        /// The last error seen.
        last: String,
    },
    /// Processes after this one did not connect in time.
    #[error("process {me} waited {waited_s:.0} s at {address} for process(es) {missing:?} to connect; start every process with the same hostfile and --processes, or raise --connect-timeout")]
    NotJoined {
        /// This process.
        me: usize,
        /// Where it listened.
        address: String,
        /// The processes that never connected.
        missing: Vec<usize>,
        /// The deadline.
        waited_s: f64,
    },
    /// A peer runs another check, or is not flashcheck at all.
    #[error("{peer}: {reason}")]
    Mismatch {
        /// Who (process number or address).
        peer: String,
        /// What differs.
        reason: String,
    },
}

/// The handshake both sides send: magic, process index, process count, run digest.
fn hello(index: usize, processes: usize, digest: u64) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (i, word) in [MAGIC, index as u64, processes as u64, digest]
        .into_iter()
        .enumerate()
    {
        out[i * 8..i * 8 + 8].copy_from_slice(&word.to_be_bytes());
    }
    out
}

/// Reads a peer's hello and checks it against ours; returns the peer's index.
fn read_hello(
    stream: &mut TcpStream,
    peer: &str,
    processes: usize,
    digest: u64,
) -> Result<usize, ConnectError> {
    let mut buf = [0u8; 32];
    stream
        .read_exact(&mut buf)
        .map_err(|e| ConnectError::Mismatch {
            peer: peer.to_string(),
            reason: format!("no flashcheck handshake ({e})"),
        })?;
    let word = |i: usize| u64::from_be_bytes(buf[i * 8..i * 8 + 8].try_into().expect("8 bytes"));
    let mismatch = |reason: String| ConnectError::Mismatch {
        peer: peer.to_string(),
        reason,
    };
    if word(0) != MAGIC {
        return Err(mismatch(
            "not a flashcheck process of this version (bad handshake)".into(),
        ));
    }
    if word(2) != processes as u64 {
        return Err(mismatch(format!(
            "runs with --processes {}, this one with {processes}",
            word(2)
        )));
    }
    if word(3) != digest {
        return Err(mismatch(
            "runs a different check: the model, constants, --threads, limits and flashcheck version must be the same in every process".into(),
        ));
    }
    Ok(word(1) as usize)
}

/// Connects process `me` of `addresses.len()` to every other, listening on `listen` (default:
/// its own hostfile line), and returns one stream per process (`None` at `me`), as timely's
/// `initialize_networking_from_sockets` wants them. Gives up at `timeout`.
pub fn connect(
    addresses: &[String],
    me: usize,
    listen: Option<&str>,
    digest: u64,
    timeout: Duration,
) -> Result<Vec<Option<TcpStream>>, ConnectError> {
    let n = addresses.len();
    let deadline = Instant::now() + timeout;
    let own = listen.unwrap_or(&addresses[me]).to_string();
    let listener = TcpListener::bind(own.as_str()).map_err(|source| ConnectError::Listen {
        process: me,
        address: own.clone(),
        source,
    })?;
    listener
        .set_nonblocking(true)
        .map_err(|source| ConnectError::Listen {
            process: me,
            address: own.clone(),
            source,
        })?;
    let (earlier, later) = std::thread::scope(|scope| {
        let acceptor = scope.spawn(|| accept(&listener, &own, me, n, digest, deadline, timeout));
        let earlier = (0..me)
            .map(|i| dial(&addresses[i], i, me, n, digest, deadline, timeout))
            .collect::<Result<Vec<_>, _>>();
        let later = acceptor
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        (earlier, later)
    });
    let mut sockets: Vec<Option<TcpStream>> = earlier?.into_iter().map(Some).collect();
    sockets.push(None);
    sockets.extend(later?.into_iter().map(Some));
    for s in sockets.iter().flatten() {
        let _ = s.set_read_timeout(None);
        let _ = s.set_write_timeout(None);
        let _ = s.set_nodelay(true);
    }
    Ok(sockets)
}

/// Dials process `to` until it answers the handshake or the deadline passes.
fn dial(
    address: &str,
    to: usize,
    me: usize,
    n: usize,
    digest: u64,
    deadline: Instant,
    timeout: Duration,
) -> Result<TcpStream, ConnectError> {
    let mut last = String::from("none");
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(ConnectError::Unreachable {
                process: to,
                address: address.to_string(),
                waited_s: timeout.as_secs_f64(),
                last,
            });
        }
        // Resolved on every attempt: a peer's DNS name may appear only once it starts.
        let resolved: Vec<SocketAddr> = match address.to_socket_addrs() {
            Ok(a) => a.collect(),
            Err(e) => {
                last = e.to_string();
                Vec::new()
            }
        };
        for addr in resolved {
            match TcpStream::connect_timeout(&addr, left.min(Duration::from_secs(2))) {
                Ok(mut stream) => {
                    let _ = stream.set_read_timeout(Some(left.max(Duration::from_millis(10))));
                    let _ = stream.set_nodelay(true);
                    stream.write_all(&hello(me, n, digest)).map_err(|e| {
                        ConnectError::Mismatch {
                            peer: format!("process {to} at {address}"),
                            reason: format!("closed the connection during the handshake ({e})"),
                        }
                    })?;
                    let index = read_hello(
                        &mut stream,
                        &format!("process {to} at {address}"),
                        n,
                        digest,
                    )?;
                    if index != to {
                        return Err(ConnectError::Mismatch {
                            peer: format!("process {to} at {address}"),
                            reason: format!(
                                "says it is process {index}: is the hostfile the same everywhere?"
                            ),
                        });
                    }
                    return Ok(stream);
                }
                Err(e) => last = e.to_string(),
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Accepts every process after `me` until all have shaken hands or the deadline passes.
fn accept(
    listener: &TcpListener,
    own: &str,
    me: usize,
    n: usize,
    digest: u64,
    deadline: Instant,
    timeout: Duration,
) -> Result<Vec<TcpStream>, ConnectError> {
    let mut later: Vec<Option<TcpStream>> = (me + 1..n).map(|_| None).collect();
    while later.iter().any(Option::is_none) {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(ConnectError::NotJoined {
                me,
                address: own.to_string(),
                missing: (me + 1..n)
                    .filter(|i| later[i - me - 1].is_none())
                    .collect(),
                waited_s: timeout.as_secs_f64(),
            });
        }
        match listener.accept() {
            Ok((mut stream, from)) => {
                let peer = format!("a process connecting from {from}");
                let _ = stream.set_nonblocking(false);
                let _ = stream.set_read_timeout(Some(left.max(Duration::from_millis(10))));
                let index = read_hello(&mut stream, &peer, n, digest)?;
                if index <= me || index >= n || later[index - me - 1].is_some() {
                    return Err(ConnectError::Mismatch {
                        peer,
                        reason: format!(
                            "says it is process {index}, which should not connect to process {me}"
                        ),
                    });
                }
                stream
                    .write_all(&hello(me, n, digest))
                    .map_err(|e| ConnectError::Mismatch {
                        peer: format!("process {index}"),
                        reason: format!("closed the connection during the handshake ({e})"),
                    })?;
                let _ = stream.set_nodelay(true);
                later[index - me - 1] = Some(stream);
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) => {
                return Err(ConnectError::Listen {
                    process: me,
                    address: own.to_string(),
                    source: e,
                })
            }
        }
    }
    Ok(later.into_iter().flatten().collect())
}
