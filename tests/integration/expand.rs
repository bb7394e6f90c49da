//! Connectivity expansion: connector semantics (counts derived from the
//! connector's definition), per-neuron values, memory per synapse, and
//! identical results for any thread count.

use spikec::driver::expand_network;
use spikec_ir::expanded::{Delays, Expanded, PerNeuron, Weights};

fn expand_src(src: &str) -> Expanded {
    expand_network(&crate::support::compile_ok("inline.snn", src, &[])).unwrap()
}

fn expand_file(rel: &str, set: &[(&str, &str)]) -> Expanded {
    let set = crate::support::overrides(set);
    let c = crate::support::compile_rel(std::path::Path::new(rel), &set);
    assert!(!c.has_errors(), "{}", crate::support::rendered(&c));
    expand_network(c.network.as_ref().unwrap()).unwrap()
}

fn with_threads<T: Send>(n: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build()
        .unwrap()
        .install(f)
}

#[test]
fn identical_for_any_thread_count() {
    for (file, set) in [
        ("dsl-examples/cuba.snn", vec![("n", "400")]),
        ("dsl-examples/brunel.snn", vec![("order", "50")]),
        (
            "dsl-examples/izhikevich.snn",
            vec![("n_exc", "80"), ("n_inh", "20")],
        ),
        (
            "dsl-examples/microcircuit.snn",
            vec![("N_scaling", "0.01"), ("K_scaling", "0.01")],
        ),
    ] {
        let one = with_threads(1, || expand_file(file, &set));
        let four = with_threads(4, || expand_file(file, &set));
        assert!(one == four, "{file}: expansion depends on the thread count");
    }
}

const NET: &str = "network t {
  seed 7
  population A = IF_curr_exp[200]
  population B = IF_curr_exp[150]
  record A.spikes, B.spikes
";

fn net(body: &str) -> Expanded {
    expand_src(&format!("{NET}{body}\n}}"))
}

fn rows(e: &Expanded, p: usize) -> Vec<Vec<u32>> {
    let t = &e.projections[p];
    (0..t.pre.len())
        .map(|i| t.row(i).map(|k| t.targets[k]).collect())
        .collect()
}

#[test]
fn one_to_one_and_all_to_all() {
    let e = net(
        "connect A[0..150] -> B : one_to_one() { port excitatory, weight 0.1 nA }
                 connect A -> A : all_to_all(autapses = false) { port excitatory, weight 0.1 nA }",
    );
    let b0 = e.layout.offsets[1];
    for (i, r) in rows(&e, 0).iter().enumerate() {
        assert_eq!(r, &vec![b0 + i as u32]);
    }
    for (i, r) in rows(&e, 1).iter().enumerate() {
        assert_eq!(r.len(), 199);
        assert!(!r.contains(&(i as u32)), "autapse in row {i}");
    }
}

#[test]
fn fixed_probability_count_is_binomial() {
    let e = net("connect A -> B : fixed_probability(0.1) { port excitatory, weight 0.1 nA }");
    let n = e.projections[0].len() as f64;
    let (trials, p): (f64, f64) = (200.0 * 150.0, 0.1);
    let (mean, sd) = (trials * p, (trials * p * (1.0 - p)).sqrt());
    assert!(
        (n - mean).abs() < 5.0 * sd,
        "{n} synapses, expected {mean} +- {sd}"
    );
    // Rows are sorted and without repeats.
    for r in rows(&e, 0) {
        assert!(r.windows(2).all(|w| w[0] < w[1]));
    }
}

