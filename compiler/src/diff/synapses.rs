//! Synaptic matrices by content: per post slice, the multiset of its
//! synapses, whoever holds them.
//!
//! A slice's synapses can sit in its neuron core's `synapses.bin` or be
//! shared among synapse cores, and their rows are found by keys, which
//! change with any change to key allocation. So each slice's matrices are
//! read back row by row ([`SynapticMatrices`]: every master population
//! table entry, every matrix of it, every presynaptic row) into synapses
//! (sender, pre, post, type, delay, weight), with the sender named by the
//! vertex of `placements.txt` whose key range holds the entry's (and which
//! block of it, for a delay core's stages) rather than by key. The two
//! multisets are compared per sender: how many synapses each side has, how
//! many only one side has, and the first of them.
//!
//! Rows are bounded by the matrix layout (the space to the next matrix),
//! not by the key range, so a damaged table cannot make the walk read
//! another matrix's rows or run for 2^32 presynaptic indices.

use std::collections::{BTreeMap, BTreeSet};

use rayon::prelude::*;
use serde_json::Value;

use super::cores::{Identity, Side};
use super::files::BuildDir;
use super::placements::{sender_of, Placement};
use super::report::malformed;
use super::{DiffError, Difference, Kind};
use spikec_spinnaker::geometry::KeyMask;
use spikec_spinnaker::matrix::{BlobError, SynapticMatrices};

/// Who sent the packets an entry's rows are for.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Sender {
    /// A vertex of `placements.txt`, and which block of its key range.
    Vertex {
        rank: u32,
        population: String,
        lo: u32,
        hi: u32,
        role: String,
        block: u32,
    },
    /// A key range no placement holds.
    Key(u32, u32),
}

impl Sender {
    fn text(&self) -> String {
        match self {
            Sender::Vertex {
                population,
                lo,
                hi,
                role,
                block,
                ..
            } => {
                let mut s = format!("{population} {lo}..{hi} {role}");
                if role == "delay" {
                    s.push_str(&format!(" stage {}", block + 1));
                } else if *block > 0 {
                    s.push_str(&format!(" block {block}"));
                }
                s
            }
            Sender::Key(k, m) => format!("key 0x{k:08x}/0x{m:08x}"),
        }
    }

    /// How to name presynaptic neuron `pre`.
    fn pre_text(&self, pre: u32) -> String {
        match self {
            Sender::Vertex { population, lo, .. } => {
                format!("{population}[{}]", *lo as u64 + pre as u64)
            }
            Sender::Key(..) => format!("pre {pre}"),
        }
    }
}

/// Senders numbered in order of appearance, shared by both sides of one
/// slice's comparison.
#[derive(Default)]
struct Senders {
    ids: BTreeMap<Sender, u32>,
    list: Vec<Sender>,
}

impl Senders {
    fn id(&mut self, s: Sender) -> u32 {
        if let Some(&id) = self.ids.get(&s) {
            return id;
        }
        let id = self.list.len() as u32;
        self.ids.insert(s.clone(), id);
        self.list.push(s);
        id
    }
}

/// (sender, pre, post, synapse type, delay, weight).
type Synapse = (u32, u32, u16, u8, u16, u16);

/// A post slice: rank, population, first neuron, size.
type Slice = (u32, String, u32, u32);

fn slice_of(id: &Identity) -> Slice {
    (id.rank, id.population.clone(), id.lo, id.n)
}

/// Every synapse of one core's matrices.
fn read_synapses(
    m: &SynapticMatrices,
    placements: &[Placement],
    ranks: &BTreeMap<String, u32>,
    senders: &mut Senders,
    out: &mut Vec<Synapse>,
) -> Result<(), BlobError> {
    let region = m.sizes().synaptic_matrix;
    let mut starts: Vec<usize> = m.addresses().iter().map(|a| a.offset()).collect();
    starts.sort_unstable();
    starts.dedup();
    for e in m.entries() {
        let sender = match sender_of(placements, e.key_mask) {
            Some((p, block)) => Sender::Vertex {
                rank: ranks.get(&p.population).copied().unwrap_or(u32::MAX),
                population: p.population.clone(),
                lo: p.lo,
                hi: p.hi,
                role: p.role.clone(),
                block,
            },
            None => {
                let KeyMask { key, mask } = e.key_mask;
                Sender::Key(key, mask)
            }
        };
        let sender = senders.id(sender);
        let index_bits = (!e.key_mask.mask)
            .count_ones()
            .saturating_sub(m.colour_bits() as u32);
        let keys = 1u64 << index_bits.min(32);
        let first = e.start as usize;
        for a in m.addresses().iter().skip(first).take(e.count as usize) {
            // The matrix ends where the next one starts; the padding after
            // it is shorter than a row.
            let next = starts
                .iter()
                .copied()
                .find(|&s| s > a.offset())
                .unwrap_or(region);
            let rows = (next.saturating_sub(a.offset()) / (a.row_words() * 4)) as u64;
            for pre in 0..rows.min(keys) {
                let pre = pre as u32;
                for s in m.row(*a, pre)?.synapses() {
                    out.push((sender, pre, s.post, s.synapse_type, s.delay, s.weight));
                }
            }
        }
    }
    Ok(())
}

