//! Lowering model declarations (`neuron`, `source_model`, `alias`) to IR
//! models: names resolved to typed handles, every expression dimension-checked
//! (an ODE's right-hand side must be state/time, a reset must keep the
//! state's unit), the ODE system classified.

mod alias;
mod source;

pub use alias::lower_alias;
pub use source::lower_source;

use std::collections::HashMap;

use super::consts::{wrong_dim, Const, ConstEnv};
use super::dims::{self, Ty};
use super::exprs::{self, Names};
use super::units::{dim_text, resolve_units};
use crate::diag::{did_you_mean, Diagnostic};
use crate::front::ast::{self, Expr};
use spikec_ir::expr::{Expr as IrExpr, ExprArena, ExprId, ExprKind, Type};
use spikec_ir::model::*;
use spikec_ir::{Arena, Dim, Handle, Span};

/// Source positions of a model's parts, for later diagnostics.
#[derive(Clone, Debug, Default)]
pub struct ModelSpans {
    /// The model's name.
    pub name: Span,
    /// Each parameter's declaration.
    pub params: Vec<Span>,
    /// Each state's declaration.
    pub states: Vec<Span>,
    /// Each port's name.
    pub ports: Vec<Span>,
}

#[derive(Clone, Copy)]
enum Sym {
    Param(Handle<Param>),
    State(Handle<State>),
    Let(usize),
}

/// What an expression may refer to.
#[derive(Clone, Copy, PartialEq)]
enum Scope {
    /// Parameters, states, lets, time: equations and conditions.
    Dynamic,
    /// Parameters only: initial values, port scales, refractory periods.
    Params,
}

struct Cx<'d> {
    m: Model,
    syms: HashMap<String, Sym>,
    lets: Vec<(ast::Ident, Expr)>,
    let_states: Vec<LetState>,
    /// Parameters and states whose declaration had an error: uses of them
    /// stay silent rather than repeat it as a dimension mismatch.
    failed: std::collections::HashSet<String>,
    diags: &'d mut Vec<Diagnostic>,
    /// Warnings, kept apart so that they do not count as the errors that
    /// fail the model; added after it is lowered.
    warnings: Vec<Diagnostic>,
}

/// Progress of a `let` definition, lowered on first use so that the order
/// of definitions does not matter and cycles are found.
#[derive(Clone, Copy)]
enum LetState {
    Pending,
    Busy,
    Done(Handle<Let>, Option<Dim>),
    /// Its error is reported; later uses stay silent.
    Failed,
}

/// Stands for an error that was already reported, so that one broken
/// definition is not reported again at every use. [`Cx::report`] drops it.
fn already_reported() -> Diagnostic {
    Diagnostic::error("", "")
}

fn empty_model(name: &str) -> Model {
    Model {
        name: name.to_string(),
        alias_of: None,
        params: Arena::new(),
        states: Arena::new(),
        lets: Arena::new(),
        exprs: Arena::new(),
        body: ModelBody::Source(Generator::Array {
            times: Handle::from_index(0),
        }),
    }
}

impl<'d> Cx<'d> {
    /// A context over `m`, whose parameters and states are in scope.
    fn new(m: Model, diags: &'d mut Vec<Diagnostic>) -> Self {
        let mut syms = HashMap::new();
        for (h, p) in m.params.iter() {
            syms.insert(p.name.clone(), Sym::Param(h));
        }
        for (h, st) in m.states.iter() {
            syms.insert(st.name.clone(), Sym::State(h));
        }
        Cx {
            m,
            syms,
            warnings: Vec::new(),
            lets: Vec::new(),
            let_states: Vec::new(),
            failed: Default::default(),
            diags,
        }
    }

