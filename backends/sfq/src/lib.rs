//! The SFQ backend: single-flux-quantum circuits from the same network
//! description as the other targets.
//!
//! Values are pulse rates: a synapse is a stochastic SFQ stage whose bias
//! current sets the probability that it passes a pulse, a neuron's bias
//! sets its threshold, fan-out is a splitter tree and fan-in a merger tree
//! (Krylov, Edwards, Friedman & Friedman 2023; Edwards et al. 2024). The
//! technology file ([`tech`]) says what each cell costs and how fast it is;
//! the structures ([`tree`]) and the timing analysis ([`timing`]) are pure
//! functions of it.

pub mod lower;
pub mod netlist;
pub mod partition;
pub mod pulse;
pub mod tech;
pub mod timing;
pub mod tree;
pub mod write;
