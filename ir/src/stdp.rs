//! Pair STDP in integer arithmetic: the one implementation that both the
//! SpiNNaker emulator (running the emitted plastic rows) and the
//! simulator's `s1615` mode use, so that a verification run compares two
//! executions of the same rule rather than two approximations of it.
//!
//! The event timing is the simulator's (`backends/sim/src/plastic.rs`,
//! NEST's `stdp_synapse`): the whole delay `d` is dendritic, a pre spike
//! sent at `t` potentiates lazily by every post spike with
//! `t_last < t_post + d ≤ t` (oldest first, each change clamped), then
//! depresses by the post trace at `t − d` (spikes strictly before). Only
//! the numbers differ, as on a SpiNNaker core (sPyNNaker's "mad" STDP):
//!
//! - **Times** are whole steps: a spike of step `s` is stamped `s + 1`;
//!   0 means "never" (with a zero trace, which contributes nothing).
//! - **Traces** are unsigned fixed point with [`TRACE_FRACTION_BITS`]
//!   fractional bits (sPyNNaker's `STDP_FIXED_POINT`, 1.0 = 2048),
//!   saturating at `u32::MAX`.
//! - **Decay** `exp(−Δt/τ)` comes from a [`DecayTable`] indexed by the
//!   time difference in steps (shifted right when τ is long, as
//!   sPyNNaker's lookup tables are), 11-bit entries, and is 0 beyond the
//!   table. A trace decays by one multiply and a rounding shift.
//! - **Weights** are the 16-bit magnitudes of the synapse type's
//!   ring-buffer unit ([`crate::fixed`]); `w_min` and `w_max` are
//!   quantised to the same unit, and every change
//!   `Δw = A · base · x` (base `w_max`, or `w_max − w` / `w − w_min` for the
//!   multiplicative dependence) is rounded to a whole unit before the
//!   clamp, with `A` in 8.24 fixed point.
//! - **History**: a neuron keeps its last [`POST_HISTORY`] post spikes (as
//!   sPyNNaker's per-neuron post-event buffer); older ones are forgotten,
//!   so a presynaptic neuron silent for longer than that many post spikes
//!   misses some lazy potentiation that the `f64` rule would apply.
//!
//! Rounding to whole weight units means changes smaller than half a unit
//! are lost; the ring-buffer shift of a plastic synapse type is chosen
//! from `w_max` ([`crate::ring`]), so the unit is about `w_max / 2^15` or
//! finer.

use crate::network::{StdpRule, WeightDependence};

/// Fractional bits of a trace and of a decay-table entry.
pub const TRACE_FRACTION_BITS: u32 = 11;

/// A trace of 1.0: what each spike adds.
pub const TRACE_ONE: u32 = 1 << TRACE_FRACTION_BITS;

/// Fractional bits of an amplitude `A±`.
pub const AMPLITUDE_FRACTION_BITS: u32 = 24;

/// Post spikes a neuron remembers.
pub const POST_HISTORY: usize = 16;

/// The most entries a decay table may have (4 KiB of 16-bit entries);
/// longer time constants get a coarser index.
pub const MAX_DECAY_ENTRIES: usize = 2048;

/// The coarsest decay-table index shift: a table whose steps would be
/// longer than 2^16 timesteps no longer describes a decay.
pub const MAX_DECAY_SHIFT: u8 = 16;

/// Why a rule has no integer form.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum RuleError {
    /// A time constant is not a positive finite number of milliseconds.
    #[error("time constant {0} ms is not positive")]
    TimeConstant(f64),
    /// A time constant so long (against the timestep) that even the
    /// coarsest decay table cannot describe it.
    #[error("time constant {tau} ms is too long for a decay table at a {h} ms timestep")]
    TooLong {
        /// The time constant, ms.
        tau: f64,
        /// The timestep, ms.
        h: f64,
    },
    /// Weights can be negative: rows hold unsigned magnitudes of one sign.
    #[error("plastic weights must not be negative (w_min = {0})")]
    Negative(f64),
    /// An amplitude beyond the 8.24 format.
    #[error("amplitude {0} is too large (at most 255)")]
    Amplitude(f64),
}

/// `exp(−k·h/τ)` for time differences `k` in steps, as a lookup table of
/// 11-bit fixed-point factors, indexed by `k >> shift`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecayTable {
    shift: u8,
    entries: Vec<u16>,
}

