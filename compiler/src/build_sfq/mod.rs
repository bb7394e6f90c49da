//! `spikec build --target sfq` and `spikec verify --target sfq`: runs the
//! shared middle end, lowers the expanded network to an SFQ cell netlist
//! with the technology the user names (or the embedded default), splits it
//! over chips, and writes the netlist, the Verilog, the JoSIM deck and the
//! reports all at once, so that a failed build leaves no half-written
//! directory. Backend errors become diagnostics at the declarations they
//! concern ([`diagnostics`]).

mod diagnostics;
pub mod verify;

use std::path::{Path, PathBuf};

use crate::diag::Diagnostic;
use crate::driver::{expand_valid, recording_all, simulate, valid};
use spikec_ir::eval::Precision;
use spikec_ir::expanded::Layout;
use spikec_ir::Network;
use spikec_sfq::lower::figures::{self, DesignReport};
use spikec_sfq::lower::{self, Design, LowerOptions, PopulationCells};
use spikec_sfq::partition::{self, ChipBudget, Partition};
use spikec_sfq::tech::Technology;
use spikec_sfq::write::{self, JosimOptions, Stimulus};

pub use diagnostics::warnings;

/// How much source activity a JoSIM deck replays unless asked otherwise:
/// 10 ns (`--deck-duration`), enough pulses to check a design in a
/// circuit simulation of reasonable length.
pub const DEFAULT_DECK_MS: f64 = 1e-5;

/// What the user asked for.
#[derive(Clone, Debug, Default)]
pub struct SfqRequest {
    /// A technology file instead of the embedded default.
    pub tech: Option<PathBuf>,
    /// `--chip jj=6000,area=25mm2,pins=40`: overrides the technology's die.
    pub chip: Option<String>,
    /// How much of the spike sources' activity the JoSIM deck drives, ms.
    pub deck_ms: f64,
    /// Clocked mode with this period, ms; asynchronous without.
    pub clock_ms: Option<f64>,
}

/// Everything a build produced.
#[derive(Clone, Debug)]
pub struct SfqArtifacts {
    /// Files by name, in writing order.
    pub files: Vec<(String, Vec<u8>)>,
    pub design: Design,
    pub report: DesignReport,
    pub partition: Partition,
    pub budget: ChipBudget,
}

/// The technology: the user's file, or the embedded default.
pub fn technology(req: &SfqRequest) -> Result<Technology, Vec<Diagnostic>> {
    match &req.tech {
        Some(path) => Technology::load(path).map_err(|e| vec![diagnostics::tech(path, &e)]),
        None => Ok(Technology::default()),
    }
}

/// Lowers the network (clocked with a period of `clock_ms`); errors are
/// diagnostics.
pub fn lower(
    net: &Network,
    tech: &Technology,
    clock_ms: Option<f64>,
) -> Result<Design, Vec<Diagnostic>> {
    let valid = valid(net)?;
    let ex = expand_valid(&valid)?;
    let input = lower::Input {
        net: &valid,
        expanded: &ex,
        tech,
    };
    let options = LowerOptions {
        clock_period_ps: clock_ms.map(ps),
        ..LowerOptions::default()
    };
    lower::lower(&input, &options)
        .map_err(|errors| errors.iter().map(|e| diagnostics::lower(net, e)).collect())
}

