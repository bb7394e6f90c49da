//! The textual IR printer behind `spikec ir`.
//!
//! The text is a stable, diffable claim about what the compiler understood:
//! golden tests snapshot it, so it contains no spans, no addresses and no
//! hash-ordered collections. Every number is in canonical units (see
//! [`crate::units`]), printed as the shortest text that reads back exactly.

use std::fmt::Write;

use crate::expr::{BinaryOp, CmpOp, ExprArena, ExprId, ExprKind, LogicOp, Type};
use crate::model::{Generator, Model, ModelBody, OdeClass, ParamType};
use crate::network::{
    Connector, Distribution, IndexSet, ListedConnection, NamedDraw, Network, Recordable, Selection,
    SettingValue, SpikeTimes, Structure, ValueSpec, Var,
};
use crate::units::{format_number, format_quantity, Dim};
use crate::valid::{used_models, ValidNetwork};

/// Renders a validated network as text.
pub fn print_network(valid: &ValidNetwork<'_>) -> String {
    let net = valid.network();
    let mut out = String::new();
    let o = &mut out;
    let _ = writeln!(o, "network {}", net.name);
    let _ = writeln!(o, "  timestep {}", format_quantity(net.timestep, Dim::TIME));
    if net.semantics != crate::network::Semantics::Nest {
        let _ = writeln!(o, "  semantics {}", net.semantics.name());
    }
    let _ = writeln!(o, "  seed {}", net.seed);
    for p in &net.params {
        let tag = if p.overridden {
            "  # overridden (--set, or a test case's set)"
        } else {
            ""
        };
        let _ = writeln!(
            o,
            "  param {} = {}{tag}",
            p.name,
            format_quantity(p.value, p.dim)
        );
    }
    for m in used_models(net) {
        o.push('\n');
        print_model(o, &net.models[m]);
    }
    for (_, pop) in net.populations.iter() {
        o.push('\n');
        let model = &net.models[pop.model];
        let kind = if model.is_source() {
            "source"
        } else {
            "population"
        };
        let _ = writeln!(o, "{kind} {}: {}[{}]", pop.name, model.name, pop.size);
        if let Some(s) = &pop.structure {
            let _ = writeln!(o, "  at {}", structure(s));
        }
        if let Some(n) = pop.neurons_per_core {
            let _ = writeln!(o, "  neurons_per_core {n}");
        }
        for d in &pop.draws {
            let _ = writeln!(
                o,
                "  let {} = {}",
                d.name,
                distribution(&d.distribution, d.dim)
            );
        }
        for s in &pop.settings {
            let name = match s.var {
                Var::Param(p) => &model.params[p].name,
                Var::State(st) => &model.states[st].name,
            };
            let dim = match s.var {
                Var::Param(p) => match model.params[p].ty {
                    ParamType::Scalar(d) => d,
                    ParamType::SpikeTimes => Dim::TIME,
                },
                Var::State(st) => model.states[st].dim,
            };
            let value = match &s.value {
                SettingValue::Scalar(v) => value_spec(net, &pop.draws, v, dim),
                SettingValue::Times(t) => spike_times(t),
            };
            let what = if matches!(s.var, Var::State(_)) {
                "init "
            } else {
                ""
            };
            let _ = writeln!(o, "  {what}{name} = {value}");
        }
    }
    for v in &net.views {
        o.push('\n');
        let _ = writeln!(o, "view {} = {}", v.name, selection(net, &v.selection));
    }
    for (_, proj) in net.projections.iter() {
        o.push('\n');
        let _ = writeln!(
            o,
            "projection {}: {} -> {}",
            proj.name,
            selection(net, &proj.pre),
            selection(net, &proj.post)
        );
        let _ = writeln!(o, "  connector {}", connector(net, &proj.connector));
        let (kind, wdim) = proj
            .post
            .parts
            .first()
            .and_then(|p| net.models[net.populations[p.population].model].port(&proj.port))
            .map(|p| (p.kind.name(), p.weight_dim))
            .unwrap_or(("?", Dim::NONE));
        let _ = writeln!(o, "  port {} ({kind})", proj.port);
        // A gap junction's weight is a conductance, whatever its port takes.
        let wdim = if proj.is_gap_junction() {
            Dim::CONDUCTANCE
        } else {
            wdim
        };
        // A list's own weights and delays replace the projection's.
        let listed = |get: fn(&ListedConnection) -> Option<f64>, dim: Dim| match &proj.connector {
            Connector::FromList { connections, .. } => {
                let own: Vec<f64> = connections.iter().filter_map(get).collect();
                let (lo, hi) = own
                    .iter()
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
                        (a.min(x), b.max(x))
                    });
                let range = format!(
                    "[{}, {}]",
                    crate::units::format_quantity(lo, dim),
                    crate::units::format_quantity(hi, dim)
                );
                if own.is_empty() {
                    None
                } else if own.len() == connections.len() {
                    Some(format!("from the list ({} values in {range})", own.len()))
                } else {
                    Some(format!(
                        "from the list for {} of {} connections ({range})",
                        own.len(),
                        connections.len()
                    ))
                }
            }
            _ => None,
        };
        let weight = value_spec(net, &[], &proj.weight, wdim);
        let _ = match listed(|c| c.weight, wdim) {
            Some(l) if l.starts_with("from the list (") => writeln!(o, "  weight {l}"),
            Some(l) => writeln!(o, "  weight {weight}; {l}"),
            None => writeln!(o, "  weight {weight}"),
        };
        if !proj.is_gap_junction() {
            let delay = value_spec(net, &[], &proj.delay, Dim::TIME);
            let _ = match listed(|c| c.delay, Dim::TIME) {
                Some(l) if l.starts_with("from the list (") => writeln!(o, "  delay {l}"),
                Some(l) => writeln!(o, "  delay {delay}; {l}"),
                None => writeln!(o, "  delay {delay}"),
            };
        }
        match proj.stdp() {
            Some(r) => {
                let w = |x| crate::units::format_quantity(x, wdim);
                let t = |x| crate::units::format_quantity(x, Dim::TIME);
                let _ = writeln!(
                    o,
                    "  synapse stdp(tau_plus = {}, tau_minus = {}, A_plus = {}, A_minus = {}, \
                     w_min = {}, w_max = {}, dependence = {})",
                    t(r.tau_plus),
                    t(r.tau_minus),
                    crate::units::format_number(r.a_plus),
                    crate::units::format_number(r.a_minus),
                    w(r.w_min),
                    w(r.w_max),
                    match r.dependence {
                        crate::network::WeightDependence::Additive => "additive",
                        crate::network::WeightDependence::Multiplicative => "multiplicative",
                    }
                );
            }
            None => match proj.synapse_model() {
                Some(syn) => synapse_model(o, syn),
                None => {
                    let _ = writeln!(o, "  synapse {}", proj.synapse.name());
                }
            },
        }
    }
    if !net.records.is_empty() {
        o.push('\n');
    }
    for r in &net.records {
        let what = match &r.what {
            Recordable::Spikes => "spikes",
            Recordable::State(s) => s,
        };
        let _ = writeln!(o, "record {what} of {}", selection(net, &r.selection));
    }
    out
}

