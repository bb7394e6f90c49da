//! Whole-stage tests: seeded random tables, a many-small-population
//! network routed on a board, and brute-force cross-checks of the checker
//! and both compressors over a key space small enough to enumerate.

use std::collections::BTreeMap;
use std::time::Instant;

use super::*;
use crate::geometry::{MulticastTree, TreeNode};

/// SplitMix64: a seeded stream, so failures replay.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }
}

/// Routes a network would use at one chip: a few links and cores.
fn route_set(rng: &mut Rng, n: usize) -> Vec<Route> {
    let mut routes = Vec::new();
    while routes.len() < n {
        let mut r = Route::link(Direction::ALL[rng.below(6)]);
        for _ in 0..rng.below(3) {
            r = r.union(Route::core(1 + rng.below(16) as u8));
        }
        if !routes.contains(&r) {
            routes.push(r);
        }
    }
    routes
}

/// `sources` aligned 256-key blocks spread over `slots` block positions,
/// each an entry with a route from a small set, or, with probability
/// `default_percent`, default-routed through the chip. Scattered, blocks
/// and routes are shuffled independently; clustered, blocks are taken in
/// key order and routes come in runs, as when neighbouring keys belong to
/// one population and its neighbours.
fn random_chip(
    seed: u64,
    sources: usize,
    slots: usize,
    routes: usize,
    default_percent: usize,
) -> ChipRouting {
    layout_chip(seed, sources, slots, routes, default_percent, false)
}

fn layout_chip(
    seed: u64,
    sources: usize,
    slots: usize,
    routes: usize,
    default_percent: usize,
    clustered: bool,
) -> ChipRouting {
    let mut rng = Rng(seed);
    let routes = route_set(&mut rng, routes);
    let mut blocks: Vec<u32> = (0..slots as u32).collect();
    rng.shuffle(&mut blocks);
    if clustered {
        blocks[..sources].sort_unstable();
    }
    let mut run = (0, routes[0]);
    let mut chip = ChipRouting {
        table: RoutingTable {
            chip: ChipCoord::new(seed as u16, 0),
            entries: Vec::new(),
        },
        default_routed: Vec::new(),
    };
    for &block in &blocks[..sources] {
        let key_mask = KeyMask {
            key: block << 8,
            mask: 0xffff_ff00,
        };
        if rng.below(100) < default_percent {
            chip.default_routed.push(DefaultRouted {
                key_mask,
                arrives_on: Direction::ALL[rng.below(6)],
            });
        } else {
            if run.0 == 0 || !clustered {
                run = (1 + rng.below(40), routes[rng.below(routes.len())]);
            }
            run.0 -= 1;
            chip.table.entries.push(RoutingEntry {
                key_mask,
                route: run.1,
            });
        }
    }
    chip.table.entries.sort_unstable();
    chip.default_routed.sort_unstable();
    chip
}

fn compress_and_verify(chip: &ChipRouting) -> (Compressed, std::time::Duration) {
    let start = Instant::now();
    let compressed = compress(&chip.table, &chip.default_routed, usize::MAX).unwrap();
    let took = start.elapsed();
    assert!(compressed.rejected.is_empty(), "{:?}", compressed.rejected);
    assert_ne!(compressed.algorithm, Algorithm::Uncompressed);
    check_equivalent(
        &chip.table.entries,
        &chip.default_routed,
        &compressed.table.entries,
    )
    .unwrap();
    // Both compressors must be right on their own, not just the winner.
    let oc = ordered_covering::minimise(&chip.table.entries, &chip.default_routed);
    check_equivalent(&chip.table.entries, &chip.default_routed, &oc).unwrap();
    let pairs = pair::minimise(&chip.table.entries, &chip.default_routed);
    check_equivalent(&chip.table.entries, &chip.default_routed, &pairs).unwrap();
    let primes = prime_cover::minimise(&chip.table.entries, &chip.default_routed);
    check_equivalent(&chip.table.entries, &chip.default_routed, &primes).unwrap();
    assert_eq!(compressed.ordered_covering_len, oc.len());
    assert_eq!(compressed.pair_len, pairs.len());
    assert_eq!(compressed.prime_cover_len, primes.len());
    assert_eq!(
        compressed.table.entries.len(),
        oc.len().min(pairs.len()).min(primes.len()),
        "the smallest table is kept"
    );
    (compressed, took)
}

