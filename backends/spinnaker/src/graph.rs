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
    /// A delay extension of vertex `of`: re-sends its spikes `s · slots`
    /// steps late for every stage `s` in `stages` (bit `s`), for post
    /// cores whose ring buffers hold `slots` steps.
    Delay { of: usize, slots: u16, stages: u16 },
    /// Processes part of the synapses of neuron vertex `of` (whose
    /// expected synaptic load one core cannot keep up with), on the same
    /// chip, handing its ring buffers to it through SDRAM.
    Synapses { of: usize, part: u16 },
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

/// The vertices (in population order, slices in neuron order, then the
/// delay extensions) and edges (sorted by pre, then post).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MachineGraph {
    pub vertices: Vec<Vertex>,
    pub edges: Vec<Edge>,
    /// Per population, its slice vertices `first[p]..first[p + 1]`; delay
    /// extensions follow from `first[populations]`.
    pub first: Vec<usize>,
    /// Per population, the neurons in each of its slices but the last.
    pub slice_size: Vec<u32>,
    /// Per population, the longest delay into it, in steps.
    pub max_delay: Vec<u16>,
    /// Per population, the delay slots D of its cores' ring buffers:
    /// longer delays come through delay extensions, in stages of D.
    pub slots: Vec<u16>,
    /// Delay extension of (vertex, D), if any.
    pub delay_of: BTreeMap<(usize, u16), usize>,
    /// Where the synapses from (pre vertex) onto (neuron vertex) are
    /// processed, when the neuron vertex has synapse cores.
    pub synapse_core: BTreeMap<(usize, usize), usize>,
    /// Per neuron vertex with synapse cores, those cores.
    pub synapse_cores: BTreeMap<usize, Vec<usize>>,
}

impl MachineGraph {
    /// The vertex holding neuron `i` of population `p`.
    pub fn vertex_of(&self, p: usize, i: u32) -> usize {
        self.first[p] + (i / self.slice_size[p].max(1)) as usize
    }

    /// The slice vertices of population `p`.
    pub fn vertices_of(&self, p: usize) -> std::ops::Range<usize> {
        self.first[p]..self.first[p + 1]
    }

    /// Delay-extension vertices of population `p`'s slices.
    pub fn delays_of(&self, p: usize) -> impl Iterator<Item = usize> + '_ {
        let start = self.first.last().copied().unwrap_or(0);
        (start..self.vertices.len()).filter(move |&v| {
            self.vertices[v].population == p && matches!(self.vertices[v].role, Role::Delay { .. })
        })
    }
}

/// Synaptic events a core processes in a second (sPyNNaker's planning
/// figure): above it, a neuron slice's synapses go to synapse cores.
pub const SYNAPTIC_EVENTS_PER_CORE: f64 = 13e6;

/// The most synapse cores one neuron slice gets.
pub const MAX_SYNAPSE_CORES: usize = 7;

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
    /// With plastic input: bytes of each neuron's post-spike history, and
    /// of the core's decay tables.
    pub plastic_per_neuron: u32,
    pub plastic_tables: u32,
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
    DTCM_FIXED + inputs.plastic_tables + (per_neuron + inputs.plastic_per_neuron) * size + ring
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
            let port = net.port_index(proj, part.population).unwrap_or(0);
            if neg {
                types[p].insert((port, true));
            }
            if pos {
                types[p].insert((port, false));
            }
            out[p].max_delay = out[p].max_delay.max(t.delays.max());
            if let Some(rule) = proj.stdp() {
                let event = std::mem::size_of::<spikec_ir::stdp::PostEvent>() as u32;
                out[p].plastic_per_neuron = 4 + spikec_ir::stdp::POST_HISTORY as u32 * event;
                let tables = spikec_ir::stdp::Timing::new(rule, net.timestep)
                    .map_or(0, |t| t.plus.entries().len() + t.minus.entries().len());
                out[p].plastic_tables = out[p].plastic_tables.max(2 * tables as u32);
            }
        }
    }
    for (o, t) in out.iter_mut().zip(types) {
        o.synapse_types = t.len() as u32;
    }
    out
}

/// Cuts every population into slices and counts the synapses between them.
///
/// `rates` is each population's expected firing rate (Hz), for the
/// synaptic load.
pub fn partition(
    net: &Network,
    ex: &Expanded,
    spec: &ChipSpec,
    opts: &PartitionOptions,
    rates: &[f64],
) -> Result<MachineGraph, BuildError> {
    let mut vertices = Vec::new();
    let mut first = Vec::with_capacity(net.populations.len() + 1);
    let mut slice_size = Vec::with_capacity(net.populations.len());
    let mut slots = Vec::with_capacity(net.populations.len());
    let mut max_delay = Vec::with_capacity(net.populations.len());
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
        // Delays beyond the ring buffer's D slots go through up to
        // MAX_STAGES delay-extension stages of D steps; where even that is
        // too short, slices shrink to leave more bits for delay slots.
        let type_bits = bits(input.synapse_types as u64);
        let delays_fit = |n: u32| {
            let db = RING_BUFFER_BITS.saturating_sub(bits(n as u64) + type_bits);
            bits(n as u64) + type_bits <= RING_BUFFER_BITS
                && input.max_delay as u64 <= (MAX_STAGES as u64 + 1) << db
        };
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
                slots: (MAX_STAGES as u32 + 1) << RING_BUFFER_BITS.saturating_sub(type_bits),
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
        let db = bits(input.max_delay.max(1) as u64)
            .min(RING_BUFFER_BITS.saturating_sub(bits(size as u64) + type_bits));
        slots.push(1u16 << db);
        max_delay.push(input.max_delay.max(1));
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
        max_delay,
        slots,
        delay_of: BTreeMap::new(),
        synapse_core: BTreeMap::new(),
        synapse_cores: BTreeMap::new(),
    };
    edges(&mut graph, ex);
    split_synapses(&mut graph, rates);
    Ok(graph)
}

