//! The partitioning problem in the form the algorithms work on: integer
//! weights, compressed adjacency and one net per source block.
//!
//! A block's outgoing lines form a net: the block and the distinct blocks
//! it drives. A net spread over λ chips costs λ − 1 crossing signals, one
//! outgoing pin on the source's chip per other chip and one incoming pin on
//! each of those chips, whatever the number of lines behind it; so the
//! pin rule of [`super::Partition`] is the connectivity metric of this
//! hypergraph.
//!
//! Area and bias are compared in integers (10⁻³ µm², nA), rounded to the
//! nearest, so that loads moved back and forth between chips never drift
//! and the outcome does not depend on the order of additions.

use super::{Block, ChipBudget, Line, PartitionError, Resource};

/// Weight dimensions: junctions, area (10⁻³ µm²), bias (nA), block count.
/// The count is never limited; it balances chips when nothing else is.
pub(super) const DIMS: usize = 4;
/// Index of the block count among the dimensions.
pub(super) const COUNT: usize = 3;

/// Fixed-point scale of area and bias.
const SCALE: f64 = 1000.0;

/// A value in fixed point (saturating: values are validated finite and
/// non-negative before).
pub(super) fn fixed(x: f64) -> u64 {
    (x * SCALE).round() as u64
}

/// Validated problem with compressed adjacency.
pub(super) struct Problem {
    /// Weight of each block per dimension.
    pub weight: Vec<[u64; DIMS]>,
    /// Capacity per dimension, `u64::MAX` when unlimited.
    pub cap: [u64; DIMS],
    /// Signal pins per chip, if limited.
    pub pins: Option<u64>,
    /// External pins of each block.
    pub ext: Vec<u64>,
    /// Dense group index of each block (groups in increasing id order).
    pub group: Vec<u32>,
    /// Members of each dense group, in block order.
    pub members: Csr,
    /// Per net: the source first, then its distinct targets ascending.
    pub net_pins: Csr,
    /// Per block: the nets it belongs to (its own first, if it has one).
    pub nets_of: Csr,
    /// Per block: the blocks it drives, then the blocks driving it.
    pub adj: Csr,
}

/// Compressed rows of `u32`.
pub(super) struct Csr {
    start: Vec<usize>,
    items: Vec<u32>,
}

impl Csr {
    /// Row `i`.
    pub fn row(&self, i: usize) -> &[u32] {
        &self.items[self.start[i]..self.start[i + 1]]
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.start.len() - 1
    }

    /// Rows from `(row, item)` pairs by counting sort; items keep the
    /// order of `pairs` within a row.
    fn from_pairs(rows: usize, pairs: impl Iterator<Item = (u32, u32)> + Clone) -> Csr {
        let mut start = vec![0usize; rows + 1];
        for (r, _) in pairs.clone() {
            start[r as usize + 1] += 1;
        }
        for i in 0..rows {
            start[i + 1] += start[i];
        }
        let mut fill = start.clone();
        let mut items = vec![0u32; start[rows]];
        for (r, x) in pairs {
            items[fill[r as usize]] = x;
            fill[r as usize] += 1;
        }
        Csr { start, items }
    }
}

/// The capacity of a limited budget entry in fixed point, or an error if
/// the entry is not a positive finite amount.
fn capacity(value: Option<f64>, resource: Resource) -> Result<u64, PartitionError> {
    match value {
        None => Ok(u64::MAX),
        Some(v) if v.is_finite() && v > 0.0 => Ok(fixed(v)),
        Some(v) => Err(PartitionError::InvalidBudget { resource, value: v }),
    }
}

/// Rejects non-finite or negative block amounts and lines out of range.
fn validate(blocks: &[Block], lines: &[Line]) -> Result<(), PartitionError> {
    for (i, b) in blocks.iter().enumerate() {
        for (field, value) in [("area", b.area_um2), ("bias", b.bias_ua)] {
            if !value.is_finite() || value < 0.0 {
                return Err(PartitionError::InvalidBlock {
                    block: i,
                    name: b.name.clone(),
                    group: b.group,
                    field,
                    value,
                });
            }
        }
    }
    let n = blocks.len();
    for (i, l) in lines.iter().enumerate() {
        // Block indices are stored as u32; more blocks than that cannot
        // be addressed and are rejected the same way.
        if l.from >= n || l.to >= n || n > u32::MAX as usize {
            return Err(PartitionError::LineOutOfRange {
                line: i,
                from: l.from,
                to: l.to,
                blocks: n,
            });
        }
    }
    Ok(())
}

