//! Physical dimensions, the unit table and exact conversion to the canonical
//! internal units.
//!
//! Every quantity in the IR is an `f64` in the *canonical* unit of its
//! dimension. The canonical units form a coherent system, so arithmetic on
//! canonical values never needs a conversion factor:
//!
//! | dimension   | canonical unit | why |
//! |-------------|----------------|-----|
//! | time        | ms             | PyNN, NEST |
//! | voltage     | mV             | PyNN, NEST |
//! | current     | nA             | PyNN (NEST's pA converts exactly) |
//! | length      | um             | PyNN positions |
//! | capacitance | nF  (= nA·ms/mV) | PyNN |
//! | conductance | uS  (= nA/mV)  | PyNN |
//! | resistance  | MOhm (= mV/nA) | PyNN |
//! | charge      | pC  (= nA·ms)  | |
//! | frequency   | kHz (= 1/ms)   | coherent with ms; `10 Hz` is stored as 0.01 |
//!
//! Every unit in the table is a power of ten times its canonical unit, so a
//! literal such as `250 pF` is converted *exactly*: the decimal exponent is
//! shifted (250e-3) and the decimal is rounded to `f64` once, as if the user
//! had written `0.25 nF`.

use std::fmt;

/// Exponents of the four base dimensions used by spiking-network models:
/// time, voltage, current and length. Every unit in the table is a product of
/// powers of these (capacitance = current·time/voltage, and so on).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Dim {
    /// Exponent of time.
    pub time: i8,
    /// Exponent of voltage.
    pub voltage: i8,
    /// Exponent of current.
    pub current: i8,
    /// Exponent of length.
    pub length: i8,
}

impl Dim {
    /// A pure number.
    pub const NONE: Dim = Dim::new(0, 0, 0, 0);
    /// Time (ms).
    pub const TIME: Dim = Dim::new(1, 0, 0, 0);
    /// Voltage (mV).
    pub const VOLTAGE: Dim = Dim::new(0, 1, 0, 0);
    /// Current (nA).
    pub const CURRENT: Dim = Dim::new(0, 0, 1, 0);
    /// Length (um).
    pub const LENGTH: Dim = Dim::new(0, 0, 0, 1);
    /// Capacitance (nF).
    pub const CAPACITANCE: Dim = Dim::new(1, -1, 1, 0);
    /// Conductance (uS).
    pub const CONDUCTANCE: Dim = Dim::new(0, -1, 1, 0);
    /// Resistance (MOhm).
    pub const RESISTANCE: Dim = Dim::new(0, 1, -1, 0);
    /// Frequency (kHz = 1/ms).
    pub const FREQUENCY: Dim = Dim::new(-1, 0, 0, 0);
    /// Charge (pC).
    pub const CHARGE: Dim = Dim::new(1, 0, 1, 0);

    /// A dimension from its exponents (time, voltage, current, length).
    pub const fn new(time: i8, voltage: i8, current: i8, length: i8) -> Dim {
        Dim {
            time,
            voltage,
            current,
            length,
        }
    }

    /// True for a pure number.
    pub fn is_none(self) -> bool {
        self == Dim::NONE
    }

    /// Product of two dimensions.
    pub fn times(self, o: Dim) -> Dim {
        Dim::new(
            self.time.saturating_add(o.time),
            self.voltage.saturating_add(o.voltage),
            self.current.saturating_add(o.current),
            self.length.saturating_add(o.length),
        )
    }

    /// Quotient of two dimensions.
    pub fn per(self, o: Dim) -> Dim {
        self.times(o.powi(-1))
    }

    /// Integer power.
    pub fn powi(self, n: i32) -> Dim {
        let p = |e: i8| (e as i32 * n).clamp(i8::MIN as i32, i8::MAX as i32) as i8;
        Dim::new(
            p(self.time),
            p(self.voltage),
            p(self.current),
            p(self.length),
        )
    }