    /// Where a name in scope was declared.
    fn declared_at(&self, sym: Sym, spans: &ModelSpans) -> Span {
        match sym {
            Sym::Param(h) => spans.params.get(h.index()).copied(),
            Sym::State(h) => spans.states.get(h.index()).copied(),
            Sym::Let(i) => self.lets.get(i).map(|(n, _)| n.span),
        }
        .unwrap_or(Span::DUMMY)
    }

    fn push(&mut self, kind: ExprKind, ty: Type) -> ExprId {
        self.m.exprs.append(IrExpr { kind, ty })
    }

    fn konst(&mut self, v: f64, d: Dim) -> ExprId {
        self.push(ExprKind::Const(v), Type::Num(d))
    }

    fn names(&self) -> Vec<&str> {
        self.syms.keys().map(String::as_str).collect()
    }

    fn unknown(&self, name: &str, span: Span) -> Diagnostic {
        let d = Diagnostic::error(
            "E0010",
            format!("cannot find `{name}` in model `{}`", self.m.name),
        )
        .primary(span, "not found");
        match did_you_mean(name, self.names()) {
            Some(h) => d.help(h),
            None => d.help("declare it with `parameter`, `state` or `let` in this model"),
        }
    }

    fn lower_let(&mut self, i: usize) -> Result<(Handle<Let>, Option<Dim>), Diagnostic> {
        let (name, expr) = self.lets[i].clone();
        match self.let_states[i] {
            LetState::Done(h, d) => return Ok((h, d)),
            LetState::Failed => return Err(already_reported()),
            LetState::Busy => {
                return Err(Diagnostic::error(
                    "E0033",
                    format!("`{}` is defined in terms of itself", name.name),
                )
                .primary(name.span, "this definition depends on itself")
                .help("break the cycle: one of the definitions must not use the other"))
            }
            LetState::Pending => {}
        }
        self.let_states[i] = LetState::Busy;
        let lowered = self
            .expr(&expr, Scope::Dynamic)
            .and_then(|(e, t)| Ok((e, dims::expect_num(t, expr.span, "in a `let` definition")?)));
        match lowered {
            Ok((e, d)) => {
                let h = self.m.lets.append(Let {
                    name: name.name.clone(),
                    value: e,
                });
                self.let_states[i] = LetState::Done(h, d);
                Ok((h, d))
            }
            Err(err) => {
                self.let_states[i] = LetState::Failed;
                Err(err)
            }
        }
    }

    /// Lowers and type-checks an expression.
    fn expr(&mut self, e: &Expr, scope: Scope) -> Result<(ExprId, Ty), Diagnostic> {
        exprs::lower(&mut Scoped { cx: self, scope }, e)
    }

    fn numeric(
        &mut self,
        e: &Expr,
        scope: Scope,
        ctx: &str,
    ) -> Result<(ExprId, Option<Dim>), Diagnostic> {
        let (id, t) = self.expr(e, scope)?;
        Ok((id, dims::expect_num(t, e.span, ctx)?))
    }

    fn numeric_or_report(
        &mut self,
        e: &Expr,
        scope: Scope,
        ctx: &str,
    ) -> Option<(ExprId, Option<Dim>)> {
        let r = self.numeric(e, scope, ctx);
        self.report(r)
    }

    fn expr_or_report(&mut self, e: &Expr, scope: Scope) -> Option<(ExprId, Ty)> {
        let r = self.expr(e, scope);
        self.report(r)
    }

    fn report<T>(&mut self, r: Result<T, Diagnostic>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(d) => {
                if !d.code.is_empty() {
                    self.diags.push(d);
                }
                None
            }
        }
    }

    fn check_dim(&mut self, span: Span, what: &str, want: Dim, found: Option<Dim>) -> bool {
        match found {
            Some(f) if f != want => {
                self.diags.push(wrong_dim(span, what, want, f));
                false
            }
            _ => true,
        }
    }
}

/// A model's names, as seen from one kind of expression.
struct Scoped<'c, 'd> {
    cx: &'c mut Cx<'d>,
    scope: Scope,
}

