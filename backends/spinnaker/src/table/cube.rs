//! Key/mask pairs as ternary cubes: each of the 32 bits is `0`, `1` or `X`
//! (mask bit clear). A router entry matches exactly the keys of its cube, so
//! generation, both compressors and the checker reason with the same few
//! set operations, all O(1) or O(32) on plain integers.
//!
//! A key bit set where the mask bit is clear matches no key at all (the `!`
//! of rig's notation); such a pair is *void* and intersects nothing.

use crate::geometry::KeyMask;

/// True when the pair matches no key (a key bit outside its mask).
pub(crate) fn is_void(c: KeyMask) -> bool {
    c.key & !c.mask != 0
}

/// True when some key matches both pairs.
pub(crate) fn intersects(a: KeyMask, b: KeyMask) -> bool {
    !is_void(a) && !is_void(b) && (a.key ^ b.key) & a.mask & b.mask == 0
}

/// The keys both pairs match, if any.
pub(crate) fn intersection(a: KeyMask, b: KeyMask) -> Option<KeyMask> {
    intersects(a, b).then_some(KeyMask {
        key: a.key | b.key,
        mask: a.mask | b.mask,
    })
}

/// True when every key `inner` matches is matched by `outer`.
pub(crate) fn contains(outer: KeyMask, inner: KeyMask) -> bool {
    is_void(inner) || (outer.mask & !inner.mask == 0 && inner.key & outer.mask == outer.key)
}

/// The smallest cube holding both: an `X` wherever they differ. Merging
/// entries means replacing them by their join.
pub(crate) fn join(a: KeyMask, b: KeyMask) -> KeyMask {
    let mask = a.mask & b.mask & !(a.key ^ b.key);
    KeyMask {
        key: a.key & mask,
        mask,
    }
}

/// The number of `X`s: ordered covering keeps its table sorted by this.
pub(crate) fn generality(c: KeyMask) -> u32 {
    (!c.mask).count_ones()
}

/// One concrete key of a non-void cube (every `X` read as 0): what a
/// [`Mismatch`](super::Mismatch) reports so a person can replay it.
pub(crate) fn witness(c: KeyMask) -> u32 {
    c.key
}

/// `a` without the keys of `b`, as disjoint cubes, appended to `out`.
///
/// Each bit that `b` fixes and `a` leaves open splits off one piece (the
/// half of what remains that disagrees with `b` there), so there are at
/// most 32 pieces; when `b` does not meet `a`, `a` itself is the one piece.
pub(crate) fn subtract_into(a: KeyMask, b: KeyMask, out: &mut Vec<KeyMask>) {
    if is_void(a) {
        return;
    }
    if !intersects(a, b) {
        out.push(a);
        return;
    }
    let mut rest = a;
    let mut open = b.mask & !a.mask;
    while open != 0 {
        let bit = 1u32 << (31 - open.leading_zeros());
        open &= !bit;
        out.push(KeyMask {
            key: rest.key | (!b.key & bit),
            mask: rest.mask | bit,
        });
        rest = KeyMask {
            key: rest.key | (b.key & bit),
            mask: rest.mask | bit,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn km(key: u32, mask: u32) -> KeyMask {
        KeyMask { key, mask }
    }

    /// Every key of a 4-bit universe (upper bits zero, fixed by the masks).
    fn keys_of(c: KeyMask) -> Vec<u32> {
        (0..16u32).filter(|k| c.matches(*k)).collect()
    }

    #[test]
    fn set_operations_agree_with_enumeration() {
        let high = 0xffff_fff0;
        let cubes: Vec<KeyMask> = (0..16u32)
            .flat_map(|m| (0..16u32).map(move |k| km(k & m, high | m)))
            .collect();
        for &a in &cubes {
            for &b in &cubes {
                let (ka, kb) = (keys_of(a), keys_of(b));
                let both: Vec<u32> = ka.iter().copied().filter(|k| kb.contains(k)).collect();
                assert_eq!(intersects(a, b), !both.is_empty(), "{a:?} {b:?}");
                assert_eq!(intersection(a, b).map(keys_of).unwrap_or_default(), both);
                assert_eq!(contains(a, b), kb.iter().all(|k| ka.contains(k)));
                let j = keys_of(join(a, b));
                assert!(ka.iter().chain(&kb).all(|k| j.contains(k)));
                let mut pieces = Vec::new();
                subtract_into(a, b, &mut pieces);
                let mut rest: Vec<u32> = pieces.iter().flat_map(|p| keys_of(*p)).collect();
                let n = rest.len();
                rest.sort_unstable();
                rest.dedup();
                assert_eq!(rest.len(), n, "pieces overlap: {pieces:?}");
                let want: Vec<u32> = ka.iter().copied().filter(|k| !kb.contains(k)).collect();
                assert_eq!(rest, want, "{a:?} minus {b:?}");
            }
        }
    }

    #[test]
    fn void_pairs_match_nothing() {
        let void = km(0b10, 0b01);
        assert!(is_void(void));
        assert!(!intersects(void, km(0, 0)));
        assert!(contains(km(1, 1), void));
        assert_eq!(generality(km(0, 0xffff_0000)), 16);
    }
}
