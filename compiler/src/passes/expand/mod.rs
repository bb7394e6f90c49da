//! Connectivity expansion: the middle-end pass that turns a validated
//! network's symbolic connectors and per-neuron value specs into synapse
//! tables and value arrays ([`spikec_ir::expanded`]), for every backend.
//!
//! Takes a [`ValidNetwork`] (so indices, sizes and arguments are known to be
//! in range) and gives an [`Expanded`]. Randomness comes from counter-based
//! streams keyed by (seed, purpose, projection or population, neuron), so
//! the result is byte-identical for any number of threads; work is spread
//! with rayon over neurons and rows.

mod connect;
mod counted;
mod sample;
mod streams;
mod values;

use rayon::prelude::*;

use spikec_ir::expanded::{Expanded, Layout, RowOrder};
use spikec_ir::network::ProjectionId;
use spikec_ir::ValidNetwork;

/// A network that validates but cannot be expanded.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ExpandError {
    /// A delay needs more timesteps than a synapse can store.
    #[error(
        "a delay of {steps} timesteps is longer than the {max_steps} steps a synapse can hold"
    )]
    DelayTooLong {
        /// The projection.
        projection: ProjectionId,
        /// The delay in steps.
        steps: u64,
        /// The limit.
        max_steps: u64,
    },
}

/// Expands every population and projection of `net`, rows in their
/// connectors' order ([`RowOrder::Canonical`]).
pub fn expand(net: &ValidNetwork<'_>) -> Result<Expanded, Vec<ExpandError>> {
    expand_in(net, RowOrder::Canonical)
}

/// [`expand`], with the rows of static projections that have per-synapse
/// delays in `order`; the others stay canonical.
pub fn expand_in(net: &ValidNetwork<'_>, order: RowOrder) -> Result<Expanded, Vec<ExpandError>> {
    let net = net.network();
    let layout = Layout::of(net);
    let populations: Vec<_> = net
        .populations
        .iter()
        .collect::<Vec<_>>()
        .into_par_iter()
        .map(|(id, p)| values::population_values(net, id.index(), p))
        .collect();
    let mut projections = Vec::with_capacity(net.projections.len());
    let mut errors = Vec::new();
    for (id, _) in net.projections.iter() {
        match connect::table(net, &layout, &populations, id, order) {
            Ok(t) => projections.push(t),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(Expanded {
            layout,
            populations,
            projections,
        })
    } else {
        Err(errors)
    }
}
