//! The packet-level emulator: runs a build's emitted files, not the IR.
//!
//! Every core starts from its own data ([`crate::core_data`]) and, for a
//! neuron core, its synaptic matrix ([`crate::matrix`]); routers forward by
//! the emitted binary tables, with default routing straight on where no
//! entry matches ([`crate::trace`]). Each step, as on SpiNNaker:
//!
//! 1. every neuron core reads this step's ring-buffer slot of each synapse
//!    type, turns it into input (magnitude × 2^(shift − 15), subtracted for
//!    a negative type), advances its neurons in s16.15 with the model's
//!    update program (the core's binary), and clears the slot;
//! 2. source cores draw their spikes (Poisson from the same counter-based
//!    stream as the simulator, or spike arrays);
//! 3. every spike becomes a packet with its core's key and the neuron's
//!    index; the routers deliver it to cores, where the master population
//!    table finds its row and every synapse adds its weight into slot
//!    `(step + delay) mod D`.
//!
//! Plastic rows run pair STDP as a core with sPyNNaker's STDP would, with
//! the integer rule of [`spikec_ir::stdp`] and the core's
//! [`Plasticity`](crate::core_data::Plasticity): a neuron core records each
//! spike of its neurons in their post-spike histories when it fires
//! (before any packet of the step is processed, as the simulator records
//! post spikes first); a packet's plastic row is processed when it arrives
//! — every synapse's weight updated from the row's presynaptic header and
//! its target's history, written back into the row, then added to the
//! ring buffer — and the header then advances to this spike. The spike's
//! time is the step its packet was sent in, which is when the simulator
//! pairs it; a synapse core reads the histories of the neuron core it
//! feeds (on the chip they share them through SDRAM). The final weights
//! are read back out of the rows ([`Emulation::weights`]).
//!
//! The result must equal `spikec sim --precision s1615` spike for spike.
//! Ring-buffer slots are 16 bits on the chip; the emulator counts the adds
//! that would saturate one, because there the chip (and this emulator's
//! agreement with the simulator) is no longer exact.

use std::collections::BTreeMap;

use crate::core_data::{
    value, CoreDataError, DelayCore, NeuronCore, Param, SourceCore, SourceKind, SynapseCore,
};
use crate::geometry::{ChipCoord, KeyMask, RoutingEntry};
use crate::machine::{CoreLocation, Machine};
use crate::matrix::{BlobError, DecodedSynapse, SynapticMatrices};
use crate::table::{parse_binary, parse_binary_wide, TableError};
use crate::trace::{trace, TraceError};
use spikec_ir::eval::Precision;
use spikec_ir::expanded::PerNeuron;
use spikec_ir::fixed::{weight_unit, Sign};
use spikec_ir::philox::{self, PoissonTable, Uniforms};
use spikec_ir::program::{Propagator, UpdateProgram};
use spikec_ir::stdp::{pre_spike_weight, PostHistories};

mod plastic;

pub use plastic::PlasticWeight;
use plastic::{final_weights, stamp, PlasticState};
use spikec_ir::step::{Kernel, NeuronMut, Scratch, Sparsity};
use spikec_ir::Network;

/// A spike the emulated machine produced.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Spike {
    pub step: u64,
    pub population: u32,
    pub neuron: u32,
}

/// What a run produced.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Emulation {
    /// Every spike, sorted by step, population, neuron.
    pub spikes: Vec<Spike>,
    /// Multicast packets sent.
    pub packets: u64,
    /// Synaptic events processed (row words).
    pub synaptic_events: u64,
    /// Ring-buffer adds that took a 16-bit slot past 65535.
    pub saturated: u64,
    /// Every plastic synapse's weight at the end, sorted.
    pub weights: Vec<PlasticWeight>,
}