/// Builds the design and its files.
pub fn build(net: &Network, req: &SfqRequest) -> Result<SfqArtifacts, Vec<Diagnostic>> {
    let tech = technology(req)?;
    let base = ChipBudget::from_limits(tech.chip());
    let budget = match &req.chip {
        Some(spec) => {
            ChipBudget::parse(spec, base).map_err(|e| vec![diagnostics::chip_spec(spec, &e)])?
        }
        None => base,
    };
    let design = lower(net, &tech, req.clock_ms)?;
    let offsets = Layout::of(net).offsets;
    let names: Vec<String> = net
        .populations
        .iter()
        .map(|(_, p)| p.name.clone())
        .collect();
    let report = figures::report(&tech, &design, &names, &offsets);
    let (blocks, lines) = spikec_sfq::lower::blocks::blocks(&tech, &design, &names, &offsets);
    let partition = partition::partition(&blocks, &lines, &budget)
        .map_err(|e| vec![diagnostics::partition(net, &budget, &e)])?;

    let stimuli = source_stimuli(net, &design, req.deck_ms)?;
    let deck = write::josim(
        &tech,
        &design.netlist,
        &JosimOptions {
            stimuli,
            ..JosimOptions::default()
        },
    )
    .map_err(|e| {
        vec![Diagnostic::error(
            "E0000",
            format!("internal compiler error: the JoSIM deck: {e}"),
        )
        .help("this is a bug in spikec; please report it with the .snn file")]
    })?;
    let module_report = write::report(&tech, &design.netlist);
    let mut report_text = report.to_text();
    report_text.push('\n');
    let block_names = spikec_sfq::lower::blocks::names(&design, &names);
    report_text.push_str(&partition_text(&partition, &budget, &block_names));
    report_text.push('\n');
    report_text.push_str(&module_report.to_text());
    let files = vec![
        (
            "netlist.json".to_string(),
            write::netlist_json(&tech, &design.netlist).into_bytes(),
        ),
        (
            "netlist.v".to_string(),
            write::verilog(&tech, &design.netlist).into_bytes(),
        ),
        ("deck.cir".to_string(), deck.into_bytes()),
        (
            "report.json".to_string(),
            report_json(&report, &partition, &budget).into_bytes(),
        ),
        ("report.txt".to_string(), report_text.into_bytes()),
    ];
    Ok(SfqArtifacts {
        files,
        design,
        report,
        partition,
        budget,
    })
}

/// The pulses the spike sources send in the first `duration` ms, as the
/// simulator draws them, on the design's input ports. A spike of step `s`
/// leaves at the end of the step.
pub(crate) fn source_stimuli(
    net: &Network,
    design: &Design,
    duration: f64,
) -> Result<Vec<Stimulus>, Vec<Diagnostic>> {
    let has_sources = design
        .populations
        .iter()
        .any(|p| matches!(p, PopulationCells::Source { .. }));
    if !has_sources || duration <= 0.0 {
        return Ok(clock_stimulus(design, duration).into_iter().collect());
    }
    let (_, mut stimuli) = reference_run(net, design, duration)?;
    // The deck's current pulses need a pulse width between them; closer
    // spikes would merge at the DC/SFQ converter anyway.
    let width = JosimOptions::default().pulse_rise_ps + JosimOptions::default().pulse_fall_ps;
    for s in &mut stimuli {
        s.times_ps.dedup_by(|later, kept| *later - *kept < width);
    }
    Ok(stimuli)
}

/// The network-level run the circuit is checked against, every population
/// recorded, and the pulses it gives the circuit for `duration` ms: the
/// spike sources' (as this run draws them) and, clocked, the clock's.
pub(crate) fn reference_run(
    net: &Network,
    design: &Design,
    duration: f64,
) -> Result<(spikec_sim::Output, Vec<Stimulus>), Vec<Diagnostic>> {
    let (_, out) = simulate(
        &recording_all(net),
        duration,
        spikec_sim::Engine::Interp,
        Precision::F64,
    )?;
    let mut stimuli = stimuli_from(net, design, &out);
    stimuli.extend(clock_stimulus(design, duration));
    Ok((out, stimuli))
}

/// The clock's pulses for `duration` ms in clocked mode: one a period,
/// the first half a period in.
fn clock_stimulus(design: &Design, duration: f64) -> Option<Stimulus> {
    let clock = design.clock.as_ref()?;
    let stop = ps(duration);
    let times_ps: Vec<f64> = (0u64..)
        .map(|n| (n as f64 + 0.5) * clock.period_ps)
        .take_while(|&t| t < stop)
        .collect();
    Some(Stimulus {
        port: clock.port.clone(),
        times_ps,
    })
}

