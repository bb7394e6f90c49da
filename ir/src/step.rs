//! The reference update of one neuron over one step, shared by the
//! simulator's interpreter and the SpiNNaker emulator, so that both apply
//! NEST's order of operations with exactly the same arithmetic:
//!
//! 1. a refractory neuron's clamped state is held;
//! 2. the states advance (exact propagator, or the model's numerical
//!    scheme) with the inputs as they were at the start of the step;
//! 3. this step's input is added through each port (`x += v * scale`);
//! 4. the threshold is tested at the end of the step, the reset applies and
//!    refractoriness starts.
//!
//! Every arithmetic result is rounded to the [`Precision`].
//!
//! [`Sparsity`] says which terms of an exact step can be left out. Every
//! engine skips exactly the same terms, in the same order, so they stay
//! bit-identical; what is skipped is zero for every neuron of the
//! population (the lower triangle of a propagator whose states do not feed
//! back, a zero input offset), so leaving it out changes nothing but the
//! sign of a zero.

use crate::eval::{eval_in, NeuronLeaves, Precision};
use crate::expanded::PerNeuron;
use crate::expr::ExprId;
use crate::model::Model;
use crate::program::{Integrator, Propagator, Scheme, UpdateProgram};

/// The terms of `x <- P (x - c) + c + q` that are nonzero for some neuron.
#[derive(Clone, Debug, PartialEq)]
pub struct Sparsity {
    /// `P[r][c]`, row-major.
    pub p: Vec<bool>,
    /// `c[s]`.
    pub c: Vec<bool>,
    /// `q[s]`.
    pub q: Vec<bool>,
}

impl Sparsity {
    /// The pattern of a population's propagators.
    pub fn of(props: &[Propagator]) -> Sparsity {
        let any =
            |f: &dyn Fn(&Propagator) -> &[f64], k: usize| props.iter().any(|p| f(p)[k] != 0.0);
        let (np, ns) = props.first().map_or((0, 0), |p| (p.p.len(), p.c.len()));
        Sparsity {
            p: (0..np).map(|k| any(&|p| &p.p, k)).collect(),
            c: (0..ns).map(|k| any(&|p| &p.c, k)).collect(),
            q: (0..ns).map(|k| any(&|p| &p.q, k)).collect(),
        }
    }

    /// One step for one neuron, with the interpreter's order of operations:
    /// the kept terms of each row summed left to right, then `c`, then `q`.
    pub fn step(&self, prop: &Propagator, x: &[f64], out: &mut Vec<f64>, q: Precision) {
        let ns = x.len();
        out.clear();
        for r in 0..ns {
            let mut dev: Option<f64> = None;
            for (c, &xc) in x.iter().enumerate() {
                if self.p[r * ns + c] {
                    let dx = if self.c[c] {
                        q.round(xc - prop.c[c])
                    } else {
                        xc
                    };
                    let term = q.round(prop.p[r * ns + c] * dx);
                    dev = Some(dev.map_or(term, |d| q.round(d + term)));
                }
            }
            let mut v = dev.unwrap_or(-0.0);
            if self.c[r] {
                v = q.round(v + prop.c[r]);
            }
            if self.q[r] {
                v = q.round(v + prop.q[r]);
            }
            out.push(v);
        }
    }
}

/// The steps at whose end a spike array's spikes are stamped: a spike at
/// time `t` is the one of step `t/h - 1`; times before the first step's
/// end are dropped.
pub fn spike_steps(times: &[f64], h: f64) -> Vec<u64> {
    times
        .iter()
        .map(|t| (t / h).round() as i64 - 1)
        .filter(|s| *s >= 0)
        .map(|s| s as u64)
        .collect()
}

/// What one population's neurons share: the model, its program and the
/// population's parameters and propagators, already in the precision.
pub struct Kernel<'a> {
    /// The model (its lets).
    pub model: &'a Model,
    /// Its update program.
    pub prog: &'a UpdateProgram,
    /// The population's parameters.
    pub params: &'a [PerNeuron],
    /// One shared propagator, or one per neuron (exact models only).
    pub props: &'a [Propagator],
    /// The exact step's kept terms.
    pub sparsity: &'a Sparsity,
    /// The arithmetic's precision.
    pub q: Precision,
    /// Timestep (ms).
    pub h: f64,
}

/// A neuron's mutable state.
pub struct NeuronMut<'a> {
    /// States, in model order.
    pub x: &'a mut [f64],
    /// Steps of refractoriness left.
    pub refr: &'a mut u32,
    /// The clamped state's value while refractory.
    pub clamp: &'a mut f64,
}

/// Buffers reused across neurons.
#[derive(Default)]
pub struct Scratch {
    a: Vec<f64>,
    k: [Vec<f64>; 4],
}

