//! The hierarchy flattened into numbered cells joined point to point.
//!
//! Takes a [`ValidNetlist`] and gives every leaf cell instance a dense index
//! and every cell output pin (and top input port) the one place its pulses
//! go: a cell's input or clock pin, or a top output port. Flattening once,
//! before the event loop, keeps names and hierarchy out of the hot path; a
//! cell's hierarchical path is rebuilt only when an error must name it.
//!
//! Order: occurrences of modules depth first from the top, children in
//! name order (as [`ValidNetlist::occurrences`]), and within one
//! occurrence the instances in name order. Validation sorted both, so the
//! numbering is a function of the netlist's content alone.
//!
//! Relies on validation for one driver and one sink per net; a netlist
//! validated against a different technology can still have pins that do
//! not exist, which gives [`PulseError::Mismatch`] rather than a panic.

use super::PulseError;
use crate::netlist::{Direction, Instance, Terminal, ValidNetlist};
use crate::tech::Technology;

/// Where the pulses of one driver go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Sink {
    /// Pin `pin` of cell `cell`, pins numbered inputs then clocks.
    Cell { cell: u32, pin: u8 },
    /// Top output port number `port`, in declared order among the outputs.
    Output(u32),
    /// Nowhere (an unused second output slot).
    Open,
}

/// One module occurrence of the flattened design.
struct Occurrence {
    module: usize,
    /// The parent occurrence and this one's index among its submodules.
    parent: Option<(usize, usize)>,
    /// Per submodule of the module, its occurrence.
    children: Vec<usize>,
    /// Dense index of the occurrence's first cell.
    first_cell: usize,
    /// `u_pop/u_tree/`, empty for the top.
    prefix: String,
}

/// An occurrence waiting on the flattening stack.
struct Pending {
    module: usize,
    /// As [`Occurrence::parent`].
    parent: Option<(usize, usize)>,
    prefix: String,
}

/// One leaf cell.
pub(crate) struct FlatCell<'a> {
    /// The instance in its module.
    pub instance: &'a Instance,
    /// Its occurrence, for naming it.
    occurrence: usize,
    /// Where each output pin goes (a SPLIT uses both slots).
    pub outputs: [Sink; 2],
}

/// The flattened design.
pub(crate) struct Flat<'a> {
    occurrences: Vec<Occurrence>,
    /// Cells by dense index.
    pub cells: Vec<FlatCell<'a>>,
    /// Top input ports in declared order, with where they lead.
    pub inputs: Vec<(&'a str, Sink)>,
    /// Top output ports in declared order.
    pub outputs: Vec<&'a str>,
}

impl Flat<'_> {
    /// The hierarchical path of cell `cell`: `u_pop/syn3`.
    pub fn path(&self, cell: usize) -> String {
        let c = &self.cells[cell];
        format!(
            "{}{}",
            self.occurrences[c.occurrence].prefix, c.instance.name
        )
    }
}

/// Flattens `netlist`; see the module documentation.
pub(crate) fn flatten<'a>(
    tech: &Technology,
    netlist: &'a ValidNetlist,
) -> Result<Flat<'a>, PulseError> {
    let modules = netlist.modules();
    let mut occurrences: Vec<Occurrence> = Vec::new();
    let mut cells: Vec<FlatCell<'a>> = Vec::new();
    // Depth first, children pushed in reverse so they pop in name order.
    let mut stack = vec![Pending {
        module: netlist.top(),
        parent: None,
        prefix: String::new(),
    }];
    while let Some(Pending {
        module,
        parent,
        prefix,
    }) = stack.pop()
    {
        let index = occurrences.len();
        if let Some((p, sub)) = parent {
            occurrences[p].children[sub] = index;
        }
        let m = &modules[module];
        for (sub, child) in m.submodules.iter().enumerate().rev() {
            let Some(c) = netlist.module_index(&child.module) else {
                return Err(mismatch(&prefix, &child.name, "no such module"));
            };
            stack.push(Pending {
                module: c,
                parent: Some((index, sub)),
                prefix: format!("{prefix}{}/", child.name),
            });
        }
        occurrences.push(Occurrence {
            module,
            parent,
            children: vec![usize::MAX; m.submodules.len()],
            first_cell: cells.len(),
            prefix,
        });
        cells.extend(m.instances.iter().map(|instance| FlatCell {
            instance,
            occurrence: index,
            outputs: [Sink::Open; 2],
        }));
    }
    if u32::try_from(cells.len()).is_err() {
        return Err(PulseError::TooManyCells { cells: cells.len() });
    }
    let mut flat = Flat {
        occurrences,
        cells,
        inputs: Vec::new(),
        outputs: Vec::new(),
    };
    let top = &modules[netlist.top()];
    flat.outputs = top
        .ports
        .iter()
        .filter(|p| p.direction == Direction::Output)
        .map(|p| p.name.as_str())
        .collect();
    let resolver = Resolver {
        tech,
        netlist,
        flat: &flat,
    };
    let mut inputs = Vec::new();
    for port in top.ports.iter().filter(|p| p.direction == Direction::Input) {
        inputs.push((port.name.as_str(), resolver.sink(0, &port.name)?));
    }
    let mut outputs = Vec::with_capacity(flat.cells.len());
    for (index, cell) in flat.cells.iter().enumerate() {
        let pins = &tech.cell(cell.instance.kind).pins.outputs;
        let mut slots = [Sink::Open; 2];
        for (slot, pin) in slots.iter_mut().zip(pins) {
            let Some(net) = cell.instance.connections.get(pin) else {
                let message = format!("output pin `{pin}` is not connected");
                return Err(PulseError::Mismatch {
                    at: flat.path(index),
                    message,
                });
            };
            *slot = resolver.sink(cell.occurrence, net)?;
        }
        outputs.push(slots);
    }
    for (cell, slots) in flat.cells.iter_mut().zip(outputs) {
        cell.outputs = slots;
    }
    flat.inputs = inputs;
    Ok(flat)
}

