//! The SFQ backend end to end: the two SFQ examples build, their netlists
//! and reports are golden files, the report's figures add up from the
//! technology file, the JoSIM deck is consistent with the netlist, the
//! XOR classifies its four cases on the pulse-level simulator, the 64-32-10
//! network splits over chips and verifies, and models the neuron cell
//! cannot realise are refused.

use std::collections::BTreeMap;

use crate::support::{compile_ok, compile_rel, overrides, rendered, root, run, CwdGuard};
use spikec::build_sfq::verify::{classify, input_rate, verify, verify_clocked, SfqVerification};
use spikec::build_sfq::{self, SfqArtifacts, SfqRequest};
use spikec::driver::Override;
use spikec_sfq::lower::PopulationCells;
use spikec_sfq::tech::{CellKind, Technology};

fn build_file(rel: &str, set: &[Override], chip: Option<&str>) -> SfqArtifacts {
    build_clocked(rel, set, chip, None)
}

fn build_clocked(
    rel: &str,
    set: &[Override],
    chip: Option<&str>,
    clock_ms: Option<f64>,
) -> SfqArtifacts {
    let c = compile_rel(std::path::Path::new(rel), set);
    let net = c
        .network
        .as_ref()
        .unwrap_or_else(|| panic!("{}", rendered(&c)));
    let req = SfqRequest {
        chip: chip.map(str::to_string),
        deck_ms: 2e-6,
        clock_ms,
        ..SfqRequest::default()
    };
    let _guard = CwdGuard::enter(&root());
    build_sfq::build(net, &req).unwrap_or_else(|d| panic!("{rel}: {d:?}"))
}

fn file<'a>(a: &'a SfqArtifacts, name: &str) -> &'a str {
    let bytes = &a
        .files
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no {name}"))
        .1;
    std::str::from_utf8(bytes).expect("text")
}

#[test]
fn sfq_examples_golden() {
    let xor = build_file("dsl-examples/xor_sfq.snn", &[], None);
    insta::assert_snapshot!("sfq_xor_netlist_v", file(&xor, "netlist.v"));
    insta::assert_snapshot!("sfq_xor_report", file(&xor, "report.txt"));
    insta::assert_snapshot!("sfq_xor_deck", file(&xor, "deck.cir"));
    let ff = build_file("dsl-examples/sfq_ff.snn", &[], Some("jj=6000,pins=64"));
    insta::assert_snapshot!("sfq_ff_report", file(&ff, "report.txt"));
    // The same input gives the same files.
    let again = build_file("dsl-examples/sfq_ff.snn", &[], Some("jj=6000,pins=64"));
    assert_eq!(ff.files, again.files);
}

