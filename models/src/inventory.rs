//! `inventory`: flash-sale stock at the granularity a real service executes; the port of
//! `tla/Inventory.tla` (same variables, actions and properties).
//!
//! Each user makes one request that reserves one unit or is told sold out; a reservation is
//! then paid or times out and goes back to stock. [`Deduction`] selects an atomic
//! check-and-decrement or the read-then-write race, which must oversell.

use crate::constant::RangeError;
use crate::packed;
use crate::spec::{Liveness, Spec};
use serde::{Deserialize, Serialize};
use stateright::{Model, Property};

/// The most users a state can hold (8 bits of `seen` per user in a `u128`).
pub const MAX_USERS: u8 = 16;
/// The largest stock `read_then_write` can record in a user's 8-bit `seen`.
pub const MAX_STOCK: u16 = 255;

/// How a reservation takes a unit from stock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Deduction {
    /// Check and decrement in one step (a Redis Lua script, `UPDATE … WHERE stock > 0`).
    Atomic,
    /// Read the stock into a local, decide and write `seen - 1` later: the lost-update race.
    ReadThenWrite,
}

impl Deduction {
    /// The TLA+ string constant for this mode.
    pub fn tla_name(self) -> &'static str {
        match self {
            Deduction::Atomic => "atomic",
            Deduction::ReadThenWrite => "read_then_write",
        }
    }

    /// Parses the TLA+ string constant (`atomic`, `read_then_write`).
    pub fn from_tla_name(name: &str) -> Option<Self> {
        match name {
            "atomic" => Some(Deduction::Atomic),
            "read_then_write" => Some(Deduction::ReadThenWrite),
            _ => None,
        }
    }
}

/// The model: `Users` users buying from `Stock` units.
#[derive(Clone, Debug)]
pub struct Inventory {
    users: u8,
    stock: u16,
    deduction: Deduction,
    /// The lowest bit of each user's phase field (see `packed::count_equal`).
    phase_low_bits: u64,
}

impl Inventory {
    /// A model with `users` users (1..=16) and `stock` units (≤ 255).
    pub fn new(users: u64, stock: u64, deduction: Deduction) -> Result<Self, RangeError> {
        if users == 0 || users > u64::from(MAX_USERS) {
            return Err(RangeError {
                constant: "Users",
                reason: format!("{users} is outside 1..={MAX_USERS}"),
            });
        }
        if stock > u64::from(MAX_STOCK) {
            return Err(RangeError {
                constant: "Stock",
                reason: format!("{stock} is above {MAX_STOCK}"),
            });
        }
        Ok(Inventory {
            users: users as u8,
            stock: stock as u16,
            deduction,
            phase_low_bits: packed::low_bits(PHASE_BITS, users as usize),
        })
    }

    fn user_ids(&self) -> impl Iterator<Item = usize> {
        0..usize::from(self.users)
    }

    /// Calls `f` with each enabled action until it returns false; returns false if stopped.
    /// The one statement of which actions are enabled, used by `actions` and `deadlock_free`.
    fn for_each_action(
        &self,
        state: &InventoryState,
        mut f: impl FnMut(InventoryAction) -> bool,
    ) -> bool {
        for u in self.user_ids() {
            let id = u as u8 + 1;
            let more = match state.phase(u) {
                Phase::Idle => f(match self.deduction {
                    Deduction::Atomic if state.available > 0 => InventoryAction::Reserve(id),
                    Deduction::Atomic => InventoryAction::Reject(id),
                    Deduction::ReadThenWrite => InventoryAction::Read(id),
                }),
                Phase::Reading if state.seen(u) > 0 => f(InventoryAction::Write(id)),
                Phase::Reading => f(InventoryAction::Reject(id)),
                Phase::Reserved => f(InventoryAction::Pay(id)) && f(InventoryAction::Timeout(id)),
                Phase::Sold | Phase::Released | Phase::Rejected => true,
            };
            if !more {
                return false;
            }
        }
        true
    }
}

/// A user's progress through one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Phase {
    /// Not yet asked.
    Idle = 0,
    /// Read the stock (read_then_write), not yet written.
    Reading = 1,
    /// Holds one unit, not yet paid.
    Reserved = 2,
    /// Paid: the unit is sold.
    Sold = 3,
    /// The reservation timed out and its unit went back to stock.
    Released = 4,
    /// Told "sold out".
    Rejected = 5,
}

impl Phase {
    const ALL: [Phase; 6] = [
        Phase::Idle,
        Phase::Reading,
        Phase::Reserved,
        Phase::Sold,
        Phase::Released,
        Phase::Rejected,
    ];

