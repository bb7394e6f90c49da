//! Routing tables: generation, compression, verification and writing.
//!
//! Takes one key range and one [`MulticastTree`](crate::geometry::MulticastTree)
//! per source (from routing and key allocation) and gives every chip's
//! multicast routing table, small enough for its router.
//!
//! - [`generate`] writes one entry per (chip, source) the tree visits, except
//!   where SpiNNaker's *default routing* already does the right thing: a
//!   packet that matches no entry leaves by the link opposite the one it
//!   came in on, so a tree that goes straight through a chip needs no entry
//!   there. Those key ranges are kept as [`DefaultRouted`]: compression must
//!   not capture them.
//! - [`compress`] shrinks a table with three order-exploiting algorithms —
//!   ordered covering ([`ordered_covering`], Mundy, Heathcote & Garside
//!   2016), PACMAN's pair compressor ([`pair`]) and our ordered prime cover
//!   ([`prime_cover`]) — and keeps the smallest result that
//!   [`check_equivalent`] proves right. No greedy minimiser wins on every
//!   table, and each takes milliseconds, so running all is cheaper than
//!   guessing. A table that cannot fit is an error naming the chip and the
//!   key ranges that crowd it.
//! - [`write`] renders tables as diff-friendly text and as SpiNNaker1's
//!   binary router format.
//!
//! Invariants relied on: key ranges of different sources are disjoint (and
//! generation checks it), so a generated table is *orthogonal* — no key
//! matches two entries — and may be reordered freely; this is what lets
//! the compressors choose an order. Established: a compressed table routes
//! every key of every original entry exactly as before and leaves every
//! default-routed key to default routing (or to an entry with the same
//! route), as proved by the checker on every compressed table.

mod check;
mod cube;
mod generate;
mod index;
pub mod ordered_covering;
pub mod pair;
pub mod prime_cover;
mod write;

#[cfg(test)]
mod stress_tests;

pub use check::{check_equivalent, Mismatch};
pub use generate::generate;
pub use write::{parse_binary, parse_binary_wide, write_binary, write_binary_wide, write_text};

use crate::geometry::{ChipCoord, Direction, KeyMask, Route, RoutingEntry};

/// Entries a SpiNNaker1 router offers to applications: 1024, less the one
/// the system software keeps for itself.
pub const SPINNAKER1_TABLE_CAPACITY: usize = 1023;

/// One chip's multicast routing table. Order matters: a packet takes the
/// route of the first entry its key matches, and follows default routing
/// if it matches none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoutingTable {
    pub chip: ChipCoord,
    pub entries: Vec<RoutingEntry>,
}

/// A key range that crosses a chip by default routing, with no entry: its
/// packets arrive on `arrives_on` and leave by the opposite link.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DefaultRouted {
    pub key_mask: KeyMask,
    pub arrives_on: Direction,
}

impl DefaultRouted {
    /// Where default routing sends these packets: straight on.
    pub fn route(self) -> Route {
        Route::link(self.arrives_on.opposite())
    }
}

/// What generation gives for one chip: its table (sorted by key, then mask)
/// and the key ranges that pass it by default routing (sorted the same way).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChipRouting {
    pub table: RoutingTable,
    pub default_routed: Vec<DefaultRouted>,
}

/// Which algorithm produced a compressed table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Algorithm {
    /// Ordered prime cover ([`prime_cover`]): ours.
    PrimeCover,
    /// Ordered covering (Mundy et al. 2016), as in rig and PACMAN.
    OrderedCovering,
    /// PACMAN's pair compressor.
    PairCompressor,
    /// No compressor gave a table the checker accepted (only possible for
    /// a table whose entries overlap); the input is kept as it is.
    Uncompressed,
}

impl std::fmt::Display for Algorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Algorithm::PrimeCover => "ordered prime cover",
            Algorithm::OrderedCovering => "ordered covering",
            Algorithm::PairCompressor => "pair compressor",
            Algorithm::Uncompressed => "uncompressed",
        })
    }
}

/// A compressed table and how it was made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Compressed {
    /// The table to load: proved equivalent to the input by
    /// [`check_equivalent`].
    pub table: RoutingTable,
    /// The algorithm whose result this is: the smallest; on a tie, the
    /// first of prime cover, ordered covering, pair compressor.
    pub algorithm: Algorithm,
    /// Entries before compression.
    pub uncompressed_len: usize,
    /// Entries after the ordered prime cover.
    pub prime_cover_len: usize,
    /// Entries after ordered covering.
    pub ordered_covering_len: usize,
    /// Entries after the pair compressor.
    pub pair_len: usize,
    /// Compressor results the checker refused, with the key that proves it.
    /// Always empty unless a compressor has a bug: the driver may report it
    /// as an internal error, but the table above is right regardless.
    pub rejected: Vec<(Algorithm, Mismatch)>,
}

