//! Small random instances against exhaustive search: the pin certificate
//! must be sound, and the heuristic should almost always find the fewest
//! chips.

use super::*;

/// Every assignment of `n` blocks to chips, up to renaming the chips
/// (restricted growth strings), passed to `visit` with its chip count.
fn each_partition(n: usize, visit: &mut impl FnMut(&[u32], usize)) {
    fn go(at: usize, chips: usize, cur: &mut Vec<u32>, visit: &mut impl FnMut(&[u32], usize)) {
        if at == cur.len() {
            visit(cur, chips);
            return;
        }
        for c in 0..=chips {
            cur[at] = c as u32;
            go(at + 1, chips.max(c + 1), cur, visit);
        }
    }
    go(0, 0, &mut vec![0; n], visit);
}

/// Whether an assignment meets every budget, by the pin rule.
fn feasible(
    blocks: &[Block],
    lines: &[Line],
    budget: &ChipBudget,
    chip_of: &[u32],
    k: usize,
) -> bool {
    let pins = pins_by_rule(blocks, lines, chip_of, k);
    (0..k).all(|c| {
        let on = || (0..blocks.len()).filter(move |&v| chip_of[v] as usize == c);
        let jjs: u64 = on().map(|v| blocks[v].jjs).sum();
        let area: f64 = on().map(|v| blocks[v].area_um2).sum();
        budget.jjs.is_none_or(|cap| jjs <= cap)
            && budget.area_um2.is_none_or(|cap| area <= cap)
            && budget.pins.is_none_or(|cap| pins[c] <= u64::from(cap))
    })
}

/// The fewest chips of any assignment meeting the budget, with the fewest
/// crossing signals at that count.
fn optimum(blocks: &[Block], lines: &[Line], budget: &ChipBudget) -> Option<(usize, u64)> {
    let mut best: Option<(usize, u64)> = None;
    each_partition(blocks.len(), &mut |chip_of, k| {
        if best.is_some_and(|b| b.0 < k) || !feasible(blocks, lines, budget, chip_of, k) {
            return;
        }
        let cand = (k, signals_by_rule(lines, chip_of));
        if best.is_none_or(|b| cand < b) {
            best = Some(cand);
        }
    });
    best
}

fn instance(rng: &mut Lcg) -> (Vec<Block>, Vec<Line>, ChipBudget) {
    let n = 2 + rng.below(6) as usize;
    let blocks: Vec<Block> = (0..n)
        .map(|i| Block {
            name: format!("b{i}"),
            group: rng.below(3) as u32,
            jjs: 1 + rng.below(5),
            area_um2: 1.0 + rng.below(5) as f64,
            bias_ua: 1.0,
            external_pins: u32::from(rng.below(4) == 0),
        })
        .collect();
    let lines = (0..rng.below(14))
        .map(|_| line(rng.below(n as u64) as usize, rng.below(n as u64) as usize))
        .collect();
    let budget = ChipBudget {
        jjs: Some(5 + rng.below(6)),
        area_um2: (rng.below(2) == 0).then(|| 5.0 + rng.below(6) as f64),
        pins: (rng.below(3) != 0).then(|| 1 + rng.below(5) as u32),
        bias_ua: None,
    };
    (blocks, lines, budget)
}

#[test]
fn small_instances_against_exhaustive_search() {
    let mut rng = Lcg(12345);
    let (mut cases, mut fewest, mut also_signals, mut missed) = (0, 0, 0, 0);
    let (mut proven, mut unproven) = (0, 0);
    for _ in 0..600 {
        let (blocks, lines, budget) = instance(&mut rng);
        let best = optimum(&blocks, &lines, &budget);
        match (partition(&blocks, &lines, &budget), best) {
            (Ok(p), Some((k, signals))) => {
                check(&blocks, &lines, &budget, &p);
                cases += 1;
                if p.chips.len() == k {
                    fewest += 1;
                    also_signals += usize::from(p.crossing_signals == signals);
                }
            }
            (Ok(p), None) => panic!("{blocks:?} {lines:?} {budget}: found {p:?}, none exists"),
            (Err(PartitionError::PinsExceeded { .. }), Some(b)) => {
                panic!("{blocks:?} {lines:?} {budget}: proved impossible, but {b:?} exists")
            }
            (Err(PartitionError::PinsNotMet { .. }), Some(_)) => {
                cases += 1;
                missed += 1;
            }
            (
                Err(PartitionError::PinsNotMet {
                    block, need, have, ..
                }),
                None,
            ) => {
                // Impossible, but beyond what the certificate proves.
                assert!(block < blocks.len() && need > u64::from(have));
                unproven += 1;
            }
            (Err(PartitionError::PinsExceeded { need, have, .. }), None) => {
                assert!(need > u64::from(have));
                proven += 1;
            }
            (Err(_), _) => {}
        }
    }
    eprintln!(
        "{cases} feasible: fewest chips {fewest}, also fewest signals {also_signals}, \
         missed {missed}; impossible by pins: {proven} proved, {unproven} not"
    );
    assert!(proven > 0 && unproven > 0, "both pin errors should occur");
    // Tiny tight instances are the hardest packing problems there are;
    // at the time of writing 496 of 502 got the fewest chips, 473 also
    // the fewest signals, and one feasible case went unfound.
    assert!(fewest * 100 >= cases * 98, "{fewest} of {cases}");
    assert!(
        also_signals * 100 >= cases * 93,
        "{also_signals} of {cases}"
    );
    assert!(missed <= 2, "{missed} feasible cases not found");
}
