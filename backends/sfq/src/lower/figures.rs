//! The figures of a lowered design, per population and in total: what
//! `report.json` and `report.txt` say.
//!
//! Resources come from the netlist itself, each instance with its own
//! programmable biases, attributed to neurons by [`super::owners`] and
//! summed per population (the clock's cells count in the total only). Timing comes from the design's
//! structure and the technology's cell delays:
//! - a line's latency is its sender's delay (DC/SFQ or neuron), the
//!   deepest path of its splitter tree, the synapse, and the deepest path
//!   of its merger tree; a neuron's output time is the latest input line
//!   plus its own delay. Over a feed-forward network this gives the
//!   worst input-to-output latency; a recurrent one has no such bound, and
//!   the report gives the worst single stage instead (`recurrent`);
//! - the maximum usable input rate is the largest rate every line may
//!   carry, periodic and phased at best, before a cell must see pulses
//!   closer than its minimum separation (the busiest merger tree's root
//!   binds: `1 / (k · τ_merge)`); a conservative bound, since synapses
//!   pass only a fraction of their pulses;
//! - the 1 % loss onset is the per-line Poisson rate at which the largest
//!   merger tree loses 1 % of its pulses to collisions.
//!
//! Energy: a junction that switches dissipates about `Ic · Φ0`. One spike
//! of a neuron (or one input pulse of a source) switches the junctions of
//! its sender cell (neuron, or DC/SFQ converter), of the splitters of its
//! fan-out tree and of the synapses it reaches; the report's
//! `energy_per_pulse_j` is that, averaged over the population's neurons
//! (counting every junction of those cells once, an upper bound).

use std::collections::BTreeMap;

use super::owners::{owners, Sum};
use super::{Design, PopulationCells};
use crate::tech::{CellKind, Technology};
use crate::timing::{
    loss_onset_rate, max_usable_rate_ghz, Arrivals, CellTiming, ClockedTiming, TimingModel,
    PS_PER_NS,
};
use crate::tree::merger_tree;
use serde::Serialize;

/// The magnetic flux quantum, Wb.
pub const PHI0_WB: f64 = 2.067_833_848e-15;

/// Resources and timing of a population, or of the whole design.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Figures {
    /// Cell instances.
    pub cells: u64,
    /// Cells by technology key.
    pub cells_by_kind: BTreeMap<&'static str, u64>,
    pub jj_count: u64,
    pub bias_current_ma: f64,
    pub static_power_mw: f64,
    pub energy_per_pulse_j: f64,
    pub area_mm2: f64,
    /// Programmable bias lines (synapse weights, thresholds, leaks).
    pub bias_lines: u64,
    /// Worst latency from an input to this population's outputs, ps.
    pub latency_ps: f64,
    /// Largest usable rate per line, GHz (`None` when nothing merges).
    pub max_input_rate_ghz: Option<f64>,
    /// Per-line Poisson rate at which the largest merger tree loses 1 %.
    pub merger_loss_onset_ghz: Option<f64>,
    /// Largest merger tree (inputs).
    pub largest_fan_in: u32,
}

/// The clock of a clocked design.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClockFigures {
    pub period_ps: f64,
    /// The shortest period the largest fan-in allows.
    pub min_period_ps: f64,
    /// The fraction of a period in which an arriving pulse violates a
    /// DFF's setup or hold time and waits a period more.
    pub sampling_window_fraction: f64,
}

/// The report of a design.
#[derive(Clone, Debug, PartialEq)]
pub struct DesignReport {
    pub technology: String,
    pub top: String,
    /// Whether the neuron graph has a cycle (latency is then per stage).
    pub recurrent: bool,
    /// Clocked mode's figures.
    pub clock: Option<ClockFigures>,
    /// Per population, by name, in declaration order.
    pub populations: Vec<(String, Figures)>,
    pub total: Figures,
}

/// Delay and separation of the cells timing needs, from the technology.
pub fn timing_model(tech: &Technology) -> TimingModel {
    let cell = |kind| {
        let c = tech.cell(kind);
        CellTiming {
            delay_ps: c.delay_ps,
            min_separation_ps: c.min_input_separation_ps.unwrap_or(0.0),
        }
    };
    let dff = tech.cell(CellKind::Dff);
    TimingModel {
        split: cell(CellKind::Split),
        merge: cell(CellKind::Merge),
        jtl: cell(CellKind::Jtl),
        dff: cell(CellKind::Dff),
        clocked: ClockedTiming {
            setup_ps: dff.setup_ps.unwrap_or(0.0),
            hold_ps: dff.hold_ps.unwrap_or(0.0),
        },
    }
}

