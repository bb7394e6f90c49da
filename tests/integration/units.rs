//! Units and dimensions: exact conversion, canonical units in the IR, and
//! dimension errors with both spans.

use spikec::driver::compile_source;
use spikec_ir::{print_network, validate};

fn ir(src: &str) -> String {
    let c = compile_source("inline.snn", src.to_string(), &[]);
    assert!(!c.has_errors(), "{}", crate::support::rendered(&c));
    print_network(&validate(c.network.as_ref().unwrap()).unwrap())
}

fn codes(src: &str) -> Vec<&'static str> {
    compile_source("inline.snn", src.to_string(), &[])
        .diagnostics
        .iter()
        .map(|d| d.code)
        .collect()
}

const NEURON: &str = "neuron n {
    parameter cm = 250 pF, tau = 10 ms, g = 10 nS, i0 = 87.81 pA, th = -50 mV
    state v = -65 mV
    v' = (-g * v + i0) / cm
    input exc -> v
    spike v >= th { v = -65 mV } refractory 2 ms
  }";

#[test]
fn literals_convert_exactly_to_canonical_units() {
    let text = ir(&format!(
        "network u {{ {NEURON}
  population P = n[1] {{ tau = 1.5 s }}
  source S = SpikeSourcePoisson[1] {{ rate = 10 Hz }}
  connect S -> P : one_to_one() {{ weight 250 uV, delay 1 ms }}
}}"
    ));
    // 250 pF = 0.25 nF, 10 nS = 0.01 uS, 87.81 pA = 0.08781 nA: the decimal
    // is shifted, not multiplied by an inexact factor.
    assert!(text.contains("parameter cm: nF = 0.25 nF"), "{text}");
    assert!(text.contains("parameter g: uS = 0.01 uS"), "{text}");
    assert!(text.contains("parameter i0: nA = 0.08781 nA"), "{text}");
    assert!(text.contains("tau = 1500 ms"), "{text}");
    assert!(text.contains("rate = 0.01 kHz"), "{text}");
    assert!(text.contains("weight 0.25 mV"), "{text}");
    assert_eq!(spikec_ir::units::exact_decimal("87.81", -3), Some(0.08781));
}

#[test]
fn ode_classification() {
    let lin = ir(&format!(
        "network u {{ {NEURON} population P = n[1] record P.spikes }}"
    ));
    assert!(lin.contains("odes: linear, constant coefficients"), "{lin}");
    let nonlin = ir("network u { population P = Izhikevich[1] record P.spikes }");
    assert!(nonlin.contains("odes: nonlinear"), "{nonlin}");
    let cond = ir("network u { population P = IF_cond_exp[1] record P.spikes }");
    assert!(
        cond.contains("odes: nonlinear") && cond.contains("product of state variables"),
        "{cond}"
    );
}

#[test]
fn dimension_errors() {
    // mV + ms, in an ODE.
    let c = compile_source("inline.snn", "network u { neuron m { state v = 0 mV\n v' = (v + 1 ms) / 1 ms\n spike v > 1 mV }\n population P = m[1] record P.spikes }".into(), &[]);
    let d = c
        .diagnostics
        .iter()
        .find(|d| d.code == "E0020")
        .expect("E0020");
    assert_eq!(d.labels.len(), 2, "both operands are labelled");
    // The derivative must be state / time.
    assert!(codes("network u { neuron m { state v = 0 mV\n v' = -v\n spike v > 1 mV }\n population P = m[1] record P.spikes }").contains(&"E0021"));
    // exp of a voltage.
    assert!(codes("network u { neuron m { state v = 0 mV\n v' = exp(v) * 1 mV / 1 ms\n spike v > 1 mV }\n population P = m[1] record P.spikes }").contains(&"E0023"));
    // A weight in the wrong unit for a current port.
    assert!(codes("network u { population P = IF_curr_exp[2]\n connect P -> P : all_to_all() { port excitatory, weight 1 mV } }").contains(&"E0022"));
    // Population sizes are dimensionless whole numbers.
    assert!(
        codes("network u { population P = IF_curr_exp[2.5] record P.spikes }").contains(&"E0040")
    );
    assert!(
        codes("network u { population P = IF_curr_exp[2 ms] record P.spikes }").contains(&"E0022")
    );
}

