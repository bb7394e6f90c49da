//! Semantic comparison of two build directories: `spikec diff`, and the
//! library a golden-file test runner reuses.
//!
//! Takes two directories written by `spikec build` (or `spikec sim --out`)
//! and gives a list of [`Difference`]s, each naming the file, where in it,
//! what kind of change, and the values on both sides. Files are compared by
//! what they mean, not by their bytes:
//!
//! - `report.json` and other JSON files field by field ([`report`]), with
//!   per-field tolerances for numbers and arrays of named objects matched by
//!   name (`populations[E].cores`) or by chip (`chips[(0, 1)]`);
//! - `placements.txt` vertex by vertex ([`placements`]), matched by
//!   (population, slice, role): moved cores, added and removed vertices, key
//!   changes;
//! - routing tables chip by chip ([`tables`]) as first-match routers: two
//!   tables are the same when they route every key the same, whatever the
//!   order of their entries;
//! - core data by what it holds ([`cores`]): cores are matched by the
//!   population and slice in their decoded headers, not by where they run,
//!   and synaptic matrices compared as multisets of synapses whose senders
//!   are named by population and slice rather than by key;
//! - `spikes.csv` spike by spike, within a time tolerance, or by
//!   population rate ([`spikes`]);
//! - anything else as JSON, text or bytes.
//!
//! Files derived from others are not compared twice: `report.txt` when both
//! sides have `report.json`, `routing_tables.txt` when both have
//! `routing_tables/`, `spikes.POP.npy` when both have `spikes.csv`.
//!
//! Invariants established: the result depends only on the two directories
//! and the [`Options`] (no paths, times or hash orders leak into it), and it
//! is in a stable order — report, machine, placements, tables, cores,
//! spikes, other files; within a kind as its comparison walks the data; the
//! differences of one file together. Malformed files are differences, never
//! panics; only a directory or file that cannot be read is an error.

pub mod command;
pub mod cores;
pub(crate) mod files;
pub mod placements;
pub mod render;
pub mod report;
pub mod spikes;
mod synapses;
pub mod tables;

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

pub use files::BuildDir;
pub use render::{render_json, render_text};

/// One difference between the two directories.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Difference {
    /// The file, relative to the directory, with `/` separators. Core files
    /// are matched by content: this is A's path (B's when only B has it).
    pub file: String,
    /// B's path, when core files matched by content sit at different paths.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_b: Option<String>,
    /// Where in the file: a field path (`populations[E].cores`), a chip, a
    /// key, a vertex (`E 0..256 neurons`), a population or a neuron
    /// (`E[12]`).
    /// Empty for the file as a whole.
    pub path: String,
    /// What kind of change.
    pub kind: Kind,
    /// The value in A; `null` when only B has it.
    pub a: Value,
    /// The value in B; `null` when only A has it.
    pub b: Value,
    /// By how much, or what else to know (`+13, +76.47 %`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// What kind of change a [`Difference`] is. A is the old side, B the new.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Only B has it (a file, field, chip, core, vertex, spike).
    Added,
    /// Only A has it.
    Removed,
    /// A value changed beyond its tolerance.
    Changed,
    /// A vertex runs on another core.
    Moved,
    /// A vertex sends with another key or mask.
    KeyChanged,
    /// A routing table has another number of entries.
    EntryCount,
    /// A key is routed differently (first match, or default routing).
    RoutedDifferently,
    /// The synapses from one sender block into one slice differ.
    SynapsesDiffer,
    /// A population's spike trains differ.
    SpikesDiffer,
    /// A population's rate differs beyond the tolerance.
    RateDiffers,
    /// A file cannot be decoded (on the side whose value is the message).
    Malformed,
    /// Two files of no known format differ.
    ContentDiffers,
}

impl Kind {
    /// The name used in JSON output.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Added => "added",
            Kind::Removed => "removed",
            Kind::Changed => "changed",
            Kind::Moved => "moved",
            Kind::KeyChanged => "key_changed",
            Kind::EntryCount => "entry_count",
            Kind::RoutedDifferently => "routed_differently",
            Kind::SynapsesDiffer => "synapses_differ",
            Kind::SpikesDiffer => "spikes_differ",
            Kind::RateDiffers => "rate_differs",
            Kind::Malformed => "malformed",
            Kind::ContentDiffers => "content_differs",
        }
    }
}

impl Difference {
    /// A difference in `file` at `path`.
    pub fn new(
        file: impl Into<String>,
        path: impl Into<String>,
        kind: Kind,
        a: impl Into<Value>,
        b: impl Into<Value>,
    ) -> Difference {
        Difference {
            file: file.into(),
            file_b: None,
            path: path.into(),
            kind,
            a: a.into(),
            b: b.into(),
            detail: None,
        }
    }

