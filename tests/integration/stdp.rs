//! Pair STDP in the simulator: weight changes against the rule's formula
//! evaluated at the recorded spike times (so expected values are derived,
//! not recorded), both dependences, the bounds, both engines bit for bit,
//! and the checks of the language and the backends.

use crate::support::{compile_ok, rendered};
use spikec::driver::{compile_source, simulate};
use spikec_ir::eval::Precision;
use spikec_sim::{Engine, Output};

/// `Pre` fires at `pre` ms, `Drive` makes `Post` fire one delay after each
/// of `drive` ms; the plastic synapse Pre -> Post starts at `w0`.
pub(crate) fn pairing(pre: &str, drive: &str, w0: &str, rule: &str, delay: &str) -> String {
    format!(
        "network Pair {{
  timestep 0.1 ms
  population Pre = SpikeSourceArray[1] {{ spike_times = [{pre}] }}
  population Drive = SpikeSourceArray[1] {{ spike_times = [{drive}] }}
  population Post = IF_curr_delta[1] {{ tau_refrac = 0 ms }}
  connect Drive -> Post : all_to_all() {{ port excitatory, weight 20 mV, delay 1 ms }}
  connect Pre -> Post : all_to_all() {{ port excitatory, weight {w0}, delay {delay}, synapse {rule} }}
  record Pre.spikes, Post.spikes
}}
"
    )
}

fn run(src: &str, ms: f64, engine: Engine) -> (spikec_ir::Network, Output) {
    let net = compile_ok("stdp.snn", src, &[]);
    let out = simulate(&net, ms, engine, Precision::F64)
        .unwrap_or_else(|d| panic!("{d:?}"))
        .1;
    (net, out)
}

/// Spike times (ms) of population `p`.
fn times(out: &Output, p: u32, h: f64) -> Vec<f64> {
    out.spikes
        .iter()
        .filter(|s| s.population == p)
        .map(|s| (s.step + 1) as f64 * h)
        .collect()
}

/// The rule, by hand: additive, NEST's timing (post spikes meet the
/// synapse `d` after they happen), potentiation applied at the next pre
/// spike, depression by the post trace at `t_pre − d`.
fn expected(
    pre: &[f64],
    post: &[f64],
    d: f64,
    w0: f64,
    a: (f64, f64),
    tau: (f64, f64),
    w_max: f64,
) -> f64 {
    let mut w = w0;
    let mut last: Option<f64> = None;
    let mut kplus = 0.0;
    for &t in pre {
        for &tp in post {
            if let Some(tl) = last {
                if tp + d > tl && tp + d <= t {
                    w = (w + a.0 * w_max * kplus * (-(tp + d - tl) / tau.0).exp())
                        .clamp(0.0, w_max);
                }
            }
        }
        let x: f64 = post
            .iter()
            .filter(|&&tp| tp < t - d)
            .map(|&tp| (-(t - d - tp) / tau.1).exp())
            .sum();
        w = (w - a.1 * w_max * x).clamp(0.0, w_max);
        kplus = last.map_or(0.0, |tl| kplus * (-(t - tl) / tau.0).exp()) + 1.0;
        last = Some(t);
    }
    w
}

#[test]
fn pair_stdp_potentiates_causal_and_depresses_acausal_pairs_by_the_formula() {
    let rule =
        "stdp(w_max = 1 mV, tau_plus = 20 ms, tau_minus = 20 ms, A_plus = 0.1, A_minus = 0.12)";
    let h = 0.1;
    // Causal: pre at 10, post about 15; acausal: post about 6, pre at 10;
    // both, and several pre spikes so the lazy potentiation is applied.
    for (pre, drive, d) in [
        ("10 ms, 40 ms", "14 ms", 1.0),
        ("10 ms, 40 ms", "5 ms", 1.0),
        ("10 ms, 20 ms, 30 ms, 60 ms", "3 ms, 14 ms, 25 ms", 2.0),
        ("10 ms, 40 ms", "14 ms", 3.5),
        // Long enough (4000 steps) that old post spikes are pruned.
        (
            "10 ms, 150 ms, 290 ms, 380 ms",
            "14 ms, 120 ms, 200 ms, 205 ms, 372 ms",
            2.0,
        ),
    ] {
        let src = pairing(pre, drive, "0.5 mV", rule, &format!("{d} ms"));
        let (_, out) = run(&src, 400.0, Engine::Interp);
        let (tpre, tpost) = (times(&out, 0, h), times(&out, 2, h));
        assert!(!tpost.is_empty(), "{pre} / {drive}: Post is silent");
        let want = expected(&tpre, &tpost, d, 0.5, (0.1, 0.12), (20.0, 20.0), 1.0);
        assert_eq!(out.weights.len(), 1);
        let got = out.weights[0].1[0];
        assert!(
            (got - want).abs() < 1e-12,
            "{pre} / {drive}, d {d}: {got} vs {want} (post {tpost:?})"
        );
        assert!((got - 0.5).abs() > 1e-3, "the weight changed");
    }
    // Causal pairs potentiate, acausal ones depress.
    let w = |drive: &str| {
        run(
            &pairing("10 ms, 40 ms", drive, "0.5 mV", rule, "1 ms"),
            60.0,
            Engine::Interp,
        )
        .1
        .weights[0]
            .1[0]
    };
    assert!(w("14 ms") > 0.5);
    assert!(w("5 ms") < 0.5);
}

