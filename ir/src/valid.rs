//! Validation: checks the invariants every later stage relies on and returns
//! a [`ValidNetwork`] token. Backends and passes take the token, so a network
//! that was never validated cannot reach them.
//!
//! The front end has already resolved names and checked dimensions; this
//! stage checks what only the assembled network can tell: sizes and index
//! ranges, connector arguments against the populations they join, ports
//! against the models that receive them, file columns against population
//! sizes. Errors point at IR entities; the front end maps them to spans
//! through [`Network::spans`].

use crate::arena::Handle;
use crate::expr::{children, ExprArena, ExprId, ExprKind};
use crate::model::{Model, ModelBody, ParamType, PortKind};
use crate::network::{
    Connector, DistKind, Distribution, IndexSet, NamedDraw, Network, PopulationId, ProjectionId,
    Recordable, Selection, SettingValue, SpikeTimes, ValueSpec, Var,
};

/// Which selection of a projection or record an error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SelectionRef {
    /// A projection's presynaptic side.
    Pre(ProjectionId),
    /// A projection's postsynaptic side.
    Post(ProjectionId),
    /// A record item (index into `Network::records`).
    Record(usize),
}

/// Which per-element value an error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueRef {
    /// A population setting (population, index in its settings).
    Setting(PopulationId, usize),
    /// A projection's weight.
    Weight(ProjectionId),
    /// A projection's delay.
    Delay(ProjectionId),
    /// A population's named draw (population, index in its draws).
    Draw(PopulationId, usize),
}

/// An invariant that does not hold.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ValidationError {
    /// The timestep is zero, negative or not finite.
    #[error("timestep must be a positive time, found {value} ms")]
    BadTimestep {
        /// The value.
        value: f64,
    },
    /// A population has no neurons.
    #[error("population `{name}` has no neurons")]
    EmptyPopulation {
        /// The population.
        population: PopulationId,
        /// Its name.
        name: String,
    },
    /// A handle points outside its arena (IR built by code, not the front end).
    #[error("dangling reference to {what} #{index}")]
    Dangling {
        /// Kind of entity.
        what: &'static str,
        /// The index.
        index: usize,
    },
    /// A slice or index list reaches past a population's end, or is empty.
    #[error("{detail}")]
    IndexOutOfRange {
        /// Where.
        selection: SelectionRef,
        /// Part of the selection.
        part: usize,
        /// Explanation.
        detail: String,
    },
    /// A per-element value has the wrong number of entries or bad arguments.
    #[error("{detail}")]
    BadValue {
        /// Where.
        value: ValueRef,
        /// Explanation.
        detail: String,
    },
    /// A connector's arguments do not fit the populations it joins.
    #[error("{detail}")]
    BadConnector {
        /// The projection.
        projection: ProjectionId,
        /// Explanation.
        detail: String,
    },
    /// A projection's synapse model is inconsistent.
    #[error("synapse model `{model}`: {detail}")]
    BadSynapseModel {
        /// The projection.
        projection: ProjectionId,
        /// The model's name.
        model: String,
        /// Explanation.
        detail: String,
    },
    /// The postsynaptic model has no such port.
    #[error("model `{model}` has no input port `{port}`")]
    UnknownPort {
        /// The projection.
        projection: ProjectionId,
        /// The port.
        port: String,
        /// The model lacking it.
        model: String,
        /// Ports the model does have.
        available: Vec<String>,
    },
    /// A projection targets a spike source.
    #[error("population `{population}` is a spike source and cannot receive synapses")]
    TargetIsSource {
        /// The projection.
        projection: ProjectionId,
        /// The source population's name.
        population: String,
    },
    /// A conductance-based port is given a negative weight.
    #[error("conductance weights must not be negative (port `{port}`)")]
    NegativeConductance {
        /// The projection.
        projection: ProjectionId,
        /// The port.
        port: String,
    },
    /// A negative delay.
    #[error("delays must not be negative")]
    NegativeDelay {
        /// The projection.
        projection: ProjectionId,
    },
    /// A recorded variable that the model does not have.
    #[error("{detail}")]
    BadRecord {
        /// Index into `Network::records`.
        record: usize,
        /// Explanation.
        detail: String,
    },
}

/// A network that passed validation. Only [`validate`] makes one.
#[derive(Clone, Copy, Debug)]
pub struct ValidNetwork<'a> {
    network: &'a Network,
}

impl<'a> ValidNetwork<'a> {
    /// The validated network.
    pub fn network(&self) -> &'a Network {
        self.network
    }
}

impl std::ops::Deref for ValidNetwork<'_> {
    type Target = Network;
    fn deref(&self) -> &Network {
        self.network
    }
}

