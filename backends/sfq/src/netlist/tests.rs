//! Validation and tree conversion.

use super::*;
use crate::tree::{merger_tree, splitter_tree};

/// A 3-input merger tree feeding a 3-way splitter tree.
pub(crate) fn merge_then_split(tech: &Technology) -> Netlist {
    let merge = Module::from_tree("merger3", &merger_tree(3), tech).unwrap();
    let split = Module::from_tree("splitter3", &splitter_tree(3), tech).unwrap();
    let mut top = Module::new("top");
    let mut m = ModuleInstance::new("u_merge", "merger3").port("out0", "mid");
    let mut s = ModuleInstance::new("u_split", "splitter3").port("in0", "mid");
    for i in 0..3 {
        top.ports.push(Port::input(format!("a{i}")));
        m = m.port(format!("in{i}"), format!("a{i}"));
    }
    for i in 0..3 {
        top.ports.push(Port::output(format!("y{i}")));
        s = s.port(format!("out{i}"), format!("y{i}"));
    }
    top.submodules = vec![s, m];
    Netlist {
        modules: vec![top, split, merge],
        top: "top".into(),
    }
}

#[test]
fn trees_joined_in_a_top_validate() {
    let tech = Technology::default();
    let valid = merge_then_split(&tech).validate(&tech).unwrap();
    let names: Vec<_> = valid.modules().iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["merger3", "splitter3", "top"]);
    assert_eq!(valid.top_module().name, "top");
    let top_nets: Vec<_> = valid
        .nets(valid.top())
        .iter()
        .map(|n| n.name.as_str())
        .collect();
    assert_eq!(top_nets, ["a0", "a1", "a2", "mid", "y0", "y1", "y2"]);
    let mid = &valid.nets(valid.top())[3];
    assert_eq!(mid.driver.to_string(), "u_merge.out0");
    assert_eq!(mid.sinks[0].to_string(), "u_split.in0");
    let merger = valid.module_index("merger3").unwrap();
    let nets: Vec<String> = valid
        .nets(merger)
        .iter()
        .map(|n| format!("{}:{}>{}", n.name, n.driver, list(&n.sinks)))
        .collect();
    assert_eq!(
        nets,
        [
            "in0:in0>merge_l1_0.a",
            "in1:in1>merge_l1_0.b",
            "in2:in2>merge_l0_0.b",
            "merge_l1_0_q:merge_l1_0.q>merge_l0_0.a",
            "out0:merge_l0_0.q>out0",
        ]
    );
    let paths: Vec<String> = valid
        .occurrences()
        .iter()
        .map(|(p, m)| format!("{}={}", p.join("/"), valid.modules()[*m].name))
        .collect();
    assert_eq!(paths, ["=top", "u_merge=merger3", "u_split=splitter3"]);
    assert_eq!(valid.instantiations(merger), 1);
}

#[test]
fn dff_tree_pins_map_onto_the_cell_pins() {
    let tech = Technology::default();
    let chain = crate::tree::delay_chain(1, crate::tree::DelayStage::Dff);
    let module = Module::from_tree("delay", &chain, &tech).unwrap();
    let dff = &module.instances[0];
    assert_eq!(dff.kind, CellKind::Dff);
    let pins: Vec<_> = dff
        .connections
        .iter()
        .map(|(p, n)| format!("{p}={n}"))
        .collect();
    assert_eq!(pins, ["a=in0", "clk=clk0", "q=out0"]);
}

#[test]
fn fan_out_and_undriven_inputs_are_rejected() {
    let tech = Technology::default();
    let mut m = Module::new("bad");
    m.ports = vec![Port::input("a"), Port::output("y0"), Port::output("y1")];
    m.instances = vec![
        // `a` feeds two JTLs: fan-out 2.
        Instance::new("j0", CellKind::Jtl)
            .pin("a", "a")
            .pin("q", "y0"),
        Instance::new("j1", CellKind::Jtl)
            .pin("a", "a")
            .pin("q", "y1"),
        // `m0.b` reads a net nothing drives; its output goes nowhere.
        Instance::new("m0", CellKind::Merge)
            .pin("a", "y0")
            .pin("b", "floating")
            .pin("q", "dangling"),
    ];
    let errors = Netlist {
        modules: vec![m],
        top: "bad".into(),
    }
    .validate(&tech)
    .unwrap_err();
    let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        text,
        [
            "module `bad`, net `a`: a drives 2 inputs (j0.a, j1.a); an SFQ output drives \
             one input, fan-out needs a splitter tree",
            "module `bad`, net `dangling`: driven by m0.q but read by nothing",
            "module `bad`, net `floating`: nothing drives it (read by m0.b)",
            "module `bad`, net `y0`: j0.q drives 2 inputs (y0, m0.a); an SFQ output drives \
             one input, fan-out needs a splitter tree",
        ]
    );
}

#[test]
fn pins_biases_names_and_hierarchy_are_checked() {
    let tech = Technology::default();
    let mut m = Module::new("pop");
    m.ports = vec![Port::input("x"), Port::output("y")];
    m.instances = vec![
        Instance::new("syn", CellKind::Synapse)
            .pin("a", "x")
            .pin("q", "s")
            .pin("wbias", "oops"),
        Instance::new("neu", CellKind::Neuron)
            .pin("a", "s")
            .bias("thbias", 140.0)
            .bias("lkbias", -1.0),
    ];
    m.submodules = vec![ModuleInstance::new("self_", "pop")];
    let errors = Netlist {
        modules: vec![m],
        top: "pop".into(),
    }
    .validate(&tech)
    .unwrap_err();
    let has = |f: &dyn Fn(&NetlistError) -> bool| errors.iter().any(f);
    assert!(has(
        &|e| matches!(e, NetlistError::UnconnectedPin { pin, .. } if pin == "q")
    ));
    assert!(has(
        &|e| matches!(e, NetlistError::UnknownPin { pin, what: "signal", .. } if pin == "wbias")
    ));
    assert!(has(
        &|e| matches!(e, NetlistError::BadBias { pin, value: None, .. } if pin == "wbias")
    ));
    assert!(has(
        &|e| matches!(e, NetlistError::BadBias { pin, value: Some(_), .. } if pin == "lkbias")
    ));
    assert!(has(
        &|e| matches!(e, NetlistError::RecursiveModule { module } if module == "pop")
    ));
    let missing = Netlist {
        modules: vec![],
        top: "t".into(),
    }
    .validate(&tech)
    .unwrap_err();
    assert_eq!(missing, [NetlistError::MissingTop { top: "t".into() }]);
    assert!(!is_identifier("a.b") && !is_identifier("0a") && is_identifier("_a0"));
    let wire = Module::from_tree("w", &splitter_tree(1), &tech).unwrap_err();
    assert!(matches!(wire, NetlistError::PortToPortWire { .. }));
}
