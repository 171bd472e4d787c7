//! The speed-ups of `flashcheck check` change no result: the cache of recent fingerprints
//! (`FLASHCHECK_RECENT=0` turns it off), huge pages (`FLASHCHECK_HUGE_PAGES=0`) and more than
//! one stateright thread give the same distinct and generated counts and the same verdicts
//! and counterexamples as one plain thread. The configurations are large enough for the cache
//! to grow and start prefetching (past 2^15 expanded states); read_then_write also hashes the
//! per-user `seen` values.

use serde_json::Value;

fn check(args: &[&str], env: &[(&str, &str)]) -> Value {
    let out = assert_cmd::Command::cargo_bin("flashcheck")
        .unwrap()
        .args(["check"])
        .args(args)
        .arg("--json")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// What must not change: counts, depth, and per property its verdict and counterexample.
fn outcome(report: &Value) -> Value {
    let properties: Vec<Value> = report["properties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| serde_json::json!([p["name"], p["verdict"], p["counterexample"]]))
        .collect();
    serde_json::json!({
        "distinct_states": report["distinct_states"],
        "generated_states": report["generated_states"],
        "depth": report["depth"],
        "complete": report["complete"],
        "properties": properties,
    })
}

#[test]
fn cache_huge_pages_and_threads_change_no_result() {
    let configs: [&[&str]; 3] = [
        &["inventory", "-c", "Users=8", "-c", "Stock=5"],
        &[
            "inventory",
            "-c",
            "Users=5",
            "-c",
            "Stock=3",
            "-c",
            "Deduction=read_then_write",
        ],
        &["breaker"],
    ];
    for config in configs {
        let plain = check(
            &[config, &["--threads", "1"]].concat(),
            &[("FLASHCHECK_RECENT", "0"), ("FLASHCHECK_HUGE_PAGES", "0")],
        );
        assert!(plain["distinct_states"].as_u64().unwrap() > 0);
        for (threads, env) in [
            ("1", &[][..]),
            ("2", &[][..]),
            ("2", &[("FLASHCHECK_RECENT", "0")][..]),
        ] {
            let fast = check(&[config, &["--threads", threads]].concat(), env);
            assert_eq!(
                outcome(&fast),
                outcome(&plain),
                "{config:?} --threads {threads} {env:?}"
            );
        }
    }
}
