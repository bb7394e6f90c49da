//! Connectors to synapse tables. Row-wise connectors generate each
//! presynaptic row from its own stream; `fixed_number_pre` generates each
//! postsynaptic column from its own stream and then sorts by row;
//! `fixed_total_number` first splits the total over rows from one stream.
//! Rows are generated in parallel chunks and appended in order, so the
//! tables are identical for any thread count.

use std::collections::{HashMap, HashSet};

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Binomial, Distribution as _, Hypergeometric};
use rayon::prelude::*;

use super::counted;
use super::sample::sample;
use super::streams::{stream, Purpose};
use super::ExpandError;
use spikec_ir::eval::{eval, Leaves};
use spikec_ir::expanded::{Delays, Layout, PopulationValues, RowOrder, SynapseTable, Weights};
use spikec_ir::expr::{ExprArena, ExprKind};
use spikec_ir::network::{
    Connector, IndexSet, ListedConnection, Network, Projection, ProjectionId, Selection, ValueSpec,
};

/// Rows generated at once before appending: bounds the memory held twice.
const CHUNK: usize = 4096;

/// Global ids of a selection's neurons, in selection order.
pub fn selection_ids(layout: &Layout, sel: &Selection) -> Vec<u32> {
    let mut out = Vec::new();
    for part in &sel.parts {
        let base = layout.offsets[part.population.index()];
        match &part.indices {
            IndexSet::All => {
                let end = layout.offsets[part.population.index() + 1];
                out.extend(base..end)
            }
            IndexSet::Range(a, b) => out.extend(base + a..base + b),
            IndexSet::List(v) => out.extend(v.iter().map(|i| base + i)),
        }
    }
    out
}

/// One synapse before storage: target index in the post selection, weight,
/// delay in steps.
pub(super) type Syn = (u32, f64, u32);

/// How a projection's weights or delays are produced for one synapse.
struct ValueGen<'a> {
    spec: &'a ValueSpec,
}

impl ValueGen<'_> {
    /// The value for the `k`-th listed connection (lists) or a draw.
    fn get(&self, listed: Option<usize>, rng: &mut ChaCha8Rng) -> f64 {
        match self.spec {
            ValueSpec::Const(v) => *v,
            ValueSpec::Random(d) => sample(d, rng),
            ValueSpec::Column { values, .. } => listed
                .and_then(|k| values.get(k))
                .copied()
                .unwrap_or(f64::NAN),
            // Validation keeps expressions out of projections.
            ValueSpec::Expr(_) => f64::NAN,
        }
    }
}

pub(super) struct Cx<'a> {
    net: &'a Network,
    pub(super) id: ProjectionId,
    pub(super) proj: &'a Projection,
    /// The order of the rows written.
    pub(super) order: RowOrder,
    pub(super) pre: Vec<u32>,
    pub(super) post: Vec<u32>,
    /// Where each global id sits in `pre` / `post`, for excluding autapses
    /// (empty when the connector allows them).
    pre_index: HashMap<u32, u32>,
    post_index: HashMap<u32, u32>,
    weight: ValueGen<'a>,
    delay: ValueGen<'a>,
    dt: f64,
}

impl Cx<'_> {
    pub(super) fn rng(&self, purpose: Purpose, index: usize) -> ChaCha8Rng {
        stream(
            self.net.seed,
            purpose,
            self.id.index() as u32,
            0,
            index as u64,
        )
    }

    pub(super) fn steps(&self, delay_ms: f64) -> u32 {
        // Delays shorter than a step become one step (warned about at
        // compile time); NEST rounds to the nearest step.
        ((delay_ms / self.dt).round().max(1.0)).min(u32::MAX as f64) as u32
    }

    /// A synapse to post index `j`, drawing weight and delay from `rng`.
    pub(super) fn syn(
        &self,
        j: u32,
        listed: Option<&ListedConnection>,
        k: Option<usize>,
        rng: &mut ChaCha8Rng,
    ) -> Syn {
        let w = listed
            .and_then(|c| c.weight)
            .unwrap_or_else(|| self.weight.get(k, rng));
        let d = listed
            .and_then(|c| c.delay)
            .unwrap_or_else(|| self.delay.get(k, rng));
        (j, w, self.steps(d))
    }

    /// Post indices `0..n_post`, skipping the one that is this row's own
    /// neuron when autapses are off.
    pub(super) fn excluded(&self, row: usize, autapses: bool) -> Option<u32> {
        if autapses {
            return None;
        }
        self.post_index.get(&self.pre[row]).copied()
    }
}

