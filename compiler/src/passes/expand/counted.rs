//! Rows whose lengths are known before they are drawn
//! (`fixed_total_number`, `fixed_number_post`, `one_to_one`,
//! `all_to_all`): the table is allocated once, and each row is drawn from
//! its own stream, sorted by target and written straight into its place,
//! in parallel blocks of rows. Nothing is held twice, and no thread waits
//! for a sequential copy at the end, which for the full-scale
//! microcircuit's 3e8 synapses was most of the expansion.
//!
//! The table is the one the gathering path gives (`connect.rs`, `store`):
//! the same draws, the same stable order by target (ties keep the order
//! they were drawn in), or by delay and then so, the same storage.

use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use super::connect::{Cx, Syn};
use super::streams::Purpose;
use super::ExpandError;
use spikec_ir::expanded::{Delays, RowOrder, SynapseTable, Weights};

/// Draws row `i` into a vector, in the order drawn.
pub(super) type DrawRow<'a> = dyn Fn(&Cx<'_>, usize, &mut ChaCha8Rng, &mut Vec<Syn>) + Sync + 'a;

/// Synapses per block of rows drawn by one task.
const BLOCK: u64 = 1 << 16;

/// What one block of rows writes: its targets, weights (empty when
/// constant) and delays (empty when constant).
struct Block<'a> {
    rows: std::ops::Range<usize>,
    targets: &'a mut [u32],
    weights: Out<'a>,
    delays: &'a mut [u16],
}

