//! Partitioning: the machine graph of a network, one vertex a core.
//!
//! PACMAN turns an application graph (populations, projections) into a
//! machine graph (slices of populations, one per core, and the edges that
//! carry spikes between them). Here that is one pure function,
//! [`partition`], from the validated network and its expansion to a
//! [`MachineGraph`]; placement, key allocation and routing only read it.
//!
//! A population is cut into equal slices (the last one smaller), each no
//! larger than the neurons-per-core limit and small enough that its state,
//! parameters and ring buffers fit a core's DTCM. Edges are counted from
//! the expanded synapse tables, so a slice only sends to the slices it
//! really reaches: a sparse projection between two large populations does
//! not make every core a target of every other.

use crate::machine::ChipSpec;
use crate::BuildError;
use spikec_ir::expanded::{Expanded, PerNeuron, Weights};
use spikec_ir::model::ModelBody;
use spikec_ir::network::Population;
use spikec_ir::Network;
use std::collections::BTreeMap;

/// What a core does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Updates a slice of a neuron population and processes its synapses.
    Neurons,
    /// Emits the spikes of a slice of a source population.
    Source,
}

/// One core's worth of a population.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vertex {
    /// Index of the population in the network.
    pub population: usize,
    /// Neurons `lo..hi` of the population.
    pub lo: u32,
    pub hi: u32,
    pub role: Role,
    /// Estimated DTCM use (bytes).
    pub dtcm: u32,
}

impl Vertex {
    /// Number of neurons.
    pub fn len(&self) -> u32 {
        self.hi - self.lo
    }

    /// True for an empty slice (never made by [`partition`]).
    pub fn is_empty(&self) -> bool {
        self.hi == self.lo
    }
}

/// Spikes of `pre` reach neurons of `post` through `synapses` synapses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Edge {
    pub pre: usize,
    pub post: usize,
    pub synapses: u64,
}

/// The vertices (in population order, slices in neuron order) and edges
/// (sorted by pre, then post).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MachineGraph {
    pub vertices: Vec<Vertex>,
    pub edges: Vec<Edge>,
    /// Per population, its vertices `first[p]..first[p + 1]`.
    pub first: Vec<usize>,
    /// Per population, the neurons in each of its slices but the last.
    pub slice_size: Vec<u32>,
}

impl MachineGraph {
    /// The vertex holding neuron `i` of population `p`.
    pub fn vertex_of(&self, p: usize, i: u32) -> usize {
        self.first[p] + (i / self.slice_size[p].max(1)) as usize
    }

    /// The vertices of population `p`.
    pub fn vertices_of(&self, p: usize) -> std::ops::Range<usize> {
        self.first[p]..self.first[p + 1]
    }
}

/// How to cut populations.
#[derive(Clone, Debug)]
pub struct PartitionOptions {
    /// The default largest slice (sPyNNaker's default is 256).
    pub neurons_per_core: u32,
    /// Per population (by index), a smaller limit the user asked for.
    pub per_population: BTreeMap<usize, u32>,
}

impl Default for PartitionOptions {
    fn default() -> Self {
        PartitionOptions {
            neurons_per_core: 256,
            per_population: BTreeMap::new(),
        }
    }
}

/// DTCM a core needs besides its neurons: stack, heap bookkeeping, the
/// DMA buffers for two synaptic rows, the spike input queue.
const DTCM_FIXED: u32 = 12 * 1024;

/// Bits of a ring-buffer index: neuron index, synapse type and delay slot
/// share 14 bits, as on sPyNNaker's cores.
pub const RING_BUFFER_BITS: u32 = 14;

/// Bits needed to number `n` things.
pub fn bits(n: u64) -> u32 {
    if n <= 1 {
        0
    } else {
        64 - (n - 1).leading_zeros()
    }
}

/// What a population's cores must buffer: synapse types (a port and a
/// weight sign: rows hold unsigned magnitudes) and the longest delay that
/// reaches it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Inputs {
    pub synapse_types: u32,
    pub max_delay: u16,
}

/// Bytes of DTCM a neuron needs: every state and parameter as an s16.15
/// word, its refractory counter, and a propagator of its own when its
/// parameters vary (shared ones are compiled into the core's code).
fn dtcm_per_neuron(net: &Network, pop: &Population, own_propagator: bool) -> u32 {
    let model = &net.models[pop.model];
    let states = model.states.len() as u32;
    let params = model.params.len() as u32;
    let propagator = if own_propagator {
        states * states + 2 * states
    } else {
        0
    };
    4 * (states + params + 1 + propagator)
}

/// DTCM of a core holding `size` neurons: fixed part, neurons, and
/// half-word ring buffers (delays beyond the slots left go to
/// delay-extension cores).
fn dtcm(size: u32, per_neuron: u32, inputs: Inputs) -> u32 {
    let nb = bits(size as u64);
    let tb = bits(inputs.synapse_types as u64);
    let want = bits(inputs.max_delay.max(1) as u64);
    let db = want.min(RING_BUFFER_BITS.saturating_sub(nb + tb));
    let ring = if inputs.synapse_types == 0 {
        0
    } else {
        2u32 << (nb + tb + db)
    };
    DTCM_FIXED + per_neuron * size + ring
}

