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

use spikec_ir::expanded::SynapseTable;
use spikec_ir::network::{StdpRule, WeightDependence};

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
}

impl Plastic {
    /// The state of a projection with table `t` among `total` neurons.
    pub(crate) fn new(rule: StdpRule, t: &SynapseTable, total: usize) -> Plastic {
        let mut targets = vec![false; total];
        for &g in &t.targets {
            targets[g as usize] = true;
        }
        Plastic {
            rule,
            w: (0..t.len()).map(|k| t.weights.get(k)).collect(),
            kplus: vec![0.0; t.pre.len()],
            t_last: vec![f64::NEG_INFINITY; t.pre.len()],
            post: vec![Vec::new(); total],
            targets,
            max_delay: f64::from(t.delays.max()),
        }
    }

    /// Forgets post spikes no future pairing can use, so that memory does
    /// not grow with the run: a row's next potentiation looks at post
    /// spikes after its last spike (minus the delay), and depression at
    /// the last post spike before `t − d`. Rows that never fired have a
    /// zero trace and need none. Results do not change.
    pub(crate) fn prune(&mut self, h: f64) {
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
    pub(crate) fn post_spike(&mut self, g: u32, t: f64) {
        if !self.targets[g as usize] {
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
        let r = self.rule;
        let (kplus, t_last) = (self.kplus[row], self.t_last[row]);
        for k in t_table.row(row) {
            let d = f64::from(t_table.delays.get(k)) * h;
            let hist = &self.post[t_table.targets[k] as usize];
            let mut w = self.w[k];
            // Post spikes with t_last < t_p + d ≤ t, oldest first.
            let from = hist.partition_point(|&(tp, _)| tp + d <= t_last);
            for &(tp, _) in &hist[from..] {
                if tp + d > t {
                    break;
                }
                let x = kplus * (-(tp + d - t_last) / r.tau_plus).exp();
                w = facilitate(&r, w, x);
            }
            // The post trace at t − d, from the spikes strictly before.
            let at = hist.partition_point(|&(tp, _)| tp < t - d);
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
