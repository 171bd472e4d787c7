//! `inventory-seed`: the PlusCal algorithm of the design document's section 3.2 (案例13.9),
//! ported from `tla/Double11Seed.tla` (the seed made valid, translated by `pcal.trans`).
//!
//! Every variable of the translation is kept, the dead `else` branch of `ProcessOrder`
//! included: `await inventory > 0` guards it, so `failures` never moves. The seed's three
//! properties are kept as it wrote them.

use crate::constant::RangeError;
use crate::spec::{Liveness, Spec};
use serde::{Deserialize, Serialize};
use stateright::{Model, Property};
use std::collections::BTreeSet;

/// The most users this port accepts.
pub const MAX_USERS: u64 = 16;

/// The model: processes `User \in 1..Users` buying from `Stock` units.
#[derive(Clone, Debug)]
pub struct Double11Seed {
    users: u8,
    stock: i64,
}

impl Double11Seed {
    /// A model with `users` user processes (1..=16) and `stock` units.
    pub fn new(users: u64, stock: u64) -> Result<Self, RangeError> {
        if users == 0 || users > MAX_USERS {
            return Err(RangeError {
                constant: "Users",
                reason: format!("{users} is outside 1..={MAX_USERS}"),
            });
        }
        let stock = i64::try_from(stock).map_err(|_| RangeError {
            constant: "Stock",
            reason: format!("{stock} is too large"),
        })?;
        Ok(Double11Seed {
            users: users as u8,
            stock,
        })
    }
}

/// A process's program counter (`pc[self]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Pc {
    /// Before `order := ...; processing := processing \cup {order}`.
    Enter,
    /// At `await inventory > 0; ProcessOrder(order)`.
    Buy,
    /// Finished.
    Done,
}

impl Pc {
    fn tla_name(self) -> &'static str {
        match self {
            Pc::Enter => "Enter",
            Pc::Buy => "Buy",
            Pc::Done => "Done",
        }
    }
}

/// The record `[id |-> self, status |-> "pending"]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Order {
    /// The user's id, 1-based.
    pub id: u8,
    /// Always "pending": the algorithm never changes it.
    pub status: &'static str,
}

/// Reads an order back (a multi-process check sends states between processes); its status
/// can only be "pending".
impl<'de> Deserialize<'de> for Order {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Owned {
            id: u8,
            status: String,
        }
        let order = Owned::deserialize(d)?;
        if order.status != "pending" {
            return Err(serde::de::Error::custom(format!(
                "order status {:?}, not \"pending\"",
                order.status
            )));
        }
        Ok(Order {
            id: order.id,
            status: "pending",
        })
    }
}

/// The variables of the translation.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SeedState {
    pc: Vec<Pc>,
    orders: BTreeSet<Order>,
    inventory: i64,
    failures: u64,
    processing: BTreeSet<Order>,
    /// `order[self]`; `None` is `defaultInitValue`.
    order: Vec<Option<Order>>,
}

/// The processes' steps; the user is 1-based.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SeedAction {
    /// Label `Enter`.
    Enter(u8),
    /// Label `Buy`.
    Buy(u8),
}

impl Model for Double11Seed {
    type State = SeedState;
    type Action = SeedAction;

    fn init_states(&self) -> Vec<SeedState> {
        let n = usize::from(self.users);
        vec![SeedState {
            pc: vec![Pc::Enter; n],
            orders: BTreeSet::new(),
            inventory: self.stock,
            failures: 0,
            processing: BTreeSet::new(),
            order: vec![None; n],
        }]
    }

    fn actions(&self, s: &SeedState, actions: &mut Vec<SeedAction>) {
        for (u, pc) in s.pc.iter().enumerate() {
            let id = u as u8 + 1;
            match pc {
                Pc::Enter => actions.push(SeedAction::Enter(id)),
                Pc::Buy if s.inventory > 0 => actions.push(SeedAction::Buy(id)),
                Pc::Buy | Pc::Done => {}
            }
        }
    }

