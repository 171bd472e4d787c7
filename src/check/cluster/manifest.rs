//! The Kubernetes objects that run a check across processes (`flashcheck cluster manifest`):
//! a headless Service, whose DNS names the pods, and an Indexed Job with one pod per process.
//! Each pod writes the hostfile (pod i is `NAME-i.NAME:PORT`, its hostname under the
//! Service's subdomain) and runs `flashcheck check … --process $JOB_COMPLETION_INDEX`. timely
//! is fail-stop, so the Job never retries a pod (`backoffLimit: 0`).

use std::fmt::Write;

/// Seconds each process waits for the others to connect: pods start as their images arrive.
pub const POD_CONNECT_TIMEOUT_S: u64 = 300;

/// What the manifest runs.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The Service's and the Job's name.
    pub name: String,
    /// The container image (`flashcheck` on its PATH, `/bin/sh`).
    pub image: String,
    /// Pods, one process each.
    pub processes: u64,
    /// timely workers per process, and CPUs per pod.
    pub threads: u64,
    /// Memory per pod, a Kubernetes quantity.
    pub memory: String,
    /// The port every process listens on.
    pub port: u16,
    /// `activeDeadlineSeconds`.
    pub deadline_s: u64,
    /// The check: `check <model> [options]`, without the cluster options.
    pub check: Vec<String>,
}

/// Why no manifest was written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ManifestError {
    /// `--name` is not a DNS label short enough for the pods' hostnames.
    #[error("--name {0:?}: not a DNS label (a-z, 0-9 and -, starting with a letter, at most 50 characters)")]
    Name(String),
    /// `--memory` is not a Kubernetes quantity.
    #[error("--memory {0:?}: not a Kubernetes memory quantity such as 512Mi, 8Gi or 2G")]
    Memory(String),
    /// `--image` is empty or has spaces.
    #[error("--image {0:?}: not an image reference")]
    Image(String),
    /// What follows `--` is not a `flashcheck check` command.
    #[error("after --: {0}")]
    Check(String),
}

fn is_dns_label(name: &str) -> bool {
    let bytes = name.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 50
        && bytes[0].is_ascii_lowercase()
        && bytes[bytes.len() - 1] != b'-'
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
}

fn is_memory_quantity(m: &str) -> bool {
    let digits_end = m
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(m.len());
    let (number, suffix) = m.split_at(digits_end);
    let number_ok = !number.is_empty()
        && number.matches('.').count() <= 1
        && !number.starts_with('.')
        && !number.ends_with('.')
        && number.chars().any(|c| c != '0' && c != '.');
    number_ok
        && [
            "", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "k", "M", "G", "T", "P", "E",
        ]
        .contains(&suffix)
}

/// `arg` quoted for `/bin/sh`.
fn shell_quote(arg: &str) -> String {
    if !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_=./:,@%+".contains(c))
    {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

/// The manifest as YAML: the Service, `---`, the Job.
pub fn render(m: &Manifest) -> Result<String, ManifestError> {
    if !is_dns_label(&m.name) {
        return Err(ManifestError::Name(m.name.clone()));
    }
    if !is_memory_quantity(&m.memory) {
        return Err(ManifestError::Memory(m.memory.clone()));
    }
    if m.image.is_empty() || m.image.contains(char::is_whitespace) {
        return Err(ManifestError::Image(m.image.clone()));
    }
    crate::cli::pod_check::validate(&m.check).map_err(ManifestError::Check)?;
    let (name, port, n, t) = (&m.name, m.port, m.processes, m.threads);
    let mut command: Vec<String> = vec!["exec".into(), "flashcheck".into()];
    command.extend(m.check.iter().map(|a| shell_quote(a)));
    command.extend([
        format!("--threads {t}"),
        format!("--processes {n}"),
        "--process \"$JOB_COMPLETION_INDEX\"".into(),
        "--hosts /tmp/flashcheck-hosts".into(),
        format!("--listen 0.0.0.0:{port}"),
    ]);
    if !m.check.iter().any(|a| a.starts_with("--connect-timeout")) {
        command.push(format!("--connect-timeout {POD_CONNECT_TIMEOUT_S}"));
    }
    let shown = m.check.join(" ");
    let mut y = String::new();
    let _ = writeln!(
        y,
        "# flashcheck {shown}\n\
         # across {n} processes x {t} timely workers. Apply: flashcheck cluster manifest ... | kubectl apply -f -\n\
         # The report is process 0's output: kubectl logs -l batch.kubernetes.io/job-completion-index=0,job-name={name}"
    );
    let labels =
        format!("    app.kubernetes.io/name: flashcheck\n    app.kubernetes.io/instance: {name}\n");
    let _ = write!(
        y,
        "apiVersion: v1\n\
         kind: Service\n\
         metadata:\n  name: {name}\n  labels:\n{labels}\
         spec:\n\
         \x20 clusterIP: None\n\
         \x20 publishNotReadyAddresses: true\n\
         \x20 selector:\n    app.kubernetes.io/instance: {name}\n\
         \x20 ports:\n    - name: timely\n      port: {port}\n      targetPort: {port}\n\
         ---\n\
         apiVersion: batch/v1\n\
         kind: Job\n\
         metadata:\n  name: {name}\n  labels:\n{labels}\
         spec:\n\
         \x20 completionMode: Indexed\n\
         \x20 completions: {n}\n\
         \x20 parallelism: {n}\n\
         \x20 backoffLimit: 0\n\
         \x20 activeDeadlineSeconds: {deadline}\n\
         \x20 template:\n\
         \x20   metadata:\n      labels:\n{pod_labels}\
         \x20   spec:\n\
         \x20     subdomain: {name}\n\
         \x20     restartPolicy: Never\n\
         \x20     containers:\n\
         \x20       - name: flashcheck\n\
         \x20         image: {image}\n\
         \x20         ports:\n            - name: timely\n              containerPort: {port}\n\
         \x20         resources:\n\
         \x20           requests:\n              cpu: \"{t}\"\n              memory: {memory}\n\
         \x20           limits:\n              cpu: \"{t}\"\n              memory: {memory}\n\
         \x20         command: [\"/bin/sh\", \"-c\"]\n\
         \x20         args:\n\
         \x20           - |\n",
        deadline = m.deadline_s,
        image = m.image,
        memory = m.memory,
        pod_labels = labels.replace("    ", "        "),
    );
    let script = [
        "set -eu".to_string(),
        "# pod i is NAME-i under the Service's subdomain: one line per process, in order".into(),
        "i=0".into(),
        ": > /tmp/flashcheck-hosts".into(),
        format!("while [ \"$i\" -lt {n} ]; do"),
        format!("  echo \"{name}-$i.{name}:{port}\" >> /tmp/flashcheck-hosts"),
        "  i=$((i + 1))".into(),
        "done".into(),
        command.join(" "),
    ];
    for line in script {
        let _ = writeln!(y, "              {line}");
    }
    Ok(y)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_quantities() {
        assert!(is_dns_label("flashcheck-10x6"));
        assert!(!is_dns_label("Flashcheck"));
        assert!(!is_dns_label("-a"));
        assert!(!is_dns_label("a-"));
        assert!(!is_dns_label(&"a".repeat(51)));
        for ok in ["8Gi", "512Mi", "2G", "1.5Gi", "1000000"] {
            assert!(is_memory_quantity(ok), "{ok}");
        }
        for bad in ["", "Gi", "8 Gi", "8gb", "0", "1.2.3Gi", ".5Gi"] {
            assert!(!is_memory_quantity(bad), "{bad}");
        }
        assert_eq!(shell_quote("Users=10"), "Users=10");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }
}
