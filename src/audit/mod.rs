//! `flashcheck audit`: everything flashcheck can check, on the built-in Double 11 scenario
//! (the `specs/` files compiled into the binary) or a user's own (`--specs DIR`), written to
//! one report directory:
//!
//! - every model configuration through the Rust port and its TLA+ twin ([`models`]);
//! - z3 on the arithmetic and every numeric claim ([`arith`]);
//! - traces generated and replayed on every executor ([`replay`]);
//! - one verdict per claim of the design document, linked to its evidence ([`verdicts`]).
//!
//! The compared files (`double11-audit.md`, `double11-audit.json`, `junit.xml` and
//! `evidence/` except `evidence/tla/`) are deterministic: fixed seeds, no timings, no
//! temporary paths, so a change in them is a change in a verdict. The TLA+ engine's own
//! output (`evidence/tla/`, which depends on whether TLC or tla-checker ran) and all timings
//! (`audit-timings.md`) are kept apart. Exit 0 when every configuration met its expectation
//! and every replay conformed, 1 otherwise, 2 on bad input.

mod arith;
mod configs;
mod growth;
mod models;
mod output;
mod pictures;
mod progress;
mod replay;
mod verdicts;

use crate::cli::AuditArgs;
use crate::commands::traces::write_report_traces;
use crate::outcome;
use crate::replay::driver::ReplayReport;
use crate::report::junit::{self, Case, Outcome};
use crate::report::{markdown, CheckReport, Verdict};
use crate::specs::{parse_behaviour_str, parse_breaker_str, parse_saga_str, Document, Scenario};
use crate::twin::EngineChoice;
use anyhow::Result;
use configs::Expect;
use models::ModelOutcome;
use progress::Progress;
use replay::ReplayRow;
use serde_json::json;
use std::fmt::Write as _;
use std::time::Instant;
use verdicts::ClaimRow;

