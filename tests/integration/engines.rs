//! The JIT against the reference interpreter: in every precision they must
//! agree bit for bit (spikes and every recorded state value) on every
//! example and on randomly generated networks. The interpreter takes its
//! input at emission (ring buffers, NEST's way) and the JIT at arrival
//! (rows sorted by delay), so the same comparisons hold the two ways of
//! delivery to the same sums.

use spikec::driver::{simulate_with_progress, Override, SimRun};
use spikec_ir::eval::Precision;
use spikec_sim::{Delivery, Engine, Output};

fn both(name: &str, src: &str, set: &[Override], ms: f64) -> (Output, Output) {
    both_in(name, src, set, ms, Precision::F64)
}

fn both_in(name: &str, src: &str, set: &[Override], ms: f64, q: Precision) -> (Output, Output) {
    let net = crate::support::compile_ok(name, src, set);
    let run = |engine, delivery| {
        let run = SimRun {
            duration: ms,
            warmup: 0.0,
            engine,
            precision: q,
            delivery,
        };
        simulate_with_progress(&net, &run, &mut |_, _| {})
            .unwrap_or_else(|d| panic!("{name}: {d:?}"))
            .1
    };
    (
        run(Engine::Interp, Delivery::Emission),
        run(Engine::Jit, Delivery::Arrival),
    )
}

fn assert_identical(name: &str, a: &Output, b: &Output) {
    assert_eq!(a.spikes, b.spikes, "{name}: spikes differ");
    assert_eq!(a.traces.len(), b.traces.len());
    for (x, y) in a.traces.iter().zip(&b.traces) {
        let bits = |v: &[f64]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
        assert!(bits(&x.values) == bits(&y.values), "{name}: traces differ");
    }
}

#[test]
fn examples_agree_bit_for_bit() {
    for (file, set, ms) in [
        ("dsl-examples/cuba.snn", vec![("n", "400")], 100.0),
        ("dsl-examples/coba.snn", vec![("n", "400")], 50.0),
        (
            "dsl-examples/brunel.snn",
            vec![("order", "40"), ("N_rec", "10")],
            50.0,
        ),
        (
            "dsl-examples/izhikevich.snn",
            vec![("n_exc", "80"), ("n_inh", "20")],
            200.0,
        ),
        (
            "dsl-examples/microcircuit.snn",
            vec![("N_scaling", "0.005"), ("K_scaling", "0.005")],
            20.0,
        ),
    ] {
        let set = crate::support::overrides(&set);
        let path = crate::support::root().join(file);
        let src = std::fs::read_to_string(&path).unwrap();
        let _guard = crate::support::CwdGuard::enter(&crate::support::root());
        let (a, b) = both(&path.to_string_lossy(), &src, &set, ms);
        assert_identical(file, &a, &b);
    }
}

/// A small deterministic generator for the random networks.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * (self.next() as f64 / (1u64 << 31) as f64)
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len() as u64) as usize]
    }
}