enum Out<'a> {
    None,
    F32(&'a mut [f32]),
    F64(&'a mut [f64]),
}

/// Draws the table of row lengths `counts`: `row(cx, i, rng, out)` pushes
/// row `i`'s synapses (exactly `counts[i]`) in the order drawn.
pub(super) fn table(
    cx: &Cx<'_>,
    counts: &[u64],
    row: &DrawRow<'_>,
) -> Result<SynapseTable, ExpandError> {
    let mut row_ptr = Vec::with_capacity(counts.len() + 1);
    row_ptr.push(0u64);
    for &c in counts {
        row_ptr.push(row_ptr.last().copied().unwrap_or(0) + c);
    }
    let total = row_ptr.last().copied().unwrap_or(0) as usize;
    let (weights, const_delay) = cx.storage(0);
    let mut targets = vec![0u32; total];
    let mut weights = match weights {
        Weights::Const(w) => Weights::Const(w),
        Weights::F32(_) => Weights::F32(vec![0.0; total]),
        Weights::F64(_) => Weights::F64(vec![0.0; total]),
    };
    let mut delays = vec![0u16; if const_delay.is_some() { 0 } else { total }];
    // Split the outputs at row boundaries.
    let mut blocks = Vec::new();
    {
        let mut tg = &mut targets[..];
        let mut wt = match &mut weights {
            Weights::Const(_) => Out::None,
            Weights::F32(v) => Out::F32(&mut v[..]),
            Weights::F64(v) => Out::F64(&mut v[..]),
        };
        let mut dl = &mut delays[..];
        let mut r0 = 0;
        while r0 < counts.len() {
            let mut r1 = r0 + 1;
            while r1 < counts.len() && row_ptr[r1] - row_ptr[r0] < BLOCK {
                r1 += 1;
            }
            let n = (row_ptr[r1] - row_ptr[r0]) as usize;
            let (t, rest) = std::mem::take(&mut tg).split_at_mut(n);
            tg = rest;
            let w = match std::mem::replace(&mut wt, Out::None) {
                Out::None => Out::None,
                Out::F32(v) => {
                    let (a, rest) = v.split_at_mut(n);
                    wt = Out::F32(rest);
                    Out::F32(a)
                }
                Out::F64(v) => {
                    let (a, rest) = v.split_at_mut(n);
                    wt = Out::F64(rest);
                    Out::F64(a)
                }
            };
            let (d, rest) =
                std::mem::take(&mut dl).split_at_mut(if const_delay.is_some() { 0 } else { n });
            dl = rest;
            blocks.push(Block {
                rows: r0..r1,
                targets: t,
                weights: w,
                delays: d,
            });
            r0 = r1;
        }
    }
    let longest = blocks
        .into_par_iter()
        .map(|b| draw_block(cx, &row_ptr, counts, row, b, const_delay.is_none()))
        .reduce(|| 0, u32::max)
        .max(const_delay.unwrap_or(1));
    if longest > u16::MAX as u32 {
        return Err(ExpandError::DelayTooLong {
            projection: cx.id,
            steps: longest as u64,
            max_steps: u16::MAX as u64,
        });
    }
    Ok(SynapseTable {
        pre: cx.pre.clone(),
        row_ptr,
        targets,
        weights,
        delays: match const_delay {
            Some(d) => Delays::Const(d as u16),
            None => Delays::PerSynapse(delays),
        },
        order: cx.order,
    })
}

/// Draws one block's rows into it; returns the longest delay written.
fn draw_block(
    cx: &Cx<'_>,
    row_ptr: &[u64],
    counts: &[u64],
    row: &DrawRow<'_>,
    mut b: Block<'_>,
    per_synapse_delays: bool,
) -> u32 {
    let first = row_ptr[b.rows.start];
    let mut syns: Vec<Syn> = Vec::new();
    // Sort keys: target, then the order drawn (a stable sort by target).
    let mut keys: Vec<u64> = Vec::new();
    // Each synapse's place in the block, and per delay the next place.
    let mut slots: Vec<usize> = Vec::new();
    let mut starts: Vec<usize> = Vec::new();
    let mut longest = 0u32;
    for i in b.rows.clone() {
        syns.clear();
        let mut rng = cx.rng(Purpose::Row, i);
        row(cx, i, &mut rng, &mut syns);
        // `counts[i]` is what the connector promised; a row that broke it
        // keeps the table's shape (a bug, but not a crash).
        debug_assert_eq!(syns.len() as u64, counts[i], "row {i}");
        syns.resize(counts[i] as usize, (0, f64::NAN, 1));
        keys.clear();
        keys.extend(
            syns.iter()
                .enumerate()
                .map(|(k, s)| ((s.0 as u64) << 32) | k as u64),
        );
        keys.sort_unstable();
        // Where each synapse goes: in key order, or, by delay, a stable
        // counting sort of the key order (delays past what a table holds
        // fail the expansion below, and stay in key order).
        let at = (row_ptr[i] - first) as usize;
        let by_delay = cx.order == RowOrder::Delay && {
            let lo = syns.iter().map(|s| s.2).min().unwrap_or(0);
            let hi = syns.iter().map(|s| s.2).max().unwrap_or(0);
            hi - lo <= u16::MAX as u32 && {
                starts.clear();
                starts.resize((hi - lo) as usize + 2, 0);
                for s in &syns {
                    starts[(s.2 - lo) as usize + 1] += 1;
                }
                for j in 1..starts.len() {
                    starts[j] += starts[j - 1];
                }
                slots.clear();
                slots.extend(keys.iter().map(|key| {
                    let next = &mut starts[(syns[(key & 0xffff_ffff) as usize].2 - lo) as usize];
                    *next += 1;
                    at + *next - 1
                }));
                true
            }
        };
        for (n, key) in keys.iter().enumerate() {
            let o = if by_delay { slots[n] } else { at + n };
            let (j, w, d) = syns[(key & 0xffff_ffff) as usize];
            b.targets[o] = cx.post[j as usize];
            match &mut b.weights {
                Out::None => {}
                Out::F32(v) => v[o] = w as f32,
                Out::F64(v) => v[o] = w,
            }
            if per_synapse_delays {
                longest = longest.max(d);
                b.delays[o] = d.min(u16::MAX as u32) as u16;
            }
        }
    }
    longest
}
