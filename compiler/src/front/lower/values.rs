//! Per-element values (constants, distributions, CSV columns, spike times),
//! call-argument binding, connector expressions and structures.

use std::path::Path;

use super::consts::{not_number, wrong_dim, Const, ConstEnv};
use super::csv::read_table;
use super::dims::{self, Ty};
use super::exprs::{lower, Names};
use crate::diag::{did_you_mean, Diagnostic};
use crate::front::ast::{Arg, BinOp, Expr, ExprKind as AK};
use spikec_ir::expr::{Expr as IrExpr, ExprArena, ExprId, ExprKind};
use spikec_ir::network::{DistKind, Distribution, NamedDraw, SpikeTimes, Structure, ValueSpec};
use spikec_ir::{Dim, Span};

/// Binds call arguments to parameter names: positional first, then named.
/// Returns one slot per name; `required` leading names must be present.
pub fn bind<'a>(
    callee: &str,
    call_span: Span,
    args: &'a [Arg],
    names: &[&str],
    required: usize,
) -> Result<Vec<Option<&'a Expr>>, Diagnostic> {
    let mut slots: Vec<Option<&Expr>> = vec![None; names.len()];
    let signature = || {
        format!(
            "`{callee}({})`",
            names
                .iter()
                .enumerate()
                .map(|(i, n)| if i < required {
                    n.to_string()
                } else {
                    format!("{n} = ...")
                })
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let mut seen_named = false;
    for (i, a) in args.iter().enumerate() {
        match &a.name {
            None => {
                if seen_named {
                    return Err(Diagnostic::error(
                        "E0017",
                        "positional argument after a named one",
                    )
                    .primary(a.value.span, "positional")
                    .help(format!("the signature is {}", signature())));
                }
                if i >= names.len() {
                    return Err(Diagnostic::error(
                        "E0017",
                        format!(
                            "`{callee}` takes at most {} argument{}, but {} were given",
                            names.len(),
                            if names.len() == 1 { "" } else { "s" },
                            args.len()
                        ),
                    )
                    .primary(a.value.span, "unexpected argument")
                    .help(format!("the signature is {}", signature())));
                }
                slots[i] = Some(&a.value);
            }
            Some(n) => {
                seen_named = true;
                let Some(j) = names.iter().position(|x| *x == n.name) else {
                    let d = Diagnostic::error(
                        "E0017",
                        format!("`{callee}` has no argument `{}`", n.name),
                    )
                    .primary(n.span, "unknown argument");
                    return Err(match did_you_mean(&n.name, names.iter().copied()) {
                        Some(h) => d.help(format!("{h} the signature is {}", signature())),
                        None => d.help(format!("the signature is {}", signature())),
                    });
                };
                if slots[j].is_some() {
                    return Err(Diagnostic::error(
                        "E0017",
                        format!("argument `{}` is given twice", n.name),
                    )
                    .primary(n.span, "given again here")
                    .help(format!("the signature is {}", signature())));
                }
                slots[j] = Some(&a.value);
            }
        }
    }
    if let Some(missing) = (0..required).find(|&i| slots[i].is_none()) {
        return Err(Diagnostic::error(
            "E0017",
            format!("`{callee}` needs the argument `{}`", names[missing]),
        )
        .primary(call_span, "missing argument")
        .help(format!("the signature is {}", signature())));
    }
    Ok(slots)
}

/// Context for evaluating per-element values.
pub struct ValueCx<'a> {
    /// Network parameters.
    pub env: &'a ConstEnv,
    /// Directory of the file being lowered (for CSV paths).
    pub dir: &'a Path,
    /// The population's named draws (empty outside populations).
    pub draws: &'a [NamedDraw],
}

