//! `spikec build --target spinnaker`: runs the shared middle end, hands the
//! expanded network to the SpiNNaker backend, turns its errors into
//! diagnostics at the declarations they concern, and writes the artifacts
//! so that a failed build never leaves a half-written directory.

use std::path::{Path, PathBuf};

use crate::diag::Diagnostic;
use crate::driver::{
    expand_valid, population_name as pop_name, population_span as pop_span, programs,
    recording_all, simulate, valid,
};
use spikec_ir::eval::Precision;
use spikec_ir::{Network, Span};
use spikec_spinnaker::emulator::{emulate, PlasticWeight, Spike};
use spikec_spinnaker::graph::PartitionOptions;
use spikec_spinnaker::machine::Machine;
use spikec_spinnaker::{Artifacts, BuildError, BuildWarning, Input, TargetOptions};

/// Where the machine description comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MachineSource {
    /// `spinn5`, `spinn5x3`, `spinnaker2`, ...
    Preset(String),
    /// A machine file (TOML).
    File(PathBuf),
}

impl MachineSource {
    /// A file if the argument names one (has a `.toml` extension or a path
    /// separator), a preset otherwise.
    pub fn parse(arg: &str) -> MachineSource {
        if arg.ends_with(".toml") || arg.contains('/') || arg.contains('\\') {
            MachineSource::File(PathBuf::from(arg))
        } else {
            MachineSource::Preset(arg.to_string())
        }
    }
}

/// What the user asked for.
#[derive(Clone, Debug)]
pub struct SpinnakerRequest {
    pub machine: MachineSource,
    /// Overrides the default of 256 neurons a core.
    pub neurons_per_core: Option<u32>,
    /// Bits of the sender's step in every key (0 to 8).
    pub colour_bits: u8,
}

fn machine(net: &Network, req: &SpinnakerRequest) -> Result<Machine, Vec<Diagnostic>> {
    match &req.machine {
        MachineSource::Preset(name) => Machine::preset(name),
        MachineSource::File(path) => Machine::load(path),
    }
    .map_err(|e| vec![diagnostic(net, &BuildError::Machine(e))])
}

/// Builds the configuration; errors are diagnostics.
pub fn build(net: &Network, req: &SpinnakerRequest) -> Result<Artifacts, Vec<Diagnostic>> {
    let machine = machine(net, req)?;
    let valid = valid(net)?;
    let ex = expand_valid(&valid)?;
    let (programs, propagators) = programs(net, &ex);
    let mut partition = PartitionOptions::default();
    if let Some(n) = req.neurons_per_core {
        partition.neurons_per_core = n;
    }
    let opts = TargetOptions {
        machine,
        partition,
        colour_bits: req.colour_bits,
    };
    let input = Input {
        net: valid,
        expanded: &ex,
        programs: &programs,
        propagators: &propagators,
    };
    spikec_spinnaker::compile(&input, &opts).map_err(|e| vec![diagnostic(net, &e)])
}

/// The build's warnings as diagnostics at the projections they concern.
pub fn warnings(net: &Network, art: &Artifacts) -> Vec<Diagnostic> {
    art.warnings
        .iter()
        .map(|w| match w {
            BuildWarning::WeightPrecision { projection, loss } => {
                let name = net
                    .projections
                    .iter()
                    .nth(*projection)
                    .map_or_else(String::new, |(_, p)| p.name.clone());
                let span = net
                    .spans
                    .weights
                    .get(*projection)
                    .copied()
                    .unwrap_or(Span::DUMMY);
                Diagnostic::warning(
                    "W0008",
                    format!("weights of `{name}` lose precision on SpiNNaker: {loss}"),
                )
                .primary(span, "stored as 16-bit magnitudes")
                .help(
                    "weights share a ring-buffer shift per (population, port, sign): \
                     very different weights on one port, or weights tiny next to the \
                     expected input, lose precision",
                )
            }
        })
        .collect()
}

/// What `spikec verify` found.
#[derive(Clone, Debug)]
pub struct Verification {
    /// Steps run.
    pub steps: u64,
    /// The emulator's spikes and the simulator's.
    pub emulated: Vec<Spike>,
    pub simulated: Vec<Spike>,
    /// Packets, synaptic events and saturating ring-buffer adds.
    pub packets: u64,
    pub synaptic_events: u64,
    pub saturated: u64,
    /// Every plastic synapse's final weight, as the emulator read it out
    /// of the rows and as the simulator ended, in one order.
    pub emulated_weights: Vec<PlasticWeight>,
    pub simulated_weights: Vec<PlasticWeight>,
}

