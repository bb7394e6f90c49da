//! Synapse models written in the language: the event blocks of a
//! projection's [`SynapseModel`], run as spikes reach its synapses.
//!
//! The timing is the built-in rule's ([`crate::plastic`]): a presynaptic
//! spike meets the synapse when it is sent, at `t`; a postsynaptic spike
//! at `t_post + d`. Post events are run lazily, when the row's next spike
//! is sent, for the post spikes that reached the synapse since its last
//! one (`t_last < t_post + d ≤ t`, oldest first, so before the pre event
//! at equal times); then `on pre` runs and the spike carries the new `w`.
//!
//! Traces are kept per neuron as (value just after its last spike, that
//! spike's time) for presynaptic ones, and as each postsynaptic spike's
//! (time, values just after it) for postsynaptic ones; a read decays the
//! value exactly to the event's time from the spikes strictly before it.
//! The arithmetic mirrors [`crate::plastic`] operation for operation, so
//! the built-in `stdp` rule written as a synapse model gives the same
//! weights bit for bit (a test checks that).

use spikec_ir::eval::{eval, Leaves};
use spikec_ir::expanded::SynapseTable;
use spikec_ir::expr::{ExprArena, ExprKind};
use spikec_ir::synapse::{SynapseModel, Trace, TraceSide, Update};

/// The changing state of one projection's synapse model.
pub(crate) struct ModelRule {
    model: SynapseModel,
    /// Each synapse's weight.
    pub(crate) w: Vec<f64>,
    /// The other variables, synapse-major: `extra[k * n_extra + j]`.
    extra: Vec<f64>,
    n_extra: usize,
    /// Presynaptic traces (indices into the model's traces) and, per row,
    /// each one's value just after the row's last spike, and that spike's
    /// time (ms) and step stamp.
    pre_traces: Vec<usize>,
    pre_after: Vec<f64>,
    t_last: Vec<f64>,
    s_last: Vec<i64>,
    /// Postsynaptic traces, and per global neuron its spikes: times (ms),
    /// step stamps, and each trace's value just after each spike
    /// (`post_traces.len()` per spike).
    post_traces: Vec<usize>,
    post: Vec<PostSpikes>,
    targets: Vec<bool>,
    max_delay: i64,
    /// Scratch: every trace's value at the event being run.
    now: Vec<f64>,
}

/// One neuron's spikes, as the postsynaptic traces need them.
#[derive(Clone, Default)]
struct PostSpikes {
    times: Vec<f64>,
    stamps: Vec<i64>,
    after: Vec<f64>,
}

impl PostSpikes {
    /// Trace `tr` (the `j`th of `per` post traces) at time `at`, from the
    /// spikes before index `before`; with none, from its initial value,
    /// which holds from time 0 on.
    fn trace(&self, tr: &Trace, j: usize, per: usize, before: usize, at: f64) -> f64 {
        match before.checked_sub(1) {
            Some(q) => decayed(self.after[q * per + j], at, self.times[q], tr.tau),
            None if at < 0.0 => 0.0,
            None => decayed(tr.initial, at, 0.0, tr.tau),
        }
    }
}

/// The leaves of a block's expressions at one synapse and event.
struct At<'a> {
    w: f64,
    extra: &'a [f64],
    traces: &'a [f64],
}

impl Leaves for At<'_> {
    fn leaf(&self, _: &ExprArena, kind: &ExprKind) -> f64 {
        match kind {
            ExprKind::State(h) if h.index() == 0 => self.w,
            ExprKind::State(h) => self.extra.get(h.index() - 1).copied().unwrap_or(f64::NAN),
            ExprKind::Trace(i) => self.traces.get(*i as usize).copied().unwrap_or(f64::NAN),
            _ => f64::NAN,
        }
    }
}

/// A trace's value at `t`, from its value `after` just after a spike at
/// `t_spike` (the built-in rule's formula, to the operation).
fn decayed(after: f64, t: f64, t_spike: f64, tau: f64) -> f64 {
    after * (-(t - t_spike) / tau).exp()
}

/// The step stamp of a spike time: spikes happen at step ends, `t = k·h`.
fn stamp(t: f64, h: f64) -> i64 {
    (t / h).round() as i64
}

