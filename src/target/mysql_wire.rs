//! The MySQL client/server protocol, as much of it as a stock test needs: the v10 handshake
//! (no password, or `mysql_native_password`, also after an auth switch), `COM_QUERY` with the
//! text protocol, and its three answers — OK (affected rows), ERR, a result set of text rows.
//! MariaDB 10.11 and MySQL 5.7/8 (with a native-password user) speak it.
//!
//! Written here rather than taken from crates.io: the `mysql` crate (25, `minimal`
//! features) costs a build of its own dependency tree (see reports/stores.md), is larger than
//! this file, and hides the one thing the checker needs to see — whether a response was lost
//! (an I/O error or timeout after the query was sent) or refused (an ERR packet).
//!
//! No TLS, no compression, no prepared statements, no `LOAD DATA LOCAL` (refused).

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

const CLIENT_LONG_PASSWORD: u32 = 1;
const CLIENT_LONG_FLAG: u32 = 4;
const CLIENT_CONNECT_WITH_DB: u32 = 8;
const CLIENT_PROTOCOL_41: u32 = 0x200;
const CLIENT_TRANSACTIONS: u32 = 0x2000;
const CLIENT_SECURE_CONNECTION: u32 = 0x8000;
const CLIENT_MULTI_RESULTS: u32 = 0x2_0000;
const CLIENT_PLUGIN_AUTH: u32 = 0x8_0000;
const SERVER_MORE_RESULTS_EXISTS: u16 = 8;
const NATIVE_PASSWORD: &str = "mysql_native_password";
/// utf8mb4_general_ci.
const CHARSET: u8 = 45;
const MAX_PACKET: usize = 0xFF_FFFF;

/// What went wrong on the wire.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    /// The connection failed or timed out: after a query was sent, its outcome is unknown.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The server answered with an ERR packet: the statement did not run (or, inside a
    /// transaction, the server says what it rolled back).
    #[error("ERROR {code} ({state}): {message}")]
    Server {
        /// MySQL error number (1213 deadlock, 1205 lock wait timeout, ...).
        code: u16,
        /// SQLSTATE.
        state: String,
        /// The server's message.
        message: String,
    },
    /// A packet the protocol does not allow, or a feature this client does not have.
    #[error("{0}")]
    Protocol(String),
}

/// One statement's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// OK: rows changed.
    Ok {
        /// Rows the statement changed (not merely matched: `CLIENT_FOUND_ROWS` is off).
        affected_rows: u64,
    },
    /// A result set: each row's columns as text (`None` for SQL NULL).
    Rows(Vec<Vec<Option<String>>>),
}

/// One client connection.
#[derive(Debug)]
pub struct MysqlConnection {
    stream: TcpStream,
    seq: u8,
}

/// A byte cursor over one packet's payload.
struct Cursor<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Cursor { buf, at: 0 }
    }

    fn short(&self) -> WireError {
        WireError::Protocol(format!("packet ends early at byte {}", self.at))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], WireError> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.buf.len());
        let end = end.ok_or_else(|| self.short())?;
        let s = &self.buf[self.at..end];
        self.at = end;
        Ok(s)
    }

    fn u8(&mut self) -> Result<u8, WireError> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16, WireError> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Result<u32, WireError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn nul_str(&mut self) -> Result<&'a [u8], WireError> {
        let rest = &self.buf[self.at..];
        let len = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
        let s = self.take(len)?;
        if self.at < self.buf.len() {
            self.at += 1;
        }
        Ok(s)
    }

    fn rest(&mut self) -> &'a [u8] {
        let s = &self.buf[self.at..];
        self.at = self.buf.len();
        s
    }

    /// A length-encoded integer; `None` for 0xFB (NULL in a row).
    fn lenenc(&mut self) -> Result<Option<u64>, WireError> {
        Ok(Some(match self.u8()? {
            n @ 0..=0xFA => u64::from(n),
            0xFB => return Ok(None),
            0xFC => u64::from(self.u16()?),
            0xFD => {
                let b = self.take(3)?;
                u64::from(b[0]) | u64::from(b[1]) << 8 | u64::from(b[2]) << 16
            }
            0xFE => {
                let b = self.take(8)?;
                u64::from_le_bytes(b.try_into().expect("8 bytes"))
            }
            0xFF => return Err(WireError::Protocol("0xFF is not a length".into())),
        }))
    }

    fn lenenc_int(&mut self) -> Result<u64, WireError> {
        self.lenenc()?
            .ok_or_else(|| WireError::Protocol("NULL where a number belongs".into()))
    }
}