#[test]
fn aliases_rename_and_keep_dynamics() {
    let text = ir(
        "network u { population P = iaf_psc_exp[1] { C_m = 200 pF, I_e = 376 pA } record P.V_m }",
    );
    assert!(text.contains("# alias of IF_curr_exp"), "{text}");
    assert!(
        text.contains("C_m = 0.2 nF") && text.contains("I_e = 0.376 nA"),
        "{text}"
    );
    assert!(text.contains("record V_m of P"), "{text}");
}

#[test]
fn selections_views_and_unions() {
    let text = ir("network u {
  population E = IF_curr_exp[10]
  population I = IF_curr_exp[5]
  view All = E + I
  view Some = All[8..12]
  connect Some -> E[0..2] : all_to_all() { port excitatory, weight 0.1 nA, delay 1 ms }
  record All.spikes
}");
    assert!(text.contains("view Some = E[8, 9] + I[0, 1]"), "{text}");
    assert!(
        text.contains("projection Some->E: E[8, 9] + I[0, 1] -> E[0..2]"),
        "{text}"
    );
}

#[test]
fn named_draws_are_shared_between_settings() {
    let text = ir("network u {
  population E = Izhikevich[4] {
    let re = uniform(0, 1)
    let jitter = normal(0 mV, 1 mV)
    c = -65 mV + 15 mV * re^2, d = 8 mV/ms - 6 mV/ms * re^2
    v = -65 mV + jitter
  }
  record E.spikes
}");
    assert!(
        text.contains("  let re = uniform(low = 0, high = 1)\n"),
        "{text}"
    );
    assert!(
        text.contains("  let jitter = normal(mu = 0 mV, sigma = 1 mV)\n"),
        "{text}"
    );
    assert!(
        text.contains("  c = -65 mV + 15 mV * re ^ 2\n  d = 8 mV/ms - 6 mV/ms * re ^ 2\n"),
        "{text}"
    );
    assert!(text.contains("  init v = -65 mV + jitter\n"), "{text}");
    // Units are checked through the draws.
    assert!(codes("network u { population E = Izhikevich[4] { let x = normal(0 mV, 1 mV)\n c = 1 ms * x } record E.spikes }").contains(&"E0022"));
    // A `let` must be a distribution, and draws belong to their population.
    assert!(
        codes("network u { population E = Izhikevich[4] { let x = 3 } record E.spikes }")
            .contains(&"E0016")
    );
    assert!(codes("network u { population E = IF_curr_exp[4] { let x = uniform(0, 1) }\n connect E -> E : one_to_one() { port excitatory, weight x * 1 nA } }").contains(&"E0010"));
    assert!(codes("network u { population E = Izhikevich[4] { let x = uniform(0, 1)\n let x = uniform(0, 2) } record E.spikes }").contains(&"E0011"));
    assert!(codes("network u { population E = Izhikevich[4] { let x = uniform(1, 0)\n c = x * 1 mV } record E.spikes }").contains(&"E0046"));
}

#[test]
fn round_is_pythons() {
    // Ties go to even, as Python's and NumPy's round, which the NEST and
    // PyNN scripts users port rely on (106.5 neurons are 106).
    let text = ir(
        "network r { param a = round(106.5), b = round(107.5), c = round(-2.5)
      population P = IF_curr_exp[a + b + c + 1] record P.spikes }",
    );
    assert!(
        text.contains("param a = 106\n")
            && text.contains("param b = 108\n")
            && text.contains("param c = -2\n"),
        "{text}"
    );
}
