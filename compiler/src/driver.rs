//! The driver: runs the pipeline load → parse → lower → validate and keeps
//! everything the CLI needs to report the result. It never prints; the CLI
//! decides how to render.

use std::path::Path;

use crate::diag::{Diagnostic, SourceMap};
use crate::front::load::load;
pub use crate::front::lower::network::Override;
use crate::front::lower::{library, network};
use crate::passes::expand::{expand_in, ExpandError};
use crate::passes::odes;
use spikec_ir::eval::Precision;
use spikec_ir::expanded::{Expanded, RowOrder};
use spikec_ir::network::Network;
use spikec_ir::program::{Propagator, UpdateProgram};
use spikec_ir::valid::{SelectionRef, ValueRef};
use spikec_ir::{validate, Span, ValidNetwork, ValidationError};

/// The result of compiling one file.
pub struct Compilation {
    /// Every source read, for rendering diagnostics.
    pub sources: SourceMap,
    /// Errors and warnings, in the order found.
    pub diagnostics: Vec<Diagnostic>,
    /// The network, when there are no errors. It has passed validation.
    pub network: Option<Network>,
}

impl Compilation {
    /// Whether any error was reported.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Reads and compiles `path`.
pub fn compile_file(path: &Path, overrides: &[Override]) -> std::io::Result<Compilation> {
    let text = std::fs::read_to_string(path)?;
    Ok(compile_source(&path.to_string_lossy(), text, overrides))
}

/// Compiles `text` as if read from `name` (imports and CSV files resolve
/// relative to `name`).
pub fn compile_source(name: &str, text: String, overrides: &[Override]) -> Compilation {
    // The parser and the passes recurse over expressions. Nesting is capped
    // at parse time (`parse::MAX_NESTING`); a generous stack makes sure that
    // cap, not the default 8 MiB main-thread stack, is the limit.
    let name = name.to_string();
    let overrides = overrides.to_vec();
    let worker = std::thread::Builder::new()
        .name("spikec-compile".into())
        .stack_size(STACK_SIZE)
        .spawn(move || compile_on_this_thread(&name, text, &overrides));
    match worker.map(|h| h.join()) {
        Ok(Ok(c)) => c,
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(e) => panic!("cannot start the compiler thread: {e}"),
    }
}

/// Stack of the compiler thread: address space, committed only as used.
const STACK_SIZE: usize = 256 << 20;

fn compile_on_this_thread(name: &str, text: String, overrides: &[Override]) -> Compilation {
    let (mut prog, mut diags) = load(name, text);
    let mut result = None;
    if !diags.iter().any(Diagnostic::is_error) {
        let lib = library::build(&prog, &mut diags);
        let lowered = network::lower_network(&mut prog, &lib, overrides, &mut diags);
        if let Some(net) = lowered {
            if !diags.iter().any(Diagnostic::is_error) {
                match validate(&net) {
                    Ok(_) => result = Some(net),
                    Err(errs) => diags.extend(errs.iter().map(|e| validation_diagnostic(&net, e))),
                }
            }
        }
    }
    Compilation {
        sources: prog.sources,
        diagnostics: diags,
        network: result,
    }
}

/// Validates a lowered network, as diagnostics on failure.
pub(crate) fn valid(net: &Network) -> Result<ValidNetwork<'_>, Vec<Diagnostic>> {
    validate(net).map_err(|errs| errs.iter().map(|e| validation_diagnostic(net, e)).collect())
}

/// Expands a compiled network's connectivity and per-neuron values (the
/// shared middle end of every backend), as diagnostics on failure.
pub fn expand_network(net: &Network) -> Result<Expanded, Vec<Diagnostic>> {
    expand_valid(&valid(net)?)
}

pub(crate) fn expand_valid(valid: &ValidNetwork<'_>) -> Result<Expanded, Vec<Diagnostic>> {
    expand_valid_in(valid, RowOrder::Canonical)
}

/// [`expand_valid`] with the rows of static projections that have
/// per-synapse delays in `order`.
fn expand_valid_in(valid: &ValidNetwork<'_>, order: RowOrder) -> Result<Expanded, Vec<Diagnostic>> {
    let net = valid.network();
    expand_in(valid, order).map_err(|errs| {
        errs.iter()
            .map(|e| match e {
                ExpandError::DelayTooLong { projection, max_steps, .. } => Diagnostic::error("E0052", e.to_string())
                    .primary(at(&net.spans.delays, projection.index(), Span::DUMMY), "too long")
                    .help(format!(
                        "at a timestep of {} ms, delays up to {} ms fit; use a coarser timestep or shorter delays",
                        spikec_ir::units::format_number(net.timestep),
                        spikec_ir::units::format_number(*max_steps as f64 * net.timestep)
                    )),
            })
            .collect()
    })
}

