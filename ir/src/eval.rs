//! Evaluating expression trees on numbers. Leaves that depend on context
//! (parameters, states, definitions, time, distance, draws) are answered by
//! the caller, so one evaluator serves initial values, per-neuron settings,
//! connector probabilities and the reference simulator alike.

use crate::expr::{BinaryOp, CmpOp, ExprArena, ExprId, ExprKind, LogicOp};

/// Answers the context-dependent leaves of an expression.
pub trait Leaves {
    /// The value of a leaf (`Param`, `State`, `Let`, `Time`, `Distance`,
    /// `Draw`); `NaN` if the context has no such value.
    fn leaf(&self, arena: &ExprArena, kind: &ExprKind) -> f64;
}

/// The number format arithmetic is carried out in. Every result of an
/// arithmetic operation or function is rounded to it, so `f64` arithmetic
/// followed by rounding emulates the format exactly (for `f32`, `f64` holds
/// every exact sum and product of two `f32`s, so the one rounding is the
/// `f32` operation's).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Precision {
    /// IEEE double precision (the reference).
    #[default]
    F64,
    /// IEEE single precision.
    F32,
    /// SpiNNaker's signed 16.15 fixed point (`accum`): multiples of 2^-15
    /// in [-65536, 65536), rounded to nearest (ties away from zero) and
    /// saturated.
    S1615,
}

impl Precision {
    /// Rounds `x` to the format.
    pub fn round(self, x: f64) -> f64 {
        match self {
            Precision::F64 => x,
            Precision::F32 => x as f32 as f64,
            Precision::S1615 => {
                if x.is_nan() {
                    return 0.0;
                }
                let scaled = (x * 32768.0).round();
                scaled.clamp(-2147483648.0, 2147483647.0) / 32768.0
            }
        }
    }

    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Precision::F64 => "f64",
            Precision::F32 => "f32",
            Precision::S1615 => "s1615",
        }
    }
}

/// Evaluates `e`; booleans are 1.0 (true) and 0.0 (false).
pub fn eval(arena: &ExprArena, e: ExprId, leaves: &impl Leaves) -> f64 {
    eval_in(arena, e, leaves, Precision::F64)
}

/// Evaluates a model expression for neuron `i` of a population, from its
/// parameters alone, in `f64`: a per-neuron rate, refractory period, port
/// scale or initial value. Every engine and backend derives such values
/// with this one function, so they agree.
pub fn per_neuron(
    model: &crate::model::Model,
    params: &[crate::expanded::PerNeuron],
    e: ExprId,
    i: usize,
) -> f64 {
    per_neuron_at(model, params, e, i, &[])
}

/// [`per_neuron`] for an expression of an update program, whose arena
/// extends the model's with derived nodes (a jump's scale under
/// `semantics spinnaker`, Jacobian entries).
pub fn per_neuron_in_program(
    model: &crate::model::Model,
    prog: &crate::program::UpdateProgram,
    params: &[crate::expanded::PerNeuron],
    e: ExprId,
    i: usize,
) -> f64 {
    eval(
        &prog.exprs,
        e,
        &NeuronLeaves {
            model,
            params,
            neuron: i,
            states: &[],
            time: 0.0,
            precision: Precision::F64,
        },
    )
}

/// [`per_neuron`] with the states at given values: how a backend probes a
/// model's equations (the SFQ backend reads a leak off `v'`).
pub fn per_neuron_at(
    model: &crate::model::Model,
    params: &[crate::expanded::PerNeuron],
    e: ExprId,
    i: usize,
    states: &[f64],
) -> f64 {
    eval(
        &model.exprs,
        e,
        &NeuronLeaves {
            model,
            params,
            neuron: i,
            states,
            time: 0.0,
            precision: Precision::F64,
        },
    )
}

/// Evaluates `e` with every arithmetic result rounded to `q`.
pub fn eval_in(arena: &ExprArena, e: ExprId, leaves: &impl Leaves, q: Precision) -> f64 {
    let node = &arena[e];
    let b = |x: bool| if x { 1.0 } else { 0.0 };
    let eval = |e: ExprId| eval_in(arena, e, leaves, q);
    match &node.kind {
        ExprKind::Const(v) => q.round(*v),
        ExprKind::Bool(x) => b(*x),
        ExprKind::Neg(a) => -eval(*a),
        ExprKind::Not(a) => b(eval(*a) == 0.0),
        ExprKind::Binary(op, x, y) => {
            let (x, y) = (eval(*x), eval(*y));
            q.round(match op {
                BinaryOp::Add => x + y,
                BinaryOp::Sub => x - y,
                BinaryOp::Mul => x * y,
                BinaryOp::Div => x / y,
                BinaryOp::Pow => pow(x, y),
            })
        }
        ExprKind::Compare(op, x, y) => {
            let (x, y) = (eval(*x), eval(*y));
            b(match op {
                CmpOp::Gt => x > y,
                CmpOp::Ge => x >= y,
                CmpOp::Lt => x < y,
                CmpOp::Le => x <= y,
                CmpOp::Eq => x == y,
                CmpOp::Ne => x != y,
            })
        }
        ExprKind::Logic(op, x, y) => {
            let x = eval(*x) != 0.0;
            // Both sides are evaluated: expressions have no side effects.
            let y = eval(*y) != 0.0;
            b(match op {
                LogicOp::And => x && y,
                LogicOp::Or => x || y,
            })
        }
        ExprKind::Call(f, args) => {
            let vals: Vec<f64> = args.iter().map(|a| eval(*a)).collect();
            q.round(f.eval(&vals))
        }
        leaf => leaves.leaf(arena, leaf),
    }
}

/// `x^y`, exact for small whole exponents (repeated multiplication, as a
/// hand-written `v * v` would be).
pub fn pow(x: f64, y: f64) -> f64 {
    if y.fract() == 0.0 && y.abs() <= 16.0 {
        x.powi(y as i32)
    } else {
        x.powf(y)
    }
}

/// A context with no leaves: for constant expressions.
pub struct NoLeaves;

impl Leaves for NoLeaves {
    fn leaf(&self, _: &ExprArena, _: &ExprKind) -> f64 {
        f64::NAN
    }
}

/// Leaves of a neuron model's expressions for one neuron: its parameters
/// (from the expanded per-neuron values), its states and the time.
pub struct NeuronLeaves<'a> {
    /// The model (for `let` definitions).
    pub model: &'a crate::model::Model,
    /// The population's parameter values, indexed like the model's.
    pub params: &'a [crate::expanded::PerNeuron],
    /// Which neuron of the population.
    pub neuron: usize,
    /// State values, indexed like the model's (may be empty where states
    /// cannot occur).
    pub states: &'a [f64],
    /// Simulation time (ms).
    pub time: f64,
    /// The arithmetic of `let` definitions evaluated through these leaves.
    pub precision: Precision,
}

impl Leaves for NeuronLeaves<'_> {
    fn leaf(&self, arena: &ExprArena, kind: &ExprKind) -> f64 {
        match kind {
            ExprKind::Param(h) => self.params[h.index()].get(self.neuron),
            ExprKind::State(h) => self.states.get(h.index()).copied().unwrap_or(f64::NAN),
            ExprKind::Let(l) => eval_in(arena, self.model.lets[*l].value, self, self.precision),
            ExprKind::Time => self.time,
            _ => f64::NAN,
        }
    }
}
