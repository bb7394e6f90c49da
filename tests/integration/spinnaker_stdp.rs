//! Pair STDP on the SpiNNaker backend: plastic rows, the core's integer
//! rule, and the emulator running it.
//!
//! `spikec verify` must find the emulated build and `spikec sim
//! --precision s1615` identical spike for spike and weight for weight on
//! plastic networks (additive and multiplicative, and the polychronization
//! example); a build whose emulator ignored plasticity would not be (the
//! weights move, and the frozen network spikes differently); and what the
//! rows cannot hold is refused with E0074.

use crate::support::{compile_ok, root, run};
use spikec::build_spinnaker::{build, verify, MachineSource, SpinnakerRequest, Verification};
use spikec_spinnaker::core_data::NeuronCore;
use spikec_spinnaker::matrix::SynapticMatrices;

fn spinn5() -> SpinnakerRequest {
    SpinnakerRequest {
        machine: MachineSource::Preset("spinn5".into()),
        neurons_per_core: None,
        colour_bits: 0,
    }
}

/// Poisson sources into a few IF_curr_exp neurons through `synapse`, and
/// a spike array with a static projection beside it.
fn network(synapse: &str) -> String {
    format!(
        "network Learn {{
  timestep 0.1 ms
  seed 11
  population S = SpikeSourcePoisson[20] {{ rate = 30 Hz }}
  population A = SpikeSourceArray[2] {{ spike_times = [[5 ms, 50 ms, 120 ms], [7 ms, 300 ms]] }}
  population N = IF_curr_exp[4]
  connect S -> N : all_to_all() {{ port excitatory, weight 0.4 nA, delay uniform(0.5 ms, 1.5 ms){synapse} }}
  connect A -> N : all_to_all() {{ port excitatory, weight 0.5 nA, delay 1 ms }}
  record N.spikes
}}
"
    )
}

const ADDITIVE: &str =
    ", synapse stdp(w_max = 1 nA, A_plus = 0.05, A_minus = 0.06, tau_plus = 15 ms, tau_minus = 25 ms)";
const MULTIPLICATIVE: &str =
    ", synapse stdp(w_max = 1 nA, A_plus = 0.05, A_minus = 0.06, dependence = multiplicative)";

fn verified(src: &str, ms: f64) -> Verification {
    let net = compile_ok("learn.snn", src, &[]);
    verify(&net, &spinn5(), ms).unwrap_or_else(|d| panic!("{d:?}"))
}

fn assert_identical(v: &Verification, what: &str) {
    assert_eq!(v.first_difference(), None, "{what}: spikes differ");
    assert_eq!(v.first_weight_difference(), None, "{what}: weights differ");
}

#[test]
fn plastic_networks_verify_spike_for_spike_and_weight_for_weight() {
    for (what, rule) in [("additive", ADDITIVE), ("multiplicative", MULTIPLICATIVE)] {
        let src = network(rule);
        let v = verified(&src, 2000.0);
        assert_identical(&v, what);
        assert!(
            v.simulated.len() > 100,
            "{what}: {} spikes",
            v.simulated.len()
        );
        // 20 × 4 plastic synapses; the static ones are not listed.
        assert_eq!(v.emulated_weights.len(), 80, "{what}");
        // The rule ran: weights moved from where they started.
        let start = verified(&src, 0.0);
        let moved = v.moved_weights(&start.simulated_weights);
        assert!(moved > 40, "{what}: only {moved} of 80 weights moved");
        assert!(
            v.emulated_weights
                .iter()
                .all(|w| (0.0..=1.0).contains(&w.weight)),
            "{what}: a weight left [w_min, w_max]"
        );
    }
}

#[test]
fn an_emulator_ignoring_plasticity_would_not_verify() {
    // The frozen network is what the emulator would run if it ignored the
    // plastic regions (rows keep their initial weights): it spikes
    // differently from the plastic one, so verify would catch it.
    let plastic = verified(&network(ADDITIVE), 2000.0);
    let frozen = verified(&network(""), 2000.0);
    assert_identical(&frozen, "frozen");
    assert!(frozen.emulated_weights.is_empty());
    assert_ne!(plastic.emulated, frozen.emulated);
    // And the plastic weights must have changed the run: the same spikes
    // with unchanged weights would mean the rule did nothing.
    let start = verified(&network(ADDITIVE), 0.0);
    assert_ne!(plastic.emulated_weights, start.emulated_weights);
}

