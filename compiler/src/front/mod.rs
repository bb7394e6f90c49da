//! The front end: source text to IR.
//!
//! `parse` shapes text into an AST with spans; `lower` resolves names against
//! the standard library, imports and the network's own models, checks every
//! expression's physical dimension, evaluates constant expressions (sizes,
//! parameters, connector arguments) and builds the IR. Both stages report
//! problems as diagnostics; neither panics on user input.

pub mod ast;
pub mod load;
pub mod lower;
pub mod parse;
