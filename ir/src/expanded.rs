//! Expanded connectivity and per-neuron values: what the connectivity
//! expansion pass makes of a [`crate::Network`]'s symbolic connectors and
//! value specs, shared by every backend.
//!
//! Neurons get one global number: populations are laid out one after the
//! other, in declaration order. Synapses are stored per projection as CSR by
//! presynaptic neuron, with 32-bit targets, weights kept at the precision
//! their source needs (one constant, `f32` draws, or `f64` values read from a
//! file or list) and delays in whole timesteps: about 10 bytes a synapse at
//! most.

/// Where each population's neurons start in the global numbering.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Global id of each population's first neuron, in population order,
    /// followed by the total.
    pub offsets: Vec<u32>,
}

impl Layout {
    /// The numbering of `net`'s populations, in declaration order.
    pub fn of(net: &crate::Network) -> Layout {
        let mut offsets = Vec::with_capacity(net.populations.len() + 1);
        let mut next = 0u32;
        for (_, p) in net.populations.iter() {
            offsets.push(next);
            next += p.size;
        }
        offsets.push(next);
        Layout { offsets }
    }

    /// Total number of neurons.
    pub fn total(&self) -> u32 {
        self.offsets.last().copied().unwrap_or(0)
    }

    /// Global id of neuron `i` of population `pop` (by index).
    pub fn global(&self, pop: usize, i: u32) -> u32 {
        self.offsets[pop] + i
    }

    /// Population index and local index of a global id.
    pub fn local(&self, global: u32) -> (usize, u32) {
        let p = self.offsets.partition_point(|&o| o <= global) - 1;
        (p, global - self.offsets[p])
    }
}

/// One value per neuron, or the same for all.
#[derive(Clone, Debug, PartialEq)]
pub enum PerNeuron {
    /// Every neuron has this value.
    Const(f64),
    /// One value per neuron.
    Values(Vec<f64>),
}

impl PerNeuron {
    /// The value of neuron `i`.
    pub fn get(&self, i: usize) -> f64 {
        match self {
            PerNeuron::Const(v) => *v,
            PerNeuron::Values(v) => v[i],
        }
    }
}

/// A population's expanded values.
#[derive(Clone, Debug, PartialEq)]
pub struct PopulationValues {
    /// Each model parameter (indexed like `Model::params`); spike-time
    /// parameters hold `Const(NaN)` (see `spike_times`).
    pub params: Vec<PerNeuron>,
    /// Each state's initial value (indexed like `Model::states`).
    pub init: Vec<PerNeuron>,
    /// Spike trains of spike-array sources, one per neuron, sorted (ms).
    pub spike_times: Option<Vec<Vec<f64>>>,
    /// Positions (um), if the population has a structure.
    pub positions: Option<Vec<[f64; 3]>>,
}

/// Synaptic weights of one projection.
#[derive(Clone, Debug, PartialEq)]
pub enum Weights {
    /// The same weight everywhere.
    Const(f64),
    /// Drawn from a distribution: single precision is plenty.
    F32(Vec<f32>),
    /// Given exactly (lists, files): kept as written.
    F64(Vec<f64>),
}

impl Weights {
    /// The weight of synapse `k`.
    pub fn get(&self, k: usize) -> f64 {
        match self {
            Weights::Const(w) => *w,
            Weights::F32(v) => v[k] as f64,
            Weights::F64(v) => v[k],
        }
    }
}

/// Synaptic delays of one projection, in timesteps (at least 1).
#[derive(Clone, Debug, PartialEq)]
pub enum Delays {
    /// The same delay everywhere.
    Const(u16),
    /// One delay per synapse.
    PerSynapse(Vec<u16>),
}

impl Delays {
    /// The delay of synapse `k`.
    pub fn get(&self, k: usize) -> u16 {
        match self {
            Delays::Const(d) => *d,
            Delays::PerSynapse(v) => v[k],
        }
    }

    /// The longest delay.
    pub fn max(&self) -> u16 {
        match self {
            Delays::Const(d) => *d,
            Delays::PerSynapse(v) => v.iter().copied().max().unwrap_or(1),
        }
    }
}

/// How the synapses of a row are ordered.
///
/// Whatever the order, synapses with the same target and delay keep their
/// order, so every sum a row contributes to is added in the same order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum RowOrder {
    /// The connector's own order: by target for drawn rows (ties in the
    /// order drawn), list order for lists. What every backend reads.
    #[default]
    Canonical,
    /// By delay, then as [`RowOrder::Canonical`]: for the simulator, which
    /// reads a row a delay at a time. Only static projections with
    /// per-synapse delays are expanded so, and only when asked.
    Delay,
}

/// The synapses of one projection, CSR by presynaptic neuron.
#[derive(Clone, Debug, PartialEq)]
pub struct SynapseTable {
    /// Global id of each presynaptic neuron (row), in selection order.
    pub pre: Vec<u32>,
    /// Row `i` holds synapses `row_ptr[i]..row_ptr[i + 1]`.
    pub row_ptr: Vec<u64>,
    /// Global id of each synapse's target.
    pub targets: Vec<u32>,
    /// Weights, in the port's weight unit (canonical).
    pub weights: Weights,
    /// Delays in timesteps.
    pub delays: Delays,
    /// The order of each row's synapses.
    pub order: RowOrder,
}

impl SynapseTable {
    /// Number of synapses.
    pub fn len(&self) -> usize {
        self.targets.len()
    }

    /// Whether there are no synapses.
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    /// The synapse indices of row `i`.
    pub fn row(&self, i: usize) -> std::ops::Range<usize> {
        self.row_ptr[i] as usize..self.row_ptr[i + 1] as usize
    }

    /// Bytes used by the per-synapse arrays (not counting row pointers).
    pub fn synapse_bytes(&self) -> usize {
        let w = match &self.weights {
            Weights::Const(_) => 0,
            Weights::F32(v) => 4 * v.len(),
            Weights::F64(v) => 8 * v.len(),
        };
        let d = match &self.delays {
            Delays::Const(_) => 0,
            Delays::PerSynapse(v) => 2 * v.len(),
        };
        4 * self.targets.len() + w + d
    }
}

/// A network with connectors and value specs expanded.
#[derive(Clone, Debug, PartialEq)]
pub struct Expanded {
    /// Global neuron numbering.
    pub layout: Layout,
    /// Per population, in population order.
    pub populations: Vec<PopulationValues>,
    /// Per projection, in projection order.
    pub projections: Vec<SynapseTable>,
}
