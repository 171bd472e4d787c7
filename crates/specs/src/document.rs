//! The design document under audit (`specs/double11-design.md`) as lines: every claim of
//! `claims.toml` and `behaviour.toml` names the line where its sentence stands, the parsers
//! refuse a line outside the document, and [`Document::holds_words_of`] says whether a line
//! really carries a claim's words (the test that keeps the line numbers honest).

use std::path::{Path, PathBuf};

/// The fewest characters a claim and a line must share, after [`normalise`], for the line to
/// hold the claim's words. Five is enough to name a figure with its unit or a CJK phrase
/// ("熔断快30s", "x1=316") and more than the fragments every line shares ("优化效果").
pub const MIN_SHARED_CHARS: usize = 5;

/// The document's file name in a scenario directory and in `specs/`.
pub const FILE_NAME: &str = "double11-design.md";

/// The document: where it came from and its lines (1-based when addressed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// The path reports and errors name.
    pub path: PathBuf,
    lines: Vec<String>,
}

impl Document {
    /// The document `text`, read from `path`.
    pub fn parse(text: &str, path: &Path) -> Self {
        Document {
            path: path.to_path_buf(),
            lines: text.lines().map(str::to_string).collect(),
        }
    }

    /// The document of a scenario (its `double11-design.md`).
    pub fn from_file(file: &super::SpecFile) -> Self {
        Document::parse(&file.text, &file.path)
    }

    /// The document of the built-in scenario, as compiled into the binary.
    pub fn built_in() -> Self {
        Document::parse(
            include_str!("../../../specs/double11-design.md"),
            &Path::new("specs").join(FILE_NAME),
        )
    }

    /// How many lines it has.
    pub fn line_count(&self) -> usize {
        self.lines.len()
    }

    /// Line `n` (1-based), if the document has it.
    pub fn line(&self, n: usize) -> Option<&str> {
        n.checked_sub(1)
            .and_then(|i| self.lines.get(i))
            .map(String::as_str)
    }

    /// Whether `n` is a line of the document.
    pub fn contains_line(&self, n: usize) -> bool {
        (1..=self.lines.len()).contains(&n)
    }

    /// The longest run of characters line `n` shares with `text`, both normalised (0 for a
    /// line the document does not have).
    pub fn shared_run(&self, n: usize, text: &str) -> usize {
        self.line(n).map_or(0, |line| {
            longest_common_run(&normalise(line), &normalise(text))
        })
    }

    /// Whether line `n` shares at least [`MIN_SHARED_CHARS`] consecutive characters with
    /// `text` once both are normalised: the line holds a distinctive part of the claim.
    pub fn holds_words_of(&self, n: usize, text: &str) -> bool {
        self.shared_run(n, text) >= MIN_SHARED_CHARS
    }

    /// Checks that `lines` are where `text` stands: each holds its words
    /// ([`Document::holds_words_of`]) and no other line within [`NEIGHBOURHOOD`] of it holds
    /// a longer run of them — so a line number off by one is caught even where the
    /// neighbouring line shares a phrase. Errors say which line and why.
    pub fn locates(&self, lines: &[usize], text: &str) -> Result<(), String> {
        for &n in lines {
            let run = self.shared_run(n, text);
            if run < MIN_SHARED_CHARS {
                return Err(format!(
                    "line {n} shares only {run} characters with the text (at least {MIN_SHARED_CHARS} needed): {:?}",
                    self.line(n).unwrap_or("")
                ));
            }
            let window = n.saturating_sub(NEIGHBOURHOOD)..=n + NEIGHBOURHOOD;
            if let Some(better) = window
                .filter(|k| !lines.contains(k))
                .find(|&k| self.shared_run(k, text) > run)
            {
                return Err(format!(
                    "line {better} holds more of the text than line {n} ({} characters against {run}): {:?}",
                    self.shared_run(better, text),
                    self.line(better).unwrap_or("")
                ));
            }
        }
        Ok(())
    }
}

