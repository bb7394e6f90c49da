//! Pulse simulator tests on small hand-built netlists: exact timing of the
//! deterministic cells here, statistics of the stochastic ones in
//! [`stochastic`].

mod stochastic;

use super::*;
use crate::netlist::tests::merge_then_split;
use crate::netlist::{Instance, Module, Netlist, Port};
use crate::tech::{CellKind, DEFAULT_TOML};
use crate::tree::{delay_chain, merger_tree, splitter_tree, DelayStage};

/// A stimulus.
pub(super) fn stim(port: &str, times_ps: Vec<f64>) -> Stimulus {
    Stimulus {
        port: port.into(),
        times_ps,
    }
}

/// Runs to `stop_ps`, expecting success.
pub(super) fn run(
    tech: &Technology,
    netlist: &ValidNetlist,
    stimuli: &[Stimulus],
    seed: u64,
    stop_ps: f64,
) -> PulseRun {
    simulate(tech, netlist, stimuli, &PulseOptions { seed, stop_ps }).unwrap()
}

/// One module as the whole design.
pub(super) fn alone(tech: &Technology, module: Module) -> ValidNetlist {
    let top = module.name.clone();
    Netlist {
        modules: vec![module],
        top,
    }
    .validate(tech)
    .unwrap()
}

/// A generated tree as the whole design.
pub(super) fn tree_design(tech: &Technology, tree: &crate::tree::Tree) -> ValidNetlist {
    alone(tech, Module::from_tree("t", tree, tech).unwrap())
}

/// The default technology with other MERGE separations.
pub(super) fn merge_tech(input_ps: f64, cross_ps: f64) -> Technology {
    let from = "min_input_separation_ps = 10.2\nmin_cross_separation_ps = 2.3";
    assert!(DEFAULT_TOML.contains(from));
    let to =
        format!("min_input_separation_ps = {input_ps:?}\nmin_cross_separation_ps = {cross_ps:?}");
    let tech = Technology::from_toml(&DEFAULT_TOML.replace(from, &to)).unwrap();
    let merge = tech.cell(CellKind::Merge);
    assert_eq!(merge.min_cross_separation_ps, Some(cross_ps));
    tech
}

/// `x` (and `z` on the inhibitory pin, if asked) → neuron → `y`.
pub(super) fn neuron_design(
    tech: &Technology,
    threshold: u32,
    leak_bias_ua: f64,
    inhibitory: bool,
) -> ValidNetlist {
    let th = tech.neuron().bias_for_threshold(threshold).unwrap();
    assert_eq!(tech.neuron().threshold_for_bias(th), Some(threshold));
    let mut m = Module::new("pop");
    m.ports = vec![Port::input("x"), Port::output("y")];
    let mut n = Instance::new("n0", CellKind::Neuron)
        .pin("a", "x")
        .pin("q", "y")
        .bias("thbias", th)
        .bias("lkbias", leak_bias_ua);
    if inhibitory {
        m.ports.push(Port::input("z"));
        n = n.pin("ainh", "z");
    }
    m.instances = vec![n];
    alone(tech, m)
}

/// `t0` plus `d`, `n` times, added in the simulator's order.
fn after(t0: f64, d: f64, n: u32) -> f64 {
    (0..n).fold(t0, |t, _| t + d)
}

#[test]
fn jtl_chain_delays_add_up_exactly() {
    let tech = Technology::default();
    let design = tree_design(&tech, &delay_chain(5, DelayStage::Jtl));
    let r = run(&tech, &design, &[stim("in0", vec![10.0, 100.0])], 0, 1e6);
    let d = tech.cell(CellKind::Jtl).delay_ps;
    assert_eq!(r.outputs["out0"], [after(10.0, d, 5), after(100.0, d, 5)]);
    assert_eq!(r.stats.events, 2 * 6);
    assert_eq!(r.stats.stimulus_pulses, 2);
    // Closer than the JTL's separation: the second pulse dies at the first stage.
    let r = run(&tech, &design, &[stim("in0", vec![10.0, 12.0])], 0, 1e6);
    assert_eq!(r.outputs["out0"], [after(10.0, d, 5)]);
    assert_eq!(r.stats.separation_losses, 1);
}

