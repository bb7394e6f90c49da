//! The technology file: what each SFQ cell costs, how fast it is and what
//! it is made of.
//!
//! Takes a TOML text (the embedded default, or a user's file) and gives a
//! validated [`Technology`]: the nine cells lowering needs ([`CellKind`]),
//! each with its junction count, bias current, delay, area, pins, timing
//! constraints and JoSIM subcircuit; the synapse's pass probability against
//! its weight bias ([`Calibration`]); the neuron's threshold and leak as
//! bias currents ([`NeuronModel`]); the resolution of the programmable bias
//! lines; and the die limits that partitioning must respect
//! ([`ChipLimits`]). A `Technology` exists only after validation, so
//! everything that takes one may rely on: all nine cells present, every
//! current, delay and area positive, every cell's `jjs` equal to its
//! subcircuit's junction lines and its ports equal to its pins, and both
//! calibration tables monotone (the synapse's within 0 to 1).
//!
//! # Where the default values come from
//!
//! - MIT LL SFQ5ee: the JoSIM junction model (`icrit = 0.1 mA` per unit
//!   area, Jc 10 kA/cm²), a 250 µA unit junction, bias 0.7·Ic per biased
//!   junction, shunts Rs = 0.686 mV / Ic and a 2.5 mV bias rail follow the
//!   open RSFQlib cell library for SFQ5ee (Schindler & Hall, Stellenbosch
//!   University, MIT licence, <https://github.com/sunmagnetics/RSFQlib>).
//! - JTL, SPLIT, MERGE, DFF, NDRO: topologies and junction counts as in that
//!   library; delays and separations are its TimEx-extracted SDF figures
//!   (v3.0: JTL 3.5 ps, SPLIT 6.3 ps, MERGE 9.0 ps, DFF clock-to-q 6.3 ps,
//!   NDRO 5.5 ps), rounded. The netlists are written anew with the
//!   library's sizing rules, without layout parasitics; they are not the
//!   library's extracted netlists.
//! - DCSFQ, SFQDC, SYNAPSE, NEURON: structural sketches with plausible
//!   values (classic DC/SFQ loop; toggle loop with a voltage-state readout
//!   for SFQ/DC). Not simulated.
//! - The synapse is a stochastic comparator (Krylov, Edwards, Friedman &
//!   Friedman 2023, "Deep neuromorphic networks with superconducting single
//!   flux quanta"): an incoming fluxon switches either a decision junction
//!   (the pulse passes) or an escape junction (it is dropped); the weight
//!   bias on the decision junction moves the decision point and thermal
//!   noise of the shunts spreads it into a sigmoid a few µA wide. The
//!   default table is a logistic of scale 0.6 µA around 130 µA (2.6 µA from
//!   10 % to 90 %): a model, to be replaced by a measured or simulated
//!   table (JoSIM with thermal noise) for a real process.
//! - The neuron model is described in [`neuron`].
//! - Chip: a 5 × 5 mm² die with a 40-pad frame, as SuperSNN on SFQ5ee,
//!   whose 5,822 junctions draw 2.15 mW, i.e. 0.37 µW per junction or
//!   148 µA at 2.5 mV; the default cells draw 0.22 to 0.5 µW per junction
//!   (tests check the mix stays within a factor of two of that figure).
//!
//! Units: currents µA (the chip's total in mA), voltages mV, times ps,
//! areas µm², powers µW unless a name says otherwise.

pub mod calibration;
mod error;
pub mod neuron;
mod parse;
#[cfg(test)]
mod tests;

pub use calibration::{quantise, Calibration, CalibrationError, CalibrationPoint};
pub use error::TechError;
pub use neuron::NeuronModel;

use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

/// The technology file compiled into the backend.
pub const DEFAULT_TOML: &str = include_str!("default.toml");

