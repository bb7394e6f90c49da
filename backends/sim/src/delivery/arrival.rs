//! Delivery at arrival: a population's input for a step is gathered in
//! that step from the spikes that arrive in it.
//!
//! Why: a large network's rows scatter over `ports × slots × n` ring-buffer
//! cells per population (about 37 MB for the full-scale microcircuit), so
//! at emission nearly every synaptic event is a cache miss. Gathered at
//! arrival, every event of a step lands in the step's own input
//! (`ports × n` cells, kilobytes to a megabyte), and what is read, the rows
//! sorted by delay, is read in runs.
//!
//! The spikes of the last steps are remembered per source population
//! ([`History`]); each static projection with per-synapse delays gets the
//! start of every delay's run in each row ([`ByDelay`]), over its rows as
//! the expansion ordered them by delay ([`RowOrder::Delay`], as the driver
//! asks), or else over a copy sorted so. Unrecorded Poisson sources are not
//! remembered but drawn again where they arrive (`sources.rs`).
//!
//! To keep the sums of delivery at emission bit for bit, a step's input is
//! gathered in their order: sending step first (longest delay first), then
//! the order of that step's spikes (population, neuron), their rows, the
//! rows' routes and, within a row, the synapses of the delay in table order
//! (the order by delay is stable).

use rayon::prelude::*;

use super::{Buffers, Route};
use crate::sources::Poisson;
use spikec_ir::eval::Precision;
use spikec_ir::expanded::{Delays, Expanded, RowOrder, SynapseTable, Weights};

/// How a projection's spikes travel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Sending {
    /// It carries no spikes (gap junctions).
    None,
    /// Fixed weights: deliverable at arrival.
    Static,
    /// Weights that change as spikes are sent: only at emission.
    Plastic,
}

/// One row to gather for a population: projection, row and route indices.
#[derive(Clone, Copy)]
struct Entry {
    k: u32,
    row: u32,
    route: u32,
}

/// The rows from one source population into one target population.
struct Edge {
    source: usize,
    /// The shortest and longest delay of the edge's projections (steps).
    dmin: u16,
    dmax: u16,
    /// Source neuron `i`'s rows are `entries[offsets[i]..offsets[i + 1]]`,
    /// in the order of the neuron's outgoing rows and their routes.
    offsets: Vec<u32>,
    entries: Vec<Entry>,
    /// When every source neuron has exactly one synapse in the edge, of
    /// one projection with one delay (`one_to_one`, background input): the
    /// synapses themselves, so that a spike costs one addition.
    direct: Option<Direct>,
}

/// An edge of one synapse per source neuron.
struct Direct {
    /// The projection and route.
    k: usize,
    route: usize,
    /// Per source neuron: its target's index in the population, and the
    /// synapse's weight.
    cells: Vec<u32>,
    weights: Vec<f64>,
}

impl Direct {
    /// The edge as direct synapses, if it is one.
    fn of(edge: &Edge, ex: &Expanded, routes: &[Vec<Route>]) -> Option<Direct> {
        let first = edge.entries.first()?;
        let (k, route) = (first.k as usize, first.route as usize);
        let t = &ex.projections[k];
        let r = &routes[k][route];
        if !matches!(t.delays, Delays::Const(_))
            || edge.offsets.windows(2).any(|w| w[1] != w[0] + 1)
        {
            return None;
        }
        let mut cells = Vec::with_capacity(edge.entries.len());
        let mut weights = Vec::with_capacity(edge.entries.len());
        for e in &edge.entries {
            let syn = t.row(e.row as usize);
            let g = *t.targets.get(syn.start)?;
            if e.k != first.k
                || e.route != first.route
                || syn.len() != 1
                || !(r.start..r.end).contains(&g)
            {
                return None;
            }
            cells.push(g - r.start);
            weights.push(t.weights.get(syn.start));
        }
        Some(Direct {
            k,
            route,
            cells,
            weights,
        })
    }
}

