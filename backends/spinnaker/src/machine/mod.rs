//! The machine model: which chips exist, how they are linked, which cores
//! each offers to the application, and how much memory and routing-table
//! space it has.
//!
//! Takes a preset name ([`Machine::preset`]) or a machine file
//! ([`Machine::from_toml`]); gives a [`Machine`] that placement, routing
//! and table generation read and never change. Faults are part of the
//! model rather than a separate list, so a stage cannot forget them: a
//! dead chip is simply absent, a dead core is not among its chip's cores,
//! and a dead link is dead in both directions, so [`Machine::link_usable`]
//! is symmetric and a path found from either end can be used from the
//! other.
//!
//! Coordinates follow SpiNNaker: a chip's six links are numbered as in
//! [`Direction`], and on a torus the grid wraps at `width` and `height`.
//! Distances are hop counts on that hexagonal grid ([`Machine::hop_distance`]).

mod board;
mod error;
mod file;
mod preset;

pub use error::MachineError;
pub use preset::{MAX_BOARDS, PRESET_NAMES};

use crate::geometry::{ChipCoord, Direction};
use std::collections::BTreeMap;

/// A core on a chip: where a vertex is placed, and where multicast packets
/// are delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CoreLocation {
    pub chip: ChipCoord,
    /// The processor number, as in a route word.
    pub core: u8,
}

impl CoreLocation {
    pub const fn new(chip: ChipCoord, core: u8) -> Self {
        CoreLocation { chip, core }
    }
}

impl std::fmt::Display for CoreLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "core {} of chip {}", self.core, self.chip)
    }
}

/// Which SpiNNaker.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Generation {
    /// 18 ARM968 cores a chip, 1023 routing entries.
    Spinnaker1,
    /// 152 ARM Cortex-M4F processing elements a chip, 16,384 routing entries.
    Spinnaker2,
}

/// What every chip of a machine has when nothing on it is dead.
///
/// The system software's cores are not listed by number: they are the
/// lowest-numbered live cores of each chip (as SC&MP picks its monitor from
/// the cores that pass their self-test), so a dead core among them moves
/// the reservation up instead of leaving a chip without a monitor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChipSpec {
    pub generation: Generation,
    /// Processors a chip, numbered from 0.
    pub cores: u8,
    /// Cores kept for system software on an ordinary chip.
    pub reserved_cores: u8,
    /// Cores kept for system software on a chip with an Ethernet link.
    pub reserved_cores_ethernet: u8,
    /// Multicast routing-table entries a router holds.
    pub routing_entries: u32,
    /// Shared memory a chip gives the application (SDRAM, or DRAM on
    /// SpiNNaker2), in bytes.
    pub sdram_bytes: u64,
    /// Private data memory a core has (DTCM, or a PE's SRAM), in bytes.
    pub core_memory_bytes: u32,
}

/// One live chip.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chip {
    ethernet: ChipCoord,
    /// Live cores, ascending.
    live_cores: Vec<u8>,
    /// How many of the lowest live cores system software takes.
    reserved: u8,
    /// Bit `d` set: link `d` is dead.
    dead_links: u8,
}

impl Chip {
    /// The Ethernet chip of this chip's board (which may itself be dead:
    /// boards are wired whether or not their chips work).
    pub fn ethernet(&self) -> ChipCoord {
        self.ethernet
    }

    /// Cores that work, including those kept for system software; ascending.
    pub fn live_cores(&self) -> &[u8] {
        &self.live_cores
    }

    /// Cores the application may use; ascending.
    pub fn app_cores(&self) -> &[u8] {
        let reserved = (self.reserved as usize).min(self.live_cores.len());
        &self.live_cores[reserved..]
    }

    pub fn is_core_live(&self, core: u8) -> bool {
        self.live_cores.binary_search(&core).is_ok()
    }
}

/// A SpiNNaker machine: its chips, their cores and links, and their
/// resources.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Machine {
    name: String,
    spec: ChipSpec,
    width: u16,
    height: u16,
    wraps: bool,
    chips: BTreeMap<ChipCoord, Chip>,
}

