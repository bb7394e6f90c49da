//! Symbolic differentiation of right-hand sides that are affine in the
//! states (the classification guarantees it), giving the Jacobian entries
//! as expressions of the parameters.

use spikec_ir::expr::{BinaryOp, Expr, ExprArena, ExprId, ExprKind, Type};
use spikec_ir::model::{Model, State};
use spikec_ir::{Dim, Handle};

/// `d e / d state`, or `None` where it is zero.
pub fn derivative(
    model: &Model,
    arena: &mut ExprArena,
    e: ExprId,
    state: Handle<State>,
) -> Option<ExprId> {
    let dim = |arena: &ExprArena, x: ExprId| arena[x].ty.dim().unwrap_or(Dim::NONE);
    let push = |arena: &mut ExprArena, kind: ExprKind, d: Dim| {
        arena.append(Expr {
            kind,
            ty: Type::Num(d),
        })
    };
    match arena[e].kind.clone() {
        ExprKind::State(h) if h == state => Some(push(arena, ExprKind::Const(1.0), Dim::NONE)),
        ExprKind::Let(l) => derivative(model, arena, model.lets[l].value, state),
        ExprKind::Neg(a) => {
            let da = derivative(model, arena, a, state)?;
            let d = dim(arena, da);
            Some(push(arena, ExprKind::Neg(da), d))
        }
        ExprKind::Binary(op @ (BinaryOp::Add | BinaryOp::Sub), a, b) => {
            let (da, db) = (
                derivative(model, arena, a, state),
                derivative(model, arena, b, state),
            );
            match (da, db) {
                (None, None) => None,
                (Some(x), None) => Some(x),
                (None, Some(y)) if op == BinaryOp::Add => Some(y),
                (None, Some(y)) => {
                    let d = dim(arena, y);
                    Some(push(arena, ExprKind::Neg(y), d))
                }
                (Some(x), Some(y)) => {
                    let d = dim(arena, x);
                    Some(push(arena, ExprKind::Binary(op, x, y), d))
                }
            }
        }
        ExprKind::Binary(BinaryOp::Mul, a, b) => {
            // Affine: at most one factor depends on the states.
            if let Some(da) = derivative(model, arena, a, state) {
                let d = dim(arena, da).times(dim(arena, b));
                Some(push(arena, ExprKind::Binary(BinaryOp::Mul, da, b), d))
            } else {
                let db = derivative(model, arena, b, state)?;
                let d = dim(arena, a).times(dim(arena, db));
                Some(push(arena, ExprKind::Binary(BinaryOp::Mul, a, db), d))
            }
        }
        ExprKind::Binary(BinaryOp::Div, a, b) => {
            let da = derivative(model, arena, a, state)?;
            let d = dim(arena, da).per(dim(arena, b));
            Some(push(arena, ExprKind::Binary(BinaryOp::Div, da, b), d))
        }
        // Constants, parameters, other states, and functions or powers of
        // constants (the only ones an affine right-hand side can hold).
        _ => None,
    }
}