impl ValueCx<'_> {
    /// A per-element scalar of dimension `want`. `what` names it in messages.
    /// Expressions over the population's draws go to `exprs`.
    pub fn value(
        &self,
        e: &Expr,
        want: Dim,
        what: &str,
        exprs: &mut ExprArena,
    ) -> Result<ValueSpec, Diagnostic> {
        if mentions_draw(e, self.draws) {
            let (id, t) = lower(
                &mut DrawNames {
                    env: self.env,
                    draws: self.draws,
                    arena: exprs,
                },
                e,
            )?;
            return match dims::expect_num(t, e.span, &format!("for {what}"))? {
                Some(d) if d != want => Err(wrong_dim(e.span, what, want, d)),
                _ => Ok(ValueSpec::Expr(id)),
            };
        }
        if let AK::Call { callee, args } = &e.kind {
            if let Some(kind) = DistKind::from_name(&callee.name) {
                return self
                    .distribution(kind, &callee.name, e.span, args, want)
                    .map(ValueSpec::Random);
            }
            if callee.name != "csv" && spikec_ir::expr::Func::from_name(&callee.name).is_none() {
                let names: Vec<&str> = DistKind::ALL.iter().map(|d| d.name()).collect();
                let d =
                    Diagnostic::error("E0016", format!("unknown distribution `{}`", callee.name))
                        .primary(callee.span, "not a distribution or function");
                return Err(match did_you_mean(&callee.name, names.iter().copied().chain(["csv"])) {
                    Some(h) => d.help(h),
                    None => d.help(format!(
                        "per-neuron values are constants, `csv(\"file\", \"column\")` or one of the distributions: {}",
                        names.join(", ")
                    )),
                });
            }
            if callee.name == "csv" {
                let slots = bind("csv", e.span, args, &["file", "column"], 2)?;
                let (file, fspan) = self.string(slots[0].expect("bound"))?;
                let (col, cspan) = self.string(slots[1].expect("bound"))?;
                let table = read_table(self.dir, &file, fspan)?;
                let c = table.column(&col, cspan)?;
                if table.dims[c] != want {
                    return Err(wrong_dim(
                        cspan,
                        &format!("column `{col}` for {what}"),
                        want,
                        table.dims[c],
                    )
                    .note("a column's unit is written in its header, e.g. `I_e[pA]`"));
                }
                return Ok(ValueSpec::Column {
                    origin: format!("{file}:{col}"),
                    values: table.values(c),
                });
            }
        }
        if let AK::Binary {
            op: BinOp::Mul,
            lhs,
            rhs,
        } = &e.kind
        {
            // `distribution * quantity` or `quantity * distribution`.
            for (d, q) in [(lhs, rhs), (rhs, lhs)] {
                if let AK::Call { callee, args } = &d.kind {
                    if let Some(kind) = DistKind::from_name(&callee.name) {
                        let (scale, sdim) = match self.env.eval(q)? {
                            Const::Num(v, d) => (v, d.unwrap_or(Dim::NONE)),
                            other => return Err(not_number(&other, q.span, "as a scale")),
                        };
                        let mut dist =
                            self.distribution(kind, &callee.name, d.span, args, want.per(sdim))?;
                        dist.scale = Some(scale);
                        return Ok(ValueSpec::Random(dist));
                    }
                }
            }
        }
        match self.env.eval(e)? {
            Const::Num(v, d) => {
                if let Some(d) = d {
                    if d != want {
                        return Err(wrong_dim(e.span, what, want, d));
                    }
                }
                Ok(ValueSpec::Const(v))
            }
            other => Err(not_number(&other, e.span, &format!("for {what}"))),
        }
    }

    /// A named draw: `let re = uniform(0, 1)`; its dimension is that of
    /// its arguments.
    pub fn draw(&self, name: &str, e: &Expr) -> Result<NamedDraw, Diagnostic> {
        let AK::Call { callee, args } = &e.kind else {
            return Err(not_a_draw(e.span));
        };
        let Some(kind) = DistKind::from_name(&callee.name) else {
            return Err(not_a_draw(e.span));
        };
        // The first argument that carries the value's unit decides it.
        let slots = bind(
            &callee.name,
            e.span,
            args,
            kind.arg_names(),
            kind.arg_names().len(),
        )?;
        let dim = slots
            .iter()
            .zip(kind.arg_has_value_dim())
            .filter(|(_, has)| **has)
            .find_map(|(slot, _)| match slot.map(|x| self.env.eval(x)) {
                Some(Ok(Const::Num(_, Some(d)))) => Some(d),
                _ => None,
            })
            .unwrap_or(Dim::NONE);
        let distribution = self.distribution(kind, &callee.name, e.span, args, dim)?;
        Ok(NamedDraw {
            name: name.to_string(),
            distribution,
            dim,
        })
    }

    fn distribution(
        &self,
        kind: DistKind,
        name: &str,
        span: Span,
        args: &[Arg],
        want: Dim,
    ) -> Result<Distribution, Diagnostic> {
        let names = kind.arg_names();
        if !want.is_none() && !kind.arg_has_value_dim().contains(&true) {
            return Err(Diagnostic::error(
                "E0022",
                format!(
                    "`{name}` draws pure numbers, but {} is needed",
                    super::units::dim_text(Some(want))
                ),
            )
            .primary(span, "dimensionless draws")
            .help(format!(
                "multiply by a quantity to give the draws a unit, e.g. `{name}(...) * 1 {}`",
                want.canonical_unit()
            )));
        }
        let slots = bind(name, span, args, names, names.len())?;
        let mut vals = Vec::new();
        for ((slot, has_dim), arg_name) in slots.iter().zip(kind.arg_has_value_dim()).zip(names) {
            let e = slot.expect("bound");
            let d = if *has_dim { want } else { Dim::NONE };
            vals.push(
                self.env
                    .number(e, d, &format!("`{arg_name}` of `{name}`"))?,
            );
        }
        Ok(Distribution {
            kind,
            args: vals,
            scale: None,
        })
    }

    /// A string literal.
    pub fn string(&self, e: &Expr) -> Result<(String, Span), Diagnostic> {
        match self.env.eval(e)? {
            Const::Str(s) => Ok((s, e.span)),
            _ => Err(Diagnostic::error("E0018", "expected a file name in quotes")
                .primary(e.span, "not a string")
                .help("write the path as a string, e.g. `\"params.csv\"`")),
        }
    }

    /// Spike times: `[t, ...]` for every neuron, `[[t, ...], ...]` per
    /// neuron, or `csv("file")` with columns `neuron` and `time[unit]`.
    pub fn spike_times(&self, e: &Expr, size: u32) -> Result<SpikeTimes, Diagnostic> {
        if let AK::Call { callee, args } = &e.kind {
            if callee.name == "csv" {
                let slots = bind("csv", e.span, args, &["file"], 1)?;
                let (file, fspan) = self.string(slots[0].expect("bound"))?;
                let table = read_table(self.dir, &file, fspan)?;
                let n = table.column("neuron", fspan)?;
                let t = table.column("time", fspan)?;
                if table.dims[t] != Dim::TIME {
                    return Err(wrong_dim(fspan, "column `time`", Dim::TIME, table.dims[t])
                        .note("write the unit in the header: `time[ms]`"));
                }
                let mut trains = vec![Vec::new(); size as usize];
                for row in &table.rows {
                    let i = row[n];
                    if i < 0.0 || i.fract() != 0.0 || i >= size as f64 {
                        return Err(Diagnostic::error(
                            "E0041",
                            format!("`{file}` names neuron {i}, but the population has {size}"),
                        )
                        .primary(fspan, "in this file")
                        .help("neuron indices start at 0"));
                    }
                    trains[i as usize].push(row[t]);
                }
                for tr in &mut trains {
                    tr.sort_by(f64::total_cmp);
                }
                return Ok(SpikeTimes::PerNeuron(trains));
            }
        }
        let c = self.env.eval(e)?;
        let Const::List(items) = c else {
            return Err(Diagnostic::error("E0018", "expected a list of spike times")
                .primary(e.span, "not a list")
                .help("write `[1 ms, 5 ms]` (every neuron) or `[[1 ms], [2 ms, 3 ms]]` (one list per neuron), or `csv(\"spikes.csv\")`"));
        };
        let nested = items.iter().any(|(c, _)| matches!(c, Const::List(_)));
        let times = |list: &[(Const, Span)]| -> Result<Vec<f64>, Diagnostic> {
            let mut out = Vec::new();
            for (c, s) in list {
                match c {
                    Const::Num(v, d) => {
                        if let Some(d) = d {
                            if *d != Dim::TIME {
                                return Err(wrong_dim(*s, "a spike time", Dim::TIME, *d));
                            }
                        }
                        out.push(*v);
                    }
                    other => return Err(not_number(other, *s, "as a spike time")),
                }
            }
            out.sort_by(f64::total_cmp);
            Ok(out)
        };
        if nested {
            let mut trains = Vec::new();
            for (c, s) in &items {
                match c {
                    Const::List(l) => trains.push(times(l)?),
                    _ => {
                        return Err(Diagnostic::error(
                            "E0018",
                            "mixed spike-time list: give only times, or only lists of times",
                        )
                        .primary(*s, "not a list")
                        .help("write `[[1 ms], [2 ms, 3 ms]]` for one list per neuron"))
                    }
                }
            }
            Ok(SpikeTimes::PerNeuron(trains))
        } else {
            Ok(SpikeTimes::Shared(times(&items)?))
        }
    }

    /// A structure call (`grid2d(dx = 10 um)`).
    pub fn structure(&self, e: &Expr) -> Result<Structure, Diagnostic> {
        let AK::Call { callee, args } = &e.kind else {
            return Err(Diagnostic::error(
                "E0016",
                "expected a structure such as `grid2d(dx = 10 um)`",
            )
            .primary(e.span, "not a structure")
            .help("structures: line, grid2d, grid3d, random_box"));
        };
        let len = |slot: Option<&Expr>, default: f64, what: &str| -> Result<f64, Diagnostic> {
            slot.map_or(Ok(default), |x| self.env.number(x, Dim::LENGTH, what))
        };
        let ratio = |slot: Option<&Expr>, what: &str| -> Result<f64, Diagnostic> {
            slot.map_or(Ok(1.0), |x| self.env.number(x, Dim::NONE, what))
        };
        Ok(match callee.name.as_str() {
            "line" => {
                let s = bind("line", e.span, args, &["dx", "x0"], 0)?;
                Structure::Line {
                    dx: len(s[0], 1.0, "dx")?,
                    x0: len(s[1], 0.0, "x0")?,
                }
            }
            "grid2d" => {
                let s = bind(
                    "grid2d",
                    e.span,
                    args,
                    &["aspect_ratio", "dx", "dy", "x0", "y0"],
                    0,
                )?;
                Structure::Grid2d {
                    aspect_ratio: ratio(s[0], "aspect_ratio")?,
                    dx: len(s[1], 1.0, "dx")?,
                    dy: len(s[2], 1.0, "dy")?,
                    x0: len(s[3], 0.0, "x0")?,
                    y0: len(s[4], 0.0, "y0")?,
                }
            }
            "grid3d" => {
                let s = bind(
                    "grid3d",
                    e.span,
                    args,
                    &["aspect_ratio_xy", "aspect_ratio_xz", "dx", "dy", "dz"],
                    0,
                )?;
                Structure::Grid3d {
                    aspect_ratio_xy: ratio(s[0], "aspect_ratio_xy")?,
                    aspect_ratio_xz: ratio(s[1], "aspect_ratio_xz")?,
                    dx: len(s[2], 1.0, "dx")?,
                    dy: len(s[3], 1.0, "dy")?,
                    dz: len(s[4], 1.0, "dz")?,
                }
            }
            "random_box" => {
                let s = bind("random_box", e.span, args, &["width", "height", "depth"], 3)?;
                Structure::RandomBox {
                    width: len(s[0], 0.0, "width")?,
                    height: len(s[1], 0.0, "height")?,
                    depth: len(s[2], 0.0, "depth")?,
                }
            }
            other => {
                let d = Diagnostic::error("E0016", format!("unknown structure `{other}`"))
                    .primary(callee.span, "not a structure");
                return Err(
                    match did_you_mean(other, ["line", "grid2d", "grid3d", "random_box"]) {
                        Some(h) => d.help(h),
                        None => d.help("structures: line, grid2d, grid3d, random_box"),
                    },
                );
            }
        })
    }
}

