//! `spikec`: the compiler driver, front end, passes and diagnostics.

pub mod diag;
pub mod front;
