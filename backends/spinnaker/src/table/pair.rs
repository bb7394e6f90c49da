//! PACMAN's pair compressor (sPyNNaker's `PairCompressor`,
//! `pacman/operations/router_compressors/pair_compressor.py`): the
//! baseline, and the frame the ordered prime cover builds on.
//!
//! Entries are grouped by route and the groups laid out from the rarest
//! route to the most frequent (ties by route, where PACMAN's order is
//! arbitrary). Within a group, each entry is joined with the first later
//! entry of the group whose join meets no entry of a *later* group —
//! earlier groups sit above and win anyway — and the search starts again
//! from the merged entry; an entry that joins with none is final. So the
//! most frequent route, at the bottom, merges most freely.
//!
//! PACMAN knows nothing of default routing; here a default-routed range of
//! another route blocks a join like an entry of a later group, since it
//! sits below everything.
//!
//! Cost: O(b²) blocker queries per bucket of b entries in the worst case,
//! where few joins succeed; a query is a walk down a trie of the blockers
//! (`index::CubeSet`), not a scan of them; the trie grows bucket by bucket,
//! O(32 · n) in all.

use std::collections::BTreeMap;

use super::cube::join;
use super::index::CubeSet;
use super::DefaultRouted;
use crate::geometry::{KeyMask, Route, RoutingEntry};

/// Minimises an orthogonal table with the pair compressor. The result is
/// ordered: first match wins.
pub fn minimise(entries: &[RoutingEntry], defaults: &[DefaultRouted]) -> Vec<RoutingEntry> {
    by_buckets(entries, defaults, merge_bucket)
}

/// The frame both bucket compressors share: `merge` gets each bucket's
/// ranges and what they must not meet, and returns the bucket's entries.
///
/// Buckets are the entries grouped by route, rarest route first (ties by
/// route), and laid out in that order. A bucket's entries must not meet
/// the ranges of a later bucket (they sit below) nor default-routed ranges
/// of another route (default routing acts below everything); earlier
/// buckets sit above and win anyway, so their keys are free to cover.
/// Buckets are merged bottom up, so the later buckets' ranges go into one
/// growing index rather than one index per bucket.
pub(crate) fn by_buckets(
    entries: &[RoutingEntry],
    defaults: &[DefaultRouted],
    mut merge: impl FnMut(Vec<KeyMask>, &Blockers) -> Vec<KeyMask>,
) -> Vec<RoutingEntry> {
    let mut buckets: BTreeMap<Route, Vec<KeyMask>> = BTreeMap::new();
    for e in entries {
        buckets.entry(e.route).or_default().push(e.key_mask);
    }
    let mut buckets: Vec<(Route, Vec<KeyMask>)> = buckets.into_iter().collect();
    // Stable, so equal frequencies stay in route order.
    buckets.sort_by_key(|(_, b)| b.len());

    let mut by_route: BTreeMap<Route, CubeSet> = BTreeMap::new();
    for d in defaults {
        by_route
            .entry(d.route())
            .or_insert_with(|| CubeSet::new([]))
            .insert(d.key_mask);
    }
    let mut blockers = Blockers {
        route: Route::EMPTY,
        below: CubeSet::new([]),
        defaults: by_route.into_iter().collect(),
    };
    let mut merged = Vec::with_capacity(buckets.len());
    for (route, ranges) in buckets.into_iter().rev() {
        blockers.route = route;
        let kept = merge(ranges.clone(), &blockers);
        for r in ranges {
            blockers.below.insert(r);
        }
        merged.push((route, kept));
    }
    merged
        .into_iter()
        .rev()
        .flat_map(|(route, kept)| {
            kept.into_iter()
                .map(move |key_mask| RoutingEntry { key_mask, route })
        })
        .collect()
}

/// What one bucket's entries must not meet.
pub(crate) struct Blockers {
    route: Route,
    /// The ranges of the buckets below.
    below: CubeSet,
    /// Default-routed ranges by route (there are at most six routes).
    defaults: Vec<(Route, CubeSet)>,
}

impl Blockers {
    pub(crate) fn meet(&self, cube: KeyMask) -> bool {
        self.below.meets(cube)
            || self
                .defaults
                .iter()
                .any(|(route, set)| *route != self.route && set.meets(cube))
    }
}

/// One bucket's entries after greedy pairwise joining, in PACMAN's order.
fn merge_bucket(mut group: Vec<KeyMask>, blockers: &Blockers) -> Vec<KeyMask> {
    let mut done = Vec::with_capacity(group.len());
    let mut left = 0;
    // Entries not yet final are group[left..end].
    let mut end = group.len();
    while left < end {
        let partner = (left + 1..end)
            .map(|index| (index, join(group[left], group[index])))
            .find(|&(_, joined)| !blockers.meet(joined));
        match partner {
            Some((index, joined)) => {
                group[left] = joined;
                // PACMAN fills the hole with the group's last entry.
                group[index] = group[end - 1];
                end -= 1;
            }
            None => {
                done.push(group[left]);
                left += 1;
            }
        }
    }
    done
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::Direction;
    use crate::table::check_equivalent;

    fn e(key: u32, mask: u32, route: Route) -> RoutingEntry {
        RoutingEntry::new(key, mask, route)
    }

    #[test]
    fn rare_routes_go_first_and_frequent_ones_merge_below() {
        let n = Route::link(Direction::North);
        let s = Route::link(Direction::South);
        let table = [
            e(0b000, 0b111, n),
            e(0b001, 0b111, s),
            e(0b010, 0b111, n),
            e(0b011, 0b111, n),
        ];
        let out = minimise(&table, &[]);
        // S is rarer, so it goes on top and N may cover its key.
        assert_eq!(out, [e(0b001, 0b111, s), e(0b000, 0b100, n)]);
        check_equivalent(&table, &[], &out).unwrap();
    }

    #[test]
    fn default_routed_ranges_block_joins() {
        let n = Route::link(Direction::North);
        let table = [e(0b000, 0b111, n), e(0b011, 0b111, n)];
        let blocker = DefaultRouted {
            key_mask: KeyMask {
                key: 0b001,
                mask: 0b111,
            },
            arrives_on: Direction::East,
        };
        assert_eq!(minimise(&table, &[blocker]), table);
        // A default-routed range going north anyway does not block.
        let passing = DefaultRouted {
            arrives_on: Direction::South,
            ..blocker
        };
        assert_eq!(minimise(&table, &[passing]), [e(0, 0b100, n)]);
    }
}