/// A random network over the standard library: models with exact,
/// Euler and RK4 integration, per-neuron parameters, refractoriness,
/// Poisson and array sources, random connectors, weights and delays.
fn random_network(seed: u64) -> String {
    let mut r = Lcg(seed * 7919 + 17);
    let models = [
        ("IF_curr_exp", "i_offset", "nA", 0.5, 1.5, "v", "nA"),
        ("IF_curr_alpha", "i_offset", "nA", 0.5, 1.5, "v", "nA"),
        ("IF_curr_delta", "i_offset", "nA", 0.5, 1.5, "v", "mV"),
        ("iaf_psc_exp", "I_e", "pA", 300.0, 500.0, "V_m", "pA"),
        ("IF_cond_exp", "i_offset", "nA", 0.5, 1.5, "v", "uS"),
        ("Izhikevich", "i_offset", "nA", 0.0, 0.01, "v", "mV"),
        (
            "EIF_cond_exp_isfa_ista",
            "i_offset",
            "nA",
            0.5,
            1.5,
            "v",
            "uS",
        ),
    ];
    let mut src = format!(
        "network random{seed} {{\n  timestep {} ms\n  seed {seed}\n",
        r.pick(&["0.1", "0.1", "0.05", "1"])
    );
    let n_pops = 1 + r.below(3);
    let mut pops = Vec::new();
    let mut sizes = Vec::new();
    for p in 0..n_pops {
        let (m, cur, unit, lo, hi, v, wunit) = models[r.below(models.len() as u64) as usize];
        let size = 1 + r.below(25);
        sizes.push(size);
        let cur_val = if r.below(2) == 0 {
            format!("uniform({lo} {unit}, {hi} {unit})")
        } else {
            format!("{:.3} {unit}", r.uniform(lo, hi))
        };
        src.push_str(&format!(
            "  population P{p} = {m}[{size}] {{ {cur} = {cur_val} }}\n"
        ));
        pops.push((format!("P{p}"), v, wunit));
    }
    src.push_str(&format!(
        "  source S = SpikeSourcePoisson[{}] {{ rate = {} Hz }}\n",
        1 + r.below(10),
        10 + r.below(400)
    ));
    src.push_str(
        "  source A = SpikeSourceArray[2] { spike_times = [[1 ms, 7 ms, 7.5 ms], [3 ms]] }\n",
    );
    for (name, _, wunit) in &pops {
        for pre in [
            "S",
            "A",
            pops[r.below(pops.len() as u64) as usize].0.as_str(),
        ] {
            let (port, sign) = if r.below(3) == 0 {
                ("inhibitory", -1.0)
            } else {
                ("excitatory", 1.0)
            };
            let scale = match *wunit {
                "mV" => 2.0,
                "uS" => 0.01,
                "pA" => 200.0,
                _ => 0.5,
            };
            // Conductances are positive on both ports.
            let sign = if *wunit == "uS" { 1.0 } else { sign };
            let w = if r.below(2) == 0 {
                format!("{:.4} {wunit}", sign * r.uniform(0.1, 1.0) * scale)
            } else {
                let (a, b) = (sign * 0.1 * scale, sign * scale);
                format!("uniform({} {wunit}, {} {wunit})", a.min(b), a.max(b))
            };
            let conn = r.pick(&[
                "all_to_all()",
                "fixed_probability(0.5)",
                "fixed_number_pre(2, multapses = true)",
                "one_to_one()",
            ]);
            let conn = if conn == "one_to_one()" {
                "fixed_probability(0.3)"
            } else {
                conn
            };
            let delay = r.pick(&["1 ms", "2 ms", "uniform(1 ms, 5 ms)"]);
            src.push_str(&format!(
                "  connect {pre} -> {name} : {conn} {{ port {port}, weight {w}, delay {delay} }}\n"
            ));
        }
    }
    for (name, v, _) in &pops {
        src.push_str(&format!("  record {name}.spikes, {name}[0..1].{v}\n"));
    }
    // Drawn after the rest, so that the networks above stay as they were.
    // An unrecorded Poisson source is drawn where its spikes arrive; a
    // one-to-one source of its own reaches P0 one synapse a neuron, with
    // several spikes a step.
    if r.below(2) == 0 {
        src.push_str("  record S.spikes\n");
    }
    if r.below(2) == 0 {
        let (_, _, wunit) = &pops[0];
        let w = match *wunit {
            "mV" => "0.3 mV",
            "uS" => "0.001 uS",
            "pA" => "30 pA",
            _ => "0.05 nA",
        };
        src.push_str(&format!(
            "  source B = SpikeSourcePoisson[{}] {{ rate = {} Hz }}\n  connect B -> P0 : one_to_one() {{ port excitatory, weight {w}, delay {} }}\n",
            sizes[0],
            1000 + r.below(20_000),
            r.pick(&["0.1 ms", "1 ms", "3 ms"]),
        ));
        if r.below(2) == 0 {
            src.push_str("  record B.spikes\n");
        }
    }
    src.push_str("}\n");
    src
}

#[test]
fn random_networks_agree_bit_for_bit() {
    let mut spiking = 0;
    for seed in 0..200 {
        let src = random_network(seed);
        let (a, b) = both(&format!("random{seed}.snn"), &src, &[], 30.0);
        assert_identical(&format!("random network {seed}:\n{src}"), &a, &b);
        spiking += usize::from(a.spikes.iter().any(|s| s.population == 0));
    }
    // The comparison must have covered networks that actually fire.
    assert!(spiking > 50, "only {spiking} networks fired");
}

#[test]
fn reduced_precisions_agree_bit_for_bit_and_stay_in_format() {
    for q in [Precision::F32, Precision::S1615] {
        for seed in 0..40 {
            let src = random_network(seed);
            let (a, b) = both_in(&format!("random{seed}.snn"), &src, &[], 30.0, q);
            assert_identical(&format!("{q:?} random network {seed}:\n{src}"), &a, &b);
            // Every recorded state value is representable in the format.
            for t in &a.traces {
                assert!(
                    t.values
                        .iter()
                        .all(|v| q.round(*v).to_bits() == v.to_bits()),
                    "{q:?} {seed}: value off the format"
                );
            }
        }
    }
}

