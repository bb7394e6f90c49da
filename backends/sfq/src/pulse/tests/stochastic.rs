//! The stochastic cells against their distributions, the merger against
//! the loss analysis, and determinism.

use super::*;
use crate::timing::{merge_losses, Arrivals, CellTiming, ClockedTiming, TimingModel, PS_PER_NS};
use spikec_ir::philox::Uniforms;

/// `x` → synapse (weight bias `bias_ua`) → `y`.
fn synapse_design(tech: &Technology, bias_ua: f64) -> ValidNetlist {
    let mut m = Module::new("syn");
    m.ports = vec![Port::input("x"), Port::output("y")];
    m.instances = vec![Instance::new("s0", CellKind::Synapse)
        .pin("a", "x")
        .pin("q", "y")
        .bias("wbias", bias_ua)];
    alone(tech, m)
}

/// `n` pulses `gap_ps` apart from `gap_ps`.
fn train(n: u32, gap_ps: f64) -> Vec<f64> {
    (1..=n).map(|i| gap_ps * f64::from(i)).collect()
}

/// Whether `k` successes of `n` trials fit probability `p` within 4σ.
fn binomial_fits(k: usize, n: usize, p: f64) -> bool {
    let (n, k) = (n as f64, k as f64);
    (k - n * p).abs() <= 4.0 * (n * p * (1.0 - p)).sqrt()
}

#[test]
fn synapse_passes_its_calibrated_fraction() {
    let tech = Technology::default();
    let setting = tech.synapse_setting(0.3);
    let p = tech.synapse_calibration().probability(setting.bias_ua);
    assert!((p - 0.3).abs() < 0.01, "{p}");
    let n = 20_000;
    let design = synapse_design(&tech, setting.bias_ua);
    let r = run(&tech, &design, &[stim("x", train(n, 10.0))], 11, 1e9);
    let passed = r.outputs["y"].len();
    assert!(
        binomial_fits(passed, n as usize, p),
        "{passed} of {n} at p = {p}"
    );
    assert_eq!(r.stats.synapse_passed, passed as u64);
    assert_eq!(r.stats.synapse_blocked, u64::from(n) - passed as u64);
    // Table ends and beyond are exact.
    let (low, high) = tech.synapse_calibration().bias_range();
    for (bias, expect) in [(low, 0), (0.0, 0), (high, 2000), (1000.0, 2000)] {
        let design = synapse_design(&tech, bias);
        let r = run(&tech, &design, &[stim("x", train(2000, 10.0))], 5, 1e9);
        assert_eq!(r.outputs["y"].len(), expect, "bias {bias}");
    }
}

#[test]
fn leak_follows_exponential_survival() {
    let tech = Technology::default();
    let leak_bias = 165.0;
    let lambda = tech.neuron().leak_rate_per_ns(leak_bias);
    assert!(lambda > 0.1, "{lambda}");
    // Threshold 3: two pulses 20 ps apart, a wait, a third; it fires iff
    // both stored fluxons survived. One run per trial, each with its own
    // seed, so every trial starts from an empty loop.
    let design = neuron_design(&tech, 3, leak_bias, false);
    let trials = 2000u32;
    for wait_ns in [0.5, 1.5, 4.0] {
        let wait = wait_ns * PS_PER_NS;
        let (mut fired, mut leaked) = (0usize, 0u64);
        for i in 0..trials {
            let x = vec![10.0, 30.0, 30.0 + wait];
            let r = run(&tech, &design, &[stim("x", x)], u64::from(i), 1e12);
            fired += r.outputs["y"].len();
            leaked += r.stats.leaked_fluxons;
        }
        let survive = (-lambda * (wait_ns + 0.02)).exp() * (-lambda * wait_ns).exp();
        assert!(
            binomial_fits(fired, trials as usize, survive),
            "wait {wait_ns} ns: fired {fired} of {trials}, expected p = {survive}"
        );
        assert!(leaked > 0);
    }
}

/// Poisson pulse times of `rate` per ps up to `horizon` ps.
fn poisson_train(rate: f64, horizon: f64, key: [u32; 2], index: u32) -> Vec<f64> {
    let mut u = Uniforms::new(key, index, 0);
    let mut times = Vec::new();
    let mut t = 0.0;
    loop {
        t += -(1.0 - u.next_uniform()).ln() / rate;
        if t >= horizon {
            return times;
        }
        times.push(t);
    }
}

