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
use crate::matrix::{build, choose_layout, CoreSynapticData, IncomingBlock, Synapse};
use crate::{BuildError, Input};
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
    // Per projection and post population: the port, for the synapse type.
    let port_of = |k: usize, q: usize| -> Option<u16> {
        let (_, proj) = net.projections.iter().nth(k)?;
        net.models[pops[q].model]
            .dynamics()?
            .ports
            .iter()
            .position(|x| x.name == proj.port)
            .map(|p| p as u16)
    };
    // Count, then fill: one Routed a synapse.
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
    let mut fill = count.clone();
    let empty = Routed {
        pre_vertex: 0,
        syn: Synapse {
            pre: 0,
            post: 0,
            synapse_type: 0,
            delay: 0,
            weight: 0,
        },
    };
    let mut all = vec![empty; count[nv]];
    let mut losses = vec![WeightLoss::default(); ex.projections.len()];
    for (k, t) in ex.projections.iter().enumerate() {
        let loss = &mut losses[k];
        for (r, &pre) in t.pre.iter().enumerate() {
            let (pp, pi) = ex.layout.local(pre);
            let u = g.vertex_of(pp, pi);
            let pre_local = pi - g.vertices[u].lo;
            for s in t.row(r) {
                let (q, qi) = ex.layout.local(t.targets[s]);
                let v = g.vertex_of(q, qi);
                let w = t.weights.get(s);
                let ty = SynapseType {
                    port: port_of(k, q).unwrap_or(0),
                    sign: Sign::of(w),
                };
                let sh = &shifts[q];
                let type_index = sh.types.index(ty).unwrap_or(0);
                let shift = sh.shifts.get(type_index).copied().unwrap_or(0);
                loss.record(w, shift);
                all[fill[v]] = Routed {
                    pre_vertex: u as u32,
                    syn: Synapse {
                        pre: pre_local,
                        post: (qi - g.vertices[v].lo) as u16,
                        synapse_type: type_index as u8,
                        delay: t.delays.get(s),
                        weight: quantise(w.abs(), shift),
                    },
                };
                fill[v] += 1;
            }
        }
    }
    let mut out = Vec::with_capacity(nv);
    let mut syns: Vec<Synapse> = Vec::new();
    for (v, vx) in g.vertices.iter().enumerate() {
        let bucket = &mut all[count[v]..count[v + 1]];
        if vx.role != Role::Neurons || bucket.is_empty() {
            out.push(None);
            continue;
        }
        // Blocks by presynaptic core, in core order (stable: row order
        // within a block is the tables' order).
        bucket.sort_by_key(|r| r.pre_vertex);
        syns.clear();
        syns.extend(bucket.iter().map(|r| r.syn));
        let p = vx.population;
        let slots = g.slots[p];
        // The stage keys of every pre vertex's delay extension for this D.
        let stage_keys: Vec<Vec<KeyMask>> = bucket
            .iter()
            .map(|r| r.pre_vertex as usize)
            .collect::<std::collections::BTreeSet<usize>>()
            .into_iter()
            .map(|u| {
                let nb = bits(g.slice_size[g.vertices[u].population] as u64);
                match g.delay_of.get(&(u, slots)).and_then(|&e| keys.of[e]) {
                    Some(block) => (1..=MAX_STAGES).map(|s| stage_key(block, nb, s)).collect(),
                    None => Vec::new(),
                }
            })
            .collect();
        let mut blocks = Vec::new();
        let mut start = 0;
        let mut which = 0;
        while start < bucket.len() {
            let u = bucket[start].pre_vertex as usize;
            let end = start + bucket[start..].partition_point(|r| r.pre_vertex as usize == u);
            // A vertex reaching this core only through its delay extension
            // still sends (to the extension), so it has keys.
            if let Some(key_mask) = keys.of[u] {
                blocks.push(IncomingBlock {
                    key_mask,
                    n_pre: g.vertices[u].len(),
                    stage_keys: &stage_keys[which],
                    synapses: &syns[start..end],
                });
            }
            which += 1;
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
        out.push(Some(
            build(layout, vx.len(), &blocks).map_err(matrix_error)?,
        ));
    }
    Ok((out, losses))
}
