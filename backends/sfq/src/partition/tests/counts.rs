//! The refinement state's move-by-move bookkeeping against a recount.

use super::super::graph::Problem;
use super::super::refine::State;
use super::*;

#[test]
fn counts_kept_move_by_move_equal_a_recount() {
    let (mut blocks, lines) = network(3, 120, 900);
    for (i, b) in blocks.iter_mut().enumerate() {
        b.external_pins = (i % 3) as u32;
    }
    let budget = ChipBudget {
        pins: Some(20),
        ..ChipBudget::UNLIMITED
    };
    let p = Problem::new(&blocks, &lines, &budget).unwrap();
    let mut rng = Lcg(77);
    let chips = 9;
    let start: Vec<u32> = (0..blocks.len()).map(|_| rng.below(chips) as u32).collect();
    let mut state = State::new(&p, start);
    for step in 0..2000 {
        let v = rng.below(blocks.len() as u64) as usize;
        let b = rng.below(chips) as u32;
        if state.chip_of[v] != b {
            state.apply(v, b);
        }
        if step % 97 == 0 {
            assert!(state.consistent(), "after {step} moves");
        }
    }
    assert!(state.consistent());
    assert!(
        state.overflow > 0,
        "the test should exercise the pin budget"
    );
}
