//! A design as partitioning sees it: one indivisible block per neuron (its
//! incoming synapse cells, its merger trees, the neuron cell, its splitter
//! tree and its monitor's SFQ/DC converter) and per spike source (its
//! DC/SFQ converter and splitter tree), and one line per synapse.
//!
//! Block `g` is global neuron `g`, so lines keep the design's numbering; in
//! clocked mode one more block holds the clock's converter and tree, with a
//! line to every clocked neuron (each chip needs the clock once).
//! Resources are counted from the netlist's own instances, with their
//! programmable biases, so that chips add up to the report's totals.

use super::{Design, PopulationCells};
use crate::netlist::ValidNetlist;
use crate::partition::{Block, Line};
use crate::tech::{CellKind, Technology};

/// Resources of a set of cells.
#[derive(Clone, Copy, Default)]
struct Load {
    jjs: u64,
    area_um2: f64,
    bias_ua: f64,
}

impl Load {
    fn add_cell(&mut self, tech: &Technology, kind: CellKind, programmable_ua: f64) {
        let cell = tech.cell(kind);
        self.jjs += u64::from(cell.jjs);
        self.area_um2 += cell.area_um2;
        self.bias_ua += cell.bias_ua + programmable_ua;
    }

    fn add(&mut self, other: Load) {
        self.jjs += other.jjs;
        self.area_um2 += other.area_um2;
        self.bias_ua += other.bias_ua;
    }
}

/// A module's cells with its children's, by name.
fn module_load(tech: &Technology, netlist: &ValidNetlist, name: &str) -> Load {
    let mut load = Load::default();
    if let Some(m) = netlist.module_index(name) {
        let module = &netlist.modules()[m];
        for inst in &module.instances {
            load.add_cell(tech, inst.kind, inst.bias_ua.values().sum());
        }
        for child in &module.submodules {
            load.add(module_load(tech, netlist, &child.module));
        }
    }
    load
}

/// The number in a generated name: `syn12` with prefix `syn` is 12.
fn number(name: &str, prefix: &str) -> Option<usize> {
    name.strip_prefix(prefix)?.parse().ok()
}

