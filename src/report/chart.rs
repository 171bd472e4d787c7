//! Hand-written SVG charts: a line chart (linear or log y axis) and a horizontal stacked bar
//! chart with vertical reference lines. No dependency: the report needs two chart shapes, and
//! a plotting crate would cost build time for features we never draw.
//!
//! # Determinism
//!
//! The audit commits what these writers produce and a test fails when it would change, so the
//! output is a pure function of the input: no timestamps, no ids drawn from counters outside
//! the chart, series and segments drawn in the order given, every coordinate written with one
//! decimal (`-0.0` normalised to `0.0`). Values that cannot be drawn (NaN, ±∞, magnitudes
//! above [`MAX_MAGNITUDE`], values ≤ 0 on a log axis) are left out and *counted* in a
//! footnote on the chart, never silently.
//! The only floating-point operation that is not exactly rounded by IEEE 754 is `log10` (log
//! axes); a last-ulp difference between libms could only show if it crossed a rounding
//! boundary of the one-decimal output.

use std::fmt::Write as _;

/// Okabe–Ito colours (distinguishable with the common colour-vision deficiencies), black last.
const PALETTE: [&str; 8] = [
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000",
];
/// Dash patterns, so series that coincide (the Rust port and its TLA+ twin reach the same
/// number of states) stay distinguishable: a later series is drawn dashed over an earlier one.
const DASHES: [&str; 4] = ["", "7 4", "2 3", "9 3 2 3"];
const FONT: &str = "font-family=\"sans-serif\" font-size=\"12\"";
const FONT_SIZE: f64 = 12.0;
/// The largest magnitude drawn. Beyond it axis arithmetic could overflow; no state count or
/// duration comes near it. Larger values are counted in the footnote like NaN.
pub const MAX_MAGNITUDE: f64 = 1e100;

fn drawable(v: f64) -> bool {
    v.is_finite() && v.abs() <= MAX_MAGNITUDE
}

/// One line of a [`LineChart`].
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The legend entry.
    pub name: String,
    /// `(x, y)` points; drawn sorted by `x` (ties keep their order).
    pub points: Vec<(f64, f64)>,
}

/// A line chart with markers, axes, ticks and a legend on the right.
#[derive(Debug, Clone, PartialEq)]
pub struct LineChart {
    /// Shown above the plot.
    pub title: String,
    /// Under the x axis.
    pub x_label: String,
    /// Beside the y axis.
    pub y_label: String,
    /// Log-scale y axis (ticks at powers of ten). Points with `y <= 0` are left out and counted
    /// in the footnote.
    pub log_y: bool,
    /// The lines, drawn (and listed in the legend) in this order.
    pub series: Vec<Series>,
}

/// One segment of a [`BarRow`].
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    /// Names the segment; segments of the same name get the same colour in every row, and the
    /// legend lists each name once.
    pub name: String,
    /// Its length (≥ 0; a negative or non-finite value is drawn as 0 and counted in the footnote).
    pub value: f64,
    /// Shown inside the bar when it fits, e.g. `saga 80`.
    pub label: String,
    /// Hover text (`<title>`), e.g. the breakdown of the segment.
    pub tooltip: Option<String>,
}

/// One horizontal bar of a [`StackedBarChart`].
#[derive(Debug, Clone, PartialEq)]
pub struct BarRow {
    /// Left of the bar.
    pub label: String,
    /// Stacked left to right.
    pub segments: Vec<Segment>,
    /// Right of the bar, e.g. `= 163 ms`; `None` writes the sum of the segments (3 decimals at
    /// most, trailing zeros dropped).
    pub total_label: Option<String>,
}

/// A vertical reference line across every bar (a budget, a claimed total).
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    /// Written at the top of the line.
    pub label: String,
    /// Where the line is.
    pub value: f64,
}

/// Horizontal stacked bars on a common linear axis starting at 0, with reference lines.
#[derive(Debug, Clone, PartialEq)]
pub struct StackedBarChart {
    /// Shown above the plot.
    pub title: String,
    /// Under the axis (the unit).
    pub x_label: String,
    /// Top to bottom.
    pub rows: Vec<BarRow>,
    /// Reference lines, labelled at the top; labels that would overlap are stacked.
    pub markers: Vec<Marker>,
}

// ---------------------------------------------------------------------------------------------
// Formatting helpers

