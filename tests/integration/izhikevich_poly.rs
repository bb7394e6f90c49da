//! The Izhikevich examples: `dsl-examples/izhikevich_polychronization.snn`
//! (Izhikevich 2006: 1000 neurons, delays of 1–20 ms, STDP) and
//! `dsl-examples/izhikevich_reservoir.snn` (a heterogeneous Izhikevich
//! reservoir after Yamada & Chao 2025, whose linear readout is trained
//! offline here).
//!
//! The polychronization network must have the paper's connectivity, fire at
//! plausible rates and learn: every plastic weight at the end of the run is
//! recomputed from the recorded spikes by the rule's formula, and both
//! engines agree bit for bit. SpiNNaker builds it with plastic rows
//! (`spinnaker_stdp.rs` verifies it against the simulator); SFQ refuses it
//! (E0072), and its static twin (the weights frozen) too, for the model.
//!
//! The reservoir sees cue → outcome trials. A ridge-regression readout of
//! its filtered spikes, trained on some trials, must predict on held-out
//! ones which outcome comes ("what") and how soon ("when") far better than
//! chance and than a clock that knows only the time since the cue. It
//! builds for SpiNNaker (the emulator matches the simulator spike for
//! spike); SFQ refuses the Izhikevich model (E0067).

use std::fmt::Write as _;

use crate::support::{compile_ok, compile_rel, rendered, root, run};
use spikec::build_spinnaker::{build, verify, MachineSource, SpinnakerRequest};
use spikec::driver::{expand_network, simulate};
use spikec_ir::eval::Precision;
use spikec_ir::expanded::Expanded;
use spikec_ir::network::WeightDependence;
use spikec_ir::Network;
use spikec_sim::{Engine, Output};

const POLY: &str = "dsl-examples/izhikevich_polychronization.snn";
const RESERVOIR: &str = "dsl-examples/izhikevich_reservoir.snn";

fn spinn5() -> SpinnakerRequest {
    SpinnakerRequest {
        machine: MachineSource::Preset("spinn5".into()),
        neurons_per_core: None,
        colour_bits: 0,
    }
}

/// The shipped example, which must check clean.
fn shipped(path: &str) -> Network {
    let c = compile_rel(std::path::Path::new(path), &[]);
    assert!(c.diagnostics.is_empty(), "{}", rendered(&c));
    c.network.expect("a network")
}

/// Index of the population called `name`.
fn population(net: &Network, name: &str) -> usize {
    net.populations
        .iter()
        .position(|(_, p)| p.name == name)
        .unwrap_or_else(|| panic!("no population {name}"))
}

/// Index of the projection called `name`.
fn projection(net: &Network, name: &str) -> usize {
    net.projections
        .iter()
        .position(|(_, p)| p.name == name)
        .unwrap_or_else(|| panic!("no projection {name}"))
}

/// Global ids of population `p`.
fn globals(ex: &Expanded, p: usize) -> std::ops::Range<u32> {
    ex.layout.offsets[p]..ex.layout.offsets[p + 1]
}

/// Spike times (ms, stamped at the end of their step) of every global
/// neuron.
fn spike_trains(ex: &Expanded, out: &Output, h: f64) -> Vec<Vec<f64>> {
    let mut trains = vec![Vec::new(); ex.layout.total() as usize];
    for s in &out.spikes {
        let g = ex.layout.global(s.population as usize, s.neuron);
        trains[g as usize].push((s.step + 1) as f64 * h);
    }
    trains
}

/// xorshift64: fixed streams for the trials.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

// ------------------------------------------------------------ polychronization

