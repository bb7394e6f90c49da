//! The CA3 content-addressable memory (`dsl-examples/ca3_cam.snn`,
//! Casanueva-Morato et al. 2024): experiment 1 on the output layer, as the
//! paper reports it — learning, recall by address, recall from a fragment
//! of content, and forgetting when an address is re-learned — in both
//! engines; the same with the rule written as a synapse model; and the
//! failure under NEST's semantics, which shows `semantics spinnaker` is
//! what makes it work.

use std::collections::BTreeSet;

use crate::support::{compile_ok, root};
use spikec::driver::simulate;
use spikec_ir::eval::Precision;
use spikec_sim::{Engine, Output};

const CUE: u32 = 5;

/// What the output layer shows after the operation that starts at `t`
/// (paper time, ms): the address and content neurons that fire in the
/// ten steps that follow. spikec stamps the input 1 ms later than the
/// paper (step ends), so the window is `(t + 1, t + 11]` in spike time.
/// Spikes are (population, neuron, step).
fn shown(spikes: &[(u32, u32, u64)], ol: u32, t: u64) -> (BTreeSet<u32>, BTreeSet<u32>) {
    let (mut address, mut content) = (BTreeSet::new(), BTreeSet::new());
    for &(_, neuron, step) in spikes.iter().filter(|s| s.0 == ol) {
        let time = step + 1;
        if time > t + 1 && time <= t + 11 {
            if neuron < CUE {
                address.insert(neuron);
            } else {
                content.insert(neuron - CUE);
            }
        }
    }
    (address, content)
}

fn simulated(out: &Output) -> Vec<(u32, u32, u64)> {
    out.spikes
        .iter()
        .map(|s| (s.population, s.neuron, s.step))
        .collect()
}

fn set(xs: &[u32]) -> BTreeSet<u32> {
    xs.iter().copied().collect()
}

fn source() -> String {
    std::fs::read_to_string(root().join("dsl-examples/ca3_cam.snn")).expect("the example")
}

fn run(src: &str, engine: Engine) -> (u32, Output) {
    // Named by its path, so the input file is found next to it.
    let path = root().join("dsl-examples/ca3_cam.snn");
    let net = compile_ok(&path.to_string_lossy(), src, &[]);
    let ol = net
        .populations
        .iter()
        .position(|(_, p)| p.name == "OL")
        .expect("an output layer") as u32;
    let out = simulate(&net, 92.0, engine, Precision::F64)
        .unwrap_or_else(|d| panic!("{d:?}"))
        .1;
    (ol, out)
}

/// Experiment 1's claims, checked on one run.
fn check_experiment_1(ol: u32, out: &[(u32, u32, u64)], what: &str) {
    // Learning shows the presented pattern.
    assert_eq!(
        shown(out, ol, 0),
        (set(&[0]), set(&[0, 1, 8, 9])),
        "{what}: learn cue 0"
    );
    assert_eq!(
        shown(out, ol, 10),
        (set(&[4]), set(&[1, 5, 6])),
        "{what}: learn cue 4"
    );
    // Recall by address reproduces exactly the stored content.
    assert_eq!(
        shown(out, ol, 30),
        (set(&[0]), set(&[0, 1, 8, 9])),
        "{what}: recall cue 0"
    );
    // A fragment recalls every address whose content contains it.
    assert_eq!(
        shown(out, ol, 40),
        (set(&[3, 4]), set(&[6])),
        "{what}: recall from {{6}}"
    );
    assert_eq!(
        shown(out, ol, 50),
        (set(&[0, 3]), set(&[0, 4])),
        "{what}: recall from {{0, 4}}"
    );
    // Re-learning replaces the content: the address returns only the new
    // content, and a fragment only the old content held no longer
    // recalls it.
    assert_eq!(
        shown(out, ol, 70),
        (set(&[3]), set(&[1, 3, 4, 8])),
        "{what}: recall cue 3"
    );
    assert_eq!(
        shown(out, ol, 80),
        (set(&[4]), set(&[6])),
        "{what}: recall from {{6}} again"
    );
}