impl Names for Scoped<'_, '_> {
    fn arena(&mut self) -> &mut ExprArena {
        &mut self.cx.m.exprs
    }

    fn name(&mut self, n: &str, span: Span) -> Result<(ExprId, Ty), Diagnostic> {
        let only_params = |what: &str| {
            Diagnostic::error("E0018", format!("`{n}` {what}, but only parameters can be used here"))
                .primary(span, "changes during the simulation")
                .help("initial values, port scales and refractory periods may only use parameters and constants")
        };
        let cx = &mut *self.cx;
        if cx.failed.contains(n) {
            return Err(already_reported());
        }
        let (kind, d) = match cx.syms.get(n).copied() {
            Some(Sym::Param(h)) => match cx.m.params[h].ty {
                ParamType::Scalar(d) => (ExprKind::Param(h), Some(d)),
                ParamType::SpikeTimes => {
                    return Err(Diagnostic::error(
                        "E0018",
                        format!("`{n}` is a list of spike times, not a number"),
                    )
                    .primary(span, "a list")
                    .help("spike-time lists can only be passed to `emit array(...)`"))
                }
            },
            Some(Sym::State(h)) => {
                if self.scope == Scope::Params {
                    return Err(only_params("is a state variable"));
                }
                (ExprKind::State(h), Some(cx.m.states[h].dim))
            }
            Some(Sym::Let(i)) => {
                let (h, d) = cx.lower_let(i)?;
                if self.scope == Scope::Params && let_uses_state(&cx.m, cx.m.lets[h].value) {
                    return Err(only_params("depends on state variables"));
                }
                (ExprKind::Let(h), d)
            }
            None if n == "t" && self.scope == Scope::Dynamic => (ExprKind::Time, Some(Dim::TIME)),
            None => return Err(cx.unknown(n, span)),
        };
        let ty = Ty::Num(d);
        Ok((cx.m.exprs.append(IrExpr { kind, ty: ty.ir() }), ty))
    }

    fn unit_after_number(&mut self, unit: &crate::front::ast::UnitFactor) {
        // Unknown units are E0003's business (`5 v` for `5 * v`).
        let known = spikec_ir::units::lookup_unit(&unit.name).is_some();
        if known && self.cx.syms.contains_key(unit.name.as_str()) {
            let u = &unit.name;
            self.cx.warnings.push(
                Diagnostic::warning(
                    "W0012",
                    format!("`{u}` after a number is the unit, not the model's `{u}`"),
                )
                .primary(unit.span, format!("the unit `{u}`"))
                .help(format!(
                    "a unit written after a number belongs to it (`1 / {u}` is one per {u}); to \
                     use the model's `{u}`, write `1 / ({u})`, or rename it"
                )),
            );
        }
    }
}

fn let_uses_state(m: &Model, e: ExprId) -> bool {
    match &m.exprs[e].kind {
        ExprKind::State(_) | ExprKind::Time => true,
        ExprKind::Let(l) => let_uses_state(m, m.lets[*l].value),
        k => spikec_ir::expr::children(k)
            .into_iter()
            .any(|c| let_uses_state(m, c)),
    }
}

/// Declared unit of a parameter or state, if written (`: nF`).
fn declared_dim(decl: &ast::Decl, diags: &mut Vec<Diagnostic>) -> Option<Option<Dim>> {
    let (units, span) = decl.unit.as_ref()?;
    if decl.weight {
        diags.push(
            Diagnostic::error("E0073", "`: weight` is the weight unit of a synapse model")
                .primary(*span, "only synapse models have a weight")
                .help("write the unit, e.g. `: nA`, or `: 1` for a pure number"),
        );
        return Some(None);
    }
    match resolve_units(units) {
        Ok((d, _)) => Some(Some(d)),
        Err(e) => {
            diags.push(e);
            Some(None)
        }
    }
}

