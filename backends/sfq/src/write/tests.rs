//! Writer tests over small hand-built netlists.

use super::*;
use crate::netlist::tests::merge_then_split;
use crate::netlist::{Instance, Module, ModuleInstance, Netlist, Port, ValidNetlist};
use crate::tech::{CellKind, Technology};
use crate::tree::merger_tree;
use std::collections::BTreeMap;

fn merger3(tech: &Technology) -> ValidNetlist {
    let module = Module::from_tree("merger3", &merger_tree(3), tech).unwrap();
    Netlist {
        modules: vec![module],
        top: "merger3".into(),
    }
    .validate(tech)
    .unwrap()
}

/// `x` → synapse → neuron → `y`, with per-instance biases.
fn population(tech: &Technology) -> ValidNetlist {
    let mut m = Module::new("pop");
    m.ports = vec![Port::input("x"), Port::output("y")];
    m.instances = vec![
        Instance::new("syn0", CellKind::Synapse)
            .pin("a", "x")
            .pin("q", "s0")
            .bias("wbias", 131.5),
        Instance::new("neu0", CellKind::Neuron)
            .pin("a", "s0")
            .pin("q", "y")
            .bias("thbias", 140.0)
            .bias("lkbias", 150.0),
    ];
    Netlist {
        modules: vec![m],
        top: "pop".into(),
    }
    .validate(tech)
    .unwrap()
}

/// Two copies of the merger tree under one top.
fn two_mergers(tech: &Technology) -> ValidNetlist {
    let merge = Module::from_tree("merger3", &merger_tree(3), tech).unwrap();
    let mut top = Module::new("top");
    for copy in 0..2 {
        let mut inst = ModuleInstance::new(format!("u{copy}"), "merger3");
        for i in 0..3 {
            let port = format!("a{copy}_{i}");
            top.ports.push(Port::input(port.clone()));
            inst = inst.port(format!("in{i}"), port);
        }
        top.ports.push(Port::output(format!("y{copy}")));
        top.submodules.push(inst.port("out0", format!("y{copy}")));
    }
    Netlist {
        modules: vec![top, merge],
        top: "top".into(),
    }
    .validate(tech)
    .unwrap()
}

#[test]
fn verilog_of_a_three_input_merger_tree() {
    let tech = Technology::default();
    let text = verilog(&tech, &merger3(&tech));
    assert_eq!(
        text,
        "// spikec SFQ netlist: top `merger3`, technology `mitll-sfq5ee-rsfq`\n\
         \n\
         module merger3 (in0, in1, in2, out0);\n\
         \x20 input in0;\n\
         \x20 input in1;\n\
         \x20 input in2;\n\
         \x20 output out0;\n\
         \x20 wire merge_l1_0_q;\n\
         \n\
         \x20 MERGE merge_l0_0 (.a(merge_l1_0_q), .b(in2), .q(out0));\n\
         \x20 MERGE merge_l1_0 (.a(in0), .b(in1), .q(merge_l1_0_q));\n\
         endmodule\n"
    );
}

#[test]
fn verilog_puts_children_first_and_biases_in_attributes() {
    let tech = Technology::default();
    let text = verilog(&tech, &merge_then_split(&tech).validate(&tech).unwrap());
    let merger = text.find("module merger3 ").unwrap();
    let splitter = text.find("module splitter3 ").unwrap();
    let top = text.find("module top ").unwrap();
    assert!(merger < splitter && splitter < top, "{text}");
    assert!(text.contains(
        "  merger3 u_merge (.in0(a0), .in1(a1), .in2(a2), .out0(mid));\n\
         \x20 splitter3 u_split (.in0(mid), .out0(y0), .out1(y1), .out2(y2));\n\
         endmodule\n"
    ));
    let pop = verilog(&tech, &population(&tech));
    assert!(pop.contains(
        "  (* lkbias_ua = \"150\" *)\n\
         \x20 (* thbias_ua = \"140\" *)\n\
         \x20 NEURON neu0 (.a(s0), .ainh(), .q(y));\n\
         \x20 (* wbias_ua = \"131.5\" *)\n\
         \x20 SYNAPSE syn0 (.a(x), .q(s0));\n"
    ));
}

