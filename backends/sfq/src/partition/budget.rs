//! What one chip may hold: the technology's die limits, optionally
//! overridden from the command line (`--chip jj=6000,area=25mm2,pins=40,bias=1000mA`).
//!
//! The technology file describes a die (width, height, usable fraction,
//! pads, bias current); the partitioner wants capacities. The area in a
//! budget is the *usable* area, what cells may cover, not the die's: a user
//! who writes `area=25mm2` promises 25 mm² of cells, and nothing further is
//! taken off for pads or wiring. The technology has no junction limit, so
//! one only exists when the user gives it.

use crate::tech::ChipLimits;
use std::fmt;

/// Capacities of one chip. `None` is unlimited.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ChipBudget {
    /// Josephson junctions.
    pub jjs: Option<u64>,
    /// Area cells may cover (the usable area, not the die's), µm².
    pub area_um2: Option<f64>,
    /// Signal pads (pulse lines and external inputs and outputs).
    pub pins: Option<u32>,
    /// Total bias current, µA.
    pub bias_ua: Option<f64>,
}

/// Why a `--chip` specification was rejected.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum BudgetError {
    /// Nothing between the commas.
    #[error("chip budget: empty specification or empty item")]
    Empty,
    /// An item without `=`.
    #[error("chip budget: `{item}` is not `key=value`")]
    Malformed { item: String },
    /// A key other than `jj`, `jjs`, `area`, `pins`, `bias`.
    #[error("chip budget: unknown key `{key}`")]
    UnknownKey { key: String },
    /// The same quantity given twice (`jj` and `jjs` are one quantity).
    #[error("chip budget: `{key}` is given twice")]
    DuplicateKey { key: String },
    /// A value that is not a finite number (or, for `jj` and `pins`, not
    /// a whole number).
    #[error("chip budget: `{key}={value}`: not a {expected}")]
    BadNumber {
        key: String,
        value: String,
        expected: &'static str,
    },
    /// A number without a unit where one is required.
    #[error("chip budget: `{key}={value}` needs a unit ({units})")]
    MissingUnit {
        key: String,
        value: String,
        units: &'static str,
    },
    /// A unit that does not belong to the key.
    #[error("chip budget: `{key}`: unknown unit `{unit}` (use {units})")]
    BadUnit {
        key: String,
        unit: String,
        units: &'static str,
    },
    /// Zero or negative.
    #[error("chip budget: `{key}={value}` must be positive")]
    NotPositive { key: String, value: String },
}

impl BudgetError {
    /// A stable code for the error, for documentation and tests.
    pub fn code(&self) -> &'static str {
        match self {
            BudgetError::Empty => "C0101",
            BudgetError::Malformed { .. } => "C0102",
            BudgetError::UnknownKey { .. } => "C0103",
            BudgetError::DuplicateKey { .. } => "C0104",
            BudgetError::BadNumber { .. } => "C0105",
            BudgetError::MissingUnit { .. } => "C0106",
            BudgetError::BadUnit { .. } => "C0107",
            BudgetError::NotPositive { .. } => "C0108",
        }
    }

    /// A line telling the user how to fix it.
    pub fn help(&self) -> &'static str {
        "write `--chip jj=6000,area=25mm2,pins=40,bias=1000mA`, any subset of the keys \
         `jj`, `area` (um2 or mm2, the area cells may cover), `pins` and `bias` (uA, mA \
         or A); keys not given keep the technology's value"
    }
}

const AREA_UNITS: &str = "um2 or mm2";
const BIAS_UNITS: &str = "uA, mA or A";

/// The quantities of a budget, for duplicate detection.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Key {
    Jjs,
    Area,
    Pins,
    Bias,
}

impl ChipBudget {
    /// No limit at all.
    pub const UNLIMITED: ChipBudget = ChipBudget {
        jjs: None,
        area_um2: None,
        pins: None,
        bias_ua: None,
    };

    /// The technology's die: its usable area, its signal pads and its bias
    /// current; no junction limit (the file has none).
    pub fn from_limits(limits: &ChipLimits) -> ChipBudget {
        ChipBudget {
            jjs: None,
            area_um2: Some(limits.usable_area_um2()),
            pins: Some(limits.max_signal_pins),
            bias_ua: Some(limits.max_bias_ma * 1000.0),
        }
    }

