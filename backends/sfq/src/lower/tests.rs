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

mod clocked {
    use crate::lower::clocked::{min_period_ps, module, ripple};
    use crate::netlist::Netlist;
    use crate::pulse::{simulate, PulseOptions};
    use crate::tech::{CellKind, Technology};
    use crate::tree::merger_tree;
    use crate::write::Stimulus;

    fn stim(port: &str, times_ps: Vec<f64>) -> Stimulus {
        Stimulus {
            port: port.into(),
            times_ps,
        }
    }

    /// `k` pulses at the same instant into a clocked fan-in come out `k`
    /// pulses a spacing apart; into a plain merger tree, one.
    #[test]
    fn simultaneous_pulses_pass_a_clocked_fan_in_and_collide_in_a_merger() {
        let tech = Technology::default();
        for k in [2u32, 3, 5, 8] {
            let merger =
                crate::netlist::Module::from_tree(format!("merger{k}"), &merger_tree(k), &tech)
                    .unwrap();
            let clocked = module(&tech, k, &format!("merger{k}"));
            let design = Netlist {
                modules: vec![clocked, merger.clone()],
                top: format!("clocked{k}"),
            }
            .validate(&tech)
            .unwrap_or_else(|e| panic!("{e:?}"));
            let mut stimuli: Vec<Stimulus> = (0..k)
                .map(|j| stim(&format!("in{j}"), vec![10.0]))
                .collect();
            stimuli.push(stim("clk", vec![100.0]));
            let options = PulseOptions {
                seed: 1,
                stop_ps: 2000.0,
            };
            let run = simulate(&tech, &design, &stimuli, &options).unwrap();
            let out = &run.outputs["out0"];
            assert_eq!(out.len(), k as usize, "k = {k}: {out:?}");
            let r = ripple(&tech, 32 - (k - 1).leading_zeros());
            for pair in out.windows(2) {
                // Released a spacing apart, give or take the balancing
                // mismatch, and never closer than the merger separation.
                assert!(
                    pair[1] - pair[0]
                        >= tech.cell(CellKind::Merge).min_input_separation_ps.unwrap()
                );
                assert!(
                    pair[1] - pair[0] <= r.step_ps + r.spacing_ps / 2.0,
                    "{out:?}"
                );
            }
            assert!(out[out.len() - 1] - out[0] < min_period_ps(&tech, k));
            assert_eq!(run.stats.merge_collisions + run.stats.separation_losses, 0);

            let plain = Netlist {
                modules: vec![merger],
                top: format!("merger{k}"),
            }
            .validate(&tech)
            .unwrap();
            let stimuli: Vec<Stimulus> = (0..k)
                .map(|j| stim(&format!("in{j}"), vec![10.0]))
                .collect();
            let run = simulate(&tech, &plain, &stimuli, &options).unwrap();
            // Equal leaf depths (k a power of two): all collide into one;
            // otherwise the shallow leaves get through a merge earlier.
            let passed = run.outputs["out0"].len();
            if k.is_power_of_two() {
                assert_eq!(passed, 1, "k = {k}: the pulses collide");
            } else {
                assert!(passed < k as usize, "k = {k}: {passed}");
            }
        }
    }

    /// A DFF holds one pulse a period: a second one before the clock is lost.
    #[test]
    fn a_clocked_line_passes_one_pulse_a_period() {
        let tech = Technology::default();
        let design = Netlist {
            modules: vec![module(&tech, 1, "")],
            top: "clocked1".into(),
        }
        .validate(&tech)
        .unwrap();
        let stimuli = vec![
            stim("in0", vec![10.0, 30.0, 130.0]),
            stim("clk", vec![50.0, 150.0, 250.0]),
        ];
        let run = simulate(
            &tech,
            &design,
            &stimuli,
            &PulseOptions {
                seed: 1,
                stop_ps: 1000.0,
            },
        )
        .unwrap();
        let d = tech.cell(CellKind::Dff).delay_ps;
        assert_eq!(run.outputs["out0"], [50.0 + d, 150.0 + d]);
        assert_eq!(run.stats.dff_overflows, 1);
    }
}
