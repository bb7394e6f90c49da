//! Build → parse → lookup round trips, the format's alignment and padding,
//! and every way building or parsing refuses its input.

use super::format::{ALIGNMENT, HEADER_BYTES, MAX_ROW_LENGTH, ROW_HEADER_WORDS};
use super::*;
use crate::geometry::KeyMask;

/// xorshift64*: deterministic test data without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A key range of `2^bits` keys at `base`.
fn range(base: u32, bits: u32) -> KeyMask {
    KeyMask {
        key: base,
        mask: !((1u32 << bits) - 1),
    }
}

/// One block's owned parts, for building `IncomingBlock`s from.
struct OwnedBlock {
    key_mask: KeyMask,
    n_pre: u32,
    stage_keys: Vec<KeyMask>,
    synapses: Vec<Synapse>,
}

impl OwnedBlock {
    fn view(&self) -> IncomingBlock<'_> {
        IncomingBlock {
            key_mask: self.key_mask,
            n_pre: self.n_pre,
            stage_keys: &self.stage_keys,
            synapses: &self.synapses,
        }
    }
}

fn views(blocks: &[OwnedBlock]) -> Vec<IncomingBlock<'_>> {
    blocks.iter().map(OwnedBlock::view).collect()
}

fn synapse(pre: u32, post: u16, synapse_type: u8, delay: u16, weight: u16) -> Synapse {
    Synapse {
        pre,
        post,
        synapse_type,
        delay,
        weight,
        plastic: false,
    }
}

/// Random blocks for a core of `n_post` neurons: each with its own key
/// range and up to 8 stage ranges, synapses of every delay the layout
/// reaches.
fn random_blocks(
    rng: &mut Rng,
    layout: RingBufferLayout,
    n_post: u32,
    n_blocks: u32,
) -> Vec<OwnedBlock> {
    (0..n_blocks)
        .map(|b| {
            let n_pre = 1 + rng.below(300) as u32;
            let n_stages = rng.below(MAX_DELAY_STAGES as u64 + 1) as u16;
            let max_delay = layout.slots() * (n_stages + 1);
            let n_syn = rng.below(3000) as usize;
            let synapses = (0..n_syn)
                .map(|_| {
                    synapse(
                        rng.below(n_pre as u64) as u32,
                        rng.below(n_post as u64) as u16,
                        rng.below(layout.max_types() as u64) as u8,
                        1 + rng.below(max_delay as u64) as u16,
                        rng.next() as u16,
                    )
                })
                .collect();
            // Keys of block b live at b << 16; stage s at (b << 16) | s << 12.
            OwnedBlock {
                key_mask: range(b << 16, 9),
                n_pre,
                stage_keys: (1..=n_stages as u32)
                    .map(|s| range(b << 16 | s << 12, 9))
                    .collect(),
                synapses,
            }
        })
        .collect()
}

/// Every synapse the blocks hold, as the core should see it: (key, post,
/// type, residual delay, weight), sorted.
fn expected(layout: RingBufferLayout, blocks: &[OwnedBlock]) -> Vec<(u32, DecodedSynapse)> {
    let mut all: Vec<_> = blocks
        .iter()
        .flat_map(|b| {
            b.synapses.iter().map(move |s| {
                let split = layout.split_delay(s.delay).unwrap();
                let km = match split.stage {
                    0 => b.key_mask,
                    st => b.stage_keys[st as usize - 1],
                };
                let d = DecodedSynapse {
                    post: s.post,
                    synapse_type: s.synapse_type,
                    delay: split.residual,
                    weight: s.weight,
                };
                (km.key | s.pre, d)
            })
        })
        .collect();
    all.sort();
    all
}

/// Every synapse the parsed data delivers for every key of every range.
fn delivered(m: &SynapticMatrices, blocks: &[OwnedBlock]) -> Vec<(u32, DecodedSynapse)> {
    let mut all = Vec::new();
    for b in blocks {
        for km in std::iter::once(&b.key_mask).chain(&b.stage_keys) {
            for pre in 0..b.n_pre {
                let key = km.key | pre;
                let Some(hit) = m.lookup(key) else { continue };
                assert_eq!(hit.pre(), pre);
                for row in hit.rows() {
                    all.extend(row.unwrap().synapses().map(|s| (key, s)));
                }
            }
        }
    }
    all.sort();
    all
}

