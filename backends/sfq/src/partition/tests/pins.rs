//! The pin budget: stars, where first fit fails, infeasibility, scale.

use super::*;
use std::time::Instant;

/// One source (block 0, group 0) driving `fanout` blocks (group 1).
fn star(fanout: usize) -> (Vec<Block>, Vec<Line>) {
    let mut blocks = vec![block("source", 0, 100)];
    blocks.extend((1..=fanout).map(|i| block(&format!("t{i}"), 1, 100)));
    let lines = (1..=fanout).map(|t| line(0, t)).collect();
    (blocks, lines)
}

fn budget(jjs: u64, pins: u32) -> ChipBudget {
    ChipBudget {
        pins: Some(pins),
        ..jj_budget(jjs)
    }
}

#[test]
fn a_star_spreads_within_the_pins() {
    // Six blocks a chip: the source and 5 targets, then 35 targets over
    // six chips; the source needs six outgoing pins.
    let (blocks, lines) = star(40);
    let p = split(&blocks, &lines, &budget(600, 8));
    assert_eq!(p.chips.len(), 7);
    assert_eq!(p.crossing_signals, 6);
    assert_eq!(p.crossing_lines, 35);
    let pins = pins_by_rule(&blocks, &lines, &p.chip_of, p.chips.len());
    assert_eq!(pins[p.chip_of[0] as usize], 6);
    assert!(pins.iter().all(|&x| x <= 8));
}

#[test]
fn a_star_too_wide_for_the_pins_is_reported_at_its_source() {
    // Four blocks a chip: the source keeps 3 targets, the other 37 need
    // at least ten chips, hence ten outgoing pins; there are eight.
    let (blocks, lines) = star(40);
    let e = fail(&blocks, &lines, &budget(400, 8));
    match &e {
        PartitionError::PinsExceeded {
            block,
            name,
            group,
            need,
            have,
        } => {
            assert_eq!((*block, name.as_str(), *group), (0, "source", 0));
            assert_eq!((*need, *have), (10, 8));
        }
        other => panic!("{other}"),
    }
    assert_eq!(e.code(), "C0002");
    assert!(e.to_string().contains("at least 10 signal pins"));
}

#[test]
fn pins_steer_the_split_where_first_fit_fails() {
    // A source driving 20 targets, with 20 unrelated fillers interleaved
    // in block order: first fit puts targets on all seven chips (six
    // outgoing pins), growth along the lines packs them.
    let mut blocks = vec![block("source", 0, 100)];
    let mut lines = Vec::new();
    for i in 1..=40 {
        if i % 2 == 1 {
            lines.push(line(0, i));
            blocks.push(block(&format!("t{i}"), 1, 100));
        } else {
            blocks.push(block(&format!("f{i}"), 2, 100));
        }
    }
    let b = budget(600, 4);
    let p = split(&blocks, &lines, &b);
    assert_eq!(p.chips.len(), 7);
    assert!(p.crossing_signals <= 4);
    let mut first_fit = vec![0u32; blocks.len()];
    for (i, c) in first_fit.iter_mut().enumerate() {
        *c = (i / 6) as u32;
    }
    let naive = pins_by_rule(&blocks, &lines, &first_fit, 7);
    assert!(naive[0] > 4, "the test no longer tests anything");
}

#[test]
fn external_pins_count_and_can_force_more_chips() {
    // Eight isolated blocks with 3 external pins each: 24 pins, 10 per
    // chip, so three chips although junctions would allow one.
    let mut blocks = uniform(8, 10);
    for b in &mut blocks {
        b.external_pins = 3;
    }
    let p = split(&blocks, &[], &budget(1000, 10));
    assert_eq!(p.lower_bound, 3);
    assert_eq!(p.chips.len(), 3);
    assert!(p.chips.iter().all(|c| c.pins <= 10));
}

#[test]
fn a_pin_bound_network_at_scale_meets_every_budget() {
    let (blocks, lines) = network(99, 2000, 50_000);
    let budget = ChipBudget {
        jjs: Some(6000),
        area_um2: Some(1.0e5),
        bias_ua: Some(1000.0),
        pins: Some(250),
    };
    let start = Instant::now();
    let result = partition(&blocks, &lines, &budget);
    let took = start.elapsed();
    match &result {
        Ok(p) => {
            check(&blocks, &lines, &budget, p);
            eprintln!(
                "pins=250: {} chips (lower bound {}), {} signals, {took:?}",
                p.chips.len(),
                p.lower_bound,
                p.crossing_signals
            );
        }
        Err(e) => panic!("pins=250: {e}, {took:?}"),
    }
}