fn print_model(o: &mut String, m: &Model) {
    let kind = match &m.body {
        ModelBody::Source(_) => "source model".to_string(),
        ModelBody::Neuron(d) => match &d.class {
            OdeClass::LinearConstant => "neuron model; odes: linear, constant coefficients".into(),
            OdeClass::Nonlinear { state, reason } => format!(
                "neuron model; odes: nonlinear ({}' = ...: {reason})",
                m.states[*state].name
            ),
        },
    };
    let _ = writeln!(o, "model {}  # {kind}", m.name);
    if let Some(base) = &m.alias_of {
        let _ = writeln!(o, "  # alias of {base}");
    }
    for (_, p) in m.params.iter() {
        match (&p.ty, p.default) {
            (ParamType::Scalar(d), Some(e)) => {
                let _ = writeln!(
                    o,
                    "  parameter {}: {} = {}",
                    p.name,
                    unit_name(*d),
                    expr(m, &m.exprs, e)
                );
            }
            (ParamType::Scalar(d), None) => {
                let _ = writeln!(o, "  parameter {}: {} (required)", p.name, unit_name(*d));
            }
            (ParamType::SpikeTimes, _) => {
                let _ = writeln!(
                    o,
                    "  parameter {}: spike times = {}",
                    p.name,
                    times_list(&p.default_times)
                );
            }
        }
    }
    for (_, s) in m.states.iter() {
        let _ = writeln!(
            o,
            "  state {}: {} = {}",
            s.name,
            unit_name(s.dim),
            expr(m, &m.exprs, s.init)
        );
    }
    for (_, l) in m.lets.iter() {
        let _ = writeln!(o, "  let {} = {}", l.name, expr(m, &m.exprs, l.value));
    }
    match &m.body {
        ModelBody::Neuron(d) => {
            for ode in &d.odes {
                let _ = writeln!(
                    o,
                    "  {}' = {}",
                    m.states[ode.state].name,
                    expr(m, &m.exprs, ode.rhs)
                );
            }
            for p in &d.ports {
                let scale = p
                    .scale
                    .map(|s| format!(" * ({})", expr(m, &m.exprs, s)))
                    .unwrap_or_default();
                let _ = writeln!(
                    o,
                    "  input {} -> {}{scale}  # {}, weights in {}",
                    p.name,
                    m.states[p.target].name,
                    p.kind.name(),
                    unit_name(p.weight_dim)
                );
            }
            if let Some(s) = d.spike {
                let _ = writeln!(o, "  spike {}", expr(m, &m.exprs, s));
            }
            for (st, e) in &d.reset {
                let _ = writeln!(
                    o,
                    "    reset {} = {}",
                    m.states[*st].name,
                    expr(m, &m.exprs, *e)
                );
            }
            if let Some(s) = d.solver {
                let _ = writeln!(o, "  solver {}", s.name());
            }
            if let Some(r) = &d.refractory {
                let _ = writeln!(
                    o,
                    "  refractory {} clamp {}",
                    expr(m, &m.exprs, r.period),
                    m.states[r.clamp].name
                );
            }
        }
        ModelBody::Source(Generator::Poisson { rate, start, stop }) => {
            let _ = writeln!(
                o,
                "  emit poisson(rate = {}, start = {}, stop = {})",
                expr(m, &m.exprs, *rate),
                expr(m, &m.exprs, *start),
                expr(m, &m.exprs, *stop)
            );
        }
        ModelBody::Source(Generator::Array { times }) => {
            let _ = writeln!(o, "  emit array({})", m.params[*times].name);
        }
    }
}