/// Simulates a compiled network for `duration` ms with `engine`:
/// expansion, update programs and exact propagators first, then the run.
/// Returns the expansion too, for reports: static projections with
/// per-synapse delays come with their rows by delay ([`RowOrder::Delay`]).
pub fn simulate(
    net: &Network,
    duration: f64,
    engine: spikec_sim::Engine,
    precision: Precision,
) -> Result<(Expanded, spikec_sim::Output), Vec<Diagnostic>> {
    let run = SimRun {
        duration,
        warmup: 0.0,
        engine,
        precision,
        delivery: spikec_sim::Delivery::default(),
    };
    simulate_with_progress(net, &run, &mut |_, _| {}).map(|(e, o, _)| (e, o))
}

/// Update programs (by model; `None` for sources) and exact propagators
/// (by population) of an expanded network: what every engine and backend
/// runs the neurons with.
pub(crate) fn programs(
    net: &Network,
    expanded: &Expanded,
) -> (Vec<Option<UpdateProgram>>, Vec<Vec<Propagator>>) {
    let programs: Vec<_> = net
        .models
        .iter()
        .map(|(_, m)| odes::program(m, net.semantics, net.timestep))
        .collect();
    let propagators: Vec<_> = net
        .populations
        .iter()
        .map(|(id, pop)| match &programs[pop.model.index()] {
            Some(prog) => odes::propagators(
                &net.models[pop.model],
                prog,
                &expanded.populations[id.index()],
                pop.size as usize,
                net.timestep,
                net.semantics,
            ),
            None => Vec::new(),
        })
        .collect();
    (programs, propagators)
}

/// What to simulate: durations in ms.
#[derive(Clone, Copy, Debug)]
pub struct SimRun {
    /// Recorded time, after the warm-up.
    pub duration: f64,
    /// Simulated but not recorded before it.
    pub warmup: f64,
    /// The engine.
    pub engine: spikec_sim::Engine,
    /// The arithmetic.
    pub precision: Precision,
    /// When synaptic input is added (the results are the same).
    pub delivery: spikec_sim::Delivery,
}

/// Where a simulation's time went (wall clock).
#[derive(Clone, Copy, Debug, Default)]
pub struct SimTimings {
    /// Validation and connectivity expansion.
    pub expansion: std::time::Duration,
    /// Everything before the first step: update programs, compiled code,
    /// the simulator's own tables.
    pub setup: std::time::Duration,
    /// The steps.
    pub steps: std::time::Duration,
}

