//! Lowering: AST to IR.

pub mod consts;
pub mod csv;
pub mod dims;
pub mod exprs;
pub mod library;
pub mod models;
pub mod network;
pub mod synapse;
pub mod units;
pub mod values;
