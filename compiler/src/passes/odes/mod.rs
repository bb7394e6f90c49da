//! ODE solving: neuron models to update programs, and exact propagators.
//!
//! A model whose ODE system is linear with constant coefficients (see
//! [`spikec_ir::model::OdeClass`]) gets its Jacobian `A` by symbolic
//! differentiation and its offset `b` (the right-hand sides with every
//! state at zero); per neuron, `[P q; 0 1] = exp([A b; 0 0] h)` is computed
//! once before the simulation, so a step is `x <- P x + q`: exact for any
//! timestep, including the degenerate case of equal time constants (the
//! exponential of a defective matrix needs no special formula). Nonlinear
//! models keep their right-hand sides for a numerical scheme: the one the
//! model names with `solver`, else fourth-order Runge-Kutta.

mod derive;
mod expm;

use spikec_ir::eval::{eval, NeuronLeaves, Precision};
use spikec_ir::expanded::{PerNeuron, PopulationValues};
use spikec_ir::model::{Model, ModelBody, OdeClass};
use spikec_ir::program::{Integrator, Jump, Propagator, Refractoriness, Scheme, UpdateProgram};

/// The update program of a neuron model (`None` for spike sources).
pub fn program(model: &Model) -> Option<UpdateProgram> {
    let ModelBody::Neuron(d) = &model.body else {
        return None;
    };
    let n = model.states.len();
    let mut exprs = model.exprs.clone();
    let mut rhs: Vec<Option<_>> = vec![None; n];
    for ode in &d.odes {
        rhs[ode.state.index()] = Some(ode.rhs);
    }
    let integrator = match (&d.class, d.solver) {
        (OdeClass::LinearConstant, _) => {
            let mut jacobian = vec![None; n * n];
            for (i, r) in rhs.iter().enumerate() {
                if let Some(r) = r {
                    for (j, (h, _)) in model.states.iter().enumerate() {
                        jacobian[i * n + j] = derive::derivative(model, &mut exprs, *r, h);
                    }
                }
            }
            Integrator::Exact {
                jacobian,
                offset: rhs,
            }
        }
        (OdeClass::Nonlinear { .. }, scheme) => Integrator::Numeric {
            scheme: scheme.unwrap_or(Scheme::Rk4),
            rhs,
        },
    };
    Some(UpdateProgram {
        exprs,
        states: n,
        integrator,
        jumps: d
            .ports
            .iter()
            .map(|p| Jump {
                state: p.target.index() as u32,
                scale: p.scale,
            })
            .collect(),
        threshold: d.spike,
        reset: d
            .reset
            .iter()
            .map(|(s, e)| (s.index() as u32, *e))
            .collect(),
        refractory: d.refractory.as_ref().map(|r| Refractoriness {
            period: r.period,
            clamp: r.clamp.index() as u32,
        }),
    })
}

/// Exact propagators of a population over one step `h` (ms): one shared by
/// all neurons when no parameter varies, else one per neuron.
pub fn propagators(
    model: &Model,
    prog: &UpdateProgram,
    values: &PopulationValues,
    size: usize,
    h: f64,
) -> Vec<Propagator> {
    let Integrator::Exact { jacobian, offset } = &prog.integrator else {
        return Vec::new();
    };
    let n = prog.states;
    let zeros = vec![0.0; n];
    let one = |neuron: usize| -> Propagator {
        let leaves = NeuronLeaves {
            model,
            params: &values.params,
            neuron,
            states: &zeros,
            time: 0.0,
            precision: Precision::F64,
        };
        let a: Vec<f64> = jacobian
            .iter()
            .map(|e| e.map_or(0.0, |e| eval(&prog.exprs, e, &leaves)))
            .collect();
        let b: Vec<f64> = offset
            .iter()
            .map(|e| e.map_or(0.0, |e| eval(&prog.exprs, e, &leaves)))
            .collect();
        // Augmented generator [A b; 0 0] h.
        let m = n + 1;
        let mut g = vec![0.0; m * m];
        for i in 0..n {
            for j in 0..n {
                g[i * m + j] = a[i * n + j] * h;
            }
            g[i * m + n] = b[i] * h;
        }
        let e = expm::expm(&g, m);
        let p: Vec<f64> = (0..n)
            .flat_map(|i| (0..n).map(move |j| (i, j)))
            .map(|(i, j)| e[i * m + j])
            .collect();
        // Step around the fixed point A c = -b when there is one.
        let minus_b: Vec<f64> = b.iter().map(|x| -x).collect();
        match expm::try_solve(&a, &minus_b, n, 1).filter(|c| c.iter().all(|x| x.is_finite())) {
            Some(c) => Propagator {
                p,
                q: vec![0.0; n],
                c,
            },
            None => Propagator {
                p,
                q: (0..n).map(|i| e[i * m + n]).collect(),
                c: vec![0.0; n],
            },
        }
    };
    if values
        .params
        .iter()
        .all(|p| matches!(p, PerNeuron::Const(_)))
    {
        vec![one(0)]
    } else {
        use rayon::prelude::*;
        (0..size).into_par_iter().map(one).collect()
    }
}