impl Cx<'_> {
    /// How the table stores weights (empty, with room for `total`) and
    /// delays (`Some` steps when one delay serves all): exactly what lists
    /// and files give, single precision for draws.
    pub(super) fn storage(&self, total: usize) -> (Weights, Option<u32>) {
        let listed = |f: fn(&ListedConnection) -> bool| matches!(&self.proj.connector, Connector::FromList { connections, .. } if connections.iter().any(f));
        let weights = match (&self.proj.weight, listed(|c| c.weight.is_some())) {
            (ValueSpec::Const(w), false) => Weights::Const(*w),
            (ValueSpec::Random(_), false) => Weights::F32(Vec::with_capacity(total)),
            _ => Weights::F64(Vec::with_capacity(total)),
        };
        let delay = match (&self.proj.delay, listed(|c| c.delay.is_some())) {
            (ValueSpec::Const(d), false) => Some(self.steps(*d)),
            _ => None,
        };
        (weights, delay)
    }
}

/// Position of each neuron in a selection (its first, if listed twice).
fn positions(ids: &[u32]) -> HashMap<u32, u32> {
    let mut m = HashMap::with_capacity(ids.len());
    for (k, &g) in ids.iter().enumerate() {
        m.entry(g).or_insert(k as u32);
    }
    m
}

/// The context of projection `id`'s expansion.
fn context<'a>(net: &'a Network, layout: &Layout, id: ProjectionId) -> Cx<'a> {
    let proj = &net.projections[id];
    let pre = selection_ids(layout, &proj.pre);
    let post = selection_ids(layout, &proj.post);
    let no_autapses = matches!(
        &proj.connector,
        Connector::AllToAll { autapses: false }
            | Connector::FixedProbability {
                autapses: false,
                ..
            }
            | Connector::FixedNumberPre {
                autapses: false,
                ..
            }
            | Connector::FixedNumberPost {
                autapses: false,
                ..
            }
            | Connector::FixedTotalNumber {
                autapses: false,
                ..
            }
            | Connector::DistanceDependent {
                autapses: false,
                ..
            }
    );
    let (pre_index, post_index) = if no_autapses {
        (positions(&pre), positions(&post))
    } else {
        Default::default()
    };
    Cx {
        net,
        id,
        proj,
        pre,
        post,
        pre_index,
        post_index,
        weight: ValueGen { spec: &proj.weight },
        delay: ValueGen { spec: &proj.delay },
        dt: net.timestep,
        order: RowOrder::Canonical,
    }
}

