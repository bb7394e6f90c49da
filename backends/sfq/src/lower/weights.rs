//! Weights as pass probabilities, thresholds as pulse counts.
//!
//! A neuron that integrates `span` (threshold minus reset) is given a
//! threshold of `n` stored pulses, so one pulse is worth a quantum
//! `q = span / n`, and a synapse of weight `w` passes each pulse with
//! probability `p = |w| / q`: the expected change per presynaptic spike is
//! `w`, as in the network. `n` is the largest count with every incoming
//! `p ≤ 1` (`n = ⌊span / max|w|⌋`), clamped to what the threshold bias
//! allows; the larger `n`, the finer the probabilities resolve the
//! weights. When `max|w| > span` the count is 1 and those synapses pass
//! every pulse: one such spike fires the neuron in both descriptions.
//!
//! The bias for `p` comes from the technology's calibration table and is
//! rounded to the bias lines' resolution; the realised probability is
//! read back from the table, and the difference is what [`WeightLoss`]
//! reports.

use crate::tech::Technology;

/// A neuron's threshold as pulses and bias.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Threshold {
    /// Stored pulses that fire the neuron.
    pub pulses: u32,
    /// The threshold bias, µA.
    pub bias_ua: f64,
    /// What one pulse is worth, in the network's weight unit.
    pub quantum: f64,
}

/// The threshold for a neuron that integrates `span` and whose largest
/// incoming weight magnitude is `max_weight` (0 without inputs).
pub fn threshold(tech: &Technology, span: f64, max_weight: f64) -> Threshold {
    let (lowest, highest) = tech.neuron().threshold_range();
    let fits = if max_weight > 0.0 {
        // A relative tolerance keeps `span / w` = 3 from flooring to 2.
        (span / max_weight * (1.0 + 1e-12)).floor()
    } else {
        f64::from(highest)
    };
    let pulses = (fits.min(f64::from(highest)) as u32).max(lowest).max(1);
    // The threshold range comes from the same model, so every count in it
    // has a bias; fall back to the range's middle if a file says otherwise.
    let bias_ua = tech
        .neuron()
        .bias_for_threshold(pulses)
        .map(|b| tech.quantise_bias(b))
        .unwrap_or(tech.neuron().threshold_bias_max_ua);
    Threshold {
        pulses,
        bias_ua,
        quantum: span / f64::from(pulses),
    }
}

/// A synapse's setting.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Synapse {
    /// The probability the weight asks for (clipped to 1).
    pub wanted: f64,
    /// The weight bias, µA, on the resolution grid.
    pub bias_ua: f64,
    /// The probability the calibration table gives at that bias.
    pub realised: f64,
}

/// The synapse cell for weight magnitude `|w|` at quantum `q`.
pub fn synapse(tech: &Technology, weight: f64, quantum: f64) -> Synapse {
    let wanted = (weight.abs() / quantum).min(1.0);
    let setting = tech.synapse_setting(wanted);
    Synapse {
        wanted,
        bias_ua: setting.bias_ua,
        realised: setting.probability,
    }
}

/// How far a projection's realised probabilities are from the wanted ones.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct WeightLoss {
    /// Synapses.
    pub synapses: u64,
    /// Synapses whose non-zero weight became probability 0.
    pub zeroed: u64,
    /// Largest |realised − wanted|, as a probability.
    pub max_error: f64,
    /// Largest relative error of a non-zeroed synapse.
    pub max_relative: f64,
}

impl WeightLoss {
    /// Accounts one synapse.
    pub fn add(&mut self, s: &Synapse) {
        self.synapses += 1;
        let error = (s.realised - s.wanted).abs();
        self.max_error = self.max_error.max(error);
        if s.wanted > 0.0 && s.realised == 0.0 {
            self.zeroed += 1;
        } else if s.wanted > 0.0 {
            self.max_relative = self.max_relative.max(error / s.wanted);
        }
    }

    /// Whether the loss is worth a warning: a weight lost, or a synapse
    /// more than 2 % off.
    pub fn significant(&self) -> bool {
        self.zeroed > 0 || self.max_relative > 0.02
    }
}

impl std::fmt::Display for WeightLoss {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.zeroed > 0 {
            write!(
                f,
                "{} of {} synapses round to probability 0; ",
                self.zeroed, self.synapses
            )?;
        }
        write!(
            f,
            "the largest error is {:.4} in probability ({:.1} % of a weight)",
            self.max_error,
            100.0 * self.max_relative
        )
    }
}
