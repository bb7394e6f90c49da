//! Initial assignments: chips grown along the lines, and first fit.
//!
//! [`grow`] fills chips one after the other. A chip starts at the
//! lowest-numbered free block and repeatedly takes the free block with
//! the most lines to the blocks already on it (ties: same group as the
//! chip's first block, then the lowest index), so tightly connected
//! blocks end up together. When nothing connected fits, it continues with
//! a free block of the same group, then any free block, in index order.
//! To leave room for refinement when `k` chips are wanted, each chip is
//! filled only to its share of what remains (`remaining / chips left`),
//! never beyond the capacity; blocks left over after `k` chips go first-fit
//! into chips with room, and only then onto further chips.
//!
//! [`runs`] cuts the block order into consecutive runs, each filled to
//! its share in the same way.
//!
//! [`first_fit`] puts each block, in index order, on the first chip it
//! fits. It ignores the lines; it is the yardstick the search must not do
//! worse than. [`first_fit_decreasing`] does the same largest first, for
//! designs whose blocks are large against a chip.

use super::graph::{Problem, COUNT, DIMS};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Marks a block not yet on a chip.
const FREE: u32 = u32::MAX;

/// First fit in block order.
pub(super) fn first_fit(p: &Problem) -> Vec<u32> {
    fit_in_order(p, 0..p.blocks())
}

/// First fit, largest blocks first (by their largest share of a limited
/// capacity; ties in block order): the classic packing, fewer chips when
/// blocks are large against a chip, blind to the lines.
pub(super) fn first_fit_decreasing(p: &Problem) -> Vec<u32> {
    let share = |v: usize| -> f64 {
        (0..DIMS)
            .filter(|&d| p.limited(d))
            .map(|d| p.weight[v][d] as f64 / p.cap[d] as f64)
            .fold(0.0, f64::max)
    };
    let mut order: Vec<usize> = (0..p.blocks()).collect();
    order.sort_by(|&x, &y| share(y).total_cmp(&share(x)).then(x.cmp(&y)));
    fit_in_order(p, order)
}

/// Each block in `order` on the first chip with room.
fn fit_in_order(p: &Problem, order: impl IntoIterator<Item = usize>) -> Vec<u32> {
    let mut loads: Vec<[u64; DIMS]> = Vec::new();
    let mut chip_of = vec![0u32; p.blocks()];
    for v in order {
        let w = &p.weight[v];
        let c = match loads.iter().position(|l| p.fits(l, w)) {
            Some(c) => c,
            None => {
                loads.push([0; DIMS]);
                loads.len() - 1
            }
        };
        add(&mut loads[c], w);
        chip_of[v] = c as u32;
    }
    chip_of
}

fn add(load: &mut [u64; DIMS], w: &[u64; DIMS]) {
    for d in 0..DIMS {
        load[d] = load[d].saturating_add(w[d]);
    }
}

/// The next free block at or after an index, with path compression.
struct FreeList {
    next: Vec<u32>,
}

impl FreeList {
    fn new(n: usize) -> FreeList {
        FreeList {
            next: (0..=n as u32).collect(),
        }
    }

    /// The first free block at or after `i` (`n` if none).
    fn find(&mut self, i: usize) -> usize {
        let mut root = i;
        while self.next[root] as usize != root {
            root = self.next[root] as usize;
        }
        let mut j = i;
        while self.next[j] as usize != root {
            let up = self.next[j] as usize;
            self.next[j] = root as u32;
            j = up;
        }
        root
    }

    fn take(&mut self, i: usize) {
        self.next[i] = i as u32 + 1;
    }
}

/// The chip being grown and the bookkeeping around it.
struct Grower<'p> {
    p: &'p Problem,
    chip_of: Vec<u32>,
    free: FreeList,
    /// Lines from each free block to the current chip.
    score: Vec<u32>,
    scored: Vec<u32>,
    heap: BinaryHeap<(u32, bool, Reverse<u32>)>,
    /// Per group: members before this position are all placed.
    group_done: Vec<usize>,
    /// Smallest weight of any block, per dimension.
    smallest: [u64; DIMS],
}

impl Grower<'_> {
    fn place(&mut self, v: usize, chip: u32, load: &mut [u64; DIMS], seed_group: u32) {
        let p = self.p;
        self.chip_of[v] = chip;
        self.free.take(v);
        add(load, &p.weight[v]);
        for &u in p.adj.row(v) {
            let u = u as usize;
            if self.chip_of[u] != FREE {
                continue;
            }
            if self.score[u] == 0 {
                self.scored.push(u as u32);
            }
            self.score[u] += 1;
            let same = p.group[u] == seed_group;
            self.heap.push((self.score[u], same, Reverse(u as u32)));
        }
    }

    /// Whether no block at all could still fit.
    fn full(&self, load: &[u64; DIMS]) -> bool {
        (0..DIMS).any(|d| load[d].saturating_add(self.smallest[d]) > self.p.cap[d])
    }

    /// The best connected free block that fits, from the heap.
    fn connected(&mut self, load: &[u64; DIMS]) -> Option<usize> {
        while let Some((score, _, Reverse(u))) = self.heap.pop() {
            let u = u as usize;
            if self.chip_of[u] != FREE || self.score[u] != score {
                continue;
            }
            if self.p.fits(load, &self.p.weight[u]) {
                return Some(u);
            }
        }
        None
    }

    /// The first free member of `group` at or after `*pos` that fits.
    fn in_group(&mut self, group: u32, pos: &mut usize, load: &[u64; DIMS]) -> Option<usize> {
        let members = self.p.members.row(group as usize);
        let g = group as usize;
        while self.group_done[g] < members.len()
            && self.chip_of[members[self.group_done[g]] as usize] != FREE
        {
            self.group_done[g] += 1;
        }
        *pos = (*pos).max(self.group_done[g]);
        while *pos < members.len() {
            let v = members[*pos] as usize;
            *pos += 1;
            if self.chip_of[v] == FREE && self.p.fits(load, &self.p.weight[v]) {
                return Some(v);
            }
        }
        None
    }

    /// The first free block at or after `*pos` that fits.
    fn any(&mut self, pos: &mut usize, load: &[u64; DIMS]) -> Option<usize> {
        let n = self.p.blocks();
        loop {
            let v = self.free.find(*pos);
            if v >= n {
                *pos = n;
                return None;
            }
            *pos = v + 1;
            if self.p.fits(load, &self.p.weight[v]) {
                return Some(v);
            }
        }
    }

    fn reset_chip(&mut self) {
        for &u in &self.scored {
            self.score[u as usize] = 0;
        }
        self.scored.clear();
        self.heap.clear();
    }
}

