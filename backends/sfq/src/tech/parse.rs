//! From a technology file's text to a validated [`Technology`].
//!
//! The file is read into spanned mirror types, so that every semantic error
//! can name a line; the spans are dropped once the values are checked.

use super::calibration::{Calibration, CalibrationPoint};
use super::neuron::NeuronModel;
use super::{Cell, CellKind, ChipLimits, ReferenceDesign, TechError, Technology};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::ops::Range;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTechnology {
    name: Spanned<String>,
    unit_ic_ua: Spanned<f64>,
    bias_voltage_mv: Spanned<f64>,
    bias_resolution_ua: Spanned<f64>,
    jj_model: Spanned<String>,
    chip: Spanned<ChipLimits>,
    #[serde(default)]
    reference: Option<Spanned<ReferenceDesign>>,
    synapse_calibration: RawCalibration,
    neuron: Spanned<RawNeuron>,
    cells: Spanned<BTreeMap<CellKind, Spanned<Cell>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCalibration {
    points: Spanned<Vec<Spanned<[f64; 2]>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNeuron {
    threshold_junction_ic_ua: f64,
    loop_current_per_pulse_ua: f64,
    threshold_bias_min_ua: f64,
    threshold_bias_max_ua: f64,
    leak: RawCalibration,
}

/// Maps byte offsets of the text to 1-based lines and columns.
struct Lines<'a> {
    text: &'a str,
}

impl Lines<'_> {
    fn line_column(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = self.text.get(..offset).unwrap_or(self.text);
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        (line, before[line_start..].chars().count() + 1)
    }

    fn line(&self, span: Range<usize>) -> usize {
        self.line_column(span.start).0
    }
}

/// Parses and validates a technology file.
pub(super) fn technology(text: &str) -> Result<Technology, TechError> {
    let lines = Lines { text };
    let raw: RawTechnology = toml::from_str(text).map_err(|error| {
        let (line, column) = lines.line_column(error.span().map_or(0, |span| span.start));
        TechError::Syntax {
            line,
            column,
            message: error.message().trim().to_string(),
        }
    })?;

    let check = Checker { lines: &lines };
    if raw.name.get_ref().trim().is_empty() {
        return Err(check.invalid(raw.name.span(), "name", "is empty"));
    }
    check.positive(&raw.unit_ic_ua, "unit_ic_ua")?;
    check.positive(&raw.bias_voltage_mv, "bias_voltage_mv")?;
    check.positive(&raw.bias_resolution_ua, "bias_resolution_ua")?;
    if !raw
        .jj_model
        .get_ref()
        .trim_start()
        .to_ascii_lowercase()
        .starts_with(".model")
    {
        return Err(check.invalid(
            raw.jj_model.span(),
            "jj_model",
            "is not a `.model NAME jj(...)` line",
        ));
    }

    check.chip(&raw.chip)?;
    if let Some(reference) = &raw.reference {
        let line = lines.line(reference.span());
        let r = reference.get_ref();
        check.number(line, "reference.power_mw", r.power_mw, Bound::Positive)?;
        if r.jjs == 0 {
            return Err(TechError::Invalid {
                line,
                field: "reference.jjs".into(),
                message: "must be positive".into(),
            });
        }
    }

    let synapse_calibration =
        check.calibration(&raw.synapse_calibration, "synapse_calibration", true)?;
    let neuron = check.neuron(&raw.neuron)?;

    let cells_line = lines.line(raw.cells.span());
    let mut raw_cells = raw.cells.into_inner();
    let mut cells = BTreeMap::new();
    for kind in CellKind::ALL {
        let cell = raw_cells.remove(&kind).ok_or(TechError::MissingCell {
            cell: kind,
            line: cells_line,
        })?;
        let line = lines.line(cell.span());
        let cell = cell.into_inner();
        check.cell(kind, line, &cell)?;
        cells.insert(kind, cell);
    }

    Ok(Technology {
        name: raw.name.into_inner(),
        unit_ic_ua: raw.unit_ic_ua.into_inner(),
        bias_voltage_mv: raw.bias_voltage_mv.into_inner(),
        bias_resolution_ua: raw.bias_resolution_ua.into_inner(),
        jj_model: raw.jj_model.into_inner().trim().to_string(),
        cells,
        synapse_calibration,
        neuron,
        chip: raw.chip.into_inner(),
        reference: raw.reference.map(Spanned::into_inner),
    })
}

/// What a number must be.
#[derive(Clone, Copy)]
enum Bound {
    Positive,
    NotNegative,
}

struct Checker<'a> {
    lines: &'a Lines<'a>,
}

