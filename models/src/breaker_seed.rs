//! `breaker-seed`: the design document's breaker formula (section 2.2) read literally; the
//! port of `tla/BreakerSeed.tla` (same variables, actions and properties).
//!
//! ```text
//! CircuitBreaker(t) = Open      if ErrorRate(t) > θ
//!                     HalfOpen  if TimeSinceOpen > Δt
//!                     Closed    otherwise
//! ```
//!
//! `state` is recomputed by this formula after every step, as a function of the current
//! count-based window (the last `WindowSize` outcomes; an empty window has rate 0) and of
//! `sinceOpen`, the ticks since the breaker last became Open (saturating at `WaitTicks + 1`,
//! i.e. "> Δt"). Before the first opening TimeSinceOpen is taken as not exceeding Δt (read as
//! "infinite", the breaker would start HalfOpen). Open rejects calls; Closed and HalfOpen
//! admit every call (the formula names no probe limit) and record it in the window. The
//! formula ignores `MinimumCalls` and `Permitted`; the properties still state the settings.
//!
//! The flaw the properties expose: once the rate crosses θ the window is frozen (Open
//! records nothing), so after Δt both conditions hold, the first case wins for ever, and
//! HalfOpen is dead. Backend, fairness and history variables are as in
//! [`crate::breaker`].

use crate::breaker::{breaker_fairness, describe_breaker, Backend, BreakerConfig, Mode, Window};
use crate::constant::RangeError;
use crate::spec::{Liveness, Spec};
use serde::{Deserialize, Serialize};
use stateright::{Model, Property};

/// The model.
#[derive(Clone, Debug)]
pub struct BreakerSeed {
    config: BreakerConfig,
}

impl BreakerSeed {
    /// The seed's breaker with validated constants (`Comparison` is the seed's `>` by
    /// default; `>=` is accepted to show the flaw does not depend on it).
    pub fn new(config: BreakerConfig) -> Result<Self, RangeError> {
        Ok(BreakerSeed {
            config: config.validate()?,
        })
    }

    /// The formula.
    pub fn mode(&self, window: Window, opened: bool, since_open: u8) -> Mode {
        if self.config.rate_crosses(window) {
            Mode::Open
        } else if opened && u64::from(since_open) > self.config.wait_ticks {
            Mode::HalfOpen
        } else {
            Mode::Closed
        }
    }

    fn with_mode(&self, s: SeedBreakerState) -> SeedBreakerState {
        SeedBreakerState {
            state: self.mode(s.window, s.opened, s.since_open),
            ..s
        }
    }

    /// The successor by `action` when its guard holds (it may equal `s`).
    pub fn step(&self, s: &SeedBreakerState, action: SeedAction) -> Option<SeedBreakerState> {
        let c = &self.config;
        match action {
            SeedAction::Succeed | SeedAction::Fail => {
                let failed = action == SeedAction::Fail;
                let allowed = if failed {
                    s.backend.may_fail()
                } else {
                    s.backend.may_succeed()
                };
                if s.state == Mode::Open || !allowed {
                    return None;
                }
                let window = s.window.record(failed, c.window_size);
                let trips = c.rate_crosses(window);
                Some(self.with_mode(SeedBreakerState {
                    window,
                    opened: s.opened || trips,
                    since_open: if trips { 0 } else { s.since_open },
                    half_calls: if s.state == Mode::HalfOpen {
                        (s.half_calls + 1).min(c.permitted as u8 + 1)
                    } else {
                        0
                    },
                    ..*s
                }))
            }
            SeedAction::Tick => (s.opened && u64::from(s.since_open) <= c.wait_ticks).then(|| {
                self.with_mode(SeedBreakerState {
                    since_open: s.since_open + 1,
                    ..*s
                })
            }),
            SeedAction::Heal => (s.backend == Backend::Flaky).then_some(SeedBreakerState {
                backend: Backend::Healthy,
                ..*s
            }),
            SeedAction::Degrade => (s.backend == Backend::Flaky).then_some(SeedBreakerState {
                backend: Backend::Failing,
                ..*s
            }),
        }
    }

    /// TLC's deadlock check: some action's guard holds.
    pub fn enabled(&self, s: &SeedBreakerState) -> bool {
        SeedAction::ALL
            .into_iter()
            .any(|a| self.step(s, a).is_some())
    }
}

/// A state of [`BreakerSeed`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SeedBreakerState {
    /// `state`: the formula's value.
    pub state: Mode,
    /// `window`.
    pub window: Window,
    /// `opened`: the breaker has been Open at least once.
    pub opened: bool,
    /// `sinceOpen`: ticks since it last became Open, saturating at `WaitTicks + 1`.
    pub since_open: u8,
    /// `halfCalls`: calls admitted while HalfOpen in a row, saturating at `Permitted + 1`.
    pub half_calls: u8,
    /// `backend`.
    pub backend: Backend,
    /// `openAdmitted`: history, some call was admitted while Open.
    pub open_admitted: bool,
}

/// The TLA+ actions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SeedAction {
    /// A call (Closed or HalfOpen) succeeds and is recorded.
    Succeed,
    /// A call (Closed or HalfOpen) fails and is recorded.
    Fail,
    /// The clock ticks (`sinceOpen` grows).
    Tick,
    /// The backend turns healthy for good.
    Heal,
    /// The backend turns failing for good.
    Degrade,
}