/// Cell counts of the flattened netlist, recounted from `netlist.json`.
fn flattened_cells(json: &serde_json::Value) -> BTreeMap<String, u64> {
    let modules: BTreeMap<String, &serde_json::Value> = json["modules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["name"].as_str().unwrap().to_string(), m))
        .collect();
    fn visit(
        name: &str,
        modules: &BTreeMap<String, &serde_json::Value>,
        out: &mut BTreeMap<String, u64>,
    ) {
        let m = modules[name];
        for inst in m["instances"].as_array().unwrap() {
            *out.entry(inst["kind"].as_str().unwrap().to_string())
                .or_default() += 1;
        }
        for child in m["submodules"].as_array().unwrap() {
            visit(child["module"].as_str().unwrap(), modules, out);
        }
    }
    let mut out = BTreeMap::new();
    visit(json["top"].as_str().unwrap(), &modules, &mut out);
    out
}

#[test]
fn sfq_report_figures_follow_from_the_technology_file() {
    let tech = Technology::default();
    for (rel, chip) in [
        ("dsl-examples/xor_sfq.snn", None),
        ("dsl-examples/sfq_ff.snn", Some("jj=6000,pins=64")),
    ] {
        let a = build_file(rel, &[], chip);
        let netlist: serde_json::Value = serde_json::from_str(file(&a, "netlist.json")).unwrap();
        let report: serde_json::Value = serde_json::from_str(file(&a, "report.json")).unwrap();
        let cells = flattened_cells(&netlist);
        let kind = |k: &str| CellKind::ALL.into_iter().find(|c| c.key() == k).unwrap();
        let jjs: u64 = cells
            .iter()
            .map(|(k, n)| u64::from(tech.cell(kind(k)).jjs) * n)
            .sum();
        let area: f64 = cells
            .iter()
            .map(|(k, n)| tech.cell(kind(k)).area_um2 * *n as f64)
            .sum();
        let total = &report["total"];
        assert_eq!(total["jj_count"].as_u64(), Some(jjs), "{rel}");
        assert!(
            (total["area_mm2"].as_f64().unwrap() - area / 1e6).abs() < 1e-9,
            "{rel}"
        );
        // Power is bias times the 2.5 mV rail; bias is the fixed biases plus
        // every instance's programmable ones, which the deck's sources sum.
        let bias_ma = total["bias_current_ma"].as_f64().unwrap();
        let power = total["static_power_mw"].as_f64().unwrap();
        assert!(
            (power - bias_ma * tech.bias_voltage_mv() / 1000.0).abs() < 1e-9,
            "{rel}"
        );
        let deck = file(&a, "deck.cir");
        let fixed: f64 = cells
            .iter()
            .map(|(k, n)| tech.cell(kind(k)).bias_ua * *n as f64)
            .sum();
        let programmable: f64 = deck
            .lines()
            .filter(|l| l.starts_with("IBIAS"))
            .map(|l| {
                let ua = l
                    .rsplit(' ')
                    .next()
                    .unwrap()
                    .trim_end_matches(')')
                    .trim_end_matches('u');
                ua.parse::<f64>().unwrap()
            })
            .sum();
        assert!(
            ((fixed + programmable) / 1000.0 - bias_ma).abs() < 1e-6,
            "{rel}: {bias_ma} mA"
        );
        // Populations add up to the total; chips hold every junction once.
        let pops = report["populations"].as_array().unwrap();
        let sum: u64 = pops.iter().map(|p| p["jj_count"].as_u64().unwrap()).sum();
        assert_eq!(sum, jjs, "{rel}");
        let chips: u64 = report["chips"]["per_chip"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["jj_count"].as_u64().unwrap())
            .sum();
        assert_eq!(chips, jjs, "{rel}");
        // Energy: about Ic·Φ0 per switching junction.
        let e = total["energy_per_pulse_j"].as_f64().unwrap();
        let ic_phi0 = 250e-6 * 2.067_833_848e-15;
        assert!(e > 5.0 * ic_phi0 && e < 200.0 * ic_phi0, "{rel}: {e}");
        // One bias line per synapse and two per neuron.
        let lines = cells.get("synapse").copied().unwrap_or(0)
            + 2 * cells.get("neuron").copied().unwrap_or(0);
        assert_eq!(total["bias_lines"].as_u64(), Some(lines), "{rel}");
    }
}

#[test]
fn sfq_deck_is_consistent_with_the_netlist() {
    let a = build_file("dsl-examples/xor_sfq.snn", &[], None);
    let deck = file(&a, "deck.cir");
    // Every subcircuit once, every X line names one with as many nodes as
    // it has ports, every junction has the model, and the deck ends with a
    // transient analysis and a phase print per output.
    let mut ports: BTreeMap<String, usize> = BTreeMap::new();
    for line in deck.lines().filter(|l| l.starts_with(".subckt")) {
        let words: Vec<&str> = line.split_whitespace().collect();
        assert!(
            ports
                .insert(words[1].to_string(), words.len() - 2)
                .is_none(),
            "{line}"
        );
    }
    let mut xs = 0;
    for line in deck.lines().filter(|l| l.starts_with('X')) {
        let words: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(words.len() - 2, ports[words[1]], "{line}");
        xs += 1;
    }
    assert_eq!(
        xs,
        flattened_cells(&serde_json::from_str(file(&a, "netlist.json")).unwrap())
            .values()
            .sum::<u64>()
    );
    assert!(deck
        .lines()
        .filter(|l| l.starts_with('B'))
        .all(|l| l.contains(" jjmit ")));
    assert!(deck.contains("\n.tran 0.025p "), "{deck}");
    assert_eq!(
        deck.matches(".print PHASE B1|X").count(),
        1,
        "one output, Out_0"
    );
    assert!(deck.ends_with(".end\n"));
    // The stimuli are the sources' spikes of the first 2 ns.
    let pulses: usize = deck
        .lines()
        .filter(|l| l.starts_with("IIN"))
        .map(|l| l.matches("600u").count())
        .sum();
    assert!(pulses > 0, "{deck}");
}

fn verify_case(rel: &str, set: &[(&str, &str)], duration_ms: f64) -> SfqVerification {
    let c = compile_rel(std::path::Path::new(rel), &overrides(set));
    let net = c
        .network
        .as_ref()
        .unwrap_or_else(|| panic!("{}", rendered(&c)));
    verify(net, &Technology::default(), duration_ms).unwrap_or_else(|d| panic!("{d:?}"))
}

#[test]
fn xor_classifies_all_four_cases_on_the_pulse_simulator() {
    let mut runs = Vec::new();
    for (a, b, high) in [
        ("0", "0", false),
        ("1", "0", true),
        ("0", "1", true),
        ("1", "1", false),
    ] {
        let v = verify_case("dsl-examples/xor_sfq.snn", &[("a", a), ("b", b)], 200e-6);
        assert!(v.ok(), "a={a} b={b}: {:?}", v.outputs);
        assert_eq!(v.outputs.len(), 1);
        runs.push((high, v));
    }
    let refs: Vec<&SfqVerification> = runs.iter().map(|r| &r.1).collect();
    // A and B switch between cases; the bias train does not.
    let input = input_rate(&refs);
    assert!((input - 2.0).abs() < 0.3, "{input}");
    let triples: Vec<(bool, f64, f64)> = runs
        .iter()
        .map(|(h, v)| (*h, v.ghz(v.outputs[0].circuit), input))
        .collect();
    let c = classify(&triples);
    assert_eq!((c.correct, c.cases), (4, 4), "{c:?}");
    assert!(c.margin.unwrap() > 0.1, "{c:?}");
    // The circuit is stochastic: its synapses passed and blocked pulses.
    assert!(runs[1].1.stats.synapse_blocked > 0);
}

#[test]
fn classification_needs_every_high_rate_above_every_low_one() {
    let separated = classify(&[
        (true, 0.4, 2.0),
        (true, 0.5, 2.0),
        (false, 0.1, 2.0),
        (false, 0.0, 2.0),
    ]);
    assert_eq!((separated.correct, separated.cases), (4, 4));
    assert!((separated.margin.unwrap() - (0.4 - 0.1) / 2.0).abs() < 1e-12);
    // A high case below a low one: not separable, negative margin; the
    // midpoint 0.15 puts both the 0.1 high and the 0.2 low on the wrong side.
    let overlapping = classify(&[(true, 0.1, 2.0), (true, 0.5, 2.0), (false, 0.2, 2.0)]);
    assert_eq!(overlapping.correct, 1);
    assert!(overlapping.margin.unwrap() < 0.0);
    let tied = classify(&[(true, 0.2, 2.0), (false, 0.2, 2.0)]);
    assert_eq!(tied.correct, 1);
}

#[test]
fn xor_in_clocked_mode_serialises_fan_in_and_still_classifies() {
    let period_ms = 50e-9;
    let a = build_clocked("dsl-examples/xor_sfq.snn", &[], None, Some(period_ms));
    insta::assert_snapshot!("sfq_xor_clocked_report", file(&a, "report.txt"));
    let clock = a.report.clock.as_ref().expect("clocked");
    assert_eq!(clock.period_ps, 50.0);
    assert!(clock.min_period_ps < 50.0);
    // One DFF per synapse; the deck drives the clock port.
    let dffs = a.report.total.cells_by_kind.get("dff").copied();
    assert_eq!(dffs, a.report.total.cells_by_kind.get("synapse").copied());
    assert!(
        file(&a, "deck.cir").contains(": clk\nIIN"),
        "the clock is driven"
    );
    let mut triples = Vec::new();
    for (av, bv, high) in [
        ("0", "0", false),
        ("1", "0", true),
        ("0", "1", true),
        ("1", "1", false),
    ] {
        let c = compile_rel(
            std::path::Path::new("dsl-examples/xor_sfq.snn"),
            &overrides(&[("a", av), ("b", bv)]),
        );
        let net = c.network.as_ref().unwrap();
        let v = verify_clocked(net, &Technology::default(), 200e-6, Some(period_ms)).unwrap();
        assert!(v.ok(), "{:?}", v.outputs);
        // Mergers never see two pulses at once in clocked mode.
        assert_eq!(v.stats.merge_collisions, 0);
        triples.push((high, v.ghz(v.outputs[0].circuit), 2.0));
    }
    let c = classify(&triples);
    assert_eq!((c.correct, c.cases), (4, 4), "{c:?}");
}

#[test]
fn sfq_ff_splits_over_chips_and_verifies() {
    let a = build_file("dsl-examples/sfq_ff.snn", &[], Some("jj=6000,pins=64"));
    let p = &a.partition;
    assert!(p.chips.len() >= 3, "{} chips", p.chips.len());
    for chip in &p.chips {
        assert!(chip.jjs <= 6000 && chip.pins <= 64, "{chip:?}");
    }
    // Each hidden neuron stays on one chip with its synapses: the chips'
    // junctions add up to the design's.
    assert_eq!(
        p.chips.iter().map(|c| c.jjs).sum::<u64>(),
        a.report.total.jj_count
    );
    let v = verify_case("dsl-examples/sfq_ff.snn", &[], 100e-6);
    assert_eq!(v.outputs.len(), 10);
    assert!(v.ok(), "{:?}", v.outputs);
    assert!(v.outputs.iter().any(|o| o.circuit > 20), "{:?}", v.outputs);
}

const SOURCES: &str = "population S = SpikeSourcePoisson[8] { rate = 1 GHz }";

fn lower(src: &str) -> Result<spikec_sfq::lower::Design, Vec<spikec::diag::Diagnostic>> {
    let net = compile_ok("t.snn", src, &[]);
    build_sfq::lower(&net, &Technology::default(), None)
}

#[test]
fn lowering_realises_thresholds_weights_and_trees() {
    let src = format!(
        "neuron cell {{ parameter th = 15 mV\n state v = 0 mV\n v' = -v / 2 ns\n \
         input excitatory -> v, inhibitory -> v\n spike v >= th {{ v = 0 mV }} }}\n\
         network T {{ timestep 1 ps\n {SOURCES}\n population N = cell[2]\n \
         connect S -> N[0] : all_to_all() {{ port excitatory, weight 5 mV }}\n \
         connect S[0] -> N[1] : all_to_all() {{ port excitatory, weight 2.5 mV }}\n \
         connect S[1] -> N[1] : all_to_all() {{ port inhibitory, weight -5 mV }}\n \
         record N.spikes }}"
    );
    let d = lower(&src).unwrap_or_else(|e| panic!("{e:?}"));
    let tech = Technology::default();
    let PopulationCells::Neurons { neurons, .. } = &d.populations[1] else {
        panic!("N is neurons")
    };
    // 15 mV over 5 mV weights: threshold 3 pulses, each synapse passes all.
    assert_eq!(neurons[0].pulses, 3);
    assert_eq!(neurons[0].fan_in, (8, 0));
    assert_eq!(
        tech.neuron()
            .threshold_for_bias(neurons[0].threshold_bias_ua),
        Some(3)
    );
    // 1 / 2 ns leak, realised by the leak table within 5 %.
    assert!(
        (neurons[0].leak_per_ns - 0.5).abs() < 0.025,
        "{}",
        neurons[0].leak_per_ns
    );
    // N[1]: 2.5 mV passes half the pulses at the same threshold.
    assert_eq!(neurons[1].pulses, 3);
    assert_eq!(neurons[1].fan_in, (1, 1));
    let json: serde_json::Value =
        serde_json::from_str(&spikec_sfq::write::netlist_json(&tech, &d.netlist)).unwrap();
    let cells = flattened_cells(&json);
    // Each source fans out to N[0] and perhaps N[1]: S_0 and S_1 feed two
    // synapses (one splitter each); the merger tree into N[0] has 7 merges.
    assert_eq!(cells["split"], 2);
    assert_eq!(cells["merge"], 7);
    assert_eq!(cells["synapse"], 10);
    assert_eq!(cells["dcsfq"], 8);
    assert_eq!(cells["sfqdc"], 2, "N is recorded: two monitors");
    let text = json.to_string();
    let half = tech.synapse_setting(0.5).bias_ua;
    assert!(
        text.contains(&format!("\"wbias\":{half}")),
        "p = 0.5 at {half} uA: {text}"
    );
}

#[test]
fn neurons_without_inputs_of_a_sign_leave_those_inputs_open() {
    // A: inhibitory input only; B: no input at all. Both lower, and the
    // circuit, like the network, stays silent.
    let src = "neuron cell { parameter th = 15 mV\n state v = 0 mV\n \
               input excitatory -> v, inhibitory -> v\n spike v >= th { v = 0 mV } }\n\
               network T { timestep 1 ps\n population S = SpikeSourcePoisson[1] { rate = 1 GHz }\n \
               population A = cell[1]\n population B = cell[1]\n \
               connect S -> A : all_to_all() { port inhibitory, weight -15 mV }\n \
               record A.spikes, B.spikes }";
    let d = lower(src).unwrap_or_else(|e| panic!("{e:?}"));
    let PopulationCells::Neurons { neurons, .. } = &d.populations[1] else {
        panic!("A is neurons")
    };
    assert_eq!(neurons[0].fan_in, (0, 1));
    let net = compile_ok("t.snn", src, &[]);
    let v = verify(&net, &Technology::default(), 20e-6).unwrap_or_else(|d| panic!("{d:?}"));
    assert_eq!(v.outputs.len(), 2);
    assert!(v
        .outputs
        .iter()
        .all(|o| o.circuit == 0 && o.simulated == 0 && o.ok()));
}

#[test]
fn models_the_neuron_cell_cannot_realise_are_refused() {
    let cases = [
        ("IF_curr_exp[1] { tau_refrac = 0 ms }", "1 nA", "states"),
        ("IF_cond_exp[1] { tau_refrac = 0 ms }", "1 nS", "nonlinear"),
        (
            "IF_curr_delta[1] { tau_refrac = 0 ms, i_offset = 1 nA, tau_m = 1 ns }",
            "1 mV",
            "drifts",
        ),
        (
            "IF_curr_delta[1] { tau_refrac = 0 ms, v_rest = -60 mV, tau_m = 1 ns }",
            "1 mV",
            "drifts",
        ),
        ("Izhikevich[1]", "1 mV", "nonlinear"),
    ];
    for (pop, weight, why) in cases {
        let src = format!(
            "network T {{ timestep 1 ps\n {SOURCES}\n population N = {pop}\n \
             connect S -> N : all_to_all() {{ port excitatory, weight {weight} }}\n record N.spikes }}"
        );
        let e = lower(&src).err().unwrap_or_else(|| panic!("{pop} lowered"));
        assert_eq!(e[0].code, "E0067", "{pop}");
        assert!(e[0].message.contains(why), "{pop}: {}", e[0].message);
    }
}

#[test]
fn sfq_cli_builds_verifies_and_a_failed_build_leaves_the_old_output() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("sfq_cli");
    let _ = std::fs::remove_dir_all(&dir);
    let d = dir.to_string_lossy().into_owned();
    let (code, out, err) = run(&[
        "build",
        "dsl-examples/xor_sfq.snn",
        "--target",
        "sfq",
        "-o",
        &d,
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("1 chip"), "{out}");
    for f in [
        "netlist.json",
        "netlist.v",
        "deck.cir",
        "report.json",
        "report.txt",
    ] {
        assert!(dir.join(f).is_file(), "{f}");
    }
    let before = std::fs::read(dir.join("netlist.v")).unwrap();
    // An unrealisable model: exit 1, the diagnostic, the old files kept.
    let bad = dir.with_extension("snn");
    std::fs::write(
        &bad,
        format!("network B {{ timestep 1 ps\n {SOURCES}\n population N = izhikevich[1]\n connect S -> N : all_to_all() {{ port excitatory, weight 1 mV }}\n record N.spikes }}\n"),
    )
    .unwrap();
    let (code, _, err) = run(&["build", &bad.to_string_lossy(), "--target", "sfq", "-o", &d]);
    assert_eq!(code, 1);
    assert!(err.contains("E0067"), "{err}");
    assert_eq!(std::fs::read(dir.join("netlist.v")).unwrap(), before);
    // A bad budget is a diagnostic too.
    let (code, _, err) = run(&[
        "build",
        "dsl-examples/xor_sfq.snn",
        "--target",
        "sfq",
        "--chip",
        "luts=4",
        "-o",
        &d,
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("E0069"), "{err}");
    let (code, out, err) = run(&[
        "verify",
        "dsl-examples/xor_sfq.snn",
        "--target",
        "sfq",
        "--duration",
        "100 ns",
        "--case",
        "a=0,b=0 -> low",
        "--case",
        "a=1,b=0 -> high",
        "--case",
        "a=0,b=1 -> high",
        "--case",
        "a=1,b=1 -> low",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("classification: 4 of 4 cases correct"),
        "{out}"
    );
    assert!(out.contains("margin "), "{out}");
    // Expecting the wrong outputs fails.
    let (code, out, _) = run(&[
        "verify",
        "dsl-examples/xor_sfq.snn",
        "--target",
        "sfq",
        "--duration",
        "100 ns",
        "--case",
        "a=0,b=0 -> high",
        "--case",
        "a=1,b=0 -> low",
    ]);
    assert_eq!(code, 1, "{out}");
    let (code, _, err) = run(&[
        "verify",
        "dsl-examples/xor_sfq.snn",
        "--target",
        "sfq",
        "--case",
        "a=1 -> maybe",
    ]);
    assert_eq!(code, 2, "{err}");
}
