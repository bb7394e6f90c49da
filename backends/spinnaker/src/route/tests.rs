use super::*;
use crate::geometry::Direction;

fn c(x: u16, y: u16) -> ChipCoord {
    ChipCoord::new(x, y)
}

fn core(x: u16, y: u16, p: u8) -> CoreLocation {
    CoreLocation::new(c(x, y), p)
}

/// Walks `tree` from its source the way packets would, and checks that it
/// is a tree over working links that delivers to exactly `targets`.
fn check_tree(
    machine: &Machine,
    source: CoreLocation,
    targets: &[CoreLocation],
    tree: &MulticastTree,
) {
    assert_eq!(tree.source, source.chip);
    let root = tree
        .hops
        .get(&source.chip)
        .expect("the source chip is in the tree");
    assert_eq!(root.from, None, "packets enter the source chip from a core");

    let mut visited = BTreeSet::from([source.chip]);
    let mut delivered = BTreeSet::new();
    let mut frontier = vec![source.chip];
    while let Some(chip) = frontier.pop() {
        let node = tree.hops[&chip];
        delivered.extend(node.route.cores().map(|p| CoreLocation::new(chip, p)));
        assert!(
            node.route.links != 0 || node.route.cores().next().is_some(),
            "chip {chip} is a dead end that delivers nothing"
        );
        for out in node.route.links() {
            let next = machine
                .neighbour(chip, out)
                .unwrap_or_else(|| panic!("{chip} sends over unusable link {out:?}"));
            let child = tree
                .hops
                .get(&next)
                .unwrap_or_else(|| panic!("{next} is missing from the tree"));
            assert_eq!(child.from, Some(out.opposite()), "arrival link at {next}");
            assert!(visited.insert(next), "{next} is reached twice");
            frontier.push(next);
        }
    }
    let unvisited: Vec<_> = tree.hops.keys().filter(|k| !visited.contains(k)).collect();
    assert!(
        unvisited.is_empty(),
        "chips packets never reach: {unvisited:?}"
    );
    let wanted: BTreeSet<_> = targets.iter().copied().collect();
    assert_eq!(delivered, wanted);
}

fn routed(machine: &Machine, source: CoreLocation, targets: &[CoreLocation]) -> MulticastTree {
    let tree = route(machine, source, targets).unwrap();
    check_tree(machine, source, targets, &tree);
    tree
}

#[test]
fn a_target_on_the_source_chip_needs_no_link() {
    let m = Machine::spinn5();
    let tree = routed(&m, core(2, 2, 3), &[core(2, 2, 3), core(2, 2, 9)]);
    assert_eq!(tree.hops.len(), 1);
    let node = tree.hops[&c(2, 2)];
    assert_eq!(node.route.links, 0);
    assert_eq!(node.route.cores().collect::<Vec<_>>(), [3, 9]);
}

#[test]
fn no_targets_leaves_the_source_chip_alone() {
    let m = Machine::spinn5();
    let tree = route(&m, core(1, 1, 4), &[]).unwrap();
    assert_eq!(tree.hops.len(), 1);
    assert!(tree.hops[&c(1, 1)].route.is_empty());
}

#[test]
fn one_target_takes_a_shortest_path() {
    let m = Machine::spinn5();
    let tree = routed(&m, core(0, 0, 5), &[core(7, 7, 2)]);
    assert_eq!(tree.hops.len(), 8);
    for (chip, node) in &tree.hops {
        assert_eq!(chip.x, chip.y, "the diagonal is the only shortest path");
        if *chip != c(7, 7) {
            assert_eq!(
                node.route.links().collect::<Vec<_>>(),
                [Direction::NorthEast]
            );
        }
    }
    assert_eq!(tree.hops[&c(7, 7)].from, Some(Direction::SouthWest));
}

#[test]
fn a_torus_routes_over_wrap_around_links() {
    let m = Machine::spinn5_boards(3).unwrap();
    let tree = routed(&m, core(0, 0, 3), &[core(11, 11, 4), core(0, 11, 4)]);
    assert_eq!(tree.hops.len(), 3);
    assert!(tree.hops[&c(0, 0)].route.has_link(Direction::SouthWest));
    assert!(tree.hops[&c(0, 0)].route.has_link(Direction::South));
}

#[test]
fn targets_branch_from_the_nearest_tree_chip() {
    let m = Machine::spinn5();
    // (5, 5) is one hop past (4, 4): NER extends that branch instead of
    // laying a second path from the source.
    let tree = routed(&m, core(0, 0, 3), &[core(4, 4, 3), core(5, 5, 3)]);
    assert_eq!(tree.hops.len(), 6);
    // A target beside a branch joins it sideways.
    let tree = routed(&m, core(0, 0, 3), &[core(6, 6, 3), core(4, 5, 3)]);
    assert_eq!(tree.hops.len(), 8);
    assert_eq!(tree.hops[&c(4, 5)].from, Some(Direction::South));
}

