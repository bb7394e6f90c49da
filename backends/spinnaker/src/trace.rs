//! Packet tracing: where the emitted routing tables really send a key.
//!
//! The compressor's checker proves each table equivalent to the table
//! generated from the trees; tracing closes the remaining gap, between the
//! trees and what routers do with the tables, default routing included. A
//! packet is followed from the chip that injects it: at each router the
//! first matching entry decides, or, with no match, default routing sends
//! it straight on (out of the link opposite the one it came in on). The
//! build traces every sending core's key and compares the cores reached
//! with the cores that need its spikes.

use crate::geometry::{ChipCoord, Direction, Route, RoutingEntry};
use crate::machine::{CoreLocation, Machine};
use std::collections::{BTreeMap, BTreeSet};

/// Why a packet did not arrive where its routes say.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TraceError {
    #[error("key {key:#010x} matches no entry on chip {chip}, where it is injected")]
    Dropped { key: u32, chip: ChipCoord },
    #[error("key {key:#010x} leaves chip {chip} by a dead or missing link {link:?}")]
    DeadLink {
        key: u32,
        chip: ChipCoord,
        link: Direction,
    },
    #[error("key {key:#010x} loops through chip {chip}")]
    Loop { key: u32, chip: ChipCoord },
}

/// Every chip's table, by chip.
pub type Tables<'a> = BTreeMap<ChipCoord, &'a [RoutingEntry]>;

/// The route a router gives `key` arriving on `from` (`None`: injected).
pub fn lookup(table: &[RoutingEntry], key: u32, from: Option<Direction>) -> Option<Route> {
    match table.iter().find(|e| e.key_mask.matches(key)) {
        Some(e) => Some(e.route),
        None => from.map(|l| Route::link(l.opposite())),
    }
}

/// The cores a packet with `key` injected on `source` reaches.
pub fn trace(
    machine: &Machine,
    tables: &Tables<'_>,
    source: ChipCoord,
    key: u32,
) -> Result<BTreeSet<CoreLocation>, TraceError> {
    let mut reached = BTreeSet::new();
    let mut seen: BTreeSet<ChipCoord> = BTreeSet::new();
    let mut queue = vec![(source, None::<Direction>)];
    while let Some((chip, from)) = queue.pop() {
        // A multicast tree visits a chip once; a second visit is a loop.
        if !seen.insert(chip) {
            return Err(TraceError::Loop { key, chip });
        }
        let table = tables.get(&chip).copied().unwrap_or(&[]);
        let Some(route) = lookup(table, key, from) else {
            return Err(TraceError::Dropped { key, chip });
        };
        reached.extend(route.cores().map(|p| CoreLocation::new(chip, p)));
        for link in route.links() {
            let Some(next) = machine.neighbour(chip, link) else {
                return Err(TraceError::DeadLink { key, chip, link });
            };
            queue.push((next, Some(link.opposite())));
        }
    }
    Ok(reached)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::KeyMask;

    fn entry(key: u32, mask: u32, route: Route) -> RoutingEntry {
        RoutingEntry {
            key_mask: KeyMask { key, mask },
            route,
        }
    }

    #[test]
    fn default_routing_carries_a_packet_straight_on() {
        let m = Machine::spinn5();
        let (a, c) = (ChipCoord::new(0, 0), ChipCoord::new(2, 0));
        // Out east at (0,0); no entry at (1,0); delivered to core 5 at (2,0).
        let t0 = [entry(0x100, 0xffff_ff00, Route::link(Direction::East))];
        let t2 = [entry(0x100, 0xffff_ff00, Route::core(5))];
        let tables: Tables = [(a, &t0[..]), (c, &t2[..])].into_iter().collect();
        let got = trace(&m, &tables, a, 0x105).unwrap();
        assert_eq!(got, [CoreLocation::new(c, 5)].into_iter().collect());
    }

    #[test]
    fn an_unmatched_injected_packet_is_dropped() {
        let m = Machine::spinn5();
        let tables: Tables = BTreeMap::new();
        let err = trace(&m, &tables, ChipCoord::new(0, 0), 7).unwrap_err();
        assert!(matches!(err, TraceError::Dropped { .. }));
    }

    #[test]
    fn a_route_off_the_board_is_reported() {
        let m = Machine::spinn5();
        // (0,0) has no western neighbour on a single board.
        let t0 = [entry(0, 0, Route::link(Direction::West))];
        let tables: Tables = [(ChipCoord::new(0, 0), &t0[..])].into_iter().collect();
        let err = trace(&m, &tables, ChipCoord::new(0, 0), 1).unwrap_err();
        assert!(matches!(err, TraceError::DeadLink { .. }));
    }

    #[test]
    fn routes_that_come_back_are_loops() {
        let m = Machine::spinn5();
        let (a, b) = (ChipCoord::new(0, 0), ChipCoord::new(1, 0));
        let ta = [entry(0, 0, Route::link(Direction::East))];
        let tb = [entry(0, 0, Route::link(Direction::West))];
        let tables: Tables = [(a, &ta[..]), (b, &tb[..])].into_iter().collect();
        let err = trace(&m, &tables, a, 3).unwrap_err();
        assert!(matches!(err, TraceError::Loop { .. }));
    }
}