#[test]
fn plastic_cores_carry_the_rule_and_rows_their_synapses() {
    let net = compile_ok("learn.snn", &network(ADDITIVE), &[]);
    let a = build(&net, &spinn5()).unwrap_or_else(|d| panic!("{d:?}"));
    let core = |name: &str| {
        a.files
            .iter()
            .filter(|(n, _)| n.ends_with(name))
            .map(|(n, b)| (n.clone(), b.clone()))
            .collect::<Vec<_>>()
    };
    let neurons = core("neurons.bin");
    assert_eq!(neurons.len(), 1);
    let n = NeuronCore::decode(&neurons[0].1).unwrap();
    let p = n.plasticity.expect("a plastic core carries its rule");
    assert_eq!(p.history as usize, spikec_ir::stdp::POST_HISTORY);
    // tau_plus 15 ms, tau_minus 25 ms at 0.1 ms: ln(4096) · τ / h entries.
    assert_eq!(p.timing.plus.entries().len(), 1248);
    // 2079 entries would be more than a table holds: every other step.
    assert_eq!(p.timing.minus.entries().len(), 1040);
    assert_eq!(p.timing.minus.shift(), 1);
    // One synapse type (excitatory, positive), plastic; its w_max fills
    // the ring buffer's unit as the shift chose it from w_max.
    let rule = p.rules[0].expect("the excitatory type is plastic");
    let (_, shift) = n.types[0];
    assert_eq!(rule.w_max, spikec_ir::fixed::quantise(1.0, shift));
    assert_eq!(rule.a_plus, (0.05f64 * (1u64 << 24) as f64).round() as u32);
    // Rows: 20 Poisson rows with 4 plastic synapses each (delay ≤ D).
    let m = SynapticMatrices::parse(&core("synapses.bin")[0].1).unwrap();
    let plastic: usize = m
        .entries()
        .iter()
        .flat_map(|e| {
            let m = &m;
            (0..20).filter_map(move |pre| m.lookup(e.key_mask.key | pre))
        })
        .flat_map(|hit| {
            hit.rows()
                .map(|r| r.unwrap().n_plastic())
                .collect::<Vec<_>>()
        })
        .sum();
    assert_eq!(plastic, 80);
    // SDRAM counts the post histories beside the files.
    let files: u64 = a
        .files
        .iter()
        .filter(|(n, _)| n.starts_with("cores/"))
        .map(|(_, b)| b.len() as u64)
        .sum();
    assert!(a.report.sdram_bytes_max_chip >= files + p.history_bytes(4));
}

#[test]
fn polychronization_verifies_for_one_second() {
    let src = std::fs::read_to_string(root().join("dsl-examples/izhikevich_polychronization.snn"))
        .expect("the example");
    let v = verified(&src, 1000.0);
    assert_identical(&v, "polychronization");
    assert!(v.simulated.len() > 10_000, "{} spikes", v.simulated.len());
    assert_eq!(v.emulated_weights.len(), 80_000);
}

#[test]
fn what_plastic_rows_cannot_hold_is_refused_with_e0074() {
    let refused = |src: &str, needle: &str| {
        let net = compile_ok("learn.snn", src, &[]);
        let e = build(&net, &spinn5())
            .err()
            .unwrap_or_else(|| panic!("built:\n{src}"));
        assert_eq!(e[0].code, "E0074", "{:?}", e[0]);
        assert!(e[0].message.contains(needle), "{}", e[0].message);
    };
    refused(
        &network(", synapse stdp(w_min = -1 nA, w_max = 1 nA)"),
        "magnitudes of one sign",
    );
    // Two plastic projections into one population, other time constants.
    let two = network(ADDITIVE).replace(
        "  record N.spikes",
        "  connect S -> N : all_to_all() { port inhibitory, weight 0.1 nA, synapse stdp(w_max = 1 nA, tau_plus = 30 ms) }\n  record N.spikes",
    );
    refused(&two, "other time constants");
    // A plastic delay beyond the ring buffer: 4 neurons and one type
    // leave 12 bits, 4096 slots; 500 ms is 5000 steps.
    let long = network(ADDITIVE).replace("delay uniform(0.5 ms, 1.5 ms)", "delay 500 ms");
    refused(&long, "ring-buffer slots");
    // SFQ still refuses plastic synapses.
    let (code, _, err) = run(&[
        "build",
        &root()
            .join("tests/invalid/e0072_plastic_on_sfq.snn")
            .to_string_lossy(),
        "--target",
        "sfq",
        "-o",
        &std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("stdp_sfq")
            .to_string_lossy(),
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("error[E0072]"), "{err}");
}

#[test]
fn verify_on_the_command_line_reports_the_weights() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("spinnaker_stdp");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("learn.snn");
    std::fs::write(&file, network(MULTIPLICATIVE)).unwrap();
    let (code, out, err) = run(&[
        "verify",
        &file.to_string_lossy(),
        "--target",
        "spinnaker",
        "--duration",
        "500ms",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("spike for spike"), "{out}");
    assert!(
        out.contains("final weights of 80 plastic synapses identical"),
        "{out}"
    );
}

#[test]
fn plastic_rows_on_synapse_cores_read_their_neuron_cores_histories() {
    // 3000 Poisson sources at 100 Hz onto 100 neurons: more synaptic
    // events than one core handles, so synapse cores process the plastic
    // rows, with the post histories of the neuron core they feed.
    let src = "network Load {
  timestep 1 ms
  seed 3
  population S = SpikeSourcePoisson[3000] { rate = 100 Hz }
  population N = IF_curr_exp[100]
  connect S -> N : all_to_all() { port excitatory, weight 0.002 nA, delay uniform(1 ms, 4 ms), synapse stdp(w_max = 0.01 nA, A_plus = 0.02, A_minus = 0.021) }
  record N.spikes
}
";
    let net = compile_ok("load.snn", src, &[]);
    let a = build(&net, &spinn5()).unwrap_or_else(|d| panic!("{d:?}"));
    assert!(a.report.synapse_cores > 0, "{}", a.report.to_text());
    let v = verified(src, 100.0);
    assert_identical(&v, "synapse cores");
    assert_eq!(v.emulated_weights.len(), 300_000);
    let start = verified(src, 0.0);
    assert!(v.moved_weights(&start.simulated_weights) > 1000);
}