impl Machine {
    /// Builds a fault-free machine from a layout.
    fn from_layout(name: String, spec: ChipSpec, layout: board::Layout) -> Machine {
        let chips = layout
            .chips
            .into_iter()
            .map(|(coord, ethernet)| {
                let reserved = if coord == ethernet {
                    spec.reserved_cores_ethernet
                } else {
                    spec.reserved_cores
                };
                let chip = Chip {
                    ethernet,
                    live_cores: (0..spec.cores).collect(),
                    reserved,
                    dead_links: 0,
                };
                (coord, chip)
            })
            .collect();
        Machine {
            name,
            spec,
            width: layout.width,
            height: layout.height,
            wraps: layout.wraps,
            chips,
        }
    }

    /// The preset this machine was built from, e.g. `spinn5x3`.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn spec(&self) -> &ChipSpec {
        &self.spec
    }

    /// Lowers the routing entries a router offers (at least 1, at most the
    /// preset's).
    pub fn limit_routing_entries(&mut self, entries: u32) -> Result<(), MachineError> {
        if entries == 0 || entries > self.spec.routing_entries {
            return Err(MachineError::RoutingEntries {
                entries,
                max: self.spec.routing_entries,
            });
        }
        self.spec.routing_entries = entries;
        Ok(())
    }

    /// Width of the chip grid; on a torus, where x wraps.
    pub fn width(&self) -> u16 {
        self.width
    }

    /// Height of the chip grid; on a torus, where y wraps.
    pub fn height(&self) -> u16 {
        self.height
    }

    /// Whether links leaving one edge of the grid arrive at the opposite one.
    pub fn wraps(&self) -> bool {
        self.wraps
    }

    /// Live chips, ordered by x then y.
    pub fn chips(&self) -> impl Iterator<Item = ChipCoord> + '_ {
        self.chips.keys().copied()
    }

    pub fn chip(&self, coord: ChipCoord) -> Option<&Chip> {
        self.chips.get(&coord)
    }

    /// Whether `coord` is a live chip.
    pub fn has_chip(&self, coord: ChipCoord) -> bool {
        self.chips.contains_key(&coord)
    }

    pub fn n_chips(&self) -> usize {
        self.chips.len()
    }

    /// The application cores of a chip, ascending; empty for a chip that is
    /// dead or not in the machine.
    pub fn app_cores(&self, coord: ChipCoord) -> &[u8] {
        self.chip(coord).map_or(&[], Chip::app_cores)
    }

    /// Application cores over the whole machine.
    pub fn n_app_cores(&self) -> usize {
        self.chips.values().map(|c| c.app_cores().len()).sum()
    }

    /// Whether `coord` is a live chip with the Ethernet link of its board.
    pub fn is_ethernet(&self, coord: ChipCoord) -> bool {
        self.chip(coord).is_some_and(|c| c.ethernet == coord)
    }

    /// Live Ethernet chips, ordered by x then y.
    pub fn ethernet_chips(&self) -> impl Iterator<Item = ChipCoord> + '_ {
        self.chips
            .iter()
            .filter(|(coord, chip)| chip.ethernet == **coord)
            .map(|(coord, _)| *coord)
    }

    /// The grid position one hop from `from` along `direction`, wrapping on
    /// a torus; `None` past the edge of a machine that does not wrap. Says
    /// nothing about whether a chip is there or the link works: see
    /// [`Machine::neighbour`].
    pub fn step(&self, from: ChipCoord, direction: Direction) -> Option<ChipCoord> {
        let (dx, dy) = direction.delta();
        let x = i32::from(from.x) + dx;
        let y = i32::from(from.y) + dy;
        let (w, h) = (i32::from(self.width), i32::from(self.height));
        let (x, y) = if self.wraps {
            (x.rem_euclid(w), y.rem_euclid(h))
        } else if (0..w).contains(&x) && (0..h).contains(&y) {
            (x, y)
        } else {
            return None;
        };
        Some(ChipCoord::new(x as u16, y as u16))
    }

    /// The chip across link `direction` of `from`, if packets can cross:
    /// both chips live and the link working.
    pub fn neighbour(&self, from: ChipCoord, direction: Direction) -> Option<ChipCoord> {
        let chip = self.chip(from)?;
        if chip.dead_links & (1 << direction as u8) != 0 {
            return None;
        }
        self.step(from, direction).filter(|to| self.has_chip(*to))
    }

    /// Whether packets can cross link `direction` of `from`.
    pub fn link_usable(&self, from: ChipCoord, direction: Direction) -> bool {
        self.neighbour(from, direction).is_some()
    }

    /// The shortest displacement from `a` to `b`: the plain difference on a
    /// mesh; on a torus the wrap-around image with the fewest hops (ties go
    /// to the least wrapped one).
    pub fn shortest_vector(&self, a: ChipCoord, b: ChipCoord) -> (i32, i32) {
        let dx = i32::from(b.x) - i32::from(a.x);
        let dy = i32::from(b.y) - i32::from(a.y);
        if !self.wraps {
            return (dx, dy);
        }
        let (w, h) = (i32::from(self.width), i32::from(self.height));
        let (dx, dy) = (dx.rem_euclid(w), dy.rem_euclid(h));
        // For a fixed sign of one component the hop count never falls as its
        // magnitude grows, so only the smallest non-negative and the largest
        // negative image of each component can be shortest.
        [(dx, dy), (dx, dy - h), (dx - w, dy), (dx - w, dy - h)]
            .into_iter()
            .min_by_key(|&(x, y)| hex_length(x, y))
            .unwrap_or((dx, dy))
    }

    /// Hops between two grid positions on the hexagonal grid, using
    /// wrap-around links where the machine has them. Dead chips and links
    /// are ignored: this is the metric routing steers by, not the length of
    /// the path it finds.
    pub fn hop_distance(&self, a: ChipCoord, b: ChipCoord) -> u32 {
        let (dx, dy) = self.shortest_vector(a, b);
        hex_length(dx, dy)
    }

    /// Marks a chip dead: it and its cores disappear, and so do the links
    /// of its neighbours that lead to it.
    pub fn mark_chip_dead(&mut self, coord: ChipCoord) -> Result<(), MachineError> {
        self.chips
            .remove(&coord)
            .map(|_| ())
            .ok_or(MachineError::NoSuchChip { chip: coord })
    }

    /// Marks a core dead; if it was one system software used, the next live
    /// core takes its place.
    pub fn mark_core_dead(&mut self, coord: ChipCoord, core: u32) -> Result<(), MachineError> {
        let cores = self.spec.cores;
        let chip = self
            .chips
            .get_mut(&coord)
            .ok_or(MachineError::NoSuchChip { chip: coord })?;
        let index =
            u8::try_from(core)
                .ok()
                .filter(|c| *c < cores)
                .ok_or(MachineError::NoSuchCore {
                    chip: coord,
                    core,
                    cores,
                })?;
        chip.live_cores.retain(|c| *c != index);
        Ok(())
    }

    /// Marks a link dead in both directions. A link that leaves the edge of
    /// a machine without wrap-around has no far end to update.
    pub fn mark_link_dead(
        &mut self,
        coord: ChipCoord,
        direction: Direction,
    ) -> Result<(), MachineError> {
        let far = self.step(coord, direction);
        let chip = self
            .chips
            .get_mut(&coord)
            .ok_or(MachineError::NoSuchChip { chip: coord })?;
        chip.dead_links |= 1 << direction as u8;
        if let Some(far_chip) = far.and_then(|f| self.chips.get_mut(&f)) {
            far_chip.dead_links |= 1 << direction.opposite() as u8;
        }
        Ok(())
    }
}

/// Hops of a displacement on SpiNNaker's hexagonal grid, whose third axis
/// is the north-east diagonal: when both components have the same sign
/// the diagonal covers the shorter one for free.
pub fn hex_length(dx: i32, dy: i32) -> u32 {
    if (dx >= 0) == (dy >= 0) {
        dx.unsigned_abs().max(dy.unsigned_abs())
    } else {
        dx.unsigned_abs() + dy.unsigned_abs()
    }
}

#[cfg(test)]
mod tests;
