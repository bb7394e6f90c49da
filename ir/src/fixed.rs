//! Fixed-point numbers as SpiNNaker holds them, shared by the SpiNNaker
//! backend and the simulator's `s1615` mode: both must quantise exactly the
//! same way, or a verification run would compare two different networks.
//!
//! Two formats meet on a SpiNNaker core:
//!
//! - **State** is signed 16.15 fixed point (`accum`): multiples of 2^-15 in
//!   [-65536, 65536). [`to_s1615`] rounds to nearest, ties away from zero,
//!   and saturates — exactly as [`Precision::S1615`](crate::eval::Precision)
//!   rounds, so a value converted here equals the value the interpreter
//!   computes with.
//! - **Weights** are unsigned 16-bit magnitudes. Every synaptic event adds
//!   its magnitude to a 16-bit ring-buffer slot of its (neuron, synapse
//!   type, arrival step); when the slot's step comes, the slot is shifted
//!   left by the synapse type's *ring-buffer shift* `s` and read as s16.15.
//!   A magnitude `m` therefore means `m · 2^(s−15)` of the port's weight
//!   unit ([`weight_unit`]). A large shift lets the slot hold a large sum
//!   (up to 65535 units) but makes the unit coarse; [`ring_buffer_shift`]
//!   picks the smallest shift whose slot holds the input expected in one
//!   timestep, as sPyNNaker does, and [`WeightLoss`] measures what the
//!   chosen unit costs each projection.
//!
//! Because magnitudes are unsigned, a port that receives both positive and
//! negative weights is two [`SynapseType`]s, one per [`Sign`], each with its
//! own ring buffer and shift; the neuron adds the positive one's input and
//! subtracts the negative one's. (sPyNNaker's excitatory and inhibitory
//! synapse types are the same idea, tied to fixed receptors.)

use std::fmt;

use crate::expanded::Weights;

/// The s16.15 representation of 1.0.
pub const S1615_ONE: i32 = 1 << 15;

/// Converts to s16.15: round to nearest, ties away from zero, saturating at
/// the format's ends; NaN becomes 0. Agrees with
/// [`Precision::S1615`](crate::eval::Precision::S1615)'s rounding.
pub fn to_s1615(x: f64) -> i32 {
    if x.is_nan() {
        return 0;
    }
    // Scaling by a power of two is exact, so the one rounding is `round`'s.
    let scaled = (x * S1615_ONE as f64).round();
    scaled.clamp(i32::MIN as f64, i32::MAX as f64) as i32
}

/// The value of an s16.15 number.
pub fn from_s1615(v: i32) -> f64 {
    v as f64 / S1615_ONE as f64
}

/// Which way a synapse type's input acts on its port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Sign {
    /// The input is added (weights ≥ 0).
    Positive,
    /// The input is subtracted (weights < 0, stored as magnitudes).
    Negative,
}

impl Sign {
    /// The sign a weight needs: negative weights go to the subtracting type,
    /// everything else (including −0 and NaN) to the adding one.
    pub fn of(weight: f64) -> Sign {
        if weight < 0.0 {
            Sign::Negative
        } else {
            Sign::Positive
        }
    }

    /// The signed value of a magnitude of this sign.
    pub fn apply(self, magnitude: f64) -> f64 {
        match self {
            Sign::Positive => magnitude,
            Sign::Negative => -magnitude,
        }
    }
}

/// A synapse type of a SpiNNaker core: a port of the neuron model (its
/// index in the model's `ports`) and the sign of the weights it carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SynapseType {
    /// Index of the port in the model's `ports`.
    pub port: u16,
    /// Whether the ring buffer's input is added or subtracted.
    pub sign: Sign,
}

impl SynapseType {
    /// The type a weight of `weight` on `port` goes to.
    pub fn of(port: u16, weight: f64) -> SynapseType {
        SynapseType {
            port,
            sign: Sign::of(weight),
        }
    }
}

