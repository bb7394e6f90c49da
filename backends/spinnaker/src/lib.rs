//! The SpiNNaker backend.
//!
//! Following PACMAN's split of model data from operations, every stage is a
//! pure function from its inputs to its outputs: the machine model
//! ([`machine`]) is data; partitioning, placement, routing ([`route`]),
//! key allocation and routing-table generation and compression ([`table`])
//! each take what the previous stage made and return a new value. Nothing
//! is global, so a stage can be tested, and rerun, on its own.

mod build;
pub mod core_data;
mod cores;
pub mod emulator;
mod error;
pub mod geometry;
pub mod graph;
pub mod keys;
pub mod machine;
mod matrices;
pub mod matrix;
pub mod place;
mod plasticity;
pub mod report;
pub mod route;
pub mod table;
pub mod trace;

pub use build::{compile, Artifacts, BuildWarning, Input, Mapping, TargetOptions};
pub use error::BuildError;
