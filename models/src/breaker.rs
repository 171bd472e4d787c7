//! `breaker`: the circuit breaker of the design document's section 2.2 (案例13.3) with
//! resilience4j's semantics; the port of `tla/Breaker.tla` (same variables, actions and
//! properties).
//!
//! Closed records each call's outcome in a count-based window of the last `WindowSize`
//! outcomes and opens when the window holds at least `MinimumCalls` outcomes and the failure
//! rate crosses `ThresholdNum/ThresholdDen` (`>` or `>=`, per [`Comparison`]). Open rejects
//! every call (no call action is enabled) and counts down `WaitTicks` clock ticks, then turns
//! HalfOpen, which admits at most `Permitted` probe calls; when all of them succeed it closes
//! with a fresh window, the first failure opens it again. Probes are admitted and complete in
//! separate steps, so several can be in flight: the interleaving behind resilience4j's
//! over-admission bugs (#1090, #1432).
//!
//! The window the breaker tripped on stays in `window` while Open and HalfOpen (nothing is
//! recorded there then), so "it did not trip below the minimum" is a state predicate.
//!
//! The backend starts `flaky` (a call may succeed or fail) and may turn `healthy` or `failing`
//! for good (`Heal`, `Degrade`, under no fairness): "the backend stays healthy from some point
//! on" is `backend = "healthy"`. Fairness: the client's steps (calls, probes, probe
//! outcomes) are one weakly fair group, the clock's `Tick` another.

use crate::constant::RangeError;
use crate::spec::{Liveness, Spec};
use serde::{Deserialize, Serialize};
use stateright::{Model, Property};

/// The largest window the state's 16-bit outcome field can hold.
pub const MAX_WINDOW: u64 = 16;
/// The largest `WaitTicks` and `Permitted` (8-bit counters, one spare for broken variants).
pub const MAX_COUNTER: u64 = 100;

/// How the failure rate is compared with the threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Comparison {
    /// Open when rate > θ (the design document's formula).
    Greater,
    /// Open when rate ≥ θ (resilience4j).
    GreaterOrEqual,
}

impl Comparison {
    /// The TLA+ string constant.
    pub fn tla_name(self) -> &'static str {
        match self {
            Comparison::Greater => "greater",
            Comparison::GreaterOrEqual => "greater_or_equal",
        }
    }

    /// Parses the TLA+ string constant (`greater`, `greater_or_equal`).
    pub fn from_tla_name(name: &str) -> Option<Self> {
        match name {
            "greater" => Some(Comparison::Greater),
            "greater_or_equal" => Some(Comparison::GreaterOrEqual),
            _ => None,
        }
    }

    /// True when `failures` out of `calls` crosses `num/den` (exact integer arithmetic).
    pub fn crosses(self, failures: u64, calls: u64, num: u64, den: u64) -> bool {
        let (lhs, rhs) = (failures * den, calls * num);
        match self {
            Comparison::Greater => lhs > rhs,
            Comparison::GreaterOrEqual => lhs >= rhs,
        }
    }
}

/// The breaker's constants (scaled: the real 100 calls / 10 s / 10 probes are far beyond
/// exhaustive checking).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BreakerConfig {
    /// Outcomes the window must hold before the rate is considered (`MinimumCalls`).
    pub minimum_calls: u64,
    /// Outcomes the count-based window keeps (`WindowSize`).
    pub window_size: u64,
    /// Clock ticks spent Open before turning HalfOpen (`WaitTicks`).
    pub wait_ticks: u64,
    /// Probe calls HalfOpen admits (`Permitted`).
    pub permitted: u64,
    /// The threshold's numerator (`ThresholdNum`).
    pub threshold_num: u64,
    /// The threshold's denominator (`ThresholdDen`).
    pub threshold_den: u64,
    /// `>` or `>=` (`Comparison`).
    pub comparison: Comparison,
}

