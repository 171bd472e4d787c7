//! The one Markdown table writer: a header, rows of cells, a column alignment. Every table
//! flashcheck writes (audit, check reports, benchmarks, arithmetic evidence) goes through it,
//! so a `|` or a line break in a cell can never break a row.

/// A column's alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// `|---|`
    Left,
    /// `|---:|`, for numbers.
    Right,
}

/// A Markdown table under construction.
#[derive(Debug, Clone)]
pub struct Table {
    header: Vec<String>,
    align: Vec<Align>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column headers, all left-aligned.
    pub fn new<S: AsRef<str>>(header: &[S]) -> Self {
        Table {
            header: header.iter().map(|h| h.as_ref().to_string()).collect(),
            align: vec![Align::Left; header.len()],
            rows: Vec::new(),
        }
    }

    /// Right-aligns the columns at `columns` (0-based).
    pub fn right(mut self, columns: &[usize]) -> Self {
        for &c in columns {
            if let Some(a) = self.align.get_mut(c) {
                *a = Align::Right;
            }
        }
        self
    }

    /// Appends a row. Cells are Markdown (links, emphasis and code stay as written); a line
    /// break becomes a space and an unescaped `|` is escaped. A short row is padded with empty
    /// cells; a long one is a bug in the caller.
    pub fn row<I, S>(&mut self, cells: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut row: Vec<String> = cells.into_iter().map(|c| cell(&c.into())).collect();
        debug_assert!(row.len() <= self.header.len(), "row wider than its header");
        row.resize(self.header.len(), String::new());
        self.rows.push(row);
        self
    }

    /// Whether it has no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The table as Markdown, ending in a newline.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let line = |cells: &[String]| format!("| {} |\n", cells.join(" | "));
        out.push_str(&line(&self.header));
        let rule: Vec<&str> = self
            .align
            .iter()
            .map(|a| match a {
                Align::Left => "---",
                Align::Right => "---:",
            })
            .collect();
        out.push_str(&format!("|{}|\n", rule.join("|")));
        for r in &self.rows {
            out.push_str(&line(r));
        }
        out
    }
}

/// A cell's text made safe for one row: line breaks become spaces, a `|` not already escaped
/// is escaped.
pub fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut escaped = false;
    for ch in text.chars() {
        match ch {
            '\n' | '\r' => out.push(' '),
            '|' if !escaped => out.push_str("\\|"),
            _ => out.push(ch),
        }
        escaped = ch == '\\' && !escaped;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pipe_or_a_newline_cannot_break_a_row() {
        let mut t = Table::new(&["a", "b"]).right(&[1]);
        t.row(["x|y", "1\n2"]);
        t.row(["already \\| escaped"]);
        assert_eq!(
            t.render(),
            "| a | b |\n|---|---:|\n| x\\|y | 1 2 |\n| already \\| escaped |  |\n"
        );
    }
}