/// Errors of table generation, compression and writing.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    /// A key range has a key bit set outside its mask, so it matches no key.
    #[error(
        "key range 0x{:08x}/0x{:08x} of source #{source_index} has key bits outside its mask",
        .key_mask.key, .key_mask.mask
    )]
    MalformedKeyMask {
        /// Index of the source in the generation input (`source` is taken
        /// by the error-chaining convention).
        source_index: usize,
        key_mask: KeyMask,
    },
    /// Two sources were given overlapping key ranges, so a router could not
    /// tell their packets apart.
    #[error("sources #{first} and #{second} have overlapping key ranges")]
    OverlappingKeys {
        /// Index of one source in the generation input.
        first: usize,
        /// Index of the other (greater than `first`).
        second: usize,
    },
    /// Even fully compressed, a chip's table exceeds its router.
    #[error(
        "the routing table of chip {chip} needs {entries} entries after compression, \
         but its router holds {capacity}; {} key ranges could not be merged",
        unmerged.len()
    )]
    TableTooBig {
        chip: ChipCoord,
        /// Entries of the smallest table found.
        entries: usize,
        /// What the router holds.
        capacity: usize,
        /// The original key ranges left in entries of their own, sorted:
        /// the caller maps them back to the populations that crowd the chip.
        unmerged: Vec<KeyMask>,
    },
    /// A route sends packets to a processor the binary format cannot name
    /// (SpiNNaker1 has processors 0 to 17).
    #[error(
        "chip {chip}: the entry for 0x{:08x}/0x{:08x} routes to processor {processor}, above 17",
        .key_mask.key, .key_mask.mask
    )]
    ProcessorOutOfRange {
        chip: ChipCoord,
        key_mask: KeyMask,
        processor: u8,
    },
    /// A binary table whose length is not a whole number of entries.
    #[error("a binary routing table has {len} bytes, not a multiple of 12")]
    TruncatedBinary { len: usize },
}

/// Compresses one chip's table as far as the compressors go, and fails if
/// the result still exceeds `capacity` entries.
///
/// All three compressors run to completion (not just until the table
/// fits), so tables are as small as we can make them, and the smallest
/// result the checker accepts is kept. `table` must come from [`generate`]
/// or at least be orthogonal; a table whose entries overlap is kept
/// uncompressed. Cost: each compressor documents its own; together with
/// the check, a few milliseconds for hundreds of entries and well under a
/// second for 5,000.
pub fn compress(
    table: &RoutingTable,
    defaults: &[DefaultRouted],
    capacity: usize,
) -> Result<Compressed, TableError> {
    let original = &table.entries;
    let by_primes = prime_cover::minimise(original, defaults);
    let by_covering = ordered_covering::minimise(original, defaults);
    let by_pairs = pair::minimise(original, defaults);
    let mut compressed = Compressed {
        table: RoutingTable {
            chip: table.chip,
            entries: original.clone(),
        },
        algorithm: Algorithm::Uncompressed,
        uncompressed_len: original.len(),
        prime_cover_len: by_primes.len(),
        ordered_covering_len: by_covering.len(),
        pair_len: by_pairs.len(),
        rejected: Vec::new(),
    };
    let mut candidates = [
        (Algorithm::PrimeCover, by_primes),
        (Algorithm::OrderedCovering, by_covering),
        (Algorithm::PairCompressor, by_pairs),
    ];
    // Stable, so ties go to the earlier.
    candidates.sort_by_key(|(_, entries)| entries.len());
    for (algorithm, entries) in candidates {
        if entries.len() > original.len() {
            break;
        }
        match check_equivalent(original, defaults, &entries) {
            Ok(()) => {
                compressed.table.entries = entries;
                compressed.algorithm = algorithm;
                break;
            }
            Err(mismatch) => compressed.rejected.push((algorithm, mismatch)),
        }
    }
    if compressed.table.entries.len() > capacity {
        let mut originals: Vec<KeyMask> = original.iter().map(|e| e.key_mask).collect();
        originals.sort_unstable();
        let mut unmerged: Vec<KeyMask> = compressed
            .table
            .entries
            .iter()
            .map(|e| e.key_mask)
            .filter(|km| originals.binary_search(km).is_ok())
            .collect();
        unmerged.sort_unstable();
        return Err(TableError::TableTooBig {
            chip: table.chip,
            entries: compressed.table.entries.len(),
            capacity,
            unmerged,
        });
    }
    Ok(compressed)
}

/// [`compress`] on every chip, reporting every chip that does not fit.
pub fn compress_all(
    chips: &[ChipRouting],
    capacity: usize,
) -> Result<Vec<Compressed>, Vec<TableError>> {
    let mut done = Vec::with_capacity(chips.len());
    let mut failed = Vec::new();
    for chip in chips {
        match compress(&chip.table, &chip.default_routed, capacity) {
            Ok(c) => done.push(c),
            Err(e) => failed.push(e),
        }
    }
    if failed.is_empty() {
        Ok(done)
    } else {
        Err(failed)
    }
}