impl SeedAction {
    /// Every action, in the order `actions` lists them.
    pub const ALL: [SeedAction; 5] = [
        SeedAction::Succeed,
        SeedAction::Fail,
        SeedAction::Tick,
        SeedAction::Heal,
        SeedAction::Degrade,
    ];

    fn as_breaker_action(self) -> crate::breaker::BreakerAction {
        use crate::breaker::BreakerAction as B;
        match self {
            SeedAction::Succeed => B::Succeed,
            SeedAction::Fail => B::Fail,
            SeedAction::Tick => B::Tick,
            SeedAction::Heal => B::Heal,
            SeedAction::Degrade => B::Degrade,
        }
    }
}

impl Model for BreakerSeed {
    type State = SeedBreakerState;
    type Action = SeedAction;

    fn init_states(&self) -> Vec<SeedBreakerState> {
        vec![SeedBreakerState {
            state: Mode::Closed,
            window: Window::default(),
            opened: false,
            since_open: 0,
            half_calls: 0,
            backend: Backend::Flaky,
            open_admitted: false,
        }]
    }

    fn actions(&self, s: &SeedBreakerState, actions: &mut Vec<SeedAction>) {
        actions.extend(
            SeedAction::ALL
                .into_iter()
                .filter(|&a| self.step(s, a).is_some_and(|t| t != *s)),
        );
    }

    fn next_state(&self, s: &SeedBreakerState, action: SeedAction) -> Option<SeedBreakerState> {
        self.step(s, action)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            Property::always("no_call_while_open", |_: &Self, s: &SeedBreakerState| {
                !s.open_admitted
            }),
            Property::always(
                "halfopen_admits_at_most_permitted",
                |m: &Self, s: &SeedBreakerState| u64::from(s.half_calls) <= m.config.permitted,
            ),
            Property::always("no_trip_below_minimum", |m: &Self, s: &SeedBreakerState| {
                s.state == Mode::Closed || u64::from(s.window.len()) >= m.config.minimum_calls
            }),
            Property::always("deadlock_free", |m: &Self, s: &SeedBreakerState| {
                m.enabled(s)
            }),
            Property::sometimes("halfopen_reachable", |_: &Self, s: &SeedBreakerState| {
                s.state == Mode::HalfOpen
            }),
        ]
    }
}

/// The TLA+ variables of a [`SeedBreakerState`].
#[derive(Debug, Serialize)]
pub struct SeedBreakerView {
    /// `state`.
    pub state: &'static str,
    /// `window` (`TRUE`: a failure), oldest first.
    pub window: Vec<bool>,
    /// `opened`.
    pub opened: bool,
    /// `sinceOpen`.
    #[serde(rename = "sinceOpen")]
    pub since_open: u8,
    /// `halfCalls`.
    #[serde(rename = "halfCalls")]
    pub half_calls: u8,
    /// `backend`.
    pub backend: &'static str,
    /// `openAdmitted`.
    #[serde(rename = "openAdmitted")]
    pub open_admitted: bool,
}

impl Spec for BreakerSeed {
    type View = SeedBreakerView;

    fn view(&self, s: &SeedBreakerState) -> SeedBreakerView {
        SeedBreakerView {
            state: s.state.tla_name(),
            window: s.window.outcomes(),
            opened: s.opened,
            since_open: s.since_open,
            half_calls: s.half_calls,
            backend: s.backend.tla_name(),
            open_admitted: s.open_admitted,
        }
    }

    fn action_name(&self, action: &SeedAction) -> String {
        format!("{action:?}")
    }

    fn fairness_group(&self, action: &SeedAction) -> Option<usize> {
        breaker_fairness(&action.as_breaker_action())
    }

    fn is_terminal(&self, _: &SeedBreakerState) -> bool {
        false
    }

    fn liveness(&self) -> Vec<Liveness<Self>> {
        vec![Liveness {
            name: "opens_under_failure",
            description: "backend = \"failing\" ~> state = \"open\": if every call fails from \
                          some point on, the breaker eventually opens (weak fairness on the \
                          client and the clock)",
            instances: 1,
            trigger: Some(|_, s, _| s.backend == Backend::Failing),
            goal: |_, s, _| s.state == Mode::Open,
        }]
    }

    fn persistence(&self) -> Vec<Liveness<Self>> {
        vec![Liveness {
            name: "recovers",
            description: "backend = \"healthy\" ~> [](state = \"closed\"): if the backend stays \
                          healthy from some point on, the breaker eventually stays Closed (weak \
                          fairness on the client and the clock)",
            instances: 1,
            trigger: Some(|_, s, _| s.backend == Backend::Healthy),
            goal: |_, s, _| s.state == Mode::Closed,
        }]
    }

    fn describe(&self, property: &str) -> &'static str {
        describe_breaker(property)
    }

    fn constants(&self) -> Vec<(&'static str, String)> {
        self.config.constants()
    }

    fn deadlock_free(&self, s: &SeedBreakerState) -> bool {
        self.enabled(s)
    }
}
