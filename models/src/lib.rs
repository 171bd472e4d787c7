//! stateright ports of the flashcheck TLA+ specs.
