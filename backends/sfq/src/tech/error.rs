//! What can be wrong with a technology file.

use super::calibration::CalibrationError;
use super::CellKind;
use std::path::PathBuf;

/// Why a technology file was rejected. Every variant that comes from the
/// file's text carries the line (1-based) of the offending entry.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum TechError {
    /// The file is not TOML, or not shaped like a technology file: a
    /// missing or unknown key, a value of the wrong type, an unknown cell.
    #[error("technology file, line {line}, column {column}: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },

    /// One of the nine cells every technology must describe is absent.
    #[error("technology file, line {line}: no `[cells.{cell}]` entry")]
    MissingCell { cell: CellKind, line: usize },

    /// A number out of its range (a delay, area or bias that is not
    /// positive, a fraction above 1) or contradictory entries; `field` is the
    /// dotted key, e.g. `cells.jtl.delay_ps`.
    #[error("technology file, line {line}, `{field}`: {message}")]
    Invalid {
        line: usize,
        field: String,
        message: String,
    },

    /// A cell's `jjs` differs from the junctions (`B` lines) of its
    /// subcircuit.
    #[error(
        "technology file, line {line}: cell `{cell}` declares {declared} junctions \
         but its subcircuit has {found}"
    )]
    JunctionCount {
        cell: CellKind,
        line: usize,
        declared: u32,
        found: u32,
    },

    /// A subcircuit without a `.subckt` line or `.ends`, or whose ports are
    /// not the cell's pins.
    #[error("technology file, line {line}: subcircuit of cell `{cell}`: {message}")]
    Subcircuit {
        cell: CellKind,
        line: usize,
        message: String,
    },

    /// A calibration table that is empty, not monotone or not a table of
    /// probabilities; `table` is its key, e.g. `synapse_calibration`.
    #[error("technology file, line {line}, `{table}`: {error}")]
    Calibration {
        table: &'static str,
        line: usize,
        #[source]
        error: CalibrationError,
    },

    /// The file could not be read.
    #[error("cannot read technology file {}: {message}", path.display())]
    Io { path: PathBuf, message: String },
}

impl TechError {
    /// A stable code for the error, for documentation and tests.
    pub fn code(&self) -> &'static str {
        match self {
            TechError::Syntax { .. } => "T0001",
            TechError::MissingCell { .. } => "T0002",
            TechError::Invalid { .. } => "T0003",
            TechError::JunctionCount { .. } => "T0004",
            TechError::Subcircuit { .. } => "T0005",
            TechError::Calibration { .. } => "T0006",
            TechError::Io { .. } => "T0007",
        }
    }

    /// The line of the file the error is about, if it is about one.
    pub fn line(&self) -> Option<usize> {
        match self {
            TechError::Syntax { line, .. }
            | TechError::MissingCell { line, .. }
            | TechError::Invalid { line, .. }
            | TechError::JunctionCount { line, .. }
            | TechError::Subcircuit { line, .. }
            | TechError::Calibration { line, .. } => Some(*line),
            TechError::Io { .. } => None,
        }
    }

    /// A line telling the user how to fix it.
    pub fn help(&self) -> String {
        match self {
            TechError::Syntax { .. } => "compare with the embedded default \
                (`backends/sfq/src/tech/default.toml`): top-level keys `name`, \
                `unit_ic_ua`, `bias_voltage_mv`, `bias_resolution_ua`, `jj_model`, \
                tables `[chip]`, `[synapse_calibration]`, `[neuron]`, `[cells.*]`"
                .into(),
            TechError::MissingCell { .. } => format!(
                "a technology file describes all of: {}",
                CellKind::ALL.map(CellKind::key).join(", ")
            ),
            TechError::Invalid { .. } => {
                "currents, delays and areas are positive numbers; timing margins are \
                 not negative"
                    .into()
            }
            TechError::JunctionCount { .. } => "`jjs` counts the junction lines (those \
                starting with `B`) of the subcircuit; make the two agree"
                .into(),
            TechError::Subcircuit { .. } => "a subcircuit opens with `.subckt NAME \
                ports...` listing the cell's inputs, clocks, outputs and bias pins in \
                that order, and closes with `.ends`"
                .into(),
            TechError::Calibration { .. } => "list `points = [[bias_ua, value], ...]` with \
                biases increasing and values never decreasing (probabilities within 0 to 1)"
                .into(),
            TechError::Io { .. } => "check the path given for the technology file".into(),
        }
    }
}
