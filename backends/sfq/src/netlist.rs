//! The cell netlist: modules of technology cells joined by named nets, the
//! form every SFQ writer ([`crate::write`]) takes.
//!
//! Takes modules built by hand, by lowering, or from the fragments of
//! [`crate::tree`] ([`Module::from_tree`]). Gives a [`ValidNetlist`] once
//! [`Netlist::validate`] has checked it against a [`Technology`]; writers
//! take only that, so an unchecked netlist cannot reach a file.
//!
//! The data is plain: an [`Instance`] says which pin sits on which net, a
//! [`ModuleInstance`] which port of a child module does; a port is on the
//! net of its own name. The [`Net`]s (driver and sinks) are derived from
//! those connections during validation, which establishes:
//! - every name is an identifier (`[A-Za-z_][A-Za-z0-9_]*`) and unique in
//!   its scope (modules; ports, cells and child instances of a module);
//! - the top module exists, every child module exists, the hierarchy has no
//!   cycle and every module is reached from the top;
//! - every signal pin and child port is connected (except a neuron's
//!   inputs, which a neuron without synapses of that sign leaves open),
//!   and only those (bias
//!   pins are not nets: each instance sets its own bias current per bias
//!   pin, in `bias_ua`, which must give each of the cell's bias pins a
//!   finite, non-negative value);
//! - every net has exactly one driver (an input port, a cell output, a
//!   child's output port) and exactly one sink: an SFQ output drives one
//!   input, fan-out needs a splitter tree;
//! - ordering is by name (modules, instances, child instances, nets; ports
//!   keep their declared order, which is the interface), so every writer's
//!   output is a function of the netlist's content alone.

use crate::tech::{CellKind, Technology};
use crate::tree::{self, Pin, Tree};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Which way pulses cross a port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Direction {
    /// Into the module: the port drives its net.
    Input,
    /// Out of the module: the port sinks its net.
    Output,
}

impl Direction {
    /// `input` or `output`.
    pub fn keyword(self) -> &'static str {
        match self {
            Direction::Input => "input",
            Direction::Output => "output",
        }
    }
}

/// One port of a module; it sits on the net of the same name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Port {
    /// Port (and net) name.
    pub name: String,
    /// Which way pulses cross it.
    pub direction: Direction,
}

impl Port {
    /// An input port.
    pub fn input(name: impl Into<String>) -> Port {
        Port {
            name: name.into(),
            direction: Direction::Input,
        }
    }

    /// An output port.
    pub fn output(name: impl Into<String>) -> Port {
        Port {
            name: name.into(),
            direction: Direction::Output,
        }
    }
}

/// One cell of the technology, placed in a module.
#[derive(Clone, Debug, PartialEq)]
pub struct Instance {
    /// Name, unique within the module.
    pub name: String,
    /// Which cell.
    pub kind: CellKind,
    /// Current on each of the cell's programmable bias pins, µA (a
    /// synapse's weight, a neuron's threshold and leak); empty for cells
    /// without bias pins. The fixed bias is inside the cell.
    pub bias_ua: BTreeMap<String, f64>,
    /// Signal pin (input, clock, output) → net name.
    pub connections: BTreeMap<String, String>,
}

impl Instance {
    /// An instance with nothing connected yet.
    pub fn new(name: impl Into<String>, kind: CellKind) -> Instance {
        Instance {
            name: name.into(),
            kind,
            bias_ua: BTreeMap::new(),
            connections: BTreeMap::new(),
        }
    }

    /// Puts `pin` on `net`.
    pub fn pin(mut self, pin: impl Into<String>, net: impl Into<String>) -> Instance {
        self.connections.insert(pin.into(), net.into());
        self
    }

    /// Sets the current of bias pin `pin`, µA.
    pub fn bias(mut self, pin: impl Into<String>, bias_ua: f64) -> Instance {
        self.bias_ua.insert(pin.into(), bias_ua);
        self
    }
}

/// A module placed inside another.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleInstance {
    /// Name, unique within the parent.
    pub name: String,
    /// The child module's name.
    pub module: String,
    /// Child port → net of the parent.
    pub connections: BTreeMap<String, String>,
}

