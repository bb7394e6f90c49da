//! The neuron cell's parameters as bias currents.
//!
//! Model: the neuron is a storing loop closed by a threshold junction. Each
//! input fluxon that enters the loop adds `loop_current_per_pulse_ua`
//! (Φ0 / L_store) to the current of the threshold junction, which also
//! carries the threshold bias `I_th`. The junction switches, and the neuron
//! fires and resets, on the n-th stored pulse where
//! `I_th + n · ΔI ≥ Ic_th`, so the threshold in pulses is
//! `n = ⌈(Ic_th − I_th) / ΔI⌉`. The bias line may only be set within
//! `[threshold_bias_min_ua, threshold_bias_max_ua]`, which bounds the
//! thresholds a network can ask for.
//!
//! Inhibitory pulses enter the loop with the opposite circulation: each
//! cancels one stored fluxon, and an empty loop stores them as negative
//! fluxons until the threshold junction would switch backwards
//! ([`NeuronModel::reverse_capacity`]).
//!
//! The leak is a second junction in the loop whose bias brings it close to
//! its critical current, so that stored fluxons escape by thermal
//! activation at a rate that rises steeply with the leak bias. That rate
//! (per stored fluxon per ns, so the stored count decays with time constant
//! 1 / rate) is a calibration table, like the synapse's probability.

use super::calibration::Calibration;

/// The neuron cell's threshold and leak, as functions of its bias lines.
#[derive(Clone, Debug, PartialEq)]
pub struct NeuronModel {
    /// Critical current of the threshold junction, µA.
    pub threshold_junction_ic_ua: f64,
    /// Current one stored fluxon adds through the threshold junction, µA
    /// (Φ0 divided by the storing inductance).
    pub loop_current_per_pulse_ua: f64,
    /// Lowest threshold bias the bias line may carry, µA.
    pub threshold_bias_min_ua: f64,
    /// Highest threshold bias the bias line may carry, µA; below the
    /// junction's critical current, or the neuron would fire on its own.
    pub threshold_bias_max_ua: f64,
    /// Escape rate of each stored fluxon (per ns) against the leak bias (µA).
    pub leak: Calibration,
}

impl NeuronModel {
    /// The threshold, in input pulses, that a threshold bias (µA) gives, or
    /// `None` for a bias outside the allowed range.
    pub fn threshold_for_bias(&self, bias_ua: f64) -> Option<u32> {
        if !(bias_ua >= self.threshold_bias_min_ua && bias_ua <= self.threshold_bias_max_ua) {
            return None;
        }
        let pulses = ((self.threshold_junction_ic_ua - bias_ua) / self.loop_current_per_pulse_ua)
            .ceil()
            .max(1.0);
        // Validation keeps the range finite and small; saturate regardless.
        Some(pulses.min(u32::MAX as f64) as u32)
    }

    /// The smallest and largest thresholds (in pulses) the bias range allows.
    pub fn threshold_range(&self) -> (u32, u32) {
        let lowest = self
            .threshold_for_bias(self.threshold_bias_max_ua)
            .unwrap_or(1);
        let highest = self
            .threshold_for_bias(self.threshold_bias_min_ua)
            .unwrap_or(lowest);
        (lowest, highest)
    }

    /// The threshold bias (µA) for a threshold of `pulses` input pulses: the
    /// middle of the bias window that gives it (clipped to the allowed
    /// range), which leaves the most margin for bias error and quantisation.
    /// `None` if the range allows no bias for that threshold.
    pub fn bias_for_threshold(&self, pulses: u32) -> Option<f64> {
        if pulses == 0 {
            return None;
        }
        let ic = self.threshold_junction_ic_ua;
        let step = self.loop_current_per_pulse_ua;
        // Biases in [ic − n·step, ic − (n−1)·step) give threshold n.
        let low = (ic - f64::from(pulses) * step).max(self.threshold_bias_min_ua);
        let high = (ic - f64::from(pulses - 1) * step).min(self.threshold_bias_max_ua);
        if low > high || (low == high && high == ic - f64::from(pulses - 1) * step) {
            return None;
        }
        Some((low + high) / 2.0)
    }

    /// How many fluxons of the opposite sign (from inhibitory pulses) the
    /// loop can hold at a threshold bias: the threshold junction carries
    /// `I_th − k·ΔI`, and switches backwards once that reaches `−Ic`, so
    /// the loop holds `⌈(Ic + I_th) / ΔI⌉ − 1`. A further inhibitory pulse
    /// escapes.
    pub fn reverse_capacity(&self, bias_ua: f64) -> u32 {
        let k = ((self.threshold_junction_ic_ua + bias_ua.max(0.0))
            / self.loop_current_per_pulse_ua)
            .ceil()
            - 1.0;
        k.clamp(0.0, 1e6) as u32
    }

    /// The escape rate (per stored fluxon per ns) at a leak bias (µA).
    pub fn leak_rate_per_ns(&self, bias_ua: f64) -> f64 {
        self.leak.probability(bias_ua)
    }

    /// The leak bias (µA) for an escape rate per ns, clamped to the table.
    pub fn bias_for_leak_rate(&self, rate_per_ns: f64) -> f64 {
        self.leak.bias_for(rate_per_ns)
    }
}
