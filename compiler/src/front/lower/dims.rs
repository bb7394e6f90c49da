//! Dimension rules shared by constant evaluation and model expressions, so
//! `2 mV + 1 ms` is rejected the same way in a parameter default, a
//! population size or an ODE.
//!
//! `None` stands for a number that fits any dimension: a bare `0` or `inf`.

use super::units::dim_text;
use crate::diag::Diagnostic;
use crate::front::ast::BinOp;
use spikec_ir::expr::{BinaryOp, CmpOp, ExprId, ExprKind, Func, LogicOp, Type};
use spikec_ir::{Dim, Span};

/// Operand type during checking.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Ty {
    /// A number; `None` = fits any dimension.
    Num(Option<Dim>),
    /// A truth value.
    Bool,
}

fn as_dim(d: Option<Dim>) -> Dim {
    d.unwrap_or(Dim::NONE)
}

fn type_name(t: Ty) -> String {
    match t {
        Ty::Bool => "a condition".into(),
        Ty::Num(d) => format!("a number ({})", dim_text(d)),
    }
}

impl Ty {
    /// The IR type; a number that fits any dimension is stored as
    /// dimensionless (it is a bare `0` or `inf`).
    pub fn ir(self) -> Type {
        match self {
            Ty::Num(d) => Type::Num(d.unwrap_or(Dim::NONE)),
            Ty::Bool => Type::Bool,
        }
    }
}

/// Requires a number; E0025 otherwise.
pub fn expect_num(t: Ty, span: Span, ctx: &str) -> Result<Option<Dim>, Diagnostic> {
    match t {
        Ty::Num(d) => Ok(d),
        Ty::Bool => Err(Diagnostic::error(
            "E0025",
            format!("expected a number {ctx}, found a condition"),
        )
        .primary(span, "this is a condition (true or false)")
        .help("comparisons and `and`/`or`/`not` only belong in a `spike` condition")),
    }
}

/// Requires a condition; E0025 otherwise.
pub fn expect_bool(t: Ty, span: Span, ctx: &str) -> Result<(), Diagnostic> {
    match t {
        Ty::Bool => Ok(()),
        Ty::Num(d) => Err(Diagnostic::error(
            "E0025",
            format!(
                "expected a condition {ctx}, found {}",
                type_name(Ty::Num(d))
            ),
        )
        .primary(span, "this is a number, not true or false")
        .help("write a comparison, for example `v >= v_thresh`")),
    }
}

/// The type of `lhs op rhs`. `rhs_const` is the exponent's value for `^`,
/// when known at compile time.
pub fn binary(
    op: BinOp,
    (lt, ls): (Ty, Span),
    (rt, rs): (Ty, Span),
    rhs_const: Option<f64>,
) -> Result<Ty, Diagnostic> {
    use BinOp::*;
    match op {
        And | Or => {
            let ctx = format!("on each side of `{}`", op.symbol());
            expect_bool(lt, ls, &ctx)?;
            expect_bool(rt, rs, &ctx)?;
            Ok(Ty::Bool)
        }
        Add | Sub | Gt | Ge | Lt | Le | Eq | Ne => {
            let ctx = format!("on each side of `{}`", op.symbol());
            let l = expect_num(lt, ls, &ctx)?;
            let r = expect_num(rt, rs, &ctx)?;
            let d = match (l, r) {
                (Some(a), Some(b)) if a != b => {
                    let verb = if matches!(op, Add | Sub) {
                        "add or subtract"
                    } else {
                        "compare"
                    };
                    return Err(Diagnostic::error(
                        "E0020",
                        format!("cannot {verb} {} and {}", dim_text(l), dim_text(r)),
                    )
                    .primary(rs, format!("this is {}", dim_text(r)))
                    .secondary(ls, format!("this is {}", dim_text(l)))
                    .help("both sides must have the same dimension; check the units of the literals and parameters"));
                }
                (Some(a), _) | (_, Some(a)) => Some(a),
                (None, None) => None,
            };
            Ok(if matches!(op, Add | Sub) {
                Ty::Num(d)
            } else {
                Ty::Bool
            })
        }
        Mul | Div => {
            let l = expect_num(lt, ls, &format!("on each side of `{}`", op.symbol()))?;
            let r = expect_num(rt, rs, &format!("on each side of `{}`", op.symbol()))?;
            if l.is_none() && r.is_none() {
                return Ok(Ty::Num(None));
            }
            let d = if op == Mul {
                as_dim(l).times(as_dim(r))
            } else {
                as_dim(l).per(as_dim(r))
            };
            Ok(Ty::Num(Some(d)))
        }
        Pow => {
            let l = expect_num(lt, ls, "as a base")?;
            let r = expect_num(rt, rs, "as an exponent")?;
            if let Some(r) = r {
                if !r.is_none() {
                    return Err(Diagnostic::error(
                        "E0024",
                        format!(
                            "exponent must be dimensionless, found {}",
                            dim_text(Some(r))
                        ),
                    )
                    .primary(rs, "has a unit")
                    .help("divide the exponent by its unit to make it a pure number"));
                }
            }
            match l {
                Some(base) if !base.is_none() => match rhs_const {
                    Some(n) if n.fract() == 0.0 && n.abs() <= 16.0 => Ok(Ty::Num(Some(base.powi(n as i32)))),
                    _ => Err(Diagnostic::error("E0024", format!("a quantity with a unit ({}) can only be raised to a constant whole power", dim_text(l)))
                        .primary(rs, "not a constant whole number")
                        .secondary(ls, "has a unit")
                        .help("write the exponent as an integer literal, e.g. `v^2`, or make the base dimensionless")),
                },
                _ => Ok(Ty::Num(l.map(|_| Dim::NONE))),
            }
        }
    }
}

