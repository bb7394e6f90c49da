//! Placement: which core runs each vertex.
//!
//! Spikes cost router hops, so connected populations should sit close
//! together, and a population's slices should share chips (their routes
//! then share table entries, which compress). The placer takes
//! populations in order of connection to what is already placed (a greedy
//! traversal of the projection graph, heaviest first) and fills cores
//! chip by chip along a snake through the machine's rows, where
//! consecutive chips are neighbours. It is deterministic: ties go to the
//! lower population index and the lower chip.

use crate::geometry::ChipCoord;
use crate::graph::MachineGraph;
use crate::machine::{CoreLocation, Machine};
use crate::BuildError;

/// Where each vertex runs, indexed like `MachineGraph::vertices`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placements {
    pub cores: Vec<CoreLocation>,
}

impl Placements {
    /// Synapse-weighted hops: the sum over edges of synapses times the hop
    /// distance between the two cores' chips (a spike crosses each hop once
    /// per target chip at most, so this over-counts shared paths; it is
    /// the quantity the placer keeps small, reported for comparison).
    pub fn weighted_hops(&self, machine: &Machine, graph: &MachineGraph) -> u64 {
        graph
            .edges
            .iter()
            .map(|e| {
                let (a, b) = (self.cores[e.pre].chip, self.cores[e.post].chip);
                e.synapses * machine.hop_distance(a, b) as u64
            })
            .sum()
    }
}

/// Chips in snake order: rows bottom to top, alternately left to right and
/// right to left, so that consecutive chips are linked.
pub fn snake(machine: &Machine) -> Vec<ChipCoord> {
    let mut chips: Vec<ChipCoord> = machine.chips().collect();
    chips.sort_by_key(|c| {
        let x = if c.y % 2 == 0 {
            c.x as i32
        } else {
            -(c.x as i32)
        };
        (c.y, x)
    });
    chips
}

/// Populations, most connected first, then each next the one with the most
/// synapses to or from those already chosen.
fn population_order(graph: &MachineGraph) -> Vec<usize> {
    let n = graph.first.len().saturating_sub(1);
    let pop_of = |v: usize| graph.vertices[v].population;
    // Synapses between populations, symmetric.
    let mut between = vec![0u64; n * n];
    for e in &graph.edges {
        let (a, b) = (pop_of(e.pre), pop_of(e.post));
        between[a * n + b] += e.synapses;
        if a != b {
            between[b * n + a] += e.synapses;
        }
    }
    let total = |p: usize| (0..n).map(|q| between[p * n + q]).sum::<u64>();
    let mut placed = vec![false; n];
    let mut attach = vec![0u64; n];
    let mut order = Vec::with_capacity(n);
    while order.len() < n {
        // Most attached to the placed ones; among unattached, the heaviest
        // (that starts a new connected component).
        let next = (0..n)
            .filter(|&p| !placed[p])
            .max_by_key(|&p| (attach[p], total(p), std::cmp::Reverse(p)));
        let Some(p) = next else { break };
        placed[p] = true;
        order.push(p);
        for q in 0..n {
            attach[q] += between[p * n + q];
        }
    }
    order
}

/// Places every vertex on an application core, each vertex on the first
/// chip along the snake, from where the previous one went, with a free core
/// and `sdram[v]` bytes of SDRAM left.
pub fn place(
    machine: &Machine,
    graph: &MachineGraph,
    sdram: &[u64],
) -> Result<Placements, BuildError> {
    let chips = snake(machine);
    let available = machine.n_app_cores();
    let capacity = machine.spec().sdram_bytes;
    let too_many = || {
        let mut biggest: Vec<(usize, usize)> = (0..graph.first.len() - 1)
            .map(|p| (p, graph.vertices_of(p).len()))
            .collect();
        biggest.sort_by_key(|&(p, cores)| (std::cmp::Reverse(cores), p));
        biggest.truncate(3);
        BuildError::TooManyCores {
            needed: graph.vertices.len(),
            available,
            biggest,
        }
    };
    if graph.vertices.len() > available {
        return Err(too_many());
    }
    if let Some(v) = (0..graph.vertices.len()).find(|&v| sdram[v] > capacity) {
        return Err(BuildError::CoreSdram {
            population: graph.vertices[v].population,
            lo: graph.vertices[v].lo,
            hi: graph.vertices[v].hi,
            bytes: sdram[v],
            capacity,
        });
    }
    // Per chip: cores taken and SDRAM used.
    let mut taken = vec![0usize; chips.len()];
    let mut used = vec![0u64; chips.len()];
    let mut at = 0;
    let mut cores = vec![CoreLocation::new(ChipCoord::new(0, 0), 0); graph.vertices.len()];
    // Groups placed together: a neuron slice with its synapse cores (they
    // share its ring buffers through the chip's SDRAM), or one vertex.
    let groups: Vec<Vec<usize>> = population_order(graph)
        .into_iter()
        .flat_map(|p| graph.vertices_of(p).chain(graph.delays_of(p)))
        .map(|v| {
            let mut g = vec![v];
            g.extend(graph.synapse_cores.get(&v).into_iter().flatten());
            g
        })
        .collect();
    for group in groups {
        let need: u64 = group.iter().map(|&v| sdram[v]).sum();
        // A population's slices and delay extensions stay together: look
        // forward from the last chip used, never back.
        let fits = |c: usize, taken: &[usize], used: &[u64]| {
            taken[c] + group.len() <= machine.app_cores(chips[c]).len()
                && used[c] + need <= capacity
        };
        let Some(c) = (at..chips.len()).find(|&c| fits(c, &taken, &used)) else {
            return Err(BuildError::OutOfSdram {
                population: graph.vertices[group[0]].population,
                chips: chips.len(),
            });
        };
        at = c;
        for &v in &group {
            cores[v] = CoreLocation::new(chips[c], machine.app_cores(chips[c])[taken[c]]);
            taken[c] += 1;
        }
        used[c] += need;
    }
    Ok(Placements { cores })
}
