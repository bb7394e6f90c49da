//! Ordered prime cover: our compressor, which keeps the pair compressor's
//! frame and replaces its pairwise joining with two-level logic
//! minimisation (the expand and irredundant steps of Espresso, Brayton et
//! al. 1984).
//!
//! The frame, from PACMAN: entries grouped by route, buckets laid out from
//! the rarest route to the most frequent. A bucket's entries must meet no
//! range of a later bucket, nor a default-routed range of another route;
//! the keys of earlier buckets (above) and keys no packet here carries are
//! free. Within that frame, merging a bucket is covering its ranges with
//! as few cubes as possible that avoid the blockers:
//!
//! - **expand**: each range not yet covered grows by joining the nearest
//!   uncovered range (fewest bits to open) whose join meets no blocker,
//!   until none is left; then it opens what bits it still can, to a
//!   *prime* cube. A range whose join once met a blocker always will, as
//!   the cube only grows, so it is not tried again.
//! - **irredundant**: from the primes, a greedy set cover keeps the one
//!   covering the most ranges still uncovered, until all are.
//!
//! Pairwise joining in list order is one way to find such cubes; joining
//! by distance, growing to primes and choosing among them usually finds
//! fewer (see the stress tests). Greedy searches guarantee nothing, though:
//! [`super::compress`] runs the pair compressor as well and keeps the
//! smaller.
//!
//! Cost per bucket of b ranges: each expansion that joins k ranges costs
//! O(k · b log b) to rank ranges by distance and at most b + k blocker
//! queries (a walk down a trie, see `pair`); expansions start only from
//! uncovered ranges. The cover of p primes is O(p · b).

use super::cube::{contains, join};
use super::pair::{by_buckets, Blockers};
use super::DefaultRouted;
use crate::geometry::{KeyMask, RoutingEntry};

/// Minimises an orthogonal table. The result is ordered: first match wins.
pub fn minimise(entries: &[RoutingEntry], defaults: &[DefaultRouted]) -> Vec<RoutingEntry> {
    by_buckets(entries, defaults, |ranges, blockers| {
        cover(&ranges, blockers)
    })
}

/// Few cubes that hold every range and meet no blocker, sorted.
fn cover(ranges: &[KeyMask], blockers: &Blockers) -> Vec<KeyMask> {
    let Some(&first) = ranges.first() else {
        return Vec::new();
    };
    // Only bits on which the ranges differ can bring another range in.
    let open = !ranges.iter().fold(first, |a, &b| join(a, b)).mask;
    let mut covered = vec![false; ranges.len()];
    let mut primes = Vec::new();
    for i in 0..ranges.len() {
        if covered[i] {
            continue;
        }
        let prime = expand(ranges[i], ranges, &covered, open, blockers);
        for (j, r) in ranges.iter().enumerate() {
            covered[j] |= contains(prime, *r);
        }
        primes.push(prime);
    }
    let mut kept = irredundant(ranges, &primes);
    kept.sort_unstable();
    kept
}

/// `start` grown into a cube that meets no blocker: first towards the
/// nearest uncovered ranges, joining them while that stays clear of the
/// blockers, then, with no range left to join, bit by bit to a prime, so
/// the cover step sees the largest cubes.
fn expand(
    start: KeyMask,
    ranges: &[KeyMask],
    covered: &[bool],
    open: u32,
    blockers: &Blockers,
) -> KeyMask {
    let mut cube = start;
    // A range whose join once met a blocker always will: the cube grows.
    let mut dead = vec![false; ranges.len()];
    loop {
        let nearest = ranges
            .iter()
            .enumerate()
            .filter(|&(j, r)| !covered[j] && !dead[j] && !contains(cube, *r))
            .map(|(j, r)| (distance(cube, *r), j))
            .filter(|&(d, _)| d > 0);
        let mut order: Vec<(u32, usize)> = nearest.collect();
        order.sort_unstable();
        let mut grown = false;
        for (_, j) in order {
            let joined = join(cube, ranges[j]);
            if blockers.meet(joined) {
                dead[j] = true;
            } else {
                cube = joined;
                grown = true;
                break;
            }
        }
        if !grown {
            break;
        }
    }
    for b in 0..32 {
        let bit = 1u32 << b;
        if cube.mask & open & bit == 0 {
            continue;
        }
        let raised = KeyMask {
            key: cube.key & !bit,
            mask: cube.mask & !bit,
        };
        if !blockers.meet(raised) {
            cube = raised;
        }
    }
    cube
}

/// How many bits the cube must open to hold `r`.
fn distance(cube: KeyMask, r: KeyMask) -> u32 {
    (((r.key ^ cube.key) & r.mask & cube.mask) | (cube.mask & !r.mask)).count_ones()
}

/// A greedy set cover of the ranges by the primes: repeatedly the prime
/// holding the most uncovered ranges (the earlier on a tie).
fn irredundant(ranges: &[KeyMask], primes: &[KeyMask]) -> Vec<KeyMask> {
    let holds: Vec<Vec<usize>> = primes
        .iter()
        .map(|p| {
            (0..ranges.len())
                .filter(|&j| contains(*p, ranges[j]))
                .collect()
        })
        .collect();
    let mut covered = vec![false; ranges.len()];
    let mut left = ranges.len();
    let mut kept = Vec::new();
    let mut used = vec![false; primes.len()];
    while left > 0 {
        let fresh = |k: usize| holds[k].iter().filter(|&&j| !covered[j]).count();
        let Some((k, n)) = (0..primes.len())
            .filter(|&k| !used[k])
            .map(|k| (k, fresh(k)))
            .max_by_key(|&(k, n)| (n, std::cmp::Reverse(k)))
        else {
            break;
        };
        if n == 0 {
            break;
        }
        used[k] = true;
        for &j in &holds[k] {
            covered[j] = true;
        }
        left -= n;
        kept.push(primes[k]);
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::{Direction, Route};
    use crate::table::check_equivalent;

    fn e(key: u32, mask: u32, route: Route) -> RoutingEntry {
        RoutingEntry::new(key, mask, route)
    }

    #[test]
    fn covers_with_primes_that_avoid_later_buckets() {
        let n = Route::link(Direction::North);
        let s = Route::link(Direction::South);
        // N (rarer) goes on top: 000, 011 and 101 must avoid S's 110 and
        // 111, so 0XX and X01 are primes and two entries suffice, where
        // pairwise joining in PACMAN's order also needs two. S merges.
        let table = [
            e(0b000, !0, n),
            e(0b011, !0, n),
            e(0b101, !0, n),
            e(0b110, !0, s),
            e(0b111, !0, s),
            e(0b100, !0, s),
            e(0b1000, !0, s),
        ];
        let out = minimise(&table, &[]);
        check_equivalent(&table, &[], &out).unwrap();
        let on_n: Vec<_> = out.iter().filter(|x| x.route == n).collect();
        assert_eq!(on_n.len(), 2, "{out:x?}");
        assert_eq!(out.len(), 3, "{out:x?}");
    }

    #[test]
    fn default_routed_ranges_of_other_routes_block() {
        let n = Route::link(Direction::North);
        let table = [e(0b00, !0, n), e(0b11, !0, n)];
        let crossing = DefaultRouted {
            key_mask: KeyMask {
                key: 0b01,
                mask: !0,
            },
            arrives_on: Direction::West,
        };
        assert_eq!(minimise(&table, &[crossing]).len(), 2);
        let northbound = DefaultRouted {
            arrives_on: Direction::South,
            ..crossing
        };
        assert_eq!(minimise(&table, &[northbound]), [e(0, !0b11, n)]);
    }
}
