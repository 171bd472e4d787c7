//! Fuzzing every input parser (issue 13, item 5) with proptest-generated garbage and
//! mutations of valid inputs, each parser for a bounded time (`FLASHCHECK_FUZZ_SECS`, default
//! 3 s; at most `MAX_CASES` cases): no panic, no hang (each case on its own thread under a
//! time bound), no unbounded memory (inputs stay under 64 KiB and the process's peak RSS is
//! checked at the end). Each test prints `fuzz PARSER: N cases in S s` for the closing note.
//!
//! Parsers: saga YAML, breaker TOML, scenario TOML (`double11.toml`), behaviour TOML, claim
//! expressions and claims files, ITF (read and matched against a model), TLC `.cfg`, TLC's
//! `-tool` output.

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

const MAX_CASES: usize = 200_000;
/// One case must finish within this (generous: the machines are shared and loaded).
const CASE_BOUND: Duration = Duration::from_secs(10);

fn budget() -> Duration {
    let secs = std::env::var("FLASHCHECK_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or(3.0);
    Duration::from_secs_f64(secs)
}

/// Garbage, or a valid `seed` mutated: bytes flipped, slices deleted, duplicated or moved,
/// structural characters inserted.
fn inputs(seeds: Vec<String>, alphabet: &'static str) -> BoxedStrategy<String> {
    let garbage = proptest::collection::vec(
        prop_oneof![
            any::<char>(),
            proptest::sample::select(alphabet.chars().collect::<Vec<_>>()),
        ],
        0..400,
    )
    .prop_map(|cs| cs.into_iter().collect::<String>());
    let mutated = (
        proptest::sample::select(seeds),
        proptest::collection::vec(
            (
                0usize..4,
                any::<prop::sample::Index>(),
                any::<prop::sample::Index>(),
                proptest::sample::select(alphabet.chars().collect::<Vec<_>>()),
            ),
            1..8,
        ),
    )
        .prop_map(|(seed, edits)| {
            let mut bytes = seed.into_bytes();
            for (kind, a, b, c) in edits {
                if bytes.is_empty() {
                    bytes.push(b'x');
                }
                let i = a.index(bytes.len());
                let j = b.index(bytes.len());
                let (lo, hi) = (i.min(j), i.max(j));
                match kind {
                    0 => {
                        let mut buf = [0u8; 4];
                        let s = c.encode_utf8(&mut buf);
                        bytes.splice(i..i, s.bytes());
                    }
                    1 => {
                        bytes.drain(lo..hi);
                    }
                    2 if hi - lo < 4096 => {
                        let slice = bytes[lo..hi].to_vec();
                        bytes.splice(hi..hi, slice);
                    }
                    _ => bytes[i] = bytes[i].wrapping_add(b.index(255) as u8 | 1),
                }
            }
            bytes.truncate(64 << 10);
            String::from_utf8_lossy(&bytes).into_owned()
        });
    prop_oneof![1 => garbage, 3 => mutated].boxed()
}

/// Runs `parse` on generated inputs for the time budget; panics on a panic or a slow case.
fn fuzz(name: &str, strategy: BoxedStrategy<String>, parse: fn(&str)) {
    let mut runner = TestRunner::new(Config {
        rng_algorithm: proptest::test_runner::RngAlgorithm::ChaCha,
        ..Config::default()
    });
    let started = Instant::now();
    let budget = budget();
    let mut cases = 0;
    while started.elapsed() < budget && cases < MAX_CASES {
        let input = strategy.new_tree(&mut runner).unwrap().current();
        let (tx, rx) = mpsc::channel();
        let shown = input.clone();
        let worker = std::thread::Builder::new()
            .stack_size(8 << 20)
            .spawn(move || {
                let outcome = std::panic::catch_unwind(|| parse(&input));
                let _ = tx.send(outcome.is_ok());
            })
            .unwrap();
        match rx.recv_timeout(CASE_BOUND) {
            Ok(true) => {}
            Ok(false) => panic!("{name}: the parser panicked on {shown:?}"),
            Err(_) => panic!("{name}: a case took over {CASE_BOUND:?}: {shown:?}"),
        }
        worker.join().unwrap();
        cases += 1;
    }
    let secs = started.elapsed().as_secs_f64();
    println!("fuzz {name}: {cases} cases in {secs:.1} s");
    assert!(cases > 0);
    assert_peak_rss_below(2 << 30);
}

fn assert_peak_rss_below(bytes: u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    if let Some(kb) = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<u64>().ok())
    {
        assert!(kb * 1024 < bytes, "peak RSS {kb} kB");
    }
}

