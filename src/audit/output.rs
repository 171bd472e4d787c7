//! The audit's output directory: flashcheck writes the reports into a staging directory
//! inside `--out`, then moves each file into place and records every path it wrote in a
//! manifest (`.flashcheck-audit-manifest`). The next audit removes only the files that
//! manifest lists and no longer writes; nothing else in `--out` is ever deleted (a user's
//! notes in `reports/evidence/` survive, as do `bench.md` and other commands' reports).

use super::error::{AuditError, IoContext};
use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

/// The manifest's file name inside `--out`.
pub const MANIFEST: &str = ".flashcheck-audit-manifest";

/// A staging directory inside the output directory.
#[derive(Debug)]
pub struct Staging {
    out: PathBuf,
    dir: PathBuf,
}

impl Staging {
    /// Creates `out` if missing (refusing a path that exists and is not a directory) and a
    /// fresh staging directory inside it.
    pub fn new(out: &Path) -> Result<Self, AuditError> {
        if out.exists() && !out.is_dir() {
            return Err(AuditError::Input(format!(
                "--out {}: not a directory",
                out.display()
            )));
        }
        std::fs::create_dir_all(out)
            .at(|| format!("--out {}: cannot create the directory", out.display()))?;
        let dir = out.join(format!(".flashcheck-staging-{}", std::process::id()));
        if dir.exists() {
            // Left by an earlier run of this process id that was killed: ours by its name.
            std::fs::remove_dir_all(&dir).at(|| format!("clearing {}", dir.display()))?;
        }
        std::fs::create_dir(&dir)
            .at(|| format!("--out {}: cannot write into it", out.display()))?;
        Ok(Staging {
            out: out.to_path_buf(),
            dir,
        })
    }

    /// Where the audit writes (paths below it are those below `--out`).
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Moves every staged file into `--out`, removes the files the previous manifest lists
    /// that this audit did not write, and writes the new manifest. Returns the files
    /// written.
    pub fn commit(self) -> Result<Vec<PathBuf>, AuditError> {
        let written = files_under(&self.dir)?;
        let previous = read_manifest(&self.out);
        let written_set: BTreeSet<&PathBuf> = written.iter().collect();
        let mut emptied = BTreeSet::new();
        for stale in previous.iter().filter(|p| !written_set.contains(p)) {
            let path = self.out.join(stale);
            if path.symlink_metadata().is_ok_and(|m| m.is_file()) {
                std::fs::remove_file(&path).at(|| format!("removing {}", path.display()))?;
                emptied.extend(path.ancestors().skip(1).map(Path::to_path_buf));
            }
        }
        for relative in &written {
            let target = self.out.join(relative);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).at(|| format!("creating {}", parent.display()))?;
            }
            std::fs::rename(self.dir.join(relative), &target)
                .at(|| format!("writing {}", target.display()))?;
        }
        // Directories the stale files left empty, deepest first; never `--out` itself.
        for dir in emptied.iter().rev() {
            if dir.starts_with(&self.out) && dir != &self.out {
                let _ = std::fs::remove_dir(dir); // fails, as it should, unless empty
            }
        }
        let mut manifest = String::from(
            "# Files `flashcheck audit` wrote here; the next audit replaces or removes only these.\n",
        );
        for relative in &written {
            manifest.push_str(&relative.to_string_lossy());
            manifest.push('\n');
        }
        std::fs::write(self.out.join(MANIFEST), manifest)
            .at(|| format!("writing {}", self.out.join(MANIFEST).display()))?;
        std::fs::remove_dir_all(&self.dir).at(|| format!("removing {}", self.dir.display()))?;
        Ok(written)
    }
}

impl Drop for Staging {
    /// An audit that failed leaves nothing of its own behind (the staging directory is
    /// flashcheck's alone); after `commit` it is already gone.
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Every file under `dir`, relative to it, sorted.
fn files_under(dir: &Path) -> Result<Vec<PathBuf>, AuditError> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).at(|| format!("reading {}", d.display()))? {
            let path = entry.at(|| format!("reading {}", d.display()))?.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(relative) = path.strip_prefix(dir) {
                out.push(relative.to_path_buf());
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The relative paths of the manifest in `out` (none without one). Lines that are not plain
/// relative paths below `out` (absolute, `..`) are ignored: the manifest never reaches out.
fn read_manifest(out: &Path) -> Vec<PathBuf> {
    let Ok(text) = std::fs::read_to_string(out.join(MANIFEST)) else {
        return Vec::new();
    };
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(PathBuf::from)
        .filter(|p| p.components().all(|c| matches!(c, Component::Normal(_))))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_files_go_and_foreign_files_stay() {
        let out = tempfile::tempdir().unwrap();
        let staging = Staging::new(out.path()).unwrap();
        std::fs::create_dir_all(staging.path().join("evidence/a")).unwrap();
        std::fs::write(staging.path().join("evidence/a/old.txt"), "1").unwrap();
        std::fs::write(staging.path().join("report.md"), "1").unwrap();
        staging.commit().unwrap();
        std::fs::write(out.path().join("evidence/a/mine.txt"), "user").unwrap();
        let staging = Staging::new(out.path()).unwrap();
        std::fs::write(staging.path().join("report.md"), "2").unwrap();
        staging.commit().unwrap();
        assert!(!out.path().join("evidence/a/old.txt").exists());
        assert_eq!(
            std::fs::read_to_string(out.path().join("evidence/a/mine.txt")).unwrap(),
            "user"
        );
        assert_eq!(
            std::fs::read_to_string(out.path().join("report.md")).unwrap(),
            "2"
        );
        let left: Vec<_> = std::fs::read_dir(out.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left.len(), 3, "{left:?}"); // report.md, evidence/, the manifest
    }
}
