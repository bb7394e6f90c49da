//! Writers: the files `spikec build --target sfq` puts in its output
//! directory, each a pure function of a [`ValidNetlist`] and the
//! [`Technology`] it was validated against.
//!
//! - [`json`]: `netlist.json`, the cell netlist with its nets and bias lines;
//! - [`verilog`]: `netlist.v`, structural Verilog, one module per netlist
//!   module, the top last;
//! - [`josim`]: a flattened JoSIM deck with the cells' subcircuits, bias
//!   sources and optional input pulses;
//! - [`report`]: cells, junctions, bias current, power and area, per module
//!   and overall, as text or JSON.
//!
//! They rely on the netlist's invariants (names are identifiers, every pin
//! connected, one driver and one sink per net, sorted order) and establish
//! one: the same netlist gives byte-identical output.
//!
//! [`ValidNetlist`]: crate::netlist::ValidNetlist
//! [`Technology`]: crate::tech::Technology

pub mod josim;
pub mod json;
pub mod report;
#[cfg(test)]
mod tests;
pub mod verilog;

pub use josim::{josim, JosimError, JosimOptions, Stimulus};
pub use json::netlist_json;
pub use report::{report, ModuleReport, Report};
pub use verilog::verilog;
