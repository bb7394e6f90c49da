//! What can be wrong with a machine description.

use crate::geometry::ChipCoord;
use std::path::PathBuf;

/// Why a machine could not be built. Every variant carries what a
/// diagnostic needs: the offending name, number or chip, and for machine
/// files the line and the entry.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MachineError {
    /// The preset name is not one we know.
    #[error("unknown machine preset `{name}`")]
    UnknownPreset { name: String },

    /// A preset asked for no boards, or for more than coordinates allow.
    #[error("a machine of {boards} boards: the number of boards must be 1 to {max}")]
    BoardCount { boards: u32, max: u32 },

    /// A chip that the machine does not have (outside its boards, or
    /// already dead).
    #[error("chip {chip} is not in the machine")]
    NoSuchChip { chip: ChipCoord },

    /// A core number beyond the chip's processors.
    #[error("chip {chip} has no core {core} (its {cores} cores are numbered from 0)")]
    NoSuchCore {
        chip: ChipCoord,
        core: u32,
        cores: u8,
    },

    /// A link given neither as a number 0 to 5 nor as a direction name.
    #[error("`{link}` is not a link")]
    UnknownLink { link: String },

    /// The machine file is not TOML, or not shaped like a machine file
    /// (a missing `preset`, an unknown key, a value of the wrong type).
    #[error("machine file, line {line}, column {column}: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },

    /// A well-formed entry of a machine file that names something the
    /// machine lacks; `field` says which entry, e.g. `dead_cores[2]`.
    #[error("machine file, line {line}, {field}: {error}")]
    Entry {
        line: usize,
        field: String,
        #[source]
        error: Box<MachineError>,
    },

    /// A routing-table size of zero or beyond what the router has.
    #[error("a router of this machine holds 1 to {max} entries, not {entries}")]
    RoutingEntries { entries: u32, max: u32 },

    /// The machine file could not be read.
    #[error("cannot read machine file {}: {message}", path.display())]
    Io { path: PathBuf, message: String },
}

impl MachineError {
    /// A line telling the user how to fix it, where there is one.
    pub fn help(&self) -> Option<String> {
        match self {
            MachineError::UnknownPreset { .. } => {
                Some(format!("known presets: {}", super::preset::PRESET_NAMES))
            }
            MachineError::BoardCount { max, .. } => {
                Some(format!("ask for 1 to {max} boards, e.g. `spinn5x3`"))
            }
            MachineError::NoSuchChip { .. } => Some(
                "chips are (x, y) positions on the preset's boards; a chip listed \
                 in `dead_chips` has no cores or links left to mark"
                    .into(),
            ),
            MachineError::NoSuchCore { .. } => None,
            MachineError::UnknownLink { .. } => {
                Some("links are 0 to 5 or east, north-east, north, west, south-west, south".into())
            }
            MachineError::Syntax { .. } => Some(
                "a machine file has `preset = \"...\"` and optional `dead_chips = [[x, y]]`, \
                 `dead_cores = [{ chip = [x, y], core = n }]` and \
                 `dead_links = [{ chip = [x, y], link = \"east\" }]`, \
                 `routing_entries = n`"
                    .into(),
            ),
            MachineError::RoutingEntries { .. } => None,
            MachineError::Entry { error, .. } => error.help(),
            MachineError::Io { .. } => None,
        }
    }
}
