//! `spikec-sim`: the verification simulator.
//!
//! It runs a validated network from its expansion (synapse tables,
//! per-neuron values) and its update programs, with NEST's order of
//! operations for every step:
//!
//! 1. each neuron's states advance over the step (exact propagator or
//!    numerical scheme) with the inputs as they were at the start of the
//!    step; a refractory neuron keeps its clamped state;
//! 2. the spikes arriving in this step are added through the ports;
//! 3. the threshold is tested; a spike is stamped at the end of the step,
//!    the reset applies and refractoriness starts;
//! 4. each spike is delivered through per-delay ring buffers: fired at step
//!    `s` (time `(s + 1) h`) with a delay of `d` steps, it is added in step
//!    `s + d`, at time `(s + 1 + d) h`.
//!
//! Delivery can also gather a step's input in the step it arrives, from the
//! remembered spikes and rows sorted by delay, which gives the same sums
//! with far fewer cache misses (`delivery/`).
//!
//! Gap junctions pass their charge of a step, from the states at its
//! start, into their ports before step 1 (`interp.rs`, `couple`); plastic
//! projections change their weights by pair STDP as spikes are sent
//! (`plastic.rs`). Both live in the shared code, so the engines agree.
//!
//! Poisson sources draw a count per step from a counter-based generator
//! keyed by (seed, population, neuron, step), so the run is identical for
//! any scheduling.
//!
//! Two engines advance the neuron populations: the reference interpreter
//! (plain `f64`, expression trees evaluated as written) and a cranelift JIT
//! that compiles each population's update to native code and agrees with
//! the interpreter bit for bit. Everything else (sources, ring buffers,
//! delivery, recording) is shared.

mod balance;
mod delivery;
mod interp;
mod plastic;
mod sources;
mod synapse_model;

pub use interp::{run, run_with_progress};
pub use jit::Ctx as JitCtx;

use spikec_ir::expanded::Expanded;
use spikec_ir::program::{Propagator, UpdateProgram};
use spikec_ir::ValidNetwork;

/// Everything a simulation needs, all computed before it starts.
pub struct Input<'a> {
    /// The network.
    pub net: ValidNetwork<'a>,
    /// Its expansion.
    pub expanded: &'a Expanded,
    /// Update program of each model (by model index; `None` for sources).
    pub programs: &'a [Option<UpdateProgram>],
    /// Exact propagators of each population (empty for numeric models and
    /// sources; one entry when shared by all neurons).
    pub propagators: &'a [Vec<Propagator>],
}

/// Which engine advances the neuron populations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Engine {
    /// The reference interpreter.
    Interp,
    /// Native code from cranelift (bit-identical to the interpreter in f64).
    #[default]
    Jit,
}

/// When synaptic input is added (`delivery/mod.rs`). Both give the same
/// sums, bit for bit; arrival is faster on large networks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Delivery {
    /// Into per-delay ring buffers as each spike is sent (NEST's way).
    Emission,
    /// Gathered in the step it arrives, for every population no plastic
    /// projection reaches; the others at emission.
    #[default]
    Arrival,
}

/// How to simulate.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Number of timesteps.
    pub steps: u64,
    /// The engine.
    pub engine: Engine,
    /// The arithmetic of the neuron updates and synaptic input.
    pub precision: spikec_ir::eval::Precision,
    /// Steps before this one are simulated but not recorded (warm-up).
    pub record_from: u64,
    /// When synaptic input is added.
    pub delivery: Delivery,
}

/// A spike: population index, neuron index in it, and the step whose end
/// it is stamped at (time `(step + 1) * h`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Spike {
    /// Step.
    pub step: u64,
    /// Population index.
    pub population: u32,
    /// Neuron in the population.
    pub neuron: u32,
}

/// A recorded state trace.
#[derive(Clone, Debug, PartialEq)]
pub struct Trace {
    /// Index of the record item in the network.
    pub record: usize,
    /// The recorded (population index, neuron, state index), in column order.
    pub columns: Vec<(u32, u32, u32)>,
    /// Values after each recorded step, step-major:
    /// `values[(step - record_from) * columns + c]`.
    pub values: Vec<f64>,
}

/// What a simulation produced.
#[derive(Clone, Debug, PartialEq)]
pub struct Output {
    /// Recorded spikes, sorted by step, population, neuron.
    pub spikes: Vec<Spike>,
    /// The weights of each plastic projection at the end of the run, by
    /// projection index (synapses in the expanded table's order).
    pub weights: Vec<(usize, Vec<f64>)>,
    /// For each entry of `weights`, each synapse's (pre, post) global
    /// neuron ids.
    pub synapses: Vec<Vec<(u32, u32)>>,
    /// Recorded state traces, in record order.
    pub traces: Vec<Trace>,
    /// Steps simulated.
    pub steps: u64,
    /// The first recorded step (traces start there).
    pub record_from: u64,
}

/// A simulation that cannot run.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum SimError {
    /// The inputs do not belong together (a program or propagator missing).
    #[error("simulation input is inconsistent: {0}")]
    Inconsistent(String),
    /// Code generation failed for a population.
    #[error("cannot compile population `{population}`: {message}")]
    Jit {
        /// The population.
        population: String,
        /// What cranelift said.
        message: String,
    },
}
mod jit;