/// A coordinate with one decimal; never `-0.0`.
fn c(v: f64) -> String {
    let s = format!("{v:.1}");
    if s == "-0.0" {
        "0.0".into()
    } else {
        s
    }
}

/// A value for a label: at most 3 decimals, trailing zeros dropped, never `-0`.
pub fn fmt_value(v: f64) -> String {
    if !v.is_finite() {
        return format!("{v}");
    }
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.to_string()
    }
}

/// Escapes text for SVG element content and attribute values. Control characters other than
/// tab and newline are not allowed in XML 1.0 and become U+FFFD.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' => out.push(ch),
            c if (c as u32) < 0x20 || c == '\u{7f}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// Estimated width in pixels of `text` at the chart's font size: wide glyphs (CJK) count one
/// em, others 0.6 em. Only used for layout (legend width, whether a label fits).
fn text_width(text: &str) -> f64 {
    text.chars()
        .map(|ch| if (ch as u32) >= 0x1100 { 1.0 } else { 0.6 })
        .sum::<f64>()
        * FONT_SIZE
}

/// 10^k, computed by exact multiplications/divisions from 1 (exact for |k| ≤ 22).
fn pow10(k: i32) -> f64 {
    let mut v = 1.0;
    for _ in 0..k.unsigned_abs() {
        if k > 0 {
            v *= 10.0;
        } else {
            v /= 10.0;
        }
    }
    v
}

/// The largest k with 10^k ≤ v (v > 0, finite), corrected against [`pow10`] so a power of ten
/// lands on its own decade whatever `log10` rounds to.
fn floor_log10(v: f64) -> i32 {
    if !(v > 0.0 && v.is_finite()) {
        return 0;
    }
    let mut k = (v.log10().floor() as i32).clamp(-330, 310);
    while pow10(k) > v {
        k -= 1;
    }
    while pow10(k + 1) <= v {
        k += 1;
    }
    k
}

/// A tick label for 10^k: `1`, `10`, `100`, `1k` … `100G`, `0.1`, `0.01` …
fn decade_label(k: i32) -> String {
    if k < 0 {
        return format!("{:.*}", k.unsigned_abs() as usize, pow10(k));
    }
    let suffixes = [(12, "T"), (9, "G"), (6, "M"), (3, "k"), (0, "")];
    let (base, suffix) = suffixes
        .iter()
        .find(|(b, _)| k >= *b)
        .copied()
        .unwrap_or((0, ""));
    format!("{}{suffix}", pow10(k - base))
}

/// A "nice" tick step (1, 2 or 5 × 10^k) giving about `target` intervals over `span`.
fn nice_step(span: f64, target: f64) -> f64 {
    let raw = span / target;
    let k = floor_log10(raw);
    let base = pow10(k);
    let f = raw / base;
    let m = if f <= 1.0 {
        1.0
    } else if f <= 2.0 {
        2.0
    } else if f <= 5.0 {
        5.0
    } else {
        10.0
    };
    m * base
}

/// Decimals needed to print multiples of `step` exactly (0 for integer steps).
fn step_decimals(step: f64) -> usize {
    let k = floor_log10(step);
    if k >= 0 {
        0
    } else {
        k.unsigned_abs() as usize
    }
}

/// A linear axis: `[lo, hi]` widened to whole steps, and the ticks.
#[derive(Debug)]
struct Linear {
    lo: f64,
    hi: f64,
    ticks: Vec<(f64, String)>,
}

impl Linear {
    fn nice(min: f64, max: f64) -> Linear {
        let (min, max) = if min < max {
            (min, max)
        } else if min == 0.0 {
            (0.0, 1.0)
        } else {
            // A single value: centre it in a range of ±|value|/2.
            let half = min.abs() / 2.0;
            (min - half, max + half)
        };
        let step = nice_step(max - min, 5.0);
        let lo = (min / step).floor() * step;
        let hi = (max / step).ceil() * step;
        let decimals = step_decimals(step);
        let n = ((max / step).ceil() - (min / step).floor()) as i64;
        let ticks = (0..=n)
            .map(|i| {
                let v = lo + i as f64 * step;
                let label = format!("{v:.decimals$}");
                let label = if label
                    .trim_start_matches('-')
                    .chars()
                    .all(|c| c == '0' || c == '.')
                {
                    format!("{:.decimals$}", 0.0)
                } else {
                    label
                };
                (v, label)
            })
            .collect();
        Linear { lo, hi, ticks }
    }

