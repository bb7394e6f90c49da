//! The netlist itself: cells, trees and modules for a lowered network.
//!
//! Names are chosen so that no two can meet whatever the populations are
//! called: generated nets, cells and ports inside a population module are
//! a fixed prefix and a number (`in12`, `syn12`, `n3q`), the top module's
//! are a prefix and a global number (`l12`, `dc4`), and only the
//! top-level ports and child instances carry population names, joined by
//! `_`, which the generated names never contain.

use std::collections::BTreeMap;

use super::neuron::{shape, CellNeuron, Shape};
use super::weights::{self, Synapse, WeightLoss};
use super::{
    Clock, Design, Input, LowerError, LowerOptions, LowerWarning, NeuronCell, PopulationCells,
};
use crate::netlist::{Instance, Module, ModuleInstance, Netlist, Port};
use crate::tech::{CellKind, Technology};
use crate::tree::{merger_tree, splitter_tree};
use spikec_ir::model::{Model, ModelBody};
use spikec_ir::network::{Projection, Recordable};

/// The top module's clock input in clocked mode. Population names are
/// joined to their neuron numbers by `_`, so no input port is named so.
pub const CLOCK_PORT: &str = "clk";

/// One synapse line.
struct LineSyn {
    pre: u32,
    post: u32,
    inhibitory: bool,
    synapse: Synapse,
}

/// What a shared fragment module is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Fragment {
    Splitter,
    Merger,
    /// A merger tree behind clocked DFFs ([`super::clocked`]).
    Clocked,
}

/// Fragment modules by (kind, size), built once each.
struct Trees<'t> {
    tech: &'t Technology,
    modules: BTreeMap<(Fragment, u32), Module>,
}

impl Trees<'_> {
    /// The module name of a fragment, creating the module on first use.
    fn name(&mut self, kind: Fragment, n: u32) -> Result<String, LowerError> {
        let name = match kind {
            Fragment::Splitter => format!("splitter{n}"),
            Fragment::Merger => format!("merger{n}"),
            Fragment::Clocked => format!("clocked{n}"),
        };
        if !self.modules.contains_key(&(kind, n)) {
            let module = match kind {
                Fragment::Splitter => Module::from_tree(name.clone(), &splitter_tree(n), self.tech),
                Fragment::Merger => Module::from_tree(name.clone(), &merger_tree(n), self.tech),
                Fragment::Clocked => {
                    let merger = if n >= 2 {
                        self.name(Fragment::Merger, n)?
                    } else {
                        String::new()
                    };
                    Ok(super::clocked::module(self.tech, n, &merger))
                }
            }
            .map_err(LowerError::Netlist)?;
            self.modules.insert((kind, n), module);
        }
        Ok(name)
    }
}