/// Simulates `run.warmup` + `run.duration` ms, recording after the
/// warm-up, reporting (steps done, steps in all) as it goes.
pub fn simulate_with_progress(
    net: &Network,
    run: &SimRun,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<(Expanded, spikec_sim::Output, SimTimings), Vec<Diagnostic>> {
    let start = std::time::Instant::now();
    let valid = valid(net)?;
    // Delivery at arrival reads static rows a delay at a time: the
    // expansion orders them so, rather than the simulator copying them.
    let order = match run.delivery {
        spikec_sim::Delivery::Arrival => RowOrder::Delay,
        spikec_sim::Delivery::Emission => RowOrder::Canonical,
    };
    let expanded = expand_valid_in(&valid, order)?;
    let expanded_at = std::time::Instant::now();
    // The simulator reports step 0 as it starts the first step.
    let mut first_step: Option<std::time::Instant> = None;
    let (programs, propagators) = programs(net, &expanded);
    let record_from = (run.warmup / net.timestep).round().max(0.0) as u64;
    let steps = record_from + (run.duration / net.timestep).round().max(0.0) as u64;
    let (engine, precision) = (run.engine, run.precision);
    let input = spikec_sim::Input {
        net: valid,
        expanded: &expanded,
        programs: &programs,
        propagators: &propagators,
    };
    // The driver built programs and propagators for exactly this network,
    // so a mismatch is a compiler bug, reported as such.
    let out = spikec_sim::run_with_progress(
        &input,
        &spikec_sim::Options {
            steps,
            engine,
            precision,
            record_from,
            delivery: run.delivery,
        },
        &mut |done| {
            first_step.get_or_insert_with(std::time::Instant::now);
            progress(done, steps)
        },
    )
    .map_err(|e| {
        vec![
            Diagnostic::error("E0000", format!("internal compiler error: {e}")).help(
                "this is a bug in spikec, not in the network: please report it with the .snn file",
            ),
        ]
    })?;
    let end = std::time::Instant::now();
    let first_step = first_step.unwrap_or(end);
    let timings = SimTimings {
        expansion: expanded_at - start,
        setup: first_step - expanded_at,
        steps: end - first_step,
    };
    Ok((expanded, out, timings))
}

fn sel_span(net: &Network, s: SelectionRef, part: usize) -> Span {
    let sp = &net.spans;
    let parts = match s {
        SelectionRef::Pre(p) => sp.pre_parts.get(p.index()),
        SelectionRef::Post(p) => sp.post_parts.get(p.index()),
        SelectionRef::Record(i) => sp.record_parts.get(i),
    };
    parts
        .and_then(|v| v.get(part))
        .copied()
        .unwrap_or(Span::DUMMY)
}

fn at<T: Copy>(v: &[T], i: usize, d: T) -> T {
    v.get(i).copied().unwrap_or(d)
}

/// Turns a validation error into a diagnostic pointing at the source.
pub fn validation_diagnostic(net: &Network, e: &ValidationError) -> Diagnostic {
    let sp = &net.spans;
    let msg = e.to_string();
    match e {
        ValidationError::BadTimestep { .. } => Diagnostic::error("E0049", msg).primary(sp.timestep, "not a positive time").help("PyNN and NEST default to `timestep 0.1 ms`"),
        ValidationError::EmptyPopulation { population, .. } => Diagnostic::error("E0040", msg)
            .primary(at(&sp.population_sizes, population.index(), Span::DUMMY), "size is zero")
            .help("a population needs at least one neuron"),
        ValidationError::Dangling { .. } => Diagnostic::error("E0046", msg).help("this network was built by code, not by the front end; check the handles it uses"),
        ValidationError::IndexOutOfRange { selection, part, .. } => Diagnostic::error("E0041", msg)
            .primary(sel_span(net, *selection, *part), "out of range")
            .help("indices start at 0, and a slice `a..b` excludes b"),
        ValidationError::BadValue { value, .. } => {
            let span = match value {
                ValueRef::Setting(p, i) => sp.settings.get(p.index()).and_then(|v| v.get(*i)).copied().unwrap_or(Span::DUMMY),
                ValueRef::Draw(p, i) => sp
                    .draws
                    .get(p.index())
                    .and_then(|v| v.get(*i))
                    .copied()
                    .unwrap_or(Span::DUMMY),
                ValueRef::Weight(p) => at(&sp.weights, p.index(), Span::DUMMY),
                ValueRef::Delay(p) => at(&sp.delays, p.index(), Span::DUMMY),
            };
            Diagnostic::error("E0046", msg).primary(span, "invalid value").help("per-neuron values need one entry per neuron; distribution arguments must describe a real distribution")
        }
        ValidationError::BadConnector { projection, .. } => Diagnostic::error("E0042", msg)
            .primary(at(&sp.connectors, projection.index(), Span::DUMMY), "does not fit the populations")
            .secondary(at(&sp.projections, projection.index(), Span::DUMMY), "in this projection")
            .help("change the connector's arguments or the populations it joins"),
        ValidationError::BadSynapseModel { projection, .. } => Diagnostic::error("E0073", msg)
            .primary(at(&sp.projections, projection.index(), Span::DUMMY), "in this projection")
            .help("this is a bug in spikec's front end if the model compiled; please report it"),
        ValidationError::UnknownPort { projection, available, .. } => Diagnostic::error("E0014", msg)
            .primary(at(&sp.ports, projection.index(), Span::DUMMY), "unknown port")
            .help(format!("ports of the target model: {}", available.join(", "))),
        ValidationError::TargetIsSource { projection, .. } => Diagnostic::error("E0044", msg)
            .primary(sp.post_parts.get(projection.index()).and_then(|v| v.first()).copied().unwrap_or(Span::DUMMY), "a spike source")
            .help("spike sources only send spikes: swap the direction, or target a neuron population"),
        ValidationError::NegativeConductance { projection, .. } => Diagnostic::error("E0045", msg)
            .primary(at(&sp.weights, projection.index(), Span::DUMMY), "can be negative")
            .help("conductances are positive; inhibition comes from the port's reversal potential (use the `inhibitory` port)"),
        ValidationError::NegativeDelay { projection } => Diagnostic::error("E0045", msg)
            .primary(at(&sp.delays, projection.index(), Span::DUMMY), "can be negative")
            .help("use a delay of at least one timestep; clip distributions with `normal_clipped(mu, sigma, low, high)`"),
        ValidationError::BadRecord { record, .. } => Diagnostic::error("E0050", msg)
            .primary(at(&sp.records, *record, Span::DUMMY), "cannot be recorded")
            .help("record `spikes` or a state variable of the model"),
    }
}

/// A copy of the network that records every population's spikes.
pub(crate) fn recording_all(net: &Network) -> Network {
    use spikec_ir::network::{IndexSet, Record, Recordable, Selection, SelectionPart};
    let mut all = net.clone();
    all.records = all
        .populations
        .iter()
        .map(|(id, _)| Record {
            selection: Selection {
                parts: vec![SelectionPart {
                    population: id,
                    indices: IndexSet::All,
                }],
            },
            what: Recordable::Spikes,
        })
        .collect();
    all.spans.records = vec![Span::DUMMY; all.records.len()];
    all.spans.record_parts = vec![vec![Span::DUMMY]; all.records.len()];
    all
}

/// A population's declaration, for diagnostics (`Span::DUMMY` if none).
pub(crate) fn population_span(net: &Network, p: usize) -> spikec_ir::Span {
    net.spans
        .populations
        .get(p)
        .copied()
        .unwrap_or(spikec_ir::Span::DUMMY)
}

/// A population's name, for messages (`#p` if there is none).
pub(crate) fn population_name(net: &Network, p: usize) -> String {
    net.populations
        .iter()
        .nth(p)
        .map_or_else(|| format!("#{p}"), |(_, pop)| pop.name.clone())
}
