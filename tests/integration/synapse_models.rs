//! Synapse models written in the language (`synapse NAME { ... }`): the
//! pair rule written as one gives the built-in `stdp` rule's weights bit
//! for bit; nearest-spike traces, jumps, per-synapse states and the order
//! of assignments against a hand computation from the recorded spikes;
//! the IR text of an instance; and the hardware targets' refusal.

use crate::support::compile_ok;
use spikec::driver::{compile_source, simulate};
use spikec_ir::eval::Precision;
use spikec_sim::{Engine, Output};

const PAIR: &str = "
synapse pair_stdp {
  parameter tau_plus = 20 ms, tau_minus = 20 ms
  parameter A_plus = 0.01, A_minus = 0.012
  parameter w_min : weight = 0, w_max : weight
  trace x = pre(tau_plus)
  trace y = post(tau_minus)
  on pre  { w = min(max(w - A_minus * w_max * y, w_min), w_max) }
  on post { w = min(max(w + A_plus * w_max * x, w_min), w_max) }
}

synapse pair_stdp_mult {
  parameter tau_plus = 20 ms, tau_minus = 20 ms
  parameter A_plus = 0.01, A_minus = 0.012
  parameter w_min : weight = 0, w_max : weight
  trace x = pre(tau_plus)
  trace y = post(tau_minus)
  on pre  { w = min(max(w - A_minus * (w - w_min) * y, w_min), w_max) }
  on post { w = min(max(w + A_plus * (w_max - w) * x, w_min), w_max) }
}
";

/// Forty Poisson sources drive ten neurons through plastic synapses with
/// delays drawn per synapse.
fn poisson_net(synapse: &str) -> String {
    format!(
        "{PAIR}
network Learn {{
  timestep 0.1 ms
  seed 11
  population Src = SpikeSourcePoisson[40] {{ rate = 15 Hz }}
  population N = IF_curr_exp[10] {{ i_offset = 0.5 nA }}
  connect Src -> N : all_to_all() {{ port excitatory, weight uniform(0.2 nA, 0.6 nA), delay uniform(0.5 ms, 3 ms), synapse {synapse} }}
  record N.spikes
}}
"
    )
}

fn run(src: &str, ms: f64, engine: Engine) -> Output {
    let net = compile_ok("synapse.snn", src, &[]);
    simulate(&net, ms, engine, Precision::F64)
        .unwrap_or_else(|d| panic!("{d:?}"))
        .1
}

#[test]
fn the_pair_rule_written_as_a_synapse_model_is_the_builtin_rule_bit_for_bit() {
    for (model, builtin) in [
        (
            "pair_stdp(w_max = 1 nA, A_plus = 0.05)",
            "stdp(w_max = 1 nA, A_plus = 0.05, A_minus = 0.012)",
        ),
        (
            "pair_stdp_mult(w_max = 1 nA, A_plus = 0.05, A_minus = 0.03, tau_minus = 30 ms)",
            "stdp(w_max = 1 nA, A_plus = 0.05, A_minus = 0.03, tau_minus = 30 ms, \
             dependence = multiplicative)",
        ),
    ] {
        let reference = run(&poisson_net(builtin), 1500.0, Engine::Interp);
        for engine in [Engine::Interp, Engine::Jit] {
            let out = run(&poisson_net(model), 1500.0, engine);
            assert_eq!(out.spikes, reference.spikes, "{model}, {engine:?}: spikes");
            assert_eq!(out.synapses, reference.synapses);
            let (got, want) = (&out.weights[0].1, &reference.weights[0].1);
            assert_eq!(got.len(), 400);
            for (k, (a, b)) in got.iter().zip(want).enumerate() {
                assert_eq!(a.to_bits(), b.to_bits(), "{model}: synapse {k}: {a} vs {b}");
            }
        }
        // The rule did something: weights moved, and not all to a bound.
        let w = &reference.weights[0].1;
        let start = &run(&poisson_net(builtin), 0.1, Engine::Interp).weights[0].1;
        let moved = w
            .iter()
            .zip(start)
            .filter(|(a, b)| (*a - *b).abs() > 1e-3)
            .count();
        assert!(moved > 100, "{model}: only {moved} of 400 weights moved");
        let inner = w.iter().filter(|&&x| x > 0.01 && x < 0.99).count();
        assert!(
            inner > 10,
            "{model}: {inner} weights strictly inside the bounds"
        );
    }
}

