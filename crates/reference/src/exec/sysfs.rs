//! Parsers for the kernel's text formats (sysfs, procfs), kept pure so they can be tested
//! on fixture strings.

use std::collections::{BTreeMap, BTreeSet};

use thiserror::Error;

/// The largest CPU number accepted: guards against absurd ranges allocating huge sets.
pub const MAX_CPU: usize = 1 << 16;

/// Why a text is not what the kernel writes.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParseError {
    #[error("`{0}` is not a CPU number")]
    BadCpu(String),
    #[error("range `{0}` runs backwards")]
    ReversedRange(String),
    #[error("CPU {0} exceeds the supported maximum")]
    CpuTooLarge(usize),
    #[error("`{0}` is not a size such as 32K or 8M")]
    BadSize(String),
    #[error("line `{0}` is not `Key: value`")]
    BadMeminfoLine(String),
    #[error("no [selected] mode in `{0}`")]
    NoSelectedMode(String),
}

/// Parses a cpulist such as `0-3,8,10-11` (trailing newline allowed; empty = no CPUs).
pub fn parse_cpulist(text: &str) -> Result<BTreeSet<usize>, ParseError> {
    let mut cpus = BTreeSet::new();
    let text = text.trim();
    if text.is_empty() {
        return Ok(cpus);
    }
    for part in text.split(',') {
        let part = part.trim();
        let (low, high) = match part.split_once('-') {
            Some((low, high)) => (cpu_number(low)?, cpu_number(high)?),
            None => {
                let cpu = cpu_number(part)?;
                (cpu, cpu)
            }
        };
        if low > high {
            return Err(ParseError::ReversedRange(part.to_string()));
        }
        cpus.extend(low..=high);
    }
    Ok(cpus)
}

fn cpu_number(text: &str) -> Result<usize, ParseError> {
    let text = text.trim();
    if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(ParseError::BadCpu(text.to_string()));
    }
    let cpu: usize = text
        .parse()
        .map_err(|_| ParseError::BadCpu(text.to_string()))?;
    if cpu > MAX_CPU {
        return Err(ParseError::CpuTooLarge(cpu));
    }
    Ok(cpu)
}

/// Renders a CPU set in the kernel's compact form.
pub fn format_cpulist(cpus: &BTreeSet<usize>) -> String {
    let mut parts = Vec::new();
    let mut iter = cpus.iter().copied().peekable();
    while let Some(start) = iter.next() {
        let mut end = start;
        while iter.peek() == Some(&(end + 1)) {
            end += 1;
            iter.next();
        }
        parts.push(if start == end {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
    }
    parts.join(",")
}

/// Parses a cache size such as `48K`, `1024K` or `32M` into bytes.
pub fn parse_cache_size(text: &str) -> Result<u64, ParseError> {
    let text = text.trim();
    let bad = || ParseError::BadSize(text.to_string());
    let (digits, scale) = match text.as_bytes().last() {
        Some(b'K') => (&text[..text.len() - 1], 1u64 << 10),
        Some(b'M') => (&text[..text.len() - 1], 1 << 20),
        Some(b'G') => (&text[..text.len() - 1], 1 << 30),
        Some(byte) if byte.is_ascii_digit() => (text, 1),
        _ => return Err(bad()),
    };
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(bad());
    }
    digits
        .parse::<u64>()
        .ok()
        .and_then(|value| value.checked_mul(scale))
        .ok_or_else(bad)
}

/// Parses `/proc/meminfo` into key → number (kB for sizes, plain counts otherwise).
pub fn parse_meminfo(text: &str) -> Result<BTreeMap<String, u64>, ParseError> {
    let mut values = BTreeMap::new();
    for line in text.lines().filter(|line| !line.trim().is_empty()) {
        let bad = || ParseError::BadMeminfoLine(line.to_string());
        let (key, rest) = line.split_once(':').ok_or_else(bad)?;
        let number = rest.trim().trim_end_matches("kB").trim();
        values.insert(key.trim().to_string(), number.parse().map_err(|_| bad())?);
    }
    Ok(values)
}

/// The bracketed choice in a kernel mode line such as `always [madvise] never`.
pub fn parse_selected_mode(text: &str) -> Result<String, ParseError> {
    let start = text
        .find('[')
        .ok_or_else(|| ParseError::NoSelectedMode(text.trim().to_string()))?;
    let end = text[start..]
        .find(']')
        .ok_or_else(|| ParseError::NoSelectedMode(text.trim().to_string()))?;
    Ok(text[start + 1..start + end].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn cpulists() {
        assert_eq!(
            parse_cpulist("0-3,8,10-11\n").unwrap(),
            BTreeSet::from([0, 1, 2, 3, 8, 10, 11])
        );
        assert_eq!(parse_cpulist("\n").unwrap(), BTreeSet::new());
        assert_eq!(
            parse_cpulist("3-1"),
            Err(ParseError::ReversedRange("3-1".into()))
        );
        assert_eq!(
            parse_cpulist("0,,1"),
            Err(ParseError::BadCpu(String::new()))
        );
        assert_eq!(
            parse_cpulist("0-99999999"),
            Err(ParseError::CpuTooLarge(99_999_999))
        );
        assert_eq!(parse_cpulist("+1"), Err(ParseError::BadCpu("+1".into())));
        assert_eq!(
            format_cpulist(&BTreeSet::from([0, 1, 2, 3, 8, 10, 11])),
            "0-3,8,10-11"
        );
    }

    #[test]
    fn sizes_meminfo_and_modes() {
        assert_eq!(parse_cache_size("48K\n"), Ok(48 * 1024));
        assert_eq!(parse_cache_size("32768K"), Ok(32 << 20));
        assert_eq!(parse_cache_size("8M"), Ok(8 << 20));
        assert!(parse_cache_size("K").is_err());
        assert!(parse_cache_size("12Q").is_err());
        let meminfo =
            parse_meminfo("HugePages_Total:       0\nHugepagesize:       2048 kB\n").unwrap();
        assert_eq!(meminfo["Hugepagesize"], 2048);
        assert_eq!(meminfo["HugePages_Total"], 0);
        assert!(parse_meminfo("nonsense\n").is_err());
        assert_eq!(
            parse_selected_mode("always [madvise] never\n").unwrap(),
            "madvise"
        );
        assert!(parse_selected_mode("always madvise").is_err());
    }

    proptest! {
        #[test]
        fn cpulist_never_panics(text in "[0-9,\\- \n]{0,30}") {
            let _ = parse_cpulist(&text);
        }

        #[test]
        fn cpulist_round_trips(cpus in prop::collection::btree_set(0usize..512, 0..40)) {
            prop_assert_eq!(parse_cpulist(&format_cpulist(&cpus)).unwrap(), cpus);
        }

        #[test]
        fn cache_size_never_panics(text in "[0-9KMGk ]{0,24}") {
            let _ = parse_cache_size(&text);
        }
    }
}
