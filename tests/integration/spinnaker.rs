//! The SpiNNaker backend end to end: every example maps onto one SpiNN-5
//! board, and its report, placements and routing tables are golden files
//! (the build itself proves each compressed table equivalent to the
//! generated one and traces every sender's key through the tables to its
//! targets). The microcircuit is pinned at a tenth of its size and
//! in-degree: at full scale it is a benchmark (`bench/spinnaker`).

use crate::support::{compile_rel, overrides, rel, rendered, root, run, snn_files};
use spikec::build_spinnaker::{build, MachineSource, SpinnakerRequest};
use spikec_spinnaker::Artifacts;

fn spinn5() -> SpinnakerRequest {
    SpinnakerRequest {
        machine: MachineSource::Preset("spinn5".into()),
        neurons_per_core: None,
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