/// Why the files cannot be run.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    #[error("`{path}`: {error}")]
    CoreData { path: String, error: CoreDataError },
    #[error("`{path}`: {error}")]
    Matrix { path: String, error: BlobError },
    #[error("`{path}`: {error}")]
    Table { path: String, error: TableError },
    #[error("`{0}` is not a file of a SpiNNaker build")]
    Unexpected(String),
    #[error("core {core}: population {population} has no neuron model in this network")]
    Model { core: CoreLocation, population: u32 },
    #[error("routing: {0}")]
    Route(#[from] TraceError),
    #[error("`{path}`: a plastic synapse of type {synapse_type}, which has no STDP rule")]
    NoRule { path: String, synapse_type: u8 },
}

/// A neuron core, running.
struct NeuronRun {
    data: NeuronCore,
    params: Vec<PerNeuron>,
    props: Vec<Propagator>,
    sparsity: Sparsity,
    /// States per neuron.
    x: Vec<Vec<f64>>,
    refr: Vec<u32>,
    clamp: Vec<f64>,
    matrices: Option<SynapticMatrices>,
    /// Ring buffers: `ring[(type * slots + slot) * n + i]`, summed
    /// magnitudes.
    ring: Vec<u32>,
    slots: usize,
    /// With plastic input.
    plastic: Option<Box<PlasticState>>,
}

/// A source core, running.
struct SourceRun {
    data: SourceCore,
    tables: Vec<PoissonTable>,
    table_of: Vec<usize>,
    cursor: Vec<usize>,
}

/// A delay-extension core, running: packets to re-send, by step.
struct DelayRun {
    data: DelayCore,
    pending: BTreeMap<u64, Vec<(u32, u32)>>,
}

/// A synapse core, running: its matrix and ring buffers, handed each step
/// to the neuron core of the same slice.
struct SynapseRun {
    data: SynapseCore,
    matrices: SynapticMatrices,
    ring: Vec<u32>,
    slots: usize,
    /// The neuron core it feeds (index into the cores).
    neuron_core: usize,
}

enum Run {
    Neurons(Box<NeuronRun>),
    Source(Box<SourceRun>),
    Delay(Box<DelayRun>),
    Synapses(Box<SynapseRun>),
}

struct Core {
    at: CoreLocation,
    run: Run,
}

/// `cores/X_Y_P/` → the core.
fn core_location(dir: &str) -> Option<CoreLocation> {
    let mut it = dir.split('_').map(|s| s.parse::<u16>().ok());
    let (x, y, p) = (it.next()??, it.next()??, it.next()??);
    Some(CoreLocation::new(
        ChipCoord::new(x, y),
        u8::try_from(p).ok()?,
    ))
}

/// `routing_tables/X_Y.bin` → the chip.
fn chip_of(name: &str) -> Option<ChipCoord> {
    let stem = name.strip_suffix(".bin")?;
    let (x, y) = stem.strip_suffix(".wide").unwrap_or(stem).split_once('_')?;
    Some(ChipCoord::new(x.parse().ok()?, y.parse().ok()?))
}

