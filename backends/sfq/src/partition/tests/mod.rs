//! Tests of the partitioner. Results are checked against an independent
//! recount ([`check`]) written from the definition of the pin rule, not
//! from the implementation's incremental bookkeeping.

mod budget;
mod counts;
mod exhaustive;
mod pins;
mod split;

use super::{partition, Block, ChipBudget, Line, Partition, PartitionError};
use std::collections::BTreeSet;

/// A block of `jjs` junctions with area and bias proportional to them.
fn block(name: &str, group: u32, jjs: u64) -> Block {
    Block {
        name: name.into(),
        group,
        jjs,
        area_um2: jjs as f64 * 10.0,
        bias_ua: jjs as f64 * 0.1,
        external_pins: 0,
    }
}

/// `n` blocks of `jjs` junctions each, named `b0`, `b1`, … in group 0.
fn uniform(n: usize, jjs: u64) -> Vec<Block> {
    (0..n).map(|i| block(&format!("b{i}"), 0, jjs)).collect()
}

fn line(from: usize, to: usize) -> Line {
    Line { from, to }
}

/// A junction budget only.
fn jj_budget(jjs: u64) -> ChipBudget {
    ChipBudget {
        jjs: Some(jjs),
        ..ChipBudget::UNLIMITED
    }
}

/// Per chip, the signal pins by the pin rule, counted from `chip_of`.
fn pins_by_rule(blocks: &[Block], lines: &[Line], chip_of: &[u32], chips: usize) -> Vec<u64> {
    let mut pins = vec![0u64; chips];
    for (b, &c) in blocks.iter().zip(chip_of) {
        pins[c as usize] += u64::from(b.external_pins);
    }
    let pairs: BTreeSet<(usize, u32)> = lines
        .iter()
        .filter(|l| chip_of[l.from] != chip_of[l.to])
        .map(|l| (l.from, chip_of[l.to]))
        .collect();
    for &(from, to_chip) in &pairs {
        pins[chip_of[from] as usize] += 1;
        pins[to_chip as usize] += 1;
    }
    pins
}

/// Distinct (block, other chip) pairs, counted from `chip_of`.
fn signals_by_rule(lines: &[Line], chip_of: &[u32]) -> u64 {
    lines
        .iter()
        .filter(|l| chip_of[l.from] != chip_of[l.to])
        .map(|l| (l.from, chip_of[l.to]))
        .collect::<BTreeSet<_>>()
        .len() as u64
}

/// Checks a partition against its input from first principles: every
/// block on a chip that exists, every chip non-empty and within every
/// budget, every reported figure equal to a recount.
fn check(blocks: &[Block], lines: &[Line], budget: &ChipBudget, p: &Partition) {
    assert_eq!(p.chip_of.len(), blocks.len());
    let k = p.chips.len();
    assert!(
        p.chip_of.iter().all(|&c| (c as usize) < k),
        "chip out of range"
    );
    assert!(k >= p.lower_bound, "fewer chips than the lower bound");
    let pins = pins_by_rule(blocks, lines, &p.chip_of, k);
    for (c, chip) in p.chips.iter().enumerate() {
        let on: Vec<usize> = (0..blocks.len())
            .filter(|&v| p.chip_of[v] as usize == c)
            .collect();
        assert!(!on.is_empty(), "chip {c} is empty");
        assert_eq!(chip.blocks, on, "chip {c} block list");
        let jjs: u64 = on.iter().map(|&v| blocks[v].jjs).sum();
        let area: f64 = on.iter().map(|&v| blocks[v].area_um2).sum();
        let bias: f64 = on.iter().map(|&v| blocks[v].bias_ua).sum();
        assert_eq!(chip.jjs, jjs);
        assert!((chip.area_um2 - area).abs() <= 1e-6 * area.max(1.0));
        assert!((chip.bias_ua - bias).abs() <= 1e-6 * bias.max(1.0));
        assert_eq!(chip.pins, pins[c], "chip {c} pins");
        // Fixed-point comparison tolerates 0.5e-3 per block.
        let slack = 1e-3 * on.len() as f64;
        if let Some(cap) = budget.jjs {
            assert!(jjs <= cap, "chip {c}: {jjs} JJs > {cap}");
        }
        if let Some(cap) = budget.area_um2 {
            assert!(area <= cap + slack, "chip {c}: area {area} > {cap}");
        }
        if let Some(cap) = budget.bias_ua {
            assert!(bias <= cap + slack, "chip {c}: bias {bias} > {cap}");
        }
        if let Some(cap) = budget.pins {
            assert!(
                pins[c] <= u64::from(cap),
                "chip {c}: {} pins > {cap}",
                pins[c]
            );
        }
    }
    let crossing_lines = lines
        .iter()
        .filter(|l| p.chip_of[l.from] != p.chip_of[l.to])
        .count() as u64;
    assert_eq!(p.crossing_lines, crossing_lines);
    assert_eq!(p.crossing_signals, signals_by_rule(lines, &p.chip_of));
}

/// Partitions and checks; panics on error.
fn split(blocks: &[Block], lines: &[Line], budget: &ChipBudget) -> Partition {
    let p = partition(blocks, lines, budget).unwrap_or_else(|e| panic!("{e}"));
    check(blocks, lines, budget, &p);
    p
}

/// Partitions, expecting an error.
fn fail(blocks: &[Block], lines: &[Line], budget: &ChipBudget) -> PartitionError {
    match partition(blocks, lines, budget) {
        Ok(p) => panic!("expected an error, got {} chips", p.chips.len()),
        Err(e) => e,
    }
}

/// Chips first fit in block order needs for junctions, area and bias.
fn first_fit_chips(blocks: &[Block], budget: &ChipBudget) -> usize {
    let mut chips: Vec<(u64, f64, f64)> = Vec::new();
    let room = |c: &(u64, f64, f64), b: &Block| {
        budget.jjs.is_none_or(|cap| c.0 + b.jjs <= cap)
            && budget.area_um2.is_none_or(|cap| c.1 + b.area_um2 <= cap)
            && budget.bias_ua.is_none_or(|cap| c.2 + b.bias_ua <= cap)
    };
    for b in blocks {
        match chips.iter().position(|c| room(c, b)) {
            Some(i) => {
                chips[i].0 += b.jjs;
                chips[i].1 += b.area_um2;
                chips[i].2 += b.bias_ua;
            }
            None => chips.push((b.jjs, b.area_um2, b.bias_ua)),
        }
    }
    chips.len()
}

/// A 64-bit linear congruential generator (Knuth's MMIX constants).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    /// Uniform in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A network of `n` blocks in groups of 50 with `m` lines, most of them
/// local (within 40 blocks), one in ten anywhere.
fn network(seed: u64, n: usize, m: usize) -> (Vec<Block>, Vec<Line>) {
    let mut rng = Lcg(seed);
    let blocks = (0..n)
        .map(|i| Block {
            name: format!("n{i}"),
            group: (i / 50) as u32,
            jjs: 50 + rng.below(450),
            area_um2: 500.0 + rng.below(4500) as f64 * 1.25,
            bias_ua: 5.0 + rng.below(500) as f64 * 0.1,
            external_pins: u32::from(rng.below(20) == 0),
        })
        .collect();
    let lines = (0..m)
        .map(|_| {
            let from = rng.below(n as u64) as usize;
            let to = if rng.below(10) == 0 {
                rng.below(n as u64) as usize
            } else {
                let offset = rng.below(81) as i64 - 40;
                (from as i64 + offset).clamp(0, n as i64 - 1) as usize
            };
            line(from, to)
        })
        .collect();
    (blocks, lines)
}
