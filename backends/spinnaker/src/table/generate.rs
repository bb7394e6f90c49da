//! Table generation: one entry per chip a source's tree visits, except
//! where default routing already sends the packets on.
//!
//! SpiNNaker routes a packet that matches no entry out of the link opposite
//! the one it arrived on. A tree node that receives on link `l` and sends
//! only out of `l.opposite()` (no cores, no branching) therefore needs no
//! entry. Elision is exact, never a heuristic: at the source chip packets
//! come from a core, not a link, so there is nothing to default from.

use std::collections::BTreeMap;

use super::cube::{intersects, is_void};
use super::{ChipRouting, DefaultRouted, RoutingTable, TableError};
use crate::geometry::{ChipCoord, KeyMask, MulticastTree, Route, RoutingEntry};

/// Builds every visited chip's table from each source's key range and tree.
///
/// Chips come out sorted by coordinate, entries and default-routed ranges
/// by key then mask, so the output depends only on the input. Fails if a
/// key range is malformed or two overlap: tables built from them would not
/// be orthogonal, and compression relies on that. Cost: O(total tree size
/// · log) plus the overlap check, O(n log n) when key ranges use a
/// handful of masks.
pub fn generate(sources: &[(KeyMask, &MulticastTree)]) -> Result<Vec<ChipRouting>, TableError> {
    if let Some(source_index) = sources.iter().position(|(km, _)| is_void(*km)) {
        return Err(TableError::MalformedKeyMask {
            source_index,
            key_mask: sources[source_index].0,
        });
    }
    let ranges: Vec<KeyMask> = sources.iter().map(|(km, _)| *km).collect();
    if let Some((first, second)) = find_overlap(&ranges) {
        return Err(TableError::OverlappingKeys { first, second });
    }

    let mut chips: BTreeMap<ChipCoord, ChipRouting> = BTreeMap::new();
    for &(key_mask, tree) in sources {
        for (&chip, node) in &tree.hops {
            let routing = chips.entry(chip).or_insert_with(|| ChipRouting {
                table: RoutingTable {
                    chip,
                    entries: Vec::new(),
                },
                default_routed: Vec::new(),
            });
            match node.from {
                Some(arrives_on) if node.route == Route::link(arrives_on.opposite()) => {
                    routing.default_routed.push(DefaultRouted {
                        key_mask,
                        arrives_on,
                    })
                }
                _ => routing.table.entries.push(RoutingEntry {
                    key_mask,
                    route: node.route,
                }),
            }
        }
    }
    Ok(chips
        .into_values()
        .map(|mut routing| {
            routing.table.entries.sort_unstable();
            routing.default_routed.sort_unstable();
            routing
        })
        .collect())
}

