//! Key allocation: the routing key of every spike a core sends.
//!
//! A spike's key is its slice's base key with the neuron's index in the
//! low bits, so one key/mask pair covers a slice. Slices of one population
//! get consecutive bases inside one aligned block, so that where the
//! slices of a population travel together a compressor can merge their
//! entries into one. Blocks are handed out largest first, which keeps
//! every block aligned to its size with no gaps: the key space used is the
//! sum of the block sizes.

use crate::geometry::KeyMask;
use crate::graph::{bits, MachineGraph};
use crate::BuildError;

/// Per vertex, its keys; `None` for vertices that send nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keys {
    pub of: Vec<Option<KeyMask>>,
    /// Keys in use (sum of the block sizes).
    pub used: u64,
}

/// Gives every sending vertex a key range.
pub fn allocate(graph: &MachineGraph) -> Result<Keys, BuildError> {
    let pops = graph.first.len().saturating_sub(1);
    let mut sending = vec![false; graph.vertices.len()];
    for e in &graph.edges {
        sending[e.pre] = true;
    }
    // (block bits, population, neuron bits), for populations that send.
    let mut blocks: Vec<(u32, usize, u32)> = (0..pops)
        .filter(|&p| graph.vertices_of(p).any(|v| sending[v]))
        .map(|p| {
            let neuron_bits = bits(graph.slice_size[p] as u64);
            let slice_bits = bits(graph.vertices_of(p).len() as u64);
            (neuron_bits + slice_bits, p, neuron_bits)
        })
        .collect();
    blocks.sort_by_key(|&(b, p, _)| (std::cmp::Reverse(b), p));
    let mut of = vec![None; graph.vertices.len()];
    let mut next: u64 = 0;
    for (block_bits, p, neuron_bits) in blocks {
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
    Ok(Keys { of, used: next })
}
