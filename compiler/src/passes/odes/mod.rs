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
//!
//! Under `semantics spinnaker` the numbers are sPyNNaker's kernels'
//! instead, because a network tuned on SpiNNaker depends on them: input is
//! added before the step integrates, a jump into a state that only decays
//! (a synaptic current) is scaled by `τ/h·(1 − e^(−h/τ))`, sPyNNaker's
//! `init` (the step's mean of the decaying kernel), and a linear model's
//! propagator is exponential Euler, each state advanced exactly with the
//! others held at their values at the start of the step. For the LIF
//! membrane that is sPyNNaker's closed form `α − e^(−h/τm)(α − V)`.

mod derive;
mod expm;

use spikec_ir::eval::{eval, NeuronLeaves, Precision};
use spikec_ir::expanded::{PerNeuron, PopulationValues};
use spikec_ir::expr::{BinaryOp, Expr, ExprArena, ExprId, ExprKind, Func, Type};
use spikec_ir::model::{Model, ModelBody, OdeClass};
use spikec_ir::network::Semantics;
use spikec_ir::program::{Integrator, Jump, Propagator, Refractoriness, Scheme, UpdateProgram};
use spikec_ir::Dim;

/// The update program of a neuron model (`None` for spike sources) under
/// `semantics`, for timestep `h` (ms).
pub fn program(model: &Model, semantics: Semantics, h: f64) -> Option<UpdateProgram> {
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
    let spinnaker = semantics == Semantics::Spinnaker;
    let mut jumps: Vec<Jump> = d
        .ports
        .iter()
        .map(|p| Jump {
            state: p.target.index() as u32,
            scale: p.scale,
        })
        .collect();
    if let (true, Integrator::Exact { jacobian, offset }) = (spinnaker, &integrator) {
        for j in &mut jumps {
            let s = j.state as usize;
            let row = &jacobian[s * n..(s + 1) * n];
            // A synaptic state: it decays to zero and nothing else drives
            // it. A membrane that a delta synapse jumps leaks to its rest
            // value instead, and keeps its input unscaled.
            let only_decays = row.iter().enumerate().all(|(c, e)| (c == s) == e.is_some())
                && offset[s].is_some_and(|r| homogeneous(model, &exprs, r, s));
            if let (true, Some(a)) = (only_decays, row[s]) {
                let init = init_scale(&mut exprs, a, h);
                j.scale = Some(match j.scale {
                    Some(sc) => {
                        let ty = exprs[sc].ty;
                        exprs.append(Expr {
                            kind: ExprKind::Binary(BinaryOp::Mul, sc, init),
                            ty,
                        })
                    }
                    None => init,
                });
            }
        }
    }
    Some(UpdateProgram {
        exprs,
        states: n,
        integrator,
        jumps,
        input_first: spinnaker,
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

/// Whether `e` is, by its form, a multiple of state `s` alone: `±x`,
/// products and quotients of it with parameters, and sums of such terms.
/// It answers no whenever it cannot tell (a conservative test: true means
/// the right-hand side is zero at `x = 0`).
fn homogeneous(model: &Model, arena: &ExprArena, e: ExprId, s: usize) -> bool {
    let has_state = |e: ExprId| mentions_state(model, arena, e);
    match &arena[e].kind {
        ExprKind::State(h) => h.index() == s,
        ExprKind::Let(l) => homogeneous(model, arena, model.lets[*l].value, s),
        ExprKind::Neg(a) => homogeneous(model, arena, *a, s),
        ExprKind::Binary(BinaryOp::Add | BinaryOp::Sub, a, b) => {
            homogeneous(model, arena, *a, s) && homogeneous(model, arena, *b, s)
        }
        ExprKind::Binary(BinaryOp::Mul, a, b) => {
            (homogeneous(model, arena, *a, s) && !has_state(*b))
                || (homogeneous(model, arena, *b, s) && !has_state(*a))
        }
        ExprKind::Binary(BinaryOp::Div, a, b) => homogeneous(model, arena, *a, s) && !has_state(*b),
        _ => false,
    }
}

/// Whether `e` reads any state (through `let`s too).
fn mentions_state(model: &Model, arena: &ExprArena, e: ExprId) -> bool {
    match &arena[e].kind {
        ExprKind::State(_) | ExprKind::Time => true,
        ExprKind::Let(l) => mentions_state(model, arena, model.lets[*l].value),
        k => spikec_ir::expr::children(k)
            .into_iter()
            .any(|c| mentions_state(model, arena, c)),
    }
}

/// sPyNNaker's `init` for a state decaying as `x' = a·x`: the mean over a
/// step of a kernel that starts at 1, `(1 − e^(a·h)) / (−a·h)`.
fn init_scale(exprs: &mut ExprArena, a: ExprId, h: f64) -> ExprId {
    let num = |exprs: &mut ExprArena, kind| {
        exprs.append(Expr {
            kind,
            ty: Type::Num(Dim::NONE),
        })
    };
    let step = exprs.append(Expr {
        kind: ExprKind::Const(h),
        ty: Type::Num(Dim::TIME),
    });
    let ah = num(exprs, ExprKind::Binary(BinaryOp::Mul, a, step));
    let e = num(exprs, ExprKind::Call(Func::Exp, vec![ah]));
    let one = num(exprs, ExprKind::Const(1.0));
    let top = num(exprs, ExprKind::Binary(BinaryOp::Sub, one, e));
    let bottom = num(exprs, ExprKind::Neg(ah));
    num(exprs, ExprKind::Binary(BinaryOp::Div, top, bottom))
}

/// Propagators of a population over one step `h` (ms): one shared by all
/// neurons when no parameter varies, else one per neuron. Exact under
/// NEST's semantics, exponential Euler under sPyNNaker's.
pub fn propagators(
    model: &Model,
    prog: &UpdateProgram,
    values: &PopulationValues,
    size: usize,
    h: f64,
    semantics: Semantics,
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
        if semantics == Semantics::Spinnaker {
            return exponential_euler(&a, &b, n, h);
        }
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

/// One exponential-Euler step of `x' = A x + b` as a propagator: each state
/// advances exactly under its own decay, the others held at their start
/// values, `x_i <- x_i + φ_i·h·(Σ_j A_ij x_j + b_i)` with
/// `φ_i = (e^(A_ii h) − 1)/(A_ii h)` (1 where `A_ii = 0`). Stepping around
/// the fixed point `c` (when `A c = −b` has one) leaves the map unchanged,
/// and keeps a neuron at rest exactly at rest, as for the exact step.
fn exponential_euler(a: &[f64], b: &[f64], n: usize, h: f64) -> Propagator {
    let phi_h: Vec<f64> = (0..n)
        .map(|i| {
            let ah = a[i * n + i] * h;
            if ah == 0.0 {
                h
            } else {
                ah.exp_m1() / a[i * n + i]
            }
        })
        .collect();
    let mut p = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            p[i * n + j] = if i == j {
                (a[i * n + i] * h).exp()
            } else {
                phi_h[i] * a[i * n + j]
            };
        }
    }
    let minus_b: Vec<f64> = b.iter().map(|x| -x).collect();
    match expm::try_solve(a, &minus_b, n, 1).filter(|c| c.iter().all(|x| x.is_finite())) {
        Some(c) => Propagator {
            p,
            q: vec![0.0; n],
            c,
        },
        None => Propagator {
            p,
            q: (0..n).map(|i| phi_h[i] * b[i]).collect(),
            c: vec![0.0; n],
        },
    }
}
