//! Pulses lost in merger trees, and the input rate at which losses start.
//!
//! Takes a merger tree (MERGEs, and JTLs which only delay), the MERGE's
//! minimum separation τ, and the rate `r` and kind of every input's pulse
//! train. Gives, per MERGE and for the whole tree, the rate in, the rate out
//! and the fraction lost; and the rate `r` at which the tree's lost
//! fraction reaches a threshold.
//!
//! # Model
//!
//! A pulse reaching a MERGE less than τ after the previous pulse reaching it
//! (on either input) is absorbed: two pulses closer than τ come out as one.
//! This is the rule behind the 1 − e^{−λτ} of a Poisson stream of combined
//! rate λ (a dead time that every arrival restarts). Inputs are independent
//! and stationary: Poisson trains, or periodic trains whose phases are
//! independent and uniform.
//!
//! # Derivation
//!
//! Take one MERGE with inputs A and B at rates λ_A, λ_B. A pulse on A at
//! time t survives iff A had no other pulse in (t − τ, t) and B had none in
//! that window. A and B are independent, so
//!
//! ```text
//! keep_A = P_A(no own pulse in the τ before one of its pulses) · P_B(no pulse in a τ window)
//!        =        palm_A(τ)                                      ·     clear_B(τ)
//! out    = λ_A·keep_A + λ_B·keep_B
//! ```
//!
//! For the three kinds of stream a merger tree carries:
//! - Poisson of rate λ: `palm = clear = e^{−λτ}`. Two Poisson inputs give
//!   `keep = e^{−(λ_A+λ_B)τ}`, the textbook formula.
//! - Periodic of rate r with a random phase, rτ ≤ 1: no gap is below τ, so
//!   `palm = 1`, and a τ window holds at most one pulse, so
//!   `P(one) = E[count] = rτ` and `clear = 1 − rτ`. For rτ > 1 every pulse
//!   has its predecessor within τ and every window holds one: both 0.
//! - The output of a MERGE with the same τ: a surviving pulse had no
//!   arrival in the τ before it, and the previous survivor was such an
//!   arrival, so survivors are ≥ τ apart. As for periodic trains,
//!   `palm = 1` and `clear = 1 − μτ` for output rate μ — exactly, without
//!   assuming the output is Poisson or even renewal.
//!
//! Composing up the tree with these is exact for Poisson or random-phase
//! periodic leaves (sub-trees are disjoint, so a MERGE's inputs stay
//! independent). Treating each level's output as Poisson again — the naive
//! composition — double-counts: it lets a stream collide with itself,
//! which a MERGE output never does, and roughly doubles the predicted loss
//! of a deep tree (the tests show it against simulation).
//!
//! To first order in rτ, a balanced tree over k = 2^L Poisson sources loses
//! `2rτ` at the first level and `2^{j−1}rτ` at level j, `k·r·τ` in all:
//! the loss onset for threshold p is about `p/(kτ)`. Periodic sources lose
//! `(k − 1)·r·τ`.

use super::{TimingError, TimingModel, PS_PER_NS};
use crate::tree::{CellId, CellKind, Tree};

/// The kind of pulse train on every input of the tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Arrivals {
    /// Independent Poisson trains.
    Poisson,
    /// Independent periodic trains with uniformly random phases.
    Periodic,
}

/// One MERGE's share of the losses.
#[derive(Clone, Debug, PartialEq)]
pub struct MergeLoss {
    /// The MERGE.
    pub cell: CellId,
    /// Pulses reaching it per ns, both inputs together.
    pub input_rate_ghz: f64,
    /// Pulses leaving it per ns.
    pub output_rate_ghz: f64,
    /// `1 − output/input` (0 when nothing arrives).
    pub lost_fraction: f64,
}

/// Losses of a whole tree at one input rate.
#[derive(Clone, Debug, PartialEq)]
pub struct LossReport {
    /// Pulses offered per ns: the input rate times the number of inputs.
    pub offered_rate_ghz: f64,
    /// Pulses delivered per ns, over all outputs.
    pub output_rate_ghz: f64,
    /// `1 − delivered/offered` (0 when nothing is offered).
    pub lost_fraction: f64,
    /// Per MERGE, in topological order (leaves first).
    pub merges: Vec<MergeLoss>,
}

