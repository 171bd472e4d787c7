//! `flashcheck traces`: the traces worth replaying — every counterexample, the shortest path
//! to each `sometimes` property, and seeded random walks — written as ITF files.

use super::{path_steps, random_walk, Encoding, SplitMix64, Trace, TraceError};
use crate::check::CheckOptions;
use crate::registry::{Constants, Port};
use flashcheck_models::Spec;
use serde_json::{json, Value as Json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What to generate.
#[derive(Debug, Clone)]
pub struct TraceRequest {
    /// The model's constants (which name the model).
    pub constants: Constants,
    /// Random walks.
    pub count: usize,
    /// Most actions per walk.
    pub depth: usize,
    /// Seed of the first walk (walk `i` uses `seed + i`).
    pub seed: u64,
}

/// One file written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// The file.
    pub path: PathBuf,
    /// `counterexample`, `witness` or `walk`.
    pub kind: &'static str,
    /// States in the trace.
    pub states: usize,
}

fn meta(request: &TraceRequest, kind: &str, extra: &[(&str, Json)]) -> BTreeMap<String, Json> {
    let mut m = BTreeMap::from([
        ("model".to_string(), json!(request.constants.model().name)),
        ("constants".to_string(), json!(request.constants.as_args())),
        ("kind".to_string(), json!(kind)),
    ]);
    for (k, v) in extra {
        m.insert((*k).to_string(), v.clone());
    }
    m
}

/// Seeded random walks of `model` as traces.
pub fn walks<M: Spec>(model: &M, request: &TraceRequest) -> Vec<Trace>
where
    M::State: Clone,
    M::Action: Clone,
{
    (0..request.count)
        .filter_map(|i| {
            let seed = request.seed.wrapping_add(i as u64);
            let mut rng = SplitMix64::new(seed);
            let (init, path) = random_walk(model, request.depth, &mut rng)?;
            let steps = path_steps(model, &init, &path);
            let m = meta(
                request,
                "walk",
                &[("seed", json!(seed)), ("depth", json!(request.depth))],
            );
            Some(
                Trace::from_steps(m, &steps, None)
                    .with_encoding(Encoding::of(request.constants.model())),
            )
        })
        .collect()
}

/// Writes every trace for `request` into `out` (created if missing), in a stable order.
pub fn write_all(request: &TraceRequest, out: &Path) -> Result<Vec<Written>, TraceError> {
    let port = Port::build(&request.constants).map_err(|e| TraceError::Malformed {
        state: None,
        field: "constants".into(),
        reason: e.to_string(),
    })?;
    write_all_for(&port, request, out)
}

/// [`write_all`] for an already built `port` (e.g. a saga model built from a user's saga).
pub fn write_all_for(
    port: &Port,
    request: &TraceRequest,
    out: &Path,
) -> Result<Vec<Written>, TraceError> {
    super::report::create_dir(out)?;
    let name = request.constants.model().name;
    let command = format!("flashcheck check {name} {}", request.constants.as_args());
    let report = port.check(name, command, &CheckOptions::default());
    let mut traces: Vec<(String, &'static str, Trace)> = Vec::new();
    for p in &report.properties {
        let (Some(steps), Some(kind)) = (&p.counterexample, super::report::kind(p)) else {
            continue;
        };
        let m = meta(
            request,
            kind,
            &[
                ("property", json!(p.name)),
                ("description", json!(p.description)),
            ],
        );
        traces.push((
            format!("{name}-{}-{kind}", p.name),
            kind,
            Trace::from_steps(m, steps, p.cycle_start)
                .with_encoding(Encoding::of(request.constants.model())),
        ));
    }
    let walks = port.checkable().walks(request);
    for (i, t) in walks.into_iter().enumerate() {
        traces.push((format!("{name}-walk-{i:04}"), "walk", t));
    }
    let mut written = Vec::new();
    for (stem, kind, trace) in traces {
        let path = out.join(format!("{stem}.itf.json"));
        trace.write(&path)?;
        written.push(Written {
            path,
            kind,
            states: trace.states.len(),
        });
    }
    Ok(written)
}