/// Runs the audit.
pub fn run(args: &AuditArgs) -> Result<outcome::Outcome> {
    let started = Instant::now();
    let scenario = match &args.specs {
        Some(dir) => Scenario::from_dir(dir)?,
        None => Scenario::built_in(),
    };
    let saga = parse_saga_str(&scenario.saga.text, &scenario.saga.path)?;
    parse_breaker_str(&scenario.breaker.text, &scenario.breaker.path)?;
    let document = Document::from_file(&scenario.document);
    let behaviour = parse_behaviour_str(
        &scenario.behaviour.text,
        &scenario.behaviour.path,
        &document,
    )?;
    let mut choice = EngineChoice::parse(args.engine.engine.as_deref())?;
    // --quick is the one-minute pre-check: TLC's JVM start-up per property run alone would
    // take most of that, so the twins run in-process unless an engine is asked for.
    if args.quick && args.engine.engine.is_none() && cfg!(feature = "tla-checker") {
        choice = EngineChoice::TlaChecker;
    }
    let engine = choice.resolve(args.engine.tla2tools.as_deref())?;
    let engine_name = models::engine_name(&engine);
    let configurations = configs::configurations(args.quick, &behaviour, &saga)?;
    let progress = Progress::for_stdout();
    let staging = output::Staging::new(&args.out)?;
    let out = staging.path();
    let evidence = out.join("evidence");
    for dir in ["models", "tla", "arith"] {
        std::fs::create_dir_all(evidence.join(dir))?;
    }

    let mut outcomes = Vec::new();
    for config in configurations {
        let outcome = models::run(config, &saga, &engine, &progress)?;
        progress.done(&format!(
            "{} {}: {} distinct states, {} ({:.1} s)",
            outcome.config.model,
            outcome.config.shown(),
            outcome.rust.distinct_states,
            if outcome.comparison.agree {
                "TLA+ twin agrees"
            } else {
                "TLA+ twin DISAGREES"
            },
            outcome.elapsed_s
        ));
        let slug = outcome.config.slug();
        write_report_traces(
            &deterministic(outcome.rust.clone()),
            &crate::registry::Registry::builtin(),
            &evidence.join("models").join(&slug),
        )?;
        std::fs::write(
            evidence.join("tla").join(format!("{slug}.md")),
            markdown::render(&outcome.twin),
        )?;
        outcomes.push(outcome);
    }

    let growth = growth::run(if args.quick { 5 } else { 7 }, &engine, &progress)?;
    let figures = pictures::write(out, &scenario, &saga, &outcomes, &growth)?;

    let spinner = progress.spinner("z3: arithmetic and claims".into());
    let arith = arith::run(&scenario)?;
    spinner.finish_and_clear();
    progress.done(&format!("z3: {} arithmetic claims", arith.claims.len()));
    for run in &arith.runs {
        std::fs::write(
            evidence.join("arith").join(format!("{}.txt", run.key)),
            &run.text,
        )?;
    }
    std::fs::write(
        evidence.join("arith").join("claims.md"),
        claims_evidence(&arith.claims),
    )?;
    let document_link = document_link(&scenario);
    for c in &arith.claims {
        if let Some(text) = computation_evidence(c, &document_link) {
            std::fs::write(
                evidence
                    .join("arith")
                    .join(verdicts::computation_file(&c.id)),
                text,
            )?;
        }
    }

    let spinner = progress.spinner("replay: traces on inline, pool and pinned".into());
    let replays = replay::run(out, &saga)?;
    spinner.finish_and_clear();
    progress.done(&format!("replay: {} runs", replays.len()));

    let mut rows: Vec<ClaimRow> = behaviour
        .iter()
        .map(|c| {
            verdicts::behaviour_row(c, &outcomes, if figures.rendered { "svg" } else { "dot" })
        })
        .chain(arith.claims.iter().map(verdicts::arith_row))
        .collect();
    verdicts::sort(&mut rows);

    let models_ok = outcomes.iter().all(|o| o.met);
    let replay_ok = replays
        .iter()
        .all(|(r, _)| r.report.as_ref().is_some_and(|r| r.failures.is_empty()));
    let ok = models_ok && replay_ok;

    let found = Findings {
        document_link: &document_link,
        scenario: &scenario,
        engine_name,
        rows: &rows,
        outcomes: &outcomes,
        arith: &arith,
        replays: &replays,
        growth: &growth,
        figures: &figures,
    };
    let markdown = render_markdown(&found);
    std::fs::write(out.join("double11-audit.md"), markdown)?;
    let json = render_json(&found);
    std::fs::write(
        out.join("double11-audit.json"),
        serde_json::to_string_pretty(&json)? + "\n",
    )?;
    std::fs::write(
        out.join("junit.xml"),
        junit::render(&junit_cases(&rows, &outcomes, &replays)),
    )?;
    std::fs::write(
        out.join("audit-timings.svg"),
        pictures::growth_time(&growth)?,
    )?;
    std::fs::write(
        out.join("audit-timings.md"),
        render_timings(engine_name, &outcomes, &arith, &replays, &growth, started),
    )?;

    staging.commit()?;
    let count = |v: &str| rows.iter().filter(|r| r.verdict == v).count();
    println!(
        "audit: {} claims of the document: {} hold, {} refuted, {} unknown; {} model configurations ({}), TLA+ engine {engine_name}; replay on 3 executors: {}",
        rows.len(),
        count("holds"),
        count("refuted"),
        count("unknown"),
        outcomes.len(),
        if models_ok {
            "each met its expectation"
        } else {
            "SOME DID NOT MEET THEIR EXPECTATION"
        },
        if replay_ok { "conforms" } else { "FAILED" },
    );
    println!(
        "audit: wrote {}/double11-audit.md (start there), double11-audit.json, junit.xml, evidence/, audit-timings.md (listed in {})",
        args.out.display(),
        output::MANIFEST
    );
    Ok(outcome::Outcome::holds_if(ok))
}

/// The report with its timing zeroed, for the compared files.
fn deterministic(mut report: CheckReport) -> CheckReport {
    report.elapsed_s = 0.0;
    report
}

fn executor_name(r: &ReplayRow) -> String {
    clap::ValueEnum::to_possible_value(&r.executor)
        .map_or_else(String::new, |v| v.get_name().to_string())
}