    /// Ticks at each value when they are few distinct integers (users 1..8), else nice ticks.
    fn for_positions(values: &[f64]) -> Linear {
        let mut distinct: Vec<f64> = values.to_vec();
        distinct.sort_by(f64::total_cmp);
        distinct.dedup();
        let integral = distinct.iter().all(|v| v.fract() == 0.0 && v.abs() < 1e15);
        if integral && (2..=12).contains(&distinct.len()) {
            let lo = distinct[0];
            let hi = distinct[distinct.len() - 1];
            let pad = ((hi - lo) * 0.05).max(0.25);
            return Linear {
                lo: lo - pad,
                hi: hi + pad,
                ticks: distinct.iter().map(|v| (*v, format!("{v:.0}"))).collect(),
            };
        }
        match (distinct.first(), distinct.last()) {
            (Some(a), Some(b)) => Linear::nice(*a, *b),
            _ => Linear::nice(0.0, 1.0),
        }
    }

    fn frac(&self, v: f64) -> f64 {
        (v - self.lo) / (self.hi - self.lo)
    }
}

/// A log axis over whole decades.
#[derive(Debug)]
struct Log {
    lo: i32,
    hi: i32,
}

impl Log {
    fn over(min: f64, max: f64) -> Log {
        if !(min > 0.0 && max > 0.0) {
            return Log { lo: 0, hi: 1 };
        }
        let lo = floor_log10(min);
        let mut hi = floor_log10(max);
        if pow10(hi) < max || hi == lo {
            hi += 1;
        }
        Log { lo, hi }
    }

    fn frac(&self, v: f64) -> f64 {
        (v.log10() - self.lo as f64) / (self.hi - self.lo) as f64
    }

    fn ticks(&self) -> Vec<(f64, String)> {
        (self.lo..=self.hi)
            .map(|k| (pow10(k), decade_label(k)))
            .collect()
    }
}

fn svg_open(out: &mut String, width: f64, height: f64, title: &str) {
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" {FONT}>",
        w = c(width),
        h = c(height)
    );
    let _ = writeln!(out, "<title>{}</title>", escape(title));
    let _ = writeln!(
        out,
        "<rect x=\"0\" y=\"0\" width=\"{}\" height=\"{}\" fill=\"white\"/>",
        c(width),
        c(height)
    );
    let _ = writeln!(
        out,
        "<text x=\"{}\" y=\"20\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">{}</text>",
        c(width / 2.0),
        escape(title)
    );
}

fn footnote(out: &mut String, x: f64, y: f64, omitted: usize, what: &str) {
    if omitted > 0 {
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"#B00000\">{omitted} {} not drawn: {what}</text>",
            c(x),
            c(y),
            if omitted == 1 { "value" } else { "values" }
        );
    }
}

/// A marker shape centred on (x, y), in the series' colour.
/// The `stroke-dasharray` attribute (with its leading space) of series `i`'s line; empty for
/// a solid line.
fn dash_attribute(i: usize) -> String {
    match DASHES[i % DASHES.len()] {
        "" => String::new(),
        dash => format!(" stroke-dasharray=\"{dash}\""),
    }
}

/// A vertical grid line from `top` to `bottom` at each x tick (inside the caller's grid group).
fn vertical_grid(
    out: &mut String,
    ticks: &[(f64, String)],
    px: impl Fn(f64) -> f64,
    top: f64,
    bottom: f64,
) {
    for (v, _) in ticks {
        let _ = writeln!(
            out,
            "<line x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\"/>",
            c(top),
            c(bottom),
            x = c(px(*v))
        );
    }
}

/// The x tick labels under the plot and the x-axis title centred at `centre` (inside the
/// caller's `text-anchor="middle"` group).
fn x_axis_labels(
    out: &mut String,
    ticks: &[(f64, String)],
    px: impl Fn(f64) -> f64,
    bottom: f64,
    centre: f64,
    title: &str,
) {
    for (v, label) in ticks {
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{}\">{}</text>",
            c(px(*v)),
            c(bottom + 16.0),
            escape(label)
        );
    }
    let _ = writeln!(
        out,
        "<text x=\"{}\" y=\"{}\">{}</text>",
        c(centre),
        c(bottom + 36.0),
        escape(title)
    );
}

