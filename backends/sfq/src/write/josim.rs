//! A flattened JoSIM deck of the netlist.
//!
//! Layout: the technology's junction `.model`; each used cell's `.subckt`
//! once, in [`CellKind`] order, as the technology gives it; one `X` line per
//! cell instance of the flattened design (JSIM order: label, subcircuit,
//! nodes in the subcircuit's port order); a current source per
//! programmable bias pin; a `pwl` current source per stimulated top input;
//! a load resistor per top output; `.tran`, `.print` (every top port's
//! node voltage, and for each output the phase of the input junction of
//! the cell driving it, whose 2π steps count the output pulses) and
//! `.end`.
//!
//! Bias: each subcircuit carries its fixed bias as its own `IB` sources
//! (ramped over 5 ps), so the deck adds only the programmable biases, which
//! the subcircuits take as ports (`wbias`, `thbias`, `lkbias`): one source
//! per bias pin, ramped the same way, with the instance's `bias_ua`. The
//! deck's total bias is then exactly the report's.
//!
//! Names: JoSIM reserves `_` and `|` in labels and nodes and ignores case,
//! so the deck numbers everything (`X1`, `n1`, `IBIAS1`, `IIN1`, `RLOAD1`)
//! and a comment before each element gives the netlist's hierarchical
//! name. Numbering follows the netlist's sorted order, depth first from the
//! top, so the same netlist gives the same deck.

use crate::netlist::{Direction, ValidNetlist};
use crate::tech::{CellKind, Technology};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

/// Pulse times for one top-level input port.
#[derive(Clone, Debug, PartialEq)]
pub struct Stimulus {
    /// A top-module input port.
    pub port: String,
    /// When pulses start, ps: positive, increasing, each at least one
    /// pulse width (rise + fall) after the previous one.
    pub times_ps: Vec<f64>,
}

/// Settings of the deck.
#[derive(Clone, Debug, PartialEq)]
pub struct JosimOptions {
    /// Input pulses; top inputs without one are left undriven.
    pub stimuli: Vec<Stimulus>,
    /// Peak of each input current pulse, µA.
    pub pulse_amplitude_ua: f64,
    /// Rise of each input current pulse, ps.
    pub pulse_rise_ps: f64,
    /// Fall of each input current pulse, ps.
    pub pulse_fall_ps: f64,
    /// Simulation step, ps (JoSIM wants phase steps under 20 % of 2π).
    pub step_ps: f64,
    /// End of the simulation, ps; by default 200 ps after the last pulse.
    pub stop_ps: Option<f64>,
    /// Resistor terminating each top output to ground, Ω.
    pub load_ohm: f64,
}

impl Default for JosimOptions {
    /// No stimuli; 600 µA triangular pulses rising in 3 ps and falling in
    /// 2 ps, as common SFQ testbenches use; 0.025 ps steps; 2 Ω loads.
    fn default() -> JosimOptions {
        JosimOptions {
            stimuli: Vec::new(),
            pulse_amplitude_ua: 600.0,
            pulse_rise_ps: 3.0,
            pulse_fall_ps: 2.0,
            step_ps: 0.025,
            stop_ps: None,
            load_ohm: 2.0,
        }
    }
}

/// Why a deck could not be written.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum JosimError {
    /// A stimulus names no input port of the top module.
    #[error("stimulus for `{port}`: the top module has no input port of that name")]
    UnknownPort { port: String },
    /// Two stimuli for one port.
    #[error("stimulus for `{port}` given twice")]
    DuplicateStimulus { port: String },
    /// Pulse times not positive, not increasing, or overlapping.
    #[error("stimulus for `{port}`: {message}")]
    BadTimes { port: String, message: String },
    /// A step, stop time, pulse shape or load that is not positive.
    #[error("JoSIM options: `{field}` must be positive and finite")]
    BadOption { field: &'static str },
}

/// Element numbering and the lines written so far.
struct Deck {
    nodes: u32,
    xs: u32,
    biases: u32,
    instances: String,
    bias_sources: String,
    /// The label and kind of the cell driving each node.
    drivers: BTreeMap<String, (String, CellKind)>,
}

impl Deck {
    fn node(&mut self) -> String {
        self.nodes += 1;
        format!("n{}", self.nodes)
    }
}