/// `Pre` fires at `pre`, `Drive` makes `Post` fire just after each of
/// `drive`; the plastic synapse Pre -> Post starts at 0.5 mV.
fn pairing(model: &str, pre: &str, drive: &str, delay: f64) -> String {
    format!(
        "{model}
network Pair {{
  timestep 0.1 ms
  population Pre = SpikeSourceArray[1] {{ spike_times = [{pre}] }}
  population Drive = SpikeSourceArray[1] {{ spike_times = [{drive}] }}
  population Post = IF_curr_delta[1] {{ tau_refrac = 0 ms }}
  connect Drive -> Post : all_to_all() {{ port excitatory, weight 20 mV, delay 1 ms }}
  connect Pre -> Post : all_to_all() {{ port excitatory, weight 0.5 mV, delay {delay} ms, synapse counted }}
  record Pre.spikes, Post.spikes
}}
"
    )
}

/// A rule that exercises what the pair rule does not: a nearest-spike
/// trace, a jump other than 1, a per-synapse state, and assignments that
/// read what an earlier one in the block wrote.
const COUNTED: &str = "
synapse counted {
  parameter tau = 10 ms, a : weight = 0.1 mV
  state n_pre = 0
  trace x = pre(tau, nearest = true)
  trace y = post(tau, jump = 2)
  on pre  { n_pre = n_pre + 1; w = w - a * y / n_pre }
  on post { w = w + a * x }
}
";

/// The same rule by hand, from the recorded spike times (ms): post spikes
/// reach the synapse `d` after they happen and run before a pre spike at
/// the same time; a read counts spikes strictly before the event.
fn counted_by_hand(pre: &[f64], post: &[f64], d: f64) -> f64 {
    let (tau, a) = (10.0, 0.1);
    let mut w = 0.5;
    let mut n_pre = 0.0;
    let mut last: Option<f64> = None;
    for &t in pre {
        for &tp in post {
            let arrives = tp + d;
            if last.is_some_and(|tl| arrives > tl) && arrives <= t {
                // Nearest: only the latest pre spike before the event counts.
                let x = pre
                    .iter()
                    .rev()
                    .find(|&&s| s < arrives)
                    .map_or(0.0, |&s| (-(arrives - s) / tau).exp());
                w += a * x;
            }
        }
        let y: f64 = post
            .iter()
            .filter(|&&tp| tp < t - d)
            .map(|&tp| 2.0 * (-(t - d - tp) / tau).exp())
            .sum();
        n_pre += 1.0;
        w -= a * y / n_pre;
        last = Some(t);
    }
    w
}

#[test]
fn nearest_traces_jumps_states_and_assignment_order_follow_the_hand_computation() {
    let h = 0.1;
    for (pre, drive, d) in [
        ("10 ms, 12 ms, 40 ms", "14 ms, 30 ms", 1.0),
        (
            "10 ms, 20 ms, 30 ms, 60 ms",
            "3 ms, 14 ms, 16 ms, 25 ms",
            2.0,
        ),
        (
            "5 ms, 6 ms, 7 ms, 50 ms, 90 ms",
            "6 ms, 30 ms, 31 ms, 70 ms",
            1.5,
        ),
    ] {
        let out = run(&pairing(COUNTED, pre, drive, d), 120.0, Engine::Interp);
        let times = |p: u32| -> Vec<f64> {
            out.spikes
                .iter()
                .filter(|s| s.population == p)
                .map(|s| (s.step + 1) as f64 * h)
                .collect()
        };
        let (tpre, tpost) = (times(0), times(2));
        assert!(tpost.len() >= 2, "{drive}: Post fired {tpost:?}");
        let want = counted_by_hand(&tpre, &tpost, d);
        let got = out.weights[0].1[0];
        assert!(
            (got - want).abs() < 1e-12,
            "{pre} / {drive}, d {d}: {got} vs {want} (post {tpost:?})"
        );
        assert!(
            (got - 0.5).abs() > 1e-3,
            "{pre} / {drive}: the weight moved"
        );
        let jit = run(&pairing(COUNTED, pre, drive, d), 120.0, Engine::Jit);
        assert_eq!(jit.weights[0].1[0].to_bits(), got.to_bits());
    }
}