/// The first block (in index order) that alone exceeds a budget. Area
/// and bias are compared as the algorithms compare them, so a block
/// accepted here always fits an empty chip there.
fn too_big(blocks: &[Block], budget: &ChipBudget) -> Option<PartitionError> {
    for (i, b) in blocks.iter().enumerate() {
        let over = |resource: Resource, need: f64, have: f64| PartitionError::BlockTooBig {
            block: i,
            name: b.name.clone(),
            group: b.group,
            resource,
            need,
            have,
        };
        if let Some(cap) = budget.jjs.filter(|&cap| b.jjs > cap) {
            return Some(over(Resource::Jjs, b.jjs as f64, cap as f64));
        }
        if let Some(cap) = budget
            .area_um2
            .filter(|&cap| fixed(b.area_um2) > fixed(cap))
        {
            return Some(over(Resource::Area, b.area_um2, cap));
        }
        if let Some(cap) = budget.bias_ua.filter(|&cap| fixed(b.bias_ua) > fixed(cap)) {
            return Some(over(Resource::Bias, b.bias_ua, cap));
        }
        if let Some(cap) = budget.pins.filter(|&cap| b.external_pins > cap) {
            return Some(over(
                Resource::Pins,
                f64::from(b.external_pins),
                f64::from(cap),
            ));
        }
    }
    None
}

impl Problem {
    /// Validates the input and builds the compressed form.
    pub fn new(
        blocks: &[Block],
        lines: &[Line],
        budget: &ChipBudget,
    ) -> Result<Problem, PartitionError> {
        let cap = [
            match budget.jjs {
                Some(0) => {
                    return Err(PartitionError::InvalidBudget {
                        resource: Resource::Jjs,
                        value: 0.0,
                    })
                }
                Some(j) => j,
                None => u64::MAX,
            },
            capacity(budget.area_um2, Resource::Area)?,
            capacity(budget.bias_ua, Resource::Bias)?,
            u64::MAX,
        ];
        if budget.pins == Some(0) {
            return Err(PartitionError::InvalidBudget {
                resource: Resource::Pins,
                value: 0.0,
            });
        }
        validate(blocks, lines)?;
        if let Some(e) = too_big(blocks, budget) {
            return Err(e);
        }
        let n = blocks.len();
        let weight = blocks
            .iter()
            .map(|b| [b.jjs, fixed(b.area_um2), fixed(b.bias_ua), 1])
            .collect();
        let ext = blocks.iter().map(|b| u64::from(b.external_pins)).collect();

        let mut ids: Vec<u32> = blocks.iter().map(|b| b.group).collect();
        ids.sort_unstable();
        ids.dedup();
        let group: Vec<u32> = blocks
            .iter()
            .map(|b| ids.binary_search(&b.group).unwrap_or(0) as u32)
            .collect();
        let members = Csr::from_pairs(
            ids.len(),
            group.iter().enumerate().map(|(i, &g)| (g, i as u32)),
        );

        // Distinct targets per source, self-lines dropped, ascending.
        let raw = Csr::from_pairs(
            n,
            lines
                .iter()
                .filter(|l| l.from != l.to)
                .map(|l| (l.from as u32, l.to as u32)),
        );
        let mut seen = vec![u32::MAX; n];
        let mut out_pairs: Vec<(u32, u32)> = Vec::new();
        for s in 0..n {
            let start = out_pairs.len();
            for &t in raw.row(s) {
                if seen[t as usize] != s as u32 {
                    seen[t as usize] = s as u32;
                    out_pairs.push((s as u32, t));
                }
            }
            out_pairs[start..].sort_unstable();
        }
        drop(raw);
        let out = Csr::from_pairs(n, out_pairs.iter().copied());
        let inn = Csr::from_pairs(n, out_pairs.iter().map(|&(s, t)| (t, s)));

        // Nets: one per block that drives another, numbered by source.
        let mut net_pairs: Vec<(u32, u32)> = Vec::with_capacity(out_pairs.len() + n);
        let mut net_of_source = vec![u32::MAX; n];
        let mut nets = 0u32;
        for (s, net) in net_of_source.iter_mut().enumerate() {
            if !out.row(s).is_empty() {
                *net = nets;
                net_pairs.push((nets, s as u32));
                net_pairs.extend(out.row(s).iter().map(|&t| (nets, t)));
                nets += 1;
            }
        }
        let net_pins = Csr::from_pairs(nets as usize, net_pairs.iter().copied());
        let (net_of_source, inn, out) = (&net_of_source, &inn, &out);
        let nets_of = Csr::from_pairs(
            n,
            (0..n).flat_map(|v| {
                let own = net_of_source[v];
                let own = (own != u32::MAX).then_some((v as u32, own));
                own.into_iter().chain(
                    inn.row(v)
                        .iter()
                        .map(move |&s| (v as u32, net_of_source[s as usize])),
                )
            }),
        );
        let adj = Csr::from_pairs(
            n,
            (0..n).flat_map(|v| {
                out.row(v)
                    .iter()
                    .chain(inn.row(v))
                    .map(move |&u| (v as u32, u))
            }),
        );
        Ok(Problem {
            weight,
            cap,
            pins: budget.pins.map(u64::from),
            ext,
            group,
            members,
            net_pins,
            nets_of,
            adj,
        })
    }