#[test]
fn precision_rounding() {
    assert_eq!(Precision::F32.round(0.1), 0.1f32 as f64);
    // 16.15: steps of 2^-15, nearest, saturating.
    assert_eq!(Precision::S1615.round(1.0 / 65536.0 * 3.0), 2.0 / 32768.0);
    assert_eq!(Precision::S1615.round(-70.000001), -70.0);
    assert_eq!(Precision::S1615.round(1e9), 65536.0 - 1.0 / 32768.0);
    assert_eq!(Precision::S1615.round(-1e9), -65536.0);
}

/// `ms` of `net` with the JIT in f64, on a pool of `threads`.
fn on_threads(threads: usize, net: &spikec_ir::Network, ms: f64, delivery: Delivery) -> Output {
    let run = SimRun {
        duration: ms,
        warmup: 0.0,
        engine: Engine::Jit,
        precision: Precision::F64,
        delivery,
    };
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(|| {
            simulate_with_progress(net, &run, &mut |_, _| {})
                .unwrap_or_else(|d| panic!("{d:?}"))
                .1
        })
}

#[test]
fn dense_steps_deliver_on_several_threads_with_the_same_result() {
    // About 100 source spikes a step into 600 neurons of three
    // populations, some 30,000 synaptic events a step, delivered at
    // emission: delivery is shared among threads (one population per
    // task), each population taking its rows in one order, so any number
    // of threads gives the same spikes and traces.
    let src = "network Dense {
  timestep 0.1 ms
  seed 5
  population S = SpikeSourcePoisson[1000] { rate = 1000 Hz }
  population A = IF_curr_exp[200] { tau_refrac = 2 ms }
  population B = IF_curr_exp[300] { tau_refrac = 2 ms }
  population C = IF_cond_exp[100]
  connect S -> A + B : fixed_probability(0.5) { port excitatory, weight normal(0.02 nA, 0.01 nA), delay uniform(0.1 ms, 2 ms) }
  connect S -> C : fixed_probability(0.5) { port excitatory, weight 0.0005 uS, delay 1 ms }
  connect A -> B : fixed_probability(0.2) { port inhibitory, weight -0.05 nA, delay 0.5 ms }
  connect A -> C : fixed_probability(0.2) { port inhibitory, weight 0.001 uS, delay 0.5 ms }
  record A.spikes, B.spikes, C.spikes, B[0..5].v
}
";
    let net = crate::support::compile_ok("dense.snn", src, &[]);
    let run = |threads: usize| on_threads(threads, &net, 30.0, Delivery::Emission);
    let one = run(1);
    assert!(one.spikes.len() > 500, "{} spikes", one.spikes.len());
    assert_eq!(run(2), one);
    assert_eq!(run(3), one);
}

#[test]
fn large_networks_step_populations_on_several_threads_with_the_same_result() {
    // 20,000 neurons and as many sources: populations take their input and
    // advance as tasks of a thread pool. Unrecorded Poisson sources are
    // drawn where they arrive, a recorded one is remembered; rows of many
    // delays are read sorted by delay. Any thread count, and delivery at
    // emission, must give the same spikes and traces.
    let src = "network Large {
  timestep 0.1 ms
  seed 11
  population A = IF_curr_exp[12000] { tau_refrac = 2 ms }
  population B = IF_curr_exp[8000] { tau_refrac = 2 ms }
  source SA = SpikeSourcePoisson[12000] { rate = 6000 Hz }
  source SB = SpikeSourcePoisson[8000] { rate = 5000 Hz }
  connect SA -> A : one_to_one() { port excitatory, weight 0.12 nA, delay 1 ms }
  connect SB -> B : one_to_one() { port excitatory, weight 0.12 nA, delay 0.5 ms }
  connect A -> A + B : fixed_probability(0.002) { port excitatory, weight normal(0.05 nA, 0.01 nA), delay uniform(0.1 ms, 3 ms) }
  connect B -> A : fixed_probability(0.002) { port inhibitory, weight -0.2 nA, delay uniform(0.5 ms, 1.5 ms) }
  record A.spikes, B.spikes, SB.spikes, A[0..3].v, B[0..3].v
}
";
    let net = crate::support::compile_ok("large.snn", src, &[]);
    let run = |threads: usize, delivery| on_threads(threads, &net, 20.0, delivery);
    let one = run(1, Delivery::Arrival);
    let fired = |p| one.spikes.iter().filter(|s| s.population == p).count();
    assert!(
        fired(0) > 1000 && fired(1) > 500,
        "{} and {} spikes",
        fired(0),
        fired(1)
    );
    assert_eq!(run(2, Delivery::Arrival), one);
    assert_eq!(run(3, Delivery::Arrival), one);
    assert_eq!(run(2, Delivery::Emission), one);
}
