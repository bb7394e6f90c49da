//! Chip counts, cuts, errors and scale, without pin limits (see `pins`).

use super::*;
use crate::partition::Resource;
use std::time::Instant;

#[test]
fn everything_on_one_chip_when_it_fits() {
    let blocks = uniform(5, 100);
    let lines = vec![line(0, 1), line(1, 2), line(2, 3), line(3, 4), line(4, 0)];
    let budget = ChipBudget {
        pins: Some(1),
        ..jj_budget(500)
    };
    let p = split(&blocks, &lines, &budget);
    assert_eq!(p.chips.len(), 1);
    assert_eq!(p.chip_of, vec![0; 5]);
    assert_eq!((p.crossing_lines, p.crossing_signals), (0, 0));
    assert_eq!(p.chips[0].jjs, 500);
    assert_eq!(p.chips[0].pins, 0);
}

#[test]
fn no_blocks_no_chips() {
    let p = split(&[], &[], &jj_budget(10));
    assert!(p.chips.is_empty() && p.chip_of.is_empty());
}

#[test]
fn a_chain_of_ten_takes_four_chips_and_three_cuts() {
    let blocks = uniform(10, 100);
    let lines: Vec<Line> = (0..9).map(|i| line(i, i + 1)).collect();
    let p = split(&blocks, &lines, &jj_budget(300));
    assert_eq!(p.lower_bound, 4);
    assert_eq!(p.chips.len(), 4);
    assert_eq!(p.crossing_signals, 3);
    assert_eq!(p.crossing_lines, 3);
}

#[test]
fn a_shuffled_chain_is_still_cut_three_times() {
    // The chain visits the blocks in a scrambled order, so block order
    // says nothing; only the lines do.
    let order = [7, 2, 9, 0, 5, 3, 8, 1, 6, 4];
    let blocks = uniform(10, 100);
    let lines: Vec<Line> = order.windows(2).map(|w| line(w[0], w[1])).collect();
    let p = split(&blocks, &lines, &jj_budget(300));
    assert_eq!(p.chips.len(), 4);
    assert_eq!(p.crossing_signals, 3);
}

/// Two cliques of `size` blocks, joined by one line from the first
/// clique's last block to the second's first; the cliques interleave in
/// block order so that order alone would mix them.
fn two_clusters(size: usize) -> (Vec<Block>, Vec<Line>, Vec<usize>, Vec<usize>) {
    let a: Vec<usize> = (0..size).map(|i| 2 * i).collect();
    let b: Vec<usize> = (0..size).map(|i| 2 * i + 1).collect();
    let mut lines = Vec::new();
    for cluster in [&a, &b] {
        for &x in cluster.iter() {
            for &y in cluster.iter() {
                if x != y {
                    lines.push(line(x, y));
                }
            }
        }
    }
    lines.push(line(a[size - 1], b[0]));
    (uniform(2 * size, 100), lines, a, b)
}

#[test]
fn two_dense_clusters_split_at_their_bridge() {
    let (blocks, lines, a, b) = two_clusters(6);
    let p = split(&blocks, &lines, &jj_budget(600));
    assert_eq!(p.chips.len(), 2);
    assert_eq!(p.crossing_signals, 1);
    assert_eq!(p.crossing_lines, 1);
    assert!(a.iter().all(|&x| p.chip_of[x] == p.chip_of[a[0]]));
    assert!(b.iter().all(|&x| p.chip_of[x] == p.chip_of[b[0]]));
}

#[test]
fn populations_stay_together_when_lines_do_not_decide() {
    // No lines; two populations interleaved in block order.
    let blocks: Vec<Block> = (0..8)
        .map(|i| block(&format!("b{i}"), (i % 2) as u32, 100))
        .collect();
    let p = split(&blocks, &[], &jj_budget(400));
    assert_eq!(p.chips.len(), 2);
    for (i, b) in blocks.iter().enumerate() {
        assert_eq!(p.chip_of[i], b.group, "block {i}");
    }
}

#[test]
fn a_block_too_big_alone_is_named() {
    let mut blocks = uniform(4, 100);
    blocks[2] = block("big", 7, 7800);
    let e = fail(&blocks, &[line(0, 2)], &jj_budget(6000));
    match &e {
        PartitionError::BlockTooBig {
            block,
            name,
            group,
            resource,
            need,
            have,
        } => {
            assert_eq!((*block, name.as_str(), *group), (2, "big", 7));
            assert_eq!(*resource, Resource::Jjs);
            assert_eq!((*need, *have), (7800.0, 6000.0));
        }
        other => panic!("{other}"),
    }
    assert_eq!(e.code(), "C0001");
    assert!(e.to_string().contains("7800 JJs, the chip has 6000"));

    let area = ChipBudget {
        area_um2: Some(5000.0),
        ..ChipBudget::UNLIMITED
    };
    let e = fail(&blocks, &[], &area);
    assert!(matches!(
        e,
        PartitionError::BlockTooBig {
            block: 2,
            resource: Resource::Area,
            ..
        }
    ));
    blocks[2] = block("loud", 7, 100);
    blocks[2].external_pins = 3;
    let pins = ChipBudget {
        pins: Some(2),
        ..ChipBudget::UNLIMITED
    };
    let e = fail(&blocks, &[], &pins);
    assert!(matches!(
        e,
        PartitionError::BlockTooBig {
            block: 2,
            resource: Resource::Pins,
            ..
        }
    ));
}