/// Checks every invariant of `net`; all violations are reported, not just the
/// first.
pub fn validate(net: &Network) -> Result<ValidNetwork<'_>, Vec<ValidationError>> {
    let mut errs = Vec::new();
    if !(net.timestep > 0.0 && net.timestep.is_finite()) {
        errs.push(ValidationError::BadTimestep {
            value: net.timestep,
        });
    }
    check_populations(net, &mut errs);
    if errs
        .iter()
        .any(|e| matches!(e, ValidationError::Dangling { .. }))
    {
        return Err(errs);
    }
    for (id, proj) in net.projections.iter() {
        let pre_ok = check_selection(net, &proj.pre, SelectionRef::Pre(id), &mut errs);
        let post_ok = check_selection(net, &proj.post, SelectionRef::Post(id), &mut errs);
        if pre_ok && post_ok {
            check_projection(net, id, &mut errs);
        }
    }
    for (i, rec) in net.records.iter().enumerate() {
        if check_selection(net, &rec.selection, SelectionRef::Record(i), &mut errs) {
            check_record(net, i, &mut errs);
        }
    }
    if errs.is_empty() {
        Ok(ValidNetwork { network: net })
    } else {
        Err(errs)
    }
}

fn check_populations(net: &Network, errs: &mut Vec<ValidationError>) {
    for (id, pop) in net.populations.iter() {
        let Some(model) = net.models.try_get(pop.model) else {
            errs.push(ValidationError::Dangling {
                what: "model",
                index: pop.model.index(),
            });
            continue;
        };
        if pop.size == 0 {
            errs.push(ValidationError::EmptyPopulation {
                population: id,
                name: pop.name.clone(),
            });
        }
        for (i, draw) in pop.draws.iter().enumerate() {
            if let Some(detail) = distribution_problem(&draw.distribution) {
                errs.push(ValidationError::BadValue {
                    value: ValueRef::Draw(id, i),
                    detail,
                });
            }
        }
        for (i, setting) in pop.settings.iter().enumerate() {
            let vref = ValueRef::Setting(id, i);
            let known = match setting.var {
                Var::Param(p) => model.params.contains(p),
                Var::State(s) => model.states.contains(s),
            };
            if !known {
                errs.push(ValidationError::Dangling {
                    what: "model variable",
                    index: i,
                });
                continue;
            }
            match &setting.value {
                SettingValue::Scalar(spec) => {
                    check_value(spec, (&net.exprs, &pop.draws), pop.size as u64, vref, errs)
                }
                SettingValue::Times(times) => {
                    let is_list = matches!(setting.var, Var::Param(p) if model.params[p].ty == ParamType::SpikeTimes);
                    if !is_list {
                        errs.push(ValidationError::BadValue {
                            value: vref,
                            detail: "spike times given for a scalar variable".into(),
                        });
                    }
                    check_times(times, pop.size, vref, errs);
                }
            }
        }
    }
}

fn check_times(times: &SpikeTimes, size: u32, vref: ValueRef, errs: &mut Vec<ValidationError>) {
    let trains: Vec<&Vec<f64>> = match times {
        SpikeTimes::Shared(t) => vec![t],
        SpikeTimes::PerNeuron(ts) => {
            if ts.len() != size as usize {
                errs.push(ValidationError::BadValue {
                    value: vref,
                    detail: format!("{} spike trains given for a population of {size}", ts.len()),
                });
            }
            ts.iter().collect()
        }
    };
    for train in trains {
        if train.iter().any(|t| !t.is_finite() || *t < 0.0) {
            errs.push(ValidationError::BadValue {
                value: vref,
                detail: "spike times must be finite and not negative".into(),
            });
            return;
        }
    }
}

/// Checks a per-element value against the number of elements it must cover.
fn check_value(
    spec: &ValueSpec,
    (exprs, draws): (&ExprArena, &[NamedDraw]),
    count: u64,
    vref: ValueRef,
    errs: &mut Vec<ValidationError>,
) {
    let mut bad = |detail: String| {
        errs.push(ValidationError::BadValue {
            value: vref,
            detail,
        })
    };
    match spec {
        ValueSpec::Const(v) => {
            if v.is_nan() {
                bad("value is not a number".into());
            }
        }
        ValueSpec::Column { origin, values } => {
            if values.len() as u64 != count {
                bad(format!(
                    "`{origin}` has {} values but {count} are needed",
                    values.len()
                ));
            }
        }
        ValueSpec::Random(d) => {
            if let Some(problem) = distribution_problem(d) {
                bad(problem);
            }
        }
        ValueSpec::Expr(e) => {
            if let Some(problem) = expr_problem(exprs, draws, *e) {
                bad(problem);
            }
        }
    }
}