impl Checker<'_> {
    fn invalid(&self, span: Range<usize>, field: &str, message: &str) -> TechError {
        TechError::Invalid {
            line: self.lines.line(span),
            field: field.into(),
            message: message.into(),
        }
    }

    fn number(&self, line: usize, field: &str, value: f64, bound: Bound) -> Result<(), TechError> {
        let ok = match bound {
            Bound::Positive => value > 0.0,
            Bound::NotNegative => value >= 0.0,
        };
        if ok && value.is_finite() {
            return Ok(());
        }
        let wanted = match bound {
            Bound::Positive => "a positive number",
            Bound::NotNegative => "a number not below 0",
        };
        Err(TechError::Invalid {
            line,
            field: field.into(),
            message: format!("is {value}, must be {wanted}"),
        })
    }

    fn positive(&self, value: &Spanned<f64>, field: &str) -> Result<(), TechError> {
        let line = self.lines.line(value.span());
        self.number(line, field, *value.get_ref(), Bound::Positive)
    }

    fn chip(&self, chip: &Spanned<ChipLimits>) -> Result<(), TechError> {
        let line = self.lines.line(chip.span());
        let c = chip.get_ref();
        self.number(line, "chip.die_width_um", c.die_width_um, Bound::Positive)?;
        self.number(line, "chip.die_height_um", c.die_height_um, Bound::Positive)?;
        self.number(
            line,
            "chip.usable_fraction",
            c.usable_fraction,
            Bound::Positive,
        )?;
        self.number(line, "chip.max_bias_ma", c.max_bias_ma, Bound::Positive)?;
        if c.usable_fraction > 1.0 {
            return Err(self.invalid(chip.span(), "chip.usable_fraction", "is above 1"));
        }
        if c.max_signal_pins == 0 {
            return Err(self.invalid(chip.span(), "chip.max_signal_pins", "must be positive"));
        }
        Ok(())
    }

    fn calibration(
        &self,
        raw: &RawCalibration,
        table: &'static str,
        probabilities: bool,
    ) -> Result<Calibration, TechError> {
        let spanned = raw.points.get_ref();
        let points: Vec<CalibrationPoint> = spanned
            .iter()
            .map(|point| {
                let [bias_ua, value] = *point.get_ref();
                CalibrationPoint { bias_ua, value }
            })
            .collect();
        let built = if probabilities {
            Calibration::probabilities(points)
        } else {
            Calibration::new(points)
        };
        built.map_err(|error| {
            let span = error
                .index()
                .and_then(|i| spanned.get(i))
                .map_or(raw.points.span(), Spanned::span);
            TechError::Calibration {
                table,
                line: self.lines.line(span),
                error,
            }
        })
    }

    fn neuron(&self, raw: &Spanned<RawNeuron>) -> Result<NeuronModel, TechError> {
        let line = self.lines.line(raw.span());
        let n = raw.get_ref();
        let ic = n.threshold_junction_ic_ua;
        self.number(line, "neuron.threshold_junction_ic_ua", ic, Bound::Positive)?;
        let step = n.loop_current_per_pulse_ua;
        self.number(
            line,
            "neuron.loop_current_per_pulse_ua",
            step,
            Bound::Positive,
        )?;
        let (low, high) = (n.threshold_bias_min_ua, n.threshold_bias_max_ua);
        self.number(
            line,
            "neuron.threshold_bias_min_ua",
            low,
            Bound::NotNegative,
        )?;
        self.number(line, "neuron.threshold_bias_max_ua", high, Bound::Positive)?;
        let problem = if low >= high {
            Some("must be above `threshold_bias_min_ua`")
        } else if high >= ic {
            Some("must be below `threshold_junction_ic_ua`, or the neuron fires on its own")
        } else if (ic - low) / step > 10_000.0 {
            Some("allows thresholds above 10000 pulses; is the per-pulse current right?")
        } else {
            None
        };
        if let Some(message) = problem {
            return Err(TechError::Invalid {
                line,
                field: "neuron.threshold_bias_max_ua".into(),
                message: message.into(),
            });
        }
        let leak = self.calibration(&n.leak, "neuron.leak", false)?;
        Ok(NeuronModel {
            threshold_junction_ic_ua: ic,
            loop_current_per_pulse_ua: step,
            threshold_bias_min_ua: low,
            threshold_bias_max_ua: high,
            leak,
        })
    }

    fn cell(&self, kind: CellKind, line: usize, cell: &Cell) -> Result<(), TechError> {
        let field = |name: &str| format!("cells.{kind}.{name}");
        let invalid = |name: &str, message: String| TechError::Invalid {
            line,
            field: field(name),
            message,
        };
        if cell.jjs == 0 {
            return Err(invalid("jjs", "must be positive".into()));
        }
        self.number(line, &field("bias_ua"), cell.bias_ua, Bound::Positive)?;
        let adjustable = cell.adjustable_bias_ua;
        self.number(
            line,
            &field("adjustable_bias_ua"),
            adjustable,
            Bound::NotNegative,
        )?;
        self.number(line, &field("delay_ps"), cell.delay_ps, Bound::Positive)?;
        self.number(line, &field("area_um2"), cell.area_um2, Bound::Positive)?;
        for (name, value) in [
            ("min_input_separation_ps", cell.min_input_separation_ps),
            ("min_cross_separation_ps", cell.min_cross_separation_ps),
        ] {
            if let Some(value) = value {
                self.number(line, &field(name), value, Bound::Positive)?;
            }
        }
        for (name, value) in [("setup_ps", cell.setup_ps), ("hold_ps", cell.hold_ps)] {
            match value {
                Some(value) if cell.is_clocked() => {
                    self.number(line, &field(name), value, Bound::NotNegative)?
                }
                Some(_) => return Err(invalid(name, "is given but the cell has no clock".into())),
                None if cell.is_clocked() => {
                    return Err(invalid(name, "is missing for a clocked cell".into()))
                }
                None => {}
            }
        }
        self.pins(kind, line, cell)?;
        self.subcircuit(kind, line, cell)
    }

    /// Each kind has a fixed shape, so lowering can rely on it: the
    /// neuron's bias pins are threshold then leak, and its optional second
    /// input is inhibitory.
    fn pins(&self, kind: CellKind, line: usize, cell: &Cell) -> Result<(), TechError> {
        let mut wanted: [usize; 4] = match kind {
            CellKind::Jtl | CellKind::DcSfq | CellKind::SfqDc => [1, 0, 1, 0],
            CellKind::Split => [1, 0, 2, 0],
            CellKind::Merge => [2, 0, 1, 0],
            CellKind::Dff => [1, 1, 1, 0],
            CellKind::Ndro => [2, 1, 1, 0],
            CellKind::Synapse => [1, 0, 1, 1],
            CellKind::Neuron => [1, 0, 1, 2],
        };
        let p = &cell.pins;
        if kind == CellKind::Neuron && p.inputs.len() == 2 {
            wanted[0] = 2;
        }
        let found = [
            p.inputs.len(),
            p.clocks.len(),
            p.outputs.len(),
            p.biases.len(),
        ];
        let mut message = None;
        if found != wanted {
            message = Some(format!(
                "a `{kind}` cell has {} inputs, {} clocks, {} outputs and {} bias pins; \
                 this one has {}, {}, {} and {}",
                wanted[0], wanted[1], wanted[2], wanted[3], found[0], found[1], found[2], found[3]
            ));
        }
        let names: Vec<&str> = p.ports().collect();
        for (i, name) in names.iter().enumerate() {
            if name.is_empty() || name.contains(char::is_whitespace) {
                message = Some(format!("pin name `{name}` is empty or has spaces"));
            } else if names[..i]
                .iter()
                .any(|other| other.eq_ignore_ascii_case(name))
            {
                // JoSIM reads nodes case-insensitively.
                message = Some(format!("pin `{name}` appears twice"));
            }
        }
        match message {
            Some(message) => Err(TechError::Invalid {
                line,
                field: format!("cells.{kind}.pins"),
                message,
            }),
            None => Ok(()),
        }
    }

    fn subcircuit(&self, kind: CellKind, line: usize, cell: &Cell) -> Result<(), TechError> {
        let error = |message: String| TechError::Subcircuit {
            cell: kind,
            line,
            message,
        };
        let (_, ports) = subckt_header(&cell.subcircuit)
            .ok_or_else(|| error("does not open with a `.subckt NAME ports...` line".into()))?;
        let pins: Vec<&str> = cell.pins.ports().collect();
        let same = ports.len() == pins.len()
            && ports
                .iter()
                .zip(&pins)
                .all(|(port, pin)| port.eq_ignore_ascii_case(pin));
        if !same {
            return Err(error(format!(
                "ports `{}` are not the pins `{}` (inputs, clocks, outputs, biases)",
                ports.join(" "),
                pins.join(" ")
            )));
        }
        let body: Vec<&str> = statements(&cell.subcircuit).skip(1).collect();
        match body.last() {
            Some(last) if is_directive(last, ".ends") => {}
            _ => return Err(error("does not close with `.ends`".into())),
        }
        if body.iter().any(|s| is_directive(s, ".subckt")) {
            return Err(error("holds a nested `.subckt`".into()));
        }
        let found = junction_count(&cell.subcircuit);
        if found != cell.jjs {
            return Err(TechError::JunctionCount {
                cell: kind,
                line,
                declared: cell.jjs,
                found,
            });
        }
        Ok(())
    }
}

/// The lines of a netlist that are statements: not blank, not comments.
fn statements(netlist: &str) -> impl Iterator<Item = &str> {
    netlist
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('*'))
}

fn is_directive(statement: &str, directive: &str) -> bool {
    statement
        .split_whitespace()
        .next()
        .is_some_and(|word| word.eq_ignore_ascii_case(directive))
}

/// The name and ports of a netlist's opening `.subckt` line.
pub(super) fn subckt_header(netlist: &str) -> Option<(&str, Vec<&str>)> {
    let first = statements(netlist).next()?;
    let mut words = first.split_whitespace();
    if !words.next()?.eq_ignore_ascii_case(".subckt") {
        return None;
    }
    let name = words.next()?;
    Some((name, words.collect()))
}

/// Josephson junctions of a netlist: JoSIM statements whose element name
/// starts with `B` (any case).
pub(super) fn junction_count(netlist: &str) -> u32 {
    let count = statements(netlist)
        .filter(|statement| statement.starts_with(['B', 'b']))
        .count();
    u32::try_from(count).unwrap_or(u32::MAX)
}
