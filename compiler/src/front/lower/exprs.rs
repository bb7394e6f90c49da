//! Lowering surface expressions to typed IR expression trees, shared by
//! model equations and connector expressions: the operators, functions and
//! dimension rules are the same everywhere; only what a name means differs,
//! and that is the [`Names`] implementation's business.

use super::dims::{self, Ty};
use super::units::literal_value;
use crate::diag::{did_you_mean, Diagnostic};
use crate::front::ast::{Arg, Expr, ExprKind as AK, Ident, UnitFactor};
use spikec_ir::expr::{Expr as IrExpr, ExprArena, ExprId, ExprKind, Func};
use spikec_ir::network::DistKind;
use spikec_ir::Span;

/// What names mean where an expression is lowered.
pub trait Names {
    /// Where nodes are stored.
    fn arena(&mut self) -> &mut ExprArena;
    /// Lowers a name to a node with its type.
    fn name(&mut self, name: &str, span: Span) -> Result<(ExprId, Ty), Diagnostic>;
    /// Told of each unit written after a number, so that a scope where the
    /// unit's symbol is also a name (a parameter `cm`) can warn: `1 / cm`
    /// is one per centimetre there, not one over the parameter.
    fn unit_after_number(&mut self, _unit: &UnitFactor) {}
}

fn push<N: Names>(n: &mut N, kind: ExprKind, ty: Ty) -> (ExprId, Ty) {
    (n.arena().append(IrExpr { kind, ty: ty.ir() }), ty)
}

/// Lowers and type-checks `e`.
pub fn lower<N: Names>(n: &mut N, e: &Expr) -> Result<(ExprId, Ty), Diagnostic> {
    match &e.kind {
        AK::Number { text, units } => {
            for u in units {
                n.unit_after_number(u);
            }
            let (v, d) = literal_value(text, units, e.span)?;
            // A bare 0 or inf fits any dimension.
            let poly = units.is_empty() && (v == 0.0 || v.is_infinite());
            let id = n.arena().append(IrExpr {
                kind: ExprKind::Const(v),
                ty: spikec_ir::expr::Type::Num(d),
            });
            Ok((id, Ty::Num(if poly { None } else { Some(d) })))
        }
        AK::Bool(b) => Ok(push(n, ExprKind::Bool(*b), Ty::Bool)),
        AK::Name(name) => n.name(name, e.span),
        AK::Neg(inner) => {
            let (a, t) = lower(n, inner)?;
            let d = dims::expect_num(t, inner.span, "after `-`")?;
            Ok(push(n, ExprKind::Neg(a), Ty::Num(d)))
        }
        AK::Not(inner) => {
            let (a, t) = lower(n, inner)?;
            dims::expect_bool(t, inner.span, "after `not`")?;
            Ok(push(n, ExprKind::Not(a), Ty::Bool))
        }
        AK::Binary { op, lhs, rhs } => {
            let (a, lt) = lower(n, lhs)?;
            let (b, rt) = lower(n, rhs)?;
            // The exponent of `^`, when it is a literal (possibly negated).
            let arena = n.arena();
            let rconst = match &arena[b].kind {
                ExprKind::Const(v) => Some(*v),
                ExprKind::Neg(x) => match arena[*x].kind {
                    ExprKind::Const(v) => Some(-v),
                    _ => None,
                },
                _ => None,
            };
            let t = dims::binary(*op, (lt, lhs.span), (rt, rhs.span), rconst)?;
            Ok(push(n, dims::ir_binary(*op, a, b), t))
        }
        AK::Call { callee, args } => {
            let f = lookup_func(callee)?;
            let mut ids = Vec::new();
            let mut tys = Vec::new();
            for a in positional(f, args)? {
                let (id, t) = lower(n, a)?;
                ids.push(id);
                tys.push((t, a.span));
            }
            let t = dims::call(f, &tys, e.span)?;
            Ok(push(n, ExprKind::Call(f, ids), t))
        }
        AK::Str(_) | AK::List(_) | AK::Tuple(_) => {
            let what = match e.kind {
                AK::Str(_) => "a string",
                AK::List(_) => "a list",
                _ => "a tuple",
            };
            Err(
                Diagnostic::error("E0018", format!("expected a number, found {what}"))
                    .primary(e.span, format!("{what} cannot be used in an expression"))
                    .help("expressions here are numbers or conditions"),
            )
        }
    }
}

/// Finds a built-in function; E0016 with a suggestion otherwise.
pub fn lookup_func(callee: &Ident) -> Result<Func, Diagnostic> {
    if let Some(f) = Func::from_name(&callee.name) {
        return Ok(f);
    }
    if DistKind::from_name(&callee.name).is_some() || callee.name == "csv" {
        return Err(Diagnostic::error(
            "E0018",
            format!("`{}` gives a different value per neuron, but a single value is needed here", callee.name),
        )
        .primary(callee.span, "not a constant")
        .help("sizes, connector arguments, parameter defaults and equations take fixed numbers; distributions belong in population settings, weights and delays"));
    }
    let d = Diagnostic::error("E0016", format!("unknown function `{}`", callee.name))
        .primary(callee.span, "not a built-in function");
    Err(
        match did_you_mean(&callee.name, Func::ALL.iter().map(|f| f.name())) {
            Some(h) => d.help(h),
            None => d.help(format!(
                "the functions are: {}",
                Func::ALL
                    .iter()
                    .map(|f| f.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        },
    )
}

/// The arguments of a function call, which are all positional.
pub fn positional(f: Func, args: &[Arg]) -> Result<Vec<&Expr>, Diagnostic> {
    args.iter()
        .map(|a| match &a.name {
            Some(n) => Err(Diagnostic::error(
                "E0017",
                format!("`{}` takes no named arguments", f.name()),
            )
            .primary(n.span, "named argument")
            .help("pass the value positionally")),
            None => Ok(&a.value),
        })
        .collect()
}