/// A projection's rows, each sorted by delay (stable), with where each
/// delay's run starts.
struct ByDelay {
    /// The rows' targets and weights (a constant stays constant) sorted by
    /// delay, unless the table's rows already are ([`RowOrder::Delay`]).
    copy: Option<(Vec<u32>, Weights)>,
    dmin: u16,
    /// Offsets per row: `dmax - dmin + 2`.
    width: usize,
    /// Delay `dmin + j` of row `r` is the row's synapses
    /// `starts[r * width + j]..starts[r * width + j + 1]`.
    starts: Vec<u32>,
}

/// The spikes each of a source population's last steps sent: step `e` in
/// `steps[e % steps.len()]`, as (neuron, count).
#[derive(Default)]
struct History {
    steps: Vec<Vec<(u32, u32)>>,
}

impl History {
    /// The spikes sent in step `e` (none if nothing is remembered).
    fn at(&self, e: u64) -> &[(u32, u32)] {
        match self.steps.len() as u64 {
            0 => &[],
            depth => &self.steps[(e % depth) as usize],
        }
    }
}

/// Delivery at arrival for the populations that can take it.
pub(crate) struct Arrivals {
    /// Per population: whether its input is gathered at arrival.
    deferred: Vec<bool>,
    /// Per target population: its incoming edges, in source order.
    incoming: Vec<Vec<Edge>>,
    /// Per target population: its longest incoming delay.
    longest: Vec<u16>,
    /// Per source population.
    history: Vec<History>,
    /// Per projection: its rows by delay, when its delays differ and a
    /// population gathers from it.
    sorted: Vec<Option<ByDelay>>,
    /// Per population: whether it is a Poisson source drawn at arrival
    /// (nobody records it and all its rows are gathered), and, once set,
    /// its generator.
    drawn: Vec<bool>,
    sources: Vec<Option<Poisson>>,
    /// The timestep (ms).
    h: f64,
}

/// The largest delay index, in offsets, worth building for a projection:
/// twice its synapses, or a few million, whichever is more. Beyond it
/// (rows with delays spread over many steps) its targets take delivery at
/// emission.
fn index_budget(synapses: usize) -> usize {
    2 * synapses + (1 << 22)
}

