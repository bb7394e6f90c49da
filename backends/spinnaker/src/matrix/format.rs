//! The binary format of one core's synaptic data: the header, the master
//! population table and address list words (bit-compatible with
//! sPyNNaker's `master_pop_table.py` structs), and region sizes.
//!
//! All words are little-endian `u32`. The blob is four regions, each
//! starting on a 16-byte boundary:
//!
//! | region | content |
//! |---|---|
//! | header (48 bytes) | magic `"SSYN"`, version, layout word, number of table entries, number of address-list entries, byte offsets of the three regions, bytes of the matrix region, total bytes, two zero words |
//! | master population table | per entry: key, mask, `start` (bits 0..=14) \| extra-info flag (bit 15, always 0) \| `count` (bits 16..=31) |
//! | address list | per entry: row length − 1 (bits 0..=7) \| matrix address in 16-byte units from the matrix region (bits 8..=30) \| "single" flag (bit 31, always 0) |
//! | synaptic matrices | per matrix, 16-byte aligned, one row per presynaptic neuron, each `3 + row length` words: the counts `P` (plastic words), `S` (static synapses) and `F` (plastic synapses); `P` words of plastic region; `S` static words; `⌈F/2⌉` words of 16-bit control half-words; zeros up to the row length |
//!
//! A row with plastic synapses lays them out as sPyNNaker's STDP "mad"
//! rows do: the plastic region is the presynaptic header (the stamp of
//! the neuron's last spike, step + 1 or 0 for never, and its trace in
//! 11-bit fixed point; see [`spikec_ir::stdp`]) followed by one 16-bit
//! weight per synapse, `P = 2 + ⌈F/2⌉`; the control half-words after the
//! static words hold delay, synapse type and neuron index exactly as a
//! static word's low half does, synapse `j`'s in half-word `j` (low half
//! first). A static row is `P = F = 0`, the layout of version 1. The
//! core writes weights and header back into the row as it processes it.
//!
//! The row length of an address-list entry counts the words of its rows
//! after the three counts, as sPyNNaker's does; for a static matrix that
//! is its synapses.
//!
//! sPyNNaker puts the two table counts at the start of its table region;
//! we keep them in the header with the region offsets, so a reader can
//! check every region's bounds before touching it.

use super::BlobError;
use crate::geometry::KeyMask;

/// Every region, and every matrix in the matrix region, starts on a
/// multiple of this many bytes: the unit of an address-list address.
pub const ALIGNMENT: usize = 16;

/// Bytes of the header.
pub const HEADER_BYTES: usize = 48;

/// The most colour bits a key may carry above the neuron index (the
/// sender's step modulo `2^colour_bits`, so that a late packet still lands
/// in the ring-buffer slot of the step it was sent in).
pub const MAX_COLOUR_BITS: u8 = 8;

/// Bytes of a master population table entry.
pub const POP_TABLE_ENTRY_BYTES: usize = 12;

/// Bytes of an address list entry.
pub const ADDRESS_ENTRY_BYTES: usize = 4;

/// Header words of a row: plastic words, fixed words, fixed-plastic words.
pub const ROW_HEADER_WORDS: usize = 3;

/// The longest row the address list can describe (8 bits of length − 1):
/// sPyNNaker's `POP_TABLE_MAX_ROW_LENGTH`.
pub const MAX_ROW_LENGTH: u32 = 256;

/// Words of a plastic row's presynaptic header: last spike, trace.
pub const PRE_HEADER_WORDS: usize = 2;

/// Words of the plastic region of a row with `n_plastic` plastic synapses.
pub fn plastic_words(n_plastic: usize) -> usize {
    if n_plastic == 0 {
        0
    } else {
        PRE_HEADER_WORDS + n_plastic.div_ceil(2)
    }
}

/// Words of a row after its three counts.
pub fn row_words(n_static: usize, n_plastic: usize) -> usize {
    n_static + plastic_words(n_plastic) + n_plastic.div_ceil(2)
}

/// The largest address-list index a table entry can start at (15 bits).
pub const MAX_ADDRESS_START: usize = (1 << 15) - 1;

/// The most address-list entries one table entry can have (16 bits).
pub const MAX_ADDRESS_COUNT: usize = (1 << 16) - 1;

/// The largest matrix address, in 16-byte units (23 bits; all ones means
/// "invalid" to sPyNNaker).
pub const MAX_MATRIX_ADDRESS: u32 = (1 << 23) - 2;

