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
use super::format::{word_at, AddressEntry, Header, PopTableEntry, RegionSizes, ROW_HEADER_WORDS};
use super::layout::{DecodedSynapse, RingBufferLayout};
use super::BlobError;

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
    words: &'a [u32],
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

    /// The row of presynaptic neuron `pre` in the matrix `address` points to.
    pub fn row(&self, address: AddressEntry, pre: u32) -> Result<SynapticRow<'_>, BlobError> {
        let stride = address.row_words();
        let start = address.offset() / 4 + pre as usize * stride;
        let bad = |reason| BlobError::BadRow {
            offset: address.offset(),
            pre,
            reason,
        };
        let words = self
            .matrix
            .get(start..start + stride)
            .ok_or_else(|| bad("lies beyond the synaptic matrix region"))?;
        if words[0] != 0 {
            return Err(bad("has plastic words, which static rows do not"));
        }
        if words[2] != 0 {
            return Err(bad("has fixed-plastic words, which static rows do not"));
        }
        let n = words[1] as usize;
        if n > address.row_length as usize {
            return Err(bad("counts more synapses than its matrix's row length"));
        }
        Ok(SynapticRow {
            layout: self.layout,
            words: &words[ROW_HEADER_WORDS..ROW_HEADER_WORDS + n],
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
    /// Synapses in the row.
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// Whether the row has no synapses.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// The synapses, in row order.
    pub fn synapses(&self) -> impl Iterator<Item = DecodedSynapse> + 'a {
        let layout = self.layout;
        self.words.iter().map(move |&w| layout.decode(w))
    }
}
