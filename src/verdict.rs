//! The one three-valued verdict of every property (model checking) and every claim (z3 and the
//! design document's computations), the words a reader sees for it, and its counts.
//!
//! A property is *violated* and a claim is *refuted*: both mean "proven false", so both are
//! [`Verdict::Violated`]. Only the word differs, and only [`Verdict::word`] chooses it, by
//! the [`Subject`] the verdict is about. `Verdict` has no `Display` and no default serde
//! representation on purpose: every place that shows or serializes one says which subject it
//! is about, through `word` or the [`property`] and [`claim`] serde helpers
//! (`#[serde(with = "crate::verdict::property")]`).
//!
//! A verdict reaches the command's [`Outcome`] only through [`Verdict::outcome`]; several
//! verdicts combine by [`Verdict::and`] / [`Verdict::all`].

use crate::outcome::Outcome;
use serde::Serialize;
use std::fmt;

/// The result of checking one property or deciding one claim. The discriminants index
/// [`Subject::words`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// Proven: over the whole (bounded) state space, or by z3.
    Holds = 0,
    /// Proven false: a property's counterexample was found ("violated"), or a claim was
    /// refuted ("refuted").
    Violated = 1,
    /// Not decided: a limit stopped the search, the engine cannot check this kind, the solver
    /// gave up, or an enclosure straddles the decision boundary.
    Unknown = 2,
}

/// What a verdict is about; it decides the word a reader sees ([`Verdict::word`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// A property of a model check: `holds | violated | unknown`.
    Property,
    /// A numeric or design-document claim: `holds | refuted | unknown`.
    Claim,
}

impl Subject {
    /// The words for [`Verdict::Holds`], [`Verdict::Violated`] and [`Verdict::Unknown`]
    /// about this subject: the one table of the words a reader sees.
    pub fn words(self) -> &'static [&'static str; 3] {
        match self {
            Subject::Property => &["holds", "violated", "unknown"],
            Subject::Claim => &["holds", "refuted", "unknown"],
        }
    }
}

impl Verdict {
    /// Every verdict, in the order reports list them.
    pub const ALL: [Verdict; 3] = [Verdict::Holds, Verdict::Violated, Verdict::Unknown];

    /// The word reports, terminals and JSON use for this verdict about `subject`.
    pub fn word(self, subject: Subject) -> &'static str {
        subject.words()[self as usize]
    }

    /// The verdict whose [`word`](Verdict::word) about `subject` is `word`, if any.
    pub fn from_word(word: &str, subject: Subject) -> Option<Verdict> {
        Verdict::ALL.into_iter().find(|v| v.word(subject) == word)
    }

    /// What this verdict means for the command that reached it: the one mapping from a
    /// verdict to an [`Outcome`] (violated → refuted, unknown → undecided).
    pub fn outcome(self) -> Outcome {
        match self {
            Verdict::Holds => Outcome::Holds,
            Verdict::Violated => Outcome::Refuted,
            Verdict::Unknown => Outcome::Undecided,
        }
    }

    /// Two verdicts together: proven false outranks unknown, which outranks holds.
    #[must_use]
    pub fn and(self, other: Verdict) -> Verdict {
        // The precedence of their outcomes (Outcome::and), so that the two cannot drift.
        if other.outcome() > self.outcome() {
            other
        } else {
            self
        }
    }

    /// All of `verdicts` together ([`Verdict::and`]); [`Verdict::Holds`] when there are none.
    pub fn all(verdicts: impl IntoIterator<Item = Verdict>) -> Verdict {
        verdicts.into_iter().fold(Verdict::Holds, Verdict::and)
    }
}

/// Serde for a property's verdict (`holds | violated | unknown`):
/// `#[serde(with = "crate::verdict::property")]`.
pub mod property {
    use super::{Subject, Verdict};
    use serde::{Deserializer, Serializer};

    /// Writes the property word.
    pub fn serialize<S: Serializer>(v: &Verdict, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(v.word(Subject::Property))
    }

    /// Reads the property word; any other word is an error naming the three.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Verdict, D::Error> {
        super::deserialize_word(d, Subject::Property)
    }
}

/// Serde for a claim's verdict (`holds | refuted | unknown`):
/// `#[serde(with = "crate::verdict::claim")]`; for an `Option<Verdict>` (`null` when absent),
/// `#[serde(serialize_with = "crate::verdict::claim::option::serialize")]`.
pub mod claim {
    use super::{Subject, Verdict};
    use serde::{Deserializer, Serializer};

    /// Writes the claim word.
    pub fn serialize<S: Serializer>(v: &Verdict, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(v.word(Subject::Claim))
    }

    /// Reads the claim word; any other word is an error naming the three.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Verdict, D::Error> {
        super::deserialize_word(d, Subject::Claim)
    }

    /// Serde for an optional claim verdict: the claim word, or `null`.
    pub mod option {
        use super::super::{Subject, Verdict};
        use serde::Serializer;

        /// Writes the claim word, or `null`.
        pub fn serialize<S: Serializer>(v: &Option<Verdict>, s: S) -> Result<S::Ok, S::Error> {
            match v {
                Some(v) => s.serialize_some(v.word(Subject::Claim)),
                None => s.serialize_none(),
            }
        }
    }
}