impl BreakerConfig {
    /// Checks the ranges every breaker model needs.
    pub fn validate(self) -> Result<Self, RangeError> {
        let bad = |constant, reason: String| Err(RangeError { constant, reason });
        if self.window_size == 0 || self.window_size > MAX_WINDOW {
            return bad(
                "WindowSize",
                format!("{} is outside 1..={MAX_WINDOW}", self.window_size),
            );
        }
        if self.minimum_calls == 0 || self.minimum_calls > self.window_size {
            return bad(
                "MinimumCalls",
                format!(
                    "{} is outside 1..=WindowSize ({}): the window could never hold that many \
                     outcomes",
                    self.minimum_calls, self.window_size
                ),
            );
        }
        if self.wait_ticks == 0 || self.wait_ticks > MAX_COUNTER {
            return bad(
                "WaitTicks",
                format!("{} is outside 1..={MAX_COUNTER}", self.wait_ticks),
            );
        }
        if self.permitted == 0 || self.permitted > MAX_COUNTER {
            return bad(
                "Permitted",
                format!("{} is outside 1..={MAX_COUNTER}", self.permitted),
            );
        }
        if self.threshold_den == 0 || self.threshold_den > 1_000_000 {
            return bad(
                "ThresholdDen",
                format!("{} is outside 1..=1000000", self.threshold_den),
            );
        }
        if self.threshold_num > self.threshold_den {
            return bad(
                "ThresholdNum",
                format!(
                    "{} is above ThresholdDen ({}): a rate is at most 1",
                    self.threshold_num, self.threshold_den
                ),
            );
        }
        Ok(self)
    }

    /// The constants by their TLA+ names.
    pub fn constants(&self) -> Vec<(&'static str, String)> {
        vec![
            ("MinimumCalls", self.minimum_calls.to_string()),
            ("WindowSize", self.window_size.to_string()),
            ("WaitTicks", self.wait_ticks.to_string()),
            ("Permitted", self.permitted.to_string()),
            ("ThresholdNum", self.threshold_num.to_string()),
            ("ThresholdDen", self.threshold_den.to_string()),
            ("Comparison", format!("\"{}\"", self.comparison.tla_name())),
        ]
    }

    /// True when `window`'s failure rate crosses the threshold, whatever its length; an empty
    /// window's rate is 0 (0 failures of "1" call: `0/0` must not read as crossing `>= θ`).
    pub fn rate_crosses(&self, window: Window) -> bool {
        self.comparison.crosses(
            u64::from(window.failures()),
            u64::from(window.len).max(1),
            self.threshold_num,
            self.threshold_den,
        )
    }

    /// resilience4j's trip condition: enough calls and the rate crosses the threshold.
    pub fn trips(&self, window: Window) -> bool {
        u64::from(window.len) >= self.minimum_calls && self.rate_crosses(window)
    }
}

/// The last outcomes, oldest first: bit `i` is outcome `i + 1` of the TLA+ sequence, set for
/// a failure.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Window {
    len: u8,
    bits: u16,
}

impl Window {
    /// The window after recording `failed`, dropping the oldest outcome when `size` are held.
    pub fn record(self, failed: bool, size: u64) -> Window {
        let (len, bits) = if u64::from(self.len) == size {
            (self.len, self.bits >> 1)
        } else {
            (self.len + 1, self.bits)
        };
        Window {
            len,
            bits: bits | (u16::from(failed) << (len - 1)),
        }
    }

    /// Outcomes held.
    pub fn len(self) -> u8 {
        self.len
    }

    /// True when no outcome is held.
    pub fn is_empty(self) -> bool {
        self.len == 0
    }

    /// Failures held.
    pub fn failures(self) -> u32 {
        self.bits.count_ones()
    }

    /// The TLA+ sequence: `TRUE` for a failure.
    pub fn outcomes(self) -> Vec<bool> {
        (0..self.len).map(|i| self.bits >> i & 1 == 1).collect()
    }
}

/// The breaker's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Mode {
    /// Calls pass and are recorded.
    Closed,
    /// Every call is rejected.
    Open,
    /// A limited number of probes pass.
    HalfOpen,
}

impl Mode {
    /// The TLA+ string.
    pub fn tla_name(self) -> &'static str {
        match self {
            Mode::Closed => "closed",
            Mode::Open => "open",
            Mode::HalfOpen => "half_open",
        }
    }
}

/// The backend's behaviour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Backend {
    /// A call may succeed or fail.
    Flaky,
    /// Every call succeeds, for good.
    Healthy,
    /// Every call fails, for good.
    Failing,
}

impl Backend {
    /// The TLA+ string.
    pub fn tla_name(self) -> &'static str {
        match self {
            Backend::Flaky => "flaky",
            Backend::Healthy => "healthy",
            Backend::Failing => "failing",
        }
    }

    /// Whether a call may succeed.
    pub fn may_succeed(self) -> bool {
        self != Backend::Failing
    }

    /// Whether a call may fail.
    pub fn may_fail(self) -> bool {
        self != Backend::Healthy
    }
}

