//! Chip partitioning: splitting an SFQ design over the fewest chips.
//!
//! Takes the design as indivisible [`Block`]s (in practice a neuron with
//! its incoming synapse cells, merger trees and outgoing splitter tree, or
//! an input source with its DC/SFQ converter and splitter tree) and the
//! pulse [`Line`]s between them, plus a [`ChipBudget`]; gives a
//! [`Partition`]: a chip per block, what each chip uses, and what crosses
//! between chips. Lines count once per (source block, destination chip):
//! a pulse that leaves a chip is carried on one pin and split again on the
//! far side, so it costs one outgoing pin on the source's chip and one
//! incoming pin on the destination chip however many blocks it feeds
//! there. Blocks also bring their own off-chip pins (`external_pins`).
//!
//! The goal is the fewest chips, then the fewest crossing signals, then
//! the fewest (group, chip) pairs (populations kept together when that
//! costs nothing). Finding the fewest chips is bin packing, and the pins
//! make it a graph partitioning problem too, so the method is a heuristic
//! with these guarantees:
//!
//! - every chip of a result respects every budget (junctions, area, bias,
//!   pins), or the call fails;
//! - a block too big for a chip by itself is reported as such
//!   ([`PartitionError::BlockTooBig`]), before anything else is tried;
//! - a budget no split can meet because of pins is reported with a proof
//!   ([`PartitionError::PinsExceeded`]: a block whose chip needs more pins
//!   whatever shares it, see `graph`);
//! - when everything fits one chip, the result is that chip, with no
//!   crossings;
//! - the result never uses more chips than first fit in block order when
//!   that meets the pin budget (it is one of the candidates), and never
//!   fewer than [`Partition::lower_bound`];
//! - it is deterministic: no hashing, no randomness, ties broken by index.
//!
//! Method. Candidates are built, refined by single-block moves between
//! chips (`refine`: each move lowers pin overflow, then crossings, then
//! group spread, without breaking a capacity) and the best that meets the
//! budget is kept. The candidates: first fit in block order, first fit
//! largest first when that saves a chip, then, for chip counts `k` from
//! the lower bound up, chips grown along the lines or cut as runs of the
//! block order, each chip filled to its share for `k` (`grow`). The
//! count advances by one, then by doubling steps, and a success after a
//! jump is narrowed down by bisection (to within 1/64 of the count on
//! large designs), so the search costs O(log n) attempts, each near-linear
//! in the size of the nets times their spread over chips. If no count up
//! to one chip per block meets the pin budget, the call fails with
//! [`PartitionError::PinsNotMet`], naming the block that weighs most on
//! the most loaded chip of the closest attempt. Area and bias are compared
//! in 10⁻³ µm² and nA (see `graph`).

pub mod budget;
mod error;
mod graph;
mod grow;
mod refine;
#[cfg(test)]
mod tests;

pub use budget::{BudgetError, ChipBudget};
pub use error::{PartitionError, Resource};

use graph::{Problem, DIMS};
use refine::State;

/// Most refinement passes per candidate (they stop earlier once a pass
/// gains little, see `refine`).
const PASSES: usize = 8;

/// Bisection on the chip count stops once the bracket is below
/// 1/`BISECT_TOLERANCE` of the count: exact up to that many chips, within
/// that fraction above (each attempt on a large design costs a second).
const BISECT_TOLERANCE: usize = 64;

/// An indivisible piece of the design.
#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    /// What it is, for messages (a neuron or source name).
    pub name: String,
    /// Its population: blocks of one group are kept together when that
    /// costs nothing, and errors name it.
    pub group: u32,
    /// Josephson junctions.
    pub jjs: u64,
    /// Cell area, µm².
    pub area_um2: f64,
    /// Bias current, µA.
    pub bias_ua: f64,
    /// Off-chip inputs and outputs the block needs wherever it goes
    /// (an external input, a monitor output).
    pub external_pins: u32,
}

/// A pulse line from block `from`'s fan-out tree to block `to`. Several
/// lines may join the same pair; a line from a block to itself never
/// crosses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Line {
    /// Index of the driving block.
    pub from: usize,
    /// Index of the driven block.
    pub to: usize,
}

/// What one chip holds and uses.
#[derive(Clone, Debug, PartialEq)]
pub struct ChipUsage {
    /// Josephson junctions.
    pub jjs: u64,
    /// Cell area, µm².
    pub area_um2: f64,
    /// Bias current, µA.
    pub bias_ua: f64,
    /// Signal pins: the blocks' external pins, one per (block here, other
    /// chip it drives) and one per (block elsewhere driving a block here).
    pub pins: u64,
    /// The blocks on it, ascending.
    pub blocks: Vec<usize>,
}