#[test]
fn an_instance_prints_its_parameters_traces_and_blocks_in_the_ir() {
    let net = compile_ok(
        "synapse.snn",
        &poisson_net("pair_stdp(w_max = 1 nA, A_plus = 0.05)"),
        &[],
    );
    let valid = spikec_ir::validate(&net).expect("valid");
    let text = spikec_ir::print_network(&valid);
    for line in [
        "synapse pair_stdp(tau_plus = 20 ms, tau_minus = 20 ms, A_plus = 0.05, A_minus = 0.012, w_min = 0 nA, w_max = 1 nA)",
        "trace x = pre(tau = 20 ms, jump = 1)",
        "trace y = post(tau = 20 ms, jump = 1)",
        "w = min(max(w - 0.012 * 1 nA * y, 0 nA), 1 nA)",
        "w = min(max(w + 0.05 * 1 nA * x, 0 nA), 1 nA)",
    ] {
        assert!(text.contains(line), "missing `{line}` in\n{text}");
    }
}

#[test]
fn one_model_serves_ports_of_different_units() {
    // `: weight` takes the port's unit: nA on a current port, uS on a
    // conductance port.
    let src = format!(
        "{PAIR}
network Two {{
  timestep 0.1 ms
  population Src = SpikeSourcePoisson[5] {{ rate = 20 Hz }}
  population A = IF_curr_exp[2]
  population B = IF_cond_exp[2]
  connect Src -> A : all_to_all() {{ port excitatory, weight 0.1 nA, synapse pair_stdp(w_max = 1 nA) }}
  connect Src -> B : all_to_all() {{ port excitatory, weight 0.001 uS, synapse pair_stdp(w_max = 0.01 uS) }}
  record A.spikes, B.spikes
}}
"
    );
    compile_ok("two.snn", &src, &[]);
    // A weight bound in the wrong unit is an error at the use.
    let bad = src.replace("pair_stdp(w_max = 0.01 uS)", "pair_stdp(w_max = 1 nA)");
    let c = compile_source("two.snn", bad, &[]);
    let e: Vec<_> = c.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert_eq!(e.len(), 1, "{:?}", c.diagnostics);
    assert_eq!(e[0].code, "E0022");
}

#[test]
fn hardware_targets_refuse_synapse_models() {
    let net = compile_ok("synapse.snn", &poisson_net("pair_stdp(w_max = 1 nA)"), &[]);
    let req = spikec::build_spinnaker::SpinnakerRequest {
        machine: spikec::build_spinnaker::MachineSource::Preset("spinn5".into()),
        neurons_per_core: None,
        colour_bits: 0,
    };
    let Err(e) = spikec::build_spinnaker::build(&net, &req) else {
        panic!("SpiNNaker has no kernel for a synapse model");
    };
    assert_eq!(e[0].code, "E0072", "{:?}", e[0]);
    let Err(e) = spikec::build_sfq::lower(&net, &spikec_sfq::tech::Technology::default(), None)
    else {
        panic!("SFQ weights are fixed biases");
    };
    assert_eq!(e[0].code, "E0072", "{:?}", e[0]);
}

/// Pfister & Gerstner's (2006) minimal all-to-all triplet rule, with their
/// visual-cortex fit, as `docs/language.md` writes it.
const TRIPLET: &str = "
synapse triplet_stdp {
  parameter tau_plus = 16.8 ms, tau_minus = 33.7 ms, tau_x = 101 ms, tau_y = 125 ms
  parameter A2_plus = 7.5e-10, A3_plus = 9.3e-3, A2_minus = 7e-3, A3_minus = 2.3e-4
  parameter w_min : weight = 0, w_max : weight
  state n_pairings = 0
  trace r1 = pre(tau_plus)
  trace r2 = pre(tau_x)
  trace o1 = post(tau_minus)
  trace o2 = post(tau_y)
  on pre  { w = max(w - w_max * o1 * (A2_minus + A3_minus * r2), w_min) }
  on post { w = min(w + w_max * r1 * (A2_plus + A3_plus * o2), w_max); n_pairings = n_pairings + 1 }
}
";