impl Verification {
    /// The first spike present in one run and not the other, in time
    /// order: `(spike, true)` if only the emulator has it.
    pub fn first_difference(&self) -> Option<(Spike, bool)> {
        let (a, b) = (&self.emulated, &self.simulated);
        let (mut i, mut j) = (0, 0);
        while i < a.len() || j < b.len() {
            match (a.get(i), b.get(j)) {
                (Some(x), Some(y)) if x == y => {
                    i += 1;
                    j += 1;
                }
                (Some(x), Some(y)) => return Some(if x < y { (*x, true) } else { (*y, false) }),
                (Some(x), None) => return Some((*x, true)),
                (None, Some(y)) => return Some((*y, false)),
                (None, None) => break,
            }
        }
        None
    }

    /// The first plastic synapse whose final weight differs (the
    /// emulator's, the simulator's), if any; a synapse only one side has
    /// counts with the other's missing.
    pub fn first_weight_difference(
        &self,
    ) -> Option<(Option<PlasticWeight>, Option<PlasticWeight>)> {
        let (a, b) = (&self.emulated_weights, &self.simulated_weights);
        (0..a.len().max(b.len()))
            .find(|&i| a.get(i) != b.get(i))
            .map(|i| (a.get(i).copied(), b.get(i).copied()))
    }

    /// Plastic synapses whose weight ended elsewhere than it started.
    pub fn moved_weights(&self, initial: &[PlasticWeight]) -> usize {
        self.simulated_weights
            .iter()
            .zip(initial)
            .filter(|(a, b)| a.weight != b.weight)
            .count()
    }
}

/// The simulator's final plastic weights in the emulator's terms, sorted
/// as it sorts them.
fn simulated_weights(
    ex: &spikec_ir::expanded::Expanded,
    sim: &spikec_sim::Output,
) -> Vec<PlasticWeight> {
    let mut out = Vec::new();
    for ((k, w), pairs) in sim.weights.iter().zip(&sim.synapses) {
        let t = &ex.projections[*k];
        for (s, (&weight, &(pre, post))) in w.iter().zip(pairs).enumerate() {
            let (pp, pi) = ex.layout.local(pre);
            let (qp, qi) = ex.layout.local(post);
            out.push(PlasticWeight {
                pre: (pp as u32, pi),
                post: (qp as u32, qi),
                delay: t.delays.get(s),
                weight,
            });
        }
    }
    out.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    out
}

/// Builds, runs the emitted files in the packet-level emulator for
/// `duration` ms, and simulates the network in s16.15 for comparison, with
/// the spikes of every neuron recorded in both.
pub fn verify(
    net: &Network,
    req: &SpinnakerRequest,
    duration: f64,
) -> Result<Verification, Vec<Diagnostic>> {
    let art = build(net, req)?;
    let machine = machine(net, req)?;
    let valid = valid(net)?;
    let ex = expand_valid(&valid)?;
    let (progs, _) = programs(net, &ex);
    let steps = (duration / net.timestep).round().max(0.0) as u64;
    let emu = emulate(&machine, &art.files, net, &progs, steps).map_err(|e| {
        vec![Diagnostic::error(
            "E0000",
            format!("internal compiler error: the emulator cannot run the build: {e}"),
        )
        .help("this is a bug in spikec; please report it with the .snn file")]
    })?;
    // The simulator records what the network asks for; here, everything.
    let (sim_ex, sim) = simulate(
        &recording_all(net),
        duration,
        spikec_sim::Engine::Jit,
        Precision::S1615,
    )?;
    let simulated_weights = simulated_weights(&sim_ex, &sim);
    let mut simulated: Vec<Spike> = sim
        .spikes
        .iter()
        .map(|s| Spike {
            step: s.step,
            population: s.population,
            neuron: s.neuron,
        })
        .collect();
    simulated.sort_unstable();
    Ok(Verification {
        steps,
        emulated: emu.spikes,
        simulated,
        packets: emu.packets,
        synaptic_events: emu.synaptic_events,
        saturated: emu.saturated,
        emulated_weights: emu.weights,
        simulated_weights,
    })
}

