//! The ring-buffer layout of a post core, and the synaptic word it implies.
//!
//! A core's ring buffers are one 16-bit slot per (arrival step mod D,
//! synapse type, neuron), indexed by the concatenation of those three
//! fields. sPyNNaker keeps that index within 14 bits (`MAX_RING_BUFFER_BITS`:
//! 16 384 slots, 32 KiB of DTCM), so neuron-index bits and synapse-type
//! bits leave what remains for the delay: D = 2^delay_bits slots, enough
//! for delays up to D. Longer delays go through delay-extension cores,
//! whose stage `s` re-sends a spike `s·D` steps late; with at most
//! [`MAX_DELAY_STAGES`] stages a core reaches `9·D`.
//!
//! The same three fields, at the same positions, are the low 16 bits of a
//! static synaptic word; the weight magnitude is the high 16 bits.

use super::MatrixError;

/// Bits of the ring-buffer index: sPyNNaker's `MAX_RING_BUFFER_BITS`.
pub const RING_BUFFER_BITS: u8 = 14;

/// Most delay-extension stages a spike can go through: sPyNNaker's
/// delay-extension cores have 8 stages.
pub const MAX_DELAY_STAGES: u8 = 8;

/// How a core's 14-bit ring-buffer index (and the low half of its synaptic
/// words) splits: neuron index lowest, then synapse type, then delay.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RingBufferLayout {
    // Private, so that every layout fits the budget: shifts by these
    // widths cannot overflow.
    neuron_bits: u8,
    type_bits: u8,
    delay_bits: u8,
}

/// Where a delay of `d` steps is served: delay-extension stage `stage`
/// (0: none) sends the spike `stage · D` steps late, and the core's ring
/// buffer adds the rest, `residual` in `1..=D`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DelaySplit {
    /// The delay-extension stage, `0..=MAX_DELAY_STAGES`.
    pub stage: u8,
    /// The delay in the core's ring buffer, `1..=D`.
    pub residual: u16,
}

/// One synapse as a row word holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DecodedSynapse {
    /// Index of the target neuron within the post core.
    pub post: u16,
    /// Synapse type index.
    pub synapse_type: u8,
    /// Delay in the ring buffer, `1..=D` (after any delay-extension stage).
    pub delay: u16,
    /// Weight magnitude (see [`spikec_ir::fixed::quantise`]).
    pub weight: u16,
}

/// Bits needed to number `n` things: `ceil(log2 n)`, and 0 for one thing.
/// sPyNNaker's `get_n_bits` spends one bit on a single thing; we don't, so
/// a core with one synapse type gets one more delay bit.
pub(crate) fn bits_for(n: u64) -> u8 {
    if n <= 1 {
        0
    } else {
        (64 - (n - 1).leading_zeros()) as u8
    }
}

impl RingBufferLayout {
    /// A layout with these field widths, if they fit the 14-bit budget.
    pub fn new(neuron_bits: u8, type_bits: u8, delay_bits: u8) -> Result<Self, MatrixError> {
        let total = neuron_bits as u32 + type_bits as u32 + delay_bits as u32;
        if total > RING_BUFFER_BITS as u32 {
            return Err(MatrixError::LayoutTooWide {
                neuron_bits,
                type_bits,
                delay_bits,
            });
        }
        Ok(RingBufferLayout {
            neuron_bits,
            type_bits,
            delay_bits,
        })
    }

    /// Bits of the neuron index: the core holds up to `2^neuron_bits`.
    pub fn neuron_bits(self) -> u8 {
        self.neuron_bits
    }

    /// Bits of the synapse-type index.
    pub fn type_bits(self) -> u8 {
        self.type_bits
    }

    /// Bits of the delay: `2^delay_bits` ring-buffer slots per neuron and
    /// type.
    pub fn delay_bits(self) -> u8 {
        self.delay_bits
    }

    /// Ring-buffer slots per (neuron, type): D, the longest delay the core
    /// handles on its own.
    pub fn slots(self) -> u16 {
        1 << self.delay_bits
    }

    /// The longest delay reachable with every delay-extension stage:
    /// `(MAX_DELAY_STAGES + 1) · D`.
    pub fn reach(self) -> u32 {
        (MAX_DELAY_STAGES as u32 + 1) * self.slots() as u32
    }

    /// Ring-buffer entries (16-bit each) the core needs in DTCM.
    pub fn ring_buffer_entries(self) -> u32 {
        1 << (self.neuron_bits + self.type_bits + self.delay_bits)
    }

    /// Neurons a core with this layout can hold.
    pub fn max_neurons(self) -> u32 {
        1 << self.neuron_bits
    }

    /// Synapse types this layout can number.
    pub fn max_types(self) -> u32 {
        1 << self.type_bits
    }

