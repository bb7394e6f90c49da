//! The emulator's side of plastic rows: a neuron core's STDP state, the
//! time stamps of the integer rule, and reading the final weights back out
//! of the rows, so that `spikec verify` can compare them with the
//! simulator's.

use std::collections::BTreeMap;

use super::{Core, Run};
use crate::core_data::Plasticity;
use spikec_ir::fixed::weight_unit;
use spikec_ir::stdp::PostHistories;

/// A plastic synapse and its weight at the end of a run.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
pub struct PlasticWeight {
    /// Presynaptic (population, neuron).
    pub pre: (u32, u32),
    /// Postsynaptic (population, neuron).
    pub post: (u32, u32),
    /// Delay, steps.
    pub delay: u16,
    /// The weight in the port's unit (magnitude × the type's weight unit).
    pub weight: f64,
}

/// A neuron core's STDP state: its rule and its neurons' post spikes.
pub(super) struct PlasticState {
    pub(super) rule: Plasticity,
    pub(super) history: PostHistories,
}

/// The stamp the integer STDP rule gives a spike of `step`.
pub(super) fn stamp(step: u64) -> u32 {
    u32::try_from(step + 1).unwrap_or(u32::MAX)
}

/// Every plastic synapse's weight, read out of the rows: the key range of
/// each table entry names the sending slice (neuron or source core).
pub(super) fn final_weights(cores: &[Core]) -> Vec<PlasticWeight> {
    let senders: BTreeMap<(u32, u32), (u32, u32, u32)> = cores
        .iter()
        .filter_map(|c| match &c.run {
            Run::Neurons(nr) => nr
                .data
                .key
                .map(|k| ((k.key, k.mask), (nr.data.population, nr.data.lo, nr.data.n))),
            Run::Source(sr) => sr
                .data
                .key
                .map(|k| ((k.key, k.mask), (sr.data.population, sr.data.lo, sr.data.n))),
            _ => None,
        })
        .collect();
    let mut out = Vec::new();
    for c in cores {
        let (m, population, lo, nk) = match &c.run {
            Run::Neurons(nr) => match &nr.matrices {
                Some(m) => (m, nr.data.population, nr.data.lo, None),
                None => continue,
            },
            Run::Synapses(sr) => (
                &sr.matrices,
                sr.data.population,
                sr.data.lo,
                Some(sr.neuron_core),
            ),
            _ => continue,
        };
        let types = match nk.map_or(&c.run, |k| &cores[k].run) {
            Run::Neurons(nr) => &nr.data.types,
            _ => continue,
        };
        for e in m.entries() {
            let km = e.key_mask;
            let Some(&(pre_pop, pre_lo, n_pre)) = senders.get(&(km.key, km.mask)) else {
                continue;
            };
            for a in &m.addresses()[e.start as usize..e.start as usize + e.count as usize] {
                for pre in 0..n_pre {
                    let Ok(row) = m.row(*a, pre) else { continue };
                    for s in row.plastic() {
                        let unit = types
                            .get(s.synapse_type as usize)
                            .map_or(0.0, |(_, shift)| weight_unit(*shift));
                        out.push(PlasticWeight {
                            pre: (pre_pop, pre_lo + pre),
                            post: (population, lo + s.post as u32),
                            delay: s.delay,
                            weight: f64::from(s.weight) * unit,
                        });
                    }
                }
            }
        }
    }
    out.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    out
}