/// The synapse types a post population uses, numbered in (port, sign)
/// order: the number is the type field of its synaptic words and selects
/// its ring buffer. Only types that some synapse uses are listed, so a port
/// with only negative weights costs one ring buffer, not two.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SynapseTypes {
    types: Vec<SynapseType>,
}

impl SynapseTypes {
    /// The numbering of the types in `used` (duplicates are merged).
    pub fn new(used: impl IntoIterator<Item = SynapseType>) -> SynapseTypes {
        let mut types: Vec<SynapseType> = used.into_iter().collect();
        types.sort_unstable();
        types.dedup();
        SynapseTypes { types }
    }

    /// The number of a type, if it is used.
    pub fn index(&self, t: SynapseType) -> Option<usize> {
        self.types.binary_search(&t).ok()
    }

    /// The type numbered `i`.
    pub fn get(&self, i: usize) -> Option<SynapseType> {
        self.types.get(i).copied()
    }

    /// How many types there are.
    pub fn len(&self) -> usize {
        self.types.len()
    }

    /// Whether no type is used.
    pub fn is_empty(&self) -> bool {
        self.types.is_empty()
    }

    /// The types in number order.
    pub fn iter(&self) -> impl Iterator<Item = SynapseType> + '_ {
        self.types.iter().copied()
    }
}

/// The largest ring-buffer shift: a 16-bit slot shifted by 15 still fits a
/// non-negative s16.15 (`65535 << 15 < 2^31`); one more would reach the
/// sign bit. sPyNNaker does not bound its shifts this way (it relies on
/// weights being small); we saturate at 15 and say so
/// ([`RingBufferShift::may_saturate`]).
pub const MAX_RING_BUFFER_SHIFT: u8 = 15;

/// sPyNNaker's default `ring_buffer_sigma`: how many standard deviations
/// above the mean input a ring-buffer slot must hold.
pub const DEFAULT_RING_BUFFER_SIGMA: f64 = 5.0;

/// What a weight magnitude of 1 means at `shift`: `2^(shift − 15)` of the
/// port's weight unit.
pub fn weight_unit(shift: u8) -> f64 {
    2f64.powi(shift as i32 - 15)
}

/// The largest value one ring-buffer slot holds at `shift`.
pub fn ring_buffer_capacity(shift: u8) -> f64 {
    dequantise(u16::MAX, shift)
}

/// A weight magnitude as a 16-bit ring-buffer magnitude at `shift`: round
/// to nearest (ties away from zero, as [`to_s1615`]), saturating at 65535;
/// negative and NaN inputs give 0.
pub fn quantise(weight_abs: f64, shift: u8) -> u16 {
    // Multiplying by a power of two is exact: the one rounding is `round`'s,
    // which makes shift 0 agree with s16.15 rounding.
    let scaled = (weight_abs * 2f64.powi(15 - shift as i32)).round();
    if scaled.is_nan() || scaled <= 0.0 {
        0
    } else if scaled >= u16::MAX as f64 {
        u16::MAX
    } else {
        scaled as u16
    }
}

/// The weight magnitude a 16-bit magnitude stands for at `shift`.
pub fn dequantise(m: u16, shift: u8) -> f64 {
    m as f64 * weight_unit(shift)
}

/// A signed weight as the hardware applies it when its synapse type (the
/// one of its sign) has ring-buffer shift `shift`: the simulator's `s1615`
/// mode uses this, so it sees the weights the SpiNNaker backend writes.
pub fn round_weight(weight: f64, shift: u8) -> f64 {
    Sign::of(weight).apply(dequantise(quantise(weight.abs(), shift), shift))
}

/// Running statistics of weight magnitudes.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct WeightStats {
    /// Number of weights.
    pub count: u64,
    /// Largest magnitude.
    pub max: f64,
    /// Sum of magnitudes.
    pub sum: f64,
    /// Sum of squared magnitudes.
    pub sum_sq: f64,
}

impl WeightStats {
    /// Statistics of `count` copies of one magnitude.
    pub fn constant(magnitude: f64, count: u64) -> WeightStats {
        let w = magnitude.abs();
        WeightStats {
            count,
            max: if count > 0 { w } else { 0.0 },
            sum: w * count as f64,
            sum_sq: w * w * count as f64,
        }
    }

