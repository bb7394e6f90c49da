//! Writers: tables as text for people and golden files, and as the binary
//! entries SpiNNaker1's router is loaded with.
//!
//! The text is one line per entry, in table order, under one header per
//! chip, so a change to one route is a one-line diff:
//!
//! ```text
//! chip (1, 0): 2 entries
//! 0x00010000 0xffff0000 -> E N p3 p4
//! 0x00020000 0xfffe0000 -> drop
//! ```
//!
//! Links use SpiNNaker's names in link order (E NE N W SW S), then
//! processors as `p<n>` ascending; an empty route drops the packet.
//!
//! The binary form is 12 bytes an entry, little-endian: key, mask, and the
//! route word of [`Route::word`] (links in bits 0..=5, processors 0..=17 in
//! bits 6..=23).

use std::fmt::Write as _;

use super::{RoutingTable, TableError};
use crate::geometry::{KeyMask, Route, RoutingEntry};

/// All tables as text, in the order given.
pub fn write_text(tables: &[RoutingTable]) -> String {
    let mut out = String::new();
    for (i, table) in tables.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let plural = if table.entries.len() == 1 { "y" } else { "ies" };
        let _ = writeln!(
            out,
            "chip {}: {} entr{plural}",
            table.chip,
            table.entries.len()
        );
        for e in &table.entries {
            let _ = writeln!(
                out,
                "0x{:08x} 0x{:08x} -> {}",
                e.key_mask.key, e.key_mask.mask, e.route
            );
        }
    }
    out
}

/// One table as SpiNNaker1 router entries. Fails on a route to a processor
/// above 17, which the route word cannot hold.
pub fn write_binary(table: &RoutingTable) -> Result<Vec<u8>, TableError> {
    let mut out = Vec::with_capacity(table.entries.len() * 12);
    for e in &table.entries {
        let Some(word) = e.route.word() else {
            return Err(TableError::ProcessorOutOfRange {
                chip: table.chip,
                key_mask: e.key_mask,
                processor: e.route.cores().find(|&p| p > 17).unwrap_or(18),
            });
        };
        for field in [e.key_mask.key, e.key_mask.mask, word] {
            out.extend_from_slice(&field.to_le_bytes());
        }
    }
    Ok(out)
}

/// Bytes of one entry in the wide format: key, mask, links, and the
/// 192-bit processor set.
const WIDE_ENTRY: usize = 36;

/// One table in a wide format for chips with more processors than a
/// SpiNNaker1 route word holds (SpiNNaker2's 152): per entry, little-endian
/// key, mask, the six link bits as a word, then the processor set as three
/// 64-bit words.
pub fn write_binary_wide(table: &RoutingTable) -> Vec<u8> {
    let mut out = Vec::with_capacity(table.entries.len() * WIDE_ENTRY);
    for e in &table.entries {
        for field in [e.key_mask.key, e.key_mask.mask, e.route.links as u32] {
            out.extend_from_slice(&field.to_le_bytes());
        }
        for c in e.route.cores {
            out.extend_from_slice(&c.to_le_bytes());
        }
    }
    out
}

/// Reads back what [`write_binary_wide`] wrote.
pub fn parse_binary_wide(bytes: &[u8]) -> Result<Vec<RoutingEntry>, TableError> {
    if bytes.len() % WIDE_ENTRY != 0 {
        return Err(TableError::TruncatedBinary { len: bytes.len() });
    }
    let word = |b: &[u8]| u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    let long = |b: &[u8]| u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]);
    Ok(bytes
        .chunks_exact(WIDE_ENTRY)
        .map(|c| RoutingEntry {
            key_mask: KeyMask {
                key: word(&c[0..4]),
                mask: word(&c[4..8]),
            },
            route: Route {
                links: (word(&c[8..12]) & 0x3f) as u8,
                cores: [long(&c[12..20]), long(&c[20..28]), long(&c[28..36])],
            },
        })
        .collect())
}