impl Kernel<'_> {
    /// Advances neuron `i` over one step from `t0`; `input(port)` gives the
    /// port's input of this step and the neuron's scale for it. Returns
    /// whether the neuron fired; `refr_steps` is its refractory period.
    pub fn update(
        &self,
        i: usize,
        n: NeuronMut<'_>,
        refr_steps: u32,
        input: &dyn Fn(usize) -> (f64, f64),
        t0: f64,
        sc: &mut Scratch,
    ) -> bool {
        let NeuronMut { x, refr, clamp } = n;
        let q = self.q;
        let refractory = *refr > 0;
        let clamped = self.prog.refractory.as_ref().map(|r| r.clamp as usize);
        if let (true, Some(c)) = (refractory, clamped) {
            x[c] = *clamp;
        }
        let jump = |x: &mut [f64]| {
            for (port, jump) in self.prog.jumps.iter().enumerate() {
                // Added unconditionally, as NEST adds its ring buffer.
                let (v, scale) = input(port);
                let s = jump.state as usize;
                x[s] = q.round(x[s] + q.round(v * scale));
            }
        };
        if self.prog.input_first {
            jump(x);
        }
        match &self.prog.integrator {
            Integrator::Exact { .. } => {
                let prop = if self.props.len() == 1 {
                    &self.props[0]
                } else {
                    &self.props[i]
                };
                self.sparsity.step(prop, x, &mut sc.a, q);
                x.copy_from_slice(&sc.a);
            }
            Integrator::Numeric { scheme, rhs } => self.numeric(*scheme, rhs, i, x, t0, sc),
        }
        if !self.prog.input_first {
            jump(x);
        }
        if refractory {
            if let Some(c) = clamped {
                x[c] = *clamp;
            }
            *refr -= 1;
            return false;
        }
        let Some(th) = self.prog.threshold else {
            return false;
        };
        let t1 = t0 + self.h;
        let fire = self.eval_at(th, i, x, t1) != 0.0;
        if fire {
            for &(s, e) in &self.prog.reset {
                x[s as usize] = self.eval_at(e, i, x, t1);
            }
            if let Some(c) = clamped {
                *refr = refr_steps;
                *clamp = x[c];
            }
        }
        fire
    }

    /// The leaves of neuron `i`'s expressions, with these states.
    fn leaves<'s>(&'s self, i: usize, states: &'s [f64], time: f64) -> NeuronLeaves<'s> {
        NeuronLeaves {
            model: self.model,
            params: self.params,
            neuron: i,
            states,
            time,
            precision: self.q,
        }
    }

    /// Evaluates `e` for neuron `i` with states `x` at time `t`.
    fn eval_at(&self, e: ExprId, i: usize, x: &[f64], t: f64) -> f64 {
        eval_in(&self.prog.exprs, e, &self.leaves(i, x, t), self.q)
    }

    /// One step of a numerical scheme on the right-hand sides.
    fn numeric(
        &self,
        scheme: Scheme,
        rhs: &[Option<ExprId>],
        i: usize,
        x: &mut [f64],
        t0: f64,
        sc: &mut Scratch,
    ) {
        let (q, h) = (self.q, self.h);
        let ns = self.prog.states;
        let f = |states: &[f64], t: f64, out: &mut Vec<f64>| {
            let leaves = self.leaves(i, states, t);
            out.clear();
            out.extend(
                rhs.iter()
                    .map(|r| r.map_or(0.0, |e| eval_in(&self.prog.exprs, e, &leaves, q))),
            );
        };
        let x0: Vec<f64> = x.to_vec();
        let [k1, k2, k3, k4] = &mut sc.k;
        match scheme {
            Scheme::ForwardEuler => {
                f(&x0, t0, k1);
                let qh = q.round(h);
                for s in 0..ns {
                    x[s] = q.round(x0[s] + q.round(qh * k1[s]));
                }
            }
            Scheme::Rk4 => {
                // Every operation rounded to the precision, in the order
                // the JIT performs them.
                let (qh, half, sixth) = (q.round(h), q.round(h / 2.0), q.round(h / 6.0));
                let shifted = |k: &[f64], a: f64| -> Vec<f64> {
                    x0.iter()
                        .zip(k)
                        .map(|(x, d)| q.round(x + q.round(a * d)))
                        .collect()
                };
                f(&x0, t0, k1);
                f(&shifted(k1, half), t0 + h / 2.0, k2);
                f(&shifted(k2, half), t0 + h / 2.0, k3);
                f(&shifted(k3, qh), t0 + h, k4);
                for s in 0..ns {
                    let a = q.round(k1[s] + q.round(2.0 * k2[s]));
                    let a = q.round(a + q.round(2.0 * k3[s]));
                    let a = q.round(a + k4[s]);
                    x[s] = q.round(x0[s] + q.round(sixth * a));
                }
            }
        }
    }
}
