//! Refinement: moving single blocks between chips, Fiduccia–Mattheyses
//! style, while every capacity holds.
//!
//! The state keeps, per net, how many of its blocks sit on each chip (a
//! short list sorted by chip), so that the gain of a move is known from
//! the nets of the block alone: moving `v` from `a` to `b` saves a
//! crossing signal for each net where `v` is alone on `a` and costs one
//! for each net with nothing on `b`. A move is taken when it lowers, in
//! this order, the pins above budget summed over chips, the crossing
//! signals, and the number of (group, chip) pairs (keeping populations
//! together when it costs nothing). Each taken move lowers that triple
//! strictly, so passes end; only the improving moves of FM are made (no
//! uphill moves and rollback), which keeps a pass linear in the size of
//! the nets times their spread.
//!
//! Moves go only to chips the block's nets already touch: elsewhere a
//! move can only add crossings. Moves never break a junction, area or bias
//! capacity, and never raise the pin overflow, so a partition that met
//! the budget before refinement meets it after.

use super::graph::{Csr, Problem, DIMS};

/// How many candidate chips a move's pin effect is worked out for.
const PIN_CHECKS: usize = 4;

/// A move's effect: pin overflow, crossing signals, group spread, then
/// the destination chip (the last only to make the order total).
type Effect = (i64, i64, i64, u32);

/// An assignment with the counts that make moves cheap to evaluate.
pub(super) struct State<'p> {
    p: &'p Problem,
    /// Chip of each block.
    pub chip_of: Vec<u32>,
    load: Vec<[u64; DIMS]>,
    /// Per net: (chip, blocks of the net on it), sorted by chip.
    net_chips: Tallies,
    /// Per group: (chip, blocks of the group on it), sorted by chip.
    group_chips: Tallies,
    /// Signal pins used on each chip.
    pub pins: Vec<u64>,
    /// Distinct (block, other chip) pairs.
    pub crossing: u64,
    /// Pins above budget, summed over chips.
    pub overflow: u64,
    /// (group, chip) pairs: how scattered the populations are.
    pub spread: u64,
    touch: Vec<u32>,
    touched: Vec<u32>,
    delta: Vec<i64>,
    marked: Vec<bool>,
    changed: Vec<u32>,
}

/// How many of a net's or group's blocks are on `chip`.
fn count(list: &[(u32, u32)], chip: u32) -> u32 {
    match list.binary_search_by_key(&chip, |&(c, _)| c) {
        Ok(i) => list[i].1,
        Err(_) => 0,
    }
}

/// Per net (or group): (chip, blocks of it on that chip), sorted by chip,
/// all in one buffer with room for as many chips as the row has blocks,
/// so that reading a row is one contiguous access.
struct Tallies {
    start: Vec<usize>,
    len: Vec<u32>,
    items: Vec<(u32, u32)>,
}

impl Tallies {
    fn new(rows: &Csr, chip_of: &[u32]) -> Tallies {
        let mut start = Vec::with_capacity(rows.rows() + 1);
        start.push(0);
        for r in 0..rows.rows() {
            start.push(start[r] + rows.row(r).len());
        }
        let mut tallies = Tallies {
            len: vec![0; rows.rows()],
            items: vec![(0, 0); start[rows.rows()]],
            start,
        };
        for r in 0..rows.rows() {
            for &v in rows.row(r) {
                tallies.increment(r, chip_of[v as usize]);
            }
        }
        tallies
    }

    fn row(&self, r: usize) -> &[(u32, u32)] {
        &self.items[self.start[r]..self.start[r] + self.len[r] as usize]
    }

    fn rows(&self) -> usize {
        self.len.len()
    }

    fn increment(&mut self, r: usize, chip: u32) {
        let (s, n) = (self.start[r], self.len[r] as usize);
        match self.items[s..s + n].binary_search_by_key(&chip, |&(c, _)| c) {
            Ok(i) => self.items[s + i].1 += 1,
            Err(i) => {
                // Room exists: a row never spans more chips than blocks.
                self.items.copy_within(s + i..s + n, s + i + 1);
                self.items[s + i] = (chip, 1);
                self.len[r] += 1;
            }
        }
    }

