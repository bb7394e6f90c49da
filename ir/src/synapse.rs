//! Synapse models written in the language: per-synapse state changed by
//! event blocks, with spike traces.
//!
//! A `synapse NAME { ... }` declaration is instantiated once per projection
//! that uses it, with its parameters folded to constants in the
//! projection's weight unit, so the IR holds plain numbers and expressions
//! over three kinds of leaves: constants, the synapse's own variables
//! ([`ExprKind::State`](crate::expr::ExprKind::State), the first of which is
//! the weight `w`) and traces ([`ExprKind::Trace`](crate::expr::ExprKind::Trace)).
//!
//! Why traces are declared rather than written as variables: a trace
//! belongs to a neuron, not to a synapse (all synapses of a presynaptic
//! neuron see the same presynaptic trace), and how it evolves between
//! spikes (exponential decay) is fixed, so a simulator can keep one value
//! per neuron and decay it exactly, at the times events happen. This is
//! how NEST, Brian2's event-driven variables and sPyNNaker hold them.
//!
//! Timing follows NEST's `stdp_synapse`, as the built-in `stdp` rule does:
//! the whole delay `d` is dendritic, so the synapse sees a presynaptic
//! spike when it is sent (`t_pre`) and a postsynaptic one after it has
//! travelled back (`t_post + d`). At a synapse, events run in time order,
//! `on post` before `on pre` at equal times. A trace read in a block has
//! its value at the event's time counting only spikes strictly before it,
//! so neither the event's own spike nor a simultaneous spike of the other
//! side is counted (NEST's convention), unless the trace is declared
//! `inclusive`, when it counts the other side's simultaneous spikes too
//! (sPyNNaker's pair rule depresses at Δt = 0). Times are compared in
//! whole steps, so a tie is a tie whatever the rounding of the timestep.
//! After `on pre`, the spike is delivered with the new `w`. Blocks run
//! their assignments in order.

use crate::arena::{Arena, Handle};
use crate::expr::{ExprArena, ExprId};
use crate::model::State;
use crate::units::Dim;

/// Which neuron a trace follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceSide {
    /// The presynaptic neuron (one value per row).
    Pre,
    /// The postsynaptic neuron (one value per target).
    Post,
}

/// A spike trace: jumps at each spike of its neuron, decays exponentially.
#[derive(Clone, Debug, PartialEq)]
pub struct Trace {
    /// Name, as the blocks use it.
    pub name: String,
    /// Which neuron's spikes it counts.
    pub side: TraceSide,
    /// Decay time constant (ms).
    pub tau: f64,
    /// The jump at each spike (dimensionless).
    pub jump: f64,
    /// Nearest-spike: a spike sets the trace to `jump` instead of adding
    /// `jump` to it, so only the latest spike counts.
    pub nearest: bool,
    /// The value at time 0, as if the neuron had spiked then (NEST's
    /// nearest-neighbour synapses pair the first post spikes with a
    /// presynaptic spike at 0 ms: their trace starts at 1); usually 0.
    pub initial: f64,
    /// Read at an event of the other side, the trace counts its spikes at
    /// the same time too (sPyNNaker's depression at Δt = 0), not only
    /// those strictly before (NEST's convention, the default).
    pub inclusive: bool,
}

/// `state = value`, run in an event block.
#[derive(Clone, Debug, PartialEq)]
pub struct Update {
    /// The assigned per-synapse variable.
    pub state: Handle<State>,
    /// Its new value.
    pub value: ExprId,
}

/// One projection's instance of a synapse model.
#[derive(Clone, Debug, PartialEq)]
pub struct SynapseModel {
    /// The model's name.
    pub name: String,
    /// The parameters as instantiated: name, value (canonical unit) and
    /// dimension, in declaration order. Already folded into the
    /// expressions; kept for printing.
    pub params: Vec<(String, f64, Dim)>,
    /// Per-synapse variables. The first is the weight `w`, which starts at
    /// the projection's weight (its `init` is not used); the others start
    /// at their constant `init`.
    pub states: Arena<State>,
    /// The traces the blocks read.
    pub traces: Vec<Trace>,
    /// Expression nodes of the blocks and initial values.
    pub exprs: ExprArena,
    /// Run when a presynaptic spike reaches the synapse.
    pub on_pre: Vec<Update>,
    /// Run when a postsynaptic spike reaches the synapse.
    pub on_post: Vec<Update>,
}

impl SynapseModel {
    /// The weight variable.
    pub fn weight(&self) -> Handle<State> {
        Handle::from_index(0)
    }

    /// Indices of the traces on one side, in declaration order.
    pub fn traces_on(&self, side: TraceSide) -> Vec<usize> {
        (0..self.traces.len())
            .filter(|&i| self.traces[i].side == side)
            .collect()
    }
}