#[test]
fn polychronization_has_the_papers_connectivity() {
    let net = shipped(POLY);
    let ex = expand_network(&net).unwrap_or_else(|d| panic!("{d:?}"));
    let (e, i) = (
        globals(&ex, population(&net, "E")),
        globals(&ex, population(&net, "I")),
    );
    assert_eq!((e.len(), i.len()), (800, 200));
    let ee = &ex.projections[projection(&net, "EE")];
    let ie = &ex.projections[projection(&net, "IE")];
    // Every excitatory neuron: 100 distinct targets among all 1000
    // neurons but itself, with delays of 1..20 ms.
    assert_eq!(ee.pre, e.clone().collect::<Vec<_>>());
    let mut per_delay = [0u32; 21];
    let mut onto_inh = 0;
    for (row, &pre) in ee.pre.iter().enumerate() {
        let mut t: Vec<u32> = ee.targets[ee.row(row)].to_vec();
        assert_eq!(t.len(), 100, "E{pre}");
        assert!(!t.contains(&pre), "E{pre} targets itself");
        assert!(t.iter().all(|g| e.contains(g) || i.contains(g)));
        onto_inh += t.iter().filter(|g| i.contains(g)).count();
        t.sort_unstable();
        t.dedup();
        assert_eq!(t.len(), 100, "E{pre} has multapses");
        for k in ee.row(row) {
            let d = ee.delays.get(k) as usize;
            assert!((1..=20).contains(&d), "delay {d}");
            per_delay[d] += 1;
            assert_eq!(ee.weights.get(k), 6.0);
        }
    }
    // Uniform delays: 4000 synapses each expected (sd about 62).
    assert!(
        per_delay[1..].iter().all(|&n| (3600..=4400).contains(&n)),
        "{per_delay:?}"
    );
    // A fifth of the targets are inhibitory (200 of the 999 candidates).
    assert!((15_000..=17_000).contains(&onto_inh), "{onto_inh}");
    // Inhibitory neurons: 100 excitatory targets each, 1 ms, -5 mV.
    assert_eq!(ie.pre, i.clone().collect::<Vec<_>>());
    for row in 0..ie.pre.len() {
        let mut t: Vec<u32> = ie.targets[ie.row(row)].to_vec();
        t.sort_unstable();
        t.dedup();
        assert_eq!(t.len(), 100);
        assert!(t.iter().all(|g| e.contains(g)));
    }
    assert_eq!(ie.delays.max(), 1);
    assert!((0..ie.len()).all(|k| ie.weights.get(k) == -5.0));
    // Only the excitatory synapses learn, with the paper's window.
    let rules: Vec<_> = net
        .projections
        .iter()
        .filter_map(|(_, p)| p.stdp())
        .collect();
    assert_eq!(rules.len(), 1);
    let r = rules[0];
    assert_eq!(r.dependence, WeightDependence::Additive);
    assert_eq!(
        (
            r.w_min,
            r.w_max,
            r.tau_plus,
            r.tau_minus,
            r.a_plus,
            r.a_minus
        ),
        (0.0, 10.0, 20.0, 20.0, 0.1, 0.12)
    );
}

/// The final weight of one synapse by the additive rule, from the spike
/// times (NEST's timing, see `backends/sim/src/plastic.rs`): at each pre
/// spike, first the potentiation by the post spikes that reached the
/// synapse (`t_post + d`) since the previous pre spike, then the depression
/// by the post trace at `t_pre − d`; each change clipped to the bounds.
fn by_the_rule(
    pre: &[f64],
    post: &[f64],
    d: f64,
    w0: f64,
    r: &spikec_ir::network::StdpRule,
) -> f64 {
    let mut w = w0;
    let mut last: Option<f64> = None;
    let mut kplus = 0.0;
    for &t in pre {
        if let Some(tl) = last {
            for &tp in post.iter().filter(|&&tp| tp + d > tl && tp + d <= t) {
                let x = kplus * (-(tp + d - tl) / r.tau_plus).exp();
                w = (w + r.a_plus * r.w_max * x).clamp(r.w_min, r.w_max);
            }
        }
        let x: f64 = post
            .iter()
            .filter(|&&tp| tp < t - d)
            .map(|&tp| (-(t - d - tp) / r.tau_minus).exp())
            .sum();
        w = (w - r.a_minus * r.w_max * x).clamp(r.w_min, r.w_max);
        kplus = last.map_or(0.0, |tl| kplus * (-(t - tl) / r.tau_plus).exp()) + 1.0;
        last = Some(t);
    }
    w
}

