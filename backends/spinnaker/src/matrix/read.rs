//! Reading a core's synaptic data back, as the core does: what the
//! packet-level emulator runs on.
//!
//! [`SynapticMatrices::parse`] checks everything that does not depend on
//! the key of a packet — header, region bounds, every table and address
//! entry, and that the table is sorted with disjoint ranges, which its
//! binary search needs — so a lookup cannot misbehave on a damaged blob.
//! What depends on the key (the row it selects) is checked when the row is
//! read. Like the core, a lookup trusts that a key's neuron index is below
//! the block's neuron count: the table does not record it, and routing
//! only delivers keys that were allocated.

use super::format::{is_index_range, ADDRESS_ENTRY_BYTES, POP_TABLE_ENTRY_BYTES};
use super::format::{plastic_words, PRE_HEADER_WORDS};
use super::format::{word_at, AddressEntry, Header, PopTableEntry, RegionSizes, ROW_HEADER_WORDS};
use super::layout::{DecodedSynapse, RingBufferLayout};
use super::BlobError;
use spikec_ir::stdp::PreState;

/// A core's synaptic data, parsed and checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SynapticMatrices {
    layout: RingBufferLayout,
    colour_bits: u8,
    entries: Vec<PopTableEntry>,
    addresses: Vec<AddressEntry>,
    /// The matrix region as words.
    matrix: Vec<u32>,
    sizes: RegionSizes,
}

/// A key found in the master population table.
#[derive(Clone, Copy, Debug)]
pub struct Lookup<'a> {
    matrices: &'a SynapticMatrices,
    entry: PopTableEntry,
    pre: u32,
    colour: u32,
}

/// One synaptic row: the synapses of one presynaptic neuron in one matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SynapticRow<'a> {
    layout: RingBufferLayout,
    /// The static words.
    words: &'a [u32],
    /// The plastic region (header and weights), empty for a static row.
    plastic: &'a [u32],
    /// The control half-words' words.
    controls: &'a [u32],
    n_plastic: usize,
}

/// A row's plastic synapses, writable: what the core updates as it
/// processes the row.
#[derive(Debug, PartialEq, Eq)]
pub struct PlasticRow<'a> {
    layout: RingBufferLayout,
    /// The plastic region: header, then weights.
    plastic: &'a mut [u32],
    controls: &'a [u32],
    n_plastic: usize,
}

/// Where a checked row's parts are, in words of the matrix region.
struct RowParts {
    start: usize,
    n_static: usize,
    n_plastic: usize,
}

/// Half-word `j` of a run of words (low half first).
fn half(words: &[u32], j: usize) -> u16 {
    (words[j / 2] >> (16 * (j % 2))) as u16
}