/// A backend error as a diagnostic at the source it concerns.
fn diagnostic(net: &Network, e: &BuildError) -> Diagnostic {
    match e {
        BuildError::Machine(m) => {
            let d = Diagnostic::error("E0063", e.to_string());
            match m.help() {
                Some(h) => d.help(h),
                None => d,
            }
        }
        BuildError::TooManyCores { biggest, .. } => {
            let mut d = Diagnostic::error("E0060", e.to_string());
            for (i, &(p, cores)) in biggest.iter().enumerate() {
                let msg = format!("`{}` needs {cores} cores", pop_name(net, p));
                d = if i == 0 {
                    d.primary(pop_span(net, p), msg)
                } else {
                    d.secondary(pop_span(net, p), msg)
                };
            }
            d.help("use a larger machine (`--machine spinn5x3`), or fewer or smaller populations")
        }
        BuildError::NeuronTooBig { population, .. } => Diagnostic::error("E0060", e.to_string())
            .primary(pop_span(net, *population), "this population's model")
            .help("a model with fewer parameters and states fits; SpiNNaker cores have 64 KiB of DTCM"),
        BuildError::DelayTooLong { population, .. } => Diagnostic::error("E0064", e.to_string())
            .primary(pop_span(net, *population), "the delays into this population")
            .help("use shorter delays or a coarser timestep: the ring buffers and 8 delay-extension stages reach this far"),
        BuildError::Matrix {
            population, error, ..
        } => Diagnostic::error("E0065", e.to_string())
            .primary(pop_span(net, *population), "in this population's synaptic data")
            .help(error.help().unwrap_or_else(|| "split the population into smaller slices (`--neurons-per-core`)".into())),
        BuildError::CoreSdram { population, .. } => Diagnostic::error("E0060", e.to_string())
            .primary(pop_span(net, *population), "this population's synaptic data")
            .help("smaller slices (`neurons_per_core`) spread the synaptic data over more cores and chips"),
        BuildError::OutOfSdram { population, .. } => Diagnostic::error("E0060", e.to_string())
            .primary(pop_span(net, *population), "no chip left with room for this population's cores")
            .help("use a larger machine (`--machine spinn5x3`): chips fill up with cores, or with synaptic data before their cores (123 MB of SDRAM each)"),
        BuildError::KeySpace { .. } => Diagnostic::error("E0060", e.to_string())
            .help("use fewer populations or larger slices (`--neurons-per-core`)"),
        BuildError::TableTooBig { crowding, .. } => {
            let mut d = Diagnostic::error("E0061", e.to_string());
            for (i, &(p, ranges)) in crowding.iter().take(4).enumerate() {
                let msg = format!(
                    "`{}` needs {ranges} entr{} there before compression",
                    pop_name(net, p),
                    if ranges == 1 { "y" } else { "ies" }
                );
                d = if i == 0 {
                    d.primary(pop_span(net, p), msg)
                } else {
                    d.secondary(pop_span(net, p), msg)
                };
            }
            d.help("fewer, larger populations compress better; a larger machine spreads the routes")
        }
        BuildError::Route { error, populations } => {
            let mut d = Diagnostic::error("E0062", e.to_string());
            for (i, &p) in populations.iter().enumerate() {
                d = if i == 0 {
                    d.primary(pop_span(net, p), "sends from there")
                } else {
                    d.secondary(pop_span(net, p), "to a core here")
                };
            }
            match error.help() {
                Some(h) => d.help(h),
                None => d.help("check the machine file's dead chips and links"),
            }
        }
        BuildError::GapJunction { projection, .. } => Diagnostic::error("E0071", e.to_string())
            .primary(
                net.spans.projections.get(*projection).copied().unwrap_or(Span::DUMMY),
                "an electrical synapse",
            )
            .help("simulate the network with `spikec sim`, or leave the gap junctions out to map it (see `spikec explain E0071`)"),
        BuildError::Plastic { projection, .. } => Diagnostic::error("E0072", e.to_string())
            .primary(
                net.spans.projections.get(*projection).copied().unwrap_or(Span::DUMMY),
                "a plastic projection",
            )
            .help("simulate the network with `spikec sim`; to map a trained network, build it with its learned weights as static ones (see `spikec explain E0072`)"),
        BuildError::PlasticRule { projection, .. } => Diagnostic::error("E0074", e.to_string())
            .primary(
                net.spans.projections.get(*projection).copied().unwrap_or(Span::DUMMY),
                "plastic synapses of this projection",
            )
            .help("SpiNNaker cores run one STDP timing per population and one weight rule per port, on non-negative weights, with plastic delays within the ring buffer; `spikec sim` runs any rule (see `spikec explain E0074`)"),
        BuildError::Table(_) | BuildError::Delivery(_) => {
            Diagnostic::error("E0000", e.to_string())
                .help("this is a bug in spikec; please report it with the input")
        }
    }
}

/// Writes the artifacts to `dir` all at once (see [`crate::outdir`]): a
/// failure leaves any earlier `dir` as it was.
pub fn write(dir: &Path, art: &Artifacts) -> std::io::Result<()> {
    crate::outdir::write_dir(dir, art.files.iter().map(|(n, b)| (n, b)))
}