#[test]
fn splitter_tree_delivers_one_pulse_per_leaf_at_its_depth() {
    let tech = Technology::default();
    let tree = splitter_tree(5);
    let split = Module::from_tree("splitter5", &tree, &tech).unwrap();
    // x → JTL → splitter tree → y0..y4, the tree one level down.
    let mut top = Module::new("top");
    top.ports.push(Port::input("x"));
    top.instances.push(
        Instance::new("j0", CellKind::Jtl)
            .pin("a", "x")
            .pin("q", "mid"),
    );
    let mut child = crate::netlist::ModuleInstance::new("u_split", "splitter5").port("in0", "mid");
    for i in 0..5 {
        top.ports.push(Port::output(format!("y{i}")));
        child = child.port(format!("out{i}"), format!("y{i}"));
    }
    top.submodules.push(child);
    let design = Netlist {
        modules: vec![top, split],
        top: "top".into(),
    }
    .validate(&tech)
    .unwrap();
    let r = run(&tech, &design, &[stim("x", vec![50.0])], 0, 1e6);
    let jtl = tech.cell(CellKind::Jtl).delay_ps;
    let split = tech.cell(CellKind::Split).delay_ps;
    assert_eq!(tree.leaf_depths(), [3, 3, 2, 2, 2]);
    for (i, &depth) in tree.leaf_depths().iter().enumerate() {
        let expect = after(50.0 + jtl, split, depth);
        assert_eq!(r.outputs[&format!("y{i}")], [expect], "leaf {i}");
    }
    // One JTL, four SPLITs, five output ports.
    assert_eq!(r.stats.events, 1 + 4 + 5);
    let flat = flatten(&tech, &design).unwrap();
    let paths: Vec<String> = (0..flat.cells.len()).map(|c| flat.path(c)).collect();
    assert_eq!(
        paths,
        [
            "j0",
            "u_split/split_l0_0",
            "u_split/split_l1_0",
            "u_split/split_l1_1",
            "u_split/split_l2_0"
        ]
    );
}

#[test]
fn hierarchy_is_flattened_across_module_boundaries() {
    let tech = Technology::default();
    let design = merge_then_split(&tech).validate(&tech).unwrap();
    let flat = flatten(&tech, &design).unwrap();
    let paths: Vec<String> = (0..flat.cells.len()).map(|c| flat.path(c)).collect();
    assert_eq!(
        paths,
        [
            "u_merge/merge_l0_0",
            "u_merge/merge_l1_0",
            "u_split/split_l0_0",
            "u_split/split_l1_0"
        ]
    );
    // a2 enters the root merge directly; out0 of the splitter is 2 deep.
    let r = run(&tech, &design, &[stim("a2", vec![0.0])], 0, 1e6);
    let merge = tech.cell(CellKind::Merge).delay_ps;
    let split = tech.cell(CellKind::Split).delay_ps;
    assert_eq!(r.outputs["y0"], [after(merge, split, 2)]);
    assert_eq!(r.outputs["y1"], [after(merge, split, 2)]);
    assert_eq!(r.outputs["y2"], [after(merge, split, 1)]);
    let names: Vec<&String> = r.outputs.keys().collect();
    assert_eq!(names, ["y0", "y1", "y2"]);
}

#[test]
fn merge_joins_far_pulses_and_absorbs_close_ones() {
    let tech = Technology::default();
    let design = tree_design(&tech, &merger_tree(2));
    let d = tech.cell(CellKind::Merge).delay_ps;
    let go =
        |a: Vec<f64>, b: Vec<f64>| run(&tech, &design, &[stim("in0", a), stim("in1", b)], 0, 1e6);
    // 1 ps apart on different inputs (cross separation 2.3 ps): one pulse.
    let r = go(vec![100.0], vec![101.0]);
    assert_eq!(r.outputs["out0"], [100.0 + d]);
    assert_eq!(
        (r.stats.merge_collisions, r.stats.separation_losses),
        (1, 0)
    );
    // Exactly the cross separation apart: two.
    let r = go(vec![0.0], vec![2.3]);
    assert_eq!(r.outputs["out0"], [d, 2.3 + d]);
    // 5 ps apart: two pulses.
    let r = go(vec![100.0], vec![105.0]);
    assert_eq!(r.outputs["out0"], [100.0 + d, 105.0 + d]);
    assert_eq!(r.stats.merge_collisions, 0);
    // 5 ps apart on one input (separation 10.2 ps): the second is lost.
    let r = go(vec![100.0, 105.0], vec![]);
    assert_eq!(r.outputs["out0"], [100.0 + d]);
    assert_eq!(
        (r.stats.merge_collisions, r.stats.separation_losses),
        (0, 1)
    );
}

