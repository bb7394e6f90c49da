//! Lowering a `network` block: parameters (with `--set` overrides),
//! populations, views, projections and recordings, into an IR [`Network`].

mod connectors;
mod lints;

use std::collections::HashMap;

use super::consts::{Const, ConstEnv};
use super::library::Library;
use super::models::duplicate;
use super::values::ValueCx;
use crate::diag::{did_you_mean, Diagnostic};
use crate::front::ast::{
    self, ConnectDecl, Expr, ExprKind as AK, IndexExpr, NetItem, NetworkDecl, SelectionExpr,
    SelectionTerm,
};
use crate::front::load::{dir_of, Program};
use crate::front::parse::parse_value;
use spikec_ir::model::{ModelBody, ModelId, ParamType};
use spikec_ir::network::*;
use spikec_ir::{Arena, Dim, Handle, Span};

/// A `--set name=value` override.
#[derive(Clone, Debug)]
pub struct Override {
    /// Parameter name.
    pub name: String,
    /// Value text, parsed like a source expression (`40000`, `8 Hz`).
    pub value: String,
}

struct Net<'p> {
    env: ConstEnv,
    lib: &'p Library,
    dir: std::path::PathBuf,
    diags: Vec<Diagnostic>,
    net: Network,
    pop_by_name: HashMap<String, PopulationId>,
    views: HashMap<String, (Selection, Span)>,
    model_ids: HashMap<String, Handle<spikec_ir::model::Model>>,
    param_spans: HashMap<String, Span>,
    /// Populations whose declaration had errors: later uses stay silent
    /// instead of adding "unknown population" to the real error.
    poisoned: std::collections::HashSet<String>,
    /// Whether the model library already reported errors.
    earlier_errors: bool,
}

