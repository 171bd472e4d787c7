//! A model registered from a test, run through every command that takes a model — through
//! the registry alone, as a user's own model would be: `check` (both engines, across two
//! processes), `tla` and `cross` (its own TLA+ twin, on tla-checker), `traces`, `replay` (no
//! implementation: a clear refusal) and `explore`. Nothing in `src/` knows this model.

use clap::Parser;
use flashcheck::cli::Cli;
use flashcheck::outcome::Outcome;
use flashcheck::registry::{
    Checkable, ConstantError, Constants, Entry, Registry, RegistryError, Twin,
};
use flashcheck::specs::SagaDefinition;
use flashcheck_models::spec::{Liveness, Spec};
use stateright::{Model, Property};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

/// A counter that counts up to `Max`; `Overshoot = 1` lets it go one past (the broken
/// variant: `bounded` is violated).
#[derive(Debug, Clone)]
struct Counter {
    max: u8,
    overshoot: u8,
}

impl Model for Counter {
    type State = u8;
    type Action = ();

    fn init_states(&self) -> Vec<u8> {
        vec![0]
    }

    fn actions(&self, x: &u8, actions: &mut Vec<()>) {
        if *x < self.max + self.overshoot {
            actions.push(());
        }
    }

    fn next_state(&self, x: &u8, _: ()) -> Option<u8> {
        Some(x + 1)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            Property::always("bounded", |m: &Counter, x: &u8| *x <= m.max),
            Property::sometimes("reaches_max", |m: &Counter, x: &u8| *x == m.max),
        ]
    }
}

impl Spec for Counter {
    type View = serde_json::Value;

    fn view(&self, x: &u8) -> serde_json::Value {
        serde_json::json!({ "x": x })
    }

    fn action_name(&self, _: &()) -> String {
        "Inc".into()
    }

    fn fairness_group(&self, _: &()) -> Option<usize> {
        Some(0)
    }

    fn is_terminal(&self, x: &u8) -> bool {
        *x >= self.max
    }

    fn liveness(&self) -> Vec<Liveness<Self>> {
        Vec::new()
    }

    fn describe(&self, property: &str) -> &'static str {
        match property {
            "bounded" => "the counter never passes Max",
            _ => "the counter can reach Max",
        }
    }

    fn constants(&self) -> Vec<(&'static str, String)> {
        vec![
            ("Max", self.max.to_string()),
            ("Overshoot", self.overshoot.to_string()),
        ]
    }
}

const COUNTER_TLA: &str = r#"---- MODULE Counter ----
EXTENDS Naturals
CONSTANTS Max, Overshoot
VARIABLE x
vars == <<x>>
Init == x = 0
Inc == x < Max + Overshoot /\ x' = x + 1
Terminating == x >= Max /\ ~(x < Max + Overshoot) /\ UNCHANGED vars
Next == Inc \/ Terminating
Spec == Init /\ [][Next]_vars /\ WF_vars(Inc)
bounded == x <= Max
reaches_max == x = Max
====
"#;

fn build(c: &Constants, _: &SagaDefinition) -> Result<Box<dyn Checkable>, ConstantError> {
    let small = |name: &str, most: u64| {
        let n = c.number(name)?;
        u8::try_from(n)
            .ok()
            .filter(|n| u64::from(*n) <= most)
            .ok_or_else(|| ConstantError::OutOfRange {
                name: name.into(),
                reason: format!("{n} is not in 0..={most}"),
            })
    };
    Ok(Box::new(Counter {
        max: small("Max", 100)?,
        overshoot: small("Overshoot", 1)?,
    }))
}

/// The registration: the one place this model is named.
static COUNTER: Entry = Entry {
    name: "counter",
    description: "A test-only counter (registered from tests/registry.rs).",
    defaults: &[("Max", "3"), ("Overshoot", "0")],
    build,
    twin: Some(Twin {
        module: "Counter",
        source: COUNTER_TLA,
        model_values: &[],
    }),
    uses_saga: false,
    set_variables: &[],
    sweep: &[],
    annotate: None,
    replay: None,
};

fn registry() -> Registry {
    Registry::builtin().with(&COUNTER)
}

/// Runs `flashcheck ARGS…` in-process with the test registry.
fn run(args: &[&str]) -> anyhow::Result<Outcome> {
    let cli = Cli::try_parse_from(std::iter::once("flashcheck").chain(args.iter().copied()))
        .unwrap_or_else(|e| panic!("{args:?}: {e}"));
    flashcheck::commands::run(cli, &registry())
}

#[test]
fn check_decides_the_model_and_its_broken_variant_on_both_engines() {
    assert_eq!(run(&["check", "counter"]).unwrap(), Outcome::Holds);
    assert_eq!(
        run(&["check", "counter", "-c", "Overshoot=1"]).unwrap(),
        Outcome::Refuted
    );
    for engine in ["flashcheck", "stateright"] {
        assert_eq!(
            run(&["check", "counter", "-c", "Max=5", "--engine", engine]).unwrap(),
            Outcome::Holds,
            "{engine}"
        );
    }
    let port = flashcheck::registry::build_port(&COUNTER, &["Max=5".into()], None)
        .unwrap()
        .1;
    let report = port.check("counter", "test".into(), &Default::default());
    assert_eq!(report.distinct_states, 6);
    assert_eq!(port.model::<Counter>().unwrap().max, 5);
}

