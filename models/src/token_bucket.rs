//! `token-bucket`: the design document's `TokenBucket` (section 2.2) with discrete time; the
//! port of `tla/TokenBucket.tla` (same variables, actions and properties).
//!
//! The bucket starts full (`tokens = Capacity`, as the Python `__init__`). `Acquire` takes
//! one token when one is there (`acquire(tokens=1)`; a refused acquire changes nothing and
//! is not a step). Time advances in ticks; each `Tick` adds `Rate` tokens, capped at
//! `Capacity` (the Python `refill` with `elapsed = 1`: its lazy refill inside `acquire` is
//! observationally the same as refilling at every tick). `recent` counts the acquisitions of
//! the current tick period and of the `RateWindow` periods before it, so its sum is what
//! succeeded over an interval containing `RateWindow` ticks. Clients may stop for good
//! (`StopDemand`, under no fairness); only the clock is weakly fair.

use crate::constant::RangeError;
use crate::packed;
use crate::spec::{Liveness, Spec};
use serde::{Deserialize, Serialize};
use stateright::{Model, Property};

/// The largest `Capacity` and `Rate` (8-bit fields).
pub const MAX_TOKENS: u64 = 255;
/// The largest `RateWindow` (`RateWindow + 1` 8-bit periods in a `u128`).
pub const MAX_RATE_WINDOW: u64 = 15;

/// The bucket's constants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BucketConfig {
    /// `Capacity`.
    pub capacity: u64,
    /// `Rate`: tokens added per tick.
    pub rate: u64,
    /// `RateWindow`: ticks in the interval the rate property bounds.
    pub rate_window: u64,
}

/// The model.
#[derive(Clone, Debug)]
pub struct TokenBucket {
    config: BucketConfig,
}

/// A state: 8 bits of acquisitions per period, newest period in field 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BucketState {
    /// `tokens`.
    pub tokens: u8,
    /// `recent`, packed.
    pub recent: u128,
    /// `demand`: clients still call `acquire`.
    pub demand: bool,
}

/// The TLA+ actions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BucketAction {
    /// One token is taken.
    Acquire,
    /// The clock ticks: `Rate` tokens added, capped; a new period starts.
    Tick,
    /// The clients stop for good.
    StopDemand,
}

impl BucketAction {
    /// Every action, in the order `actions` lists them.
    pub const ALL: [BucketAction; 3] = [
        BucketAction::Acquire,
        BucketAction::Tick,
        BucketAction::StopDemand,
    ];
}

/// The fairness group of the clock (the only fair action).
pub const CLOCK: usize = 0;

impl TokenBucket {
    /// A bucket with validated constants.
    pub fn new(config: BucketConfig) -> Result<Self, RangeError> {
        let bad = |constant, reason: String| Err(RangeError { constant, reason });
        if config.capacity == 0 || config.capacity > MAX_TOKENS {
            return bad(
                "Capacity",
                format!("{} is outside 1..={MAX_TOKENS}", config.capacity),
            );
        }
        if config.rate == 0 || config.rate > MAX_TOKENS {
            return bad(
                "Rate",
                format!("{} is outside 1..={MAX_TOKENS}", config.rate),
            );
        }
        if config.rate_window == 0 || config.rate_window > MAX_RATE_WINDOW {
            return bad(
                "RateWindow",
                format!("{} is outside 1..={MAX_RATE_WINDOW}", config.rate_window),
            );
        }
        Ok(TokenBucket { config })
    }

    /// The constants.
    pub fn config(&self) -> &BucketConfig {
        &self.config
    }

    /// Periods `recent` holds.
    pub fn periods(&self) -> usize {
        self.config.rate_window as usize + 1
    }

    /// Acquisitions in period `i` (0: the current one).
    pub fn recent(&self, s: &BucketState, i: usize) -> u64 {
        u64::from(packed::get(s.recent, 8, i))
    }

    /// Acquisitions over the last `RateWindow + 1` periods.
    pub fn acquired(&self, s: &BucketState) -> u64 {
        (0..self.periods()).map(|i| self.recent(s, i)).sum()
    }

    /// `Capacity + RateWindow * Rate`.
    pub fn bound(&self) -> u64 {
        self.config.capacity + self.config.rate_window * self.config.rate
    }

    /// `recent` after the current period gains one acquisition.
    pub fn count_acquire(&self, s: &BucketState) -> u128 {
        let now = packed::get(s.recent, 8, 0);
        packed::set(s.recent, 8, 0, now.saturating_add(1))
    }

    /// `recent` after a tick: a new, empty period; the oldest is dropped.
    pub fn shift(&self, s: &BucketState) -> u128 {
        let bits = 8 * self.periods() as u32;
        let mask = 1u128.checked_shl(bits).map_or(u128::MAX, |b| b - 1);
        (s.recent << 8) & mask
    }

    /// The successor by `action` when its guard holds (it may equal `s`).
    pub fn step(&self, s: &BucketState, action: BucketAction) -> Option<BucketState> {
        match action {
            BucketAction::Acquire => (s.demand && s.tokens >= 1).then(|| BucketState {
                tokens: s.tokens - 1,
                recent: self.count_acquire(s),
                ..*s
            }),
            BucketAction::Tick => Some(BucketState {
                tokens: (u64::from(s.tokens) + self.config.rate).min(self.config.capacity) as u8,
                recent: self.shift(s),
                ..*s
            }),
            BucketAction::StopDemand => s.demand.then_some(BucketState {
                demand: false,
                ..*s
            }),
        }
    }
}

