//! Resolving the units written after a number, and dimension formatting for
//! messages.

use crate::diag::{did_you_mean, Diagnostic};
use crate::front::ast::UnitFactor;
use spikec_ir::units::{exact_decimal, lookup_unit, UNITS};
use spikec_ir::{Dim, Span};

/// Resolves unit factors to a dimension and a power of ten.
pub fn resolve_units(units: &[UnitFactor]) -> Result<(Dim, i32), Diagnostic> {
    let mut dim = Dim::NONE;
    let mut exp10 = 0i32;
    for f in units {
        let Some(u) = lookup_unit(&f.name) else {
            return Err(unknown_unit(&f.name, f.span));
        };
        dim = dim.times(u.dim.powi(f.exp));
        exp10 = exp10.saturating_add(u.exp10.saturating_mul(f.exp));
    }
    Ok((dim, exp10))
}

fn unknown_unit(name: &str, span: Span) -> Diagnostic {
    let d =
        Diagnostic::error("E0003", format!("unknown unit `{name}`")).primary(span, "not a unit");
    let multiply =
        format!("a name right after a number is read as its unit; to multiply, write `* {name}`");
    match did_you_mean(name, UNITS.iter().map(|u| u.name)) {
        Some(h) => d.help(format!("{h} (units are case-sensitive); {multiply}")),
        None => d.help(multiply),
    }
}

/// Converts a literal with its units to a canonical value.
pub fn literal_value(
    text: &str,
    units: &[UnitFactor],
    span: Span,
) -> Result<(f64, Dim), Diagnostic> {
    let (dim, exp10) = resolve_units(units)?;
    if text == "inf" {
        return Ok((f64::INFINITY, dim));
    }
    match exact_decimal(text, exp10) {
        Some(v) if v.is_finite() => Ok((v, dim)),
        _ => Err(
            Diagnostic::error("E0002", format!("number `{text}` is out of range"))
                .primary(span, "too large to represent")
                .help("write `inf` for an unbounded value, or use a smaller unit"),
        ),
    }
}

/// `voltage (mV)` — a dimension with its canonical unit, for messages.
pub fn dim_text(d: Option<Dim>) -> String {
    match d {
        None => "any dimension".into(),
        Some(d) if d.is_none() => "dimensionless".into(),
        Some(d) => {
            let desc = d.describe();
            let unit = d.canonical_unit();
            if desc.starts_with('[') {
                desc
            } else {
                format!("{desc} ({unit})")
            }
        }
    }
}
