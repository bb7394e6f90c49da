//! The machines one can name: SpiNN-5 boards alone or tiled in triads, and
//! their SpiNNaker2 counterparts.
//!
//! Where the numbers come from:
//! - SpiNNaker1 chips (spinn_machine `VersionSpin1`): 18 cores, 1023
//!   multicast routing entries, 123,469,792 bytes of SDRAM left to the
//!   application, 64 KiB of DTCM a core.
//! - Reserved cores follow sPyNNaker's defaults: core 0 runs the monitor
//!   (SC&MP), and SpiNNFrontEndCommon puts an extra monitor on every chip
//!   and a data-speed-up packet gatherer on every Ethernet chip
//!   (`PreAllocateResourcesForExtraMonitorSupport`), so 16 application
//!   cores remain on an ordinary chip and 15 on an Ethernet chip.
//!   (Real SpiNN-5 boards ship with a few 17-core chips; a machine file
//!   lists such cores as dead.)
//! - SpiNNaker2 chips (spinn_machine `VersionSpin2`): 152 processing
//!   elements and 16,384 routing entries. spinn_machine's virtual
//!   SpiNNaker2 chip keeps PE 0 as its monitor and offers the rest, so we
//!   reserve one PE on every chip (there is no extra monitor or packet
//!   gatherer for SpiNNaker2) and leave 151 application PEs. Memory:
//!   spinn_machine plans with 1 GiB of DRAM a chip (the chip's LPDDR4 is
//!   quoted at 2 GB; we take the planner's smaller figure) and each PE has
//!   128 KiB of local SRAM (Höppner et al. 2021: 152 × 128 KiB ≈ the 19 MB
//!   of on-chip SRAM quoted for the chip).
//! - Multi-board machines: spinn_machine's `virtual_machine_by_boards(n)`
//!   groups boards into `t = ceil(n / 3)` triads arranged `w = ceil(sqrt
//!   t)` across and `h = ceil(t / w)` up. It then builds a
//!   `12w + 4` × `12h + 4` grid without wrap-around, the shape of a
//!   spalloc allocation cut out of a larger machine. We keep its triad
//!   arithmetic but build the whole `12w` × `12h` torus, the shape of a
//!   machine of `3wh` boards wired on its own (a triad is the smallest
//!   such torus); a request is rounded up to whole triads, as there.

use super::board::{self, TRIAD};
use super::{ChipSpec, Generation, Machine, MachineError};

impl ChipSpec {
    /// A SpiNNaker1 chip as sPyNNaker runs it.
    pub const SPINNAKER1: ChipSpec = ChipSpec {
        generation: Generation::Spinnaker1,
        cores: 18,
        reserved_cores: 2,
        reserved_cores_ethernet: 3,
        routing_entries: 1023,
        sdram_bytes: 123_469_792,
        core_memory_bytes: 64 * 1024,
    };

    /// A SpiNNaker2 chip (see the module documentation for the choices).
    pub const SPINNAKER2: ChipSpec = ChipSpec {
        generation: Generation::Spinnaker2,
        cores: 152,
        reserved_cores: 1,
        reserved_cores_ethernet: 1,
        routing_entries: 16_384,
        sdram_bytes: 1 << 30,
        core_memory_bytes: 128 * 1024,
    };
}

/// The largest number of boards a preset may ask for: chip coordinates stay
/// below 256 (SpiNNaker1's point-to-point addresses are 8-bit), so at most
/// 21 × 21 triads. The million-core machine (1200 boards) fits.
pub const MAX_BOARDS: u32 = 3 * 21 * 21;

/// The preset names [`Machine::preset`] knows, for help lines.
pub const PRESET_NAMES: &str = "spinn5, spinn5xN, spinnaker2, spinnaker2xN";

impl Machine {
    /// One SpiNN-5 board: 48 chips, no wrap-around.
    pub fn spinn5() -> Machine {
        Machine::from_layout("spinn5".into(), ChipSpec::SPINNAKER1, board::single_board())
    }

    /// At least `boards` SpiNN-5 boards: one board alone, or whole triads
    /// wired as a torus (see the module documentation).
    pub fn spinn5_boards(boards: u32) -> Result<Machine, MachineError> {
        Machine::boards("spinn5", ChipSpec::SPINNAKER1, boards)
    }

    /// At least `boards` 48-chip SpiNNaker2 boards, laid out as SpiNN-5
    /// boards are (spinn_machine's `Version248` shares their geometry).
    pub fn spinnaker2(boards: u32) -> Result<Machine, MachineError> {
        Machine::boards("spinnaker2", ChipSpec::SPINNAKER2, boards)
    }

