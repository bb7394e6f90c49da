//! Building one post core's synaptic data from the blocks of synapses that
//! reach it.
//!
//! Three linear passes over each block's synapses, with counters per
//! (delay stage, presynaptic neuron) of its static and plastic synapses
//! and no allocation per synapse:
//! validate and find the deepest stage; count row lengths; write each
//! synaptic word straight into its row of the blob. The blob is sized
//! between the second and third passes, so it is allocated once.

use super::format::{
    header_words, is_index_range, plastic_words, row_words, AddressEntry, MatrixShape,
    PopTableEntry, RegionSizes, ALIGNMENT, MAX_ADDRESS_COUNT, MAX_ADDRESS_START, MAX_MATRIX_BYTES,
    MAX_ROW_LENGTH, POP_TABLE_ENTRY_BYTES, PRE_HEADER_WORDS, ROW_HEADER_WORDS,
};
use super::layout::{DelaySplit, RingBufferLayout, MAX_DELAY_STAGES};
use super::MatrixError;
use crate::geometry::KeyMask;

/// One synapse onto a post core, as the caller hands it over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Synapse {
    /// Index of the presynaptic neuron in its block (the key's free bits).
    pub pre: u32,
    /// Index of the target neuron in the post core.
    pub post: u16,
    /// Synapse type index (see [`spikec_ir::fixed::SynapseTypes`]).
    pub synapse_type: u8,
    /// Delay in timesteps, at least 1.
    pub delay: u16,
    /// Weight magnitude at the type's ring-buffer shift
    /// ([`spikec_ir::fixed::quantise`]); a plastic synapse's initial one.
    pub weight: u16,
    /// Whether the weight changes (pair STDP): the synapse goes to its
    /// row's plastic region. Its delay must be served by the ring buffer
    /// (stage 0), since the core times its pairings from the row's arrival.
    pub plastic: bool,
}

/// The synapses from one presynaptic slice (one source of keys) onto the
/// post core.
#[derive(Clone, Copy, Debug)]
pub struct IncomingBlock<'a> {
    /// The slice's keys: `key | pre` for presynaptic neuron `pre`. The free
    /// bits of the mask must be the low bits.
    pub key_mask: KeyMask,
    /// Presynaptic neurons in the slice: the rows of its matrices.
    pub n_pre: u32,
    /// The keys of the slice's delay-extension stages, stage 1 first: stage
    /// `s` re-sends the slice's spikes `s · D` steps late under
    /// `stage_keys[s - 1].key | pre`. Empty if the slice has no extension.
    pub stage_keys: &'a [KeyMask],
    /// The synapses, in any order; a row keeps their order.
    pub synapses: &'a [Synapse],
}

/// A set of delay stages, 0 (no extension) to [`MAX_DELAY_STAGES`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct StageSet(u16);

impl StageSet {
    /// Adds a stage.
    pub fn insert(&mut self, stage: u8) {
        self.0 |= 1 << stage.min(15);
    }

    /// Whether `stage` is in the set.
    pub fn contains(self, stage: u8) -> bool {
        stage < 16 && self.0 & 1 << stage != 0
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The deepest stage, if any.
    pub fn deepest(self) -> Option<u8> {
        (!self.is_empty()).then(|| 15 - self.0.leading_zeros() as u8)
    }

    /// The stages, shallowest first.
    pub fn iter(self) -> impl Iterator<Item = u8> {
        (0..16u8).filter(move |&s| self.contains(s))
    }
}

/// One core's synaptic data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoreSynapticData {
    /// The serialised regions (see [`super::format`]).
    pub blob: Vec<u8>,
    /// Bytes of each region.
    pub sizes: RegionSizes,
    /// Per block, the stages (0: none) with synapses onto this core: the
    /// key ranges routing must deliver here. A stage not listed matches no
    /// table entry, and its packets would be dropped.
    pub stages_used: Vec<StageSet>,
}

/// One matrix being built: the synapses of one (block, stage).
struct Matrix {
    block: usize,
    stage: u8,
    key_mask: KeyMask,
    shape: MatrixShape,
    /// Byte offset in the matrix region.
    offset: usize,
}

/// Static and plastic synapses per row of one block,
/// `counts[stage * n_pre + pre]`, and which matrix each stage became.
struct BlockRows {
    counts: Vec<u32>,
    plastic: Vec<u32>,
    matrix_of_stage: [Option<usize>; MAX_DELAY_STAGES as usize + 1],
}