fn part_len(net: &Network, pop: PopulationId) -> u32 {
    net.populations[pop].size
}

fn check_selection(
    net: &Network,
    sel: &Selection,
    sref: SelectionRef,
    errs: &mut Vec<ValidationError>,
) -> bool {
    let mut ok = true;
    for (i, part) in sel.parts.iter().enumerate() {
        if !net.populations.contains(part.population) {
            errs.push(ValidationError::Dangling {
                what: "population",
                index: part.population.index(),
            });
            ok = false;
            continue;
        }
        let size = part_len(net, part.population);
        let name = &net.populations[part.population].name;
        let detail = match &part.indices {
            IndexSet::All => None,
            IndexSet::Range(a, b) if a >= b => Some(format!("slice `{name}[{a}..{b}]` is empty")),
            IndexSet::Range(a, b) if *b > size => Some(format!(
                "slice `{name}[{a}..{b}]` ends past the end of `{name}` ({size} neurons)"
            )),
            IndexSet::List(v) => v
                .iter()
                .find(|&&x| x >= size)
                .map(|x| format!("index {x} is out of range for `{name}` ({size} neurons)")),
            IndexSet::Range(..) => None,
        };
        if let Some(detail) = detail {
            errs.push(ValidationError::IndexOutOfRange {
                selection: sref,
                part: i,
                detail,
            });
            ok = false;
        }
    }
    ok
}

fn models_of<'n>(net: &'n Network, sel: &Selection) -> Vec<(PopulationId, &'n Model)> {
    sel.parts
        .iter()
        .map(|p| {
            (
                p.population,
                &net.models[net.populations[p.population].model],
            )
        })
        .collect()
}

fn check_projection(net: &Network, id: ProjectionId, errs: &mut Vec<ValidationError>) {
    let proj = &net.projections[id];
    let n_pre = proj.pre.len(&net.populations);
    let n_post = proj.post.len(&net.populations);
    let mut port_kind = None;
    for (pop, model) in models_of(net, &proj.post) {
        match &model.body {
            ModelBody::Source(_) => {
                errs.push(ValidationError::TargetIsSource {
                    projection: id,
                    population: net.populations[pop].name.clone(),
                });
                return;
            }
            ModelBody::Neuron(dynamics) => {
                match dynamics.ports.iter().find(|p| p.name == proj.port) {
                    Some(port) => port_kind = Some(port.kind),
                    None => {
                        errs.push(ValidationError::UnknownPort {
                            projection: id,
                            port: proj.port.clone(),
                            model: model.name.clone(),
                            available: dynamics.ports.iter().map(|p| p.name.clone()).collect(),
                        });
                        return;
                    }
                }
            }
        }
    }
    // Weights and delays: one value per synapse; columns only with lists.
    let n_listed = match &proj.connector {
        Connector::FromList { connections, .. } => connections.len() as u64,
        _ => u64::MAX,
    };
    check_value(
        &proj.weight,
        (&net.exprs, &[]),
        n_listed,
        ValueRef::Weight(id),
        errs,
    );
    check_value(
        &proj.delay,
        (&net.exprs, &[]),
        n_listed,
        ValueRef::Delay(id),
        errs,
    );
    if port_kind == Some(PortKind::Conductance) && may_be_negative(&proj.weight) {
        errs.push(ValidationError::NegativeConductance {
            projection: id,
            port: proj.port.clone(),
        });
    }
    if may_be_negative(&proj.delay) {
        errs.push(ValidationError::NegativeDelay { projection: id });
    }
    if let Some(syn) = proj.synapse_model() {
        if let Some(detail) = synapse_model_problem(syn) {
            errs.push(ValidationError::BadSynapseModel {
                projection: id,
                model: syn.name.clone(),
                detail,
            });
        }
    }
    let mut bad = |detail: String| {
        errs.push(ValidationError::BadConnector {
            projection: id,
            detail,
        })
    };
    match &proj.connector {
        Connector::OneToOne if n_pre != n_post => bad(format!(
            "`one_to_one` needs equal sizes, but pre has {n_pre} neurons and post has {n_post}"
        )),
        Connector::FixedProbability { p, .. } if !(0.0..=1.0).contains(p) => {
            bad(format!("connection probability {p} is outside [0, 1]"))
        }
        Connector::FixedNumberPre { n, multapses: false, .. } if *n > n_pre => bad(format!(
            "each target needs {n} distinct sources, but pre has only {n_pre} neurons (allow multapses or lower n)"
        )),
        Connector::FixedNumberPost { n, multapses: false, .. } if *n > n_post => bad(format!(
            "each source needs {n} distinct targets, but post has only {n_post} neurons (allow multapses or lower n)"
        )),
        Connector::FixedNumberPre { n, .. } | Connector::FixedNumberPost { n, .. }
        | Connector::FixedTotalNumber { n, .. }
            if *n > 0 && (n_pre == 0 || n_post == 0) =>
        {
            bad("cannot draw connections from an empty selection".into())
        }
        Connector::FixedTotalNumber { n, multapses: false, .. }
            if (*n as u128) > (n_pre as u128) * (n_post as u128) =>
        {
            bad(format!(
                "{n} distinct connections requested, but only {} pairs exist (allow multapses or lower n)",
                n_pre * n_post
            ))
        }
        Connector::DistanceDependent { .. } => {
            let all = proj.pre.parts.iter().chain(&proj.post.parts);
            if let Some(p) = all
                .map(|p| &net.populations[p.population])
                .find(|p| p.structure.is_none())
            {
                bad(format!(
                    "`distance_dependent` needs positions, but `{}` has no structure (declare it `at grid2d(...)` or similar)",
                    p.name
                ))
            }
        }
        Connector::FromList { connections, .. } => {
            if let Some(c) = connections
                .iter()
                .find(|c| c.pre as u64 >= n_pre || c.post as u64 >= n_post)
            {
                bad(format!(
                    "connection ({}, {}) is out of range: pre has {n_pre} neurons, post has {n_post}",
                    c.pre, c.post
                ))
            } else if let Some(c) = connections.iter().find(|c| {
                c.delay.is_some_and(|d| d < 0.0)
                    || (port_kind == Some(PortKind::Conductance) && c.weight.is_some_and(|w| w < 0.0))
            }) {
                bad(format!(
                    "connection ({}, {}) has a negative delay or a negative conductance weight",
                    c.pre, c.post
                ))
            }
        }
        _ => {}
    }
}

