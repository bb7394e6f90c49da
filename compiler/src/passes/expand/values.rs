//! Per-neuron values: model defaults, population settings (constants,
//! distributions, file columns, expressions of named draws), initial states
//! that depend on per-neuron parameters, spike trains and positions.

use rand::RngExt;
use rayon::prelude::*;

use super::sample::sample;
use super::streams::{stream, Purpose};
use spikec_ir::eval::{eval, per_neuron, Leaves, NoLeaves};
use spikec_ir::expanded::{PerNeuron, PopulationValues};
use spikec_ir::expr::{ExprArena, ExprKind};
use spikec_ir::model::{Model, ParamType};
use spikec_ir::network::{
    Distribution, Network, Population, SettingValue, SpikeTimes, Structure, ValueSpec, Var,
};

/// Expands one population (`index` in population order).
pub fn population_values(net: &Network, index: usize, pop: &Population) -> PopulationValues {
    let model = &net.models[pop.model];
    let n = pop.size as usize;
    let seed = net.seed;
    let draws: Vec<Vec<f64>> = pop
        .draws
        .iter()
        .enumerate()
        .map(|(k, d)| {
            per_neuron_draws(&d.distribution, n, |i| {
                stream(seed, Purpose::Draw, index as u32, k as u32, i as u64)
            })
        })
        .collect();
    let value = |k: usize, spec: &ValueSpec| -> PerNeuron {
        match spec {
            ValueSpec::Const(v) => PerNeuron::Const(*v),
            ValueSpec::Column { values, .. } => PerNeuron::Values(values.clone()),
            ValueSpec::Random(d) => PerNeuron::Values(per_neuron_draws(d, n, |i| {
                stream(seed, Purpose::Setting, index as u32, k as u32, i as u64)
            })),
            ValueSpec::Expr(e) => PerNeuron::Values(
                (0..n)
                    .into_par_iter()
                    .map(|i| {
                        eval(
                            &net.exprs,
                            *e,
                            &DrawLeaves {
                                draws: &draws,
                                neuron: i,
                            },
                        )
                    })
                    .collect(),
            ),
        }
    };
    let setting = |var: Var| pop.settings.iter().enumerate().find(|(_, s)| s.var == var);
    let mut spike_times = None;
    let params: Vec<PerNeuron> = model
        .params
        .iter()
        .map(|(h, p)| match (setting(Var::Param(h)), &p.ty) {
            (Some((_, s)), ParamType::SpikeTimes) => {
                if let SettingValue::Times(t) = &s.value {
                    spike_times = Some(match t {
                        SpikeTimes::Shared(v) => vec![v.clone(); n],
                        SpikeTimes::PerNeuron(v) => v.clone(),
                    });
                }
                PerNeuron::Const(f64::NAN)
            }
            (None, ParamType::SpikeTimes) => {
                spike_times = Some(vec![p.default_times.clone(); n]);
                PerNeuron::Const(f64::NAN)
            }
            (Some((k, s)), ParamType::Scalar(_)) => match &s.value {
                SettingValue::Scalar(spec) => value(k, spec),
                SettingValue::Times(_) => PerNeuron::Const(f64::NAN),
            },
            (None, ParamType::Scalar(_)) => PerNeuron::Const(
                p.default
                    .map_or(f64::NAN, |e| eval(&model.exprs, e, &NoLeaves)),
            ),
        })
        .collect();
    let init: Vec<PerNeuron> = model
        .states
        .iter()
        .map(|(h, s)| match setting(Var::State(h)) {
            Some((k, st)) => match &st.value {
                SettingValue::Scalar(spec) => value(k, spec),
                SettingValue::Times(_) => PerNeuron::Const(f64::NAN),
            },
            None => initial_value(model, s.init, &params, n),
        })
        .collect();
    let positions = pop.structure.as_ref().map(|s| positions(s, n, seed, index));
    PopulationValues {
        params,
        init,
        spike_times,
        positions,
    }
}

fn per_neuron_draws(
    d: &Distribution,
    n: usize,
    rng_for: impl Fn(usize) -> rand_chacha::ChaCha8Rng + Sync,
) -> Vec<f64> {
    (0..n)
        .into_par_iter()
        .map(|i| sample(d, &mut rng_for(i)))
        .collect()
}

/// A state's initial value: its expression of the (per-neuron) parameters.
fn initial_value(
    model: &Model,
    init: spikec_ir::expr::ExprId,
    params: &[PerNeuron],
    n: usize,
) -> PerNeuron {
    let uses_varying = |p: &PerNeuron| matches!(p, PerNeuron::Values(_));
    if !params.iter().any(uses_varying) {
        return PerNeuron::Const(per_neuron(model, params, init, 0));
    }
    let values: Vec<f64> = (0..n)
        .into_par_iter()
        .map(|i| per_neuron(model, params, init, i))
        .collect();
    if values.windows(2).all(|w| w[0].to_bits() == w[1].to_bits()) {
        PerNeuron::Const(values.first().copied().unwrap_or(f64::NAN))
    } else {
        PerNeuron::Values(values)
    }
}

struct DrawLeaves<'a> {
    draws: &'a [Vec<f64>],
    neuron: usize,
}

impl Leaves for DrawLeaves<'_> {
    fn leaf(&self, _: &ExprArena, kind: &ExprKind) -> f64 {
        match kind {
            ExprKind::Draw(i) => self
                .draws
                .get(*i as usize)
                .map_or(f64::NAN, |d| d[self.neuron]),
            _ => f64::NAN,
        }
    }
}

/// Positions of `n` neurons in a structure, as PyNN lays them out: grids
/// filled with the first coordinate varying slowest.
fn positions(s: &Structure, n: usize, seed: u64, index: usize) -> Vec<[f64; 3]> {
    match *s {
        Structure::Line { dx, x0 } => (0..n).map(|i| [x0 + dx * i as f64, 0.0, 0.0]).collect(),
        Structure::Grid2d {
            aspect_ratio,
            dx,
            dy,
            x0,
            y0,
        } => {
            let nx = ((n as f64 * aspect_ratio).sqrt().round() as usize).max(1);
            let ny = n.div_ceil(nx).max(1);
            (0..n)
                .map(|i| [x0 + dx * (i / ny) as f64, y0 + dy * (i % ny) as f64, 0.0])
                .collect()
        }
        Structure::Grid3d {
            aspect_ratio_xy,
            aspect_ratio_xz,
            dx,
            dy,
            dz,
        } => {
            let nx = ((n as f64 * aspect_ratio_xy * aspect_ratio_xz)
                .cbrt()
                .round() as usize)
                .max(1);
            let ny = ((nx as f64 / aspect_ratio_xy).round() as usize).max(1);
            let nz = n.div_ceil(nx * ny).max(1);
            (0..n)
                .map(|i| {
                    let (x, rest) = (i / (ny * nz), i % (ny * nz));
                    [
                        dx * x as f64,
                        dy * (rest / nz) as f64,
                        dz * (rest % nz) as f64,
                    ]
                })
                .collect()
        }
        Structure::RandomBox {
            width,
            height,
            depth,
        } => (0..n)
            .map(|i| {
                let mut rng = stream(seed, Purpose::Position, index as u32, 0, i as u64);
                let mut c = |extent: f64| extent * (rng.random::<f64>() - 0.5);
                [c(width), c(height), c(depth)]
            })
            .collect(),
    }
}