#[test]
fn table_clustered_700_sources() {
    for seed in 20..26 {
        let slots = if seed % 2 == 0 { 700 } else { 4096 };
        let routes = [3, 6, 12][seed as usize % 3];
        let chip = layout_chip(seed, 700, slots, routes, 10, true);
        let (c, took) = compress_and_verify(&chip);
        eprintln!(
            "clustered seed {seed}: {} entries, {} default-routed, {routes} routes -> \
             prime cover {}, ordered covering {}, pair {} ({:?})",
            c.uncompressed_len,
            chip.default_routed.len(),
            c.prime_cover_len,
            c.ordered_covering_len,
            c.pair_len,
            took
        );
        assert!(c.table.entries.len() <= c.pair_len);
    }
}

#[test]
fn table_random_700_sources_compress_correctly_and_beat_pairs() {
    for seed in 0..6 {
        // Dense and sparse key spaces, few and more routes, with and
        // without default-routed blockers.
        let slots = if seed % 2 == 0 { 700 } else { 4096 };
        let routes = [3, 6, 12][seed as usize % 3];
        let defaults = [0, 20][seed as usize / 3];
        let chip = random_chip(seed, 700, slots, routes, defaults);
        let (c, took) = compress_and_verify(&chip);
        eprintln!(
            "seed {seed}: {} entries, {} default-routed, {routes} routes -> \
             prime cover {}, ordered covering {}, pair {} ({:?})",
            c.uncompressed_len,
            chip.default_routed.len(),
            c.prime_cover_len,
            c.ordered_covering_len,
            c.pair_len,
            took
        );
        assert!(c.table.entries.len() <= c.pair_len);
        assert!(c.table.entries.len() < c.uncompressed_len);
    }
}

/// A board `width` chips wide with 16 application cores each,
/// `populations` one-core populations placed in order, each sending to
/// `fan_out` random others along shortest hexagonal-mesh paths (diagonal
/// first, then along x, then y).
fn network(seed: u64, width: u16, populations: usize, fan_out: usize) -> Vec<MulticastTree> {
    let mut rng = Rng(seed);
    let place = |p: usize| {
        let chip = p / 16;
        (
            ChipCoord::new(
                (chip % width as usize) as u16,
                (chip / width as usize) as u16,
            ),
            1 + (p % 16) as u8,
        )
    };
    (0..populations)
        .map(|p| {
            let (source, _) = place(p);
            let mut hops: BTreeMap<ChipCoord, TreeNode> = BTreeMap::new();
            hops.insert(
                source,
                TreeNode {
                    from: None,
                    route: Route::EMPTY,
                },
            );
            let mut targets: Vec<usize> = (0..populations).filter(|&q| q != p).collect();
            rng.shuffle(&mut targets);
            for &q in &targets[..fan_out] {
                let (dest, core) = place(q);
                let mut at = source;
                while at != dest {
                    let (dx, dy) = (
                        i32::from(dest.x) - i32::from(at.x),
                        i32::from(dest.y) - i32::from(at.y),
                    );
                    let d = match (dx.signum(), dy.signum()) {
                        (1, 1) => Direction::NorthEast,
                        (-1, -1) => Direction::SouthWest,
                        (1, _) => Direction::East,
                        (-1, _) => Direction::West,
                        (_, 1) => Direction::North,
                        _ => Direction::South,
                    };
                    let node = hops.get_mut(&at).expect("path starts in the tree");
                    node.route = node.route.union(Route::link(d));
                    let (ddx, ddy) = d.delta();
                    at = ChipCoord::new(
                        (i32::from(at.x) + ddx) as u16,
                        (i32::from(at.y) + ddy) as u16,
                    );
                    hops.entry(at).or_insert(TreeNode {
                        from: Some(d.opposite()),
                        route: Route::EMPTY,
                    });
                }
                let node = hops.get_mut(&dest).expect("destination is in the tree");
                node.route = node.route.union(Route::core(core));
            }
            MulticastTree { source, hops }
        })
        .collect()
}