fn replay_result(report: &Option<ReplayReport>) -> String {
    match report {
        None => "not replayed: no implementation".into(),
        Some(r) if r.failures.is_empty() => "conforms".into(),
        Some(r) => format!(
            "**{} of {} traces fail** (first: {})",
            r.failures.len(),
            r.paths,
            r.failures[0].command
        ),
    }
}

fn expectation(expect: Expect) -> &'static str {
    match expect {
        Expect::AllHold => "every property holds",
        Expect::Violations => "violations (findings)",
        Expect::Evidence => "evidence for a claim",
    }
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// Everything the audit found, for the renderers.
struct Findings<'a> {
    /// The design document as the report links it.
    document_link: &'a str,
    scenario: &'a Scenario,
    engine_name: &'a str,
    rows: &'a [ClaimRow],
    outcomes: &'a [ModelOutcome],
    arith: &'a arith::ArithOutcome,
    replays: &'a [(ReplayRow, f64)],
    growth: &'a [growth::GrowthPoint],
    figures: &'a pictures::Figures,
}

fn render_markdown(found: &Findings<'_>) -> String {
    let Findings {
        document_link,
        scenario,
        engine_name,
        rows,
        outcomes,
        arith,
        replays,
        growth,
        figures,
    } = *found;
    let mut md = String::from("# Double 11 design audit\n\n");
    let _ = writeln!(
        md,
        "What `flashcheck audit` found in the Double 11 design document (`double11-design.md`). \
         Scenario: {} (`{}`, …). TLA+ engine: {engine_name}.\n",
        scenario.origin,
        scenario.design.path.display()
    );
    let count = |v: &str| rows.iter().filter(|r| r.verdict == v).count();
    let _ = writeln!(md, "## Verdicts on the document's claims\n");
    let _ = writeln!(
        md,
        "{} claims: **{} hold, {} refuted, {} unknown**. Behavioural claims are decided by \
         model checking (a claim holds when every property it rests on holds, in the Rust port \
         and its TLA+ twin alike); numeric claims by z3 (exact rationals, never floating \
         point); a few by a computation of their own (a routing simulation, a state-space bound, \
         z3's search for a profitable misreport), each with its evidence file. Each row links to \
         the line of [the document]({document_link}) where the sentence stands, and to its evidence.\n",
        rows.len(),
        count("holds"),
        count("refuted"),
        count("unknown")
    );
    let _ = writeln!(
        md,
        "| claim | § | the document says | verdict | decided by | reading / reason | evidence |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|---|---|");
    for r in rows {
        let links: Vec<String> = r
            .evidence
            .iter()
            .map(|(label, target)| format!("[{}]({target})", cell(label)))
            .collect();
        let _ = writeln!(
            md,
            "| `{}` | {} | {} | **{}** | {} | {} | {} |",
            r.id,
            verdicts::location(r, document_link),
            cell(&r.text),
            r.verdict,
            r.decided_by,
            cell(&r.why),
            links.join(" · ")
        );
    }

    let _ = writeln!(md, "\n## Models: Rust port and TLA+ twin\n");
    let _ = writeln!(
        md,
        "| model | constants | configuration | distinct states (Rust / TLA+) | agree | expected | met |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|---|---|");
    for o in outcomes {
        let _ = writeln!(
            md,
            "| [{}](#{}) | `{}` | {} | {} / {} | {} | {} | {} |",
            o.config.model,
            o.config.slug(),
            o.config.shown(),
            cell(&o.config.why),
            o.rust.distinct_states,
            o.twin.distinct_states,
            if o.comparison.agree { "yes" } else { "**NO**" },
            expectation(o.config.expect),
            if o.met { "yes" } else { "**NO**" }
        );
    }
    let _ = writeln!(md, "\n### Every property\n");
    let _ = writeln!(
        md,
        "| model | constants | property | verdict (Rust) | TLA+ twin | evidence |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|---|");
    for o in outcomes {
        let slug = o.config.slug();
        for p in &o.rust.properties {
            let twin = o.twin.property(&p.name).map_or("—", |t| t.verdict.as_str());
            let trace = match (&p.counterexample, p.verdict) {
                (Some(_), Verdict::Violated) => format!(
                    "[counterexample](evidence/models/{slug}/{}-{}-counterexample.itf.json)",
                    o.config.model, p.name
                ),
                (Some(_), Verdict::Holds) => format!(
                    "[witness](evidence/models/{slug}/{}-{}-witness.itf.json)",
                    o.config.model, p.name
                ),
                _ => String::new(),
            };
            let _ = writeln!(
                md,
                "| {} | `{}` | `{}` | **{}** | {twin} | {trace} |",
                o.config.model,
                o.config.shown(),
                p.name,
                p.verdict.as_str()
            );
        }
    }

    let _ = writeln!(md, "\n### Pictures\n");
    let _ = writeln!(
        md,
        "- [state-space growth]({}): distinct states of `inventory` (atomic, Stock={}) \
         against buyers, Rust port and TLA+ twin (the time each took: `audit-timings.svg`, \
         machine-dependent)",
        figures.growth_states,
        growth::STOCK
    );
    let _ = writeln!(
        md,
        "- [the saga's steps and compensations]({})",
        figures.saga
    );
    for (label, target) in &figures.lassos {
        let _ = writeln!(md, "- counterexample graph: [{label}]({target})");
    }
    if !figures.rendered {
        let _ = writeln!(
            md,
            "- Graphviz (`dot`) was not found: the graphs are DOT files only"
        );
    }
    let _ = writeln!(
        md,
        "\n| users | distinct states (Rust) | distinct states (TLA+ twin) |"
    );
    let _ = writeln!(md, "|---|---|---|");
    for p in growth {
        let _ = writeln!(
            md,
            "| {} | {} | {} |",
            p.users, p.rust.distinct_states, p.twin.distinct_states
        );
    }

    let _ = writeln!(
        md,
        "\n## Replay: traces against the reference implementation\n"
    );
    let _ = writeln!(
        md,
        "Witnesses and {} seeded random walks per model (`flashcheck traces`), replayed inline \
         (abstract state compared after every step) and on the pool and pinned executors \
         (history checked for linearizability).\n",
        20
    );
    let _ = writeln!(
        md,
        "| model | constants | traces | executor | paths | steps | result |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|---|---|");
    for (r, _) in replays {
        let (paths, steps) = r.report.as_ref().map_or((0, 0), |r| (r.paths, r.steps));
        let _ = writeln!(
            md,
            "| {} | `{}` | [{}]({}) | {} | {paths} | {steps} | {} |",
            r.model,
            r.constants,
            r.traces_dir,
            r.traces_dir,
            executor_name(r),
            replay_result(&r.report)
        );
    }

    let _ = writeln!(md, "\n## Arithmetic (z3)\n");
    let _ = writeln!(
        md,
        "[The §3.1 latency budget]({}): each layer as stated, as the sum of its breakdown and \
         after the promised optimisations, against the claimed totals and the SLA.\n",
        figures.latency
    );
    for run in &arith.runs {
        let _ = writeln!(
            md,
            "- [`{}`](evidence/arith/{}.txt): {} hold, {} refuted, {} unknown",
            run.command, run.key, run.tally.holds, run.tally.refuted, run.tally.unknown
        );
    }

    let _ = writeln!(md, "\n## Model checks in detail\n");
    for o in outcomes {
        let _ = writeln!(md, "<a id=\"{}\"></a>\n", o.config.slug());
        let _ = writeln!(md, "{}", markdown::render(&deterministic(o.rust.clone())));
    }
    md
}