/// Registers parameter declarations (errors go to the diagnostics).
fn declare_params(cx: &mut Cx<'_>, decls: &[&ast::Decl], spans: &mut ModelSpans) {
    let env = ConstEnv::default();
    for decl in decls {
        let name = &decl.name;
        if let Some(&prev) = cx.syms.get(&name.name) {
            let prev_span = cx.declared_at(prev, spans);
            cx.diags.push(duplicate(&name.name, name.span, prev_span));
            continue;
        }
        let errors_before = cx.diags.len();
        let declared = declared_dim(decl, cx.diags);
        let mut default = None;
        let mut default_times = Vec::new();
        let mut ty = None;
        if let Some(v) = &decl.value {
            match env.eval(v) {
                Ok(Const::Num(x, d)) => {
                    if d.is_none() && declared.is_none() {
                        cx.diags.push(Diagnostic::error("E0022", format!("the unit of parameter `{}` is unknown: a bare `{}` fits any unit", name.name, spikec_ir::units::format_number(x)))
                            .primary(v.span, "no unit")
                            .help(format!("write the unit: `{} = {} ms`, or declare it: `{}: ms = {}` (use `: 1` for a pure number)", name.name, spikec_ir::units::format_number(x), name.name, spikec_ir::units::format_number(x))));
                    }
                    let d = d.or(declared.flatten()).unwrap_or(Dim::NONE);
                    default = Some(cx.konst(x, d));
                    ty = Some(ParamType::Scalar(d));
                }
                Ok(Const::List(items)) => {
                    let mut ok = true;
                    for (c, s) in items {
                        match c {
                            Const::Num(t, d) if d.is_none_or(|d| d == Dim::TIME) => {
                                default_times.push(t)
                            }
                            Const::Num(_, Some(d)) => {
                                cx.diags.push(wrong_dim(s, "a spike time", Dim::TIME, d));
                                ok = false;
                            }
                            other => {
                                cx.diags.push(super::consts::not_number(
                                    &other,
                                    s,
                                    "in a spike-time list",
                                ));
                                ok = false;
                            }
                        }
                    }
                    if ok {
                        ty = Some(ParamType::SpikeTimes);
                    }
                }
                Ok(other) => cx.diags.push(super::consts::not_number(
                    &other,
                    v.span,
                    "as a parameter default",
                )),
                Err(mut e) => {
                    if e.code == "E0010" {
                        e = Diagnostic::error("E0018", e.message.replace("cannot find", "parameter defaults must be constants; cannot use"))
                            .primary(v.span, "not a constant")
                            .help("a default is a number with its unit; per-neuron values are set in the population");
                    }
                    cx.diags.push(e);
                }
            }
            if let (Some(Some(want)), Some(ParamType::Scalar(got))) = (declared, &ty) {
                if want != *got && default.is_some_and(|d| !is_poly_const(&cx.m, d)) {
                    cx.diags.push(wrong_dim(
                        v.span,
                        &format!("the default of `{}`", name.name),
                        want,
                        *got,
                    ));
                }
                ty = Some(ParamType::Scalar(want));
            }
        } else {
            match declared {
                Some(Some(d)) => ty = Some(ParamType::Scalar(d)),
                Some(None) => {}
                None => {
                    cx.diags.push(
                        Diagnostic::error(
                            "E0022",
                            format!("parameter `{}` has neither a default nor a unit", name.name),
                        )
                        .primary(name.span, "its dimension is unknown")
                        .help(format!(
                            "give a default (`{} = 1 ms`) or a unit (`{}: ms`)",
                            name.name, name.name
                        )),
                    );
                }
            }
        }
        let ty = ty.unwrap_or(ParamType::Scalar(Dim::NONE));
        let h = cx.m.params.append(Param {
            name: name.name.clone(),
            ty,
            default,
            default_times,
        });
        cx.syms.insert(name.name.clone(), Sym::Param(h));
        spans.params.push(name.span);
        if cx.diags.len() > errors_before {
            cx.failed.insert(name.name.clone());
        }
    }
}

