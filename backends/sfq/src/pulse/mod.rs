//! Pulse-level simulation of a cell netlist: every SFQ pulse an event at a
//! picosecond time, every cell a timed state machine.
//!
//! Takes a [`Technology`], a [`ValidNetlist`] checked against it, pulse
//! trains on the top module's input ports ([`Stimulus`], the same type the
//! JoSIM writer takes) and [`PulseOptions`]. Gives the pulse times at every
//! top output port and counts of what happened on the way ([`PulseStats`]).
//! It sits between the analytic timing ([`crate::timing`]), which it
//! checks, and a circuit simulation (JoSIM), which it abstracts: cells are
//! their delays, separations and calibration tables, not their junctions.
//!
//! # Structure
//!
//! The hierarchy is flattened once (`flatten.rs`): each leaf cell gets a
//! dense index (occurrences depth first from the top, children and
//! instances in name order) and a hierarchical path for messages
//! (`u_pop/syn3`); each cell output pin and top input port leads to exactly
//! one cell pin or top output port. Events are `(time, sequence)` pairs in
//! a binary heap; the sequence counts insertions, so pulses due at the same
//! time are handled in the order they were scheduled. The initial pulses
//! are scheduled in the top's port order, not the order of the stimulus
//! list. A run is therefore a function of the netlist, the stimuli and the
//! seed alone.
//!
//! Randomness (synapse decisions, fluxon escapes) comes from a
//! counter-based generator: draw `n` of cell `c` is Philox of
//! `(seed, c, n)` (`draws.rs`), independent of how other cells' events
//! interleave with the cell's own.
//!
//! # Semantics
//!
//! Times are ps. A top input without a stimulus never pulses. Events later
//! than `stop_ps` are not processed (pulses at exactly `stop_ps` are), and
//! a pulse that reaches a top output after it is not recorded.
//!
//! - **Separation** (every cell with `min_input_separation_ps` τ): a pulse
//!   reaching a pin less than τ after the last pulse that pin *accepted* is
//!   lost (`separation_losses`). Clock pins count as pins. Outputs leave
//!   `delay_ps` after the accepted input.
//! - **JTL, DCSFQ, SFQDC** pass each accepted pulse; **SPLIT** sends one on
//!   each output. An SFQDC's output pulse stands for a toggle of its
//!   output level: the output port records the toggle times.
//! - **MERGE**, with cross separation τₓ (`min_cross_separation_ps`):
//!   exactly the rule of [`crate::timing::loss`] — every pulse reaching
//!   the merger on either input, passed or lost, restarts a dead time τₓ,
//!   and a pulse reaching it inside the dead time is absorbed
//!   (`merge_collisions`): two pulses closer than τₓ come out as one. On
//!   top of that the per-pin separation above applies (checked first; a
//!   pulse lost to it still restarts the dead time). With
//!   `min_input_separation_ps ≤ τₓ` the per-pin rule never bites and the
//!   merger is exactly the analysis' merger with τ = τₓ.
//! - **SYNAPSE** passes each accepted pulse with probability
//!   `synapse_calibration().probability(b)`, `b` the instance's current on
//!   the cell's bias pin (`wbias`): one uniform `u` per pulse, passed iff
//!   `u < p`, so p = 0 and p = 1 are exact.
//! - **NEURON** stores an integer count `s` of fluxons. Before handling an
//!   accepted pulse at `t`, the leak since the cell's previous accepted
//!   pulse is applied: each stored fluxon survives independently with
//!   probability `exp(−λ·Δt)`, λ = `leak_rate_per_ns(leak bias)`, one
//!   uniform per stored fluxon (none when λ = 0 or `s` = 0); escapes count
//!   as `leaked_fluxons`. Excitatory pin (the first): `s += 1`, and if
//!   `s ≥ n`, n = `threshold_for_bias(threshold bias)`, the neuron fires —
//!   a pulse at `t + delay` — and `s = 0`. Inhibitory pin (the second,
//!   [`Technology::inhibitory_input`]): `s −= 1`, down to minus the loop's
//!   reverse capacity ([`crate::tech::NeuronModel::reverse_capacity`]);
//!   a pulse beyond it escapes and is counted in `inhibition_at_floor`.
//!   The leak lets negative fluxons escape like positive ones. A neuron whose
//!   threshold bias gives no threshold is an error before the run.
//! - **DFF**: a data pulse stores a bit; a data pulse while one is stored
//!   is lost (`dff_overflows`). A clock pulse releases the stored bit as a
//!   pulse `delay` later and clears it. Setup and hold are checked against
//!   the clock as it happens, which an event simulator can do exactly:
//!   - a bit stored less than `setup_ps` before a clock pulse is a setup
//!     violation (`setup_violations`): that clock does not capture it, it
//!     stays stored and the next clock releases it;
//!   - a data pulse arriving less than `hold_ps` after a clock pulse is a
//!     hold violation (`hold_violations`) and is otherwise handled as any
//!     data pulse: stored for the next clock. The circuit's behaviour then
//!     is not known (it may race through); the count says where to look.
//!
//!   Both rules give the same outcome whichever of two simultaneous data
//!   and clock pulses is handled first (with positive setup and hold): the
//!   data waits for the next clock and one violation is counted.
//! - **NDRO**: the first input sets, the second resets, and each clock
//!   pulse sends a pulse `delay` later while set; the state is not
//!   changed by reading. A clock reads the state as it was `setup_ps`
//!   before it: a set or reset pulse in that window is a setup violation
//!   and does not count for this clock (it does for the next). A set or
//!   reset pulse less than `hold_ps` after a clock is a hold violation and
//!   takes effect normally.

