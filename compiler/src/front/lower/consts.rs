//! Compile-time evaluation of constant expressions: population sizes,
//! network parameters, connector arguments, parameter defaults, distribution
//! arguments. Values carry their dimension; names resolve to network
//! parameters only.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};

use super::dims::{self, Ty};
use super::exprs::{lookup_func, positional};
use super::units::{dim_text, literal_value};
use crate::diag::{did_you_mean, Diagnostic};
use crate::front::ast::{Expr, ExprKind};
use spikec_ir::{Dim, Span};

/// A constant value.
#[derive(Clone, Debug, PartialEq)]
pub enum Const {
    /// A number; `None` = a bare `0` or `inf`, fitting any dimension.
    Num(f64, Option<Dim>),
    /// `true` / `false`.
    Bool(bool),
    /// A string (file names).
    Str(String),
    /// `[a, b]`.
    List(Vec<(Const, Span)>),
    /// `(a, b)`.
    Tuple(Vec<(Const, Span)>),
}

impl Const {
    fn kind(&self) -> &'static str {
        match self {
            Const::Num(..) => "a number",
            Const::Bool(_) => "`true` or `false`",
            Const::Str(_) => "a string",
            Const::List(_) => "a list",
            Const::Tuple(_) => "a tuple",
        }
    }
}

/// Names visible to constant expressions: the network's parameters.
#[derive(Default)]
pub struct ConstEnv {
    /// Parameter values.
    pub params: HashMap<String, (f64, Dim)>,
    /// Parameters read so far (for the unused-parameter warning).
    pub used: RefCell<BTreeSet<String>>,
    /// Names that exist but are not constants here (model variables), with
    /// what they are, for a better message than "unknown name".
    pub non_constants: HashMap<String, &'static str>,
}

impl ConstEnv {
    /// Evaluates any constant.
    pub fn eval(&self, e: &Expr) -> Result<Const, Diagnostic> {
        match &e.kind {
            ExprKind::Number { text, units } => {
                let (v, d) = literal_value(text, units, e.span)?;
                // A bare 0 or inf fits any dimension.
                let poly = units.is_empty() && (v == 0.0 || v.is_infinite());
                Ok(Const::Num(v, if poly { None } else { Some(d) }))
            }
            ExprKind::Bool(b) => Ok(Const::Bool(*b)),
            ExprKind::Str(s) => Ok(Const::Str(s.clone())),
            ExprKind::Name(n) => {
                if let Some((v, d)) = self.params.get(n) {
                    self.used.borrow_mut().insert(n.clone());
                    return Ok(Const::Num(*v, Some(*d)));
                }
                if let Some(what) = self.non_constants.get(n) {
                    return Err(Diagnostic::error(
                        "E0018",
                        format!("`{n}` is {what}, not a constant"),
                    )
                    .primary(e.span, "not known at compile time")
                    .help("only numbers, units and network `param`s can be used here"));
                }
                let mut d = Diagnostic::error("E0010", format!("cannot find `{n}` in this scope"))
                    .primary(e.span, "not found");
                d = match did_you_mean(n, self.params.keys().map(String::as_str)) {
                    Some(h) => d.help(h),
                    None => d.help("declare it with `param` in the network, before its first use"),
                };
                Err(d)
            }
            ExprKind::Neg(inner) => match self.eval(inner)? {
                Const::Num(v, d) => Ok(Const::Num(-v, d)),
                other => Err(not_number(&other, inner.span, "after `-`")),
            },
            ExprKind::Not(inner) => match self.eval(inner)? {
                Const::Bool(b) => Ok(Const::Bool(!b)),
                other => Err(dims::expect_bool(ty_of(&other), inner.span, "after `not`")
                    .err()
                    .unwrap_or_else(|| not_number(&other, inner.span, ""))),
            },
            ExprKind::Binary { op, lhs, rhs } => {
                let l = self.eval(lhs)?;
                let r = self.eval(rhs)?;
                for (c, s) in [(&l, lhs.span), (&r, rhs.span)] {
                    if matches!(c, Const::Str(_) | Const::List(_) | Const::Tuple(_)) {
                        return Err(not_number(c, s, &format!("with `{}`", op.symbol())));
                    }
                }
                let rv = match r {
                    Const::Num(v, _) => Some(v),
                    _ => None,
                };
                let t = dims::binary(*op, (ty_of(&l), lhs.span), (ty_of(&r), rhs.span), rv)?;
                let (a, b) = (num_or_bool(&l), num_or_bool(&r));
                let v = dims::eval_binary(*op, a, b);
                Ok(match t {
                    Ty::Bool => Const::Bool(v != 0.0),
                    Ty::Num(d) => Const::Num(v, d),
                })
            }
            ExprKind::Call { callee, args } => {
                let f = lookup_func(callee)?;
                let mut vals = Vec::new();
                for a in positional(f, args)? {
                    let c = self.eval(a)?;
                    vals.push((c, a.span));
                }
                let tys: Vec<(Ty, Span)> = vals.iter().map(|(c, s)| (ty_of(c), *s)).collect();
                let t = dims::call(f, &tys, e.span)?;
                let nums: Vec<f64> = vals.iter().map(|(c, _)| num_or_bool(c)).collect();
                Ok(Const::Num(
                    f.eval(&nums),
                    match t {
                        Ty::Num(d) => d,
                        Ty::Bool => None,
                    },
                ))
            }
            ExprKind::Tuple(items) | ExprKind::List(items) => {
                let mut out = Vec::new();
                for i in items {
                    out.push((self.eval(i)?, i.span));
                }
                Ok(if matches!(e.kind, ExprKind::Tuple(_)) {
                    Const::Tuple(out)
                } else {
                    Const::List(out)
                })
            }
        }
    }