/// What is wrong with a synapse model instance, if anything: its first
/// variable must be the weight, traces must decay, and expressions may
/// only read constants, its variables and its traces.
fn synapse_model_problem(syn: &crate::synapse::SynapseModel) -> Option<String> {
    if syn.states.is_empty() {
        return Some("it has no weight variable".into());
    }
    if let Some(t) = syn.traces.iter().find(|t| {
        !(t.tau > 0.0 && t.tau.is_finite() && t.jump.is_finite() && t.initial.is_finite())
    }) {
        return Some(format!(
            "trace `{}` needs a positive, finite time constant, jump and initial value",
            t.name
        ));
    }
    let roots = syn
        .on_pre
        .iter()
        .chain(&syn.on_post)
        .map(|u| (Some(u.state), u.value))
        .chain(syn.states.iter().skip(1).map(|(_, st)| (None, st.init)));
    for (target, root) in roots {
        if target.is_some_and(|h| syn.states.try_get(h).is_none()) {
            return Some("an event block assigns a variable that does not exist".into());
        }
        let mut stack = vec![root];
        while let Some(e) = stack.pop() {
            let Some(node) = syn.exprs.try_get(e) else {
                return Some(format!("dangling expression #{}", e.index()));
            };
            match &node.kind {
                ExprKind::State(h) if syn.states.try_get(*h).is_none() => {
                    return Some(format!("variable #{} does not exist", h.index()));
                }
                ExprKind::Trace(i) if *i as usize >= syn.traces.len() => {
                    return Some(format!("trace #{i} does not exist"));
                }
                ExprKind::Param(_)
                | ExprKind::Let(_)
                | ExprKind::Time
                | ExprKind::Distance
                | ExprKind::Draw(_) => {
                    return Some(
                        "event blocks may only read constants, the synapse's variables and its traces"
                            .into(),
                    );
                }
                k => stack.extend(children(k)),
            }
        }
    }
    None
}

/// Whether a value could produce a negative number.
fn may_be_negative(spec: &ValueSpec) -> bool {
    match spec {
        ValueSpec::Const(v) => *v < 0.0,
        // Not analysed: treated as possibly negative.
        ValueSpec::Expr(_) => true,
        ValueSpec::Column { values, .. } => values.iter().any(|v| *v < 0.0),
        ValueSpec::Random(d) => {
            let a = &d.args;
            let neg_scale = d.scale.is_some_and(|s| s < 0.0);
            neg_scale
                || match d.kind {
                    DistKind::Uniform => a.first().is_some_and(|x| *x < 0.0),
                    DistKind::Normal => true,
                    DistKind::NormalClipped | DistKind::NormalClippedToBoundary => {
                        a.get(2).is_some_and(|x| *x < 0.0)
                    }
                    DistKind::VonMises => true,
                    _ => false,
                }
        }
    }
}

