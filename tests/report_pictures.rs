//! The audit's pictures (issue "Pictures"): SVG charts of state-space growth and of the §3.1
//! latency budget, counterexamples and the §2.1 saga as DOT, rendered by Graphviz.
//!
//! Every committed picture must be byte-deterministic: the snapshots pin the bytes, the
//! proptests check that any input gives well-formed SVG without NaN, and the render test
//! checks that Graphviz gives the same SVG twice.

#[path = "support/skip.rs"]
mod skip;

use flashcheck::check::CheckOptions;
use flashcheck::registry::{builtin, Constants, Entry, Port};
use flashcheck::report::chart::{BarRow, LineChart, Marker, Segment, Series, StackedBarChart};
use flashcheck::report::dot::{self, counterexample_dot, render_svg, render_svg_with, saga_dot};
use flashcheck::report::figures::{growth_chart, latency_chart, FigureError, GrowthMetric};
use flashcheck::report::{CheckReport, Engine};
use flashcheck::tla::{self, TlaEngine, TlaOptions};
use flashcheck::twin;
use flashcheck::verdict::Verdict;
use proptest::prelude::*;
use std::path::{Path, PathBuf};

fn check(model: &'static Entry, constants: &[&str]) -> CheckReport {
    let constants = Constants::parse(
        model,
        &constants.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
    )
    .unwrap();
    let command = format!("flashcheck check {model} {}", constants.as_args());
    Port::build(&constants)
        .unwrap()
        .check(model.as_str(), command, &CheckOptions::default())
}

/// The same configuration checked by the in-process TLA+ engine (no jar needed).
fn check_twin(model: &'static Entry, constants: &[&str]) -> CheckReport {
    let constants = Constants::parse(
        model,
        &constants.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
    )
    .unwrap();
    let port = Port::build(&constants).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let job = twin::job(&port, dir.path()).unwrap();
    tla::run(&job, &TlaEngine::TlaChecker, &TlaOptions::default()).unwrap()
}

fn spec_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("specs")
        .join(name)
}

/// A small XML well-formedness check (no XML crate in the tree): tags balance, attribute
/// values are quoted and free of `<`, `&` only starts an entity, and no attribute value (the
/// coordinates) contains `NaN` or `inf`. Comments, `<?…?>` and `<!DOCTYPE …>` are skipped.
fn assert_well_formed(svg: &str) {
    let mut stack: Vec<String> = Vec::new();
    let mut rest = svg;
    let mut roots = 0;
    while let Some(open) = rest.find('<') {
        check_text(&rest[..open]);
        rest = &rest[open..];
        if let Some(body) = rest.strip_prefix("<!--") {
            let end = body.find("-->").expect("an unterminated comment");
            rest = &body[end + 3..];
            continue;
        }
        let end = rest.find('>').expect("an unterminated tag");
        let tag = &rest[1..end];
        rest = &rest[end + 1..];
        if tag.starts_with('?') || tag.starts_with('!') {
            continue;
        }
        assert!(!tag.contains('<'), "`<` inside a tag: {tag}");
        if let Some(name) = tag.strip_prefix('/') {
            let top = stack
                .pop()
                .unwrap_or_else(|| panic!("</{name}> closes nothing"));
            assert_eq!(top, name.trim(), "mismatched closing tag");
            continue;
        }
        let self_closing = tag.ends_with('/');
        let tag = tag.trim_end_matches('/');
        let name = tag
            .split_whitespace()
            .next()
            .expect("a tag name")
            .to_string();
        check_attributes(tag);
        if stack.is_empty() {
            roots += 1;
        }
        if !self_closing {
            stack.push(name);
        }
    }
    check_text(rest);
    assert!(stack.is_empty(), "unclosed tags: {stack:?}");
    assert_eq!(roots, 1, "one root element");
}

fn check_text(text: &str) {
    let mut parts = text.split('&');
    parts.next();
    for p in parts {
        let entity = p.split(';').next().unwrap_or("");
        let ok = ["amp", "lt", "gt", "quot", "apos"].contains(&entity)
            || entity
                .strip_prefix('#')
                .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
            || entity
                .strip_prefix("#x")
                .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_hexdigit()));
        assert!(ok && p.contains(';'), "a bare `&` before {p:?}");
    }
}

fn check_attributes(tag: &str) {
    let mut rest = tag;
    while let Some(eq) = rest.find('=') {
        let after = &rest[eq + 1..];
        let quote = after.chars().next().expect("a value after `=`");
        assert!(
            quote == '"' || quote == '\'',
            "unquoted attribute in <{tag}>"
        );
        let end = after[1..]
            .find(quote)
            .expect("an unterminated attribute value");
        let value = &after[1..1 + end];
        check_text(value);
        assert!(
            !value.contains("NaN") && !value.contains("inf"),
            "a non-number in <{tag}>"
        );
        rest = &after[end + 2..];
    }
}

