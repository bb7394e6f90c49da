//! Gap junctions: the coupling against the steady state of a resistive
//! network (derived, not recorded), both engines bit for bit, the
//! language's checks, the backends' refusal, and the C. elegans
//! connectome responding to a touch.

use crate::support::{compile_ok, compile_rel, rendered};
use spikec::driver::{compile_source, simulate};
use spikec_ir::eval::Precision;
use spikec_sim::{Engine, Output};

const MODEL: &str = "neuron lif_gap {
  parameter tau_m = 10 ms
  parameter C_m = 0.1 nF
  parameter v_rest = -65 mV
  parameter v_th = -50 mV
  parameter i_e = 0 nA
  state v = v_rest
  v' = (v_rest - v) / tau_m + i_e / C_m
  input excitatory -> v, gap -> v * (1 / C_m)
  spike v >= v_th { v = v_rest }
}
";

/// A driven neuron A coupled to B by `g`, and an uncoupled C.
fn chain(g: &str, driven: &str) -> String {
    chain_h(g, driven, "0.1 ms")
}

fn chain_h(g: &str, driven: &str, h: &str) -> String {
    format!(
        "{MODEL}network Gap {{
  timestep {h}
  population A = lif_gap[1]
  population B = lif_gap[1]
  population C = lif_gap[1]
  connect A -> B : all_to_all() {{ synapse gap_junction, port gap, weight {g} }}
  record A.v, B.v, C.v
}}
"
    )
    .replace(
        &format!("population {driven} = lif_gap[1]"),
        &format!("population {driven} = lif_gap[1] {{ i_e = 0.14 nA }}"),
    )
}

fn run(src: &str, ms: f64, engine: Engine) -> Output {
    let net = compile_ok("gap.snn", src, &[]);
    simulate(&net, ms, engine, Precision::F64)
        .unwrap_or_else(|d| panic!("{d:?}"))
        .1
}

/// The last recorded value of each trace.
fn last(out: &Output) -> Vec<f64> {
    out.traces
        .iter()
        .map(|t| *t.values.last().unwrap())
        .collect()
}

#[test]
fn gap_junctions_couple_like_a_conductance_both_ways() {
    // Steady state of leak g_L = C / tau = 10 nS to -65 mV, drive 0.14 nA
    // into one neuron, gap g between the two: with x = v + 65 mV,
    // the driven x_d = I / (g_L + g g_L / (g_L + g)), the other
    // x_o = x_d g / (g_L + g). The coupling is explicit (each step's
    // charge from the states at its start), so it is first order in h:
    // within h / tau of the exact value, and ten times closer at h / 10.
    for (g_ns, driven) in [(5.0, "A"), (5.0, "B"), (20.0, "A")] {
        let (gl, i) = (10.0, 140.0);
        let x_d = i / (gl + g_ns * gl / (gl + g_ns));
        let x_o = x_d * g_ns / (gl + g_ns);
        let (a, b) = if driven == "A" {
            (x_d, x_o)
        } else {
            (x_o, x_d)
        };
        let mut errors = Vec::new();
        for h in ["0.1 ms", "0.01 ms"] {
            let out = run(
                &chain_h(&format!("{g_ns} nS"), driven, h),
                200.0,
                Engine::Interp,
            );
            let v = last(&out);
            let (ea, eb) = ((v[0] + 65.0 - a).abs(), (v[1] + 65.0 - b).abs());
            assert!(
                ea < 0.01 * a && eb < 0.01 * b,
                "{g_ns} nS, {driven}, h {h}: {v:?}"
            );
            assert_eq!(v[2], -65.0, "C is not coupled");
            errors.push(ea.max(eb));
        }
        assert!(
            errors[1] < errors[0] / 5.0,
            "{g_ns} nS, {driven}: {errors:?}"
        );
    }
    // No junction: B stays at rest.
    let out = run(&chain("0 nS", "A"), 100.0, Engine::Interp);
    assert_eq!(last(&out)[1], -65.0);
}

#[test]
fn gap_junctions_are_identical_in_both_engines() {
    let src = chain("5 nS", "A");
    let (a, b) = (
        run(&src, 50.0, Engine::Interp),
        run(&src, 50.0, Engine::Jit),
    );
    for (x, y) in a.traces.iter().zip(&b.traces) {
        assert_eq!(x.values, y.values);
    }
    // The connectome, with hundreds of junctions and spikes.
    let c = compile_rel(std::path::Path::new("dsl-examples/celegans.snn"), &[]);
    let net = c
        .network
        .as_ref()
        .unwrap_or_else(|| panic!("{}", rendered(&c)));
    let a = simulate(net, 150.0, Engine::Interp, Precision::F64)
        .unwrap()
        .1;
    let b = simulate(net, 150.0, Engine::Jit, Precision::F64).unwrap().1;
    assert!(!a.spikes.is_empty());
    assert_eq!(a.spikes, b.spikes);
}