    /// Square root, when every exponent is even.
    pub fn sqrt(self) -> Option<Dim> {
        let h = |e: i8| if e % 2 == 0 { Some(e / 2) } else { None };
        Some(Dim::new(
            h(self.time)?,
            h(self.voltage)?,
            h(self.current)?,
            h(self.length)?,
        ))
    }

    /// A short human name of the dimension ("voltage", "time / voltage", ...).
    pub fn describe(self) -> String {
        let named = [
            (Dim::NONE, "dimensionless"),
            (Dim::TIME, "time"),
            (Dim::VOLTAGE, "voltage"),
            (Dim::CURRENT, "current"),
            (Dim::LENGTH, "length"),
            (Dim::CAPACITANCE, "capacitance"),
            (Dim::CONDUCTANCE, "conductance"),
            (Dim::RESISTANCE, "resistance"),
            (Dim::FREQUENCY, "frequency"),
            (Dim::CHARGE, "charge"),
            (Dim::VOLTAGE.per(Dim::TIME), "voltage / time"),
            (Dim::CURRENT.per(Dim::TIME), "current / time"),
            (Dim::CONDUCTANCE.per(Dim::TIME), "conductance / time"),
        ];
        for (d, n) in named {
            if d == self {
                return n.to_string();
            }
        }
        format!("[{}]", self.canonical_unit())
    }

    /// The canonical unit of this dimension, written so that the language
    /// reads it back (`mV`, `mV/ms`, `/ms/mV`, `nA^2`).
    pub fn canonical_unit(self) -> String {
        let named = [
            (Dim::NONE, ""),
            (Dim::CAPACITANCE, "nF"),
            (Dim::CONDUCTANCE, "uS"),
            (Dim::RESISTANCE, "MOhm"),
            (Dim::FREQUENCY, "kHz"),
            (Dim::CHARGE, "pC"),
            (Dim::CONDUCTANCE.per(Dim::TIME), "uS/ms"),
        ];
        for (d, n) in named {
            if d == self {
                return n.to_string();
            }
        }
        let parts = [
            ("mV", self.voltage),
            ("nA", self.current),
            ("um", self.length),
            ("ms", self.time),
        ];
        let mut s = String::new();
        for (name, e) in parts.iter().filter(|(_, e)| *e > 0) {
            if !s.is_empty() {
                s.push('*');
            }
            s.push_str(name);
            if *e != 1 {
                s.push_str(&format!("^{e}"));
            }
        }
        for (name, e) in parts.iter().filter(|(_, e)| *e < 0) {
            s.push('/');
            s.push_str(name);
            if *e != -1 {
                s.push_str(&format!("^{}", -e));
            }
        }
        s
    }
}

impl fmt::Debug for Dim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Dim({})", self.describe())
    }
}

impl fmt::Display for Dim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

/// One entry of the unit table: a name, its dimension, and its size as a
/// power of ten of the canonical unit of that dimension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unit {
    /// The symbol as written in source (`mV`).
    pub name: &'static str,
    /// Its dimension.
    pub dim: Dim,
    /// `1 name` = `10^exp10` canonical units.
    pub exp10: i32,
}

const fn u(name: &'static str, dim: Dim, exp10: i32) -> Unit {
    Unit { name, dim, exp10 }
}