/// The cells a technology file must describe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CellKind {
    /// Josephson transmission line: a buffer, one input, one output.
    Jtl,
    /// Splitter: one pulse in, one pulse on each of two outputs.
    Split,
    /// Merger (confluence buffer): a pulse on either input gives one out.
    Merge,
    /// Clocked D flip-flop: stores a pulse, releases it on the clock.
    Dff,
    /// Non-destructive readout: set and reset inputs, a pulse out on each
    /// clock while set.
    Ndro,
    /// DC-to-SFQ converter: a pulse per rising edge of an input current.
    DcSfq,
    /// SFQ-to-DC converter: toggles an output voltage level per pulse.
    SfqDc,
    /// Stochastic synapse: passes a pulse with a bias-set probability.
    Synapse,
    /// Integrate-and-fire neuron with bias-set threshold and leak.
    Neuron,
}

impl CellKind {
    /// Every kind, in the order of the enum.
    pub const ALL: [CellKind; 9] = [
        CellKind::Jtl,
        CellKind::Split,
        CellKind::Merge,
        CellKind::Dff,
        CellKind::Ndro,
        CellKind::DcSfq,
        CellKind::SfqDc,
        CellKind::Synapse,
        CellKind::Neuron,
    ];

    /// The key of the cell's table in the file (`[cells.<key>]`).
    pub fn key(self) -> &'static str {
        match self {
            CellKind::Jtl => "jtl",
            CellKind::Split => "split",
            CellKind::Merge => "merge",
            CellKind::Dff => "dff",
            CellKind::Ndro => "ndro",
            CellKind::DcSfq => "dcsfq",
            CellKind::SfqDc => "sfqdc",
            CellKind::Synapse => "synapse",
            CellKind::Neuron => "neuron",
        }
    }
}

impl fmt::Display for CellKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// A cell's named pins. The subcircuit's ports are these, in the order
/// inputs, clocks, outputs, biases.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pins {
    /// Pulse inputs.
    pub inputs: Vec<String>,
    /// Clock inputs (clocked cells only).
    #[serde(default)]
    pub clocks: Vec<String>,
    /// Pulse (or, for SFQDC, level) outputs.
    pub outputs: Vec<String>,
    /// Programmable bias inputs, driven by a bias line set per instance
    /// (the synapse's weight, the neuron's threshold and leak).
    #[serde(default)]
    pub biases: Vec<String>,
}

impl Pins {
    /// All pins in subcircuit port order.
    pub fn ports(&self) -> impl Iterator<Item = &str> {
        self.inputs
            .iter()
            .chain(&self.clocks)
            .chain(&self.outputs)
            .chain(&self.biases)
            .map(String::as_str)
    }
}

/// One cell of the library.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cell {
    /// Josephson junctions in the cell.
    pub jjs: u32,
    /// Fixed bias current the cell draws from the rail, µA.
    pub bias_ua: f64,
    /// Nominal current of the programmable bias inputs, µA, for budgets
    /// made before the network sets them (0 for cells without such inputs).
    #[serde(default)]
    pub adjustable_bias_ua: f64,
    /// Input-to-output delay, ps (clock-to-output for clocked cells).
    pub delay_ps: f64,
    /// Layout area, µm².
    pub area_um2: f64,
    /// Pin names.
    pub pins: Pins,
    /// Smallest time between two pulses on the same input that the cell
    /// still handles as two, ps.
    #[serde(default)]
    pub min_input_separation_ps: Option<f64>,
    /// For cells with several inputs (the merger): pulses on different
    /// inputs closer than this come out as one, ps.
    #[serde(default)]
    pub min_cross_separation_ps: Option<f64>,
    /// Clocked cells: the data must arrive this long before the clock, ps.
    #[serde(default)]
    pub setup_ps: Option<f64>,
    /// Clocked cells: the data must not change this long after the clock, ps.
    #[serde(default)]
    pub hold_ps: Option<f64>,
    /// The JoSIM `.subckt` … `.ends` text; junctions refer to the
    /// technology's [`Technology::jj_model`].
    pub subcircuit: String,
}