fn render_json(found: &Findings<'_>) -> serde_json::Value {
    let Findings {
        scenario,
        engine_name,
        rows,
        outcomes,
        arith,
        replays,
        ..
    } = *found;
    let models: Vec<serde_json::Value> = outcomes
        .iter()
        .map(|o| {
            let twin_verdicts: serde_json::Map<String, serde_json::Value> = o
                .twin
                .properties
                .iter()
                .map(|p| (p.name.clone(), json!(p.verdict.as_str())))
                .collect();
            json!({
                "model": o.config.model.as_str(),
                "constants": o.config.shown(),
                "configuration": o.config.why,
                "expectation": expectation(o.config.expect),
                "expectation_met": o.met,
                "agree": o.comparison.agree,
                "differences": o.comparison.differences,
                "rust": deterministic(o.rust.clone()),
                "tla": {
                    "distinct_states": o.twin.distinct_states,
                    "complete": o.twin.complete,
                    "verdicts": twin_verdicts,
                    "output": format!("evidence/tla/{}.md", o.config.slug()),
                },
            })
        })
        .collect();
    let replay: Vec<serde_json::Value> = replays
        .iter()
        .map(|(r, _)| {
            json!({
                "model": r.model.as_str(),
                "constants": r.constants,
                "traces": r.traces_dir,
                "executor": executor_name(r),
                "paths": r.report.as_ref().map(|r| r.paths),
                "steps": r.report.as_ref().map(|r| r.steps),
                "conforms": r.report.as_ref().map(|r| r.failures.is_empty()),
                "failures": r.report.as_ref().map(|r| &r.failures),
            })
        })
        .collect();
    let arith_json: serde_json::Map<String, serde_json::Value> = arith
        .runs
        .iter()
        .map(|r| (r.key.to_string(), r.json.clone()))
        .collect();
    json!({
        "scenario": scenario.origin,
        "tla_engine": engine_name,
        "claims": rows,
        "models": models,
        "replay": replay,
        "arith": arith_json,
    })
}