#[test]
fn fixed_numbers_are_exact() {
    let e = net("connect A -> A : fixed_number_pre(7, autapses = false) { port excitatory, weight 0.1 nA }
                 connect A -> B : fixed_number_post(5, multapses = true) { port excitatory, weight 0.1 nA }
                 connect A -> B : fixed_total_number(1000, multapses = false) { port excitatory, weight 0.1 nA }");
    // fixed_number_pre: every target has exactly 7 distinct sources, none itself.
    let mut in_deg = vec![Vec::new(); 200];
    for (i, r) in rows(&e, 0).iter().enumerate() {
        for &t in r {
            in_deg[t as usize].push(i as u32);
        }
    }
    for (j, srcs) in in_deg.iter().enumerate() {
        let mut s = srcs.clone();
        s.dedup();
        assert_eq!(s.len(), 7, "target {j}");
        assert!(!s.contains(&(j as u32)));
    }
    assert!(rows(&e, 1).iter().all(|r| r.len() == 5));
    let total = rows(&e, 2);
    assert_eq!(total.iter().map(Vec::len).sum::<usize>(), 1000);
    for r in &total {
        assert!(
            r.windows(2).all(|w| w[0] < w[1]),
            "repeated pair without multapses"
        );
    }
}

#[test]
fn distance_dependent_on_a_grid() {
    // 10 x 10 grid, 10 um apart; p = 1 within 15 um: the 8 neighbours.
    let e = expand_src("network g {
      population G = IF_curr_exp[100] at grid2d(dx = 10 um, dy = 10 um)
      connect G -> G : distance_dependent(d < 15 um, autapses = false) { port excitatory, weight 0.1 nA }
      record G.spikes
    }");
    // Ordered neighbour pairs: 2 * (horizontal 9*10 + vertical 10*9 + diagonal 2*9*9).
    let expected = 2 * (9 * 10 + 10 * 9 + 2 * 9 * 9);
    assert_eq!(e.projections[0].len(), expected);
    let pos = e.populations[0].positions.as_ref().unwrap();
    assert_eq!(pos[11], [10.0, 10.0, 0.0]);
}

#[test]
fn lists_keep_exact_weights_and_delays() {
    let e = net("connect A -> B : from_list([(0, 3, 0.1234567891 nA, 2 ms), (0, 1), (5, 2, 0.5 nA)]) { port excitatory, weight 0.3 nA, delay 1 ms }");
    let t = &e.projections[0];
    let b0 = e.layout.offsets[1];
    assert_eq!(
        t.row(0).map(|k| t.targets[k]).collect::<Vec<_>>(),
        vec![b0 + 3, b0 + 1]
    );
    assert_eq!(t.weights, Weights::F64(vec![0.1234567891, 0.3, 0.5]));
    assert_eq!(t.delays, Delays::PerSynapse(vec![20, 10, 10]));
}

#[test]
fn per_neuron_values() {
    let e = expand_src(
        "network v {
      population E = IF_curr_exp[500] { v_rest = uniform(-70 mV, -60 mV) }
      population Z = Izhikevich[500] { let re = uniform(0, 1)
        c = -65 mV + 15 mV * re^2, d = 8 mV/ms - 6 mV/ms * re^2 }
      record E.spikes, Z.spikes
    }",
    );
    let PerNeuron::Values(vr) = &e.populations[0].params[0] else {
        panic!("v_rest varies")
    };
    assert!(vr.iter().all(|v| (-70.0..-60.0).contains(v)));
    // The initial v is v_rest, neuron by neuron.
    assert_eq!(e.populations[0].init[0], PerNeuron::Values(vr.clone()));
    // c and d share one draw: (c + 65) / 15 = (8 - d) / 6 = re^2.
    let (c, d) = (&e.populations[1].params[2], &e.populations[1].params[3]);
    for i in 0..500 {
        let (x, y) = ((c.get(i) + 65.0) / 15.0, (8.0 - d.get(i)) / 6.0);
        assert!(
            (x - y).abs() < 1e-12 && (0.0..1.0).contains(&x),
            "neuron {i}: {x} vs {y}"
        );
    }
}

#[test]
fn microcircuit_synapses_fit_in_ten_bytes() {
    let e = expand_file(
        "dsl-examples/microcircuit.snn",
        &[("N_scaling", "0.02"), ("K_scaling", "0.02")],
    );
    let (bytes, n): (usize, usize) = e
        .projections
        .iter()
        .map(|t| (t.synapse_bytes(), t.len()))
        .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    assert!(n > 100_000, "{n} synapses");
    assert!(bytes <= 10 * n, "{bytes} bytes for {n} synapses");
    // Weights keep their sign (normal_clipped), delays at least one step.
    for t in &e.projections {
        if let Weights::F32(w) = &t.weights {
            assert!(w.iter().all(|x| *x >= 0.0) || w.iter().all(|x| *x <= 0.0));
        }
        if let Delays::PerSynapse(d) = &t.delays {
            assert!(d.iter().all(|x| *x >= 1));
        }
    }
}