    /// Where a delay of `delay` steps is served, as sPyNNaker's
    /// `synapse_io` splits it: stage `ceil(d / D) − 1`, residual `d − stage·D`.
    /// `None` for 0 or beyond [`reach`](Self::reach).
    pub fn split_delay(self, delay: u16) -> Option<DelaySplit> {
        if delay == 0 {
            return None;
        }
        let slots = self.slots();
        let stage = (delay - 1) / slots;
        if stage > MAX_DELAY_STAGES as u16 {
            return None;
        }
        Some(DelaySplit {
            stage: stage as u8,
            residual: delay - stage * slots,
        })
    }

    /// How many delay-extension stages delays up to `max_delay` need, or
    /// `None` if more than [`MAX_DELAY_STAGES`].
    pub fn stages_needed(self, max_delay: u16) -> Option<u8> {
        self.split_delay(max_delay.max(1)).map(|s| s.stage)
    }

    /// The synaptic word of a synapse (delay is the residual, `1..=D`):
    /// `weight << 16 | delay << (type_bits + neuron_bits) | type <<
    /// neuron_bits | post`, as sPyNNaker's `synapse_row.h`. A residual of D
    /// is stored as 0 — the same ring-buffer slot, since the index is taken
    /// mod D — and read back as D, as sPyNNaker's static reader does.
    /// Fields wider than the layout are cut to it: the caller validates.
    pub fn encode(self, post: u16, synapse_type: u8, delay: u16, weight: u16) -> u32 {
        let index_mask = (1u32 << self.neuron_bits) - 1;
        let type_mask = (1u32 << self.type_bits) - 1;
        let delay_mask = (1u32 << self.delay_bits) - 1;
        let type_shift = self.neuron_bits;
        let delay_shift = self.neuron_bits + self.type_bits;
        (weight as u32) << 16
            | (delay as u32 & delay_mask) << delay_shift
            | (synapse_type as u32 & type_mask) << type_shift
            | post as u32 & index_mask
    }

    /// The synapse a word holds.
    pub fn decode(self, word: u32) -> DecodedSynapse {
        let index_mask = (1u32 << self.neuron_bits) - 1;
        let type_mask = (1u32 << self.type_bits) - 1;
        let delay_mask = (1u32 << self.delay_bits) - 1;
        let stored_delay = (word >> (self.neuron_bits + self.type_bits)) & delay_mask;
        DecodedSynapse {
            post: (word & index_mask) as u16,
            synapse_type: ((word >> self.neuron_bits) & type_mask) as u8,
            delay: if stored_delay == 0 {
                self.slots()
            } else {
                stored_delay as u16
            },
            weight: (word >> 16) as u16,
        }
    }

    /// The layout as one header word: one byte per field.
    pub(crate) fn to_word(self) -> u32 {
        self.neuron_bits as u32 | (self.type_bits as u32) << 8 | (self.delay_bits as u32) << 16
    }

    /// The layout a header word holds, if it is one.
    pub(crate) fn from_word(word: u32) -> Option<RingBufferLayout> {
        if word >> 24 != 0 {
            return None;
        }
        RingBufferLayout::new(word as u8, (word >> 8) as u8, (word >> 16) as u8).ok()
    }
}