/// Per subcircuit: its `IB` currents summed (µA) and its junction count.
fn subckt_figures(deck: &str) -> BTreeMap<String, (f64, u32)> {
    let mut out = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in deck.lines() {
        let upper = line.to_ascii_uppercase();
        if let Some(rest) = upper.strip_prefix(".SUBCKT ") {
            let name = rest.split_whitespace().next().unwrap().to_string();
            assert!(out.insert(name.clone(), (0.0, 0)).is_none(), "{name} twice");
            current = Some(name);
        } else if upper.starts_with(".ENDS") {
            current = None;
        } else if let Some(name) = &current {
            let entry = out.get_mut(name).unwrap();
            if upper.starts_with("IB") {
                entry.0 += final_pwl_ua(line);
            } else if upper.starts_with('B') {
                entry.1 += 1;
            }
        }
    }
    out
}

/// The last value of a `pwl(... 5p 175u)` source, µA.
fn final_pwl_ua(line: &str) -> f64 {
    let last = line.split_whitespace().last().unwrap();
    last.trim_end_matches(')')
        .trim_end_matches('u')
        .parse()
        .unwrap()
}

/// Checks the deck's structure against the report; gives the X count.
fn check_deck(tech: &Technology, netlist: &ValidNetlist, deck: &str) -> usize {
    let subckts = subckt_figures(deck);
    let rep = report(tech, netlist);
    // Each used cell's subcircuit once, and only those.
    let used: Vec<&str> = rep
        .cells
        .keys()
        .map(|&k| tech.cell(k).subcircuit_name())
        .collect();
    let mut names: Vec<&str> = subckts.keys().map(String::as_str).collect();
    names.sort();
    let mut used_sorted = used.clone();
    used_sorted.sort();
    assert_eq!(names, used_sorted);
    assert!(
        subckts.values().all(|&(_, jjs)| jjs > 0),
        "every cell has junctions"
    );
    let mut xs = 0;
    let mut jjs = 0;
    let mut bias = 0.0;
    for line in deck.lines() {
        let mut tokens = line.split_whitespace();
        match tokens.next() {
            Some(label) if label.starts_with('X') => {
                let (b, j) = subckts[tokens.next().unwrap()];
                xs += 1;
                jjs += u64::from(j);
                bias += b;
            }
            Some(label) if label.starts_with("IBIAS") => bias += final_pwl_ua(line),
            _ => {}
        }
        assert!(
            !line.starts_with(|c: char| c.is_ascii_alphabetic())
                || !line.contains('_')
                || line.starts_with(".model"),
            "JoSIM reserves `_`: {line}"
        );
    }
    assert_eq!(xs as u64, rep.total.cells, "one X line per instance");
    assert_eq!(jjs, rep.total.jjs);
    assert!(
        (bias - rep.total.bias_ua).abs() < 1e-9,
        "{bias} vs {}",
        rep.total.bias_ua
    );
    xs
}