    /// The same, with a detail.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Difference {
        self.detail = Some(detail.into());
        self
    }

    /// The same, with B's path when it is not A's.
    pub fn with_file_b(mut self, file_b: Option<String>) -> Difference {
        if file_b.as_deref() != Some(self.file.as_str()) {
            self.file_b = file_b;
        }
        self
    }
}

/// A tolerance for a number: it matches when `|b - a| <= abs` or
/// `|b - a| <= rel · |a|`. The default, zero, is exact.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Tolerance {
    /// Absolute.
    pub abs: f64,
    /// Relative, as a fraction (0.05 for 5 %).
    pub rel: f64,
}

impl Tolerance {
    /// Whether `a` and `b` are within the tolerance (NaN never is, unless
    /// both are NaN).
    pub fn accepts(self, a: f64, b: f64) -> bool {
        if a == b || (a.is_nan() && b.is_nan()) {
            return true;
        }
        let d = (b - a).abs();
        d <= self.abs || d <= self.rel * a.abs()
    }

    /// Parses `ABS`, `REL%` or both, comma-separated (`100`, `5%`,
    /// `100,5%`).
    pub fn parse(text: &str) -> Result<Tolerance, String> {
        let mut t = Tolerance::default();
        for part in text.split(',') {
            let part = part.trim();
            let (number, percent) = match part.strip_suffix('%') {
                Some(p) => (p.trim(), true),
                None => (part, false),
            };
            let v: f64 = number
                .parse()
                .map_err(|_| format!("`{part}` is not a number or a percentage"))?;
            if !v.is_finite() || v < 0.0 {
                return Err(format!(
                    "`{part}`: a tolerance must be finite and not negative"
                ));
            }
            if percent {
                t.rel = v / 100.0;
            } else {
                t.abs = v;
            }
        }
        Ok(t)
    }
}

/// A tolerance for the report fields whose path matches `pattern`, where
/// `*` matches any run of characters: `sdram_bytes_max_chip`,
/// `populations[*].chips`, `*`.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldTolerance {
    /// The pattern.
    pub pattern: String,
    /// The tolerance.
    pub tolerance: Tolerance,
}

impl FieldTolerance {
    /// Parses `PATTERN=TOLERANCE` (`synapse_hops=5%`).
    pub fn parse(text: &str) -> Result<FieldTolerance, String> {
        let (pattern, tol) = text
            .split_once('=')
            .ok_or_else(|| format!("`{text}`: expected FIELD=TOLERANCE, e.g. synapse_hops=5%"))?;
        let pattern = pattern.trim();
        if pattern.is_empty() {
            return Err(format!("`{text}`: the field is empty"));
        }
        Ok(FieldTolerance {
            pattern: pattern.to_string(),
            tolerance: Tolerance::parse(tol)?,
        })
    }
}

/// How spike trains are compared.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SpikeOptions {
    /// Spikes of the same neuron match when their times differ by at most
    /// this (ms); 0 is exact.
    pub time_ms: f64,
    /// When set, compare each population's rate within this percentage of
    /// A's. Without a time tolerance, the rate replaces the spike-by-spike
    /// comparison; with one, both run.
    pub rate_percent: Option<f64>,
    /// The recorded duration (ms) that rates are computed over; by default
    /// the latest spike time in either file.
    pub duration_ms: Option<f64>,
    /// Whether a time tolerance was given (so that both comparisons run
    /// with a rate tolerance).
    pub time_given: bool,
}

/// Everything a comparison can be told.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Options {
    /// Tolerances for numbers in `report.json`; the last matching pattern
    /// wins; fields matching none are exact.
    pub tolerances: Vec<FieldTolerance>,
    /// Spike trains.
    pub spikes: SpikeOptions,
}