/// The most bytes the matrix region may hold: what 23-bit addresses in
/// 16-byte units span (128 MiB, a SpiNNaker1 chip's whole SDRAM).
pub const MAX_MATRIX_BYTES: usize = (MAX_MATRIX_ADDRESS as usize + 1) * ALIGNMENT;

/// `"SSYN"`: spikec synaptic data.
pub(crate) const MAGIC: u32 = u32::from_le_bytes(*b"SSYN");

/// The format version this code writes and reads.
pub(crate) const VERSION: u32 = 1;

/// `n` rounded up to the alignment.
pub(crate) fn align(n: usize) -> usize {
    n.div_ceil(ALIGNMENT) * ALIGNMENT
}

/// One master population table entry: packets whose key matches
/// `key_mask` use address-list entries `start..start + count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PopTableEntry {
    /// The keys this entry matches; the free (low) bits are the
    /// presynaptic neuron's index.
    pub key_mask: KeyMask,
    /// First address-list entry.
    pub start: u16,
    /// Number of address-list entries (matrices) for these keys.
    pub count: u16,
}

impl PopTableEntry {
    /// The presynaptic neuron a matching key stands for.
    pub fn pre_index(self, key: u32) -> u32 {
        key & !self.key_mask.mask
    }

    /// The highest key the entry matches.
    pub(crate) fn last_key(self) -> u32 {
        self.key_mask.key | !self.key_mask.mask
    }

    pub(crate) fn words(self) -> [u32; 3] {
        [
            self.key_mask.key,
            self.key_mask.mask,
            self.start as u32 | (self.count as u32) << 16,
        ]
    }

    pub(crate) fn from_words(
        key: u32,
        mask: u32,
        packed: u32,
    ) -> Result<PopTableEntry, &'static str> {
        if packed & 1 << 15 != 0 {
            return Err("uses extra info, which this format does not");
        }
        Ok(PopTableEntry {
            key_mask: KeyMask { key, mask },
            start: (packed & 0x7FFF) as u16,
            count: (packed >> 16) as u16,
        })
    }
}

/// Whether a key range's free bits are the low bits and its key has no
/// bits outside its mask: the invariant that makes `key & !mask` the
/// presynaptic neuron's index.
pub(crate) fn is_index_range(km: KeyMask) -> bool {
    let free = !km.mask;
    free & free.wrapping_add(1) == 0 && km.key & free == 0
}

/// One address-list entry: where a matrix starts and how long its rows are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AddressEntry {
    /// Start of the matrix in 16-byte units from the matrix region.
    pub address: u32,
    /// Words each row has after its counts, `1..=MAX_ROW_LENGTH` (one
    /// per static synapse; see [`row_words`]).
    pub row_length: u16,
}

impl AddressEntry {
    /// Words of one row, header included: the stride between rows.
    pub fn row_words(self) -> usize {
        ROW_HEADER_WORDS + self.row_length as usize
    }

    /// Byte offset of the matrix in the matrix region.
    pub fn offset(self) -> usize {
        self.address as usize * ALIGNMENT
    }

    pub(crate) fn word(self) -> u32 {
        (self.row_length as u32 - 1) & 0xFF | self.address << 8
    }

    pub(crate) fn from_word(word: u32) -> Result<AddressEntry, &'static str> {
        if word >> 31 != 0 {
            return Err("points at a single-row matrix, which this format does not use");
        }
        let address = (word >> 8) & 0x7F_FFFF;
        if address > MAX_MATRIX_ADDRESS {
            return Err("holds the invalid address");
        }
        Ok(AddressEntry {
            address,
            row_length: (word & 0xFF) as u16 + 1,
        })
    }
}

/// The shape of one matrix: rows and the (padded) length of each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MatrixShape {
    /// Rows: the presynaptic neurons of the block.
    pub n_rows: u32,
    /// Words each row has after its counts: the longest row's.
    pub row_length: u16,
}

impl MatrixShape {
    /// Bytes the matrix takes, padded to the alignment.
    pub fn bytes(self) -> usize {
        align(self.n_rows as usize * (ROW_HEADER_WORDS + self.row_length as usize) * 4)
    }
}

/// Bytes of each region of one core's synaptic data, for SDRAM accounting.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct RegionSizes {
    /// The header.
    pub header: usize,
    /// The master population table, padded.
    pub master_pop_table: usize,
    /// The address list, padded.
    pub address_list: usize,
    /// The synaptic matrices, each padded.
    pub synaptic_matrix: usize,
}

