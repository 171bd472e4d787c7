//! Any stock service over HTTP: flashcheck's JSON protocol, so that a team can put its own
//! Java or Go service under test (`--target http://127.0.0.1:PORT[/PREFIX]`). HTTP/1.1 over
//! `std::net::TcpStream`, one keep-alive connection per client.
//!
//! ## The protocol
//! Every request is a `POST` with a JSON body (`Content-Type: application/json`) to
//! `PREFIX/ENDPOINT`, answered `200` with a JSON body:
//!
//! | endpoint   | request                     | `200` answer                                            |
//! |------------|-----------------------------|---------------------------------------------------------|
//! | `/reset`   | `{"skus": K, "stock": S}`   | `{}` — SKUs `0..K` hold `S` units each, no buyer known  |
//! | `/reserve` | `{"sku": 0, "user": 17}`    | `{"result": "reserved"}`, `"sold_out"` or `"refused"`   |
//! | `/pay`     | `{"sku": 0, "user": 17}`    | `{"result": "paid"}` or `"refused"`                     |
//! | `/release` | `{"sku": 0, "user": 17}`    | `{"result": "released"}` or `"refused"`                 |
//! | `/stock`   | `{"sku": 0}`                | `{"stock": 3}`                                          |
//!
//! `release` is the reservation timing out: the unit goes back. `refused` means the buyer's
//! state does not allow the operation (reserving while holding a unit or a purchase; paying
//! or releasing without a reservation), and must change nothing. flashcheck calls `/reset`
//! once before a run; the service must then start from exactly that stock.
//!
//! A `5xx` answer, a timeout or a closed connection leaves the operation *indeterminate* (it
//! may or may not have happened). Any other status, or a body that is not the JSON above,
//! breaks the protocol and stops the run (exit 2): it is never counted as a pass.
//! `flashcheck serve-reference` serves the reference implementation over this protocol
//! ([`super::http_front`]).

use super::{Connection, Setup, StoreOp, StoreRet, Target, TargetError};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// A stock service speaking the protocol above.
#[derive(Debug)]
pub struct HttpTarget {
    addr: SocketAddr,
    host: String,
    prefix: String,
    timeout: Duration,
}

impl HttpTarget {
    /// The service at `addr` (`host` for the `Host` header), endpoints under `prefix` (`""`
    /// or `/api`), each request given `timeout`.
    pub fn new(addr: SocketAddr, host: String, prefix: String, timeout: Duration) -> Self {
        HttpTarget {
            addr,
            host,
            prefix,
            timeout,
        }
    }

    fn client(&self) -> HttpClient {
        HttpClient {
            addr: self.addr,
            host: self.host.clone(),
            prefix: self.prefix.clone(),
            timeout: self.timeout,
            stream: None,
        }
    }
}

impl Target for HttpTarget {
    fn describe(&self) -> String {
        format!("http://{}{} (JSON protocol)", self.host, self.prefix)
    }

    fn setup(&mut self, setup: Setup) -> Result<(), TargetError> {
        let mut c = self.client();
        let body = json!({"skus": setup.skus, "stock": setup.stock});
        match c.post("/reset", &body) {
            Ok(_) => Ok(()),
            Err(TargetError::Lost(e)) => Err(TargetError::Unreachable(format!(
                "no service answers /reset at {}: {e}; {}",
                self.addr,
                super::url::how_to_start(&super::url::TargetUrl::Http {
                    addr: self.addr,
                    prefix: self.prefix.clone(),
                    host: self.host.clone(),
                })
            ))),
            Err(e) => Err(e),
        }
    }

    fn connect(&self) -> Result<Box<dyn Connection>, TargetError> {
        let mut c = self.client();
        c.open()?;
        Ok(Box::new(c))
    }

    fn teardown(&mut self) -> Result<(), TargetError> {
        Ok(())
    }
}

/// One client's keep-alive connection; reopened when the service closes it.
#[derive(Debug)]
struct HttpClient {
    addr: SocketAddr,
    host: String,
    prefix: String,
    timeout: Duration,
    stream: Option<BufReader<TcpStream>>,
}

fn lost(e: std::io::Error) -> TargetError {
    TargetError::Lost(e.to_string())
}