    /// The TLA+ string for this phase.
    pub fn tla_name(self) -> &'static str {
        match self {
            Phase::Idle => "idle",
            Phase::Reading => "reading",
            Phase::Reserved => "reserved",
            Phase::Sold => "sold",
            Phase::Released => "released",
            Phase::Rejected => "rejected",
        }
    }

    /// Sold, released or rejected: the request has ended.
    pub fn has_ended(self) -> bool {
        matches!(self, Phase::Sold | Phase::Released | Phase::Rejected)
    }
}

const PHASE_BITS: u32 = 3;
const SEEN_BITS: u32 = 8;

/// A state: 3 bits of phase and 8 bits of `seen` per user, packed, so a state is 32 bytes
/// with no heap allocation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InventoryState {
    phases: u64,
    seen: u128,
    available: u16,
    false_soldout: bool,
}

impl InventoryState {
    /// User `u`'s phase (0-based index).
    pub fn phase(&self, u: usize) -> Phase {
        Phase::ALL[usize::from(packed::get64(self.phases, PHASE_BITS, u))]
    }

    fn with_phase(&self, u: usize, phase: Phase) -> Self {
        let phases = packed::set64(self.phases, PHASE_BITS, u, phase as u8);
        InventoryState {
            phases,
            ..self.clone()
        }
    }

    /// The stock value user `u` read (read_then_write; 0 otherwise).
    pub fn seen(&self, u: usize) -> u16 {
        u16::from(packed::get(self.seen, SEEN_BITS, u))
    }

    fn with_seen(mut self, u: usize, value: u16) -> Self {
        self.seen = packed::set(self.seen, SEEN_BITS, u, value as u8);
        self
    }

    /// Units in the store.
    pub fn available(&self) -> u16 {
        self.available
    }

    /// True once some user was told sold out while units were available.
    pub fn false_soldout(&self) -> bool {
        self.false_soldout
    }

    fn count(&self, model: &Inventory, phase: Phase) -> u16 {
        packed::count_equal(self.phases, PHASE_BITS, model.phase_low_bits, phase as u8) as u16
    }
}

/// At most two integers instead of four fields: every generated state is hashed (by
/// stateright's fingerprint and flashcheck's cache of recent states) with ahash, one
/// multiply per integer written. phases: 3 bits × ≤ 16 users = 48 bits, available ≤ 255:
/// 8 bits, one flag bit; then `seen`, only when non-zero (always zero under `Atomic`).
/// Equal states write equal integers, as `Hash` requires.
impl std::hash::Hash for InventoryState {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u64(
            self.phases | u64::from(self.available) << 48 | u64::from(self.false_soldout) << 56,
        );
        if self.seen != 0 {
            state.write_u128(self.seen);
        }
    }
}

/// The TLA+ actions; the user is 1-based as in `UserIds == 1..Users`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InventoryAction {
    /// atomic: check and decrement in one step.
    Reserve(u8),
    /// read_then_write: read the stock into `seen`.
    Read(u8),
    /// read_then_write: write `seen - 1` back and hold a unit.
    Write(u8),
    /// The user is told sold out.
    Reject(u8),
    /// The reservation is paid.
    Pay(u8),
    /// The reservation timed out; its unit goes back to stock.
    Timeout(u8),
}

impl InventoryAction {
    fn user(self) -> u8 {
        match self {
            InventoryAction::Reserve(u)
            | InventoryAction::Read(u)
            | InventoryAction::Write(u)
            | InventoryAction::Reject(u)
            | InventoryAction::Pay(u)
            | InventoryAction::Timeout(u) => u,
        }
    }
}

impl Model for Inventory {
    type State = InventoryState;
    type Action = InventoryAction;

    fn init_states(&self) -> Vec<Self::State> {
        vec![InventoryState {
            phases: 0,
            seen: 0,
            available: self.stock,
            false_soldout: false,
        }]
    }

    fn actions(&self, state: &Self::State, actions: &mut Vec<Self::Action>) {
        self.for_each_action(state, |a| {
            actions.push(a);
            true
        });
    }