fn marker(out: &mut String, shape: usize, x: f64, y: f64, color: &str, tooltip: &str) {
    let r = 4.0;
    let body = match shape % 5 {
        0 => format!("<circle cx=\"{}\" cy=\"{}\" r=\"{}\"", c(x), c(y), c(r)),
        1 => format!(
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"",
            c(x - r),
            c(y - r),
            c(2.0 * r),
            c(2.0 * r)
        ),
        2 => format!(
            "<polygon points=\"{},{} {},{} {},{}\"",
            c(x),
            c(y - r - 1.0),
            c(x + r + 1.0),
            c(y + r),
            c(x - r - 1.0),
            c(y + r)
        ),
        3 => format!(
            "<polygon points=\"{},{} {},{} {},{} {},{}\"",
            c(x),
            c(y - r - 1.0),
            c(x + r + 1.0),
            c(y),
            c(x),
            c(y + r + 1.0),
            c(x - r - 1.0),
            c(y)
        ),
        _ => format!(
            "<path d=\"M{},{}L{},{}M{},{}L{},{}\" stroke-width=\"2\"",
            c(x - r),
            c(y - r),
            c(x + r),
            c(y + r),
            c(x - r),
            c(y + r),
            c(x + r),
            c(y - r)
        ),
    };
    // Hollow shapes, so a marker drawn over another of a different shape leaves both visible
    // (a transparent fill, not `none`, so hovering anywhere on it shows the tooltip).
    let _ = writeln!(
        out,
        "{body} fill=\"white\" fill-opacity=\"0\" stroke=\"{color}\"><title>{}</title></{}>",
        escape(tooltip),
        match shape % 5 {
            0 => "circle",
            1 => "rect",
            2 | 3 => "polygon",
            _ => "path",
        }
    );
}

impl LineChart {
    /// The chart as a standalone SVG document (ends with a newline). Deterministic: the same
    /// chart always gives the same bytes.
    pub fn to_svg(&self) -> String {
        // Keep the drawable points; count the others.
        let mut omitted = 0usize;
        let drawable: Vec<Vec<(f64, f64)>> = self
            .series
            .iter()
            .map(|s| {
                let mut pts: Vec<(f64, f64)> = s
                    .points
                    .iter()
                    .copied()
                    .filter(|&(x, y)| {
                        let ok = drawable(x) && drawable(y) && (!self.log_y || y > 0.0);
                        omitted += usize::from(!ok);
                        ok
                    })
                    .collect();
                pts.sort_by(|a, b| a.0.total_cmp(&b.0));
                pts
            })
            .collect();
        let xs: Vec<f64> = drawable.iter().flatten().map(|p| p.0).collect();
        let ys: Vec<f64> = drawable.iter().flatten().map(|p| p.1).collect();
        let y_min = ys.iter().copied().fold(f64::INFINITY, f64::min);
        let y_max = ys.iter().copied().fold(f64::NEG_INFINITY, f64::max);

        let x_axis = Linear::for_positions(&xs);
        enum YAxis {
            Lin(Linear),
            Log(Log),
        }
        let y_axis = if ys.is_empty() {
            YAxis::Lin(Linear::nice(0.0, 1.0))
        } else if self.log_y {
            YAxis::Log(Log::over(y_min, y_max))
        } else {
            YAxis::Lin(Linear::nice(y_min.min(0.0), y_max.max(0.0)))
        };
        let y_ticks = match &y_axis {
            YAxis::Lin(a) => a.ticks.clone(),
            YAxis::Log(a) => a.ticks(),
        };

        let tick_w = y_ticks
            .iter()
            .map(|(_, l)| text_width(l))
            .fold(0.0, f64::max);
        let legend_w = self
            .series
            .iter()
            .map(|s| text_width(&s.name))
            .fold(0.0, f64::max)
            + 44.0;
        let (plot_w, plot_h) = (440.0, 280.0);
        let left = 34.0 + tick_w + 8.0;
        let top = 40.0;
        let right = left + plot_w;
        let bottom = top + plot_h;
        let width = right + 16.0 + legend_w + 8.0;
        let height = bottom + 62.0;

        let px = |x: f64| left + x_axis.frac(x) * plot_w;
        let py = |y: f64| {
            let f = match &y_axis {
                YAxis::Lin(a) => a.frac(y),
                YAxis::Log(a) => a.frac(y),
            };
            bottom - f * plot_h
        };

        let mut out = String::new();
        svg_open(&mut out, width, height, &self.title);

        // Grid and ticks.
        out.push_str("<g stroke=\"#DDDDDD\" stroke-width=\"1\">\n");
        for (v, _) in &y_ticks {
            let _ = writeln!(
                out,
                "<line x1=\"{}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\"/>",
                c(left),
                c(right),
                y = c(py(*v))
            );
        }
        vertical_grid(&mut out, &x_axis.ticks, px, top, bottom);
        out.push_str("</g>\n");
        let _ = writeln!(
            out,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#333333\"/>",
            c(left),
            c(top),
            c(plot_w),
            c(plot_h)
        );
        out.push_str("<g text-anchor=\"end\">\n");
        for (v, label) in &y_ticks {
            let _ = writeln!(
                out,
                "<text x=\"{}\" y=\"{}\">{}</text>",
                c(left - 6.0),
                c(py(*v) + 4.0),
                escape(label)
            );
        }
        out.push_str("</g>\n<g text-anchor=\"middle\">\n");
        x_axis_labels(
            &mut out,
            &x_axis.ticks,
            px,
            bottom,
            left + plot_w / 2.0,
            &self.x_label,
        );
        let _ = writeln!(
            out,
            "<text transform=\"translate({},{}) rotate(-90)\">{}</text>",
            c(14.0),
            c(top + plot_h / 2.0),
            escape(&self.y_label)
        );
        out.push_str("</g>\n");

        // Lines, then markers, series by series.
        for (i, (series, pts)) in self.series.iter().zip(&drawable).enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            let _ = writeln!(out, "<g class=\"series\" data-series=\"{i}\">");
            if pts.len() > 1 {
                let path = pts
                    .iter()
                    .map(|&(x, y)| format!("{},{}", c(px(x)), c(py(y))))
                    .collect::<Vec<_>>()
                    .join(" ");
                let dash_attr = dash_attribute(i);
                let _ = writeln!(
                    out,
                    "<polyline points=\"{path}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"{dash_attr}/>"
                );
            }
            for &(x, y) in pts {
                let tip = format!("{}: {}, {}", series.name, fmt_value(x), fmt_value(y));
                marker(&mut out, i, px(x), py(y), color, &tip);
            }
            out.push_str("</g>\n");
        }