/// Computes the report. `offsets` are the populations' first global ids
/// followed by the total; `names` their names.
pub fn report(
    tech: &Technology,
    design: &Design,
    names: &[String],
    offsets: &[u32],
) -> DesignReport {
    let npop = design.populations.len();
    let owned = owners(tech, design, offsets);
    let mut sums = vec![Sum::default(); npop];
    for (p, sum) in sums.iter_mut().enumerate() {
        for g in offsets[p] as usize..offsets[p + 1] as usize {
            sum.add(&owned.neurons[g]);
        }
    }
    // The total adds, in clocked mode, the clock's converter and tree.
    let mut total_sum = owned.clock.clone();
    for sum in &sums {
        total_sum.add(sum);
    }

    let timing = Timing::new(tech, design, offsets);
    let model = timing_model(tech);
    let mut populations = Vec::with_capacity(npop);
    let clocked = design.clock.as_ref().map(|c| c.period_ps);
    for (p, sum) in sums.iter().enumerate() {
        let (lo, hi) = (offsets[p] as usize, offsets[p + 1] as usize);
        let mut f = figures(tech, sum);
        f.energy_per_pulse_j = timing.energy(tech, lo..hi);
        f.latency_ps = timing.output[lo..hi].iter().copied().fold(0.0, f64::max);
        f.largest_fan_in = timing.fan_in[lo..hi].iter().copied().max().unwrap_or(0);
        rates(&model, clocked, &mut f);
        populations.push((names.get(p).cloned().unwrap_or_default(), f));
    }
    let mut t = figures(tech, &total_sum);
    t.energy_per_pulse_j = timing.energy(tech, 0..timing.output.len());
    t.latency_ps = timing.output.iter().copied().fold(0.0, f64::max);
    t.largest_fan_in = timing.fan_in.iter().copied().max().unwrap_or(0);
    rates(&model, clocked, &mut t);
    let clock = design.clock.as_ref().map(|c| {
        let dff = tech.cell(CellKind::Dff);
        ClockFigures {
            period_ps: c.period_ps,
            min_period_ps: timing
                .fan_in
                .iter()
                .filter(|&&k| k > 0)
                .map(|&k| super::clocked::min_period_ps(tech, k))
                .fold(0.0, f64::max),
            sampling_window_fraction: (dff.setup_ps.unwrap_or(0.0) + dff.hold_ps.unwrap_or(0.0))
                / c.period_ps,
        }
    });
    DesignReport {
        technology: tech.name().to_string(),
        top: design.netlist.top_module().name.clone(),
        recurrent: timing.recurrent,
        clock,
        populations,
        total: t,
    }
}

fn figures(tech: &Technology, sum: &Sum) -> Figures {
    let (jj_count, area_um2) = sum.jjs_and_area(tech);
    Figures {
        cells: sum.cells.values().sum(),
        cells_by_kind: sum.cells.iter().map(|(k, &n)| (k.key(), n)).collect(),
        jj_count,
        bias_current_ma: sum.bias_ua / 1000.0,
        static_power_mw: sum.bias_ua * tech.bias_voltage_mv() / 1e6,
        area_mm2: area_um2 / 1e6,
        bias_lines: sum.bias_lines,
        ..Figures::default()
    }
}

/// The rate bounds of the largest merger tree; in clocked mode a line
/// passes one pulse per period and mergers see no collisions.
fn rates(model: &TimingModel, clocked: Option<f64>, f: &mut Figures) {
    if let Some(period_ps) = clocked {
        if f.largest_fan_in > 0 {
            f.max_input_rate_ghz = Some(PS_PER_NS / period_ps);
        }
        return;
    }
    if f.largest_fan_in < 2 {
        return;
    }
    let tree = merger_tree(f.largest_fan_in);
    f.max_input_rate_ghz = max_usable_rate_ghz(&tree, model, 0);
    f.merger_loss_onset_ghz = loss_onset_rate(&tree, model, Arrivals::Poisson, 0.01)
        .ok()
        .flatten();
}

