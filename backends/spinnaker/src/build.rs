//! The backend's entry point: from a validated, expanded network to the
//! files a SpiNNaker loader needs, through partition → place → keys →
//! route → tables, each stage a pure function of the previous ones.

use crate::core_data::SynapseCore;
use crate::cores::{delay_core, neuron_core, source_core};
use crate::geometry::{ChipCoord, Direction, KeyMask};
use crate::graph::{partition, MachineGraph, PartitionOptions, Role};
use crate::keys::{allocate, Keys};
use crate::machine::{CoreLocation, Generation, Machine};
use crate::matrices::synaptic_data;
use crate::place::{place, Placements};
use crate::plasticity::plasticity;
use crate::report::{PopulationReport, Report};
use crate::route::{route, Net};
use crate::table::{
    compress_all, generate, write_binary, write_binary_wide, write_text, ChipRouting, Compressed,
    TableError,
};
use crate::trace::{trace, Tables};
use crate::BuildError;
use spikec_ir::expanded::Expanded;
use spikec_ir::network::{Projection, SynapseKind};
use spikec_ir::program::{Propagator, UpdateProgram};
use spikec_ir::ring::network_shifts;
use spikec_ir::ValidNetwork;
use std::collections::{BTreeMap, BTreeSet};

/// Everything a build needs, computed by the compiler's middle end.
pub struct Input<'a> {
    /// The network.
    pub net: ValidNetwork<'a>,
    /// Its expansion.
    pub expanded: &'a Expanded,
    /// Update program of each model (by model index; `None` for sources).
    pub programs: &'a [Option<UpdateProgram>],
    /// Exact propagators of each population (empty for numeric models and
    /// sources; one entry when shared by all neurons).
    pub propagators: &'a [Vec<Propagator>],
}

/// What to build for.
#[derive(Clone, Debug)]
pub struct TargetOptions {
    pub machine: Machine,
    pub partition: PartitionOptions,
    /// Bits of the sender's step in every key (0 to 8): with them a core
    /// places a packet that arrives in a later step than it was sent in
    /// the right ring-buffer slot.
    pub colour_bits: u8,
}

/// The files of a build (relative path, contents), in a fixed order, its
/// report and what it warns about.
#[derive(Clone, Debug)]
pub struct Artifacts {
    pub files: Vec<(String, Vec<u8>)>,
    pub report: Report,
    pub warnings: Vec<BuildWarning>,
}

/// Something the build did that the user should know about.
#[derive(Clone, Debug, PartialEq)]
pub enum BuildWarning {
    /// A projection's weights lose precision as 16-bit magnitudes.
    WeightPrecision {
        projection: usize,
        loss: spikec_ir::fixed::WeightLoss,
    },
}

/// Everything the stages computed, for tests and the emulator.
#[derive(Clone, Debug)]
pub struct Mapping {
    pub graph: MachineGraph,
    pub placements: Placements,
    pub keys: Keys,
    pub tables: Vec<Compressed>,
}