/// Builds the synaptic data of a post core of `n_post` neurons with ring
/// buffers laid out as `layout`, from the blocks that reach it.
///
/// Every (block, stage) with synapses becomes one matrix: one row per
/// presynaptic neuron, all as long as the longest (as sPyNNaker pads
/// them), and one address-list entry. Blocks or stages with the same key
/// range share a table entry, whose address-list entries follow block
/// order, as sPyNNaker adds several matrices to one key. Table entries are
/// sorted by key, as the core's binary search needs.
///
/// Differences from sPyNNaker: each delay stage has a key range and a
/// matrix of its own (sPyNNaker gives a delay-extension slice one key
/// range and one matrix of `n_pre · stages` rows), so each stage's rows are
/// only as long as its own longest; and there are no direct (single-row)
/// matrices and no extra-info entries.
pub fn build(
    layout: RingBufferLayout,
    n_post: u32,
    blocks: &[IncomingBlock<'_>],
) -> Result<CoreSynapticData, MatrixError> {
    build_coloured(layout, 0, n_post, blocks)
}

/// [`build`] for keys whose free bits hold, above the presynaptic index,
/// `colour_bits` bits of the sender's step (see
/// [`super::format::MAX_COLOUR_BITS`]).
pub fn build_coloured(
    layout: RingBufferLayout,
    colour_bits: u8,
    n_post: u32,
    blocks: &[IncomingBlock<'_>],
) -> Result<CoreSynapticData, MatrixError> {
    for (block, b) in blocks.iter().enumerate() {
        for key_mask in std::iter::once(b.key_mask).chain(b.stage_keys.iter().copied()) {
            if (b.n_pre as u64) << colour_bits > (!key_mask.mask) as u64 + 1 {
                return Err(MatrixError::TooManyPreNeurons {
                    block,
                    n_pre: b.n_pre,
                    key_mask,
                });
            }
        }
    }
    if n_post > layout.max_neurons() {
        return Err(MatrixError::TooManyPostNeurons {
            n_post,
            neuron_bits: layout.neuron_bits(),
        });
    }
    let mut matrices = Vec::new();
    let mut rows = Vec::with_capacity(blocks.len());
    let mut stages_used = Vec::with_capacity(blocks.len());
    for (b, block) in blocks.iter().enumerate() {
        let (block_rows, stages) = count_rows(layout, n_post, b, block, &mut matrices)?;
        rows.push(block_rows);
        stages_used.push(stages);
    }

    let mut matrix_bytes = 0usize;
    for m in &mut matrices {
        m.offset = matrix_bytes;
        matrix_bytes += m.shape.bytes();
        if matrix_bytes > MAX_MATRIX_BYTES {
            return Err(MatrixError::TooLarge {
                what: "bytes of synaptic matrices",
                count: matrix_bytes as u64,
                max: MAX_MATRIX_BYTES as u64,
            });
        }
    }
    let (entries, addresses) = master_population_table(&matrices)?;
    let sizes = RegionSizes::of(
        entries.len(),
        addresses.len(),
        matrices.iter().map(|m| m.shape),
    );

    let mut blob = vec![0u8; sizes.total()];
    let header = header_words(
        layout.to_word(),
        colour_bits.min(super::format::MAX_COLOUR_BITS),
        entries.len(),
        addresses.len(),
        &sizes,
    );
    let [table_at, addresses_at, matrix_at] = sizes.offsets();
    put_words(&mut blob, 0, &header);
    for (i, e) in entries.iter().enumerate() {
        put_words(&mut blob, table_at + i * POP_TABLE_ENTRY_BYTES, &e.words());
    }
    for (i, a) in addresses.iter().enumerate() {
        put_words(&mut blob, addresses_at + 4 * i, &[a.word()]);
    }
    for (b, (block, block_rows)) in blocks.iter().zip(&mut rows).enumerate() {
        write_rows(
            layout,
            &mut blob[matrix_at..],
            &matrices,
            b,
            block,
            block_rows,
        );
    }
    Ok(CoreSynapticData {
        blob,
        sizes,
        stages_used,
    })
}

/// Checks that a key range numbers `n_pre` neurons in its low bits.
fn check_key_range(block: usize, key_mask: KeyMask, n_pre: u32) -> Result<(), MatrixError> {
    if !is_index_range(key_mask) {
        return Err(MatrixError::InvalidKeyMask { block, key_mask });
    }
    if n_pre as u64 > (!key_mask.mask) as u64 + 1 {
        return Err(MatrixError::TooManyPreNeurons {
            block,
            n_pre,
            key_mask,
        });
    }
    Ok(())
}

/// Checks one synapse and says where its delay is served.
fn check_synapse(
    layout: RingBufferLayout,
    n_post: u32,
    b: usize,
    block: &IncomingBlock<'_>,
    s: &Synapse,
) -> Result<DelaySplit, MatrixError> {
    let pre = s.pre;
    if pre >= block.n_pre {
        return Err(MatrixError::PreOutOfRange {
            block: b,
            pre,
            n_pre: block.n_pre,
        });
    }
    if s.post as u32 >= n_post {
        return Err(MatrixError::PostOutOfRange {
            block: b,
            pre,
            post: s.post,
            n_post,
        });
    }
    if s.synapse_type as u32 >= layout.max_types() {
        return Err(MatrixError::TypeOutOfRange {
            block: b,
            pre,
            synapse_type: s.synapse_type,
            max_types: layout.max_types(),
        });
    }
    if s.delay == 0 {
        return Err(MatrixError::ZeroDelay { block: b, pre });
    }
    if s.plastic && s.delay > layout.slots() {
        return Err(MatrixError::PlasticDelayed {
            block: b,
            pre,
            delay: s.delay,
            slots: layout.slots(),
        });
    }
    let split = layout
        .split_delay(s.delay)
        .ok_or(MatrixError::DelayBeyondLayout {
            block: b,
            pre,
            delay: s.delay,
            reach: layout.reach(),
        })?;
    if split.stage as usize > block.stage_keys.len() {
        return Err(MatrixError::MissingDelayStage {
            block: b,
            pre,
            stage: split.stage,
            stages_given: block.stage_keys.len(),
        });
    }
    Ok(split)
}

/// Passes one and two over a block: validates it, counts its rows and adds
/// a matrix per stage with synapses.
fn count_rows(
    layout: RingBufferLayout,
    n_post: u32,
    b: usize,
    block: &IncomingBlock<'_>,
    matrices: &mut Vec<Matrix>,
) -> Result<(BlockRows, StageSet), MatrixError> {
    let mut block_rows = BlockRows {
        counts: Vec::new(),
        plastic: Vec::new(),
        matrix_of_stage: [None; MAX_DELAY_STAGES as usize + 1],
    };
    let mut stages = StageSet::default();
    check_key_range(b, block.key_mask, block.n_pre)?;
    let stage_keys = &block.stage_keys[..block.stage_keys.len().min(MAX_DELAY_STAGES as usize)];
    for &k in stage_keys {
        check_key_range(b, k, block.n_pre)?;
    }
    let mut deepest = None;
    for s in block.synapses {
        let split = check_synapse(layout, n_post, b, block, s)?;
        deepest = deepest.max(Some(split.stage));
    }
    let Some(deepest) = deepest else {
        return Ok((block_rows, stages));
    };
    // Each stage's matrix needs a row per neuron anyway: refuse blocks whose
    // rows alone exceed the region before counting them.
    let n_pre = block.n_pre as usize;
    if n_pre * ROW_HEADER_WORDS * 4 > MAX_MATRIX_BYTES {
        return Err(MatrixError::TooLarge {
            what: "rows of one block",
            count: n_pre as u64,
            max: (MAX_MATRIX_BYTES / (ROW_HEADER_WORDS * 4)) as u64,
        });
    }
    let (counts, plastic) = (&mut block_rows.counts, &mut block_rows.plastic);
    counts.resize(n_pre * (deepest as usize + 1), 0);
    plastic.resize(n_pre * (deepest as usize + 1), 0);
    for s in block.synapses {
        if let Some(split) = layout.split_delay(s.delay) {
            let c = if s.plastic {
                &mut *plastic
            } else {
                &mut *counts
            };
            c[split.stage as usize * n_pre + s.pre as usize] += 1;
        }
    }
    for stage in 0..=deepest {
        let range = stage as usize * n_pre..(stage as usize + 1) * n_pre;
        let (stage_counts, stage_plastic) = (&counts[range.clone()], &plastic[range]);
        let mut longest = 0u32;
        for (pre, (&n_static, &n_plastic)) in stage_counts.iter().zip(stage_plastic).enumerate() {
            let words = row_words(n_static as usize, n_plastic as usize);
            if words > MAX_ROW_LENGTH as usize {
                return Err(if n_plastic == 0 {
                    MatrixError::RowTooLong {
                        block: b,
                        stage,
                        pre: pre as u32,
                        len: n_static,
                    }
                } else {
                    MatrixError::PlasticRowTooLong {
                        block: b,
                        pre: pre as u32,
                        n_static,
                        n_plastic,
                        words: words as u32,
                    }
                });
            }
            longest = longest.max(words as u32);
        }
        if longest == 0 {
            continue;
        }
        let key_mask = match stage {
            0 => block.key_mask,
            s => stage_keys[s as usize - 1],
        };
        block_rows.matrix_of_stage[stage as usize] = Some(matrices.len());
        stages.insert(stage);
        matrices.push(Matrix {
            block: b,
            stage,
            key_mask,
            shape: MatrixShape {
                n_rows: block.n_pre,
                row_length: longest as u16,
            },
            offset: 0,
        });
    }
    Ok((block_rows, stages))
}

/// The master population table and address list: matrices sorted by key
/// range (then block and stage), one entry per distinct range.
fn master_population_table(
    matrices: &[Matrix],
) -> Result<(Vec<PopTableEntry>, Vec<AddressEntry>), MatrixError> {
    let mut order: Vec<usize> = (0..matrices.len()).collect();
    order.sort_by_key(|&i| (matrices[i].key_mask.key, matrices[i].key_mask.mask, i));
    let mut entries: Vec<PopTableEntry> = Vec::new();
    let mut addresses = Vec::with_capacity(order.len());
    for i in order {
        let m = &matrices[i];
        let index = addresses.len();
        addresses.push(AddressEntry {
            address: (m.offset / ALIGNMENT) as u32,
            row_length: m.shape.row_length,
        });
        if let Some(last) = entries.last_mut() {
            if last.key_mask == m.key_mask {
                if last.count as usize == MAX_ADDRESS_COUNT {
                    return Err(MatrixError::TooLarge {
                        what: "matrices with one key range",
                        count: MAX_ADDRESS_COUNT as u64 + 1,
                        max: MAX_ADDRESS_COUNT as u64,
                    });
                }
                last.count += 1;
                continue;
            }
            // Ranges with free low bits are intervals: sorted by key, two
            // overlap only if one starts within the one before it.
            if m.key_mask.key <= last.last_key() {
                return Err(MatrixError::OverlappingKeys {
                    first: last.key_mask,
                    second: m.key_mask,
                });
            }
        }
        if index > MAX_ADDRESS_START {
            return Err(MatrixError::TooLarge {
                what: "address list entries",
                count: index as u64 + 1,
                max: MAX_ADDRESS_START as u64 + 1,
            });
        }
        entries.push(PopTableEntry {
            key_mask: m.key_mask,
            start: index as u16,
            count: 1,
        });
    }
    Ok((entries, addresses))
}

/// Pass three over a block: its row headers and synaptic words.
fn write_rows(
    layout: RingBufferLayout,
    region: &mut [u8],
    matrices: &[Matrix],
    b: usize,
    block: &IncomingBlock<'_>,
    rows: &mut BlockRows,
) {
    let n_pre = block.n_pre as usize;
    let row_start = |m: &Matrix, pre: usize| {
        m.offset + pre * (ROW_HEADER_WORDS + m.shape.row_length as usize) * 4
    };
    for (stage, matrix) in rows.matrix_of_stage.iter().enumerate() {
        let Some(m) = matrix.map(|i| &matrices[i]) else {
            continue;
        };
        debug_assert_eq!((m.block, m.stage as usize), (b, stage));
        // The three counts: plastic words, static and plastic synapses.
        // The synapse counts stay, and `filled` counts what is written.
        let range = stage * n_pre..(stage + 1) * n_pre;
        for (pre, (&n_static, &n_plastic)) in rows.counts[range.clone()]
            .iter()
            .zip(&rows.plastic[range])
            .enumerate()
        {
            if n_static + n_plastic > 0 {
                let p = plastic_words(n_plastic as usize) as u32;
                put_words(region, row_start(m, pre), &[p, n_static, n_plastic]);
            }
        }
    }
    let mut filled = vec![0u32; rows.counts.len() * 2];
    for s in block.synapses {
        let Some(split) = layout.split_delay(s.delay) else {
            continue;
        };
        let Some(m) = rows.matrix_of_stage[split.stage as usize].map(|i| &matrices[i]) else {
            continue;
        };
        let at_row = split.stage as usize * n_pre + s.pre as usize;
        let start = row_start(m, s.pre as usize) + ROW_HEADER_WORDS * 4;
        let (n_static, n_plastic) = (rows.counts[at_row] as usize, rows.plastic[at_row] as usize);
        let p = plastic_words(n_plastic);
        let word = layout.encode(s.post, s.synapse_type, split.residual, s.weight);
        if s.plastic {
            let j = &mut filled[2 * at_row + 1];
            let weights = start + PRE_HEADER_WORDS * 4;
            let controls = start + (p + n_static) * 4;
            put_half(region, weights + 2 * *j as usize, s.weight);
            put_half(region, controls + 2 * *j as usize, word as u16);
            *j += 1;
        } else {
            let j = &mut filled[2 * at_row];
            put_words(region, start + (p + *j as usize) * 4, &[word]);
            *j += 1;
        }
    }
}

/// Writes a little-endian half-word at a byte offset: half-word `j` of a
/// run starting at a word boundary is the low half of word `j / 2` when
/// `j` is even.
fn put_half(blob: &mut [u8], at: usize, v: u16) {
    blob[at..at + 2].copy_from_slice(&v.to_le_bytes());
}

/// Writes little-endian words at a byte offset.
fn put_words(blob: &mut [u8], at: usize, words: &[u32]) {
    for (i, w) in words.iter().enumerate() {
        blob[at + 4 * i..at + 4 * i + 4].copy_from_slice(&w.to_le_bytes());
    }
}