#[test]
fn nearer_targets_are_routed_first() {
    let m = Machine::spinn5();
    // Taking (3, 4) first would lay (7, 7) -> (4, 4) -> (3, 4) and then
    // (6, 7) beside it; taking the nearer (6, 7) first lets (3, 4) branch
    // from it, one chip fewer.
    let tree = routed(&m, core(7, 7, 3), &[core(3, 4, 3), core(6, 7, 3)]);
    assert_eq!(
        tree.hops.len(),
        5,
        "{:?}",
        tree.hops.keys().collect::<Vec<_>>()
    );
    assert_eq!(tree.hops[&c(6, 7)].from, Some(Direction::East));
}

#[test]
fn every_core_of_a_machine_is_reachable() {
    for m in [Machine::spinn5(), Machine::spinn5_boards(3).unwrap()] {
        let targets: Vec<CoreLocation> = m
            .chips()
            .flat_map(|chip| {
                m.app_cores(chip)
                    .iter()
                    .map(move |p| CoreLocation::new(chip, *p))
            })
            .collect();
        let tree = routed(&m, core(2, 1, 7), &targets);
        assert_eq!(tree.hops.len(), m.n_chips());
    }
}

#[test]
fn dead_links_are_routed_around() {
    let mut m = Machine::spinn5();
    m.mark_link_dead(c(1, 0), Direction::East).unwrap();
    let tree = routed(&m, core(0, 0, 3), &[core(3, 0, 3)]);
    if let Some(node) = tree.hops.get(&c(1, 0)) {
        assert!(!node.route.has_link(Direction::East));
    }
    // Three hops east is the only 3-hop path; the detour costs one more.
    assert_eq!(
        tree.hops.len(),
        5,
        "{:?}",
        tree.hops.keys().collect::<Vec<_>>()
    );
}

#[test]
fn dead_chips_are_routed_around() {
    let mut m = Machine::spinn5_boards(3).unwrap();
    for dead in [c(2, 2), c(3, 3), c(2, 3)] {
        m.mark_chip_dead(dead).unwrap();
    }
    let targets = [core(5, 5, 3), core(4, 4, 8), core(3, 4, 9)];
    let tree = routed(&m, core(0, 0, 3), &targets);
    for dead in [c(2, 2), c(3, 3), c(2, 3)] {
        assert!(!tree.hops.contains_key(&dead), "{dead}");
    }
}

#[test]
fn cut_off_targets_are_named() {
    let mut m = Machine::spinn5();
    // (7, 7) is a corner of the board: three links leave it for other chips.
    for d in [Direction::West, Direction::SouthWest, Direction::South] {
        m.mark_link_dead(c(7, 7), d).unwrap();
    }
    let err = route(
        &m,
        core(0, 0, 3),
        &[core(7, 7, 3), core(3, 3, 3), core(7, 7, 4)],
    )
    .unwrap_err();
    assert_eq!(
        err,
        RouteError::Unreachable {
            from: c(0, 0),
            chips: vec![c(7, 7)]
        }
    );
    assert!(err.to_string().contains("(7, 7)"));
    assert!(err.help().is_some());
    // From the cut-off chip itself, everything else is unreachable.
    let err = route(&m, core(7, 7, 3), &[core(0, 0, 3), core(1, 0, 3)]).unwrap_err();
    assert_eq!(
        err,
        RouteError::Unreachable {
            from: c(7, 7),
            chips: vec![c(0, 0), c(1, 0)]
        }
    );
}

#[test]
fn endpoints_the_machine_lacks_are_errors() {
    let mut m = Machine::spinn5();
    m.mark_chip_dead(c(3, 3)).unwrap();
    m.mark_core_dead(c(1, 1), 9).unwrap();
    assert_eq!(
        route(&m, core(3, 3, 3), &[]),
        Err(RouteError::SourceChipMissing { chip: c(3, 3) })
    );
    assert_eq!(
        route(
            &m,
            core(0, 0, 3),
            &[core(7, 0, 3), core(3, 3, 4), core(1, 1, 3)]
        ),
        Err(RouteError::TargetChipsMissing {
            from: c(0, 0),
            chips: vec![c(3, 3), c(7, 0)]
        })
    );
    assert_eq!(
        route(&m, core(0, 0, 3), &[core(1, 1, 9)]),
        Err(RouteError::DeadCore {
            location: core(1, 1, 9)
        })
    );
    assert_eq!(
        route(&m, core(0, 0, 18), &[]),
        Err(RouteError::DeadCore {
            location: core(0, 0, 18)
        })
    );
}

