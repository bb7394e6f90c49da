//! Lowering each vertex to the data its core loads ([`crate::core_data`]):
//! parameters, initial states, scales and propagators in s16.15, exactly
//! as the simulator's `s1615` mode rounds them, so that a core started
//! from its data computes what the simulator computes.

use crate::core_data::{s1615, DelayCore, NeuronCore, Param, Plasticity, SourceCore, SourceKind};
use crate::graph::MachineGraph;
use crate::graph::{bits, Role, Vertex};
use crate::keys::Keys;
use crate::Input;

use spikec_ir::expanded::PerNeuron;

use spikec_ir::model::{Generator, ModelBody};
use spikec_ir::philox::source_key;
use spikec_ir::ring::PopulationShifts;
use spikec_ir::step::spike_steps;

use spikec_ir::eval::{per_neuron as per, per_neuron_in_program};

/// The data of neuron vertex `v`, with its population's `plasticity`.
pub fn neuron_core(
    input: &Input<'_>,
    g: &MachineGraph,
    keys: &Keys,
    shifts: &[PopulationShifts],
    plasticity: Option<Plasticity>,
    v: usize,
) -> Option<NeuronCore> {
    let net = input.net.network();
    let vx: &Vertex = &g.vertices[v];
    let p = vx.population;
    let (_, pop) = net.populations.iter().nth(p)?;
    let model = &net.models[pop.model];
    let prog = input.programs.get(pop.model.index())?.as_ref()?;
    let values = &input.expanded.populations[p];
    let h = net.timestep;
    let range = vx.lo as usize..vx.hi as usize;
    let params = values
        .params
        .iter()
        .map(|pv| match pv {
            PerNeuron::Const(c) => Param::Const(s1615(*c)),
            PerNeuron::Values(vs) => {
                Param::PerNeuron(vs[range.clone()].iter().map(|x| s1615(*x)).collect())
            }
        })
        .collect();
    let init = values
        .init
        .iter()
        .map(|s| range.clone().map(|i| s1615(s.get(i))).collect())
        .collect();
    let refr_steps = range
        .clone()
        .map(|i| {
            prog.refractory.as_ref().map_or(0, |r| {
                (per(model, &values.params, r.period, i) / h)
                    .round()
                    .max(0.0) as u32
            })
        })
        .collect();
    let scales = prog
        .jumps
        .iter()
        .map(|j| {
            range
                .clone()
                .map(|i| {
                    s1615(j.scale.map_or(1.0, |e| {
                        per_neuron_in_program(model, prog, &values.params, e, i)
                    }))
                })
                .collect()
        })
        .collect();
    let all = input.propagators.get(p).map_or(&[][..], |v| &v[..]);
    let props = match all.len() {
        0 => Vec::new(),
        1 => vec![&all[0]],
        _ => all[range.clone()].iter().collect(),
    }
    .into_iter()
    .map(|pr| {
        pr.p.iter()
            .chain(&pr.c)
            .chain(&pr.q)
            .map(|x| s1615(*x))
            .collect()
    })
    .collect();
    let sh = &shifts[p];
    let types = sh
        .types
        .iter()
        .zip(&sh.shifts)
        .map(|(t, s)| (t, *s))
        .collect();
    Some(NeuronCore {
        population: p as u32,
        lo: vx.lo,
        n: vx.len(),
        key: keys.of[v],
        colour_bits: keys.colour_bits as u8,
        params,
        init,
        refr_steps,
        scales,
        props,
        types,
        plasticity,
    })
}

/// The data of delay-extension vertex `v`.
pub fn delay_core(g: &MachineGraph, keys: &Keys, v: usize) -> Option<DelayCore> {
    let vx = &g.vertices[v];
    let Role::Delay { of, slots, stages } = vx.role else {
        return None;
    };
    Some(DelayCore {
        population: vx.population as u32,
        lo: vx.lo,
        n: vx.len(),
        source: keys.of[of]?,
        slots,
        stages,
        stage_base: keys.of[v]?.key,
        neuron_bits: bits(g.slice_size[vx.population] as u64) as u8,
        colour_bits: keys.colour_bits as u8,
    })
}

/// The data of source vertex `v`.
pub fn source_core(
    input: &Input<'_>,
    g: &MachineGraph,
    keys: &Keys,
    v: usize,
) -> Option<SourceCore> {
    let net = input.net.network();
    let vx = &g.vertices[v];
    if vx.role != Role::Source {
        return None;
    }
    let p = vx.population;
    let (_, pop) = net.populations.iter().nth(p)?;
    let model = &net.models[pop.model];
    let values = &input.expanded.populations[p];
    let h = net.timestep;
    let range = vx.lo as usize..vx.hi as usize;
    let kind = match &model.body {
        ModelBody::Source(Generator::Poisson { rate, start, stop }) => SourceKind::Poisson {
            key: source_key(net.seed, p),
            lambda: range
                .clone()
                .map(|i| per(model, &values.params, *rate, i) * h)
                .collect(),
            start: range
                .clone()
                .map(|i| per(model, &values.params, *start, i))
                .collect(),
            stop: range
                .map(|i| per(model, &values.params, *stop, i))
                .collect(),
        },
        ModelBody::Source(Generator::Array { .. }) => {
            let trains = values.spike_times.as_deref().unwrap_or(&[]);
            SourceKind::Array {
                steps: range
                    .map(|i| trains.get(i).map_or_else(Vec::new, |tr| spike_steps(tr, h)))
                    .collect(),
            }
        }
        ModelBody::Neuron(_) => return None,
    };
    Some(SourceCore {
        population: p as u32,
        lo: vx.lo,
        n: vx.len(),
        key: keys.of[v],
        colour_bits: keys.colour_bits as u8,
        kind,
    })
}
