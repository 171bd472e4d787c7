//! The CI workflow for users (`ci/github-actions.yml`, README "In your CI"): its
//! `flashcheck-*` steps run here exactly as written, with `$FLASHCHECK` this build's binary,
//! `$TLA2TOOLS_JAR` the local jar and `AUDIT_FLAGS=--quick`. Without a jar the test prints
//! `TLC CI workflow test skipped: <why>` to the uncaptured stderr and returns.

#[path = "support/tlc.rs"]
mod tlc;
use std::path::Path;
use std::process::Command;
use yaml_rust2::{Yaml, YamlLoader};

fn workflow() -> Yaml {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("ci/github-actions.yml");
    let text = std::fs::read_to_string(path).unwrap();
    YamlLoader::load_from_str(&text).unwrap().remove(0)
}

fn steps(w: &Yaml) -> Vec<Yaml> {
    w["jobs"]["audit"]["steps"].as_vec().unwrap().clone()
}

#[test]
fn the_workflow_downloads_tlc_from_its_releases_caches_it_and_publishes_junit() {
    let w = workflow();
    let url = w["env"]["TLA2TOOLS_URL"].as_str().unwrap();
    assert!(
        url.starts_with("https://github.com/tlaplus/tlaplus/releases/"),
        "{url}"
    );
    let steps = steps(&w);
    let uses = |prefix: &str| {
        steps
            .iter()
            .any(|s| s["uses"].as_str().is_some_and(|u| u.starts_with(prefix)))
    };
    assert!(uses("actions/cache@") && uses("actions/setup-java@"));
    let download = steps
        .iter()
        .find(|s| {
            s["run"]
                .as_str()
                .is_some_and(|r| r.contains("$TLA2TOOLS_URL"))
        })
        .expect("a step downloads the jar");
    assert_eq!(
        download["if"].as_str(),
        Some("steps.jar-cache.outputs.cache-hit != 'true'"),
        "downloaded only on a cache miss"
    );
    assert!(steps.iter().any(|s| s["with"]["report_paths"]
        .as_str()
        .is_some_and(|p| p.ends_with("junit.xml"))));
}

#[test]
fn the_workflow_steps_run_locally_with_tlc() {
    let Some(jar) = tlc::jar("TLC CI workflow test") else {
        return;
    };
    let w = workflow();
    let work = tempfile::tempdir().unwrap();
    let mut ran = Vec::new();
    for step in steps(&w) {
        let Some(id) = step["id"].as_str().filter(|i| i.starts_with("flashcheck-")) else {
            continue;
        };
        let script = step["run"].as_str().unwrap();
        let out = Command::new("bash")
            .args(["-euo", "pipefail", "-c", script])
            .current_dir(work.path())
            .env("FLASHCHECK", env!("CARGO_BIN_EXE_flashcheck"))
            .env("TLA2TOOLS_JAR", &jar)
            .env("AUDIT_FLAGS", "--quick")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{id}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        ran.push(id.to_string());
    }
    assert_eq!(ran, ["flashcheck-cross", "flashcheck-audit"]);
    let junit = std::fs::read_to_string(work.path().join("flashcheck-reports/junit.xml")).unwrap();
    assert!(junit.contains("<testsuite"), "{junit}");
    let evidence = work.path().join("flashcheck-reports/evidence/tla");
    let mut twins = 0;
    for entry in std::fs::read_dir(&evidence).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        let heading = text.lines().next().unwrap_or_default();
        assert!(heading.contains(" — tlc "), "checked by TLC: {heading}");
        twins += 1;
    }
    assert!(twins > 0, "no twin reports in {}", evidence.display());
}