#[test]
fn weights_stay_within_bounds_and_multiplicative_changes_shrink_near_them() {
    // Many causal pairings: additive saturates at w_max exactly;
    // multiplicative approaches it.
    let pre: Vec<String> = (0..40).map(|k| format!("{} ms", 10 + 20 * k)).collect();
    let drive: Vec<String> = (0..40).map(|k| format!("{} ms", 12 + 20 * k)).collect();
    let pre = pre.join(", ");
    let drive = drive.join(", ");
    let add = run(
        &pairing(
            &pre,
            &drive,
            "0.2 mV",
            "stdp(w_max = 1 mV, A_plus = 0.2, A_minus = 0.0)",
            "1 ms",
        ),
        900.0,
        Engine::Interp,
    )
    .1;
    assert_eq!(add.weights[0].1[0], 1.0);
    let mult = run(
        &pairing(
            &pre,
            &drive,
            "0.2 mV",
            "stdp(w_max = 1 mV, A_plus = 0.2, A_minus = 0.0, dependence = multiplicative)",
            "1 ms",
        ),
        900.0,
        Engine::Interp,
    )
    .1;
    let w = mult.weights[0].1[0];
    assert!(w > 0.9 && w < 1.0, "{w}");
    // Strong depression stops at w_min.
    let dep = run(
        &pairing(
            &pre,
            &drive.replace("12 ms", "8 ms"),
            "0.2 mV",
            "stdp(w_max = 1 mV, w_min = 0.1 mV, A_plus = 0.0, A_minus = 0.5)",
            "1 ms",
        ),
        900.0,
        Engine::Interp,
    )
    .1;
    assert!(
        (dep.weights[0].1[0] - 0.1).abs() < 1e-12,
        "{:?}",
        dep.weights
    );
}

#[test]
fn plastic_networks_are_identical_in_both_engines() {
    let src = "network Learn {
  timestep 0.1 ms
  seed 7
  population S = SpikeSourcePoisson[40] { rate = 30 Hz }
  population N = IF_curr_exp[10]
  connect S -> N : fixed_probability(0.5) { port excitatory, weight uniform(0.1 nA, 0.5 nA), delay uniform(0.5 ms, 3 ms), synapse stdp(w_max = 1 nA, A_plus = 0.05, A_minus = 0.06) }
  record N.spikes
}
";
    let (_, a) = run(src, 500.0, Engine::Interp);
    let (_, b) = run(src, 500.0, Engine::Jit);
    assert!(!a.spikes.is_empty());
    assert_eq!(a.spikes, b.spikes);
    assert_eq!(a.weights, b.weights);
    // Learning happened: weights moved, within the bounds.
    let w = &a.weights[0].1;
    assert!(w.iter().all(|&x| (0.0..=1.0).contains(&x)));
    assert!(
        w.iter().any(|&x| x == 0.0 || x > 0.5),
        "no weight moved far"
    );
}

#[test]
fn stdp_rules_are_checked_and_the_backends_refuse_plastic_projections() {
    for (rule, message) in [
        ("stdp(tau_plus = 20 ms)", "needs `w_max`"),
        ("stdp(w_max = 1 nA, A_plus = -0.1)", "must not be negative"),
        (
            "stdp(w_max = 1 nA, w_min = 2 nA)",
            "`w_min` must not be above `w_max`",
        ),
        (
            "stdp(w_max = 1 nA, dependence = quadratic)",
            "`additive` or `multiplicative`",
        ),
        (
            "stdp(w_max = 1 nA, tau_minus = 0 ms)",
            "time constants must be positive",
        ),
    ] {
        let src = format!(
            "network T {{\n population S = SpikeSourcePoisson[2] {{ rate = 10 Hz }}\n population N = IF_curr_exp[1]\n connect S -> N : all_to_all() {{ port excitatory, weight 0.1 nA, synapse {rule} }}\n record N.spikes\n}}\n"
        );
        let c = compile_source("t.snn", src.clone(), &[]);
        let d = c.diagnostics.iter().find(|d| d.code == "E0054");
        let d = d.unwrap_or_else(|| panic!("no E0054:\n{}\n{src}", rendered(&c)));
        assert!(d.message.contains(message), "{}", d.message);
    }
    // `w_max` in the port's unit.
    let src = "network T {\n population S = SpikeSourcePoisson[2] { rate = 10 Hz }\n population N = IF_curr_exp[1]\n connect S -> N : all_to_all() { port excitatory, weight 0.1 nA, synapse stdp(w_max = 1 mV) }\n record N.spikes\n}\n";
    let c = compile_source("t.snn", src.into(), &[]);
    assert!(c.has_errors(), "w_max in mV on a current port");

    let src = "network T {\n population S = SpikeSourcePoisson[2] { rate = 10 Hz }\n population N = IF_curr_delta[1] { tau_m = 1 ns, tau_refrac = 0 ms }\n connect S -> N : all_to_all() { port excitatory, weight 1 mV, synapse stdp(w_max = 2 mV) }\n record N.spikes\n}\n";
    let net = compile_ok("t.snn", src, &[]);
    let req = spikec::build_spinnaker::SpinnakerRequest {
        machine: spikec::build_spinnaker::MachineSource::Preset("spinn5".into()),
        neurons_per_core: None,
        colour_bits: 0,
    };
    // SpiNNaker builds pair STDP as plastic rows; SFQ cannot change weights.
    assert!(spikec::build_spinnaker::build(&net, &req).is_ok());
    let e = spikec::build_sfq::lower(&net, &spikec_sfq::tech::Technology::default(), None)
        .err()
        .unwrap();
    assert_eq!(e[0].code, "E0072");
}