/// Runs the build's `files` on `machine` for `steps` steps. `net` and
/// `programs` supply the neuron models (the cores' code); everything else
/// comes from the files.
pub fn emulate(
    machine: &Machine,
    files: &[(String, Vec<u8>)],
    net: &Network,
    programs: &[Option<UpdateProgram>],
    steps: u64,
) -> Result<Emulation, EmulatorError> {
    let h = net.timestep;
    let q = Precision::S1615;
    // sPyNNaker's STDP kernel also depresses at Δt = 0 (part of the
    // cores' code, like the update programs).
    let simultaneous = net.semantics == spikec_ir::network::Semantics::Spinnaker;
    let mut tables: BTreeMap<ChipCoord, Vec<RoutingEntry>> = BTreeMap::new();
    let mut by_core: BTreeMap<CoreLocation, BTreeMap<&str, &[u8]>> = BTreeMap::new();
    for (path, bytes) in files {
        if let Some(name) = path.strip_prefix("routing_tables/") {
            let chip = chip_of(name).ok_or_else(|| EmulatorError::Unexpected(path.clone()))?;
            let parse = if name.ends_with(".wide.bin") {
                parse_binary_wide
            } else {
                parse_binary
            };
            let entries = parse(bytes).map_err(|error| EmulatorError::Table {
                path: path.clone(),
                error,
            })?;
            tables.insert(chip, entries);
        } else if let Some(rest) = path.strip_prefix("cores/") {
            let (dir, file) = rest
                .split_once('/')
                .ok_or_else(|| EmulatorError::Unexpected(path.clone()))?;
            let at = core_location(dir).ok_or_else(|| EmulatorError::Unexpected(path.clone()))?;
            by_core.entry(at).or_default().insert(file, bytes);
        }
    }
    let models: Vec<_> = net.populations.iter().map(|(_, p)| p.model).collect();
    let mut cores = Vec::new();
    for (at, parts) in &by_core {
        let path = |f: &str| format!("cores/{}_{}_{}/{f}", at.chip.x, at.chip.y, at.core);
        if let Some(bytes) = parts.get("neurons.bin") {
            let data = NeuronCore::decode(bytes).map_err(|error| EmulatorError::CoreData {
                path: path("neurons.bin"),
                error,
            })?;
            let prog = models
                .get(data.population as usize)
                .and_then(|m| programs.get(m.index()))
                .and_then(Option::as_ref)
                .ok_or(EmulatorError::Model {
                    core: *at,
                    population: data.population,
                })?;
            let matrices = match parts.get("synapses.bin") {
                Some(b) => {
                    Some(
                        SynapticMatrices::parse(b).map_err(|error| EmulatorError::Matrix {
                            path: path("synapses.bin"),
                            error,
                        })?,
                    )
                }
                None => None,
            };
            let n = data.n as usize;
            let ns = prog.states;
            let params = data
                .params
                .iter()
                .map(|p| match p {
                    Param::Const(v) => PerNeuron::Const(value(*v)),
                    Param::PerNeuron(vs) => {
                        PerNeuron::Values(vs.iter().map(|v| value(*v)).collect())
                    }
                })
                .collect();
            let props: Vec<Propagator> = data
                .props
                .iter()
                .map(|set| {
                    let f: Vec<f64> = set.iter().map(|v| value(*v)).collect();
                    let (p, rest) = f.split_at((ns * ns).min(f.len()));
                    let (c, qv) = rest.split_at(ns.min(rest.len()));
                    Propagator {
                        p: p.to_vec(),
                        c: c.to_vec(),
                        q: qv.to_vec(),
                    }
                })
                .collect();
            let sparsity = Sparsity::of(&props);
            let x = (0..n)
                .map(|i| data.init.iter().map(|s| value(s[i])).collect())
                .collect();
            let slots = matrices.as_ref().map_or(1, |m| m.layout().slots() as usize);
            let ring = vec![0; data.types.len() * slots * n];
            let plastic = data.plasticity.clone().map(|rule| {
                Box::new(PlasticState {
                    history: PostHistories::new(n, rule.history as usize),
                    rule,
                })
            });
            cores.push(Core {
                at: *at,
                run: Run::Neurons(Box::new(NeuronRun {
                    params,
                    props,
                    sparsity,
                    x,
                    refr: vec![0; n],
                    clamp: vec![0.0; n],
                    matrices,
                    ring,
                    slots,
                    data,
                    plastic,
                })),
            });
        } else if let Some(bytes) = parts.get("synapse.bin") {
            let data = SynapseCore::decode(bytes).map_err(|error| EmulatorError::CoreData {
                path: path("synapse.bin"),
                error,
            })?;
            let blob = parts
                .get("synapses.bin")
                .ok_or_else(|| EmulatorError::Unexpected(path("synapse.bin")))?;
            let matrices =
                SynapticMatrices::parse(blob).map_err(|error| EmulatorError::Matrix {
                    path: path("synapses.bin"),
                    error,
                })?;
            let slots = matrices.layout().slots() as usize;
            cores.push(Core {
                at: *at,
                run: Run::Synapses(Box::new(SynapseRun {
                    data,
                    matrices,
                    ring: Vec::new(),
                    slots,
                    neuron_core: usize::MAX,
                })),
            });
        } else if let Some(bytes) = parts.get("delay.bin") {
            let data = DelayCore::decode(bytes).map_err(|error| EmulatorError::CoreData {
                path: path("delay.bin"),
                error,
            })?;
            cores.push(Core {
                at: *at,
                run: Run::Delay(Box::new(DelayRun {
                    data,
                    pending: BTreeMap::new(),
                })),
            });
        } else if let Some(bytes) = parts.get("source.bin") {
            let data = SourceCore::decode(bytes).map_err(|error| EmulatorError::CoreData {
                path: path("source.bin"),
                error,
            })?;
            let (mut tables, mut table_of) = (Vec::new(), Vec::new());
            let mut lambdas: Vec<u64> = Vec::new();
            if let SourceKind::Poisson { lambda, .. } = &data.kind {
                for l in lambda {
                    let k = match lambdas.iter().position(|b| *b == l.to_bits()) {
                        Some(k) => k,
                        None => {
                            lambdas.push(l.to_bits());
                            tables.push(PoissonTable::new(*l));
                            tables.len() - 1
                        }
                    };
                    table_of.push(k);
                }
            }
            let n = data.n as usize;
            cores.push(Core {
                at: *at,
                run: Run::Source(Box::new(SourceRun {
                    data,
                    tables,
                    table_of,
                    cursor: vec![0; n],
                })),
            });
        }
    }
    let index_of: BTreeMap<CoreLocation, usize> =
        cores.iter().enumerate().map(|(k, c)| (c.at, k)).collect();
    // Each synapse core feeds the neuron core of its slice, on its chip.
    let neuron_of: BTreeMap<(ChipCoord, u32, u32), (usize, usize)> = cores
        .iter()
        .enumerate()
        .filter_map(|(k, c)| match &c.run {
            Run::Neurons(nr) => Some((
                (c.at.chip, nr.data.population, nr.data.lo),
                (k, nr.data.types.len()),
            )),
            _ => None,
        })
        .collect();
    for c in cores.iter_mut() {
        let chip = c.at.chip;
        if let Run::Synapses(sr) = &mut c.run {
            let key = (chip, sr.data.population, sr.data.lo);
            let &(k, types) = neuron_of.get(&key).ok_or(EmulatorError::Model {
                core: c.at,
                population: sr.data.population,
            })?;
            sr.neuron_core = k;
            sr.ring = vec![0; types * sr.slots * sr.data.n as usize];
        }
    }
    let table_refs = tables.iter().map(|(c, t)| (*c, &t[..])).collect();
    // Where each key's packets end up; the same for every step.
    let mut destinations: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    let mut out = Emulation::default();
    // (core, packet key, copies, the neuron if it is a spike).
    let mut sent: Vec<(usize, Option<u32>, u32, u32)> = Vec::new();
    let mut scratch = Scratch::default();
    for step in 0..steps {
        sent.clear();
        // Synapse cores hand this step's slot to their neuron cores.
        for k in 0..cores.len() {
            let Run::Synapses(sr) = &mut cores[k].run else {
                continue;
            };
            let (n, slots, nk) = (sr.data.n as usize, sr.slots, sr.neuron_core);
            let from = (step % slots as u64) as usize;
            let ring = std::mem::take(&mut sr.ring);
            if let Run::Neurons(nr) = &mut cores[nk].run {
                let to = (step % nr.slots as u64) as usize;
                for t in 0..nr.data.types.len() {
                    for i in 0..n {
                        nr.ring[(t * nr.slots + to) * n + i] += ring[(t * slots + from) * n + i];
                    }
                }
            }
            let Run::Synapses(sr) = &mut cores[k].run else {
                continue;
            };
            sr.ring = ring;
            for t in 0..sr.ring.len() / (slots * n).max(1) {
                let base = (t * slots + from) * n;
                sr.ring[base..base + n].fill(0);
            }
        }
        let t0 = step as f64 * h;
        let t1 = (step + 1) as f64 * h;
        for (k, core) in cores.iter_mut().enumerate() {
            match &mut core.run {
                Run::Neurons(nr) => {
                    let pop = nr.data.population as usize;
                    let model = &net.models[models[pop]];
                    let prog =
                        programs[models[pop].index()]
                            .as_ref()
                            .ok_or(EmulatorError::Model {
                                core: core.at,
                                population: nr.data.population,
                            })?;
                    let kernel = Kernel {
                        model,
                        prog,
                        params: &nr.params,
                        props: &nr.props,
                        sparsity: &nr.sparsity,
                        q,
                        h,
                    };
                    let n = nr.data.n as usize;
                    let slot = (step % nr.slots as u64) as usize;
                    for i in 0..n {
                        let (ring, slots, types, scales) =
                            (&nr.ring, nr.slots, &nr.data.types, &nr.data.scales);
                        let input = |port: usize| {
                            let mut v = 0.0;
                            for (t, (ty, shift)) in types.iter().enumerate() {
                                if ty.port as usize == port {
                                    let m = ring[(t * slots + slot) * n + i] as f64;
                                    v += match ty.sign {
                                        Sign::Positive => m * weight_unit(*shift),
                                        Sign::Negative => -(m * weight_unit(*shift)),
                                    };
                                }
                            }
                            (v, value(scales[port][i]))
                        };
                        let fired = kernel.update(
                            i,
                            NeuronMut {
                                x: &mut nr.x[i],
                                refr: &mut nr.refr[i],
                                clamp: &mut nr.clamp[i],
                            },
                            nr.data.refr_steps[i],
                            &input,
                            t0,
                            &mut scratch,
                        );
                        if fired {
                            sent.push((k, None, 1, i as u32));
                            if let Some(pl) = nr.plastic.as_mut() {
                                pl.history.push(&pl.rule.timing, i, stamp(step));
                            }
                        }
                    }
                    for t in 0..nr.data.types.len() {
                        let base = (t * nr.slots + slot) * n;
                        nr.ring[base..base + n].fill(0);
                    }
                }
                Run::Source(sr) => {
                    let lo = sr.data.lo;
                    match &sr.data.kind {
                        SourceKind::Poisson {
                            key, start, stop, ..
                        } => {
                            for j in 0..sr.data.n as usize {
                                if !(start[j] < t1 && t1 <= stop[j]) {
                                    continue;
                                }
                                // The simulator's counter: the neuron's index
                                // in its population.
                                let i = lo + j as u32;
                                let u = philox::quad(*key, i / 4, step)[(i % 4) as usize];
                                let c = sr.tables[sr.table_of[j]]
                                    .sample(u, || Uniforms::apart(*key, i, step));
                                if c > 0 {
                                    sent.push((k, None, c, j as u32));
                                }
                            }
                        }
                        SourceKind::Array { steps: trains } => {
                            for (j, tr) in trains.iter().enumerate() {
                                let mut c = 0;
                                while sr.cursor[j] < tr.len() && tr[sr.cursor[j]] <= step {
                                    c += u32::from(tr[sr.cursor[j]] == step);
                                    sr.cursor[j] += 1;
                                }
                                if c > 0 {
                                    sent.push((k, None, c, j as u32));
                                }
                            }
                        }
                    }
                }
                Run::Delay(dr) => {
                    for (key, c) in dr.pending.remove(&step).unwrap_or_default() {
                        sent.push((k, Some(key), c, 0));
                    }
                }
                Run::Synapses(_) => {}
            }
        }
        for &(k, delayed, count, i) in &sent {
            let packet = match (delayed, &cores[k].run) {
                (Some(key), _) => key,
                (None, Run::Neurons(nr)) => {
                    let d = &nr.data;
                    spike(&mut out, step, d.population, d.lo + i);
                    // A core that reaches nothing has no key, sends nothing.
                    let Some(km) = d.key else { continue };
                    coloured(km, d.colour_bits, step, i)
                }
                (None, Run::Source(sr)) => {
                    let d = &sr.data;
                    spike(&mut out, step, d.population, d.lo + i);
                    let Some(km) = d.key else { continue };
                    coloured(km, d.colour_bits, step, i)
                }
                (None, Run::Delay(_) | Run::Synapses(_)) => continue,
            };
            let targets = match destinations.entry(packet) {
                std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::btree_map::Entry::Vacant(e) => {
                    let reached = trace(machine, &table_refs, cores[k].at.chip, packet)?;
                    e.insert(
                        reached
                            .iter()
                            .filter_map(|c| index_of.get(c).copied())
                            .collect(),
                    )
                }
            };
            out.packets += count as u64;
            for &d in targets.iter() {
                let at = cores[d].at;
                let path = || format!("cores/{}_{}_{}/synapses.bin", at.chip.x, at.chip.y, at.core);
                // The STDP state of the neuron core this one feeds, taken
                // out while this core's rows are processed.
                let nk = match &cores[d].run {
                    Run::Synapses(sr) => sr.neuron_core,
                    _ => d,
                };
                let mut plastic = match &mut cores[nk].run {
                    Run::Neurons(nr) => nr.plastic.take(),
                    _ => None,
                };
                let (m, ring, n, slots) = match &mut cores[d].run {
                    Run::Neurons(t) => match &mut t.matrices {
                        Some(m) => (m, &mut t.ring, t.data.n as usize, t.slots),
                        None => {
                            t.plastic = plastic;
                            continue;
                        }
                    },
                    Run::Synapses(sr) => {
                        (&mut sr.matrices, &mut sr.ring, sr.data.n as usize, sr.slots)
                    }
                    Run::Delay(dr) => {
                        // Re-send at each stage, `s · D` steps on.
                        // from the step the packet was sent in.
                        let dd = &dr.data;
                        if dd.source.matches(packet) {
                            let nb = dd.neuron_bits as u32;
                            let i = packet & ((1u32 << nb) - 1);
                            let colour = (packet & !dd.source.mask) >> nb;
                            let sent = sent_step(step, colour, dd.colour_bits);
                            let free = nb + dd.colour_bits as u32;
                            for s in 1..=8u32 {
                                if dd.stages & (1 << s) != 0 {
                                    let at = sent + s as u64 * dd.slots as u64;
                                    let base = KeyMask {
                                        key: dd.stage_base + ((s - 1) << free),
                                        mask: !((1u64 << free) - 1) as u32,
                                    };
                                    let key = coloured(base, dd.colour_bits, at, i);
                                    dr.pending.entry(at).or_default().push((key, count));
                                }
                            }
                        }
                        continue;
                    }
                    Run::Source(_) => continue,
                };
                let Some(found) = m.lookup(packet) else {
                    if let (Some(pl), Run::Neurons(nr)) = (plastic, &mut cores[nk].run) {
                        nr.plastic = Some(pl);
                    }
                    continue;
                };
                let sent = sent_step(step, found.colour(), m.colour_bits());
                let (entry, pre) = (found.entry(), found.pre());
                let mut add = |s: DecodedSynapse, out: &mut Emulation| {
                    out.synaptic_events += count as u64;
                    let slot = ((sent + s.delay as u64) % slots as u64) as usize;
                    let cell =
                        &mut ring[(s.synapse_type as usize * slots + slot) * n + s.post as usize];
                    *cell += s.weight as u32 * count;
                    if *cell > u16::MAX as u32 {
                        out.saturated += 1;
                    }
                };
                let bad = |error| EmulatorError::Matrix {
                    path: path(),
                    error,
                };
                for a in entry.start as usize..entry.start as usize + entry.count as usize {
                    let address = m.addresses()[a];
                    let row = m.row(address, pre).map_err(bad)?;
                    for s in row.statics() {
                        add(s, &mut out);
                    }
                    if row.n_plastic() == 0 {
                        continue;
                    }
                    let Some(pl) = plastic.as_mut() else {
                        return Err(EmulatorError::NoRule {
                            path: path(),
                            synapse_type: row.plastic().next().map_or(0, |s| s.synapse_type),
                        });
                    };
                    let mut row = m.plastic_row(address, pre).map_err(bad)?;
                    let t = stamp(sent);
                    let header = row.pre_state();
                    for j in 0..row.len() {
                        let s = row.synapse(j);
                        let rule = pl
                            .rule
                            .rules
                            .get(s.synapse_type as usize)
                            .copied()
                            .flatten()
                            .ok_or_else(|| EmulatorError::NoRule {
                                path: path(),
                                synapse_type: s.synapse_type,
                            })?;
                        if s.post as usize >= n {
                            continue;
                        }
                        let events = pl.history.events(s.post as usize);
                        let w = pre_spike_weight(
                            &pl.rule.timing,
                            &rule,
                            header,
                            t,
                            u32::from(s.delay),
                            events,
                            s.weight,
                            simultaneous,
                        );
                        row.set_weight(j, w);
                        add(DecodedSynapse { weight: w, ..s }, &mut out);
                    }
                    row.set_pre_state(header.after_spike(&pl.rule.timing, t));
                }
                if let (Some(pl), Run::Neurons(nr)) = (plastic, &mut cores[nk].run) {
                    nr.plastic = Some(pl);
                }
            }
        }
    }
    out.spikes.sort_unstable();
    out.weights = final_weights(&cores);
    Ok(out)
}