impl Cell {
    /// Fixed plus nominal programmable bias, µA.
    pub fn total_bias_ua(&self) -> f64 {
        self.bias_ua + self.adjustable_bias_ua
    }

    /// Static power drawn from a bias rail of `bias_voltage_mv`, µW:
    /// P = Ib · Vb (µA · mV = nW).
    pub fn static_power_uw(&self, bias_voltage_mv: f64) -> f64 {
        self.total_bias_ua() * bias_voltage_mv / 1000.0
    }

    /// Whether the cell has a clock input.
    pub fn is_clocked(&self) -> bool {
        !self.pins.clocks.is_empty()
    }

    /// The name on the subcircuit's `.subckt` line, for instantiating it.
    pub fn subcircuit_name(&self) -> &str {
        parse::subckt_header(&self.subcircuit)
            .map(|(name, _)| name)
            .unwrap_or_default()
    }
}

/// Limits of one die, for partitioning a network over chips.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChipLimits {
    /// Die width, µm.
    pub die_width_um: f64,
    /// Die height, µm.
    pub die_height_um: f64,
    /// Fraction of the die cells may cover (the rest is pads, bias
    /// distribution, wiring and moats), in (0, 1].
    pub usable_fraction: f64,
    /// Signal pads available per die.
    pub max_signal_pins: u32,
    /// Largest total bias current per die, mA.
    pub max_bias_ma: f64,
}

impl ChipLimits {
    /// The area cells may cover, µm².
    pub fn usable_area_um2(&self) -> f64 {
        self.die_width_um * self.die_height_um * self.usable_fraction
    }

    /// Whether a set of cells fits the die's area and bias budget (pins are
    /// the partitioner's business: they depend on the cut, not the cells).
    pub fn fits(&self, totals: &Totals) -> bool {
        totals.area_um2 <= self.usable_area_um2() && totals.bias_ua <= self.max_bias_ma * 1000.0
    }
}

/// A fabricated chip to sanity-check the cell figures against.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferenceDesign {
    /// What it is.
    pub name: String,
    /// Its junction count.
    pub jjs: u64,
    /// Its measured or reported static power, mW.
    pub power_mw: f64,
}

impl ReferenceDesign {
    /// Power per junction, µW.
    pub fn power_per_jj_uw(&self) -> f64 {
        self.power_mw * 1000.0 / self.jjs as f64
    }
}

/// Sums over a set of cells.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Totals {
    /// Cell instances.
    pub cells: u64,
    /// Josephson junctions.
    pub jjs: u64,
    /// Bias current, µA (fixed plus nominal programmable).
    pub bias_ua: f64,
    /// Static power, µW.
    pub power_uw: f64,
    /// Cell area, µm².
    pub area_um2: f64,
}

/// A synapse bias chosen for a wanted probability, on the bias grid.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SynapseSetting {
    /// The weight bias, a multiple of the bias resolution, µA.
    pub bias_ua: f64,
    /// The probability that bias actually gives.
    pub probability: f64,
}

/// A validated technology. Built only by [`Technology::from_toml`],
/// [`Technology::load`] or [`Technology::default`].
#[derive(Clone, Debug, PartialEq)]
pub struct Technology {
    name: String,
    unit_ic_ua: f64,
    bias_voltage_mv: f64,
    bias_resolution_ua: f64,
    jj_model: String,
    cells: BTreeMap<CellKind, Cell>,
    synapse_calibration: Calibration,
    neuron: NeuronModel,
    chip: ChipLimits,
    reference: Option<ReferenceDesign>,
}

impl Default for Technology {
    /// The embedded MIT LL SFQ5ee technology.
    fn default() -> Technology {
        // The embedded file is part of the program, and a unit test parses it.
        Technology::from_toml(DEFAULT_TOML).expect("the embedded technology file is valid")
    }
}

