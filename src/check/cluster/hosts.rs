//! The hostfile: one `host:port` per process, in process order, as timely's `--hostfile`
//! reads it. Blank lines and lines starting with `#` are skipped.

use std::path::{Path, PathBuf};

/// Why a hostfile was refused; each names the file, and the line where there is one.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HostsError {
    /// The file could not be read.
    #[error("{}: cannot read the hostfile: {source}", path.display())]
    Read {
        /// The hostfile.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A line is not `host:port`.
    #[error("{}:{line}: `{text}` is not host:port ({reason})", path.display())]
    Line {
        /// The hostfile.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// The line as written.
        text: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The same address twice.
    #[error("{}:{line}: {address} is already on line {first}", path.display())]
    Duplicate {
        /// The hostfile.
        path: PathBuf,
        /// 1-based line number of the repeat.
        line: usize,
        /// The first line with it.
        first: usize,
        /// The address.
        address: String,
    },
    /// Not one line per process.
    #[error("{}: lists {found} hosts, but --processes is {expected} (one host:port per process)", path.display())]
    Count {
        /// The hostfile.
        path: PathBuf,
        /// Hosts listed.
        found: usize,
        /// `--processes`.
        expected: usize,
    },
}

/// Reads the hostfile at `path` for a cluster of `processes`.
pub fn read(path: &Path, processes: usize) -> Result<Vec<String>, HostsError> {
    let text = std::fs::read_to_string(path).map_err(|source| HostsError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&text, path, processes)
}

/// Parses hostfile `text` (read from `path`, named in errors) for `processes` processes.
pub fn parse(text: &str, path: &Path, processes: usize) -> Result<Vec<String>, HostsError> {
    let mut hosts: Vec<(usize, String)> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let text = raw.trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        let bad = |reason: &str| HostsError::Line {
            path: path.to_path_buf(),
            line,
            text: text.to_string(),
            reason: reason.to_string(),
        };
        if text.contains(char::is_whitespace) {
            return Err(bad("one address per line, no spaces"));
        }
        let (host, port) = text.rsplit_once(':').ok_or_else(|| bad("no :port"))?;
        if host.is_empty() {
            return Err(bad("no host"));
        }
        if host.starts_with('[') != host.ends_with(']') {
            return Err(bad("unbalanced [ ] around an IPv6 address"));
        }
        match port.parse::<u16>() {
            Ok(0) => return Err(bad("port 0 cannot be dialled")),
            Ok(_) => {}
            Err(_) => return Err(bad("the port is not a number in 1..=65535")),
        }
        if let Some((first, _)) = hosts.iter().find(|(_, h)| h == text) {
            return Err(HostsError::Duplicate {
                path: path.to_path_buf(),
                line,
                first: *first,
                address: text.to_string(),
            });
        }
        hosts.push((line, text.to_string()));
    }
    if hosts.len() != processes {
        return Err(HostsError::Count {
            path: path.to_path_buf(),
            found: hosts.len(),
            expected: processes,
        });
    }
    Ok(hosts.into_iter().map(|(_, h)| h).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str, n: usize) -> Result<Vec<String>, String> {
        parse(text, Path::new("hosts"), n).map_err(|e| e.to_string())
    }

    #[test]
    fn lines_comments_and_errors() {
        assert_eq!(
            parsed("# two\n127.0.0.1:4000\n\n[::1]:4001\n", 2).unwrap(),
            ["127.0.0.1:4000", "[::1]:4001"]
        );
        assert_eq!(
            parsed("a:1\nb\n", 2).unwrap_err(),
            "hosts:2: `b` is not host:port (no :port)"
        );
        assert_eq!(
            parsed("a:1\nb:70000\n", 2).unwrap_err(),
            "hosts:2: `b:70000` is not host:port (the port is not a number in 1..=65535)"
        );
        assert_eq!(
            parsed("a:1\n", 2).unwrap_err(),
            "hosts: lists 1 hosts, but --processes is 2 (one host:port per process)"
        );
        assert_eq!(
            parsed("a:1\na:1\n", 2).unwrap_err(),
            "hosts:2: a:1 is already on line 1"
        );
        assert!(parsed(":80\n", 1).is_err());
        assert!(parsed("a:0\n", 1).is_err());
        assert!(parsed("a b:1\n", 1).is_err());
    }
}