fn server_error(payload: &[u8]) -> WireError {
    let mut c = Cursor::new(payload);
    let parsed = (|| {
        c.u8()?;
        let code = c.u16()?;
        let state = if c.buf.get(c.at) == Some(&b'#') {
            c.take(1)?;
            String::from_utf8_lossy(c.take(5)?).into_owned()
        } else {
            "HY000".to_string()
        };
        let message = String::from_utf8_lossy(c.rest()).into_owned();
        Ok::<_, WireError>(WireError::Server {
            code,
            state,
            message,
        })
    })();
    parsed.unwrap_or_else(|e| e)
}

/// `mysql_native_password`: SHA1(password) XOR SHA1(nonce ‖ SHA1(SHA1(password))).
pub fn native_password(password: &[u8], nonce: &[u8]) -> Vec<u8> {
    if password.is_empty() {
        return Vec::new();
    }
    let stage1 = sha1(password);
    let stage2 = sha1(&stage1);
    let mut salted = nonce.to_vec();
    salted.extend_from_slice(&stage2);
    let mask = sha1(&salted);
    stage1.iter().zip(mask).map(|(a, b)| a ^ b).collect()
}

/// SHA-1 (FIPS 180-4): only for the password scramble above, which the protocol fixes.
pub fn sha1(data: &[u8]) -> [u8; 20] {
    let mut h: [u32; 5] = [
        0x6745_2301,
        0xEFCD_AB89,
        0x98BA_DCFE,
        0x1032_5476,
        0xC3D2_E1F0,
    ];
    let mut msg = data.to_vec();
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&((data.len() as u64).wrapping_mul(8)).to_be_bytes());
    for block in msg.chunks_exact(64) {
        let mut w = [0u32; 80];
        for (i, word) in block.chunks_exact(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = h;
        for (i, wi) in w.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5A82_7999),
                20..=39 => (b ^ c ^ d, 0x6ED9_EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC),
                _ => (b ^ c ^ d, 0xCA62_C1D6),
            };
            let t = a
                .rotate_left(5)
                .wrapping_add(f)
                .wrapping_add(e)
                .wrapping_add(k)
                .wrapping_add(*wi);
            (e, d, c, b, a) = (d, c, b.rotate_left(30), a, t);
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e]) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 20];
    for (i, x) in h.iter().enumerate() {
        out[i * 4..i * 4 + 4].copy_from_slice(&x.to_be_bytes());
    }
    out
}

impl MysqlConnection {
    /// Connects and logs in as `user` (with `password`, empty for none) to `database`
    /// (`None`: no default database); every read and write waits at most `timeout`.
    pub fn connect(
        addr: &SocketAddr,
        user: &str,
        password: &str,
        database: Option<&str>,
        timeout: Duration,
    ) -> Result<Self, WireError> {
        let stream = TcpStream::connect_timeout(addr, timeout)?;
        stream.set_read_timeout(Some(timeout))?;
        stream.set_write_timeout(Some(timeout))?;
        stream.set_nodelay(true)?;
        let mut conn = MysqlConnection { stream, seq: 0 };
        conn.login(user, password, database)?;
        Ok(conn)
    }

    fn read_packet(&mut self) -> Result<Vec<u8>, WireError> {
        let mut payload = Vec::new();
        loop {
            let mut header = [0u8; 4];
            self.stream.read_exact(&mut header)?;
            let len =
                usize::from(header[0]) | usize::from(header[1]) << 8 | usize::from(header[2]) << 16;
            self.seq = header[3].wrapping_add(1);
            let start = payload.len();
            payload.resize(start + len, 0);
            self.stream.read_exact(&mut payload[start..])?;
            if len < MAX_PACKET {
                return Ok(payload);
            }
        }
    }

    fn write_packet(&mut self, payload: &[u8]) -> Result<(), WireError> {
        let mut out = Vec::with_capacity(payload.len() + 8);
        let mut chunks = payload.chunks(MAX_PACKET).peekable();
        loop {
            let chunk = chunks.next().unwrap_or(&[]);
            let len = chunk.len() as u32;
            out.extend_from_slice(&len.to_le_bytes()[..3]);
            out.push(self.seq);
            self.seq = self.seq.wrapping_add(1);
            out.extend_from_slice(chunk);
            if chunk.len() < MAX_PACKET {
                break;
            }
        }
        self.stream.write_all(&out)?;
        Ok(())
    }

