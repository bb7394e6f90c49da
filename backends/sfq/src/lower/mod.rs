//! Lowering: a validated, expanded network becomes an SFQ cell netlist.
//!
//! Rate-coded and asynchronous: every spike is one pulse, every synapse a
//! stochastic synapse cell whose bias realises its weight as a pass
//! probability ([`weights`]), every neuron a neuron cell whose threshold
//! bias realises its threshold as a pulse count and whose leak bias
//! realises its time constant ([`neuron`] says which models qualify).
//! Time is not scaled: a network written in ns and GHz runs at those
//! rates; one written in ms runs slowly (and its leak is usually below
//! what the leak junction can do, which the warnings say).
//!
//! Structure ([`build`]): one module per neuron population holding, per
//! neuron, its incoming synapse cells, a merger tree per sign into the
//! neuron cell, and a splitter tree over its outgoing lines (and a monitor
//! output when the population is recorded or has no outgoing synapse);
//! the top module instantiates them, brings each spike source in through
//! a DC/SFQ converter and a splitter tree, and takes each monitor out
//! through an SFQ/DC converter. Fan-out and fan-in trees are modules of
//! their own, shared by every tree of that size.
//!
//! Synaptic delays are not realised: lines carry pulses in picoseconds
//! (the timing report gives the latencies), which rate coding tolerates.
//! The stored count cannot sink below what the threshold junction holds
//! in reverse, so strong inhibition saturates where a membrane would not.

pub mod blocks;
pub mod build;
pub mod clocked;
pub mod figures;
pub mod neuron;
mod owners;
#[cfg(test)]
mod tests;
pub mod weights;

use crate::netlist::{NetlistError, ValidNetlist};
use crate::tech::Technology;
use spikec_ir::expanded::Expanded;
use spikec_ir::ValidNetwork;

pub use build::lower;
pub use neuron::Unrealisable;
pub use weights::WeightLoss;

/// What cannot be lowered; each names the IR entity at fault.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum LowerError {
    /// A population's model has no SFQ counterpart.
    #[error("population `{name}`: model `{model}` cannot be an SFQ neuron cell: {reason}")]
    Model {
        population: usize,
        name: String,
        model: String,
        reason: Unrealisable,
    },
    /// A gap junction: the neuron cell has no membrane potential to share.
    #[error(
        "projection `{name}` is a gap junction; the SFQ neuron cell stores a count of flux quanta \
         and has no membrane potential to couple"
    )]
    GapJunction { projection: usize, name: String },
    /// Plastic weights: a synapse's weight is a fixed bias current.
    #[error(
        "projection `{name}` is plastic (STDP); an SFQ synapse's weight is a fixed bias current"
    )]
    Plastic { projection: usize, name: String },
    /// Negative weights, and the neuron cell has no inhibitory input.
    #[error(
        "projection `{name}` has negative weights, but technology `{technology}`'s neuron \
         cell has no inhibitory input"
    )]
    Inhibition {
        projection: usize,
        name: String,
        technology: String,
    },
    /// Clocked mode: the clock is too fast for a neuron's fan-in to
    /// release every latched pulse within a period.
    #[error(
        "neuron {neuron} of `{name}` has a fan-in of {fan_in}, which needs a clock period of \
         at least {min_period_ps:.1} ps; the clock's is {period_ps} ps"
    )]
    ClockTooFast {
        population: usize,
        name: String,
        neuron: u32,
        fan_in: u32,
        min_period_ps: f64,
        period_ps: f64,
    },
    /// The generated netlist failed validation: a bug in lowering.
    #[error("internal error: the lowered netlist is invalid: {0}")]
    Netlist(NetlistError),
}

/// What lowering approximates, by entity.
#[derive(Clone, Debug, PartialEq)]
pub enum LowerWarning {
    /// Weights of a projection are realised imprecisely.
    Weights { projection: usize, loss: WeightLoss },
    /// A population's leak is outside what the leak junction can do.
    Leak {
        population: usize,
        /// Wanted and realised rate per ns (extremes over the neurons).
        wanted_per_ns: f64,
        realised_per_ns: f64,
    },
    /// A population's refractory period is dropped.
    Refractory { population: usize, period_ms: f64 },
}

/// Settings of the lowering.
#[derive(Clone, Debug, Default)]
pub struct LowerOptions {
    /// Give every neuron a monitor output, not only those of recorded
    /// populations and of populations without outgoing synapses.
    pub monitor_all: bool,
    /// Clocked mode with this period, ps ([`clocked`]); asynchronous
    /// without.
    pub clock_period_ps: Option<f64>,
}

/// The clock of a clocked design.
#[derive(Clone, Debug, PartialEq)]
pub struct Clock {
    /// The top input the clock pulses enter on.
    pub port: String,
    /// Its period, ps.
    pub period_ps: f64,
}

/// What lowering says about one neuron.
#[derive(Clone, Debug, PartialEq)]
pub struct NeuronCell {
    /// Threshold in pulses.
    pub pulses: u32,
    /// Threshold and leak biases, µA.
    pub threshold_bias_ua: f64,
    pub leak_bias_ua: f64,
    /// The leak rate the table gives at that bias, per ns.
    pub leak_per_ns: f64,
    /// Incoming synapses (excitatory, inhibitory).
    pub fan_in: (u32, u32),
    /// Outgoing lines.
    pub fan_out: u32,
    /// The top output that carries its pulses, if monitored.
    pub monitor: Option<String>,
}

/// Where a population went.
#[derive(Clone, Debug, PartialEq)]
pub enum PopulationCells {
    /// A spike source: per neuron, the top input port its pulses enter on
    /// (`None` when nothing listens to it).
    Source { inputs: Vec<Option<String>> },
    /// Neurons in module `module`.
    Neurons {
        module: String,
        neurons: Vec<NeuronCell>,
    },
}

/// A lowered network.
#[derive(Clone, Debug)]
pub struct Design {
    /// The netlist, validated against the technology.
    pub netlist: ValidNetlist,
    /// The clock, in clocked mode.
    pub clock: Option<Clock>,
    /// Per IR population, in order.
    pub populations: Vec<PopulationCells>,
    /// Every line: (presynaptic global neuron, postsynaptic global
    /// neuron), in the order of the netlist's `l<n>` nets.
    pub lines: Vec<(u32, u32)>,
    /// What was approximated.
    pub warnings: Vec<LowerWarning>,
}

/// The network and its expansion.
pub struct Input<'a> {
    pub net: &'a ValidNetwork<'a>,
    pub expanded: &'a Expanded,
    pub tech: &'a Technology,
}
