//! The model library of one compilation: the standard library, imported
//! files and the user's own models, lowered to IR models and looked up by
//! name. User models shadow standard ones (with a warning), like a local
//! item shadows Rust's prelude.

use std::collections::HashMap;

use super::models::{
    duplicate, lower_alias, lower_neuron, lower_source, unused_params, ModelSpans,
};
use crate::diag::{did_you_mean, Diagnostic};
use crate::front::ast::{Item, NetItem, SynapseDecl};
use crate::front::load::Program;
use spikec_ir::model::Model;
use spikec_ir::Span;

/// A lowered model and where it came from.
pub struct Entry {
    /// The model (`None` if it had errors, already reported).
    pub model: Option<Model>,
    /// Its spans.
    pub spans: ModelSpans,
    /// Whether it is from the embedded standard library.
    pub stdlib: bool,
}

/// Models by name.
#[derive(Default)]
pub struct Library {
    entries: Vec<Entry>,
    by_name: HashMap<String, usize>,
    /// Synapse models, kept as declarations: each projection that uses
    /// one instantiates it in its own weight unit.
    synapses: HashMap<String, (SynapseDecl, bool)>,
}

impl Library {
    /// Looks a model up, with a "did you mean" diagnostic on failure.
    pub fn get(&self, name: &str, span: Span) -> Result<Option<&Entry>, Diagnostic> {
        match self.by_name.get(name) {
            Some(&i) => Ok(Some(&self.entries[i])),
            None => {
                let d = Diagnostic::error("E0012", format!("unknown model `{name}`"))
                    .primary(span, "no model of this name");
                Err(match did_you_mean(name, self.by_name.keys().map(String::as_str)) {
                    Some(h) => d.help(h),
                    None => d.help("define it with `neuron` or `source_model`, import a file that does, or use a standard model such as `IF_curr_exp`"),
                })
            }
        }
    }

    /// A synapse model by name.
    pub fn synapse(&self, name: &str) -> Option<&SynapseDecl> {
        self.synapses.get(name).map(|(d, _)| d)
    }

    /// The names of the synapse models, for suggestions.
    pub fn synapse_names(&self) -> impl Iterator<Item = &str> {
        self.synapses.keys().map(String::as_str)
    }

    fn add_synapse(&mut self, d: &SynapseDecl, stdlib: bool, diags: &mut Vec<Diagnostic>) {
        if let Some((prev, prev_stdlib)) = self.synapses.get(&d.name.name) {
            if !*prev_stdlib || stdlib {
                diags.push(duplicate(&d.name.name, d.name.span, prev.name.span));
                return;
            }
            diags.push(
                Diagnostic::warning(
                    "W0005",
                    format!(
                        "synapse model `{}` shadows the standard-library model of the same name",
                        d.name.name
                    ),
                )
                .primary(d.name.span, "this definition is used instead")
                .help("rename your model if you meant to keep the standard one available"),
            );
        }
        self.synapses
            .insert(d.name.name.clone(), (d.clone(), stdlib));
    }

    fn add(&mut self, name: &str, entry: Entry, diags: &mut Vec<Diagnostic>) {
        if let Some(&prev) = self.by_name.get(name) {
            let old = &self.entries[prev];
            if old.stdlib && !entry.stdlib {
                diags.push(
                    Diagnostic::warning(
                        "W0005",
                        format!(
                            "model `{name}` shadows the standard-library model of the same name"
                        ),
                    )
                    .primary(entry.spans.name, "this definition is used instead")
                    .help("rename your model if you meant to keep the standard one available"),
                );
            } else if !old.stdlib || entry.stdlib {
                diags.push(duplicate(name, entry.spans.name, old.spans.name));
                return;
            }
        }
        self.by_name.insert(name.to_string(), self.entries.len());
        self.entries.push(entry);
    }
}

/// Lowers every model item of the program, in load order: standard library,
/// imports, then the main file (top level, then inside its network).
pub fn build(prog: &Program, diags: &mut Vec<Diagnostic>) -> Library {
    let mut lib = Library::default();
    for file in &prog.files {
        let mut items: Vec<&Item> = Vec::new();
        for item in &file.ast.items {
            match item {
                Item::Network(n) => {
                    // Models inside a network belong to the main file only.
                    if prog.main().is_some_and(|m| m.id == file.id) {
                        items.extend(n.items.iter().filter_map(|i| match i {
                            NetItem::Item(it) => Some(it),
                            _ => None,
                        }));
                    }
                }
                other => items.push(other),
            }
        }
        for item in items {
            let (name, model, spans) = match item {
                Item::Neuron(d) => {
                    let (m, s) = lower_neuron(d, diags);
                    (&d.name, m, s)
                }
                Item::SourceModel(d) => {
                    let (m, s) = lower_source(d, diags);
                    (&d.name, m, s)
                }
                Item::Alias(a) => match lib.get(&a.base.name, a.base.span) {
                    Ok(Some(Entry {
                        model: Some(base),
                        spans,
                        ..
                    })) => {
                        let (m, s) = lower_alias(a, base, spans, diags);
                        (&a.name, m, s)
                    }
                    Ok(_) => (
                        &a.name,
                        None,
                        ModelSpans {
                            name: a.name.span,
                            ..Default::default()
                        },
                    ),
                    Err(d) => {
                        diags.push(d);
                        (
                            &a.name,
                            None,
                            ModelSpans {
                                name: a.name.span,
                                ..Default::default()
                            },
                        )
                    }
                },
                Item::Synapse(d) => {
                    lib.add_synapse(d, file.stdlib, diags);
                    continue;
                }
                _ => continue,
            };
            if !file.stdlib {
                if let Some(m) = &model {
                    warn_unused(m, &spans, diags);
                }
            }
            lib.add(
                &name.name,
                Entry {
                    model,
                    spans,
                    stdlib: file.stdlib,
                },
                diags,
            );
        }
    }
    lib
}

fn warn_unused(m: &Model, spans: &ModelSpans, diags: &mut Vec<Diagnostic>) {
    if m.alias_of.is_some() {
        return;
    }
    for h in unused_params(m) {
        let name = &m.params[h].name;
        diags.push(
            Diagnostic::warning(
                "W0006",
                format!("parameter `{name}` of model `{}` is never used", m.name),
            )
            .primary(
                spans.params.get(h.index()).copied().unwrap_or(Span::DUMMY),
                "not used by any equation, reset, initial value or port",
            )
            .help("use it, or remove it from the model"),
        );
    }
    if let Some(d) = m.dynamics() {
        if d.spike.is_none() {
            diags.push(
                Diagnostic::warning("W0007", format!("neuron model `{}` never spikes", m.name))
                    .primary(spans.name, "no `spike` condition")
                    .help("add `spike v >= v_thresh { v = v_reset }` so the model can emit spikes"),
            );
        }
    }
}
