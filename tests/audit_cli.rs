//! `flashcheck audit --quick` and `--specs DIR` as a user meets them: a scenario of one's own
//! is audited from its files, and a missing or inconsistent file is bad input (exit 2, one
//! line naming it), never a silent fall-back to the built-in scenario.

use assert_cmd::Command;
use std::path::Path;

fn specs_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let specs = Path::new(env!("CARGO_MANIFEST_DIR")).join("specs");
    for entry in std::fs::read_dir(specs).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
    }
    dir
}

fn audit(specs: &Path, out: &Path) -> (i32, String, String) {
    let output = Command::cargo_bin("flashcheck")
        .unwrap()
        .args(["audit", "--quick", "--specs"])
        .arg(specs)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn a_users_scenario_is_audited_from_its_own_files() {
    let specs = specs_copy();
    // The user's saga: the seed's without the logistics step.
    let saga = std::fs::read_to_string(specs.path().join("create_order.saga.yaml")).unwrap();
    let cut = saga.find("    - name: update_logistics").unwrap();
    std::fs::write(specs.path().join("create_order.saga.yaml"), &saga[..cut]).unwrap();
    let out = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = audit(specs.path(), out.path());
    assert_eq!(code, 0, "{stdout}{stderr}");
    let report = std::fs::read_to_string(out.path().join("double11-audit.md")).unwrap();
    assert!(report.contains(&format!("Scenario: {}", specs.path().display())));
    assert!(report.contains("TLA+ engine: tla-checker."));
    let built_in = Path::new(env!("CARGO_MANIFEST_DIR")).join("reports/double11-audit.md");
    let built_in = std::fs::read_to_string(built_in).unwrap();
    let saga_states = |md: &str| {
        md.lines()
            .find(|l| l.starts_with("| [saga](#saga_C1_F1_R1)"))
            .map(str::to_string)
    };
    assert_ne!(
        saga_states(&report),
        saga_states(&built_in),
        "a three-step saga must give the saga model a different state count"
    );
}

#[test]
fn a_missing_spec_file_is_named_and_exits_2() {
    let specs = specs_copy();
    std::fs::remove_file(specs.path().join("breaker.toml")).unwrap();
    let out = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = audit(specs.path(), out.path());
    assert_eq!(code, 2, "{stdout}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("breaker.toml: cannot read"), "{stderr}");
    assert!(!out.path().join("double11-audit.md").exists());
}

#[test]
fn a_claim_citing_a_property_the_model_lacks_exits_2() {
    let specs = specs_copy();
    let path = specs.path().join("behaviour.toml");
    let text = std::fs::read_to_string(&path).unwrap().replacen(
        "property = \"FairnessProperty\"",
        "property = \"Fairness\"",
        1,
    );
    std::fs::write(&path, text).unwrap();
    let out = tempfile::tempdir().unwrap();
    let (code, _, stderr) = audit(specs.path(), out.path());
    assert_eq!(code, 2);
    assert!(
        stderr.contains(
            "claim 3.2-fairness-verified: model inventory-seed has no property `Fairness`"
        ),
        "{stderr}"
    );
}

#[test]
fn a_configuration_that_misses_its_expectation_exits_1() {
    // A one-step saga: nothing is ever committed before a failure, so the seed's orchestrator
    // can no longer violate anything, and the configuration expecting its violations fails.
    let specs = specs_copy();
    let saga = std::fs::read_to_string(specs.path().join("create_order.saga.yaml")).unwrap();
    let cut = saga.find("    - name: create_order").unwrap();
    std::fs::write(specs.path().join("create_order.saga.yaml"), &saga[..cut]).unwrap();
    let out = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = audit(specs.path(), out.path());
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stdout.contains("SOME DID NOT MEET THEIR EXPECTATION"),
        "{stdout}"
    );
}