fn small_line_chart(log_y: bool) -> LineChart {
    LineChart {
        title: "States & time <test>".into(),
        x_label: "Users".into(),
        y_label: "distinct states".into(),
        log_y,
        series: vec![
            Series {
                name: "port".into(),
                points: vec![(3.0, 481.0), (1.0, 4.0), (2.0, 36.0)],
            },
            Series {
                name: "twin \"TLA+\"".into(),
                points: vec![(1.0, 4.0), (2.0, 36.0), (3.0, 481.0), (4.0, f64::NAN)],
            },
        ],
    }
}

#[test]
fn line_chart_snapshots() {
    for (name, log_y) in [("line_log", true), ("line_linear", false)] {
        let svg = small_line_chart(log_y).to_svg();
        assert_well_formed(&svg);
        // The NaN point is counted, not drawn.
        assert!(svg.contains("1 value not drawn"), "{name}");
        insta::assert_snapshot!(name, svg);
    }
}

#[test]
fn stacked_bar_chart_snapshot() {
    let seg = |name: &str, value: f64| Segment {
        name: name.into(),
        value,
        label: format!("{name} {value}"),
        tooltip: None,
    };
    let chart = StackedBarChart {
        title: "budget".into(),
        x_label: "ms".into(),
        rows: vec![
            BarRow {
                label: "plan".into(),
                segments: vec![seg("a", 30.0), seg("b", 50.0), seg("c", 2.5)],
                total_label: None,
            },
            BarRow {
                label: "after".into(),
                segments: vec![seg("a", 30.0), seg("b", 20.0)],
                total_label: Some("= 50 ms".into()),
            },
        ],
        markers: vec![
            Marker {
                label: "budget 100 ms".into(),
                value: 100.0,
            },
            Marker {
                label: "claimed 82.5 ms".into(),
                value: 82.5,
            },
        ],
    };
    let svg = chart.to_svg();
    assert_well_formed(&svg);
    assert!(svg.contains(">= 82.5<"), "the computed sum");
    insta::assert_snapshot!("bars", svg);
}

/// Seed §3.1: the layers of `specs/double11.toml`, their sum (163 ms as claimed), the
/// optimised sum — 123 ms, not the claimed 128 ms (claim `3.1-optimised-total`, refuted by
/// `flashcheck arith latency`) — and the SLA lines.
#[test]
fn latency_budget_chart_from_the_spec() {
    let spec = flashcheck::arith::design::Design::load(&spec_path("double11.toml")).unwrap();
    let chart = latency_chart(&spec);
    assert_eq!(chart.rows.len(), 3);
    assert_eq!(chart.rows[0].segments.len(), 8);
    assert_eq!(
        chart.rows[0].total_label.as_deref(),
        Some("Σ = 163 ms (as claimed)")
    );
    assert_eq!(
        chart.rows[2].total_label.as_deref(),
        Some("Σ = 123 ms (claimed 128 ms)")
    );
    let svg = chart.to_svg();
    assert_well_formed(&svg);
    assert!(svg.contains("P99 SLA &lt; 200 ms"));
    assert!(svg.contains("库存验证 20 + 订单创建 30 + 支付处理 25 + 物流更新 5 = 80 ms"));
    insta::assert_snapshot!("latency", svg);
}

/// Distinct states of `inventory` (atomic deduction, Stock=2) for Users = 1..3, from the Rust
/// port and from its TLA+ twin (tla-checker), side by side: deterministic, so snapshotted.
/// The time chart of the same runs is only checked for shape (it is machine-dependent).
#[test]
fn inventory_growth_charts_from_real_checks() {
    let mut reports = Vec::new();
    for users in ["Users=1", "Users=2", "Users=3"] {
        let constants = [users, "Stock=2", "Deduction=atomic"];
        reports.push(check(&builtin::INVENTORY, &constants));
        reports.push(check_twin(&builtin::INVENTORY, &constants));
    }
    let states = growth_chart(
        &reports,
        "Users",
        &["Deduction"],
        GrowthMetric::DistinctStates,
    )
    .unwrap();
    let names: Vec<&str> = states.series.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "inventory Deduction=atomic: Rust port (flashcheck)",
            "inventory Deduction=atomic: TLA+ twin (tla-checker)"
        ]
    );
    // The twin reaches the same states as the port (pinned in tests/pinned_counts.rs at 83
    // for Users=3).
    assert_eq!(states.series[0].points, states.series[1].points);
    assert_eq!(states.series[0].points[2], (3.0, 83.0));
    let svg = states.to_svg();
    assert_well_formed(&svg);
    insta::assert_snapshot!("inventory_states", svg);

    let time = growth_chart(&reports, "Users", &["Deduction"], GrowthMetric::Seconds).unwrap();
    assert!(time.title.contains("machine-dependent"));
    assert_eq!(time.series.len(), 2);
    assert_well_formed(&time.to_svg());
}