/// Expands projection `id`.
pub fn table(
    net: &Network,
    layout: &Layout,
    pops: &[PopulationValues],
    id: ProjectionId,
    order: RowOrder,
) -> Result<SynapseTable, ExpandError> {
    let proj = &net.projections[id];
    let mut cx = context(net, layout, id);
    // Only static rows with delays of their own are worth ordering by
    // delay: plastic rows and gap junctions are read whole, in the order
    // every backend reads.
    if order == RowOrder::Delay
        && !proj.is_plastic()
        && !proj.is_gap_junction()
        && cx.storage(0).1.is_none()
    {
        cx.order = RowOrder::Delay;
    }
    if let Some((counts, row)) = counted_rows(&cx) {
        return counted::table(&cx, &counts, &*row);
    }
    let rows: Vec<Vec<Syn>> = match &proj.connector {
        Connector::FixedNumberPre {
            n,
            autapses,
            multapses,
        } => by_columns(&cx, *n, *autapses, *multapses),
        Connector::FromList { connections, .. } => from_list(&cx, connections),
        // Drawn in place above.
        Connector::FixedTotalNumber { .. }
        | Connector::FixedNumberPost { .. }
        | Connector::OneToOne
        | Connector::AllToAll { .. } => Vec::new(),
        Connector::FixedProbability { p, autapses } => by_rows(&cx, |cx, i, rng| {
            let skip = cx.excluded(i, *autapses);
            bernoulli_row(cx.post.len(), *p, rng)
                .into_iter()
                .filter(|j| Some(*j) != skip)
                .map(|j| cx.syn(j, None, None, rng))
                .collect()
        }),
        Connector::DistanceDependent {
            probability,
            autapses,
        } => {
            let pos = |g: u32| {
                let (p, i) = layout.local(g);
                pops[p]
                    .positions
                    .as_ref()
                    .map_or([f64::NAN; 3], |v| v[i as usize])
            };
            by_rows(&cx, |cx, i, rng| {
                let skip = cx.excluded(i, *autapses);
                let a = pos(cx.pre[i]);
                let mut out = Vec::new();
                for (j, &g) in cx.post.iter().enumerate() {
                    let b = pos(g);
                    let d = ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2))
                        .sqrt();
                    let p = eval(&net.exprs, *probability, &DistanceLeaf(d));
                    // Draw for every pair, kept or not, so a row's draws do
                    // not depend on the probabilities of other pairs.
                    let u: f64 = rng.random();
                    if u < p && Some(j as u32) != skip {
                        out.push(cx.syn(j as u32, None, None, rng));
                    }
                }
                out
            })
        }
    };
    store(&cx, rows)
}

/// For connectors whose row lengths are known before the rows are drawn:
/// the lengths, and how to draw a row. The table is then written in place
/// (`counted.rs`); the other connectors gather their rows first.
fn counted_rows<'a>(cx: &Cx<'a>) -> Option<(Vec<u64>, Box<counted::DrawRow<'a>>)> {
    let rows = 0..cx.pre.len();
    match cx.proj.connector {
        Connector::FixedTotalNumber {
            n,
            autapses,
            multapses,
        } => {
            let counts = split_total(cx, n, autapses, multapses);
            let each = counts.clone();
            Some((
                counts,
                Box::new(move |cx, i, rng, out| {
                    choose(cx, i, each[i], autapses, multapses, rng, out)
                }),
            ))
        }
        Connector::FixedNumberPost {
            n,
            autapses,
            multapses,
        } => Some((
            rows.map(|i| picks(cx, i, n, autapses, multapses)).collect(),
            Box::new(move |cx, i, rng, out| choose(cx, i, n, autapses, multapses, rng, out)),
        )),
        Connector::OneToOne => Some((
            vec![1; cx.pre.len()],
            Box::new(|cx, i, rng, out| out.push(cx.syn(i as u32, None, None, rng))),
        )),
        Connector::AllToAll { autapses } => Some((
            rows.map(|i| (cx.post.len() - usize::from(cx.excluded(i, autapses).is_some())) as u64)
                .collect(),
            Box::new(move |cx, i, rng, out| {
                let skip = cx.excluded(i, autapses);
                out.extend(
                    (0..cx.post.len() as u32)
                        .filter(|j| Some(*j) != skip)
                        .map(|j| cx.syn(j, None, None, rng)),
                )
            }),
        )),
        Connector::FixedProbability { .. }
        | Connector::FixedNumberPre { .. }
        | Connector::FromList { .. }
        | Connector::DistanceDependent { .. } => None,
    }
}

struct DistanceLeaf(f64);

impl Leaves for DistanceLeaf {
    fn leaf(&self, _: &ExprArena, kind: &ExprKind) -> f64 {
        match kind {
            ExprKind::Distance => self.0,
            _ => f64::NAN,
        }
    }
}

