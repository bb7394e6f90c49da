//! Every neuron core's synaptic data, from the expanded synapse tables.
//!
//! Synapses are bucketed by post core in one pass over every table (a
//! count, then a fill, so memory is one record a synapse), then each core's
//! bucket is cut into blocks by presynaptic core and handed to
//! [`crate::matrix::build`]. Weights are quantised at the ring-buffer shift
//! of their (post population, synapse type), the same shifts the
//! simulator's `s1615` mode uses.

use crate::geometry::KeyMask;
use crate::graph::{bits, MachineGraph, Role, MAX_STAGES};
use crate::keys::stage_key;
use crate::keys::Keys;
use crate::matrix::{build_coloured, choose_layout, CoreSynapticData, IncomingBlock, Synapse};
use crate::{BuildError, Input};
use rayon::prelude::*;
use spikec_ir::fixed::{quantise, Sign, SynapseType, WeightLoss};
use spikec_ir::ring::PopulationShifts;

/// A synapse on its way to a post core: its presynaptic core and the word
/// fields.
#[derive(Clone, Copy)]
struct Routed {
    pre_vertex: u32,
    syn: Synapse,
}

/// Per vertex, its synaptic data (`None` for sources and cores that
/// receive nothing), and per projection what quantising its weights lost.
pub fn synaptic_data(
    input: &Input<'_>,
    g: &MachineGraph,
    keys: &Keys,
    shifts: &[PopulationShifts],
) -> Result<(Vec<Option<CoreSynapticData>>, Vec<WeightLoss>), BuildError> {
    let net = input.net.network();
    let ex = input.expanded;
    let pops: Vec<_> = net.populations.iter().map(|(_, p)| p).collect();
    let nv = g.vertices.len();
    // Per projection and post population, per sign: the synapse type's
    // number and shift (looked up once, not per synapse).
    let n_pops = pops.len();
    let mut type_of = vec![[(0u8, 0u8); 2]; net.projections.len() * n_pops];
    let mut post_pops: Vec<Vec<usize>> = Vec::with_capacity(net.projections.len());
    for (k, (_, proj)) in net.projections.iter().enumerate() {
        let mut qs = Vec::new();
        for part in &proj.post.parts {
            let q = part.population.index();
            qs.push(q);
            let port = net.port_index(proj, part.population).unwrap_or(0) as u16;
            for (j, sign) in [Sign::Positive, Sign::Negative].into_iter().enumerate() {
                let sh = &shifts[q];
                let t = sh.types.index(SynapseType { port, sign }).unwrap_or(0);
                let shift = sh.shifts.get(t).copied().unwrap_or(0);
                type_of[k * n_pops + q][j] = (t as u8, shift);
            }
        }
        post_pops.push(qs);
    }
    // Synapses per post vertex.
    let mut count = vec![0usize; nv + 1];
    for t in &ex.projections {
        for &target in &t.targets {
            let (q, qi) = ex.layout.local(target);
            count[g.vertex_of(q, qi) + 1] += 1;
        }
    }
    for v in 0..nv {
        count[v + 1] += count[v];
    }
    // Post vertices in chunks of about a third of the synapses: a chunk's
    // synapses are gathered, its cores' data built, and the gathering
    // memory reused, so the build needs a third of the synapses at once
    // rather than all of them (at the cost of a pass over the tables per
    // chunk, which skips projections that reach no vertex of the chunk).
    let budget = (count[nv] / 3).max(1);
    let mut chunks = Vec::new();
    let mut v0 = 0;
    while v0 < nv {
        let mut v1 = v0 + 1;
        while v1 < nv && count[v1 + 1] - count[v0] <= budget {
            v1 += 1;
        }
        chunks.push(v0..v1);
        v0 = v1;
    }
    let empty = Routed {
        pre_vertex: 0,
        syn: Synapse {
            pre: 0,
            post: 0,
            synapse_type: 0,
            delay: 0,
            weight: 0,
            plastic: false,
        },
    };
    let mut losses = vec![WeightLoss::default(); ex.projections.len()];
    // Plastic synapses go to their rows' plastic regions.
    let plastic: Vec<bool> = net
        .projections
        .iter()
        .map(|(_, p)| p.stdp().is_some())
        .collect();
    let mut out: Vec<Option<CoreSynapticData>> = vec![None; nv];
    let mut all: Vec<Routed> = Vec::new();
    for chunk in chunks {
        let base = count[chunk.start];
        all.clear();
        all.resize(count[chunk.end] - base, empty);
        let mut fill: Vec<usize> = count[chunk.start..chunk.end]
            .iter()
            .map(|c| c - base)
            .collect();
        for (k, t) in ex.projections.iter().enumerate() {
            let reaches = post_pops[k].iter().any(|&q| {
                let r = g.vertices_of(q);
                r.start < chunk.end && chunk.start < r.end
            });
            if !reaches {
                continue;
            }
            let loss = &mut losses[k];
            for (r, &pre) in t.pre.iter().enumerate() {
                let (pp, pi) = ex.layout.local(pre);
                let u = g.vertex_of(pp, pi);
                let pre_local = pi - g.vertices[u].lo;
                for s in t.row(r) {
                    let (q, qi) = ex.layout.local(t.targets[s]);
                    let v = g.vertex_of(q, qi);
                    if !chunk.contains(&v) {
                        continue;
                    }
                    let w = t.weights.get(s);
                    let (type_index, shift) =
                        type_of[k * n_pops + q][usize::from(Sign::of(w) == Sign::Negative)];
                    loss.record(w, shift);
                    let slot = &mut fill[v - chunk.start];
                    all[*slot] = Routed {
                        pre_vertex: u as u32,
                        syn: Synapse {
                            pre: pre_local,
                            post: (qi - g.vertices[v].lo) as u16,
                            synapse_type: type_index,
                            delay: t.delays.get(s),
                            weight: quantise(w.abs(), shift),
                            plastic: plastic[k],
                        },
                    };
                    *slot += 1;
                }
            }
        }
        // The chunk's cores in parallel: each owns its bucket.
        let mut buckets: Vec<(usize, &mut [Routed])> = Vec::with_capacity(chunk.len());
        let mut rest: &mut [Routed] = &mut all;
        for v in chunk.clone() {
            let (mine, tail) = rest.split_at_mut(count[v + 1] - count[v]);
            buckets.push((v, mine));
            rest = tail;
        }
        let built: Vec<Result<Vec<(usize, CoreSynapticData)>, BuildError>> = buckets
            .into_par_iter()
            .map(|(v, bucket)| core_data(g, keys, shifts, v, bucket))
            .collect();
        for b in built {
            for (at, data) in b? {
                out[at] = Some(data);
            }
        }
    }
    Ok((out, losses))
}