fn junit_cases(
    rows: &[ClaimRow],
    outcomes: &[ModelOutcome],
    replays: &[(ReplayRow, f64)],
) -> Vec<Case> {
    let mut cases = Vec::new();
    for r in rows {
        cases.push(Case {
            suite: format!("document claims ({})", r.decided_by),
            name: r.id.clone(),
            outcome: match r.verdict {
                "holds" => Outcome::Passed,
                "refuted" => Outcome::Failed(format!("refuted: {}", r.why)),
                _ => Outcome::Skipped(format!("unknown: {}", r.why)),
            },
        });
    }
    for o in outcomes {
        let suite = format!("{} {}", o.config.model, o.config.shown());
        for p in &o.rust.properties {
            let twin = o.twin.property(&p.name).map_or("—", |t| t.verdict.as_str());
            cases.push(Case {
                suite: suite.clone(),
                name: p.name.clone(),
                outcome: match p.verdict {
                    _ if !o.comparison.agree => Outcome::Failed(format!(
                        "the TLA+ twin disagrees: {}",
                        o.comparison.differences.join("; ")
                    )),
                    Verdict::Holds => Outcome::Passed,
                    Verdict::Violated if o.config.expect == Expect::Violations => Outcome::Failed(
                        format!("violated (a finding about the seed; {twin} in TLA+)"),
                    ),
                    Verdict::Violated => Outcome::Failed("violated".into()),
                    Verdict::Unknown => {
                        Outcome::Skipped(p.note.clone().unwrap_or_else(|| "unknown".into()))
                    }
                },
            });
        }
    }
    for (r, _) in replays {
        cases.push(Case {
            suite: "replay".into(),
            name: format!("{} on {}", r.model, executor_name(r)),
            outcome: match &r.report {
                None => Outcome::Skipped("no implementation".into()),
                Some(rep) if rep.failures.is_empty() => Outcome::Passed,
                Some(_) => Outcome::Failed(replay_result(&r.report)),
            },
        });
    }
    cases
}

/// The design document as the report links it: the committed `specs/` copy seen from
/// `reports/` for the built-in scenario, else the scenario's own file.
fn document_link(scenario: &Scenario) -> String {
    if scenario.origin == "built-in" {
        format!("../specs/{}", crate::specs::document::FILE_NAME)
    } else {
        scenario.document.path.display().to_string()
    }
}

