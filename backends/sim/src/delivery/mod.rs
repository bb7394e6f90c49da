//! Synaptic delivery: how a spike's row of synapses reaches the input of
//! its targets, in one of two ways that give the same sums.
//!
//! - **At emission** (`ring.rs`): the row is added into per-delay ring
//!   buffers when the spike is sent, NEST's way. Its writes land at random
//!   in `ports × slots × n` cells per population, and at scale nearly every
//!   one misses the cache.
//! - **At arrival** (`arrival.rs`): the spike is remembered and its row,
//!   sorted by delay, is read a delay at a time in the step each part
//!   arrives, into that step's input only (`ports × n` cells, which stay in
//!   the cache). Plastic rows cannot wait, since their weights are those of
//!   the moment they are sent, so populations that a plastic projection
//!   reaches take everything at emission.
//!
//! Both add a cell's inputs in one canonical order (sending step, then the
//! order of the step's spikes, their rows, the rows' routes, and the
//! synapses of a row), so the choice changes no bit of the results.

pub(crate) mod arrival;
pub(crate) mod ring;

use spikec_ir::eval::Precision;
use spikec_ir::fixed::{round_weight, Sign};

/// Synaptic events in a step from which delivery is shared among threads
/// (below, the threads' start-up costs more than they save).
pub(crate) const PARALLEL_EVENTS: usize = 5_000;

/// Where a projection delivers into one target population.
pub(crate) struct Route {
    /// Global ids `start..end` are this population's.
    pub start: u32,
    pub end: u32,
    /// The population.
    pub pop: usize,
    /// The port index in its model.
    pub port: usize,
    /// In s16.15: the ring-buffer shifts of positive and negative weights.
    pub shifts: Option<(u8, u8)>,
}

/// A population's ring buffers and what addressing them needs: what
/// delivery writes, apart from the rest of the population, so that
/// populations can take their spikes on different threads.
pub(crate) struct Buffers<'a> {
    /// `input[(port * slots + slot) * n + i]`.
    pub input: &'a mut Vec<f64>,
    pub n: usize,
    pub slots: usize,
    pub q: Precision,
}

impl Route {
    /// Whether the arithmetic of a synaptic event is a plain `f64` sum, so
    /// that delivery may take its fast loop.
    fn plain(&self, q: Precision) -> bool {
        q == Precision::F64 && self.shifts.is_none()
    }

    /// Adds `mult` events of weight `w` into `cell` as the precision and
    /// the route's weight quantisation say. For a plain route this is
    /// `cell + w * mult`.
    #[inline]
    fn add(&self, q: Precision, cell: &mut f64, w: f64, mult: f64) {
        let w = match self.shifts {
            Some((pos, neg)) => round_weight(
                w,
                if Sign::of(w) == Sign::Negative {
                    neg
                } else {
                    pos
                },
            ),
            None => q.round(w),
        };
        *cell = q.round(*cell + q.round(w * mult));
    }
}