fn spike(out: &mut Emulation, step: u64, population: u32, neuron: u32) {
    out.spikes.push(Spike {
        step,
        population,
        neuron,
    });
}

/// The key of neuron `i` of a sender with keys `km` at `step`: the step's
/// colour above the index.
fn coloured(km: KeyMask, colour_bits: u8, step: u64, i: u32) -> u32 {
    let index_bits = (!km.mask).count_ones().saturating_sub(colour_bits as u32);
    let colour = (step & ((1u64 << colour_bits) - 1)) as u32;
    km.key | colour.checked_shl(index_bits).unwrap_or(0) | i
}

/// The latest step, no later than `step`, with this colour: when the
/// packet was sent (equal to `step` unless it arrived late).
fn sent_step(step: u64, colour: u32, colour_bits: u8) -> u64 {
    let mask = (1u64 << colour_bits) - 1;
    step.saturating_sub(step.wrapping_sub(colour as u64) & mask)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_late_packet_is_placed_by_its_senders_step() {
        // Sent at step 9 (colour 9 mod 8 = 1), handled at steps 9 to 16.
        for now in 9..17 {
            assert_eq!(sent_step(now, 1, 3), 9, "at {now}");
        }
        // Without colour bits every packet is this step's.
        assert_eq!(sent_step(12, 0, 0), 12);
        // Early steps never underflow.
        assert_eq!(sent_step(0, 5, 3), 0);
    }

    #[test]
    fn colours_sit_above_the_index() {
        let km = KeyMask {
            key: 0x1000,
            mask: 0xffff_f800,
        };
        // 11 free bits, 3 of them colour: index in bits 0..8.
        assert_eq!(coloured(km, 3, 13, 0x2a), 0x1000 | (5 << 8) | 0x2a);
        assert_eq!(coloured(km, 0, 13, 0x2a), 0x102a);
    }
}