    fn boards(family: &str, spec: ChipSpec, boards: u32) -> Result<Machine, MachineError> {
        if boards == 0 || boards > MAX_BOARDS {
            return Err(MachineError::BoardCount {
                boards,
                max: MAX_BOARDS,
            });
        }
        if boards == 1 {
            return Ok(Machine::from_layout(
                family.into(),
                spec,
                board::single_board(),
            ));
        }
        let triads = boards.div_ceil(3);
        let across = ceil_sqrt(triads);
        let up = triads.div_ceil(across);
        // MAX_BOARDS keeps both below 256 / TRIAD, so these fit in u16.
        let (across, up) = (across as u16, up as u16);
        let n = 3 * u32::from(across) * u32::from(up);
        debug_assert!(TRIAD * across <= 256 && TRIAD * up <= 256);
        Ok(Machine::from_layout(
            format!("{family}x{n}"),
            spec,
            board::triads(across, up),
        ))
    }

    /// A machine by preset name: `spinn5`, `spinn5xN` (at least N SpiNN-5
    /// boards), `spinnaker2`, `spinnaker2xN`.
    pub fn preset(name: &str) -> Result<Machine, MachineError> {
        let unknown = || MachineError::UnknownPreset { name: name.into() };
        let (family, boards) = match name.split_once('x') {
            Some((family, count)) => {
                // Only plain decimal digits: `u32::from_str` would also take "+3".
                if count.is_empty() || !count.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(unknown());
                }
                let boards = count.parse::<u32>().map_err(|_| MachineError::BoardCount {
                    boards: u32::MAX,
                    max: MAX_BOARDS,
                })?;
                (family, boards)
            }
            None => (name, 1),
        };
        match family {
            "spinn5" => Machine::spinn5_boards(boards),
            "spinnaker2" => Machine::spinnaker2(boards),
            _ => Err(unknown()),
        }
    }
}

/// The smallest `r` with `r * r >= n`.
fn ceil_sqrt(n: u32) -> u32 {
    let mut r = (n as f64).sqrt() as u32;
    while r * r < n {
        r += 1;
    }
    while r > 0 && (r - 1) * (r - 1) >= n {
        r -= 1;
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::ChipCoord;

    #[test]
    fn ceil_sqrt_rounds_up() {
        let got: Vec<u32> = (1..=10).map(ceil_sqrt).collect();
        assert_eq!(got, [1, 2, 2, 2, 3, 3, 3, 3, 3, 4]);
    }

    #[test]
    fn board_counts_round_up_to_triads_like_spinn_machine() {
        // (boards asked, triads across, triads up)
        for (boards, across, up) in [
            (2, 1, 1),
            (3, 1, 1),
            (4, 2, 1),
            (7, 2, 2),
            (12, 2, 2),
            (13, 3, 2),
            (1200, 20, 20),
        ] {
            let m = Machine::spinn5_boards(boards).unwrap();
            assert_eq!(
                (m.width(), m.height()),
                (12 * across, 12 * up),
                "{boards} boards"
            );
            assert!(m.wraps());
            assert_eq!(
                m.ethernet_chips().count(),
                3 * across as usize * up as usize
            );
            assert_eq!(m.n_chips(), 144 * across as usize * up as usize);
        }
    }

    #[test]
    fn presets_by_name() {
        let m = Machine::preset("spinn5").unwrap();
        assert_eq!((m.n_chips(), m.wraps(), m.name()), (48, false, "spinn5"));
        let m = Machine::preset("spinn5x3").unwrap();
        assert_eq!((m.width(), m.height(), m.n_chips()), (12, 12, 144));
        assert_eq!(m.name(), "spinn5x3");
        assert_eq!(Machine::preset("spinn5x2").unwrap().name(), "spinn5x3");
        let m = Machine::preset("spinnaker2").unwrap();
        assert_eq!(m.spec().generation, Generation::Spinnaker2);
        assert_eq!(m.app_cores(ChipCoord::new(0, 0)).len(), 151);
        assert_eq!(
            m.app_cores(ChipCoord::new(1, 0)),
            (1..152).collect::<Vec<u8>>()
        );
        assert_eq!(m.spec().routing_entries, 16_384);
        assert_eq!(Machine::preset("spinnaker2x6").unwrap().n_chips(), 288);
    }

    #[test]
    fn bad_presets_are_errors() {
        for name in [
            "",
            "spinn3",
            "spinn5x",
            "spinn5x+3",
            "spinn5x-1",
            "SPINN5",
            "spinn5x3x",
        ] {
            assert_eq!(
                Machine::preset(name),
                Err(MachineError::UnknownPreset { name: name.into() }),
                "{name:?}"
            );
        }
        assert_eq!(
            Machine::preset("spinn5x0"),
            Err(MachineError::BoardCount {
                boards: 0,
                max: MAX_BOARDS
            })
        );
        assert!(matches!(
            Machine::preset("spinn5x99999999999"),
            Err(MachineError::BoardCount { .. })
        ));
        assert!(matches!(
            Machine::spinnaker2(MAX_BOARDS + 1),
            Err(MachineError::BoardCount { .. })
        ));
    }
}
