//! Delivery at emission: a spike's row goes into per-delay ring buffers
//! in the step it is sent.

use super::{Buffers, Route};
use spikec_ir::expanded::{Delays, SynapseTable, Weights};

/// Adds one spike's row of synapses into the target population's ring
/// buffers: the slot of a delay is `(step + d) mod slots`, found without a
/// division (delays are below the ring depth), and computed once per row
/// when the projection has one delay. `plastic` holds the row's current
/// weights when the projection learns.
pub(crate) fn deliver(
    target: &mut Buffers<'_>,
    route: &Route,
    t: &SynapseTable,
    plastic: Option<&[f64]>,
    row: usize,
    step: u64,
    mult: u32,
) {
    let slots = target.slots;
    let now = (step % slots as u64) as usize;
    let plane = |d: usize| {
        let s = now + d;
        (route.port * slots + if s >= slots { s - slots } else { s }) * target.n
    };
    let q = target.q;
    let m = mult as f64;
    let range = t.row(row);
    match (&t.delays, &t.weights) {
        (Delays::Const(d), Weights::Const(w)) if plastic.is_none() && route.plain(q) => {
            let base = plane(*d as usize);
            let add = w * m;
            for &g in &t.targets[range] {
                if (route.start..route.end).contains(&g) {
                    target.input[base + (g - route.start) as usize] += add;
                }
            }
        }
        _ => {
            for syn in range {
                let g = t.targets[syn];
                if !(route.start..route.end).contains(&g) {
                    continue;
                }
                let cell = &mut target.input
                    [plane(t.delays.get(syn) as usize) + (g - route.start) as usize];
                let w = plastic.map_or_else(|| t.weights.get(syn), |p| p[syn]);
                route.add(q, cell, w, m);
            }
        }
    }
}