    /// Reads `jj=6000,area=25mm2,pins=40,bias=1000mA` (any subset, any
    /// order, spaces allowed around items and before units). Keys given
    /// replace `base`'s values; the others keep them. `area` is the usable
    /// area (what cells may cover), in `um2` (or `µm2`) or `mm2`; `bias` in
    /// `uA` (or `µA`), `mA` or `A`; `jj` (or `jjs`) and `pins` are whole
    /// numbers without unit. Every value must be positive.
    pub fn parse(spec: &str, base: ChipBudget) -> Result<ChipBudget, BudgetError> {
        let mut out = base;
        let mut seen: Vec<Key> = Vec::new();
        if spec.trim().is_empty() {
            return Err(BudgetError::Empty);
        }
        for item in spec.split(',') {
            let item = item.trim();
            if item.is_empty() {
                return Err(BudgetError::Empty);
            }
            let Some((key, value)) = item.split_once('=') else {
                return Err(BudgetError::Malformed { item: item.into() });
            };
            let (key, value) = (key.trim(), value.trim());
            let which = match key {
                "jj" | "jjs" => Key::Jjs,
                "area" => Key::Area,
                "pins" => Key::Pins,
                "bias" => Key::Bias,
                _ => return Err(BudgetError::UnknownKey { key: key.into() }),
            };
            if seen.contains(&which) {
                return Err(BudgetError::DuplicateKey { key: key.into() });
            }
            seen.push(which);
            match which {
                Key::Jjs => out.jjs = Some(whole(key, value)?),
                Key::Pins => {
                    let n = whole(key, value)?;
                    let n = u32::try_from(n).map_err(|_| BudgetError::BadNumber {
                        key: key.into(),
                        value: value.into(),
                        expected: "whole number below 2^32",
                    })?;
                    out.pins = Some(n);
                }
                Key::Area => {
                    let scale = |unit: &str| match unit {
                        "um2" | "µm2" => Some(1.0),
                        "mm2" => Some(1e6),
                        _ => None,
                    };
                    out.area_um2 = Some(with_unit(key, value, AREA_UNITS, scale)?);
                }
                Key::Bias => {
                    let scale = |unit: &str| match unit {
                        "uA" | "µA" => Some(1.0),
                        "mA" => Some(1e3),
                        "A" => Some(1e6),
                        _ => None,
                    };
                    out.bias_ua = Some(with_unit(key, value, BIAS_UNITS, scale)?);
                }
            }
        }
        Ok(out)
    }
}

/// A positive whole number without unit.
fn whole(key: &str, value: &str) -> Result<u64, BudgetError> {
    let bad = || BudgetError::BadNumber {
        key: key.into(),
        value: value.into(),
        expected: "whole number",
    };
    // A leading minus would fail `u64` parsing as a bad number; say what
    // is really wrong with it.
    if let Some(rest) = value.strip_prefix('-') {
        if rest.parse::<u64>().is_ok() {
            return Err(BudgetError::NotPositive {
                key: key.into(),
                value: value.into(),
            });
        }
    }
    let n: u64 = value.parse().map_err(|_| bad())?;
    if n == 0 {
        return Err(BudgetError::NotPositive {
            key: key.into(),
            value: value.into(),
        });
    }
    Ok(n)
}

/// A positive finite number followed by a unit that `scale` knows,
/// converted to the budget's unit.
fn with_unit(
    key: &str,
    value: &str,
    units: &'static str,
    scale: impl Fn(&str) -> Option<f64>,
) -> Result<f64, BudgetError> {
    let (number, unit) = split_unit(value);
    if number.is_empty() {
        return Err(BudgetError::BadNumber {
            key: key.into(),
            value: value.into(),
            expected: "number",
        });
    }
    let x: f64 = number
        .parse()
        .ok()
        .filter(|x: &f64| x.is_finite())
        .ok_or_else(|| BudgetError::BadNumber {
            key: key.into(),
            value: value.into(),
            expected: "number",
        })?;
    if unit.is_empty() {
        return Err(BudgetError::MissingUnit {
            key: key.into(),
            value: value.into(),
            units,
        });
    }
    let factor = scale(unit).ok_or_else(|| BudgetError::BadUnit {
        key: key.into(),
        unit: unit.into(),
        units,
    })?;
    let scaled = x * factor;
    if scaled <= 0.0 {
        return Err(BudgetError::NotPositive {
            key: key.into(),
            value: value.into(),
        });
    }
    if !scaled.is_finite() {
        return Err(BudgetError::BadNumber {
            key: key.into(),
            value: value.into(),
            expected: "number of reasonable size",
        });
    }
    Ok(scaled)
}

/// Splits `25mm2` into `25` and `mm2`: the unit starts at the first
/// letter that is not the exponent of the number (`1e3mm2`, `2.5e-1A`).
fn split_unit(value: &str) -> (&str, &str) {
    let chars: Vec<(usize, char)> = value.char_indices().collect();
    for (i, &(at, c)) in chars.iter().enumerate() {
        if !c.is_alphabetic() && c != 'µ' {
            continue;
        }
        let after_digit = i > 0 && chars[i - 1].1.is_ascii_digit();
        let before_exponent = chars
            .get(i + 1)
            .is_some_and(|&(_, n)| n.is_ascii_digit() || n == '-' || n == '+');
        if (c == 'e' || c == 'E') && after_digit && before_exponent {
            continue;
        }
        return (value[..at].trim(), value[at..].trim());
    }
    (value.trim(), "")
}

impl fmt::Display for ChipBudget {
    /// In the form [`ChipBudget::parse`] reads (`jj=6000,area=20mm2,
    /// pins=40,bias=1000mA`), limits only; `unlimited` when there are none.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut items = Vec::new();
        if let Some(jjs) = self.jjs {
            items.push(format!("jj={jjs}"));
        }
        if let Some(area) = self.area_um2 {
            items.push(format!("area={}mm2", area / 1e6));
        }
        if let Some(pins) = self.pins {
            items.push(format!("pins={pins}"));
        }
        if let Some(bias) = self.bias_ua {
            items.push(format!("bias={}mA", bias / 1e3));
        }
        if items.is_empty() {
            f.write_str("unlimited")
        } else {
            f.write_str(&items.join(","))
        }
    }
}
