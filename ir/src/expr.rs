//! Typed expression trees.
//!
//! Expressions live in an [`ExprArena`] owned by the model (or the network,
//! for connector expressions such as a distance-dependent probability); each
//! node records its [`Type`], established by the front end's dimension check
//! and re-checked by validation, so no later stage has to infer units.

use crate::arena::{Arena, Handle};
use crate::model::{Let, Param, State};
use crate::units::Dim;

/// Handle of an expression node.
pub type ExprId = Handle<Expr>;

/// The type of an expression: a number of some dimension, or a truth value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Type {
    /// A real number in the canonical unit of `Dim`.
    Num(Dim),
    /// A boolean (spike conditions).
    Bool,
}

impl Type {
    /// The dimension, for numbers.
    pub fn dim(self) -> Option<Dim> {
        match self {
            Type::Num(d) => Some(d),
            Type::Bool => None,
        }
    }
}

/// Binary arithmetic operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `^` (the exponent is a dimensionless constant when the base has a unit)
    Pow,
}

/// Comparison operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CmpOp {
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `==`
    Eq,
    /// `!=`
    Ne,
}

/// Boolean connectives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LogicOp {
    /// `and`
    And,
    /// `or`
    Or,
}

/// Built-in functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Func {
    /// e^x (dimensionless)
    Exp,
    /// natural logarithm (dimensionless)
    Log,
    /// base-10 logarithm (dimensionless)
    Log10,
    /// square root (halves the dimension)
    Sqrt,
    /// absolute value
    Abs,
    /// minimum of two values of one dimension
    Min,
    /// maximum of two values of one dimension
    Max,
    /// sine (dimensionless)
    Sin,
    /// cosine (dimensionless)
    Cos,
    /// hyperbolic tangent (dimensionless)
    Tanh,
    /// round down
    Floor,
    /// round up
    Ceil,
    /// round to the nearest integer, ties to even (Python's and NumPy's
    /// `round`, which the PyNN and NEST scripts users port from rely on)
    Round,
}

impl Func {
    /// Every function, for name lookup and suggestions.
    pub const ALL: &'static [Func] = &[
        Func::Exp,
        Func::Log,
        Func::Log10,
        Func::Sqrt,
        Func::Abs,
        Func::Min,
        Func::Max,
        Func::Sin,
        Func::Cos,
        Func::Tanh,
        Func::Floor,
        Func::Ceil,
        Func::Round,
    ];

    /// The name as written in source.
    pub fn name(self) -> &'static str {
        match self {
            Func::Exp => "exp",
            Func::Log => "log",
            Func::Log10 => "log10",
            Func::Sqrt => "sqrt",
            Func::Abs => "abs",
            Func::Min => "min",
            Func::Max => "max",
            Func::Sin => "sin",
            Func::Cos => "cos",
            Func::Tanh => "tanh",
            Func::Floor => "floor",
            Func::Ceil => "ceil",
            Func::Round => "round",
        }
    }

    /// Looks a function up by name.
    pub fn from_name(name: &str) -> Option<Func> {
        Func::ALL.iter().copied().find(|f| f.name() == name)
    }

    /// Number of arguments.
    pub fn arity(self) -> usize {
        match self {
            Func::Min | Func::Max => 2,
            _ => 1,
        }
    }

    /// Whether the argument must be dimensionless.
    pub fn needs_dimensionless(self) -> bool {
        matches!(
            self,
            Func::Exp | Func::Log | Func::Log10 | Func::Sin | Func::Cos | Func::Tanh
        )
    }

    /// Evaluates the function on canonical values.
    pub fn eval(self, args: &[f64]) -> f64 {
        let a = args.first().copied().unwrap_or(f64::NAN);
        let b = args.get(1).copied().unwrap_or(f64::NAN);
        match self {
            Func::Exp => a.exp(),
            Func::Log => a.ln(),
            Func::Log10 => a.log10(),
            Func::Sqrt => a.sqrt(),
            Func::Abs => a.abs(),
            Func::Min => a.min(b),
            Func::Max => a.max(b),
            Func::Sin => a.sin(),
            Func::Cos => a.cos(),
            Func::Tanh => a.tanh(),
            Func::Floor => a.floor(),
            Func::Ceil => a.ceil(),
            Func::Round => a.round_ties_even(),
        }
    }
}

/// What an expression node computes.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// A constant in canonical units.
    Const(f64),
    /// A boolean constant.
    Bool(bool),
    /// A model parameter (per-neuron value).
    Param(Handle<Param>),
    /// A state variable's current value.
    State(Handle<State>),
    /// An intermediate definition (`let`).
    Let(Handle<Let>),
    /// Simulation time.
    Time,
    /// Distance between the pre- and postsynaptic neuron (connector expressions).
    Distance,
    /// A spike trace of a synapse model, by index in
    /// [`crate::synapse::SynapseModel::traces`].
    Trace(u32),
    /// A population's per-neuron random draw, by index in
    /// [`crate::network::Population::draws`] (per-neuron value expressions).
    Draw(u32),
    /// Negation.
    Neg(ExprId),
    /// Arithmetic.
    Binary(BinaryOp, ExprId, ExprId),
    /// Comparison of two numbers of one dimension.
    Compare(CmpOp, ExprId, ExprId),
    /// `and` / `or`.
    Logic(LogicOp, ExprId, ExprId),
    /// `not`.
    Not(ExprId),
    /// A built-in function call.
    Call(Func, Vec<ExprId>),
}

/// An expression node with its type.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// The computation.
    pub kind: ExprKind,
    /// Its type, fixed by the front end.
    pub ty: Type,
}

/// The arena of expression nodes of one model or network.
pub type ExprArena = Arena<Expr>;

/// The direct children of a node, in order.
pub fn children(kind: &ExprKind) -> Vec<ExprId> {
    match kind {
        ExprKind::Neg(a) | ExprKind::Not(a) => vec![*a],
        ExprKind::Binary(_, a, b) | ExprKind::Compare(_, a, b) | ExprKind::Logic(_, a, b) => {
            vec![*a, *b]
        }
        ExprKind::Call(_, args) => args.clone(),
        _ => Vec::new(),
    }
}
