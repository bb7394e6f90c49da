//! The vocabulary every stage shares: chips, links, route words, multicast
//! trees and routing entries.
//!
//! These are plain data. The stages that make them live in their own
//! modules; keeping the types here lets routing and table generation be
//! built and tested independently.

use std::collections::BTreeMap;

/// A chip's position in the machine's (x, y) grid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ChipCoord {
    pub x: u16,
    pub y: u16,
}

impl ChipCoord {
    pub const fn new(x: u16, y: u16) -> Self {
        ChipCoord { x, y }
    }
}

impl std::fmt::Display for ChipCoord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "({}, {})", self.x, self.y)
    }
}

/// One of a chip's six links, numbered as SpiNNaker numbers them (and as
/// the bits 0..=5 of a route word).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Direction {
    East = 0,
    NorthEast = 1,
    North = 2,
    West = 3,
    SouthWest = 4,
    South = 5,
}

impl Direction {
    pub const ALL: [Direction; 6] = [
        Direction::East,
        Direction::NorthEast,
        Direction::North,
        Direction::West,
        Direction::SouthWest,
        Direction::South,
    ];

    /// The link a packet sent this way arrives on at the next chip.
    pub fn opposite(self) -> Direction {
        Direction::ALL[(self as usize + 3) % 6]
    }

    /// SpiNNaker's short name: E, NE, N, W, SW, S.
    pub fn short_name(self) -> &'static str {
        match self {
            Direction::East => "E",
            Direction::NorthEast => "NE",
            Direction::North => "N",
            Direction::West => "W",
            Direction::SouthWest => "SW",
            Direction::South => "S",
        }
    }

    /// (dx, dy) of one hop this way, before wrap-around.
    pub fn delta(self) -> (i32, i32) {
        match self {
            Direction::East => (1, 0),
            Direction::NorthEast => (1, 1),
            Direction::North => (0, 1),
            Direction::West => (-1, 0),
            Direction::SouthWest => (-1, -1),
            Direction::South => (0, -1),
        }
    }
}

/// A router's output set: some of the six links and some of the chip's
/// processors.
///
/// SpiNNaker1 packs this into one 32-bit word (bits 0..=5 links, 6..=23
/// processors 0..=17, see [`Route::word`]); SpiNNaker2 chips have 152
/// processing elements, so the processor set here has room for 192.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Route {
    /// Bit `d` set: out of link `d` (see [`Direction`]).
    pub links: u8,
    /// Bit `p` of the 192-bit little-endian set: to processor `p`.
    pub cores: [u64; 3],
}

impl Route {
    pub const EMPTY: Route = Route {
        links: 0,
        cores: [0; 3],
    };

    pub fn link(d: Direction) -> Route {
        Route {
            links: 1 << d as u8,
            ..Route::EMPTY
        }
    }

    /// Processor `p` (must be below 192).
    pub fn core(p: u8) -> Route {
        let mut cores = [0u64; 3];
        cores[p as usize / 64] = 1 << (p % 64);
        Route { links: 0, cores }
    }

    pub fn union(self, other: Route) -> Route {
        Route {
            links: self.links | other.links,
            cores: [
                self.cores[0] | other.cores[0],
                self.cores[1] | other.cores[1],
                self.cores[2] | other.cores[2],
            ],
        }
    }

    pub fn has_link(self, d: Direction) -> bool {
        self.links & (1 << d as u8) != 0
    }

    pub fn has_core(self, p: u8) -> bool {
        (p as usize) < 192 && self.cores[p as usize / 64] & (1 << (p % 64)) != 0
    }

    pub fn links(self) -> impl Iterator<Item = Direction> {
        Direction::ALL
            .into_iter()
            .filter(move |d| self.has_link(*d))
    }

    pub fn cores(self) -> impl Iterator<Item = u8> {
        (0..192u16)
            .map(|p| p as u8)
            .filter(move |p| self.has_core(*p))
    }

    pub fn is_empty(self) -> bool {
        self == Route::EMPTY
    }

    /// SpiNNaker1's route word, or `None` if a processor above 17 is set.
    pub fn word(self) -> Option<u32> {
        if self.cores[0] >> 18 != 0 || self.cores[1] != 0 || self.cores[2] != 0 {
            return None;
        }
        Some(self.links as u32 | (self.cores[0] as u32) << 6)
    }
}

/// As `routing_tables.txt` writes a route: links (E NE N W SW S), then
/// processors `p<n>`; `drop` for none.
impl std::fmt::Display for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_empty() {
            return f.write_str("drop");
        }
        let links = self.links().map(|d| d.short_name().to_string());
        let cores = self.cores().map(|p| format!("p{p}"));
        f.write_str(&links.chain(cores).collect::<Vec<_>>().join(" "))
    }
}

/// The multicast tree of one source (one outgoing key range): for every chip
/// the packets visit, the link they arrive on (`None` on the source chip,
/// where they come from a local core) and where the router sends them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MulticastTree {
    pub source: ChipCoord,
    pub hops: BTreeMap<ChipCoord, TreeNode>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TreeNode {
    /// The link the packets arrive on; `None` where they are injected.
    pub from: Option<Direction>,
    pub route: Route,
}

/// A key and mask: a packet with key `k` matches when `k & mask == key`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyMask {
    pub key: u32,
    pub mask: u32,
}

impl KeyMask {
    pub fn matches(self, k: u32) -> bool {
        k & self.mask == self.key
    }
}

/// One multicast routing-table entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RoutingEntry {
    pub key_mask: KeyMask,
    pub route: Route,
}

impl RoutingEntry {
    pub fn new(key: u32, mask: u32, route: Route) -> RoutingEntry {
        RoutingEntry {
            key_mask: KeyMask { key, mask },
            route,
        }
    }
}
