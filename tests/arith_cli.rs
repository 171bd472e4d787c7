//! End-to-end tests of `flashcheck arith …` on the seed's spec and claims: exit codes,
//! insta snapshots of every report (text and JSON), and bad input naming file and field.

use assert_cmd::Command;
use std::io::Write;

fn flashcheck() -> Command {
    let mut c = Command::cargo_bin("flashcheck").expect("binary");
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = flashcheck().args(args).output().expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn quota_report() {
    let (code, text, _) = run(&["arith", "quota"]);
    assert_eq!(code, 1, "316 and 16 are refuted");
    assert!(text.contains("x* = 223.107357"));
    insta::assert_snapshot!("arith_quota_text", text);
    let (_, json, _) = run(&["arith", "quota", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(v["tenants"][0]["verdict"], "refuted");
    assert_eq!(v["tenants"][1]["verdict"], "holds");
    assert_eq!(v["capacity"]["binds"], false);
    insta::assert_json_snapshot!("arith_quota_json", v);
}

#[test]
fn quota_report_binding_capacity() {
    let (code, text, _) = run(&["arith", "quota", "--capacity", "200"]);
    assert_eq!(code, 1);
    assert!(text.contains("binds"));
    insta::assert_snapshot!("arith_quota_200_text", text);
    let (_, json, _) = run(&["arith", "quota", "--capacity", "200", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&json).expect("json");
    let integer = v["capacity"]["kkt"]["integer"]
        .as_array()
        .expect("integer allocation proven");
    let total: i64 = integer
        .iter()
        .map(|p| p[1].as_str().unwrap().parse::<i64>().unwrap())
        .sum();
    assert_eq!(total, 200);
    insta::assert_json_snapshot!("arith_quota_200_json", v);
}

#[test]
fn vcg_reports() {
    for (cap, name) in [(None, "arith_vcg"), (Some("200"), "arith_vcg_200")] {
        let mut args = vec!["arith", "vcg"];
        if let Some(c) = cap {
            args.extend(["--capacity", c]);
        }
        let (_, text, _) = run(&args);
        insta::assert_snapshot!(format!("{name}_text"), text);
        args.push("--json");
        let (_, json, _) = run(&args);
        let v: serde_json::Value = serde_json::from_str(&json).expect("json");
        for t in v["tenants"].as_array().unwrap() {
            assert_eq!(t["individual_rationality"], "holds");
            assert_eq!(t["payment_nonnegative"], "holds");
            assert_eq!(t["incentive_compatibility"], "holds", "{}", t["ic_reason"]);
        }
        assert_eq!(v["no_deficit"], "holds");
        insta::assert_json_snapshot!(format!("{name}_json"), v);
    }
}

#[test]
fn latency_report() {
    let (code, text, _) = run(&["arith", "latency"]);
    assert_eq!(code, 1, "the optimised total 128 is refuted");
    assert!(text.contains("optimised: 123ms"));
    insta::assert_snapshot!("arith_latency_text", text);
    let (_, json, _) = run(&["arith", "latency", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&json).expect("json");
    insta::assert_json_snapshot!("arith_latency_json", v);
}

#[test]
fn claims_report() {
    let (code, text, _) = run(&["arith", "claims"]);
    assert_eq!(code, 1);
    insta::assert_snapshot!("arith_claims_text", text);
    let (_, json, _) = run(&["arith", "claims", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&json).expect("json");
    let find = |id: &str| {
        v["claims"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .cloned()
            .unwrap()
    };
    assert_eq!(find("4.1-x1")["verdict"], "refuted");
    assert_eq!(find("4.1-closed-form")["verdict"], "holds");
    assert_eq!(find("3.1-optimised-total")["value"], "123");
    assert_eq!(find("4.3-utilisation-gain")["verdict"], "holds");
    assert_eq!(find("2.3-consistent-hashing")["verdict"], "refuted");
    assert_eq!(find("2.3-consistent-hashing")["computation"], "routing");
    assert_eq!(find("2.3-consistent-hashing")["line"], 427);
    assert_eq!(find("3.2-liveness-and-state-space")["verdict"], "refuted");
    assert_eq!(find("4.2-incentive-compatibility")["verdict"], "holds");
    assert_eq!(find("4.1-nash")["verdict"], "refuted");
    insta::assert_json_snapshot!("arith_claims_json", v);
}

fn spec_with(replace: &str, with: &str) -> tempfile::NamedTempFile {
    let base = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/specs/double11.toml"))
        .unwrap();
    assert!(
        base.contains(replace),
        "fixture text `{replace}` not in the spec"
    );
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(base.replacen(replace, with, 1).as_bytes())
        .unwrap();
    f
}

fn assert_bad(args: &[&str], file: &str, needles: &[&str]) {
    let (code, stdout, stderr) = run(args);
    assert_eq!(code, 2, "stdout: {stdout} stderr: {stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains(file), "{stderr} names {file}");
    for n in needles {
        assert!(stderr.contains(n), "{stderr} contains {n}");
    }
}

#[test]
fn bad_spec_values_exit_2_naming_file_field_reason() {
    let cases = [
        (
            "alpha = 10",
            "alpha = -10",
            "tenant[0].alpha",
            "must be > 0",
        ),
        ("alpha = 5", "alpha = 0", "tenant[1].alpha", "must be > 0"),
        (
            "beta = \"0.1\"",
            "beta = nan",
            "tenant[0].beta",
            "not a finite number",
        ),
        (
            "traffic = 100\n",
            "traffic = \"abc\"\n",
            "tenant[2].traffic",
            "not a decimal number",
        ),
        ("beta = \"0.3\"\n", "", "tenant[2].beta", "missing"),
        (
            "cores = 1000",
            "cores = -1",
            "capacity.cores",
            "must be > 0",
        ),
    ];
    for (from, to, field, reason) in cases {
        let f = spec_with(from, to);
        let p = f.path().to_str().unwrap();
        assert_bad(&["arith", "quota", "--spec", p], p, &[field, reason]);
    }
}

#[test]
fn bad_claims_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "expr = \"quota(nobody)\"\nclaimed = 1",
            "unknown tenant `nobody`",
        ),
        (
            "expr = \"no.such.value > 1\"",
            "unknown name `no.such.value`",
        ),
        ("expr = \"1 +\"", "expected a number"),
        (
            "expr = \"quota(ads)\"",
            "missing: a numeric expression needs the claimed value",
        ),
    ];
    for (i, (body, reason)) in cases.iter().enumerate() {
        let p = dir.path().join(format!("c{i}.toml"));
        std::fs::write(
            &p,
            format!("[[claim]]\nid = \"x\"\nsection = \"0\"\nline = 74\ntext = \"t\"\n{body}\n"),
        )
        .unwrap();
        let ps = p.to_str().unwrap();
        assert_bad(
            &["arith", "claims", "--claims", ps],
            ps,
            &["claim[0] (x).", reason],
        );
    }
    // A claim must cite its line of the design document, and a line the document has.
    for (lines, reason) in [
        ("", "claim `x`: missing `line`"),
        (
            "line = 99999\n",
            "claim `x`: `line` = 99999 is not a line of specs/double11-design.md",
        ),
    ] {
        let p = dir.path().join("lines.toml");
        std::fs::write(
            &p,
            format!(
                "[[claim]]\nid = \"x\"\nsection = \"0\"\n{lines}text = \"t\"\nexpr = \"1 < 2\"\n"
            ),
        )
        .unwrap();
        let ps = p.to_str().unwrap();
        assert_bad(
            &["arith", "claims", "--claims", ps],
            &format!("{ps}:2:"),
            &[reason],
        );
    }
    // A computation of an unknown kind, or with a key its kind does not take.
    for (compute, reason) in [
        ("kind = \"guess\"", "unknown computation `guess`"),
        (
            "kind = \"routing\"\ncode = \"modulo\"\nnamed = \"consistent_hashing\"\nshards = 32\nkeys = 5",
            "claim[0] (x).compute.keys",
        ),
        (
            "kind = \"state_space\"\nmodel = \"inventory\"\nusers = 3\nstock = 2\nclaimed_states = 9",
            "a structural bound is derived for \"inventory-seed\" only",
        ),
    ] {
        let p = dir.path().join("compute.toml");
        std::fs::write(
            &p,
            format!("[[claim]]\nid = \"x\"\nsection = \"0\"\nline = 74\ntext = \"t\"\n[claim.compute]\n{compute}\n"),
        )
        .unwrap();
        let ps = p.to_str().unwrap();
        assert_bad(&["arith", "claims", "--claims", ps], ps, &[reason]);
    }
    assert_bad(
        &["arith", "claims", "--document", "/nonexistent/design.md"],
        "/nonexistent/design.md",
        &["cannot read"],
    );
    assert_bad(
        &["arith", "claims", "--claims", "/nonexistent/claims.toml"],
        "/nonexistent/claims.toml",
        &["cannot read"],
    );
    assert_bad(
        &["arith", "quota", "--capacity=-5"],
        "--capacity",
        &["must be > 0"],
    );
    assert_bad(
        &["arith", "vcg", "--capacity=abc"],
        "--capacity",
        &["not a decimal number"],
    );
}