impl Model for TokenBucket {
    type State = BucketState;
    type Action = BucketAction;

    fn init_states(&self) -> Vec<BucketState> {
        vec![BucketState {
            tokens: self.config.capacity as u8,
            recent: 0,
            demand: true,
        }]
    }

    fn actions(&self, s: &BucketState, actions: &mut Vec<BucketAction>) {
        actions.extend(
            BucketAction::ALL
                .into_iter()
                .filter(|&a| self.step(s, a).is_some_and(|t| t != *s)),
        );
    }

    fn next_state(&self, s: &BucketState, action: BucketAction) -> Option<BucketState> {
        self.step(s, action)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        bucket_properties()
    }
}

/// The `always`/`sometimes` properties, shared with test-only wrappers.
pub fn bucket_properties<M>() -> Vec<Property<M>>
where
    M: Model<State = BucketState> + AsRef<TokenBucket>,
{
    vec![
        Property::always("tokens_in_range", |m: &M, s: &BucketState| {
            u64::from(s.tokens) <= m.as_ref().config.capacity
        }),
        Property::always("rate_bounded", |m: &M, s: &BucketState| {
            m.as_ref().acquired(s) <= m.as_ref().bound()
        }),
        // Tick is always enabled (a stuttering Tick counts, as in TLC).
        Property::always("deadlock_free", |_: &M, _: &BucketState| true),
        Property::sometimes("burst_reachable", |m: &M, s: &BucketState| {
            m.as_ref().acquired(s) == m.as_ref().bound()
        }),
    ]
}

impl AsRef<TokenBucket> for TokenBucket {
    fn as_ref(&self) -> &TokenBucket {
        self
    }
}

/// The TLA+ variables of a [`BucketState`].
#[derive(Debug, Serialize)]
pub struct BucketView {
    /// `tokens`.
    pub tokens: u8,
    /// `recent`, current period first.
    pub recent: Vec<u64>,
    /// `demand`.
    pub demand: bool,
}

/// `Spec::view` for bucket states.
pub fn bucket_view(m: &TokenBucket, s: &BucketState) -> BucketView {
    BucketView {
        tokens: s.tokens,
        recent: (0..m.periods()).map(|i| m.recent(s, i)).collect(),
        demand: s.demand,
    }
}

/// `refills`, shared with wrappers: a persistence property (`~> []`).
pub fn refills<M: Spec<State = BucketState> + AsRef<TokenBucket>>() -> Liveness<M> {
    Liveness {
        name: "refills",
        description: "~demand ~> [](tokens = Capacity): with no demand the bucket refills to \
                      capacity and stays full (weak fairness on the clock)",
        instances: 1,
        trigger: Some(|_, s, _| !s.demand),
        goal: |m, s, _| u64::from(s.tokens) == m.as_ref().config.capacity,
    }
}

/// `Spec::describe` for the bucket properties.
pub fn describe_bucket(property: &str) -> &'static str {
    match property {
        "tokens_in_range" => "tokens stay within [0, Capacity]",
        "rate_bounded" => {
            "over any interval of RateWindow ticks at most Capacity + RateWindow * Rate \
             acquisitions succeed"
        }
        "deadlock_free" => "some step is always possible",
        "burst_reachable" => "the rate bound is tight: Capacity + RateWindow * Rate is reached",
        _ => "",
    }
}

/// `Spec::fairness_group` for bucket actions.
pub fn bucket_fairness(action: &BucketAction) -> Option<usize> {
    (*action == BucketAction::Tick).then_some(CLOCK)
}

impl Spec for TokenBucket {
    type View = BucketView;

    fn view(&self, s: &BucketState) -> BucketView {
        bucket_view(self, s)
    }

    fn action_name(&self, action: &BucketAction) -> String {
        format!("{action:?}")
    }

    fn fairness_group(&self, action: &BucketAction) -> Option<usize> {
        bucket_fairness(action)
    }

    fn is_terminal(&self, _: &BucketState) -> bool {
        false
    }

    fn liveness(&self) -> Vec<Liveness<Self>> {
        Vec::new()
    }

    fn persistence(&self) -> Vec<Liveness<Self>> {
        vec![refills()]
    }

    fn describe(&self, property: &str) -> &'static str {
        describe_bucket(property)
    }

    fn constants(&self) -> Vec<(&'static str, String)> {
        vec![
            ("Capacity", self.config.capacity.to_string()),
            ("Rate", self.config.rate.to_string()),
            ("RateWindow", self.config.rate_window.to_string()),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_out_of_range_are_refused() {
        let ok = BucketConfig {
            capacity: 3,
            rate: 1,
            rate_window: 3,
        };
        assert!(TokenBucket::new(ok).is_ok());
        for bad in [
            BucketConfig { capacity: 0, ..ok },
            BucketConfig {
                capacity: 256,
                ..ok
            },
            BucketConfig { rate: 0, ..ok },
            BucketConfig {
                rate_window: 0,
                ..ok
            },
            BucketConfig {
                rate_window: 16,
                ..ok
            },
        ] {
            assert!(TokenBucket::new(bad).is_err(), "{bad:?}");
        }
    }
}