/// Lowers the network of the main file.
pub fn lower_network(
    prog: &mut Program,
    lib: &Library,
    overrides: &[Override],
    diags: &mut Vec<Diagnostic>,
) -> Option<Network> {
    let networks: Vec<&NetworkDecl> = prog
        .main()
        .map(|m| {
            m.ast
                .items
                .iter()
                .filter_map(|i| match i {
                    ast::Item::Network(n) => Some(n),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let decl = match networks.as_slice() {
        [one] => (*one).clone(),
        [] => {
            let file = prog.main().map(|m| m.id).unwrap_or(0);
            diags.push(Diagnostic::error("E0006", "this file has no `network` to compile")
                .primary(Span::new(file, 0, 0), "no network here")
                .help("add `network NAME { ... }`; files with only models are meant to be imported"));
            return None;
        }
        [_, second, ..] => {
            diags.push(
                Diagnostic::error("E0006", "a file can hold only one `network`")
                    .primary(second.name.span, "second network")
                    .secondary(networks[0].name.span, "first network")
                    .help("put each network in its own file; share models with `import`"),
            );
            return None;
        }
    };
    let dir = dir_of(&prog.sources, decl.name.span.file);
    let mut cx = Net {
        env: ConstEnv::default(),
        lib,
        dir,
        diags: Vec::new(),
        net: Network {
            name: decl.name.name.clone(),
            timestep: 0.1,
            seed: 0,
            semantics: Semantics::Nest,
            params: Vec::new(),
            models: Arena::new(),
            populations: Arena::new(),
            views: Vec::new(),
            projections: Arena::new(),
            records: Vec::new(),
            exprs: Arena::new(),
            spans: Spans {
                network: decl.name.span,
                ..Default::default()
            },
        },
        pop_by_name: HashMap::new(),
        views: HashMap::new(),
        model_ids: HashMap::new(),
        param_spans: HashMap::new(),
        poisoned: Default::default(),
        earlier_errors: diags.iter().any(Diagnostic::is_error),
    };
    cx.params(prog, &decl, overrides);
    for item in &decl.items {
        match item {
            NetItem::Timestep(e) => {
                cx.net.spans.timestep = e.span;
                if let Some(v) = cx.ok(cx
                    .env
                    .number(e, Dim::TIME, "the timestep")
                    .map_err(|d| recode(d, "E0049")))
                {
                    if v > 0.0 && v.is_finite() {
                        cx.net.timestep = v;
                    } else {
                        cx.diags.push(
                            Diagnostic::error("E0049", "the timestep must be a positive time")
                                .primary(e.span, "not positive")
                                .help("PyNN and NEST default to `timestep 0.1 ms`"),
                        );
                    }
                }
            }
            NetItem::Seed(e) => {
                if let Some(v) = cx.ok(cx.env.whole(e, "the seed")) {
                    cx.net.seed = v;
                }
            }
            NetItem::Semantics(name) => match Semantics::from_name(&name.name) {
                Some(s) => cx.net.semantics = s,
                None => cx.diags.push(
                    Diagnostic::error("E0016", format!("unknown semantics `{}`", name.name))
                        .primary(name.span, "not a simulator's semantics")
                        .help("write `semantics nest` (the default) or `semantics spinnaker`"),
                ),
            },
            _ => {}
        }
    }
    for item in &decl.items {
        match item {
            NetItem::Population(p) => cx.population(p),
            NetItem::View(name, sel) => {
                if let Some(s) = cx.selection(sel) {
                    if let Some(prev) = cx.name_taken(&name.name) {
                        cx.diags.push(duplicate(&name.name, name.span, prev));
                    } else {
                        cx.net.views.push(View {
                            name: name.name.clone(),
                            selection: s.0.clone(),
                        });
                        cx.views.insert(name.name.clone(), (s.0, name.span));
                    }
                }
            }
            NetItem::Connect(c) => cx.connect(c),
            NetItem::Record(items) => {
                for r in items {
                    cx.record(r);
                }
            }
            _ => {}
        }
    }
    cx.lints();
    let used = cx.env.used.borrow().clone();
    for p in &cx.net.params {
        if !used.contains(&p.name) {
            let span = cx.param_spans.get(&p.name).copied().unwrap_or(Span::DUMMY);
            cx.diags.push(
                Diagnostic::warning(
                    "W0001",
                    format!("network parameter `{}` is never used", p.name),
                )
                .primary(span, "declared here")
                .help("use it in a size, value or connector, or remove it"),
            );
        }
    }
    let failed = cx.diags.iter().any(Diagnostic::is_error);
    diags.append(&mut cx.diags);
    (!failed).then_some(cx.net)
}

fn recode(mut d: Diagnostic, code: &'static str) -> Diagnostic {
    if d.code == "E0022" {
        d.code = code;
    }
    d
}

impl Net<'_> {
    fn ok<T>(&mut self, r: Result<T, Diagnostic>) -> Option<T> {
        r.map_err(|d| self.diags.push(d)).ok()
    }

    fn name_taken(&self, name: &str) -> Option<Span> {
        if let Some(p) = self.pop_by_name.get(name) {
            return Some(self.net.spans.populations[p.index()]);
        }
        self.views.get(name).map(|(_, s)| *s)
    }

    fn params(&mut self, prog: &mut Program, decl: &NetworkDecl, overrides: &[Override]) {
        let mut declared: Vec<(ast::Ident, Expr)> = Vec::new();
        for item in &decl.items {
            if let NetItem::Params(ps) = item {
                for (n, e) in ps {
                    if let Some((prev, _)) = declared.iter().find(|(p, _)| p.name == n.name) {
                        self.diags.push(duplicate(&n.name, n.span, prev.span));
                        continue;
                    }
                    declared.push((n.clone(), e.clone()));
                }
            }
        }
        let mut replaced: HashMap<String, Expr> = HashMap::new();
        for o in overrides {
            if !declared.iter().any(|(p, _)| p.name == o.name) {
                let names: Vec<&str> = declared.iter().map(|(p, _)| p.name.as_str()).collect();
                let mut d = Diagnostic::error(
                    "E0051",
                    format!(
                        "`--set {}`: the network has no parameter `{}`",
                        o.name, o.name
                    ),
                );
                d = match did_you_mean(&o.name, names.iter().copied()) {
                    Some(h) => d.help(h),
                    None if names.is_empty() => d.help("this network declares no `param`s"),
                    None => d.help(format!("its parameters are: {}", names.join(", "))),
                };
                self.diags.push(d);
                continue;
            };
            let id = prog
                .sources
                .add(format!("<--set {}>", o.name), o.value.clone());
            match parse_value(id, &o.value) {
                Ok(e) => {
                    replaced.insert(o.name.clone(), e);
                }
                Err(d) => self.diags.push(Diagnostic {
                    code: "E0051",
                    message: format!("`--set {}`: {}", o.name, d.message),
                    ..d
                }),
            }
        }
        for (name, e) in declared {
            let (expr, overridden) = match replaced.remove(&name.name) {
                Some(r) => (r, true),
                None => (e, false),
            };
            self.param_spans.insert(name.name.clone(), name.span);
            match self.env.eval(&expr) {
                Ok(Const::Num(v, d)) => {
                    let d = d.unwrap_or(Dim::NONE);
                    if overridden {
                        if let Some(orig) = self.original_dim(decl, &name.name) {
                            if orig != d {
                                self.diags.push(
                                    Diagnostic::error(
                                        "E0051",
                                        format!(
                                            "`--set {}`: expected {}, found {}",
                                            name.name,
                                            super::units::dim_text(Some(orig)),
                                            super::units::dim_text(Some(d))
                                        ),
                                    )
                                    .primary(expr.span, "wrong dimension")
                                    .secondary(name.span, "parameter declared here")
                                    .help("give the value with the same unit as the declaration"),
                                );
                                continue;
                            }
                        }
                    }
                    self.env.params.insert(name.name.clone(), (v, d));
                    self.net.params.push(NetParam {
                        name: name.name.clone(),
                        value: v,
                        dim: d,
                        overridden,
                    });
                }
                Ok(other) => self.diags.push(super::consts::not_number(
                    &other,
                    expr.span,
                    "as a parameter value",
                )),
                Err(d) => self.diags.push(if overridden {
                    Diagnostic { code: "E0051", ..d }
                } else {
                    d
                }),
            }
        }
    }

    fn original_dim(&self, decl: &NetworkDecl, name: &str) -> Option<Dim> {
        // The declared expression's dimension, evaluated with the parameters
        // known so far (declarations may only use earlier parameters).
        let e = decl.items.iter().find_map(|i| match i {
            NetItem::Params(ps) => ps.iter().find(|(n, _)| n.name == name).map(|(_, e)| e),
            _ => None,
        })?;
        match self.env.eval(e) {
            Ok(Const::Num(_, d)) => Some(d.unwrap_or(Dim::NONE)),
            _ => None,
        }
    }

    fn model(&mut self, name: &ast::Ident) -> Option<Handle<spikec_ir::model::Model>> {
        if let Some(h) = self.model_ids.get(&name.name) {
            return Some(*h);
        }
        let entry = match self.lib.get(&name.name, name.span) {
            Ok(e) => e?,
            Err(d) => {
                self.diags.push(d);
                return None;
            }
        };
        let m = entry.model.clone()?;
        let h = self.net.models.append(m);
        self.net.spans.models.push(entry.spans.name);
        self.model_ids.insert(name.name.clone(), h);
        Some(h)
    }

    fn population(&mut self, p: &ast::PopulationDecl) {
        self.population_inner(p);
        // Every path that leaves a population undeclared has reported an
        // error (here, or in its model's declaration).
        if !self.pop_by_name.contains_key(&p.name.name) {
            self.poisoned.insert(p.name.name.clone());
        }
    }

    fn population_inner(&mut self, p: &ast::PopulationDecl) {
        if let Some(prev) = self.name_taken(&p.name.name) {
            self.diags.push(duplicate(&p.name.name, p.name.span, prev));
            return;
        }
        let size = self.ok(self.env.whole(&p.size, "a population size"));
        let Some(mid) = self.model(&p.model) else {
            return;
        };
        let Some(size) = size else { return };
        let size = match u32::try_from(size) {
            Ok(s) if s > 0 => s,
            _ => {
                self.diags.push(
                    Diagnostic::error(
                        "E0040",
                        format!(
                            "population `{}` must have between 1 and {} neurons, found {size}",
                            p.name.name,
                            u32::MAX
                        ),
                    )
                    .primary(p.size.span, "invalid size")
                    .help("check the size expression and the parameters it uses"),
                );
                return;
            }
        };
        let model = self.net.models[mid].clone();
        if p.is_source_kw && !model.is_source() {
            self.diags.push(Diagnostic::error("E0048", format!("`source` needs a spike-source model, but `{}` is a neuron model", model.name))
                .primary(p.model.span, "a neuron model")
                .secondary(p.kw_span, "declared as a source")
                .help("write `population` for neurons, or use a source model such as `SpikeSourcePoisson`"));
            return;
        }
        let mut draws: Vec<NamedDraw> = Vec::new();
        let mut draw_spans = Vec::new();
        for (name, value) in &p.draws {
            if let Some(i) = draws.iter().position(|d| d.name == name.name) {
                self.diags
                    .push(duplicate(&name.name, name.span, draw_spans[i]));
                continue;
            }
            let vcx = ValueCx {
                env: &self.env,
                dir: &self.dir,
                draws: &[],
            };
            match vcx.draw(&name.name, value) {
                Ok(d) => {
                    draws.push(d);
                    draw_spans.push(name.span);
                }
                Err(d) => {
                    self.diags.push(d);
                    // Uses of the broken draw would only repeat the error.
                    self.poisoned.insert(p.name.name.clone());
                    return;
                }
            }
        }
        let vcx = ValueCx {
            env: &self.env,
            dir: &self.dir,
            draws: &draws,
        };
        let structure = match &p.structure {
            Some(s) => match vcx.structure(s) {
                Ok(s) => Some(s),
                Err(d) => {
                    self.diags.push(d);
                    None
                }
            },
            None => None,
        };
        let mut settings = Vec::new();
        let mut spans = Vec::new();
        for (k, (name, value)) in p.settings.iter().enumerate() {
            if let Some((first, _)) = p.settings[..k].iter().find(|(n, _)| n.name == name.name) {
                self.diags
                    .push(duplicate(&name.name, name.span, first.span));
                continue;
            }
            let var = match (model.param(&name.name), model.state(&name.name)) {
                (Some(h), _) => Var::Param(h),
                (None, Some(h)) => Var::State(h),
                (None, None) => {
                    let mut names: Vec<&str> =
                        model.params.iter().map(|(_, p)| p.name.as_str()).collect();
                    names.extend(model.states.iter().map(|(_, s)| s.name.as_str()));
                    let d = Diagnostic::error(
                        "E0015",
                        format!(
                            "model `{}` has no parameter or state variable `{}`",
                            model.name, name.name
                        ),
                    )
                    .primary(name.span, "unknown name");
                    self.diags
                        .push(match did_you_mean(&name.name, names.iter().copied()) {
                            Some(h) => d.help(h),
                            None => d.help(format!("`{}` has: {}", model.name, names.join(", "))),
                        });
                    continue;
                }
            };
            let result = match var {
                Var::Param(h) => match &model.params[h].ty {
                    ParamType::SpikeTimes => vcx.spike_times(value, size).map(SettingValue::Times),
                    ParamType::Scalar(d) => vcx
                        .value(value, *d, &format!("`{}`", name.name), &mut self.net.exprs)
                        .map(SettingValue::Scalar),
                },
                Var::State(h) => vcx
                    .value(
                        value,
                        model.states[h].dim,
                        &format!("the initial value of `{}`", name.name),
                        &mut self.net.exprs,
                    )
                    .map(SettingValue::Scalar),
            };
            match result {
                Ok(v) => {
                    settings.push(Setting { var, value: v });
                    spans.push(value.span);
                }
                Err(d) => self.diags.push(d),
            }
        }
        for (h, param) in model.params.iter() {
            let set = settings.iter().any(|s| s.var == Var::Param(h));
            if param.default.is_none() && matches!(param.ty, ParamType::Scalar(_)) && !set {
                self.diags.push(Diagnostic::error("E0036", format!("population `{}` must set parameter `{}`: model `{}` gives it no default", p.name.name, param.name, model.name))
                    .primary(p.name.span, format!("`{}` not set", param.name))
                    .help(format!("add `{} = ...` to the population's settings", param.name)));
            }
        }
        let neurons_per_core = match &p.neurons_per_core {
            None => None,
            Some(e) => {
                let n = self.ok(self.env.whole(e, "`neurons_per_core`"));
                match n.map(u32::try_from) {
                    Some(Ok(n)) if n > 0 => Some(n),
                    Some(_) => {
                        self.diags.push(
                            Diagnostic::error(
                                "E0040",
                                format!(
                                    "`neurons_per_core` of population `{}` must be at least 1",
                                    p.name.name
                                ),
                            )
                            .primary(e.span, "not a positive whole number")
                            .help("give the largest number of this population's neurons one core may hold, e.g. `neurons_per_core 128`"),
                        );
                        None
                    }
                    None => None,
                }
            }
        };
        let id = self.net.populations.append(Population {
            name: p.name.name.clone(),
            size,
            model: mid,
            settings,
            structure,
            draws,
            neurons_per_core,
        });
        self.net.spans.draws.push(draw_spans);
        self.net.spans.populations.push(p.name.span);
        self.net.spans.population_sizes.push(p.size.span);
        self.net.spans.settings.push(spans);
        self.pop_by_name.insert(p.name.name.clone(), id);
    }

    fn index(&mut self, e: &Expr) -> Option<u32> {
        let v = self.ok(self.env.whole(e, "an index"))?;
        match u32::try_from(v) {
            Ok(v) => Some(v),
            Err(_) => {
                self.diags.push(
                    Diagnostic::error("E0041", "index too large")
                        .primary(e.span, "beyond any population")
                        .help("population sizes fit in 32 bits"),
                );
                None
            }
        }
    }

    /// Resolves one selection term to parts.
    fn term(&mut self, t: &SelectionTerm) -> Option<Vec<SelectionPart>> {
        let base: Vec<SelectionPart> = if let Some(&pid) = self.pop_by_name.get(&t.name.name) {
            vec![SelectionPart {
                population: pid,
                indices: IndexSet::All,
            }]
        } else if let Some((sel, _)) = self.views.get(&t.name.name) {
            sel.parts.clone()
        } else if self.poisoned.contains(&t.name.name) {
            return None;
        } else {
            let names: Vec<&str> = self
                .pop_by_name
                .keys()
                .chain(self.views.keys())
                .map(String::as_str)
                .collect();
            let d = Diagnostic::error(
                "E0013",
                format!("unknown population or view `{}`", t.name.name),
            )
            .primary(t.name.span, "not declared (before this point)");
            self.diags.push(match did_you_mean(&t.name.name, names) {
                Some(h) => d.help(h),
                None => d.help("declare it with `population`, `source` or `view` before using it"),
            });
            return None;
        };
        let Some(index) = &t.index else {
            return Some(base);
        };
        let picks: Vec<u32> = match index {
            IndexExpr::Range(a, b) => {
                let (a, b) = (self.index(a)?, self.index(b)?);
                if base.len() == 1 && base[0].indices == IndexSet::All {
                    return Some(vec![SelectionPart {
                        population: base[0].population,
                        indices: IndexSet::Range(a, b),
                    }]);
                }
                if b < a {
                    Vec::new()
                } else {
                    (a..b).collect()
                }
            }
            IndexExpr::List(items) => {
                let mut v = Vec::new();
                for i in items {
                    v.push(self.index(i)?);
                }
                if base.len() == 1 && base[0].indices == IndexSet::All {
                    return Some(vec![SelectionPart {
                        population: base[0].population,
                        indices: IndexSet::List(v),
                    }]);
                }
                v
            }
        };
        // Indexing a view: map positions in the view to population indices.
        let flat: Vec<(PopulationId, u32)> = base
            .iter()
            .flat_map(|p| {
                let size = self.net.populations[p.population].size;
                let idx: Vec<u32> = match &p.indices {
                    IndexSet::All => (0..size).collect(),
                    IndexSet::Range(a, b) => (*a..*b).collect(),
                    IndexSet::List(v) => v.clone(),
                };
                idx.into_iter().map(move |i| (p.population, i))
            })
            .collect();
        let mut parts: Vec<SelectionPart> = Vec::new();
        for k in picks {
            let Some(&(pop, i)) = flat.get(k as usize) else {
                self.diags.push(
                    Diagnostic::error(
                        "E0041",
                        format!(
                            "index {k} is out of range for view `{}` ({} neurons)",
                            t.name.name,
                            flat.len()
                        ),
                    )
                    .primary(t.span, "out of range")
                    .help("indices start at 0; slices `a..b` exclude b"),
                );
                return None;
            };
            match parts.last_mut() {
                Some(SelectionPart {
                    population,
                    indices: IndexSet::List(v),
                }) if *population == pop => v.push(i),
                _ => parts.push(SelectionPart {
                    population: pop,
                    indices: IndexSet::List(vec![i]),
                }),
            }
        }
        if parts.is_empty() {
            self.diags.push(
                Diagnostic::error(
                    "E0041",
                    format!("the selection of view `{}` is empty", t.name.name),
                )
                .primary(t.span, "selects no neurons")
                .help("slices `a..b` need a < b"),
            );
            return None;
        }
        Some(parts)
    }

    fn selection(&mut self, s: &SelectionExpr) -> Option<(Selection, Vec<Span>)> {
        let mut parts = Vec::new();
        let mut spans = Vec::new();
        for t in &s.terms {
            let p = self.term(t)?;
            spans.extend(std::iter::repeat_n(t.span, p.len()));
            parts.extend(p);
        }
        Some((Selection { parts }, spans))
    }

    fn connect(&mut self, c: &ConnectDecl) {
        let pre = self.selection(&c.pre);
        let post = self.selection(&c.post);
        let (Some((pre, pre_spans)), Some((post, post_spans))) = (pre, post) else {
            return;
        };
        let mut port: Option<(String, Span)> = None;
        let mut weight_e = None;
        let mut delay_e = None;
        let mut synapse = SynapseKind::Static;
        let mut synapse_span = c.span;
        let mut stdp_call: Option<&Expr> = None;
        let mut model_call: Option<&Expr> = None;
        let mut seen: Vec<&ast::Ident> = Vec::new();
        for (key, value) in &c.settings {
            if let Some(prev) = seen.iter().find(|k| k.name == key.name) {
                self.diags.push(duplicate(&key.name, key.span, prev.span));
                continue;
            }
            seen.push(key);
            match key.name.as_str() {
                "synapse" if self.synapse_model_name(value).is_some() => {
                    model_call = Some(value);
                }
                "synapse" if matches!(&value.kind, AK::Call { callee, .. } if callee.name == "stdp") =>
                {
                    stdp_call = Some(value);
                }
                "port" | "synapse" => {
                    let AK::Name(n) = &value.kind else {
                        self.diags.push(
                            Diagnostic::error("E0018", format!("`{}` takes a name", key.name))
                                .primary(value.span, "not a name")
                                .help(if key.name == "port" {
                                    "write e.g. `port excitatory`"
                                } else {
                                    "write `synapse static`"
                                }),
                        );
                        continue;
                    };
                    if key.name == "port" {
                        port = Some((n.clone(), value.span));
                    } else if n == "gap_junction" {
                        synapse = SynapseKind::GapJunction;
                        synapse_span = value.span;
                    } else if n != "static" {
                        let mut names: Vec<&str> = vec!["static", "gap_junction", "stdp"];
                        names.extend(self.lib.synapse_names());
                        let d = Diagnostic::error("E0016", format!("unknown synapse model `{n}`"))
                            .primary(value.span, "not a synapse model");
                        self.diags.push(match did_you_mean(n, names.iter().copied()) {
                            Some(h) => d.help(h),
                            None => d.help("the synapse models available are: static, gap_junction, stdp(...), and those declared with `synapse NAME { ... }`"),
                        });
                    }
                }
                "weight" => weight_e = Some(value),
                _ => delay_e = Some(value),
            }
        }
        // The port: named, or the only port of the target model(s).
        let post_models: Vec<_> = post
            .parts
            .iter()
            .map(|p| self.net.populations[p.population].model)
            .collect();
        if let Some(i) = post_models
            .iter()
            .position(|m| self.net.models[*m].is_source())
        {
            let pop = &self.net.populations[post.parts[i].population];
            self.diags.push(Diagnostic::error("E0044", format!("population `{}` is a spike source and cannot receive synapses", pop.name))
                .primary(post_spans[i], "a spike source")
                .help("spike sources only send spikes: swap the direction, or target a neuron population"));
            return;
        }
        let (port_name, _port_span) = match port {
            Some((n, span)) => {
                let mut missing = None;
                for m in &post_models {
                    let model = &self.net.models[*m];
                    if let ModelBody::Neuron(d) = &model.body {
                        if !d.ports.iter().any(|p| p.name == n) {
                            missing = Some(model);
                            break;
                        }
                    }
                }
                if let Some(model) = missing {
                    let names: Vec<&str> = model
                        .dynamics()
                        .map(|d| d.ports.iter().map(|p| p.name.as_str()).collect())
                        .unwrap_or_default();
                    let d = Diagnostic::error(
                        "E0014",
                        format!("model `{}` has no input port `{n}`", model.name),
                    )
                    .primary(span, "unknown port");
                    self.diags
                        .push(match did_you_mean(&n, names.iter().copied()) {
                            Some(h) => d.help(h),
                            None => d.help(format!("its ports are: {}", names.join(", "))),
                        });
                    return;
                }
                (n, span)
            }
            None => {
                let first = &self.net.models[post_models[0]];
                match first.dynamics().map(|d| d.ports.as_slice()) {
                    Some([only]) => (only.name.clone(), c.span),
                    Some(ports) if !ports.is_empty() => {
                        let names: Vec<String> =
                            ports.iter().map(|p| format!("`{}`", p.name)).collect();
                        self.diags.push(Diagnostic::error("E0043", format!("model `{}` has several input ports; say which one this projection uses", first.name))
                            .primary(c.span, "no `port` given")
                            .help(format!("add `port NAME` to the projection's settings; ports: {}", names.join(", "))));
                        return;
                    }
                    _ => (String::new(), c.span),
                }
            }
        };
        let mut weight_dim = post_models
            .iter()
            .find_map(|m| self.net.models[*m].port(&port_name).map(|p| p.weight_dim))
            .unwrap_or(Dim::NONE);
        if let Some(call) = model_call {
            let (decl, span, args) = match &call.kind {
                AK::Call { callee, args } => (self.lib.synapse(&callee.name), call.span, &args[..]),
                AK::Name(n) => (self.lib.synapse(n), call.span, &[][..]),
                _ => (None, call.span, &[][..]),
            };
            let Some(decl) = decl else {
                return;
            };
            match super::synapse::instantiate(
                decl,
                span,
                args,
                weight_dim,
                &self.env,
                &mut self.diags,
            ) {
                Some(m) => synapse = SynapseKind::Model(Box::new(m)),
                None => return,
            }
        }
        if let Some(call) = stdp_call {
            match self.stdp_rule(call, weight_dim) {
                Some(rule) => synapse = SynapseKind::Stdp(rule),
                None => return,
            }
        }
        if synapse == SynapseKind::GapJunction {
            if !self.gap_junction(
                &pre,
                &pre_spans,
                &post_models,
                &port_name,
                synapse_span,
                delay_e,
            ) {
                return;
            }
            weight_dim = Dim::CONDUCTANCE;
        }
        let connector = self.connector(&c.connector, weight_dim);
        let vcx = ValueCx {
            env: &self.env,
            dir: &self.dir,
            draws: &[],
        };
        let weight = match weight_e {
            Some(e) => vcx.value(
                e,
                weight_dim,
                &format!("a weight on port `{}`", port_name),
                &mut self.net.exprs,
            ),
            None => Ok(ValueSpec::Const(0.0)),
        };
        let delay = match delay_e {
            Some(e) => vcx.value(e, Dim::TIME, "a delay", &mut self.net.exprs),
            None => Ok(ValueSpec::Const(self.net.timestep)),
        };
        let (Some(connector), Some(weight), Some(delay)) =
            (connector, self.ok(weight), self.ok(delay))
        else {
            return;
        };
        let name = match &c.name {
            Some(n) => n.name.clone(),
            None => {
                let base = format!("{}->{}", sel_name(&c.pre), sel_name(&c.post));
                let k = self
                    .net
                    .projections
                    .iter()
                    .filter(|(_, p)| p.name == base || p.name.starts_with(&format!("{base}#")))
                    .count();
                if k == 0 {
                    base
                } else {
                    format!("{base}#{}", k + 1)
                }
            }
        };
        if let Some(named) = &c.name {
            if let Some(i) = self
                .net
                .projections
                .iter()
                .position(|(_, p)| p.name == named.name)
            {
                self.diags.push(duplicate(
                    &named.name,
                    named.span,
                    self.net.spans.projections[i],
                ));
                return;
            }
        }
        self.net.projections.append(Projection {
            name,
            pre,
            post,
            connector,
            port: port_name,
            weight,
            delay,
            synapse,
        });
        let sp = &mut self.net.spans;
        sp.projections.push(c.span);
        sp.connectors.push(c.connector.span);
        sp.pre_parts.push(pre_spans);
        sp.post_parts.push(post_spans);
        sp.ports.push(port_name_span(&c.settings, c.span));
        sp.weights.push(weight_e.map_or(c.span, |e| e.span));
        sp.delays.push(delay_e.map_or(c.span, |e| e.span));
    }

    /// The synapse model a `synapse` setting names, if it is one declared
    /// with `synapse NAME { ... }` (which takes precedence over `stdp`).
    fn synapse_model_name<'e>(&self, value: &'e Expr) -> Option<&'e str> {
        let name = match &value.kind {
            AK::Call { callee, .. } => &callee.name,
            AK::Name(n) => n,
            _ => return None,
        };
        self.lib.synapse(name).map(|_| name.as_str())
    }

    /// `stdp(tau_plus = 20 ms, tau_minus = 20 ms, A_plus = 0.01,
    /// A_minus = 0.01, w_min = 0, w_max = W, dependence = additive)`:
    /// PyNN's `SpikePairRule` with an additive or multiplicative weight
    /// dependence; `w_max` is required, in the port's weight unit.
    fn stdp_rule(&mut self, call: &Expr, weight_dim: Dim) -> Option<StdpRule> {
        let AK::Call { callee, args } = &call.kind else {
            return None;
        };
        let names = [
            "w_max",
            "tau_plus",
            "tau_minus",
            "A_plus",
            "A_minus",
            "w_min",
            "dependence",
        ];
        let slots = match super::values::bind(&callee.name, call.span, args, &names, 0) {
            Ok(s) => s,
            Err(d) => {
                self.diags.push(d);
                return None;
            }
        };
        let invalid = |message: String, span| {
            Diagnostic::error("E0054", message)
                .primary(span, "in this STDP rule")
                .help(
                    "write e.g. `synapse stdp(w_max = 1 nA, tau_plus = 20 ms, tau_minus = 20 ms, \
                     A_plus = 0.01, A_minus = 0.012, dependence = additive)`",
                )
        };
        let Some(_) = slots[0] else {
            self.diags.push(invalid(
                "an STDP rule needs `w_max`, the highest weight".into(),
                call.span,
            ));
            return None;
        };
        let mut num = |i: usize, default: f64, dim: Dim, what: &str| -> Option<f64> {
            match slots[i] {
                None => Some(default),
                Some(e) => match self.env.number(e, dim, what) {
                    Ok(v) => Some(v),
                    Err(d) => {
                        self.diags.push(d);
                        None
                    }
                },
            }
        };
        let w_max = num(0, 0.0, weight_dim, "`w_max`")?;
        let tau_plus = num(1, 20.0, Dim::TIME, "`tau_plus`")?;
        let tau_minus = num(2, 20.0, Dim::TIME, "`tau_minus`")?;
        let a_plus = num(3, 0.01, Dim::NONE, "`A_plus`")?;
        let a_minus = num(4, 0.01, Dim::NONE, "`A_minus`")?;
        let w_min = num(5, 0.0, weight_dim, "`w_min`")?;
        let dependence = match slots[6].map(|e| &e.kind) {
            None => WeightDependence::Additive,
            Some(AK::Name(n)) if n == "additive" => WeightDependence::Additive,
            Some(AK::Name(n)) if n == "multiplicative" => WeightDependence::Multiplicative,
            Some(_) => {
                let span = slots[6].map_or(call.span, |e| e.span);
                self.diags.push(invalid(
                    "`dependence` is `additive` or `multiplicative`".into(),
                    span,
                ));
                return None;
            }
        };
        let problem = if !(tau_plus > 0.0 && tau_minus > 0.0) {
            Some("the time constants must be positive")
        } else if !(a_plus >= 0.0 && a_minus >= 0.0) {
            Some("`A_plus` and `A_minus` must not be negative")
        } else if w_min.is_nan() || w_min > w_max || !w_min.is_finite() || !w_max.is_finite() {
            Some("`w_min` must not be above `w_max`")
        } else {
            None
        };
        if let Some(p) = problem {
            self.diags.push(invalid(p.into(), call.span));
            return None;
        }
        Some(StdpRule {
            tau_plus,
            tau_minus,
            a_plus,
            a_minus,
            w_min,
            w_max,
            dependence,
        })
    }

    /// Checks a gap junction: its port, on both sides, takes charge (the
    /// charge the junction passes in a step, `g · Δv · h`, jumps the port's
    /// state through the port's scale), and it has no delay.
    fn gap_junction(
        &mut self,
        pre: &Selection,
        pre_spans: &[Span],
        post_models: &[ModelId],
        port: &str,
        span: Span,
        delay: Option<&Expr>,
    ) -> bool {
        let help = "a gap junction needs a port that takes charge on both neurons, e.g. \
                    `input gap -> v * (1 / C_m)` (weights in pC), and `port gap` here";
        if let Some(d) = delay {
            self.diags.push(
                Diagnostic::error("E0053", "a gap junction has no delay")
                    .primary(d.span, "a delay")
                    .secondary(span, "this projection is a gap junction")
                    .help("electrical synapses act at once; remove the delay"),
            );
            return false;
        }
        let takes_charge = |m: &spikec_ir::model::Model| {
            !m.is_source() && m.port(port).is_some_and(|p| p.weight_dim == Dim::CHARGE)
        };
        for m in post_models {
            let model = &self.net.models[*m];
            if !takes_charge(model) {
                self.diags.push(
                    Diagnostic::error(
                        "E0053",
                        format!(
                            "model `{}` has no port `{port}` that takes charge",
                            model.name
                        ),
                    )
                    .primary(span, "a gap junction")
                    .help(help),
                );
                return false;
            }
        }
        for (part, &pspan) in pre.parts.iter().zip(pre_spans) {
            let pop = &self.net.populations[part.population];
            let model = &self.net.models[pop.model];
            if !takes_charge(model) {
                self.diags.push(
                    Diagnostic::error(
                        "E0053",
                        format!(
                            "population `{}` cannot be on the presynaptic side of a gap junction: \
                             its model `{}` has no port `{port}` that takes charge",
                            pop.name, model.name
                        ),
                    )
                    .primary(pspan, "the presynaptic side")
                    .secondary(span, "a gap junction couples both ways")
                    .help(help),
                );
                return false;
            }
        }
        true
    }

    fn record(&mut self, r: &ast::RecordItem) {
        let Some(parts) = self.term(&r.target) else {
            return;
        };
        let what = if r.var.name == "spikes" {
            Recordable::Spikes
        } else {
            Recordable::State(r.var.name.clone())
        };
        let n = parts.len();
        self.net.records.push(Record {
            selection: Selection { parts },
            what,
        });
        self.net.spans.records.push(r.var.span);
        self.net.spans.record_parts.push(vec![r.target.span; n]);
    }
}

fn sel_name(s: &SelectionExpr) -> String {
    s.terms
        .iter()
        .map(|t| t.name.name.clone())
        .collect::<Vec<_>>()
        .join("+")
}

fn port_name_span(settings: &[(ast::Ident, Expr)], default: Span) -> Span {
    settings
        .iter()
        .find(|(k, _)| k.name == "port")
        .map_or(default, |(_, v)| v.span)
}