/// The spike sources' spikes of a simulation as pulses on the design's
/// input ports.
fn stimuli_from(net: &Network, design: &Design, out: &spikec_sim::Output) -> Vec<Stimulus> {
    let mut times: Vec<Vec<Vec<f64>>> = design
        .populations
        .iter()
        .map(|p| match p {
            PopulationCells::Source { inputs } => vec![Vec::new(); inputs.len()],
            PopulationCells::Neurons { .. } => Vec::new(),
        })
        .collect();
    for s in &out.spikes {
        if let Some(train) = times
            .get_mut(s.population as usize)
            .and_then(|p| p.get_mut(s.neuron as usize))
        {
            train.push(ps((s.step + 1) as f64 * net.timestep));
        }
    }
    let mut stimuli = Vec::new();
    for (p, cells) in design.populations.iter().enumerate() {
        if let PopulationCells::Source { inputs } = cells {
            for (i, port) in inputs.iter().enumerate() {
                if let Some(port) = port {
                    let t = std::mem::take(&mut times[p][i]);
                    if !t.is_empty() {
                        stimuli.push(Stimulus {
                            port: port.clone(),
                            times_ps: t,
                        });
                    }
                }
            }
        }
    }
    stimuli
}

/// Milliseconds (the IR's time unit) to picoseconds, rounded to 1 fs so
/// that `0.001 ms` is 1000 ps and not 999.9999999999999.
pub(crate) fn ps(ms: f64) -> f64 {
    (ms * 1e9 * 1000.0).round() / 1000.0
}

/// The chips: budget, crossings, and each chip's load and blocks (named
/// as [`spikec_sfq::lower::blocks::names`] names them).
fn partition_text(p: &Partition, budget: &ChipBudget, blocks: &[String]) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(out, "chips: {} (budget per chip: {budget})", p.chips.len());
    let _ = writeln!(
        out,
        "  crossing lines {}, crossing signals (pins) {}",
        p.crossing_lines, p.crossing_signals
    );
    for (c, chip) in p.chips.iter().enumerate() {
        let members: Vec<&str> = p
            .chip_of
            .iter()
            .enumerate()
            .filter(|(_, &k)| k as usize == c)
            .map(|(b, _)| blocks.get(b).map_or("?", String::as_str))
            .collect();
        let _ = writeln!(
            out,
            "  chip {c}: {} JJs, {:.3} mm2, {:.3} mA, {} pins: {}",
            chip.jjs,
            chip.area_um2 / 1e6,
            chip.bias_ua / 1000.0,
            chip.pins,
            summarise(&members)
        );
    }
    out
}

/// `E_0 E_1 E_2 I_0` → `E_0..E_2, I_0`.
fn summarise(members: &[&str]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < members.len() {
        let split = |s: &str| {
            s.rsplit_once('_')
                .and_then(|(a, b)| Some((a.to_string(), b.parse::<u64>().ok()?)))
        };
        let mut j = i;
        if let Some((pop, first)) = split(members[i]) {
            while j + 1 < members.len()
                && split(members[j + 1]) == Some((pop.clone(), first + (j + 1 - i) as u64))
            {
                j += 1;
            }
        }
        parts.push(if j > i {
            format!("{}..{}", members[i], members[j])
        } else {
            members[i].to_string()
        });
        i = j + 1;
    }
    parts.join(", ")
}

fn report_json(report: &DesignReport, p: &Partition, budget: &ChipBudget) -> String {
    let mut doc: serde_json::Value =
        serde_json::from_str(&report.to_json()).unwrap_or(serde_json::Value::Null);
    if let serde_json::Value::Object(map) = &mut doc {
        let chips: Vec<serde_json::Value> = p
            .chips
            .iter()
            .map(|c| {
                serde_json::json!({
                    "jj_count": c.jjs,
                    "area_mm2": c.area_um2 / 1e6,
                    "bias_current_ma": c.bias_ua / 1000.0,
                    "pins": c.pins,
                    "blocks": c.blocks,
                })
            })
            .collect();
        map.insert(
            "chips".into(),
            serde_json::json!({
                "budget": budget.to_string(),
                "count": p.chips.len(),
                "crossing_lines": p.crossing_lines,
                "crossing_signals": p.crossing_signals,
                "per_chip": chips,
            }),
        );
    }
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

/// Writes the artifacts to `dir` all at once (see [`crate::outdir`]).
pub fn write(dir: &Path, art: &SfqArtifacts) -> std::io::Result<()> {
    crate::outdir::write_dir(dir, art.files.iter().map(|(n, b)| (n, b)))
}