impl ModuleInstance {
    /// A child instance with nothing connected yet.
    pub fn new(name: impl Into<String>, module: impl Into<String>) -> ModuleInstance {
        ModuleInstance {
            name: name.into(),
            module: module.into(),
            connections: BTreeMap::new(),
        }
    }

    /// Puts the child's `port` on the parent's `net`.
    pub fn port(mut self, port: impl Into<String>, net: impl Into<String>) -> ModuleInstance {
        self.connections.insert(port.into(), net.into());
        self
    }
}

/// A module: a population, a tree, or the top that joins them.
#[derive(Clone, Debug, PartialEq)]
pub struct Module {
    /// Name, unique within the netlist.
    pub name: String,
    /// The interface, in declared order.
    pub ports: Vec<Port>,
    /// Technology cells.
    pub instances: Vec<Instance>,
    /// Child modules.
    pub submodules: Vec<ModuleInstance>,
}

impl Module {
    /// An empty module.
    pub fn new(name: impl Into<String>) -> Module {
        Module {
            name: name.into(),
            ports: Vec::new(),
            instances: Vec::new(),
            submodules: Vec::new(),
        }
    }

    /// A module holding a generated fragment: the tree's ports in its
    /// order, its cells as instances of the technology's cells (tree pins
    /// map by position onto the cell's inputs then clocks, and outputs),
    /// and its nets named after the port they touch or else the driving
    /// pin (`split_l0_0.q1` becomes `split_l0_0_q1`). A net from an input
    /// port straight to an output port (a one-leaf tree) has no cell to
    /// carry it and is rejected: connect the ports in the parent instead.
    pub fn from_tree(
        name: impl Into<String>,
        tree: &Tree,
        tech: &Technology,
    ) -> Result<Module, NetlistError> {
        let mut module = Module::new(name);
        module.ports.extend(tree.inputs().iter().map(Port::input));
        module.ports.extend(tree.outputs().iter().map(Port::output));
        let mut instances: Vec<Instance> = tree
            .cells()
            .iter()
            .map(|c| Instance::new(c.name.clone(), tech_kind(c.kind)))
            .collect();
        for net in tree.nets() {
            let net_name = match (net.driver, net.sink) {
                (Pin::Input(_), Pin::Output(_)) => {
                    return Err(NetlistError::PortToPortWire {
                        module: module.name,
                        from: tree.pin_name(net.driver),
                        to: tree.pin_name(net.sink),
                    })
                }
                (Pin::Input(_), _) => tree.pin_name(net.driver),
                (_, Pin::Output(_)) => tree.pin_name(net.sink),
                _ => tree.pin_name(net.driver).replace('.', "_"),
            };
            for end in [net.driver, net.sink] {
                let (cell, pin) = match end {
                    Pin::CellIn { cell, pin } => {
                        let pins = &tech
                            .cell(tech_kind(tree.cells()[cell.0 as usize].kind))
                            .pins;
                        (cell, pins.inputs.iter().chain(&pins.clocks).nth(pin.into()))
                    }
                    Pin::CellOut { cell, pin } => {
                        let pins = &tech
                            .cell(tech_kind(tree.cells()[cell.0 as usize].kind))
                            .pins;
                        (cell, pins.outputs.get(usize::from(pin)))
                    }
                    Pin::Input(_) | Pin::Output(_) => continue,
                };
                let instance = &mut instances[cell.0 as usize];
                // A technology whose cell has fewer pins than the tree uses
                // leaves the pin unconnected; validation reports it.
                if let Some(pin) = pin {
                    instance.connections.insert(pin.clone(), net_name.clone());
                }
            }
        }
        module.instances = instances;
        Ok(module)
    }
}

/// The technology cell a tree cell is.
fn tech_kind(kind: tree::CellKind) -> CellKind {
    match kind {
        tree::CellKind::Split => CellKind::Split,
        tree::CellKind::Merge => CellKind::Merge,
        tree::CellKind::Jtl => CellKind::Jtl,
        tree::CellKind::Dff => CellKind::Dff,
    }
}

