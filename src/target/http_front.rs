//! The reference inventory service ([`crate::reference::inventory`]) served over
//! flashcheck's HTTP JSON protocol ([`super::http`]): what `flashcheck serve-reference` runs,
//! and what the HTTP target's tests check. One [`InventoryService`] per SKU; `tiny_http`
//! (already in the build through stateright's Explorer) with a few worker threads.
//!
//! [`FrontDeduction::ReadThenWrite`] swaps the reference's atomic stock counter for a
//! read-then-write one — read the units, wait as long as a round trip to a cache would, write
//! the value read minus one — the bug the target must catch.

use crate::reference::inventory::{
    AtomicStore, InventoryError, InventoryOp, InventoryRet, InventoryService, StockStore,
    TakeOutcome,
};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, RwLock};
use std::thread::JoinHandle;
use std::time::Duration;

/// How the served stock counter deducts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrontDeduction {
    /// The reference implementation's compare-and-swap counter.
    Atomic,
    /// Read, then write the value read minus one (broken on purpose).
    ReadThenWrite,
}

impl FrontDeduction {
    /// Its name on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            FrontDeduction::Atomic => "atomic",
            FrontDeduction::ReadThenWrite => "read-then-write",
        }
    }
}

/// A stock counter that reads, then writes back: two buyers who read the same value both
/// get a unit and only one unit is deducted.
#[derive(Debug)]
struct ReadThenWriteStore {
    units: AtomicI64,
}

/// How long the read-then-write store waits between its read and its write: about one round
/// trip to a cache on the same host.
const ROUND_TRIP: Duration = Duration::from_micros(200);

impl StockStore for ReadThenWriteStore {
    fn try_take(&self, _home: usize) -> TakeOutcome {
        let n = self.units.load(Ordering::SeqCst);
        if n <= 0 {
            return TakeOutcome::SoldOut;
        }
        std::thread::sleep(ROUND_TRIP);
        self.units.store(n - 1, Ordering::SeqCst);
        TakeOutcome::Taken
    }

    fn put_back(&self, _home: usize) {
        let n = self.units.load(Ordering::SeqCst);
        std::thread::sleep(ROUND_TRIP);
        self.units.store(n + 1, Ordering::SeqCst);
    }

    fn available(&self) -> i64 {
        self.units.load(Ordering::SeqCst)
    }
}

type Service = InventoryService<Box<dyn StockStore>>;

#[derive(Debug)]
struct Shop {
    deduction: FrontDeduction,
    skus: RwLock<Vec<Service>>,
}

impl Shop {
    fn service(&self, stock: u32) -> Service {
        let store: Box<dyn StockStore> = match self.deduction {
            FrontDeduction::Atomic => Box::new(AtomicStore::new(stock)),
            FrontDeduction::ReadThenWrite => Box::new(ReadThenWriteStore {
                units: AtomicI64::new(i64::from(stock)),
            }),
        };
        InventoryService::new(stock, store)
    }

    /// The answer to one request: status and JSON body.
    fn answer(&self, path: &str, body: &str) -> (u16, Value) {
        let Ok(req) = serde_json::from_str::<Value>(body) else {
            return (400, json!({"error": "the body is not JSON"}));
        };
        let field = |name: &str| req.get(name).and_then(Value::as_u64);
        if path == "/reset" {
            let (Some(skus), Some(stock)) = (field("skus"), field("stock")) else {
                return (
                    400,
                    json!({"error": "expected {\"skus\": K, \"stock\": S}"}),
                );
            };
            let (Ok(skus), Ok(stock)) = (usize::try_from(skus), u32::try_from(stock)) else {
                return (400, json!({"error": "skus or stock out of range"}));
            };
            if skus > 1_000_000 {
                return (400, json!({"error": "at most 10^6 SKUs"}));
            }
            let fresh = (0..skus).map(|_| self.service(stock)).collect();
            *self.skus.write().unwrap_or_else(|p| p.into_inner()) = fresh;
            return (200, json!({}));
        }
        let skus = self.skus.read().unwrap_or_else(|p| p.into_inner());
        let Some(service) = field("sku").and_then(|s| skus.get(usize::try_from(s).ok()?)) else {
            return (
                400,
                json!({"error": "unknown or missing sku (POST /reset first)"}),
            );
        };
        if path == "/stock" {
            return (200, json!({"stock": service.store().available()}));
        }
        let Some(user) = field("user") else {
            return (400, json!({"error": "missing user"}));
        };
        let op = match path {
            "/reserve" => InventoryOp::Reserve { user },
            "/pay" => InventoryOp::Pay { user },
            "/release" => InventoryOp::Release { user },
            _ => return (404, json!({"error": format!("no endpoint {path}")})),
        };
        let result = match service.invoke(op) {
            Ok(InventoryRet::Reserved) => "reserved",
            Ok(InventoryRet::SoldOut) => "sold_out",
            Ok(InventoryRet::Paid) => "paid",
            Ok(InventoryRet::Released) => "released",
            Err(InventoryError::AlreadyHolding { .. } | InventoryError::NoReservation { .. }) => {
                "refused"
            }
        };
        (200, json!({ "result": result }))
    }
}