impl ModelRule {
    /// The state of a projection with table `t` among `total` neurons.
    pub(crate) fn new(model: &SynapseModel, t: &SynapseTable, total: usize) -> ModelRule {
        let mut targets = vec![false; total];
        for &g in &t.targets {
            targets[g as usize] = true;
        }
        let n_extra = model.states.len().saturating_sub(1);
        let inits: Vec<f64> = model
            .states
            .iter()
            .skip(1)
            .map(|(_, st)| match model.exprs[st.init].kind {
                ExprKind::Const(v) => v,
                _ => f64::NAN,
            })
            .collect();
        let pre_traces = model.traces_on(TraceSide::Pre);
        let post_traces = model.traces_on(TraceSide::Post);
        ModelRule {
            w: (0..t.len()).map(|k| t.weights.get(k)).collect(),
            extra: inits
                .iter()
                .copied()
                .cycle()
                .take(t.len() * n_extra)
                .collect(),
            n_extra,
            // Every row starts as if it had spiked at time 0 with its
            // traces at their initial values (0 unless declared): no post
            // spike happens at or before 0, so the first window is whole.
            pre_after: (0..t.pre.len())
                .flat_map(|_| pre_traces.iter().map(|&i| model.traces[i].initial))
                .collect(),
            t_last: vec![0.0; t.pre.len()],
            s_last: vec![0; t.pre.len()],
            pre_traces,
            post_traces,
            post: vec![PostSpikes::default(); total],
            targets,
            max_delay: i64::from(t.delays.max()),
            now: vec![0.0; model.traces.len()],
            model: model.clone(),
        }
    }

    /// Forgets post spikes no future event can read; results do not
    /// change. Unlike [`crate::plastic::Plastic::prune`], rows that never
    /// fired count too (their first spike runs `on post` for every post
    /// spike since 0, which a block may count even with zero traces), so
    /// a silent row keeps its targets' histories.
    pub(crate) fn prune(&mut self) {
        let Some(oldest) = self.s_last.iter().copied().min() else {
            return;
        };
        let cutoff = oldest - self.max_delay;
        let per = self.post_traces.len();
        for p in &mut self.post {
            let at = p.stamps.partition_point(|&s| s < cutoff);
            // Keep the last spike before the cutoff: trace reads start there.
            if at > 1 {
                p.times.drain(..at - 1);
                p.stamps.drain(..at - 1);
                p.after.drain(..(at - 1) * per);
            }
        }
    }

    /// Global neuron `g` fired at `t` (ms); `h` is the timestep.
    pub(crate) fn post_spike(&mut self, g: u32, t: f64, h: f64) {
        let g = g as usize;
        if !self.targets[g] {
            return;
        }
        let p = &mut self.post[g];
        let per = self.post_traces.len();
        // The previous spikes' values, read before this one's are pushed.
        let n = p.times.len();
        for (j, &i) in self.post_traces.iter().enumerate() {
            let tr = &self.model.traces[i];
            let before = if tr.nearest {
                0.0
            } else {
                p.trace(tr, j, per, n, t)
            };
            p.after.push(before + tr.jump);
        }
        p.times.push(t);
        p.stamps.push(stamp(t, h));
    }

