//! Why a build fails. Variants name populations and projections by index
//! and chips by coordinates; the compiler's driver turns them into
//! diagnostics at the declarations in the source.

use crate::geometry::ChipCoord;
use crate::machine::MachineError;
use crate::route::RouteError;
use crate::table::TableError;

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("the machine description is invalid: {0}")]
    Machine(#[from] MachineError),
    /// SpiNNaker cores exchange spikes only.
    #[error("projection `{name}` is a gap junction; SpiNNaker cores exchange spikes only and cannot realise electrical synapses")]
    GapJunction { projection: usize, name: String },
    /// A plastic projection whose dynamics the rows do not implement (a
    /// synapse model written in the language; pair STDP is built).
    #[error("projection `{name}` has plastic synapses of a kind spikec's SpiNNaker backend does not build (only pair STDP)")]
    Plastic { projection: usize, name: String },
    /// A pair-STDP projection whose rule or synapses the plastic rows and
    /// the core's integer rule cannot hold.
    #[error("projection `{name}`: its STDP synapses cannot be SpiNNaker plastic rows: {reason}")]
    PlasticRule {
        projection: usize,
        name: String,
        reason: String,
    },
    #[error("the network needs {needed} cores but the machine has {available} application cores")]
    TooManyCores {
        needed: usize,
        available: usize,
        /// The populations with the most cores (index, cores), largest first.
        biggest: Vec<(usize, usize)>,
    },
    #[error("the core for neurons {lo}..{hi} needs {bytes} bytes of SDRAM, more than a chip's {capacity}")]
    CoreSdram {
        population: usize,
        lo: u32,
        hi: u32,
        bytes: u64,
        capacity: u64,
    },
    #[error("the cores do not fit the machine: its {chips} chips fill up, with cores or with SDRAM for their data, before every core is placed")]
    OutOfSdram {
        /// The population that found no chip with room.
        population: usize,
        chips: usize,
    },
    #[error("a core holding one neuron of this population needs {bytes} bytes of core memory, more than the {budget} bytes a core has")]
    NeuronTooBig {
        population: usize,
        bytes: u32,
        budget: u32,
    },
    #[error("a synaptic delay of {steps} steps reaches this population, but its ring buffers hold at most {slots} steps")]
    DelayTooLong {
        population: usize,
        steps: u16,
        slots: u32,
    },
    #[error("synaptic data of the core for neurons {lo}..{hi}: {error}")]
    Matrix {
        population: usize,
        lo: u32,
        hi: u32,
        error: crate::matrix::MatrixError,
    },
    #[error("the network needs {needed} routing keys, more than the 2^32 a key holds")]
    KeySpace { needed: u64 },
    #[error("{error}")]
    Route {
        error: RouteError,
        /// The sending population, then those it could not reach.
        populations: Vec<usize>,
    },
    #[error("the routing table of chip {chip} needs {entries} entries after compression; the router holds {capacity}")]
    TableTooBig {
        chip: ChipCoord,
        entries: usize,
        capacity: usize,
        /// Populations with entries in the chip's uncompressed table, with
        /// how many each (most first).
        crowding: Vec<(usize, usize)>,
    },
    #[error("routing tables: {0}")]
    Table(TableError),
    #[error("internal error: the routing tables do not deliver as routed: {0}")]
    Delivery(String),
}