fn is_poly_const(m: &Model, e: ExprId) -> bool {
    matches!(m.exprs[e].kind, ExprKind::Const(v) if v == 0.0 || v.is_infinite())
}

/// E0011.
pub fn duplicate(name: &str, span: Span, prev: Span) -> Diagnostic {
    Diagnostic::error("E0011", format!("`{name}` is defined more than once"))
        .primary(span, "defined again here")
        .secondary(prev, "first defined here")
        .help("rename one of the definitions")
}

/// Lowers a `neuron` declaration.
pub fn lower_neuron(
    decl: &ast::NeuronDecl,
    diags: &mut Vec<Diagnostic>,
) -> (Option<Model>, ModelSpans) {
    let mut spans = ModelSpans {
        name: decl.name.span,
        ..Default::default()
    };
    let before = diags.len();
    let mut cx = Cx::new(empty_model(&decl.name.name), diags);
    let params: Vec<&ast::Decl> = decl
        .stmts
        .iter()
        .filter_map(|s| match s {
            ast::ModelStmt::Parameters(p) => Some(p.iter()),
            _ => None,
        })
        .flatten()
        .collect();
    declare_params(&mut cx, &params, &mut spans);
    // States: declare all first (dimensions come from the initial value or
    // the declared unit), then lower initial values, which may use
    // parameters.
    let states: Vec<&ast::Decl> = decl
        .stmts
        .iter()
        .filter_map(|s| match s {
            ast::ModelStmt::States(p) => Some(p.iter()),
            _ => None,
        })
        .flatten()
        .collect();
    let mut pending = Vec::new();
    for st in &states {
        if let Some(&prev) = cx.syms.get(&st.name.name) {
            let prev = cx.declared_at(prev, &spans);
            cx.diags.push(duplicate(&st.name.name, st.name.span, prev));
            continue;
        }
        let declared = declared_dim(st, cx.diags).flatten();
        let placeholder = cx.konst(0.0, Dim::NONE);
        let h = cx.m.states.append(State {
            name: st.name.name.clone(),
            dim: declared.unwrap_or(Dim::NONE),
            init: placeholder,
        });
        cx.syms.insert(st.name.name.clone(), Sym::State(h));
        spans.states.push(st.name.span);
        pending.push((h, *st, declared));
    }
    for s in &decl.stmts {
        if let ast::ModelStmt::Let(name, e) = s {
            if let Some(&prev) = cx.syms.get(&name.name) {
                let prev = cx.declared_at(prev, &spans);
                cx.diags.push(duplicate(&name.name, name.span, prev));
                continue;
            }
            cx.syms.insert(name.name.clone(), Sym::Let(cx.lets.len()));
            cx.lets.push((name.clone(), e.clone()));
            cx.let_states.push(LetState::Pending);
        }
    }
    // Initial values: the state's dimension is the initial value's, unless
    // declared.
    for (h, st, declared) in pending {
        let Some(v) = &st.value else {
            if declared.is_none() {
                cx.diags.push(
                    Diagnostic::error(
                        "E0022",
                        format!(
                            "state `{}` has neither an initial value nor a unit",
                            st.name.name
                        ),
                    )
                    .primary(st.name.span, "its dimension is unknown")
                    .help(format!(
                        "give an initial value, e.g. `state {} = 0 mV`",
                        st.name.name
                    )),
                );
            }
            let z = cx.konst(0.0, declared.unwrap_or(Dim::NONE));
            cx.m.states[h].init = z;
            continue;
        };
        if let Some((id, d)) = cx.numeric_or_report(v, Scope::Params, "as an initial value") {
            let dim = match (declared, d) {
                (Some(want), Some(got)) if want != got => {
                    cx.diags.push(wrong_dim(
                        v.span,
                        &format!("the initial value of `{}`", st.name.name),
                        want,
                        got,
                    ));
                    want
                }
                (Some(want), _) => want,
                (None, Some(got)) => got,
                (None, None) => Dim::NONE,
            };
            cx.m.states[h].dim = dim;
            cx.m.states[h].init = id;
        } else if declared.is_none() {
            // Its dimension is unknown: do not guess it at every use.
            cx.failed.insert(st.name.name.clone());
        }
    }
    // Lower every definition, in order (those that initial values use are
    // done already), so that unused ones are checked too.
    for i in 0..cx.lets.len() {
        let r = cx.lower_let(i);
        cx.report(r);
    }
    let mut odes: Vec<Ode> = Vec::new();
    let mut ode_spans: Vec<Span> = Vec::new();
    let mut ports: Vec<Port> = Vec::new();
    let mut spike = None;
    let mut spike_span = Span::DUMMY;
    let mut reset = Vec::new();
    let mut refractory_decl: Option<&ast::RefractoryDecl> = None;
    for s in &decl.stmts {
        match s {
            ast::ModelStmt::Ode(name, rhs) => {
                let st = match cx.syms.get(&name.name) {
                    Some(Sym::State(h)) => *h,
                    Some(_) => {
                        cx.diags.push(
                            Diagnostic::error(
                                "E0030",
                                format!(
                                    "`{}` is not a state variable, so it cannot have a derivative",
                                    name.name
                                ),
                            )
                            .primary(name.span, "a parameter or definition")
                            .help(format!(
                                "declare it with `state {} = ...` if it changes over time",
                                name.name
                            )),
                        );
                        continue;
                    }
                    None => {
                        let mut d = Diagnostic::error(
                            "E0030",
                            format!("derivative of unknown state variable `{}`", name.name),
                        )
                        .primary(name.span, "no such state");
                        let states: Vec<&str> =
                            cx.m.states.iter().map(|(_, s)| s.name.as_str()).collect();
                        d = match did_you_mean(&name.name, states) {
                            Some(h) => d.help(h),
                            None => {
                                d.help(format!("declare it first: `state {} = ...`", name.name))
                            }
                        };
                        cx.diags.push(d);
                        continue;
                    }
                };
                if let Some(i) = odes.iter().position(|o| o.state == st) {
                    cx.diags.push(
                        Diagnostic::error(
                            "E0031",
                            format!("`{}` has more than one equation", name.name),
                        )
                        .primary(name.span, "second equation")
                        .secondary(ode_spans[i], "first equation")
                        .help("combine the terms into one right-hand side"),
                    );
                    continue;
                }
                if let Some((id, d)) =
                    cx.numeric_or_report(rhs, Scope::Dynamic, "on the right of an equation")
                {
                    let want = cx.m.states[st].dim.per(Dim::TIME);
                    if let Some(got) = d {
                        if got != want {
                            cx.diags.push(Diagnostic::error("E0021", format!("the derivative of `{}` must be {}, found {}", name.name, dim_text(Some(want)), dim_text(Some(got))))
                                .primary(rhs.span, format!("this is {}", dim_text(Some(got))))
                                .secondary(name.span, format!("`{}` is {}", name.name, dim_text(Some(cx.m.states[st].dim))))
                                .help("a derivative is the state's unit per time: divide by a time constant (e.g. `/ tau_m`) or check the units of the terms"));
                            continue;
                        }
                    }
                    odes.push(Ode { state: st, rhs: id });
                    ode_spans.push(name.span);
                }
            }
            ast::ModelStmt::Inputs(list) => {
                for p in list {
                    if let Some(i) = ports.iter().position(|q| q.name == p.name.name) {
                        cx.diags
                            .push(duplicate(&p.name.name, p.name.span, spans.ports[i]));
                        continue;
                    }
                    let Some(Sym::State(target)) = cx.syms.get(&p.target.name).copied() else {
                        let states: Vec<&str> =
                            cx.m.states.iter().map(|(_, s)| s.name.as_str()).collect();
                        let mut d = Diagnostic::error(
                            "E0032",
                            format!(
                                "input port `{}` must target a state variable, and `{}` is not one",
                                p.name.name, p.target.name
                            ),
                        )
                        .primary(p.target.span, "not a state variable");
                        d = match did_you_mean(&p.target.name, states) {
                            Some(h) => d.help(h),
                            None => d.help("a spike on the port adds its weight to a state variable, e.g. `input excitatory -> isyn_exc`"),
                        };
                        cx.diags.push(d);
                        continue;
                    };
                    let sdim = cx.m.states[target].dim;
                    let (scale, sdim_scale) = match &p.scale {
                        Some(e) => {
                            match cx.numeric_or_report(e, Scope::Params, "as a port scale") {
                                Some((id, d)) => (Some(id), d.unwrap_or(Dim::NONE)),
                                None => continue,
                            }
                        }
                        None => (None, Dim::NONE),
                    };
                    // The kind follows what a weight is (a current, a
                    // conductance, a voltage jump), not the state it lands
                    // in: an alpha synapse's auxiliary state is nA/ms.
                    let weight_dim = sdim.per(sdim_scale);
                    let kind = if weight_dim == Dim::CURRENT {
                        PortKind::Current
                    } else if weight_dim == Dim::CONDUCTANCE {
                        PortKind::Conductance
                    } else if weight_dim == Dim::VOLTAGE {
                        PortKind::Voltage
                    } else {
                        PortKind::Other
                    };
                    ports.push(Port {
                        name: p.name.name.clone(),
                        target,
                        scale,
                        weight_dim,
                        kind,
                    });
                    spans.ports.push(p.name.span);
                }
            }
            ast::ModelStmt::Spike {
                condition,
                resets,
                refractory,
                span,
            } => {
                if spike.is_some() {
                    cx.diags.push(
                        Diagnostic::error(
                            "E0011",
                            "a model has one spike condition, but this is the second",
                        )
                        .primary(*span, "second `spike`")
                        .secondary(spike_span, "first `spike`")
                        .help("combine the conditions with `or`"),
                    );
                    continue;
                }
                spike_span = *span;
                if let Some((id, t)) = cx.expr_or_report(condition, Scope::Dynamic) {
                    if cx
                        .report(dims::expect_bool(t, condition.span, "after `spike`"))
                        .is_some()
                    {
                        spike = Some(id);
                    }
                }
                for (target, value) in resets {
                    let Some(Sym::State(h)) = cx.syms.get(&target.name).copied() else {
                        cx.diags.push(Diagnostic::error("E0032", format!("`{}` is not a state variable and cannot be reset", target.name))
                            .primary(target.span, "not a state variable")
                            .help("a reset block assigns new values to state variables, e.g. `{ v = v_reset }`"));
                        continue;
                    };
                    if let Some((id, d)) = cx.numeric_or_report(value, Scope::Dynamic, "in a reset")
                    {
                        let want = cx.m.states[h].dim;
                        if cx.check_dim(
                            value.span,
                            &format!("the new value of `{}`", target.name),
                            want,
                            d,
                        ) {
                            reset.push((h, id));
                        }
                    }
                }
                if let Some(r) = refractory {
                    refractory_decl = Some(r);
                }
            }
            ast::ModelStmt::Refractory(r) => {
                if let Some(prev) = refractory_decl {
                    cx.diags.push(
                        Diagnostic::error("E0011", "refractoriness is declared twice")
                            .primary(r.span, "second declaration")
                            .secondary(prev.span, "first declaration")
                            .help("keep one `refractory` clause"),
                    );
                    continue;
                }
                refractory_decl = Some(r);
            }
            _ => {}
        }
    }
    let mut refractory = None;
    if let Some(r) = refractory_decl {
        let period = cx.numeric(&r.period, Scope::Params, "as a refractory period");
        if let Some((period, d)) = cx.report(period) {
            if cx.check_dim(r.period.span, "a refractory period", Dim::TIME, d) {
                let clamp = match &r.clamp {
                    Some(c) => match cx.syms.get(&c.name) {
                        Some(Sym::State(h)) => Some(*h),
                        _ => {
                            cx.diags.push(
                                Diagnostic::error(
                                    "E0032",
                                    format!(
                                        "`{}` is not a state variable and cannot be clamped",
                                        c.name
                                    ),
                                )
                                .primary(c.span, "not a state variable")
                                .help("name the membrane potential, e.g. `clamp v`"),
                            );
                            None
                        }
                    },
                    None => {
                        match spike.map(|s| condition_states(&cx.m, s)) {
                            Some(states) if states.len() == 1 => Some(states[0]),
                            Some(_) => {
                                cx.diags.push(Diagnostic::error("E0034", "cannot tell which variable the refractory period clamps")
                                .primary(r.span, "refractoriness declared here")
                                .secondary(spike_span, "this condition does not name exactly one state variable")
                                .help("say which state is held at its reset value: `refractory t_ref clamp v`"));
                                None
                            }
                            None => {
                                cx.diags.push(Diagnostic::error("E0034", "refractory period in a model that never spikes")
                                .primary(r.span, "no `spike` condition to start it")
                                .help("add `spike v >= v_thresh { v = v_reset }` before `refractory`"));
                                None
                            }
                        }
                    }
                };
                refractory = clamp.map(|clamp| Refractory { period, clamp });
            }
        }
    }
    let class = classify_odes(&cx.m, &odes);
    let mut solver = None;
    for s in &decl.stmts {
        if let ast::ModelStmt::Solver(name) = s {
            match spikec_ir::program::Scheme::from_name(&name.name) {
                Some(scheme) => solver = Some(scheme),
                None => {
                    let d = Diagnostic::error("E0016", format!("unknown solver `{}`", name.name))
                        .primary(name.span, "not a solver");
                    cx.diags.push(match did_you_mean(&name.name, ["euler", "rk4"]) {
                        Some(h) => d.help(h),
                        None => d.help("solvers: `euler` (forward Euler) and `rk4` (fourth-order Runge-Kutta); linear models are integrated exactly"),
                    });
                }
            }
        }
    }
    cx.m.body = ModelBody::Neuron(Dynamics {
        odes,
        ports,
        spike,
        reset,
        refractory,
        class,
        solver,
    });
    let ok = cx.diags.len() == before;
    let warnings = std::mem::take(&mut cx.warnings);
    cx.diags.extend(warnings);
    let m = cx.m;
    (ok.then_some(m), spans)
}

/// States that a condition reads (directly or through definitions).
fn condition_states(m: &Model, e: ExprId) -> Vec<Handle<State>> {
    let mut out = Vec::new();
    let mut stack = vec![e];
    while let Some(x) = stack.pop() {
        match &m.exprs[x].kind {
            ExprKind::State(h) => {
                if !out.contains(h) {
                    out.push(*h)
                }
            }
            ExprKind::Let(l) => stack.push(m.lets[*l].value),
            k => stack.extend(spikec_ir::expr::children(k)),
        }
    }
    out
}

/// Parameters that no expression of the model reads.
pub fn unused_params(m: &Model) -> Vec<Handle<Param>> {
    let mut used = vec![false; m.params.len()];
    for (_, e) in m.exprs.iter() {
        if let ExprKind::Param(h) = e.kind {
            used[h.index()] = true;
        }
    }
    if let ModelBody::Source(Generator::Array { times }) = &m.body {
        if let Some(u) = used.get_mut(times.index()) {
            *u = true;
        }
    }
    m.params
        .iter()
        .filter(|(h, _)| !used[h.index()])
        .map(|(h, _)| h)
        .collect()
}