/// What one sender's synapses into one slice differ by.
#[derive(Default)]
struct Tally {
    a: u64,
    b: u64,
    only_a: u64,
    only_b: u64,
    first_a: Option<Synapse>,
    first_b: Option<Synapse>,
}

pub(crate) fn compare(
    a: &BuildDir,
    b: &BuildDir,
    (sa, ia): (&Side, &[Identity]),
    (sb, ib): (&Side, &[Identity]),
    ranks: &BTreeMap<String, u32>,
    out: &mut Vec<Difference>,
) -> Result<(), DiffError> {
    // The slices a side has (by any core) and the matrices serving each.
    let matrices = |side: &Side, ids: &[Identity]| {
        let mut slices: BTreeMap<Slice, Vec<String>> = BTreeMap::new();
        for (c, id) in side.cores.iter().zip(ids) {
            if id.role != "neurons" && id.role != "synapses" {
                continue;
            }
            let files = slices.entry(slice_of(id)).or_default();
            files.extend(c.matrices.clone());
        }
        slices.values_mut().for_each(|v| v.sort());
        slices
    };
    let (ma, mb) = (matrices(sa, ia), matrices(sb, ib));
    // With the same placements, the same bytes at the same paths are the
    // same synapses: no need to read them.
    let same_senders =
        a.read_opt(super::placements::FILE)? == b.read_opt(super::placements::FILE)?;
    let both: Vec<(&Slice, &Vec<String>, &Vec<String>)> = ma
        .iter()
        .filter_map(|(s, fa)| Some((s, fa, mb.get(s)?)))
        .filter(|(_, fa, fb)| !fa.is_empty() || !fb.is_empty())
        .collect();
    // Matrices of slices only one side has are not compared (the cores
    // are reported as added or removed), but a damaged one still is.
    for (side, dir, other, files, is_a) in [(&ma, a, b, &mb, true), (&mb, b, a, &ma, false)] {
        for (slice, fs) in side.iter() {
            if files.contains_key(slice) {
                continue;
            }
            for f in fs {
                let bytes = dir.read(f)?;
                if let Err(e) = SynapticMatrices::parse(&bytes) {
                    if other.read_opt(f)?.as_deref() != Some(&bytes[..]) {
                        let (ma, mb) = if is_a {
                            (Some(e.to_string()), None)
                        } else {
                            (None, Some(e.to_string()))
                        };
                        out.push(malformed(f, ma, mb));
                    }
                }
            }
        }
    }
    let results: Vec<Result<Vec<Difference>, DiffError>> = both
        .par_iter()
        .map(|(slice, fa, fb)| {
            compare_slice(
                slice,
                (a, fa, &sa.placements),
                (b, fb, &sb.placements),
                ranks,
                same_senders,
            )
        })
        .collect();
    for r in results {
        out.extend(r?);
    }
    Ok(())
}

type SideFiles<'a> = (&'a BuildDir, &'a [String], &'a [Placement]);

