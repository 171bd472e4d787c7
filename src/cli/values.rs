//! The library's choice enums as command-line values: each keeps its own name (`name()`),
//! the help lines live here, so the library types carry no clap derive.

use crate::history::models::JepsenModel;
use crate::replay::inventory::StoreChoice;
use crate::replay::ExecutorChoice;
use crate::target::http_front::FrontDeduction;
use crate::target::run::Fault;
use clap::builder::PossibleValue;
use clap::ValueEnum;

/// Implements [`ValueEnum`] for a library enum: each variant under its `name()` with the help
/// line `--help` shows.
macro_rules! value_enum {
    ($ty:ty { $($variant:ident => $help:literal;)+ }) => {
        impl ValueEnum for $ty {
            fn value_variants<'a>() -> &'a [Self] {
                &[$(<$ty>::$variant),+]
            }
            fn to_possible_value(&self) -> Option<PossibleValue> {
                Some(match self {
                    $(<$ty>::$variant => PossibleValue::new(self.name()).help($help),)+
                })
            }
        }
    };
}

value_enum!(FrontDeduction {
    Atomic => "The reference implementation's compare-and-swap counter";
    ReadThenWrite => "Read, then write the value read minus one (broken on purpose)";
});

value_enum!(Fault {
    Pause => "SIGSTOP, a pause longer than the clients' timeout, SIGCONT";
    Kill => "SIGKILL, then a restart with the durable settings";
});

value_enum!(JepsenModel {
    Register => "Read / write register";
    CasRegister => "Read / write / compare-and-set register";
    Counter => "Add / read counter";
    Stock => "Reserve / release / read stock counter (the inventory's stock)";
});

value_enum!(StoreChoice {
    Auto => "The atomic store for inline and pool, the sharded store (a shard per worker) for pinned";
    Atomic => "One atomic counter";
    Sharded => "Per-worker shards with stealing (inline: two shards)";
});

value_enum!(ExecutorChoice {
    Inline => "One thread, step by step, abstract states compared after each step";
    Pool => "The seed's pool: a worker per core, one shared queue";
    Pinned => "One pinned worker per CPU, each with its own queue and its own stock shard";
});