fn unit_name(d: Dim) -> String {
    let u = d.canonical_unit();
    if u.is_empty() {
        "1".into()
    } else {
        u
    }
}

fn structure(s: &Structure) -> String {
    let l = |v: f64| format_quantity(v, Dim::LENGTH);
    match s {
        Structure::Line { dx, x0 } => format!("line(dx = {}, x0 = {})", l(*dx), l(*x0)),
        Structure::Grid2d {
            aspect_ratio,
            dx,
            dy,
            x0,
            y0,
        } => format!(
            "grid2d(aspect_ratio = {}, dx = {}, dy = {}, x0 = {}, y0 = {})",
            format_number(*aspect_ratio),
            l(*dx),
            l(*dy),
            l(*x0),
            l(*y0)
        ),
        Structure::Grid3d {
            aspect_ratio_xy,
            aspect_ratio_xz,
            dx,
            dy,
            dz,
        } => format!(
            "grid3d(aspect_ratio_xy = {}, aspect_ratio_xz = {}, dx = {}, dy = {}, dz = {})",
            format_number(*aspect_ratio_xy),
            format_number(*aspect_ratio_xz),
            l(*dx),
            l(*dy),
            l(*dz)
        ),
        Structure::RandomBox {
            width,
            height,
            depth,
        } => format!(
            "random_box(width = {}, height = {}, depth = {})",
            l(*width),
            l(*height),
            l(*depth)
        ),
    }
}

/// Renders a per-element value; `draws` are the population's named draws.
pub fn value_spec(net: &Network, draws: &[NamedDraw], v: &ValueSpec, dim: Dim) -> String {
    match v {
        ValueSpec::Const(x) => format_quantity(*x, dim),
        ValueSpec::Expr(e) => expr_in(
            NameScope {
                draws,
                ..Default::default()
            },
            &net.exprs,
            *e,
        ),
        ValueSpec::Random(d) => distribution(d, dim),
        ValueSpec::Column { origin, values } => {
            let (lo, hi) = values
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
                    (a.min(x), b.max(x))
                });
            if values.is_empty() {
                format!("{origin} (0 values)")
            } else {
                format!(
                    "{origin} ({} values in [{}, {}])",
                    values.len(),
                    format_quantity(lo, dim),
                    format_quantity(hi, dim)
                )
            }
        }
    }
}

fn distribution(d: &Distribution, dim: Dim) -> String {
    let args: Vec<String> = d
        .kind
        .arg_names()
        .iter()
        .zip(d.kind.arg_has_value_dim())
        .zip(&d.args)
        .map(|((name, has_dim), v)| {
            let dim = if *has_dim && d.scale.is_none() {
                dim
            } else {
                Dim::NONE
            };
            format!("{name} = {}", format_quantity(*v, dim))
        })
        .collect();
    let base = format!("{}({})", d.kind.name(), args.join(", "));
    match d.scale {
        None => base,
        Some(s) => format!("{base} * {}", format_quantity(s, dim)),
    }
}

fn times_list(t: &[f64]) -> String {
    let items: Vec<String> = t.iter().map(|x| format_number(*x)).collect();
    format!("[{}] ms", items.join(", "))
}