#[test]
fn josim_deck_has_each_subckt_once_and_balanced_bias() {
    let tech = Technology::default();
    let joined = merge_then_split(&tech).validate(&tech).unwrap();
    let deck = josim(&tech, &joined, &JosimOptions::default()).unwrap();
    assert_eq!(check_deck(&tech, &joined, &deck), 4);
    assert_eq!(deck.matches(".subckt").count(), 2);
    assert!(deck.contains(&format!("{}\n", tech.jj_model())));
    assert!(deck.contains("\n.tran 0.025p 200p\n"));
    // Outputs: the node voltage and the phase of the driving cell's input
    // junction (splitter X4 drives two outputs, X3 the third).
    assert!(
        deck.ends_with(
            ".print V(n4)\n.print PHASE B1|X4\n.print V(n5)\n.print PHASE B1|X4\n\
             .print V(n6)\n.print PHASE B1|X3\n.end\n"
        ),
        "{deck}"
    );
    // The top net `mid` is one node shared by the merger's output and the
    // splitter's input.
    assert!(
        deck.contains("* X2: u_merge/merge_l1_0\nX2 MERGE n1 n2 n8\n"),
        "{deck}"
    );
    assert!(
        deck.contains("* X1: u_merge/merge_l0_0\nX1 MERGE n8 n3 n7\n"),
        "{deck}"
    );
    assert!(
        deck.contains("* X3: u_split/split_l0_0\nX3 SPLIT n7 n9 n6\n"),
        "{deck}"
    );

    let pop = population(&tech);
    let options = JosimOptions {
        stimuli: vec![Stimulus {
            port: "x".into(),
            times_ps: vec![100.0, 120.5],
        }],
        ..JosimOptions::default()
    };
    let deck = josim(&tech, &pop, &options).unwrap();
    assert_eq!(check_deck(&tech, &pop, &deck), 2);
    assert_eq!(
        deck.matches("IBIAS").count(),
        6,
        "3 bias lines, comment and source"
    );
    assert!(deck.contains("X1 NEURON n3 0 n2 n4 n5\n"), "{deck}");
    assert!(deck.contains("IBIAS1 0 n4 pwl(0 0 5p 140u)\n"), "{deck}");
    assert!(
        deck.contains("IIN1 0 n1 pwl(0 0 100p 0 103p 600u 105p 0 120.5p 0 123.5p 600u 125.5p 0)\n")
    );
    assert!(deck.contains("RLOAD1 n2 0 2\n"));
    assert!(deck.contains("\n.tran 0.025p 325.5p\n"));
}

#[test]
fn josim_rejects_bad_stimuli() {
    let tech = Technology::default();
    let pop = population(&tech);
    let with = |port: &str, times: Vec<f64>| JosimOptions {
        stimuli: vec![Stimulus {
            port: port.into(),
            times_ps: times,
        }],
        ..JosimOptions::default()
    };
    assert!(matches!(
        josim(&tech, &pop, &with("y", vec![10.0])),
        Err(JosimError::UnknownPort { .. })
    ));
    assert!(matches!(
        josim(&tech, &pop, &with("x", vec![10.0, 12.0])),
        Err(JosimError::BadTimes { .. })
    ));
    assert!(matches!(
        josim(&tech, &pop, &with("x", vec![0.0])),
        Err(JosimError::BadTimes { .. })
    ));
    let bad_step = JosimOptions {
        step_ps: 0.0,
        ..JosimOptions::default()
    };
    assert_eq!(
        josim(&tech, &pop, &bad_step),
        Err(JosimError::BadOption { field: "step_ps" })
    );
}