    fn next_state(&self, s: &Self::State, action: Self::Action) -> Option<Self::State> {
        let u = usize::from(action.user()) - 1;
        Some(match action {
            InventoryAction::Reserve(_) => InventoryState {
                available: s.available - 1,
                ..s.with_phase(u, Phase::Reserved)
            },
            InventoryAction::Read(_) => s.with_phase(u, Phase::Reading).with_seen(u, s.available),
            InventoryAction::Write(_) => InventoryState {
                available: s.seen(u) - 1,
                ..s.with_phase(u, Phase::Reserved).with_seen(u, 0)
            },
            InventoryAction::Reject(_) => InventoryState {
                false_soldout: s.false_soldout || s.available > 0,
                ..s.with_phase(u, Phase::Rejected).with_seen(u, 0)
            },
            InventoryAction::Pay(_) => s.with_phase(u, Phase::Sold),
            InventoryAction::Timeout(_) => InventoryState {
                available: s.available + 1,
                ..s.with_phase(u, Phase::Released)
            },
        })
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            Property::always("no_oversell", |m: &Inventory, s: &InventoryState| {
                s.count(m, Phase::Sold) + s.count(m, Phase::Reserved) <= m.stock
            }),
            Property::always("conservation", |m: &Inventory, s: &InventoryState| {
                s.available + s.count(m, Phase::Reserved) + s.count(m, Phase::Sold) == m.stock
            }),
            Property::always("no_false_soldout", |_: &Inventory, s: &InventoryState| {
                !s.false_soldout
            }),
            Property::always("deadlock_free", |m: &Inventory, s: &InventoryState| {
                m.deadlock_free(s)
            }),
            Property::sometimes("sold_out_reachable", |m: &Inventory, s: &InventoryState| {
                s.available == 0 && s.count(m, Phase::Sold) == m.stock
            }),
        ]
    }
}

/// The TLA+ variables of an [`InventoryState`].
#[derive(Debug, Serialize)]
pub struct InventoryView {
    /// `available`.
    pub available: u16,
    /// `phase`, indexed by user 1..Users.
    pub phase: Vec<&'static str>,
    /// `seen`, indexed by user 1..Users.
    pub seen: Vec<u16>,
    /// `falseSoldOut`.
    #[serde(rename = "falseSoldOut")]
    pub false_soldout: bool,
}

impl Spec for Inventory {
    type View = InventoryView;

    fn view(&self, s: &InventoryState) -> InventoryView {
        InventoryView {
            available: s.available,
            phase: self.user_ids().map(|u| s.phase(u).tla_name()).collect(),
            seen: self.user_ids().map(|u| s.seen(u)).collect(),
            false_soldout: s.false_soldout,
        }
    }

    fn action_name(&self, action: &InventoryAction) -> String {
        format!("{action:?}")
    }

    fn fairness_group(&self, action: &InventoryAction) -> Option<usize> {
        Some(usize::from(action.user()) - 1)
    }

    fn is_terminal(&self, s: &InventoryState) -> bool {
        self.user_ids().all(|u| s.phase(u).has_ended())
    }

    fn deadlock_free(&self, s: &InventoryState) -> bool {
        let has_successor = !self.for_each_action(s, |_| false);
        has_successor || self.is_terminal(s)
    }

    fn liveness(&self) -> Vec<Liveness<Self>> {
        vec![Liveness {
            name: "settles",
            description: "every request eventually ends sold, released or rejected \
                          (weak fairness on each user's steps)",
            instances: usize::from(self.users),
            trigger: None,
            goal: |_, s, u| s.phase(u).has_ended(),
        }]
    }

    fn describe(&self, property: &str) -> &'static str {
        match property {
            "no_oversell" => "stock never oversold: available >= 0 and sold + reserved <= Stock",
            "conservation" => "every unit is accounted for: available + reserved + sold = Stock",
            "no_false_soldout" => "a user is told sold out only when available = 0 at that moment",
            "deadlock_free" => "some step is always possible until every request has ended",
            "sold_out_reachable" => "the whole stock can be sold (available = 0, sold = Stock)",
            _ => "",
        }
    }

    fn constants(&self) -> Vec<(&'static str, String)> {
        vec![
            ("Users", self.users.to_string()),
            ("Stock", self.stock.to_string()),
            ("Deduction", format!("\"{}\"", self.deduction.tla_name())),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_then_write_loses_an_update() {
        let m = Inventory::new(2, 1, Deduction::ReadThenWrite).unwrap();
        let s0 = m.init_states().remove(0);
        let s1 = m.next_state(&s0, InventoryAction::Read(1)).unwrap();
        let s2 = m.next_state(&s1, InventoryAction::Read(2)).unwrap();
        let s3 = m.next_state(&s2, InventoryAction::Write(1)).unwrap();
        let s4 = m.next_state(&s3, InventoryAction::Write(2)).unwrap();
        assert_eq!(s4.phase(0), Phase::Reserved);
        assert_eq!(s4.phase(1), Phase::Reserved);
        assert_eq!(s4.available(), 0);
    }

    #[test]
    fn constants_out_of_range_are_refused() {
        assert!(Inventory::new(0, 1, Deduction::Atomic).is_err());
        assert!(Inventory::new(17, 1, Deduction::Atomic).is_err());
        assert!(Inventory::new(3, 256, Deduction::Atomic).is_err());
    }
}