#[test]
fn random_blocks_round_trip() {
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    for (max_neurons, n_types) in [(256u32, 2usize), (100, 3), (1000, 4), (16, 1)] {
        let layout = choose_layout(max_neurons, n_types, 150)
            .unwrap_or_else(|_| choose_layout(max_neurons, n_types, 36).unwrap());
        let n_post = 1 + rng.below(max_neurons as u64) as u32;
        let blocks = random_blocks(&mut rng, layout, n_post, 12);
        let data = build(layout, n_post, &views(&blocks)).unwrap();
        assert_eq!(data.blob.len(), data.sizes.total());
        let m = SynapticMatrices::parse(&data.blob).unwrap();
        assert_eq!(m.layout(), layout);
        assert_eq!(m.sizes(), data.sizes);
        let want = expected(layout, &blocks);
        let got = delivered(&m, &blocks);
        assert_eq!(got.len(), want.len(), "layout {layout:?}");
        assert_eq!(got, want, "layout {layout:?}");
        // The total delay is the stage's plus the residual.
        for (b, used) in blocks.iter().zip(&data.stages_used) {
            for s in &b.synapses {
                let split = layout.split_delay(s.delay).unwrap();
                assert_eq!(
                    split.stage as u32 * layout.slots() as u32 + split.residual as u32,
                    s.delay as u32
                );
                assert!(used.contains(split.stage));
            }
            assert_eq!(used.iter().count(), {
                let mut st: Vec<u8> = b
                    .synapses
                    .iter()
                    .map(|s| layout.split_delay(s.delay).unwrap().stage)
                    .collect();
                st.sort();
                st.dedup();
                st.len()
            });
        }
    }
}

#[test]
fn keys_outside_every_range_match_nothing() {
    let mut rng = Rng(99);
    let layout = choose_layout(256, 2, 64).unwrap();
    let blocks = random_blocks(&mut rng, layout, 256, 5);
    let m = SynapticMatrices::parse(&build(layout, 256, &views(&blocks)).unwrap().blob).unwrap();
    for key in [0x0000_0800u32, 0x0005_0000, 0xFFFF_FFFF, 0x0000_0200] {
        assert!(m.lookup(key).is_none(), "{key:#x}");
    }
    // Every table entry is found by each of its keys.
    for e in m.entries() {
        for key in [e.key_mask.key, e.key_mask.key | !e.key_mask.mask] {
            assert_eq!(m.lookup(key).map(|h| h.entry()), Some(*e));
        }
    }
}

