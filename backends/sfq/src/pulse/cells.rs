//! Each cell as a timed state machine: a pulse in at `t`, perhaps a pulse
//! out at `t + delay`.
//!
//! [`CellSim::new`] turns an instance and the technology into constants
//! (delay, separations, a synapse's probability, a neuron's threshold and
//! leak rate) once, so that handling a pulse is arithmetic on a few
//! numbers. The rules are those of the module documentation of
//! [`crate::pulse`]; the comments here only say how they are kept.
//!
//! Pins are numbered as the technology lists them, inputs then clocks; the
//! technology fixes each kind's shape (a MERGE has two inputs, a DFF one
//! input and one clock, an NDRO set, reset and clock, a NEURON an
//! excitatory and perhaps an inhibitory input), so positions are enough.

use super::draws::Draws;
use super::{PulseError, PulseStats};
use crate::netlist::Instance;
use crate::tech::{CellKind, Technology};
use crate::timing::PS_PER_NS;
use std::collections::VecDeque;

/// Most pins a cell kind has (the NDRO: set, reset, clock).
const MAX_PINS: usize = 3;

/// One cell's constants and state.
#[derive(Clone, Debug)]
pub(crate) struct CellSim {
    delay_ps: f64,
    /// `min_input_separation_ps`, 0 without one.
    separation_ps: f64,
    /// Per pin, the time of the last pulse it accepted.
    accepted: [f64; MAX_PINS],
    machine: Machine,
}

/// What a kind does with an accepted pulse, and what it remembers.
#[derive(Clone, Debug)]
enum Machine {
    /// JTL, SPLIT, DCSFQ, SFQDC: every accepted pulse goes out.
    Pass,
    Merge {
        /// `min_cross_separation_ps`, 0 without one.
        cross_ps: f64,
        /// The last pulse to reach either input, passed or not.
        arrival: f64,
    },
    Synapse {
        probability: f64,
        draws: Draws,
    },
    Neuron {
        threshold: u32,
        /// Negative fluxons the loop holds at most.
        floor: u32,
        /// Escape rate per stored fluxon, per ps.
        leak_per_ps: f64,
        /// Stored fluxons; negative after more inhibition than excitation.
        stored: i64,
        /// When the leak was last applied.
        updated: f64,
        draws: Draws,
    },
    Dff {
        setup_ps: f64,
        hold_ps: f64,
        /// The arrival time of the stored data pulse, if one is stored.
        stored: Option<f64>,
        last_clock: f64,
    },
    Ndro {
        setup_ps: f64,
        hold_ps: f64,
        /// The state before every entry of `recent`.
        settled: bool,
        /// Set and reset pulses of the last `setup_ps`: (time, state after).
        recent: VecDeque<(f64, bool)>,
        last_clock: f64,
    },
}

impl CellSim {
    /// The machine of instance `inst` (dense index `index`, named `path`
    /// in errors) under `tech` and `seed`.
    pub fn new(
        tech: &Technology,
        inst: &Instance,
        index: u32,
        seed: u64,
        path: impl Fn() -> String,
    ) -> Result<CellSim, PulseError> {
        let cell = tech.cell(inst.kind);
        // Validation established a bias for each bias pin; a netlist
        // validated against another technology may lack one.
        let bias = |position: usize| -> Result<f64, PulseError> {
            let Some(pin) = cell.pins.biases.get(position) else {
                return Err(PulseError::Mismatch {
                    at: path(),
                    message: format!("the technology's cell has no bias pin {position}"),
                });
            };
            match inst.bias_ua.get(pin).copied() {
                Some(v) if v.is_finite() && v >= 0.0 => Ok(v),
                value => Err(PulseError::BadBias {
                    cell: path(),
                    pin: pin.clone(),
                    value,
                }),
            }
        };
        let setup_ps = cell.setup_ps.unwrap_or(0.0);
        let hold_ps = cell.hold_ps.unwrap_or(0.0);
        let machine = match inst.kind {
            CellKind::Jtl | CellKind::Split | CellKind::DcSfq | CellKind::SfqDc => Machine::Pass,
            CellKind::Merge => Machine::Merge {
                cross_ps: cell.min_cross_separation_ps.unwrap_or(0.0),
                arrival: f64::NEG_INFINITY,
            },
            CellKind::Synapse => Machine::Synapse {
                probability: tech.synapse_calibration().probability(bias(0)?),
                draws: Draws::new(seed, index),
            },
            CellKind::Neuron => {
                let model = tech.neuron();
                // The technology lists the threshold bias first, the leak second.
                let bias_ua = bias(0)?;
                let Some(threshold) = model.threshold_for_bias(bias_ua) else {
                    return Err(PulseError::NoThreshold {
                        cell: path(),
                        bias_ua,
                        min_ua: model.threshold_bias_min_ua,
                        max_ua: model.threshold_bias_max_ua,
                    });
                };
                Machine::Neuron {
                    threshold: threshold.max(1),
                    floor: model.reverse_capacity(bias_ua),
                    leak_per_ps: model.leak_rate_per_ns(bias(1)?) / PS_PER_NS,
                    stored: 0,
                    updated: 0.0,
                    draws: Draws::new(seed, index),
                }
            }
            CellKind::Dff => Machine::Dff {
                setup_ps,
                hold_ps,
                stored: None,
                last_clock: f64::NEG_INFINITY,
            },
            CellKind::Ndro => Machine::Ndro {
                setup_ps,
                hold_ps,
                settled: false,
                recent: VecDeque::new(),
                last_clock: f64::NEG_INFINITY,
            },
        };
        Ok(CellSim {
            delay_ps: cell.delay_ps,
            separation_ps: cell.min_input_separation_ps.unwrap_or(0.0),
            accepted: [f64::NEG_INFINITY; MAX_PINS],
            machine,
        })
    }

