//! Timing analysis of the fragments [`crate::tree`] builds.
//!
//! Takes a [`Tree`] and a [`TimingModel`] (delay and minimum pulse
//! separation per cell kind, setup and hold for clocked cells). Gives:
//! - path latencies: the earliest and latest arrival at every output when
//!   every input fires at 0 ([`output_arrivals`], [`worst_case_latency`]);
//! - the maximum usable input rate: the largest per-input rate at which no
//!   cell has to see pulses closer than its minimum separation, whatever
//!   the phases ([`max_usable_rate_ghz`]);
//! - merger losses under random arrivals, and the input rate at which they
//!   pass a threshold ([`loss`]);
//! - setup and hold checks in clocked mode ([`clocked`]).
//!
//! Times are in picoseconds, rates in GHz (pulses per nanosecond). All
//! functions are pure; none depends on the technology file, whose numbers
//! a caller copies into a [`TimingModel`].

pub mod clocked;
pub mod loss;

use crate::tree::{CellKind, Tree};

pub use clocked::{check_clocked, clock_arrivals, CheckKind, ClockedReport, DataPath, Slack};
pub use loss::{loss_onset_rate, merge_losses, Arrivals, LossReport, MergeLoss};

/// Picoseconds per nanosecond: a rate in GHz times a time in ps, divided by
/// this, is a dimensionless expected pulse count.
pub const PS_PER_NS: f64 = 1000.0;

/// Delay and minimum separation of one cell kind.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CellTiming {
    /// Input-to-output delay (clock-to-output for a DFF).
    pub delay_ps: f64,
    /// Pulses closer than this at the cell's inputs interfere: at a MERGE
    /// the later one is absorbed.
    pub min_separation_ps: f64,
}

/// The timing window a clocked cell needs around its clock pulse.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClockedTiming {
    /// Data must arrive at least this long before the capturing clock pulse.
    pub setup_ps: f64,
    /// Data must arrive at least this long after the previous clock pulse
    /// (the one that read the previous value).
    pub hold_ps: f64,
}

/// The numbers the analysis needs, per cell kind.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TimingModel {
    /// SPLIT.
    pub split: CellTiming,
    /// MERGE.
    pub merge: CellTiming,
    /// One JTL stage.
    pub jtl: CellTiming,
    /// DFF (delay is clock-to-output).
    pub dff: CellTiming,
    /// Setup and hold of clocked cells (DFFs and clocked gates).
    pub clocked: ClockedTiming,
}

impl TimingModel {
    /// The timing of a cell kind.
    pub fn cell(&self, kind: CellKind) -> CellTiming {
        match kind {
            CellKind::Split => self.split,
            CellKind::Merge => self.merge,
            CellKind::Jtl => self.jtl,
            CellKind::Dff => self.dff,
        }
    }
}

/// Why an analysis could not run.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum TimingError {
    /// Loss analysis follows pulses through MERGEs and JTLs only: a SPLIT
    /// would make a merge's inputs correlated, a DFF re-times them.
    #[error("loss analysis cannot pass through {kind} cell `{cell}`")]
    UnsupportedCell { cell: String, kind: CellKind },

    /// Rates must be finite and not negative.
    #[error("input rate {rate_ghz} GHz is not a finite rate ≥ 0")]
    InvalidRate { rate_ghz: f64 },

    /// Minimum separations must be finite and not negative.
    #[error("{kind} minimum separation {min_separation_ps} ps is not a finite time ≥ 0")]
    InvalidSeparation {
        kind: CellKind,
        min_separation_ps: f64,
    },

    /// A loss threshold is a fraction strictly between 0 and 1.
    #[error("loss threshold {threshold} is not strictly between 0 and 1")]
    InvalidThreshold { threshold: f64 },

    /// The clock period must be finite and positive.
    #[error("clock period {period_ps} ps is not finite and positive")]
    InvalidPeriod { period_ps: f64 },

    /// A data path names a clocked cell the clock tree does not reach.
    #[error("data path {path} names clocked cell {cell}, but the clock tree has {cells} sinks")]
    NoSuchClockedCell {
        path: usize,
        cell: u32,
        cells: usize,
    },
}

