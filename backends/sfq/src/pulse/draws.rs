//! Each stochastic cell's own stream of uniform numbers.
//!
//! Draw `n` of cell `c` under seed `s` is a pure function of `(s, c, n)`:
//! Philox4x32-10 ([`spikec_ir::philox`]) keyed by the seed, with the cell's
//! dense index and the draw's block number in the counter. A cell's draws
//! therefore do not depend on how events of other cells interleave with its
//! own, and adding a cell elsewhere leaves the others' draws unchanged (as
//! long as the numbering is unchanged).
//!
//! The cell index sits in the counter rather than being mixed into the key
//! so that no two (seed, cell) pairs can share a stream. Counter word 3
//! holds a constant that sets these streams apart from any other use of
//! Philox under the same key.

use spikec_ir::philox::{philox, unit};

/// Counter word 3 of every pulse-simulator draw ("SFQ" in ASCII).
const DOMAIN: u32 = 0x0053_4651;

/// A cell's uniform numbers in [0, 1): one Philox block gives two.
#[derive(Clone, Debug)]
pub(crate) struct Draws {
    key: [u32; 2],
    cell: u32,
    /// Draws made so far.
    drawn: u64,
    block: [u32; 4],
}

impl Draws {
    /// The stream of cell `cell` under `seed`.
    pub fn new(seed: u64, cell: u32) -> Draws {
        Draws {
            key: [seed as u32, (seed >> 32) as u32],
            cell,
            drawn: 0,
            block: [0; 4],
        }
    }

    /// The next uniform in [0, 1).
    pub fn next_uniform(&mut self) -> f64 {
        let half = (self.drawn & 1) as usize;
        if half == 0 {
            let b = self.drawn >> 1;
            self.block = philox([b as u32, (b >> 32) as u32, self.cell, DOMAIN], self.key);
        }
        self.drawn = self.drawn.wrapping_add(1);
        unit(self.block[2 * half], self.block[2 * half + 1])
    }
}