#[test]
fn an_absorbed_pulse_restarts_the_merge_dead_time() {
    // As in `timing::loss`: every arrival restarts the dead time.
    let tech = merge_tech(1.0, 3.0);
    let design = tree_design(&tech, &merger_tree(2));
    let d = tech.cell(CellKind::Merge).delay_ps;
    let stimuli = [
        stim("in0", vec![100.0, 104.0]),
        stim("in1", vec![102.0, 107.5]),
    ];
    let r = run(&tech, &design, &stimuli, 0, 1e6);
    // 102 is absorbed (2 ps after 100), 104 too (2 ps after 102, although
    // 4 ps after the last pulse passed), 107.5 passes.
    assert_eq!(r.outputs["out0"], [100.0 + d, 107.5 + d]);
    assert_eq!(r.stats.merge_collisions, 2);
}

#[test]
fn neuron_without_leak_fires_once_every_threshold_pulses() {
    let tech = Technology::default();
    let d = tech.cell(CellKind::Neuron).delay_ps;
    for n in [1u32, 2, 4, 7] {
        // A leak bias below the table: no leak.
        let design = neuron_design(&tech, n, 100.0, false);
        let times: Vec<f64> = (0..5 * n + n - 1)
            .map(|i| 10.0 + 20.0 * f64::from(i))
            .collect();
        let r = run(&tech, &design, &[stim("x", times.clone())], 3, 1e9);
        let expect: Vec<f64> = (1..=5).map(|k| times[(k * n - 1) as usize] + d).collect();
        assert_eq!(r.outputs["y"], expect, "threshold {n}");
        assert_eq!(r.stats.neuron_firings, 5);
        assert_eq!(r.stats.leaked_fluxons, 0);
    }
}

#[test]
fn inhibition_cancels_stored_fluxons() {
    let tech = Technology::default();
    let d = tech.cell(CellKind::Neuron).delay_ps;
    let design = neuron_design(&tech, 3, 100.0, true);
    let x = vec![10.0, 30.0, 70.0, 90.0, 300.0, 320.0, 340.0, 360.0];
    let z = vec![50.0, 200.0];
    let r = run(&tech, &design, &[stim("x", x), stim("z", z)], 0, 1e9);
    // 10, 30 store two; 50 cancels one; 70, 90 reach three and fire; at
    // 200 the empty loop stores one negative fluxon, so 300..340 only
    // bring it to two and 360 fires.
    assert_eq!(r.outputs["y"], [90.0 + d, 360.0 + d]);
    assert_eq!(r.stats.inhibition_at_floor, 0);
    assert_eq!(r.stats.neuron_firings, 2);
    // The inhibitory input may stay open.
    let open = neuron_design(&tech, 3, 100.0, false);
    let r = run(&tech, &open, &[stim("x", vec![10.0, 30.0, 50.0])], 0, 1e9);
    assert_eq!(r.outputs["y"], [50.0 + d]);
}

#[test]
fn inhibition_saturates_at_the_loops_reverse_capacity() {
    let tech = Technology::default();
    let d = tech.cell(CellKind::Neuron).delay_ps;
    let design = neuron_design(&tech, 3, 100.0, true);
    let bias = tech.neuron().bias_for_threshold(3).unwrap();
    let floor = tech.neuron().reverse_capacity(tech.quantise_bias(bias));
    // Ic 250 µA, 20 µA a fluxon, threshold bias 200 µA: 22 negative fluxons.
    assert_eq!(floor, 22);
    let z: Vec<f64> = (0..floor + 5).map(|i| 10.0 + 20.0 * f64::from(i)).collect();
    let x: Vec<f64> = (0..floor + 3)
        .map(|i| 2000.0 + 20.0 * f64::from(i))
        .collect();
    let last = *x.last().unwrap();
    let r = run(&tech, &design, &[stim("x", x), stim("z", z)], 0, 1e9);
    // Five inhibitory pulses find the loop full of negative fluxons; the
    // 22 stored ones take 22 excitatory pulses to cancel, then 3 fire.
    assert_eq!(r.stats.inhibition_at_floor, 5);
    assert_eq!(r.outputs["y"], [last + d]);
}