/// Gives every neuron vertex whose expected synaptic load exceeds one
/// core's [`SYNAPTIC_EVENTS_PER_CORE`] enough synapse cores, and shares its
/// incoming presynaptic vertices among them (heaviest first, each to the
/// least loaded core): spikes then go to the synapse core that holds their
/// rows, not to the neuron core.
fn split_synapses(graph: &mut MachineGraph, rates: &[f64]) {
    let rate =
        |g: &MachineGraph, u: usize| rates.get(g.vertices[u].population).copied().unwrap_or(0.0);
    // A slice and its delay extensions feed one matrix block of the post
    // core, so they go to the same synapse core: loads are per origin.
    let origin = |g: &MachineGraph, u: usize| match g.vertices[u].role {
        Role::Delay { of, .. } => of,
        _ => u,
    };
    let mut incoming: BTreeMap<usize, BTreeMap<usize, f64>> = BTreeMap::new();
    for e in &graph.edges {
        if graph.vertices[e.post].role == Role::Neurons {
            let load = e.synapses as f64 * rate(graph, e.pre);
            *incoming
                .entry(e.post)
                .or_default()
                .entry(origin(graph, e.pre))
                .or_default() += load;
        }
    }
    for (v, pres) in incoming {
        let mut pres: Vec<(usize, f64)> = pres.into_iter().collect();
        let load: f64 = pres.iter().map(|(_, l)| l).sum();
        if load <= SYNAPTIC_EVENTS_PER_CORE {
            continue;
        }
        // At most 7 synapse cores: with the neuron core, two groups still
        // share a chip of 16 application cores.
        let parts = ((load / SYNAPTIC_EVENTS_PER_CORE).ceil() as usize).min(MAX_SYNAPSE_CORES);
        pres.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let first = graph.vertices.len();
        let of = graph.vertices[v].clone();
        for part in 0..parts {
            graph.vertices.push(Vertex {
                role: Role::Synapses {
                    of: v,
                    part: part as u16,
                },
                dtcm: of.dtcm,
                ..of.clone()
            });
        }
        let mut loads = vec![0.0f64; parts];
        for (u, l) in pres {
            let k = (0..parts)
                .min_by(|&a, &b| loads[a].total_cmp(&loads[b]).then(a.cmp(&b)))
                .unwrap_or(0);
            loads[k] += l;
            graph.synapse_core.insert((u, v), first + k);
        }
        graph
            .synapse_cores
            .insert(v, (first..first + parts).collect());
    }
    for e in graph.edges.iter_mut() {
        let u = match graph.vertices[e.pre].role {
            Role::Delay { of, .. } => of,
            _ => e.pre,
        };
        if let Some(&s) = graph.synapse_core.get(&(u, e.post)) {
            e.post = s;
        }
    }
    graph.edges.sort();
}

/// Synapse counts between vertices, from the expanded tables, and the
/// delay extensions: a synapse whose delay exceeds its post core's D slots
/// arrives through the extension of (its pre vertex, D), which the pre
/// vertex feeds.
fn edges(graph: &mut MachineGraph, ex: &Expanded) {
    let mut counts: BTreeMap<(usize, usize), u64> = BTreeMap::new();
    // (pre vertex, D) → (post vertex → synapses), and the stages used.
    let mut staged: BTreeMap<(usize, u16), (BTreeMap<usize, u64>, u16)> = BTreeMap::new();
    for t in &ex.projections {
        for (r, &pre) in t.pre.iter().enumerate() {
            let (pp, pi) = ex.layout.local(pre);
            let pre_v = graph.vertex_of(pp, pi);
            for s in t.row(r) {
                let (qp, qi) = ex.layout.local(t.targets[s]);
                let post_v = graph.vertex_of(qp, qi);
                let (d, slots) = (t.delays.get(s), graph.slots[qp]);
                if d <= slots {
                    *counts.entry((pre_v, post_v)).or_default() += 1;
                } else {
                    let e = staged.entry((pre_v, slots)).or_default();
                    *e.0.entry(post_v).or_default() += 1;
                    e.1 |= 1 << (d.div_ceil(slots) - 1);
                }
            }
        }
    }
    for ((u, slots), (posts, stages)) in staged {
        let e = graph.vertices.len();
        let of = graph.vertices[u].clone();
        graph.vertices.push(Vertex {
            role: Role::Delay {
                of: u,
                slots,
                stages,
            },
            dtcm: DTCM_FIXED,
            ..of
        });
        graph.delay_of.insert((u, slots), e);
        let total: u64 = posts.values().sum();
        *counts.entry((u, e)).or_default() += total;
        for (v, n) in posts {
            *counts.entry((e, v)).or_default() += n;
        }
    }
    graph.edges = counts
        .into_iter()
        .map(|((pre, post), synapses)| Edge {
            pre,
            post,
            synapses,
        })
        .collect();
}

/// The most stages a delay extension has (sPyNNaker's limit).
pub const MAX_STAGES: u8 = 8;
