//! The resource report: cells by kind, junctions, bias current, static
//! power and area, per module (its own cells, once) and for the whole
//! flattened design (each module times its occurrences).
//!
//! Junctions, area and cell counts come from [`Technology::totals`]. Bias
//! and power use each instance's own programmable biases instead of the
//! technology's nominal figure, since synapse weights and neuron
//! thresholds differ per instance: bias = Σ (fixed bias + Σ bias pins),
//! power = bias · rail voltage.

use crate::netlist::{Module, ValidNetlist};
use crate::tech::{CellKind, Technology, Totals};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write;

/// The figures of one module's own cells.
#[derive(Clone, Debug, PartialEq)]
pub struct ModuleReport {
    /// The module.
    pub module: String,
    /// Its occurrences in the flattened design.
    pub instantiations: u64,
    /// Its cells by kind (kinds it does not use are absent).
    pub cells: BTreeMap<CellKind, u64>,
    /// Sums over its cells, counted once.
    pub totals: Totals,
}

/// Per-module and overall figures of a netlist.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// The technology's name.
    pub technology: String,
    /// The top module.
    pub top: String,
    /// One entry per module, in name order.
    pub modules: Vec<ModuleReport>,
    /// Cells by kind over the flattened design.
    pub cells: BTreeMap<CellKind, u64>,
    /// Sums over the flattened design.
    pub total: Totals,
}

/// Computes the report of `netlist`.
pub fn report(tech: &Technology, netlist: &ValidNetlist) -> Report {
    let mut modules = Vec::new();
    let mut cells: BTreeMap<CellKind, u64> = BTreeMap::new();
    let mut total = Totals::default();
    for (i, module) in netlist.modules().iter().enumerate() {
        let (own_cells, own) = module_totals(tech, module);
        let n = netlist.instantiations(i);
        for (&kind, &count) in &own_cells {
            *cells.entry(kind).or_default() += count * n;
        }
        total.cells += own.cells * n;
        total.jjs += own.jjs * n;
        total.bias_ua += own.bias_ua * n as f64;
        total.power_uw += own.power_uw * n as f64;
        total.area_um2 += own.area_um2 * n as f64;
        modules.push(ModuleReport {
            module: module.name.clone(),
            instantiations: n,
            cells: own_cells,
            totals: own,
        });
    }
    Report {
        technology: tech.name().to_string(),
        top: netlist.top_module().name.clone(),
        modules,
        cells,
        total,
    }
}

fn module_totals(tech: &Technology, module: &Module) -> (BTreeMap<CellKind, u64>, Totals) {
    let mut cells: BTreeMap<CellKind, u64> = BTreeMap::new();
    let mut bias_ua = 0.0;
    for inst in &module.instances {
        *cells.entry(inst.kind).or_default() += 1;
        bias_ua += tech.cell(inst.kind).bias_ua + inst.bias_ua.values().sum::<f64>();
    }
    let mut totals = tech.totals(cells.iter().map(|(&k, &n)| (k, n)));
    totals.bias_ua = bias_ua;
    totals.power_uw = bias_ua * tech.bias_voltage_mv() / 1000.0;
    (cells, totals)
}

fn write_figures(out: &mut String, indent: &str, cells: &BTreeMap<CellKind, u64>, t: &Totals) {
    let kinds: Vec<String> = cells.iter().map(|(k, n)| format!("{k} {n}")).collect();
    let kinds = if kinds.is_empty() {
        "none".to_string()
    } else {
        kinds.join(", ")
    };
    let _ = writeln!(out, "{indent}cells      {} ({kinds})", t.cells);
    let _ = writeln!(out, "{indent}junctions  {}", t.jjs);
    let _ = writeln!(out, "{indent}bias       {:.1} uA", t.bias_ua);
    let _ = writeln!(out, "{indent}power      {:.3} uW", t.power_uw);
    let _ = writeln!(out, "{indent}area       {:.0} um2", t.area_um2);
}

#[derive(Serialize)]
struct FiguresDoc {
    cells: u64,
    cells_by_kind: BTreeMap<&'static str, u64>,
    jjs: u64,
    bias_ua: f64,
    power_uw: f64,
    area_um2: f64,
}

impl FiguresDoc {
    fn new(cells: &BTreeMap<CellKind, u64>, t: &Totals) -> FiguresDoc {
        FiguresDoc {
            cells: t.cells,
            cells_by_kind: cells.iter().map(|(k, &n)| (k.key(), n)).collect(),
            jjs: t.jjs,
            bias_ua: t.bias_ua,
            power_uw: t.power_uw,
            area_um2: t.area_um2,
        }
    }
}

#[derive(Serialize)]
struct ModuleDoc<'a> {
    name: &'a str,
    instantiations: u64,
    #[serde(flatten)]
    figures: FiguresDoc,
}

#[derive(Serialize)]
struct ReportDoc<'a> {
    technology: &'a str,
    top: &'a str,
    modules: Vec<ModuleDoc<'a>>,
    total: FiguresDoc,
}

impl Report {
    /// A plain-text table: each module's own figures, then the total.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "SFQ resources: top `{}`, technology `{}`",
            self.top, self.technology
        );
        for m in &self.modules {
            let _ = writeln!(
                out,
                "\nmodule {} (x{}, own cells once)",
                m.module, m.instantiations
            );
            write_figures(&mut out, "  ", &m.cells, &m.totals);
        }
        let _ = writeln!(out, "\ntotal (flattened)");
        write_figures(&mut out, "  ", &self.cells, &self.total);
        out
    }

    /// The same figures as JSON (pretty-printed, ending in a newline).
    pub fn to_json(&self) -> String {
        let doc = ReportDoc {
            technology: &self.technology,
            top: &self.top,
            modules: self
                .modules
                .iter()
                .map(|m| ModuleDoc {
                    name: &m.module,
                    instantiations: m.instantiations,
                    figures: FiguresDoc::new(&m.cells, &m.totals),
                })
                .collect(),
            total: FiguresDoc::new(&self.cells, &self.total),
        };
        // Strings, integers and finite sums always serialise.
        let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
        text.push('\n');
        text
    }
}