/// The dimensions that set a chip's share: the limited ones, else the
/// block count.
fn balanced(p: &Problem) -> Vec<usize> {
    let limited: Vec<usize> = (0..DIMS).filter(|&d| p.limited(d)).collect();
    if limited.is_empty() {
        vec![COUNT]
    } else {
        limited
    }
}

/// A chip's share of what remains when `left` chips are still to come
/// (at least one), never above the capacity.
fn share(p: &Problem, balance: &[usize], remaining: &[u64; DIMS], left: usize) -> [u64; DIMS] {
    let left = left.max(1) as u64;
    let mut target = [u64::MAX; DIMS];
    for &d in balance {
        target[d] = remaining[d].div_ceil(left).min(p.cap[d]);
    }
    target
}

/// Consecutive runs of blocks in index order, each filled to its share
/// of what remains for `k` chips. Lowering emits blocks population by
/// population, so index order is usually a good order on its own.
pub(super) fn runs(p: &Problem, k: usize) -> Vec<u32> {
    let balance = balanced(p);
    let mut remaining = p.totals();
    let mut chip = 0usize;
    let mut load = [0u64; DIMS];
    let mut target = share(p, &balance, &remaining, k);
    let mut chip_of = Vec::with_capacity(p.blocks());
    for w in &p.weight {
        let reached = !balance.iter().all(|&d| load[d] < target[d]);
        if load[COUNT] > 0 && (reached || !p.fits(&load, w)) {
            for d in 0..DIMS {
                remaining[d] = remaining[d].saturating_sub(load[d]);
            }
            chip += 1;
            load = [0; DIMS];
            target = share(p, &balance, &remaining, k.saturating_sub(chip));
        }
        add(&mut load, w);
        chip_of.push(chip as u32);
    }
    chip_of
}

/// Chips grown along the lines, aiming at `k` chips (see the module
/// documentation). Every block is placed; the result may use fewer or
/// more than `k` chips.
pub(super) fn grow(p: &Problem, k: usize) -> Vec<u32> {
    let n = p.blocks();
    let mut smallest = [u64::MAX; DIMS];
    for w in &p.weight {
        for d in 0..DIMS {
            smallest[d] = smallest[d].min(w[d]);
        }
    }
    let mut g = Grower {
        p,
        chip_of: vec![FREE; n],
        free: FreeList::new(n),
        score: vec![0; n],
        scored: Vec::new(),
        heap: BinaryHeap::new(),
        group_done: vec![0; p.members.rows()],
        smallest,
    };
    let balance = balanced(p);
    let mut remaining = p.totals();
    let mut loads: Vec<[u64; DIMS]> = Vec::new();
    let mut spilled = false;
    loop {
        let first = g.free.find(0);
        if first >= n {
            break;
        }
        let chip = loads.len();
        if chip == k && !spilled {
            spilled = true;
            leftovers(&mut g, &mut loads, &mut remaining);
            continue;
        }
        let target = share(p, &balance, &remaining, k.saturating_sub(chip));
        let mut load = [0u64; DIMS];
        let seed_group = p.group[first];
        g.place(first, chip as u32, &mut load, seed_group);
        let (mut group_pos, mut any_pos) = (0usize, first + 1);
        while balance.iter().all(|&d| load[d] < target[d]) && !g.full(&load) {
            let next = match g.connected(&load) {
                Some(v) => Some(v),
                None => match g.in_group(seed_group, &mut group_pos, &load) {
                    Some(v) => Some(v),
                    None => g.any(&mut any_pos, &load),
                },
            };
            match next {
                Some(v) => g.place(v, chip as u32, &mut load, seed_group),
                None => break,
            }
        }
        g.reset_chip();
        for d in 0..DIMS {
            remaining[d] = remaining[d].saturating_sub(load[d]);
        }
        loads.push(load);
    }
    g.chip_of
}

/// Once `k` chips are grown: puts the free blocks, in index order, on the
/// first chip with room.
fn leftovers(g: &mut Grower<'_>, loads: &mut [[u64; DIMS]], remaining: &mut [u64; DIMS]) {
    let n = g.p.blocks();
    let mut v = g.free.find(0);
    while v < n {
        if let Some(c) = loads.iter().position(|l| g.p.fits(l, &g.p.weight[v])) {
            let w = &g.p.weight[v];
            add(&mut loads[c], w);
            for d in 0..DIMS {
                remaining[d] = remaining[d].saturating_sub(w[d]);
            }
            g.chip_of[v] = c as u32;
            g.free.take(v);
        }
        v = g.free.find(v + 1);
    }
}
