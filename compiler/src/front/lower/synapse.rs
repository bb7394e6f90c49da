//! Instantiating a `synapse` model for one projection.
//!
//! A synapse model is lowered at each use rather than once, because its
//! weight `w` (and anything declared `: weight`) takes the unit of the
//! projection's port: the same STDP rule serves a current port (nA) and a
//! conductance port (uS). Parameters are folded to constants here, the
//! call's arguments overriding the defaults, so the IR instance holds
//! numbers and the simulator evaluates nothing but the event blocks.
//! Errors point into the model's declaration, or at the call for the
//! arguments; every error is E0073 unless a shared check (units,
//! arguments, names) has its own code.

use std::collections::{HashMap, HashSet};

use super::consts::{Const, ConstEnv};
use super::dims::{self, Ty};
use super::exprs::{self, Names};
use super::units::resolve_units;
use super::values::bind;
use crate::diag::{did_you_mean, Diagnostic};
use crate::front::ast::{Arg, Decl, Expr, ExprKind as AK, Ident, SynapseDecl};
use spikec_ir::expr::{Expr as IrExpr, ExprArena, ExprId, ExprKind, Type};
use spikec_ir::model::State;
use spikec_ir::synapse::{SynapseModel, Trace, TraceSide, Update};
use spikec_ir::{Arena, Dim, Handle, Span};

/// What a name in an event block means.
#[derive(Clone, Copy)]
enum Sym {
    Param(f64, Dim),
    State(Handle<State>, Dim),
    Trace(u32),
}

struct Scope<'a> {
    arena: &'a mut ExprArena,
    syms: &'a HashMap<String, Sym>,
    /// Names whose declaration had an error, already reported.
    failed: &'a HashSet<String>,
}

/// Stands for an error already reported (a use of a name whose
/// declaration failed), so that it is not reported again.
fn already_reported() -> Diagnostic {
    Diagnostic::error("", "")
}

impl Names for Scope<'_> {
    fn arena(&mut self) -> &mut ExprArena {
        self.arena
    }

    fn name(&mut self, name: &str, span: Span) -> Result<(ExprId, Ty), Diagnostic> {
        let (kind, dim) = match self.syms.get(name) {
            Some(Sym::Param(v, d)) => (ExprKind::Const(*v), *d),
            Some(Sym::State(h, d)) => (ExprKind::State(*h), *d),
            Some(Sym::Trace(i)) => (ExprKind::Trace(*i), Dim::NONE),
            None if self.failed.contains(name) => return Err(already_reported()),
            None => {
                let d = Diagnostic::error("E0010", format!("cannot find `{name}` in this scope"))
                    .primary(span, "not found");
                return Err(
                    match did_you_mean(name, self.syms.keys().map(String::as_str)) {
                        Some(h) => d.help(h),
                        None => d.help(
                            "a synapse model's blocks can use its parameters, `w`, its states and its traces",
                        ),
                    },
                );
            }
        };
        let id = self.arena.append(IrExpr {
            kind,
            ty: Type::Num(dim),
        });
        Ok((id, Ty::Num(Some(dim))))
    }
}

fn error(message: impl Into<String>, span: Span, label: &str, help: &str) -> Diagnostic {
    Diagnostic::error("E0073", message)
        .primary(span, label)
        .help(help.to_string())
}

/// The dimension a declaration states (`: nA`, `: 1`, `: weight`), if any.
fn declared(decl: &Decl, weight_dim: Dim) -> Result<Option<Dim>, Diagnostic> {
    match &decl.unit {
        None => Ok(None),
        Some(_) if decl.weight => Ok(Some(weight_dim)),
        Some((units, _)) => resolve_units(units).map(|(d, _)| Some(d)),
    }
}

/// A constant of dimension `want` (when known) or of its own dimension.
fn constant(
    env: &ConstEnv,
    e: &Expr,
    want: Option<Dim>,
    what: &str,
) -> Result<(f64, Dim), Diagnostic> {
    match want {
        Some(d) => env.number(e, d, what).map(|v| (v, d)),
        None => match env.eval(e)? {
            Const::Num(v, d) => Ok((v, d.unwrap_or(Dim::NONE))),
            other => Err(super::consts::not_number(&other, e.span, what)),
        },
    }
}