    /// Adds one weight (its magnitude is used).
    pub fn add(&mut self, weight: f64) {
        let w = weight.abs();
        self.count += 1;
        self.max = self.max.max(w);
        self.sum += w;
        self.sum_sq += w * w;
    }

    /// Mean magnitude (0 when empty).
    pub fn mean(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.sum / self.count as f64
        }
    }

    /// Mean squared magnitude, `E[w²]` (0 when empty).
    pub fn mean_square(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.sum_sq / self.count as f64
        }
    }
}

/// One group of synapses feeding one synapse type of a post population —
/// typically the synapses of one projection that carry that type's sign.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct IncomingGroup {
    /// Magnitudes of the group's weights, in the port's weight unit.
    pub weights: WeightStats,
    /// The most synapses of the group that converge on any one
    /// postsynaptic neuron (its largest in-degree, multiple synapses
    /// between one pair counted each): sPyNNaker's
    /// `get_n_connections_to_post_vertex_maximum`.
    pub fan_in: u64,
    /// The firing rate (Hz) to expect from each presynaptic neuron of the
    /// group, at the high end of normal activity: the caller's estimate
    /// (sPyNNaker uses the population's `spikes_per_second`, 30 Hz by
    /// default, and a Poisson source's own rate).
    pub rate_hz: f64,
}

/// The ring-buffer shift of one (post population, synapse type), with what
/// it was chosen from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RingBufferShift {
    /// The left shift, `0..=MAX_RING_BUFFER_SHIFT`.
    pub shift: u8,
    /// The input one slot must hold (port's weight unit): the expected
    /// bound of the input in one timestep, and at least the largest weight.
    pub bound: f64,
    /// Whether even the largest shift cannot hold `bound`: the slot may
    /// saturate at the expected input.
    pub may_saturate: bool,
}

/// How many weight units a group's mean weight must keep for the worst
/// case to be preferred over the statistical bound (8 bits: a rounding
/// error of at most 0.2 %).
pub const WORST_CASE_UNITS: f64 = 256.0;