#[test]
fn dff_releases_on_clock_and_counts_setup_and_hold_violations() {
    let tech = Technology::default();
    let design = tree_design(&tech, &delay_chain(1, DelayStage::Dff));
    let dff = tech.cell(CellKind::Dff);
    let (d, setup, hold) = (dff.delay_ps, dff.setup_ps.unwrap(), dff.hold_ps.unwrap());
    assert!(setup > 1.0 && hold > 0.2);
    let data = vec![100.0, 300.0, 500.2, 700.0, 720.0, 1000.0];
    let clock = vec![
        200.0, 301.0, 400.0, 500.0, 600.0, 800.0, 900.0, 1000.0, 1100.0,
    ];
    let r = run(
        &tech,
        &design,
        &[stim("in0", data), stim("clk0", clock)],
        0,
        1e6,
    );
    // 100 → 200. 300 is 1 ps before 301 (setup): released by 400. 500.2 is
    // 0.2 ps after 500 (hold): stored, released by 600. 720 finds 700
    // stored and is lost. Data and clock both at 1000: one violation, and
    // the bit waits for 1100.
    assert_eq!(
        r.outputs["out0"],
        [200.0 + d, 400.0 + d, 600.0 + d, 800.0 + d, 1100.0 + d]
    );
    assert_eq!(r.stats.dff_overflows, 1);
    assert_eq!(r.stats.setup_violations + r.stats.hold_violations, 3);
    assert!(r.stats.setup_violations >= 1 && r.stats.hold_violations >= 1);
}

#[test]
fn ndro_reads_its_state_as_of_the_setup_time() {
    let tech = Technology::default();
    let mut m = Module::new("nd");
    m.ports = ["s", "r", "c"].map(Port::input).into();
    m.ports.push(Port::output("y"));
    m.instances = vec![Instance::new("n0", CellKind::Ndro)
        .pin("a", "s")
        .pin("b", "r")
        .pin("clk", "c")
        .pin("q", "y")];
    let design = alone(&tech, m);
    let d = tech.cell(CellKind::Ndro).delay_ps;
    let stimuli = [
        stim("s", vec![100.0, 499.0]),
        stim("r", vec![350.0, 700.5]),
        stim("c", vec![200.0, 300.0, 400.0, 500.0, 600.0, 700.0, 800.0]),
    ];
    let r = run(&tech, &design, &stimuli, 0, 1e6);
    // Set at 100: 200 and 300 read it. Reset at 350: 400 silent. The set at
    // 499 is 1 ps before 500 (setup 1.9): 500 still reads "reset", 600
    // reads "set", so does 700; the reset at 700.5 (hold) clears it for 800.
    assert_eq!(r.outputs["y"], [200.0 + d, 300.0 + d, 600.0 + d, 700.0 + d]);
    assert_eq!((r.stats.setup_violations, r.stats.hold_violations), (1, 1));
}

#[test]
fn stop_time_cuts_events_and_outputs() {
    let tech = Technology::default();
    let design = tree_design(&tech, &delay_chain(2, DelayStage::Jtl));
    let d = tech.cell(CellKind::Jtl).delay_ps;
    let stimuli = [stim("in0", vec![10.0, 1000.0])];
    let r = run(&tech, &design, &stimuli, 0, 500.0);
    assert_eq!(r.outputs["out0"], [10.0 + d + d]);
    assert_eq!(r.stats.stimulus_pulses, 1);
    // A pulse due exactly at the stop time is handled.
    let r = run(&tech, &design, &stimuli, 0, 10.0 + d + d);
    assert_eq!(r.outputs["out0"], [10.0 + d + d]);
    let r = run(&tech, &design, &stimuli, 0, 10.0 + d);
    assert!(r.outputs["out0"].is_empty());
    assert_eq!(r.stats.events, 2);
}

#[test]
fn empty_designs_and_empty_stimuli_run() {
    let tech = Technology::default();
    let empty = alone(&tech, Module::new("empty"));
    for stop in [0.0, 1e9] {
        let r = run(&tech, &empty, &[], 7, stop);
        assert!(r.outputs.is_empty());
        assert_eq!(r.stats, PulseStats::default());
    }
    let design = tree_design(&tech, &merger_tree(3));
    let r = run(&tech, &design, &[stim("in1", vec![])], 0, 1e9);
    assert_eq!(r.outputs.len(), 1);
    assert!(r.outputs["out0"].is_empty());
}