#[test]
fn regions_and_matrices_are_aligned_and_rows_padded() {
    let layout = RingBufferLayout::new(8, 1, 5).unwrap();
    // Block 0: 3 rows, the longest 5 synapses: stride 8 words, 96 bytes.
    // Block 1: 1 row of 2 plus a stage-1 row of 1: 20 bytes → 32, 16 → 16.
    let b0 = OwnedBlock {
        key_mask: range(0x100, 2),
        n_pre: 3,
        stage_keys: vec![],
        synapses: (0..5)
            .map(|i| synapse(1, i, 0, 1, 7))
            .chain([synapse(2, 9, 1, 32, 8)])
            .collect(),
    };
    let b1 = OwnedBlock {
        key_mask: range(0x200, 0),
        n_pre: 1,
        stage_keys: vec![range(0x300, 0)],
        synapses: vec![
            synapse(0, 3, 0, 2, 1),
            synapse(0, 4, 0, 3, 2),
            synapse(0, 5, 1, 40, 3),
        ],
    };
    let data = build(layout, 10, &views(&[b0, b1])).unwrap();
    let sizes = data.sizes;
    assert_eq!(sizes.header, HEADER_BYTES);
    assert_eq!(sizes.master_pop_table, 48); // 3 entries of 12 bytes
    assert_eq!(sizes.address_list, 16); // 3 entries of 4 bytes
    assert_eq!(sizes.synaptic_matrix, 96 + 32 + 16);
    assert_eq!(
        sizes,
        RegionSizes::of(
            3,
            3,
            [(3, 5), (1, 2), (1, 1)].map(|(n_rows, row_length)| MatrixShape { n_rows, row_length })
        )
    );
    for offset in sizes.offsets() {
        assert_eq!(offset % ALIGNMENT, 0);
    }
    let m = SynapticMatrices::parse(&data.blob).unwrap();
    let lengths: Vec<u16> = m.addresses().iter().map(|a| a.row_length).collect();
    assert_eq!(lengths, [5, 2, 1]);
    let offsets: Vec<usize> = m.addresses().iter().map(|a| a.offset()).collect();
    assert_eq!(offsets, [0, 96, 128]);

    // Row 0 of block 0 is empty; row 2 has one synapse then zero padding.
    let word = |i: usize| super::format::word_at(&data.blob, sizes.offsets()[2] / 4 + i);
    assert_eq!((0..8).map(word).collect::<Vec<_>>(), [0; 8]);
    assert_eq!([word(8), word(9), word(10)], [0, 5, 0]);
    let row2 = 16;
    assert_eq!([word(row2), word(row2 + 1), word(row2 + 2)], [0, 1, 0]);
    // Delay 32 is a full ring buffer: stored as 0.
    assert_eq!(word(row2 + 3), 8 << 16 | 1 << 8 | 9);
    assert_eq!((row2 + 4..row2 + 8).map(word).collect::<Vec<_>>(), [0; 4]);
    // The alignment padding after block 1's 5-word row is zero too.
    assert_eq!((24 + 5..32).map(word).collect::<Vec<_>>(), [0; 3]);
    assert_eq!(data.stages_used[0].iter().collect::<Vec<_>>(), [0]);
    assert_eq!(data.stages_used[1].iter().collect::<Vec<_>>(), [0, 1]);
    assert_eq!(data.stages_used[1].deepest(), Some(1));
    // The stage-1 synapse keeps its residual delay 40 − 32 = 8.
    let hit = m.lookup(0x300).unwrap();
    let row = hit.rows().next().unwrap().unwrap();
    assert_eq!(row.synapses().map(|s| s.delay).collect::<Vec<_>>(), [8]);
    assert_eq!(ROW_HEADER_WORDS, 3);
}

#[test]
fn blocks_with_one_key_range_share_a_table_entry() {
    let layout = RingBufferLayout::new(4, 1, 3).unwrap();
    let shared = range(0x40, 3);
    let blocks = [
        OwnedBlock {
            key_mask: shared,
            n_pre: 8,
            stage_keys: vec![],
            synapses: vec![synapse(2, 1, 0, 1, 10)],
        },
        OwnedBlock {
            key_mask: range(0x10, 3),
            n_pre: 8,
            stage_keys: vec![],
            synapses: vec![synapse(2, 2, 0, 1, 20)],
        },
        OwnedBlock {
            key_mask: shared,
            n_pre: 8,
            stage_keys: vec![],
            synapses: vec![synapse(2, 3, 1, 2, 30), synapse(2, 4, 1, 2, 40)],
        },
        OwnedBlock {
            key_mask: range(0x80, 3),
            n_pre: 8,
            stage_keys: vec![],
            synapses: vec![],
        },
    ];
    let data = build(layout, 16, &views(&blocks)).unwrap();
    let m = SynapticMatrices::parse(&data.blob).unwrap();
    // Sorted by key; the shared range has two matrices in block order; the
    // empty block has no entry.
    let keys: Vec<(u32, u16)> = m
        .entries()
        .iter()
        .map(|e| (e.key_mask.key, e.count))
        .collect();
    assert_eq!(keys, [(0x10, 1), (0x40, 2)]);
    assert!(data.stages_used[3].is_empty());
    assert!(m.lookup(0x82).is_none());
    let hit = m.lookup(0x42).unwrap();
    let rows: Vec<Vec<u16>> = hit
        .rows()
        .map(|r| r.unwrap().synapses().map(|s| s.weight).collect())
        .collect();
    assert_eq!(rows, [vec![10], vec![30, 40]]);
    // Other neurons of the range have empty rows.
    assert!(m
        .lookup(0x45)
        .unwrap()
        .rows()
        .all(|r| r.unwrap().is_empty()));
}

