//! Pair STDP: the weights of plastic projections, changed by the timing of
//! pre- and postsynaptic spikes.
//!
//! The rule is PyNN's `SpikePairRule` with all-to-all pairing, timed as
//! NEST's `stdp_synapse` times it: the whole synaptic delay `d` is
//! dendritic, so a presynaptic spike meets the synapse when it is sent
//! (at `t_pre`) and a postsynaptic spike when it has travelled back, at
//! `t_post + d`. A post spike then potentiates by the presynaptic trace at
//! `t_post + d`; a pre spike depresses by the postsynaptic trace at
//! `t_pre − d` (spikes strictly before). Since `d ≥ h`, every pairing a
//! spike sent in a step needs is already known when it is sent, so the
//! weight it carries is final, and so is the order of events within a
//! step. As in NEST, a post spike's potentiation is applied lazily, when
//! the next spike of the presynaptic neuron is sent; weights read at the
//! end of a run lack the potentiation of post spikes after the last pre
//! spike.
//!
//! Traces jump by 1 at each spike and decay with `tau_plus` (pre) and
//! `tau_minus` (post). Amplitudes scale as in sPyNNaker and PyNN's NEST
//! backend: additive `Δw = ±A · w_max · x`, multiplicative
//! `Δw+ = A_plus · (w_max − w) · x`, `Δw− = A_minus · (w − w_min) · x`;
//! the weight is clipped to `[w_min, w_max]` after each change. A source
//! that fires `k` times in one step counts as one presynaptic spike of
//! weight `k · w`.
//!
//! Plasticity runs in this shared code, before delivery, so both engines
//! see the same weights bit for bit. Post spikes that no later pairing can
//! reach are forgotten every 1024 steps ([`Plastic::prune`]).
//!
//! In `s1615` the same events run through the integer rule of
//! [`spikec_ir::stdp`] instead ([`Fixed`]), the one the SpiNNaker emulator
//! runs on the emitted plastic rows: weights as 16-bit magnitudes of the
//! ring-buffer unit, traces in 11-bit fixed point, decay by lookup table,
//! and 16 remembered post spikes a neuron. Only that way can
//! `spikec verify --target spinnaker` agree spike for spike and weight for
//! weight; a rule the integer form cannot hold (negative weights) keeps the
//! `f64` rule, with weights quantised on delivery.

use spikec_ir::expanded::SynapseTable;
use spikec_ir::fixed::{dequantise, quantise};
use spikec_ir::network::{StdpRule, WeightDependence};
use spikec_ir::stdp::{
    pre_spike_weight, PostHistories, PreState, Timing, WeightRule, POST_HISTORY,
};

/// The changing state of one plastic projection.
pub(crate) struct Plastic {
    rule: StdpRule,
    /// Each synapse's current weight.
    pub(crate) w: Vec<f64>,
    /// Per row (presynaptic neuron): the pre trace just after its last
    /// spike, and that spike's time (ms).
    kplus: Vec<f64>,
    t_last: Vec<f64>,
    /// Per global neuron the projection targets: its spikes, as (time,
    /// post trace just after the spike); empty for the others.
    post: Vec<Vec<(f64, f64)>>,
    /// Whether each global neuron is a target.
    targets: Vec<bool>,
    /// The longest delay of the projection, in steps.
    max_delay: f64,
    /// In `s1615`: the integer rule, which then owns the state.
    fixed: Option<Box<Fixed>>,
    /// sPyNNaker's kernel (`semantics spinnaker`): a post spike that
    /// reaches the synapse in the step of a pre spike depresses it too.
    simultaneous: bool,
}

/// The integer rule's state of one projection (see [`spikec_ir::stdp`]).
pub(crate) struct Fixed {
    timing: Timing,
    /// Per target population of the projection: the weight rule in its
    /// unit, and the shift of that unit.
    rules: Vec<(WeightRule, u8)>,
    /// Per synapse: its index in `rules`, and its magnitude.
    rule_of: Vec<u8>,
    w: Vec<u16>,
    /// Per row.
    pre: Vec<PreState>,
    /// Per global neuron: its slot in `post` (`u32::MAX` if no target).
    slot: Vec<u32>,
    post: PostHistories,
}

