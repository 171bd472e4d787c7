//! The three-valued verdict of every check, and the exit code a set of verdicts maps to.

use serde::Serialize;
use std::fmt;

/// The outcome of one check; z3 (with sound `ln` enclosures) is the checker of record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Proven.
    Holds,
    /// Proven false.
    Refuted,
    /// Not decided (solver gave up, or an enclosure straddles the decision boundary).
    Unknown,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Holds => "holds",
            Verdict::Refuted => "refuted",
            Verdict::Unknown => "unknown",
        })
    }
}

/// Counts of verdicts in a report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// Proven.
    pub holds: usize,
    /// Refuted.
    pub refuted: usize,
    /// Undecided.
    pub unknown: usize,
}

impl Tally {
    /// Tally of a list of verdicts.
    pub fn of(vs: impl IntoIterator<Item = Verdict>) -> Tally {
        let mut t = Tally::default();
        for v in vs {
            match v {
                Verdict::Holds => t.holds += 1,
                Verdict::Refuted => t.refuted += 1,
                Verdict::Unknown => t.unknown += 1,
            }
        }
        t
    }
    /// Refuted when a check is refuted, else undecided when one is unknown, else holds.
    pub fn outcome(&self) -> crate::outcome::Outcome {
        use crate::outcome::Outcome;
        if self.refuted > 0 {
            Outcome::Refuted
        } else if self.unknown > 0 {
            Outcome::Undecided
        } else {
            Outcome::Holds
        }
    }
}

impl fmt::Display for Tally {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} hold, {} refuted, {} unknown",
            self.holds, self.refuted, self.unknown
        )
    }
}
