//! `netlist.json`: the cell netlist as data, for tools and for diffing.
//!
//! Shape: `{format, version, technology, top, modules: [{name, ports,
//! instances, submodules, nets}], bias_lines}`. Instances carry their cell
//! (`kind`, the technology key) and subcircuit name, `connections` (pin →
//! net) and `bias_ua` (bias pin → µA); nets their driver and sinks as
//! `port` or `instance.pin`. `bias_lines` lists every programmable bias of
//! the flattened design, by hierarchical instance path (`/`-separated).
//! Objects are written in a fixed field order and maps sorted by key.

use crate::netlist::{Direction, Net, ValidNetlist};
use crate::tech::Technology;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Serialize)]
struct Doc<'a> {
    format: &'static str,
    version: u32,
    technology: &'a str,
    top: &'a str,
    modules: Vec<ModuleDoc<'a>>,
    bias_lines: Vec<BiasLine>,
}

#[derive(Serialize)]
struct ModuleDoc<'a> {
    name: &'a str,
    ports: Vec<PortDoc<'a>>,
    instances: Vec<InstanceDoc<'a>>,
    submodules: Vec<SubmoduleDoc<'a>>,
    nets: Vec<NetDoc<'a>>,
}

#[derive(Serialize)]
struct PortDoc<'a> {
    name: &'a str,
    direction: &'static str,
}

#[derive(Serialize)]
struct InstanceDoc<'a> {
    name: &'a str,
    kind: &'static str,
    subcircuit: &'a str,
    connections: &'a BTreeMap<String, String>,
    bias_ua: &'a BTreeMap<String, f64>,
}

#[derive(Serialize)]
struct SubmoduleDoc<'a> {
    name: &'a str,
    module: &'a str,
    connections: &'a BTreeMap<String, String>,
}

#[derive(Serialize)]
struct NetDoc<'a> {
    name: &'a str,
    driver: String,
    sinks: Vec<String>,
}

#[derive(Serialize)]
struct BiasLine {
    instance: String,
    pin: String,
    bias_ua: f64,
}

/// The JSON text of `netlist` (pretty-printed, ending in a newline).
pub fn netlist_json(tech: &Technology, netlist: &ValidNetlist) -> String {
    let modules = netlist
        .modules()
        .iter()
        .enumerate()
        .map(|(i, m)| ModuleDoc {
            name: &m.name,
            ports: m
                .ports
                .iter()
                .map(|p| PortDoc {
                    name: &p.name,
                    direction: match p.direction {
                        Direction::Input => "input",
                        Direction::Output => "output",
                    },
                })
                .collect(),
            instances: m
                .instances
                .iter()
                .map(|inst| InstanceDoc {
                    name: &inst.name,
                    kind: inst.kind.key(),
                    subcircuit: tech.cell(inst.kind).subcircuit_name(),
                    connections: &inst.connections,
                    bias_ua: &inst.bias_ua,
                })
                .collect(),
            submodules: m
                .submodules
                .iter()
                .map(|s| SubmoduleDoc {
                    name: &s.name,
                    module: &s.module,
                    connections: &s.connections,
                })
                .collect(),
            nets: netlist.nets(i).iter().map(net_doc).collect(),
        })
        .collect();
    let mut bias_lines = Vec::new();
    for (path, m) in netlist.occurrences() {
        for inst in &netlist.modules()[m].instances {
            let mut full = path.clone();
            full.push(inst.name.clone());
            for (pin, &bias_ua) in &inst.bias_ua {
                bias_lines.push(BiasLine {
                    instance: full.join("/"),
                    pin: pin.clone(),
                    bias_ua,
                });
            }
        }
    }
    let doc = Doc {
        format: "spikec-sfq-netlist",
        version: 1,
        technology: tech.name(),
        top: &netlist.top_module().name,
        modules,
        bias_lines,
    };
    // Plain structs of strings, maps with string keys and finite numbers
    // (validation rejects non-finite biases) always serialise.
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

fn net_doc(net: &Net) -> NetDoc<'_> {
    NetDoc {
        name: &net.name,
        driver: net.driver.to_string(),
        sinks: net.sinks.iter().map(ToString::to_string).collect(),
    }
}