impl DecayTable {
    /// The table of time constant `tau` (ms) at timestep `h` (ms): every
    /// factor that does not round to 0, with the finest index that keeps
    /// it within [`MAX_DECAY_ENTRIES`].
    pub fn new(tau: f64, h: f64) -> Result<DecayTable, RuleError> {
        if !(tau > 0.0 && tau.is_finite()) {
            return Err(RuleError::TimeConstant(tau));
        }
        for shift in 0..=MAX_DECAY_SHIFT {
            let mut entries = Vec::new();
            loop {
                let dt = (entries.len() as f64) * 2f64.powi(shift as i32) * h;
                let v = ((-dt / tau).exp() * TRACE_ONE as f64).round();
                if v <= 0.0 {
                    return Ok(DecayTable { shift, entries });
                }
                if entries.len() == MAX_DECAY_ENTRIES {
                    break;
                }
                entries.push(v as u16);
            }
        }
        Err(RuleError::TooLong { tau, h })
    }

    /// A table read back from core data; `None` if it breaks the format
    /// (too long, a shift out of range, or a factor above 1.0).
    pub fn from_parts(shift: u8, entries: Vec<u16>) -> Option<DecayTable> {
        let ok = shift <= MAX_DECAY_SHIFT
            && entries.len() <= MAX_DECAY_ENTRIES
            && entries.iter().all(|&e| u32::from(e) <= TRACE_ONE);
        ok.then_some(DecayTable { shift, entries })
    }

    /// The index shift.
    pub fn shift(&self) -> u8 {
        self.shift
    }

    /// The factors.
    pub fn entries(&self) -> &[u16] {
        &self.entries
    }

    /// `trace` decayed over `dt` steps, rounded to nearest.
    pub fn decay(&self, trace: u32, dt: u32) -> u32 {
        match self.entries.get((dt >> self.shift) as usize) {
            Some(&f) => {
                ((u64::from(trace) * u64::from(f) + (1 << (TRACE_FRACTION_BITS - 1)))
                    >> TRACE_FRACTION_BITS) as u32
            }
            None => 0,
        }
    }
}

/// The timing half of a rule: the decay of the pre trace (`tau_plus`) and
/// of the post trace (`tau_minus`). One per post population on SpiNNaker:
/// a row's pre trace and a neuron's post history serve all its synapses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timing {
    /// Decay of the presynaptic trace.
    pub plus: DecayTable,
    /// Decay of the postsynaptic trace.
    pub minus: DecayTable,
}

impl Timing {
    /// The tables of a rule at timestep `h` (ms).
    pub fn new(rule: &StdpRule, h: f64) -> Result<Timing, RuleError> {
        Ok(Timing {
            plus: DecayTable::new(rule.tau_plus, h)?,
            minus: DecayTable::new(rule.tau_minus, h)?,
        })
    }
}

/// The weight half of a rule in one synapse type's weight unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WeightRule {
    /// Additive or multiplicative.
    pub dependence: WeightDependence,
    /// `A_plus` in 8.24 fixed point.
    pub a_plus: u32,
    /// `A_minus` in 8.24 fixed point.
    pub a_minus: u32,
    /// The lowest weight, in weight units.
    pub w_min: u16,
    /// The highest weight, in weight units.
    pub w_max: u16,
}

impl WeightRule {
    /// The rule's weight half for weights stored at ring-buffer `shift`.
    pub fn new(rule: &StdpRule, shift: u8) -> Result<WeightRule, RuleError> {
        if rule.w_min < 0.0 || rule.w_min.is_nan() {
            return Err(RuleError::Negative(rule.w_min));
        }
        let amplitude = |a: f64| {
            let v = (a * f64::from(1u32 << AMPLITUDE_FRACTION_BITS)).round();
            if (0.0..=u32::MAX as f64).contains(&v) {
                Ok(v as u32)
            } else {
                Err(RuleError::Amplitude(a))
            }
        };
        Ok(WeightRule {
            dependence: rule.dependence,
            a_plus: amplitude(rule.a_plus)?,
            a_minus: amplitude(rule.a_minus)?,
            w_min: crate::fixed::quantise(rule.w_min, shift),
            w_max: crate::fixed::quantise(rule.w_max, shift),
        })
    }

    /// `w` potentiated by a pre trace of `x`.
    pub fn potentiate(&self, w: u16, x: u32) -> u16 {
        let base = match self.dependence {
            WeightDependence::Additive => i64::from(self.w_max),
            WeightDependence::Multiplicative => i64::from(self.w_max) - i64::from(w),
        };
        self.clamp(i64::from(w) + change(self.a_plus, base, x))
    }

    /// `w` depressed by a post trace of `x`.
    pub fn depress(&self, w: u16, x: u32) -> u16 {
        let base = match self.dependence {
            WeightDependence::Additive => i64::from(self.w_max),
            WeightDependence::Multiplicative => i64::from(w) - i64::from(self.w_min),
        };
        self.clamp(i64::from(w) - change(self.a_minus, base, x))
    }

