//! Reading CSV files named by `csv(...)`, `from_file(...)` and spike-time
//! sources. Header cells carry units in brackets (`I_e[pA]`, `time[ms]`), so
//! a file is self-describing and converted exactly like a literal.

use std::path::Path;

use crate::diag::{did_you_mean, Diagnostic};
use spikec_ir::units::{exact_decimal, lookup_unit};
use spikec_ir::{Dim, Span};

/// A parsed CSV table: column names, units, rows of canonical values.
pub struct Table {
    /// Column names without units.
    pub names: Vec<String>,
    /// Column dimensions (dimensionless where no unit is given).
    pub dims: Vec<Dim>,
    /// Rows (canonical units).
    pub rows: Vec<Vec<f64>>,
    /// The file name as written.
    pub origin: String,
}

impl Table {
    /// Index of a column by name.
    pub fn column(&self, name: &str, span: Span) -> Result<usize, Diagnostic> {
        self.names.iter().position(|n| n == name).ok_or_else(|| {
            let d = Diagnostic::error("E0047", format!("`{}` has no column `{name}`", self.origin))
                .primary(span, "no such column");
            match did_you_mean(name, self.names.iter().map(String::as_str)) {
                Some(h) => d.help(h),
                None => d.help(format!("its columns are: {}", self.names.join(", "))),
            }
        })
    }

    /// A whole column.
    pub fn values(&self, col: usize) -> Vec<f64> {
        self.rows.iter().map(|r| r[col]).collect()
    }
}

/// Reads `path` (relative to `dir`); `span` is the file name in the source.
pub fn read_table(dir: &Path, path: &str, span: Span) -> Result<Table, Diagnostic> {
    let full = dir.join(path);
    let text = std::fs::read_to_string(&full).map_err(|e| {
        Diagnostic::error("E0004", format!("cannot read `{path}`: {e}"))
            .primary(span, "named here")
            .help("file paths are relative to the .snn file that names them")
    })?;
    parse_table(&text, path, span)
}

fn bad(path: &str, line: usize, msg: String, span: Span) -> Diagnostic {
    Diagnostic::error("E0047", format!("{path}:{line}: {msg}"))
        .primary(span, "in this file")
        .help("CSV files have a header row (units in brackets, e.g. `weight[nA]`) and one number per cell; `#` starts a comment line")
}

/// Parses CSV text.
pub fn parse_table(text: &str, path: &str, span: Span) -> Result<Table, Diagnostic> {
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'));
    let Some((hline, header)) = lines.next() else {
        return Err(bad(
            path,
            1,
            "the file is empty (a header row is needed)".into(),
            span,
        ));
    };
    let mut names = Vec::new();
    let mut dims = Vec::new();
    let mut scales = Vec::new();
    for cell in header.split(',') {
        let cell = cell.trim();
        let (name, unit) = match cell.find('[') {
            Some(i) if cell.ends_with(']') => (&cell[..i], Some(&cell[i + 1..cell.len() - 1])),
            _ => (cell, None),
        };
        let (dim, exp) = match unit {
            None | Some("") | Some("1") => (Dim::NONE, 0),
            Some(u) => {
                let (d, e) = parse_unit(u).ok_or_else(|| {
                    bad(
                        path,
                        hline,
                        format!("unknown unit `{u}` in column `{name}`"),
                        span,
                    )
                })?;
                (d, e)
            }
        };
        names.push(name.trim().to_string());
        dims.push(dim);
        scales.push(exp);
    }
    let mut rows = Vec::new();
    for (line, l) in lines {
        let cells: Vec<&str> = l.split(',').map(str::trim).collect();
        if cells.len() != names.len() {
            return Err(bad(
                path,
                line,
                format!("expected {} cells, found {}", names.len(), cells.len()),
                span,
            ));
        }
        let mut row = Vec::with_capacity(cells.len());
        for (c, e) in cells.iter().zip(&scales) {
            let v = exact_decimal(c, *e)
                .filter(|v| v.is_finite())
                .ok_or_else(|| bad(path, line, format!("`{c}` is not a number"), span))?;
            row.push(v);
        }
        rows.push(row);
    }
    Ok(Table {
        names,
        dims,
        rows,
        origin: path.to_string(),
    })
}

/// Parses a unit like `mV`, `mV/ms`, `nA*ms`.
fn parse_unit(u: &str) -> Option<(Dim, i32)> {
    let mut dim = Dim::NONE;
    let mut exp = 0;
    let mut sign = 1;
    let mut rest = u.trim();
    if let Some(r) = rest.strip_prefix('/') {
        sign = -1;
        rest = r;
    }
    loop {
        let end = rest.find(['*', '/']).unwrap_or(rest.len());
        let (name, pow) = match rest[..end].split_once('^') {
            Some((n, p)) => (n.trim(), p.trim().parse::<i32>().ok()?),
            None => (rest[..end].trim(), 1),
        };
        let unit = lookup_unit(name)?;
        dim = dim.times(unit.dim.powi(sign * pow));
        exp += unit.exp10 * sign * pow;
        if end == rest.len() {
            return Some((dim, exp));
        }
        sign = if rest.as_bytes()[end] == b'/' { -1 } else { 1 };
        rest = &rest[end + 1..];
    }
}
