//! `double11-audit.md`: the report a reader opens first — the verdict table, the models, the
//! pictures, the replays, z3's runs and every model check in detail.

use super::Exporter;
use crate::audit::error::AuditError;
use crate::audit::findings::{deterministic, executor_name, expectation, replay_result, Findings};
use crate::audit::{growth, verdicts};
use crate::report::markdown;
use crate::report::table::{cell, Table};
use crate::verdict::{Subject, Tally, Verdict};
use std::fmt::Write as _;

/// The Markdown report.
#[derive(Debug, Clone, Copy)]
pub struct Markdown;

impl Exporter for Markdown {
    fn file_name(&self) -> &'static str {
        "double11-audit.md"
    }

    fn render(&self, found: &Findings<'_>) -> Result<String, AuditError> {
        Ok(render(found))
    }
}

fn render(found: &Findings<'_>) -> String {
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
        ..
    } = *found;
    let mut md = String::from("# Double 11 design audit\n\n");
    let _ = writeln!(
        md,
        "What `flashcheck audit` found in the Double 11 design document (`double11-design.md`). \
         Scenario: {} (`{}`, …). TLA+ engine: {engine_name}.\n",
        scenario.origin,
        scenario.design.path.display()
    );
    let tally = Tally::of(rows.iter().map(|r| r.verdict));
    let _ = writeln!(md, "## Verdicts on the document's claims\n");
    let _ = writeln!(
        md,
        "{} claims: **{tally}**. Behavioural claims are decided by \
         model checking (a claim holds when every property it rests on holds, in the Rust port \
         and its TLA+ twin alike); numeric claims by z3 (exact rationals, never floating \
         point); a few by a computation of their own (a routing simulation, a state-space bound, \
         z3's search for a profitable misreport), each with its evidence file. Each row links to \
         the line of [the document]({document_link}) where the sentence stands, and to its evidence.\n",
        rows.len(),
    );
    let mut table = Table::new(&[
        "claim",
        "§",
        "the document says",
        "verdict",
        "decided by",
        "reading / reason",
        "evidence",
    ]);
    for r in rows {
        let links: Vec<String> = r
            .evidence
            .iter()
            .map(|(label, target)| format!("[{}]({target})", cell(label)))
            .collect();
        table.row([
            format!("`{}`", r.id),
            verdicts::location(r, document_link),
            r.text.clone(),
            format!("**{}**", r.verdict.word(Subject::Claim)),
            r.decided_by.to_string(),
            r.why.clone(),
            links.join(" · "),
        ]);
    }
    md.push_str(&table.render());

    let _ = writeln!(md, "\n## Models: Rust port and TLA+ twin\n");
    let mut table = Table::new(&[
        "model",
        "constants",
        "configuration",
        "distinct states (Rust / TLA+)",
        "agree",
        "expected",
        "met",
    ]);
    for o in outcomes {
        table.row([
            format!("[{}](#{})", o.config.model, o.config.slug()),
            format!("`{}`", o.config.shown()),
            o.config.why.clone(),
            format!("{} / {}", o.rust.distinct_states, o.twin.distinct_states),
            yes_no(o.comparison.agree),
            expectation(o.config.expect).to_string(),
            yes_no(o.met),
        ]);
    }
    md.push_str(&table.render());
    let _ = writeln!(md, "\n### Every property\n");
    let mut table = Table::new(&[
        "model",
        "constants",
        "property",
        "verdict (Rust)",
        "TLA+ twin",
        "evidence",
    ]);
    for o in outcomes {
        let slug = o.config.slug();
        for p in &o.rust.properties {
            let twin = o
                .twin
                .property(&p.name)
                .map_or("—", |t| t.verdict.word(Subject::Property));
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
            table.row([
                o.config.model.to_string(),
                format!("`{}`", o.config.shown()),
                format!("`{}`", p.name),
                format!("**{}**", p.verdict.word(Subject::Property)),
                twin.to_string(),
                trace,
            ]);
        }
    }
    md.push_str(&table.render());

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
    let mut table = Table::new(&[
        "users",
        "distinct states (Rust)",
        "distinct states (TLA+ twin)",
    ]);
    for p in growth {
        table.row([
            p.users.to_string(),
            p.rust.distinct_states.to_string(),
            p.twin.distinct_states.to_string(),
        ]);
    }
    md.push('\n');
    md.push_str(&table.render());

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
    let mut table = Table::new(&[
        "model",
        "constants",
        "traces",
        "executor",
        "paths",
        "steps",
        "result",
    ]);
    for (r, _) in replays {
        let (paths, steps) = r.report.as_ref().map_or((0, 0), |r| (r.paths, r.steps));
        table.row([
            r.model.to_string(),
            format!("`{}`", r.constants),
            format!("[{}]({})", r.traces_dir, r.traces_dir),
            executor_name(r),
            paths.to_string(),
            steps.to_string(),
            replay_result(&r.report),
        ]);
    }
    md.push_str(&table.render());

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

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "**NO**" }.to_string()
}