/// Blocks and lines of `design`; `offsets` are the populations' first
/// global ids followed by the total.
pub fn blocks(
    tech: &Technology,
    design: &Design,
    names: &[String],
    offsets: &[u32],
) -> (Vec<Block>, Vec<Line>) {
    let total = offsets.last().copied().unwrap_or(0) as usize;
    let mut load = vec![Load::default(); total];
    let mut external = vec![0u32; total];
    let netlist = &design.netlist;
    let mut tree_loads = std::collections::BTreeMap::new();
    let mut tree = |name: &str| {
        *tree_loads
            .entry(name.to_string())
            .or_insert_with(|| module_load(tech, netlist, name))
    };

    for (p, cells) in design.populations.iter().enumerate() {
        let first = offsets[p] as usize;
        let PopulationCells::Neurons { module, neurons } = cells else {
            continue;
        };
        let Some(m) = netlist.module_index(module) else {
            continue;
        };
        let module = &netlist.modules()[m];
        for inst in &module.instances {
            let owner = match inst.kind {
                CellKind::Synapse => number(&inst.name, "syn")
                    .and_then(|l| design.lines.get(l))
                    .map(|&(_, post)| post as usize),
                _ => number(&inst.name, "n").map(|i| first + i),
            };
            if let Some(g) = owner.filter(|&g| g < total) {
                load[g].add_cell(tech, inst.kind, inst.bias_ua.values().sum());
            }
        }
        for child in &module.submodules {
            // The module's clock tree (`ckt`) goes with its first neuron.
            let i = ["mex", "minh", "fo"]
                .iter()
                .find_map(|prefix| number(&child.name, prefix))
                .or((child.name == "ckt").then_some(0));
            if let Some(g) = i.map(|i| first + i).filter(|&g| g < total) {
                load[g].add(tree(&child.module));
            }
        }
        for (i, n) in neurons.iter().enumerate() {
            external[first + i] += u32::from(n.monitor.is_some());
        }
    }
    // In clocked mode the clock's converter and distribution tree are a
    // block of their own, with a line to every neuron it clocks.
    let mut clock = Load::default();
    let top = netlist.top_module();
    for inst in top.instances.iter().filter(|i| i.name == "dcck") {
        clock.add_cell(tech, inst.kind, inst.bias_ua.values().sum());
    }
    for child in top.submodules.iter().filter(|c| c.name == "fock") {
        clock.add(tree(&child.module));
    }
    for inst in &top.instances {
        let g = number(&inst.name, "dc").or_else(|| number(&inst.name, "do"));
        if let Some(g) = g.filter(|&g| g < total) {
            load[g].add_cell(tech, inst.kind, inst.bias_ua.values().sum());
            if inst.kind == CellKind::DcSfq {
                external[g] += 1;
            }
        }
    }
    for child in &top.submodules {
        if let Some(g) = number(&child.name, "fo").filter(|&g| g < total) {
            load[g].add(tree(&child.module));
        }
    }

    let labels = block_names(design, names, offsets);
    let mut blocks: Vec<Block> = (0..total)
        .map(|g| {
            let group = offsets
                .partition_point(|&o| o as usize <= g)
                .saturating_sub(1) as u32;
            Block {
                name: labels[g].clone(),
                group,
                jjs: load[g].jjs,
                area_um2: load[g].area_um2,
                bias_ua: load[g].bias_ua,
                external_pins: external[g],
            }
        })
        .collect();
    let mut lines: Vec<Line> = design
        .lines
        .iter()
        .map(|&(pre, post)| Line {
            from: pre as usize,
            to: post as usize,
        })
        .collect();
    if design.clock.is_some() {
        let clocked: Vec<usize> = design
            .populations
            .iter()
            .enumerate()
            .flat_map(|(p, cells)| match cells {
                PopulationCells::Neurons { neurons, .. } => neurons
                    .iter()
                    .enumerate()
                    .filter(|(_, n)| n.fan_in.0 + n.fan_in.1 > 0)
                    .map(|(i, _)| offsets[p] as usize + i)
                    .collect(),
                PopulationCells::Source { .. } => Vec::new(),
            })
            .collect();
        lines.extend(clocked.into_iter().map(|g| Line { from: total, to: g }));
        blocks.push(Block {
            name: CLOCK_BLOCK.into(),
            group: design.populations.len() as u32,
            jjs: clock.jjs,
            area_um2: clock.area_um2,
            bias_ua: clock.bias_ua,
            external_pins: 1,
        });
    }
    (blocks, lines)
}

/// `E_3` for neuron 3 of `E`, per global id.
fn block_names(design: &Design, names: &[String], offsets: &[u32]) -> Vec<String> {
    let mut out = Vec::new();
    for (p, cells) in design.populations.iter().enumerate() {
        let n = match cells {
            PopulationCells::Source { inputs } => inputs.len(),
            PopulationCells::Neurons { neurons, .. } => neurons.len(),
        };
        let name = names.get(p).map_or("?", String::as_str);
        debug_assert_eq!(offsets[p] as usize, out.len());
        out.extend((0..n).map(|i| format!("{name}_{i}")));
    }
    out
}

/// The name of the clock's block.
pub const CLOCK_BLOCK: &str = "clock";

/// The block names, in block order.
pub fn names(design: &Design, names: &[String]) -> Vec<String> {
    let mut offsets = vec![0u32];
    for cells in &design.populations {
        let n = match cells {
            PopulationCells::Source { inputs } => inputs.len(),
            PopulationCells::Neurons { neurons, .. } => neurons.len(),
        };
        offsets.push(offsets.last().copied().unwrap_or(0) + n as u32);
    }
    let mut out = block_names(design, names, &offsets);
    if design.clock.is_some() {
        out.push(CLOCK_BLOCK.into());
    }
    out
}
