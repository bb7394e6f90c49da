use super::*;

fn c(x: u16, y: u16) -> ChipCoord {
    ChipCoord::new(x, y)
}

#[test]
fn one_board_has_48_chips_and_one_ethernet() {
    let m = Machine::spinn5();
    assert_eq!(m.n_chips(), 48);
    assert_eq!((m.width(), m.height(), m.wraps()), (8, 8, false));
    // The corners of the 8×8 box that the hexagon leaves out.
    for corner in [c(7, 0), c(0, 7), c(6, 0), c(0, 5)] {
        assert!(!m.has_chip(corner), "{corner}");
    }
    assert_eq!(m.ethernet_chips().collect::<Vec<_>>(), [c(0, 0)]);
    assert!(m.is_ethernet(c(0, 0)));
    assert!(!m.is_ethernet(c(1, 0)));
    assert!(!m.is_ethernet(c(7, 0)));
    assert!(m
        .chips()
        .all(|chip| m.chip(chip).unwrap().ethernet() == c(0, 0)));
}

#[test]
fn chips_come_in_coordinate_order() {
    let m = Machine::spinn5_boards(3).unwrap();
    let chips: Vec<_> = m.chips().collect();
    let mut sorted = chips.clone();
    sorted.sort();
    assert_eq!(chips, sorted);
    assert_eq!(chips.first(), Some(&c(0, 0)));
}

#[test]
fn ordinary_chips_offer_16_cores_ethernet_chips_15() {
    let m = Machine::spinn5();
    assert_eq!(m.app_cores(c(0, 0)), (3..18).collect::<Vec<u8>>());
    assert_eq!(m.app_cores(c(3, 2)), (2..18).collect::<Vec<u8>>());
    assert_eq!(m.app_cores(c(7, 0)), &[] as &[u8]);
    assert_eq!(m.n_app_cores(), 47 * 16 + 15);
    let triad = Machine::spinn5_boards(3).unwrap();
    assert_eq!(triad.n_app_cores(), 141 * 16 + 3 * 15);
    for eth in [c(0, 0), c(4, 8), c(8, 4)] {
        assert!(triad.is_ethernet(eth), "{eth}");
        assert_eq!(triad.app_cores(eth).len(), 15);
    }
    assert_eq!(m.spec().routing_entries, 1023);
    assert_eq!(m.spec().sdram_bytes, 123_469_792);
    assert_eq!(m.spec().core_memory_bytes, 65_536);
}

#[test]
fn dead_cores_leave_the_application() {
    let mut m = Machine::spinn5();
    m.mark_core_dead(c(1, 1), 7).unwrap();
    m.mark_core_dead(c(1, 1), 17).unwrap();
    let cores = m.app_cores(c(1, 1));
    assert_eq!(cores.len(), 14);
    assert!(!cores.contains(&7) && !cores.contains(&17));
    assert!(!m.chip(c(1, 1)).unwrap().is_core_live(7));
    // A dead monitor core moves the reservation up rather than vanishing.
    m.mark_core_dead(c(2, 2), 0).unwrap();
    assert_eq!(m.app_cores(c(2, 2)), (3..18).collect::<Vec<u8>>());
    // Killing every core leaves a chip with none to offer, not a panic.
    for core in 0..18 {
        m.mark_core_dead(c(3, 3), core).unwrap();
    }
    assert!(m.app_cores(c(3, 3)).is_empty());
    assert_eq!(
        m.mark_core_dead(c(1, 1), 18),
        Err(MachineError::NoSuchCore {
            chip: c(1, 1),
            core: 18,
            cores: 18
        })
    );
    assert_eq!(
        m.mark_core_dead(c(7, 0), 1),
        Err(MachineError::NoSuchChip { chip: c(7, 0) })
    );
}

#[test]
fn hop_distance_on_a_board() {
    let m = Machine::spinn5();
    assert_eq!(m.hop_distance(c(0, 0), c(0, 0)), 0);
    // Same-sign displacements ride the north-east diagonal.
    assert_eq!(m.hop_distance(c(0, 0), c(7, 7)), 7);
    assert_eq!(m.hop_distance(c(0, 0), c(4, 7)), 7);
    assert_eq!(m.hop_distance(c(7, 7), c(0, 0)), 7);
    // Opposite signs cannot.
    assert_eq!(m.hop_distance(c(0, 3), c(4, 0)), 7);
    assert_eq!(m.hop_distance(c(7, 3), c(4, 7)), 7);
    // No wrap-around on one board: (0, 0) to (7, 3) is the long way.
    assert_eq!(m.hop_distance(c(0, 0), c(7, 3)), 7);
}

