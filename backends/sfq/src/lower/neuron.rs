//! Which neuron models the SFQ neuron cell realises, and with what numbers.
//!
//! The cell stores a signed count of fluxons: an excitatory pulse adds one,
//! an inhibitory pulse removes one, every stored fluxon escapes on its own
//! at the leak rate (so the count decays towards empty), and the cell fires
//! and empties when the count reaches its threshold. That is an
//! integrate-and-fire neuron with delta synapses, a leak towards its reset
//! value and nothing else, so a model is accepted when:
//! - it has exactly one state `v`, and every input port jumps `v`;
//! - `v' = (v_reset − v) / tau` (a leak to the reset value) or `v' = 0`
//!   (no ODE): evaluated per neuron, `v'` is zero at the reset value and
//!   does not grow with `v`;
//! - it spikes on `v > theta` or `v >= theta` (either way round) and the
//!   reset assigns `v` alone.
//!
//! Anything else (a second state such as a synaptic current or an
//! adaptation variable, conductance inputs, a nonlinear ODE such as
//! Izhikevich's, a constant drive) has no counterpart in the cell and is
//! refused with the reason. A refractory period is the one feature that is
//! dropped with a warning: the cell is ready again after its minimum input
//! separation, picoseconds later.

use spikec_ir::eval::per_neuron_at;
use spikec_ir::expanded::PerNeuron;
use spikec_ir::expr::{CmpOp, ExprArena, ExprId, ExprKind};
use spikec_ir::model::{Model, State};
use spikec_ir::model::{ModelBody, OdeClass, PortKind};
use spikec_ir::Handle;

/// Why a model cannot be an SFQ neuron cell.
#[derive(Clone, Debug, PartialEq)]
pub enum Unrealisable {
    /// A spike source where a neuron was expected (cannot happen for
    /// projections' targets; kept for completeness).
    Source,
    /// The ODE system is not linear.
    Nonlinear { state: String, reason: String },
    /// More than one state variable.
    ExtraState { states: Vec<String> },
    /// No spike condition.
    NeverSpikes,
    /// The spike condition is not a threshold on the state.
    Condition,
    /// The reset does something else than set the state.
    Reset,
    /// An input port that does not jump the state, or is conductance-based.
    Port { port: String, kind: &'static str },
    /// `v'` is not zero at the reset value: a constant drive, or a leak
    /// towards another value.
    Drive { neuron: usize, rest_drift: f64 },
    /// `v'` grows with `v`: the state runs away.
    Unstable { neuron: usize },
    /// The threshold is not above the reset value.
    Threshold {
        neuron: usize,
        threshold: f64,
        reset: f64,
    },
}

impl std::fmt::Display for Unrealisable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unrealisable::Source => f.write_str("it is a spike source, not a neuron"),
            Unrealisable::Nonlinear { state, reason } => {
                write!(f, "its dynamics are nonlinear (`{state}`: {reason})")
            }
            Unrealisable::ExtraState { states } => write!(
                f,
                "it has {} states ({}); the neuron cell stores one count",
                states.len(),
                states
                    .iter()
                    .map(|s| format!("`{s}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Unrealisable::NeverSpikes => f.write_str("it never spikes"),
            Unrealisable::Condition => {
                f.write_str("its spike condition is not `v > threshold` or `v >= threshold`")
            }
            Unrealisable::Reset => f.write_str("its reset does more than set its state"),
            Unrealisable::Port { port, kind } => write!(f, "its input `{port}` {kind}"),
            Unrealisable::Drive { neuron, rest_drift } => write!(
                f,
                "neuron {neuron} drifts at its reset value (v' = {rest_drift} per ms there): \
                 a constant drive, or a leak towards another value than the reset"
            ),
            Unrealisable::Unstable { neuron } => {
                write!(
                    f,
                    "neuron {neuron}'s state grows without bound (v' rises with v)"
                )
            }
            Unrealisable::Threshold {
                neuron,
                threshold,
                reset,
            } => write!(
                f,
                "neuron {neuron}'s threshold {threshold} is not above its reset {reset}"
            ),
        }
    }
}

/// The parts of an accepted model.
#[derive(Clone, Debug)]
pub struct Shape {
    /// The threshold side of the spike condition.
    threshold: ExprId,
    /// The reset value.
    reset: ExprId,
    /// `v'`, if the state has an ODE.
    rhs: Option<ExprId>,
    /// Each port's scale (`None` = 1), in port order.
    scales: Vec<Option<ExprId>>,
    /// The refractory period, if any.
    refractory: Option<ExprId>,
}

/// The per-neuron numbers of an accepted model.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CellNeuron {
    /// Threshold minus reset: the distance a neuron integrates.
    pub span: f64,
    /// Leak rate per ns (`1 / tau`; 0 without leak).
    pub leak_per_ns: f64,
    /// Refractory period, ms (dropped by the cell).
    pub refractory_ms: f64,
}

