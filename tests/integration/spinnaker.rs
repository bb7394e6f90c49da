//! The SpiNNaker backend end to end: every example maps onto one SpiNN-5
//! board, and its report, placements and routing tables are golden files
//! (the build itself proves each compressed table equivalent to the
//! generated one and traces every sender's key through the tables to its
//! targets). The microcircuit is pinned at a tenth of its size and
//! in-degree: at full scale it is a benchmark (`bench/spinnaker`).

use crate::support::{compile_rel, overrides, rel, rendered, root, run, snn_files};
use spikec::build_spinnaker::{build, MachineSource, SpinnakerRequest};
use spikec_spinnaker::core_data::NeuronCore;
use spikec_spinnaker::Artifacts;

fn spinn5() -> SpinnakerRequest {
    SpinnakerRequest {
        machine: MachineSource::Preset("spinn5".into()),
        neurons_per_core: None,
        colour_bits: 0,
    }
}

fn build_example(path: &std::path::Path, req: &SpinnakerRequest) -> Artifacts {
    let name = path.file_stem().unwrap().to_string_lossy().into_owned();
    let set = if name == "microcircuit" {
        overrides(&[("N_scaling", "0.1"), ("K_scaling", "0.1")])
    } else {
        Vec::new()
    };
    let c = compile_rel(&rel(path), &set);
    let net = c
        .network
        .as_ref()
        .unwrap_or_else(|| panic!("{}", rendered(&c)));
    match build(net, req) {
        Ok(a) => a,
        Err(d) => panic!("{name}: {:?}", d),
    }
}

fn file<'a>(a: &'a Artifacts, name: &str) -> &'a str {
    let bytes = &a
        .files
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no {name}"))
        .1;
    std::str::from_utf8(bytes).expect("text")
}

#[test]
fn spinnaker_examples_golden() {
    for path in snn_files("dsl-examples") {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        // Gap junctions (the connectome) cannot be mapped: E0071, naming
        // the projection, and no build.
        let c = compile_rel(&rel(&path), &[]);
        let net = c
            .network
            .as_ref()
            .unwrap_or_else(|| panic!("{}", rendered(&c)));
        if net.projections.iter().any(|(_, p)| p.is_gap_junction()) {
            let e = build(net, &spinn5())
                .err()
                .unwrap_or_else(|| panic!("{name} built"));
            assert_eq!(e[0].code, "E0071", "{name}: {:?}", e[0]);
            continue;
        }
        // Plastic synapses (the polychronization network) become plastic
        // rows and build like the rest (`spinnaker_stdp.rs` verifies them).
        let a = build_example(&path, &spinn5());
        let r = &a.report;
        assert!(r.routing_entries_max <= 1023, "{name}: {r:?}");
        assert!(r.chips_used <= 48 && r.cores_used <= 767, "{name}: {r:?}");
        assert!(r.dtcm_bytes_max_core <= 64 * 1024, "{name}: {r:?}");
        assert!(r.sdram_bytes_max_chip <= 123_469_792, "{name}: {r:?}");
        // One binary table per chip with entries, 12 bytes an entry.
        let bins: usize = a
            .files
            .iter()
            .filter(|(n, _)| n.starts_with("routing_tables/"))
            .map(|(_, b)| b.len() / 12)
            .sum();
        assert_eq!(bins, r.routing_entries_total, "{name}");
        let text = format!(
            "{}\n--- placements.txt\n{}\n--- routing_tables.txt\n{}",
            file(&a, "report.txt"),
            file(&a, "placements.txt"),
            file(&a, "routing_tables.txt")
        );
        insta::assert_snapshot!(format!("spinnaker_{name}"), text);
    }
}

#[test]
fn spinnaker_build_is_identical_for_any_thread_count() {
    let path = root().join("dsl-examples/brunel.snn");
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
        .install(|| build_example(&path, &spinn5()));
    let four = rayon::ThreadPoolBuilder::new()
        .num_threads(4)
        .build()
        .unwrap()
        .install(|| build_example(&path, &spinn5()));
    assert_eq!(one.files, four.files);
}

#[test]
fn spinnaker_neurons_per_core_limit_is_obeyed() {
    let path = root().join("dsl-examples/cuba.snn");
    let req = SpinnakerRequest {
        neurons_per_core: Some(100),
        ..spinn5()
    };
    let a = build_example(&path, &req);
    // 3200 / 100 and 800 / 100 cores.
    assert_eq!(a.report.neuron_cores, 40);
    for p in &a.report.populations {
        assert_eq!(p.neurons_per_core, 100, "{p:?}");
    }
    for line in file(&a, "placements.txt").lines().skip(1) {
        let range = line.split(' ').nth(3).unwrap();
        let (lo, hi) = range.split_once("..").unwrap();
        let n = hi.parse::<u32>().unwrap() - lo.parse::<u32>().unwrap();
        assert!((1..=100).contains(&n), "{line}");
    }
}