/// Reads back what [`write_binary`] wrote. Bits 24..=31 of a route word
/// mean nothing to the router and are ignored.
pub fn parse_binary(bytes: &[u8]) -> Result<Vec<RoutingEntry>, TableError> {
    if bytes.len() % 12 != 0 {
        return Err(TableError::TruncatedBinary { len: bytes.len() });
    }
    let word = |b: &[u8]| u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    Ok(bytes
        .chunks_exact(12)
        .map(|chunk| {
            let route = word(&chunk[8..12]);
            RoutingEntry {
                key_mask: KeyMask {
                    key: word(&chunk[0..4]),
                    mask: word(&chunk[4..8]),
                },
                route: Route {
                    links: (route & 0x3f) as u8,
                    cores: [u64::from(route >> 6 & 0x3_ffff), 0, 0],
                },
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::ChipCoord;
    use crate::geometry::Direction::*;

    fn e(key: u32, mask: u32, route: Route) -> RoutingEntry {
        RoutingEntry::new(key, mask, route)
    }

    fn sample() -> Vec<RoutingTable> {
        let en = Route::link(North)
            .union(Route::link(East))
            .union(Route::core(4))
            .union(Route::core(3));
        vec![
            RoutingTable {
                chip: ChipCoord::new(0, 0),
                entries: vec![
                    e(0x0001_0000, 0xffff_0000, en),
                    e(0x0002_0000, 0xfffe_0000, Route::EMPTY),
                ],
            },
            RoutingTable {
                chip: ChipCoord::new(1, 2),
                entries: vec![e(0, 0, Route::link(SouthWest).union(Route::core(17)))],
            },
        ]
    }

    #[test]
    fn text_is_one_line_per_entry_under_chip_headers() {
        assert_eq!(
            write_text(&sample()),
            "chip (0, 0): 2 entries\n\
             0x00010000 0xffff0000 -> E N p3 p4\n\
             0x00020000 0xfffe0000 -> drop\n\
             \n\
             chip (1, 2): 1 entry\n\
             0x00000000 0x00000000 -> SW p17\n"
        );
    }

    #[test]
    fn binary_round_trips_and_has_the_documented_layout() {
        for table in sample() {
            let bytes = write_binary(&table).unwrap();
            assert_eq!(bytes.len(), 12 * table.entries.len());
            assert_eq!(parse_binary(&bytes).unwrap(), table.entries);
        }
        let bytes = write_binary(&sample()[0]).unwrap();
        // E (bit 0), N (bit 2), p3 and p4 (bits 9 and 10).
        assert_eq!(
            bytes[..12],
            [0, 0, 1, 0, 0, 0, 0xff, 0xff, 0b101, 0b110, 0, 0]
        );
        assert_eq!(
            parse_binary(&bytes[..11]),
            Err(TableError::TruncatedBinary { len: 11 })
        );
    }

    #[test]
    fn processors_beyond_seventeen_are_refused() {
        let table = RoutingTable {
            chip: ChipCoord::new(3, 4),
            entries: vec![e(0x100, 0xff00, Route::core(5).union(Route::core(40)))],
        };
        assert_eq!(
            write_binary(&table),
            Err(TableError::ProcessorOutOfRange {
                chip: ChipCoord::new(3, 4),
                key_mask: KeyMask {
                    key: 0x100,
                    mask: 0xff00
                },
                processor: 40
            })
        );
    }

    #[test]
    fn wide_binary_round_trips_processors_above_17() {
        let table = RoutingTable {
            chip: ChipCoord::new(1, 2),
            entries: vec![
                e(
                    0x100,
                    0xffff_ff00,
                    Route::core(151).union(Route::link(NorthEast)),
                ),
                e(0x200, 0xffff_fe00, Route::core(3).union(Route::core(64))),
            ],
        };
        assert!(write_binary(&table).is_err());
        let bytes = write_binary_wide(&table);
        assert_eq!(bytes.len(), 2 * 36);
        assert_eq!(parse_binary_wide(&bytes).unwrap(), table.entries);
        assert!(parse_binary_wide(&bytes[..35]).is_err());
    }
}
