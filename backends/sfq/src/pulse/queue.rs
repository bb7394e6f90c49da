//! The event queue: pulses in flight, earliest first.
//!
//! A binary min-heap of plain 24-byte events ordered by (time, sequence).
//! The sequence number counts insertions, so two pulses due at the same
//! picosecond come out in the order they were scheduled, and a run is a
//! function of its inputs alone. Only pulses in flight are queued (at most
//! one per cell output and one per stimulus), so the heap stays small and
//! an event costs no allocation once it has grown.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// What a pulse reaches when its event comes due.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    /// Input or clock pin `pin` of cell `cell`.
    Pin { cell: u32, pin: u8 },
    /// The next pulse of stimulus `index` (of the top's input ports, in
    /// declared order).
    Stimulus(u32),
}

/// One pulse in flight.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Event {
    /// When it arrives, ps; finite and ≥ 0.
    pub time: f64,
    seq: u64,
    /// Where it arrives.
    pub target: Target,
}

impl PartialEq for Event {
    fn eq(&self, other: &Event) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Event {}

impl PartialOrd for Event {
    fn partial_cmp(&self, other: &Event) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Event {
    /// Reversed, so that the max-heap pops the earliest event.
    fn cmp(&self, other: &Event) -> Ordering {
        other
            .time
            .total_cmp(&self.time)
            .then(other.seq.cmp(&self.seq))
    }
}

/// Pending events.
#[derive(Default)]
pub(crate) struct Queue {
    heap: BinaryHeap<Event>,
    seq: u64,
}

impl Queue {
    /// Schedules a pulse at `time` (finite, ≥ 0).
    pub fn push(&mut self, time: f64, target: Target) {
        // `+ 0.0` turns −0 into +0, which `total_cmp` would order first.
        self.heap.push(Event {
            time: time + 0.0,
            seq: self.seq,
            target,
        });
        self.seq += 1;
    }

    /// The earliest pending event, ties in scheduling order.
    pub fn pop(&mut self) -> Option<Event> {
        self.heap.pop()
    }
}