#[test]
fn rows_of_256_fit_and_257_do_not() {
    let layout = RingBufferLayout::new(9, 0, 0).unwrap();
    let row = |n: u16| OwnedBlock {
        key_mask: range(0, 4),
        n_pre: 16,
        stage_keys: vec![],
        synapses: (0..n)
            .map(|i| synapse(3, i, 0, 1, 1))
            .chain([synapse(1, 0, 0, 1, 1)])
            .collect(),
    };
    let ok = build(layout, 512, &views(&[row(256)])).unwrap();
    let m = SynapticMatrices::parse(&ok.blob).unwrap();
    assert_eq!(m.addresses()[0].row_length as u32, MAX_ROW_LENGTH);
    assert_eq!(
        m.lookup(3).unwrap().rows().next().unwrap().unwrap().len(),
        256
    );
    let err = build(layout, 512, &views(&[row(100), row(257)])).unwrap_err();
    assert_eq!(
        err,
        MatrixError::RowTooLong {
            block: 1,
            stage: 0,
            pre: 3,
            len: 257
        }
    );
    assert!(err
        .to_string()
        .contains("presynaptic neuron 3 has 257 synapses"));
    assert!(err.help().is_some());
}

#[test]
fn delays_beyond_reach_or_without_stage_keys_are_refused() {
    let layout = choose_layout(256, 2, 288).unwrap();
    let block = |delay, n_stages| OwnedBlock {
        key_mask: range(0, 4),
        n_pre: 16,
        stage_keys: (1..=n_stages).map(|s| range(s << 8, 4)).collect(),
        synapses: vec![synapse(5, 0, 0, 1, 1), synapse(7, 0, 0, delay, 1)],
    };
    assert!(build(layout, 256, &views(&[block(288, 8)])).is_ok());
    assert_eq!(
        build(layout, 256, &views(&[block(289, 8)])),
        Err(MatrixError::DelayBeyondLayout {
            block: 0,
            pre: 7,
            delay: 289,
            reach: 288
        })
    );
    assert_eq!(
        build(layout, 256, &views(&[block(100, 2)])),
        Err(MatrixError::MissingDelayStage {
            block: 0,
            pre: 7,
            stage: 3,
            stages_given: 2
        })
    );
    assert_eq!(
        build(layout, 256, &views(&[block(0, 0)])),
        Err(MatrixError::ZeroDelay { block: 0, pre: 7 })
    );
}

#[test]
fn synapses_and_key_ranges_outside_the_core_are_refused() {
    let layout = RingBufferLayout::new(4, 1, 3).unwrap();
    let block = |km: KeyMask, n_pre, s: Synapse| OwnedBlock {
        key_mask: km,
        n_pre,
        stage_keys: vec![],
        synapses: vec![s],
    };
    let good = synapse(0, 0, 0, 1, 1);
    let err = |b: OwnedBlock, n_post| build(layout, n_post, &views(&[b])).unwrap_err();
    assert!(matches!(
        err(block(range(0, 2), 4, good), 17),
        MatrixError::TooManyPostNeurons { .. }
    ));
    assert!(matches!(
        err(block(range(0, 2), 5, good), 16),
        MatrixError::TooManyPreNeurons { .. }
    ));
    let scattered = KeyMask {
        key: 0,
        mask: 0xFFFF_FFFD,
    };
    assert!(matches!(
        err(block(scattered, 1, good), 16),
        MatrixError::InvalidKeyMask { .. }
    ));
    assert!(matches!(
        err(block(range(1, 2), 1, good), 16),
        MatrixError::InvalidKeyMask { .. }
    ));
    let cases = [
        (synapse(4, 0, 0, 1, 1), "PreOutOfRange"),
        (synapse(0, 10, 0, 1, 1), "PostOutOfRange"),
        (synapse(0, 0, 2, 1, 1), "TypeOutOfRange"),
    ];
    for (s, name) in cases {
        let e = err(block(range(0, 2), 4, s), 10);
        assert!(format!("{e:?}").starts_with(name), "{e:?}");
    }
    // Overlapping ranges of different blocks: a binary search cannot
    // separate them.
    let overlapping = [block(range(0, 4), 4, good), block(range(8, 2), 4, good)];
    assert_eq!(
        build(layout, 16, &views(&overlapping)),
        Err(MatrixError::OverlappingKeys {
            first: range(0, 4),
            second: range(8, 2)
        })
    );
}