    /// Evaluates a number of the given dimension (`None`: dimensionless).
    pub fn number(&self, e: &Expr, want: Dim, what: &str) -> Result<f64, Diagnostic> {
        let c = self.eval(e)?;
        match c {
            Const::Num(v, d) => {
                if let Some(d) = d {
                    if d != want {
                        return Err(wrong_dim(e.span, what, want, d));
                    }
                }
                Ok(v)
            }
            other => Err(not_number(&other, e.span, what)),
        }
    }

    /// Evaluates a non-negative whole number (sizes, counts, seeds, indices).
    pub fn whole(&self, e: &Expr, what: &str) -> Result<u64, Diagnostic> {
        let v = self.number(e, Dim::NONE, what)?;
        if v < 0.0 || v.fract() != 0.0 || !v.is_finite() || v > 4.0e18 {
            return Err(Diagnostic::error(
                "E0040",
                format!(
                    "{what} must be a non-negative whole number, found {}",
                    spikec_ir::units::format_number(v)
                ),
            )
            .primary(e.span, "not a non-negative whole number")
            .help(if v < 0.0 {
                "it must not be negative: check the expression and the parameters it uses"
            } else if v.is_finite() && v <= 4.0e18 {
                "round it explicitly with `round(...)`, `floor(...)` or `ceil(...)`"
            } else {
                "it is too large to count anything"
            }));
        }
        Ok(v as u64)
    }

    /// Evaluates `true` / `false`.
    pub fn boolean(&self, e: &Expr, what: &str) -> Result<bool, Diagnostic> {
        match self.eval(e)? {
            Const::Bool(b) => Ok(b),
            other => Err(Diagnostic::error(
                "E0025",
                format!("{what} must be `true` or `false`, found {}", other.kind()),
            )
            .primary(e.span, "expected `true` or `false`")
            .help(format!("write `{what} = true` or `{what} = false`"))),
        }
    }
}

fn ty_of(c: &Const) -> Ty {
    match c {
        Const::Num(_, d) => Ty::Num(*d),
        _ => Ty::Bool,
    }
}

fn num_or_bool(c: &Const) -> f64 {
    match c {
        Const::Num(v, _) => *v,
        Const::Bool(b) => f64::from(*b),
        _ => f64::NAN,
    }
}

/// E0022: a value of the wrong dimension.
pub fn wrong_dim(span: Span, what: &str, want: Dim, found: Dim) -> Diagnostic {
    Diagnostic::error(
        "E0022",
        format!(
            "{what} must be {}, found {}",
            dim_text(Some(want)),
            dim_text(Some(found))
        ),
    )
    .primary(span, format!("this is {}", dim_text(Some(found))))
    .help(if want.is_none() {
        "write a plain number without a unit".to_string()
    } else {
        format!(
            "write it with a unit of {}, e.g. `1 {}`",
            want.describe(),
            want.canonical_unit()
        )
    })
}

/// E0018: something that is not a number where a number is needed.
pub fn not_number(c: &Const, span: Span, what: &str) -> Diagnostic {
    let code = if matches!(c, Const::Bool(_)) {
        "E0025"
    } else {
        "E0018"
    };
    Diagnostic::error(
        code,
        format!("expected a number {what}, found {}", c.kind()).replace("  ", " "),
    )
    .primary(span, format!("this is {}", c.kind()))
    .help("write a number with its unit, e.g. `10 ms`")
}