/// Instantiates `decl`, used as `synapse NAME(args)` at `call_span`, for a
/// projection whose weights have dimension `weight_dim`. `env` holds the
/// network's parameters, which the arguments may use.
pub fn instantiate(
    decl: &SynapseDecl,
    call_span: Span,
    args: &[Arg],
    weight_dim: Dim,
    env: &ConstEnv,
    diags: &mut Vec<Diagnostic>,
) -> Option<SynapseModel> {
    let before = diags.len();
    let mut failed: HashSet<String> = HashSet::new();
    let model = &decl.name.name;
    let mut syms: HashMap<String, Sym> = HashMap::new();
    let mut declared_at: HashMap<String, Span> = HashMap::new();
    let mut fresh = |name: &Ident, diags: &mut Vec<Diagnostic>| -> bool {
        if name.name == "w" {
            diags.push(error(
                "`w` is the synapse's weight and is always declared",
                name.span,
                "`w` again",
                "use another name",
            ));
            return false;
        }
        if let Some(prev) = declared_at.get(&name.name) {
            diags.push(super::models::duplicate(&name.name, name.span, *prev));
            return false;
        }
        declared_at.insert(name.name.clone(), name.span);
        true
    };

    // Parameters: the call's arguments, else the defaults. A default may
    // use the network's parameters and the model's earlier ones.
    let names: Vec<&str> = decl.params.iter().map(|p| p.name.name.as_str()).collect();
    let slots = match bind(model, call_span, args, &names, 0) {
        Ok(s) => s,
        Err(d) => {
            diags.push(d);
            return None;
        }
    };
    let mut inner = ConstEnv {
        params: env.params.clone(),
        ..Default::default()
    };
    let mut params = Vec::new();
    for (p, slot) in decl.params.iter().zip(&slots) {
        if !fresh(&p.name, diags) {
            continue;
        }
        let want = match declared(p, weight_dim) {
            Ok(w) => w,
            Err(d) => {
                diags.push(d);
                failed.insert(p.name.name.clone());
                continue;
            }
        };
        let what = format!("parameter `{}` of synapse model `{model}`", p.name.name);
        // A default is only evaluated when it is used: a `: weight`
        // default is written for one kind of port (the standard library's
        // NEST models give pA), and an argument replaces it on the others.
        let value = match (slot, &p.value) {
            (Some(e), Some(v)) if want.is_none() => {
                // Undeclared: the default's unit is the parameter's.
                match constant(&inner, v, None, &what) {
                    Ok((_, d)) => constant(env, e, Some(d), &what),
                    Err(_) => constant(env, e, None, &what),
                }
            }
            (Some(e), _) => constant(env, e, want, &what),
            (None, Some(v)) => constant(&inner, v, want, &what),
            (None, None) => Err(error(
                format!(
                    "synapse model `{model}` needs a value for `{}`",
                    p.name.name
                ),
                call_span,
                "missing parameter",
                &format!(
                    "give it here, e.g. `synapse {model}({} = ...)`, or a default in the model",
                    p.name.name
                ),
            )
            .secondary(p.name.span, "declared without a default")),
        };
        match value {
            Ok((v, d)) => {
                inner.params.insert(p.name.name.clone(), (v, d));
                syms.insert(p.name.name.clone(), Sym::Param(v, d));
                params.push((p.name.name.clone(), v, d));
            }
            Err(d) => {
                diags.push(d);
                failed.insert(p.name.name.clone());
            }
        }
    }

    // Per-synapse variables: `w`, then the declared ones.
    let mut exprs = ExprArena::new();
    let mut states: Arena<State> = Arena::new();
    let nan = exprs.append(IrExpr {
        kind: ExprKind::Const(f64::NAN),
        ty: Type::Num(weight_dim),
    });
    let w = states.append(State {
        name: "w".into(),
        dim: weight_dim,
        init: nan,
    });
    syms.insert("w".into(), Sym::State(w, weight_dim));
    for s in &decl.states {
        if !fresh(&s.name, diags) {
            continue;
        }
        let want = match declared(s, weight_dim) {
            Ok(w) => w,
            Err(d) => {
                diags.push(d);
                failed.insert(s.name.name.clone());
                continue;
            }
        };
        let what = format!("the initial value of `{}`", s.name.name);
        let (v, d) = match &s.value {
            Some(e) => match constant(&inner, e, want, &what) {
                Ok(x) => x,
                Err(d) => {
                    diags.push(d);
                    failed.insert(s.name.name.clone());
                    continue;
                }
            },
            None => (0.0, want.unwrap_or(Dim::NONE)),
        };
        let init = exprs.append(IrExpr {
            kind: ExprKind::Const(v),
            ty: Type::Num(d),
        });
        let h = states.append(State {
            name: s.name.name.clone(),
            dim: d,
            init,
        });
        syms.insert(s.name.name.clone(), Sym::State(h, d));
    }

    // Traces: `pre(tau, jump = 1, nearest = false)` or `post(...)`.
    let mut traces = Vec::new();
    for (name, call) in &decl.traces {
        if !fresh(name, diags) {
            continue;
        }
        // Until it is known to be good.
        failed.insert(name.name.clone());
        let help = "write `trace x = pre(20 ms)` or `trace y = post(tau, jump = 1, nearest = false, inclusive = false, initial = 0)`";
        let AK::Call { callee, args } = &call.kind else {
            diags.push(error(
                "a trace is `pre(...)` or `post(...)`",
                call.span,
                "not a trace",
                help,
            ));
            continue;
        };
        let side = match callee.name.as_str() {
            "pre" => TraceSide::Pre,
            "post" => TraceSide::Post,
            other => {
                diags.push(error(
                    format!("a trace follows `pre` or `post` spikes, not `{other}`"),
                    callee.span,
                    "unknown side",
                    help,
                ));
                continue;
            }
        };
        let slots = match bind(
            &callee.name,
            call.span,
            args,
            &["tau", "jump", "nearest", "inclusive", "initial"],
            1,
        ) {
            Ok(s) => s,
            Err(d) => {
                diags.push(d);
                continue;
            }
        };
        let tau = slots[0].map(|e| inner.number(e, Dim::TIME, "a trace's time constant"));
        let jump = slots[1].map_or(Ok(1.0), |e| inner.number(e, Dim::NONE, "a trace's jump"));
        let nearest = slots[2].map_or(Ok(false), |e| inner.boolean(e, "nearest"));
        let inclusive = slots[3].map_or(Ok(false), |e| inner.boolean(e, "inclusive"));
        let initial = slots[4].map_or(Ok(0.0), |e| {
            inner.number(e, Dim::NONE, "a trace's initial value")
        });
        match (tau, jump, nearest, inclusive, initial) {
            (Some(Ok(tau)), Ok(jump), Ok(nearest), Ok(inclusive), Ok(initial)) => {
                if !(tau > 0.0 && tau.is_finite() && jump.is_finite() && initial.is_finite()) {
                    diags.push(error(
                        format!(
                            "trace `{}` needs a positive, finite time constant, jump and initial value",
                            name.name
                        ),
                        call.span,
                        "cannot decay",
                        help,
                    ));
                    continue;
                }
                failed.remove(&name.name);
                syms.insert(name.name.clone(), Sym::Trace(traces.len() as u32));
                traces.push(Trace {
                    name: name.name.clone(),
                    side,
                    tau,
                    jump,
                    nearest,
                    inclusive,
                    initial,
                });
            }
            (tau, jump, nearest, inclusive, initial) => {
                for e in [
                    tau.and_then(Result::err),
                    jump.err(),
                    nearest.err(),
                    inclusive.err(),
                    initial.err(),
                ]
                .into_iter()
                .flatten()
                {
                    diags.push(e);
                }
            }
        }
    }

    // Event blocks: assignments to `w` and the states, in order.
    let mut on_pre = Vec::new();
    let mut on_post = Vec::new();
    let mut silent = false;
    let mut seen: [Option<Span>; 2] = [None, None];
    for block in &decl.blocks {
        let slot = usize::from(!block.pre);
        if let Some(prev) = seen[slot] {
            diags.push(
                error(
                    format!(
                        "`on {}` is given twice",
                        if block.pre { "pre" } else { "post" }
                    ),
                    block.span,
                    "second block",
                    "put all of an event's assignments in one block; they run in order",
                )
                .secondary(prev, "first block"),
            );
            continue;
        }
        seen[slot] = Some(block.span);
        let out = if block.pre { &mut on_pre } else { &mut on_post };
        for (target, value) in &block.assigns {
            let (h, dim) = match syms.get(&target.name) {
                Some(Sym::State(h, d)) => (*h, *d),
                Some(Sym::Param(..)) => {
                    diags.push(error(
                        format!("`{}` is a parameter, which cannot change", target.name),
                        target.span,
                        "a parameter",
                        "assign `w` or a variable declared with `state`",
                    ));
                    continue;
                }
                Some(Sym::Trace(_)) => {
                    diags.push(error(
                        format!("`{}` is a trace, which only its spikes change", target.name),
                        target.span,
                        "a trace",
                        "traces jump at their neuron's spikes and decay by themselves; assign `w` or a `state`",
                    ));
                    continue;
                }
                None if failed.contains(&target.name) => continue,
                None => {
                    let d = Diagnostic::error(
                        "E0010",
                        format!("cannot find `{}` in this scope", target.name),
                    )
                    .primary(target.span, "not found");
                    diags.push(
                        match did_you_mean(&target.name, syms.keys().map(String::as_str)) {
                            Some(h) => d.help(h),
                            None => d.help("declare it with `state` in the synapse model"),
                        },
                    );
                    continue;
                }
            };
            let mut scope = Scope {
                arena: &mut exprs,
                syms: &syms,
                failed: &failed,
            };
            let lowered = exprs::lower(&mut scope, value).and_then(|(id, t)| {
                let found = dims::expect_num(t, value.span, "in an assignment")?;
                match found {
                    Some(f) if f != dim => Err(super::consts::wrong_dim(
                        value.span,
                        &format!("the new value of `{}`", target.name),
                        dim,
                        f,
                    )),
                    _ => Ok(id),
                }
            });
            match lowered {
                Ok(id) => out.push(Update {
                    state: h,
                    value: id,
                }),
                Err(d) if d.code.is_empty() => silent = true,
                Err(d) => diags.push(d),
            }
        }
    }
    if diags.len() > before || silent || !failed.is_empty() {
        return None;
    }
    Some(SynapseModel {
        name: model.clone(),
        params,
        states,
        traces,
        exprs,
        on_pre,
        on_post,
    })
}
