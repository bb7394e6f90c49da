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

/// Evaluates `e`; booleans are 1.0 (true) and 0.0 (false).
pub fn eval(arena: &ExprArena, e: ExprId, leaves: &impl Leaves) -> f64 {
    let node = &arena[e];
    let b = |x: bool| if x { 1.0 } else { 0.0 };
    match &node.kind {
        ExprKind::Const(v) => *v,
        ExprKind::Bool(x) => b(*x),
        ExprKind::Neg(a) => -eval(arena, *a, leaves),
        ExprKind::Not(a) => b(eval(arena, *a, leaves) == 0.0),
        ExprKind::Binary(op, x, y) => {
            let (x, y) = (eval(arena, *x, leaves), eval(arena, *y, leaves));
            match op {
                BinaryOp::Add => x + y,
                BinaryOp::Sub => x - y,
                BinaryOp::Mul => x * y,
                BinaryOp::Div => x / y,
                BinaryOp::Pow => pow(x, y),
            }
        }
        ExprKind::Compare(op, x, y) => {
            let (x, y) = (eval(arena, *x, leaves), eval(arena, *y, leaves));
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
            let x = eval(arena, *x, leaves) != 0.0;
            // Both sides are evaluated: expressions have no side effects.
            let y = eval(arena, *y, leaves) != 0.0;
            b(match op {
                LogicOp::And => x && y,
                LogicOp::Or => x || y,
            })
        }
        ExprKind::Call(f, args) => {
            let vals: Vec<f64> = args.iter().map(|a| eval(arena, *a, leaves)).collect();
            f.eval(&vals)
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
}

impl Leaves for NeuronLeaves<'_> {
    fn leaf(&self, arena: &ExprArena, kind: &ExprKind) -> f64 {
        match kind {
            ExprKind::Param(h) => self.params[h.index()].get(self.neuron),
            ExprKind::State(h) => self.states.get(h.index()).copied().unwrap_or(f64::NAN),
            ExprKind::Let(l) => eval(arena, self.model.lets[*l].value, self),
            ExprKind::Time => self.time,
            _ => f64::NAN,
        }
    }
}