/// A whole design: modules and the one at the root.
#[derive(Clone, Debug, PartialEq)]
pub struct Netlist {
    /// Every module, in any order.
    pub modules: Vec<Module>,
    /// The root module's name.
    pub top: String,
}

/// One end of a net.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Terminal {
    /// A port of the module the net is in.
    Port(String),
    /// A pin of a cell, or a port of a child module.
    Pin {
        /// The cell or child instance.
        instance: String,
        /// Its pin or port.
        pin: String,
    },
}

impl fmt::Display for Terminal {
    /// `in0` for a port, `merge_l0_0.q` for a pin.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Terminal::Port(port) => f.write_str(port),
            Terminal::Pin { instance, pin } => write!(f, "{instance}.{pin}"),
        }
    }
}

/// A net of a validated module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Net {
    /// Name (a port's name when the net is on a port).
    pub name: String,
    /// The one terminal driving it.
    pub driver: Terminal,
    /// The terminals it drives (exactly one in a valid netlist).
    pub sinks: Vec<Terminal>,
}

/// What can be wrong with a netlist. Every variant names the module and
/// the entities concerned.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum NetlistError {
    /// Two modules share a name.
    #[error("module `{module}` is defined twice")]
    DuplicateModule { module: String },
    /// The top module is not among the modules.
    #[error("top module `{top}` is not defined")]
    MissingTop { top: String },
    /// A child instance refers to a module that does not exist.
    #[error("module `{module}`, instance `{instance}`: no module `{child}`")]
    UnknownModule {
        module: String,
        instance: String,
        child: String,
    },
    /// A module contains itself, directly or through its children.
    #[error("module `{module}` contains itself")]
    RecursiveModule { module: String },
    /// A module is not reached from the top; it would be written but never
    /// simulated or counted.
    #[error("module `{module}` is not instantiated under the top `{top}`")]
    Unreachable { module: String, top: String },
    /// A name is not an identifier (`[A-Za-z_][A-Za-z0-9_]*`).
    #[error("module `{module}`: `{name}` is not an identifier")]
    InvalidName { module: String, name: String },
    /// Two ports, cells or child instances of a module share a name.
    #[error("module `{module}`: `{name}` is defined twice")]
    DuplicateName { module: String, name: String },
    /// A connection or bias names a pin the cell or child does not have as
    /// a signal (respectively bias) pin.
    #[error("module `{module}`, instance `{instance}` ({master}): no {what} pin `{pin}`")]
    UnknownPin {
        module: String,
        instance: String,
        master: String,
        what: &'static str,
        pin: String,
    },
    /// A signal pin or child port is on no net.
    #[error("module `{module}`, instance `{instance}` ({master}): pin `{pin}` is not connected")]
    UnconnectedPin {
        module: String,
        instance: String,
        master: String,
        pin: String,
    },
    /// A bias pin has no current, or one that is negative or not finite.
    #[error(
        "module `{module}`, instance `{instance}`: bias pin `{pin}` needs a finite \
         current ≥ 0 µA, has {value:?}"
    )]
    BadBias {
        module: String,
        instance: String,
        pin: String,
        value: Option<f64>,
    },
    /// A net is driven by more than one terminal.
    #[error("module `{module}`, net `{net}`: driven by {} terminals ({})", drivers.len(), list(drivers))]
    MultipleDrivers {
        module: String,
        net: String,
        drivers: Vec<Terminal>,
    },
    /// A net has sinks but nothing drives it.
    #[error(
        "module `{module}`, net `{net}`: nothing drives it (read by {})",
        list(sinks)
    )]
    Undriven {
        module: String,
        net: String,
        sinks: Vec<Terminal>,
    },
    /// A net's driver reaches nothing.
    #[error("module `{module}`, net `{net}`: driven by {driver} but read by nothing")]
    Unused {
        module: String,
        net: String,
        driver: Terminal,
    },
    /// An output drives more than one input; SFQ needs a splitter per
    /// extra sink.
    #[error(
        "module `{module}`, net `{net}`: {driver} drives {} inputs ({}); an SFQ output \
         drives one input, fan-out needs a splitter tree",
        sinks.len(),
        list(sinks)
    )]
    FanOut {
        module: String,
        net: String,
        driver: Terminal,
        sinks: Vec<Terminal>,
    },
    /// A tree with a bare wire from an input port to an output port.
    #[error("module `{module}`: the tree wires port `{from}` straight to port `{to}`; connect them in the parent")]
    PortToPortWire {
        module: String,
        from: String,
        to: String,
    },
}

