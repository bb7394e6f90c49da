//! `netlist.v`: structural Verilog over the technology's cell names.
//!
//! One `module` per netlist module, children before the top (modules in
//! name order, the top last). Ports in declared order; a `wire` per net
//! that is not a port; cells and children with named port connections, in
//! the cell's pin order (inputs, clocks, outputs). Programmable biases are
//! analog and have no Verilog net: each appears as an attribute on its
//! instance, `(* wbias_ua = "130" *)`, which tools keep without the cell
//! having to declare it.

use crate::netlist::ValidNetlist;
use crate::tech::Technology;
use std::fmt::Write;

/// The Verilog text of `netlist`.
pub fn verilog(tech: &Technology, netlist: &ValidNetlist) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(
        out,
        "// spikec SFQ netlist: top `{}`, technology `{}`",
        netlist.top_module().name,
        tech.name()
    );
    let top = netlist.top();
    let order = (0..netlist.modules().len())
        .filter(|&i| i != top)
        .chain([top]);
    for index in order {
        out.push('\n');
        write_module(&mut out, tech, netlist, index);
    }
    out
}

fn write_module(out: &mut String, tech: &Technology, netlist: &ValidNetlist, index: usize) {
    let module = &netlist.modules()[index];
    let ports: Vec<&str> = module.ports.iter().map(|p| p.name.as_str()).collect();
    let _ = writeln!(out, "module {} ({});", module.name, ports.join(", "));
    for port in &module.ports {
        let _ = writeln!(out, "  {} {};", port.direction.keyword(), port.name);
    }
    // Population modules have a port per line: look ports up, not scan.
    let port_names: std::collections::BTreeSet<&str> = ports.iter().copied().collect();
    for net in netlist.nets(index) {
        if !port_names.contains(net.name.as_str()) {
            let _ = writeln!(out, "  wire {};", net.name);
        }
    }
    if !module.instances.is_empty() || !module.submodules.is_empty() {
        out.push('\n');
    }
    for inst in &module.instances {
        let cell = tech.cell(inst.kind);
        for (pin, bias) in &inst.bias_ua {
            let _ = writeln!(out, "  (* {pin}_ua = \"{bias}\" *)");
        }
        let pins = &cell.pins;
        let signal = pins.inputs.iter().chain(&pins.clocks).chain(&pins.outputs);
        let conns: Vec<String> = signal
            .map(|pin| {
                let net = inst.connections.get(pin).map_or("", String::as_str);
                format!(".{pin}({net})")
            })
            .collect();
        let _ = writeln!(
            out,
            "  {} {} ({});",
            cell.subcircuit_name(),
            inst.name,
            conns.join(", ")
        );
    }
    for child in &module.submodules {
        let Some(c) = netlist.module_index(&child.module) else {
            continue;
        };
        let conns: Vec<String> = netlist.modules()[c]
            .ports
            .iter()
            .map(|p| format!(".{}({})", p.name, child.connections[&p.name]))
            .collect();
        let _ = writeln!(
            out,
            "  {} {} ({});",
            child.module,
            child.name,
            conns.join(", ")
        );
    }
    out.push_str("endmodule\n");
}