    /// Row `row` sends a spike at `t` (ms); `h` is the timestep. Runs the
    /// post events that reached each synapse since the row's last spike,
    /// then `on pre`.
    pub(crate) fn pre_spike(&mut self, table: &SynapseTable, row: usize, t: f64, h: f64) {
        let (t_last, s_last) = (self.t_last[row], self.s_last[row]);
        let s_now = stamp(t, h);
        let n_pre = self.pre_traces.len();
        let per = self.post_traces.len();
        for k in table.row(row) {
            let d_steps = i64::from(table.delays.get(k));
            let d = f64::from(table.delays.get(k)) * h;
            let p = &self.post[table.targets[k] as usize];
            let from = p.stamps.partition_point(|&s| s + d_steps <= s_last);
            for e in from..p.stamps.len() {
                if p.stamps[e] + d_steps > s_now {
                    break;
                }
                let (tp, te) = (p.times[e], p.times[e] + d);
                let same_time = p.stamps[e] + d_steps == s_now;
                // Pre traces at tp + d: the row's spikes up to t_last, and
                // an inclusive one also this spike when it is simultaneous.
                for (j, &i) in self.pre_traces.iter().enumerate() {
                    let tr = &self.model.traces[i];
                    let before = decayed(self.pre_after[row * n_pre + j], te, t_last, tr.tau);
                    self.now[i] = match (tr.inclusive && same_time, tr.nearest) {
                        (false, _) => before,
                        (true, false) => before + tr.jump,
                        (true, true) => tr.jump,
                    };
                }
                // Post traces just before this post spike.
                for (j, &i) in self.post_traces.iter().enumerate() {
                    self.now[i] = p.trace(&self.model.traces[i], j, per, e, tp);
                }
                let extra = &mut self.extra[k * self.n_extra..(k + 1) * self.n_extra];
                run(
                    &self.model,
                    &self.model.on_post,
                    &mut self.w[k],
                    extra,
                    &self.now,
                );
            }
            // The pre event at t: pre traces from the earlier spikes, post
            // traces at t − d from the post spikes strictly before it (or
            // also at it, for an inclusive trace).
            for (j, &i) in self.pre_traces.iter().enumerate() {
                let tau = self.model.traces[i].tau;
                self.now[i] = decayed(self.pre_after[row * n_pre + j], t, t_last, tau);
            }
            let strict = p.stamps.partition_point(|&s| s + d_steps < s_now);
            let with_ties = p.stamps.partition_point(|&s| s + d_steps <= s_now);
            for (j, &i) in self.post_traces.iter().enumerate() {
                let tr = &self.model.traces[i];
                let before = if tr.inclusive { with_ties } else { strict };
                self.now[i] = p.trace(tr, j, per, before, t - d);
            }
            let extra = &mut self.extra[k * self.n_extra..(k + 1) * self.n_extra];
            run(
                &self.model,
                &self.model.on_pre,
                &mut self.w[k],
                extra,
                &self.now,
            );
        }
        // The row's own traces take this spike.
        for (j, &i) in self.pre_traces.iter().enumerate() {
            let tr = &self.model.traces[i];
            let slot = &mut self.pre_after[row * n_pre + j];
            let before = if tr.nearest {
                0.0
            } else {
                decayed(*slot, t, t_last, tr.tau)
            };
            *slot = before + tr.jump;
        }
        self.t_last[row] = t;
        self.s_last[row] = s_now;
    }
}

/// Runs a block's assignments in order on one synapse.
fn run(model: &SynapseModel, block: &[Update], w: &mut f64, extra: &mut [f64], traces: &[f64]) {
    for u in block {
        let v = eval(
            &model.exprs,
            u.value,
            &At {
                w: *w,
                extra,
                traces,
            },
        );
        match u.state.index() {
            0 => *w = v,
            j => extra[j - 1] = v,
        }
    }
}

/// A plastic projection's rule: the built-in pair STDP or a model.
pub(crate) enum Plasticity {
    Pair(crate::plastic::Plastic),
    Model(Box<ModelRule>),
}

impl Plasticity {
    /// The rule of a projection, if its weights change.
    pub(crate) fn of(
        proj: &spikec_ir::network::Projection,
        t: &SynapseTable,
        total: usize,
        h: f64,
        fixed: Option<&crate::plastic::FixedTargets>,
        semantics: spikec_ir::network::Semantics,
    ) -> Option<Plasticity> {
        if let Some(r) = proj.stdp() {
            let simultaneous = semantics == spikec_ir::network::Semantics::Spinnaker;
            return Some(Plasticity::Pair(crate::plastic::Plastic::new(
                *r,
                t,
                total,
                h,
                fixed,
                simultaneous,
            )));
        }
        proj.synapse_model()
            .map(|m| Plasticity::Model(Box::new(ModelRule::new(m, t, total))))
    }

    pub(crate) fn prune(&mut self, h: f64) {
        match self {
            Plasticity::Pair(p) => p.prune(h),
            Plasticity::Model(m) => m.prune(),
        }
    }

    pub(crate) fn post_spike(&mut self, g: u32, t: f64, h: f64) {
        match self {
            Plasticity::Pair(p) => p.post_spike(g, t, h),
            Plasticity::Model(m) => m.post_spike(g, t, h),
        }
    }

    pub(crate) fn pre_spike(&mut self, table: &SynapseTable, row: usize, t: f64, h: f64) {
        match self {
            Plasticity::Pair(p) => p.pre_spike(table, row, t, h),
            Plasticity::Model(m) => m.pre_spike(table, row, t, h),
        }
    }

    /// Each synapse's current weight.
    pub(crate) fn weights(&self) -> &[f64] {
        match self {
            Plasticity::Pair(p) => &p.w,
            Plasticity::Model(m) => &m.w,
        }
    }

    pub(crate) fn into_weights(self) -> Vec<f64> {
        match self {
            Plasticity::Pair(p) => p.w,
            Plasticity::Model(m) => m.w,
        }
    }
}