fn sample_blob() -> Vec<u8> {
    let mut rng = Rng(7);
    let layout = choose_layout(64, 2, 40).unwrap();
    let blocks = random_blocks(&mut rng, layout, 64, 4);
    build(layout, 64, &views(&blocks)).unwrap().blob
}

/// Reads everything a blob can deliver, so damage anywhere is reached.
fn exercise(m: &SynapticMatrices) {
    for e in m.entries() {
        for pre in 0..64 {
            if let Some(hit) = m.lookup(e.key_mask.key | pre) {
                for row in hit.rows().flatten() {
                    row.synapses().for_each(drop);
                }
            }
        }
    }
}

#[test]
fn malformed_blobs_are_errors() {
    let blob = sample_blob();
    assert!(SynapticMatrices::parse(&blob).is_ok());
    // Every truncation, and one byte too many.
    for len in 0..blob.len() {
        assert!(
            SynapticMatrices::parse(&blob[..len]).is_err(),
            "length {len}"
        );
    }
    let mut long = blob.clone();
    long.push(0);
    assert!(matches!(
        SynapticMatrices::parse(&long),
        Err(BlobError::Inconsistent { .. })
    ));
    assert!(matches!(
        SynapticMatrices::parse(&[0u8; 10]),
        Err(BlobError::TooShort { .. })
    ));

    let set = |i: usize, w: u32| {
        let mut b = blob.clone();
        b[4 * i..4 * i + 4].copy_from_slice(&w.to_le_bytes());
        SynapticMatrices::parse(&b)
    };
    assert!(matches!(
        set(0, 0xDEAD_BEEF),
        Err(BlobError::BadMagic { found: 0xDEAD_BEEF })
    ));
    assert!(matches!(
        set(1, 2),
        Err(BlobError::UnknownVersion { found: 2, .. })
    ));
    assert!(matches!(
        set(2, 9 | 9 << 8),
        Err(BlobError::BadLayout { .. })
    ));
    assert!(matches!(
        set(3, u32::MAX),
        Err(BlobError::Inconsistent { .. })
    ));
    assert!(matches!(set(8, 8), Err(BlobError::Inconsistent { .. })));

    let m = SynapticMatrices::parse(&blob).unwrap();
    let [table, addresses, _] = m.sizes().offsets();
    // Swap the first two table entries: out of key order.
    let mut swapped = blob.clone();
    let (a, b) = (table, table + 12);
    let first: Vec<u8> = swapped[a..a + 12].to_vec();
    swapped.copy_within(b..b + 12, a);
    swapped[b..b + 12].copy_from_slice(&first);
    assert!(matches!(
        SynapticMatrices::parse(&swapped),
        Err(BlobError::BadEntry { index: 1, .. })
    ));
    // An entry with no addresses, or past the list's end.
    assert!(matches!(
        set(table / 4 + 2, 0),
        Err(BlobError::BadEntry { index: 0, .. })
    ));
    assert!(matches!(
        set(table / 4 + 2, 0xFFFF_0000),
        Err(BlobError::BadEntry { index: 0, .. })
    ));
    assert!(matches!(
        set(table / 4 + 2, 1 << 16 | 1 << 15),
        Err(BlobError::BadEntry { index: 0, .. })
    ));
    // An address beyond the matrix region, or flagged single.
    assert!(matches!(
        set(addresses / 4, 0x7FFF_FE00),
        Err(BlobError::BadAddress { index: 0, .. })
    ));
    assert!(matches!(
        set(addresses / 4, 1 << 31),
        Err(BlobError::BadAddress { index: 0, .. })
    ));
}