/// A pulse train on one net; rates in pulses per ps.
#[derive(Clone, Copy, Debug)]
enum Stream {
    Poisson(f64),
    Periodic(f64),
    /// A MERGE's output: no two pulses closer than τ.
    Merged(f64),
}

impl Stream {
    fn rate(self) -> f64 {
        match self {
            Stream::Poisson(r) | Stream::Periodic(r) | Stream::Merged(r) => r,
        }
    }

    /// P(no other pulse of this stream in the τ before one of its pulses).
    fn palm_clear(self, tau: f64) -> f64 {
        match self {
            Stream::Poisson(r) => (-r * tau).exp(),
            Stream::Periodic(r) if r * tau > 1.0 => 0.0,
            Stream::Periodic(_) | Stream::Merged(_) => 1.0,
        }
    }

    /// P(no pulse of this stream in a window of length τ).
    fn window_clear(self, tau: f64) -> f64 {
        match self {
            Stream::Poisson(r) => (-r * tau).exp(),
            Stream::Periodic(r) | Stream::Merged(r) => (1.0 - r * tau).max(0.0),
        }
    }
}

/// The losses of `tree` when every input carries `rate_ghz` pulses per ns
/// of kind `arrivals`. See the module documentation for the derivation.
pub fn merge_losses(
    tree: &Tree,
    model: &TimingModel,
    arrivals: Arrivals,
    rate_ghz: f64,
) -> Result<LossReport, TimingError> {
    if !(rate_ghz.is_finite() && rate_ghz >= 0.0) {
        return Err(TimingError::InvalidRate { rate_ghz });
    }
    let tau = model.merge.min_separation_ps;
    if !(tau.is_finite() && tau >= 0.0) {
        return Err(TimingError::InvalidSeparation {
            kind: CellKind::Merge,
            min_separation_ps: tau,
        });
    }
    let rate = rate_ghz / PS_PER_NS;
    let conn = tree.connections();
    let mut streams: Vec<Option<Stream>> = vec![None; tree.nets().len()];
    for &net in &conn.input_ports {
        streams[net.0 as usize] = Some(match arrivals {
            Arrivals::Poisson => Stream::Poisson(rate),
            Arrivals::Periodic => Stream::Periodic(rate),
        });
    }
    let mut merges = Vec::new();
    for cell in tree.topological_order() {
        let c = cell.0 as usize;
        let kind = tree.cells()[c].kind;
        let input = |pin: usize| streams[conn.inputs[c][pin].0 as usize];
        let out = match kind {
            CellKind::Jtl => input(0),
            CellKind::Merge => match (input(0), input(1)) {
                (Some(a), Some(b)) => {
                    let keep_a = a.palm_clear(tau) * b.window_clear(tau);
                    let keep_b = b.palm_clear(tau) * a.window_clear(tau);
                    let rate_in = a.rate() + b.rate();
                    let rate_out = a.rate() * keep_a + b.rate() * keep_b;
                    merges.push(MergeLoss {
                        cell,
                        input_rate_ghz: rate_in * PS_PER_NS,
                        output_rate_ghz: rate_out * PS_PER_NS,
                        lost_fraction: lost(rate_in, rate_out),
                    });
                    Some(Stream::Merged(rate_out))
                }
                (one, None) | (None, one) => one,
            },
            CellKind::Split | CellKind::Dff => {
                return Err(TimingError::UnsupportedCell {
                    cell: tree.cells()[c].name.clone(),
                    kind,
                })
            }
        };
        for net in &conn.outputs[c] {
            streams[net.0 as usize] = out;
        }
    }
    let offered = rate * tree.inputs().len() as f64;
    let delivered: f64 = conn
        .output_ports
        .iter()
        .filter_map(|n| streams[n.0 as usize])
        .map(Stream::rate)
        .sum();
    Ok(LossReport {
        offered_rate_ghz: offered * PS_PER_NS,
        output_rate_ghz: delivered * PS_PER_NS,
        lost_fraction: lost(offered, delivered),
        merges,
    })
}

fn lost(rate_in: f64, rate_out: f64) -> f64 {
    if rate_in > 0.0 {
        1.0 - rate_out / rate_in
    } else {
        0.0
    }
}

