//! What a command found, as one of three outcomes that every command reports the same way.
//! Bad input and missing tools are errors, not outcomes. Only `main` turns an outcome into an
//! exit code, by the one table of the README ("Exit codes"):
//!
//! | exit | meaning |
//! | --- | --- |
//! | 0 | [`Outcome::Holds`]: every expected property and claim holds |
//! | 1 | [`Outcome::Refuted`]: a property is violated or a claim refuted |
//! | 2 | an error: bad input or a missing tool (one line on stderr) |
//! | 3 | [`Outcome::Undecided`]: a limit stopped the work, or something could not be decided |
//!
//! `unknown` is [`Outcome::Undecided`] everywhere (exit 3), and a refutation outranks it: a
//! run that refutes one claim and cannot decide another exits 1.
//!
//! A property's or a claim's [`Verdict`](crate::verdict::Verdict) becomes an outcome only
//! through [`Verdict::outcome`](crate::verdict::Verdict::outcome) (a report's verdicts
//! together through [`Verdict::all`](crate::verdict::Verdict::all) first).

/// A command's result; see the module doc. Ordered by precedence ([`Outcome::and`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    /// Every expected property and claim holds.
    Holds,
    /// A limit stopped the work, or something could not be decided.
    Undecided,
    /// A property is violated or a claim refuted.
    Refuted,
}

impl Outcome {
    /// The outcome of two results together: a refutation outranks an undecided result,
    /// which outranks a hold.
    #[must_use]
    pub fn and(self, other: Outcome) -> Outcome {
        self.max(other)
    }

    /// [`Outcome::Holds`] when `holds`, else [`Outcome::Refuted`].
    pub fn holds_if(holds: bool) -> Outcome {
        if holds {
            Outcome::Holds
        } else {
            Outcome::Refuted
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Outcome::*;

    #[test]
    fn a_refutation_outranks_undecided_which_outranks_holds() {
        assert_eq!(Holds.and(Undecided), Undecided);
        assert_eq!(Undecided.and(Refuted), Refuted);
        assert_eq!(Refuted.and(Holds), Refuted);
        assert_eq!(Holds.and(Holds), Holds);
        assert_eq!(super::Outcome::holds_if(false), Refuted);
    }
}