fn spike_times(t: &SpikeTimes) -> String {
    match t {
        SpikeTimes::Shared(v) => format!("{} (every neuron)", times_list(v)),
        SpikeTimes::PerNeuron(vs) => {
            let n: usize = vs.iter().map(Vec::len).sum();
            if vs.len() <= 8 {
                let items: Vec<String> = vs.iter().map(|v| times_list(v)).collect();
                items.join(", ")
            } else {
                format!("{} trains, {n} spikes", vs.len())
            }
        }
    }
}

fn selection(net: &Network, s: &Selection) -> String {
    let parts: Vec<String> = s
        .parts
        .iter()
        .map(|p| {
            let name = &net.populations[p.population].name;
            match &p.indices {
                IndexSet::All => name.clone(),
                IndexSet::Range(a, b) => format!("{name}[{a}..{b}]"),
                IndexSet::List(v) => {
                    let items: Vec<String> = v.iter().map(u32::to_string).collect();
                    format!("{name}[{}]", items.join(", "))
                }
            }
        })
        .collect();
    parts.join(" + ")
}

fn connector(net: &Network, c: &Connector) -> String {
    match c {
        Connector::OneToOne => "one_to_one()".into(),
        Connector::AllToAll { autapses } => format!("all_to_all(autapses = {autapses})"),
        Connector::FixedProbability { p, autapses } => format!(
            "fixed_probability(p = {}, autapses = {autapses})",
            format_number(*p)
        ),
        Connector::FixedNumberPre {
            n,
            autapses,
            multapses,
        } => {
            format!("fixed_number_pre(n = {n}, autapses = {autapses}, multapses = {multapses})")
        }
        Connector::FixedNumberPost {
            n,
            autapses,
            multapses,
        } => {
            format!("fixed_number_post(n = {n}, autapses = {autapses}, multapses = {multapses})")
        }
        Connector::FixedTotalNumber {
            n,
            autapses,
            multapses,
        } => format!("fixed_total_number(n = {n}, autapses = {autapses}, multapses = {multapses})"),
        Connector::DistanceDependent {
            probability,
            autapses,
        } => format!(
            "distance_dependent(p = {}, autapses = {autapses})",
            expr_in(NameScope::default(), &net.exprs, *probability)
        ),
        Connector::FromList {
            connections,
            origin,
        } => {
            let head = match origin {
                Some(f) => format!("from_file({f:?})"),
                None => "from_list".into(),
            };
            if connections.len() <= 16 {
                let items: Vec<String> = connections
                    .iter()
                    .map(|c| {
                        let mut s = format!("({}, {}", c.pre, c.post);
                        if let Some(w) = c.weight {
                            let _ = write!(s, ", w = {}", format_number(w));
                        }
                        if let Some(d) = c.delay {
                            let _ = write!(s, ", d = {} ms", format_number(d));
                        }
                        s.push(')');
                        s
                    })
                    .collect();
                format!("{head} [{}]", items.join(", "))
            } else {
                format!("{head} [{} connections]", connections.len())
            }
        }
    }
}

fn expr(m: &Model, arena: &ExprArena, e: ExprId) -> String {
    expr_in(
        NameScope {
            model: Some(m),
            ..Default::default()
        },
        arena,
        e,
    )
}

fn prec(kind: &ExprKind) -> u8 {
    match kind {
        ExprKind::Logic(LogicOp::Or, ..) => 1,
        ExprKind::Logic(LogicOp::And, ..) => 2,
        ExprKind::Not(_) => 3,
        ExprKind::Compare(..) => 4,
        ExprKind::Binary(BinaryOp::Add | BinaryOp::Sub, ..) => 5,
        ExprKind::Binary(BinaryOp::Mul | BinaryOp::Div, ..) => 6,
        ExprKind::Neg(_) => 7,
        ExprKind::Binary(BinaryOp::Pow, ..) => 8,
        ExprKind::Const(v) if *v < 0.0 => 7,
        _ => 9,
    }
}