impl Arrivals {
    /// Decides which populations gather at arrival and builds what they
    /// read. `outgoing[g]` lists neuron `g`'s rows (projection, row) in
    /// delivery order; `routes[k]` are projection `k`'s targets; `quiet`
    /// marks the Poisson sources nobody records, which are drawn at arrival
    /// when all their rows are gathered ([`Arrivals::draw`]).
    pub(crate) fn plan(
        ex: &Expanded,
        sending: &[Sending],
        routes: &[Vec<Route>],
        outgoing: &[Vec<(u32, u32)>],
        quiet: &[bool],
        h: f64,
    ) -> Arrivals {
        let pops = ex.populations.len();
        let delays: Vec<(u16, u16)> = ex
            .projections
            .iter()
            .map(|t| match &t.delays {
                Delays::Const(d) => (*d, *d),
                Delays::PerSynapse(v) => v
                    .par_iter()
                    .fold(|| (u16::MAX, 0), |(a, b), &d| (a.min(d), b.max(d)))
                    .reduce(|| (u16::MAX, 0), |x, y| (x.0.min(y.0), x.1.max(y.1))),
            })
            .collect();
        let indexable = |k: usize| {
            let t = &ex.projections[k];
            let (lo, hi) = delays[k];
            matches!(t.delays, Delays::Const(_))
                || t.is_empty()
                || t.pre.len() * (hi.saturating_sub(lo) as usize + 2) <= index_budget(t.len())
        };
        let mut deferred = vec![false; pops];
        let mut refused = vec![false; pops];
        for (k, rs) in routes.iter().enumerate() {
            for r in rs {
                match sending[k] {
                    Sending::None => {}
                    Sending::Static if indexable(k) => deferred[r.pop] = true,
                    _ => refused[r.pop] = true,
                }
            }
        }
        for (d, r) in deferred.iter_mut().zip(&refused) {
            *d &= !r;
        }
        let gathered =
            |k: usize| sending[k] == Sending::Static && routes[k].iter().any(|r| deferred[r.pop]);
        let drawn: Vec<bool> = (0..pops)
            .map(|s| {
                let (lo, hi) = (ex.layout.offsets[s], ex.layout.offsets[s + 1]);
                quiet[s]
                    && (lo..hi).all(|g| {
                        outgoing[g as usize].iter().all(|&(k, _)| {
                            let k = k as usize;
                            sending[k] == Sending::Static
                                && routes[k].iter().all(|r| deferred[r.pop])
                        })
                    })
            })
            .collect();
        let sorted: Vec<Option<ByDelay>> = (0..ex.projections.len())
            .map(|k| {
                let t = &ex.projections[k];
                match &t.delays {
                    Delays::PerSynapse(d) if gathered(k) && !t.is_empty() => {
                        Some(ByDelay::new(t, d, delays[k]))
                    }
                    _ => None,
                }
            })
            .collect();
        // Edges, source by source so that each target's list is in source
        // order.
        let mut incoming: Vec<Vec<Edge>> = (0..pops).map(|_| Vec::new()).collect();
        let mut longest = vec![0u16; pops];
        let mut history: Vec<History> = (0..pops).map(|_| History::default()).collect();
        for s in 0..pops {
            let (lo, hi) = (ex.layout.offsets[s], ex.layout.offsets[s + 1]);
            let mut edges: Vec<Option<Edge>> = (0..pops).map(|_| None).collect();
            for (i, g) in (lo..hi).enumerate() {
                for &(k, row) in &outgoing[g as usize] {
                    if !gathered(k as usize) {
                        continue;
                    }
                    for (r, route) in routes[k as usize].iter().enumerate() {
                        if !deferred[route.pop] {
                            continue;
                        }
                        let (dlo, dhi) = delays[k as usize];
                        let e = edges[route.pop].get_or_insert_with(|| Edge {
                            source: s,
                            dmin: dlo,
                            dmax: dhi,
                            offsets: vec![0; (hi - lo) as usize + 1],
                            entries: Vec::new(),
                            direct: None,
                        });
                        e.dmin = e.dmin.min(dlo);
                        e.dmax = e.dmax.max(dhi);
                        e.entries.push(Entry {
                            k,
                            row,
                            route: r as u32,
                        });
                        e.offsets[i + 1] = e.entries.len() as u32;
                    }
                }
                // Neurons without rows into a target end where the last
                // one with rows did.
                for e in edges.iter_mut().flatten() {
                    e.offsets[i + 1] = e.entries.len() as u32;
                }
            }
            let mut depth = 0usize;
            for (p, e) in edges.into_iter().enumerate() {
                if let Some(mut e) = e {
                    e.direct = Direct::of(&e, ex, routes);
                    depth = depth.max(e.dmax as usize + 1);
                    longest[p] = longest[p].max(e.dmax);
                    incoming[p].push(e);
                }
            }
            if !drawn[s] {
                history[s].steps = vec![Vec::new(); depth];
            }
        }
        Arrivals {
            deferred,
            incoming,
            longest,
            history,
            sorted,
            sources: vec![None; pops],
            drawn,
            h,
        }
    }

    /// Delivery at emission for every one of `pops` populations.
    pub(crate) fn none(pops: usize, h: f64) -> Arrivals {
        Arrivals {
            deferred: vec![false; pops],
            incoming: (0..pops).map(|_| Vec::new()).collect(),
            longest: vec![0; pops],
            history: (0..pops).map(|_| History::default()).collect(),
            sorted: Vec::new(),
            drawn: vec![false; pops],
            sources: vec![None; pops],
            h,
        }
    }

    /// Whether population `p` is a Poisson source drawn at arrival, whose
    /// counts the step loop need not draw.
    pub(crate) fn draws(&self, p: usize) -> bool {
        self.drawn[p]
    }

    /// Sets the generator of a source that [`Arrivals::draws`].
    pub(crate) fn draw(&mut self, p: usize, source: Poisson) {
        self.sources[p] = Some(source);
    }

    /// Whether population `p` gathers its input at arrival.
    pub(crate) fn gathers(&self, p: usize) -> bool {
        self.deferred[p]
    }

    /// Remembers the spikes of `step`, `(population, neuron, count)` in
    /// delivery order, for the populations whose spikes are gathered.
    pub(crate) fn remember(&mut self, step: u64, fired: &[(u32, u32, u32)]) {
        for h in &mut self.history {
            if !h.steps.is_empty() {
                let depth = h.steps.len() as u64;
                h.steps[(step % depth) as usize].clear();
            }
        }
        for &(p, i, mult) in fired {
            let h = &mut self.history[p as usize];
            if !h.steps.is_empty() {
                let depth = h.steps.len() as u64;
                h.steps[(step % depth) as usize].push((i, mult));
            }
        }
    }