/// Per-neuron timing from the design's structure.
struct Timing {
    /// Latest output time of each neuron (global id), ps.
    output: Vec<f64>,
    /// Largest merger tree into each neuron.
    fan_in: Vec<u32>,
    /// Sinks of each neuron's splitter tree.
    fan_out: Vec<u32>,
    /// Whether each global id is a neuron (else a spike source).
    is_neuron: Vec<bool>,
    recurrent: bool,
}

/// Depth of a balanced binary tree over `n` leaves.
fn depth(n: u32) -> u32 {
    if n <= 1 {
        0
    } else {
        32 - (n - 1).leading_zeros()
    }
}

impl Timing {
    fn new(tech: &Technology, design: &Design, offsets: &[u32]) -> Timing {
        let total = offsets.last().copied().unwrap_or(0) as usize;
        let delay = |k: CellKind| tech.cell(k).delay_ps;
        let mut sender = vec![0.0f64; total];
        let mut is_neuron = vec![false; total];
        let mut fan_out = vec![0u32; total];
        let mut fan_in = vec![0u32; total];
        let mut monitored = vec![false; total];
        for (p, cells) in design.populations.iter().enumerate() {
            let first = offsets[p] as usize;
            match cells {
                PopulationCells::Source { .. } => {
                    for s in &mut sender[first..offsets[p + 1] as usize] {
                        *s = delay(CellKind::DcSfq);
                    }
                }
                PopulationCells::Neurons { neurons, .. } => {
                    for (i, n) in neurons.iter().enumerate() {
                        sender[first + i] = delay(CellKind::Neuron);
                        is_neuron[first + i] = true;
                        fan_in[first + i] = n.fan_in.0.max(n.fan_in.1);
                        monitored[first + i] = n.monitor.is_some();
                    }
                }
            }
        }
        for &(pre, _) in &design.lines {
            fan_out[pre as usize] += 1;
        }
        for (g, m) in monitored.iter().enumerate() {
            fan_out[g] += u32::from(*m);
        }
        // A line's own latency, from its sender's input to its receiver's.
        // Clocked: a pulse may wait a whole period and the ripple for its
        // DFF, then leaves after the DFF's delay.
        let wait = |post: usize| match &design.clock {
            Some(c) => {
                let k = fan_in[post];
                let r = super::clocked::ripple(tech, depth(k));
                c.period_ps + f64::from(k.saturating_sub(1)) * r.step_ps + delay(CellKind::Dff)
            }
            None => 0.0,
        };
        let line_delay = |pre: usize, post: usize| {
            sender[pre]
                + f64::from(depth(fan_out[pre])) * delay(CellKind::Split)
                + delay(CellKind::Synapse)
                + wait(post)
                + f64::from(depth(fan_in[post])) * delay(CellKind::Merge)
        };
        // Longest path by Kahn's algorithm over the neurons.
        let mut indegree = vec![0u32; total];
        let mut out: Vec<Vec<usize>> = vec![Vec::new(); total];
        for &(pre, post) in &design.lines {
            out[pre as usize].push(post as usize);
            indegree[post as usize] += 1;
        }
        let mut arrival = vec![0.0f64; total];
        let mut queue: Vec<usize> = (0..total).filter(|&g| indegree[g] == 0).collect();
        let mut done = 0;
        while let Some(g) = queue.pop() {
            done += 1;
            for &post in &out[g] {
                arrival[post] = arrival[post].max(arrival[g] + line_delay(g, post));
                indegree[post] -= 1;
                if indegree[post] == 0 {
                    queue.push(post);
                }
            }
        }
        let recurrent = done < total;
        if recurrent {
            // Per stage: the worst line into each neuron.
            arrival.iter_mut().for_each(|a| *a = 0.0);
            for &(pre, post) in &design.lines {
                let (pre, post) = (pre as usize, post as usize);
                arrival[post] = arrival[post].max(line_delay(pre, post));
            }
        }
        // A neuron's pulses are out after its own delay (and reach the
        // monitor through its splitter tree and the SFQ/DC converter).
        let output = (0..total)
            .map(|g| {
                if is_neuron[g] {
                    let mut t = arrival[g] + delay(CellKind::Neuron);
                    if monitored[g] {
                        t += f64::from(depth(fan_out[g])) * delay(CellKind::Split)
                            + delay(CellKind::SfqDc);
                    }
                    t
                } else {
                    0.0
                }
            })
            .collect();
        Timing {
            output,
            fan_in,
            fan_out,
            is_neuron,
            recurrent,
        }
    }

