//! The ring-buffer shifts of a whole network: for every (post population,
//! synapse type), the left shift its 16-bit weights use on SpiNNaker.
//!
//! The SpiNNaker backend writes weights with these shifts and the
//! simulator's `s1615` mode rounds weights with them, so that the emulator
//! of the emitted configuration and the simulator see the same weights and
//! can agree spike for spike. One function computes them for both.
//!
//! A plastic projection's positive weights count at `w_max` (or their
//! own, if larger): they grow while the network runs, and a shift chosen
//! from their initial values (often 0) would saturate once they have.
//!
//! Rates, as sPyNNaker estimates them: a Poisson source's own rate (its
//! largest over neurons), a spike array's mean rate over its span, and 30
//! Hz for a neuron population (sPyNNaker's default `spikes_per_second`).

use crate::eval::per_neuron;
use crate::expanded::Expanded;
use crate::fixed::{
    ring_buffer_shift, IncomingGroup, Sign, SynapseType, SynapseTypes, WeightStats,
    DEFAULT_RING_BUFFER_SIGMA,
};
use crate::model::{Generator, ModelBody};
use crate::Network;

/// The rate assumed for neurons (Hz), as sPyNNaker's `spikes_per_second`.
pub const NEURON_RATE_HZ: f64 = 30.0;

/// One post population's synapse types and their shifts.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PopulationShifts {
    /// The types its synapses use, numbered.
    pub types: SynapseTypes,
    /// Per type (by number), the shift.
    pub shifts: Vec<u8>,
    /// Per type, whether the slot may saturate at the expected input.
    pub may_saturate: Vec<bool>,
}

impl PopulationShifts {
    /// The shift of weights of this sign on `port` (0 if unused).
    pub fn shift(&self, port: u16, sign: Sign) -> u8 {
        self.types
            .index(SynapseType { port, sign })
            .map_or(0, |t| self.shifts[t])
    }
}

/// Each population's expected firing rate (Hz) for the estimate.
pub fn rates(net: &Network, ex: &Expanded) -> Vec<f64> {
    net.populations
        .iter()
        .enumerate()
        .map(|(p, (_, pop))| {
            let model = &net.models[pop.model];
            let values = &ex.populations[p];
            match &model.body {
                ModelBody::Neuron(_) => NEURON_RATE_HZ,
                ModelBody::Source(Generator::Poisson { rate, .. }) => (0..pop.size as usize)
                    // Canonical frequency unit: kHz.
                    .map(|i| per_neuron(model, &values.params, *rate, i) * 1000.0)
                    .fold(0.0, f64::max),
                ModelBody::Source(Generator::Array { .. }) => {
                    let trains = values.spike_times.as_deref().unwrap_or(&[]);
                    trains
                        .iter()
                        .filter_map(|t| {
                            let last = *t.last()?;
                            (last > 0.0).then(|| t.len() as f64 / (last * 1e-3))
                        })
                        .fold(0.0, f64::max)
                }
            }
        })
        .collect()
}

/// Every population's synapse types and shifts (empty for sources).
pub fn network_shifts(net: &Network, ex: &Expanded) -> Vec<PopulationShifts> {
    let n_pops = net.populations.len();
    let rates = rates(net, ex);
    // Per population, per type: the groups feeding it.
    let mut groups: Vec<Vec<(SynapseType, IncomingGroup)>> = vec![Vec::new(); n_pops];
    let mut in_degree: Vec<u32> = Vec::new();
    for ((_, proj), t) in net.projections.iter().zip(&ex.projections) {
        // Gap junctions carry no spikes into ring buffers.
        if proj.is_gap_junction() {
            continue;
        }
        let Some(&first_pre) = t.pre.first() else {
            continue;
        };
        let rate = rates[ex.layout.local(first_pre).0];
        for part in &proj.post.parts {
            let q = part.population.index();
            let Some(port) = net.port_index(proj, part.population) else {
                continue;
            };
            let (start, end) = (ex.layout.offsets[q], ex.layout.offsets[q + 1]);
            for sign in [Sign::Positive, Sign::Negative] {
                let mut stats = WeightStats::default();
                in_degree.clear();
                in_degree.resize((end - start) as usize, 0);
                for (k, &g) in t.targets.iter().enumerate() {
                    if !(start..end).contains(&g) {
                        continue;
                    }
                    let w = t.weights.get(k);
                    if Sign::of(w) != sign {
                        continue;
                    }
                    // Plastic weights grow up to `w_max`: the slot must
                    // hold them there, whatever they start at (often 0).
                    let w = match proj.stdp() {
                        Some(r) if sign == Sign::Positive => w.max(r.w_max),
                        _ => w,
                    };
                    if Sign::of(w) != sign {
                        continue;
                    }
                    stats.add(w);
                    in_degree[(g - start) as usize] += 1;
                }
                if stats.count == 0 {
                    continue;
                }
                let fan_in = in_degree.iter().copied().max().unwrap_or(0) as u64;
                groups[q].push((
                    SynapseType {
                        port: port as u16,
                        sign,
                    },
                    IncomingGroup {
                        weights: stats,
                        fan_in,
                        rate_hz: rate,
                    },
                ));
            }
        }
    }
    groups
        .into_iter()
        .map(|gs| {
            let types = SynapseTypes::new(gs.iter().map(|(t, _)| *t));
            let mut shifts = Vec::with_capacity(types.len());
            let mut may_saturate = Vec::with_capacity(types.len());
            for ty in types.iter() {
                let mine: Vec<IncomingGroup> = gs
                    .iter()
                    .filter(|(t, _)| *t == ty)
                    .map(|(_, g)| *g)
                    .collect();
                let r = ring_buffer_shift(&mine, net.timestep, DEFAULT_RING_BUFFER_SIGMA);
                shifts.push(r.shift);
                may_saturate.push(r.may_saturate);
            }
            PopulationShifts {
                types,
                shifts,
                may_saturate,
            }
        })
        .collect()
}
