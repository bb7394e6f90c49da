//! Middle-end passes over a validated network.

pub mod expand;
pub mod odes;