fn list(terminals: &[Terminal]) -> String {
    let names: Vec<String> = terminals.iter().map(Terminal::to_string).collect();
    names.join(", ")
}

/// A netlist that passed [`Netlist::validate`], sorted, with its nets.
#[derive(Clone, Debug, PartialEq)]
pub struct ValidNetlist {
    modules: Vec<Module>,
    nets: Vec<Vec<Net>>,
    instantiations: Vec<u64>,
    top: usize,
}

impl ValidNetlist {
    /// The modules, sorted by name.
    pub fn modules(&self) -> &[Module] {
        &self.modules
    }

    /// The nets of module `index`, sorted by name.
    pub fn nets(&self, index: usize) -> &[Net] {
        &self.nets[index]
    }

    /// The index of the top module.
    pub fn top(&self) -> usize {
        self.top
    }

    /// The top module.
    pub fn top_module(&self) -> &Module {
        &self.modules[self.top]
    }

    /// The index of the module called `name`.
    pub fn module_index(&self, name: &str) -> Option<usize> {
        self.modules
            .binary_search_by(|m| m.name.as_str().cmp(name))
            .ok()
    }

    /// How many times module `index` occurs in the flattened design (1 for
    /// the top).
    pub fn instantiations(&self, index: usize) -> u64 {
        self.instantiations[index]
    }

    /// Every occurrence of every module in the flattened design, depth
    /// first from the top in name order: the hierarchical path of child
    /// instance names (empty for the top) and the module's index.
    pub fn occurrences(&self) -> Vec<(Vec<String>, usize)> {
        let mut out = Vec::new();
        self.visit(self.top, &mut Vec::new(), &mut out);
        out
    }

    fn visit(&self, index: usize, path: &mut Vec<String>, out: &mut Vec<(Vec<String>, usize)>) {
        out.push((path.clone(), index));
        for child in &self.modules[index].submodules {
            // Validation resolved every child.
            if let Some(c) = self.module_index(&child.module) {
                path.push(child.name.clone());
                self.visit(c, path, out);
                path.pop();
            }
        }
    }
}

