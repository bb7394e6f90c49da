//! A design as partitioning sees it: one indivisible block per neuron (its
//! incoming synapse cells, its merger trees, the neuron cell, its splitter
//! tree and its monitor's SFQ/DC converter) and per spike source (its
//! DC/SFQ converter and splitter tree), and one line per synapse.
//!
//! Block `g` is global neuron `g`, so lines keep the design's numbering; in
//! clocked mode one more block holds the clock's converter and tree, with a
//! line to every clocked neuron (each chip needs the clock once).
//! Resources are those [`super::owners`] attributes, the same the report
//! adds up per population, so chips add up to the report's totals.

use super::owners::owners;
use super::{Design, PopulationCells};
use crate::partition::{Block, Line};
use crate::tech::{CellKind, Technology};

/// Blocks and lines of `design`; `offsets` are the populations' first
/// global ids followed by the total.
pub fn blocks(
    tech: &Technology,
    design: &Design,
    names: &[String],
    offsets: &[u32],
) -> (Vec<Block>, Vec<Line>) {
    let total = offsets.last().copied().unwrap_or(0) as usize;
    let owned = owners(tech, design, offsets);
    // Off-chip pins: a source's DC/SFQ converter, a monitor's SFQ/DC one.
    let block = |name: String, group: u32, sum: &super::owners::Sum| {
        let (jjs, area_um2) = sum.jjs_and_area(tech);
        Block {
            name,
            group,
            jjs,
            area_um2,
            bias_ua: sum.bias_ua,
            external_pins: (sum.count(CellKind::DcSfq) + sum.count(CellKind::SfqDc)) as u32,
        }
    };
    let labels = block_names(design, names, offsets);
    let mut blocks: Vec<Block> = (0..total)
        .map(|g| {
            let group = offsets
                .partition_point(|&o| o as usize <= g)
                .saturating_sub(1) as u32;
            block(labels[g].clone(), group, &owned.neurons[g])
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
        let group = design.populations.len() as u32;
        blocks.push(block(CLOCK_BLOCK.into(), group, &owned.clock));
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