/// A state of [`Breaker`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BreakerState {
    /// `state`.
    pub mode: Mode,
    /// `window`: recorded outcomes (Closed), or the window the breaker tripped on.
    pub window: Window,
    /// `countdown`: ticks left in Open (0 otherwise).
    pub countdown: u8,
    /// `admitted`: probes admitted in this HalfOpen period.
    pub admitted: u8,
    /// `succeeded`: probes of this HalfOpen period that succeeded.
    pub succeeded: u8,
    /// `backend`.
    pub backend: Backend,
    /// `openAdmitted`: history, some call was admitted while Open.
    pub open_admitted: bool,
}

/// The TLA+ actions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BreakerAction {
    /// Closed: a call succeeds and is recorded.
    Succeed,
    /// Closed: a call fails and is recorded.
    Fail,
    /// HalfOpen: a probe is admitted.
    Probe,
    /// HalfOpen: an admitted probe succeeds.
    ProbeSucceed,
    /// HalfOpen: an admitted probe fails.
    ProbeFail,
    /// The clock ticks (Open counts down).
    Tick,
    /// The backend turns healthy for good.
    Heal,
    /// The backend turns failing for good.
    Degrade,
}

impl BreakerAction {
    /// Every action, in the order `actions` lists them.
    pub const ALL: [BreakerAction; 8] = [
        BreakerAction::Succeed,
        BreakerAction::Fail,
        BreakerAction::Probe,
        BreakerAction::ProbeSucceed,
        BreakerAction::ProbeFail,
        BreakerAction::Tick,
        BreakerAction::Heal,
        BreakerAction::Degrade,
    ];
}

/// The fairness group of the client's steps.
pub const CLIENT: usize = 0;
/// The fairness group of the clock.
pub const CLOCK: usize = 1;

/// The model.
#[derive(Clone, Debug)]
pub struct Breaker {
    config: BreakerConfig,
}

impl Breaker {
    /// A breaker with validated constants.
    pub fn new(config: BreakerConfig) -> Result<Self, RangeError> {
        Ok(Breaker {
            config: config.validate()?,
        })
    }

    /// The constants.
    pub fn config(&self) -> &BreakerConfig {
        &self.config
    }

    fn to_open(&self, s: &BreakerState) -> BreakerState {
        BreakerState {
            mode: Mode::Open,
            countdown: self.config.wait_ticks as u8,
            admitted: 0,
            succeeded: 0,
            ..*s
        }
    }

    /// The successor by `action` when its guard holds (it may equal `s`: a stuttering step,
    /// which [`Model::actions`] leaves out).
    pub fn step(&self, s: &BreakerState, action: BreakerAction) -> Option<BreakerState> {
        let c = &self.config;
        match action {
            BreakerAction::Succeed | BreakerAction::Fail => {
                let failed = action == BreakerAction::Fail;
                let allowed = if failed {
                    s.backend.may_fail()
                } else {
                    s.backend.may_succeed()
                };
                if s.mode != Mode::Closed || !allowed {
                    return None;
                }
                let next = BreakerState {
                    window: s.window.record(failed, c.window_size),
                    ..*s
                };
                Some(if c.trips(next.window) {
                    self.to_open(&next)
                } else {
                    next
                })
            }
            BreakerAction::Probe => (s.mode == Mode::HalfOpen
                && u64::from(s.admitted) < c.permitted)
                .then(|| BreakerState {
                    admitted: s.admitted + 1,
                    ..*s
                }),
            BreakerAction::ProbeSucceed => {
                if s.mode != Mode::HalfOpen || s.admitted <= s.succeeded || !s.backend.may_succeed()
                {
                    return None;
                }
                Some(if u64::from(s.succeeded) + 1 == c.permitted {
                    BreakerState {
                        mode: Mode::Closed,
                        window: Window::default(),
                        admitted: 0,
                        succeeded: 0,
                        ..*s
                    }
                } else {
                    BreakerState {
                        succeeded: s.succeeded + 1,
                        ..*s
                    }
                })
            }
            BreakerAction::ProbeFail => {
                (s.mode == Mode::HalfOpen && s.admitted > s.succeeded && s.backend.may_fail())
                    .then(|| self.to_open(s))
            }
            BreakerAction::Tick => (s.mode == Mode::Open).then(|| {
                if s.countdown > 1 {
                    BreakerState {
                        countdown: s.countdown - 1,
                        ..*s
                    }
                } else {
                    BreakerState {
                        mode: Mode::HalfOpen,
                        countdown: 0,
                        ..*s
                    }
                }
            }),
            BreakerAction::Heal => (s.backend == Backend::Flaky).then_some(BreakerState {
                backend: Backend::Healthy,
                ..*s
            }),
            BreakerAction::Degrade => (s.backend == Backend::Flaky).then_some(BreakerState {
                backend: Backend::Failing,
                ..*s
            }),
        }
    }
}