/// How many lines either side [`Document::locates`] compares a claim's line with.
pub const NEIGHBOURHOOD: usize = 3;

/// A line or a claim reduced to what both share however they are typeset: LaTeX commands
/// to the symbols they print, Markdown emphasis, spaces and punctuation removed, ASCII
/// lower-cased (`$x_1^* = 316$：` and `x1* = 316：` both become `x1=316`).
pub fn normalise(text: &str) -> Vec<char> {
    const LATEX: [(&str, &str); 16] = [
        ("\\alpha", "α"),
        ("\\beta", "β"),
        ("\\sqrt", "√"),
        ("\\partial", "∂"),
        ("\\times", "×"),
        ("\\theta", "θ"),
        ("\\Delta", "Δ"),
        ("\\neq", "≠"),
        ("\\ge", "≥"),
        ("\\le", "≤"),
        ("\\sum", "Σ"),
        ("\\text", ""),
        ("\\frac", ""),
        ("\\mathbf", ""),
        ("\\quad", ""),
        ("−", "-"),
    ];
    let mut s = text.to_string();
    for (from, to) in LATEX {
        s = s.replace(from, to);
    }
    s.chars()
        .filter(|c| !c.is_whitespace() && !"*$\\{}_^()（）|`:：，,。；;、-\"“”".contains(*c))
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The length of the longest run of characters common to `a` and `b`.
fn longest_common_run(a: &[char], b: &[char]) -> usize {
    let mut best = 0;
    let mut previous = vec![0usize; b.len() + 1];
    for x in a {
        let mut current = vec![0usize; b.len() + 1];
        for (j, y) in b.iter().enumerate() {
            if x == y {
                current[j + 1] = previous[j] + 1;
                best = best.max(current[j + 1]);
            }
        }
        previous = current;
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Document {
        Document::parse(
            "# title\n- **P99延迟**：163ms < 200ms ✓\n- **P95延迟**：120ms < 100ms ✗（需要优化）\n- $x_1^* = 316$：电商业务最优配额\n",
            Path::new("d.md"),
        )
    }

    #[test]
    fn lines_are_one_based_and_bounded() {
        let d = doc();
        assert_eq!(d.line_count(), 4);
        assert_eq!(d.line(1), Some("# title"));
        assert_eq!(d.line(0), None);
        assert_eq!(d.line(5), None);
        assert!(d.contains_line(4) && !d.contains_line(0) && !d.contains_line(5));
    }

    #[test]
    fn a_line_holds_the_words_of_its_claim_and_not_of_its_neighbours() {
        let d = doc();
        assert!(d.holds_words_of(2, "P99延迟：163ms < 200ms ✓"));
        assert!(!d.holds_words_of(3, "P99延迟：163ms < 200ms ✓"));
        assert!(d.holds_words_of(4, "x1* = 316 as an integer core count"));
        assert!(!d.holds_words_of(9, "x1* = 316"));
    }

    #[test]
    fn a_line_is_located_only_where_it_beats_its_neighbours() {
        let d = doc();
        assert_eq!(d.locates(&[4], "x1* = 316：电商业务最优配额"), Ok(()));
        let err = d.locates(&[3], "P99延迟：163ms < 200ms ✓").unwrap_err();
        assert!(err.starts_with("line 3 shares only"), "{err}");
        // Line 2 shares a phrase with this text, line 3 more of it.
        let text = "P99延迟：163ms; P95延迟：120ms < 100ms ✗（需要优化）";
        assert!(d.holds_words_of(2, text));
        assert_eq!(d.locates(&[3], text), Ok(()));
        let err = d.locates(&[2], text).unwrap_err();
        assert!(
            err.starts_with("line 3 holds more of the text than line 2"),
            "{err}"
        );
    }

    #[test]
    fn latex_and_markdown_normalise_alike() {
        assert_eq!(normalise("$x_1^* = 316$："), normalise("x1* = 316："));
        assert_eq!(
            normalise("\\alpha_i \\times \\text{Traffic}_i"),
            normalise("α_i × Traffic_i")
        );
    }
}