/// Why two directories could not be compared.
#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    /// The path is not a directory (or does not exist).
    #[error("`{}` is not a directory", .0.display())]
    NotADirectory(PathBuf),
    /// A file or directory inside could not be read.
    #[error("cannot read `{}`: {source}", .path.display())]
    Read {
        /// The path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// Compares two build directories. Errors only when a directory or a file
/// in it cannot be read; everything else is a [`Difference`].
pub fn compare_dirs(a: &Path, b: &Path, opts: &Options) -> Result<Vec<Difference>, DiffError> {
    let a = BuildDir::open(a)?;
    let b = BuildDir::open(b)?;
    compare(&a, &b, opts)
}

/// Compares two opened directories.
pub fn compare(a: &BuildDir, b: &BuildDir, opts: &Options) -> Result<Vec<Difference>, DiffError> {
    let mut out = Vec::new();
    // The order of the output.
    report::compare_file(a, b, "report.json", &opts.tolerances, &mut out)?;
    report::compare_file(a, b, "machine.json", &[], &mut out)?;
    placements::compare_file(a, b, &mut out)?;
    tables::compare_dirs(a, b, &mut out)?;
    cores::compare_dirs(a, b, &mut out)?;
    spikes::compare_file(a, b, &opts.spikes, &mut out)?;
    files::compare_others(a, b, &opts.tolerances, &mut out)?;
    // One group per file, in order of first appearance (a core's matrices
    // come after the cores' fields, say).
    let mut first: std::collections::BTreeMap<(String, Option<String>), usize> =
        std::collections::BTreeMap::new();
    let mut rank = Vec::with_capacity(out.len());
    for d in &out {
        let next = first.len();
        let key = (d.file.clone(), d.file_b.clone());
        rank.push(*first.entry(key).or_insert(next));
    }
    let mut ranked: Vec<(usize, Difference)> = rank.into_iter().zip(out).collect();
    ranked.sort_by_key(|(r, _)| *r);
    Ok(ranked.into_iter().map(|(_, d)| d).collect())
}

/// The number of distinct files (by `file` and `file_b`) that differences
/// are in.
pub fn files_with_differences(diffs: &[Difference]) -> usize {
    let mut seen: Vec<(&str, Option<&str>)> = diffs
        .iter()
        .map(|d| (d.file.as_str(), d.file_b.as_deref()))
        .collect();
    seen.sort_unstable();
    seen.dedup();
    seen.len()
}

/// `+13, +76.47 %`: how much `b` differs from `a`.
pub(crate) fn delta_text(a: f64, b: f64) -> String {
    let d = b - a;
    let mut s = format!("{}{}", if d >= 0.0 { "+" } else { "" }, number_text(d));
    if a != 0.0 && a.is_finite() && b.is_finite() {
        let pct = d / a.abs() * 100.0;
        s.push_str(&format!(
            ", {}{} %",
            if pct >= 0.0 { "+" } else { "" },
            trim_decimals(&format!("{pct:.2}"))
        ));
    }
    s
}

/// A number without trailing zeros: `3`, `0.25`, `-1.5e-7`.
pub(crate) fn number_text(v: f64) -> String {
    if v.is_finite() && v == v.trunc() && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else if v.is_finite() && v.abs() >= 1e-4 && v.abs() < 1e15 {
        trim_decimals(&format!("{v:.6}"))
    } else {
        format!("{v:e}")
    }
}

fn trim_decimals(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s.to_string()
    }
}

/// A JSON number for an `f64` (`null` for NaN or infinity).
pub(crate) fn json_number(v: f64) -> Value {
    if v == v.trunc() && v.abs() < 9e15 {
        Value::from(v as i64)
    } else {
        serde_json::Number::from_f64(v)
            .map(Value::Number)
            .unwrap_or(Value::Null)
    }
}

/// Whether `text` matches `pattern`, where `*` matches any run of
/// characters.
pub(crate) fn glob_matches(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    // Classic two-pointer wildcard match with backtracking to the last `*`.
    let (mut i, mut j) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while j < t.len() {
        if i < p.len() && p[i] == '*' {
            star = Some((i, j));
            i += 1;
        } else if i < p.len() && p[i] == t[j] {
            i += 1;
            j += 1;
        } else if let Some((si, sj)) = star {
            i = si + 1;
            j = sj + 1;
            star = Some((si, sj + 1));
        } else {
            return false;
        }
    }
    p[i..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerances_parse_and_accept() {
        let t = Tolerance::parse("100,5%").unwrap();
        assert_eq!(
            t,
            Tolerance {
                abs: 100.0,
                rel: 0.05
            }
        );
        assert!(t.accepts(10_000.0, 10_499.0));
        assert!(!t.accepts(10_000.0, 10_501.0));
        assert!(t.accepts(0.0, 100.0));
        assert!(Tolerance::default().accepts(3.0, 3.0));
        assert!(!Tolerance::default().accepts(3.0, 3.5));
        assert!(Tolerance::parse("-1").is_err());
        assert!(Tolerance::parse("x%").is_err());
        assert!(FieldTolerance::parse("synapse_hops").is_err());
    }

    #[test]
    fn globs_and_deltas() {
        assert!(glob_matches("populations[*].chips", "populations[E].chips"));
        assert!(!glob_matches(
            "populations[*].chips",
            "populations[E].cores"
        ));
        assert!(glob_matches("*", "anything"));
        assert!(glob_matches("a*b*c", "aXbYbc"));
        assert_eq!(delta_text(17.0, 30.0), "+13, +76.47 %");
        assert_eq!(delta_text(3200.0, 2880.0), "-320, -10 %");
        assert_eq!(delta_text(0.0, 2.0), "+2");
        assert_eq!(number_text(0.25), "0.25");
    }
}