/// The earliest and latest time a pulse can be somewhere.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Window {
    /// Over all paths, the shortest.
    pub earliest_ps: f64,
    /// Over all paths, the longest.
    pub latest_ps: f64,
}

impl Window {
    /// A window of one instant.
    pub fn at(t_ps: f64) -> Window {
        Window {
            earliest_ps: t_ps,
            latest_ps: t_ps,
        }
    }

    fn shift(self, d: f64) -> Window {
        Window {
            earliest_ps: self.earliest_ps + d,
            latest_ps: self.latest_ps + d,
        }
    }

    fn union(self, other: Window) -> Window {
        Window {
            earliest_ps: self.earliest_ps.min(other.earliest_ps),
            latest_ps: self.latest_ps.max(other.latest_ps),
        }
    }
}

/// Per output port, the arrival window when every input port fires at 0.
///
/// A pulse crosses `jtls_per_net` JTL stages on every net (wiring between
/// cells, and from and to the ports) and each cell's delay; the latest
/// arrival is the sum along the deepest path, the earliest along the
/// shallowest. Meant for asynchronous fragments: in clocked mode a DFF
/// holds its data until the clock, so a DFF chain's latency is its stage
/// count in periods, not this sum.
pub fn output_arrivals(tree: &Tree, model: &TimingModel, jtls_per_net: u32) -> Vec<Window> {
    let wire = f64::from(jtls_per_net) * model.jtl.delay_ps;
    let conn = tree.connections();
    // Arrival at each net's sink.
    let mut at: Vec<Option<Window>> = vec![None; tree.nets().len()];
    for &net in &conn.input_ports {
        at[net.0 as usize] = Some(Window::at(wire));
    }
    for cell in tree.topological_order() {
        let c = cell.0 as usize;
        let inputs = conn.inputs[c].iter().filter_map(|n| at[n.0 as usize]);
        let Some(arrive) = inputs.reduce(Window::union) else {
            continue;
        };
        let out = arrive.shift(model.cell(tree.cells()[c].kind).delay_ps + wire);
        for net in &conn.outputs[c] {
            at[net.0 as usize] = Some(out);
        }
    }
    conn.output_ports
        .iter()
        .map(|n| at[n.0 as usize].unwrap_or(Window::at(wire)))
        .collect()
}

/// The longest input-to-output latency of the fragment, `None` if it has no
/// outputs. See [`output_arrivals`].
pub fn worst_case_latency(tree: &Tree, model: &TimingModel, jtls_per_net: u32) -> Option<f64> {
    output_arrivals(tree, model, jtls_per_net)
        .into_iter()
        .map(|w| w.latest_ps)
        .reduce(f64::max)
}