#[test]
fn table_network_of_700_small_populations() {
    let trees = network(7, 8, 700, 60);
    let sources: Vec<(KeyMask, &MulticastTree)> = trees
        .iter()
        .enumerate()
        .map(|(p, t)| {
            (
                KeyMask {
                    key: (p as u32) << 8,
                    mask: 0xffff_ff00,
                },
                t,
            )
        })
        .collect();
    let start = Instant::now();
    let chips = generate(&sources).unwrap();
    let generated = start.elapsed();
    let (mut before, mut elided, mut oc, mut pairs, mut primes) = (0, 0, 0, 0, 0);
    let (mut after, mut largest) = (0, 0);
    let start = Instant::now();
    let compressed = compress_all(&chips, SPINNAKER1_TABLE_CAPACITY).unwrap();
    let took = start.elapsed();
    for (chip, c) in chips.iter().zip(&compressed) {
        check_equivalent(&chip.table.entries, &chip.default_routed, &c.table.entries).unwrap();
        assert!(c.table.entries.len() <= c.pair_len);
        before += c.uncompressed_len;
        elided += chip.default_routed.len();
        oc += c.ordered_covering_len;
        primes += c.prime_cover_len;
        pairs += c.pair_len;
        after += c.table.entries.len();
        largest = largest.max(c.table.entries.len());
    }
    eprintln!(
        "{} chips: {before} entries ({elided} elided) -> prime cover {primes}, \
         ordered covering {oc}, pair {pairs}, \
         kept {after} (largest table {largest}); generation {generated:?}, compression {took:?}",
        chips.len()
    );
    assert_eq!(chips.len(), 48);
    assert!(elided > 0 && after < before);
}

#[test]
fn table_too_big_names_the_chip_and_the_ranges_left_alone() {
    // 40 ranges with 40 routes cannot merge; two more share a route of
    // their own and merge, so they are not among the ranges reported.
    let mut rng = Rng(3);
    let routes = route_set(&mut rng, 40);
    let mut entries: Vec<RoutingEntry> = (0..40u32)
        .map(|i| RoutingEntry {
            key_mask: KeyMask {
                key: i << 8,
                mask: 0xffff_ff00,
            },
            route: routes[i as usize],
        })
        .collect();
    for key in [0x4000, 0x4100] {
        entries.push(RoutingEntry {
            key_mask: KeyMask {
                key,
                mask: 0xffff_ff00,
            },
            route: Route::core(17),
        });
    }
    let table = RoutingTable {
        chip: ChipCoord::new(2, 5),
        entries,
    };
    let err = compress(&table, &[], 30).unwrap_err();
    let TableError::TableTooBig {
        chip,
        entries,
        capacity,
        unmerged,
    } = &err
    else {
        panic!("expected TableTooBig, got {err:?}");
    };
    assert_eq!((*chip, *entries, *capacity), (ChipCoord::new(2, 5), 41, 30));
    assert_eq!(unmerged.len(), 40);
    assert!(unmerged.iter().all(|km| km.key < 40 << 8));
    assert!(
        err.to_string().contains("chip (2, 5) needs 41 entries"),
        "{err}"
    );
    assert!(compress(&table, &[], 41).is_ok());
}

/// Keys of the 10-bit universe the brute-force tests use (upper bits 0).
const SMALL: u32 = 1 << 10;
const SMALL_HIGH: u32 = !(SMALL - 1);

/// Random disjoint cubes of the small universe, half entries, some
/// default-routed.
fn small_chip(rng: &mut Rng, routes: &[Route]) -> ChipRouting {
    let mut cubes: Vec<KeyMask> = Vec::new();
    for _ in 0..40 {
        let mask = SMALL_HIGH | (rng.next() as u32 & (SMALL - 1) & rng.next() as u32 | 0x300);
        let c = KeyMask {
            key: rng.next() as u32 & mask & (SMALL - 1),
            mask,
        };
        if !cubes.iter().any(|o| cube::intersects(*o, c)) {
            cubes.push(c);
        }
    }
    let mut chip = ChipRouting {
        table: RoutingTable {
            chip: ChipCoord::new(0, 0),
            entries: Vec::new(),
        },
        default_routed: Vec::new(),
    };
    for key_mask in cubes {
        if rng.below(4) == 0 {
            chip.default_routed.push(DefaultRouted {
                key_mask,
                arrives_on: Direction::ALL[rng.below(6)],
            });
        } else {
            let route = routes[rng.below(routes.len())];
            chip.table.entries.push(RoutingEntry { key_mask, route });
        }
    }
    chip.table.entries.sort_unstable();
    chip
}

