//! RESP2, Redis's wire protocol, spoken directly over a `TcpStream` (no client crate: a
//! command is an array of bulk strings, a reply one of five shapes).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// A reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// `+OK`.
    Simple(String),
    /// `-ERR …`: the server refused the command.
    Error(String),
    /// `:42`.
    Int(i64),
    /// `$…`; `None` for the null bulk string.
    Bulk(Option<Vec<u8>>),
    /// `*…`; `None` for the null array.
    Array(Option<Vec<Reply>>),
}

/// What went wrong on the wire.
#[derive(Debug, thiserror::Error)]
pub enum RespError {
    /// The connection failed, reset or timed out: a command in flight may or may not have run.
    #[error("connection: {0}")]
    Io(#[from] std::io::Error),
    /// The server sent something that is not RESP.
    #[error("not RESP: {0}")]
    Protocol(String),
}

/// One connection.
#[derive(Debug)]
pub struct RespConnection {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl RespConnection {
    /// Connects to `addr` (`host:port`), with `timeout` on connecting, reading and writing.
    pub fn connect(addr: &std::net::SocketAddr, timeout: Duration) -> Result<Self, RespError> {
        let stream = TcpStream::connect_timeout(addr, timeout)?;
        stream.set_read_timeout(Some(timeout))?;
        stream.set_write_timeout(Some(timeout))?;
        stream.set_nodelay(true)?;
        Ok(RespConnection {
            reader: BufReader::new(stream.try_clone()?),
            writer: stream,
        })
    }

    /// Sends `args` as one command and reads its reply.
    pub fn command<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Result<Reply, RespError> {
        let mut buf = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            let a = a.as_ref();
            buf.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            buf.extend_from_slice(a);
            buf.extend_from_slice(b"\r\n");
        }
        self.writer.write_all(&buf)?;
        self.read_reply(0)
    }

    fn line(&mut self) -> Result<String, RespError> {
        let mut line = String::new();
        let n = self.reader.read_line(&mut line)?;
        if n == 0 {
            return Err(RespError::Io(std::io::ErrorKind::UnexpectedEof.into()));
        }
        if !line.ends_with("\r\n") {
            return Err(RespError::Protocol(format!("unterminated line {line:?}")));
        }
        line.truncate(line.len() - 2);
        Ok(line)
    }

    fn read_reply(&mut self, depth: usize) -> Result<Reply, RespError> {
        if depth > 32 {
            return Err(RespError::Protocol("nested too deeply".into()));
        }
        let line = self.line()?;
        let (kind, rest) = line.split_at(line.len().min(1));
        let number = |s: &str| {
            s.parse::<i64>()
                .map_err(|_| RespError::Protocol(format!("bad length {s:?}")))
        };
        Ok(match kind {
            "+" => Reply::Simple(rest.to_string()),
            "-" => Reply::Error(rest.to_string()),
            ":" => Reply::Int(number(rest)?),
            "$" => {
                let len = number(rest)?;
                if len < 0 {
                    return Ok(Reply::Bulk(None));
                }
                let mut data = vec![0; len as usize + 2];
                self.reader.read_exact(&mut data)?;
                data.truncate(len as usize);
                Reply::Bulk(Some(data))
            }
            "*" => {
                let len = number(rest)?;
                if len < 0 {
                    return Ok(Reply::Array(None));
                }
                let mut items = Vec::with_capacity(len.min(1024) as usize);
                for _ in 0..len {
                    items.push(self.read_reply(depth + 1)?);
                }
                Reply::Array(Some(items))
            }
            _ => return Err(RespError::Protocol(format!("unknown reply {line:?}"))),
        })
    }
}

impl Reply {
    /// The reply as an integer (`:n`, or a bulk string holding one); `None` for nil.
    pub fn as_int(&self) -> Result<Option<i64>, String> {
        match self {
            Reply::Int(i) => Ok(Some(*i)),
            Reply::Bulk(None) => Ok(None),
            Reply::Bulk(Some(b)) => std::str::from_utf8(b)
                .ok()
                .and_then(|s| s.parse().ok())
                .map(Some)
                .ok_or_else(|| format!("not an integer: {:?}", String::from_utf8_lossy(b))),
            Reply::Error(e) => Err(e.clone()),
            other => Err(format!("not an integer: {other:?}")),
        }
    }
}