/// The largest rate (GHz) each input may carry, periodic and phased at
/// best, before some cell must see two pulses closer than its minimum
/// separation; `None` if nothing limits it (no cells and no JTLs).
///
/// A cell whose data inputs are reached from `s` input ports carries `s·r`
/// pulses per unit time when nothing is lost; `s·r` pulses can keep every
/// gap ≥ τ only if `s·r ≤ 1/τ`. So `r_max = min over cells (and JTL wiring)
/// of 1/(s·τ)`. In a merger tree over `k` sources the root binds:
/// `r_max = 1/(k·τ_merge)`. Random (Poisson) inputs lose pulses at any
/// rate; see [`loss_onset_rate`] for when the loss becomes noticeable.
pub fn max_usable_rate_ghz(tree: &Tree, model: &TimingModel, jtls_per_net: u32) -> Option<f64> {
    let conn = tree.connections();
    let mut streams = vec![0u64; tree.nets().len()];
    for &net in &conn.input_ports {
        streams[net.0 as usize] = 1;
    }
    // Clock ports of DFFs carry clocks, not data: they count no stream and
    // are not bounded by the data rate.
    for (c, cell) in tree.cells().iter().enumerate() {
        if cell.kind == CellKind::Dff {
            streams[conn.inputs[c][1].0 as usize] = 0;
        }
    }
    let mut limit: Option<f64> = None;
    let mut bound = |s: u64, tau: f64| {
        if s > 0 && tau > 0.0 {
            let r = PS_PER_NS / (s as f64 * tau);
            limit = Some(limit.map_or(r, |l: f64| l.min(r)));
        }
    };
    for cell in tree.topological_order() {
        let c = cell.0 as usize;
        let kind = tree.cells()[c].kind;
        let s: u64 = conn.inputs[c].iter().map(|n| streams[n.0 as usize]).sum();
        bound(s, model.cell(kind).min_separation_ps);
        for net in &conn.outputs[c] {
            streams[net.0 as usize] = s;
        }
    }
    if jtls_per_net > 0 {
        for &s in &streams {
            bound(s, model.jtl.min_separation_ps);
        }
    }
    limit
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::tree::{delay_chain, merger_tree, splitter_tree, DelayStage};

    /// Round numbers so sums are easy to check by hand.
    pub(crate) fn model() -> TimingModel {
        let cell = |delay_ps, min_separation_ps| CellTiming {
            delay_ps,
            min_separation_ps,
        };
        TimingModel {
            split: cell(5.0, 4.0),
            merge: cell(7.0, 10.0),
            jtl: cell(2.0, 3.0),
            dff: cell(6.0, 8.0),
            clocked: ClockedTiming {
                setup_ps: 3.0,
                hold_ps: 2.0,
            },
        }
    }

    #[test]
    fn latency_sums_cell_delays_and_wiring_along_the_deepest_path() {
        let m = model();
        // 5 sinks: depths 3,3,2,2,2; 3 splits plus 4 nets on the deepest path.
        let t = splitter_tree(5);
        assert_eq!(t.leaf_depths(), [3, 3, 2, 2, 2]);
        let w = output_arrivals(&t, &m, 0);
        let late: Vec<f64> = w.iter().map(|w| w.latest_ps).collect();
        assert_eq!(late, [15.0, 15.0, 10.0, 10.0, 10.0]);
        assert_eq!(worst_case_latency(&t, &m, 0), Some(15.0));
        assert_eq!(worst_case_latency(&t, &m, 2), Some(15.0 + 4.0 * 2.0 * 2.0));
        // Merger tree: one output, window spans the shallow and deep sources.
        let w = output_arrivals(&merger_tree(5), &m, 1);
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].latest_ps, 3.0 * 7.0 + 4.0 * 2.0);
        assert_eq!(w[0].earliest_ps, 2.0 * 7.0 + 3.0 * 2.0);
        // Wire, empty tree, JTL chain.
        assert_eq!(worst_case_latency(&splitter_tree(1), &m, 3), Some(6.0));
        assert_eq!(worst_case_latency(&splitter_tree(0), &m, 3), None);
        let chain = delay_chain(4, DelayStage::Jtl);
        assert_eq!(worst_case_latency(&chain, &m, 0), Some(8.0));
    }

    #[test]
    fn max_usable_rate_is_set_by_the_busiest_cell() {
        let m = model();
        // Root merge sees all 8 streams: 1/(8·10 ps) = 12.5 GHz.
        assert_eq!(max_usable_rate_ghz(&merger_tree(8), &m, 0), Some(12.5));
        // JTLs (3 ps) are no tighter; slower ones (15 ps) at the root's
        // output are: 1/(8·15 ps).
        assert_eq!(max_usable_rate_ghz(&merger_tree(8), &m, 1), Some(12.5));
        let mut slow = m;
        slow.jtl.min_separation_ps = 15.0;
        let r = max_usable_rate_ghz(&merger_tree(8), &slow, 1).unwrap();
        assert!((r - 1000.0 / 120.0).abs() < 1e-9, "{r}");
        assert_eq!(max_usable_rate_ghz(&merger_tree(8), &slow, 0), Some(12.5));
        // A splitter tree carries one stream everywhere: 1/4 ps.
        assert_eq!(max_usable_rate_ghz(&splitter_tree(100), &m, 0), Some(250.0));
        assert_eq!(max_usable_rate_ghz(&splitter_tree(1), &m, 0), None);
        assert_eq!(max_usable_rate_ghz(&merger_tree(0), &m, 2), None);
        // DFF chains: clocks do not count as data.
        assert_eq!(
            max_usable_rate_ghz(&delay_chain(2, DelayStage::Dff), &m, 0),
            Some(125.0)
        );
    }
}