    fn decrement(&mut self, r: usize, chip: u32) {
        let (s, n) = (self.start[r], self.len[r] as usize);
        if let Ok(i) = self.items[s..s + n].binary_search_by_key(&chip, |&(c, _)| c) {
            if self.items[s + i].1 > 1 {
                self.items[s + i].1 -= 1;
            } else {
                self.items.copy_within(s + i + 1..s + n, s + i);
                self.len[r] -= 1;
            }
        }
    }
}

/// Pins a net spread over `spread` chips puts on one of them: λ − 1 on
/// the source's chip, one on every other chip it touches.
fn contribution(spread: i64, source_chip: bool, member: bool) -> i64 {
    if spread < 2 || !member {
        0
    } else if source_chip {
        spread - 1
    } else {
        1
    }
}

impl<'p> State<'p> {
    /// The counts of an assignment.
    pub fn new(p: &'p Problem, chip_of: Vec<u32>) -> State<'p> {
        let chips = chip_of.iter().map(|&c| c as usize + 1).max().unwrap_or(0);
        let mut load = vec![[0u64; DIMS]; chips];
        for (v, &c) in chip_of.iter().enumerate() {
            for (l, w) in load[c as usize].iter_mut().zip(&p.weight[v]) {
                *l = l.saturating_add(*w);
            }
        }
        let net_chips = Tallies::new(&p.net_pins, &chip_of);
        let group_chips = Tallies::new(&p.members, &chip_of);
        let mut state = State {
            p,
            chip_of,
            load,
            net_chips,
            group_chips,
            pins: vec![0; chips],
            crossing: 0,
            overflow: 0,
            spread: 0,
            touch: vec![0; chips],
            touched: Vec::new(),
            delta: vec![0; chips],
            marked: vec![false; chips],
            changed: Vec::new(),
        };
        state.recount();
        state
    }

    /// Pins, crossings and overflow from the net counts.
    fn recount(&mut self) {
        let p = self.p;
        self.pins.iter_mut().for_each(|x| *x = 0);
        for (v, &c) in self.chip_of.iter().enumerate() {
            self.pins[c as usize] += p.ext[v];
        }
        self.crossing = 0;
        for e in 0..self.net_chips.rows() {
            let list = self.net_chips.row(e);
            let spread = list.len() as u64;
            if spread < 2 {
                continue;
            }
            self.crossing += spread - 1;
            let source = self.chip_of[p.net_pins.row(e)[0] as usize];
            for &(c, _) in list {
                self.pins[c as usize] += if c == source { spread - 1 } else { 1 };
            }
        }
        self.spread = self.group_chips.len.iter().map(|&l| u64::from(l)).sum();
        self.overflow = match p.pins {
            Some(cap) => self.pins.iter().map(|&x| x.saturating_sub(cap)).sum(),
            None => 0,
        };
    }

    /// Whether the counts kept move by move equal a recount from the
    /// assignment (for debug assertions).
    pub fn consistent(&self) -> bool {
        let fresh = State::new(self.p, self.chip_of.clone());
        let pins_agree =
            (0..self.pins.len()).all(|c| self.pins[c] == fresh.pins.get(c).copied().unwrap_or(0));
        pins_agree
            && (self.crossing, self.overflow, self.spread)
                == (fresh.crossing, fresh.overflow, fresh.spread)
    }

    /// Chips holding at least one block.
    pub fn used_chips(&self) -> usize {
        self.load
            .iter()
            .filter(|l| l.iter().any(|&x| x > 0))
            .count()
    }

    /// The chip with the most pins and, on it, the block weighing most on
    /// them (its external pins, its outgoing signals, and one per block
    /// elsewhere driving it; ties to the lowest index), with the chip's
    /// pins.
    pub fn pin_culprit(&self) -> (usize, u64) {
        let p = self.p;
        let chip = (0..self.pins.len())
            .max_by_key(|&c| (self.pins[c], std::cmp::Reverse(c)))
            .unwrap_or(0) as u32;
        let weight = |v: usize| -> u64 {
            let mut w = p.ext[v];
            for &e in p.nets_of.row(v) {
                let source = p.net_pins.row(e as usize)[0] as usize;
                let spread = self.net_chips.row(e as usize).len() as u64;
                if source == v {
                    w += spread.saturating_sub(1);
                } else if self.chip_of[source] != chip {
                    w += 1;
                }
            }
            w
        };
        let block = (0..self.chip_of.len())
            .filter(|&v| self.chip_of[v] == chip)
            .max_by_key(|&v| (weight(v), std::cmp::Reverse(v)))
            .unwrap_or(0);
        (block, self.pins.get(chip as usize).copied().unwrap_or(0))
    }

    /// Moves blocks, in index order, pass after pass, until a pass lowers
    /// neither the overflow nor the crossings by 1/`FLAT` of what is left
    /// of them, or `passes` are done. Later passes of a long run gain
    /// little and cost as much as the first.
    pub fn refine(&mut self, passes: usize) {
        const FLAT: u64 = 500;
        for _ in 0..passes {
            let before = (self.overflow, self.crossing);
            for v in 0..self.chip_of.len() {
                if let Some(b) = self.best_move(v) {
                    self.apply(v, b);
                }
            }
            // Overflow never rises; crossings may, to lower the overflow.
            let overflow_gain = before.0 - self.overflow;
            let crossing_gain = before.1.saturating_sub(self.crossing);
            let worth = |gain: u64, left: u64| gain > 0 && gain * FLAT >= left;
            if !worth(overflow_gain, self.overflow) && !worth(crossing_gain, self.crossing) {
                break;
            }
        }
    }

    /// The chip `v` should go to, if any move improves the state.
    fn best_move(&mut self, v: usize) -> Option<u32> {
        let p = self.p;
        let a = self.chip_of[v];
        let nets = p.nets_of.row(v);
        let groups = self.group_chips.row(p.group[v] as usize);
        let group_leave = i64::from(count(groups, a) == 1);
        // Nets on which `v` is alone on its chip: only those can lose a
        // chip by the move, so without one no move saves a crossing.
        let leave: i64 = nets
            .iter()
            .map(|&e| i64::from(count(self.net_chips.row(e as usize), a) == 1))
            .sum();
        // Only a move touching an overloaded chip (its own, or the chip of
        // a block driving it) can lower the overflow; elsewhere only moves
        // that improve the rest are worth working out.
        let cap = p.pins.unwrap_or(u64::MAX);
        let hot = self.overflow > 0
            && (self.pins[a as usize] > cap
                || nets.iter().any(|&e| {
                    let source = p.net_pins.row(e as usize)[0] as usize;
                    self.pins[self.chip_of[source] as usize] > cap
                }));
        if leave == 0 && group_leave == 0 && !hot {
            return None;
        }
        for &e in nets {
            for &(c, _) in self.net_chips.row(e as usize) {
                if c != a {
                    if self.touch[c as usize] == 0 {
                        self.touched.push(c);
                    }
                    self.touch[c as usize] += 1;
                }
            }
        }
        let degree = nets.len() as i64;
        let mut candidates: Vec<Effect> = Vec::with_capacity(self.touched.len());
        for &b in &self.touched {
            if !p.fits(&self.load[b as usize], &p.weight[v]) {
                continue;
            }
            let crossing = degree - i64::from(self.touch[b as usize]) - leave;
            let spread = i64::from(count(groups, b) == 0) - group_leave;
            candidates.push((0, crossing, spread, b));
        }
        for &c in &self.touched {
            self.touch[c as usize] = 0;
        }
        self.touched.clear();

        if p.pins.is_none() {
            return candidates
                .into_iter()
                .min()
                .filter(|&(_, x, g, _)| (x, g) < (0, 0))
                .map(|m| m.3);
        }
        if !hot {
            candidates.retain(|&(_, x, g, _)| (x, g) < (0, 0));
        }
        if candidates.len() > PIN_CHECKS {
            candidates.select_nth_unstable(PIN_CHECKS - 1);
            candidates.truncate(PIN_CHECKS);
        }
        candidates.sort_unstable();
        let mut best: Option<Effect> = None;
        for (_, x, g, b) in candidates {
            let o = self.pin_change(v, a, b);
            self.clear_change();
            let effect = (o, x, g, b);
            if best.is_none_or(|m| effect < m) {
                best = Some(effect);
            }
            if !hot && o <= 0 {
                break;
            }
        }
        best.filter(|&(o, x, g, _)| (o, x, g) < (0, 0, 0))
            .map(|m| m.3)
    }

    /// Works out, into `delta`, how moving `v` from `a` to `b` changes
    /// each chip's pins, and returns the change of the overflow.
    fn pin_change(&mut self, v: usize, a: u32, b: u32) -> i64 {
        let p = self.p;
        let ext = p.ext[v] as i64;
        self.bump(a, -ext);
        self.bump(b, ext);
        for &e in p.nets_of.row(v) {
            let e = e as usize;
            let list = self.net_chips.row(e);
            let source = p.net_pins.row(e)[0] as usize;
            let (was, will) = if source == v {
                (a, b)
            } else {
                let c = self.chip_of[source];
                (c, c)
            };
            let on_a = count(list, a);
            let on_b = count(list, b);
            let spread = list.len() as i64;
            let spread_after = spread - i64::from(on_a == 1) + i64::from(on_b == 0);
            let affected = [a, b, was];
            for (i, &c) in affected.iter().enumerate() {
                if affected[..i].contains(&c) {
                    continue;
                }
                let (member, member_after) = if c == a {
                    (true, on_a > 1)
                } else if c == b {
                    (on_b > 0, true)
                } else {
                    (true, true)
                };
                let d = contribution(spread_after, c == will, member_after)
                    - contribution(spread, c == was, member);
                if d != 0 {
                    self.bump(c, d);
                }
            }
        }
        let Some(cap) = p.pins else { return 0 };
        let over = |x: i64| (x - cap as i64).max(0);
        self.changed
            .iter()
            .map(|&c| {
                let before = self.pins[c as usize] as i64;
                over(before + self.delta[c as usize]) - over(before)
            })
            .sum()
    }

    fn bump(&mut self, chip: u32, d: i64) {
        if !self.marked[chip as usize] {
            self.marked[chip as usize] = true;
            self.changed.push(chip);
        }
        self.delta[chip as usize] += d;
    }

    fn clear_change(&mut self) {
        for &c in &self.changed {
            self.delta[c as usize] = 0;
            self.marked[c as usize] = false;
        }
        self.changed.clear();
    }

    /// Moves `v` to chip `b`, keeping every count exact. Capacities are
    /// the caller's business.
    pub fn apply(&mut self, v: usize, b: u32) {
        let p = self.p;
        let a = self.chip_of[v];
        let o = self.pin_change(v, a, b);
        for &c in &self.changed {
            let pins = &mut self.pins[c as usize];
            *pins = (*pins as i64 + self.delta[c as usize]) as u64;
        }
        self.clear_change();
        self.overflow = (self.overflow as i64 + o) as u64;
        for &e in p.nets_of.row(v) {
            let e = e as usize;
            let list = self.net_chips.row(e);
            let crossing = i64::from(count(list, b) == 0) - i64::from(count(list, a) == 1);
            self.crossing = (self.crossing as i64 + crossing) as u64;
            self.net_chips.decrement(e, a);
            self.net_chips.increment(e, b);
        }
        let g = p.group[v] as usize;
        let groups = self.group_chips.row(g);
        let spread = i64::from(count(groups, b) == 0) - i64::from(count(groups, a) == 1);
        self.spread = (self.spread as i64 + spread) as u64;
        self.group_chips.decrement(g, a);
        self.group_chips.increment(g, b);
        for d in 0..DIMS {
            let w = p.weight[v][d];
            self.load[a as usize][d] -= w;
            self.load[b as usize][d] += w;
        }
        self.chip_of[v] = b;
    }
}