#[test]
fn gap_junction_declarations_are_checked() {
    let cases = [
        // A port that takes voltage jumps, not charge.
        (
            "population A = lif_gap[2]\n connect A -> A : one_to_one() { synapse gap_junction, port excitatory, weight 1 nS }",
            "no port `excitatory` that takes charge",
        ),
        // A delay.
        (
            "population A = lif_gap[2]\n connect A[0] -> A[1] : all_to_all() { synapse gap_junction, port gap, weight 1 nS, delay 1 ms }",
            "has no delay",
        ),
        // A spike source on the presynaptic side.
        (
            "population S = SpikeSourcePoisson[1] { rate = 10 Hz }\n population A = lif_gap[1]\n connect S -> A : all_to_all() { synapse gap_junction, port gap, weight 1 nS }",
            "cannot be on the presynaptic side",
        ),
    ];
    for (body, message) in cases {
        let src = format!("{MODEL}network T {{\n {body}\n record A.v\n}}\n");
        let c = compile_source("t.snn", src.clone(), &[]);
        let d = c.diagnostics.iter().find(|d| d.code == "E0053");
        let d = d.unwrap_or_else(|| panic!("no E0053:\n{}\n{src}", rendered(&c)));
        assert!(d.message.contains(message), "{}", d.message);
    }
    // The weight is a conductance.
    let src = format!(
        "{MODEL}network T {{\n population A = lif_gap[2]\n connect A[0] -> A[1] : all_to_all() {{ synapse gap_junction, port gap, weight 1 pC }}\n record A.v\n}}\n"
    );
    let c = compile_source("t.snn", src, &[]);
    assert!(
        c.diagnostics.iter().any(|d| d.code == "E0022"),
        "{}",
        rendered(&c)
    );
}

#[test]
fn celegans_responds_to_a_touch_and_the_backends_refuse_its_gap_junctions() {
    let c = compile_rel(std::path::Path::new("dsl-examples/celegans.snn"), &[]);
    let net = c
        .network
        .as_ref()
        .unwrap_or_else(|| panic!("{}", rendered(&c)));
    let worm = &net.populations.iter().next().unwrap().1;
    assert_eq!((worm.name.as_str(), worm.size), ("Worm", 302));
    let gap = net
        .projections
        .iter()
        .find(|(_, p)| p.name == "Gap")
        .unwrap()
        .1;
    assert!(gap.is_gap_junction());
    let out = simulate(net, 400.0, Engine::Jit, Precision::F64).unwrap().1;
    let h = net.timestep;
    let when = |s: &spikec_sim::Spike| (s.step + 1) as f64 * h;
    let worm_spikes: Vec<_> = out.spikes.iter().filter(|s| s.population == 0).collect();
    // Silent before the touch (100 ms to 300 ms).
    assert!(
        worm_spikes.iter().all(|s| when(s) > 100.0),
        "activity before the touch"
    );
    // The six touch receptors fire, and the activity reaches other neurons.
    let text =
        std::fs::read_to_string(crate::support::root().join("dsl-examples/celegans.snn")).unwrap();
    let index = |name: &str| -> u32 {
        let key = format!("={name} ");
        let at = text
            .find(&key)
            .or_else(|| text.find(&format!("={name}\n")))
            .unwrap();
        let start = text[..at].rfind(' ').unwrap() + 1;
        text[start..at].parse().unwrap()
    };
    let touch: Vec<u32> = ["ALML", "ALMR", "AVM", "PLML", "PLMR", "PVM"]
        .iter()
        .map(|n| index(n))
        .collect();
    let during: std::collections::BTreeSet<u32> = worm_spikes
        .iter()
        .filter(|s| when(s) <= 300.0)
        .map(|s| s.neuron)
        .collect();
    assert!(touch.iter().all(|t| during.contains(t)), "{during:?}");
    let others = during.iter().filter(|n| !touch.contains(n)).count();
    assert!(others >= 3, "the touch stays in the receptors: {during:?}");
    // And dies down when the touch ends.
    let after = worm_spikes.iter().filter(|s| when(s) > 320.0).count();
    assert!(
        after * 10 < worm_spikes.len(),
        "{after} of {}",
        worm_spikes.len()
    );

    // Neither hardware target can share a membrane potential.
    let tech = spikec_sfq::tech::Technology::default();
    let e = spikec::build_sfq::lower(net, &tech, None).err().unwrap();
    assert_eq!(e[0].code, "E0071");
    assert!(e[0].message.contains("`Gap`"), "{}", e[0].message);
}
