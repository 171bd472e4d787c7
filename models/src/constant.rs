//! The one error every model's constructor returns: a constant outside the range its state
//! can represent (a field width, a bound the model relies on). Shared by all models, owned by
//! none.

use std::fmt;

/// A constant out of the range a model's state can represent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangeError {
    /// The constant's name, as TLA+ spells it.
    pub constant: &'static str,
    /// Why the value was refused.
    pub reason: String,
}

impl fmt::Display for RangeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "constant {}: {}", self.constant, self.reason)
    }
}

impl std::error::Error for RangeError {}