/// Chooses the ring-buffer left shift of one (post population, synapse
/// type) from the groups of synapses feeding it, for a timestep of
/// `timestep_ms` ms, holding the expected input plus `sigma` standard
/// deviations ([`DEFAULT_RING_BUFFER_SIGMA`] as sPyNNaker).
///
/// Like sPyNNaker's `_get_ring_buffer_to_input_left_shifts`: a slot must
/// hold the smaller of a statistical bound — input as Poisson arrivals,
/// mean plus `sigma` standard deviations — and the worst case (every
/// synapse at its group's largest weight, every presynaptic neuron firing
/// `max(1, rate · dt)` times), but at least the largest single weight; the
/// shift is then as small as the slot allows, to keep weight precision.
/// Where we differ, and why:
///
/// - The statistical bound is the exact compound-Poisson one, summed over
///   groups: with `λ = fan_in · rate · dt` arrivals per step, the mean is
///   `Σ λ·E[w]` and the variance `Σ λ·E[w²]`. sPyNNaker pools all groups
///   into one mean weight and mean rate and truncates the weight-variance
///   series; pooling misjudges groups of very different rates, and the
///   untruncated variance is the (slightly safer) limit of its series.
/// - sPyNNaker uses the worst case outright when all delays of a type are
///   equal; we take it when it costs no real precision (every group's
///   mean weight keeps [`WORST_CASE_UNITS`] units), whatever the delays,
///   and the smaller bound otherwise, since equal delays do not make
///   Poisson arrivals any less Poisson, and the worst case of a large
///   fan-in can cost many bits of precision.
/// - sPyNNaker chooses `2^shift` above the bound, which leaves the 16-bit
///   slot half empty (a relic of signed weights); our slots are unsigned,
///   so we take the smallest shift whose [`ring_buffer_capacity`] holds
///   the bound, one bit finer. Its extra bit for signed (plastic) weights
///   does not arise: signs are separate synapse types.
pub fn ring_buffer_shift(
    groups: &[IncomingGroup],
    timestep_ms: f64,
    sigma: f64,
) -> RingBufferShift {
    let dt_s = timestep_ms * 1e-3;
    let (mut mean, mut variance, mut worst, mut largest) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    for g in groups {
        if g.weights.count == 0 || g.fan_in == 0 {
            continue;
        }
        // `f64::max` ignores NaN: an unknown rate counts as silence here,
        // but the largest weight still bounds the slot from below.
        let spikes_per_step = (g.rate_hz * dt_s).max(0.0);
        let n = g.fan_in as f64;
        let arrivals = n * spikes_per_step;
        mean += arrivals * g.weights.mean();
        variance += arrivals * g.weights.mean_square();
        worst += n * spikes_per_step.max(1.0) * g.weights.max;
        largest = largest.max(g.weights.max);
    }
    let expected = mean + sigma.max(0.0) * variance.sqrt();
    let fits = |bound: f64| (0..=MAX_RING_BUFFER_SHIFT).find(|&s| bound <= ring_buffer_capacity(s));
    // The worst case when holding it costs no real precision: at its
    // shift every group's mean weight still spans WORST_CASE_UNITS units.
    // Then no slot can saturate, whatever the spikes do (small networks
    // with strong, synchronous input, such as the CA3 memory's gates).
    let safe = worst.max(largest);
    let affordable = fits(safe).is_some_and(|s| {
        groups
            .iter()
            .filter(|g| g.weights.count > 0 && g.fan_in > 0)
            .all(|g| g.weights.mean() >= WORST_CASE_UNITS * dequantise(1, s))
    });
    let bound = if affordable {
        safe
    } else {
        expected.min(worst).max(largest)
    };
    let fitting = fits(bound);
    RingBufferShift {
        shift: fitting.unwrap_or(MAX_RING_BUFFER_SHIFT),
        bound,
        may_saturate: fitting.is_none(),
    }
}

/// What quantising a projection's weights costs: the numbers behind the
/// warning for projections whose weights round to zero or lose more than
/// [`WeightLoss::WARN_RELATIVE_ERROR`] relative precision.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct WeightLoss {
    /// Synapses measured.
    pub n_synapses: u64,
    /// Synapses whose nonzero weight rounds to zero.
    pub n_zeroed: u64,
    /// The largest weight magnitude that rounds to zero (0 if none).
    pub largest_zeroed: f64,
    /// Synapses whose weight saturates at the largest magnitude.
    pub n_clipped: u64,
    /// The largest relative error `|stored − w| / |w|` among the weights
    /// that do not round to zero.
    pub max_relative_error: f64,
    /// The weight with that error (0 if none).
    pub worst_weight: f64,
    /// What `worst_weight` is stored as.
    pub worst_stored: f64,
}

impl WeightLoss {
    /// Relative error above which a projection is worth a warning: 1 %.
    pub const WARN_RELATIVE_ERROR: f64 = 0.01;

    /// Records one synapse of weight `weight` (signed) quantised at `shift`.
    pub fn record(&mut self, weight: f64, shift: u8) {
        self.record_many(weight, shift, 1);
    }

    /// Records `count` synapses of the same weight.
    pub fn record_many(&mut self, weight: f64, shift: u8, count: u64) {
        if count == 0 {
            return;
        }
        self.n_synapses += count;
        let w = weight.abs();
        if w == 0.0 || w.is_nan() {
            return;
        }
        let m = quantise(w, shift);
        if m == 0 {
            self.n_zeroed += count;
            self.largest_zeroed = self.largest_zeroed.max(w);
            return;
        }
        if m == u16::MAX && w > ring_buffer_capacity(shift) {
            self.n_clipped += count;
        }
        let stored = dequantise(m, shift);
        let error = (stored - w).abs() / w;
        if error > self.max_relative_error {
            self.max_relative_error = error;
            self.worst_weight = weight;
            self.worst_stored = Sign::of(weight).apply(stored);
        }
    }

