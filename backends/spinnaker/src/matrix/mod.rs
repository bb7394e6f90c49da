//! Synaptic matrices: what a post core reads when a spike arrives.
//!
//! Takes, for one post core (a slice of at most `2^neuron_bits` neurons of
//! one population), the blocks of synapses that reach it — per presynaptic
//! slice its key range, its delay-extension stages' key ranges, and its
//! synapses with quantised weights (see [`spikec_ir::fixed`]) — and gives
//! the core's synaptic data as sPyNNaker lays it out, serialised into one
//! blob, with its region sizes for SDRAM accounting:
//!
//! - the **master population table**: entries (key, mask → a range of the
//!   address list), sorted by key so the core finds a packet's entry by
//!   binary search;
//! - the **address list**: per matrix, where it starts (16-byte units) and
//!   how long its rows are;
//! - the **synaptic matrices**: per (block, delay stage) one row per
//!   presynaptic neuron, padded to the longest, each row three header words
//!   (plastic, fixed, fixed-plastic counts) and one word per static synapse:
//!   weight magnitude in bits 31..16, then delay, synapse type and neuron
//!   index as the core's [`RingBufferLayout`] places them; plastic
//!   synapses (pair STDP) go to the row's plastic region, as sPyNNaker's
//!   STDP rows hold them (see [`format`]).
//!
//! [`choose_layout`] splits the 14-bit ring-buffer index between neurons,
//! synapse types and delay slots D; delays beyond D are served by
//! delay-extension stages (up to [`MAX_DELAY_STAGES`]), delay `d` by stage
//! `ceil(d / D) − 1` with the rest in the ring buffer. [`SynapticMatrices`]
//! reads a blob back the way the core does: the packet-level emulator's
//! view, and the round-trip check of the builder.
//!
//! Invariants relied on: the caller quantised weights at the shift of each
//! synapse type, and gives each block disjoint key ranges whose free bits
//! are the low bits (the presynaptic index); all post cores a
//! delay-extension core serves share one D; plastic synapses have delays
//! within D (checked: a plastic row is timed by its arrival). Established: every synapse
//! appears exactly once, in the row its key and stage select, with its
//! residual delay; table entries are sorted and disjoint; every region and
//! matrix starts on a 16-byte boundary; building is linear in synapses,
//! with no allocation per synapse; parsing never panics, whatever the blob.

mod build;
mod error;
pub mod format;
mod layout;
mod read;

#[cfg(test)]
mod tests;

pub use build::{build, build_coloured, CoreSynapticData, IncomingBlock, StageSet, Synapse};
pub use error::{BlobError, MatrixError};
pub use format::{AddressEntry, MatrixShape, PopTableEntry, RegionSizes};
pub use layout::{
    choose_layout, DecodedSynapse, DelaySplit, RingBufferLayout, MAX_DELAY_STAGES, RING_BUFFER_BITS,
};
pub use read::{Lookup, PlasticRow, SynapticMatrices, SynapticRow};
