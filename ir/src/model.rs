//! Neuron and source models.
//!
//! A model is data: tables of parameters, state variables and intermediate
//! definitions, and expressions over them. The ODE system is classified here
//! (linear with constant coefficients, or not) because that decides how the
//! simulator integrates it: exactly, with a propagator matrix, or with a
//! numerical scheme.

use crate::arena::{Arena, Handle};
use crate::expr::{BinaryOp, ExprArena, ExprId, ExprKind};
use crate::units::Dim;

/// Handle of a model in a network.
pub type ModelId = Handle<Model>;

/// What a parameter holds.
#[derive(Clone, Debug, PartialEq)]
pub enum ParamType {
    /// A scalar of this dimension.
    Scalar(Dim),
    /// A list of spike times (source models only).
    SpikeTimes,
}

/// A model parameter: one value per neuron, with a default.
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    /// Name, as users write it.
    pub name: String,
    /// Scalar dimension or list.
    pub ty: ParamType,
    /// Default value (a constant expression), if the model gives one.
    pub default: Option<ExprId>,
    /// Default spike times for list parameters.
    pub default_times: Vec<f64>,
}

/// A state variable.
#[derive(Clone, Debug, PartialEq)]
pub struct State {
    /// Name.
    pub name: String,
    /// Dimension.
    pub dim: Dim,
    /// Initial value: an expression of parameters.
    pub init: ExprId,
}

/// An intermediate definition (`let name = expr`), inlined by consumers.
#[derive(Clone, Debug, PartialEq)]
pub struct Let {
    /// Name.
    pub name: String,
    /// Definition.
    pub value: ExprId,
}

/// `state' = rhs`.
#[derive(Clone, Debug, PartialEq)]
pub struct Ode {
    /// The integrated variable.
    pub state: Handle<State>,
    /// Its time derivative (dimension: state / time).
    pub rhs: ExprId,
}

/// How a port's input acts on the neuron, inferred from the dimension of its
/// weights.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PortKind {
    /// The target is a current (current-based synapse).
    Current,
    /// The target is a conductance (conductance-based synapse).
    Conductance,
    /// The target is a voltage: the weight jumps it directly (delta synapse).
    Voltage,
    /// Any other weight dimension.
    Other,
}

impl PortKind {
    /// Lower-case name for the printer.
    pub fn name(self) -> &'static str {
        match self {
            PortKind::Current => "current",
            PortKind::Conductance => "conductance",
            PortKind::Voltage => "voltage",
            PortKind::Other => "other",
        }
    }
}

/// A synaptic input port: a spike of weight `w` adds `w * scale` to `target`.
#[derive(Clone, Debug, PartialEq)]
pub struct Port {
    /// Port name used by projections.
    pub name: String,
    /// The state that receives the jump.
    pub target: Handle<State>,
    /// Optional factor applied to the weight.
    pub scale: Option<ExprId>,
    /// Dimension of the weights this port accepts.
    pub weight_dim: Dim,
    /// Inferred kind.
    pub kind: PortKind,
}

/// Refractoriness: after a spike, `clamp` is held at its reset value for
/// `period` while the other states keep integrating.
#[derive(Clone, Debug, PartialEq)]
pub struct Refractory {
    /// Duration (time).
    pub period: ExprId,
    /// The clamped state.
    pub clamp: Handle<State>,
}

/// Classification of a model's ODE system.
#[derive(Clone, Debug, PartialEq)]
pub enum OdeClass {
    /// `x' = A x + b` with `A`, `b` built from parameters and constants only:
    /// solvable exactly by a propagator matrix.
    LinearConstant,
    /// Anything else; `reason` names the first state whose equation breaks
    /// linearity and why.
    Nonlinear {
        /// The offending equation's state.
        state: Handle<State>,
        /// A short explanation ("product of states", "exp of a state", ...).
        reason: String,
    },
}

/// The dynamics of a neuron model.
#[derive(Clone, Debug, PartialEq)]
pub struct Dynamics {
    /// One ODE per integrated state (states without an ODE are constant
    /// between events).
    pub odes: Vec<Ode>,
    /// Synaptic input ports.
    pub ports: Vec<Port>,
    /// Spike condition (boolean), if the model spikes.
    pub spike: Option<ExprId>,
    /// Assignments applied on a spike, in order.
    pub reset: Vec<(Handle<State>, ExprId)>,
    /// Refractoriness after a spike.
    pub refractory: Option<Refractory>,
    /// Classification of the ODE system.
    pub class: OdeClass,
    /// The numerical scheme the model asks for (nonlinear models), if any.
    pub solver: Option<crate::program::Scheme>,
}

/// How a source model emits spikes.
#[derive(Clone, Debug, PartialEq)]
pub enum Generator {
    /// Independent Poisson process per neuron with `rate` in `[start, stop)`.
    Poisson {
        /// Rate (frequency).
        rate: ExprId,
        /// Start time.
        start: ExprId,
        /// Stop time.
        stop: ExprId,
    },
    /// Spikes at the times held in a list parameter.
    Array {
        /// The spike-times parameter.
        times: Handle<Param>,
    },
}