#[test]
fn the_triplet_rule_depends_on_pairing_frequency_as_in_sjostrom_2001() {
    // Fifteen pairings, post `lag` ms after pre (before, if negative), at
    // `hz`. Pair rules give the same change whatever the frequency; the
    // triplet rule depresses post-before-pre pairings at 1 Hz and turns
    // both orders into potentiation at 50 Hz (Sjöström et al. 2001, the
    // data the rule was fitted to).
    let w = |hz: f64, lag: f64| {
        let period = 1000.0 / hz;
        let pre: Vec<String> = (0..15)
            .map(|k| format!("{} ms", 30.0 + k as f64 * period))
            .collect();
        // Drive reaches Post after 1 ms, which fires in that step.
        let drive: Vec<String> = (0..15)
            .map(|k| format!("{} ms", 30.0 + k as f64 * period + lag - 1.0))
            .collect();
        let src = format!(
            "{TRIPLET}
network Pairing {{
  timestep 0.1 ms
  population Pre = SpikeSourceArray[1] {{ spike_times = [{}] }}
  population Drive = SpikeSourceArray[1] {{ spike_times = [{}] }}
  population Post = IF_curr_delta[1] {{ tau_refrac = 0 ms }}
  connect Drive -> Post : all_to_all() {{ port excitatory, weight 20 mV, delay 1 ms }}
  connect Pre -> Post : all_to_all() {{ port excitatory, weight 0.5 mV, delay 0.1 ms, synapse triplet_stdp(w_max = 1 mV) }}
  record Post.spikes
}}
",
            pre.join(", "),
            drive.join(", ")
        );
        let out = run(&src, 30.0 + 15.0 * period + 20.0, Engine::Jit);
        assert_eq!(
            out.spikes.len(),
            15,
            "{hz} Hz, lag {lag}: one post spike per pairing"
        );
        out.weights[0].1[0]
    };
    let (slow_ltd, slow_ltp) = (w(1.0, -10.0), w(1.0, 10.0));
    let (fast_ltd, fast_ltp) = (w(50.0, -10.0), w(50.0, 10.0));
    assert!(
        slow_ltd < 0.45,
        "post-before-pre at 1 Hz depresses: {slow_ltd}"
    );
    assert!(
        (slow_ltp - 0.5).abs() < 0.01,
        "pre-before-post at 1 Hz barely moves: {slow_ltp}"
    );
    assert!(
        fast_ltd > 0.52,
        "post-before-pre at 50 Hz potentiates: {fast_ltd}"
    );
    assert!(
        fast_ltp > 0.52,
        "pre-before-post at 50 Hz potentiates: {fast_ltp}"
    );
}

/// NEST's `stdp_triplet_synapse::send`, written out independently: the
/// post neuron's two traces are kept per post spike (as NEST's archiving
/// node does), the pre traces per pre spike; times in ms.
fn nest_triplet_by_hand(pre: &[f64], post: &[f64], d: f64, mut w: f64) -> f64 {
    let (tau_plus, tau_x, tau_minus, tau_y) = (16.8, 101.0, 25.0, 110.0);
    let (a2p, a2m, a3p, a3m, w_max) = (0.05, 0.07, 0.06, 0.002, 10.0);
    // (time, Kminus, Kminus_triplet) just after each post spike.
    let mut hist: Vec<(f64, f64, f64)> = Vec::new();
    for &tp in post {
        let (km, ky) = hist.last().map_or((1.0, 1.0), |&(t0, km, ky)| {
            (
                km * (-(tp - t0) / tau_minus).exp() + 1.0,
                ky * (-(tp - t0) / tau_y).exp() + 1.0,
            )
        });
        hist.push((tp, km, ky));
    }
    let (mut t_last, mut kplus, mut kplus_triplet) = (0.0, 0.0, 0.0);
    for &t in pre {
        for &(tp, _, ky) in &hist {
            if tp + d > t_last && tp + d <= t {
                let x = kplus * (-(tp + d - t_last) / tau_plus).exp();
                w = (w + x * (a2p + a3p * (ky - 1.0))).min(w_max);
            }
        }
        kplus_triplet *= (-(t - t_last) / tau_x).exp();
        let kminus = hist
            .iter()
            .rev()
            .find(|&&(tp, _, _)| tp < t - d)
            .map_or(0.0, |&(tp, km, _)| km * (-(t - d - tp) / tau_minus).exp());
        w = (w - kminus * (a2m + a3m * kplus_triplet)).max(0.0);
        kplus_triplet += 1.0;
        kplus = kplus * (-(t - t_last) / tau_plus).exp() + 1.0;
        t_last = t;
    }
    w
}