#[test]
fn growth_chart_refuses_reports_it_cannot_place() {
    let mut r = check(&builtin::INVENTORY, &["Users=1", "Stock=1"]);
    let missing = growth_chart(
        std::slice::from_ref(&r),
        "Threads",
        &[],
        GrowthMetric::DistinctStates,
    );
    assert!(matches!(missing, Err(FigureError::MissingConstant { .. })));
    let twice = growth_chart(&[r.clone(), r.clone()], "Users", &[], GrowthMetric::Seconds);
    assert!(matches!(twice, Err(FigureError::DuplicatePoint { .. })));
    r.complete = false;
    let incomplete = growth_chart(&[r], "Users", &[], GrowthMetric::DistinctStates);
    assert!(matches!(incomplete, Err(FigureError::Incomplete { .. })));
}

/// Seed §3.2 read-then-write: the shortest `no_oversell` counterexample (3 reads, 3 writes)
/// as a path whose last state is outlined in red.
#[test]
fn read_then_write_counterexample_as_dot() {
    let report = check(
        &builtin::INVENTORY,
        &["Users=3", "Stock=2", "Deduction=read_then_write"],
    );
    let p = report.property("no_oversell").unwrap();
    assert_eq!(p.verdict, Verdict::Violated);
    let dot = counterexample_dot(&report, p).unwrap();
    // Seven states, six edges, none of them a back-edge.
    assert_eq!(dot.matches(" -> ").count(), 6);
    assert!(!dot.contains("back to"));
    assert!(dot.contains("6 [ label = \"6\\l"));
    assert!(dot.contains("color=\"#B00000\" penwidth=2]"));
    // Only changed variables are listed after the first state.
    assert!(dot.contains("label = \"0 Init\\lavailable = 2\\l"));
    insta::assert_snapshot!("rtw_no_oversell_dot", dot);
    // A property without a trace has no picture.
    let mut none = p.clone();
    none.counterexample = None;
    assert!(counterexample_dot(&report, &none).is_none());
}

/// Seed §3.2 (tla/Double11Seed.tla `FairnessProperty`), Users=3 Stock=2: a lasso whose last
/// step stutters, drawn as a red self-loop on the shaded cycle start.
#[test]
fn seed_fairness_lasso_as_dot() {
    let report = check(&builtin::INVENTORY_SEED, &["Users=3", "Stock=2"]);
    let p = report.property("FairnessProperty").unwrap();
    assert_eq!(p.verdict, Verdict::Violated);
    let cycle_start = p.cycle_start.unwrap();
    let dot = counterexample_dot(&report, p).unwrap();
    let back = format!("{cycle_start} -> {cycle_start} [ label = \"(stuttering)\\l(back to {cycle_start}, forever)\" color=\"#B00000\"");
    assert!(dot.contains(&back), "{dot}");
    assert!(dot.contains("peripheries=2 xlabel=\"cycle starts\""));
    assert!(dot.contains("lasso counterexample to FairnessProperty"));
    insta::assert_snapshot!("seed_fairness_dot", dot);
}

/// A lasso whose cycle spans several states: the back-edge goes from the last state to the
/// cycle start, not to itself. Built by hand from the seed lasso's shape.
#[test]
fn a_longer_cycle_closes_with_a_back_edge() {
    let mut report = check(&builtin::INVENTORY_SEED, &["Users=3", "Stock=2"]);
    let p = report
        .properties
        .iter_mut()
        .find(|p| p.name == "FairnessProperty")
        .unwrap();
    let steps = p.counterexample.as_mut().unwrap();
    // Close the cycle at step 2 instead: the last step now "leads back" to state 2.
    let back_to = steps[2].state.clone();
    let last = steps.len() - 1;
    steps[last].action = "Loop".into();
    steps[last].state = back_to;
    p.cycle_start = Some(2);
    let p = report.property("FairnessProperty").unwrap();
    let dot = counterexample_dot(&report, p).unwrap();
    let from = last - 1;
    assert!(dot.contains(&format!(
        "{from} -> 2 [ label = \"Loop\\l(back to 2, forever)\""
    )));
    assert_eq!(dot.matches("fillcolor").count(), from - 2 + 1);
}

