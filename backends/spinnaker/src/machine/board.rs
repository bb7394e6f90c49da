//! Where chips sit: the 48-chip board and the triads boards are tiled in.
//!
//! SpiNN-5 (and the 48-chip SpiNNaker2 board) is a hexagon of chips cut
//! from the (x, y) grid, drawn in an 8×8 box with its Ethernet chip at the
//! box's origin. Three such hexagons tile a 12×12 torus exactly (a
//! "triad"), with Ethernet chips at (0, 0), (4, 8) and (8, 4); larger
//! machines are rectangles of triads. These are the numbers of
//! spinn_machine's `Version48Chips` and `SpiNNakerTriadGeometry`.

use crate::geometry::ChipCoord;

/// Width and height, in chips, of one triad of boards.
pub(super) const TRIAD: u16 = 12;

/// The Ethernet chips of a triad, relative to its lower-left corner.
const TRIAD_ETHERNETS: [(u16, u16); 3] = [(0, 0), (4, 8), (8, 4)];

/// For each row `y` of a board (relative to its Ethernet chip), the first
/// and last `x` holding a chip: the hexagon's slanted edges run along the
/// north-east diagonal, so rows start later as they go up.
const BOARD_ROWS: [(u16, u16); 8] = [
    (0, 4),
    (0, 5),
    (0, 6),
    (0, 7),
    (1, 7),
    (2, 7),
    (3, 7),
    (4, 7),
];

/// Chips on one board.
pub(super) const CHIPS_PER_BOARD: usize = 48;

/// The chips of a machine before anything is marked dead, each with the
/// Ethernet chip of its board.
pub(super) struct Layout {
    pub width: u16,
    pub height: u16,
    pub wraps: bool,
    /// (chip, its board's Ethernet chip), every chip once.
    pub chips: Vec<(ChipCoord, ChipCoord)>,
}

/// The offsets of a board's chips from its Ethernet chip.
fn board_offsets() -> impl Iterator<Item = (u16, u16)> {
    BOARD_ROWS
        .iter()
        .zip(0u16..)
        .flat_map(|(&(first, last), y)| (first..=last).map(move |x| (x, y)))
}

/// One board on its own: an 8×8 box with no wrap-around links (the links
/// leaving the hexagon's edges go to FPGAs, not to other chips).
pub(super) fn single_board() -> Layout {
    let origin = ChipCoord::new(0, 0);
    Layout {
        width: 8,
        height: 8,
        wraps: false,
        chips: board_offsets()
            .map(|(x, y)| (ChipCoord::new(x, y), origin))
            .collect(),
    }
}

/// `across` × `up` triads wired as a torus: every grid position holds
/// exactly one chip, and links leaving one edge enter at the opposite one.
///
/// The caller keeps `TRIAD * across` and `TRIAD * up` within `u16`.
pub(super) fn triads(across: u16, up: u16) -> Layout {
    let width = TRIAD * across;
    let height = TRIAD * up;
    let mut chips = Vec::with_capacity(CHIPS_PER_BOARD * 3 * across as usize * up as usize);
    for tx in 0..across {
        for ty in 0..up {
            for (ex, ey) in TRIAD_ETHERNETS {
                let ethernet = ChipCoord::new(tx * TRIAD + ex, ty * TRIAD + ey);
                for (dx, dy) in board_offsets() {
                    // Boards near the top and right edges wrap round the torus.
                    let chip =
                        ChipCoord::new((ethernet.x + dx) % width, (ethernet.y + dy) % height);
                    chips.push((chip, ethernet));
                }
            }
        }
    }
    Layout {
        width,
        height,
        wraps: true,
        chips,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn a_board_is_the_48_chip_hexagon() {
        let board = single_board();
        let chips: BTreeSet<_> = board.chips.iter().map(|(c, _)| *c).collect();
        assert_eq!(chips.len(), CHIPS_PER_BOARD);
        // The four corners of the 8×8 box that the hexagon cuts off.
        for (x, y) in [(7, 0), (5, 0), (0, 7), (0, 4), (7, 2)] {
            assert!(!chips.contains(&ChipCoord::new(x, y)), "({x}, {y})");
        }
        for (x, y) in [(0, 0), (4, 0), (7, 7), (4, 7), (0, 3), (7, 3)] {
            assert!(chips.contains(&ChipCoord::new(x, y)), "({x}, {y})");
        }
        // Column counts as spinn_machine lists them: x = 0 has y 0..=3, x = 4 has 0..=7.
        let column = |x| chips.iter().filter(|c| c.x == x).count();
        assert_eq!(
            (0..8).map(column).collect::<Vec<_>>(),
            [4, 5, 6, 7, 8, 7, 6, 5]
        );
    }

    #[test]
    fn three_boards_tile_a_triad_exactly() {
        for (across, up) in [(1, 1), (2, 1), (2, 3)] {
            let layout = triads(across, up);
            let chips: BTreeSet<_> = layout.chips.iter().map(|(c, _)| *c).collect();
            assert_eq!(layout.chips.len(), chips.len(), "a chip on two boards");
            assert_eq!(
                chips.len(),
                layout.width as usize * layout.height as usize,
                "a hole in the tiling"
            );
            let ethernets: BTreeSet<_> = layout.chips.iter().map(|(_, e)| *e).collect();
            assert_eq!(ethernets.len(), 3 * across as usize * up as usize);
        }
    }
}