    /// Adds what another part of the same projection lost.
    pub fn merge(&mut self, other: &WeightLoss) {
        self.n_synapses += other.n_synapses;
        self.n_zeroed += other.n_zeroed;
        self.largest_zeroed = self.largest_zeroed.max(other.largest_zeroed);
        self.n_clipped += other.n_clipped;
        if other.max_relative_error > self.max_relative_error {
            self.max_relative_error = other.max_relative_error;
            self.worst_weight = other.worst_weight;
            self.worst_stored = other.worst_stored;
        }
    }

    /// Measures the first `len` weights of a projection, each quantised at
    /// the shift of its sign's synapse type.
    pub fn of_weights(weights: &Weights, len: usize, shift_of: impl Fn(Sign) -> u8) -> WeightLoss {
        let mut loss = WeightLoss::default();
        match weights {
            Weights::Const(w) => loss.record_many(*w, shift_of(Sign::of(*w)), len as u64),
            Weights::F32(v) => {
                for &w in v.iter().take(len) {
                    let w = w as f64;
                    loss.record(w, shift_of(Sign::of(w)));
                }
            }
            Weights::F64(v) => {
                for &w in v.iter().take(len) {
                    loss.record(w, shift_of(Sign::of(w)));
                }
            }
        }
        loss
    }

    /// Whether the loss deserves a warning: some weight rounds to zero or
    /// saturates, or one loses more than 1 % relative precision.
    pub fn needs_warning(&self) -> bool {
        self.n_zeroed > 0
            || self.n_clipped > 0
            || self.max_relative_error > Self::WARN_RELATIVE_ERROR
    }
}