/// Checks a model's structure.
pub fn shape(model: &Model) -> Result<Shape, Unrealisable> {
    let ModelBody::Neuron(d) = &model.body else {
        return Err(Unrealisable::Source);
    };
    if let OdeClass::Nonlinear { state, reason } = &d.class {
        return Err(Unrealisable::Nonlinear {
            state: model.states[*state].name.clone(),
            reason: reason.clone(),
        });
    }
    if model.states.len() != 1 {
        return Err(Unrealisable::ExtraState {
            states: model.states.iter().map(|(_, s)| s.name.clone()).collect(),
        });
    }
    let (state, _) = model
        .states
        .iter()
        .next()
        .ok_or(Unrealisable::NeverSpikes)?;
    let spike = d.spike.ok_or(Unrealisable::NeverSpikes)?;
    let threshold = threshold_of(&model.exprs, spike, state).ok_or(Unrealisable::Condition)?;
    let reset = match d.reset.as_slice() {
        [(s, e)] if *s == state => *e,
        _ => return Err(Unrealisable::Reset),
    };
    let mut scales = Vec::with_capacity(d.ports.len());
    for p in &d.ports {
        let kind = match p.kind {
            _ if p.target != state => Some("does not jump the state the threshold tests"),
            PortKind::Conductance => Some("is conductance-based"),
            PortKind::Current => Some("is a current: the cell has no membrane to charge"),
            PortKind::Voltage | PortKind::Other => None,
        };
        if let Some(kind) = kind {
            return Err(Unrealisable::Port {
                port: p.name.clone(),
                kind,
            });
        }
        scales.push(p.scale);
    }
    Ok(Shape {
        threshold,
        reset,
        rhs: d.odes.iter().find(|o| o.state == state).map(|o| o.rhs),
        scales,
        refractory: d.refractory.as_ref().map(|r| r.period),
    })
}

/// `theta` in `v > theta`, `v >= theta`, `theta < v` or `theta <= v`.
fn threshold_of(arena: &ExprArena, e: ExprId, state: Handle<State>) -> Option<ExprId> {
    let is_state = |x: ExprId| matches!(arena[x].kind, ExprKind::State(s) if s == state);
    match arena[e].kind {
        ExprKind::Compare(CmpOp::Gt | CmpOp::Ge, a, b) if is_state(a) => Some(b),
        ExprKind::Compare(CmpOp::Lt | CmpOp::Le, a, b) if is_state(b) => Some(a),
        _ => None,
    }
}

impl Shape {
    /// The numbers of neuron `i` of a population with these parameters.
    pub fn neuron(
        &self,
        model: &Model,
        params: &[PerNeuron],
        i: usize,
    ) -> Result<CellNeuron, Unrealisable> {
        let at = |e: ExprId, v: f64| per_neuron_at(model, params, e, i, &[v]);
        let reset = at(self.reset, 0.0);
        let threshold = at(self.threshold, reset);
        // NaN thresholds fail too.
        if threshold.partial_cmp(&reset) != Some(std::cmp::Ordering::Greater) {
            return Err(Unrealisable::Threshold {
                neuron: i,
                threshold,
                reset,
            });
        }
        let span = threshold - reset;
        let mut leak_per_ms = 0.0;
        if let Some(rhs) = self.rhs {
            let rest_drift = at(rhs, reset);
            // Linear in v: the slope from two points a span apart.
            let slope = (at(rhs, threshold) - rest_drift) / span;
            let scale = slope.abs().max(1e-300) * span;
            if !rest_drift.is_finite() || rest_drift.abs() > 1e-9 * scale {
                return Err(Unrealisable::Drive {
                    neuron: i,
                    rest_drift,
                });
            }
            if slope.is_nan() || slope > 0.0 {
                return Err(Unrealisable::Unstable { neuron: i });
            }
            leak_per_ms = -slope;
        }
        let refractory_ms = self.refractory.map_or(0.0, |e| at(e, reset));
        Ok(CellNeuron {
            span,
            // Canonical time is the ms: a rate per ms is 1e-6 per ns.
            leak_per_ns: leak_per_ms * 1e-6,
            refractory_ms,
        })
    }

    /// The factor port `port` multiplies weights by, for neuron `i`.
    pub fn scale(&self, model: &Model, params: &[PerNeuron], port: usize, i: usize) -> f64 {
        match self.scales.get(port).copied().flatten() {
            Some(e) => spikec_ir::eval::per_neuron(model, params, e, i),
            None => 1.0,
        }
    }
}
