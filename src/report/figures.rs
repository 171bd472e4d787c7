//! The audit's charts, built from flashcheck's own results: state-space growth against a
//! constant (distinct states, and separately the machine-dependent check time) from
//! [`CheckReport`]s, and the §3.1 latency budget from `specs/double11.toml`.
//!
//! The builders return a chart value ([`LineChart`], [`StackedBarChart`]); `to_svg()` writes
//! it. Only [`GrowthMetric::Seconds`] reads a measured time: everything else is a pure
//! function of the check results and the spec, so its SVG can be committed and compared.

use super::chart::{BarRow, LineChart, Marker, Segment, Series, StackedBarChart};
use super::{CheckReport, Engine};
use crate::arith::design::{Design, LatencyLayer};
use crate::arith::rational::{render_exact, to_f64, Q};
use std::collections::BTreeMap;
use thiserror::Error;

/// What a growth chart puts on the y axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrowthMetric {
    /// `distinct_states`: deterministic, the chart can be committed.
    DistinctStates,
    /// `elapsed_s`: machine-dependent, write the chart to a file that is not compared.
    Seconds,
}

/// Why a growth chart cannot be drawn from the given reports.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum FigureError {
    /// A report lacks the constant the x axis (or a series) is keyed on.
    #[error("{model} ({engine}): no constant `{constant}`")]
    MissingConstant {
        /// The report's model.
        model: String,
        /// The report's engine.
        engine: &'static str,
        /// The missing constant.
        constant: String,
    },
    /// The x-axis constant is not a number.
    #[error("{model} ({engine}): constant `{constant}` = {value} is not a number")]
    NotANumber {
        /// The report's model.
        model: String,
        /// The report's engine.
        engine: &'static str,
        /// The constant.
        constant: String,
        /// Its value.
        value: String,
    },
    /// A limit stopped the check: its state count and time are not those of the model.
    #[error("{model} ({engine}) with {constant} = {x}: incomplete check (a limit stopped it)")]
    Incomplete {
        /// The report's model.
        model: String,
        /// The report's engine.
        engine: &'static str,
        /// The x-axis constant.
        constant: String,
        /// Its value.
        x: String,
    },
    /// Two reports of one series have the same x.
    #[error("series `{series}` has two reports with {constant} = {x}")]
    DuplicatePoint {
        /// The series' legend name.
        series: String,
        /// The x-axis constant.
        constant: String,
        /// The repeated value.
        x: String,
    },
}

/// The engine as the legend names it; also the order of the series (Rust port first).
fn engine_legend(engine: Engine) -> (u8, &'static str) {
    match engine {
        Engine::Flashcheck => (0, "Rust port (flashcheck)"),
        Engine::Stateright => (0, "Rust port (stateright)"),
        Engine::Tlc => (1, "TLA+ twin (TLC)"),
        Engine::TlaChecker => (2, "TLA+ twin (tla-checker)"),
        Engine::FlashcheckCluster => (0, "Rust port (flashcheck-cluster)"),
    }
}

/// A constant's value as shown in a legend: TLA+ strings lose their quotes.
fn shown(value: &str) -> &str {
    value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value)
}

/// Growth of one measure against the constant `x` (e.g. `Users`), one line per model, engine
/// and value of the `series_by` constants (e.g. `["Deduction"]`); every other constant is
/// ignored, so a sweep may vary `Stock` with `Users`. Series are ordered by model, then the
/// `series_by` values, then engine (Rust port before its TLA+ twin); points by `x`. The y
/// axis is logarithmic.
///
/// How audit calls it: run the sweep (e.g. `inventory` with `Users` = 1..=N through
/// `Port::check` and `tla::run`), keep every report, then write
/// `growth_chart(&reports, "Users", &["Deduction"], GrowthMetric::DistinctStates)?.to_svg()`
/// to a committed file and the same call with [`GrowthMetric::Seconds`] to a
/// machine-dependent one (beside `audit-timings.md`). Pass the reports *before* zeroing
/// `elapsed_s` for the second.
pub fn growth_chart(
    reports: &[CheckReport],
    x: &str,
    series_by: &[&str],
    metric: GrowthMetric,
) -> Result<LineChart, FigureError> {
    type Key = (String, String, u8);
    let mut series: BTreeMap<Key, (String, Vec<(f64, f64)>)> = BTreeMap::new();
    for r in reports {
        let engine = r.engine.as_str();
        let constant = |name: &str| {
            r.constants
                .get(name)
                .ok_or_else(|| FigureError::MissingConstant {
                    model: r.model.clone(),
                    engine,
                    constant: name.to_string(),
                })
        };
        let x_text = constant(x)?;
        let x_value: f64 = shown(x_text)
            .trim()
            .parse()
            .map_err(|_| FigureError::NotANumber {
                model: r.model.clone(),
                engine,
                constant: x.to_string(),
                value: x_text.clone(),
            })?;
        if !r.complete {
            return Err(FigureError::Incomplete {
                model: r.model.clone(),
                engine,
                constant: x.to_string(),
                x: x_text.clone(),
            });
        }
        let by = series_by
            .iter()
            .map(|name| Ok(format!("{name}={}", shown(constant(name)?))))
            .collect::<Result<Vec<_>, FigureError>>()?
            .join(", ");
        let (rank, legend) = engine_legend(r.engine);
        let name = if by.is_empty() {
            format!("{}: {legend}", r.model)
        } else {
            format!("{} {by}: {legend}", r.model)
        };
        let y = match metric {
            GrowthMetric::DistinctStates => r.distinct_states as f64,
            GrowthMetric::Seconds => r.elapsed_s,
        };
        let entry = series
            .entry((r.model.clone(), by, rank))
            .or_insert_with(|| (name, Vec::new()));
        if entry.1.iter().any(|p| p.0 == x_value) {
            return Err(FigureError::DuplicatePoint {
                series: entry.0.clone(),
                constant: x.to_string(),
                x: x_text.clone(),
            });
        }
        entry.1.push((x_value, y));
    }
    let models: Vec<&str> = {
        let mut m: Vec<&str> = reports.iter().map(|r| r.model.as_str()).collect();
        m.sort_unstable();
        m.dedup();
        m
    };
    let (title, y_label) = match metric {
        GrowthMetric::DistinctStates => (
            format!("Distinct states against {x}: {}", models.join(", ")),
            "distinct states (log scale)".to_string(),
        ),
        GrowthMetric::Seconds => (
            format!(
                "Check time against {x}: {} (machine-dependent)",
                models.join(", ")
            ),
            "wall time, seconds (log scale)".to_string(),
        ),
    };
    Ok(LineChart {
        title,
        x_label: x.to_string(),
        y_label,
        log_y: true,
        series: series
            .into_values()
            .map(|(name, points)| Series { name, points })
            .collect(),
    })
}

