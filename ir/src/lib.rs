//! `spikec-ir`: the data model of the spikec compiler.
//!
//! A [`Network`] is plain data — arenas of populations, projections and
//! models addressed by typed [`Handle`]s — with source spans kept in a side
//! table ([`network::Spans`]) so that equality and printed text never depend
//! on positions. This crate does no parsing, no I/O and knows no backend:
//! the front end builds networks, [`validate`] checks them and returns the
//! [`ValidNetwork`] token that every later stage requires, and
//! [`print_network`] renders the stable text that golden tests pin.

#![warn(missing_docs)]

pub mod arena;
pub mod eval;
pub mod expanded;
pub mod expr;
pub mod fixed;
pub mod model;
pub mod network;
pub mod philox;
pub mod print;
pub mod program;
pub mod ring;
pub mod span;
pub mod stdp;
pub mod step;
pub mod synapse;
pub mod units;
pub mod valid;

pub use arena::{Arena, Handle};
pub use network::Network;
pub use print::print_network;
pub use span::Span;
pub use units::Dim;
pub use valid::{validate, ValidNetwork, ValidationError};
