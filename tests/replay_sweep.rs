//! Bound sweeps (issue 14, item 3): replay with `--generate` tries every small configuration
//! of the model (`replay::sweep`), so a bug that needs a second retry and a crash is caught
//! without the user guessing `-c R=2`; a failure's reproduce line names its configuration.

use assert_cmd::Command;
use flashcheck::reference::Mutation;
use flashcheck::registry::{build_port, builtin};
use flashcheck::replay::driver::{replay_paths, seeded_walks, PathResult};
use flashcheck::replay::saga::SagaConformance;
use flashcheck::replay::{sweep, ExecutorChoice};
use std::sync::Arc;

/// Replays `walks` walks of the saga with the `-c` `assignments`, each named by the command
/// the CLI would print; returns the constants and the failures.
fn saga_replay(
    assignments: &[String],
    walks: usize,
    mutation: Option<Mutation>,
) -> (String, Vec<PathResult>) {
    let (constants, port) = build_port(&builtin::SAGA, assignments, None).unwrap();
    let model = port
        .model::<flashcheck_models::saga::Saga>()
        .expect("a saga port")
        .clone();
    let args = constants.as_args();
    let c = SagaConformance::new(model, flashcheck::specs::seed_saga()).unwrap();
    let paths = seeded_walks(&model_of(&c), 0, walks, 40, |seed| {
        format!("flashcheck replay saga {args} --no-sweep --generate 1 --seed {seed} --depth 40")
    });
    let report = replay_paths(
        Arc::new(c),
        "saga",
        ExecutorChoice::Inline,
        &paths,
        mutation,
        &|_, _| {},
    )
    .unwrap();
    (args, report.failures)
}

fn model_of(c: &SagaConformance) -> flashcheck_models::saga::Saga {
    use flashcheck::replay::Conformance;
    c.model().clone()
}

/// `SagaCountsAttemptsPerSession` shows only when one compensation fails, the orchestrator
/// crashes and recovers, and the compensation fails again: two failures, so `R >= 2` (in 60
/// walks it showed only with `C >= 2` too). The default bounds (`R = 1`, `C = 1`) never show
/// it in 300 walks; the sweep does, and names `-c R=..` in the reproduce line.
#[test]
fn a_bug_needing_a_second_retry_is_caught_only_by_the_sweep() {
    let (defaults, failures) = saga_replay(&[], 300, Some(Mutation::SagaCountsAttemptsPerSession));
    assert!(defaults.contains("-c R=1"), "{defaults}");
    assert!(
        failures.is_empty(),
        "the default bounds caught it: {failures:#?}"
    );

    let configurations = sweep::configurations(&builtin::SAGA, &[]);
    assert_eq!(configurations.len(), 9);
    let mut caught_in = Vec::new();
    for assignments in &configurations {
        let (clean_args, clean) = saga_replay(assignments, 60, None);
        assert!(clean.is_empty(), "{clean_args}: {:#?}", clean.first());
        let (args, failures) = saga_replay(
            assignments,
            60,
            Some(Mutation::SagaCountsAttemptsPerSession),
        );
        if let Some(f) = failures.first() {
            let m = f.mismatch.as_ref().unwrap();
            println!(
                "{args}: {} of 60 walks fail; first at step {} ({}): {} {} vs {}\n  replay: {}",
                failures.len(),
                m.step,
                m.action,
                m.what,
                m.expected,
                m.actual,
                f.command
            );
            assert!(f.command.contains(&args), "{}", f.command);
            assert!(f.command.contains("--no-sweep"), "{}", f.command);
            assert!(m.action.starts_with("CompensationFails"), "{m:?}");
            caught_in.push(args);
        }
    }
    assert!(
        caught_in.iter().all(|a| !a.contains("R=1")),
        "caught with a single retry: {caught_in:?}"
    );
    assert!(
        caught_in.iter().any(|a| a.contains("R=2")) && caught_in.iter().any(|a| a.contains("R=3")),
        "{caught_in:?}"
    );
}

#[test]
fn the_cli_sweeps_by_default_and_replays_one_configuration_on_request() {
    let out = Command::cargo_bin("flashcheck")
        .unwrap()
        .args(["replay", "token-bucket", "--generate", "20"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let per_config = text
        .lines()
        .filter(|l| l.starts_with("-c Capacity="))
        .count();
    assert_eq!(per_config, 9, "{text}");
    assert!(
        text.contains("-c Capacity=3 -c Rate=2 -c RateWindow=3: replay token-bucket"),
        "{text}"
    );
    assert!(
        text.contains("sweep token-bucket on Inline: 9 configurations: all conform"),
        "{text}"
    );
    assert_eq!(
        text.lines().filter(|l| l.starts_with("coverage ")).count(),
        1
    );

    let out = Command::cargo_bin("flashcheck")
        .unwrap()
        .args([
            "replay",
            "inventory",
            "-c",
            "Users=2",
            "--generate",
            "10",
            "--json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["configurations"], 3, "{json}");
    assert_eq!(json["paths"], 30);
    assert_eq!(
        json["sweep"][2]["constants"],
        "-c Deduction=atomic -c Stock=3 -c Users=2"
    );
    assert!(
        json["coverage"]["actions"]["Reserve"]["taken"]
            .as_u64()
            .unwrap()
            > 0
    );

    let out = Command::cargo_bin("flashcheck")
        .unwrap()
        .args(["replay", "token-bucket", "--generate", "20", "--no-sweep"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("replay token-bucket on Inline: 20 path(s)"),
        "{text}"
    );
    assert!(!text.contains("sweep"), "{text}");
}