/// `state = "closed"`.
pub fn is_closed(s: &BreakerState) -> bool {
    s.mode == Mode::Closed
}

impl Model for Breaker {
    type State = BreakerState;
    type Action = BreakerAction;

    fn init_states(&self) -> Vec<BreakerState> {
        vec![BreakerState {
            mode: Mode::Closed,
            window: Window::default(),
            countdown: 0,
            admitted: 0,
            succeeded: 0,
            backend: Backend::Flaky,
            open_admitted: false,
        }]
    }

    fn actions(&self, s: &BreakerState, actions: &mut Vec<BreakerAction>) {
        actions.extend(
            BreakerAction::ALL
                .into_iter()
                .filter(|&a| self.step(s, a).is_some_and(|t| t != *s)),
        );
    }

    fn next_state(&self, s: &BreakerState, action: BreakerAction) -> Option<BreakerState> {
        self.step(s, action)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        breaker_properties()
    }
}

/// The `always`/`sometimes` properties shared by [`Breaker`] and test-only wrappers of it.
pub fn breaker_properties<M>() -> Vec<Property<M>>
where
    M: Model<State = BreakerState> + AsRef<Breaker>,
{
    vec![
        Property::always("no_call_while_open", |_: &M, s: &BreakerState| {
            !s.open_admitted
        }),
        Property::always(
            "halfopen_admits_at_most_permitted",
            |m: &M, s: &BreakerState| u64::from(s.admitted) <= m.as_ref().config.permitted,
        ),
        Property::always("no_trip_below_minimum", |m: &M, s: &BreakerState| {
            s.mode == Mode::Closed || u64::from(s.window.len()) >= m.as_ref().config.minimum_calls
        }),
        Property::always("deadlock_free", |m: &M, s: &BreakerState| {
            m.as_ref().enabled(s)
        }),
        Property::sometimes("halfopen_reachable", |_: &M, s: &BreakerState| {
            s.mode == Mode::HalfOpen
        }),
    ]
}

impl AsRef<Breaker> for Breaker {
    fn as_ref(&self) -> &Breaker {
        self
    }
}

impl Breaker {
    /// TLC's deadlock check: some action's guard holds (a stuttering step counts, as in TLC).
    pub fn enabled(&self, s: &BreakerState) -> bool {
        BreakerAction::ALL
            .into_iter()
            .any(|a| self.step(s, a).is_some())
    }
}

/// The TLA+ variables of a [`BreakerState`].
#[derive(Debug, Serialize)]
pub struct BreakerView {
    /// `state`.
    pub state: &'static str,
    /// `window` (`TRUE`: a failure), oldest first.
    pub window: Vec<bool>,
    /// `countdown`.
    pub countdown: u8,
    /// `admitted`.
    pub admitted: u8,
    /// `succeeded`.
    pub succeeded: u8,
    /// `backend`.
    pub backend: &'static str,
    /// `openAdmitted`.
    #[serde(rename = "openAdmitted")]
    pub open_admitted: bool,
}

/// `Spec::view` for breaker states.
pub fn breaker_view(s: &BreakerState) -> BreakerView {
    BreakerView {
        state: s.mode.tla_name(),
        window: s.window.outcomes(),
        countdown: s.countdown,
        admitted: s.admitted,
        succeeded: s.succeeded,
        backend: s.backend.tla_name(),
        open_admitted: s.open_admitted,
    }
}

/// `Spec::fairness_group` for breaker actions.
pub fn breaker_fairness(action: &BreakerAction) -> Option<usize> {
    match action {
        BreakerAction::Succeed
        | BreakerAction::Fail
        | BreakerAction::Probe
        | BreakerAction::ProbeSucceed
        | BreakerAction::ProbeFail => Some(CLIENT),
        BreakerAction::Tick => Some(CLOCK),
        BreakerAction::Heal | BreakerAction::Degrade => None,
    }
}