/// Neuron or source behaviour.
#[derive(Clone, Debug, PartialEq)]
pub enum ModelBody {
    /// A neuron defined by ODEs.
    Neuron(Dynamics),
    /// A spike source.
    Source(Generator),
}

/// A neuron or source model.
#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    /// Name.
    pub name: String,
    /// For aliases, the model it renames.
    pub alias_of: Option<String>,
    /// Parameters.
    pub params: Arena<Param>,
    /// State variables.
    pub states: Arena<State>,
    /// Intermediate definitions, in dependency order.
    pub lets: Arena<Let>,
    /// Expression storage.
    pub exprs: ExprArena,
    /// Dynamics or generator.
    pub body: ModelBody,
}

impl Model {
    /// True for spike sources.
    pub fn is_source(&self) -> bool {
        matches!(self.body, ModelBody::Source(_))
    }

    /// The neuron dynamics, if this is a neuron.
    pub fn dynamics(&self) -> Option<&Dynamics> {
        match &self.body {
            ModelBody::Neuron(d) => Some(d),
            ModelBody::Source(_) => None,
        }
    }

    /// Finds a parameter by name.
    pub fn param(&self, name: &str) -> Option<Handle<Param>> {
        self.params.find(|p| p.name == name)
    }

    /// Finds a state by name.
    pub fn state(&self, name: &str) -> Option<Handle<State>> {
        self.states.find(|s| s.name == name)
    }

    /// Finds a port by name.
    pub fn port(&self, name: &str) -> Option<&Port> {
        self.dynamics()?.ports.iter().find(|p| p.name == name)
    }
}

/// How an expression depends on the state variables.
#[derive(Clone, Debug, PartialEq)]
enum Degree {
    /// Only parameters and constants.
    Constant,
    /// Affine in the states with constant coefficients.
    Linear,
    /// Anything else, with the reason.
    Nonlinear(String),
}

fn degree(model: &Model, e: ExprId) -> Degree {
    use Degree::*;
    let combine_add = |a: Degree, b: Degree| match (a, b) {
        (Nonlinear(r), _) | (_, Nonlinear(r)) => Nonlinear(r),
        (Linear, _) | (_, Linear) => Linear,
        _ => Constant,
    };
    match &model.exprs[e].kind {
        ExprKind::Const(_)
        | ExprKind::Bool(_)
        | ExprKind::Param(_)
        | ExprKind::Distance
        | ExprKind::Trace(_)
        | ExprKind::Draw(_) => Constant,
        ExprKind::Time => Nonlinear("depends on time".into()),
        ExprKind::State(_) => Linear,
        ExprKind::Let(l) => degree(model, model.lets[*l].value),
        ExprKind::Neg(a) => degree(model, *a),
        ExprKind::Binary(op, a, b) => {
            let (da, db) = (degree(model, *a), degree(model, *b));
            match op {
                BinaryOp::Add | BinaryOp::Sub => combine_add(da, db),
                BinaryOp::Mul => match (da, db) {
                    (Nonlinear(r), _) | (_, Nonlinear(r)) => Nonlinear(r),
                    (Linear, Linear) => Nonlinear("product of state variables".into()),
                    (Linear, _) | (_, Linear) => Linear,
                    _ => Constant,
                },
                BinaryOp::Div => match (da, db) {
                    (Nonlinear(r), _) | (_, Nonlinear(r)) => Nonlinear(r),
                    (_, Linear) => Nonlinear("division by a state variable".into()),
                    (d, Constant) => d,
                },
                BinaryOp::Pow => match (da, db) {
                    (Constant, Constant) => Constant,
                    (Nonlinear(r), _) | (_, Nonlinear(r)) => Nonlinear(r),
                    _ => Nonlinear("power of a state variable".into()),
                },
            }
        }
        ExprKind::Call(f, args) => {
            let mut all_const = true;
            for a in args {
                match degree(model, *a) {
                    Constant => {}
                    Nonlinear(r) => return Nonlinear(r),
                    Linear => all_const = false,
                }
            }
            if all_const {
                Constant
            } else {
                Nonlinear(format!("`{}` of a state variable", f.name()))
            }
        }
        ExprKind::Compare(..) | ExprKind::Logic(..) | ExprKind::Not(_) => {
            Nonlinear("condition inside an equation".into())
        }
    }
}

/// Classifies the ODE system of `model` (constant for models without ODEs).
pub fn classify_odes(model: &Model, odes: &[Ode]) -> OdeClass {
    for ode in odes {
        if let Degree::Nonlinear(reason) = degree(model, ode.rhs) {
            return OdeClass::Nonlinear {
                state: ode.state,
                reason,
            };
        }
    }
    OdeClass::LinearConstant
}
