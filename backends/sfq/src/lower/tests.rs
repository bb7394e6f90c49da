//! Unit tests of the numbers lowering chooses; the structure of lowered
//! networks is tested end to end from `.snn` sources in the integration
//! tests (`tests/integration/sfq.rs`), which have the front end.

use super::weights::{synapse, threshold, WeightLoss};
use crate::tech::Technology;

#[test]
fn threshold_is_the_largest_pulse_count_the_largest_weight_allows() {
    let tech = Technology::default();
    let (lowest, highest) = tech.neuron().threshold_range();
    assert_eq!((lowest, highest), (1, 11));
    // 15 / 5 is 3 exactly, not 2.999...
    let t = threshold(&tech, 15.0, 5.0);
    assert_eq!(t.pulses, 3);
    assert!((t.quantum - 5.0).abs() < 1e-12);
    assert_eq!(tech.neuron().threshold_for_bias(t.bias_ua), Some(3));
    assert_eq!(threshold(&tech, 15.0, 4.0).pulses, 3);
    // Weights above the span: one pulse fires.
    assert_eq!(threshold(&tech, 15.0, 40.0).pulses, 1);
    // Tiny weights, or none: the largest count the bias range has.
    assert_eq!(threshold(&tech, 15.0, 0.01).pulses, highest);
    assert_eq!(threshold(&tech, 15.0, 0.0).pulses, highest);
    // The bias is on the resolution grid.
    for w in [0.5, 1.0, 2.0, 7.0] {
        let b = threshold(&tech, 15.0, w).bias_ua / tech.bias_resolution_ua();
        assert!((b - b.round()).abs() < 1e-6, "{w}: {b}");
    }
}

#[test]
fn synapse_probability_is_weight_over_quantum_through_the_table() {
    let tech = Technology::default();
    let full = synapse(&tech, 5.0, 5.0);
    assert_eq!(full.wanted, 1.0);
    assert_eq!(full.realised, 1.0);
    let half = synapse(&tech, -2.5, 5.0);
    assert_eq!(half.wanted, 0.5);
    assert!(
        (half.realised - 0.5).abs() < 1e-9,
        "the table has a point at 0.5"
    );
    assert_eq!(half.bias_ua, tech.synapse_setting(0.5).bias_ua);
    // Clipped at 1; a realised probability is what the table gives.
    assert_eq!(synapse(&tech, 9.0, 5.0).wanted, 1.0);
    let q = synapse(&tech, 1.25, 5.0);
    assert_eq!(
        q.realised,
        tech.synapse_calibration().probability(q.bias_ua)
    );
    assert!((q.realised - 0.25).abs() < 0.02, "{q:?}");
}

#[test]
fn weight_loss_counts_zeroed_synapses_and_relative_errors() {
    let tech = Technology::default();
    let mut loss = WeightLoss::default();
    loss.add(&synapse(&tech, 5.0, 5.0));
    assert!(!loss.significant());
    // 1e-6 of the quantum is below the table's smallest probability.
    let tiny = synapse(&tech, 5e-6, 5.0);
    assert_eq!(tiny.realised, 0.0);
    loss.add(&tiny);
    assert_eq!((loss.synapses, loss.zeroed), (2, 1));
    assert!(loss.significant());
    assert!(loss
        .to_string()
        .starts_with("1 of 2 synapses round to probability 0"));
}