fn mismatch(prefix: &str, name: &str, message: &str) -> PulseError {
    PulseError::Mismatch {
        at: format!("{prefix}{name}"),
        message: message.to_string(),
    }
}

/// Follows nets across module boundaries to the cell pin or top output
/// that finally reads them.
struct Resolver<'r, 'a> {
    tech: &'r Technology,
    netlist: &'a ValidNetlist,
    flat: &'r Flat<'a>,
}

impl Resolver<'_, '_> {
    /// Where a pulse on net `net` of occurrence `occurrence` ends up.
    fn sink(&self, mut occurrence: usize, net: &str) -> Result<Sink, PulseError> {
        let modules = self.netlist.modules();
        let mut net = net.to_string();
        // Each step moves one level up or down the hierarchy; a path never
        // needs more than two per occurrence. The bound only guards
        // against a netlist that validation would have rejected.
        for _ in 0..=2 * self.flat.occurrences.len() + 2 {
            let occ = &self.flat.occurrences[occurrence];
            let module = &modules[occ.module];
            let nets = self.netlist.nets(occ.module);
            let found = nets
                .binary_search_by(|n| n.name.as_str().cmp(&net))
                .ok()
                .and_then(|i| nets[i].sinks.first());
            let Some(terminal) = found else {
                return Err(mismatch(&occ.prefix, &net, "the net has no sink"));
            };
            match terminal {
                // A sink port is an output port of this module.
                Terminal::Port(port) => match occ.parent {
                    None => {
                        let index = self.flat.outputs.iter().position(|o| o == port);
                        return match index {
                            Some(i) => Ok(Sink::Output(i as u32)),
                            None => Err(mismatch("", port, "not an output port of the top")),
                        };
                    }
                    Some((parent, sub)) => {
                        let p = &self.flat.occurrences[parent];
                        let child = &modules[p.module].submodules[sub];
                        let Some(outer) = child.connections.get(port) else {
                            return Err(mismatch(&p.prefix, &child.name, "a port is open"));
                        };
                        net.clone_from(outer);
                        occurrence = parent;
                    }
                },
                Terminal::Pin { instance, pin } => {
                    let by_name = |name: &str| name.cmp(instance.as_str());
                    if let Ok(i) = module
                        .instances
                        .binary_search_by(|x| by_name(x.name.as_str()))
                    {
                        let inst = &module.instances[i];
                        let pins = &self.tech.cell(inst.kind).pins;
                        let position = pins
                            .inputs
                            .iter()
                            .chain(&pins.clocks)
                            .position(|p| p == pin);
                        let Some(position) = position else {
                            let message = format!("no input pin `{pin}`");
                            return Err(mismatch(&occ.prefix, instance, &message));
                        };
                        return Ok(Sink::Cell {
                            cell: (occ.first_cell + i) as u32,
                            pin: position as u8,
                        });
                    }
                    let Ok(s) = module
                        .submodules
                        .binary_search_by(|x| by_name(x.name.as_str()))
                    else {
                        return Err(mismatch(&occ.prefix, instance, "no such cell or child"));
                    };
                    // A child's port sits on the child's net of that name.
                    occurrence = occ.children[s];
                    net.clone_from(pin);
                }
            }
        }
        Err(mismatch("", &net, "the net's path does not end"))
    }
}