    fn login(
        &mut self,
        user: &str,
        password: &str,
        database: Option<&str>,
    ) -> Result<(), WireError> {
        let greeting = self.read_packet()?;
        if greeting.first() == Some(&0xFF) {
            return Err(server_error(&greeting));
        }
        let mut c = Cursor::new(&greeting);
        let version = c.u8()?;
        if version != 10 {
            return Err(WireError::Protocol(format!(
                "handshake version {version}, expected 10 (is this a MySQL/MariaDB server?)"
            )));
        }
        c.nul_str()?; // server version
        c.u32()?; // connection id
        let mut nonce = c.take(8)?.to_vec();
        c.u8()?;
        let caps_low = c.u16()?;
        let mut server_caps = u32::from(caps_low);
        let mut plugin = NATIVE_PASSWORD.to_string();
        if c.at < c.buf.len() {
            c.u8()?; // charset
            c.u16()?; // status
            server_caps |= u32::from(c.u16()?) << 16;
            let auth_len = usize::from(c.u8()?);
            c.take(10)?;
            if server_caps & CLIENT_SECURE_CONNECTION != 0 {
                let more = auth_len.saturating_sub(8).max(13);
                let part2 = c.take(more.min(c.buf.len() - c.at))?;
                nonce.extend_from_slice(part2.strip_suffix(&[0]).unwrap_or(part2));
            }
            if server_caps & CLIENT_PLUGIN_AUTH != 0 {
                plugin = String::from_utf8_lossy(c.nul_str()?).into_owned();
            }
        }
        if server_caps & CLIENT_PROTOCOL_41 == 0 {
            return Err(WireError::Protocol(
                "the server does not speak protocol 4.1".into(),
            ));
        }
        let mut caps = CLIENT_LONG_PASSWORD
            | CLIENT_LONG_FLAG
            | CLIENT_PROTOCOL_41
            | CLIENT_TRANSACTIONS
            | CLIENT_SECURE_CONNECTION
            | CLIENT_MULTI_RESULTS
            | CLIENT_PLUGIN_AUTH;
        if database.is_some() {
            caps |= CLIENT_CONNECT_WITH_DB;
        }
        caps &= server_caps | CLIENT_PROTOCOL_41;
        // Whatever plugin the greeting names, answer with the native scramble and say so; a
        // server (or account) that wants another plugin sends an auth switch below.
        let auth = native_password(password.as_bytes(), &nonce);
        let mut out = Vec::new();
        out.extend_from_slice(&caps.to_le_bytes());
        out.extend_from_slice(&(MAX_PACKET as u32).to_le_bytes());
        out.push(CHARSET);
        out.extend_from_slice(&[0; 23]);
        out.extend_from_slice(user.as_bytes());
        out.push(0);
        out.push(auth.len() as u8);
        out.extend_from_slice(&auth);
        if let Some(db) = database {
            out.extend_from_slice(db.as_bytes());
            out.push(0);
        }
        if caps & CLIENT_PLUGIN_AUTH != 0 {
            out.extend_from_slice(NATIVE_PASSWORD.as_bytes());
            out.push(0);
        }
        self.write_packet(&out)?;
        loop {
            let reply = self.read_packet()?;
            match reply.first() {
                Some(0x00) => return Ok(()),
                Some(0xFF) => return Err(server_error(&reply)),
                Some(0xFE) => {
                    // Auth switch: plugin name, then its nonce.
                    let mut c = Cursor::new(&reply[1..]);
                    let plugin = String::from_utf8_lossy(c.nul_str()?).into_owned();
                    if plugin != NATIVE_PASSWORD {
                        return Err(WireError::Protocol(format!(
                            "the server asks for auth plugin {plugin}; flashcheck speaks only {NATIVE_PASSWORD} (or no password)"
                        )));
                    }
                    let data = c.rest();
                    let nonce = data.strip_suffix(&[0]).unwrap_or(data);
                    let auth = native_password(password.as_bytes(), nonce);
                    self.write_packet(&auth)?;
                }
                other => {
                    return Err(WireError::Protocol(format!(
                        "login answered with packet type {other:?} (auth plugin {plugin} is not supported)"
                    )))
                }
            }
        }
    }