/// `opens_under_failure`, shared with wrappers.
pub fn opens_under_failure<M: Spec<State = BreakerState>>() -> Liveness<M> {
    Liveness {
        name: "opens_under_failure",
        description: "backend = \"failing\" ~> state = \"open\": if every call fails from some \
                      point on, the breaker eventually opens (weak fairness on the client and \
                      the clock)",
        instances: 1,
        trigger: Some(|_, s, _| s.backend == Backend::Failing),
        goal: |_, s, _| s.mode == Mode::Open,
    }
}

/// `recovers`, shared with wrappers: a persistence property (`~> []`).
pub fn recovers<M: Spec<State = BreakerState>>() -> Liveness<M> {
    Liveness {
        name: "recovers",
        description: "backend = \"healthy\" ~> [](state = \"closed\"): if the backend stays \
                      healthy from some point on, the breaker eventually stays Closed (weak \
                      fairness on the client and the clock)",
        instances: 1,
        trigger: Some(|_, s, _| s.backend == Backend::Healthy),
        goal: |_, s, _| is_closed(s),
    }
}

/// `Spec::describe` for the breaker properties.
pub fn describe_breaker(property: &str) -> &'static str {
    match property {
        "no_call_while_open" => "no call is admitted while the breaker is Open",
        "halfopen_admits_at_most_permitted" => {
            "HalfOpen admits at most Permitted probes per period (resilience4j #1090, #1432)"
        }
        "no_trip_below_minimum" => {
            "the breaker leaves Closed only on a window of at least MinimumCalls outcomes"
        }
        "deadlock_free" => "some step is always possible",
        "halfopen_reachable" => "the breaker can reach HalfOpen",
        _ => "",
    }
}

impl Spec for Breaker {
    type View = BreakerView;

    fn view(&self, s: &BreakerState) -> BreakerView {
        breaker_view(s)
    }

    fn action_name(&self, action: &BreakerAction) -> String {
        format!("{action:?}")
    }

    fn fairness_group(&self, action: &BreakerAction) -> Option<usize> {
        breaker_fairness(action)
    }

    fn is_terminal(&self, _: &BreakerState) -> bool {
        false
    }

    fn liveness(&self) -> Vec<Liveness<Self>> {
        vec![opens_under_failure()]
    }

    fn persistence(&self) -> Vec<Liveness<Self>> {
        vec![recovers()]
    }

    fn describe(&self, property: &str) -> &'static str {
        describe_breaker(property)
    }

    fn constants(&self) -> Vec<(&'static str, String)> {
        self.config.constants()
    }

    fn deadlock_free(&self, s: &BreakerState) -> bool {
        self.enabled(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> BreakerConfig {
        BreakerConfig {
            minimum_calls: 4,
            window_size: 4,
            wait_ticks: 3,
            permitted: 2,
            threshold_num: 1,
            threshold_den: 2,
            comparison: Comparison::Greater,
        }
    }

    #[test]
    fn the_window_slides() {
        let mut w = Window::default();
        for failed in [true, false, false, true, true] {
            w = w.record(failed, 4);
        }
        assert_eq!(w.outcomes(), [false, false, true, true]);
        assert_eq!(w.failures(), 2);
    }

    #[test]
    fn comparison_decides_the_tie() {
        let mut w = Window::default();
        for failed in [true, true, false, false] {
            w = w.record(failed, 4);
        }
        assert!(!config().trips(w));
        let ge = BreakerConfig {
            comparison: Comparison::GreaterOrEqual,
            ..config()
        };
        assert!(ge.trips(w));
    }

    #[test]
    fn constants_out_of_range_are_refused() {
        for bad in [
            BreakerConfig {
                minimum_calls: 5,
                ..config()
            },
            BreakerConfig {
                window_size: 17,
                minimum_calls: 4,
                ..config()
            },
            BreakerConfig {
                wait_ticks: 0,
                ..config()
            },
            BreakerConfig {
                permitted: 0,
                ..config()
            },
            BreakerConfig {
                threshold_den: 0,
                ..config()
            },
            BreakerConfig {
                threshold_num: 3,
                ..config()
            },
        ] {
            assert!(Breaker::new(bad).is_err(), "{bad:?}");
        }
    }
}