fn repo(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

const YAML: &str = " :-\n\t\"'~[]{},&*!|>#%@`?0123456789abcnulTRUE";
const TOML: &str = " =\n\t\"'[]{},.#0123456789_-+eE:abcinfnatrue";
const EXPR: &str = " ()+-*/^<>=!&,.e0123456789_abcquotasqrtln";
const JSON: &str = " {}[]:,\"\\#0123456789-+.eEtruefalsnbigint#set#map#tup#meta";
const CFG: &str = " \n=<-{},\\*()ABCDEFINSTVARINVARIANTSPECIFICATIONCONSTANTSYMMETRY01";

#[test]
fn fuzz_saga_yaml() {
    let seeds = vec![
        repo("specs/create_order.saga.yaml"),
        repo("tests/fixtures/sagas/flash_sale_8.saga.yaml"),
        repo("tests/fixtures/sagas/duplicate_step.saga.yaml"),
    ];
    fuzz("saga YAML", inputs(seeds, YAML), |t| {
        let _ = flashcheck::specs::parse_saga_str(t, Path::new("f.yaml"));
    });
}

#[test]
fn fuzz_breaker_toml() {
    fuzz(
        "breaker TOML",
        inputs(vec![repo("specs/breaker.toml")], TOML),
        |t| {
            let _ = flashcheck::specs::parse_breaker_str(t, Path::new("b.toml"));
        },
    );
}

#[test]
fn fuzz_scenario_and_behaviour_toml() {
    fuzz(
        "scenario TOML (double11.toml)",
        inputs(vec![repo("specs/double11.toml")], TOML),
        |t| {
            let _ = flashcheck::arith::design::Design::parse(t, Path::new("d.toml"));
        },
    );
    fuzz(
        "behaviour TOML",
        inputs(vec![repo("specs/behaviour.toml")], TOML),
        |t| {
            let _ = flashcheck::specs::parse_behaviour_str(t, Path::new("h.toml"), document());
        },
    );
}

/// The design document every claim's `line` must fall in.
fn document() -> &'static flashcheck::specs::Document {
    static DOC: std::sync::OnceLock<flashcheck::specs::Document> = std::sync::OnceLock::new();
    DOC.get_or_init(flashcheck::specs::Document::built_in)
}

#[test]
fn fuzz_claim_expressions_and_claims_files() {
    let seeds = vec![
        "quota(a) + quota(b) <= 319.43 && best_quota(c) == 18".to_string(),
        "((1 + 2) * 3 / 4 - -5)^3 > 1e6".to_string(),
        "u(a, 3) - foc(b, 2.5) != sqrt(2) * ln(10)".to_string(),
        format!("{}1{}", "(".repeat(60), ")".repeat(60)),
    ];
    fuzz("claim expressions", inputs(seeds, EXPR), |t| {
        let _ = flashcheck::arith::expr::parse(t);
    });
    let spec = flashcheck::arith::design::Design::parse(
        &repo("specs/double11.toml"),
        Path::new("specs/double11.toml"),
    )
    .unwrap();
    static SPEC: std::sync::OnceLock<flashcheck::arith::design::Design> =
        std::sync::OnceLock::new();
    let _ = SPEC.set(spec);
    fuzz(
        "claims TOML",
        inputs(vec![repo("specs/claims.toml")], TOML),
        |t| {
            let _ = flashcheck::arith::claims::parse(
                t,
                Path::new("c.toml"),
                SPEC.get().unwrap(),
                document(),
            );
        },
    );
}

#[test]
fn fuzz_itf_traces() {
    let dir = tempfile::tempdir().unwrap();
    for model in ["inventory", "inventory-seed", "breaker"] {
        assert_cmd::Command::cargo_bin("flashcheck")
            .unwrap()
            .args(["traces", model, "--count", "2", "--depth", "6", "--out"])
            .arg(dir.path())
            .assert()
            .success();
    }
    let seeds: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    fuzz("ITF", inputs(seeds, JSON), |t| {
        if let Ok(trace) = flashcheck::trace::Trace::parse(t) {
            let model = flashcheck_models::inventory::Inventory::new(
                3,
                2,
                flashcheck_models::inventory::Deduction::Atomic,
            )
            .unwrap();
            let _ = flashcheck::trace::decode_path(&model, &trace);
        }
    });
}

#[test]
fn fuzz_tlc_cfg() {
    let seeds = vec![
        "CONSTANTS\n  Users = 3\n  Stock = 2\n  Deduction = \"atomic\"\n  defaultInitValue = defaultInitValue\nINIT Init\nNEXT Next\nINVARIANT no_oversell conservation\nPROPERTY settles\nCHECK_DEADLOCK TRUE\n".to_string(),
        "SPECIFICATION Spec\nCONSTANT C <- Def\nCONSTRAINT Bound\nSYMMETRY Perms\nVIEW v\n\\* comment\n(* block *)\nINVARIANTS TypeOK Safe\nPROPERTIES Live\n".to_string(),
        "CONSTANTS Procs = {p1, p2}  N = 3\nSPECIFICATION Spec\nINVARIANT Inv\n".to_string(),
    ];
    fuzz("TLC .cfg", inputs(seeds, CFG), |t| {
        let _ = flashcheck::tla::cfg::parse_cfg(t);
        let _ = flashcheck::tla::cfg::strip_comments(t);
        let _ = flashcheck::tla::cfg::variables(t);
    });
}

#[test]
fn fuzz_tlc_tool_output() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tlc");
    let seeds: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "out"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    assert!(!seeds.is_empty());
    fuzz(
        "TLC -tool output",
        inputs(seeds, "@!\n:0123456789 <>/\\=-"),
        |t| {
            use flashcheck::tla::tool_output as tool;
            for truncated in [false, true] {
                if let Ok(out) = tool::parse_messages(t, truncated) {
                    let _ = tool::stats(&out, true);
                    let _ = tool::stop(&out);
                    let _ = tool::trace(&out);
                    let _ = tool::error_text(&out, t);
                }
            }
        },
    );
}

/// Found by `fuzz_tlc_tool_output`: `tool_output::stats` sliced a message at `rfind`'s byte
/// index + 1, inside a multi-byte character, and panicked.
#[test]
fn tlc_stats_survives_a_non_ascii_character_before_a_count() {
    use flashcheck::tla::tool_output as tool;
    let text = "@!@!@STARTMSG 2199:0 @!@!@\n9 states generated, 5 distinct states found, \u{fffd} states left on queue.\n@!@!@ENDMSG 2199 @!@!@\n";
    let out = tool::parse_messages(text, false).unwrap();
    let _ = tool::stats(&out, true);
}
