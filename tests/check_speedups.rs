//! The engine's speed-ups change no result (issue 11): several worker threads on the shared
//! table, and huge pages for large allocations (`FLASHCHECK_HUGE_PAGES=0` turns them off),
//! give the same distinct and generated counts, depth, verdicts and counterexample lengths
//! as one thread without huge pages; with one thread the counterexamples are identical.
//! The configurations grow the fingerprint table many times (past 10^5 states) and make the
//! parent log spill to its file (past 2^20 states), so growth and spilling are covered.

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

/// What must not change with threads: counts, depth, and per property its verdict and
/// counterexample length (which one of several shortest counterexamples may differ).
fn outcome(report: &Value, whole_paths: bool) -> Value {
    let properties: Vec<Value> = report["properties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let path = if whole_paths {
                p["counterexample"].clone()
            } else {
                p["counterexample"]
                    .as_array()
                    .map_or(Value::Null, |a| a.len().into())
            };
            serde_json::json!([p["name"], p["verdict"], path])
        })
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
fn threads_and_huge_pages_change_no_result() {
    let configs: [&[&str]; 3] = [
        &[
            "inventory",
            "-c",
            "Users=9",
            "-c",
            "Stock=5",
            "--safety-only",
        ],
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
            &[("FLASHCHECK_HUGE_PAGES", "0")],
        );
        assert!(plain["distinct_states"].as_u64().unwrap() > 0);
        let one = check(&[config, &["--threads", "1"]].concat(), &[]);
        assert_eq!(outcome(&one, true), outcome(&plain, true), "{config:?}");
        for threads in ["2", "3"] {
            let more = check(&[config, &["--threads", threads]].concat(), &[]);
            assert_eq!(
                outcome(&more, false),
                outcome(&plain, false),
                "{config:?} --threads {threads}"
            );
        }
    }
}
