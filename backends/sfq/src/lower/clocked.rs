//! Clocked mode: each neuron's fan-in is serialised by a clock, so that its
//! merger tree never sees two pulses closer than it can pass.
//!
//! In the asynchronous default, pulses from different synapses that reach
//! a merger within its separation merge into one, a loss that grows with
//! the input rate (the report gives its onset). In clocked mode every
//! synapse output is latched in a DFF, and the DFFs of one merger tree
//! are released one after another: the clock enters the tree's module and
//! ripples down a chain of splitters and JTLs, reaching DFF `j` at least
//! `j · Δ` after DFF 0 (`Δ` the stagger JTLs' delay; taps but the last
//! add a splitter's). Between a DFF and the neuron, JTL chains balance
//! the shallower leaves of the merger tree against the deepest, so each
//! released pulse reaches the neuron `j · Δ` after the first, give or take
//! the balancing mismatch; `Δ` is chosen so that this spacing is at least
//! the merger's separation at every merge. A line then carries at most one
//! pulse per clock period (a second pulse while a DFF holds one is lost),
//! and the period must hold the whole ripple: `T ≥ k · (Δ + splitter)`
//! for a tree of `k` inputs ([`min_period_ps`]). A pulse that reaches a DFF within its
//! setup time before the clock waits for the next one; the fraction of
//! pulses that do is `(setup + hold) / T` for asynchronous arrivals, which
//! the report gives.
//!
//! Module `clocked<k>`: ports `in0..in<k−1>`, `clk`, `out0`; cells
//! `dff<j>`, the ripple's `cs<j>` splitters and `cj<j>_<n>` JTLs, the
//! balancing `bj<j>_<n>` JTLs, and a child `m` of module `merger<k>`.

use crate::netlist::{Instance, Module, ModuleInstance, Port};
use crate::tech::{CellKind, Technology};
use crate::tree::merger_tree;

/// The clocked fan-in of a technology: JTL counts and spacing.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ripple {
    /// JTLs standing in for one missing merge level on a shallow leaf.
    pub balance_jtls: u32,
    /// JTLs between two taps of the clock ripple.
    pub stagger_jtls: u32,
    /// The least time between consecutive DFF releases, ps: the stagger
    /// JTLs (the last tap has no splitter of its own).
    pub spacing_ps: f64,
    /// The most: a splitter and the stagger JTLs.
    pub step_ps: f64,
}

/// The ripple for a merger tree of depth `depth`.
pub fn ripple(tech: &Technology, depth: u32) -> Ripple {
    let jtl = tech.cell(CellKind::Jtl).delay_ps;
    let merge = tech.cell(CellKind::Merge);
    let split = tech.cell(CellKind::Split).delay_ps;
    let balance_jtls = (merge.delay_ps / jtl).round().max(1.0) as u32;
    let mismatch = (merge.delay_ps - f64::from(balance_jtls) * jtl).abs() * f64::from(depth);
    // Two released pulses may share a merge input: keep them a separation
    // apart at every merge, plus what balancing leaves unbalanced, plus
    // 1 ps of margin.
    let separation = merge
        .min_input_separation_ps
        .unwrap_or(0.0)
        .max(
            tech.cell(CellKind::Neuron)
                .min_input_separation_ps
                .unwrap_or(0.0),
        )
        .max(
            tech.cell(CellKind::Dff)
                .min_input_separation_ps
                .unwrap_or(0.0),
        );
    let needed = separation + mismatch + 1.0;
    let stagger_jtls = (needed / jtl).ceil().max(1.0) as u32;
    let spacing_ps = f64::from(stagger_jtls) * jtl;
    Ripple {
        balance_jtls,
        stagger_jtls,
        spacing_ps,
        step_ps: split + spacing_ps,
    }
}

/// The depth of a balanced merger tree over `k` inputs.
fn depth(k: u32) -> u32 {
    if k <= 1 {
        0
    } else {
        32 - (k - 1).leading_zeros()
    }
}

/// The shortest clock period for a clocked fan-in of `k` inputs, ps: the
/// ripple's `k` steps.
pub fn min_period_ps(tech: &Technology, k: u32) -> f64 {
    f64::from(k.max(1)) * ripple(tech, depth(k)).step_ps
}

/// The module `clocked<k>`; `merger` is the name of the `k`-input merger
/// tree module (unused for `k = 1`).
pub fn module(tech: &Technology, k: u32, merger: &str) -> Module {
    let r = ripple(tech, depth(k));
    let mut m = Module::new(format!("clocked{k}"));
    m.ports
        .extend((0..k).map(|j| Port::input(format!("in{j}"))));
    m.ports.push(Port::input("clk"));
    m.ports.push(Port::output("out0"));
    let pin = |kind: CellKind, i: usize| tech.cell(kind).pins.inputs[i].clone();
    let out = |kind: CellKind, i: usize| tech.cell(kind).pins.outputs[i].clone();
    let dff_clk = tech.cell(CellKind::Dff).pins.clocks[0].clone();
    let jtl = |m: &mut Module, name: String, from: &str, to: &str| {
        m.instances.push(
            Instance::new(name, CellKind::Jtl)
                .pin(pin(CellKind::Jtl, 0), from)
                .pin(out(CellKind::Jtl, 0), to),
        );
    };
    // A chain of `n` JTLs from `from`, ending on `to`.
    let chain = |m: &mut Module, prefix: &str, n: u32, from: &str, to: &str| {
        let mut at = from.to_string();
        for s in 0..n {
            let next = if s + 1 == n {
                to.to_string()
            } else {
                format!("{prefix}_{s}q")
            };
            jtl(m, format!("{prefix}_{s}"), &at, &next);
            at = next;
        }
    };

    // The clock ripple: `clk` taps DFF 0, then every Δ the next one.
    let mut clock = "clk".to_string();
    for j in 0..k {
        let tap = if j + 1 == k {
            clock.clone()
        } else {
            let (tap, on) = (format!("c{j}"), format!("cr{j}"));
            m.instances.push(
                Instance::new(format!("cs{j}"), CellKind::Split)
                    .pin(pin(CellKind::Split, 0), clock.clone())
                    .pin(out(CellKind::Split, 0), tap.clone())
                    .pin(out(CellKind::Split, 1), on.clone()),
            );
            let next = format!("r{}", j + 1);
            chain(&mut m, &format!("cj{j}"), r.stagger_jtls, &on, &next);
            clock = next;
            tap
        };
        let released = if k == 1 {
            "out0".to_string()
        } else {
            format!("d{j}")
        };
        m.instances.push(
            Instance::new(format!("dff{j}"), CellKind::Dff)
                .pin(pin(CellKind::Dff, 0), format!("in{j}"))
                .pin(dff_clk.clone(), tap)
                .pin(out(CellKind::Dff, 0), released),
        );
    }
    if k == 1 {
        return m;
    }

    // Balance the leaves, then merge.
    let tree = merger_tree(k);
    let deepest = tree.leaf_depths().iter().copied().max().unwrap_or(0);
    let mut child = ModuleInstance::new("m", merger).port("out0", "out0");
    for (j, &d) in tree.leaf_depths().iter().enumerate() {
        let extra = (deepest - d) * r.balance_jtls;
        let leaf = if extra == 0 {
            format!("d{j}")
        } else {
            let to = format!("b{j}");
            chain(&mut m, &format!("bj{j}"), extra, &format!("d{j}"), &to);
            to
        };
        child = child.port(format!("in{j}"), leaf);
    }
    m.submodules.push(child);
    m
}
