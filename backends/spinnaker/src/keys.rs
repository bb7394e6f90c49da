//! Key allocation: the routing key of every spike a core sends.
//!
//! A spike's key is its slice's base key with the neuron's index in the
//! low bits, so one key/mask pair covers a slice. Slices of one population
//! get consecutive bases inside one aligned block, so that where the
//! slices of a population travel together a compressor can merge their
//! entries into one. Blocks are handed out largest first, which keeps
//! every block aligned to its size with no gaps: the key space used is the
//! sum of the block sizes.
//!
//! With colour bits, the bits above the index carry the sender's step
//! modulo `2^colour_bits`, so that a packet delivered late still lands in
//! the ring-buffer slot of the step it was sent in; routing ignores them.

use crate::geometry::KeyMask;
use crate::graph::{bits, MachineGraph, Role, MAX_STAGES};
use crate::BuildError;

/// Per vertex, its keys; `None` for vertices that send nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keys {
    pub of: Vec<Option<KeyMask>>,
    /// Keys in use (sum of the block sizes).
    pub used: u64,
    /// Bits of the sender's step above every index.
    pub colour_bits: u32,
}

/// Gives every sending vertex a key range.
pub fn allocate(graph: &MachineGraph, colour_bits: u32) -> Result<Keys, BuildError> {
    let pops = graph.first.len().saturating_sub(1);
    let mut sending = vec![false; graph.vertices.len()];
    for e in &graph.edges {
        sending[e.pre] = true;
    }
    // (block bits, population, neuron bits), for populations that send.
    let blocks: Vec<(u32, usize, u32)> = (0..pops)
        .filter(|&p| graph.vertices_of(p).any(|v| sending[v]))
        .map(|p| {
            let neuron_bits = bits(graph.slice_size[p] as u64) + colour_bits;
            let slice_bits = bits(graph.vertices_of(p).len() as u64);
            (neuron_bits + slice_bits, p, neuron_bits)
        })
        .collect();
    // A delay extension's block: its 8 stages of the slice's keys.
    let first_delay = graph.first.last().copied().unwrap_or(0);
    let delay_blocks: Vec<(u32, usize, u32)> = (first_delay..graph.vertices.len())
        .filter(|&v| matches!(graph.vertices[v].role, Role::Delay { .. }))
        .map(|v| {
            let neuron_bits =
                bits(graph.slice_size[graph.vertices[v].population] as u64) + colour_bits;
            (neuron_bits + bits(MAX_STAGES as u64), v, neuron_bits)
        })
        .collect();
    let mut of = vec![None; graph.vertices.len()];
    let mut next: u64 = 0;
    // Largest blocks first, slices and delays merged by size, so every
    // block stays aligned to its size.
    let mut all: Vec<(u32, bool, usize, u32)> = blocks
        .into_iter()
        .map(|(b, p, n)| (b, false, p, n))
        .chain(delay_blocks.into_iter().map(|(b, v, n)| (b, true, v, n)))
        .collect();
    all.sort_by_key(|&(b, delay, i, _)| (std::cmp::Reverse(b), delay, i));
    for (block_bits, is_delay, p, neuron_bits) in all {
        if is_delay {
            let base = next;
            next += 1u64 << block_bits;
            if next > 1u64 << 32 {
                return Err(BuildError::KeySpace { needed: next });
            }
            of[p] = Some(KeyMask {
                key: base as u32,
                mask: !((1u64 << block_bits) - 1) as u32,
            });
            continue;
        }
        let base = next;
        next += 1u64 << block_bits;
        if next > 1u64 << 32 {
            return Err(BuildError::KeySpace { needed: next });
        }
        for (j, v) in graph.vertices_of(p).enumerate() {
            if sending[v] {
                of[v] = Some(KeyMask {
                    key: (base + ((j as u64) << neuron_bits)) as u32,
                    mask: !((1u64 << neuron_bits) - 1) as u32,
                });
            }
        }
    }
    Ok(Keys {
        of,
        used: next,
        colour_bits,
    })
}

/// The keys of stage `s` (1 to 8) of a delay extension whose block is
/// `block`, for slices whose keys have `neuron_bits` free bits (index and
/// colour): stage `s` re-sends neuron `i`'s spike as `key | i`.
pub fn stage_key(block: KeyMask, neuron_bits: u32, s: u8) -> KeyMask {
    KeyMask {
        key: block.key + (((s - 1) as u32) << neuron_bits),
        mask: !((1u64 << neuron_bits) - 1) as u32,
    }
}