fn broken(why: impl Into<String>) -> TargetError {
    TargetError::Contract(format!(
        "the service breaks flashcheck's HTTP protocol (README, \"Targets\"): {}",
        why.into()
    ))
}

impl HttpClient {
    fn open(&mut self) -> Result<&mut BufReader<TcpStream>, TargetError> {
        if self.stream.is_none() {
            let s = TcpStream::connect_timeout(&self.addr, self.timeout).map_err(lost)?;
            s.set_read_timeout(Some(self.timeout)).map_err(lost)?;
            s.set_write_timeout(Some(self.timeout)).map_err(lost)?;
            s.set_nodelay(true).map_err(lost)?;
            self.stream = Some(BufReader::new(s));
        }
        Ok(self.stream.as_mut().expect("opened above"))
    }

    /// POSTs `body` to `endpoint`; the `200` answer's JSON.
    fn post(&mut self, endpoint: &str, body: &Value) -> Result<Value, TargetError> {
        let result = self.exchange(endpoint, body);
        if result.is_err() {
            self.stream = None;
        }
        let (status, text, close) = result?;
        if close {
            self.stream = None;
        }
        match status {
            200 => serde_json::from_str(&text).map_err(|e| {
                broken(format!(
                    "{endpoint} answered a body that is not JSON ({e}): {text:.200}"
                ))
            }),
            500..=599 => Err(TargetError::Lost(format!("{endpoint}: status {status}"))),
            _ => Err(broken(format!(
                "{endpoint} answered status {status}: {text:.200}"
            ))),
        }
    }