#[test]
fn invalid_input_is_rejected() {
    let blocks = uniform(3, 100);
    let e = fail(&blocks, &[line(0, 1), line(1, 3)], &jj_budget(100));
    assert!(matches!(
        e,
        PartitionError::LineOutOfRange {
            line: 1,
            to: 3,
            blocks: 3,
            ..
        }
    ));
    let mut nan = blocks.clone();
    nan[1].bias_ua = f64::NAN;
    let e = fail(&nan, &[], &jj_budget(100));
    assert!(matches!(
        e,
        PartitionError::InvalidBlock {
            block: 1,
            field: "bias",
            ..
        }
    ));
    let mut negative = blocks.clone();
    negative[0].area_um2 = -1.0;
    assert!(matches!(
        fail(&negative, &[], &jj_budget(100)),
        PartitionError::InvalidBlock { block: 0, .. }
    ));
    let zero = ChipBudget {
        area_um2: Some(0.0),
        ..ChipBudget::UNLIMITED
    };
    assert!(matches!(
        fail(&blocks, &[], &zero),
        PartitionError::InvalidBudget {
            resource: Resource::Area,
            ..
        }
    ));
}

#[test]
fn duplicate_lines_count_once_as_signals_and_each_as_lines() {
    let blocks = uniform(2, 100);
    let lines = vec![line(0, 1), line(0, 1), line(0, 1), line(1, 1)];
    let p = split(&blocks, &lines, &jj_budget(100));
    assert_eq!(p.chips.len(), 2);
    assert_eq!((p.crossing_lines, p.crossing_signals), (3, 1));
    assert_eq!((p.chips[0].pins, p.chips[1].pins), (1, 1));
}

#[test]
fn the_same_input_gives_the_same_output() {
    let (blocks, lines) = network(7, 600, 12_000);
    let budget = ChipBudget {
        jjs: Some(6000),
        area_um2: Some(2.0e5),
        bias_ua: Some(1500.0),
        pins: Some(400),
    };
    let first = split(&blocks, &lines, &budget);
    let second = split(&blocks, &lines, &budget);
    assert_eq!(first, second);
}

#[test]
fn never_more_chips_than_first_fit_in_block_order() {
    for seed in 1..=6u64 {
        let (mut blocks, lines) = network(seed, 300, 3000);
        // Sizes spread widely so that packing matters.
        let mut rng = Lcg(seed * 31);
        for b in &mut blocks {
            b.jjs = 100 + rng.below(2500);
        }
        let budget = ChipBudget {
            jjs: Some(6000),
            area_um2: Some(4.0e5),
            ..ChipBudget::UNLIMITED
        };
        let p = split(&blocks, &lines, &budget);
        let ff = first_fit_chips(&blocks, &budget);
        assert!(
            p.chips.len() <= ff,
            "seed {seed}: {} chips, first fit {ff}",
            p.chips.len()
        );
    }
}

#[test]
fn a_larger_seeded_network_meets_every_budget_quickly() {
    let (blocks, lines) = network(2024, 2000, 50_000);
    let budget = ChipBudget {
        jjs: Some(6000),
        area_um2: Some(1.0e5),
        bias_ua: Some(1000.0),
        pins: Some(600),
    };
    let start = Instant::now();
    let p = split(&blocks, &lines, &budget);
    let took = start.elapsed();
    eprintln!(
        "2000 blocks, 50000 lines: {} chips (lower bound {}), {} signals, {} lines cut, {took:?}",
        p.chips.len(),
        p.lower_bound,
        p.crossing_signals,
        p.crossing_lines
    );
    assert!(p.chips.len() <= first_fit_chips(&blocks, &budget));
}

/// The size the partitioner is meant for, too slow for CI's debug build:
/// `cargo test --release -p spikec-sfq --features heavy -- scale --nocapture`.
#[cfg(feature = "heavy")]
#[test]
fn scale_ten_thousand_blocks_a_million_lines() {
    let (blocks, lines) = network(5, 10_000, 1_000_000);
    for pins in [None, Some(2000), Some(600)] {
        let budget = ChipBudget {
            jjs: Some(6000),
            area_um2: Some(1.0e5),
            bias_ua: Some(1000.0),
            pins,
        };
        let start = Instant::now();
        let result = partition(&blocks, &lines, &budget);
        let took = start.elapsed();
        match &result {
            Ok(p) => {
                check(&blocks, &lines, &budget, p);
                eprintln!(
                    "pins {pins:?}: {} chips (lower bound {}), {} signals, {took:?}",
                    p.chips.len(),
                    p.lower_bound,
                    p.crossing_signals
                );
            }
            Err(e) => panic!("pins {pins:?}: {e}, {took:?}"),
        }
    }
}