impl SynapticMatrices {
    /// Parses and checks a blob written by [`build`](super::build()).
    pub fn parse(blob: &[u8]) -> Result<SynapticMatrices, BlobError> {
        let header = Header::read(blob)?;
        let layout =
            RingBufferLayout::from_word(header.layout_word).ok_or(BlobError::BadLayout {
                word: header.layout_word,
            })?;
        let [table_at, addresses_at, matrix_at] = header.sizes.offsets();
        let matrix_bytes = header.sizes.synaptic_matrix;

        let mut addresses = Vec::with_capacity(header.n_addresses);
        for index in 0..header.n_addresses {
            let word = word_at(blob, addresses_at / ADDRESS_ENTRY_BYTES + index);
            let a = AddressEntry::from_word(word)
                .map_err(|reason| BlobError::BadAddress { index, reason })?;
            // A matrix holds at least one row, so it must start inside.
            if a.offset() + a.row_words() * 4 > matrix_bytes {
                return Err(BlobError::BadAddress {
                    index,
                    reason: "points beyond the synaptic matrix region",
                });
            }
            addresses.push(a);
        }

        let mut entries: Vec<PopTableEntry> = Vec::with_capacity(header.n_entries);
        for index in 0..header.n_entries {
            let w = |k| word_at(blob, (table_at + index * POP_TABLE_ENTRY_BYTES) / 4 + k);
            let bad = |reason| BlobError::BadEntry { index, reason };
            let e = PopTableEntry::from_words(w(0), w(1), w(2)).map_err(bad)?;
            if !is_index_range(e.key_mask) {
                return Err(bad("its key range does not end in a neuron-index field"));
            }
            if e.count == 0 {
                return Err(bad("has no address list entries"));
            }
            if e.start as usize + e.count as usize > addresses.len() {
                return Err(bad("runs past the end of the address list"));
            }
            if let Some(prev) = entries.last() {
                if e.key_mask.key <= prev.last_key() {
                    return Err(bad("is out of key order or overlaps the entry before it"));
                }
            }
            entries.push(e);
        }

        let matrix = blob[matrix_at..]
            .chunks_exact(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        Ok(SynapticMatrices {
            layout,
            colour_bits: header.colour_bits,
            entries,
            addresses,
            matrix,
            sizes: header.sizes,
        })
    }

    /// Bits of the sender's step in every key, above the index.
    pub fn colour_bits(&self) -> u8 {
        self.colour_bits
    }

    /// The ring-buffer layout the words are packed with.
    pub fn layout(&self) -> RingBufferLayout {
        self.layout
    }

    /// Bytes of each region.
    pub fn sizes(&self) -> RegionSizes {
        self.sizes
    }

    /// The master population table, sorted by key.
    pub fn entries(&self) -> &[PopTableEntry] {
        &self.entries
    }

    /// The address list.
    pub fn addresses(&self) -> &[AddressEntry] {
        &self.addresses
    }

    /// Finds the entry a packet's key matches by binary search, as
    /// sPyNNaker's `population_table_get_first_address` does; `None` if no
    /// entry matches (the core drops such packets).
    pub fn lookup(&self, key: u32) -> Option<Lookup<'_>> {
        let (mut lo, mut hi) = (0, self.entries.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            let entry = self.entries[mid];
            if key & entry.key_mask.mask == entry.key_mask.key {
                // The free bits: the sender's colour above the index.
                let free = entry.pre_index(key);
                let index_bits = (!entry.key_mask.mask)
                    .count_ones()
                    .saturating_sub(self.colour_bits as u32);
                let index_mask = ((1u64 << index_bits) - 1) as u32;
                return Some(Lookup {
                    matrices: self,
                    entry,
                    pre: free & index_mask,
                    colour: free >> index_bits.min(31),
                });
            }
            if entry.key_mask.key < key {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        None
    }

    /// Checks the counts of the row of `pre` in the matrix at `address`.
    fn parts(&self, address: AddressEntry, pre: u32) -> Result<RowParts, BlobError> {
        let stride = address.row_words();
        let start = (address.offset() / 4).saturating_add((pre as usize).saturating_mul(stride));
        let bad = |reason| BlobError::BadRow {
            offset: address.offset(),
            pre,
            reason,
        };
        let words = self
            .matrix
            .get(start..start.saturating_add(stride))
            .ok_or_else(|| bad("lies beyond the synaptic matrix region"))?;
        let (p, n_static, n_plastic) = (words[0] as u64, words[1] as u64, words[2] as u64);
        if p != plastic_words(n_plastic.min(1 << 20) as usize) as u64 || n_plastic > 1 << 20 {
            return Err(bad(
                "has a plastic region that does not fit its plastic synapses",
            ));
        }
        if p + n_static + n_plastic.div_ceil(2) > address.row_length as u64 {
            return Err(bad("counts more words than its matrix's row length"));
        }
        Ok(RowParts {
            start: start + ROW_HEADER_WORDS,
            n_static: n_static as usize,
            n_plastic: n_plastic as usize,
        })
    }

    /// The row of presynaptic neuron `pre` in the matrix `address` points to.
    pub fn row(&self, address: AddressEntry, pre: u32) -> Result<SynapticRow<'_>, BlobError> {
        let r = self.parts(address, pre)?;
        let p = plastic_words(r.n_plastic);
        let body = &self.matrix[r.start..];
        Ok(SynapticRow {
            layout: self.layout,
            plastic: &body[..p],
            words: &body[p..p + r.n_static],
            controls: &body[p + r.n_static..p + r.n_static + r.n_plastic.div_ceil(2)],
            n_plastic: r.n_plastic,
        })
    }

    /// The plastic synapses of that row, writable (an empty row if it has
    /// none).
    pub fn plastic_row(
        &mut self,
        address: AddressEntry,
        pre: u32,
    ) -> Result<PlasticRow<'_>, BlobError> {
        let r = self.parts(address, pre)?;
        let p = plastic_words(r.n_plastic);
        let body = &mut self.matrix[r.start..];
        let (plastic, rest) = body.split_at_mut(p);
        Ok(PlasticRow {
            layout: self.layout,
            plastic,
            controls: &rest[r.n_static..r.n_static + r.n_plastic.div_ceil(2)],
            n_plastic: r.n_plastic,
        })
    }
}

