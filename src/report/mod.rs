//! One result type for every engine (stateright, TLC, tla-checker), rendered by one exporter
//! per format: [`text`], [`json`], [`markdown`], [`junit`]; and the audit's pictures: SVG
//! charts ([`chart`] writes them, [`figures`] builds them from results and specs) and DOT
//! graphs rendered by Graphviz ([`dot`]).
//!
//! The JSON field names are a stable interface (scripts and CI read them): add fields, never
//! rename or remove them. The schema is documented in the README.

pub mod chart;
pub mod dot;
pub mod figures;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod table;
pub mod text;

use crate::outcome::Outcome;
use crate::verdict::Verdict;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Which checker produced a [`CheckReport`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Engine {
    /// The Rust port, explored by flashcheck's own engine (`src/check`).
    Flashcheck,
    /// The Rust port, explored by stateright's own checker (`check --engine stateright`).
    Stateright,
    /// The TLA+ twin, checked by TLC (`tla2tools.jar`).
    Tlc,
    /// The TLA+ twin, checked by the crates.io `tla-checker`.
    TlaChecker,
    /// The Rust port, explored across processes on timely dataflow (`check --processes`).
    FlashcheckCluster,
}

impl Engine {
    /// The name used in reports and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Flashcheck => "flashcheck",
            Engine::Stateright => "stateright",
            Engine::Tlc => "tlc",
            Engine::TlaChecker => "tla-checker",
            Engine::FlashcheckCluster => "flashcheck-cluster",
        }
    }
}

/// What a property asserts about behaviours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PropertyKind {
    /// Holds in every reachable state (a TLC invariant).
    Always,
    /// Holds in at least one reachable state (reachability / "this can happen").
    Sometimes,
    /// A liveness property (`<>P`, `P ~> Q`) checked under the model's fairness.
    Eventually,
}

/// One step of a counterexample: the action that led here and the full state after it.
/// The first step of a trace has action `"Init"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// The action's name (a TLA+ action name, e.g. `Reserve(u2)`).
    pub action: String,
    /// Every variable of the state, by its TLA+ name.
    pub state: BTreeMap<String, serde_json::Value>,
}

/// The result for one property.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PropertyReport {
    /// Property name, identical in the Rust port and the TLA+ twin.
    pub name: String,
    /// always | sometimes | eventually.
    pub kind: PropertyKind,
    /// holds | violated | unknown. For `sometimes`, `holds` means a witness state was reached.
    #[serde(with = "crate::verdict::property")]
    pub verdict: Verdict,
    /// One sentence saying what the property means.
    pub description: String,
    /// For `always`/`eventually` violations: the counterexample; for `sometimes` that holds:
    /// the witness path. `null` when there is none.
    pub counterexample: Option<Vec<Step>>,
    /// For a lasso (liveness) counterexample: the index in `counterexample` where the cycle
    /// starts. The last step leads back to the state at this index (its action is the step
    /// that closes the cycle, or `(stuttering)` when the behaviour stays in that state
    /// forever); the behaviour repeats the cycle forever. `null` otherwise.
    #[serde(default)]
    pub cycle_start: Option<usize>,
    /// Why the verdict is `unknown`, or a remark on a verdict (e.g. "holds vacuously").
    #[serde(default)]
    pub note: Option<String>,
}

/// The note of a liveness property that holds only because nothing ever asks for its goal.
pub const HOLDS_VACUOUSLY: &str = "holds vacuously: no reachable state needs the goal (it holds \
     initially, or the trigger is never reached), so the property asserts nothing";

impl PropertyReport {
    /// True when the property holds vacuously (see [`HOLDS_VACUOUSLY`]): evidence of nothing.
    pub fn is_vacuous(&self) -> bool {
        self.verdict == Verdict::Holds && self.note.as_deref() == Some(HOLDS_VACUOUSLY)
    }
}

/// The result of one check of one model (or TLA+ spec) for one set of constants.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckReport {
    /// Model name (`inventory`, `inventory-seed`, …) or the spec's module name.
    pub model: String,
    /// Which checker ran.
    pub engine: Engine,
    /// The constants, by their TLA+ names, as strings (`Users = "3"`, `Deduction = "atomic"`).
    pub constants: BTreeMap<String, String>,
    /// Distinct states reached.
    pub distinct_states: u64,
    /// States generated (successors computed, duplicates included), as TLC counts them.
    pub generated_states: u64,
    /// Length of the longest shortest path from an initial state (TLC's "depth").
    pub depth: u64,
    /// Wall time of the whole check, in seconds.
    pub elapsed_s: f64,
    /// False when a limit (states, time) stopped the search before it finished.
    pub complete: bool,
    /// TLC's optimistic estimate of the probability that two distinct states shared a
    /// fingerprint (so that one was never explored); `None` when the engine does not say.
    #[serde(default)]
    pub fingerprint_collision_probability: Option<f64>,
    /// Each property's result, in the model's order.
    pub properties: Vec<PropertyReport>,
    /// The command that reproduces this check.
    pub command: String,
}

impl CheckReport {
    /// The result for the property called `name`.
    pub fn property(&self, name: &str) -> Option<&PropertyReport> {
        self.properties.iter().find(|p| p.name == name)
    }

    /// Distinct states per second of wall time (0 when no time elapsed).
    pub fn states_per_second(&self) -> f64 {
        if self.elapsed_s > 0.0 {
            self.distinct_states as f64 / self.elapsed_s
        } else {
            0.0
        }
    }

    /// What this report found: refuted when a property is violated (an `always` or
    /// `eventually` with a counterexample, or a `sometimes` never reached in a complete
    /// search), undecided when a limit stopped the search or a property is `unknown`.
    pub fn outcome(&self) -> Outcome {
        self.outcome_counting(|_| true)
    }

    /// [`CheckReport::outcome`] counting only the properties `counts` selects: their
    /// verdicts together ([`Verdict::all`]) as an [`Outcome`] ([`Verdict::outcome`]), and
    /// undecided at best when a limit stopped the search.
    pub fn outcome_counting(&self, counts: impl Fn(&PropertyReport) -> bool) -> Outcome {
        let checked = self.properties.iter().filter(|p| counts(p));
        let found = Verdict::all(checked.map(|p| p.verdict)).outcome();
        if self.complete {
            found
        } else {
            found.and(Outcome::Undecided)
        }
    }
}

impl PropertyReport {
    /// The counterexample's (or witness's) action names, `Init` first; empty when none.
    pub fn actions(&self) -> Vec<&str> {
        self.counterexample
            .iter()
            .flatten()
            .map(|s| s.action.as_str())
            .collect()
    }

    /// True when this result means the design is wrong: an invariant or liveness property
    /// violated, or a `sometimes` property proven unreachable.
    pub fn is_failure(&self) -> bool {
        self.verdict == Verdict::Violated
    }
}