#[test]
fn bad_constants_and_names_are_errors_naming_what_exists() {
    let e = run(&["check", "counter", "-c", "Max=300"]).unwrap_err();
    assert!(e.to_string().contains("300 is not in 0..=100"), "{e}");
    let e = run(&["check", "counter", "-c", "Min=1"]).unwrap_err();
    assert!(e.to_string().contains("(it has: Max, Overshoot)"), "{e}");
    let e = run(&["check", "counterr"]).unwrap_err();
    assert!(e.to_string().contains("counter"), "{e}");
    assert!(
        matches!(registry().get("counterr"), Err(RegistryError::Unknown { known, .. }) if known.ends_with("token-bucket, counter"))
    );
    // The built-in registry, which the binary uses, does not know it.
    assert!(Registry::builtin().get("counter").is_err());
}

#[test]
fn tla_and_cross_run_its_own_twin() {
    assert_eq!(
        run(&["tla", "counter", "--engine", "tla-checker"]).unwrap(),
        Outcome::Holds
    );
    assert_eq!(
        run(&["cross", "counter", "-c", "Max=4", "--engine", "tla-checker"]).unwrap(),
        Outcome::Holds,
        "the port and its twin agree"
    );
    // Both find the broken variant's violation, so they still agree; `tla` alone refutes.
    assert_eq!(
        run(&[
            "cross",
            "counter",
            "-c",
            "Overshoot=1",
            "--engine",
            "tla-checker"
        ])
        .unwrap(),
        Outcome::Holds
    );
    assert_eq!(
        run(&[
            "tla",
            "counter",
            "-c",
            "Overshoot=1",
            "--engine",
            "tla-checker"
        ])
        .unwrap(),
        Outcome::Refuted
    );
}

#[test]
fn traces_are_written_with_its_name_and_constants() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("t");
    let out_arg = out.to_str().unwrap();
    let args = [
        "traces",
        "counter",
        "-c",
        "Overshoot=1",
        "--count",
        "2",
        "--out",
    ];
    let mut args = args.to_vec();
    args.push(out_arg);
    assert_eq!(run(&args).unwrap(), Outcome::Holds);
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "counter-bounded-counterexample.itf.json",
            "counter-reaches_max-witness.itf.json",
            "counter-walk-0000.itf.json",
            "counter-walk-0001.itf.json",
        ]
    );
    let text =
        std::fs::read_to_string(out.join("counter-bounded-counterexample.itf.json")).unwrap();
    let itf: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(itf["#meta"]["model"], "counter");
    assert_eq!(itf["states"].as_array().unwrap().len(), 5, "0,1,2,3,4");
}

#[test]
fn replay_refuses_a_model_without_an_implementation() {
    let e = run(&["replay", "counter", "--generate", "3"]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "model counter: no implementation to replay against (replayable: inventory, saga, breaker, token-bucket)"
    );
}

#[test]
fn check_runs_it_across_two_processes() {
    let dir = tempfile::tempdir().unwrap();
    let listeners: Vec<TcpListener> = (0..2)
        .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    let hosts = dir.path().join("hosts");
    let text: String = listeners
        .iter()
        .map(|l| format!("{}\n", l.local_addr().unwrap()))
        .collect();
    std::fs::write(&hosts, text).unwrap();
    drop(listeners);
    let hosts = hosts.to_str().unwrap().to_string();
    let process = |i: usize, overshoot: &'static str| {
        let hosts = hosts.clone();
        std::thread::spawn(move || {
            let i = i.to_string();
            run(&[
                "check",
                "counter",
                "-c",
                overshoot,
                "--safety-only",
                "--processes",
                "2",
                "--process",
                &i,
                "--hosts",
                &hosts,
            ])
            .unwrap()
        })
    };
    let first = process(0, "Overshoot=1");
    let second = process(1, "Overshoot=1");
    assert_eq!(first.join().unwrap(), Outcome::Refuted, "process 0 reports");
    assert_eq!(second.join().unwrap(), Outcome::Holds, "the others exit 0");
}

#[test]
fn explore_serves_it() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let port_arg = port.to_string();
    // The Explorer serves until the process ends: its thread is left running.
    std::thread::spawn(move || run(&["explore", "counter", "--port", &port_arg]));
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        let ask = || -> std::io::Result<String> {
            let mut s = TcpStream::connect(("127.0.0.1", port))?;
            write!(s, "GET /.status HTTP/1.0\r\n\r\n")?;
            let mut r = String::new();
            s.read_to_string(&mut r)?;
            Ok(r)
        };
        match ask() {
            Ok(r) if r.contains(" 200 ") => break r,
            _ if Instant::now() > deadline => panic!("no Explorer on port {port}"),
            _ => std::thread::sleep(Duration::from_millis(50)),
        }
    };
    assert!(status.contains("Explorable<registry::Counter>"), "{status}");
}
