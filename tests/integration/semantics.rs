//! `semantics spinnaker`: sPyNNaker's neuron kernels. The membrane and
//! synaptic current of an IF_curr_exp neuron are checked step by step
//! against sPyNNaker's update written out here (input scaled by `init`
//! and added in the step it arrives, the LIF closed form with the current
//! held, then the decay), in both engines and in s16.15; a hop of delay
//! `d` takes `d` steps where NEST takes `d + 1`.

use crate::support::compile_ok;
use spikec::driver::simulate;
use spikec_ir::eval::Precision;
use spikec_sim::{Engine, Output};

/// One neuron, kicked by a spike array through a 1-step delay; `v` and
/// the excitatory current recorded.
fn kicked(semantics: &str) -> String {
    format!(
        "network Kick {{
  timestep 1 ms
  semantics {semantics}
  population S = SpikeSourceArray[1] {{ spike_times = [2 ms, 4 ms, 5 ms] }}
  population N = IF_curr_exp[1] {{ cm = 0.27 nF, tau_m = 3 ms, tau_syn_E = 0.3 ms, tau_refrac = 1 ms,
                                   v_rest = -60 mV, v_reset = -60 mV, v_thresh = -40 mV, v = -60 mV, i_offset = 0.1 nA }}
  connect S -> N : one_to_one() {{ port excitatory, weight 6 nA, delay 1 ms }}
  record N.v, N.isyn_exc, N.spikes
}}
"
    )
}

fn run(src: &str, engine: Engine, q: Precision) -> Output {
    let net = compile_ok("kick.snn", src, &[]);
    simulate(&net, 12.0, engine, q)
        .unwrap_or_else(|d| panic!("{d:?}"))
        .1
}

/// sPyNNaker's IF_curr_exp, step by step: `(v, i)` after each step.
fn spinnaker_by_hand(arrivals: &[u64], steps: u64) -> Vec<(f64, f64)> {
    let (h, cm, tau_m, tau_s) = (1.0f64, 0.27, 3.0, 0.3);
    let (v_rest, i_offset) = (-60.0, 0.1);
    let init = tau_s / h * (1.0 - (-h / tau_s).exp());
    let (mut v, mut i) = (v_rest, 0.0);
    let mut out = Vec::new();
    for step in 0..steps {
        // Input of this step first (a spike of step k with delay 1 lands
        // in step k + 1).
        let n = arrivals.iter().filter(|&&s| s == step).count() as f64;
        i += n * 6.0 * init;
        let alpha = v_rest + tau_m / cm * (i + i_offset);
        v = alpha - (-h / tau_m).exp() * (alpha - v);
        i *= (-h / tau_s).exp();
        out.push((v, i));
    }
    out
}

#[test]
fn spinnaker_semantics_is_spynnakers_lif_update_step_by_step() {
    // The array's spikes at 2, 4, 5 ms are those of steps 1, 3, 4; with a
    // delay of one step they act in steps 2, 4, 5.
    let want = spinnaker_by_hand(&[2, 4, 5], 12);
    for engine in [Engine::Interp, Engine::Jit] {
        let out = run(&kicked("spinnaker"), engine, Precision::F64);
        let tr = &out.traces;
        let v: Vec<f64> = tr[0].values.clone();
        let i: Vec<f64> = tr[1].values.clone();
        assert_eq!(v.len(), 12);
        for s in 0..12 {
            let (wv, wi) = want[s];
            assert!(
                (v[s] - wv).abs() < 1e-9,
                "{engine:?} step {s}: v {} vs {wv}",
                v[s]
            );
            assert!(
                (i[s] - wi).abs() < 1e-12,
                "{engine:?} step {s}: i {} vs {wi}",
                i[s]
            );
        }
        // The kick acts in its arrival step: v rises in step 2 already.
        assert!(v[2] > v[1] + 1.0, "{engine:?}: {v:?}");
    }
    // The engines agree bit for bit, and s16.15 stays within its rounding.
    let a = run(&kicked("spinnaker"), Engine::Interp, Precision::F64);
    let b = run(&kicked("spinnaker"), Engine::Jit, Precision::F64);
    assert_eq!(a, b);
    let fixed = run(&kicked("spinnaker"), Engine::Interp, Precision::S1615);
    for (x, y) in fixed.traces[0].values.iter().zip(&a.traces[0].values) {
        assert!((x - y).abs() < 1e-3, "s16.15 {x} vs f64 {y}");
    }
}

