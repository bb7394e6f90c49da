//! A fixed set of key ranges that answers "does this cube meet any of
//! them?" without scanning them all: the question both bucket compressors
//! ask for every join they try, against thousands of blockers.
//!
//! A ternary trie over bits 31 down to 0: each range is a path whose step
//! at a bit is `0`, `1` or `X`. A query follows the cube's fixed bits (to
//! the same value or `X`) and branches on its `X`s; a path that reaches
//! the bottom is a range that meets the cube. Blockers from key allocation
//! share long prefixes, so a query that meets nothing dies after a few
//! levels, and one that meets something usually finds it on the first
//! path. Building is O(32 · n); a query is O(32) for a specific cube and
//! bounded by the trie's size for a general one.

use super::cube::is_void;
use crate::geometry::KeyMask;

/// The ranges, as a trie; node 0 is the root.
pub(crate) struct CubeSet {
    /// Children of each node: for bit value 0, 1, and `X`; 0 means none
    /// (the root is never a child).
    children: Vec<[u32; 3]>,
}

impl CubeSet {
    pub(crate) fn new(ranges: impl IntoIterator<Item = KeyMask>) -> CubeSet {
        let mut set = CubeSet {
            children: vec![[0; 3]],
        };
        for range in ranges {
            set.insert(range);
        }
        set
    }

    pub(crate) fn insert(&mut self, range: KeyMask) {
        if is_void(range) {
            return;
        }
        let mut node = 0usize;
        for bit in (0..32).rev() {
            let step = branch(range, bit);
            let child = self.children[node][step];
            node = if child == 0 {
                let new = self.children.len();
                self.children.push([0; 3]);
                self.children[node][step] = new as u32;
                new
            } else {
                child as usize
            };
        }
    }

    /// True when some range of the set meets `cube`.
    pub(crate) fn meets(&self, cube: KeyMask) -> bool {
        if is_void(cube) || self.children[0] == [0; 3] {
            return false;
        }
        // Depth-first, with an explicit stack of (node, bit below it).
        let mut stack: Vec<(u32, i32)> = Vec::with_capacity(64);
        stack.push((0, 31));
        while let Some((node, bit)) = stack.pop() {
            if bit < 0 {
                return true;
            }
            let [zero, one, x] = self.children[node as usize];
            let steps: &[u32] = match branch(cube, bit as u32) {
                0 => &[zero, x],
                1 => &[one, x],
                _ => &[zero, one, x],
            };
            for &child in steps {
                if child != 0 {
                    stack.push((child, bit - 1));
                }
            }
        }
        false
    }
}

/// Which way a cube goes at `bit`: 0, 1, or 2 for `X`.
fn branch(c: KeyMask, bit: u32) -> usize {
    if c.mask >> bit & 1 == 0 {
        2
    } else {
        (c.key >> bit & 1) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::super::cube::intersects;
    use super::*;

    #[test]
    fn agrees_with_a_linear_scan() {
        let mut state = 0x9e37_79b9u32;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state
        };
        for _ in 0..50 {
            let ranges: Vec<KeyMask> = (0..30)
                .map(|_| {
                    let mask = 0xffff_f000 | next() & next() & 0xfff;
                    KeyMask {
                        key: next() & mask & 0xfff,
                        mask,
                    }
                })
                .collect();
            let set = CubeSet::new(ranges.iter().copied());
            for _ in 0..200 {
                let mask = 0xffff_f000 | next() & 0xfff & next();
                let q = KeyMask {
                    key: next() & mask & 0xfff,
                    mask,
                };
                let linear = ranges.iter().any(|r| intersects(*r, q));
                assert_eq!(set.meets(q), linear, "{q:x?}");
            }
        }
        assert!(!CubeSet::new([]).meets(KeyMask { key: 0, mask: 0 }));
    }
}