#[test]
fn hop_distance_wraps_on_a_torus() {
    let m = Machine::spinn5_boards(3).unwrap();
    assert_eq!(m.hop_distance(c(0, 0), c(11, 11)), 1);
    assert_eq!(m.hop_distance(c(0, 0), c(11, 0)), 1);
    assert_eq!(m.hop_distance(c(0, 0), c(0, 11)), 1);
    assert_eq!(m.hop_distance(c(0, 0), c(1, 11)), 2);
    assert_eq!(m.hop_distance(c(0, 0), c(6, 6)), 6);
    assert_eq!(m.hop_distance(c(0, 0), c(6, 0)), 6);
    assert_eq!(m.hop_distance(c(2, 10), c(10, 2)), 8);
    assert_eq!(m.shortest_vector(c(0, 0), c(11, 11)), (-1, -1));
    assert_eq!(m.shortest_vector(c(11, 11), c(0, 0)), (1, 1));
    // Symmetric, and never more than the distance without wrap-around.
    let flat = Machine::spinn5();
    for a in flat.chips() {
        for b in flat.chips() {
            assert_eq!(m.hop_distance(a, b), m.hop_distance(b, a));
            assert!(m.hop_distance(a, b) <= flat.hop_distance(a, b));
        }
    }
}

#[test]
fn the_hex_metric_counts_hops_of_a_breadth_first_search() {
    // On a fault-free torus the metric must equal the true path length.
    let m = Machine::spinn5_boards(3).unwrap();
    let from = c(5, 7);
    let mut dist = BTreeMap::from([(from, 0u32)]);
    let mut frontier = vec![from];
    while !frontier.is_empty() {
        let mut next = Vec::new();
        for chip in frontier {
            for d in Direction::ALL {
                let n = m.neighbour(chip, d).unwrap();
                if !dist.contains_key(&n) {
                    dist.insert(n, dist[&chip] + 1);
                    next.push(n);
                }
            }
        }
        frontier = next;
    }
    assert_eq!(dist.len(), 144);
    for (chip, hops) in dist {
        assert_eq!(m.hop_distance(from, chip), hops, "{chip}");
    }
}

#[test]
fn links_are_symmetric() {
    for mut m in [Machine::spinn5(), Machine::spinn5_boards(3).unwrap()] {
        m.mark_link_dead(c(2, 2), Direction::North).unwrap();
        m.mark_chip_dead(c(4, 4)).unwrap();
        for chip in m.chips().collect::<Vec<_>>() {
            for d in Direction::ALL {
                if let Some(n) = m.neighbour(chip, d) {
                    assert_eq!(m.neighbour(n, d.opposite()), Some(chip), "{chip} {d:?}");
                }
            }
        }
    }
}

#[test]
fn neighbours_on_a_board_and_a_torus() {
    let board = Machine::spinn5();
    assert_eq!(
        board.neighbour(c(0, 0), Direction::NorthEast),
        Some(c(1, 1))
    );
    assert_eq!(board.neighbour(c(0, 0), Direction::West), None);
    assert_eq!(
        board.neighbour(c(4, 0), Direction::East),
        None,
        "off the hexagon"
    );
    assert_eq!(board.step(c(4, 0), Direction::East), Some(c(5, 0)));
    assert_eq!(board.step(c(7, 7), Direction::North), None);
    // Inside a board every chip has six live links iff it is not on the edge.
    let inner = Direction::ALL
        .iter()
        .filter(|d| board.link_usable(c(3, 3), **d))
        .count();
    assert_eq!(inner, 6);

    let torus = Machine::spinn5_boards(3).unwrap();
    assert_eq!(torus.neighbour(c(0, 0), Direction::West), Some(c(11, 0)));
    assert_eq!(
        torus.neighbour(c(0, 0), Direction::SouthWest),
        Some(c(11, 11))
    );
    assert_eq!(
        torus.neighbour(c(11, 5), Direction::NorthEast),
        Some(c(0, 6))
    );
    for chip in torus.chips() {
        assert!(Direction::ALL.iter().all(|d| torus.link_usable(chip, *d)));
    }
}

#[test]
fn dead_links_and_chips() {
    let mut m = Machine::spinn5_boards(3).unwrap();
    m.mark_link_dead(c(0, 0), Direction::West).unwrap();
    assert!(!m.link_usable(c(0, 0), Direction::West));
    assert!(!m.link_usable(c(11, 0), Direction::East));
    assert!(m.link_usable(c(0, 0), Direction::East));
    m.mark_chip_dead(c(5, 5)).unwrap();
    assert!(!m.has_chip(c(5, 5)));
    assert!(!m.link_usable(c(4, 4), Direction::NorthEast));
    assert!(!m.link_usable(c(5, 5), Direction::East));
    assert_eq!(m.n_chips(), 143);
    assert_eq!(
        m.mark_chip_dead(c(5, 5)),
        Err(MachineError::NoSuchChip { chip: c(5, 5) })
    );
    assert_eq!(
        m.mark_link_dead(c(5, 5), Direction::East),
        Err(MachineError::NoSuchChip { chip: c(5, 5) })
    );
    // A dead Ethernet chip is no longer an Ethernet chip of the machine,
    // though its board's chips still name it.
    m.mark_chip_dead(c(8, 4)).unwrap();
    assert!(!m.is_ethernet(c(8, 4)));
    assert_eq!(m.chip(c(9, 5)).unwrap().ethernet(), c(8, 4));
}
