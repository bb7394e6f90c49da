//! Counter-based random streams. Every random number of the expansion comes
//! from a stream named by (network seed, purpose, entity, sub-entity) and
//! indexed by a neuron; ChaCha8 gives each index its own independent stream,
//! so any row or neuron can be generated alone, in any order, on any thread,
//! and the result never depends on how the work was split.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// What a stream is used for; part of its key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Purpose {
    /// A population setting's per-neuron draws (sub = setting index).
    Setting = 1,
    /// A population's named draw (sub = draw index).
    Draw = 2,
    /// One presynaptic row of a projection.
    Row = 3,
    /// One postsynaptic column of a projection (`fixed_number_pre`).
    Column = 4,
    /// Splitting a total over rows (`fixed_total_number`).
    Split = 5,
    /// Random positions of a population.
    Position = 6,
}

/// The stream for (`seed`, `purpose`, `entity`, `sub`), at `index`.
pub fn stream(seed: u64, purpose: Purpose, entity: u32, sub: u32, index: u64) -> ChaCha8Rng {
    let mut key = [0u8; 32];
    key[0..8].copy_from_slice(&seed.to_le_bytes());
    key[8..12].copy_from_slice(&(purpose as u32).to_le_bytes());
    key[12..16].copy_from_slice(&entity.to_le_bytes());
    key[16..20].copy_from_slice(&sub.to_le_bytes());
    // A constant in the unused bytes keeps these keys apart from any other
    // use of ChaCha8 with the same seed.
    key[20..28].copy_from_slice(b"spikec01");
    let mut rng = ChaCha8Rng::from_seed(key);
    rng.set_stream(index);
    rng
}