/// Generates each row from its own stream, in parallel chunks.
fn by_rows(
    cx: &Cx<'_>,
    row: impl Fn(&Cx<'_>, usize, &mut ChaCha8Rng) -> Vec<Syn> + Sync,
) -> Vec<Vec<Syn>> {
    let mut rows = Vec::with_capacity(cx.pre.len());
    for start in (0..cx.pre.len()).step_by(CHUNK) {
        let end = (start + CHUNK).min(cx.pre.len());
        let chunk: Vec<_> = (start..end)
            .into_par_iter()
            .map(|i| {
                let mut rng = cx.rng(Purpose::Row, i);
                let mut r = row(cx, i, &mut rng);
                r.sort_by_key(|s| s.0);
                r
            })
            .collect();
        rows.extend(chunk);
    }
    rows
}

/// Indices `j < n` each kept with probability `p`, by geometric skipping:
/// O(kept) draws instead of O(n).
fn bernoulli_row(n: usize, p: f64, rng: &mut ChaCha8Rng) -> Vec<u32> {
    if p <= 0.0 || n == 0 {
        return Vec::new();
    }
    if p >= 1.0 {
        return (0..n as u32).collect();
    }
    let log_q = (1.0 - p).ln();
    let mut out = Vec::new();
    let mut j: f64 = -1.0;
    loop {
        let u: f64 = rng.random();
        // Gap to the next kept index: Geometric(p) on {0, 1, ...}.
        j += 1.0 + ((1.0 - u).ln() / log_q).floor();
        if j >= n as f64 {
            return out;
        }
        out.push(j as u32);
    }
}

/// How many targets [`choose`] gives row `i` when asked for `k`: all `k`
/// with replacement, at most the available ones without, none when no
/// target is available.
fn picks(cx: &Cx<'_>, i: usize, k: u64, autapses: bool, multapses: bool) -> u64 {
    let n = cx.post.len() as u64 - u64::from(cx.excluded(i, autapses).is_some());
    match (n, multapses) {
        (0, _) => 0,
        (_, true) => k,
        (n, false) => k.min(n),
    }
}

/// [`picks`] targets for row `i` into `out`: with replacement, or distinct
/// (Floyd's algorithm), never the row's own neuron when autapses are off.
fn choose(
    cx: &Cx<'_>,
    i: usize,
    k: u64,
    autapses: bool,
    multapses: bool,
    rng: &mut ChaCha8Rng,
    out: &mut Vec<Syn>,
) {
    let skip = cx.excluded(i, autapses);
    let n = cx.post.len() as u64 - u64::from(skip.is_some());
    // Map 0..n onto post indices, jumping over the excluded one.
    let map = |x: u64| -> u32 {
        let x = x as u32;
        match skip {
            Some(s) if x >= s => x + 1,
            _ => x,
        }
    };
    let picks: Vec<u32> = if n == 0 {
        Vec::new()
    } else if multapses {
        (0..k).map(|_| map(rng.random_range(0..n))).collect()
    } else {
        floyd(n, k.min(n), rng).into_iter().map(map).collect()
    };
    out.extend(picks.into_iter().map(|j| cx.syn(j, None, None, rng)));
}

/// `k` distinct numbers below `n` (Floyd's sampling), in the order drawn.
fn floyd(n: u64, k: u64, rng: &mut ChaCha8Rng) -> Vec<u64> {
    let mut seen = HashSet::with_capacity(k as usize);
    let mut out = Vec::with_capacity(k as usize);
    for j in n - k..n {
        let t = rng.random_range(0..=j);
        let pick = if seen.contains(&t) { j } else { t };
        seen.insert(pick);
        out.push(pick);
    }
    out
}

/// Splits a total number of synapses over rows: multinomially (multapses)
/// or hypergeometrically over the available pairs (distinct pairs).
fn split_total(cx: &Cx<'_>, n: u64, autapses: bool, multapses: bool) -> Vec<u64> {
    let mut rng = cx.rng(Purpose::Split, 0);
    let pairs: Vec<u64> = (0..cx.pre.len())
        .map(|i| cx.post.len() as u64 - u64::from(cx.excluded(i, autapses).is_some()))
        .collect();
    let mut pairs_left: u64 = pairs.iter().sum();
    let mut left = n;
    let mut counts = Vec::with_capacity(pairs.len());
    for &mine in &pairs {
        let k = if left == 0 || pairs_left == 0 {
            0
        } else if mine == pairs_left {
            left
        } else if multapses {
            Binomial::new(left, mine as f64 / pairs_left as f64).map_or(0, |b| b.sample(&mut rng))
        } else {
            Hypergeometric::new(pairs_left, mine, left).map_or(0, |h| h.sample(&mut rng))
        };
        counts.push(k);
        left -= k;
        pairs_left -= mine;
    }
    counts
}

/// `fixed_number_pre`: each column from its own stream, then sorted by row.
fn by_columns(cx: &Cx<'_>, n: u64, autapses: bool, multapses: bool) -> Vec<Vec<Syn>> {
    let n_pre = cx.pre.len() as u64;
    let entries: Vec<Vec<(u32, Syn)>> = (0..cx.post.len())
        .into_par_iter()
        .map(|j| {
            let mut rng = cx.rng(Purpose::Column, j);
            let me = cx.post[j];
            let skip = if autapses {
                None
            } else {
                cx.pre_index.get(&me).map(|&i| i as u64)
            };
            let avail = n_pre - u64::from(skip.is_some());
            let map = |x: u64| match skip {
                Some(s) if x >= s => x + 1,
                _ => x,
            };
            let picks: Vec<u64> = if avail == 0 {
                Vec::new()
            } else if multapses {
                (0..n).map(|_| map(rng.random_range(0..avail))).collect()
            } else {
                floyd(avail, n.min(avail), &mut rng)
                    .into_iter()
                    .map(map)
                    .collect()
            };
            picks
                .into_iter()
                .map(|i| (i as u32, cx.syn(j as u32, None, None, &mut rng)))
                .collect()
        })
        .collect();
    let mut rows: Vec<Vec<Syn>> = vec![Vec::new(); cx.pre.len()];
    // Columns in order, so each row lists its targets in ascending order.
    for column in entries {
        for (i, s) in column {
            rows[i as usize].push(s);
        }
    }
    rows
}

/// Listed connections, grouped by row in list order.
fn from_list(cx: &Cx<'_>, list: &[ListedConnection]) -> Vec<Vec<Syn>> {
    let mut rows: Vec<Vec<Syn>> = vec![Vec::new(); cx.pre.len()];
    for (k, c) in list.iter().enumerate() {
        // Distribution-valued weights of listed connections draw from the
        // stream of their position in the list.
        let mut rng = cx.rng(Purpose::Row, k);
        rows[c.pre as usize].push(cx.syn(c.post, Some(c), Some(k), &mut rng));
    }
    rows
}

/// Packs rows into a table, choosing the weight storage.
fn store(cx: &Cx<'_>, rows: Vec<Vec<Syn>>) -> Result<SynapseTable, ExpandError> {
    let total: usize = rows.iter().map(Vec::len).sum();
    let mut row_ptr = Vec::with_capacity(rows.len() + 1);
    row_ptr.push(0u64);
    let mut targets = Vec::with_capacity(total);
    let (mut weights, const_delay) = cx.storage(total);
    let mut delays = Vec::with_capacity(if const_delay.is_some() { 0 } else { total });
    let mut longest = const_delay.unwrap_or(1);
    for mut row in rows {
        if cx.order == RowOrder::Delay {
            // Stable: as by target within a delay.
            row.sort_by_key(|s| s.2);
        }
        for (j, w, d) in row {
            targets.push(cx.post[j as usize]);
            match &mut weights {
                Weights::Const(_) => {}
                Weights::F32(v) => v.push(w as f32),
                Weights::F64(v) => v.push(w),
            }
            if const_delay.is_none() {
                longest = longest.max(d);
                delays.push(d.min(u16::MAX as u32) as u16);
            }
        }
        row_ptr.push(targets.len() as u64);
    }
    if longest > u16::MAX as u32 {
        return Err(ExpandError::DelayTooLong {
            projection: cx.id,
            steps: longest as u64,
            max_steps: u16::MAX as u64,
        });
    }
    let delays = match const_delay {
        Some(d) => Delays::Const(d as u16),
        None => Delays::PerSynapse(delays),
    };
    Ok(SynapseTable {
        pre: cx.pre.clone(),
        row_ptr,
        targets,
        weights,
        delays,
        order: cx.order,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A network compiled from `src`, with its layout.
    fn network(src: &str) -> (Network, Layout) {
        let c = crate::driver::compile_source("t.snn", src.to_string(), &[]);
        let net = c.network.expect("compiles");
        let layout = Layout::of(&net);
        (net, layout)
    }

    /// Rows by delay are the canonical rows, sorted stably by delay: the
    /// order in which any one cell's inputs are summed is kept.
    #[test]
    fn rows_by_delay_hold_each_target_and_delay_in_canonical_order() {
        let src = "network T {
  timestep 0.1 ms
  seed 8
  population A = IF_curr_exp[20]
  connect A -> A : fixed_total_number(2000, multapses = true) { port excitatory, weight normal(0.1 nA, 0.05 nA), delay uniform(0.1 ms, 1 ms) }
  connect A -> A : fixed_probability(0.5) { port excitatory, weight normal(0.1 nA, 0.05 nA), delay uniform(0.1 ms, 1 ms) }
}
";
        let (net, layout) = network(src);
        for (id, _) in net.projections.iter() {
            let t = |order| table(&net, &layout, &[], id, order).expect("expands");
            let (canon, by_delay) = (t(RowOrder::Canonical), t(RowOrder::Delay));
            assert_eq!(
                (canon.order, by_delay.order),
                (RowOrder::Canonical, RowOrder::Delay)
            );
            assert_eq!(canon.row_ptr, by_delay.row_ptr);
            for r in 0..canon.pre.len() {
                // Each row's (delay, target, weight) in each order.
                let of = |t: &SynapseTable| -> Vec<(u16, u32, u64)> {
                    t.row(r)
                        .map(|s| (t.delays.get(s), t.targets[s], t.weights.get(s).to_bits()))
                        .collect()
                };
                let (a, b) = (of(&canon), of(&by_delay));
                assert!(b.windows(2).all(|w| w[0].0 <= w[1].0), "row {r} by delay");
                // A stable sort of the canonical row by delay.
                let mut sorted = a.clone();
                sorted.sort_by_key(|s| s.0);
                assert_eq!(b, sorted, "row {r}");
            }
        }
    }

    /// Every connector drawn in place gives the table that gathering its
    /// rows and packing them (`store`) gives: the same draws, ties in the
    /// order drawn, the same storage, in either row order.
    #[test]
    fn rows_drawn_in_place_are_the_rows_gathered() {
        let src = "network T {
  timestep 0.1 ms
  seed 3
  population A = IF_curr_exp[40]
  population B = IF_curr_exp[30]
  connect A -> B : fixed_total_number(900, multapses = true) { port excitatory, weight normal(0.1 nA, 0.05 nA), delay uniform(0.1 ms, 3 ms) }
  connect A -> A : fixed_total_number(300, autapses = false, multapses = false) { port inhibitory, weight -0.1 nA, delay uniform(0.1 ms, 3 ms) }
  connect A -> B : fixed_number_post(7, multapses = true) { port excitatory, weight uniform(0.1 nA, 0.2 nA), delay 1 ms }
  connect A -> A : fixed_number_post(39, autapses = false, multapses = false) { port excitatory, weight 0.1 nA, delay normal_clipped(1 ms, 0.5 ms, 0.1 ms, inf) }
  connect A -> A : all_to_all(autapses = false) { port excitatory, weight normal(0.1 nA, 0.01 nA), delay 2 ms }
  connect B -> A[5..35] : one_to_one() { port excitatory, weight uniform(0.1 nA, 0.2 nA), delay uniform(1 ms, 2 ms) }
}
";
        let (net, layout) = network(src);
        for (id, _) in net.projections.iter() {
            for order in [RowOrder::Canonical, RowOrder::Delay] {
                let mut cx = context(&net, &layout, id);
                cx.order = order;
                let (counts, row) = counted_rows(&cx).expect("a counted connector");
                let in_place = counted::table(&cx, &counts, &*row).expect("expands");
                let gathered = store(
                    &cx,
                    by_rows(&cx, |cx, i, rng| {
                        let mut out = Vec::new();
                        row(cx, i, rng, &mut out);
                        out
                    }),
                )
                .expect("expands");
                assert!(!in_place.is_empty());
                assert_eq!(in_place, gathered, "projection {} {order:?}", id.index());
            }
        }
    }
}