/// Whether `name` is `[A-Za-z_][A-Za-z0-9_]*`.
pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl Netlist {
    /// Checks the netlist against `tech` (see the module documentation for
    /// what is checked) and sorts it. Gives every error found, in a stable
    /// order, or the validated netlist.
    pub fn validate(mut self, tech: &Technology) -> Result<ValidNetlist, Vec<NetlistError>> {
        let mut errors = Vec::new();
        self.modules.sort_by(|a, b| a.name.cmp(&b.name));
        for module in &mut self.modules {
            module.instances.sort_by(|a, b| a.name.cmp(&b.name));
            module.submodules.sort_by(|a, b| a.name.cmp(&b.name));
        }
        for pair in self.modules.windows(2) {
            if pair[0].name == pair[1].name {
                errors.push(NetlistError::DuplicateModule {
                    module: pair[0].name.clone(),
                });
            }
        }
        let index: BTreeMap<&str, usize> = self
            .modules
            .iter()
            .enumerate()
            .map(|(i, m)| (m.name.as_str(), i))
            .collect();
        let Some(&top) = index.get(self.top.as_str()) else {
            errors.push(NetlistError::MissingTop {
                top: self.top.clone(),
            });
            return Err(errors);
        };
        let mut nets = Vec::with_capacity(self.modules.len());
        for module in &self.modules {
            nets.push(check_module(
                module,
                &self.modules,
                &index,
                tech,
                &mut errors,
            ));
        }
        let instantiations = count_instantiations(&self.modules, &index, top, &mut errors);
        for (module, &n) in self.modules.iter().zip(&instantiations) {
            if n == 0 {
                errors.push(NetlistError::Unreachable {
                    module: module.name.clone(),
                    top: self.top.clone(),
                });
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(ValidNetlist {
            modules: self.modules,
            nets,
            instantiations,
            top,
        })
    }
}

/// What sits on one net while it is being collected.
#[derive(Default)]
struct Ends {
    drivers: Vec<Terminal>,
    sinks: Vec<Terminal>,
}

/// Checks one module's names, pins and biases, and derives its nets.
fn check_module(
    module: &Module,
    modules: &[Module],
    index: &BTreeMap<&str, usize>,
    tech: &Technology,
    errors: &mut Vec<NetlistError>,
) -> Vec<Net> {
    let m = &module.name;
    let mut names = BTreeSet::new();
    let declared = module
        .ports
        .iter()
        .map(|p| &p.name)
        .chain(module.instances.iter().map(|i| &i.name))
        .chain(module.submodules.iter().map(|s| &s.name));
    for name in std::iter::once(m).chain(declared.clone()) {
        if !is_identifier(name) {
            errors.push(NetlistError::InvalidName {
                module: m.clone(),
                name: name.clone(),
            });
        }
    }
    for name in declared {
        if !names.insert(name) {
            errors.push(NetlistError::DuplicateName {
                module: m.clone(),
                name: name.clone(),
            });
        }
    }
    let mut ends: BTreeMap<String, Ends> = BTreeMap::new();
    for port in &module.ports {
        let entry = ends.entry(port.name.clone()).or_default();
        let end = Terminal::Port(port.name.clone());
        match port.direction {
            Direction::Input => entry.drivers.push(end),
            Direction::Output => entry.sinks.push(end),
        }
    }
    for inst in &module.instances {
        let cell = tech.cell(inst.kind);
        let master = cell.subcircuit_name().to_string();
        let pins = &cell.pins;
        // A neuron without synapses of a sign leaves that input open: no
        // pulse arrives there. Every other cell's inputs must be driven.
        let may_be_open = inst.kind == CellKind::Neuron;
        let signal = pins
            .inputs
            .iter()
            .filter(|p| !may_be_open || inst.connections.contains_key(*p))
            .chain(&pins.clocks)
            .map(|p| (p, Direction::Input))
            .chain(pins.outputs.iter().map(|p| (p, Direction::Output)));
        check_pins(
            m,
            &inst.name,
            &master,
            signal,
            &inst.connections,
            &mut ends,
            errors,
        );
        for pin in inst.bias_ua.keys() {
            if !pins.biases.contains(pin) {
                errors.push(NetlistError::UnknownPin {
                    module: m.clone(),
                    instance: inst.name.clone(),
                    master: master.clone(),
                    what: "bias",
                    pin: pin.clone(),
                });
            }
        }
        for pin in &pins.biases {
            let value = inst.bias_ua.get(pin).copied();
            if !matches!(value, Some(v) if v.is_finite() && v >= 0.0) {
                errors.push(NetlistError::BadBias {
                    module: m.clone(),
                    instance: inst.name.clone(),
                    pin: pin.clone(),
                    value,
                });
            }
        }
    }
    for child in &module.submodules {
        let Some(&c) = index.get(child.module.as_str()) else {
            errors.push(NetlistError::UnknownModule {
                module: m.clone(),
                instance: child.name.clone(),
                child: child.module.clone(),
            });
            continue;
        };
        // A child's input port reads the parent's net; its output drives it.
        let ports = modules[c].ports.iter().map(|p| (&p.name, p.direction));
        check_pins(
            m,
            &child.name,
            &child.module,
            ports,
            &child.connections,
            &mut ends,
            errors,
        );
    }
    let mut nets = Vec::with_capacity(ends.len());
    for (name, mut e) in ends {
        e.drivers.sort();
        e.sinks.sort();
        let error = match (e.drivers.len(), e.sinks.len()) {
            (1, 1) => None,
            (0, _) => Some(NetlistError::Undriven {
                module: m.clone(),
                net: name.clone(),
                sinks: e.sinks.clone(),
            }),
            (1, 0) => Some(NetlistError::Unused {
                module: m.clone(),
                net: name.clone(),
                driver: e.drivers[0].clone(),
            }),
            (1, _) => Some(NetlistError::FanOut {
                module: m.clone(),
                net: name.clone(),
                driver: e.drivers[0].clone(),
                sinks: e.sinks.clone(),
            }),
            _ => Some(NetlistError::MultipleDrivers {
                module: m.clone(),
                net: name.clone(),
                drivers: e.drivers.clone(),
            }),
        };
        match error {
            Some(error) => errors.push(error),
            None => nets.push(Net {
                name,
                driver: e.drivers.swap_remove(0),
                sinks: e.sinks,
            }),
        }
    }
    nets
}

/// Checks an instance's connections against the pins it has, and records
/// each connected pin on its net: pins that take pulses in
/// ([`Direction::Input`]) sink the net, the others drive it.
fn check_pins<'a>(
    module: &str,
    instance: &str,
    master: &str,
    pins: impl Iterator<Item = (&'a String, Direction)>,
    connections: &BTreeMap<String, String>,
    ends: &mut BTreeMap<String, Ends>,
    errors: &mut Vec<NetlistError>,
) {
    let mut known = BTreeSet::new();
    for (pin, direction) in pins {
        known.insert(pin.as_str());
        let Some(net) = connections.get(pin) else {
            errors.push(NetlistError::UnconnectedPin {
                module: module.to_string(),
                instance: instance.to_string(),
                master: master.to_string(),
                pin: pin.clone(),
            });
            continue;
        };
        let end = Terminal::Pin {
            instance: instance.to_string(),
            pin: pin.clone(),
        };
        let entry = ends.entry(net.clone()).or_default();
        match direction {
            Direction::Input => entry.sinks.push(end),
            Direction::Output => entry.drivers.push(end),
        }
    }
    for pin in connections.keys() {
        if !known.contains(pin.as_str()) {
            errors.push(NetlistError::UnknownPin {
                module: module.to_string(),
                instance: instance.to_string(),
                master: master.to_string(),
                what: "signal",
                pin: pin.clone(),
            });
        }
    }
}

/// Occurrences of each module under `top`; reports cycles.
fn count_instantiations(
    modules: &[Module],
    index: &BTreeMap<&str, usize>,
    top: usize,
    errors: &mut Vec<NetlistError>,
) -> Vec<u64> {
    // Children in depth-first post-order give a topological order (parents
    // before children once reversed); a grey node met again is a cycle.
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        White,
        Grey,
        Black,
    }
    fn dfs(
        m: usize,
        modules: &[Module],
        index: &BTreeMap<&str, usize>,
        marks: &mut [Mark],
        order: &mut Vec<usize>,
        errors: &mut Vec<NetlistError>,
    ) {
        marks[m] = Mark::Grey;
        for child in &modules[m].submodules {
            let Some(&c) = index.get(child.module.as_str()) else {
                continue;
            };
            match marks[c] {
                Mark::White => dfs(c, modules, index, marks, order, errors),
                Mark::Grey => errors.push(NetlistError::RecursiveModule {
                    module: modules[c].name.clone(),
                }),
                Mark::Black => {}
            }
        }
        marks[m] = Mark::Black;
        order.push(m);
    }
    let mut marks = vec![Mark::White; modules.len()];
    let mut order = Vec::new();
    let before = errors.len();
    dfs(top, modules, index, &mut marks, &mut order, errors);
    let mut counts = vec![0u64; modules.len()];
    if errors.len() > before {
        // With a cycle the counts are meaningless; mark everything reached
        // so only the cycle is reported.
        for (c, mark) in counts.iter_mut().zip(&marks) {
            *c = u64::from(*mark != Mark::White);
        }
        return counts;
    }
    counts[top] = 1;
    for &m in order.iter().rev() {
        for child in &modules[m].submodules {
            if let Some(&c) = index.get(child.module.as_str()) {
                counts[c] = counts[c].saturating_add(counts[m]);
            }
        }
    }
    counts
}

#[cfg(test)]
pub(crate) mod tests;