/// A chip per block. Chips are numbered in the order of their lowest
/// block, so block 0 is on chip 0.
#[derive(Clone, Debug, PartialEq)]
pub struct Partition {
    /// The chip of each block.
    pub chip_of: Vec<u32>,
    /// Each chip's contents and usage.
    pub chips: Vec<ChipUsage>,
    /// Lines whose ends are on different chips.
    pub crossing_lines: u64,
    /// Distinct (block, other chip it drives) pairs: the signals carried
    /// between chips, each using one pin on either side.
    pub crossing_signals: u64,
    /// No split of these blocks can use fewer chips than this.
    pub lower_bound: usize,
}

/// Splits `blocks` over the fewest chips of `budget`, then with the
/// fewest crossing signals. See the module documentation for the method
/// and its guarantees.
pub fn partition(
    blocks: &[Block],
    lines: &[Line],
    budget: &ChipBudget,
) -> Result<Partition, PartitionError> {
    let p = Problem::new(blocks, lines, budget)?;
    let n = p.blocks();
    if n == 0 {
        return Ok(Partition {
            chip_of: Vec::new(),
            chips: Vec::new(),
            crossing_lines: 0,
            crossing_signals: 0,
            lower_bound: 0,
        });
    }
    let lower_bound = p.lower_bound();
    let totals = p.totals();
    let ext = p.ext.iter().fold(0u64, |sum, &x| sum.saturating_add(x));
    if (0..DIMS).all(|d| totals[d] <= p.cap[d]) && p.pins.is_none_or(|cap| ext <= cap) {
        return Ok(finish(blocks, lines, &p, vec![0; n], lower_bound));
    }
    if let Some((block, need)) = p.pin_certificate() {
        return Err(PartitionError::PinsExceeded {
            block,
            name: blocks[block].name.clone(),
            group: blocks[block].group,
            need,
            have: budget.pins.unwrap_or(u32::MAX),
        });
    }
    let mut search = Search {
        p: &p,
        best: None,
        closest: None,
        largest: 0,
        tried: Vec::new(),
    };
    // First fit is the yardstick; largest-first packing only earns its
    // refinement (it ignores the lines) when it saves a chip.
    let first_fit = grow::first_fit(&p);
    let decreasing = grow::first_fit_decreasing(&p);
    let chips = |a: &[u32]| a.iter().max().map_or(0, |&c| c + 1);
    let saves = chips(&decreasing) < chips(&first_fit);
    search.consider(State::new(&p, first_fit));
    if saves {
        search.consider(State::new(&p, decreasing));
    }
    search.run(lower_bound);
    match search.best {
        Some(best) => Ok(finish(blocks, lines, &p, best.chip_of, lower_bound)),
        None => Err(search.failure(blocks)),
    }
}

/// A refined assignment.
struct Candidate {
    chip_of: Vec<u32>,
    chips: usize,
    crossing: u64,
    overflow: u64,
    spread: u64,
}

/// The attempts made so far.
struct Search<'p> {
    p: &'p Problem,
    /// The best assignment that meets the budget.
    best: Option<Candidate>,
    /// The one nearest to meeting it otherwise (least overflow).
    closest: Option<Candidate>,
    /// Most chips any attempt aimed at or used.
    largest: usize,
    /// Chip counts aimed at, with their outcome.
    tried: Vec<(usize, Option<usize>)>,
}