#[test]
fn bad_stimuli_and_options_are_errors() {
    let tech = Technology::default();
    let design = neuron_design(&tech, 2, 100.0, true);
    let options = PulseOptions {
        seed: 0,
        stop_ps: 1e6,
    };
    let err = |stimuli: &[Stimulus]| simulate(&tech, &design, stimuli, &options).unwrap_err();
    let e = err(&[stim("nope", vec![1.0])]);
    assert_eq!(
        e,
        PulseError::UnknownPort {
            port: "nope".into()
        }
    );
    assert_eq!(e.code(), "P0001");
    // An output port is not an input.
    assert!(matches!(
        err(&[stim("y", vec![1.0])]),
        PulseError::UnknownPort { .. }
    ));
    let e = err(&[stim("x", vec![1.0]), stim("x", vec![2.0])]);
    assert_eq!(e, PulseError::DuplicateStimulus { port: "x".into() });
    for bad in [f64::NAN, f64::INFINITY, -1.0] {
        let e = err(&[stim("z", vec![1.0, bad])]);
        assert!(matches!(e, PulseError::BadTime { index: 1, .. }), "{e}");
    }
    let e = err(&[stim("x", vec![5.0, 3.0])]);
    assert!(
        matches!(e, PulseError::UnsortedTimes { index: 1, .. }),
        "{e}"
    );
    assert!(e
        .to_string()
        .contains("pulse 1 at 3 ps comes before pulse 0 at 5 ps"));
    for stop_ps in [f64::NAN, f64::INFINITY, -1.0] {
        let options = PulseOptions { seed: 0, stop_ps };
        let e = simulate(&tech, &design, &[], &options).unwrap_err();
        assert_eq!(e.code(), "P0005");
    }
    // Equal times are sorted (the second pulse is lost to separation).
    let r = run(&tech, &design, &[stim("x", vec![5.0, 5.0])], 0, 1e6);
    assert_eq!(r.stats.separation_losses, 1);
}

#[test]
fn a_threshold_bias_outside_the_range_is_an_error() {
    let tech = Technology::default();
    let mut m = Module::new("pop");
    m.ports = vec![Port::input("x"), Port::output("y")];
    m.instances = vec![Instance::new("n0", CellKind::Neuron)
        .pin("a", "x")
        .pin("q", "y")
        .bias("thbias", 10.0)
        .bias("lkbias", 150.0)];
    let design = alone(&tech, m);
    let options = PulseOptions {
        seed: 0,
        stop_ps: 1.0,
    };
    let e = simulate(&tech, &design, &[], &options).unwrap_err();
    assert!(
        matches!(&e, PulseError::NoThreshold { cell, bias_ua, .. } if cell == "n0" && *bias_ua == 10.0)
    );
    assert_eq!(e.code(), "P0006");
    assert!(!e.help().is_empty());
}

#[test]
fn a_netlist_of_another_technology_is_an_error_not_a_panic() {
    let tech = Technology::default();
    let design = tree_design(&tech, &delay_chain(2, DelayStage::Jtl));
    // The same library with the JTL's input renamed `d`, then its output.
    let header = "pins = { inputs = [\"a\"], outputs = [\"q\"] }\nsubcircuit = \"\"\"\n.subckt JTL a q\nL1 a 1";
    assert!(DEFAULT_TOML.contains(header));
    let renamed = |input: &str, output: &str| {
        let to = format!(
            "pins = {{ inputs = [\"{input}\"], outputs = [\"{output}\"] }}\nsubcircuit = \"\"\"\n.subckt JTL {input} {output}\nL1 {input} 1"
        );
        let text = DEFAULT_TOML
            .replace(header, &to)
            .replace("L3 2 q 2p", &format!("L3 2 {output} 2p"));
        Technology::from_toml(&text).unwrap()
    };
    let options = PulseOptions {
        seed: 0,
        stop_ps: 1e6,
    };
    let stimuli = [stim("in0", vec![1.0])];
    for other in [renamed("d", "q"), renamed("a", "z")] {
        let e = simulate(&other, &design, &stimuli, &options).unwrap_err();
        assert!(matches!(e, PulseError::Mismatch { .. }), "{e}");
        assert_eq!(e.code(), "P0008");
    }
}

/// About 1.5·10⁷ events, a timing measurement for release builds:
/// `cargo test --release -p spikec-sfq --features heavy -- throughput --nocapture`.
#[cfg(feature = "heavy")]
#[test]
fn throughput() {
    let tech = Technology::default();
    let design = tree_design(&tech, &splitter_tree(8));
    let times: Vec<f64> = (0..1_000_000).map(|i| 20.0 * f64::from(i)).collect();
    let start = std::time::Instant::now();
    let r = run(&tech, &design, &[stim("in0", times)], 0, 1e12);
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "{} events in {seconds:.2} s: {:.1} M events/s",
        r.stats.events,
        r.stats.events as f64 / seconds / 1e6
    );
    assert_eq!(r.stats.events, 15_000_000);
}
