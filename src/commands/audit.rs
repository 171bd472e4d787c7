//! `flashcheck audit`: every check that exists, on the built-in Double 11 configurations,
//! written to `reports/` — the Rust ports, their TLA+ twins (TLC when a jar is found,
//! tla-checker otherwise) and the comparison, then z3's verdicts on the document's arithmetic.
//!
//! The written reports are deterministic (no timings, no temp paths) so that a change in them
//! is a change in a verdict; timings go to `audit-timings.md`. Exit 0 when every check ran
//! and met the expectation recorded for its configuration (the seed's models are *expected*
//! to fail: those failures are the findings), 1 otherwise.

use anyhow::{Context, Result};
use clap::Parser;
use flashcheck::arith::ArithArgs;
use flashcheck::catalog::{Constants, ModelName, Port};
use flashcheck::check::CheckOptions;
use flashcheck::cli::AuditArgs;
use flashcheck::report::junit::{self, Case, Outcome};
use flashcheck::report::{markdown, CheckReport, Verdict};
use flashcheck::tla::{self, TlaEngine, TlaOptions};
use flashcheck::twin::{self, EngineChoice};
use std::fmt::Write as _;
use std::time::Instant;

/// What the audit expects of a configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// A correct design: every property holds.
    AllHold,
    /// The seed as written, or a deliberately racy variant: the audit exists to show how it fails.
    Violations,
}

struct Config {
    model: ModelName,
    constants: &'static [&'static str],
    why: &'static str,
    expect: Expect,
}

fn configs(quick: bool) -> Vec<Config> {
    let mut list = vec![
        Config {
            model: ModelName::InventorySeed,
            constants: &["Users=3", "Stock=2"],
            why: "the seed's algorithm (§3.2) when buyers outnumber stock, as at midnight",
            expect: Expect::Violations,
        },
        Config {
            model: ModelName::InventorySeed,
            constants: &["Users=2", "Stock=3"],
            why: "the seed's algorithm when stock suffices",
            expect: Expect::AllHold,
        },
        Config {
            model: ModelName::Inventory,
            constants: &["Users=3", "Stock=2", "Deduction=atomic"],
            why: "atomic check-and-decrement (Lua script / conditional UPDATE)",
            expect: Expect::AllHold,
        },
        Config {
            model: ModelName::Inventory,
            constants: &["Users=3", "Stock=2", "Deduction=read_then_write"],
            why: "read the stock, write it back later: the classic race",
            expect: Expect::Violations,
        },
        Config {
            model: ModelName::SagaSeed,
            constants: &["F=1", "R=1", "C=1"],
            why: "the seed's SagaOrchestrator (§2.1) on the seed's create_order saga",
            expect: Expect::Violations,
        },
        Config {
            model: ModelName::Saga,
            constants: &["F=1", "R=1", "C=1"],
            why: "the orchestrator as it should be: durable log, retried compensations",
            expect: Expect::AllHold,
        },
        Config {
            model: ModelName::BreakerSeed,
            constants: &[],
            why: "the seed's breaker formula (§2.2) read literally, scaled constants",
            expect: Expect::Violations,
        },
        Config {
            model: ModelName::Breaker,
            constants: &[],
            why: "a resilience4j-like count-window breaker, scaled constants",
            expect: Expect::AllHold,
        },
        Config {
            model: ModelName::TokenBucket,
            constants: &[],
            why: "the seed's token bucket (§2.2) with discrete time",
            expect: Expect::AllHold,
        },
    ];
    if !quick {
        list.push(Config {
            model: ModelName::Inventory,
            constants: &["Users=8", "Stock=5", "Deduction=atomic"],
            why: "atomic deduction at a larger size (220,068 states)",
            expect: Expect::AllHold,
        });
    }
    list
}

/// `flashcheck arith ...` as its own argument parser, to run it in-process.
#[derive(Debug, Parser)]
struct ArithCli {
    #[command(flatten)]
    args: ArithArgs,
}

