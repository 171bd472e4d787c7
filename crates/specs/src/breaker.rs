//! The circuit-breaker and token-bucket settings of §2.2 (`specs/breaker.toml`): parsing and
//! range validation, each problem located at its line.

use std::path::Path;

use serde::{Deserialize, Serialize};
use toml::{Spanned, Value};

use super::duration::{format_duration_ms, parse_duration_ms};
use super::{SpecError, SpecProblem};

/// How the failure rate is compared with the threshold when deciding to open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThresholdComparison {
    /// Open when rate > θ (the seed's formula).
    Greater,
    /// Open when rate ≥ θ (resilience4j).
    GreaterOrEqual,
}

/// Validated circuit-breaker settings. The threshold is held in parts per million so the
/// breaker compares integers exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreakerSettings {
    pub failure_rate_threshold_ppm: u32,
    pub threshold_comparison: ThresholdComparison,
    pub minimum_calls: u64,
    pub sliding_window_size: u64,
    pub wait_in_open_ms: u64,
    pub permitted_calls_in_half_open: u64,
}

impl BreakerSettings {
    /// The seed's values: θ = 0.5 (">"), 100 minimum calls, window 100, 10 s open, 10 probes.
    pub fn seed() -> Self {
        BreakerSettings {
            failure_rate_threshold_ppm: 500_000,
            threshold_comparison: ThresholdComparison::Greater,
            minimum_calls: 100,
            sliding_window_size: 100,
            wait_in_open_ms: 10_000,
            permitted_calls_in_half_open: 10,
        }
    }

    /// θ as a fraction, for display.
    pub fn failure_rate_threshold(&self) -> f64 {
        f64::from(self.failure_rate_threshold_ppm) / 1e6
    }
}

/// Validated token-bucket settings (tokens, tokens per second).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenBucketSettings {
    pub capacity: u64,
    pub refill_per_second: u64,
}

/// The largest capacity the reference bucket's 32-bit milli-token field can hold.
pub const MAX_BUCKET_CAPACITY: u64 = u32::MAX as u64 / 1_000;

/// Everything `breaker.toml` states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreakerFile {
    pub circuit_breaker: BreakerSettings,
    pub token_bucket: Option<TokenBucketSettings>,
}