        // Legend.
        let lx = right + 16.0;
        for (i, series) in self.series.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            let y = top + 10.0 + i as f64 * 20.0;
            let dash_attr = dash_attribute(i);
            let _ = writeln!(
                out,
                "<line x1=\"{}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"{color}\" stroke-width=\"2\"{dash_attr}/>",
                c(lx),
                c(lx + 28.0),
                y = c(y)
            );
            marker(&mut out, i, lx + 14.0, y, color, &series.name);
            let _ = writeln!(
                out,
                "<text x=\"{}\" y=\"{}\">{}</text>",
                c(lx + 36.0),
                c(y + 4.0),
                escape(&series.name)
            );
        }
        footnote(
            &mut out,
            left,
            height - 8.0,
            omitted,
            if self.log_y {
                "not finite, too large, or not positive on the log axis"
            } else {
                "not finite or too large"
            },
        );
        out.push_str("</svg>\n");
        out
    }
}

impl StackedBarChart {
    /// The chart as a standalone SVG document (ends with a newline). Deterministic: the same
    /// chart always gives the same bytes.
    pub fn to_svg(&self) -> String {
        let mut omitted = 0usize;
        let rows: Vec<Vec<f64>> = self
            .rows
            .iter()
            .map(|r| {
                r.segments
                    .iter()
                    .map(|s| {
                        let ok = drawable(s.value) && s.value >= 0.0;
                        omitted += usize::from(!ok);
                        if ok {
                            s.value
                        } else {
                            0.0
                        }
                    })
                    .collect()
            })
            .collect();
        let markers: Vec<&Marker> = self
            .markers
            .iter()
            .filter(|m| {
                let ok = drawable(m.value) && m.value >= 0.0;
                omitted += usize::from(!ok);
                ok
            })
            .collect();
        let max = rows
            .iter()
            .map(|r| r.iter().sum::<f64>())
            .chain(markers.iter().map(|m| m.value))
            .fold(0.0, f64::max);
        let axis = Linear::nice(0.0, if max > 0.0 { max } else { 1.0 });

        // Colour per segment name, in order of first appearance.
        let mut names: Vec<&str> = Vec::new();
        for s in self.rows.iter().flat_map(|r| &r.segments) {
            if !names.contains(&s.name.as_str()) {
                names.push(&s.name);
            }
        }
        let color_of = |name: &str| {
            let i = names.iter().position(|n| *n == name).unwrap_or(0);
            PALETTE[i % PALETTE.len()]
        };

        // Marker labels: each on the first level where it overlaps no earlier label.
        let plot_w = 520.0;
        let label_w = self
            .rows
            .iter()
            .map(|r| text_width(&r.label))
            .fold(0.0, f64::max);
        let left = 16.0 + label_w + 10.0;
        let px = |v: f64| left + axis.frac(v) * plot_w;
        // A label is centred on its line, but never starts left of the chart.
        let label_x = |m: &Marker| px(m.value).max(text_width(&m.label) / 2.0 + 4.0);
        let mut levels: Vec<Vec<(f64, f64)>> = Vec::new();
        let mut marker_level = Vec::new();
        for m in &markers {
            let w = text_width(&m.label);
            let (a, b) = (label_x(m) - w / 2.0 - 4.0, label_x(m) + w / 2.0 + 4.0);
            let level = levels
                .iter()
                .position(|spans| spans.iter().all(|&(x0, x1)| b <= x0 || a >= x1))
                .unwrap_or(levels.len());
            if level == levels.len() {
                levels.push(Vec::new());
            }
            levels[level].push((a, b));
            marker_level.push(level);
        }
        let bar_h = 26.0;
        let gap = 14.0;
        let top = 40.0 + levels.len() as f64 * 16.0 + 6.0;
        let plot_h = self.rows.len() as f64 * (bar_h + gap) + gap;
        let bottom = top + plot_h;
        let total_w = self
            .rows
            .iter()
            .zip(&rows)
            .map(|(r, v)| text_width(&total_text(r, v)))
            .fold(0.0, f64::max);
        // Room for the longest "= total" label, wherever the longest bar ends.
        let right = left + plot_w + total_w.max(40.0) + 16.0;
        let legend_rows = legend_layout(&names, right - 32.0);
        // Wide enough for every marker label too.
        let width = markers
            .iter()
            .map(|m| label_x(m) + text_width(&m.label) / 2.0 + 8.0)
            .fold(right, f64::max);
        let height = bottom + 44.0 + legend_rows.len() as f64 * 18.0 + 16.0;

        let mut out = String::new();
        svg_open(&mut out, width, height, &self.title);
        out.push_str("<g stroke=\"#DDDDDD\" stroke-width=\"1\">\n");
        vertical_grid(&mut out, &axis.ticks, px, top, bottom);
        out.push_str("</g>\n");
        let _ = writeln!(
            out,
            "<line x1=\"{l}\" y1=\"{b}\" x2=\"{}\" y2=\"{b}\" stroke=\"#333333\"/>",
            c(left + plot_w),
            l = c(left),
            b = c(bottom)
        );
        out.push_str("<g text-anchor=\"middle\">\n");
        x_axis_labels(
            &mut out,
            &axis.ticks,
            px,
            bottom,
            left + plot_w / 2.0,
            &self.x_label,
        );
        out.push_str("</g>\n");

        for (i, (row, values)) in self.rows.iter().zip(&rows).enumerate() {
            let y = top + gap + i as f64 * (bar_h + gap);
            let _ = writeln!(out, "<g class=\"bar\" data-row=\"{i}\">");
            let _ = writeln!(
                out,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
                c(left - 8.0),
                c(y + bar_h / 2.0 + 4.0),
                escape(&row.label)
            );
            let mut at = 0.0;
            for (seg, &v) in row.segments.iter().zip(values) {
                let (x0, x1) = (px(at), px(at + v));
                let color = color_of(&seg.name);
                let tip = seg.tooltip.clone().unwrap_or_else(|| seg.label.clone());
                let _ = writeln!(
                    out,
                    "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{color}\" stroke=\"white\" stroke-width=\"1\"><title>{}</title></rect>",
                    c(x0),
                    c(y),
                    c(x1 - x0),
                    c(bar_h),
                    escape(&tip)
                );
                if text_width(&seg.label) + 6.0 <= x1 - x0 {
                    let ink = if matches!(color, "#F0E442" | "#E69F00" | "#56B4E9") {
                        "black"
                    } else {
                        "white"
                    };
                    let _ = writeln!(
                        out,
                        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"{ink}\">{}</text>",
                        c((x0 + x1) / 2.0),
                        c(y + bar_h / 2.0 + 4.0),
                        escape(&seg.label)
                    );
                }
                at += v;
            }
            let _ = writeln!(
                out,
                "<text x=\"{}\" y=\"{}\">{}</text>",
                c(px(at) + 6.0),
                c(y + bar_h / 2.0 + 4.0),
                escape(&total_text(row, values))
            );
            out.push_str("</g>\n");
        }

        for (m, level) in markers.iter().zip(&marker_level) {
            let x = px(m.value);
            let label_y = 40.0 + *level as f64 * 16.0 + 10.0;
            let _ = writeln!(
                out,
                "<g class=\"marker\"><line x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\" stroke=\"#B00000\" stroke-width=\"1.5\" stroke-dasharray=\"5 3\"/><text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#B00000\">{}</text></g>",
                c(label_y + 4.0),
                c(bottom),
                c(label_x(m)),
                c(label_y),
                escape(&m.label),
                x = c(x)
            );
        }

        // Legend: a swatch and the name of every segment name, wrapped into rows.
        for (r, row) in legend_rows.iter().enumerate() {
            let y = bottom + 52.0 + r as f64 * 18.0;
            for (name, x) in row {
                let _ = writeln!(
                    out,
                    "<rect x=\"{}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{}\"/><text x=\"{}\" y=\"{}\">{}</text>",
                    c(16.0 + x),
                    c(y - 10.0),
                    color_of(name),
                    c(16.0 + x + 16.0),
                    c(y),
                    escape(name)
                );
            }
        }
        footnote(
            &mut out,
            16.0,
            height - 6.0,
            omitted,
            "negative, not finite or too large",
        );
        out.push_str("</svg>\n");
        out
    }
}

