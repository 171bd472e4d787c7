//! The scenario under verification as one bundle of design inputs: the built-in Double 11
//! files embedded in the binary (so `flashcheck audit` runs from any directory), or a user's
//! own directory of the same files (`audit --specs DIR`). Only the text is held here; each
//! consumer parses its file with its own parser and reports errors against [`SpecFile::path`].

use std::path::{Path, PathBuf};

use super::SpecError;

/// One design input: where it came from and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecFile {
    /// The path errors and reports name (`specs/…` for the embedded files).
    pub path: PathBuf,
    /// The file's contents.
    pub text: String,
}

/// Every input of one scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scenario {
    /// Where the files come from: `built-in` or the directory given.
    pub origin: String,
    /// Tenants, capacity, latency budget and the document's numbers (`double11.toml`).
    pub design: SpecFile,
    /// The document's arithmetic claims (`claims.toml`).
    pub claims: SpecFile,
    /// The document's behavioural claims (`behaviour.toml`).
    pub behaviour: SpecFile,
    /// The saga definition (`create_order.saga.yaml`).
    pub saga: SpecFile,
    /// Breaker and token-bucket settings (`breaker.toml`).
    pub breaker: SpecFile,
    /// The design document under audit (`double11-design.md`), whose lines the claims cite.
    pub document: SpecFile,
}

/// The file names a scenario directory must hold, in the order above.
pub const SCENARIO_FILES: [&str; 6] = [
    "double11.toml",
    "claims.toml",
    "behaviour.toml",
    "create_order.saga.yaml",
    "breaker.toml",
    super::document::FILE_NAME,
];

impl Scenario {
    /// The Double 11 scenario of `specs/`, as compiled into the binary.
    pub fn built_in() -> Self {
        let file = |name: &str, text: &str| SpecFile {
            path: Path::new("specs").join(name),
            text: text.to_string(),
        };
        Scenario {
            origin: "built-in".into(),
            design: file(
                SCENARIO_FILES[0],
                include_str!("../../../specs/double11.toml"),
            ),
            claims: file(
                SCENARIO_FILES[1],
                include_str!("../../../specs/claims.toml"),
            ),
            behaviour: file(
                SCENARIO_FILES[2],
                include_str!("../../../specs/behaviour.toml"),
            ),
            saga: file(
                SCENARIO_FILES[3],
                include_str!("../../../specs/create_order.saga.yaml"),
            ),
            breaker: file(
                SCENARIO_FILES[4],
                include_str!("../../../specs/breaker.toml"),
            ),
            document: file(
                SCENARIO_FILES[5],
                include_str!("../../../specs/double11-design.md"),
            ),
        }
    }

    /// The scenario in `dir`, which must hold every file of [`SCENARIO_FILES`], each a
    /// regular file of at most [`crate::input::SPEC_LIMIT`] bytes (a FIFO or a device is
    /// refused, not read).
    pub fn from_dir(dir: &Path) -> Result<Self, SpecError> {
        let read = |name: &str| -> Result<SpecFile, SpecError> {
            let path = dir.join(name);
            let text =
                crate::input::read_text(&path, crate::input::SPEC_LIMIT).map_err(|source| {
                    SpecError::Io {
                        file: path.clone(),
                        source,
                    }
                })?;
            Ok(SpecFile { path, text })
        };
        Ok(Scenario {
            origin: dir.display().to_string(),
            design: read(SCENARIO_FILES[0])?,
            claims: read(SCENARIO_FILES[1])?,
            behaviour: read(SCENARIO_FILES[2])?,
            saga: read(SCENARIO_FILES[3])?,
            breaker: read(SCENARIO_FILES[4])?,
            document: read(SCENARIO_FILES[5])?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_repository_specs_directory_is_the_built_in_scenario() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../specs");
        let from_dir = Scenario::from_dir(&dir).unwrap();
        let built_in = Scenario::built_in();
        assert_eq!(from_dir.design.text, built_in.design.text);
        assert_eq!(from_dir.claims.text, built_in.claims.text);
        assert_eq!(from_dir.behaviour.text, built_in.behaviour.text);
        assert_eq!(from_dir.saga.text, built_in.saga.text);
        assert_eq!(from_dir.breaker.text, built_in.breaker.text);
        assert_eq!(from_dir.document.text, built_in.document.text);
    }

    #[test]
    fn a_missing_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let err = Scenario::from_dir(dir.path()).unwrap_err();
        assert!(err.to_string().contains("double11.toml"), "{err}");
    }
}
