//! `double11-audit.json`: the same findings as the Markdown report, for programs (the README's
//! "JSON schema").

use super::Exporter;
use crate::audit::error::AuditError;
use crate::audit::findings::{deterministic, executor_name, expectation, Findings};
use crate::verdict::Subject;
use serde_json::json;

/// The JSON report.
#[derive(Debug, Clone, Copy)]
pub struct Json;

impl Exporter for Json {
    fn file_name(&self) -> &'static str {
        "double11-audit.json"
    }

    fn render(&self, found: &Findings<'_>) -> Result<String, AuditError> {
        Ok(serde_json::to_string_pretty(&value(found))? + "\n")
    }
}

fn value(found: &Findings<'_>) -> serde_json::Value {
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
                .map(|p| (p.name.clone(), json!(p.verdict.word(Subject::Property))))
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
