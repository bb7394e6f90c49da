//! Update programs: the discrete-time form of a neuron model that every
//! simulation engine executes.
//!
//! A program says how the states advance over one timestep (an exact
//! propagator for linear constant-coefficient systems, a numerical scheme
//! otherwise), how a spike on each input port changes a state, when the
//! neuron fires, what the reset does and which state refractoriness clamps.
//! States are numbered like the model's states.

use crate::expr::{ExprArena, ExprId};

/// How the states advance over one step.
#[derive(Clone, Debug, PartialEq)]
pub enum Integrator {
    /// `x' = A x + b` with `A`, `b` functions of the parameters only: the
    /// step is `x <- P x + q` with `[P q; 0 1] = exp([A b; 0 0] h)`.
    Exact {
        /// `A`, row-major, `None` where the entry is zero.
        jacobian: Vec<Option<ExprId>>,
        /// `b`: each right-hand side with every state set to zero.
        offset: Vec<Option<ExprId>>,
    },
    /// A numerical scheme on the right-hand sides.
    Numeric {
        /// Which scheme.
        scheme: Scheme,
        /// Each state's right-hand side; `None` for states without an ODE.
        rhs: Vec<Option<ExprId>>,
    },
}

/// Numerical schemes for nonlinear models.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// One forward-Euler step per timestep (NEST's `izhikevich`).
    ForwardEuler,
    /// Classical fourth-order Runge–Kutta, one step per timestep.
    Rk4,
}

impl Scheme {
    /// The name used in the language and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Scheme::ForwardEuler => "euler",
            Scheme::Rk4 => "rk4",
        }
    }

    /// Looks a scheme up by name.
    pub fn from_name(name: &str) -> Option<Scheme> {
        match name {
            "euler" => Some(Scheme::ForwardEuler),
            "rk4" => Some(Scheme::Rk4),
            _ => None,
        }
    }
}

/// What a spike of weight `w` on a port does: `state += w * scale`.
#[derive(Clone, Debug, PartialEq)]
pub struct Jump {
    /// The receiving state.
    pub state: u32,
    /// The factor, an expression of parameters (`None` = 1).
    pub scale: Option<ExprId>,
}

/// Refractoriness: after a spike, `clamp` keeps its post-reset value for
/// `period` (rounded to whole steps) while the other states integrate.
#[derive(Clone, Debug, PartialEq)]
pub struct Refractoriness {
    /// Duration, an expression of parameters (ms).
    pub period: ExprId,
    /// The clamped state.
    pub clamp: u32,
}

/// The update program of one neuron model.
#[derive(Clone, Debug, PartialEq)]
pub struct UpdateProgram {
    /// The model's expressions plus the derived ones (Jacobian entries,
    /// offsets); leaves refer to the model's parameters, states and lets.
    pub exprs: ExprArena,
    /// Number of states.
    pub states: usize,
    /// The continuous part.
    pub integrator: Integrator,
    /// One jump per input port, in the model's port order.
    pub jumps: Vec<Jump>,
    /// Whether a step adds its input before it integrates (sPyNNaker's
    /// kernels: a spike acts on the membrane in the step it arrives)
    /// rather than after (NEST: from the next step).
    pub input_first: bool,
    /// The spike condition.
    pub threshold: Option<ExprId>,
    /// Assignments on a spike, applied in order.
    pub reset: Vec<(u32, ExprId)>,
    /// Refractoriness.
    pub refractory: Option<Refractoriness>,
}

/// The numbers of an exact step for one neuron:
/// `x <- P (x - c) + c + q`.
///
/// When the system has a fixed point (`A c + b = 0`), `c` is that point and
/// `q` is zero: a neuron at rest then stays exactly at rest (NEST gets the
/// same by integrating `V - E_L`). Otherwise `c` is zero and `q` carries the
/// input.
#[derive(Clone, Debug, PartialEq)]
pub struct Propagator {
    /// `P`, row-major, `states` x `states`.
    pub p: Vec<f64>,
    /// `q`.
    pub q: Vec<f64>,
    /// `c`.
    pub c: Vec<f64>,
}