impl Search<'_> {
    /// Refines an assignment and keeps it if it is the best so far.
    /// Returns whether it meets the budget, and its chip count.
    fn consider(&mut self, mut state: State<'_>) -> (bool, usize) {
        state.refine(PASSES);
        debug_assert!(state.consistent(), "refinement lost count");
        let candidate = Candidate {
            chips: state.used_chips(),
            crossing: state.crossing,
            overflow: state.overflow,
            spread: state.spread,
            chip_of: state.chip_of,
        };
        let found = (candidate.overflow == 0, candidate.chips);
        self.largest = self.largest.max(candidate.chips);
        let rank = |c: &Candidate| (c.chips, c.crossing, c.spread);
        let near = |c: &Candidate| (c.overflow, c.chips, c.crossing, c.spread);
        if candidate.overflow == 0 {
            if self
                .best
                .as_ref()
                .is_none_or(|b| rank(&candidate) < rank(b))
            {
                self.best = Some(candidate);
            }
        } else if self
            .closest
            .as_ref()
            .is_none_or(|b| near(&candidate) < near(b))
        {
            self.closest = Some(candidate);
        }
        found
    }

    /// Builds `k` chips twice, grown along the lines and as runs of the
    /// block order, refines the better of the two (by overflow, chips
    /// beyond `k`, crossings), and returns its chip count if it met the
    /// budget.
    fn attempt(&mut self, k: usize) -> Option<usize> {
        if let Some(&(_, known)) = self.tried.iter().find(|&&(tried, _)| tried == k) {
            return known;
        }
        let result = self.build_and_refine(k);
        self.tried.push((k, result));
        result
    }

    /// [`Search::attempt`] without the memory.
    fn build_and_refine(&mut self, k: usize) -> Option<usize> {
        self.largest = self.largest.max(k);
        let grown = State::new(self.p, grow::grow(self.p, k));
        let runs = State::new(self.p, grow::runs(self.p, k));
        let rank = |s: &State<'_>| {
            let excess = s.used_chips().saturating_sub(k);
            (s.overflow, excess, s.crossing, s.spread)
        };
        let better = if rank(&runs) < rank(&grown) {
            runs
        } else {
            grown
        };
        let (ok, chips) = self.consider(better);
        ok.then_some(chips)
    }

    /// Fewer chips than the best so far cannot come from aiming at more.
    fn ceiling(&self) -> usize {
        let n = self.p.blocks();
        self.best.as_ref().map_or(n, |b| b.chips.saturating_sub(1))
    }

    /// Tries chip counts upward from `from` (always `from` itself, for its
    /// crossings): `from + 1`, then steps of 2, 4, 8…, then bisects between
    /// the last failure and the best success.
    fn run(&mut self, from: usize) {
        let mut failed = from.saturating_sub(1);
        let mut k = from;
        let mut step = 1;
        let mut tries = 0;
        let found = loop {
            if let Some(chips) = self.attempt(k) {
                break Some(chips);
            }
            failed = k;
            tries += 1;
            if tries >= 2 {
                step *= 2;
            }
            let top = self.ceiling();
            if k >= top {
                break None;
            }
            k = (k + step).min(top);
        };
        // Narrow down between the last failure and the best found so far
        // (which may come from first fit, or from an attempt that met the
        // budget with more chips than it aimed at).
        let best = self.best.as_ref().map(|b| b.chips);
        let Some(mut hit) = found.into_iter().chain(best).min() else {
            return;
        };
        while hit > failed + 1 + hit / BISECT_TOLERANCE {
            let mid = failed + (hit - failed) / 2;
            match self.attempt(mid) {
                Some(chips) if chips < hit => hit = chips,
                _ => failed = mid,
            }
        }
    }

    /// The error when nothing met the pin budget.
    fn failure(&self, blocks: &[Block]) -> PartitionError {
        let chip_of = match &self.closest {
            Some(c) => c.chip_of.clone(),
            None => (0..blocks.len() as u32).collect(),
        };
        let state = State::new(self.p, chip_of);
        let (block, need) = state.pin_culprit();
        PartitionError::PinsNotMet {
            block,
            name: blocks[block].name.clone(),
            group: blocks[block].group,
            need,
            have: self.p.pins.map_or(u32::MAX, |x| x as u32),
            max_chips: self.largest,
        }
    }
}

/// The partition of an assignment: chips renumbered by their lowest
/// block, usage summed, crossings counted.
fn finish(
    blocks: &[Block],
    lines: &[Line],
    p: &Problem,
    chip_of: Vec<u32>,
    lower_bound: usize,
) -> Partition {
    let mut renumber = vec![u32::MAX; blocks.len()];
    let mut next = 0u32;
    let chip_of: Vec<u32> = chip_of
        .iter()
        .map(|&c| {
            if renumber[c as usize] == u32::MAX {
                renumber[c as usize] = next;
                next += 1;
            }
            renumber[c as usize]
        })
        .collect();
    let mut chips: Vec<ChipUsage> = (0..next)
        .map(|_| ChipUsage {
            jjs: 0,
            area_um2: 0.0,
            bias_ua: 0.0,
            pins: 0,
            blocks: Vec::new(),
        })
        .collect();
    for (v, b) in blocks.iter().enumerate() {
        let chip = &mut chips[chip_of[v] as usize];
        chip.jjs = chip.jjs.saturating_add(b.jjs);
        chip.area_um2 += b.area_um2;
        chip.bias_ua += b.bias_ua;
        chip.blocks.push(v);
    }
    let state = State::new(p, chip_of);
    for (chip, &pins) in chips.iter_mut().zip(&state.pins) {
        chip.pins = pins;
    }
    let crossing_lines = lines
        .iter()
        .filter(|l| state.chip_of[l.from] != state.chip_of[l.to])
        .count() as u64;
    Partition {
        crossing_signals: state.crossing,
        chip_of: state.chip_of,
        chips,
        crossing_lines,
        lower_bound,
    }
}
