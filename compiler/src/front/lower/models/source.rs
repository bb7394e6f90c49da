//! Lowering `source_model` declarations: parameters and the one `emit`
//! that says how spikes are generated.

use super::{declare_params, empty_model, Cx, ModelSpans, Scope, Sym};
use crate::diag::Diagnostic;
use crate::front::ast::{self, Expr, ExprKind as AK};
use spikec_ir::model::*;
use spikec_ir::Dim;

/// Lowers a `source_model` declaration.
pub fn lower_source(
    decl: &ast::SourceModelDecl,
    diags: &mut Vec<Diagnostic>,
) -> (Option<Model>, ModelSpans) {
    let mut spans = ModelSpans {
        name: decl.name.span,
        ..Default::default()
    };
    let before = diags.len();
    let mut cx = Cx::new(empty_model(&decl.name.name), diags);
    let params: Vec<&ast::Decl> = decl.params.iter().collect();
    declare_params(&mut cx, &params, &mut spans);
    let help = "a source model emits with exactly one `emit poisson(rate, start, stop)` or `emit array(spike_times)`";
    let generator = match decl.emits.as_slice() {
        [one] => lower_emit(&mut cx, one, help),
        [] => {
            cx.diags.push(
                Diagnostic::error(
                    "E0035",
                    format!(
                        "source model `{}` does not say how it emits spikes",
                        decl.name.name
                    ),
                )
                .primary(decl.name.span, "no `emit`")
                .help(help),
            );
            None
        }
        [_, second, ..] => {
            cx.diags.push(
                Diagnostic::error(
                    "E0035",
                    format!("source model `{}` has more than one `emit`", decl.name.name),
                )
                .primary(second.span, "second `emit`")
                .help(help),
            );
            None
        }
    };
    if let Some(g) = generator {
        cx.m.body = ModelBody::Source(g);
    }
    let ok = cx.diags.len() == before;
    (ok.then_some(cx.m), spans)
}

fn lower_emit(cx: &mut Cx<'_>, e: &Expr, help: &str) -> Option<Generator> {
    let AK::Call { callee, args } = &e.kind else {
        return None;
    };
    match callee.name.as_str() {
        "poisson" => {
            if args.len() != 3 || args.iter().any(|a| a.name.is_some()) {
                cx.diags.push(
                    Diagnostic::error(
                        "E0035",
                        "`emit poisson` takes three positional arguments: rate, start, stop",
                    )
                    .primary(e.span, "wrong arguments")
                    .help(help),
                );
                return None;
            }
            let mut out = Vec::new();
            for (a, (what, want)) in args.iter().zip([
                ("the rate", Dim::FREQUENCY),
                ("the start time", Dim::TIME),
                ("the stop time", Dim::TIME),
            ]) {
                let r = cx.numeric(&a.value, Scope::Params, "in `emit`");
                let (id, d) = cx.report(r)?;
                if !cx.check_dim(a.value.span, what, want, d) {
                    return None;
                }
                out.push(id);
            }
            Some(Generator::Poisson {
                rate: out[0],
                start: out[1],
                stop: out[2],
            })
        }
        "array" => {
            let p = match args.as_slice() {
                [a] => match &a.value.kind {
                    AK::Name(n) => match cx.syms.get(n) {
                        Some(Sym::Param(h)) if cx.m.params[*h].ty == ParamType::SpikeTimes => {
                            Some(*h)
                        }
                        _ => None,
                    },
                    _ => None,
                },
                _ => None,
            };
            if p.is_none() {
                cx.diags.push(Diagnostic::error("E0035", "`emit array` takes one spike-time list parameter")
                    .primary(e.span, "not a spike-time parameter")
                    .help("declare `parameter spike_times = []` and write `emit array(spike_times)`"));
            }
            p.map(|times| Generator::Array { times })
        }
        other => {
            cx.diags.push(
                Diagnostic::error("E0035", format!("unknown spike generator `{other}`"))
                    .primary(callee.span, "not `poisson` or `array`")
                    .help(help),
            );
            None
        }
    }
}