    fn clamp(&self, w: i64) -> u16 {
        w.clamp(i64::from(self.w_min), i64::from(self.w_max)) as u16
    }
}

/// `a · base · x` in whole weight units, rounded to nearest (ties away
/// from zero): `a` has 24 fractional bits, `x` 11.
fn change(a: u32, base: i64, x: u32) -> i64 {
    let p = i128::from(a) * i128::from(base) * i128::from(x);
    let bits = AMPLITUDE_FRACTION_BITS + TRACE_FRACTION_BITS;
    let half = 1i128 << (bits - 1);
    let m = (p.abs() + half) >> bits;
    (if p < 0 { -m } else { m }) as i64
}

/// A presynaptic neuron's state as a row's header holds it: the time of
/// its last spike (0: never) and its trace just after it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PreState {
    /// Step-end stamp of the last spike (step + 1), 0 if none.
    pub time: u32,
    /// The trace just after it.
    pub trace: u32,
}

impl PreState {
    /// The state after a spike at `t`.
    pub fn after_spike(self, timing: &Timing, t: u32) -> PreState {
        let decayed = if self.time == 0 {
            0
        } else {
            timing.plus.decay(self.trace, t.saturating_sub(self.time))
        };
        PreState {
            time: t,
            trace: decayed.saturating_add(TRACE_ONE),
        }
    }
}

/// A post spike: its stamp and the post trace just after it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PostEvent {
    /// Step-end stamp (step + 1).
    pub time: u32,
    /// The post trace just after the spike.
    pub trace: u32,
}

/// The post-spike histories of `n` neurons, `capacity` spikes each,
/// oldest first; a full history forgets its oldest spike.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostHistories {
    capacity: usize,
    events: Vec<PostEvent>,
    len: Vec<u16>,
}

impl PostHistories {
    /// Empty histories.
    pub fn new(n: usize, capacity: usize) -> PostHistories {
        let capacity = capacity.clamp(1, u16::MAX as usize);
        PostHistories {
            capacity,
            events: vec![PostEvent::default(); n * capacity],
            len: vec![0; n],
        }
    }

    /// Neuron `i`'s spikes, oldest first.
    pub fn events(&self, i: usize) -> &[PostEvent] {
        let start = i * self.capacity;
        &self.events[start..start + self.len[i] as usize]
    }

    /// Neuron `i` fired at `t`.
    pub fn push(&mut self, timing: &Timing, i: usize, t: u32) {
        let start = i * self.capacity;
        let len = self.len[i] as usize;
        let before = match len {
            0 => 0,
            _ => {
                let last = self.events[start + len - 1];
                timing.minus.decay(last.trace, t.saturating_sub(last.time))
            }
        };
        let e = PostEvent {
            time: t,
            trace: before.saturating_add(TRACE_ONE),
        };
        let hist = &mut self.events[start..start + self.capacity];
        if len == self.capacity {
            hist.rotate_left(1);
            hist[len - 1] = e;
        } else {
            hist[len] = e;
            self.len[i] += 1;
        }
    }
}