#[test]
fn a_hop_takes_its_delay_under_spinnaker_and_one_step_more_under_nest() {
    // A strong kick makes N fire; the first spike's time gives the hop.
    let src = |sem: &str| kicked(sem).replace("weight 6 nA", "weight 60 nA");
    let first = |out: &Output| {
        out.spikes
            .iter()
            .find(|s| s.population == 1)
            .map(|s| s.step + 1)
            .expect("N fires")
    };
    let spinn = first(&run(&src("spinnaker"), Engine::Jit, Precision::F64));
    let nest = first(&run(&src("nest"), Engine::Jit, Precision::F64));
    // The source spike is stamped at 2 ms, the delay is 1 ms.
    assert_eq!(spinn, 3, "sPyNNaker: the kick fires N in its arrival step");
    assert_eq!(nest, 4, "NEST: from the step after");
}

#[test]
fn engines_agree_under_spinnaker_semantics_for_every_kind_of_model() {
    // Input first in the JIT's vector loop and in the interpreter, for an
    // exactly integrated model with exponential-Euler propagators, a
    // conductance model, a delta-synapse model (no `init` scaling: its
    // input jumps the membrane) and a nonlinear one (its own solver).
    let src = "network Mixed {
  timestep 0.1 ms
  semantics spinnaker
  seed 3
  population S = SpikeSourcePoisson[200] { rate = 40 Hz }
  population A = IF_curr_exp[50] { i_offset = 0.3 nA, v = uniform(-65 mV, -50 mV) }
  population B = IF_cond_exp[50] { v = uniform(-65 mV, -50 mV) }
  population C = IF_curr_delta[50] { v = uniform(-65 mV, -50 mV) }
  population D = Izhikevich[50] { i_offset = 5 nA }
  connect S -> A : fixed_probability(0.2) { port excitatory, weight 0.3 nA, delay uniform(0.1 ms, 2 ms) }
  connect S -> B : fixed_probability(0.2) { port excitatory, weight 0.01 uS, delay 1 ms }
  connect S -> C : fixed_probability(0.2) { port excitatory, weight 1 mV, delay 0.5 ms }
  connect S -> D : fixed_probability(0.2) { port excitatory, weight 3 mV, delay 1 ms }
  connect A -> B : fixed_probability(0.1) { port inhibitory, weight 0.02 uS, delay 1 ms }
  record A.spikes, B.spikes, C.spikes, D.spikes, A[0..3].v, B[0..3].v, C[0..3].v, D[0..3].v
}
";
    let a = run_for(src, Engine::Interp, 200.0);
    let b = run_for(src, Engine::Jit, 200.0);
    assert_eq!(a, b, "the engines differ under spinnaker semantics");
    for p in 1..=4 {
        assert!(
            a.spikes.iter().filter(|s| s.population == p).count() > 10,
            "population {p} fires"
        );
    }
    // The semantics change the numbers: NEST's order gives other spikes.
    let nest = run_for(
        &src.replace("semantics spinnaker", "semantics nest"),
        Engine::Jit,
        200.0,
    );
    assert_ne!(nest.spikes, a.spikes);
}

fn run_for(src: &str, engine: Engine, ms: f64) -> Output {
    let net = compile_ok("mixed.snn", src, &[]);
    simulate(&net, ms, engine, Precision::F64)
        .unwrap_or_else(|d| panic!("{d:?}"))
        .1
}

#[test]
fn only_synaptic_currents_take_spynnakers_init_scaling() {
    // A delta synapse jumps the membrane, which leaks to its rest value:
    // it is not a decaying synaptic state, so its 5 mV stay 5 mV (then
    // leak over the step); a current synapse's 6 nA become 6·init nA.
    let src = "network Delta {
  timestep 1 ms
  semantics spinnaker
  population S = SpikeSourceArray[1] { spike_times = [2 ms] }
  population D = IF_curr_delta[1] { tau_m = 3 ms, v_thresh = 0 mV }
  population E = IF_curr_exp[1] { tau_m = 3 ms, tau_syn_E = 0.3 ms, v_thresh = 0 mV }
  connect S -> D : one_to_one() { port excitatory, weight 5 mV, delay 1 ms }
  connect S -> E : one_to_one() { port excitatory, weight 6 nA, delay 1 ms }
  record D.v, E.isyn_exc
}
";
    let out = run_for(src, Engine::Interp, 4.0);
    // Step 2 is the arrival step.
    let v = out.traces[0].values[2];
    let want = -65.0 + 5.0 * (-1.0f64 / 3.0).exp();
    assert!((v - want).abs() < 1e-9, "delta: {v} vs {want}");
    let i = out.traces[1].values[2];
    let init = 0.3 * (1.0 - (-1.0f64 / 0.3).exp());
    let want = 6.0 * init * (-1.0f64 / 0.3).exp();
    assert!((i - want).abs() < 1e-12, "current: {i} vs {want}");
}