/// Chooses the ring-buffer layout of the cores of a post population, as
/// sPyNNaker's splitter does: neuron bits for `max_neurons` (the largest
/// slice of the population, so all its cores share one layout, as one
/// delay-extension core must serve them all with one D), type bits for
/// `n_types`, and of what remains of the 14 bits only as many delay bits
/// as `max_delay` (steps) needs. Errors if neurons and types leave no room,
/// or if even [`MAX_DELAY_STAGES`] delay-extension stages cannot reach
/// `max_delay`.
pub fn choose_layout(
    max_neurons: u32,
    n_types: usize,
    max_delay: u16,
) -> Result<RingBufferLayout, MatrixError> {
    let neuron_bits = bits_for(max_neurons as u64);
    let type_bits = bits_for(n_types as u64);
    let available = RING_BUFFER_BITS
        .checked_sub(neuron_bits + type_bits)
        .ok_or(MatrixError::NoRoomForDelays {
            max_neurons,
            n_types,
            neuron_bits,
            type_bits,
        })?;
    let delay_bits = available.min(bits_for(max_delay as u64));
    let layout = RingBufferLayout::new(neuron_bits, type_bits, delay_bits)?;
    if max_delay as u32 > layout.reach() {
        return Err(MatrixError::DelayUnreachable {
            max_delay,
            slots: layout.slots(),
            reach: layout.reach(),
        });
    }
    Ok(layout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_count_values() {
        assert_eq!(bits_for(0), 0);
        assert_eq!(bits_for(1), 0);
        assert_eq!(bits_for(2), 1);
        assert_eq!(bits_for(3), 2);
        assert_eq!(bits_for(256), 8);
        assert_eq!(bits_for(257), 9);
        assert_eq!(bits_for(u64::MAX), 64);
    }

    #[test]
    fn layout_spends_what_the_neurons_and_types_leave_on_delays() {
        // 256 neurons, 2 types: 8 + 1 bits, 5 left: 32 slots.
        let l = choose_layout(256, 2, 100).unwrap();
        assert_eq!((l.neuron_bits, l.type_bits, l.delay_bits), (8, 1, 5));
        assert_eq!(l.slots(), 32);
        assert_eq!(l.reach(), 288);
        assert_eq!(l.ring_buffer_entries(), 1 << 14);
        // Short delays take only the bits they need.
        let l = choose_layout(256, 2, 10).unwrap();
        assert_eq!(l.delay_bits, 4);
        let l = choose_layout(256, 2, 16).unwrap();
        assert_eq!(l.delay_bits, 4);
        assert_eq!(choose_layout(256, 2, 1).unwrap().delay_bits, 0);
        // One type needs no bit.
        assert_eq!(
            choose_layout(255, 1, 500).unwrap(),
            RingBufferLayout::new(8, 0, 6).unwrap()
        );
        // A big core keeps 2 delay bits and relies on extension stages.
        let l = choose_layout(1000, 4, 36).unwrap();
        assert_eq!((l.neuron_bits, l.type_bits, l.delay_bits), (10, 2, 2));
        assert_eq!(l.stages_needed(36), Some(8));
    }

    #[test]
    fn layout_reports_delays_out_of_reach() {
        assert!(choose_layout(256, 2, 288).is_ok());
        assert_eq!(
            choose_layout(256, 2, 289),
            Err(MatrixError::DelayUnreachable {
                max_delay: 289,
                slots: 32,
                reach: 288
            })
        );
        let full = choose_layout(1 << 13, 2, 9).unwrap();
        assert_eq!(full.delay_bits, 0);
        assert!(matches!(
            choose_layout(1 << 13, 2, 10),
            Err(MatrixError::DelayUnreachable { reach: 9, .. })
        ));
        assert!(matches!(
            choose_layout(1 << 14, 2, 1),
            Err(MatrixError::NoRoomForDelays {
                neuron_bits: 14,
                type_bits: 1,
                ..
            })
        ));
        assert!(RingBufferLayout::new(8, 2, 5).is_err());
    }

    #[test]
    fn delays_split_into_stages_and_residuals() {
        let l = RingBufferLayout::new(8, 1, 5).unwrap();
        let split = |d| l.split_delay(d).map(|s| (s.stage, s.residual));
        assert_eq!(split(0), None);
        assert_eq!(split(1), Some((0, 1)));
        assert_eq!(split(32), Some((0, 32)));
        assert_eq!(split(33), Some((1, 1)));
        assert_eq!(split(64), Some((1, 32)));
        assert_eq!(split(100), Some((3, 4)));
        assert_eq!(split(288), Some((8, 32)));
        assert_eq!(split(289), None);
        assert_eq!(split(u16::MAX), None);
        assert_eq!(l.stages_needed(0), Some(0));
        assert_eq!(l.stages_needed(33), Some(1));
        assert_eq!(l.stages_needed(300), None);
        // One slot: every step beyond the first is a stage.
        let one = RingBufferLayout::new(8, 1, 0).unwrap();
        assert_eq!(
            one.split_delay(1).map(|s| (s.stage, s.residual)),
            Some((0, 1))
        );
        assert_eq!(
            one.split_delay(9).map(|s| (s.stage, s.residual)),
            Some((8, 1))
        );
        assert_eq!(one.split_delay(10), None);
    }

    #[test]
    fn words_put_fields_where_the_layout_says() {
        let l = RingBufferLayout::new(8, 1, 5).unwrap();
        let w = l.encode(5, 1, 3, 0xABCD);
        assert_eq!(w, 0xABCD_0000 | 3 << 9 | 1 << 8 | 5);
        assert_eq!(
            l.decode(w),
            DecodedSynapse {
                post: 5,
                synapse_type: 1,
                delay: 3,
                weight: 0xABCD
            }
        );
        // A residual of D is stored as 0 and read back as D.
        let w = l.encode(255, 0, 32, 1);
        assert_eq!(w, 0x0001_0000 | 255);
        assert_eq!(l.decode(w).delay, 32);
        // Every field at its extremes survives.
        let l = RingBufferLayout::new(6, 3, 5).unwrap();
        for (post, ty, d, wt) in [(0, 0, 1, 0), (63, 7, 32, u16::MAX), (17, 5, 31, 12345)] {
            let s = l.decode(l.encode(post, ty, d, wt));
            assert_eq!(
                (s.post, s.synapse_type, s.delay, s.weight),
                (post, ty, d, wt)
            );
        }
        assert_eq!(RingBufferLayout::from_word(l.to_word()), Some(l));
        assert_eq!(RingBufferLayout::from_word(0x0109_0909), None);
        assert_eq!(RingBufferLayout::from_word(8 | 1 << 8 | 6 << 16), None);
    }
}