/// The type of a built-in function call.
pub fn call(f: Func, args: &[(Ty, Span)], call_span: Span) -> Result<Ty, Diagnostic> {
    if args.len() != f.arity() {
        return Err(Diagnostic::error(
            "E0017",
            format!(
                "`{}` takes {} argument{}, but {} were given",
                f.name(),
                f.arity(),
                if f.arity() == 1 { "" } else { "s" },
                args.len()
            ),
        )
        .primary(call_span, "wrong number of arguments")
        .help(format!(
            "call it as `{}({})`",
            f.name(),
            if f.arity() == 1 { "x" } else { "a, b" }
        )));
    }
    let mut dims = Vec::new();
    for (t, s) in args {
        dims.push((
            expect_num(*t, *s, &format!("as an argument of `{}`", f.name()))?,
            *s,
        ));
    }
    let (d0, s0) = dims[0];
    if f.needs_dimensionless() {
        for (d, s) in &dims {
            if let Some(d) = d {
                if !d.is_none() {
                    return Err(Diagnostic::error("E0023", format!("`{}` needs a dimensionless argument, found {}", f.name(), dim_text(Some(*d))))
                        .primary(*s, format!("this is {}", dim_text(Some(*d))))
                        .help("divide by a quantity of the same dimension, e.g. `exp((v - v_th) / delta_T)`"));
                }
            }
        }
        return Ok(Ty::Num(Some(Dim::NONE)));
    }
    match f {
        Func::Sqrt => match d0 {
            None => Ok(Ty::Num(None)),
            Some(d) => d.sqrt().map(|h| Ty::Num(Some(h))).ok_or_else(|| {
                Diagnostic::error(
                    "E0024",
                    format!("square root of {} has no unit", dim_text(d0)),
                )
                .primary(s0, "odd power of a unit")
                .help("only quantities whose unit exponents are all even have a square root")
            }),
        },
        Func::Min | Func::Max => {
            let (d1, s1) = dims[1];
            match (d0, d1) {
                (Some(a), Some(b)) if a != b => Err(Diagnostic::error(
                    "E0020",
                    format!("`{}` of {} and {}", f.name(), dim_text(d0), dim_text(d1)),
                )
                .primary(s1, format!("this is {}", dim_text(d1)))
                .secondary(s0, format!("this is {}", dim_text(d0)))
                .help("both arguments must have the same dimension")),
                (Some(a), _) | (_, Some(a)) => Ok(Ty::Num(Some(a))),
                _ => Ok(Ty::Num(None)),
            }
        }
        _ => Ok(Ty::Num(d0)),
    }
}

/// Evaluates a binary operation on constants.
pub fn eval_binary(op: BinOp, a: f64, b: f64) -> f64 {
    match op {
        BinOp::Add => a + b,
        BinOp::Sub => a - b,
        BinOp::Mul => a * b,
        BinOp::Div => a / b,
        BinOp::Pow => a.powf(b),
        BinOp::Gt => f64::from(a > b),
        BinOp::Ge => f64::from(a >= b),
        BinOp::Lt => f64::from(a < b),
        BinOp::Le => f64::from(a <= b),
        BinOp::Eq => f64::from(a == b),
        BinOp::Ne => f64::from(a != b),
        BinOp::And => f64::from(a != 0.0 && b != 0.0),
        BinOp::Or => f64::from(a != 0.0 || b != 0.0),
    }
}

/// The IR node of a surface binary operator.
pub fn ir_binary(op: BinOp, a: ExprId, b: ExprId) -> ExprKind {
    match op {
        BinOp::Add => ExprKind::Binary(BinaryOp::Add, a, b),
        BinOp::Sub => ExprKind::Binary(BinaryOp::Sub, a, b),
        BinOp::Mul => ExprKind::Binary(BinaryOp::Mul, a, b),
        BinOp::Div => ExprKind::Binary(BinaryOp::Div, a, b),
        BinOp::Pow => ExprKind::Binary(BinaryOp::Pow, a, b),
        BinOp::Gt => ExprKind::Compare(CmpOp::Gt, a, b),
        BinOp::Ge => ExprKind::Compare(CmpOp::Ge, a, b),
        BinOp::Lt => ExprKind::Compare(CmpOp::Lt, a, b),
        BinOp::Le => ExprKind::Compare(CmpOp::Le, a, b),
        BinOp::Eq => ExprKind::Compare(CmpOp::Eq, a, b),
        BinOp::Ne => ExprKind::Compare(CmpOp::Ne, a, b),
        BinOp::And => ExprKind::Logic(LogicOp::And, a, b),
        BinOp::Or => ExprKind::Logic(LogicOp::Or, a, b),
    }
}