/// Where a plastic projection's weights are stored in `s1615`: per target
/// population, its global ids `start..end` and the ring-buffer shift of
/// positive weights on the projection's port there.
pub(crate) type FixedTargets = Vec<(u32, u32, u8)>;

impl Fixed {
    /// The integer state, if the rule and weights have an integer form.
    fn new(
        rule: &StdpRule,
        t: &SynapseTable,
        total: usize,
        h: f64,
        targets: &FixedTargets,
    ) -> Option<Fixed> {
        let timing = Timing::new(rule, h).ok()?;
        let rules = targets
            .iter()
            .map(|&(_, _, shift)| WeightRule::new(rule, shift).map(|r| (r, shift)))
            .collect::<Result<Vec<_>, _>>()
            .ok()?;
        if rules.len() > usize::from(u8::MAX) {
            return None;
        }
        let mut rule_of = Vec::with_capacity(t.len());
        let mut w = Vec::with_capacity(t.len());
        for k in 0..t.len() {
            let g = t.targets[k];
            let r = targets.iter().position(|&(a, b, _)| (a..b).contains(&g))?;
            let wk = t.weights.get(k);
            if wk < 0.0 {
                return None;
            }
            rule_of.push(r as u8);
            w.push(quantise(wk, rules[r].1));
        }
        let mut slot = vec![u32::MAX; total];
        let mut n = 0u32;
        for &g in &t.targets {
            if slot[g as usize] == u32::MAX {
                slot[g as usize] = n;
                n += 1;
            }
        }
        Some(Fixed {
            timing,
            rules,
            rule_of,
            w,
            pre: vec![PreState::default(); t.pre.len()],
            slot,
            post: PostHistories::new(n as usize, POST_HISTORY),
        })
    }

    /// The weight synapse `k` delivers: its magnitude in its unit.
    fn weight(&self, k: usize) -> f64 {
        dequantise(self.w[k], self.rules[self.rule_of[k] as usize].1)
    }
}

/// A spike time (ms) as the step-end stamp the integer rule counts in.
fn stamp(t: f64, h: f64) -> u32 {
    (t / h).round().clamp(0.0, u32::MAX as f64) as u32
}

impl Plastic {
    /// The state of a projection with table `t` among `total` neurons, at
    /// timestep `h`; with `fixed` (in `s1615`), in the integer rule if it
    /// has one; `simultaneous` for sPyNNaker's depression at Δt = 0.
    pub(crate) fn new(
        rule: StdpRule,
        t: &SynapseTable,
        total: usize,
        h: f64,
        fixed: Option<&FixedTargets>,
        simultaneous: bool,
    ) -> Plastic {
        let mut targets = vec![false; total];
        for &g in &t.targets {
            targets[g as usize] = true;
        }
        let fixed = fixed
            .and_then(|f| Fixed::new(&rule, t, total, h, f))
            .map(Box::new);
        Plastic {
            rule,
            w: match &fixed {
                Some(f) => (0..t.len()).map(|k| f.weight(k)).collect(),
                None => (0..t.len()).map(|k| t.weights.get(k)).collect(),
            },
            kplus: vec![0.0; t.pre.len()],
            t_last: vec![f64::NEG_INFINITY; t.pre.len()],
            post: vec![Vec::new(); total],
            targets,
            max_delay: f64::from(t.delays.max()),
            fixed,
            simultaneous,
        }
    }

    /// Forgets post spikes no future pairing can use, so that memory does
    /// not grow with the run: a row's next potentiation looks at post
    /// spikes after its last spike (minus the delay), and depression at
    /// the last post spike before `t − d`. Rows that never fired have a
    /// zero trace and need none. Results do not change.
    pub(crate) fn prune(&mut self, h: f64) {
        // The integer rule's histories are bounded already.
        if self.fixed.is_some() {
            return;
        }
        let Some(oldest) = self
            .t_last
            .iter()
            .copied()
            .filter(|t| t.is_finite())
            .reduce(f64::min)
        else {
            return;
        };
        let cutoff = oldest - self.max_delay * h;
        for hist in &mut self.post {
            let at = hist.partition_point(|&(tp, _)| tp < cutoff);
            // Keep the last spike before the cutoff: depression reads it.
            if at > 1 {
                hist.drain(..at - 1);
            }
        }
    }