fn compare_slice(
    slice: &Slice,
    (a, fa, pa): SideFiles<'_>,
    (b, fb, pb): SideFiles<'_>,
    ranks: &BTreeMap<String, u32>,
    same_senders: bool,
) -> Result<Vec<Difference>, DiffError> {
    let blobs = |dir: &BuildDir, files: &[String]| -> Result<Vec<Vec<u8>>, DiffError> {
        files.iter().map(|f| dir.read(f)).collect()
    };
    let (ba, bb) = (blobs(a, fa)?, blobs(b, fb)?);
    if same_senders && fa == fb && ba == bb {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    let mut senders = Senders::default();
    let mut read = |files: &[String], blobs: &[Vec<u8>], placements: &[Placement], is_a: bool| {
        let mut syn = Vec::new();
        let mut broken = Vec::new();
        for (f, bytes) in files.iter().zip(blobs) {
            let r = SynapticMatrices::parse(bytes)
                .and_then(|m| read_synapses(&m, placements, ranks, &mut senders, &mut syn));
            if let Err(e) = r {
                broken.push((f.clone(), e.to_string(), bytes.clone(), is_a));
            }
        }
        (syn, broken)
    };
    let (mut xa, bad_a) = read(fa, &ba, pa, true);
    let (mut xb, bad_b) = read(fb, &bb, pb, false);
    // A damaged file is reported as such; its slice's synapses are not
    // compared, since all they would say is that the file lost them.
    let damaged = !bad_a.is_empty() || !bad_b.is_empty();
    let mut reported = BTreeSet::new();
    for (f, msg, bytes, is_a) in bad_a.into_iter().chain(bad_b) {
        // The same damaged bytes on both sides are no difference.
        let other = if is_a { b } else { a };
        if other.read_opt(&f)?.as_deref() == Some(&bytes[..]) || !reported.insert(f.clone()) {
            continue;
        }
        let (ma, mb) = if is_a {
            (Some(msg), None)
        } else {
            (None, Some(msg))
        };
        out.push(malformed(&f, ma, mb));
    }
    if damaged {
        return Ok(out);
    }
    xa.sort_unstable();
    xb.sort_unstable();
    if xa == xb {
        return Ok(out);
    }
    let mut tallies: BTreeMap<u32, Tally> = BTreeMap::new();
    for s in &xa {
        tallies.entry(s.0).or_default().a += 1;
    }
    for s in &xb {
        tallies.entry(s.0).or_default().b += 1;
    }
    let (mut i, mut j) = (0, 0);
    while i < xa.len() || j < xb.len() {
        match (xa.get(i), xb.get(j)) {
            (Some(p), Some(q)) if p == q => {
                i += 1;
                j += 1;
            }
            (Some(p), q) if q.is_none_or(|q| p < q) => {
                let t = tallies.entry(p.0).or_default();
                t.only_a += 1;
                t.first_a.get_or_insert(*p);
                i += 1;
            }
            (_, Some(q)) => {
                let t = tallies.entry(q.0).or_default();
                t.only_b += 1;
                t.first_b.get_or_insert(*q);
                j += 1;
            }
            _ => break,
        }
    }
    let (_, population, lo, n) = slice;
    let post = format!("{population} {lo}..{}", lo + n);
    let file = fa.first().or(fb.first()).cloned().unwrap_or_default();
    let file_b = fb.first().cloned();
    let mut order: Vec<(&Sender, &Tally)> = tallies
        .iter()
        .filter(|(_, t)| t.only_a + t.only_b > 0)
        .map(|(id, t)| (&senders.list[*id as usize], t))
        .collect();
    order.sort_by(|x, y| x.0.cmp(y.0));
    for (sender, t) in order {
        let show = |s: Synapse| {
            format!(
                "{} -> {population}[{}] type {}, delay {}, weight {}",
                sender.pre_text(s.1),
                *lo as u64 + s.2 as u64,
                s.3,
                s.4,
                s.5
            )
        };
        let mut detail = format!("{} only in A, {} only in B", t.only_a, t.only_b);
        if let Some(s) = t.first_a {
            detail.push_str(&format!("; first only in A: {}", show(s)));
        }
        if let Some(s) = t.first_b {
            detail.push_str(&format!("; first only in B: {}", show(s)));
        }
        out.push(
            Difference::new(
                file.clone(),
                format!("synapses into {post} from {}", sender.text()),
                Kind::SynapsesDiffer,
                Value::from(t.a),
                Value::from(t.b),
            )
            .with_detail(detail)
            .with_file_b(file_b.clone()),
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use spikec_spinnaker::matrix::{build, choose_layout, IncomingBlock, Synapse as Built};

    fn syn(pre: u32, post: u16, synapse_type: u8, delay: u16, weight: u16) -> Built {
        Built {
            pre,
            post,
            synapse_type,
            delay,
            weight,
            plastic: false,
        }
    }

    #[test]
    fn every_synapse_is_read_back_with_its_sender() {
        let layout = choose_layout(16, 2, 4).unwrap();
        // Three rows in a range of eight keys: the walk must stop at the
        // matrix's end, not at the range's.
        let one = [syn(0, 1, 0, 1, 7), syn(2, 15, 1, 4, 9), syn(2, 3, 0, 2, 1)];
        let two = [syn(4, 0, 1, 3, 5)];
        let km = |key, bits: u32| KeyMask {
            key,
            mask: !((1u32 << bits) - 1),
        };
        let blocks = [
            IncomingBlock {
                key_mask: km(0x100, 3),
                n_pre: 3,
                stage_keys: &[],
                synapses: &one,
            },
            IncomingBlock {
                key_mask: km(0x200, 4),
                n_pre: 5,
                stage_keys: &[],
                synapses: &two,
            },
        ];
        let blob = build(layout, 16, &blocks).unwrap().blob;
        let m = SynapticMatrices::parse(&blob).unwrap();
        let placements = super::super::placements::parse(
            "(0,0) 3 E 0..3 neurons 0x00000100 0xfffffff8\n(0,0) 4 I 8..13 neurons 0x00000200 0xfffffff0\n",
        )
        .unwrap();
        let mut senders = Senders::default();
        let mut got = Vec::new();
        read_synapses(&m, &placements, &BTreeMap::new(), &mut senders, &mut got).unwrap();
        let mut got: Vec<String> = got
            .iter()
            .map(|s| {
                let sender = &senders.list[s.0 as usize];
                format!("{} {} {} {} {}", sender.pre_text(s.1), s.2, s.3, s.4, s.5)
            })
            .collect();
        got.sort();
        assert_eq!(
            got,
            [
                "E[0] 1 0 1 7",
                "E[2] 15 1 4 9",
                "E[2] 3 0 2 1",
                "I[12] 0 1 3 5"
            ]
        );
    }
}