#[test]
fn damaged_rows_are_errors_when_read() {
    let layout = RingBufferLayout::new(4, 0, 2).unwrap();
    let blocks = [OwnedBlock {
        key_mask: range(0, 2),
        n_pre: 4,
        stage_keys: vec![],
        synapses: vec![synapse(1, 1, 0, 1, 1), synapse(1, 2, 0, 1, 2)],
    }];
    let blob = build(layout, 16, &views(&blocks)).unwrap().blob;
    let matrix = SynapticMatrices::parse(&blob).unwrap().sizes().offsets()[2] / 4;
    let row_error = |word: usize, value: u32, key: u32| {
        let mut b = blob.clone();
        b[4 * word..4 * word + 4].copy_from_slice(&value.to_le_bytes());
        let m = SynapticMatrices::parse(&b).unwrap();
        let hit = m.lookup(key).unwrap();
        let rows: Vec<_> = hit.rows().collect();
        assert_eq!(rows.len(), 1);
        rows[0].clone().map(|r| r.len())
    };
    // Row 1 starts at word 5 (stride 3 + 2).
    assert_eq!(row_error(matrix + 5 + 1, 2, 1), Ok(2));
    assert!(matches!(
        row_error(matrix + 5 + 1, 3, 1),
        Err(BlobError::BadRow { pre: 1, .. })
    ));
    assert!(matches!(
        row_error(matrix + 5, 1, 1),
        Err(BlobError::BadRow { .. })
    ));
    assert!(matches!(
        row_error(matrix + 5 + 2, 1, 1),
        Err(BlobError::BadRow { .. })
    ));
    // A key past the block's rows falls off the region: an error, not a panic.
    let m = SynapticMatrices::parse(&blob).unwrap();
    assert!(matches!(m.lookup(3).unwrap().rows().next(), Some(Ok(_))));
    let beyond = AddressEntry {
        address: 0,
        row_length: 2,
    };
    assert!(matches!(
        m.row(beyond, 4),
        Err(BlobError::BadRow { pre: 4, .. })
    ));
    assert!(matches!(
        m.row(beyond, u32::MAX),
        Err(BlobError::BadRow { .. })
    ));
}

#[test]
fn random_damage_never_panics() {
    let blob = sample_blob();
    let mut rng = Rng(0xDA4A6E);
    for _ in 0..3000 {
        let mut b = blob.clone();
        for _ in 0..1 + rng.below(4) {
            let i = rng.below(b.len() as u64) as usize;
            b[i] ^= 1 << rng.below(8);
        }
        if let Ok(m) = SynapticMatrices::parse(&b) {
            exercise(&m);
        }
    }
}

#[test]
fn building_is_deterministic_and_empty_cores_are_valid() {
    let mut rng = Rng(3);
    let layout = choose_layout(128, 3, 20).unwrap();
    let blocks = random_blocks(&mut rng, layout, 128, 6);
    let a = build(layout, 128, &views(&blocks)).unwrap();
    let b = build(layout, 128, &views(&blocks)).unwrap();
    assert_eq!(a, b);
    let empty = build(layout, 128, &[]).unwrap();
    assert_eq!(empty.blob.len(), HEADER_BYTES);
    let m = SynapticMatrices::parse(&empty.blob).unwrap();
    assert!(m.entries().is_empty() && m.lookup(0).is_none());
}

/// Random blocks with about half the synapses the ring buffer serves
/// (delay ≤ D) made plastic.
fn plastic_blocks(rng: &mut Rng, layout: RingBufferLayout, n_post: u32) -> Vec<OwnedBlock> {
    let mut blocks = random_blocks(rng, layout, n_post, 6);
    for b in &mut blocks {
        // Short enough rows: at most 40 synapses a presynaptic neuron.
        b.synapses.truncate(b.n_pre as usize * 40);
        for s in &mut b.synapses {
            s.plastic = s.delay <= layout.slots() && rng.below(2) == 0;
        }
    }
    blocks
}