#[test]
fn merger_tree_loss_matches_the_analysis_for_poisson_inputs() {
    // Per-input separation no larger than the cross separation: the
    // merger is exactly the analysis' merger with τ = 10 ps.
    let tau = 10.0;
    let tech = merge_tech(tau, tau);
    let cell = |delay_ps| CellTiming {
        delay_ps,
        min_separation_ps: tau,
    };
    let model = TimingModel {
        split: cell(6.3),
        merge: cell(9.0),
        jtl: cell(3.5),
        dff: cell(6.3),
        clocked: ClockedTiming {
            setup_ps: 2.0,
            hold_ps: 0.4,
        },
    };
    // (sources, combined rate × τ, pulses per input): about 10 % lost, and
    // a heavy load where a dead time restarted only by passed pulses
    // would lose 33 % instead of 39 %.
    for (k, load, per_input) in [
        (2u32, 0.1, 60_000.0),
        (8, 0.1, 25_000.0),
        (2, 0.5, 80_000.0),
        (8, 0.5, 25_000.0),
    ] {
        let tree = merger_tree(k);
        let design = tree_design(&tech, &tree);
        let rate = load / (f64::from(k) * tau);
        let horizon = per_input / rate;
        let stimuli: Vec<Stimulus> = (0..k)
            .map(|i| stim(&format!("in{i}"), poisson_train(rate, horizon, [k, 99], i)))
            .collect();
        let r = run(&tech, &design, &stimuli, 0, 2.0 * horizon);
        let offered = r.stats.stimulus_pulses;
        let delivered = r.outputs["out0"].len() as u64;
        assert_eq!(
            offered - delivered,
            r.stats.merge_collisions + r.stats.separation_losses
        );
        let simulated = 1.0 - delivered as f64 / offered as f64;
        let analytic = merge_losses(&tree, &model, Arrivals::Poisson, rate * PS_PER_NS)
            .unwrap()
            .lost_fraction;
        assert!(analytic > 0.05 && analytic < 0.5, "{analytic}");
        // Several standard errors of the simulated fraction.
        assert!(
            (simulated - analytic).abs() < 0.006,
            "k = {k}, load {load}: simulated {simulated}, analytic {analytic}"
        );
    }
}

/// `x` → 4-way splitter → four synapses at p ≈ 0.5 → 4-way merger →
/// neuron (threshold 2, leaky, inhibited from `z`) → `y`; the first
/// synapse's output also on `s`... via its own path: `w` → synapse → `s`.
fn population(tech: &Technology) -> ValidNetlist {
    let split = Module::from_tree("split4", &splitter_tree(4), tech).unwrap();
    let merge = Module::from_tree("merge4", &merger_tree(4), tech).unwrap();
    let bias = tech.synapse_setting(0.5).bias_ua;
    let mut top = Module::new("top");
    top.ports = ["x", "z", "w"].map(Port::input).into();
    top.ports.extend(["y", "s"].map(Port::output));
    let mut sp = crate::netlist::ModuleInstance::new("u_split", "split4").port("in0", "x");
    let mut mg = crate::netlist::ModuleInstance::new("u_merge", "merge4").port("out0", "m");
    for i in 0..4 {
        sp = sp.port(format!("out{i}"), format!("f{i}"));
        mg = mg.port(format!("in{i}"), format!("g{i}"));
        top.instances.push(
            Instance::new(format!("syn{i}"), CellKind::Synapse)
                .pin("a", format!("f{i}"))
                .pin("q", format!("g{i}"))
                .bias("wbias", bias),
        );
    }
    top.submodules = vec![sp, mg];
    let th = tech.neuron().bias_for_threshold(2).unwrap();
    top.instances.push(
        Instance::new("neu", CellKind::Neuron)
            .pin("a", "m")
            .pin("ainh", "z")
            .pin("q", "y")
            .bias("thbias", th)
            .bias("lkbias", 165.0),
    );
    top.instances.push(
        Instance::new("lone", CellKind::Synapse)
            .pin("a", "w")
            .pin("q", "s")
            .bias("wbias", bias),
    );
    Netlist {
        modules: vec![top, split, merge],
        top: "top".into(),
    }
    .validate(tech)
    .unwrap()
}

#[test]
fn runs_are_deterministic_per_seed() {
    let tech = Technology::default();
    let design = population(&tech);
    let stimuli = vec![
        stim("x", train(2000, 50.0)),
        stim("z", train(300, 333.0)),
        stim("w", train(2000, 40.0)),
    ];
    let first = run(&tech, &design, &stimuli, 1, 1e9);
    assert!(first.outputs["y"].len() > 100, "{:?}", first.stats);
    assert_eq!(first, run(&tech, &design, &stimuli, 1, 1e9));
    // The order of the stimulus list does not matter.
    let reversed: Vec<Stimulus> = stimuli.iter().rev().cloned().collect();
    assert_eq!(first, run(&tech, &design, &reversed, 1, 1e9));
    let other = run(&tech, &design, &stimuli, 2, 1e9);
    assert_ne!(first.outputs["y"], other.outputs["y"]);
    assert_ne!(first.outputs["s"], other.outputs["s"]);
    // A cell's draws are its own: the lone synapse decides the same
    // whatever the rest of the design does.
    let quiet = run(&tech, &design, &stimuli[2..], 1, 1e9);
    assert_eq!(quiet.outputs["s"], first.outputs["s"]);
    assert!(quiet.outputs["y"].is_empty());
}