impl RegionSizes {
    /// The sizes of data with `n_entries` table entries, `n_addresses`
    /// address-list entries and these matrices: what a partitioner can
    /// estimate before building (one entry and one address per incoming
    /// block and delay stage, unless blocks share keys).
    pub fn of(
        n_entries: usize,
        n_addresses: usize,
        matrices: impl IntoIterator<Item = MatrixShape>,
    ) -> RegionSizes {
        RegionSizes {
            header: HEADER_BYTES,
            master_pop_table: align(n_entries * POP_TABLE_ENTRY_BYTES),
            address_list: align(n_addresses * ADDRESS_ENTRY_BYTES),
            synaptic_matrix: matrices.into_iter().map(MatrixShape::bytes).sum(),
        }
    }

    /// Bytes of the whole blob.
    pub fn total(&self) -> usize {
        self.header + self.master_pop_table + self.address_list + self.synaptic_matrix
    }

    /// Byte offsets of the table, address list and matrix regions.
    pub(crate) fn offsets(&self) -> [usize; 3] {
        let table = self.header;
        let addresses = table + self.master_pop_table;
        [table, addresses, addresses + self.address_list]
    }
}

/// The header's words, in order.
pub(crate) fn header_words(
    layout_word: u32,
    colour_bits: u8,
    n_entries: usize,
    n_addresses: usize,
    sizes: &RegionSizes,
) -> [u32; 12] {
    let [table, addresses, matrix] = sizes.offsets();
    [
        MAGIC,
        VERSION,
        layout_word,
        n_entries as u32,
        n_addresses as u32,
        table as u32,
        addresses as u32,
        matrix as u32,
        sizes.synaptic_matrix as u32,
        sizes.total() as u32,
        colour_bits as u32,
        0,
    ]
}

/// The header of a blob, checked against itself and the blob's length.
pub(crate) struct Header {
    pub layout_word: u32,
    pub colour_bits: u8,
    pub n_entries: usize,
    pub n_addresses: usize,
    pub sizes: RegionSizes,
}

/// Reads the `i`th little-endian word; the caller has checked the length.
pub(crate) fn word_at(blob: &[u8], i: usize) -> u32 {
    let b = &blob[4 * i..4 * i + 4];
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

impl Header {
    pub(crate) fn read(blob: &[u8]) -> Result<Header, BlobError> {
        if blob.len() < HEADER_BYTES {
            return Err(BlobError::TooShort {
                len: blob.len(),
                need: HEADER_BYTES,
            });
        }
        let w = |i| word_at(blob, i);
        if w(0) != MAGIC {
            return Err(BlobError::BadMagic { found: w(0) });
        }
        if w(1) != VERSION {
            return Err(BlobError::UnknownVersion {
                found: w(1),
                known: VERSION,
            });
        }
        // Sizes in u64, from 32-bit counts: no overflow, whatever the blob says.
        let align64 = |n: u64| n.div_ceil(ALIGNMENT as u64) * ALIGNMENT as u64;
        let n_entries = w(3) as u64;
        let n_addresses = w(4) as u64;
        let matrix_bytes = w(8) as u64;
        let table = HEADER_BYTES as u64;
        let addresses = table + align64(n_entries * POP_TABLE_ENTRY_BYTES as u64);
        let matrix = addresses + align64(n_addresses * ADDRESS_ENTRY_BYTES as u64);
        let total = matrix + matrix_bytes;
        let checks = [
            (
                "the matrix region's bytes",
                matrix_bytes,
                align64(matrix_bytes),
            ),
            ("the table offset", w(5) as u64, table),
            ("the address list offset", w(6) as u64, addresses),
            ("the matrix offset", w(7) as u64, matrix),
            ("the total bytes", w(9) as u64, total),
            ("the blob's length", blob.len() as u64, total),
            ("reserved word 11", w(11) as u64, 0),
        ];
        if w(10) > MAX_COLOUR_BITS as u32 {
            return Err(BlobError::Inconsistent {
                field: "the colour bits",
                found: w(10) as u64,
                expected: MAX_COLOUR_BITS as u64,
            });
        }
        for (field, found, expected) in checks {
            if found != expected {
                return Err(BlobError::Inconsistent {
                    field,
                    found,
                    expected,
                });
            }
        }
        // The blob holds them all, so they fit a usize.
        let n_entries = n_entries as usize;
        let n_addresses = n_addresses as usize;
        let sizes = RegionSizes::of(n_entries, n_addresses, []);
        let sizes = RegionSizes {
            synaptic_matrix: matrix_bytes as usize,
            ..sizes
        };
        Ok(Header {
            layout_word: w(2),
            colour_bits: w(10) as u8,
            n_entries,
            n_addresses,
            sizes,
        })
    }
}
