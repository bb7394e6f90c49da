//! Lowering: AST to IR.

pub mod consts;
pub mod dims;
pub mod models;
pub mod units;
pub mod csv;
pub mod library;
pub mod values;
pub mod network;
