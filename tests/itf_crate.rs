//! Our ITF read by the `itf` crate's own `Trace<T>` reader into each model's real Rust types
//! (a view's `Vec` as a `Vec`, a TLA+ set as a `BTreeSet`), and [`Encoding`]'s list of set
//! variables checked against every TLA+ twin (issue 13, item 3).

use flashcheck::registry::{builtin, Constants, Entry, Registry};
use flashcheck::trace::generate::{write_all, TraceRequest};
use flashcheck::trace::Encoding;
use serde::Deserialize;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn traces(model: &'static Entry, count: usize) -> (tempfile::TempDir, Vec<PathBuf>) {
    let dir = tempfile::tempdir().unwrap();
    let request = TraceRequest {
        constants: Constants::parse(model, &[]).unwrap(),
        count,
        depth: 12,
        seed: 3,
    };
    let written = write_all(&request, dir.path()).unwrap();
    let files = written.into_iter().map(|w| w.path).collect();
    (dir, files)
}

fn decode<T: for<'de> Deserialize<'de>>(file: &Path) -> itf::Trace<T> {
    let text = std::fs::read_to_string(file).unwrap();
    itf::trace_from_str::<T>(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}

/// `flashcheck_models::breaker::BreakerView`'s fields and types.
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Breaker {
    state: String,
    window: Vec<bool>,
    countdown: u8,
    admitted: u8,
    succeeded: u8,
    backend: String,
    #[serde(rename = "openAdmitted")]
    open_admitted: bool,
}

/// `inventory_seed::Order`.
#[derive(Debug, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
struct Order {
    id: u8,
    status: String,
}

/// `inventory_seed::SeedView`, with the twin's sets as sets.
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct InventorySeed {
    pc: Vec<String>,
    orders: BTreeSet<Order>,
    inventory: i64,
    failures: u64,
    processing: BTreeSet<Order>,
    /// `OrderSlot`: a record or the model value `defaultInitValue` (serde's untagged enums
    /// need a self-describing format, which `#bigint` inside a record is not).
    order: Vec<itf::Value>,
}

/// `inventory::InventoryView`.
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Inventory {
    available: u16,
    phase: Vec<String>,
    seen: Vec<u16>,
    #[serde(rename = "falseSoldOut")]
    false_soldout: bool,
}

/// `saga_history::Event`.
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Event {
    op: String,
    step: u8,
}

/// `saga::SagaView`.
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Saga {
    pc: String,
    up: bool,
    effect: Vec<String>,
    history: Vec<Event>,
    attempts: u8,
    crashes: u8,
}

/// `token_bucket::BucketView`.
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Bucket {
    tokens: u8,
    recent: Vec<u64>,
    demand: bool,
}

#[test]
fn the_itf_crate_reads_the_breaker_window_as_a_vec() {
    let (_dir, files) = traces(&builtin::BREAKER, 20);
    let mut longest = 0;
    for file in &files {
        let trace = decode::<Breaker>(file);
        assert_eq!(trace.meta.other["model"], "breaker");
        for state in &trace.states {
            longest = longest.max(state.value.window.len());
        }
    }
    assert!(longest >= 2, "no walk recorded two calls");
}

#[test]
fn the_itf_crate_reads_the_seed_orders_as_a_set() {
    let (_dir, files) = traces(&builtin::INVENTORY_SEED, 10);
    let mut biggest = 0;
    for file in &files {
        for state in decode::<InventorySeed>(file).states {
            biggest = biggest.max(state.value.orders.len());
            assert_eq!(state.value.pc.len(), 3);
        }
    }
    assert!(biggest >= 1, "no walk placed an order");
}

#[test]
fn the_itf_crate_reads_every_replayable_model_with_its_view_types() {
    for file in traces(&builtin::INVENTORY, 5).1 {
        decode::<Inventory>(&file);
    }
    for file in traces(&builtin::SAGA, 5).1 {
        decode::<Saga>(&file);
    }
    for file in traces(&builtin::TOKEN_BUCKET, 5).1 {
        decode::<Bucket>(&file);
    }
}

/// The broken variant the tests above guard against: the old writer's `#map` keyed `1..n`
/// for a sequence is not a `Vec` to the `itf` crate, and a number in `#meta` is refused.
#[test]
fn the_old_map_encoding_and_numeric_meta_are_refused_by_the_itf_crate() {
    let state = r##"{"#meta": {"index": 0}, "state": "closed", "window": {"#map": [[{"#bigint": "1"}, true]]},
        "countdown": {"#bigint": "0"}, "admitted": {"#bigint": "0"}, "succeeded": {"#bigint": "0"},
        "backend": "flaky", "openAdmitted": false}"##;
    let with_map = format!(r##"{{"#meta": {{"model": "breaker"}}, "states": [{state}]}}"##);
    assert!(itf::trace_from_str::<Breaker>(&with_map).is_err());
    let list_state = state.replace(r##"{"#map": [[{"#bigint": "1"}, true]]}"##, "[true]");
    let ok = format!(r##"{{"#meta": {{"model": "breaker"}}, "states": [{list_state}]}}"##);
    assert!(itf::trace_from_str::<Breaker>(&ok).is_ok());
    let numeric_meta = format!(r##"{{"#meta": {{"seed": 3}}, "states": [{list_state}]}}"##);
    assert!(itf::trace_from_str::<Breaker>(&numeric_meta).is_err());
}

/// The variables each twin's `Init` sets to a set (`x = {}` or `x = {…}`) are exactly the
/// ones [`Encoding::of`] writes as `#set`.
#[test]
fn encoding_sets_are_the_twins_set_variables() {
    for &model in Registry::builtin().entries() {
        let tla = model.twin.expect("every built-in model has a twin").source;
        let init = tla
            .split("Init ==")
            .nth(1)
            .and_then(|rest| rest.split("\n\n").next())
            .unwrap_or_else(|| panic!("{model}: no Init"));
        let sets: BTreeSet<String> = init
            .split("/\\")
            .filter_map(|conjunct| {
                let (var, value) = conjunct.split_once('=')?;
                value
                    .trim()
                    .starts_with('{')
                    .then(|| var.trim().to_string())
            })
            .collect();
        let declared: BTreeSet<String> = Encoding::of(model).sets.into_iter().collect();
        assert_eq!(declared, sets, "{model}");
    }
}