    /// Number of blocks.
    pub fn blocks(&self) -> usize {
        self.weight.len()
    }

    /// Whether dimension `d` has a limit.
    pub fn limited(&self, d: usize) -> bool {
        self.cap[d] != u64::MAX
    }

    /// Whether a block of weight `w` fits a chip loaded with `load`.
    pub fn fits(&self, load: &[u64; DIMS], w: &[u64; DIMS]) -> bool {
        (0..DIMS).all(|d| load[d].saturating_add(w[d]) <= self.cap[d])
    }

    /// Sum of all weights per dimension.
    pub fn totals(&self) -> [u64; DIMS] {
        let mut t = [0u64; DIMS];
        for w in &self.weight {
            for d in 0..DIMS {
                t[d] = t[d].saturating_add(w[d]);
            }
        }
        t
    }

    /// The most blocks one chip can hold: the smallest blocks, taken
    /// until a limited dimension is full.
    pub fn max_blocks_per_chip(&self) -> u64 {
        let mut most = self.blocks() as u64;
        for d in (0..DIMS).filter(|&d| self.limited(d)) {
            let mut w: Vec<u64> = self.weight.iter().map(|w| w[d]).collect();
            w.sort_unstable();
            let mut sum = 0u64;
            let fit = w
                .iter()
                .take_while(|&&x| {
                    sum = sum.saturating_add(x);
                    sum <= self.cap[d]
                })
                .count();
            most = most.min(fit as u64);
        }
        most.max(1)
    }

    /// A block whose chip needs more pins than the budget in any split,
    /// with that need (the largest such, lowest index on ties). The chip
    /// holding `v` holds at most `B − 1` other blocks, at best all of them
    /// both drivers and targets of `v`: every other driver of `v` needs an
    /// incoming pin, and the other targets of `v` lie on at least
    /// ⌈targets / B⌉ other chips, each an outgoing pin.
    pub fn pin_certificate(&self) -> Option<(usize, u64)> {
        let cap = self.pins?;
        let room = self.max_blocks_per_chip() - 1;
        let per_chip = room + 1;
        let mut worst: Option<(usize, u64)> = None;
        for v in 0..self.blocks() {
            let nets = self.nets_of.row(v);
            let own = nets
                .first()
                .filter(|&&e| self.net_pins.row(e as usize)[0] as usize == v);
            let targets = own.map_or(0, |&e| self.net_pins.row(e as usize).len() as u64 - 1);
            let drivers = nets.len() as u64 - u64::from(own.is_some());
            let need = self.ext[v]
                + drivers.saturating_sub(room)
                + targets.saturating_sub(room).div_ceil(per_chip);
            if need > cap && worst.is_none_or(|(_, w)| need > w) {
                worst = Some((v, need));
            }
        }
        worst
    }

    /// A lower bound on the number of chips: every limited resource, and
    /// the external pins, divided by a chip's share, rounded up.
    pub fn lower_bound(&self) -> usize {
        let totals = self.totals();
        let mut k = 1u64;
        for (d, total) in totals.iter().enumerate() {
            if self.limited(d) {
                k = k.max(total.div_ceil(self.cap[d]));
            }
        }
        if let Some(p) = self.pins {
            let ext = self.ext.iter().fold(0u64, |sum, &x| sum.saturating_add(x));
            k = k.max(ext.div_ceil(p));
        }
        usize::try_from(k).unwrap_or(usize::MAX).min(self.blocks())
    }
}