/// A projection's synapse model instance: its parameter values, variables,
/// traces and event blocks, one per line.
fn synapse_model(o: &mut String, syn: &crate::synapse::SynapseModel) {
    use crate::synapse::TraceSide;
    let params: Vec<String> = syn
        .params
        .iter()
        .map(|(n, v, d)| format!("{n} = {}", format_quantity(*v, *d)))
        .collect();
    let _ = writeln!(o, "  synapse {}({})", syn.name, params.join(", "));
    let scope = NameScope {
        synapse: Some(syn),
        ..Default::default()
    };
    for (h, st) in syn.states.iter() {
        if h == syn.weight() {
            let _ = writeln!(o, "    state w (from the weight)");
        } else {
            let _ = writeln!(
                o,
                "    state {} = {}",
                st.name,
                expr_in(scope, &syn.exprs, st.init)
            );
        }
    }
    for t in &syn.traces {
        let _ = writeln!(
            o,
            "    trace {} = {}(tau = {}, jump = {}{}{}{})",
            t.name,
            match t.side {
                TraceSide::Pre => "pre",
                TraceSide::Post => "post",
            },
            format_quantity(t.tau, Dim::TIME),
            format_number(t.jump),
            if t.nearest { ", nearest" } else { "" },
            if t.inclusive { ", inclusive" } else { "" },
            if t.initial != 0.0 {
                format!(", initial = {}", format_number(t.initial))
            } else {
                String::new()
            }
        );
    }
    for (what, block) in [("pre", &syn.on_pre), ("post", &syn.on_post)] {
        let _ = writeln!(o, "    on {what}");
        for u in block {
            let _ = writeln!(
                o,
                "      {} = {}",
                syn.states[u.state].name,
                expr_in(scope, &syn.exprs, u.value)
            );
        }
    }
}

/// What the names in an expression refer to.
#[derive(Clone, Copy, Default)]
pub struct NameScope<'a> {
    /// The model whose parameters, states and definitions appear.
    pub model: Option<&'a Model>,
    /// The population draws that appear.
    pub draws: &'a [NamedDraw],
    /// The synapse model whose variables and traces appear.
    pub synapse: Option<&'a crate::synapse::SynapseModel>,
}

/// Renders an expression with the fewest parentheses that keep its meaning.
pub fn expr_in(names: NameScope<'_>, arena: &ExprArena, e: ExprId) -> String {
    let m = names.model;
    let node = &arena[e];
    let sub = |c: ExprId, min: u8| {
        let s = expr_in(names, arena, c);
        if prec(&arena[c].kind) < min {
            format!("({s})")
        } else {
            s
        }
    };
    let p = prec(&node.kind);
    match &node.kind {
        ExprKind::Const(v) => match node.ty {
            Type::Num(d) => format_quantity(*v, d),
            Type::Bool => format_number(*v),
        },
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::Param(h) => m.map_or("?".into(), |m| m.params[*h].name.clone()),
        ExprKind::State(h) => match (names.synapse, m) {
            (Some(syn), _) => syn.states[*h].name.clone(),
            (None, Some(m)) => m.states[*h].name.clone(),
            (None, None) => "?".into(),
        },
        ExprKind::Trace(i) => names
            .synapse
            .and_then(|syn| syn.traces.get(*i as usize))
            .map_or("?".into(), |t| t.name.clone()),
        ExprKind::Let(h) => m.map_or("?".into(), |m| m.lets[*h].name.clone()),
        ExprKind::Time => "t".into(),
        ExprKind::Distance => "d".into(),
        ExprKind::Draw(i) => names
            .draws
            .get(*i as usize)
            .map_or("?".into(), |d| d.name.clone()),
        ExprKind::Neg(a) => format!("-{}", sub(*a, p + 1)),
        ExprKind::Not(a) => format!("not {}", sub(*a, p)),
        ExprKind::Binary(op, a, b) => {
            let sym = match op {
                BinaryOp::Add => "+",
                BinaryOp::Sub => "-",
                BinaryOp::Mul => "*",
                BinaryOp::Div => "/",
                BinaryOp::Pow => "^",
            };
            // Left-associative except `^`, which is right-associative.
            let (lp, rp) = if *op == BinaryOp::Pow {
                (p + 1, p)
            } else {
                (p, p + 1)
            };
            format!("{} {sym} {}", sub(*a, lp), sub(*b, rp))
        }
        ExprKind::Compare(op, a, b) => {
            let sym = match op {
                CmpOp::Gt => ">",
                CmpOp::Ge => ">=",
                CmpOp::Lt => "<",
                CmpOp::Le => "<=",
                CmpOp::Eq => "==",
                CmpOp::Ne => "!=",
            };
            format!("{} {sym} {}", sub(*a, p + 1), sub(*b, p + 1))
        }
        ExprKind::Logic(op, a, b) => {
            let sym = if *op == LogicOp::And { "and" } else { "or" };
            format!("{} {sym} {}", sub(*a, p), sub(*b, p + 1))
        }
        ExprKind::Call(f, args) => {
            let a: Vec<String> = args.iter().map(|x| expr_in(names, arena, *x)).collect();
            format!("{}({})", f.name(), a.join(", "))
        }
    }
}