fn check_record(net: &Network, i: usize, errs: &mut Vec<ValidationError>) {
    let rec = &net.records[i];
    let Recordable::State(var) = &rec.what else {
        return;
    };
    for (pop, model) in models_of(net, &rec.selection) {
        let name = &net.populations[pop].name;
        let detail = if model.is_source() {
            Some(format!(
                "`{name}` is a spike source: only `spikes` can be recorded"
            ))
        } else if model.state(var).is_none() {
            let states: Vec<String> = model
                .states
                .iter()
                .map(|(_, s)| format!("`{}`", s.name))
                .collect();
            Some(format!(
                "model `{}` of `{name}` has no state variable `{var}` (it has {}, and `spikes`)",
                model.name,
                states.join(", ")
            ))
        } else {
            None
        };
        if let Some(detail) = detail {
            errs.push(ValidationError::BadRecord { record: i, detail });
            return;
        }
    }
}

/// Handles of every model used by a population, in first-use order.
pub fn used_models(net: &Network) -> Vec<Handle<Model>> {
    let mut out: Vec<Handle<Model>> = Vec::new();
    for (_, p) in net.populations.iter() {
        if !out.contains(&p.model) {
            out.push(p.model);
        }
    }
    out
}

/// What is wrong with a distribution's arguments, if anything.
fn distribution_problem(d: &Distribution) -> Option<String> {
    let a = &d.args;
    let arg = |i: usize| a.get(i).copied().unwrap_or(f64::NAN);
    if a.len() != d.kind.arg_names().len() || a.iter().any(|x| x.is_nan()) {
        return Some(format!(
            "`{}` needs {} arguments",
            d.kind.name(),
            d.kind.arg_names().len()
        ));
    }
    let problem = match d.kind {
        DistKind::Uniform if arg(0) > arg(1) => Some("low is greater than high"),
        DistKind::Normal | DistKind::Lognormal if arg(1) < 0.0 => Some("sigma is negative"),
        DistKind::NormalClipped | DistKind::NormalClippedToBoundary if arg(1) < 0.0 => {
            Some("sigma is negative")
        }
        DistKind::NormalClipped | DistKind::NormalClippedToBoundary if arg(2) > arg(3) => {
            Some("low is greater than high")
        }
        DistKind::Exponential if arg(0) <= 0.0 => Some("beta must be positive"),
        DistKind::Gamma if arg(0) <= 0.0 || arg(1) <= 0.0 => Some("k and theta must be positive"),
        DistKind::VonMises if arg(1) < 0.0 => Some("kappa is negative"),
        DistKind::Binomial if !(0.0..=1.0).contains(&arg(1)) || arg(0) < 0.0 => {
            Some("p must lie in [0, 1] and n must not be negative")
        }
        DistKind::Poisson if arg(0) < 0.0 => Some("lambda is negative"),
        _ => None,
    };
    if let Some(p) = problem {
        return Some(format!("invalid arguments to `{}`: {p}", d.kind.name()));
    } else if d.kind == DistKind::NormalClipped {
        // Redrawing outside [low, high] never ends when the window
        // holds (almost) no probability mass.
        let (mu, sigma, low, high) = (arg(0), arg(1), arg(2), arg(3));
        let far = |x: f64| sigma == 0.0 || ((x - mu) / sigma).abs() > 8.0;
        if (low > mu && far(low)) || (high < mu && far(high)) {
            return Some("`normal_clipped` window lies more than 8 sigma from the mean: redrawing would (almost) never succeed".into());
        }
    }
    None
}

/// Checks that a per-neuron expression only uses existing nodes and draws.
fn expr_problem(exprs: &ExprArena, draws: &[NamedDraw], root: ExprId) -> Option<String> {
    let mut stack = vec![root];
    while let Some(e) = stack.pop() {
        let Some(node) = exprs.try_get(e) else {
            return Some(format!("dangling expression #{}", e.index()));
        };
        match &node.kind {
            ExprKind::Draw(i) if *i as usize >= draws.len() => {
                return Some(format!("draw #{i} does not exist here"));
            }
            ExprKind::Param(_)
            | ExprKind::State(_)
            | ExprKind::Let(_)
            | ExprKind::Distance
            | ExprKind::Trace(_)
            | ExprKind::Time => {
                return Some(
                    "a per-neuron value may only use constants and the population's draws".into(),
                );
            }
            k => stack.extend(children(k)),
        }
    }
    None
}