/// The numbers of the warning, in the weights' own unit, e.g. `3 of 400
/// weights round to zero (the largest is 0.00001); up to 8.45 % relative
/// error (0.0001 is stored as 0.000091552734375)`.
impl fmt::Display for WeightLoss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if self.n_zeroed > 0 {
            parts.push(format!(
                "{} of {} weights round to zero (the largest is {})",
                self.n_zeroed, self.n_synapses, self.largest_zeroed
            ));
        }
        if self.n_clipped > 0 {
            parts.push(format!(
                "{} of {} weights saturate at the largest magnitude",
                self.n_clipped, self.n_synapses
            ));
        }
        if self.max_relative_error > 0.0 {
            parts.push(format!(
                "up to {:.2} % relative error ({} is stored as {})",
                self.max_relative_error * 100.0,
                self.worst_weight,
                self.worst_stored
            ));
        }
        if parts.is_empty() {
            write!(f, "all {} weights are exact", self.n_synapses)
        } else {
            write!(f, "{}", parts.join("; "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::Precision;

    #[test]
    fn s1615_rounds_to_nearest_ties_away_and_saturates() {
        assert_eq!(to_s1615(1.0), 32768);
        assert_eq!(to_s1615(-1.0), -32768);
        assert_eq!(to_s1615(0.0), 0);
        // Half a unit is a tie: away from zero, both ways.
        let half = 2f64.powi(-16);
        assert_eq!(to_s1615(half), 1);
        assert_eq!(to_s1615(-half), -1);
        assert_eq!(to_s1615(3.0 * half), 2);
        assert_eq!(to_s1615(half * 0.999), 0);
        // Ends of the range.
        assert_eq!(to_s1615(65536.0 - 2f64.powi(-15)), i32::MAX);
        assert_eq!(to_s1615(70000.0), i32::MAX);
        assert_eq!(to_s1615(f64::INFINITY), i32::MAX);
        assert_eq!(to_s1615(-65536.0), i32::MIN);
        assert_eq!(to_s1615(-1e9), i32::MIN);
        assert_eq!(to_s1615(f64::NEG_INFINITY), i32::MIN);
        assert_eq!(to_s1615(f64::NAN), 0);
        assert_eq!(from_s1615(i32::MIN), -65536.0);
        assert_eq!(from_s1615(i32::MAX), 65536.0 - 2f64.powi(-15));
        assert_eq!(from_s1615(S1615_ONE), 1.0);
    }

    #[test]
    fn s1615_agrees_with_the_interpreters_rounding() {
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let mut samples = vec![
            0.0,
            -0.0,
            2f64.powi(-16),
            -2f64.powi(-16),
            65535.99998,
            -65536.00001,
            1e300,
            -1e300,
            f64::NAN,
            f64::INFINITY,
        ];
        for _ in 0..10_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Values across the range, and exact ties.
            let r = (x >> 11) as f64 / (1u64 << 53) as f64;
            samples.push((r - 0.5) * 140_000.0);
            samples.push(
                ((x >> 40) as f64 + 0.5) * 2f64.powi(-15) * if x & 1 == 0 { 1.0 } else { -1.0 },
            );
        }
        for v in samples {
            let ours = from_s1615(to_s1615(v));
            let theirs = Precision::S1615.round(v);
            // By value: an integer has no −0, where the interpreter keeps one.
            assert_eq!(ours, theirs, "{v}");
        }
    }

    #[test]
    fn quantise_at_shift_zero_is_s1615_rounding() {
        for &w in &[0.0, 1e-6, 2f64.powi(-16), 0.3, 1.0, 1.5, 1.99] {
            assert_eq!(
                dequantise(quantise(w, 0), 0),
                Precision::S1615.round(w),
                "{w}"
            );
            assert_eq!(quantise(w, 0) as i32, to_s1615(w), "{w}");
        }
    }

    #[test]
    fn quantise_error_is_at_most_half_a_unit() {
        let mut x = 12345u64;
        for shift in 0..=MAX_RING_BUFFER_SHIFT {
            let unit = weight_unit(shift);
            for _ in 0..2000 {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let w = (x >> 11) as f64 / (1u64 << 53) as f64 * ring_buffer_capacity(shift);
                let back = dequantise(quantise(w, shift), shift);
                assert!(
                    (back - w).abs() <= unit / 2.0,
                    "shift {shift}, {w} -> {back}"
                );
            }
        }
    }

    #[test]
    fn quantise_saturates_and_rejects_nonsense() {
        assert_eq!(quantise(1e9, 3), u16::MAX);
        assert_eq!(quantise(f64::INFINITY, 0), u16::MAX);
        assert_eq!(quantise(-1.0, 0), 0);
        assert_eq!(quantise(f64::NAN, 0), 0);
        // Ties away from zero: 0.5 and 1.5 units.
        assert_eq!(quantise(0.5 * weight_unit(4), 4), 1);
        assert_eq!(quantise(1.5 * weight_unit(4), 4), 2);
        assert_eq!(quantise(0.49 * weight_unit(4), 4), 0);
        assert_eq!(dequantise(u16::MAX, 15), 65535.0);
        assert_eq!(dequantise(1, 0), 2f64.powi(-15));
        assert_eq!(round_weight(-0.75, 1), -0.75);
        assert_eq!(round_weight(-1e-9, 0), 0.0);
    }

    #[test]
    fn synapse_types_number_ports_then_signs() {
        let t = |port, sign| SynapseType { port, sign };
        let types = SynapseTypes::new([
            SynapseType::of(1, -9.0),
            SynapseType::of(0, 1.62),
            SynapseType::of(0, -0.5),
            SynapseType::of(0, 2.0),
        ]);
        assert_eq!(types.len(), 3);
        assert_eq!(types.index(t(0, Sign::Positive)), Some(0));
        assert_eq!(types.index(t(0, Sign::Negative)), Some(1));
        assert_eq!(types.index(t(1, Sign::Negative)), Some(2));
        assert_eq!(types.index(t(1, Sign::Positive)), None);
        assert_eq!(types.get(2), Some(t(1, Sign::Negative)));
        assert_eq!(types.get(3), None);
        assert_eq!(Sign::of(-0.0), Sign::Positive);
        assert_eq!(Sign::Negative.apply(2.0), -2.0);
    }

    fn group(weight: f64, fan_in: u64, rate_hz: f64) -> IncomingGroup {
        IncomingGroup {
            weights: WeightStats::constant(weight, fan_in),
            fan_in,
            rate_hz,
        }
    }

    #[test]
    fn a_worst_case_that_keeps_precision_is_taken_over_the_statistics() {
        // λ = 100 · 10 Hz · 0.1 ms = 0.1: the statistical bound 0.1 + 5·√0.1
        // = 1.681 fits shift 0 (capacity 1.99997), but two of the hundred
        // inputs in one step (probability 0.5 %) would saturate it. The
        // worst case, 100, fits shift 6, where a weight of 1 is 512 units:
        // affordable, so taken.
        let s = ring_buffer_shift(&[group(1.0, 100, 10.0)], 0.1, 5.0);
        assert_eq!(s.bound, 100.0, "{s:?}");
        assert_eq!(s.shift, 6);
        assert!(1.0 / dequantise(1, 6) >= WORST_CASE_UNITS);
        assert!(!s.may_saturate);
        // With 100,000 inputs the worst case needs shift 16, where a weight
        // of 1 is half a unit: the statistical bound is used, λ = 100,
        // 100 + 5·10 = 150, shift 7.
        let s = ring_buffer_shift(&[group(1.0, 100_000, 10.0)], 0.1, 5.0);
        assert!((s.bound - 150.0).abs() < 1e-9, "{s:?}");
        assert_eq!(s.shift, 7);
    }

    #[test]
    fn heavy_input_grows_the_shift_until_it_fits() {
        // λ = 1000 · 100 Hz · 1 ms = 100 arrivals of 0.5:
        // mean 50, variance 100 · 0.25 = 25, bound 50 + 5 · 5 = 75.
        // Shift 5 holds 65535 / 1024 = 63.999 (75 would overflow: 76800
        // units); shift 6 holds 127.998.
        let s = ring_buffer_shift(&[group(0.5, 1000, 100.0)], 1.0, 5.0);
        assert_eq!(s.bound, 75.0);
        assert_eq!(s.shift, 6);
        assert!(ring_buffer_capacity(5) < 75.0);
        assert!(quantise(75.0, 5) == u16::MAX && quantise(75.0, 6) < u16::MAX);
        // A second group adds its own arrivals: 100 more at 0.25 adds
        // mean 25 and variance 6.25: 75 + 5·√31.25 = 102.95, still shift 6;
        // at weight 1.0 it adds mean 100 and variance 100: 150 + 5·√125 =
        // 205.9, above shift 6's 127.998, within shift 7's 255.996.
        let two = ring_buffer_shift(
            &[group(0.5, 1000, 100.0), group(0.25, 1000, 100.0)],
            1.0,
            5.0,
        );
        assert!((two.bound - (75.0 + 5.0 * 31.25f64.sqrt())).abs() < 1e-9);
        assert_eq!(two.shift, 6);
        let heavy = ring_buffer_shift(
            &[group(0.5, 1000, 100.0), group(1.0, 1000, 100.0)],
            1.0,
            5.0,
        );
        assert_eq!(heavy.shift, 7);
    }

    #[test]
    fn weight_spread_widens_the_bound() {
        // Weights 0.2 and 0.8: mean 0.5 as before, but E[w²] = 0.34, not
        // 0.25: 100 arrivals give 50 + 5·√34 = 79.15 rather than 75.
        let mut weights = WeightStats::default();
        weights.add(0.2);
        weights.add(-0.8);
        assert_eq!((weights.count, weights.max), (2, 0.8));
        let g = IncomingGroup {
            weights,
            fan_in: 1000,
            rate_hz: 100.0,
        };
        let s = ring_buffer_shift(&[g], 1.0, 5.0);
        assert!(
            (s.bound - (50.0 + 5.0 * 34f64.sqrt())).abs() < 1e-9,
            "{s:?}"
        );
        assert_eq!(s.shift, 6);
        // Sigma scales the spread: with none, the bound is the mean.
        assert!((ring_buffer_shift(&[g], 1.0, 0.0).bound - 50.0).abs() < 1e-9);
    }

    #[test]
    fn worst_case_caps_the_statistical_bound_and_largest_weight_floors_it() {
        // Two synapses at 1000 Hz, 1 ms: statistical 2 + 5·√2 = 9.07, but
        // two inputs of weight 1 cannot exceed 2 in one step; 2 is just
        // above shift 0's capacity, so shift 1.
        let s = ring_buffer_shift(&[group(1.0, 2, 1000.0)], 1.0, 5.0);
        assert_eq!(s.bound, 2.0);
        assert_eq!(s.shift, 1);
        // A silent group still needs its largest weight representable
        // (when its worst case costs too much precision to be taken).
        let s = ring_buffer_shift(&[group(3.0, 100_000, 0.0)], 1.0, 5.0);
        assert_eq!(s.bound, 3.0);
        assert_eq!(s.shift, 1);
        // Nothing at all: shift 0.
        assert_eq!(ring_buffer_shift(&[], 0.1, 5.0).shift, 0);
        // Beyond the largest shift: saturate and say so.
        let s = ring_buffer_shift(&[group(70_000.0, 1, 1.0)], 1.0, 5.0);
        assert_eq!(s.shift, MAX_RING_BUFFER_SHIFT);
        assert!(s.may_saturate);
    }

    #[test]
    fn tiny_weights_are_reported_with_their_numbers() {
        // The port is dominated by weight-1 synapses (shift 0, unit 2^-15 ≈
        // 3.05e-5); a projection of 1e-5 rounds to zero, one of 1e-4 is
        // stored as 3 units = 9.155e-5, 8.45 % off.
        let shift =
            ring_buffer_shift(&[group(1.0, 100, 10.0), group(1e-5, 50, 10.0)], 0.1, 5.0).shift;
        assert_eq!(shift, 0);
        let zeroed = WeightLoss::of_weights(&Weights::Const(1e-5), 50, |_| shift);
        assert_eq!(zeroed.n_synapses, 50);
        assert_eq!(zeroed.n_zeroed, 50);
        assert_eq!(zeroed.largest_zeroed, 1e-5);
        assert!(zeroed.needs_warning());
        assert!(zeroed
            .to_string()
            .contains("50 of 50 weights round to zero (the largest is 0.00001)"));

        let coarse = WeightLoss::of_weights(&Weights::F64(vec![1e-4, -1e-4, 0.5]), 3, |_| shift);
        assert_eq!(coarse.n_zeroed, 0);
        let stored = 3.0 * 2f64.powi(-15);
        assert_eq!(coarse.worst_stored.abs(), stored);
        assert!((coarse.max_relative_error - (1e-4 - stored) / 1e-4).abs() < 1e-12);
        assert!(coarse.needs_warning());
        assert!(
            coarse.to_string().contains("8.45 % relative error"),
            "{coarse}"
        );

        let fine = WeightLoss::of_weights(&Weights::F32(vec![0.5, 0.25, -1.0]), 3, |_| shift);
        assert!(!fine.needs_warning());
        assert_eq!(fine.to_string(), "all 3 weights are exact");
    }

    #[test]
    fn loss_merges_and_uses_each_signs_shift() {
        // Negative weights on a coarse type lose more than positive ones.
        let w = Weights::F64(vec![0.1, -0.1]);
        let loss = WeightLoss::of_weights(&w, 2, |s| if s == Sign::Negative { 10 } else { 0 });
        // 0.1 at shift 10 (unit 1/32): 3 units = 0.09375.
        assert_eq!(loss.worst_weight, -0.1);
        assert_eq!(loss.worst_stored, -0.09375);
        let mut total = WeightLoss::default();
        total.merge(&WeightLoss::of_weights(&Weights::Const(1.0), 7, |_| 0));
        total.merge(&loss);
        assert_eq!(total.n_synapses, 9);
        assert_eq!(total.worst_weight, -0.1);
        let mut clipped = WeightLoss::default();
        clipped.record(3.0, 0);
        assert_eq!(clipped.n_clipped, 1);
        assert!(clipped.needs_warning());
    }
}