/// The checker's verdict by enumerating every key.
fn brute_force_equivalent(chip: &ChipRouting, compressed: &[RoutingEntry]) -> bool {
    let first = |table: &[RoutingEntry], k: u32| {
        table
            .iter()
            .find(|e| e.key_mask.matches(k))
            .map(|e| e.route)
    };
    (0..SMALL).all(|k| {
        let got = first(compressed, k);
        if let Some(want) = first(&chip.table.entries, k) {
            got == Some(want)
        } else if let Some(d) = chip.default_routed.iter().find(|d| d.key_mask.matches(k)) {
            got.is_none() || got == Some(d.route())
        } else {
            true
        }
    })
}

#[test]
fn table_checker_and_compressors_agree_with_brute_force() {
    let mut rng = Rng(11);
    let routes = [
        Route::link(Direction::North),
        Route::link(Direction::East),
        Route::core(2),
    ];
    let (mut broken, mut detected) = (0, 0);
    for _ in 0..300 {
        let chip = small_chip(&mut rng, &routes);
        let (original, defaults) = (&chip.table.entries, &chip.default_routed);
        for out in [
            ordered_covering::minimise(original, defaults),
            pair::minimise(original, defaults),
            prime_cover::minimise(original, defaults),
        ] {
            assert!(brute_force_equivalent(&chip, &out));
            assert_eq!(check_equivalent(original, defaults, &out), Ok(()));
            if out.is_empty() {
                continue;
            }
            // Corrupt: change a route, drop an entry, widen an entry, or
            // swap two; the checker must agree with enumeration each time.
            let mut bad = out.clone();
            let i = rng.below(bad.len());
            match rng.below(4) {
                0 => {
                    bad[i].route = routes
                        [(routes.iter().position(|r| *r == bad[i].route).unwrap_or(0) + 1) % 3]
                }
                1 => {
                    bad.remove(i);
                }
                2 => {
                    bad[i].key_mask = cube::join(
                        bad[i].key_mask,
                        KeyMask {
                            key: rng.next() as u32 & (SMALL - 1),
                            mask: !0,
                        },
                    )
                }
                _ => {
                    let j = rng.below(bad.len());
                    bad.swap(i, j);
                }
            }
            let truth = brute_force_equivalent(&chip, &bad);
            let verdict = check_equivalent(original, defaults, &bad);
            assert_eq!(verdict.is_ok(), truth, "{bad:x?} vs {chip:x?}: {verdict:?}");
            if let Err(m) = verdict {
                // The reported key really is misrouted.
                let got = bad
                    .iter()
                    .find(|e| e.key_mask.matches(m.key))
                    .map(|e| e.route);
                assert_eq!(got, m.found);
                assert_ne!(Some(m.expected), m.found);
                detected += 1;
            }
            broken += usize::from(!truth);
        }
    }
    assert!(detected > 100, "only {detected} corruptions mattered");
    assert_eq!(detected, broken);
}

#[test]
fn table_checker_rejects_a_corrupted_compressed_table() {
    let chip = random_chip(42, 700, 4096, 6, 20);
    let good = compress(&chip.table, &chip.default_routed, usize::MAX).unwrap();
    let entries = &good.table.entries;
    // The entry routing the first original key, sent somewhere else.
    let key = chip.table.entries[0].key_mask.key;
    let at = entries
        .iter()
        .position(|e| e.key_mask.matches(key))
        .unwrap();
    let mut bad = entries.clone();
    bad[at].route = Route::core(17);
    let err = check_equivalent(&chip.table.entries, &chip.default_routed, &bad).unwrap_err();
    assert_eq!(err.found, Some(Route::core(17)));
    // An entry widened to everything captures default-routed keys.
    let mut bad = entries.clone();
    bad.insert(
        0,
        RoutingEntry {
            key_mask: KeyMask { key: 0, mask: 0 },
            route: Route::core(17),
        },
    );
    assert!(check_equivalent(&chip.table.entries, &chip.default_routed, &bad).is_err());
    // Dropping the last entry leaves keys unrouted.
    let mut bad = entries.clone();
    bad.pop();
    let err = check_equivalent(&chip.table.entries, &chip.default_routed, &bad).unwrap_err();
    assert_eq!(err.found, None);
}
