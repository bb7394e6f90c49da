//! `spikec verify --target sfq`: runs the emitted cell netlist in the
//! pulse-level simulator and compares each monitored neuron's pulse rate
//! with the network-level simulation of the same description.
//!
//! Both runs see the same input: the spike sources' pulses are the ones
//! the simulator draws (same seed, same streams), fed to the netlist's
//! input ports. The network-level run is deterministic given its inputs;
//! the circuit is not (its synapses pass pulses at random, its neurons
//! count whole pulses, its mergers lose colliding pulses), so a rate is
//! accepted when the circuit's count `n_sfq` is within
//! `4·√max(n_sim, n_sfq, 1) + 10 % · n_sim` of the simulator's `n_sim`:
//! four standard deviations of a Poisson-like count, plus a tenth for
//! what rate coding approximates (whole-pulse thresholds, probability
//! quantisation, collisions). The tolerance is printed with each result.
//!
//! With cases (`--case 'a=1,b=0 -> high'`) the network is compiled once
//! per case with those parameter values, and the one monitored output
//! neuron's circuit rate classifies it: correct when every `high` case's
//! rate is above every `low` case's. The margin is the lowest `high` rate
//! minus the highest `low` rate, relative to the highest input rate.

use crate::diag::Diagnostic;
use crate::driver::Override;
use spikec_ir::Network;
use spikec_sfq::lower::PopulationCells;
use spikec_sfq::pulse::{self, PulseOptions, PulseStats};
use spikec_sfq::tech::Technology;

use super::{lower, ps, reference_run};
use spikec_ir::expanded::Layout;

/// One monitored neuron's rates.
#[derive(Clone, Debug, PartialEq)]
pub struct OutputRate {
    /// `Out_0`: the top output port.
    pub port: String,
    /// Spikes in the network-level run and pulses out of the circuit.
    pub simulated: u64,
    pub circuit: u64,
    /// Accepted difference, in counts.
    pub tolerance: f64,
}

impl OutputRate {
    /// Whether the circuit's count is within tolerance.
    pub fn ok(&self) -> bool {
        (self.circuit as f64 - self.simulated as f64).abs() <= self.tolerance
    }
}

/// What one run found.
#[derive(Clone, Debug)]
pub struct SfqVerification {
    /// Simulated time, ns.
    pub duration_ns: f64,
    /// Per monitored neuron, in population then neuron order.
    pub outputs: Vec<OutputRate>,
    /// The highest rate of a spike source, GHz.
    pub input_rate_ghz: f64,
    /// Each source population's highest neuron rate, GHz, by name.
    pub source_rates: Vec<(String, f64)>,
    /// What the pulse-level simulator counted.
    pub stats: PulseStats,
}

impl SfqVerification {
    /// A count as a rate, GHz.
    pub fn ghz(&self, count: u64) -> f64 {
        if self.duration_ns > 0.0 {
            count as f64 / self.duration_ns
        } else {
            0.0
        }
    }

    /// Whether every output is within tolerance.
    pub fn ok(&self) -> bool {
        self.outputs.iter().all(OutputRate::ok)
    }
}

/// The accepted difference for counts `sim` and `sfq`.
pub fn tolerance(sim: u64, sfq: u64) -> f64 {
    4.0 * (sim.max(sfq).max(1) as f64).sqrt() + 0.1 * sim as f64
}

/// Lowers, simulates both ways for `duration` ms, compares.
pub fn verify(
    net: &Network,
    tech: &Technology,
    duration: f64,
) -> Result<SfqVerification, Vec<Diagnostic>> {
    verify_clocked(net, tech, duration, None)
}

/// [`verify`], clocked with a period of `clock_ms` when given.
pub fn verify_clocked(
    net: &Network,
    tech: &Technology,
    duration: f64,
    clock_ms: Option<f64>,
) -> Result<SfqVerification, Vec<Diagnostic>> {
    let design = lower(net, tech, clock_ms)?;
    let (out, stimuli) = reference_run(net, &design, duration)?;
    let options = PulseOptions {
        seed: net.seed,
        stop_ps: ps(duration),
    };
    let run = pulse::simulate(tech, &design.netlist, &stimuli, &options).map_err(|e| {
        vec![Diagnostic::error(
            "E0000",
            format!("internal compiler error: the pulse simulator cannot run the design: {e}"),
        )
        .help("this is a bug in spikec; please report it with the .snn file")]
    })?;

    let offsets = Layout::of(net).offsets;
    let mut counts = vec![0u64; offsets.last().copied().unwrap_or(0) as usize];
    for s in &out.spikes {
        if let Some(c) = offsets
            .get(s.population as usize)
            .and_then(|o| counts.get_mut((o + s.neuron) as usize))
        {
            *c += 1;
        }
    }
    let duration_ns = duration * 1e6;
    let mut outputs = Vec::new();
    let mut input_rate_ghz: f64 = 0.0;
    let mut source_rates = Vec::new();
    for (p, ((_, pop), cells)) in net.populations.iter().zip(&design.populations).enumerate() {
        let first = offsets[p] as usize;
        match cells {
            PopulationCells::Source { inputs } => {
                let rate = (0..inputs.len())
                    .map(|i| counts[first + i] as f64 / duration_ns)
                    .fold(0.0, f64::max);
                input_rate_ghz = input_rate_ghz.max(rate);
                source_rates.push((pop.name.clone(), rate));
            }
            PopulationCells::Neurons { neurons, .. } => {
                for (i, n) in neurons.iter().enumerate() {
                    if let Some(port) = &n.monitor {
                        let simulated = counts[first + i];
                        let circuit = run.outputs.get(port).map_or(0, |t| t.len() as u64);
                        outputs.push(OutputRate {
                            port: port.clone(),
                            simulated,
                            circuit,
                            tolerance: tolerance(simulated, circuit),
                        });
                    }
                }
            }
        }
    }
    Ok(SfqVerification {
        duration_ns,
        outputs,
        input_rate_ghz,
        source_rates,
        stats: run.stats,
    })
}