fn ms(q: &Q) -> String {
    format!("{} ms", render_exact(q))
}

/// The §3.1 latency model as stacked bars: the layers as stated, the layers as the sums of
/// their breakdowns, and the layers after the promised optimisations, each bar ending in its
/// sum; reference lines at the claimed end-to-end totals (163 ms, 128 ms) and the SLA bounds
/// (P99 < 200 ms, P95 < 100 ms). Hovering a segment shows its breakdown. Deterministic
/// (exact rationals, rendered with [`render_exact`]; `f64` only for geometry).
///
/// How audit calls it: `latency_chart(&Design::load(Path::new("specs/double11.toml"))?).to_svg()`
/// (the same spec `flashcheck arith latency` reads), written to a committed file.
pub fn latency_chart(spec: &Design) -> StackedBarChart {
    let lat = &spec.latency;
    let parts_sum = |l: &LatencyLayer| l.parts.iter().map(|p| p.ms.clone()).sum::<Q>();
    let breakdown = |l: &LatencyLayer| {
        let parts = l
            .parts
            .iter()
            .map(|p| format!("{} {}", p.name, render_exact(&p.ms)))
            .collect::<Vec<_>>()
            .join(" + ");
        format!("{parts} = {}", ms(&parts_sum(l)))
    };
    let row = |label: &str, value: &dyn Fn(&LatencyLayer) -> Q, claim: Option<&Q>| {
        let values: Vec<Q> = lat.layers.iter().map(value).collect();
        let sum: Q = values.iter().cloned().sum();
        let total_label = match claim {
            Some(claimed) if *claimed == sum => format!("Σ = {} (as claimed)", ms(&sum)),
            Some(claimed) => format!("Σ = {} (claimed {})", ms(&sum), ms(claimed)),
            None => format!("Σ = {}", ms(&sum)),
        };
        BarRow {
            label: label.to_string(),
            segments: lat
                .layers
                .iter()
                .zip(&values)
                .map(|(l, v)| Segment {
                    name: l.name.clone(),
                    value: to_f64(v),
                    label: format!("{} {}", l.name, render_exact(v)),
                    tooltip: Some(format!(
                        "{}: {} (stated {}{}); breakdown: {}",
                        l.name,
                        ms(v),
                        ms(&l.stated_ms),
                        l.optimised_ms
                            .as_ref()
                            .map(|o| format!(", optimised {}", ms(o)))
                            .unwrap_or_default(),
                        breakdown(l)
                    )),
                })
                .collect(),
            total_label: Some(total_label),
        }
    };
    let sla = &spec.sla;
    StackedBarChart {
        title: "§3.1 end-to-end latency: layers, their sum, the claimed totals and the SLA"
            .to_string(),
        x_label: "milliseconds".to_string(),
        rows: vec![
            row(
                "layers as stated",
                &|l| l.stated_ms.clone(),
                Some(&lat.stated_total_ms),
            ),
            row("sums of the breakdowns", &parts_sum, None),
            row(
                "optimised",
                &|l| {
                    l.optimised_ms
                        .clone()
                        .unwrap_or_else(|| l.stated_ms.clone())
                },
                Some(&lat.stated_optimised_total_ms),
            ),
        ],
        markers: vec![
            Marker {
                label: format!("P95 SLA < {}", ms(&sla.p95_ms)),
                value: to_f64(&sla.p95_ms),
            },
            Marker {
                label: format!("claimed optimised {}", ms(&lat.stated_optimised_total_ms)),
                value: to_f64(&lat.stated_optimised_total_ms),
            },
            Marker {
                label: format!("claimed total {}", ms(&lat.stated_total_ms)),
                value: to_f64(&lat.stated_total_ms),
            },
            Marker {
                label: format!("P99 SLA < {}", ms(&sla.p99_ms)),
                value: to_f64(&sla.p99_ms),
            },
        ],
    }
}
