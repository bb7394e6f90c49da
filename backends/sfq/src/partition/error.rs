//! Why a design cannot be split over chips of a budget.

use std::fmt;

/// A quantity a chip has a limited amount of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Resource {
    /// Josephson junctions.
    Jjs,
    /// Usable area, µm².
    Area,
    /// Total bias current, µA.
    Bias,
    /// Signal pads.
    Pins,
}

impl Resource {
    /// How amounts of it are written after the number.
    pub fn unit(self) -> &'static str {
        match self {
            Resource::Jjs => "JJs",
            Resource::Area => "µm² of area",
            Resource::Bias => "µA of bias",
            Resource::Pins => "signal pins",
        }
    }
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Resource::Jjs => "junctions",
            Resource::Area => "area",
            Resource::Bias => "bias current",
            Resource::Pins => "signal pins",
        })
    }
}

/// Why partitioning failed. Blocks are named by index into the input, by
/// name and by group (the population), so lowering can point at the
/// population.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum PartitionError {
    /// One block alone needs more of a resource than a chip has. `need`
    /// and `have` are in the resource's unit (JJs, µm², µA, pins; for pins
    /// the block's own external inputs and outputs).
    #[error("block `{name}` (group {group}) needs {need} {}, the chip has {have}", resource.unit())]
    BlockTooBig {
        block: usize,
        name: String,
        group: u32,
        resource: Resource,
        need: f64,
        have: f64,
    },

    /// No split can meet the pin budget: whatever shares its chip, the
    /// chip holding `block` needs at least `need` signal pins (the block's
    /// external pins, one per driver that cannot share the chip, one per
    /// further chip its targets must spread over).
    #[error(
        "block `{name}` (group {group}) needs at least {need} signal pins on any chip, \
         the chip has {have}"
    )]
    PinsExceeded {
        block: usize,
        name: String,
        group: u32,
        need: u64,
        have: u32,
    },

    /// No split into at most `max_chips` chips was found that respects the
    /// pin budget (every other budget can be met), though none is proven
    /// impossible. The chip holding `block` in the closest attempt needed
    /// `need` signal pins; `block` is the one weighing most on them.
    #[error(
        "no split into at most {max_chips} chips found that fits the pin budget: the chip \
         holding block `{name}` (group {group}) needs {need} signal pins, the chip has {have}"
    )]
    PinsNotMet {
        block: usize,
        name: String,
        group: u32,
        need: u64,
        have: u32,
        max_chips: usize,
    },

    /// A line names a block that does not exist.
    #[error("line {line} runs from block {from} to block {to}, but there are {blocks} blocks")]
    LineOutOfRange {
        line: usize,
        from: usize,
        to: usize,
        blocks: usize,
    },

    /// A block's area or bias is negative, infinite or not a number.
    #[error("block `{name}` (group {group}): {field} is {value}, not a finite amount")]
    InvalidBlock {
        block: usize,
        name: String,
        group: u32,
        field: &'static str,
        value: f64,
    },

    /// A budget that is zero, negative, infinite or not a number.
    #[error("chip budget: {resource} limit {value} is not a positive finite amount")]
    InvalidBudget { resource: Resource, value: f64 },
}

impl PartitionError {
    /// A stable code for the error, for documentation and tests.
    pub fn code(&self) -> &'static str {
        match self {
            PartitionError::BlockTooBig { .. } => "C0001",
            PartitionError::PinsExceeded { .. } => "C0002",
            PartitionError::LineOutOfRange { .. } => "C0003",
            PartitionError::InvalidBlock { .. } => "C0004",
            PartitionError::InvalidBudget { .. } => "C0005",
            PartitionError::PinsNotMet { .. } => "C0006",
        }
    }

    /// A line telling the user how to fix it.
    pub fn help(&self) -> &'static str {
        match self {
            PartitionError::BlockTooBig { .. } => {
                "a block (a neuron with its synapses and trees) is never split; \
                 give a larger chip with `--chip`, or reduce its fan-in or fan-out"
            }
            PartitionError::PinsExceeded { .. } | PartitionError::PinsNotMet { .. } => {
                "a pulse that leaves a chip needs a pin on either side per source block and \
                 destination chip; give more pins with `--chip pins=N` or larger chips, or \
                 reduce the fan-in and fan-out between populations"
            }
            PartitionError::LineOutOfRange { .. } | PartitionError::InvalidBlock { .. } => {
                "this is a bug in lowering: it built an inconsistent partitioning problem"
            }
            PartitionError::InvalidBudget { .. } => {
                "every limit of a chip budget is a positive finite amount"
            }
        }
    }
}
