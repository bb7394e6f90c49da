//! The equivalence checker: a proof, not a test, that a compressed table
//! routes like the table it came from.
//!
//! Keys are never enumerated. Each original range is a ternary cube; it is
//! pushed down the compressed table, and at each entry the part it meets
//! must carry the expected route; what the entry does not match carries on,
//! as at most 32 disjoint cubes per split ([`subtract_into`]). Whatever is
//! left at the bottom is default-routed. The same walk, with "default
//! continuation" as the expected route and "nothing matched" as success,
//! covers the default-routed ranges. PACMAN's `routing_compression_checker`
//! splits cubes the same way.
//!
//! The original table is read as a router reads it, first match wins, so a
//! range loses the keys of the entries above it; when no original and no
//! default-routed range overlap (always, for generated tables, and tested
//! in O(n log n)), that subtraction is skipped.
//!
//! Cost: O(n · m) cube tests for n original and m compressed entries, plus
//! the pieces splits create — few, since a range meets few entries. For
//! tables of thousands of entries this is milliseconds, cheap enough to run
//! on every compressed table.

use super::cube::{intersection, intersects, subtract_into, witness};
use super::generate::find_overlap;
use super::DefaultRouted;
use crate::geometry::{KeyMask, Route, RoutingEntry};

/// A key the compressed table routes differently from the original.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// The key.
    pub key: u32,
    /// Where the original table sends it: its entry's route, or for a
    /// default-routed key the default continuation.
    pub expected: Route,
    /// Whether `expected` is default routing (no entry).
    pub default_routed: bool,
    /// The route of the first compressed entry matching the key, or `None`
    /// if none does (so the packet would follow default routing).
    pub found: Option<Route>,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let how = if self.default_routed {
            "by default routing"
        } else {
            "by its entry"
        };
        write!(
            f,
            "key 0x{:08x}: sent to {} {how}, but to ",
            self.key, self.expected
        )?;
        match self.found {
            Some(route) => write!(f, "{route} after compression"),
            None => f.write_str("default routing after compression"),
        }
    }
}

/// Proves that `compressed` (first match wins) routes every key of every
/// `original` entry to that entry's route, and sends every key of
/// `defaults` nowhere or to its default continuation. Returns the first
/// key that breaks this, in the order of `original`, then `defaults`.
pub fn check_equivalent(
    original: &[RoutingEntry],
    defaults: &[DefaultRouted],
    compressed: &[RoutingEntry],
) -> Result<(), Mismatch> {
    let all: Vec<KeyMask> = original
        .iter()
        .map(|e| e.key_mask)
        .chain(defaults.iter().map(|d| d.key_mask))
        .collect();
    let disjoint = find_overlap(&all).is_none();
    let mut walk = Walk::default();
    for (i, e) in original.iter().enumerate() {
        walk.start(e.key_mask);
        if !disjoint {
            walk.remove(original[..i].iter().map(|e| e.key_mask));
        }
        walk.down(compressed, e.route, false)?;
    }
    for d in defaults {
        walk.start(d.key_mask);
        if !disjoint {
            walk.remove(original.iter().map(|e| e.key_mask));
        }
        walk.down(compressed, d.route(), true)?;
    }
    Ok(())
}

/// The keys of one range still to be accounted for, as disjoint cubes.
#[derive(Default)]
struct Walk {
    pieces: Vec<KeyMask>,
    scratch: Vec<KeyMask>,
}

impl Walk {
    fn start(&mut self, range: KeyMask) {
        self.pieces.clear();
        self.pieces.push(range);
    }

    fn subtract(&mut self, cut: KeyMask) {
        self.scratch.clear();
        for &p in &self.pieces {
            subtract_into(p, cut, &mut self.scratch);
        }
        std::mem::swap(&mut self.pieces, &mut self.scratch);
    }

    fn remove(&mut self, cuts: impl Iterator<Item = KeyMask>) {
        for cut in cuts {
            if self.pieces.iter().any(|p| intersects(*p, cut)) {
                self.subtract(cut);
            }
        }
    }

    fn down(
        &mut self,
        table: &[RoutingEntry],
        expected: Route,
        default_routed: bool,
    ) -> Result<(), Mismatch> {
        for entry in table {
            if self.pieces.is_empty() {
                return Ok(());
            }
            let Some(hit) = self
                .pieces
                .iter()
                .find_map(|p| intersection(*p, entry.key_mask))
            else {
                continue;
            };
            if entry.route != expected {
                return Err(Mismatch {
                    key: witness(hit),
                    expected,
                    default_routed,
                    found: Some(entry.route),
                });
            }
            self.subtract(entry.key_mask);
        }
        match self.pieces.first() {
            Some(&rest) if !default_routed => Err(Mismatch {
                key: witness(rest),
                expected,
                default_routed,
                found: None,
            }),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::Direction;

    fn e(key: u32, mask: u32, route: Route) -> RoutingEntry {
        RoutingEntry::new(key, mask, route)
    }

    const FULL: u32 = 0xffff_ffff;

    #[test]
    fn accepts_equivalent_tables_and_finds_the_broken_key() {
        let n = Route::link(Direction::North);
        let s = Route::link(Direction::South);
        let original = [e(0b00, FULL, n), e(0b01, FULL, n), e(0b10, FULL, s)];
        // 0b11 is no packet's key: the compressed table may route it anyhow.
        check_equivalent(&original, &[], &[e(0b10, FULL, s), e(0, !0b11, n)]).unwrap();
        // Wrong order: the merged entry captures 0b10.
        let err = check_equivalent(&original, &[], &[e(0, !0b11, n), e(0b10, FULL, s)]);
        assert_eq!(
            err,
            Err(Mismatch {
                key: 0b10,
                expected: s,
                default_routed: false,
                found: Some(n)
            })
        );
        // A key left to default routing is a mismatch for an original entry.
        let err = check_equivalent(&original, &[], &[e(0b10, FULL, s), e(0b00, FULL, n)]);
        assert_eq!(err.map_err(|m| (m.key, m.found)), Err((0b01, None)));
    }

    #[test]
    fn default_routed_keys_must_not_be_captured() {
        let n = Route::link(Direction::North);
        let original = [e(0b00, FULL, n), e(0b11, FULL, n)];
        let crossing = DefaultRouted {
            key_mask: KeyMask {
                key: 0b01,
                mask: FULL,
            },
            arrives_on: Direction::West,
        };
        let merged = [e(0, !0b11, n)];
        let err = check_equivalent(&original, &[crossing], &merged).unwrap_err();
        assert_eq!((err.key, err.default_routed), (0b01, true));
        assert!(err.to_string().contains("default routing"), "{err}");
        // Going north anyway (arriving from the south), the capture is fine.
        let northbound = DefaultRouted {
            arrives_on: Direction::South,
            ..crossing
        };
        check_equivalent(&original, &[northbound], &merged).unwrap();
        check_equivalent(&original, &[crossing], &original).unwrap();
    }

    #[test]
    fn overlapping_originals_are_read_first_match() {
        let n = Route::link(Direction::North);
        let s = Route::link(Direction::South);
        // 0b100 goes north (first match); the rest of 1XX goes south.
        let original = [e(0b100, FULL, n), e(0b100, !0b11, s)];
        let good = [e(0b100, FULL, n), e(0b101, FULL, s), e(0b110, !0b1, s)];
        check_equivalent(&original, &[], &good).unwrap();
        let bad = [e(0b100, !0b11, s)];
        let err = check_equivalent(&original, &[], &bad).unwrap_err();
        assert_eq!((err.key, err.expected, err.found), (0b100, n, Some(s)));
    }
}