    /// Adds everything that arrives at population `p` in `step` into the
    /// step's slot of its buffers. `runs` is scratch.
    ///
    /// The runs to add are listed first and added after, so that the
    /// lookups of where they start are independent loads the processor
    /// overlaps, and each run's synapses can be fetched a few runs ahead;
    /// the additions keep their order.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn gather(
        &self,
        p: usize,
        step: u64,
        ex: &Expanded,
        routes: &[Vec<Route>],
        buf: &mut Buffers<'_>,
        runs: &mut Vec<Run>,
    ) {
        let slot = (step % buf.slots as u64) as usize;
        runs.clear();
        for d in (1..=self.longest[p]).rev() {
            let Some(sent) = step.checked_sub(d as u64) else {
                continue;
            };
            for edge in &self.incoming[p] {
                if d < edge.dmin || d > edge.dmax {
                    continue;
                }
                if let Some(direct) = &edge.direct {
                    // Everything listed so far comes first.
                    self.add_runs(runs, ex, routes, buf, slot);
                    let route = &routes[direct.k][direct.route];
                    let base = (route.port * buf.slots + slot) * buf.n;
                    let input = &mut buf.input[base..base + buf.n];
                    let plain = route.plain(buf.q);
                    let mut one = |i: u32, mult: u32| {
                        let i = i as usize;
                        let cell = &mut input[direct.cells[i] as usize];
                        let w = direct.weights[i];
                        if plain {
                            *cell += w * mult as f64;
                        } else {
                            route.add(buf.q, cell, w, mult as f64);
                        }
                    };
                    match &self.sources[edge.source] {
                        Some(source) => source.counts(sent, self.h, one),
                        None => {
                            for &(i, mult) in self.history[edge.source].at(sent) {
                                one(i, mult);
                            }
                        }
                    }
                    continue;
                }
                let mut rows_of = |i: u32, mult: u32| {
                    let i = i as usize;
                    let rows = edge.offsets[i] as usize..edge.offsets[i + 1] as usize;
                    for entry in &edge.entries[rows] {
                        let k = entry.k as usize;
                        let t = &ex.projections[k];
                        match (&self.sorted[k], &t.delays) {
                            // Where the run starts is read when the runs
                            // are added; ask for it now.
                            (Some(by), _) => by.prefetch(t, entry.row as usize, d),
                            (None, Delays::Const(dk)) if *dk == d => {}
                            _ => continue,
                        }
                        runs.push(Run {
                            k: entry.k,
                            route: entry.route,
                            mult,
                            row: entry.row,
                            d,
                            start: 0,
                            end: 0,
                        });
                    }
                };
                match &self.sources[edge.source] {
                    Some(source) => source.counts(sent, self.h, rows_of),
                    None => {
                        for &(i, mult) in self.history[edge.source].at(sent) {
                            rows_of(i, mult);
                        }
                    }
                }
            }
        }
        self.add_runs(runs, ex, routes, buf, slot);
    }

    /// The synapses a run of projection `k` indexes: its sorted copy, or
    /// its table.
    fn synapses<'a>(&'a self, ex: &'a Expanded, k: usize) -> (&'a [u32], &'a Weights) {
        match &self.sorted[k] {
            Some(ByDelay {
                copy: Some((targets, weights)),
                ..
            }) => (targets, weights),
            _ => (&ex.projections[k].targets, &ex.projections[k].weights),
        }
    }

    /// Adds the listed runs, in order, and empties the list.
    fn add_runs(
        &self,
        runs: &mut Vec<Run>,
        ex: &Expanded,
        routes: &[Vec<Route>],
        buf: &mut Buffers<'_>,
        slot: usize,
    ) {
        // Where each run's synapses are (their starts were asked for as
        // the runs were listed); runs of no synapses go.
        runs.retain_mut(|run| {
            let k = run.k as usize;
            let t = &ex.projections[k];
            let range = match &self.sorted[k] {
                Some(by) => by.run(t, run.row as usize, run.d),
                None => Some(t.row(run.row as usize)),
            };
            if let Some(r) = range {
                (run.start, run.end) = (r.start, r.end);
            }
            run.start < run.end
        });
        for (j, run) in runs.iter().enumerate() {
            if let Some(next) = runs.get(j + AHEAD) {
                let (targets, weights) = self.synapses(ex, next.k as usize);
                prefetch(targets, next.start);
                match weights {
                    Weights::F32(v) => prefetch(v, next.start),
                    Weights::F64(v) => prefetch(v, next.start),
                    Weights::Const(_) => {}
                }
            }
            let k = run.k as usize;
            let (targets, weights) = self.synapses(ex, k);
            let route = &routes[k][run.route as usize];
            let base = (route.port * buf.slots + slot) * buf.n;
            let targets = &targets[run.start..run.end];
            add_run(
                buf.input, buf.q, route, base, targets, weights, run.start, run.mult,
            );
        }
        runs.clear();
    }
}