impl BreakerFile {
    /// Renders the settings as TOML that [`parse_breaker_str`] reads back.
    pub fn to_toml(&self) -> String {
        let breaker = &self.circuit_breaker;
        let comparison = match breaker.threshold_comparison {
            ThresholdComparison::Greater => "greater",
            ThresholdComparison::GreaterOrEqual => "greater_or_equal",
        };
        let mut out = format!(
            "[circuit_breaker]\nfailure_rate_threshold = {:?}\nthreshold_comparison = \"{}\"\nminimum_calls = {}\nsliding_window_size = {}\nwait_in_open = \"{}\"\npermitted_calls_in_half_open = {}\n",
            breaker.failure_rate_threshold(),
            comparison,
            breaker.minimum_calls,
            breaker.sliding_window_size,
            format_duration_ms(breaker.wait_in_open_ms),
            breaker.permitted_calls_in_half_open,
        );
        if let Some(bucket) = &self.token_bucket {
            out.push_str(&format!(
                "\n[token_bucket]\ncapacity = {}\nrefill_per_second = {}\n",
                bucket.capacity, bucket.refill_per_second
            ));
        }
        out
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    circuit_breaker: Option<Spanned<RawBreaker>>,
    token_bucket: Option<Spanned<RawBucket>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBreaker {
    failure_rate_threshold: Option<Spanned<Value>>,
    threshold_comparison: Option<Spanned<Value>>,
    minimum_calls: Option<Spanned<Value>>,
    sliding_window_size: Option<Spanned<Value>>,
    wait_in_open: Option<Spanned<Value>>,
    permitted_calls_in_half_open: Option<Spanned<Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBucket {
    capacity: Option<Spanned<Value>>,
    refill_per_second: Option<Spanned<Value>>,
}

/// Reads and validates a breaker settings file.
pub fn load_breaker_file(path: &Path) -> Result<BreakerFile, SpecError> {
    let text = crate::input::read_text(path, crate::input::SPEC_LIMIT).map_err(|source| {
        SpecError::Io {
            file: path.to_path_buf(),
            source,
        }
    })?;
    parse_breaker_str(&text, path)
}

/// Parses and validates breaker TOML; `file` is only used to name the source in errors.
pub fn parse_breaker_str(text: &str, file: &Path) -> Result<BreakerFile, SpecError> {
    let text = crate::input::strip_bom(text);
    let lines = LineIndex { text };
    parse_located(text, &lines).map_err(|(line, problem)| SpecError::Invalid {
        file: file.to_path_buf(),
        line,
        problem,
    })
}

type Located = (usize, SpecProblem);

struct LineIndex<'a> {
    text: &'a str,
}

impl LineIndex<'_> {
    fn line_at(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        let prefix = self.text.get(..end).unwrap_or(self.text);
        prefix.bytes().filter(|byte| *byte == b'\n').count() + 1
    }
}

fn parse_located(text: &str, lines: &LineIndex<'_>) -> Result<BreakerFile, Located> {
    let raw: RawFile = toml::from_str(text).map_err(|error| {
        let line = error.span().map_or(1, |span| lines.line_at(span.start));
        (line, SpecProblem::syntax(error.message()))
    })?;
    let breaker_table = raw.circuit_breaker.ok_or((
        1,
        SpecProblem::MissingKey {
            key: "circuit_breaker".into(),
        },
    ))?;
    let table_line = lines.line_at(breaker_table.span().start);
    let breaker = breaker_table.into_inner();
    let field = |value: Option<Spanned<Value>>, key: &str| {
        value.ok_or((
            table_line,
            SpecProblem::MissingKey {
                key: key.to_string(),
            },
        ))
    };

    let threshold = field(breaker.failure_rate_threshold, "failure_rate_threshold")?;
    let failure_rate_threshold_ppm = threshold_ppm(&threshold, lines)?;
    let comparison = field(breaker.threshold_comparison, "threshold_comparison")?;
    let threshold_comparison = match comparison.get_ref() {
        Value::String(text) if text == "greater" => ThresholdComparison::Greater,
        Value::String(text) if text == "greater_or_equal" => ThresholdComparison::GreaterOrEqual,
        Value::String(text) => {
            return Err((
                lines.line_at(comparison.span().start),
                SpecProblem::UnknownComparison {
                    value: text.clone(),
                },
            ))
        }
        _ => {
            return Err(wrong_type(
                &comparison,
                "threshold_comparison",
                "a string",
                lines,
            ))
        }
    };
    let minimum = field(breaker.minimum_calls, "minimum_calls")?;
    let minimum_calls = positive(&minimum, "minimum_calls", lines)?;
    let window = field(breaker.sliding_window_size, "sliding_window_size")?;
    let sliding_window_size = positive(&window, "sliding_window_size", lines)?;
    if sliding_window_size < minimum_calls {
        return Err((
            lines.line_at(window.span().start),
            SpecProblem::WindowSmallerThanMinimum {
                window: sliding_window_size,
                minimum: minimum_calls,
            },
        ));
    }
    let wait = field(breaker.wait_in_open, "wait_in_open")?;
    let wait_in_open_ms = duration_ms(&wait, lines)?;
    let permitted = field(
        breaker.permitted_calls_in_half_open,
        "permitted_calls_in_half_open",
    )?;
    let permitted_calls_in_half_open = positive(&permitted, "permitted_calls_in_half_open", lines)?;

    let token_bucket = match raw.token_bucket {
        None => None,
        Some(table) => {
            let table_line = lines.line_at(table.span().start);
            let bucket = table.into_inner();
            let capacity = bucket.capacity.ok_or((
                table_line,
                SpecProblem::MissingKey {
                    key: "capacity".into(),
                },
            ))?;
            let refill = bucket.refill_per_second.ok_or((
                table_line,
                SpecProblem::MissingKey {
                    key: "refill_per_second".into(),
                },
            ))?;
            let capacity_value = positive(&capacity, "capacity", lines)?;
            if capacity_value > MAX_BUCKET_CAPACITY {
                return Err(out_of_range(
                    &capacity,
                    "capacity",
                    "at most 4294967 tokens",
                    lines,
                ));
            }
            Some(TokenBucketSettings {
                capacity: capacity_value,
                refill_per_second: positive(&refill, "refill_per_second", lines)?,
            })
        }
    };

    Ok(BreakerFile {
        circuit_breaker: BreakerSettings {
            failure_rate_threshold_ppm,
            threshold_comparison,
            minimum_calls,
            sliding_window_size,
            wait_in_open_ms,
            permitted_calls_in_half_open,
        },
        token_bucket,
    })
}

fn wrong_type(
    value: &Spanned<Value>,
    key: &str,
    expected: &'static str,
    lines: &LineIndex<'_>,
) -> Located {
    (
        lines.line_at(value.span().start),
        SpecProblem::WrongType {
            key: key.to_string(),
            expected,
        },
    )
}

fn out_of_range(
    value: &Spanned<Value>,
    key: &str,
    allowed: &'static str,
    lines: &LineIndex<'_>,
) -> Located {
    (
        lines.line_at(value.span().start),
        SpecProblem::OutOfRange {
            key: key.to_string(),
            value: value.get_ref().to_string(),
            allowed,
        },
    )
}

fn positive(value: &Spanned<Value>, key: &str, lines: &LineIndex<'_>) -> Result<u64, Located> {
    match value.get_ref() {
        Value::Integer(number) if *number > 0 => Ok(*number as u64),
        Value::Integer(_) => Err(out_of_range(value, key, "must be at least 1", lines)),
        _ => Err(wrong_type(value, key, "an integer", lines)),
    }
}

fn threshold_ppm(value: &Spanned<Value>, lines: &LineIndex<'_>) -> Result<u32, Located> {
    const KEY: &str = "failure_rate_threshold";
    let fraction = match value.get_ref() {
        Value::Float(number) => *number,
        Value::Integer(number) => *number as f64,
        _ => return Err(wrong_type(value, KEY, "a number", lines)),
    };
    if !(fraction > 0.0 && fraction <= 1.0) {
        return Err(out_of_range(value, KEY, "must lie in (0, 1]", lines));
    }
    let scaled = fraction * 1e6;
    if (scaled - scaled.round()).abs() > 1e-6 {
        return Err(out_of_range(
            value,
            KEY,
            "at most six decimal places",
            lines,
        ));
    }
    Ok(scaled.round() as u32)
}

fn duration_ms(value: &Spanned<Value>, lines: &LineIndex<'_>) -> Result<u64, Located> {
    let line = lines.line_at(value.span().start);
    let ms = match value.get_ref() {
        Value::String(text) => parse_duration_ms(text).ok_or((
            line,
            SpecProblem::InvalidDuration {
                value: text.clone(),
            },
        ))?,
        Value::Integer(seconds) if *seconds >= 0 => {
            (*seconds as u64).checked_mul(1_000).ok_or((
                line,
                SpecProblem::InvalidDuration {
                    value: seconds.to_string(),
                },
            ))?
        }
        Value::Integer(_) => {
            return Err(out_of_range(
                value,
                "wait_in_open",
                "must not be negative",
                lines,
            ))
        }
        _ => {
            return Err(wrong_type(
                value,
                "wait_in_open",
                "a duration such as \"10s\" or whole seconds",
                lines,
            ))
        }
    };
    Ok(ms)
}
