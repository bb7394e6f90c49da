//! `placements.txt` vertex by vertex.
//!
//! A vertex is a (population, neuron range, role); its core and its key
//! are where and how it was mapped, and legitimately change whenever
//! anything upstream does: they are reported as changes (moved, key
//! changed), vertices only one side has as added or removed. Several
//! synapse cores can serve one slice: vertices with the same identity are
//! paired first where they sit on the same core, then in core order.

use std::collections::BTreeMap;

use serde_json::Value;

use super::files::{presence, BuildDir};
use super::report::malformed;
use super::{DiffError, Difference, Kind};
use spikec_spinnaker::geometry::KeyMask;

/// The file.
pub const FILE: &str = "placements.txt";

/// One line of `placements.txt`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placement {
    /// The chip's (x, y).
    pub chip: (u16, u16),
    /// The core on the chip.
    pub core: u32,
    /// The population's name.
    pub population: String,
    /// First neuron of the slice.
    pub lo: u32,
    /// One past the last neuron.
    pub hi: u32,
    /// `neurons`, `source`, `delay` or `synapses`.
    pub role: String,
    /// The key and mask it sends with, if it sends.
    pub key: Option<KeyMask>,
}

impl Placement {
    /// `E 0..256 neurons`.
    pub fn identity(&self) -> String {
        format!("{} {}..{} {}", self.population, self.lo, self.hi, self.role)
    }

    /// `(0, 1) core 3`.
    pub fn location(&self) -> String {
        format!("({}, {}) core {}", self.chip.0, self.chip.1, self.core)
    }
}

/// `0x00000100/0xffffff00`, or `-` for no key.
pub(crate) fn key_text(k: Option<KeyMask>) -> String {
    match k {
        Some(k) => format!("0x{:08x}/0x{:08x}", k.key, k.mask),
        None => "-".to_string(),
    }
}

/// Parses `placements.txt`; the error names the first bad line.
pub fn parse(text: &str) -> Result<Vec<Placement>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = |what: &str| format!("line {}: {what}: `{line}`", i + 1);
        let t: Vec<&str> = line.split_whitespace().collect();
        let [chip, core, population, range, role, key, mask] = t[..] else {
            return Err(bad("expected `(x,y) core population lo..hi role key mask`"));
        };
        let chip = chip
            .strip_prefix('(')
            .and_then(|c| c.strip_suffix(')'))
            .and_then(|c| c.split_once(','))
            .and_then(|(x, y)| Some((x.trim().parse().ok()?, y.trim().parse().ok()?)))
            .ok_or_else(|| bad("bad chip"))?;
        let core = core.parse().map_err(|_| bad("bad core"))?;
        let (lo, hi) = range
            .split_once("..")
            .and_then(|(l, h)| Some((l.parse().ok()?, h.parse().ok()?)))
            .ok_or_else(|| bad("bad neuron range"))?;
        let key = match (key, mask) {
            ("-", "-") => None,
            _ => Some(KeyMask {
                key: hex(key).ok_or_else(|| bad("bad key"))?,
                mask: hex(mask).ok_or_else(|| bad("bad mask"))?,
            }),
        };
        out.push(Placement {
            chip,
            core,
            population: population.to_string(),
            lo,
            hi,
            role: role.to_string(),
            key,
        });
    }
    Ok(out)
}

/// A `0x`-prefixed 32-bit hexadecimal number.
pub(crate) fn hex(s: &str) -> Option<u32> {
    u32::from_str_radix(s.strip_prefix("0x").or_else(|| s.strip_prefix("0X"))?, 16).ok()
}

/// The placements of a directory, if it has a readable `placements.txt`
/// (an unreadable one is reported by [`compare_file`]).
pub(crate) fn load(dir: &BuildDir) -> Result<Vec<Placement>, DiffError> {
    Ok(match dir.read_opt(FILE)? {
        Some(bytes) => std::str::from_utf8(&bytes)
            .ok()
            .and_then(|t| parse(t).ok())
            .unwrap_or_default(),
        None => Vec::new(),
    })
}

pub(crate) fn compare_file(
    a: &BuildDir,
    b: &BuildDir,
    out: &mut Vec<Difference>,
) -> Result<(), DiffError> {
    let (x, y) = match (a.read_opt(FILE)?, b.read_opt(FILE)?) {
        (Some(x), Some(y)) => (x, y),
        (x, y) => {
            presence(FILE, x.as_deref(), y.as_deref(), out);
            return Ok(());
        }
    };
    if x == y {
        return Ok(());
    }
    let parse = |b: &[u8]| {
        std::str::from_utf8(b)
            .map_err(|_| "not UTF-8 text".to_string())
            .and_then(parse)
    };
    match (parse(&x), parse(&y)) {
        (Ok(pa), Ok(pb)) => compare(&pa, &pb, out),
        (pa, pb) => out.push(malformed(FILE, pa.err(), pb.err())),
    }
    Ok(())
}