#[test]
fn spinnaker_report_json_has_the_documented_keys() {
    let a = build_example(&root().join("dsl-examples/cuba.snn"), &spinn5());
    let v: serde_json::Value = serde_json::from_str(file(&a, "report.json")).unwrap();
    for key in [
        "chips_used",
        "cores_used",
        "neuron_cores",
        "synapse_cores",
        "delay_cores",
        "routing_entries_max",
        "routing_entries_max_uncompressed",
        "synapses",
        "sdram_bytes_max_chip",
    ] {
        assert!(v.get(key).is_some_and(|x| x.is_u64()), "{key} in {v}");
    }
    assert_eq!(v["synapses"].as_u64(), Some(a.report.synapses));
    let m: serde_json::Value = serde_json::from_str(file(&a, "machine.json")).unwrap();
    assert_eq!(m["chips"].as_array().map(Vec::len), Some(48));
}

#[test]
fn spinnaker_cli_builds_and_a_failed_build_leaves_the_old_output() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("spinnaker_cli");
    let _ = std::fs::remove_dir_all(&dir);
    let d = dir.to_string_lossy().into_owned();
    let (code, out, err) = run(&[
        "build",
        "dsl-examples/cuba.snn",
        "--target",
        "spinnaker",
        "-o",
        &d,
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("cores used"), "{out}");
    for f in [
        "report.json",
        "report.txt",
        "machine.json",
        "placements.txt",
        "routing_tables.txt",
    ] {
        assert!(dir.join(f).is_file(), "{f}");
    }
    let before = std::fs::read(dir.join("report.json")).unwrap();
    // Too big for one board: an error, and the earlier build stays.
    let (code, _, err) = run(&[
        "build",
        "dsl-examples/cuba.snn",
        "--target",
        "spinnaker",
        "--set",
        "n=400000",
        "-o",
        &d,
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("E0060"), "{err}");
    assert_eq!(std::fs::read(dir.join("report.json")).unwrap(), before);
    // An unknown machine is a diagnostic too.
    let (code, _, err) = run(&[
        "build",
        "dsl-examples/cuba.snn",
        "--target",
        "spinnaker",
        "--machine",
        "spinn7",
        "-o",
        &d,
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("E0063"), "{err}");
    assert_eq!(std::fs::read(dir.join("report.json")).unwrap(), before);
}

/// Runs the emulator on the build of `path` for `ms` and the simulator in
/// s16.15, as `spikec verify` does.
fn verified(path: &str, ms: f64, set: &[(&str, &str)]) -> spikec::build_spinnaker::Verification {
    let c = compile_rel(std::path::Path::new(path), &overrides(set));
    let net = c
        .network
        .as_ref()
        .unwrap_or_else(|| panic!("{}", rendered(&c)));
    spikec::build_spinnaker::verify(net, &spinn5(), ms).unwrap_or_else(|d| panic!("{d:?}"))
}

#[test]
fn spinnaker_emulator_matches_the_s1615_simulation_spike_for_spike() {
    for (path, ms, set) in [
        ("dsl-examples/cuba.snn", 30.0, vec![]),
        ("dsl-examples/coba.snn", 30.0, vec![]),
        ("dsl-examples/izhikevich.snn", 30.0, vec![]),
        ("dsl-examples/brunel.snn", 10.0, vec![("order", "250")]),
        (
            "dsl-examples/microcircuit.snn",
            10.0,
            vec![("N_scaling", "0.05"), ("K_scaling", "0.05")],
        ),
    ] {
        let v = verified(path, ms, &set);
        assert!(
            v.emulated.len() > 100,
            "{path}: only {} spikes",
            v.emulated.len()
        );
        assert!(v.synaptic_events > 0, "{path}");
        assert_eq!(v.first_difference(), None, "{path}");
        assert_eq!(v.emulated, v.simulated, "{path}");
    }
}

#[test]
fn spinnaker_emulator_runs_the_files_not_the_network() {
    // Damage what the build emitted and the emulator must see it: a core
    // without its synaptic matrix stops receiving; a chip without its
    // routing table stops forwarding.
    let c = compile_rel(std::path::Path::new("dsl-examples/cuba.snn"), &[]);
    let net = c.network.as_ref().unwrap();
    let art = build(net, &spinn5()).unwrap();
    let programs: Vec<_> = net
        .models
        .iter()
        .map(|(_, m)| spikec::passes::odes::program(m, net.semantics, net.timestep))
        .collect();
    let machine = spikec_spinnaker::machine::Machine::spinn5();
    let run = |files: &[(String, Vec<u8>)]| {
        spikec_spinnaker::emulator::emulate(&machine, files, net, &programs, 200).map(|e| e.spikes)
    };
    let good = run(&art.files).unwrap();
    assert!(!good.is_empty());
    let mut no_matrix = art.files.clone();
    let k = no_matrix
        .iter()
        .position(|(n, _)| n.ends_with("synapses.bin"))
        .unwrap();
    no_matrix.remove(k);
    assert_ne!(run(&no_matrix).unwrap(), good);
    let mut no_table = art.files.clone();
    no_table.retain(|(n, _)| n != "routing_tables/0_0.bin");
    // Packets injected on (0, 0) now match nothing there.
    assert!(run(&no_table).is_err());
    // A changed initial state is a changed run: every neuron of one core
    // starts above threshold.
    let mut heavier = art.files.clone();
    let (_, bytes) = heavier
        .iter_mut()
        .find(|(n, _)| n.ends_with("neurons.bin"))
        .unwrap();
    let mut core = NeuronCore::decode(bytes).unwrap();
    for v in core.init[0].iter_mut() {
        *v = 0;
    }
    *bytes = core.encode();
    assert_ne!(run(&heavier).unwrap(), good);
}

#[test]
fn spikec_verify_cli_reports_identity() {
    let (code, out, err) = run(&[
        "verify",
        "dsl-examples/cuba.snn",
        "--target",
        "spinnaker",
        "--duration",
        "20ms",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("identical to `spikec sim --precision s1615`"),
        "{out}"
    );
}

#[test]
fn spinnaker_population_limit_in_the_language_wins_over_the_default() {
    let src = "network npc {
  timestep 0.1 ms
  population E = IF_curr_exp[1000] { neurons_per_core 100, v = -60 mV }
  population I = IF_curr_exp[300] { neurons_per_core 64 }
  population F = IF_curr_exp[300]
  connect E -> I + F : fixed_probability(0.1) { port excitatory, weight 0.1 nA }
  connect I + F -> E : fixed_probability(0.1) { port inhibitory, weight -0.1 nA }
  record E.spikes
}";
    let net = crate::support::compile_ok("npc.snn", src, &[]);
    let req = SpinnakerRequest {
        neurons_per_core: Some(200),
        ..spinn5()
    };
    let a = build(&net, &req).unwrap();
    let per: Vec<(String, u32, usize)> = a
        .report
        .populations
        .iter()
        .map(|p| (p.name.clone(), p.neurons_per_core, p.cores))
        .collect();
    assert_eq!(
        per,
        vec![
            ("E".to_string(), 100, 10),
            ("I".to_string(), 64, 5),
            ("F".to_string(), 200, 2)
        ]
    );
}

#[test]
fn spinnaker_long_delays_go_through_delay_extension_cores() {
    // 12.3 ms is 123 steps. Four synapse types (two ports, both signs) and
    // 256-neuron slices take 8 + 2 of the ring buffer's 14 bits, leaving 4:
    // D = 16 slots, so the spike takes stage 7 (7 · 16 = 112 steps) of a
    // delay extension, then 11 steps in the ring buffer.
    let src = "network d {
  timestep 0.1 ms
  population S = SpikeSourceArray[256] { spike_times = [1 ms, 4 ms] }
  population T = IF_curr_delta[256]
  connect S -> T : one_to_one() { port excitatory, weight 20 mV, delay 12.3 ms }
  connect S -> T : one_to_one() { port excitatory, weight -0.001 mV }
  connect S -> T : one_to_one() { port inhibitory, weight 0.001 mV }
  connect S -> T : one_to_one() { port inhibitory, weight -0.001 mV }
  record T.spikes
}";
    let net = crate::support::compile_ok("d.snn", src, &[]);
    let a = build(&net, &spinn5()).unwrap();
    assert_eq!(a.report.delay_cores, 1, "{}", a.report.to_text());
    assert!(a.files.iter().any(|(n, _)| n.ends_with("delay.bin")));
    let v = spikec::build_spinnaker::verify(&net, &spinn5(), 30.0).unwrap();
    assert_eq!(v.first_difference(), None);
    // Every T neuron fires once per input spike, 12.3 ms after it: input at
    // the end of steps 9 and 39, arrival in steps 132 and 162.
    let t_steps: Vec<u64> = v
        .emulated
        .iter()
        .filter(|s| s.population == 1)
        .map(|s| s.step)
        .collect();
    assert_eq!(t_steps.len(), 512, "{t_steps:?}");
    assert!(t_steps[..256].iter().all(|&s| s == 132), "{t_steps:?}");
    assert!(t_steps[256..].iter().all(|&s| s == 162), "{t_steps:?}");
}

#[test]
fn spinnaker_heavy_synaptic_load_goes_to_synapse_cores() {
    // 300 neurons each receive 1000 Poisson inputs at 100 Hz: 25.6 M
    // synaptic events a second on a 256-neuron core, more than one core's
    // 13 M, so its synapses go to two synapse cores on its chip.
    let src = "network load {
  timestep 0.1 ms
  population P = SpikeSourcePoisson[1000] { rate = 100 Hz }
  population E = IF_curr_exp[300]
  population I = IF_curr_exp[100]
  connect P -> E : all_to_all() { port excitatory, weight 0.002 nA }
  connect E -> I : fixed_probability(0.2) { port excitatory, weight 0.5 nA, delay 5 ms }
  connect I -> E : fixed_probability(0.2) { port inhibitory, weight -0.5 nA, delay 8 ms }
  record E.spikes, I.spikes
}";
    let net = crate::support::compile_ok("load.snn", src, &[]);
    let a = build(&net, &spinn5()).unwrap();
    assert_eq!(a.report.synapse_cores, 2, "{}", a.report.to_text());
    let placements = file(&a, "placements.txt");
    let chips: Vec<&str> = placements
        .lines()
        .filter(|l| l.contains(" E 0..256 "))
        .map(|l| l.split(' ').next().unwrap())
        .collect();
    assert_eq!(chips.len(), 3, "{placements}");
    assert!(chips.iter().all(|c| *c == chips[0]), "{placements}");
    let v = spikec::build_spinnaker::verify(&net, &spinn5(), 30.0).unwrap();
    assert!(v.emulated.len() > 100);
    assert_eq!(v.first_difference(), None);
}