#[test]
fn trees_depend_only_on_the_set_of_targets() {
    let mut m = Machine::spinn5_boards(3).unwrap();
    m.mark_link_dead(c(3, 3), Direction::North).unwrap();
    let targets = [
        core(9, 2, 3),
        core(4, 4, 5),
        core(11, 7, 3),
        core(1, 9, 4),
        core(6, 6, 3),
    ];
    let first = routed(&m, core(3, 2, 3), &targets);
    let mut shuffled = targets.to_vec();
    shuffled.reverse();
    shuffled.push(targets[1]);
    assert_eq!(route(&m, core(3, 2, 3), &shuffled).unwrap(), first);
    assert_eq!(route(&m, core(3, 2, 3), &targets).unwrap(), first);
}

#[test]
fn route_all_keeps_the_order_of_its_nets() {
    let m = Machine::spinn5();
    let nets = vec![
        Net {
            source: core(0, 0, 3),
            targets: vec![core(4, 4, 3)],
        },
        Net {
            source: core(4, 4, 3),
            targets: vec![core(0, 0, 3), core(7, 7, 3)],
        },
        Net {
            source: core(2, 1, 5),
            targets: vec![],
        },
    ];
    let trees = route_all(&m, &nets).unwrap();
    assert_eq!(trees.len(), 3);
    for (net, tree) in nets.iter().zip(&trees) {
        assert_eq!(tree, &route(&m, net.source, &net.targets).unwrap());
    }
    let bad = vec![
        nets[0].clone(),
        Net {
            source: core(7, 0, 3),
            targets: vec![],
        },
    ];
    assert_eq!(
        route_all(&m, &bad),
        Err(RouteError::SourceChipMissing { chip: c(7, 0) })
    );
}

/// A small deterministic generator, so the test needs no dependency.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n
    }
}

/// Chips reachable from `from` over working links.
fn component(machine: &Machine, from: ChipCoord) -> BTreeSet<ChipCoord> {
    let mut seen = BTreeSet::from([from]);
    let mut stack = vec![from];
    while let Some(chip) = stack.pop() {
        for d in Direction::ALL {
            if let Some(next) = machine.neighbour(chip, d) {
                if seen.insert(next) {
                    stack.push(next);
                }
            }
        }
    }
    seen
}

#[test]
fn random_faults_and_targets() {
    let mut rng = Lcg(0x5eed);
    let mut routed_trees = 0;
    let mut cut_off = 0;
    for round in 0..60 {
        let mut m = if round % 2 == 0 {
            Machine::spinn5_boards(12).unwrap()
        } else {
            Machine::spinn5()
        };
        let chips: Vec<ChipCoord> = m.chips().collect();
        for _ in 0..chips.len() / 4 {
            let chip = chips[rng.below(chips.len())];
            let d = Direction::ALL[rng.below(6)];
            let _ = m.mark_link_dead(chip, d);
        }
        for _ in 0..chips.len() / 20 {
            let _ = m.mark_chip_dead(chips[rng.below(chips.len())]);
        }
        let live: Vec<ChipCoord> = m.chips().collect();
        let source = CoreLocation::new(live[rng.below(live.len())], 4);
        let mut targets: Vec<CoreLocation> = (0..1 + rng.below(40))
            .map(|_| CoreLocation::new(live[rng.below(live.len())], 3 + rng.below(15) as u8))
            .collect();
        if round % 3 == 0 {
            // Random faults rarely cut a chip off; make sure some round does.
            let island = live[rng.below(live.len())];
            for d in Direction::ALL {
                m.mark_link_dead(island, d).unwrap();
            }
            targets.push(CoreLocation::new(island, 5));
        }
        let reachable = component(&m, source.chip);
        let expected_cut: BTreeSet<ChipCoord> = targets
            .iter()
            .map(|t| t.chip)
            .filter(|t| !reachable.contains(t))
            .collect();
        match route(&m, source, &targets) {
            Ok(tree) => {
                assert!(
                    expected_cut.is_empty(),
                    "round {round}: {expected_cut:?} reported reachable"
                );
                check_tree(&m, source, &targets, &tree);
                routed_trees += 1;
            }
            Err(RouteError::Unreachable { from, chips }) => {
                assert_eq!(from, source.chip);
                assert_eq!(
                    chips.into_iter().collect::<BTreeSet<_>>(),
                    expected_cut,
                    "round {round}"
                );
                cut_off += 1;
            }
            Err(other) => panic!("round {round}: {other}"),
        }
    }
    // Both outcomes must have been exercised for the test to mean anything.
    assert!(
        routed_trees > 10 && cut_off > 0,
        "{routed_trees} routed, {cut_off} cut off"
    );
}