/// The JoSIM deck of `netlist`.
pub fn josim(
    tech: &Technology,
    netlist: &ValidNetlist,
    options: &JosimOptions,
) -> Result<String, JosimError> {
    check_options(options)?;
    let top = netlist.top_module();
    let mut stimuli: BTreeMap<&str, &[f64]> = BTreeMap::new();
    for s in &options.stimuli {
        let is_input = top
            .ports
            .iter()
            .any(|p| p.name == s.port && p.direction == Direction::Input);
        if !is_input {
            return Err(JosimError::UnknownPort {
                port: s.port.clone(),
            });
        }
        if stimuli.insert(&s.port, &s.times_ps).is_some() {
            return Err(JosimError::DuplicateStimulus {
                port: s.port.clone(),
            });
        }
        check_times(&s.port, &s.times_ps, options)?;
    }

    let mut out = String::new();
    let _ = writeln!(
        out,
        "* spikec SFQ deck: top `{}`, technology `{}`",
        top.name,
        tech.name()
    );
    let _ = writeln!(out, "{}", tech.jj_model());
    let used: BTreeSet<CellKind> = netlist
        .modules()
        .iter()
        .enumerate()
        .filter(|&(i, _)| netlist.instantiations(i) > 0)
        .flat_map(|(_, m)| m.instances.iter().map(|inst| inst.kind))
        .collect();
    for kind in used {
        out.push('\n');
        out.push_str(tech.cell(kind).subcircuit.trim_end());
        out.push('\n');
    }

    let mut deck = Deck {
        nodes: 0,
        xs: 0,
        biases: 0,
        instances: String::new(),
        bias_sources: String::new(),
        drivers: BTreeMap::new(),
    };
    let mut ports = BTreeMap::new();
    let mut port_lines = String::new();
    for port in &top.ports {
        let node = deck.node();
        let _ = writeln!(
            port_lines,
            "* {node} = {} ({})",
            port.name,
            port.direction.keyword()
        );
        ports.insert(port.name.clone(), node);
    }
    emit(tech, netlist, netlist.top(), &ports, "", &mut deck);

    let _ = writeln!(out, "\n* top ports");
    out.push_str(&port_lines);
    let _ = writeln!(out, "\n* cell instances");
    out.push_str(&deck.instances);
    if !deck.bias_sources.is_empty() {
        let _ = writeln!(out, "\n* programmable bias lines");
        out.push_str(&deck.bias_sources);
    }
    let mut last_ps: f64 = 0.0;
    if !stimuli.is_empty() {
        let _ = writeln!(out, "\n* input pulses");
    }
    // Sources in port order, so the deck follows the interface.
    let mut k = 0;
    for port in &top.ports {
        let Some(times) = stimuli.get(port.name.as_str()) else {
            continue;
        };
        k += 1;
        let mut pwl = String::from("pwl(0 0");
        for &t in times.iter() {
            let peak = t + options.pulse_rise_ps;
            let end = peak + options.pulse_fall_ps;
            let _ = write!(
                pwl,
                " {t}p 0 {peak}p {}u {end}p 0",
                options.pulse_amplitude_ua
            );
            last_ps = last_ps.max(end);
        }
        pwl.push(')');
        let _ = writeln!(out, "* IIN{k}: {}", port.name);
        let _ = writeln!(out, "IIN{k} 0 {} {pwl}", ports[&port.name]);
    }
    let outputs: Vec<&str> = top
        .ports
        .iter()
        .filter(|p| p.direction == Direction::Output)
        .map(|p| p.name.as_str())
        .collect();
    if !outputs.is_empty() {
        let _ = writeln!(out, "\n* output loads");
    }
    for (i, name) in outputs.iter().enumerate() {
        let _ = writeln!(out, "* RLOAD{}: {name}", i + 1);
        let _ = writeln!(
            out,
            "RLOAD{} {} 0 {}",
            i + 1,
            ports[*name],
            options.load_ohm
        );
    }
    let stop = options.stop_ps.unwrap_or(last_ps + 200.0);
    let _ = writeln!(out, "\n.tran {}p {stop}p", options.step_ps);
    for port in &top.ports {
        let node = &ports[&port.name];
        let _ = writeln!(out, ".print V({node})");
        // Each pulse out is a 2π step of the phase of the input junction of
        // the cell that drives the output (JoSIM names a junction inside
        // an instance `B1|X4`).
        if port.direction == Direction::Output {
            if let Some((label, kind)) = deck.drivers.get(node) {
                if let Some(jj) = first_junction(&tech.cell(*kind).subcircuit) {
                    let _ = writeln!(out, ".print PHASE {jj}|{label}");
                }
            }
        }
    }
    out.push_str(".end\n");
    Ok(out)
}