#[test]
fn report_totals_are_hand_sums_of_the_cell_figures() {
    let tech = Technology::default();
    // MERGE: 7 JJs, 945 µA, 2100 µm²; SPLIT: 3 JJs, 600 µA, 2100 µm²;
    // rail 2.5 mV.
    let rep = report(&tech, &merge_then_split(&tech).validate(&tech).unwrap());
    assert_eq!(rep.total.cells, 4);
    assert_eq!(rep.total.jjs, 2 * 7 + 2 * 3);
    assert!((rep.total.bias_ua - (2.0 * 945.0 + 2.0 * 600.0)).abs() < 1e-9);
    assert!((rep.total.power_uw - 3090.0 * 2.5 / 1000.0).abs() < 1e-9);
    assert!((rep.total.area_um2 - 4.0 * 2100.0).abs() < 1e-9);
    let top = rep.modules.iter().find(|m| m.module == "top").unwrap();
    assert_eq!(top.totals.cells, 0);

    // A module used twice counts twice.
    let rep = report(&tech, &two_mergers(&tech));
    assert_eq!(rep.modules[0].module, "merger3");
    assert_eq!(rep.modules[0].instantiations, 2);
    assert_eq!(rep.modules[0].totals.jjs, 14);
    assert_eq!(rep.cells[&CellKind::Merge], 4);
    assert_eq!(rep.total.jjs, 28);
    assert!((rep.total.bias_ua - 4.0 * 945.0).abs() < 1e-9);

    // Programmable biases are the instances' own, not the nominal ones:
    // SYNAPSE 5 JJs, 525 + 131.5 µA; NEURON 10 JJs, 875 + 140 + 150 µA.
    let rep = report(&tech, &population(&tech));
    assert_eq!(rep.total.jjs, 15);
    assert!((rep.total.bias_ua - 1821.5).abs() < 1e-9);
    assert!((rep.total.power_uw - 1821.5 * 2.5 / 1000.0).abs() < 1e-9);
    assert!((rep.total.area_um2 - 7000.0).abs() < 1e-9);
    assert_eq!(
        rep.to_text(),
        "SFQ resources: top `pop`, technology `mitll-sfq5ee-rsfq`\n\
         \n\
         module pop (x1, own cells once)\n\
         \x20 cells      2 (synapse 1, neuron 1)\n\
         \x20 junctions  15\n\
         \x20 bias       1821.5 uA\n\
         \x20 power      4.554 uW\n\
         \x20 area       7000 um2\n\
         \n\
         total (flattened)\n\
         \x20 cells      2 (synapse 1, neuron 1)\n\
         \x20 junctions  15\n\
         \x20 bias       1821.5 uA\n\
         \x20 power      4.554 uW\n\
         \x20 area       7000 um2\n"
    );
    let json: serde_json::Value = serde_json::from_str(&rep.to_json()).unwrap();
    assert_eq!(json["total"]["jjs"], 15);
    assert_eq!(json["total"]["cells_by_kind"]["neuron"], 1);
    assert_eq!(json["modules"][0]["instantiations"], 1);
}

#[test]
fn netlist_json_lists_modules_nets_and_bias_lines() {
    let tech = Technology::default();
    let text = netlist_json(&tech, &population(&tech));
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["top"], "pop");
    assert_eq!(json["technology"], "mitll-sfq5ee-rsfq");
    let inst = &json["modules"][0]["instances"][1];
    assert_eq!(inst["name"], "syn0");
    assert_eq!(inst["kind"], "synapse");
    assert_eq!(inst["subcircuit"], "SYNAPSE");
    assert_eq!(inst["connections"]["q"], "s0");
    assert_eq!(inst["bias_ua"]["wbias"], 131.5);
    let net = &json["modules"][0]["nets"][0];
    assert_eq!(net["name"], "s0");
    assert_eq!(net["driver"], "syn0.q");
    assert_eq!(net["sinks"][0], "neu0.a");
    let lines = json["bias_lines"].as_array().unwrap();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[2]["instance"], "syn0");

    let nested = netlist_json(&tech, &two_mergers(&tech));
    let json: serde_json::Value = serde_json::from_str(&nested).unwrap();
    assert_eq!(json["modules"][1]["submodules"][0]["module"], "merger3");
}

#[test]
fn outputs_are_byte_identical_across_runs_and_input_orders() {
    let tech = Technology::default();
    let a = merge_then_split(&tech);
    let mut b = merge_then_split(&tech);
    b.modules.reverse();
    for m in &mut b.modules {
        m.instances.reverse();
        m.submodules.reverse();
    }
    let a = a.validate(&tech).unwrap();
    let b = b.validate(&tech).unwrap();
    let options = JosimOptions {
        stimuli: vec![Stimulus {
            port: "a1".into(),
            times_ps: vec![50.0],
        }],
        ..JosimOptions::default()
    };
    let all = |n: &ValidNetlist| {
        [
            netlist_json(&tech, n),
            verilog(&tech, n),
            josim(&tech, n, &options).unwrap(),
            report(&tech, n).to_text(),
            report(&tech, n).to_json(),
        ]
    };
    assert_eq!(all(&a), all(&a));
    assert_eq!(all(&a), all(&b));
}