/// One synapse's new weight when its presynaptic neuron, last in state
/// `pre`, sends a spike at `t` over delay `d` steps to a neuron whose post
/// spikes are `post`: potentiation by every post spike that reached the
/// synapse since the last pre spike, then depression by the post trace at
/// `t − d`, as `plastic.rs` does in `f64`. With `simultaneous` (sPyNNaker's
/// kernel, `semantics spinnaker`) the depression also counts a post spike
/// that reached the synapse at `t`.
#[allow(clippy::too_many_arguments)]
pub fn pre_spike_weight(
    timing: &Timing,
    rule: &WeightRule,
    pre: PreState,
    t: u32,
    d: u32,
    post: &[PostEvent],
    w: u16,
    simultaneous: bool,
) -> u16 {
    let mut w = w;
    let arrival = |e: &PostEvent| u64::from(e.time) + u64::from(d);
    let (t, t_last) = (u64::from(t), u64::from(pre.time));
    let from = post.partition_point(|e| arrival(e) <= t_last);
    for e in &post[from..] {
        let a = arrival(e);
        if a > t {
            break;
        }
        let x = timing.plus.decay(pre.trace, (a - t_last) as u32);
        w = rule.potentiate(w, x);
    }
    let at = if simultaneous {
        post.partition_point(|e| arrival(e) <= t)
    } else {
        post.partition_point(|e| arrival(e) < t)
    };
    if at > 0 {
        let e = post[at - 1];
        let x = timing.minus.decay(e.trace, (t - arrival(&e)) as u32);
        w = rule.depress(w, x);
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(dependence: WeightDependence) -> StdpRule {
        StdpRule {
            tau_plus: 20.0,
            tau_minus: 20.0,
            a_plus: 0.1,
            a_minus: 0.12,
            w_min: 0.0,
            w_max: 10.0,
            dependence,
        }
    }

    #[test]
    fn decay_tables_follow_the_exponential() {
        let t = DecayTable::new(20.0, 1.0).unwrap();
        assert_eq!(t.shift(), 0);
        assert_eq!(t.entries()[0], 2048);
        assert_eq!(t.entries()[20], (2048.0 * (-1f64).exp()).round() as u16);
        // Ends where the factor rounds to 0: ln(4096) · 20 ≈ 166 steps.
        assert_eq!(t.entries().len(), 167);
        assert_eq!(t.decay(TRACE_ONE, 167), 0);
        assert_eq!(t.decay(TRACE_ONE, 0), TRACE_ONE);
        // A long time constant coarsens the index instead of growing.
        let long = DecayTable::new(1000.0, 0.1).unwrap();
        assert!(long.shift() > 0 && long.entries().len() <= MAX_DECAY_ENTRIES);
        assert!(DecayTable::new(0.0, 1.0).is_err());
        assert!(matches!(
            DecayTable::new(1e12, 0.1),
            Err(RuleError::TooLong { .. })
        ));
    }

    #[test]
    fn changes_round_to_whole_units_and_clamp() {
        let r = WeightRule::new(&rule(WeightDependence::Additive), 0).unwrap();
        // w_max = 10 at shift 0 is 10 · 2^15 units.
        assert_eq!(r.w_max, u16::MAX);
        let r = WeightRule::new(&rule(WeightDependence::Additive), 15).unwrap();
        assert_eq!((r.w_min, r.w_max), (0, 10));
        // 0.1 · 10 · 1.0 = 1 unit up; 0.12 · 10 = 1.2 → 1 unit down.
        assert_eq!(r.potentiate(5, TRACE_ONE), 6);
        assert_eq!(r.depress(5, TRACE_ONE), 4);
        assert_eq!(r.potentiate(10, TRACE_ONE), 10);
        assert_eq!(r.depress(0, TRACE_ONE), 0);
        let m = WeightRule::new(&rule(WeightDependence::Multiplicative), 15).unwrap();
        // 0.1 · (10 − 0) = 1; at the top nothing is left to gain.
        assert_eq!(m.potentiate(0, TRACE_ONE), 1);
        assert_eq!(m.potentiate(10, TRACE_ONE), 10);
        assert!(WeightRule::new(
            &StdpRule {
                w_min: -1.0,
                ..rule(WeightDependence::Additive)
            },
            3
        )
        .is_err());
    }

    #[test]
    fn histories_forget_their_oldest_spike() {
        let timing = Timing::new(&rule(WeightDependence::Additive), 1.0).unwrap();
        let mut h = PostHistories::new(2, 3);
        for t in 1..=5 {
            h.push(&timing, 1, t * 10);
        }
        let times: Vec<u32> = h.events(1).iter().map(|e| e.time).collect();
        assert_eq!(times, [30, 40, 50]);
        assert!(h.events(0).is_empty());
        // Each trace is the previous one decayed, plus one.
        let e = h.events(1);
        assert_eq!(e[2].trace, timing.minus.decay(e[1].trace, 10) + TRACE_ONE);
    }

    #[test]
    fn a_pre_spike_pairs_as_the_f64_rule_does() {
        let timing = Timing::new(&rule(WeightDependence::Additive), 1.0).unwrap();
        let r = WeightRule::new(&rule(WeightDependence::Additive), 10).unwrap();
        let pre = PreState::default().after_spike(&timing, 10);
        assert_eq!(pre.trace, TRACE_ONE);
        let mut h = PostHistories::new(1, POST_HISTORY);
        h.push(&timing, 0, 12);
        // Delay 3: the post spike reaches the synapse at 15, after the pre
        // spike at 10: potentiation when the next pre spike comes at 20.
        let w0 = 100;
        let w = pre_spike_weight(&timing, &r, pre, 20, 3, h.events(0), w0, false);
        let x_plus = timing.plus.decay(TRACE_ONE, 5);
        let x_minus = timing.minus.decay(TRACE_ONE, 5);
        assert_eq!(w, r.depress(r.potentiate(w0, x_plus), x_minus));
        assert_ne!(w, w0);
        // A pre spike before the post spike has arrived only depresses
        // by spikes strictly before t − d: none here.
        let at = |t| pre_spike_weight(&timing, &r, pre, t, 3, h.events(0), w0, false);
        assert_eq!(at(15), r.potentiate(w0, x_plus));
        assert_eq!(at(14), w0);
    }
}
