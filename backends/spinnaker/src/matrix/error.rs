//! What can go wrong building a core's synaptic data, and reading it back.

use crate::geometry::KeyMask;

/// Why a core's synaptic data could not be laid out or built. Blocks are
/// named by their index in the input and neurons by their index in the
/// block, for the caller to map back to projections and populations.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MatrixError {
    /// Field widths beyond the 14-bit ring-buffer index.
    #[error(
        "a ring-buffer index of {neuron_bits} neuron, {type_bits} synapse-type and \
         {delay_bits} delay bits is wider than 14 bits"
    )]
    LayoutTooWide {
        neuron_bits: u8,
        type_bits: u8,
        delay_bits: u8,
    },

    /// Neuron and synapse-type bits alone exceed the ring-buffer budget.
    #[error(
        "{max_neurons} neurons per core and {n_types} synapse types need {neuron_bits} + \
         {type_bits} ring-buffer index bits, more than the 14 there are"
    )]
    NoRoomForDelays {
        max_neurons: u32,
        n_types: usize,
        neuron_bits: u8,
        type_bits: u8,
    },

    /// The longest delay is beyond what the ring buffer and 8
    /// delay-extension stages reach.
    #[error(
        "a delay of {max_delay} timesteps is out of reach: the ring buffer has {slots} \
         slots, and with 8 delay-extension stages delays reach {reach} timesteps"
    )]
    DelayUnreachable {
        max_delay: u16,
        slots: u16,
        reach: u32,
    },

    /// The post slice has more neurons than the layout can number.
    #[error("a core of {n_post} neurons does not fit a layout of {neuron_bits} neuron-index bits")]
    TooManyPostNeurons { n_post: u32, neuron_bits: u8 },

    /// A key range whose free bits are not the low bits (so they are not
    /// the neuron index), or whose key has bits outside its mask.
    #[error(
        "block #{block}: key range 0x{:08x}/0x{:08x} does not end in a neuron-index field",
        .key_mask.key, .key_mask.mask
    )]
    InvalidKeyMask { block: usize, key_mask: KeyMask },

    /// A block has more presynaptic neurons than its key range numbers.
    #[error(
        "block #{block}: {n_pre} presynaptic neurons do not fit key range 0x{:08x}/0x{:08x}",
        .key_mask.key, .key_mask.mask
    )]
    TooManyPreNeurons {
        block: usize,
        n_pre: u32,
        key_mask: KeyMask,
    },

    /// A synapse from a presynaptic index the block does not have.
    #[error("block #{block}: a synapse from presynaptic neuron {pre}, but the block has {n_pre}")]
    PreOutOfRange { block: usize, pre: u32, n_pre: u32 },

    /// A synapse onto a neuron the core does not have.
    #[error("block #{block}: presynaptic neuron {pre} has a synapse onto neuron {post} of a core of {n_post}")]
    PostOutOfRange {
        block: usize,
        pre: u32,
        post: u16,
        n_post: u32,
    },

    /// A synapse type the layout cannot number.
    #[error(
        "block #{block}: presynaptic neuron {pre} has a synapse of type {synapse_type}, \
         but the layout numbers {max_types} types"
    )]
    TypeOutOfRange {
        block: usize,
        pre: u32,
        synapse_type: u8,
        max_types: u32,
    },

    /// A synapse of delay 0: spikes cannot arrive in the step they are sent.
    #[error("block #{block}: presynaptic neuron {pre} has a synapse with a delay of 0 timesteps")]
    ZeroDelay { block: usize, pre: u32 },

    /// A synapse delay beyond the layout's reach.
    #[error(
        "block #{block}: presynaptic neuron {pre} has a synapse delayed {delay} timesteps, \
         beyond the {reach} this core's layout reaches"
    )]
    DelayBeyondLayout {
        block: usize,
        pre: u32,
        delay: u16,
        reach: u32,
    },

    /// A synapse needs a delay-extension stage the block has no keys for.
    #[error(
        "block #{block}: presynaptic neuron {pre} has a synapse that needs delay stage \
         {stage}, but the block has keys for {stages_given} stages"
    )]
    MissingDelayStage {
        block: usize,
        pre: u32,
        stage: u8,
        stages_given: usize,
    },

    /// A synaptic row longer than the master population table can describe.
    #[error(
        "block #{block}: presynaptic neuron {pre} has {len} synapses onto this core \
         (delay stage {stage}); a row holds at most 256"
    )]
    RowTooLong {
        block: usize,
        stage: u8,
        pre: u32,
        len: u32,
    },

    /// Two different key ranges overlap: a binary search of the master
    /// population table could not tell which one a key belongs to.
    /// A plastic synapse whose delay needs a delay-extension stage: the
    /// core times a plastic row's pairings from its arrival, so the whole
    /// delay must be the ring buffer's.
    #[error(
        "block #{block}: presynaptic neuron {pre} has a plastic synapse delayed {delay} \
         timesteps, beyond the {slots} ring-buffer slots that plastic rows can use"
    )]
    PlasticDelayed {
        block: usize,
        pre: u32,
        delay: u16,
        slots: u16,
    },

    /// A row whose static and plastic synapses take more words than the
    /// address list can describe.
    #[error(
        "block #{block}: presynaptic neuron {pre} has {n_static} static and {n_plastic} \
         plastic synapses onto this core, {words} words of row; a row holds at most 256"
    )]
    PlasticRowTooLong {
        block: usize,
        pre: u32,
        n_static: u32,
        n_plastic: u32,
        words: u32,
    },

    #[error(
        "key ranges 0x{:08x}/0x{:08x} and 0x{:08x}/0x{:08x} overlap",
        .first.key, .first.mask, .second.key, .second.mask
    )]
    OverlappingKeys { first: KeyMask, second: KeyMask },

    /// A table or region beyond what its format can address.
    #[error("{what}: {count} is more than the format allows ({max})")]
    TooLarge {
        what: &'static str,
        count: u64,
        max: u64,
    },
}

