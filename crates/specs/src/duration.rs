//! Durations written as text in design inputs: `"10s"`, `"500ms"`, `"1m"`.

/// Parses `<digits><unit>` with unit `ms`, `s` or `m` into milliseconds.
/// Returns `None` for anything else, including overflow; callers turn that into a
/// located [`super::SpecProblem::InvalidDuration`].
pub fn parse_duration_ms(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (digits, unit) = text.split_at(split);
    if digits.is_empty() {
        return None;
    }
    let amount: u64 = digits.parse().ok()?;
    let scale = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        _ => return None,
    };
    amount.checked_mul(scale)
}

/// Renders milliseconds in the largest unit that represents them exactly.
pub fn format_duration_ms(ms: u64) -> String {
    if ms != 0 && ms.checked_rem(60_000) == Some(0) {
        format!("{}m", ms / 60_000)
    } else if ms != 0 && ms.checked_rem(1_000) == Some(0) {
        format!("{}s", ms / 1_000)
    } else {
        format!("{ms}ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn units() {
        assert_eq!(parse_duration_ms("10s"), Some(10_000));
        assert_eq!(parse_duration_ms("500ms"), Some(500));
        assert_eq!(parse_duration_ms("2m"), Some(120_000));
        assert_eq!(parse_duration_ms("10"), None);
        assert_eq!(parse_duration_ms("s"), None);
        assert_eq!(parse_duration_ms("-1s"), None);
        assert_eq!(parse_duration_ms("1h"), None);
        assert_eq!(parse_duration_ms("99999999999999999999s"), None);
    }

    proptest! {
        #[test]
        fn never_panics(text in ".{0,12}") {
            let _ = parse_duration_ms(&text);
        }

        #[test]
        fn round_trips(ms in 0u64..10_000_000_000) {
            prop_assert_eq!(parse_duration_ms(&format_duration_ms(ms)), Some(ms));
        }
    }
}