fn not_a_draw(span: Span) -> Diagnostic {
    Diagnostic::error("E0016", "a `let` in a population names a random draw, and this is not a distribution")
        .primary(span, "not a distribution call")
        .help("write e.g. `let re = uniform(0, 1)`, then use `re` in the settings: `c = -65 mV + 15 mV * re^2`")
}

/// Whether an expression names one of the draws.
fn mentions_draw(e: &Expr, draws: &[NamedDraw]) -> bool {
    if draws.is_empty() {
        return false;
    }
    match &e.kind {
        AK::Name(n) => draws.iter().any(|d| d.name == *n),
        AK::Neg(a) | AK::Not(a) => mentions_draw(a, draws),
        AK::Binary { lhs, rhs, .. } => mentions_draw(lhs, draws) || mentions_draw(rhs, draws),
        AK::Call { args, .. } => args.iter().any(|a| mentions_draw(&a.value, draws)),
        AK::Tuple(items) | AK::List(items) => items.iter().any(|i| mentions_draw(i, draws)),
        AK::Number { .. } | AK::Bool(_) | AK::Str(_) => false,
    }
}

/// Names in per-neuron value expressions: the population's draws, then the
/// network's parameters.
struct DrawNames<'a> {
    env: &'a ConstEnv,
    draws: &'a [NamedDraw],
    arena: &'a mut ExprArena,
}

