//! Which neuron every cell of a lowered design belongs to: the one
//! attribution that both the report (per population) and partitioning
//! (per block) add up, so that they cannot disagree.
//!
//! It reads the names lowering gives (see [`super::build`]): in a
//! population module, `syn<l>` is line `l`'s synapse (its postsynaptic
//! neuron's), `n<i>` neuron `i`, children `mex<i>`, `minh<i>` and `fo<i>`
//! its merger and splitter trees, and `ckt` the module's clock tree (given
//! to its first neuron); in the top module, `dc<g>`, `do<g>` and `fo<g>`
//! are global neuron `g`'s converters and source splitter tree, and
//! `dcck` and `fock` the clock's converter and tree.

use std::collections::BTreeMap;

use super::{Design, PopulationCells};
use crate::netlist::{Instance, ValidNetlist};
use crate::tech::{CellKind, Technology};

/// Cells with their own programmable biases.
#[derive(Clone, Debug, Default)]
pub(crate) struct Sum {
    pub(crate) cells: BTreeMap<CellKind, u64>,
    pub(crate) bias_ua: f64,
    /// Programmable bias lines (one per bias pin).
    pub(crate) bias_lines: u64,
}

impl Sum {
    fn add_cell(&mut self, tech: &Technology, inst: &Instance) {
        *self.cells.entry(inst.kind).or_default() += 1;
        self.bias_ua += tech.cell(inst.kind).bias_ua + inst.bias_ua.values().sum::<f64>();
        self.bias_lines += inst.bias_ua.len() as u64;
    }

    pub(crate) fn add(&mut self, other: &Sum) {
        for (&k, &n) in &other.cells {
            *self.cells.entry(k).or_default() += n;
        }
        self.bias_ua += other.bias_ua;
        self.bias_lines += other.bias_lines;
    }

    /// How many cells of `kind`.
    pub(crate) fn count(&self, kind: CellKind) -> u64 {
        self.cells.get(&kind).copied().unwrap_or(0)
    }

    /// Junctions and area, from the technology.
    pub(crate) fn jjs_and_area(&self, tech: &Technology) -> (u64, f64) {
        let t = tech.totals(self.cells.iter().map(|(&k, &n)| (k, n)));
        (t.jjs, t.area_um2)
    }
}

/// The cells of each global neuron, and the clock's.
pub(crate) struct Owners {
    pub(crate) neurons: Vec<Sum>,
    pub(crate) clock: Sum,
}

/// A module's cells with its children's, memoised by module index.
fn flattened(tech: &Technology, nl: &ValidNetlist, m: usize, memo: &mut Vec<Option<Sum>>) -> Sum {
    if let Some(s) = &memo[m] {
        return s.clone();
    }
    let module = &nl.modules()[m];
    let mut sum = Sum::default();
    for inst in &module.instances {
        sum.add_cell(tech, inst);
    }
    for child in &module.submodules {
        if let Some(c) = nl.module_index(&child.module) {
            sum.add(&flattened(tech, nl, c, memo));
        }
    }
    memo[m] = Some(sum.clone());
    sum
}

/// The number in a generated name: `syn12` with prefix `syn` is 12.
fn number(name: &str, prefix: &str) -> Option<usize> {
    name.strip_prefix(prefix)?.parse().ok()
}

/// Attributes every cell of `design`; `offsets` are the populations'
/// first global ids followed by the total.
pub(crate) fn owners(tech: &Technology, design: &Design, offsets: &[u32]) -> Owners {
    let netlist = &design.netlist;
    let total = offsets.last().copied().unwrap_or(0) as usize;
    let mut neurons = vec![Sum::default(); total];
    let mut clock = Sum::default();
    let mut memo = vec![None; netlist.modules().len()];
    let mut child_sum = |module: &str| {
        netlist
            .module_index(module)
            .map(|m| flattened(tech, netlist, m, &mut memo))
            .unwrap_or_default()
    };
    for (p, cells) in design.populations.iter().enumerate() {
        let first = offsets[p] as usize;
        let PopulationCells::Neurons { module, .. } = cells else {
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
                neurons[g].add_cell(tech, inst);
            }
        }
        for child in &module.submodules {
            let i = ["mex", "minh", "fo"]
                .iter()
                .find_map(|prefix| number(&child.name, prefix))
                .or((child.name == "ckt").then_some(0));
            if let Some(g) = i.map(|i| first + i).filter(|&g| g < total) {
                neurons[g].add(&child_sum(&child.module));
            }
        }
    }
    let top = netlist.top_module();
    for inst in &top.instances {
        if inst.name == "dcck" {
            clock.add_cell(tech, inst);
        } else if let Some(g) = number(&inst.name, "dc")
            .or_else(|| number(&inst.name, "do"))
            .filter(|&g| g < total)
        {
            neurons[g].add_cell(tech, inst);
        }
    }
    for child in &top.submodules {
        if child.name == "fock" {
            clock.add(&child_sum(&child.module));
        } else if let Some(g) = number(&child.name, "fo").filter(|&g| g < total) {
            neurons[g].add(&child_sum(&child.module));
        }
    }
    Owners { neurons, clock }
}