/// Per population, the synapse types and longest delay of its input.
fn inputs(net: &Network, ex: &Expanded) -> Vec<Inputs> {
    let pops: Vec<&Population> = net.populations.iter().map(|(_, p)| p).collect();
    let mut types: Vec<std::collections::BTreeSet<(usize, bool)>> =
        vec![Default::default(); pops.len()];
    let mut out = vec![Inputs::default(); pops.len()];
    for ((_, proj), t) in net.projections.iter().zip(&ex.projections) {
        let (neg, pos) = match &t.weights {
            Weights::Const(w) => (*w < 0.0, *w >= 0.0),
            Weights::F32(v) => (v.iter().any(|w| *w < 0.0), v.iter().any(|w| *w >= 0.0)),
            Weights::F64(v) => (v.iter().any(|w| *w < 0.0), v.iter().any(|w| *w >= 0.0)),
        };
        for part in &proj.post.parts {
            let p = part.population.index();
            let port = net.models[pops[p].model]
                .dynamics()
                .and_then(|d| d.ports.iter().position(|q| q.name == proj.port))
                .unwrap_or(0);
            if neg {
                types[p].insert((port, true));
            }
            if pos {
                types[p].insert((port, false));
            }
            out[p].max_delay = out[p].max_delay.max(t.delays.max());
        }
    }
    for (o, t) in out.iter_mut().zip(types) {
        o.synapse_types = t.len() as u32;
    }
    out
}

/// Cuts every population into slices and counts the synapses between them.
pub fn partition(
    net: &Network,
    ex: &Expanded,
    spec: &ChipSpec,
    opts: &PartitionOptions,
) -> Result<MachineGraph, BuildError> {
    let mut vertices = Vec::new();
    let mut first = Vec::with_capacity(net.populations.len() + 1);
    let mut slice_size = Vec::with_capacity(net.populations.len());
    let inputs = inputs(net, ex);
    for (p, pop) in net.populations.iter().map(|(_, pop)| pop).enumerate() {
        first.push(vertices.len());
        let model = &net.models[pop.model];
        let role = match model.body {
            ModelBody::Neuron(_) => Role::Neurons,
            ModelBody::Source(_) => Role::Source,
        };
        // The network's own limit, then the build's per-population one,
        // then the default.
        let limit = pop
            .neurons_per_core
            .or_else(|| opts.per_population.get(&p).copied())
            .unwrap_or(opts.neurons_per_core)
            .max(1);
        let varies = ex.populations[p]
            .params
            .iter()
            .any(|v| matches!(v, PerNeuron::Values(_)));
        let per_neuron = dtcm_per_neuron(net, pop, varies);
        let input = inputs[p];
        let budget = spec.core_memory_bytes;
        // Delays must fit the ring buffer: delay-extension cores are not
        // built yet, so a long delay costs neuron bits (smaller slices).
        let delay_bits = bits(input.max_delay.max(1) as u64);
        let type_bits = bits(input.synapse_types as u64);
        let delays_fit = |n: u32| bits(n as u64) + type_bits + delay_bits <= RING_BUFFER_BITS;
        if dtcm(1, per_neuron, input) > budget {
            return Err(BuildError::NeuronTooBig {
                population: p,
                bytes: dtcm(1, per_neuron, input),
                budget,
            });
        }
        if !delays_fit(1) {
            return Err(BuildError::DelayTooLong {
                population: p,
                steps: input.max_delay,
                slots: 1u32 << RING_BUFFER_BITS.saturating_sub(type_bits),
            });
        }
        let fits = |n: u32| dtcm(n, per_neuron, input) <= budget && delays_fit(n);
        // The largest slice that fits: DTCM grows with the slice.
        let (mut lo_n, mut hi_n) = (1, limit.min(pop.size.max(1)));
        while lo_n < hi_n {
            let mid = hi_n - (hi_n - lo_n) / 2;
            if fits(mid) {
                lo_n = mid;
            } else {
                hi_n = mid - 1;
            }
        }
        let size = lo_n;
        slice_size.push(size);
        let mut lo = 0;
        while lo < pop.size {
            let hi = (lo + size).min(pop.size);
            vertices.push(Vertex {
                population: p,
                lo,
                hi,
                role,
                dtcm: dtcm(hi - lo, per_neuron, input),
            });
            lo = hi;
        }
    }
    first.push(vertices.len());
    let mut graph = MachineGraph {
        vertices,
        edges: Vec::new(),
        first,
        slice_size,
    };
    graph.edges = edges(&graph, ex);
    Ok(graph)
}

/// Synapse counts between vertices, from the expanded tables.
fn edges(graph: &MachineGraph, ex: &Expanded) -> Vec<Edge> {
    let mut counts: BTreeMap<(usize, usize), u64> = BTreeMap::new();
    // Per-projection, per-row: the targets of one presynaptic neuron are
    // sorted into post vertices with a small map reused across rows.
    let mut row_counts: BTreeMap<usize, u64> = BTreeMap::new();
    for t in &ex.projections {
        for (r, &pre) in t.pre.iter().enumerate() {
            let (pp, pi) = ex.layout.local(pre);
            let pre_v = graph.vertex_of(pp, pi);
            row_counts.clear();
            for &target in &t.targets[t.row(r)] {
                let (qp, qi) = ex.layout.local(target);
                *row_counts.entry(graph.vertex_of(qp, qi)).or_default() += 1;
            }
            for (&post_v, &n) in &row_counts {
                *counts.entry((pre_v, post_v)).or_default() += n;
            }
        }
    }
    counts
        .into_iter()
        .map(|((pre, post), synapses)| Edge {
            pre,
            post,
            synapses,
        })
        .collect()
}