#[test]
fn ca3_memory_learns_recalls_and_forgets_in_both_engines() {
    let src = source();
    let (ol, interp) = run(&src, Engine::Interp);
    check_experiment_1(ol, &simulated(&interp), "interp");
    let (_, jit) = run(&src, Engine::Jit);
    assert_eq!(jit.spikes, interp.spikes, "the engines agree");
    assert_eq!(jit.weights, interp.weights);
}

#[test]
fn ca3_rule_as_a_synapse_model_gives_the_same_memory() {
    // sPyNNaker's pair rule written out: additive A·trace in nA, and a
    // post trace that counts a post spike reaching the synapse with the
    // pre spike (`inclusive`), which the built-in rule does under
    // `semantics spinnaker`.
    let model = "
synapse spinnaker_pair {
  parameter tau_plus = 3 ms, tau_minus = 3 ms
  parameter A_plus : weight = 6 nA, A_minus : weight = 6 nA
  parameter w_min : weight = 0 nA, w_max : weight = 6 nA
  trace x = pre(tau_plus)
  trace y = post(tau_minus, inclusive = true)
  on pre  { w = max(w - A_minus * y, w_min) }
  on post { w = min(w + A_plus * x, w_max) }
}
";
    let src = source();
    let start = src.find("synapse stdp(").expect("the built-in rule");
    let end = start + src[start..].find(')').expect("its end") + 1;
    let rule = &src[start..end];
    let written = format!("{model}{}", src.replace(rule, "synapse spinnaker_pair"));
    assert_eq!(written.matches("synapse spinnaker_pair }").count(), 2);
    let (ol, out) = run(&written, Engine::Interp);
    check_experiment_1(ol, &simulated(&out), "synapse model");
    let (_, builtin) = run(&src, Engine::Interp);
    assert_eq!(out.spikes, builtin.spikes);
}

#[test]
fn ca3_memory_needs_spinnaker_semantics() {
    // Under NEST's semantics each hop takes a step longer and STDP does
    // not depress at Δt = 0: recall from content and forgetting fail, as
    // the example's generator documents.
    let src = source().replace("semantics spinnaker", "semantics nest");
    let (ol, out) = run(&src, Engine::Interp);
    let recalled = shown(&simulated(&out), ol, 40).0;
    assert_ne!(
        recalled,
        set(&[3, 4]),
        "recall from {{6}} should fail under NEST's semantics"
    );
}

#[test]
fn ca3_memory_learns_recalls_and_forgets_on_the_spinnaker_emulator() {
    // The build (plastic rows, sPyNNaker's kernels) runs in the emulator,
    // equals `spikec sim --precision s1615` spike for spike and weight for
    // weight, never saturates a ring buffer, and shows experiment 1.
    let path = root().join("dsl-examples/ca3_cam.snn");
    let net = compile_ok(&path.to_string_lossy(), &source(), &[]);
    let ol = net
        .populations
        .iter()
        .position(|(_, p)| p.name == "OL")
        .expect("an output layer") as u32;
    let req = spikec::build_spinnaker::SpinnakerRequest {
        machine: spikec::build_spinnaker::MachineSource::Preset("spinn5".into()),
        neurons_per_core: None,
        colour_bits: 0,
    };
    let v = spikec::build_spinnaker::verify(&net, &req, 92.0).unwrap_or_else(|d| panic!("{d:?}"));
    assert_eq!(v.first_difference(), None, "spikes differ");
    assert_eq!(v.first_weight_difference(), None, "weights differ");
    assert_eq!(v.emulated_weights.len(), 100);
    assert_eq!(v.saturated, 0, "a ring buffer would saturate on the chip");
    let emulated: Vec<_> = v
        .emulated
        .iter()
        .map(|s| (s.population, s.neuron, s.step))
        .collect();
    check_experiment_1(ol, &emulated, "emulator");
}