impl Names for DrawNames<'_> {
    fn arena(&mut self) -> &mut ExprArena {
        self.arena
    }

    fn name(&mut self, name: &str, span: Span) -> Result<(ExprId, Ty), Diagnostic> {
        let (kind, d) = match self.draws.iter().position(|d| d.name == name) {
            Some(i) => (ExprKind::Draw(i as u32), Some(self.draws[i].dim)),
            None => match self.env.eval(&Expr {
                kind: AK::Name(name.to_string()),
                span,
            })? {
                Const::Num(v, d) => (ExprKind::Const(v), d),
                other => return Err(not_number(&other, span, "in a per-neuron value")),
            },
        };
        let ty = Ty::Num(d);
        Ok((self.arena.append(IrExpr { kind, ty: ty.ir() }), ty))
    }
}

/// Names in connector expressions: the distance `d` (um) between the pre-
/// and postsynaptic neuron, and the network's parameters.
struct ConnectorNames<'a> {
    env: &'a ConstEnv,
    arena: &'a mut ExprArena,
}

impl Names for ConnectorNames<'_> {
    fn arena(&mut self) -> &mut ExprArena {
        self.arena
    }

    fn name(&mut self, name: &str, span: Span) -> Result<(ExprId, Ty), Diagnostic> {
        let (kind, d) = if name == "d" {
            (ExprKind::Distance, Some(Dim::LENGTH))
        } else {
            let e = Expr {
                kind: AK::Name(name.to_string()),
                span,
            };
            match self.env.eval(&e)? {
                Const::Num(v, d) => (ExprKind::Const(v), d),
                other => return Err(not_number(&other, span, "in a connection probability")),
            }
        };
        let ty = Ty::Num(d);
        Ok((self.arena.append(IrExpr { kind, ty: ty.ir() }), ty))
    }
}

/// Lowers a connector expression over the distance `d` (um) and network
/// parameters into `arena`.
pub fn connector_expr(
    env: &ConstEnv,
    arena: &mut ExprArena,
    e: &Expr,
) -> Result<(ExprId, Ty), Diagnostic> {
    lower(&mut ConnectorNames { env, arena }, e)
}
