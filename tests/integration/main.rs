//! The one integration-test binary: golden files over the examples and the
//! invalid-program corpus, CLI behaviour, and robustness against mangled
//! input.

mod ca3;
mod cli;
mod diagnostics;
mod diff;
mod engines;
mod examples;
mod expand;
mod fmt;
mod gap;
mod golden;
mod izhikevich_poly;
mod motion;
mod robustness;
mod semantics;
mod sfq;
mod sim;
mod spinnaker;
mod spinnaker_stdp;
mod stdp;
mod support;
mod synapse_models;
mod units;