impl<'a> Lookup<'a> {
    /// The matching table entry.
    pub fn entry(&self) -> PopTableEntry {
        self.entry
    }

    /// The presynaptic neuron the key stands for.
    pub fn pre(&self) -> u32 {
        self.pre
    }

    /// The key's colour: the sender's step modulo `2^colour_bits`.
    pub fn colour(&self) -> u32 {
        self.colour
    }

    /// The key's row in each matrix of the entry, in address-list order.
    pub fn rows(&self) -> impl Iterator<Item = Result<SynapticRow<'a>, BlobError>> + 'a {
        let (matrices, pre) = (self.matrices, self.pre);
        let range =
            self.entry.start as usize..self.entry.start as usize + self.entry.count as usize;
        matrices.addresses[range]
            .iter()
            .map(move |&a| matrices.row(a, pre))
    }
}

impl<'a> SynapticRow<'a> {
    /// Synapses in the row, static and plastic.
    pub fn len(&self) -> usize {
        self.words.len() + self.n_plastic
    }

    /// Whether the row has no synapses.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The static synapses, in row order.
    pub fn statics(&self) -> impl Iterator<Item = DecodedSynapse> + 'a {
        let layout = self.layout;
        self.words.iter().map(move |&w| layout.decode(w))
    }

    /// Plastic synapses in the row.
    pub fn n_plastic(&self) -> usize {
        self.n_plastic
    }

    /// The plastic synapses with their current weights, in row order.
    pub fn plastic(&self) -> impl Iterator<Item = DecodedSynapse> + 'a {
        let (layout, plastic, controls) = (self.layout, self.plastic, self.controls);
        (0..self.n_plastic).map(move |j| {
            let control = half(controls, j) as u32;
            let weight = half(&plastic[PRE_HEADER_WORDS..], j) as u32;
            layout.decode(weight << 16 | control)
        })
    }

    /// Every synapse: the static ones, then the plastic ones.
    pub fn synapses(&self) -> impl Iterator<Item = DecodedSynapse> + 'a {
        self.statics().chain(self.plastic())
    }
}

impl PlasticRow<'_> {
    /// Plastic synapses in the row.
    pub fn len(&self) -> usize {
        self.n_plastic
    }

    /// Whether the row has none.
    pub fn is_empty(&self) -> bool {
        self.n_plastic == 0
    }

    /// The presynaptic header (default for a row without plastic synapses).
    pub fn pre_state(&self) -> PreState {
        match &*self.plastic {
            [time, trace, ..] => PreState {
                time: *time,
                trace: *trace,
            },
            _ => PreState::default(),
        }
    }

    /// Writes the presynaptic header (nothing for a row without plastic
    /// synapses).
    pub fn set_pre_state(&mut self, s: PreState) {
        if let [time, trace, ..] = self.plastic {
            *time = s.time;
            *trace = s.trace;
        }
    }

    /// Plastic synapse `j` (below [`Self::len`]) with its current weight.
    pub fn synapse(&self, j: usize) -> DecodedSynapse {
        let control = half(self.controls, j) as u32;
        let weight = half(&self.plastic[PRE_HEADER_WORDS..], j) as u32;
        self.layout.decode(weight << 16 | control)
    }

    /// Sets plastic synapse `j`'s weight.
    pub fn set_weight(&mut self, j: usize, w: u16) {
        let word = &mut self.plastic[PRE_HEADER_WORDS + j / 2];
        let shift = 16 * (j % 2);
        *word = *word & !(0xFFFF << shift) | (w as u32) << shift;
    }
}