impl MatrixError {
    /// A line telling the user how to fix it, where there is one.
    pub fn help(&self) -> Option<String> {
        match self {
            MatrixError::DelayUnreachable { .. }
            | MatrixError::NoRoomForDelays { .. }
            | MatrixError::DelayBeyondLayout { .. } => Some(
                "fewer neurons per core or fewer synapse types leave more ring-buffer \
                 slots for delays; otherwise shorten the longest delay"
                    .into(),
            ),
            MatrixError::PlasticDelayed { .. } => Some(
                "fewer neurons per core (`--neurons-per-core`) or fewer synapse types \
                 leave more ring-buffer slots; otherwise shorten the plastic delays"
                    .into(),
            ),
            MatrixError::RowTooLong { .. } | MatrixError::PlasticRowTooLong { .. } => Some(
                "split the postsynaptic population into smaller slices, so fewer \
                 synapses from one neuron land on one core"
                    .into(),
            ),
            MatrixError::TooLarge { .. } => {
                Some("split the postsynaptic population into smaller slices".into())
            }
            _ => None,
        }
    }
}

/// Why a synaptic-data blob could not be read: it is not one this backend
/// wrote, or it was damaged.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BlobError {
    /// Shorter than its header.
    #[error("synaptic data of {len} bytes is shorter than its {need}-byte header")]
    TooShort { len: usize, need: usize },

    /// The first word is not ours.
    #[error("not synaptic data: the first word is 0x{found:08x}")]
    BadMagic { found: u32 },

    /// A format version this reader does not know.
    #[error("synaptic data format version {found}; this reader knows version {known}")]
    UnknownVersion { found: u32, known: u32 },

    /// The layout word is not a layout within the 14-bit budget.
    #[error("the ring-buffer layout word 0x{word:08x} is not a valid layout")]
    BadLayout { word: u32 },

    /// A header field disagrees with what the rest of the header implies.
    #[error("the header gives {field} as {found}, but the blob implies {expected}")]
    Inconsistent {
        field: &'static str,
        found: u64,
        expected: u64,
    },

    /// A master population table entry that breaks the format.
    #[error("master population table entry #{index}: {reason}")]
    BadEntry { index: usize, reason: &'static str },

    /// An address list entry that breaks the format.
    #[error("address list entry #{index}: {reason}")]
    BadAddress { index: usize, reason: &'static str },

    /// A synaptic row that breaks the format.
    #[error("the row of presynaptic neuron {pre} in the matrix at byte {offset} {reason}")]
    BadRow {
        offset: usize,
        pre: u32,
        reason: &'static str,
    },
}