/// Every unit the language knows.
pub const UNITS: &[Unit] = &[
    u("uV", Dim::VOLTAGE, -3),
    u("mV", Dim::VOLTAGE, 0),
    u("V", Dim::VOLTAGE, 3),
    u("ps", Dim::TIME, -9),
    u("ns", Dim::TIME, -6),
    u("us", Dim::TIME, -3),
    u("ms", Dim::TIME, 0),
    u("s", Dim::TIME, 3),
    u("pA", Dim::CURRENT, -3),
    u("nA", Dim::CURRENT, 0),
    u("uA", Dim::CURRENT, 3),
    u("mA", Dim::CURRENT, 6),
    u("A", Dim::CURRENT, 9),
    u("fF", Dim::CAPACITANCE, -6),
    u("pF", Dim::CAPACITANCE, -3),
    u("nF", Dim::CAPACITANCE, 0),
    u("uF", Dim::CAPACITANCE, 3),
    u("F", Dim::CAPACITANCE, 9),
    u("pS", Dim::CONDUCTANCE, -6),
    u("nS", Dim::CONDUCTANCE, -3),
    u("uS", Dim::CONDUCTANCE, 0),
    u("mS", Dim::CONDUCTANCE, 3),
    u("S", Dim::CONDUCTANCE, 6),
    u("Ohm", Dim::RESISTANCE, -6),
    u("kOhm", Dim::RESISTANCE, -3),
    u("MOhm", Dim::RESISTANCE, 0),
    u("GOhm", Dim::RESISTANCE, 3),
    u("Hz", Dim::FREQUENCY, -3),
    u("kHz", Dim::FREQUENCY, 0),
    u("MHz", Dim::FREQUENCY, 3),
    u("GHz", Dim::FREQUENCY, 6),
    u("um", Dim::LENGTH, 0),
    u("mm", Dim::LENGTH, 3),
    u("cm", Dim::LENGTH, 4),
    u("m", Dim::LENGTH, 6),
    u("fC", Dim::CHARGE, -3),
    u("pC", Dim::CHARGE, 0),
    u("nC", Dim::CHARGE, 3),
    u("C", Dim::CHARGE, 12),
];

/// Looks a unit up by its symbol (case-sensitive: `mS` is not `ms`).
pub fn lookup_unit(name: &str) -> Option<Unit> {
    UNITS.iter().copied().find(|u| u.name == name)
}

/// Converts a decimal literal to canonical units exactly: `mantissa` is the
/// literal as written (`"250"`, `"1.5e-3"`), `exp10` the unit's power of ten.
/// The decimal is shifted, then rounded to `f64` once. Returns `None` for text
/// that is not a decimal number.
pub fn exact_decimal(mantissa: &str, exp10: i32) -> Option<f64> {
    let (digits, exp) = match mantissa.find(['e', 'E']) {
        Some(i) => (&mantissa[..i], mantissa[i + 1..].parse::<i64>().ok()?),
        None => (mantissa, 0),
    };
    let text = format!("{digits}e{}", exp + exp10 as i64);
    text.parse::<f64>().ok()
}

/// Formats a number the way the IR printer and diagnostics show it: the
/// shortest text that reads back to the same `f64`.
pub fn format_number(v: f64) -> String {
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if v == 0.0 {
        return "0".into();
    }
    let a = v.abs();
    if (1e-4..1e16).contains(&a) {
        format!("{v}")
    } else {
        format!("{v:e}")
    }
}

/// Formats a canonical value with its canonical unit: `-65 mV`, `0.01 kHz`.
pub fn format_quantity(v: f64, dim: Dim) -> String {
    let unit = dim.canonical_unit();
    let num = format_number(v);
    if unit.is_empty() {
        num
    } else {
        format!("{num} {unit}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_are_exact_decimal_shifts() {
        assert_eq!(exact_decimal("250", -3), Some(0.25));
        assert_eq!(exact_decimal("87.81", -3), Some(0.08781));
        assert_eq!(exact_decimal("1.5e-3", 3), Some(1.5));
        assert_eq!(exact_decimal("10", -3), Some(0.01));
    }

    #[test]
    fn canonical_system_is_coherent() {
        assert_eq!(
            Dim::CURRENT.times(Dim::TIME).per(Dim::VOLTAGE),
            Dim::CAPACITANCE
        );
        assert_eq!(Dim::CURRENT.per(Dim::VOLTAGE), Dim::CONDUCTANCE);
        assert_eq!(Dim::VOLTAGE.per(Dim::TIME).canonical_unit(), "mV/ms");
        assert_eq!(
            Dim::NONE
                .per(Dim::TIME.times(Dim::VOLTAGE))
                .canonical_unit(),
            "/mV/ms"
        );
    }
}