/// The evidence file of a claim decided by a computation: the sentence, where it stands,
/// the computation's inputs and output, and the verdict.
fn computation_evidence(
    c: &crate::arith::claims::ClaimResult,
    document_link: &str,
) -> Option<String> {
    let body = c.evidence.as_ref()?;
    let mut md = format!(
        "# `{}`: {}

",
        c.id, c.verdict
    );
    let _ = writeln!(
        md,
        "> {}
",
        c.text
    );
    if let Some(line) = c.line {
        // Evidence files sit two folders below the report.
        let link = if document_link.starts_with("../") {
            format!("../../{document_link}")
        } else {
            document_link.to_string()
        };
        let lines: Vec<String> = std::iter::once(line)
            .chain(c.also.iter().copied())
            .map(|n| format!("[{n}]({link}#L{n})"))
            .collect();
        let _ = writeln!(
            md,
            "§{}, design document line(s) {}.
",
            c.section,
            lines.join(", ")
        );
    }
    if let Some(note) = &c.note {
        let _ = writeln!(
            md,
            "Reading: {note}
"
        );
    }
    let _ = writeln!(
        md,
        "Computation: `{}` (`src/arith/`), run by `flashcheck audit` and `flashcheck arith claims`.\n",
        c.computation.as_deref().unwrap_or("?")
    );
    md.push_str(body);
    let _ = writeln!(
        md,
        "
Verdict: **{}** — {}.",
        c.verdict, c.reason
    );
    Some(md)
}

/// The per-claim evidence file of the arithmetic claims, one anchored block per claim.
fn claims_evidence(claims: &[crate::arith::claims::ClaimResult]) -> String {
    let mut md = String::from(
        "# z3 on the document's numeric claims\n\n\
         Reproduce: `flashcheck arith claims` (the full report: `claims.txt`).\n",
    );
    for c in claims {
        let _ = writeln!(md, "\n<a id=\"{}\"></a>\n", verdicts::anchor(&c.id));
        let _ = writeln!(md, "## `{}` (§{}): {}\n", c.id, c.section, c.verdict);
        if let Some(k) = &c.computation {
            let _ = writeln!(
                md,
                "- decided by a computation (`{k}`): [{}]({})",
                verdicts::computation_file(&c.id),
                verdicts::computation_file(&c.id)
            );
        }
        let _ = writeln!(md, "> {}\n", c.text);
        if let Some(expr) = &c.expr {
            let _ = writeln!(md, "- checked: `{expr}`");
        }
        if let Some(claimed) = &c.claimed {
            let _ = writeln!(md, "- claimed: {claimed}");
        }
        if let Some(value) = &c.value {
            let _ = writeln!(md, "- value: {value}");
        }
        for [left, right] in &c.sides {
            let _ = writeln!(md, "- sides: {left} vs {right}");
        }
        let _ = writeln!(
            md,
            "- {}: {}",
            if c.computation.is_some() {
                "decision"
            } else {
                "z3"
            },
            c.reason
        );
        if let Some(note) = &c.note {
            let _ = writeln!(md, "- reading: {note}");
        }
    }
    md
}

fn render_timings(
    engine_name: &str,
    outcomes: &[ModelOutcome],
    arith: &arith::ArithOutcome,
    replays: &[(ReplayRow, f64)],
    growth: &[growth::GrowthPoint],
    started: Instant,
) -> String {
    let mut t = String::from("# Audit timings (machine-dependent; not compared)\n\n");
    let _ = writeln!(
        t,
        "TLA+ engine: {engine_name}. Graphviz: {}.\n",
        crate::report::dot::graphviz_version().unwrap_or_else(|| "not found".into())
    );
    for p in growth {
        let _ = writeln!(
            t,
            "- growth inventory Users={}: Rust {:.3} s, {} {:.3} s",
            p.users,
            p.rust.elapsed_s,
            p.twin.engine.as_str(),
            p.twin.elapsed_s
        );
    }
    for o in outcomes {
        let _ = writeln!(
            t,
            "- {} {}: {:.3} s (Rust {:.3} s, {} {:.3} s)",
            o.config.model,
            o.config.shown(),
            o.elapsed_s,
            o.rust.elapsed_s,
            o.twin.engine.as_str(),
            o.twin.elapsed_s
        );
    }
    for r in &arith.runs {
        let _ = writeln!(t, "- `{}`: {:.3} s", r.command, r.elapsed_s);
    }
    for (r, seconds) in replays {
        let _ = writeln!(
            t,
            "- replay {} on {}: {seconds:.3} s",
            r.model,
            executor_name(r)
        );
    }
    let _ = writeln!(t, "\nTotal: {:.1} s.", started.elapsed().as_secs_f64());
    t
}