/// Some pair (i, j), i < j, of key ranges that share a key, if any.
///
/// Ranges are grouped by mask. Within a group, two ranges meet only if
/// their keys are equal; across groups with masks `a` and `b` they meet
/// when their keys agree on `a & b`, which a sorted projection answers by
/// binary search. Cost O(G² · n log n) for G distinct masks — allocated key
/// ranges use a handful, so in practice O(n log n), not the O(n²) of
/// testing every pair. Void ranges match nothing and are skipped.
pub(crate) fn find_overlap(ranges: &[KeyMask]) -> Option<(usize, usize)> {
    let mut by_mask: BTreeMap<u32, Vec<(u32, usize)>> = BTreeMap::new();
    for (i, km) in ranges.iter().enumerate() {
        if !is_void(*km) {
            by_mask.entry(km.mask).or_default().push((km.key, i));
        }
    }
    let ordered = |a: usize, b: usize| (a.min(b), a.max(b));
    let groups: Vec<(u32, Vec<(u32, usize)>)> = by_mask
        .into_iter()
        .map(|(mask, mut keys)| {
            keys.sort_unstable();
            (mask, keys)
        })
        .collect();
    for (mask_a, keys_a) in &groups {
        if let Some(w) = keys_a.windows(2).find(|w| w[0].0 == w[1].0) {
            return Some(ordered(w[0].1, w[1].1));
        }
        for (mask_b, keys_b) in groups.iter().filter(|(m, _)| m > mask_a) {
            let common = mask_a & mask_b;
            let mut projected: Vec<(u32, usize)> =
                keys_a.iter().map(|&(k, i)| (k & common, i)).collect();
            projected.sort_unstable();
            for &(k, j) in keys_b {
                let at = projected.partition_point(|&(p, _)| p < k & common);
                if let Some(&(p, i)) = projected.get(at) {
                    if p == k & common {
                        debug_assert!(intersects(ranges[i], ranges[j]));
                        return Some(ordered(i, j));
                    }
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::{Direction, TreeNode};
    use Direction::*;

    fn km(key: u32, mask: u32) -> KeyMask {
        KeyMask { key, mask }
    }

    fn tree(source: ChipCoord, hops: &[((u16, u16), Option<Direction>, Route)]) -> MulticastTree {
        MulticastTree {
            source,
            hops: hops
                .iter()
                .map(|&((x, y), from, route)| (ChipCoord::new(x, y), TreeNode { from, route }))
                .collect(),
        }
    }

    #[test]
    fn straight_through_hops_are_elided_and_others_kept() {
        let east = Route::link(East);
        // (0,0) core 1 -> E -> (1,0) straight on -> (2,0) to core 3 and N.
        let a = tree(
            ChipCoord::new(0, 0),
            &[
                ((0, 0), None, east),
                ((1, 0), Some(West), east),
                ((2, 0), Some(West), Route::core(3).union(Route::link(North))),
            ],
        );
        // Arrives from the west but turns north at (1,0): not default.
        let b = tree(
            ChipCoord::new(1, 0),
            &[
                ((1, 0), None, east),
                ((2, 0), Some(West), Route::link(North)),
            ],
        );
        // The source chip is never elided, even with a single-link route;
        // a straight-on link plus a core is not default routing either.
        let c = tree(
            ChipCoord::new(1, 0),
            &[((1, 0), Some(West), east.union(Route::core(0)))],
        );
        let tables = generate(&[
            (km(0x0001_0000, 0xffff_0000), &a),
            (km(0x0000_0000, 0xffff_0000), &b),
            (km(0x0002_0000, 0xffff_0000), &c),
        ])
        .unwrap();
        let chips: Vec<ChipCoord> = tables.iter().map(|t| t.table.chip).collect();
        assert_eq!(
            chips,
            [
                ChipCoord::new(0, 0),
                ChipCoord::new(1, 0),
                ChipCoord::new(2, 0)
            ]
        );
        assert_eq!(
            tables[0].table.entries,
            [RoutingEntry {
                key_mask: km(0x0001_0000, 0xffff_0000),
                route: east
            }]
        );
        // At (1,0): b is injected here, c turns to a core, a is elided.
        assert_eq!(
            tables[1].table.entries,
            [
                RoutingEntry {
                    key_mask: km(0x0000_0000, 0xffff_0000),
                    route: east
                },
                RoutingEntry {
                    key_mask: km(0x0002_0000, 0xffff_0000),
                    route: east.union(Route::core(0))
                },
            ]
        );
        assert_eq!(
            tables[1].default_routed,
            [DefaultRouted {
                key_mask: km(0x0001_0000, 0xffff_0000),
                arrives_on: West
            }]
        );
        assert_eq!(tables[1].default_routed[0].route(), east);
        assert_eq!(tables[2].table.entries.len(), 2);
        assert!(tables[2].default_routed.is_empty());
    }

    #[test]
    fn overlapping_and_malformed_ranges_are_refused() {
        let t = tree(ChipCoord::new(0, 0), &[((0, 0), None, Route::core(1))]);
        let err = generate(&[
            (km(0x100, 0xff00), &t),
            (km(0x200, 0xff00), &t),
            (km(0x120, 0xfff0), &t),
        ]);
        assert_eq!(
            err,
            Err(TableError::OverlappingKeys {
                first: 0,
                second: 2
            })
        );
        let err = generate(&[(km(0x1, 0xff00), &t)]);
        assert!(matches!(
            err,
            Err(TableError::MalformedKeyMask {
                source_index: 0,
                ..
            })
        ));
    }

    #[test]
    fn overlap_finder_agrees_with_pairwise_test() {
        // Masks with holes, so the projection, not just a prefix, matters.
        let masks = [0xff0f, 0xf0ff, 0xffff, 0x0f0f, 0xff00];
        let mut state = 0x2545_f491u32;
        for _ in 0..200 {
            let ranges: Vec<KeyMask> = (0..6)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 17;
                    state ^= state << 5;
                    let mask = masks[state as usize % masks.len()];
                    km(state >> 7 & mask, mask)
                })
                .collect();
            let pairwise = (0..ranges.len())
                .flat_map(|i| (i + 1..ranges.len()).map(move |j| (i, j)))
                .any(|(i, j)| intersects(ranges[i], ranges[j]));
            let found = find_overlap(&ranges);
            assert_eq!(found.is_some(), pairwise, "{ranges:x?}");
            if let Some((i, j)) = found {
                assert!(i < j && intersects(ranges[i], ranges[j]));
            }
        }
    }
}
