//! Poisson sources: a count per neuron and step from a counter-based
//! generator keyed by (seed, population, neuron, step).
//!
//! Because a count is a function of its key and step alone, it can be
//! drawn whenever it is needed: in the step it is sent, or, for a source
//! nobody records whose spikes are all gathered at arrival, in the step
//! they arrive (`delivery/arrival.rs`), without remembering them between.

use spikec_ir::philox::{self, PoissonTable, Uniforms};

/// A Poisson source population.
#[derive(Clone)]
pub(crate) struct Poisson {
    /// Its generator key.
    key: [u32; 2],
    /// One CDF table per distinct mean count per step.
    tables: Vec<PoissonTable>,
    /// Each neuron's table.
    table: Vec<u32>,
    /// Each neuron's active interval (ms): it sends in steps ending in
    /// `(start, stop]`.
    start: Vec<f64>,
    stop: Vec<f64>,
    /// Whether every neuron sends in every step of `h` ms, from one table:
    /// then nothing per neuron is read but its uniform.
    always: bool,
}

impl Poisson {
    /// A source whose neurons draw `lambdas` spikes a step on average, in
    /// the steps of `h` ms that end in `(start, stop]` (ms).
    pub(crate) fn new(
        key: [u32; 2],
        lambdas: &[f64],
        start: Vec<f64>,
        stop: Vec<f64>,
        h: f64,
    ) -> Poisson {
        let mut tables: Vec<PoissonTable> = Vec::new();
        let mut seen: Vec<u64> = Vec::new();
        let table: Vec<u32> = lambdas
            .iter()
            .map(
                |&lambda| match seen.iter().position(|b| *b == lambda.to_bits()) {
                    Some(k) => k as u32,
                    None => {
                        seen.push(lambda.to_bits());
                        tables.push(PoissonTable::new(lambda));
                        (tables.len() - 1) as u32
                    }
                },
            )
            .collect();
        // A step's end `t1` is at least `h`.
        let always = tables.len() == 1
            && start.iter().all(|&s| s < h)
            && stop.iter().all(|&s| s == f64::INFINITY);
        Poisson {
            key,
            tables,
            table,
            start,
            stop,
            always,
        }
    }

    /// Calls `f(neuron, count)` for each neuron that sends in `step`, in
    /// neuron order.
    #[inline]
    pub(crate) fn counts(&self, step: u64, h: f64, mut f: impl FnMut(u32, u32)) {
        let n = self.table.len();
        let quads = n.div_ceil(4);
        let t1 = (step + 1) as f64 * h;
        let inversion = self.tables.first().and_then(|t| t.inversion());
        match (self.always, inversion) {
            // Every neuron, one table: nothing per neuron but its uniform.
            (true, Some(inv)) => {
                // Whole blocks first, their counts drawn before any is
                // delivered; then the last quads, one at a time.
                let mut counts = [0u32; 4 * philox::LANES];
                let mut q = 0;
                while 4 * (q + philox::LANES) <= n {
                    let block = philox::quad_words(self.key, q as u32, step);
                    for (c, &w) in counts.iter_mut().zip(block.as_flattened()) {
                        *c = inv.count_word(w);
                    }
                    for (m, &k) in counts.iter().enumerate() {
                        if k > 0 {
                            f((4 * q + m) as u32, k);
                        }
                    }
                    q += philox::LANES;
                }
                for q in q..quads {
                    for (l, &u) in philox::quad(self.key, q as u32, step).iter().enumerate() {
                        let k = inv.count(u);
                        let i = 4 * q + l;
                        if k > 0 && i < n {
                            f(i as u32, k);
                        }
                    }
                }
            }
            _ => {
                for q in 0..quads {
                    for (l, &u) in philox::quad(self.key, q as u32, step).iter().enumerate() {
                        let i = 4 * q + l;
                        if i >= n || !(self.start[i] < t1 && t1 <= self.stop[i]) {
                            continue;
                        }
                        let k = self.tables[self.table[i] as usize]
                            .sample(u, || Uniforms::apart(self.key, i as u32, step));
                        if k > 0 {
                            f(i as u32, k);
                        }
                    }
                }
            }
        }
    }
}