/// A run of synapses to add: its projection and route, the row and delay
/// it is of, the count of the spike, and once found its synapses
/// `start..end` (of the table, or of its sorted copy).
#[derive(Clone, Copy)]
pub(crate) struct Run {
    k: u32,
    route: u32,
    mult: u32,
    row: u32,
    d: u16,
    start: usize,
    end: usize,
}

/// How many runs ahead their synapses are fetched.
const AHEAD: usize = 6;

/// Asks for the cache line of `v[i]` (a hint: nothing happens elsewhere
/// than on x86-64, or past the end).
#[inline]
fn prefetch<T>(v: &[T], i: usize) {
    #[cfg(target_arch = "x86_64")]
    if let Some(x) = v.get(i) {
        // SAFETY: a prefetch of a valid address; it reads and changes
        // nothing the program sees.
        unsafe {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            _mm_prefetch::<_MM_HINT_T0>((x as *const T).cast::<i8>());
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (v, i);
}

/// Adds a run of synapses (`targets`, the weights from index `first`),
/// each `mult` times, into the plane of cells at `base`.
#[allow(clippy::too_many_arguments)]
#[inline]
fn add_run(
    input: &mut [f64],
    q: Precision,
    route: &Route,
    base: usize,
    targets: &[u32],
    weights: &Weights,
    first: usize,
    mult: u32,
) {
    let m = mult as f64;
    let (start, end) = (route.start, route.end);
    let cell = |g: u32| base + (g - start) as usize;
    if route.plain(q) {
        match weights {
            Weights::Const(w) => {
                let add = w * m;
                for &g in targets {
                    if (start..end).contains(&g) {
                        input[cell(g)] += add;
                    }
                }
            }
            Weights::F32(v) => {
                for (&g, &w) in targets.iter().zip(&v[first..]) {
                    if (start..end).contains(&g) {
                        input[cell(g)] += w as f64 * m;
                    }
                }
            }
            Weights::F64(v) => {
                for (&g, &w) in targets.iter().zip(&v[first..]) {
                    if (start..end).contains(&g) {
                        input[cell(g)] += w * m;
                    }
                }
            }
        }
    } else {
        for (j, &g) in targets.iter().enumerate() {
            if (start..end).contains(&g) {
                route.add(q, &mut input[cell(g)], weights.get(first + j), m);
            }
        }
    }
}

/// Synapses per block when sorting rows in parallel.
const BLOCK: u64 = 1 << 20;

impl ByDelay {
    /// Sorts each row of `t` by delay (`delays`, spanning `lo..=hi`).
    fn new(t: &SynapseTable, delays: &[u16], (lo, hi): (u16, u16)) -> ByDelay {
        let width = (hi - lo) as usize + 2;
        let mut starts = vec![0u32; t.pre.len() * width];
        let copy = if t.order == RowOrder::Delay {
            // Sorted by the expansion: only where each delay starts.
            let mut none: [u32; 0] = [];
            sort_rows(
                t,
                delays,
                lo,
                width,
                &[] as &[f32],
                &mut none,
                &mut [],
                &mut starts,
            );
            None
        } else {
            let mut targets = vec![0u32; t.len()];
            let weights = match &t.weights {
                Weights::Const(w) => {
                    let mut none: [f32; 0] = [];
                    sort_rows(
                        t,
                        delays,
                        lo,
                        width,
                        &[],
                        &mut targets,
                        &mut none,
                        &mut starts,
                    );
                    Weights::Const(*w)
                }
                Weights::F32(v) => {
                    let mut out = vec![0f32; v.len()];
                    sort_rows(t, delays, lo, width, v, &mut targets, &mut out, &mut starts);
                    Weights::F32(out)
                }
                Weights::F64(v) => {
                    let mut out = vec![0f64; v.len()];
                    sort_rows(t, delays, lo, width, v, &mut targets, &mut out, &mut starts);
                    Weights::F64(out)
                }
            };
            Some((targets, weights))
        };
        ByDelay {
            copy,
            dmin: lo,
            width,
            starts,
        }
    }

    /// Asks for the cache lines [`ByDelay::run`] will read.
    #[inline]
    fn prefetch(&self, t: &SynapseTable, row: usize, d: u16) {
        if let Some(j) = d.checked_sub(self.dmin) {
            prefetch(&self.starts, row * self.width + j as usize);
            prefetch(&t.row_ptr, row);
        }
    }

    /// The synapses of `row` with delay `d`, if any.
    #[inline]
    fn run(&self, t: &SynapseTable, row: usize, d: u16) -> Option<std::ops::Range<usize>> {
        let j = d.checked_sub(self.dmin)? as usize;
        if j + 1 >= self.width {
            return None;
        }
        let at = row * self.width + j;
        let (a, b) = (self.starts[at] as usize, self.starts[at + 1] as usize);
        let base = t.row_ptr[row] as usize;
        (a < b).then(|| base + a..base + b)
    }
}

/// Counting sort of every row by delay into `targets` and `weights`
/// (`weights` empty when the weight is constant; both empty for the run
/// starts alone), with each row's run starts in `starts`; rows in parallel
/// blocks.
#[allow(clippy::too_many_arguments)]
fn sort_rows<W: Copy + Send + Sync>(
    t: &SynapseTable,
    delays: &[u16],
    lo: u16,
    width: usize,
    weights: &[W],
    targets: &mut [u32],
    out: &mut [W],
    starts: &mut [u32],
) {
    let has_w = !weights.is_empty();
    let copy = !targets.is_empty();
    // Split the outputs at row boundaries into blocks of about BLOCK
    // synapses.
    let mut blocks = Vec::new();
    let (mut tg, mut wt, mut st) = (targets, out, starts);
    let mut r0 = 0;
    while r0 < t.pre.len() {
        let mut r1 = r0 + 1;
        while r1 < t.pre.len() && t.row_ptr[r1] - t.row_ptr[r0] < BLOCK {
            r1 += 1;
        }
        let syn = (t.row_ptr[r1] - t.row_ptr[r0]) as usize;
        let (a, rest) = std::mem::take(&mut tg).split_at_mut(if copy { syn } else { 0 });
        tg = rest;
        let (b, rest) = std::mem::take(&mut wt).split_at_mut(if has_w { syn } else { 0 });
        wt = rest;
        let (c, rest) = std::mem::take(&mut st).split_at_mut((r1 - r0) * width);
        st = rest;
        blocks.push((r0, r1, a, b, c));
        r0 = r1;
    }
    blocks.into_par_iter().for_each(|(r0, r1, tg, wt, st)| {
        let first = t.row_ptr[r0] as usize;
        let mut cursor = vec![0u32; width];
        for r in r0..r1 {
            let range = t.row(r);
            let row_starts = &mut st[(r - r0) * width..(r - r0 + 1) * width];
            for &d in &delays[range.clone()] {
                row_starts[(d - lo) as usize + 1] += 1;
            }
            for j in 1..width {
                row_starts[j] += row_starts[j - 1];
            }
            if !copy {
                continue;
            }
            cursor.copy_from_slice(row_starts);
            let off = range.start - first;
            for s in range {
                let j = (delays[s] - lo) as usize;
                let at = off + cursor[j] as usize;
                cursor[j] += 1;
                tg[at] = t.targets[s];
                if has_w {
                    wt[at] = weights[s];
                }
            }
        }
    });
}