#[test]
fn spinnaker_colour_bits_widen_keys_and_keep_the_spikes() {
    let c = compile_rel(std::path::Path::new("dsl-examples/izhikevich.snn"), &[]);
    let net = c.network.as_ref().unwrap();
    let req = SpinnakerRequest {
        colour_bits: 3,
        ..spinn5()
    };
    let a = build(net, &req).unwrap();
    // Slices of 256 neurons: 8 index bits and 3 colour bits are free.
    let placements = file(&a, "placements.txt");
    let line = placements
        .lines()
        .find(|l| l.contains(" E 0..256 "))
        .unwrap();
    assert!(line.ends_with("0xfffff800"), "{line}");
    let v = spikec::build_spinnaker::verify(net, &req, 20.0).unwrap();
    assert!(v.emulated.len() > 100);
    assert_eq!(v.first_difference(), None);
    // The same spikes as without colours.
    let plain = spikec::build_spinnaker::verify(net, &spinn5(), 20.0).unwrap();
    assert_eq!(v.emulated, plain.emulated);
}

#[test]
fn spinnaker2_builds_write_wide_tables_and_verify() {
    // 16 neurons a core: 250 cores over two SpiNNaker2 chips, so routes
    // name processors far above the 17 a SpiNNaker1 route word holds.
    let c = compile_rel(std::path::Path::new("dsl-examples/cuba.snn"), &[]);
    let net = c.network.as_ref().unwrap();
    let req = SpinnakerRequest {
        machine: MachineSource::Preset("spinnaker2".into()),
        neurons_per_core: Some(16),
        colour_bits: 0,
    };
    let a = build(net, &req).unwrap();
    assert_eq!(a.report.cores_used, 250);
    assert!(a.report.chips_used >= 2, "{}", a.report.to_text());
    let tables: Vec<&str> = a
        .files
        .iter()
        .map(|(n, _)| n.as_str())
        .filter(|n| n.starts_with("routing_tables/"))
        .collect();
    assert!(!tables.is_empty());
    assert!(
        tables.iter().all(|n| n.ends_with(".wide.bin")),
        "{tables:?}"
    );
    let v = spikec::build_spinnaker::verify(net, &req, 10.0).unwrap();
    assert!(!v.emulated.is_empty());
    assert_eq!(v.first_difference(), None);
}