    /// Global neuron `g` fired at `t` (ms).
    pub(crate) fn post_spike(&mut self, g: u32, t: f64, h: f64) {
        if !self.targets[g as usize] {
            return;
        }
        if let Some(f) = self.fixed.as_mut() {
            let slot = f.slot[g as usize] as usize;
            f.post.push(&f.timing, slot, stamp(t, h));
            return;
        }
        let tau = self.rule.tau_minus;
        let hist = &mut self.post[g as usize];
        let before = hist
            .last()
            .map_or(0.0, |&(tp, k)| k * (-(t - tp) / tau).exp());
        hist.push((t, before + 1.0));
    }

    /// Row `row` sends a spike at `t` (ms); `h` is the timestep. Updates
    /// the row's weights: potentiation by the post spikes that reached the
    /// synapse since its last spike, then depression by the post trace.
    pub(crate) fn pre_spike(&mut self, t_table: &SynapseTable, row: usize, t: f64, h: f64) {
        if let Some(f) = self.fixed.as_mut() {
            let now = stamp(t, h);
            let pre = f.pre[row];
            for k in t_table.row(row) {
                let d = u32::from(t_table.delays.get(k));
                let events = f.post.events(f.slot[t_table.targets[k] as usize] as usize);
                let (rule, _) = &f.rules[f.rule_of[k] as usize];
                f.w[k] = pre_spike_weight(
                    &f.timing,
                    rule,
                    pre,
                    now,
                    d,
                    events,
                    f.w[k],
                    self.simultaneous,
                );
                self.w[k] = f.weight(k);
            }
            f.pre[row] = pre.after_spike(&f.timing, now);
            return;
        }
        let r = self.rule;
        let (kplus, t_last) = (self.kplus[row], self.t_last[row]);
        // Times are compared in whole steps (spikes happen at step ends),
        // so a tie is a tie whatever the rounding of `k·h`.
        let stamp = |x: f64| (x / h).round() as i64;
        let (s_now, s_last) = (
            stamp(t),
            if t_last.is_finite() {
                stamp(t_last)
            } else {
                i64::MIN
            },
        );
        for k in t_table.row(row) {
            let ds = i64::from(t_table.delays.get(k));
            let d = f64::from(t_table.delays.get(k)) * h;
            let hist = &self.post[t_table.targets[k] as usize];
            let mut w = self.w[k];
            // Post spikes with t_last < t_p + d ≤ t, oldest first.
            let from = hist.partition_point(|&(tp, _)| stamp(tp) + ds <= s_last);
            for &(tp, _) in &hist[from..] {
                if stamp(tp) + ds > s_now {
                    break;
                }
                let x = kplus * (-(tp + d - t_last) / r.tau_plus).exp();
                w = facilitate(&r, w, x);
            }
            // The post trace at t − d, from the spikes strictly before (or
            // also at it, in sPyNNaker's kernel).
            let at = if self.simultaneous {
                hist.partition_point(|&(tp, _)| stamp(tp) + ds <= s_now)
            } else {
                hist.partition_point(|&(tp, _)| stamp(tp) + ds < s_now)
            };
            if at > 0 {
                let (tp, k_after) = hist[at - 1];
                let x = k_after * (-(t - d - tp) / r.tau_minus).exp();
                w = depress(&r, w, x);
            }
            self.w[k] = w;
        }
        let decayed = if t_last.is_finite() {
            kplus * (-(t - t_last) / r.tau_plus).exp()
        } else {
            0.0
        };
        self.kplus[row] = decayed + 1.0;
        self.t_last[row] = t;
    }
}

fn facilitate(r: &StdpRule, w: f64, x: f64) -> f64 {
    let dw = match r.dependence {
        WeightDependence::Additive => r.a_plus * r.w_max * x,
        WeightDependence::Multiplicative => r.a_plus * (r.w_max - w) * x,
    };
    (w + dw).clamp(r.w_min, r.w_max)
}

fn depress(r: &StdpRule, w: f64, x: f64) -> f64 {
    let dw = match r.dependence {
        WeightDependence::Additive => r.a_minus * r.w_max * x,
        WeightDependence::Multiplicative => r.a_minus * (w - r.w_min) * x,
    };
    (w - dw).clamp(r.w_min, r.w_max)
}