fn deserialize_word<'de, D: serde::Deserializer<'de>>(
    d: D,
    subject: Subject,
) -> Result<Verdict, D::Error> {
    struct Word(Subject);
    impl serde::de::Visitor<'_> for Word {
        type Value = Verdict;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a verdict")
        }
        fn visit_str<E: serde::de::Error>(self, word: &str) -> Result<Verdict, E> {
            Verdict::from_word(word, self.0).ok_or_else(|| E::unknown_variant(word, self.0.words()))
        }
    }
    d.deserialize_str(Word(subject))
}

/// Counts of claim verdicts in a report. The JSON keys are `holds`, `refuted`, `unknown`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// Proven.
    pub holds: usize,
    /// Refuted ([`Verdict::Violated`]).
    pub refuted: usize,
    /// Undecided.
    pub unknown: usize,
}

impl Tally {
    /// Tally of a list of verdicts.
    pub fn of(vs: impl IntoIterator<Item = Verdict>) -> Tally {
        let mut t = Tally::default();
        for v in vs {
            *t.count_mut(v) += 1;
        }
        t
    }

    /// How many verdicts are `v`.
    pub fn count(&self, v: Verdict) -> usize {
        match v {
            Verdict::Holds => self.holds,
            Verdict::Violated => self.refuted,
            Verdict::Unknown => self.unknown,
        }
    }

    fn count_mut(&mut self, v: Verdict) -> &mut usize {
        match v {
            Verdict::Holds => &mut self.holds,
            Verdict::Violated => &mut self.refuted,
            Verdict::Unknown => &mut self.unknown,
        }
    }

    /// All the verdicts counted, together ([`Verdict::all`]): refuted when one is refuted,
    /// else unknown when one is unknown, else holds.
    pub fn verdict(&self) -> Verdict {
        Verdict::all(Verdict::ALL.into_iter().filter(|v| self.count(*v) > 0))
    }

    /// The outcome of the verdicts counted: [`Tally::verdict`]'s [`Verdict::outcome`].
    pub fn outcome(&self) -> Outcome {
        self.verdict().outcome()
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

#[cfg(test)]
mod tests {
    use super::Verdict::*;
    use super::*;

    #[test]
    fn a_property_is_violated_and_a_claim_refuted() {
        let words = |s| Verdict::ALL.map(|v| v.word(s));
        assert_eq!(words(Subject::Property), ["holds", "violated", "unknown"]);
        assert_eq!(words(Subject::Claim), ["holds", "refuted", "unknown"]);
        for s in [Subject::Property, Subject::Claim] {
            for v in Verdict::ALL {
                assert_eq!(Verdict::from_word(v.word(s), s), Some(v));
            }
        }
        assert_eq!(Verdict::from_word("refuted", Subject::Property), None);
        assert_eq!(Verdict::from_word("violated", Subject::Claim), None);
    }

    #[test]
    fn serde_writes_the_subjects_word_and_reads_it_back() {
        #[derive(Serialize, serde::Deserialize, Debug, PartialEq)]
        struct Row {
            #[serde(with = "property")]
            property: Verdict,
            #[serde(with = "claim")]
            claim: Verdict,
        }
        #[derive(Serialize)]
        struct Maybe(#[serde(serialize_with = "claim::option::serialize")] Option<Verdict>);

        let row = Row {
            property: Violated,
            claim: Violated,
        };
        let json = serde_json::to_string(&row).unwrap();
        assert_eq!(json, r#"{"property":"violated","claim":"refuted"}"#);
        assert_eq!(serde_json::from_str::<Row>(&json).unwrap(), row);
        assert_eq!(
            serde_json::to_string(&Maybe(Some(Violated))).unwrap(),
            r#""refuted""#
        );
        assert_eq!(serde_json::to_string(&Maybe(None)).unwrap(), "null");
        let err = serde_json::from_str::<Row>(r#"{"property":"refuted","claim":"refuted"}"#)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(
                "unknown variant `refuted`, expected one of `holds`, `violated`, `unknown`"
            ),
            "{err}"
        );
    }

    #[test]
    fn proven_false_outranks_unknown_which_outranks_holds() {
        assert_eq!(Verdict::all([]), Holds);
        assert_eq!(Verdict::all([Holds, Unknown, Holds]), Unknown);
        assert_eq!(Verdict::all([Unknown, Violated, Holds]), Violated);
        for a in Verdict::ALL {
            for b in Verdict::ALL {
                assert_eq!(a.and(b).outcome(), a.outcome().and(b.outcome()));
            }
        }
    }

    #[test]
    fn a_tally_counts_and_decides_like_its_verdicts() {
        let vs = [Holds, Violated, Unknown, Holds];
        let t = Tally::of(vs);
        assert_eq!((t.holds, t.refuted, t.unknown), (2, 1, 1));
        assert_eq!(t.to_string(), "2 hold, 1 refuted, 1 unknown");
        assert_eq!(t.outcome(), Verdict::all(vs).outcome());
        assert_eq!(Tally::of([Holds, Unknown]).outcome(), Outcome::Undecided);
        assert_eq!(Tally::default().outcome(), Outcome::Holds);
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            r#"{"holds":2,"refuted":1,"unknown":1}"#
        );
    }
}