    /// One request and its answer: status, body, whether the service closes the connection.
    fn exchange(
        &mut self,
        endpoint: &str,
        body: &Value,
    ) -> Result<(u16, String, bool), TargetError> {
        let payload = body.to_string();
        let request = format!(
            "POST {}{endpoint} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{payload}",
            self.prefix,
            self.host,
            payload.len()
        );
        let stream = self.open()?;
        stream
            .get_mut()
            .write_all(request.as_bytes())
            .map_err(lost)?;
        let mut line = String::new();
        if stream.read_line(&mut line).map_err(lost)? == 0 {
            return Err(TargetError::Lost(
                "connection closed before an answer".into(),
            ));
        }
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .filter(|_| line.starts_with("HTTP/1."))
            .ok_or_else(|| broken(format!("not an HTTP status line: {:.80}", line.trim_end())))?;
        let (mut length, mut chunked, mut close) = (None, false, line.starts_with("HTTP/1.0"));
        loop {
            let mut header = String::new();
            if stream.read_line(&mut header).map_err(lost)? == 0 {
                return Err(TargetError::Lost("connection closed in the headers".into()));
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            let Some((name, value)) = header.split_once(':') else {
                return Err(broken(format!("header without a colon: {header:.80}")));
            };
            let value = value.trim();
            match name.trim().to_ascii_lowercase().as_str() {
                "content-length" => {
                    length =
                        Some(value.parse::<usize>().map_err(|_| {
                            broken(format!("Content-Length {value:?} is not a number"))
                        })?)
                }
                "transfer-encoding" => chunked = value.eq_ignore_ascii_case("chunked"),
                "connection" => close = value.eq_ignore_ascii_case("close"),
                _ => {}
            }
        }
        const MAX_BODY: usize = 1 << 20;
        let mut body = Vec::new();
        if chunked {
            loop {
                let mut size = String::new();
                stream.read_line(&mut size).map_err(lost)?;
                let size = size.trim_end();
                let size = usize::from_str_radix(size.split(';').next().unwrap_or(""), 16)
                    .map_err(|_| broken(format!("bad chunk size {size:?}")))?;
                if size == 0 {
                    // Trailers, if any, end with an empty line.
                    loop {
                        let mut t = String::new();
                        if stream.read_line(&mut t).map_err(lost)? == 0 || t.trim_end().is_empty() {
                            break;
                        }
                    }
                    break;
                }
                if body.len() + size > MAX_BODY {
                    return Err(broken("a body over 1 MiB"));
                }
                // The chunk and its CRLF.
                let start = body.len();
                body.resize(start + size + 2, 0);
                stream.read_exact(&mut body[start..]).map_err(lost)?;
                body.truncate(start + size);
            }
        } else if let Some(n) = length {
            if n > MAX_BODY {
                return Err(broken("a body over 1 MiB"));
            }
            body.resize(n, 0);
            stream.read_exact(&mut body).map_err(lost)?;
        } else {
            // No length: the body runs to the end of the connection.
            stream
                .by_ref()
                .take(MAX_BODY as u64)
                .read_to_end(&mut body)
                .map_err(lost)?;
            close = true;
        }
        Ok((status, String::from_utf8_lossy(&body).into_owned(), close))
    }
}

fn result_of(endpoint: &str, answer: &Value) -> Result<StoreRet, TargetError> {
    let allowed: &[&str] = match endpoint {
        "/reserve" => &["reserved", "sold_out", "refused"],
        "/pay" => &["paid", "refused"],
        _ => &["released", "refused"],
    };
    match answer.get("result").and_then(Value::as_str) {
        Some(r) if allowed.contains(&r) => Ok(match r {
            "reserved" => StoreRet::Reserved,
            "sold_out" => StoreRet::SoldOut,
            "paid" => StoreRet::Paid,
            "released" => StoreRet::Released,
            _ => StoreRet::Refused,
        }),
        _ => Err(broken(format!(
            "{endpoint} must answer {{\"result\": one of {allowed:?}}}, answered {answer}"
        ))),
    }
}

impl Connection for HttpClient {
    fn invoke(&mut self, op: &StoreOp) -> Result<StoreRet, TargetError> {
        let (endpoint, body) = match *op {
            StoreOp::Reserve { sku, user } => ("/reserve", json!({"sku": sku, "user": user})),
            StoreOp::Pay { sku, user } => ("/pay", json!({"sku": sku, "user": user})),
            StoreOp::Release { sku, user } => ("/release", json!({"sku": sku, "user": user})),
            StoreOp::Read { sku } => ("/stock", json!({ "sku": sku })),
        };
        let answer = self.post(endpoint, &body)?;
        if endpoint == "/stock" {
            return answer
                .get("stock")
                .and_then(Value::as_i64)
                .map(StoreRet::Stock)
                .ok_or_else(|| {
                    broken(format!(
                        "/stock must answer {{\"stock\": N}}, answered {answer}"
                    ))
                });
        }
        result_of(endpoint, &answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    /// A one-connection server answering every request with `answer`.
    fn canned(answer: &'static str) -> SocketAddr {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        std::thread::spawn(move || {
            if let Ok((s, _)) = l.accept() {
                let mut r = BufReader::new(s);
                let mut len = 0;
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        len = v.trim().parse().unwrap();
                    }
                    if line == "\r\n" {
                        let mut body = vec![0; len];
                        let _ = r.read_exact(&mut body);
                        let _ = r.get_mut().write_all(answer.as_bytes());
                        len = 0;
                    }
                }
            }
        });
        addr
    }

    fn ask(answer: &'static str) -> Result<StoreRet, TargetError> {
        let addr = canned(answer);
        let t = HttpTarget::new(
            addr,
            addr.to_string(),
            String::new(),
            Duration::from_secs(2),
        );
        t.connect()?.invoke(&StoreOp::Reserve { sku: 0, user: 1 })
    }

    #[test]
    fn answers_are_read_or_refused_by_kind() {
        let ok = "HTTP/1.1 200 OK\r\nContent-Length: 23\r\n\r\n{\"result\": \"reserved\"}\n";
        assert_eq!(ask(ok).unwrap(), StoreRet::Reserved);
        let chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n9\r\n{\"result\"\r\nc\r\n: \"sold_out\"\r\n1\r\n}\r\n0\r\n\r\n";
        assert_eq!(ask(chunked).unwrap(), StoreRet::SoldOut);
        let busy = "HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n";
        assert!(ask(busy).unwrap_err().is_lost());
        for bad in [
            "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nno",
            "HTTP/1.1 200 OK\r\nContent-Length: 18\r\n\r\n{\"result\": \"paid\"}",
            "garbage\r\n\r\n",
        ] {
            assert!(matches!(ask(bad), Err(TargetError::Contract(_))), "{bad:?}");
        }
    }
}