/// The label of a subcircuit's first junction (`B1`).
fn first_junction(subcircuit: &str) -> Option<&str> {
    subcircuit
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with(['B', 'b']))
        .and_then(|l| l.split_whitespace().next())
}

/// Writes module `index`'s cells and children, its ports on `ports`' nodes.
fn emit(
    tech: &Technology,
    netlist: &ValidNetlist,
    index: usize,
    ports: &BTreeMap<String, String>,
    path: &str,
    deck: &mut Deck,
) {
    let module = &netlist.modules()[index];
    let mut nodes: BTreeMap<&str, String> = BTreeMap::new();
    for net in netlist.nets(index) {
        let node = match ports.get(&net.name) {
            Some(node) => node.clone(),
            None => deck.node(),
        };
        nodes.insert(&net.name, node);
    }
    for inst in &module.instances {
        let cell = tech.cell(inst.kind);
        deck.xs += 1;
        let label = format!("X{}", deck.xs);
        let mut line = format!("{label} {}", cell.subcircuit_name());
        let pins = &cell.pins;
        for pin in pins.inputs.iter().chain(&pins.clocks).chain(&pins.outputs) {
            line.push(' ');
            // An open input (a neuron's unused inhibitory one) is grounded:
            // no pulse can arrive there.
            match inst.connections.get(pin) {
                Some(net) => line.push_str(&nodes[net.as_str()]),
                None => line.push('0'),
            }
        }
        for pin in &pins.outputs {
            if let Some(net) = inst.connections.get(pin) {
                let node = nodes[net.as_str()].clone();
                deck.drivers.insert(node, (label.clone(), inst.kind));
            }
        }
        for pin in &pins.biases {
            let node = deck.node();
            line.push(' ');
            line.push_str(&node);
            deck.biases += 1;
            let bias = inst.bias_ua.get(pin).copied().unwrap_or_default();
            let _ = writeln!(
                deck.bias_sources,
                "* IBIAS{}: {path}{}.{pin}\nIBIAS{} 0 {node} pwl(0 0 5p {bias}u)",
                deck.biases, inst.name, deck.biases
            );
        }
        let _ = writeln!(deck.instances, "* {label}: {path}{}", inst.name);
        let _ = writeln!(deck.instances, "{line}");
    }
    for child in &module.submodules {
        let Some(c) = netlist.module_index(&child.module) else {
            continue;
        };
        let bindings: BTreeMap<String, String> = child
            .connections
            .iter()
            .map(|(port, net)| (port.clone(), nodes[net.as_str()].clone()))
            .collect();
        let child_path = format!("{path}{}/", child.name);
        emit(tech, netlist, c, &bindings, &child_path, deck);
    }
}

fn check_options(o: &JosimOptions) -> Result<(), JosimError> {
    let fields = [
        ("pulse_amplitude_ua", o.pulse_amplitude_ua),
        ("pulse_rise_ps", o.pulse_rise_ps),
        ("pulse_fall_ps", o.pulse_fall_ps),
        ("step_ps", o.step_ps),
        ("stop_ps", o.stop_ps.unwrap_or(1.0)),
        ("load_ohm", o.load_ohm),
    ];
    for (field, value) in fields {
        if !(value.is_finite() && value > 0.0) {
            return Err(JosimError::BadOption { field });
        }
    }
    Ok(())
}

fn check_times(port: &str, times: &[f64], o: &JosimOptions) -> Result<(), JosimError> {
    let width = o.pulse_rise_ps + o.pulse_fall_ps;
    let bad = |message: String| JosimError::BadTimes {
        port: port.to_string(),
        message,
    };
    let mut previous: Option<f64> = None;
    for &t in times {
        // `pwl` must start at (0, 0), so a pulse may not start at 0.
        if !(t.is_finite() && t > 0.0) {
            return Err(bad(format!("pulse time {t} ps is not positive")));
        }
        if let Some(p) = previous {
            if t < p + width {
                return Err(bad(format!(
                    "pulse at {t} ps starts before the one at {p} ps ends ({width} ps wide)"
                )));
            }
        }
        previous = Some(t);
    }
    Ok(())
}
