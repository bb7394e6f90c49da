//! Lowering `alias` declarations: a copy of a base model with renamed
//! parameters, states and ports, and new defaults.

use super::{Cx, ModelSpans, Scope, Sym};
use crate::diag::{did_you_mean, Diagnostic};
use crate::front::ast;
use crate::front::lower::consts::{Const, ConstEnv};
use spikec_ir::model::*;

/// Builds an alias of `base`: renames and new defaults.
pub fn lower_alias(
    decl: &ast::AliasDecl,
    base: &Model,
    base_spans: &ModelSpans,
    diags: &mut Vec<Diagnostic>,
) -> (Option<Model>, ModelSpans) {
    let before = diags.len();
    let mut m = base.clone();
    m.name = decl.name.name.clone();
    m.alias_of = Some(base.alias_of.clone().unwrap_or_else(|| base.name.clone()));
    let mut spans = base_spans.clone();
    spans.name = decl.name.span;
    // First all renames, so new defaults can use the new names.
    for item in &decl.items {
        let old = item.renames.as_ref().unwrap_or(&item.name);
        let found = m
            .param(&old.name)
            .map(|h| m.params[h].name = item.name.name.clone())
            .is_some()
            || m.state(&old.name)
                .map(|h| m.states[h].name = item.name.name.clone())
                .is_some()
            || match &mut m.body {
                ModelBody::Neuron(d) => d
                    .ports
                    .iter_mut()
                    .find(|p| p.name == old.name)
                    .map(|p| p.name = item.name.name.clone())
                    .is_some(),
                ModelBody::Source(_) => false,
            };
        if !found {
            let mut names: Vec<&str> = base.params.iter().map(|(_, p)| p.name.as_str()).collect();
            names.extend(base.states.iter().map(|(_, s)| s.name.as_str()));
            let mut d = Diagnostic::error(
                "E0015",
                format!(
                    "model `{}` has no parameter, state or port `{}`",
                    base.name, old.name
                ),
            )
            .primary(old.span, "not found in the base model");
            d = match did_you_mean(&old.name, names) {
                Some(h) => d.help(h),
                None => d.help("`NEW for OLD` renames a name of the base model"),
            };
            diags.push(d);
        }
    }
    let mut cx = Cx::new(m, diags);
    let env = ConstEnv::default();
    for item in &decl.items {
        let Some(v) = &item.value else { continue };
        match cx.syms.get(&item.name.name).copied() {
            Some(Sym::Param(h)) => match (&cx.m.params[h].ty, env.eval(v)) {
                (ParamType::Scalar(want), Ok(Const::Num(x, d))) => {
                    let want = *want;
                    if cx.check_dim(
                        v.span,
                        &format!("the default of `{}`", item.name.name),
                        want,
                        d,
                    ) {
                        let id = cx.konst(x, want);
                        cx.m.params[h].default = Some(id);
                    }
                }
                (ParamType::SpikeTimes, Ok(Const::List(items))) => {
                    cx.m.params[h].default_times = items
                        .iter()
                        .filter_map(|(c, _)| match c {
                            Const::Num(t, _) => Some(*t),
                            _ => None,
                        })
                        .collect();
                }
                (_, Ok(other)) => cx.diags.push(crate::front::lower::consts::not_number(
                    &other,
                    v.span,
                    "as a default",
                )),
                (_, Err(e)) => cx.diags.push(e),
            },
            Some(Sym::State(h)) => {
                let r = cx.numeric(v, Scope::Params, "as an initial value");
                if let Some((id, d)) = cx.report(r) {
                    let want = cx.m.states[h].dim;
                    if cx.check_dim(
                        v.span,
                        &format!("the initial value of `{}`", item.name.name),
                        want,
                        d,
                    ) {
                        cx.m.states[h].init = id;
                    }
                }
            }
            _ => {
                if item.renames.is_none() && cx.diags.len() == before {
                    cx.diags.push(
                        Diagnostic::error(
                            "E0015",
                            format!(
                                "model `{}` has no parameter or state `{}`",
                                base.name, item.name.name
                            ),
                        )
                        .primary(item.name.span, "not found in the base model")
                        .help("only parameters and states have defaults"),
                    );
                }
            }
        }
    }
    let ok = cx.diags.len() == before;
    (ok.then_some(cx.m), spans)
}