impl Technology {
    /// Parses and validates a technology file's text.
    pub fn from_toml(text: &str) -> Result<Technology, TechError> {
        parse::technology(text)
    }

    /// Reads, parses and validates a technology file.
    pub fn load(path: &Path) -> Result<Technology, TechError> {
        let text = std::fs::read_to_string(path).map_err(|error| TechError::Io {
            path: path.to_path_buf(),
            message: error.to_string(),
        })?;
        Technology::from_toml(&text)
    }

    /// The technology's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Critical current of the unit junction, µA.
    pub fn unit_ic_ua(&self) -> f64 {
        self.unit_ic_ua
    }

    /// Voltage of the bias rail, mV.
    pub fn bias_voltage_mv(&self) -> f64 {
        self.bias_voltage_mv
    }

    /// Step of the programmable bias lines, µA.
    pub fn bias_resolution_ua(&self) -> f64 {
        self.bias_resolution_ua
    }

    /// The JoSIM `.model` line the subcircuits' junctions refer to.
    pub fn jj_model(&self) -> &str {
        &self.jj_model
    }

    /// All cells.
    pub fn cells(&self) -> &BTreeMap<CellKind, Cell> {
        &self.cells
    }

    /// One cell; validation guarantees every kind is present.
    pub fn cell(&self, kind: CellKind) -> &Cell {
        &self.cells[&kind]
    }

    /// The synapse's pass probability against its weight bias.
    pub fn synapse_calibration(&self) -> &Calibration {
        &self.synapse_calibration
    }

    /// The neuron's threshold and leak as bias currents.
    pub fn neuron(&self) -> &NeuronModel {
        &self.neuron
    }

    /// The neuron cell's inhibitory input pin, if the library has one: a
    /// pulse there cancels one stored fluxon. Without it, negative weights
    /// cannot be realised.
    pub fn inhibitory_input(&self) -> Option<&str> {
        self.cell(CellKind::Neuron)
            .pins
            .inputs
            .get(1)
            .map(String::as_str)
    }

    /// The die limits.
    pub fn chip(&self) -> &ChipLimits {
        &self.chip
    }

    /// The chip the figures were sanity-checked against, if the file names one.
    pub fn reference(&self) -> Option<&ReferenceDesign> {
        self.reference.as_ref()
    }

    /// A bias rounded to the bias lines' resolution, µA.
    pub fn quantise_bias(&self, bias_ua: f64) -> f64 {
        quantise(bias_ua, self.bias_resolution_ua)
    }

    /// The weight bias for a wanted pass probability, rounded to the bias
    /// resolution, with the probability it really gives. Probabilities
    /// outside the table are clamped.
    pub fn synapse_setting(&self, probability: f64) -> SynapseSetting {
        let bias_ua = self.quantise_bias(self.synapse_calibration.bias_for(probability));
        SynapseSetting {
            bias_ua,
            probability: self.synapse_calibration.probability(bias_ua),
        }
    }

    /// Static power of one cell, µW.
    pub fn cell_power_uw(&self, kind: CellKind) -> f64 {
        self.cell(kind).static_power_uw(self.bias_voltage_mv)
    }

    /// Junctions, bias, static power and area of a set of cells given as
    /// (kind, count) pairs; a kind may appear more than once.
    pub fn totals(&self, counts: impl IntoIterator<Item = (CellKind, u64)>) -> Totals {
        let mut totals = Totals::default();
        for (kind, count) in counts {
            let cell = self.cell(kind);
            let n = count as f64;
            totals.cells += count;
            totals.jjs += u64::from(cell.jjs) * count;
            totals.bias_ua += cell.total_bias_ua() * n;
            totals.power_uw += cell.static_power_uw(self.bias_voltage_mv) * n;
            totals.area_um2 += cell.area_um2 * n;
        }
        totals
    }
}