/// The per-input rate (GHz) at which the tree's lost fraction reaches
/// `threshold` (e.g. 0.01 for 1 %): where counts start to be lost. `None`
/// if the tree has no MERGE (or τ = 0), so nothing is ever lost.
///
/// The lost fraction is a function of `r·τ` alone, 0 at `r = 0` and rising
/// to 1; the onset is found by doubling from the first-order estimate
/// `threshold/(k·τ)` until the loss passes the threshold, then bisecting.
pub fn loss_onset_rate(
    tree: &Tree,
    model: &TimingModel,
    arrivals: Arrivals,
    threshold: f64,
) -> Result<Option<f64>, TimingError> {
    if !(threshold > 0.0 && threshold < 1.0) {
        return Err(TimingError::InvalidThreshold { threshold });
    }
    let tau = model.merge.min_separation_ps;
    let k = tree.inputs().len() as f64;
    // Checks the cells and τ even when the answer is `None`.
    merge_losses(tree, model, arrivals, 0.0)?;
    if tree.count(CellKind::Merge) == 0 || tau == 0.0 {
        return Ok(None);
    }
    let loss = |r: f64| merge_losses(tree, model, arrivals, r).map(|l| l.lost_fraction);
    let mut hi = threshold / (k * tau) * PS_PER_NS;
    let mut lo = 0.0;
    // Loss reaches 1 by rτ = 1 for periodic trains and tends to 1 for Poisson
    // ones, so this ends long before the cap.
    let mut doublings = 0;
    while loss(hi)? < threshold {
        lo = hi;
        hi *= 2.0;
        doublings += 1;
        if doublings > 200 {
            return Ok(None);
        }
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if loss(mid)? < threshold {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok(Some(hi))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timing::tests::model;
    use crate::tree::{delay_chain, merger_tree, splitter_tree, DelayStage};

    /// xorshift64*: enough randomness for a seeded event simulation.
    struct Rng(u64);

    impl Rng {
        fn next_u64(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        /// Uniform in (0, 1].
        fn unit(&mut self) -> f64 {
            ((self.next_u64() >> 11) + 1) as f64 / (1u64 << 53) as f64
        }
    }

    /// Event simulation: trains from time 0 on every input, pushed through
    /// the cells; a MERGE drops an arrival within τ of the previous arrival.
    /// Cell delays are left out: they shift streams, which changes nothing
    /// for stationary inputs, and without them a pulse keeps its time, so
    /// counting offered and delivered pulses in `[warmup, horizon)` drops
    /// the start-up transient. Returns (offered, delivered).
    fn simulate(
        tree: &Tree,
        tau: f64,
        arrivals: Arrivals,
        rate_ghz: f64,
        (warmup, horizon): (f64, f64),
        rng: &mut Rng,
    ) -> (usize, usize) {
        let rate = rate_ghz / PS_PER_NS;
        let counted = |train: &[f64]| train.iter().filter(|&&t| t >= warmup).count();
        let conn = tree.connections();
        let mut trains: Vec<Vec<f64>> = vec![Vec::new(); tree.nets().len()];
        let mut offered = 0;
        for &net in &conn.input_ports {
            let mut train = Vec::new();
            let mut t = match arrivals {
                Arrivals::Poisson => -rng.unit().ln() / rate,
                Arrivals::Periodic => rng.unit() / rate,
            };
            while t < horizon {
                train.push(t);
                t += match arrivals {
                    Arrivals::Poisson => -rng.unit().ln() / rate,
                    Arrivals::Periodic => 1.0 / rate,
                };
            }
            offered += counted(&train);
            trains[net.0 as usize] = train;
        }
        for cell in tree.topological_order() {
            let c = cell.0 as usize;
            let merge = tree.cells()[c].kind == CellKind::Merge;
            let mut arriving: Vec<f64> = conn.inputs[c]
                .iter()
                .flat_map(|n| trains[n.0 as usize].iter().copied())
                .collect();
            arriving.sort_by(f64::total_cmp);
            let mut out = Vec::with_capacity(arriving.len());
            let mut previous = f64::NEG_INFINITY;
            for t in arriving {
                if !merge || t - previous >= tau {
                    out.push(t);
                }
                previous = t;
            }
            for n in &conn.outputs[c] {
                trains[n.0 as usize] = out.clone();
            }
        }
        let delivered = conn
            .output_ports
            .iter()
            .map(|n| counted(&trains[n.0 as usize]))
            .sum();
        (offered, delivered)
    }

    /// The naive composition: each level's output treated as Poisson again.
    fn naive_loss(tree: &Tree, tau: f64, rate_ghz: f64) -> f64 {
        let conn = tree.connections();
        let mut rates = vec![0.0; tree.nets().len()];
        for &n in &conn.input_ports {
            rates[n.0 as usize] = rate_ghz / PS_PER_NS;
        }
        for cell in tree.topological_order() {
            let c = cell.0 as usize;
            let lambda: f64 = conn.inputs[c].iter().map(|n| rates[n.0 as usize]).sum();
            rates[conn.outputs[c][0].0 as usize] = lambda * (-lambda * tau).exp();
        }
        let out = rates[conn.output_ports[0].0 as usize];
        1.0 - out / (rate_ghz / PS_PER_NS * tree.inputs().len() as f64)
    }

    #[test]
    fn two_poisson_inputs_give_the_textbook_formula() {
        let m = model();
        let r = 5.0; // GHz; λ = 10 GHz, τ = 10 ps: λτ = 0.1.
        let l = merge_losses(&merger_tree(2), &m, Arrivals::Poisson, r).unwrap();
        let expect = 1.0 - (-0.1f64).exp();
        assert!((l.lost_fraction - expect).abs() < 1e-12);
        assert_eq!(l.merges.len(), 1);
        assert!((l.merges[0].input_rate_ghz - 10.0).abs() < 1e-12);
        assert!((l.output_rate_ghz - 10.0 * (1.0 - expect)).abs() < 1e-9);
        // Periodic with random phases: lost iff the other input's pulse
        // fell in the τ before, probability rτ.
        let l = merge_losses(&merger_tree(2), &m, Arrivals::Periodic, r).unwrap();
        assert!((l.lost_fraction - 0.05).abs() < 1e-12);
    }

    #[test]
    fn analytic_loss_matches_event_simulation() {
        let m = model();
        let tau = m.merge.min_separation_ps;
        for (k, arrivals, seed) in [
            (2, Arrivals::Poisson, 1),
            (3, Arrivals::Poisson, 2),
            (5, Arrivals::Poisson, 3),
            (8, Arrivals::Poisson, 4),
            (16, Arrivals::Poisson, 5),
            (4, Arrivals::Periodic, 6),
            (7, Arrivals::Periodic, 7),
        ] {
            let tree = merger_tree(k);
            // About 10 % loss: combined rate × τ ≈ 0.1.
            let rate_ghz = 0.1 / (k as f64 * tau) * PS_PER_NS;
            let analytic = merge_losses(&tree, &m, arrivals, rate_ghz).unwrap();
            let mut rng = Rng(seed);
            let period = 1.0 / (rate_ghz / PS_PER_NS);
            let (mut offered, mut delivered) = (0, 0);
            match arrivals {
                // One long run: about 400 000 pulses offered.
                Arrivals::Poisson => {
                    let window = (3.0 * period, 400_000.0 * period / k as f64);
                    (offered, delivered) =
                        simulate(&tree, tau, arrivals, rate_ghz, window, &mut rng);
                }
                // Fixed phases repeat every period, so average over many
                // phase draws, one period each after two of warm-up.
                Arrivals::Periodic => {
                    for _ in 0..20_000 {
                        let window = (2.0 * period, 3.0 * period);
                        let (o, d) = simulate(&tree, tau, arrivals, rate_ghz, window, &mut rng);
                        offered += o;
                        delivered += d;
                    }
                }
            }
            let simulated = 1.0 - delivered as f64 / offered as f64;
            let p = analytic.lost_fraction;
            assert!(p > 0.04 && p < 0.2, "k = {k}: {p}");
            assert!(
                (simulated - p).abs() < 0.004,
                "k = {k} {arrivals:?}: analytic {p}, simulated {simulated}"
            );
            if k >= 8 && arrivals == Arrivals::Poisson {
                // The naive composition is far off, so the test can tell.
                let naive = naive_loss(&tree, tau, rate_ghz);
                assert!(naive - simulated > 0.03, "naive {naive}, sim {simulated}");
            }
        }
    }

    #[test]
    fn losses_are_zero_without_merges_and_rise_with_rate() {
        let m = model();
        let wire = merge_losses(&merger_tree(1), &m, Arrivals::Poisson, 50.0).unwrap();
        assert_eq!(wire.lost_fraction, 0.0);
        let chain = merge_losses(
            &delay_chain(3, DelayStage::Jtl),
            &m,
            Arrivals::Poisson,
            50.0,
        );
        assert_eq!(chain.unwrap().lost_fraction, 0.0);
        assert_eq!(
            loss_onset_rate(&merger_tree(1), &m, Arrivals::Poisson, 0.01),
            Ok(None)
        );
        let tree = merger_tree(6);
        let mut last = 0.0;
        for i in 1..60 {
            let l = merge_losses(&tree, &m, Arrivals::Poisson, i as f64 * 2.0).unwrap();
            assert!(l.lost_fraction > last, "rate {}", i * 2);
            last = l.lost_fraction;
            let per_merge = l.merges.iter().all(|x| x.lost_fraction > 0.0);
            assert!(per_merge && l.merges.len() == 5);
        }
        // Periodic trains above 1/τ at a leaf merge lose everything there.
        let l = merge_losses(&merger_tree(2), &m, Arrivals::Periodic, 150.0).unwrap();
        assert_eq!(l.lost_fraction, 1.0);
    }

    #[test]
    fn onset_rate_hits_the_threshold_and_falls_with_separation() {
        let mut m = model();
        let tree = merger_tree(8);
        let mut onsets = Vec::new();
        for tau in [2.0, 5.0, 10.0, 20.0] {
            m.merge.min_separation_ps = tau;
            let r = loss_onset_rate(&tree, &m, Arrivals::Poisson, 0.01)
                .unwrap()
                .unwrap();
            let at = merge_losses(&tree, &m, Arrivals::Poisson, r).unwrap();
            assert!((at.lost_fraction - 0.01).abs() < 1e-9);
            // First order: k·r·τ ≈ threshold.
            let first_order = 0.01 / (8.0 * tau) * PS_PER_NS;
            assert!((r / first_order - 1.0).abs() < 0.02, "{r} vs {first_order}");
            onsets.push((tau, r));
        }
        for w in onsets.windows(2) {
            assert!(w[1].1 < w[0].1, "onset falls as τ grows: {onsets:?}");
            // Loss depends on r·τ only.
            assert!((w[1].1 * w[1].0 / (w[0].1 * w[0].0) - 1.0).abs() < 1e-6);
        }
        // Periodic sources: first order (k − 1)·r·τ.
        m.merge.min_separation_ps = 10.0;
        let r = loss_onset_rate(&tree, &m, Arrivals::Periodic, 0.01)
            .unwrap()
            .unwrap();
        assert!(
            (r / (0.01 / (7.0 * 10.0) * PS_PER_NS) - 1.0).abs() < 0.02,
            "{r}"
        );
        // Onset lies below the lossless periodic bound 1/(kτ).
        let bound = crate::timing::max_usable_rate_ghz(&tree, &m, 0).unwrap();
        assert!(r < bound);
    }

    #[test]
    fn bad_inputs_are_errors() {
        let m = model();
        let t = merger_tree(4);
        for threshold in [0.0, 1.0, -0.5, f64::NAN] {
            assert!(matches!(
                loss_onset_rate(&t, &m, Arrivals::Poisson, threshold),
                Err(TimingError::InvalidThreshold { .. })
            ));
        }
        for rate_ghz in [-1.0, f64::INFINITY, f64::NAN] {
            assert!(merge_losses(&t, &m, Arrivals::Poisson, rate_ghz).is_err());
        }
        let mut nan = m;
        nan.merge.min_separation_ps = f64::NAN;
        assert!(matches!(
            loss_onset_rate(&t, &nan, Arrivals::Poisson, 0.01),
            Err(TimingError::InvalidSeparation { .. })
        ));
        let err = merge_losses(&splitter_tree(2), &m, Arrivals::Poisson, 1.0).unwrap_err();
        assert_eq!(
            err,
            TimingError::UnsupportedCell {
                cell: "split_l0_0".into(),
                kind: CellKind::Split
            }
        );
    }
}