    /// Mean energy of one spike of the neurons in `range`, J.
    fn energy(&self, tech: &Technology, range: std::ops::Range<usize>) -> f64 {
        let jj = |k: CellKind| f64::from(tech.cell(k).jjs);
        let n = range.len();
        if n == 0 {
            return 0.0;
        }
        let switched: f64 = self.fan_out[range.clone()]
            .iter()
            .zip(&self.is_neuron[range])
            .map(|(&fo, &neuron)| {
                let sender = if neuron {
                    CellKind::Neuron
                } else {
                    CellKind::DcSfq
                };
                let fo = f64::from(fo);
                jj(sender) + (fo - 1.0).max(0.0) * jj(CellKind::Split) + fo * jj(CellKind::Synapse)
            })
            .sum();
        switched / n as f64 * tech.unit_ic_ua() * 1e-6 * PHI0_WB
    }
}

impl DesignReport {
    /// A plain-text table, one block per population, then the total.
    pub fn to_text(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "SFQ design `{}`, technology `{}`{}",
            self.top,
            self.technology,
            if self.recurrent {
                " (recurrent: latency per stage)"
            } else {
                ""
            }
        );
        let row = |out: &mut String, name: &str, f: &Figures| {
            let kinds: Vec<String> = f
                .cells_by_kind
                .iter()
                .map(|(k, n)| format!("{k} {n}"))
                .collect();
            let _ = writeln!(out, "\n{name}");
            let _ = writeln!(
                out,
                "  cells              {} ({})",
                f.cells,
                kinds.join(", ")
            );
            let _ = writeln!(out, "  jj_count           {}", f.jj_count);
            let _ = writeln!(out, "  bias_current_ma    {:.3}", f.bias_current_ma);
            let _ = writeln!(out, "  static_power_mw    {:.4}", f.static_power_mw);
            let _ = writeln!(out, "  energy_per_pulse_j {:.3e}", f.energy_per_pulse_j);
            let _ = writeln!(out, "  area_mm2           {:.4}", f.area_mm2);
            let _ = writeln!(out, "  bias_lines         {}", f.bias_lines);
            let _ = writeln!(out, "  latency_ps         {:.1}", f.latency_ps);
            match (f.max_input_rate_ghz, f.merger_loss_onset_ghz) {
                (Some(r), Some(o)) => {
                    let _ = writeln!(
                        out,
                        "  max_input_rate_ghz {r:.2} (fan-in {}; 1 % Poisson loss at {o:.3} GHz)",
                        f.largest_fan_in
                    );
                }
                (Some(r), None) => {
                    let _ = writeln!(
                        out,
                        "  max_input_rate_ghz {r:.2} (fan-in {})",
                        f.largest_fan_in
                    );
                }
                _ => {
                    let _ = writeln!(out, "  max_input_rate_ghz -");
                }
            }
        };
        if let Some(c) = &self.clock {
            let _ = writeln!(
                out,
                "clocked: period {} ps (the largest fan-in needs {:.1} ps); {:.1} % of pulses \
                 meet a DFF in its setup or hold window and wait a period",
                c.period_ps,
                c.min_period_ps,
                100.0 * c.sampling_window_fraction
            );
        }
        for (name, f) in &self.populations {
            row(&mut out, &format!("population {name}"), f);
        }
        row(&mut out, "total", &self.total);
        out
    }

    /// The same as JSON, ending in a newline.
    pub fn to_json(&self) -> String {
        #[derive(Serialize)]
        struct Pop<'a> {
            name: &'a str,
            #[serde(flatten)]
            figures: &'a Figures,
        }
        #[derive(Serialize)]
        struct Doc<'a> {
            technology: &'a str,
            top: &'a str,
            recurrent: bool,
            #[serde(skip_serializing_if = "Option::is_none")]
            clock: Option<&'a ClockFigures>,
            populations: Vec<Pop<'a>>,
            total: &'a Figures,
        }
        let doc = Doc {
            technology: &self.technology,
            top: &self.top,
            recurrent: self.recurrent,
            clock: self.clock.as_ref(),
            populations: self
                .populations
                .iter()
                .map(|(name, figures)| Pop { name, figures })
                .collect(),
            total: &self.total,
        };
        let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
        text.push('\n');
        text
    }
}