/// The synaptic data of neuron vertex `v` from its synapses (`bucket`):
/// one matrix on its own core, or one on each of its synapse cores with
/// the blocks of the presynaptic slices assigned to it. Returns (vertex,
/// data) pairs.
fn core_data(
    g: &MachineGraph,
    keys: &Keys,
    shifts: &[PopulationShifts],
    v: usize,
    bucket: &mut [Routed],
) -> Result<Vec<(usize, CoreSynapticData)>, BuildError> {
    let vx = &g.vertices[v];
    if vx.role != Role::Neurons || bucket.is_empty() {
        return Ok(Vec::new());
    }
    // Blocks by presynaptic core, in core order (stable: row order within a
    // block is the tables' order).
    bucket.sort_by_key(|r| r.pre_vertex);
    let syns: Vec<Synapse> = bucket.iter().map(|r| r.syn).collect();
    let p = vx.population;
    let slots = g.slots[p];
    // Per presynaptic vertex: its synapses, and its delay extension's
    // stage keys for this D.
    let mut by_pre: Vec<(usize, std::ops::Range<usize>, Vec<KeyMask>)> = Vec::new();
    let mut start = 0;
    while start < bucket.len() {
        let u = bucket[start].pre_vertex as usize;
        let end = start + bucket[start..].partition_point(|r| r.pre_vertex as usize == u);
        let nb = bits(g.slice_size[g.vertices[u].population] as u64) + keys.colour_bits;
        let stage_keys = match g.delay_of.get(&(u, slots)).and_then(|&e| keys.of[e]) {
            Some(block) => (1..=MAX_STAGES).map(|s| stage_key(block, nb, s)).collect(),
            None => Vec::new(),
        };
        by_pre.push((u, start..end, stage_keys));
        start = end;
    }
    let matrix_error = |error| BuildError::Matrix {
        population: p,
        lo: vx.lo,
        hi: vx.hi,
        error,
    };
    // The population's longest delay, not this core's: every core of a
    // population, and the delay extensions feeding it, share one D.
    let layout = choose_layout(g.slice_size[p], shifts[p].types.len(), g.max_delay[p])
        .map_err(matrix_error)?;
    // Which core processes each presynaptic vertex's block.
    let target = |u: usize| g.synapse_core.get(&(u, v)).copied().unwrap_or(v);
    let cores: std::collections::BTreeSet<usize> =
        by_pre.iter().map(|(u, _, _)| target(*u)).collect();
    let mut out = Vec::with_capacity(cores.len());
    for core in cores {
        // A vertex reaching this core only through its delay extension
        // still sends (to the extension), so it has keys.
        let blocks: Vec<IncomingBlock<'_>> = by_pre
            .iter()
            .filter(|(u, _, _)| target(*u) == core)
            .filter_map(|(u, range, stage_keys)| {
                keys.of[*u].map(|key_mask| IncomingBlock {
                    key_mask,
                    n_pre: g.vertices[*u].len(),
                    stage_keys,
                    synapses: &syns[range.clone()],
                })
            })
            .collect();
        let data = build_coloured(layout, keys.colour_bits as u8, vx.len(), &blocks)
            .map_err(matrix_error)?;
        out.push((core, data));
    }
    Ok(out)
}