#[test]
fn polychronization_fires_and_learns_by_the_rule_in_both_engines() {
    let net = shipped(POLY);
    let h = net.timestep;
    let ms = 1000.0;
    let started = std::time::Instant::now();
    let (ex, jit) =
        simulate(&net, ms, Engine::Jit, Precision::F64).unwrap_or_else(|d| panic!("{d:?}"));
    let t_jit = started.elapsed();
    let (_, interp) =
        simulate(&net, ms, Engine::Interp, Precision::F64).unwrap_or_else(|d| panic!("{d:?}"));
    println!(
        "1 s of the network: JIT {:.2} s, interpreter {:.2} s",
        t_jit.as_secs_f64(),
        started.elapsed().as_secs_f64() - t_jit.as_secs_f64()
    );
    assert_eq!(jit.spikes, interp.spikes, "the engines disagree on spikes");
    assert_eq!(
        jit.weights, interp.weights,
        "the engines disagree on weights"
    );

    // Rates: regular-spiking excitatory neurons fire at a few to some tens
    // of Hz while the network settles, fast-spiking inhibitory ones faster.
    let (pe, pi) = (population(&net, "E"), population(&net, "I"));
    let count = |p: usize| {
        jit.spikes
            .iter()
            .filter(|s| s.population as usize == p)
            .count()
    };
    let rate_e = count(pe) as f64 / 800.0 / (ms / 1000.0);
    let rate_i = count(pi) as f64 / 200.0 / (ms / 1000.0);
    println!("rates: E {rate_e:.2} Hz, I {rate_i:.2} Hz");
    assert!((3.0..40.0).contains(&rate_e), "E fires at {rate_e} Hz");
    assert!((10.0..100.0).contains(&rate_i), "I fires at {rate_i} Hz");
    assert!(rate_i > 1.5 * rate_e, "E {rate_e} Hz, I {rate_i} Hz");

    // Learning: the excitatory weights moved, within [0, 10] mV, each as
    // the rule says it should have from the recorded spikes.
    let k = projection(&net, "EE");
    assert_eq!(jit.weights.len(), 1);
    assert_eq!(jit.weights[0].0, k);
    let w = &jit.weights[0].1;
    let table = &ex.projections[k];
    assert_eq!(w.len(), table.len());
    assert!(w.iter().all(|&x| (0.0..=10.0).contains(&x)));
    let rule = *net
        .projections
        .iter()
        .nth(k)
        .expect("EE")
        .1
        .stdp()
        .expect("plastic");
    let trains = spike_trains(&ex, &jit, h);
    let mut worst = 0.0f64;
    for (row, &pre) in table.pre.iter().enumerate() {
        for s in table.row(row) {
            let post = table.targets[s] as usize;
            let d = f64::from(table.delays.get(s)) * h;
            let want = by_the_rule(&trains[pre as usize], &trains[post], d, 6.0, &rule);
            worst = worst.max((w[s] - want).abs());
        }
    }
    assert!(worst < 1e-9, "a weight is {worst} mV off the rule");
    // The delay is dendritic (NEST's timing): a post spike pairs with a pre
    // spike at `t_post + d − t_pre`, so the longer the delay, the more
    // pairs count as causal.
    let mut by_delay = [(0.0, 0u32); 21];
    for (s, &ws) in w.iter().enumerate() {
        let d = table.delays.get(s) as usize;
        by_delay[d].0 += ws;
        by_delay[d].1 += 1;
    }
    let mean_at = |d: usize| by_delay[d].0 / f64::from(by_delay[d].1);
    println!(
        "mean weight by delay: {}",
        (1..=20)
            .map(|d| format!("{d} ms {:.2}", mean_at(d)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    assert!(mean_at(20) > mean_at(1) + 1.0, "{by_delay:?}");
    let up = w.iter().filter(|&&x| x > 6.0).count();
    let down = w.iter().filter(|&&x| x < 6.0).count();
    let (at_0, at_max) = (
        w.iter().filter(|&&x| x == 0.0).count(),
        w.iter().filter(|&&x| x == 10.0).count(),
    );
    let mean = w.iter().sum::<f64>() / w.len() as f64;
    println!(
        "weights after 1 s: {up} potentiated, {down} depressed, {at_0} at 0, {at_max} at 10, mean {mean:.3} mV (from 6)"
    );
    assert!(
        up + down > w.len() / 2,
        "only {} of {} weights moved",
        up + down,
        w.len()
    );
    assert!(up > 5_000 && down > 5_000, "{up} up, {down} down");
    // A_minus > A_plus: with spike timing uncorrelated at first, depression
    // wins on average.
    assert!(mean < 6.0, "mean weight {mean}");
}

#[test]
fn polychronization_builds_for_spinnaker_is_refused_by_sfq_and_its_static_twin_maps() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("izhikevich_poly");
    let out = dir.join("spinnaker");
    let (code, _, err) = run(&[
        "build",
        POLY,
        "--target",
        "spinnaker",
        "-o",
        &out.to_string_lossy(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.join("report.txt").exists());
    let (code, _, err) = run(&[
        "build",
        POLY,
        "--target",
        "sfq",
        "-o",
        &dir.join("sfq").to_string_lossy(),
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("error[E0072]"), "{err}");

    // With the weights frozen (what E0072's help suggests for a trained
    // network), the same network maps onto one board as static rows.
    let src = std::fs::read_to_string(root().join(POLY)).expect("the example");
    let plastic = src
        .lines()
        .find(|l| l.trim_start().starts_with("synapse stdp("))
        .expect("the example's STDP rule on a line of its own");
    let frozen = compile_ok(POLY, &src.replace(plastic, ""), &[]);
    assert!(frozen.projections.iter().all(|(_, p)| p.stdp().is_none()));
    let a = build(&frozen, &spinn5()).unwrap_or_else(|d| panic!("{d:?}"));
    assert!(a.report.neuron_cores >= 4, "{}", a.report.to_text());
    // SFQ refuses it still, now for the neuron model.
    let tech = spikec_sfq::tech::Technology::default();
    let Err(e) = spikec::build_sfq::lower(&frozen, &tech, None) else {
        panic!("SFQ lowered an Izhikevich network");
    };
    assert_eq!(e[0].code, "E0067", "{:?}", e[0]);
}

// ------------------------------------------------------------------ reservoir

/// Cue c announces outcome `c % 2` (X or Y) after `LATENCY_MS[c / 2]`:
/// identity and timing vary independently.
const CUES: usize = 4;
const LATENCY_MS: [u64; 2] = [40, 80];
/// Stimulus channels: the four cues, then the outcomes X and Y.
const CHANNELS: usize = CUES + 2;
/// Time constant of the readout's spike filter (ms).
const TAU_READOUT_MS: f64 = 20.0;
/// Readout samples every this many ms of a delay.
const SAMPLE_EVERY_MS: u64 = 2;

#[derive(Clone, Copy, Debug)]
struct Trial {
    /// Cue time (ms).
    start: u64,
    cue: usize,
}

impl Trial {
    fn latency(&self) -> u64 {
        LATENCY_MS[self.cue / 2]
    }
    fn outcome(&self) -> usize {
        self.cue % 2
    }
}

/// `n` trials (a multiple of 4): every cue once in each block of four, in
/// a random order; the next cue 80–140 ms after an outcome.
fn trials(n: usize, seed: u64) -> Vec<Trial> {
    let mut rng = XorShift(seed | 1);
    let mut out = Vec::new();
    let mut t = 50;
    for _ in 0..n / CUES {
        let mut block: Vec<usize> = (0..CUES).collect();
        for i in (1..CUES).rev() {
            block.swap(i, rng.below(i as u64 + 1) as usize);
        }
        for cue in block {
            let trial = Trial { start: t, cue };
            t += trial.latency() + 80 + rng.below(61);
            out.push(trial);
        }
    }
    out
}

/// The trials as one spike per symbol on its channel.
fn spike_list(trials: &[Trial]) -> String {
    let mut channels = vec![Vec::new(); CHANNELS];
    for tr in trials {
        channels[tr.cue].push(tr.start);
        channels[CUES + tr.outcome()].push(tr.start + tr.latency());
    }
    let mut s = String::from("[");
    for (i, ch) in channels.iter().enumerate() {
        let times: Vec<String> = ch.iter().map(|t| format!("{t} ms")).collect();
        let _ = write!(s, "{}[{}]", if i > 0 { ", " } else { "" }, times.join(", "));
    }
    s.push(']');
    s
}

/// The shipped reservoir with `trials` as its stimulus.
fn reservoir(trials: &[Trial], set: &[spikec::driver::Override]) -> Network {
    let src = std::fs::read_to_string(root().join(RESERVOIR)).expect("the example");
    // The stimulus list: from `spike_times = [` to its closing bracket.
    let key = "spike_times = ";
    let from = src.find(key).expect("the example's stimulus") + key.len();
    let mut depth = 0;
    let mut to = from;
    for (i, ch) in src[from..].char_indices() {
        match ch {
            '[' => depth += 1,
            ']' => depth -= 1,
            _ => {}
        }
        if depth == 0 {
            to = from + i + 1;
            break;
        }
    }
    let src = format!("{}{}{}", &src[..from], spike_list(trials), &src[to..]);
    compile_ok(RESERVOIR, &src, set)
}

/// Readout features at each ms: every reservoir neuron's spikes filtered
/// by `exp(-t / TAU_READOUT_MS)` (spikes stamped up to and including that
/// ms), then a constant 1.
fn features(net: &Network, ex: &Expanded, out: &Output, ms: u64) -> Vec<Vec<f64>> {
    assert_eq!(net.timestep, 1.0, "features are per 1 ms step");
    let reservoir: Vec<u32> = ["RE", "RI"]
        .iter()
        .flat_map(|p| globals(ex, population(net, p)))
        .collect();
    let index = |g: u32| reservoir.iter().position(|&r| r == g);
    let mut at_step: Vec<Vec<usize>> = vec![Vec::new(); ms as usize + 2];
    for s in &out.spikes {
        let g = ex.layout.global(s.population as usize, s.neuron);
        if let Some(i) = index(g) {
            at_step[s.step as usize + 1].push(i);
        }
    }
    let decay = (-1.0 / TAU_READOUT_MS).exp();
    let mut x = vec![0.0; reservoir.len()];
    let mut rows = Vec::with_capacity(ms as usize + 1);
    for spikes in at_step.iter().take(ms as usize + 1) {
        for v in &mut x {
            *v *= decay;
        }
        for &i in spikes {
            x[i] += 1.0;
        }
        let mut row = x.clone();
        row.push(1.0);
        rows.push(row);
    }
    rows
}

/// One readout sample: the features at a time in a trial's delay, with what
/// is to be predicted.
struct Sample<'a> {
    x: &'a [f64],
    /// +1 for outcome X, -1 for Y.
    what: f64,
    /// Time to the outcome (ms).
    when: f64,
    /// Time since the cue (ms).
    elapsed: u64,
}

fn samples<'a>(rows: &'a [Vec<f64>], trials: &[Trial]) -> Vec<Sample<'a>> {
    let mut out = Vec::new();
    for tr in trials {
        for e in (SAMPLE_EVERY_MS..tr.latency()).step_by(SAMPLE_EVERY_MS as usize) {
            out.push(Sample {
                x: &rows[(tr.start + e) as usize],
                what: if tr.outcome() == 0 { 1.0 } else { -1.0 },
                when: (tr.latency() - e) as f64,
                elapsed: e,
            });
        }
    }
    out
}

/// Ridge regression: `w = (XᵀX + λ I)⁻¹ Xᵀ y` for each target, by Cholesky,
/// with `λ` a fraction `strength` of the mean diagonal of `XᵀX`.
fn ridge(xs: &[&[f64]], ys: &[Vec<f64>], strength: f64) -> Vec<Vec<f64>> {
    let n = xs[0].len();
    let mut a = vec![0.0; n * n];
    for x in xs {
        for i in 0..n {
            if x[i] == 0.0 {
                continue;
            }
            for j in 0..=i {
                a[i * n + j] += x[i] * x[j];
            }
        }
    }
    let lambda = strength * (0..n).map(|i| a[i * n + i]).sum::<f64>() / n as f64;
    for i in 0..n {
        a[i * n + i] += lambda;
    }
    // Cholesky, lower triangle in place.
    for j in 0..n {
        let mut d = a[j * n + j];
        for k in 0..j {
            d -= a[j * n + k] * a[j * n + k];
        }
        assert!(d > 0.0, "not positive definite");
        let d = d.sqrt();
        a[j * n + j] = d;
        for i in j + 1..n {
            let mut s = a[i * n + j];
            for k in 0..j {
                s -= a[i * n + k] * a[j * n + k];
            }
            a[i * n + j] = s / d;
        }
    }
    ys.iter()
        .map(|y| {
            let mut b = vec![0.0; n];
            for (x, &t) in xs.iter().zip(y) {
                for i in 0..n {
                    b[i] += x[i] * t;
                }
            }
            for i in 0..n {
                let s: f64 = (0..i).map(|k| a[i * n + k] * b[k]).sum();
                b[i] = (b[i] - s) / a[i * n + i];
            }
            for i in (0..n).rev() {
                let s: f64 = (i + 1..n).map(|k| a[k * n + i] * b[k]).sum();
                b[i] = (b[i] - s) / a[i * n + i];
            }
            b
        })
        .collect()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// R² of predictions against truths.
fn r_squared(pred: &[f64], truth: &[f64]) -> f64 {
    let mean = truth.iter().sum::<f64>() / truth.len() as f64;
    let sse: f64 = pred.iter().zip(truth).map(|(p, t)| (p - t).powi(2)).sum();
    let sst: f64 = truth.iter().map(|t| (t - mean).powi(2)).sum();
    1.0 - sse / sst
}

/// Held-out scores of a readout trained on the first `train` trials.
#[derive(Debug)]
struct Scores {
    /// Share of held-out samples whose outcome is predicted right (chance
    /// 0.5), over the whole delay and over its last 20 ms.
    what: f64,
    what_late: f64,
    /// R² of the time to the outcome; the same for a clock that knows the
    /// time since the cue (the mean time left at that point in training).
    when_r2: f64,
    clock_r2: f64,
    /// Share of samples with the time to the outcome right within 10 ms,
    /// readout and clock.
    when_10ms: f64,
    clock_10ms: f64,
}

fn readout(net: &Network, trials: &[Trial], train: usize, lambda: f64) -> Scores {
    let last = trials.last().expect("trials");
    let ms = last.start + last.latency() + 100;
    let (ex, out) =
        simulate(net, ms as f64, Engine::Jit, Precision::F64).unwrap_or_else(|d| panic!("{d:?}"));
    let rows = features(net, &ex, &out, ms);
    let (fit, test) = (
        samples(&rows, &trials[..train]),
        samples(&rows, &trials[train..]),
    );
    let xs: Vec<&[f64]> = fit.iter().map(|s| s.x).collect();
    let ys = vec![
        fit.iter().map(|s| s.what).collect(),
        fit.iter().map(|s| s.when).collect(),
    ];
    let w = ridge(&xs, &ys, lambda);
    let mut clock = [(0.0, 0u32); 100];
    for s in &fit {
        clock[s.elapsed as usize].0 += s.when;
        clock[s.elapsed as usize].1 += 1;
    }
    let clock_at = |e: u64| clock[e as usize].0 / f64::from(clock[e as usize].1);
    let right = |s: &Sample| (dot(s.x, &w[0]) > 0.0) == (s.what > 0.0);
    let share = |n: usize, d: usize| n as f64 / d as f64;
    let late: Vec<&Sample> = test.iter().filter(|s| s.when <= 20.0).collect();
    let truth: Vec<f64> = test.iter().map(|s| s.when).collect();
    let pred: Vec<f64> = test.iter().map(|s| dot(s.x, &w[1])).collect();
    let clocked: Vec<f64> = test.iter().map(|s| clock_at(s.elapsed)).collect();
    let within = |p: &[f64]| {
        share(
            p.iter()
                .zip(&truth)
                .filter(|(p, t)| (*p - *t).abs() <= 10.0)
                .count(),
            truth.len(),
        )
    };
    Scores {
        what: share(test.iter().filter(|s| right(s)).count(), test.len()),
        what_late: share(late.iter().filter(|s| right(s)).count(), late.len()),
        when_r2: r_squared(&pred, &truth),
        clock_r2: r_squared(&clocked, &truth),
        when_10ms: within(&pred),
        clock_10ms: within(&clocked),
    }
}

#[test]
fn reservoir_readout_predicts_what_and_when_on_held_out_trials() {
    let trials = trials(96, 2025);
    let started = std::time::Instant::now();
    let s = readout(&reservoir(&trials, &[]), &trials, 72, 0.1);
    println!(
        "reservoir readout, 72 training and 24 held-out trials ({:.2} s): {s:?}",
        started.elapsed().as_secs_f64()
    );
    // Chance is 50 % for "what" (every cue equally often); "when" must beat
    // a clock that knows the time since the cue but not which cue it was.
    assert!(s.what > 0.85, "what: {s:?}");
    assert!(s.what_late > 0.8, "what, late in the delay: {s:?}");
    assert!(s.when_r2 > 0.6, "when: {s:?}");
    assert!(s.when_r2 > s.clock_r2 + 0.2, "when vs a clock: {s:?}");
    assert!(s.when_10ms > s.clock_10ms + 0.3, "when vs a clock: {s:?}");
    // Without its recurrent synapses the reservoir still remembers a little
    // (the recovery variable u decays over 10–50 ms), but less.
    let set = crate::support::overrides(&[("p_rec", "0")]);
    let lone = readout(&reservoir(&trials, &set), &trials, 72, 0.1);
    println!("without recurrence: {lone:?}");
    assert!(s.what_late > lone.what_late + 0.05, "{s:?}\n{lone:?}");
    assert!(s.when_10ms > lone.when_10ms + 0.08, "{s:?}\n{lone:?}");
}

#[test]
fn reservoir_builds_for_spinnaker_and_sfq_refuses_the_izhikevich_model() {
    let net = shipped(RESERVOIR);
    let v = verify(&net, &spinn5(), 300.0).unwrap_or_else(|d| panic!("{d:?}"));
    assert!(v.emulated.len() > 100, "{} spikes", v.emulated.len());
    assert_eq!(v.first_difference(), None);
    assert_eq!(v.emulated, v.simulated);
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("izhikevich_reservoir");
    let (code, _, err) = run(&[
        "build",
        RESERVOIR,
        "--target",
        "sfq",
        "-o",
        &dir.to_string_lossy(),
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("error[E0067]"), "{err}");
    assert!(err.contains("nonlinear"), "{err}");
}