/// Seed §2.1 `create_order`: four steps forward, failures into the compensation chain, which
/// runs in reverse order; the first step's failure aborts directly.
#[test]
fn create_order_saga_as_dot() {
    let saga = flashcheck::specs::load_saga(&spec_path("create_order.saga.yaml")).unwrap();
    assert_eq!(saga, flashcheck::specs::seed_saga());
    let dot = saga_dot(&saga);
    // Nodes: 4 steps (0-3), committed (4), aborted (5), 4 compensations (6-9).
    for edge in [
        "0 -> 1 [ label = \"ok\"",
        "3 -> 4 [ label = \"ok\"",
        "0 -> 5 [ label = \"fails\"",
        "2 -> 7 [ label = \"fails\"",
        // The chain undo 4 -> undo 3 -> … -> aborted, written reversed with `dir=back`.
        "8 -> 9 [ label = \"done\" color=\"#B05000\" fontcolor=\"#B05000\" dir=back",
        "5 -> 6 [ label = \"done\"",
        "8 -> 8 [ label = \"retry\"",
    ] {
        assert!(dot.contains(edge), "{edge}");
    }
    assert!(!dot.contains("3 -> 9"), "a failed step is not compensated");
    insta::assert_snapshot!("create_order_saga_dot", dot);
}

#[test]
fn a_missing_graphviz_is_not_an_error() {
    let missing = Path::new("/nonexistent/flashcheck-test/dot");
    assert!(render_svg_with(missing, "digraph { a }").unwrap().is_none());
}

/// Graphviz renders the pictures, twice to the same bytes, without its version comment.
/// Without `dot` it prints one `Graphviz rendering skipped` line — except under CI
/// (`CI=true`), where `scripts/setup` has installed Graphviz and its absence is a failure.
#[test]
fn graphviz_renders_deterministically() {
    let saga = saga_dot(&flashcheck::specs::seed_saga());
    let Some(first) = render_svg(&saga).unwrap() else {
        skip::skip_unless_ci("Graphviz rendering", "`dot` not found on PATH");
        return;
    };
    assert!(dot::graphviz_version().is_some());
    assert_eq!(render_svg(&saga).unwrap().unwrap(), first);
    assert!(!first.contains("Generated by graphviz"));
    assert!(first.contains("<svg"));
    assert!(first.contains("undo process_payment:"));
    assert_well_formed(&first);

    let report = check(&builtin::INVENTORY_SEED, &["Users=3", "Stock=2"]);
    let lasso = counterexample_dot(&report, report.property("FairnessProperty").unwrap()).unwrap();
    let svg = render_svg(&lasso).unwrap().unwrap();
    assert_well_formed(&svg);
    assert_eq!(render_svg(&lasso).unwrap().unwrap(), svg);

    let err = render_svg("digraph { a -> }").unwrap_err();
    assert!(matches!(err, dot::RenderError::Failed { .. }), "{err}");
}

#[test]
fn engines_are_named_in_the_legend() {
    let mut r = check(&builtin::INVENTORY, &["Users=1", "Stock=1"]);
    r.engine = Engine::Tlc;
    let chart = growth_chart(&[r], "Users", &[], GrowthMetric::DistinctStates).unwrap();
    assert_eq!(chart.series[0].name, "inventory: TLA+ twin (TLC)");
}

fn any_value() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => -1e6..1e6f64,
        2 => 0.0..1e9f64,
        1 => any::<f64>(),
        1 => Just(0.0),
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
    ]
}

fn any_text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 <>&\"'é库\u{1}]{0,12}"
}

proptest! {
    #[test]
    fn line_charts_are_well_formed_for_any_series(
        log_y in any::<bool>(),
        title in any_text(),
        series in prop::collection::vec(
            (any_text(), prop::collection::vec((any_value(), any_value()), 0..8)),
            0..5,
        ),
    ) {
        let chart = LineChart {
            title,
            x_label: "x".into(),
            y_label: "y".into(),
            log_y,
            series: series
                .into_iter()
                .map(|(name, points)| Series { name, points })
                .collect(),
        };
        let svg = chart.to_svg();
        assert_well_formed(&svg);
        prop_assert_eq!(svg, chart.to_svg());
    }

    #[test]
    fn bar_charts_are_well_formed_for_any_rows(
        rows in prop::collection::vec(
            (any_text(), prop::collection::vec((any_text(), any_value()), 0..6)),
            0..4,
        ),
        markers in prop::collection::vec((any_text(), any_value()), 0..4),
    ) {
        let chart = StackedBarChart {
            title: "t".into(),
            x_label: "ms".into(),
            rows: rows
                .into_iter()
                .map(|(label, segs)| BarRow {
                    label,
                    segments: segs
                        .into_iter()
                        .map(|(name, value)| Segment {
                            label: name.clone(),
                            name,
                            value,
                            tooltip: None,
                        })
                        .collect(),
                    total_label: None,
                })
                .collect(),
            markers: markers
                .into_iter()
                .map(|(label, value)| Marker { label, value })
                .collect(),
        };
        let svg = chart.to_svg();
        assert_well_formed(&svg);
        prop_assert_eq!(svg, chart.to_svg());
    }
}