/// Runs the standard library's `model(args)` on the pairing network and
/// returns the recorded pre and post times and the final weight.
fn stdlib_pairing(model: &str, pre: &str, drive: &str, delay: f64) -> (Vec<f64>, Vec<f64>, f64) {
    let src = crate::stdp::pairing(pre, drive, "5 mV", model, &format!("{delay} ms"));
    let out = run(&src, 200.0, Engine::Interp);
    let times = |p: u32| -> Vec<f64> {
        out.spikes
            .iter()
            .filter(|s| s.population == p)
            .map(|s| (s.step + 1) as f64 * 0.1)
            .collect()
    };
    (times(0), times(2), out.weights[0].1[0])
}

#[test]
fn nests_triplet_rule_from_the_standard_library_follows_nests_algorithm() {
    // Several post spikes between pre spikes, so that both post traces
    // (Kminus, Kminus_triplet) are read from the history of earlier spikes.
    let model = "stdp_triplet_synapse(Wmax = 10 mV, tau_minus = 25 ms, tau_minus_triplet = 110 ms, \
                 Aplus = 0.05 mV, Aminus = 0.07 mV, Aplus_triplet = 0.06 mV, Aminus_triplet = 0.002 mV)";
    for (pre, drive, d) in [
        ("10 ms, 20 ms, 30 ms, 60 ms", "3 ms, 14 ms, 25 ms", 2.0),
        (
            "10 ms, 50 ms, 51 ms, 120 ms",
            "12 ms, 20 ms, 28 ms, 36 ms, 44 ms, 90 ms",
            1.0,
        ),
    ] {
        let (tpre, tpost, got) = stdlib_pairing(model, pre, drive, d);
        assert!(tpost.len() >= 3, "{drive}: {tpost:?}");
        let want = nest_triplet_by_hand(&tpre, &tpost, d, 5.0);
        assert!(
            (got - want).abs() < 1e-12,
            "{pre} / {drive}: {got} vs {want}"
        );
        assert!((got - 5.0).abs() > 1e-3, "the weight moved");
    }
}

#[test]
fn nests_nearest_neighbour_rule_pairs_early_post_spikes_with_a_pre_spike_at_zero() {
    // NEST's stdp_nn_symm_synapse starts with its last pre spike at 0 ms,
    // so a post spike before the first pre spike potentiates; the library
    // model says so with `initial = 1` on its nearest-spike pre trace.
    let model = "stdp_nn_symm_synapse(Wmax = 10 mV, lambda = 0.05, alpha = 1.2, mu_plus = 0, \
                 mu_minus = 0, tau_minus = 25 ms)";
    let (tpre, tpost, got) = stdlib_pairing(model, "10 ms, 40 ms", "5 ms", 1.0);
    assert_eq!(tpre, vec![10.0, 40.0]);
    let [tp] = tpost[..] else {
        panic!("one post spike: {tpost:?}")
    };
    let (lambda, alpha, w_max, d) = (0.05, 1.2, 10.0, 1.0);
    let mut w: f64 = 0.5;
    // The post spike meets the synapse at tp + d, after the virtual pre
    // spike at 0: facilitation with the nearest pre trace.
    w = (w + lambda * (-(tp + d) / 20.0).exp()).min(1.0);
    // Both pre spikes pair with that post spike (nearest preceding one).
    for t in tpre {
        w = (w - alpha * lambda * (-(t - d - tp) / 25.0).exp()).max(0.0);
    }
    assert!((got - w * w_max).abs() < 1e-12, "{got} vs {}", w * w_max);
}