    /// A pulse on pin `pin` at `t` (never earlier than the cell's previous
    /// pulse); the time of the pulse it sends on every output, if any.
    pub fn receive(&mut self, pin: u8, t: f64, stats: &mut PulseStats) -> Option<f64> {
        let p = usize::from(pin).min(MAX_PINS - 1);
        let separated = t - self.accepted[p] >= self.separation_ps;
        if let Machine::Merge { cross_ps, arrival } = &mut self.machine {
            // Every arrival restarts the merger's dead time, lost or not:
            // the rule of `timing::loss`.
            let previous = std::mem::replace(arrival, t);
            if !separated {
                stats.separation_losses += 1;
                return None;
            }
            self.accepted[p] = t;
            if t - previous < *cross_ps {
                stats.merge_collisions += 1;
                return None;
            }
            return Some(t + self.delay_ps);
        }
        if !separated {
            stats.separation_losses += 1;
            return None;
        }
        self.accepted[p] = t;
        let fired = match &mut self.machine {
            Machine::Pass | Machine::Merge { .. } => true,
            Machine::Synapse { probability, draws } => {
                // u ∈ [0, 1): p = 0 never passes, p = 1 always does.
                let pass = draws.next_uniform() < *probability;
                if pass {
                    stats.synapse_passed += 1;
                } else {
                    stats.synapse_blocked += 1;
                }
                pass
            }
            Machine::Neuron {
                threshold,
                floor,
                leak_per_ps,
                stored,
                updated,
                draws,
            } => {
                leak(*leak_per_ps, stored, updated, draws, t, stats);
                if pin == 0 {
                    *stored += 1;
                    let fire = *stored >= i64::from(*threshold);
                    if fire {
                        *stored = 0;
                        stats.neuron_firings += 1;
                    }
                    fire
                } else {
                    if *stored > -i64::from(*floor) {
                        *stored -= 1;
                    } else {
                        stats.inhibition_at_floor += 1;
                    }
                    false
                }
            }
            Machine::Dff {
                setup_ps,
                hold_ps,
                stored,
                last_clock,
            } => {
                if pin == 0 {
                    if t - *last_clock < *hold_ps {
                        stats.hold_violations += 1;
                    }
                    if stored.is_some() {
                        stats.dff_overflows += 1;
                    } else {
                        *stored = Some(t);
                    }
                    false
                } else {
                    *last_clock = t;
                    match *stored {
                        Some(at) if t - at >= *setup_ps => {
                            *stored = None;
                            true
                        }
                        // Too late for this clock: it stays for the next.
                        Some(_) => {
                            stats.setup_violations += 1;
                            false
                        }
                        None => false,
                    }
                }
            }
            Machine::Ndro {
                setup_ps,
                hold_ps,
                settled,
                recent,
                last_clock,
            } => {
                // Entries at or before t − setup are visible to every
                // later clock: fold them into the settled state.
                while let Some(&(at, state)) = recent.front() {
                    if t - at < *setup_ps {
                        break;
                    }
                    *settled = state;
                    recent.pop_front();
                }
                if pin < 2 {
                    if t - *last_clock < *hold_ps {
                        stats.hold_violations += 1;
                    }
                    recent.push_back((t, pin == 0));
                    false
                } else {
                    *last_clock = t;
                    if !recent.is_empty() {
                        stats.setup_violations += 1;
                    }
                    *settled
                }
            }
        };
        fired.then_some(t + self.delay_ps)
    }
}

/// Lets each stored fluxon (of either sign) escape with probability
/// 1 − e^{−λ·Δt}, one draw each, for the time since `updated`; then
/// `updated = t`.
fn leak(
    leak_per_ps: f64,
    stored: &mut i64,
    updated: &mut f64,
    draws: &mut Draws,
    t: f64,
    stats: &mut PulseStats,
) {
    if leak_per_ps > 0.0 && *stored != 0 {
        let survive = (-leak_per_ps * (t - *updated)).exp();
        // Survival 1 needs no draws: u < 1 always holds.
        if survive < 1.0 {
            let n = stored.unsigned_abs();
            let kept = (0..n).filter(|_| draws.next_uniform() < survive).count() as u64;
            stats.leaked_fluxons += n - kept;
            *stored = stored.signum() * kept as i64;
        }
    }
    *updated = t;
}