    fn next_state(&self, s: &SeedState, action: SeedAction) -> Option<SeedState> {
        let mut next = s.clone();
        match action {
            SeedAction::Enter(id) => {
                let u = usize::from(id) - 1;
                let order = Order {
                    id,
                    status: "pending",
                };
                next.processing.insert(order.clone());
                next.order[u] = Some(order);
                next.pc[u] = Pc::Buy;
            }
            SeedAction::Buy(id) => {
                let u = usize::from(id) - 1;
                let order = s.order[u].clone()?;
                // ProcessOrder(order): the else branch is unreachable behind the await.
                if s.inventory > 0 {
                    next.inventory -= 1;
                    next.orders.insert(order.clone());
                } else {
                    next.failures += 1;
                }
                next.processing.remove(&order);
                next.pc[u] = Pc::Done;
            }
        }
        Some(next)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            Property::always("SafetyInvariant", |m: &Double11Seed, s: &SeedState| {
                s.inventory >= 0 && s.orders.len() as i64 + s.inventory == m.stock
            }),
            Property::always("deadlock_free", |m: &Double11Seed, s: &SeedState| {
                m.deadlock_free(s)
            }),
        ]
    }
}

/// The TLA+ variables of a [`SeedState`], as TLC's `-dumpTrace json` writes them.
#[derive(Debug, Serialize)]
pub struct SeedView {
    /// `pc`.
    pub pc: Vec<&'static str>,
    /// `orders`.
    pub orders: Vec<Order>,
    /// `inventory`.
    pub inventory: i64,
    /// `failures`.
    pub failures: u64,
    /// `processing`.
    pub processing: Vec<Order>,
    /// `order`; `defaultInitValue` for a process that has not entered.
    pub order: Vec<OrderSlot>,
}

/// `order[self]`: a record, or the model value `defaultInitValue`.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum OrderSlot {
    /// Assigned.
    Order(Order),
    /// Not yet assigned.
    Default(&'static str),
}

impl Spec for Double11Seed {
    type View = SeedView;

    fn view(&self, s: &SeedState) -> SeedView {
        SeedView {
            pc: s.pc.iter().map(|pc| pc.tla_name()).collect(),
            orders: s.orders.iter().cloned().collect(),
            inventory: s.inventory,
            failures: s.failures,
            processing: s.processing.iter().cloned().collect(),
            order: s
                .order
                .iter()
                .map(|o| match o {
                    Some(o) => OrderSlot::Order(o.clone()),
                    None => OrderSlot::Default("defaultInitValue"),
                })
                .collect(),
        }
    }

    fn action_name(&self, action: &SeedAction) -> String {
        format!("{action:?}")
    }

    fn fairness_group(&self, action: &SeedAction) -> Option<usize> {
        match action {
            SeedAction::Enter(id) | SeedAction::Buy(id) => Some(usize::from(*id) - 1),
        }
    }

    fn is_terminal(&self, s: &SeedState) -> bool {
        s.pc.iter().all(|pc| *pc == Pc::Done)
    }

    fn liveness(&self) -> Vec<Liveness<Self>> {
        vec![
            Liveness {
                name: "LivenessProperty",
                description:
                    "<>(\\A o \\in orders: o.status = \"completed\" \\/ o.status = \"failed\")",
                instances: 1,
                trigger: None,
                goal: |_, s, _| {
                    s.orders
                        .iter()
                        .all(|o| o.status == "completed" || o.status == "failed")
                },
            },
            Liveness {
                name: "FairnessProperty",
                description: "\\A u \\in 1..Users: <>(\\E o \\in orders: o.id = u)",
                instances: usize::from(self.users),
                trigger: None,
                goal: |_, s, u| s.orders.iter().any(|o| usize::from(o.id) == u + 1),
            },
        ]
    }

    fn describe(&self, property: &str) -> &'static str {
        match property {
            "SafetyInvariant" => "inventory >= 0 /\\ Cardinality(orders) + inventory = Stock",
            "deadlock_free" => "some step is always possible until every process is Done",
            _ => "",
        }
    }

    fn constants(&self) -> Vec<(&'static str, String)> {
        vec![
            ("Users", self.users.to_string()),
            ("Stock", self.stock.to_string()),
        ]
    }
}