/// A `--case`: parameter values and, optionally, the expected output.
#[derive(Clone, Debug)]
pub struct Case {
    /// As written, for the printout.
    pub label: String,
    pub overrides: Vec<Override>,
    /// `Some(true)` for `-> high`, `Some(false)` for `-> low`.
    pub expect_high: Option<bool>,
}

/// Parses `a=1,b=0 -> high`.
pub fn parse_case(text: &str) -> Result<Case, String> {
    let (sets, expect) = match text.split_once("->") {
        Some((s, e)) => (s, Some(e.trim())),
        None => (text, None),
    };
    let expect_high = match expect {
        None => None,
        Some("high" | "1" | "true") => Some(true),
        Some("low" | "0" | "false") => Some(false),
        Some(other) => {
            return Err(format!(
                "expected `high` or `low` after `->`, found `{other}`"
            ))
        }
    };
    let mut overrides = Vec::new();
    for part in sets.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, value) = part
            .split_once('=')
            .ok_or_else(|| format!("`{part}` is not NAME=VALUE"))?;
        overrides.push(Override {
            name: name.trim().into(),
            value: value.trim().into(),
        });
    }
    Ok(Case {
        label: sets.trim().to_string(),
        overrides,
        expect_high,
    })
}

/// The classification of a set of cases by one output's circuit rate.
#[derive(Clone, Debug, PartialEq)]
pub struct Classification {
    /// Cases with an expectation, and how many the rates separate.
    pub cases: usize,
    pub correct: usize,
    /// Lowest `high` rate minus highest `low` rate over the input rate
    /// (`None` without both kinds of case or without input).
    pub margin: Option<f64>,
    pub lowest_high_ghz: Option<f64>,
    pub highest_low_ghz: Option<f64>,
}

/// The input rate of a set of runs: the highest rate of a source whose
/// rate differs between runs (by more than counting noise would make it,
/// 4·√n), or of any source when none does.
pub fn input_rate(runs: &[&SfqVerification]) -> f64 {
    let Some(first) = runs.first() else {
        return 0.0;
    };
    let mut switched = 0.0f64;
    for (k, (_, _)) in first.source_rates.iter().enumerate() {
        let rates: Vec<f64> = runs
            .iter()
            .filter_map(|r| r.source_rates.get(k).map(|s| s.1))
            .collect();
        let (lo, hi) = rates.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), &x| {
            (lo.min(x), hi.max(x))
        });
        let noise = 4.0 * (hi * first.duration_ns).max(1.0).sqrt() / first.duration_ns;
        if hi - lo > noise {
            switched = switched.max(hi);
        }
    }
    if switched > 0.0 {
        switched
    } else {
        runs.iter().map(|r| r.input_rate_ghz).fold(0.0, f64::max)
    }
}

/// Classifies `(expect_high, output rate, input rate)` triples: the
/// threshold is midway between the lowest `high` and the highest `low`
/// rate, and a case is correct on the right side of it.
pub fn classify(results: &[(bool, f64, f64)]) -> Classification {
    let lowest_high = results.iter().filter(|r| r.0).map(|r| r.1).reduce(f64::min);
    let highest_low = results
        .iter()
        .filter(|r| !r.0)
        .map(|r| r.1)
        .reduce(f64::max);
    let input = results.iter().map(|r| r.2).fold(0.0, f64::max);
    let threshold = match (lowest_high, highest_low) {
        (Some(h), Some(l)) => (h + l) / 2.0,
        (Some(h), None) => h / 2.0,
        (None, Some(l)) => l,
        (None, None) => 0.0,
    };
    let correct = results
        .iter()
        .filter(|(high, rate, _)| {
            if *high {
                *rate > threshold
            } else {
                *rate <= threshold
            }
        })
        .count();
    let margin = match (lowest_high, highest_low) {
        (Some(h), Some(l)) if input > 0.0 => Some((h - l) / input),
        _ => None,
    };
    // When the rates overlap, the lowest `high` rate is at or below the
    // midpoint, so that case counts as wrong.
    Classification {
        cases: results.len(),
        correct,
        margin,
        lowest_high_ghz: lowest_high,
        highest_low_ghz: highest_low,
    }
}