fn arith_json(words: &[&str]) -> Result<(i32, serde_json::Value)> {
    let cli = ArithCli::try_parse_from(std::iter::once("arith").chain(words.iter().copied()))?;
    let mut buffer = Vec::new();
    let code = flashcheck::arith::run(&cli.args, &mut buffer)?;
    let value = serde_json::from_slice(&buffer).context("arith --json output")?;
    Ok((code, value))
}

fn deterministic(mut report: CheckReport) -> CheckReport {
    report.elapsed_s = 0.0;
    report
}

fn verdict_cell(report: &CheckReport, name: &str) -> String {
    report
        .properties
        .iter()
        .find(|p| p.name == name)
        .map_or("—".into(), |p| p.verdict.as_str().to_string())
}

/// Runs the audit.
pub fn run(args: &AuditArgs) -> Result<i32> {
    let engine = EngineChoice::parse(args.engine.engine.as_deref())?
        .resolve(args.engine.tla2tools.as_deref())?;
    let engine_name = match &engine {
        TlaEngine::Tlc { .. } => "TLC",
        TlaEngine::TlaChecker => "tla-checker (no tla2tools.jar found)",
    };
    std::fs::create_dir_all(&args.out)?;
    let mut ok = true;
    let mut timings = String::from("# Audit timings (machine-dependent; not compared)\n\n");
    let mut md = String::from("# Double 11 design audit\n\n");
    let _ = writeln!(
        md,
        "What `flashcheck audit` found in `double11-design.md`. TLA+ engine: {engine_name}.\n"
    );
    let _ = writeln!(md, "## Models: verdicts (Rust port = TLA+ twin)\n");
    let _ = writeln!(
        md,
        "| model | constants | configuration | property | verdict | TLA+ twin | agree |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|---|---|");
    let mut sections = String::new();
    let mut cases: Vec<Case> = Vec::new();
    let mut json_models = Vec::new();
    for config in configs(args.quick) {
        let started = Instant::now();
        let constants = Constants::parse(
            config.model,
            &config
                .constants
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>(),
        )?;
        let port = Port::build(&constants)?;
        let command = format!("flashcheck check {} {}", config.model, constants.as_args());
        let rust = port.check(config.model.as_str(), command, &CheckOptions::default());
        let dir = tempfile::tempdir()?;
        let job = twin::job(config.model, &port, dir.path())?;
        let mut twin_report = tla::run(&job, &engine, &TlaOptions::default())?;
        twin_report.command = format!(
            "flashcheck tla {} {} --engine {}",
            config.model,
            constants.as_args(),
            twin_report.engine.as_str()
        );
        let comparison = twin::compare(&rust, &twin_report);
        let any_violation = rust
            .properties
            .iter()
            .any(|p| p.verdict == Verdict::Violated);
        let met = comparison.agree
            && rust.complete
            && match config.expect {
                Expect::AllHold => rust.exit_code() == 0,
                Expect::Violations => any_violation,
            };
        ok &= met;
        let shown = constants.as_args().replace("-c ", "");
        let suite = format!("{} {shown}", config.model);
        for p in &rust.properties {
            let twin_verdict = verdict_cell(&twin_report, &p.name);
            cases.push(Case {
                suite: suite.clone(),
                name: p.name.clone(),
                outcome: match p.verdict {
                    _ if !comparison.agree => Outcome::Failed(format!(
                        "the TLA+ twin disagrees: {}",
                        comparison.differences.join("; ")
                    )),
                    Verdict::Holds => Outcome::Passed,
                    Verdict::Violated if config.expect == Expect::Violations => Outcome::Failed(
                        format!("violated (a finding about the seed; {twin_verdict} in TLA+)"),
                    ),
                    Verdict::Violated => Outcome::Failed("violated".into()),
                    Verdict::Unknown => {
                        Outcome::Skipped(p.note.clone().unwrap_or_else(|| "unknown".into()))
                    }
                },
            });
            let _ = writeln!(
                md,
                "| {} | `{}` | {} | `{}` | **{}** | {} | {} |",
                config.model,
                shown,
                config.why,
                p.name,
                p.verdict.as_str(),
                verdict_cell(&twin_report, &p.name),
                if comparison.agree { "yes" } else { "**NO**" }
            );
        }
        let _ = writeln!(
            sections,
            "{}",
            markdown::render(&deterministic(rust.clone()))
        );
        let _ = writeln!(
            timings,
            "- {} {shown}: {:.3} s (Rust {:.3} s, {} {:.3} s)",
            config.model,
            started.elapsed().as_secs_f64(),
            rust.elapsed_s,
            twin_report.engine.as_str(),
            twin_report.elapsed_s
        );
        json_models.push(serde_json::json!({
            "configuration": config.why,
            "expectation_met": met,
            "agree": comparison.agree,
            "differences": comparison.differences,
            "rust": deterministic(rust),
            "tla": deterministic(twin_report),
        }));
    }

    let _ = writeln!(md, "\n## Arithmetic (z3)\n");
    let mut json_arith = serde_json::Map::new();
    for (name, words) in [
        ("quota", vec!["quota", "--json"]),
        (
            "quota_capacity_200",
            vec!["quota", "--capacity", "200", "--json"],
        ),
        ("vcg", vec!["vcg", "--json"]),
        (
            "vcg_capacity_200",
            vec!["vcg", "--capacity", "200", "--json"],
        ),
        ("latency", vec!["latency", "--json"]),
        ("claims", vec!["claims", "--json"]),
    ] {
        let started = Instant::now();
        let (code, value) = arith_json(&words)?;
        let _ = writeln!(
            timings,
            "- arith {}: {:.3} s",
            words.join(" "),
            started.elapsed().as_secs_f64()
        );
        let _ = writeln!(
            md,
            "- `flashcheck arith {}`: {}",
            words[..words.len() - 1].join(" "),
            if code == 0 {
                "every check holds"
            } else {
                "some checks are refuted or unknown (see below)"
            }
        );
        json_arith.insert(name.to_string(), value);
    }
    if let Some(claims) = json_arith.get("claims").and_then(|c| c.get("claims")) {
        for c in claims.as_array().into_iter().flatten() {
            let reason = c["reason"].as_str().unwrap_or("").to_string();
            cases.push(Case {
                suite: "arith claims".into(),
                name: c["id"].as_str().unwrap_or("?").to_string(),
                outcome: match c["verdict"].as_str() {
                    Some("holds") => Outcome::Passed,
                    Some("refuted") => Outcome::Failed(reason),
                    _ => Outcome::Skipped(reason),
                },
            });
        }
        let _ = writeln!(md, "\n### Claims of the document refuted or undecided\n");
        let _ = writeln!(md, "| id | section | verdict | claim |");
        let _ = writeln!(md, "|---|---|---|---|");
        for c in claims.as_array().into_iter().flatten() {
            let verdict = c["verdict"].as_str().unwrap_or("?");
            if verdict != "holds" {
                let _ = writeln!(
                    md,
                    "| {} | {} | **{}** | {} |",
                    c["id"].as_str().unwrap_or("?"),
                    c["section"].as_str().unwrap_or("?"),
                    verdict,
                    c["text"].as_str().unwrap_or("").replace('|', "\\|")
                );
            }
        }
    }
    let _ = writeln!(md, "\n## Model checks in detail\n\n{sections}");

    std::fs::write(args.out.join("double11-audit.md"), &md)?;
    let json = serde_json::json!({
        "tla_engine": engine_name,
        "models": json_models,
        "arith": json_arith,
    });
    std::fs::write(
        args.out.join("double11-audit.json"),
        serde_json::to_string_pretty(&json)? + "\n",
    )?;
    std::fs::write(args.out.join("audit-timings.md"), &timings)?;
    std::fs::write(args.out.join("junit.xml"), junit::render(&cases))?;
    println!(
        "audit: wrote {}/double11-audit.md, double11-audit.json, junit.xml, audit-timings.md; {}",
        args.out.display(),
        if ok {
            "every configuration met its expectation"
        } else {
            "SOME CONFIGURATION DID NOT MEET ITS EXPECTATION (see the report)"
        }
    );
    Ok(if ok { 0 } else { 1 })
}