    /// Runs one statement (`COM_QUERY`) and returns its answer; a statement that yields
    /// several results (a `CALL`) returns the last result set, or the last OK if none.
    pub fn query(&mut self, sql: &str) -> Result<Answer, WireError> {
        let mut all = self.query_all(sql)?;
        let last_rows = all.iter().rposition(|a| matches!(a, Answer::Rows(_)));
        Ok(match last_rows {
            Some(i) => all.swap_remove(i),
            None => all.pop().unwrap_or(Answer::Ok { affected_rows: 0 }),
        })
    }

    /// Runs one statement and returns every result it yields, in order.
    pub fn query_all(&mut self, sql: &str) -> Result<Vec<Answer>, WireError> {
        self.seq = 0;
        let mut payload = Vec::with_capacity(sql.len() + 1);
        payload.push(0x03);
        payload.extend_from_slice(sql.as_bytes());
        self.write_packet(&payload)?;
        let mut answers = Vec::new();
        loop {
            let (answer, more) = self.read_result()?;
            answers.push(answer);
            if !more {
                return Ok(answers);
            }
        }
    }

    /// One result: its answer and whether another follows.
    fn read_result(&mut self) -> Result<(Answer, bool), WireError> {
        let first = self.read_packet()?;
        let mut c = Cursor::new(&first);
        match c.u8()? {
            0x00 => {
                let affected_rows = c.lenenc_int()?;
                c.lenenc_int()?; // last insert id
                let status = c.u16()?;
                Ok((
                    Answer::Ok { affected_rows },
                    status & SERVER_MORE_RESULTS_EXISTS != 0,
                ))
            }
            0xFF => Err(server_error(&first)),
            0xFB => Err(WireError::Protocol(
                "the server asked for a local file (LOAD DATA LOCAL): refused".into(),
            )),
            _ => {
                let mut c = Cursor::new(&first);
                let columns = c.lenenc_int()?;
                for _ in 0..columns {
                    self.read_packet()?; // column definitions: only text is read
                }
                let eof = self.read_packet()?;
                if eof.first() != Some(&0xFE) {
                    return Err(WireError::Protocol(
                        "no EOF after the column definitions".into(),
                    ));
                }
                let mut rows = Vec::new();
                loop {
                    let packet = self.read_packet()?;
                    match packet.first() {
                        Some(0xFE) if packet.len() < 9 => {
                            let mut c = Cursor::new(&packet[1..]);
                            c.u16()?; // warnings
                            let status = c.u16()?;
                            return Ok((
                                Answer::Rows(rows),
                                status & SERVER_MORE_RESULTS_EXISTS != 0,
                            ));
                        }
                        Some(0xFF) => return Err(server_error(&packet)),
                        _ => {
                            let mut c = Cursor::new(&packet);
                            let mut row = Vec::with_capacity(columns as usize);
                            for _ in 0..columns {
                                row.push(match c.lenenc()? {
                                    None => None,
                                    Some(len) => Some(
                                        String::from_utf8_lossy(c.take(len as usize)?).into_owned(),
                                    ),
                                });
                            }
                            rows.push(row);
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn sha1_matches_the_standard_vectors() {
        assert_eq!(hex(&sha1(b"")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(
            hex(&sha1(b"abc")),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(
            hex(&sha1(
                b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
            )),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1"
        );
    }

    #[test]
    fn the_native_scramble_unmasks_with_the_stored_hash() {
        // The server stores SHA1(SHA1(pw)); it recovers SHA1(pw) from the scramble and
        // checks that its SHA1 is the stored hash.
        let nonce = b"12345678901234567890";
        let scramble = native_password(b"secret", nonce);
        let stored = sha1(&sha1(b"secret"));
        let mut salted = nonce.to_vec();
        salted.extend_from_slice(&stored);
        let mask = sha1(&salted);
        let stage1: Vec<u8> = scramble.iter().zip(mask).map(|(a, b)| a ^ b).collect();
        assert_eq!(sha1(&stage1), stored);
        assert!(native_password(b"", nonce).is_empty());
    }

    #[test]
    fn truncated_packets_are_errors_not_panics() {
        for packet in [&[][..], &[0xFC][..], &[0xFD, 1][..], &[0xFE, 1, 2, 3][..]] {
            let mut c = Cursor::new(packet);
            assert!(c.lenenc().is_err());
        }
        assert!(matches!(
            server_error(&[0xFF, 0x15, 0x04, b'#', b'2', b'8', b'0', b'0', b'0', b'n', b'o']),
            WireError::Server { code: 1045, .. }
        ));
        assert!(matches!(server_error(&[0xFF]), WireError::Protocol(_)));
    }
}