/// Compares two placement lists.
pub fn compare(a: &[Placement], b: &[Placement], out: &mut Vec<Difference>) {
    // Identities in a stable order: populations as they first appear (A,
    // then B), then slice and role.
    let mut rank: Vec<&str> = Vec::new();
    for p in a.iter().chain(b) {
        if !rank.contains(&p.population.as_str()) {
            rank.push(&p.population);
        }
    }
    type Group<'a> = (Vec<&'a Placement>, Vec<&'a Placement>);
    let mut groups: BTreeMap<(usize, u32, u32, &str), Group<'_>> = BTreeMap::new();
    fn id<'p>(rank: &[&str], p: &'p Placement) -> (usize, u32, u32, &'p str) {
        let r = rank.iter().position(|n| *n == p.population).unwrap_or(0);
        (r, p.lo, p.hi, p.role.as_str())
    }
    for p in a {
        groups.entry(id(&rank, p)).or_default().0.push(p);
    }
    for p in b {
        groups.entry(id(&rank, p)).or_default().1.push(p);
    }
    for (mut xs, mut ys) in groups.into_values() {
        let loc = |p: &&Placement| (p.chip, p.core);
        xs.sort_by_key(loc);
        ys.sort_by_key(loc);
        // Same core first, then in core order.
        let mut pairs = Vec::new();
        xs.retain(|x| match ys.iter().position(|y| loc(y) == loc(x)) {
            Some(i) => {
                pairs.push((*x, ys.remove(i)));
                false
            }
            None => true,
        });
        let n = xs.len().min(ys.len());
        pairs.extend(xs.iter().copied().zip(ys.iter().copied()));
        pairs.sort_by_key(|(x, _)| loc(x));
        for (x, y) in pairs {
            if loc(&x) != loc(&y) {
                out.push(Difference::new(
                    FILE,
                    x.identity(),
                    Kind::Moved,
                    x.location(),
                    y.location(),
                ));
            }
            if x.key != y.key {
                out.push(Difference::new(
                    FILE,
                    x.identity(),
                    Kind::KeyChanged,
                    key_text(x.key),
                    key_text(y.key),
                ));
            }
        }
        let shown =
            |p: &Placement| Value::from(format!("{} key {}", p.location(), key_text(p.key)));
        for x in &xs[n..] {
            out.push(Difference::new(
                FILE,
                x.identity(),
                Kind::Removed,
                shown(x),
                Value::Null,
            ));
        }
        for y in &ys[n..] {
            out.push(Difference::new(
                FILE,
                y.identity(),
                Kind::Added,
                Value::Null,
                shown(y),
            ));
        }
    }
}

/// Where a key range comes from, by the placements: the vertex whose key
/// range holds it, and which of the vertex's blocks of the range's size it
/// is (a delay core sends one block per stage).
pub(crate) fn sender_of(placements: &[Placement], km: KeyMask) -> Option<(&Placement, u32)> {
    let p = placements.iter().find(|p| {
        p.key
            .is_some_and(|k| km.key & k.mask == k.key && k.mask & !km.mask == 0)
    })?;
    let k = p.key?;
    let free = (!km.mask).count_ones();
    let block = if free >= 32 {
        0
    } else {
        (km.key & !k.mask) >> free
    };
    Some((p, block))
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "# chip core population neurons role key mask\n\
        (0,0) 3 E 0..256 neurons 0x00000000 0xffffff00\n\
        (0,0) 4 E 256..512 neurons 0x00000100 0xffffff00\n\
        (0,0) 5 I 0..100 neurons 0x00001000 0xffffff00\n\
        (0,0) 6 I 0..100 synapses - -\n";

    #[test]
    fn vertices_are_matched_by_identity() {
        let b = A
            .replace("(0,0) 4 E", "(1,0) 2 E")
            .replace("0x00001000", "0x00002000")
            .replace("(0,0) 6 I 0..100 synapses - -\n", "");
        let mut out = Vec::new();
        compare(&parse(A).unwrap(), &parse(&b).unwrap(), &mut out);
        let got: Vec<(String, Kind)> = out.iter().map(|d| (d.path.clone(), d.kind)).collect();
        assert_eq!(
            got,
            [
                ("E 256..512 neurons".to_string(), Kind::Moved),
                ("I 0..100 neurons".to_string(), Kind::KeyChanged),
                ("I 0..100 synapses".to_string(), Kind::Removed),
            ]
        );
        assert_eq!(out[0].b, Value::from("(1, 0) core 2"));
        assert!(parse("(0,0) 3 E 0..x neurons - -").is_err());
    }

    #[test]
    fn senders_are_found_by_key() {
        let p = parse(A).unwrap();
        let km = KeyMask {
            key: 0x100,
            mask: 0xffff_ff00,
        };
        let (v, block) = sender_of(&p, km).unwrap();
        assert_eq!((v.identity().as_str(), block), ("E 256..512 neurons", 0));
    }
}
