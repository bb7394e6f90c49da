//! Middle-end passes over a validated network.

pub mod expand;