mod cells;
mod draws;
mod error;
mod flatten;
mod queue;
#[cfg(test)]
mod tests;

pub use crate::write::josim::Stimulus;
pub use error::PulseError;

use crate::netlist::ValidNetlist;
use crate::tech::Technology;
use cells::CellSim;
use flatten::{flatten, Sink};
use queue::{Queue, Target};
use serde::Serialize;
use std::collections::BTreeMap;

/// Settings of a run.
#[derive(Clone, Debug, PartialEq)]
pub struct PulseOptions {
    /// Seed of every random draw (synapse decisions, fluxon escapes).
    pub seed: u64,
    /// Events after this time are not processed, ps; finite and ≥ 0.
    pub stop_ps: f64,
}

/// The outcome of a run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PulseRun {
    /// Pulse times (ps, ascending) at each top-module output port, by port
    /// name (every top output present, maybe empty).
    pub outputs: BTreeMap<String, Vec<f64>>,
    /// What happened on the way.
    pub stats: PulseStats,
}

/// Counts over a run; pulses after the stop time are not counted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PulseStats {
    /// Pulse arrivals handled: at cell pins (stimulus pulses included) and
    /// at top output ports.
    pub events: u64,
    /// Stimulus pulses that entered the design.
    pub stimulus_pulses: u64,
    /// Pulses absorbed by a MERGE because they came within its cross
    /// separation of the previous arrival.
    pub merge_collisions: u64,
    /// Pulses lost because they came within a cell's minimum input
    /// separation of the previous pulse its pin accepted (MERGE included).
    pub separation_losses: u64,
    /// Synapse pulses passed on.
    pub synapse_passed: u64,
    /// Synapse pulses dropped by the stochastic decision.
    pub synapse_blocked: u64,
    /// Neuron output pulses.
    pub neuron_firings: u64,
    /// Stored fluxons that escaped through a neuron's leak.
    pub leaked_fluxons: u64,
    /// Inhibitory pulses that found the neuron's loop at its reverse
    /// capacity, and escaped.
    pub inhibition_at_floor: u64,
    /// DFF data pulses lost because a bit was already stored.
    pub dff_overflows: u64,
    /// Clock pulses of a DFF or NDRO that came within the setup time of a
    /// data (set, reset) pulse.
    pub setup_violations: u64,
    /// Data (set, reset) pulses of a DFF or NDRO that came within the hold
    /// time after a clock pulse.
    pub hold_violations: u64,
}