/// Lowers the network; every error found, or the design.
pub fn lower(input: &Input<'_>, options: &LowerOptions) -> Result<Design, Vec<LowerError>> {
    let (net, ex, tech) = (input.net, input.expanded, input.tech);
    let mut errors = Vec::new();
    let mut warnings = Vec::new();

    if let Some((projection, p)) = net.first_projection(Projection::is_gap_junction) {
        return Err(vec![LowerError::GapJunction {
            projection,
            name: p.name.clone(),
        }]);
    }

    if let Some((projection, p)) = net.first_projection(|p| p.is_plastic()) {
        return Err(vec![LowerError::Plastic {
            projection,
            name: p.name.clone(),
        }]);
    }

    // Each neuron population's model, checked once, then per neuron.
    let mut cells: Vec<Option<(Shape, Vec<CellNeuron>)>> = Vec::new();
    for (p, (_, pop)) in net.populations.iter().enumerate() {
        let model = &net.models[pop.model];
        if matches!(model.body, ModelBody::Source(_)) {
            cells.push(None);
            continue;
        }
        let params = &ex.populations[p].params;
        let analysed = shape(model).and_then(|s| {
            let neurons = (0..pop.size as usize)
                .map(|i| s.neuron(model, params, i))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((s, neurons))
        });
        match analysed {
            Ok(a) => {
                let refractory = a.1.iter().map(|c| c.refractory_ms).fold(0.0, f64::max);
                if refractory > 0.0 {
                    warnings.push(LowerWarning::Refractory {
                        population: p,
                        period_ms: refractory,
                    });
                }
                cells.push(Some(a));
            }
            Err(reason) => {
                errors.push(LowerError::Model {
                    population: p,
                    name: pop.name.clone(),
                    model: model.name.clone(),
                    reason,
                });
                cells.push(None);
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }

    // Every synapse with a non-zero weight, as (pre, post, signed weight).
    let layout = &ex.layout;
    let total = layout.total() as usize;
    let mut raw: Vec<(u32, u32, f64, usize)> = Vec::new();
    let mut max_weight = vec![0.0f64; total];
    let models: Vec<&Model> = net
        .populations
        .iter()
        .map(|(_, p)| &net.models[p.model])
        .collect();
    for (j, ((_, proj), table)) in net.projections.iter().zip(&ex.projections).enumerate() {
        let mut negative = false;
        // The projection's port in each population's model, found once.
        let ports: Vec<Option<usize>> = models
            .iter()
            .map(|m| {
                m.dynamics()
                    .and_then(|d| d.ports.iter().position(|x| x.name == proj.port))
            })
            .collect();
        for (r, &pre) in table.pre.iter().enumerate() {
            for k in table.row(r) {
                let post = table.targets[k];
                let (pp, i) = layout.local(post);
                let Some((shape, _)) = &cells[pp] else {
                    continue;
                };
                let scale = ports[pp].map_or(1.0, |port| {
                    shape.scale(models[pp], &ex.populations[pp].params, port, i as usize)
                });
                let w = table.weights.get(k) * scale;
                if w == 0.0 || !w.is_finite() {
                    continue;
                }
                negative |= w < 0.0;
                max_weight[post as usize] = max_weight[post as usize].max(w.abs());
                raw.push((pre, post, w, j));
            }
        }
        if negative && tech.inhibitory_input().is_none() {
            errors.push(LowerError::Inhibition {
                projection: j,
                name: proj.name.clone(),
                technology: tech.name().to_string(),
            });
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }

    // Thresholds per neuron, then each synapse's probability.
    let mut thresholds = vec![None; total];
    for (p, c) in cells.iter().enumerate() {
        if let Some((_, neurons)) = c {
            for (i, n) in neurons.iter().enumerate() {
                let g = layout.global(p, i as u32) as usize;
                thresholds[g] = Some(weights::threshold(tech, n.span, max_weight[g]));
            }
        }
    }
    let mut losses = vec![WeightLoss::default(); net.projections.len()];
    let lines: Vec<LineSyn> = raw
        .iter()
        .map(|&(pre, post, w, j)| {
            let quantum = thresholds[post as usize].map_or(1.0, |t| t.quantum);
            let synapse = weights::synapse(tech, w, quantum);
            losses[j].add(&synapse);
            LineSyn {
                pre,
                post,
                inhibitory: w < 0.0,
                synapse,
            }
        })
        .collect();
    for (projection, loss) in losses.into_iter().enumerate() {
        if loss.significant() {
            warnings.push(LowerWarning::Weights { projection, loss });
        }
    }

    // Lines out of and into each neuron.
    let mut out_lines: Vec<Vec<u32>> = vec![Vec::new(); total];
    let mut in_lines: Vec<Vec<u32>> = vec![Vec::new(); total];
    for (l, line) in lines.iter().enumerate() {
        out_lines[line.pre as usize].push(l as u32);
        in_lines[line.post as usize].push(l as u32);
    }

    let recorded: Vec<bool> = {
        let mut r = vec![options.monitor_all; net.populations.len()];
        for rec in &net.records {
            if rec.what == Recordable::Spikes {
                for part in &rec.selection.parts {
                    r[part.population.index()] = true;
                }
            }
        }
        r
    };

    let mut trees = Trees {
        tech,
        modules: BTreeMap::new(),
    };
    let mut modules = Vec::new();
    let mut top = Module::new(top_name(&net.name, net));
    let mut populations = Vec::new();
    let period = options.clock_period_ps;
    let mut too_fast: Option<LowerError> = None;
    let mut top_clock_sinks: Vec<String> = Vec::new();
    for (p, (_, pop)) in net.populations.iter().enumerate() {
        let first = layout.global(p, 0);
        let Some((_, neurons)) = &cells[p] else {
            // A source: DC/SFQ in, splitter tree out.
            let mut inputs = Vec::with_capacity(pop.size as usize);
            for i in 0..pop.size {
                let g = first + i;
                let outs = &out_lines[g as usize];
                if outs.is_empty() {
                    inputs.push(None);
                    continue;
                }
                let port = format!("{}_{i}", pop.name);
                top.ports.push(Port::input(port.clone()));
                let sinks: Vec<String> = outs.iter().map(|l| format!("l{l}")).collect();
                let dc_out = fan_out(
                    &mut top,
                    &mut trees,
                    &format!("fo{g}"),
                    &format!("dc{g}q"),
                    &sinks,
                )
                .map_err(|e| vec![e])?;
                top.instances.push(
                    Instance::new(format!("dc{g}"), CellKind::DcSfq)
                        .pin(&tech.cell(CellKind::DcSfq).pins.inputs[0], port.clone())
                        .pin(&tech.cell(CellKind::DcSfq).pins.outputs[0], dc_out),
                );
                inputs.push(Some(port));
            }
            populations.push(PopulationCells::Source { inputs });
            continue;
        };

        let module_name = format!("p_{}", pop.name);
        let mut module = Module::new(module_name.clone());
        let mut child = ModuleInstance::new(format!("u_{}", pop.name), module_name.clone());
        let mut summary = Vec::with_capacity(neurons.len());
        // Clocked fan-ins of this module, by child index.
        let mut clock_sinks: Vec<usize> = Vec::new();
        let syn_pins = &tech.cell(CellKind::Synapse).pins;
        let neu_pins = &tech.cell(CellKind::Neuron).pins;
        for (i, cell) in neurons.iter().enumerate() {
            let g = (first + i as u32) as usize;
            let threshold = thresholds[g].unwrap_or(weights::threshold(tech, cell.span, 0.0));
            let mut excitatory = Vec::new();
            let mut inhibitory = Vec::new();
            for &l in &in_lines[g] {
                let line = &lines[l as usize];
                let port = format!("in{l}");
                module.ports.push(Port::input(port.clone()));
                child.connections.insert(port.clone(), format!("l{l}"));
                module.instances.push(
                    Instance::new(format!("syn{l}"), CellKind::Synapse)
                        .pin(&syn_pins.inputs[0], port)
                        .pin(&syn_pins.outputs[0], format!("syn{l}q"))
                        .bias(&syn_pins.biases[0], line.synapse.bias_ua),
                );
                if line.inhibitory {
                    inhibitory.push(format!("syn{l}q"));
                } else {
                    excitatory.push(format!("syn{l}q"));
                }
            }
            let leak_bias = tech.quantise_bias(tech.neuron().bias_for_leak_rate(cell.leak_per_ns));
            let leak_per_ns = tech.neuron().leak_rate_per_ns(leak_bias);
            let mut sinks = Vec::new();
            for &l in &out_lines[g] {
                let port = format!("out{l}");
                module.ports.push(Port::output(port.clone()));
                child.connections.insert(port.clone(), format!("l{l}"));
                sinks.push(port);
            }
            let monitor = (recorded[p] || sinks.is_empty()).then(|| {
                let port = format!("mon{i}");
                module.ports.push(Port::output(port.clone()));
                child.connections.insert(port.clone(), format!("m{g}"));
                sinks.push(port);
                let top_port = format!("{}_{i}", pop.name);
                let sfqdc = &tech.cell(CellKind::SfqDc).pins;
                top.ports.push(Port::output(top_port.clone()));
                top.instances.push(
                    Instance::new(format!("do{g}"), CellKind::SfqDc)
                        .pin(&sfqdc.inputs[0], format!("m{g}"))
                        .pin(&sfqdc.outputs[0], top_port.clone()),
                );
                top_port
            });
            let q = fan_out(
                &mut module,
                &mut trees,
                &format!("fo{i}"),
                &format!("n{i}q"),
                &sinks,
            )
            .map_err(|e| vec![e])?;
            let mut neuron = Instance::new(format!("n{i}"), CellKind::Neuron)
                .pin(&neu_pins.outputs[0], q)
                .bias(&neu_pins.biases[0], threshold.bias_ua)
                .bias(&neu_pins.biases[1], leak_bias);
            let clocked = period.is_some();
            for (sources, name, net, pin) in [
                (&excitatory, "mex", "a", Some(neu_pins.inputs[0].as_str())),
                (&inhibitory, "minh", "i", tech.inhibitory_input()),
            ] {
                let Some(pin) = pin.filter(|_| !sources.is_empty()) else {
                    continue;
                };
                let net = fan_in(
                    &mut module,
                    &mut trees,
                    &format!("{name}{i}"),
                    &format!("n{i}{net}"),
                    sources,
                    clocked,
                )
                .map_err(|e| vec![e])?;
                if let Some(period_ps) = period {
                    let k = sources.len() as u32;
                    let need = super::clocked::min_period_ps(tech, k);
                    if need > period_ps
                        && too_fast.as_ref().is_none_or(|t: &LowerError| match t {
                            LowerError::ClockTooFast { min_period_ps, .. } => need > *min_period_ps,
                            _ => false,
                        })
                    {
                        too_fast = Some(LowerError::ClockTooFast {
                            population: p,
                            name: pop.name.clone(),
                            neuron: i as u32,
                            fan_in: k,
                            min_period_ps: need,
                            period_ps,
                        });
                    }
                    clock_sinks.push(module.submodules.len() - 1);
                }
                neuron = neuron.pin(pin, net);
            }
            module.instances.push(neuron);
            summary.push(NeuronCell {
                pulses: threshold.pulses,
                threshold_bias_ua: threshold.bias_ua,
                leak_bias_ua: leak_bias,
                leak_per_ns,
                fan_in: (excitatory.len() as u32, inhibitory.len() as u32),
                fan_out: out_lines[g].len() as u32,
                monitor,
            });
        }
        leak_warning(p, neurons, &summary, &mut warnings);
        if !clock_sinks.is_empty() {
            module.ports.push(Port::input("clk"));
            let nets: Vec<String> = (0..clock_sinks.len()).map(|c| format!("ck{c}")).collect();
            let driver =
                fan_out(&mut module, &mut trees, "ckt", "clk", &nets).map_err(|e| vec![e])?;
            for (c, &child_index) in clock_sinks.iter().enumerate() {
                let net = if driver == "clk" {
                    nets[c].clone()
                } else {
                    "clk".to_string()
                };
                module.submodules[child_index]
                    .connections
                    .insert("clk".into(), net);
            }
            child.connections.insert("clk".into(), format!("k{p}"));
            top_clock_sinks.push(format!("k{p}"));
        }
        top.submodules.push(child);
        modules.push(module);
        populations.push(PopulationCells::Neurons {
            module: module_name,
            neurons: summary,
        });
    }

    if let Some(e) = too_fast {
        return Err(vec![e]);
    }
    let mut clock_port = None;
    if !top_clock_sinks.is_empty() {
        // The clock enters like a source: a DC/SFQ converter, then a
        // splitter tree to every population module.
        let dc = &tech.cell(CellKind::DcSfq).pins;
        let q = fan_out(&mut top, &mut trees, "fock", "dcckq", &top_clock_sinks)
            .map_err(|e| vec![e])?;
        top.ports.push(Port::input(CLOCK_PORT));
        top.instances.push(
            Instance::new("dcck", CellKind::DcSfq)
                .pin(&dc.inputs[0], CLOCK_PORT)
                .pin(&dc.outputs[0], q),
        );
        clock_port = Some(CLOCK_PORT.to_string());
    }
    let top_name = top.name.clone();
    modules.push(top);
    modules.extend(trees.modules.into_values());
    let netlist = Netlist {
        modules,
        top: top_name,
    }
    .validate(tech)
    .map_err(|e| {
        e.into_iter()
            .take(1)
            .map(LowerError::Netlist)
            .collect::<Vec<_>>()
    })?;
    Ok(Design {
        netlist,
        clock: clock_port
            .zip(period)
            .map(|(port, period_ps)| Clock { port, period_ps }),
        populations,
        lines: lines.iter().map(|l| (l.pre, l.post)).collect(),
        warnings,
    })
}

/// The top module's name: the network's, unless a generated module has it.
fn top_name(name: &str, net: &spikec_ir::Network) -> String {
    let generated = name.starts_with("splitter")
        || name.starts_with("merger")
        || name.starts_with("clocked")
        || net
            .populations
            .iter()
            .any(|(_, p)| format!("p_{}", p.name) == name);
    if generated {
        format!("{name}_top")
    } else {
        name.to_string()
    }
}

/// Connects `driver_net` to every sink net through a splitter tree named
/// `instance`; returns the net the driver must drive: `driver_net`, or the
/// one sink itself when there is only one.
fn fan_out(
    module: &mut Module,
    trees: &mut Trees<'_>,
    instance: &str,
    driver_net: &str,
    sinks: &[String],
) -> Result<String, LowerError> {
    if let [one] = sinks {
        return Ok(one.clone());
    }
    let tree = trees.name(Fragment::Splitter, sinks.len() as u32)?;
    let mut child = ModuleInstance::new(instance, tree).port("in0", driver_net);
    for (j, sink) in sinks.iter().enumerate() {
        child = child.port(format!("out{j}"), sink.clone());
    }
    module.submodules.push(child);
    Ok(driver_net.to_string())
}

/// Merges `sources` into one net through a merger tree named `instance`;
/// returns that net (`out_net`, or the one source when there is one). In
/// clocked mode the tree is a clocked fan-in, whose `clk` port is left for
/// the caller to connect (it is the last child of `module`).
fn fan_in(
    module: &mut Module,
    trees: &mut Trees<'_>,
    instance: &str,
    out_net: &str,
    sources: &[String],
    clocked: bool,
) -> Result<String, LowerError> {
    if let ([one], false) = (sources, clocked) {
        return Ok(one.clone());
    }
    let kind = if clocked {
        Fragment::Clocked
    } else {
        Fragment::Merger
    };
    let tree = trees.name(kind, sources.len() as u32)?;
    let mut child = ModuleInstance::new(instance, tree).port("out0", out_net);
    for (j, source) in sources.iter().enumerate() {
        child = child.port(format!("in{j}"), source.clone());
    }
    module.submodules.push(child);
    Ok(out_net.to_string())
}

/// Warns when the leak junction cannot give a population's leak within
/// 5 %.
fn leak_warning(
    population: usize,
    neurons: &[CellNeuron],
    cells: &[NeuronCell],
    warnings: &mut Vec<LowerWarning>,
) {
    let worst = neurons
        .iter()
        .zip(cells)
        .map(|(n, c)| (n.leak_per_ns, c.leak_per_ns))
        .filter(|&(want, got)| {
            if want == 0.0 {
                got > 0.0
            } else {
                (got - want).abs() > 0.05 * want
            }
        })
        .max_by(|a, b| {
            let err = |(w, g): (f64, f64)| (g - w).abs() / w.max(1e-300);
            err(*a).total_cmp(&err(*b))
        });
    if let Some((wanted_per_ns, realised_per_ns)) = worst {
        warnings.push(LowerWarning::Leak {
            population,
            wanted_per_ns,
            realised_per_ns,
        });
    }
}