/// Why the front could not start.
#[derive(Debug, thiserror::Error)]
#[error("serve-reference: cannot listen on {addr}: {why}")]
pub struct FrontError {
    /// The address asked for.
    pub addr: String,
    /// The listener's error.
    pub why: String,
}

/// A running front; stopped (its workers joined) when dropped.
pub struct HttpFront {
    server: Arc<tiny_http::Server>,
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    workers: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for HttpFront {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // tiny_http's Server has no Debug.
        f.debug_struct("HttpFront")
            .field("addr", &self.addr)
            .field("workers", &self.workers.len())
            .finish_non_exhaustive()
    }
}

impl HttpFront {
    /// Listens on `addr` (`127.0.0.1:0`: a free port) with `workers` threads, no SKU until
    /// the first `/reset`.
    pub fn start(
        addr: &str,
        deduction: FrontDeduction,
        workers: usize,
    ) -> Result<Self, FrontError> {
        let err = |why: String| FrontError {
            addr: addr.to_string(),
            why,
        };
        let server = Arc::new(tiny_http::Server::http(addr).map_err(|e| err(e.to_string()))?);
        let bound = server
            .server_addr()
            .to_ip()
            .ok_or_else(|| err("not an IP address".into()))?;
        let shop = Arc::new(Shop {
            deduction,
            skus: RwLock::new(Vec::new()),
        });
        let stop = Arc::new(AtomicBool::new(false));
        let workers = (0..workers.max(1))
            .map(|_| {
                let (server, shop, stop) = (server.clone(), shop.clone(), stop.clone());
                std::thread::spawn(move || serve(&server, &shop, &stop))
            })
            .collect();
        Ok(HttpFront {
            server,
            addr: bound,
            stop,
            workers,
        })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its URL, for `--target`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Serves until the process ends.
    pub fn wait(mut self) {
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

fn serve(server: &tiny_http::Server, shop: &Shop, stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        let mut request = match server.recv_timeout(Duration::from_millis(100)) {
            Ok(Some(r)) => r,
            Ok(None) => continue,
            Err(_) => break,
        };
        let mut body = String::new();
        let (status, answer) = if *request.method() != tiny_http::Method::Post {
            (405, json!({"error": "POST only"}))
        } else if request.as_reader().read_to_string(&mut body).is_err() {
            (400, json!({"error": "unreadable body"}))
        } else {
            shop.answer(request.url(), &body)
        };
        let header = tiny_http::Header::from_bytes("Content-Type", "application/json")
            .expect("a valid header");
        let response = tiny_http::Response::from_string(answer.to_string())
            .with_status_code(status)
            .with_header(header);
        let _ = request.respond(response);
    }
}

impl Drop for HttpFront {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.server.unblock();
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_outside_the_protocol_are_4xx() {
        let shop = Shop {
            deduction: FrontDeduction::Atomic,
            skus: RwLock::new(Vec::new()),
        };
        assert_eq!(shop.answer("/reserve", "{\"sku\":0,\"user\":1}").0, 400);
        assert_eq!(shop.answer("/reset", "{\"skus\":1,\"stock\":1}").0, 200);
        assert_eq!(
            shop.answer("/reserve", "{\"sku\":0,\"user\":1}").1,
            json!({"result": "reserved"})
        );
        assert_eq!(
            shop.answer("/reserve", "{\"sku\":0,\"user\":2}").1,
            json!({"result": "sold_out"})
        );
        assert_eq!(
            shop.answer("/pay", "{\"sku\":0,\"user\":2}").1,
            json!({"result": "refused"})
        );
        assert_eq!(shop.answer("/stock", "{\"sku\":0}").1, json!({"stock": 0}));
        assert_eq!(shop.answer("/nope", "{\"sku\":0,\"user\":1}").0, 404);
        assert_eq!(shop.answer("/reserve", "not json").0, 400);
        assert_eq!(shop.answer("/reserve", "{\"sku\":9,\"user\":1}").0, 400);
    }
}