/// Runs the netlist on the stimuli; see the module documentation for the
/// semantics. Every check happens before the first event.
pub fn simulate(
    tech: &Technology,
    netlist: &ValidNetlist,
    stimuli: &[Stimulus],
    options: &PulseOptions,
) -> Result<PulseRun, PulseError> {
    let stop = options.stop_ps;
    if !(stop.is_finite() && stop >= 0.0) {
        return Err(PulseError::BadStopTime { stop_ps: stop });
    }
    let flat = flatten(tech, netlist)?;
    let trains = match_stimuli(&flat.inputs, stimuli)?;
    let mut cells = Vec::with_capacity(flat.cells.len());
    for (index, cell) in flat.cells.iter().enumerate() {
        // `flatten` checked that indices fit in 32 bits.
        let path = || flat.path(index);
        cells.push(CellSim::new(
            tech,
            cell.instance,
            index as u32,
            options.seed,
            path,
        )?);
    }
    let routes: Vec<[Sink; 2]> = flat.cells.iter().map(|c| c.outputs).collect();
    let mut run = Run {
        cells,
        routes,
        stop,
        queue: Queue::default(),
        outputs: vec![Vec::new(); flat.outputs.len()],
        stats: PulseStats::default(),
    };
    let mut next = vec![0usize; trains.len()];
    for (k, train) in trains.iter().enumerate() {
        if let Some(&t) = train.first() {
            run.schedule(t, Target::Stimulus(k as u32));
        }
    }
    while let Some(event) = run.queue.pop() {
        match event.target {
            Target::Pin { cell, pin } => run.deliver(Sink::Cell { cell, pin }, event.time),
            Target::Stimulus(k) => {
                let k = k as usize;
                run.stats.stimulus_pulses += 1;
                run.deliver(flat.inputs[k].1, event.time);
                next[k] += 1;
                if let Some(&t) = trains[k].get(next[k]) {
                    run.schedule(t, Target::Stimulus(k as u32));
                }
            }
        }
    }
    let mut outputs = BTreeMap::new();
    for (name, mut times) in flat.outputs.iter().zip(run.outputs) {
        // Each output has one driver whose pulses leave in time order;
        // sorting (linear on sorted data) only guards the promise.
        times.sort_by(f64::total_cmp);
        outputs.insert(name.to_string(), times);
    }
    Ok(PulseRun {
        outputs,
        stats: run.stats,
    })
}

/// Per top input port (declared order), its checked pulse times.
fn match_stimuli<'s>(
    inputs: &[(&str, Sink)],
    stimuli: &'s [Stimulus],
) -> Result<Vec<&'s [f64]>, PulseError> {
    let mut trains: Vec<Option<&[f64]>> = vec![None; inputs.len()];
    for stimulus in stimuli {
        let port = &stimulus.port;
        let Some(k) = inputs.iter().position(|(name, _)| name == port) else {
            return Err(PulseError::UnknownPort { port: port.clone() });
        };
        if trains[k].is_some() {
            return Err(PulseError::DuplicateStimulus { port: port.clone() });
        }
        let mut previous = 0.0;
        for (index, &t) in stimulus.times_ps.iter().enumerate() {
            if !(t.is_finite() && t >= 0.0) {
                return Err(PulseError::BadTime {
                    port: port.clone(),
                    index,
                    time_ps: t,
                });
            }
            if t < previous {
                return Err(PulseError::UnsortedTimes {
                    port: port.clone(),
                    index,
                    time_ps: t,
                    previous_ps: previous,
                });
            }
            previous = t;
        }
        trains[k] = Some(&stimulus.times_ps);
    }
    Ok(trains.into_iter().map(Option::unwrap_or_default).collect())
}

/// The state of a run in progress.
struct Run {
    cells: Vec<CellSim>,
    /// Per cell, where its output pins lead.
    routes: Vec<[Sink; 2]>,
    stop: f64,
    queue: Queue,
    /// Per top output (declared order), the pulse times recorded.
    outputs: Vec<Vec<f64>>,
    stats: PulseStats,
}

impl Run {
    /// Queues a pulse unless it is due after the stop time.
    fn schedule(&mut self, time: f64, target: Target) {
        if time <= self.stop {
            self.queue.push(time, target);
        }
    }

    /// A pulse reaching `sink` at `t` (≤ the stop time).
    fn deliver(&mut self, sink: Sink, t: f64) {
        match sink {
            Sink::Cell { cell, pin } => {
                self.stats.events += 1;
                let c = cell as usize;
                let Some(out) = self.cells[c].receive(pin, t, &mut self.stats) else {
                    return;
                };
                if out > self.stop {
                    return;
                }
                for route in self.routes[c] {
                    match route {
                        Sink::Cell { cell, pin } => self.queue.push(out, Target::Pin { cell, pin }),
                        Sink::Output(_) => self.deliver(route, out),
                        Sink::Open => {}
                    }
                }
            }
            Sink::Output(port) => {
                self.stats.events += 1;
                self.outputs[port as usize].push(t);
            }
            Sink::Open => {}
        }
    }
}