fn total_text(row: &BarRow, values: &[f64]) -> String {
    row.total_label
        .clone()
        .unwrap_or_else(|| format!("= {}", fmt_value(values.iter().sum())))
}

/// Legend entries wrapped into rows no wider than `width`: each entry's name and x offset.
fn legend_layout<'a>(names: &[&'a str], width: f64) -> Vec<Vec<(&'a str, f64)>> {
    let mut rows: Vec<Vec<(&str, f64)>> = Vec::new();
    let mut x = 0.0;
    for name in names {
        let w = 16.0 + text_width(name) + 18.0;
        if rows.is_empty() || (x + w > width && x > 0.0) {
            rows.push(Vec::new());
            x = 0.0;
        }
        if let Some(row) = rows.last_mut() {
            row.push((name, x));
        }
        x += w;
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decades_are_exact_whatever_log10_rounds_to() {
        for k in -6..=15 {
            assert_eq!(floor_log10(pow10(k)), k, "10^{k}");
        }
        assert_eq!(floor_log10(999.0), 2);
        assert_eq!(decade_label(0), "1");
        assert_eq!(decade_label(4), "10k");
        assert_eq!(decade_label(6), "1M");
        assert_eq!(decade_label(-2), "0.01");
    }

    #[test]
    fn nice_linear_ticks() {
        let a = Linear::nice(0.0, 163.0);
        assert_eq!((a.lo, a.hi), (0.0, 200.0));
        let labels: Vec<&str> = a.ticks.iter().map(|t| t.1.as_str()).collect();
        assert_eq!(labels, ["0", "50", "100", "150", "200"]);
        let b = Linear::nice(0.0, 0.3);
        let labels: Vec<&str> = b.ticks.iter().map(|t| t.1.as_str()).collect();
        assert_eq!(labels, ["0.0", "0.1", "0.2", "0.3"]);
    }

    #[test]
    fn values_and_text_are_formatted_stably() {
        assert_eq!(fmt_value(163.0), "163");
        assert_eq!(fmt_value(0.5), "0.5");
        assert_eq!(fmt_value(0.1 + 0.2), "0.3");
        assert_eq!(fmt_value(-0.0001), "0");
        assert_eq!(c(-0.04), "0.0");
        assert_eq!(
            escape("a<b & \"c\"\u{1}"),
            "a&lt;b &amp; &quot;c&quot;\u{fffd}"
        );
    }
}