/// Places, routes and makes the tables of a partitioned, keyed graph
/// whose cores need `sdram[v]` bytes of their chip's SDRAM each.
fn map(
    machine: &Machine,
    graph: MachineGraph,
    keys: Keys,
    sdram: &[u64],
) -> Result<Mapping, BuildError> {
    let placements = place(machine, &graph, sdram)?;
    // One net per sending vertex, to the cores of every vertex it reaches.
    let mut targets: BTreeMap<usize, BTreeSet<CoreLocation>> = BTreeMap::new();
    for e in &graph.edges {
        targets
            .entry(e.pre)
            .or_default()
            .insert(placements.cores[e.post]);
    }
    let senders: Vec<usize> = targets.keys().copied().collect();
    let nets: Vec<Net> = targets
        .into_iter()
        .map(|(v, t)| Net {
            source: placements.cores[v],
            targets: t.into_iter().collect(),
        })
        .collect();
    let trees = nets
        .iter()
        .zip(&senders)
        .map(|(n, &v)| {
            route(machine, n.source, &n.targets).map_err(|error| {
                // The populations on both ends, for the diagnostic.
                let pre = graph.vertices[v].population;
                let mut populations = vec![pre];
                for t in &n.targets {
                    if let Some(u) = placements.cores.iter().position(|c| c == t) {
                        let p = graph.vertices[u].population;
                        if !populations.contains(&p) {
                            populations.push(p);
                        }
                    }
                }
                BuildError::Route { error, populations }
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let sources: Vec<(KeyMask, &crate::geometry::MulticastTree)> = senders
        .iter()
        .zip(&trees)
        .filter_map(|(&v, t)| keys.of[v].map(|k| (k, t)))
        .collect();
    let chips = generate(&sources).map_err(BuildError::Table)?;
    let capacity = machine.spec().routing_entries as usize;
    let tables = compress_all(&chips, capacity)
        .map_err(|errs| table_error(errs, &chips, &graph, &keys, capacity))?;
    // What the routers will do with these tables, for every sender.
    let by_chip: Tables<'_> = tables
        .iter()
        .map(|c| (c.table.chip, &c.table.entries[..]))
        .collect();
    for (net, &v) in nets.iter().zip(&senders) {
        let Some(k) = keys.of[v] else { continue };
        let reached = trace(machine, &by_chip, net.source.chip, k.key)
            .map_err(|e| BuildError::Delivery(e.to_string()))?;
        let wanted: BTreeSet<CoreLocation> = net.targets.iter().copied().collect();
        if reached != wanted {
            return Err(BuildError::Delivery(format!(
                "key {:#010x} reaches {} cores instead of its {} targets",
                k.key,
                reached.len(),
                wanted.len()
            )));
        }
    }
    Ok(Mapping {
        graph,
        placements,
        keys,
        tables,
    })
}

/// The first table error, with the populations that crowd the chip: those
/// with the most entries in its uncompressed table.
fn table_error(
    errs: Vec<TableError>,
    chips: &[ChipRouting],
    graph: &MachineGraph,
    keys: &Keys,
    capacity: usize,
) -> BuildError {
    let Some(first) = errs.into_iter().next() else {
        return BuildError::Table(TableError::TruncatedBinary { len: 0 });
    };
    match first {
        TableError::TableTooBig { chip, entries, .. } => {
            let mut per_pop: BTreeMap<usize, usize> = BTreeMap::new();
            let original = chips.iter().find(|c| c.table.chip == chip);
            for e in original.map_or(&[][..], |c| &c.table.entries[..]) {
                let owner = keys.of.iter().position(|k| *k == Some(e.key_mask));
                if let Some(v) = owner {
                    *per_pop.entry(graph.vertices[v].population).or_default() += 1;
                }
            }
            let mut crowding: Vec<(usize, usize)> = per_pop.into_iter().collect();
            crowding.sort_by_key(|&(p, n)| (std::cmp::Reverse(n), p));
            BuildError::TableTooBig {
                chip,
                entries,
                capacity,
                crowding,
            }
        }
        other => BuildError::Table(other),
    }
}

/// Maps and renders the files.
pub fn compile(input: &Input<'_>, opts: &TargetOptions) -> Result<Artifacts, BuildError> {
    let (net, ex) = (&input.net, input.expanded);
    if let Some((projection, p)) = net.first_projection(Projection::is_gap_junction) {
        return Err(BuildError::GapJunction {
            projection,
            name: p.name.clone(),
        });
    }
    // A synapse model written in the language has no kernel on the chip.
    if let Some((projection, p)) = net.first_projection(|p| p.synapse_model().is_some()) {
        return Err(BuildError::Plastic {
            projection,
            name: p.name.clone(),
        });
    }
    // Pair STDP becomes plastic rows; other plastic synapses have none.
    let other_plastic = |p: &Projection| {
        !matches!(
            p.synapse,
            SynapseKind::Static | SynapseKind::Stdp(_) | SynapseKind::GapJunction
        )
    };
    if let Some((projection, p)) = net.first_projection(other_plastic) {
        return Err(BuildError::Plastic {
            projection,
            name: p.name.clone(),
        });
    }
    let machine = &opts.machine;
    let rates = spikec_ir::ring::rates(net.network(), ex);
    let graph = partition(net.network(), ex, machine.spec(), &opts.partition, &rates)?;
    let keys = allocate(&graph, opts.colour_bits as u32)?;
    // Every core's data comes before placement: its size decides which
    // chip's SDRAM can hold it.
    let shifts = network_shifts(net.network(), ex);
    let plastic = plasticity(net.network(), ex, &graph, &shifts)?;
    let (mut synaptic, losses) = synaptic_data(input, &graph, &keys, &shifts)?;
    let mut data: Vec<Vec<(&str, Vec<u8>)>> = Vec::with_capacity(graph.vertices.len());
    // SDRAM beyond the files: plastic cores' post-spike histories.
    let mut reserved = vec![0u64; graph.vertices.len()];
    for (v, vx) in graph.vertices.iter().enumerate() {
        let mut files = Vec::new();
        match vx.role {
            Role::Neurons => {
                let p = plastic[vx.population].clone();
                if let Some(h) = &p {
                    reserved[v] = h.history_bytes(vx.len());
                }
                if let Some(d) = neuron_core(input, &graph, &keys, &shifts, p, v) {
                    files.push(("neurons.bin", d.encode()));
                }
            }
            Role::Source => {
                if let Some(d) = source_core(input, &graph, &keys, v) {
                    files.push(("source.bin", d.encode()));
                }
            }
            Role::Delay { .. } => {
                if let Some(d) = delay_core(&graph, &keys, v) {
                    files.push(("delay.bin", d.encode()));
                }
            }
            Role::Synapses { .. } => {
                let d = SynapseCore {
                    population: vx.population as u32,
                    lo: vx.lo,
                    n: vx.len(),
                };
                files.push(("synapse.bin", d.encode()));
            }
        }
        if let Some(m) = synaptic[v].take() {
            files.push(("synapses.bin", m.blob));
        }
        data.push(files);
    }
    let sizes: Vec<u64> = data
        .iter()
        .zip(&reserved)
        .map(|(fs, r)| fs.iter().map(|(_, b)| b.len() as u64).sum::<u64>() + r)
        .collect();
    let mapping = map(machine, graph, keys, &sizes)?;
    let warnings = losses
        .into_iter()
        .enumerate()
        .filter(|(_, l)| l.needs_warning())
        .map(|(projection, loss)| BuildWarning::WeightPrecision { projection, loss })
        .collect();
    // Named by where they run.
    let mut core_files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut sdram: BTreeMap<ChipCoord, u64> = BTreeMap::new();
    for (v, files) in data.into_iter().enumerate() {
        let c = mapping.placements.cores[v];
        *sdram.entry(c.chip).or_default() += sizes[v];
        for (name, bytes) in files {
            core_files.push((
                format!("cores/{}_{}_{}/{name}", c.chip.x, c.chip.y, c.core),
                bytes,
            ));
        }
    }
    let report = report(net, ex, opts, &mapping, &sdram);
    let mut files: Vec<(String, Vec<u8>)> = vec![
        ("report.json".into(), report.to_json().into_bytes()),
        ("report.txt".into(), report.to_text().into_bytes()),
        (
            "machine.json".into(),
            machine_json(&opts.machine).into_bytes(),
        ),
        (
            "placements.txt".into(),
            placements_text(net, &mapping).into_bytes(),
        ),
    ];
    let tables: Vec<_> = mapping.tables.iter().map(|c| c.table.clone()).collect();
    files.push((
        "routing_tables.txt".into(),
        write_text(&tables).into_bytes(),
    ));
    // SpiNNaker1's route word holds 18 processors; SpiNNaker2's 152 need
    // the wide format.
    let wide = machine.spec().generation == Generation::Spinnaker2;
    for t in &tables {
        let (name, bin) = if wide {
            ("wide.bin", write_binary_wide(t))
        } else {
            ("bin", write_binary(t).map_err(BuildError::Table)?)
        };
        files.push((
            format!("routing_tables/{}_{}.{name}", t.chip.x, t.chip.y),
            bin,
        ));
    }
    files.extend(core_files);
    Ok(Artifacts {
        files,
        report,
        warnings,
    })
}

/// `sdram`: per chip, the bytes of its cores' data.
fn report(
    net: &ValidNetwork<'_>,
    ex: &Expanded,
    opts: &TargetOptions,
    m: &Mapping,
    sdram: &BTreeMap<ChipCoord, u64>,
) -> Report {
    let net = net.network();
    let machine = &opts.machine;
    let g = &m.graph;
    let chips: BTreeSet<ChipCoord> = m.placements.cores.iter().map(|c| c.chip).collect();
    let count = |r: Role| g.vertices.iter().filter(|v| v.role == r).count();
    let populations = net
        .populations
        .iter()
        .enumerate()
        .map(|(p, (_, pop))| {
            let vs = g.vertices_of(p);
            let pop_chips: BTreeSet<ChipCoord> =
                vs.clone().map(|v| m.placements.cores[v].chip).collect();
            PopulationReport {
                name: pop.name.clone(),
                neurons: pop.size,
                cores: vs.len(),
                neurons_per_core: g.slice_size[p],
                chips: pop_chips.len(),
            }
        })
        .collect();
    Report {
        machine: machine.name().to_string(),
        chips_used: chips.len(),
        cores_used: g.vertices.len(),
        neuron_cores: count(Role::Neurons),
        source_cores: count(Role::Source),
        synapse_cores: g
            .vertices
            .iter()
            .filter(|v| matches!(v.role, Role::Synapses { .. }))
            .count(),
        delay_cores: g
            .vertices
            .iter()
            .filter(|v| matches!(v.role, Role::Delay { .. }))
            .count(),
        routing_entries_max: m
            .tables
            .iter()
            .map(|t| t.table.entries.len())
            .max()
            .unwrap_or(0),
        routing_entries_max_uncompressed: m
            .tables
            .iter()
            .map(|t| t.uncompressed_len)
            .max()
            .unwrap_or(0),
        routing_entries_total: m.tables.iter().map(|t| t.table.entries.len()).sum(),
        routing_entries_total_uncompressed: m.tables.iter().map(|t| t.uncompressed_len).sum(),
        synapses: ex.projections.iter().map(|t| t.len() as u64).sum(),
        keys_used: m.keys.used,
        sdram_bytes_max_chip: sdram.values().copied().max().unwrap_or(0),
        dtcm_bytes_max_core: g.vertices.iter().map(|v| v.dtcm).max().unwrap_or(0),
        synapse_hops: m.placements.weighted_hops(machine, g),
        populations,
    }
}

/// The machine as the build saw it: live chips, their application cores
/// and usable links.
fn machine_json(machine: &Machine) -> String {
    let chips: Vec<serde_json::Value> = machine
        .chips()
        .map(|c| {
            let links: Vec<&str> = Direction::ALL
                .into_iter()
                .filter(|d| machine.link_usable(c, *d))
                .map(Direction::short_name)
                .collect();
            serde_json::json!({
                "x": c.x,
                "y": c.y,
                "ethernet": machine.is_ethernet(c),
                "cores": machine.app_cores(c),
                "links": links,
            })
        })
        .collect();
    let spec = machine.spec();
    let v = serde_json::json!({
        "name": machine.name(),
        "width": machine.width(),
        "height": machine.height(),
        "wraps": machine.wraps(),
        "routing_entries": spec.routing_entries,
        "sdram_bytes": spec.sdram_bytes,
        "core_memory_bytes": spec.core_memory_bytes,
        "chips": chips,
    });
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
    s.push('\n');
    s
}

/// One line a core: what runs there and the keys it sends with.
fn placements_text(net: &ValidNetwork<'_>, m: &Mapping) -> String {
    use std::fmt::Write;
    let net = net.network();
    let names: Vec<&str> = net
        .populations
        .iter()
        .map(|(_, p)| p.name.as_str())
        .collect();
    let mut order: Vec<usize> = (0..m.graph.vertices.len()).collect();
    order.sort_by_key(|&v| m.placements.cores[v]);
    let mut s = String::from("# chip core population neurons role key mask\n");
    for v in order {
        let vx = &m.graph.vertices[v];
        let c = m.placements.cores[v];
        let role = match vx.role {
            Role::Neurons => "neurons",
            Role::Source => "source",
            Role::Delay { .. } => "delay",
            Role::Synapses { .. } => "synapses",
        };
        let keys = match m.keys.of[v] {
            Some(k) => format!("{:#010x} {:#010x}", k.key, k.mask),
            None => "- -".into(),
        };
        let _ = writeln!(
            s,
            "({},{}) {} {} {}..{} {} {}",
            c.chip.x, c.chip.y, c.core, names[vx.population], vx.lo, vx.hi, role, keys
        );
    }
    s
}