#[test]
fn plastic_rows_round_trip_and_hold_their_state() {
    let mut rng = Rng(0x5EED_57D9);
    for (max_neurons, n_types) in [(256u32, 2usize), (100, 3), (16, 1)] {
        let layout = choose_layout(max_neurons, n_types, 40).unwrap();
        let n_post = 1 + rng.below(max_neurons as u64) as u32;
        let blocks = plastic_blocks(&mut rng, layout, n_post);
        let n_plastic: usize = blocks
            .iter()
            .map(|b| b.synapses.iter().filter(|s| s.plastic).count())
            .sum();
        assert!(n_plastic > 0);
        let data = build(layout, n_post, &views(&blocks)).unwrap();
        let mut m = SynapticMatrices::parse(&data.blob).unwrap();
        // Every synapse comes back, plastic ones with their initial weight.
        assert_eq!(delivered(&m, &blocks), expected(layout, &blocks));
        let mut seen = 0;
        for b in &blocks {
            for pre in 0..b.n_pre {
                let Some(hit) = m.lookup(b.key_mask.key | pre) else {
                    continue;
                };
                let e = hit.entry();
                for a in e.start as usize..(e.start + e.count) as usize {
                    let address = m.addresses()[a];
                    let mut row = m.plastic_row(address, pre).unwrap();
                    assert_eq!(row.pre_state(), spikec_ir::stdp::PreState::default());
                    seen += row.len();
                    if row.is_empty() {
                        continue;
                    }
                    // Weights and header written back stay where they are.
                    for j in 0..row.len() {
                        let w = row.synapse(j).weight;
                        row.set_weight(j, w ^ 0x5A5A);
                    }
                    let state = spikec_ir::stdp::PreState {
                        time: 7,
                        trace: 2048,
                    };
                    row.set_pre_state(state);
                    let row = m.plastic_row(address, pre).unwrap();
                    assert_eq!(row.pre_state(), state);
                    let written: Vec<_> = (0..row.len()).map(|j| row.synapse(j)).collect();
                    let r = m.row(address, pre).unwrap();
                    assert_eq!(r.plastic().collect::<Vec<_>>(), written);
                }
            }
        }
        assert_eq!(seen, n_plastic);
    }
}

#[test]
fn plastic_synapses_need_the_ring_buffer_and_rows_count_words() {
    let layout = RingBufferLayout::new(4, 0, 2).unwrap();
    let block = |synapses: Vec<Synapse>| OwnedBlock {
        key_mask: range(0, 2),
        n_pre: 4,
        stage_keys: vec![range(1 << 8, 2)],
        synapses,
    };
    let plastic = |delay| Synapse {
        plastic: true,
        ..synapse(1, 1, 0, delay, 9)
    };
    assert!(build(layout, 16, &views(&[block(vec![plastic(4)])])).is_ok());
    assert!(matches!(
        build(layout, 16, &views(&[block(vec![plastic(5)])])),
        Err(MatrixError::PlasticDelayed {
            delay: 5,
            slots: 4,
            ..
        })
    ));
    // One static and three plastic synapses: 1 + (2 + 2) + 2 words.
    let data = build(
        layout,
        16,
        &views(&[block(vec![
            synapse(1, 3, 0, 1, 1),
            plastic(1),
            plastic(2),
            plastic(3),
        ])]),
    )
    .unwrap();
    let m = SynapticMatrices::parse(&data.blob).unwrap();
    assert_eq!(m.addresses()[0].row_length, 7);
    // 254 plastic synapses fill a row of 256 words; 255 do not fit.
    let many = |n| (0..n).map(|_| plastic(1)).collect::<Vec<_>>();
    assert!(build(layout, 16, &views(&[block(many(254))])).is_ok());
    assert!(matches!(
        build(layout, 16, &views(&[block(many(255))])),
        Err(MatrixError::PlasticRowTooLong { n_plastic: 255, .. })
    ));
}

#[test]
fn random_damage_to_plastic_rows_never_panics() {
    let mut rng = Rng(0xDA4A6F);
    let layout = choose_layout(64, 2, 40).unwrap();
    let blocks = plastic_blocks(&mut rng, layout, 64);
    let blob = build(layout, 64, &views(&blocks)).unwrap().blob;
    for _ in 0..2000 {
        let mut b = blob.clone();
        for _ in 0..1 + rng.below(4) {
            let i = rng.below(b.len() as u64) as usize;
            b[i] ^= 1 << rng.below(8);
        }
        if let Ok(mut m) = SynapticMatrices::parse(&b) {
            exercise(&m);
            let addresses = m.addresses().to_vec();
            for a in addresses {
                for pre in 0..64 {
                    if let Ok(mut row) = m.plastic_row(a, pre) {
                        for j in 0..row.len() {
                            let s = row.synapse(j);
                            row.set_weight(j, s.weight.wrapping_add(1));
                        }
                        let s = row.pre_state();
                        row.set_pre_state(s);
                    }
                }
            }
        }
    }
}
