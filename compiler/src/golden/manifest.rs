//! Test manifests: `NAME.test.toml` beside `NAME.snn`, or
//! `spikec-tests.toml` listing cases of any networks in or below its
//! directory.
//!
//! A manifest is TOML. Its top-level fields are the defaults of every case;
//! each `[[case]]` table overrides them (its `set` adds to the top-level
//! one, name by name). Without `[[case]]` the manifest is one case,
//! `default`. Unknown fields are errors, so a misspelt `duraton` does not
//! silently test the default.
//!
//! ```toml
//! file = "../cuba.snn"          # default for NAME.test.toml: NAME.snn
//! targets = ["spinnaker"]       # default: none (IR and simulation only)
//! duration = "50 ms"            # default: 100 ms
//!
//! [tolerances]                  # default: everything exact
//! spike_steps = 1
//! report = ["synapse_hops=5%"]
//!
//! [[case]]
//! name = "n400"
//! set = { n = 400 }
//! ```
//!
//! Loading resolves every case to a [`Case`]: paths relative to the
//! manifest's directory, durations in ms, parameter overrides in name
//! order, the golden directory `STEM.golden/CASE/` beside the manifest.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::build_spinnaker::MachineSource;
use crate::diff::{FieldTolerance, Options, SpikeOptions};
use crate::driver::Override;
use spikec_ir::eval::Precision;

/// The name of a directory's manifest.
pub const DIRECTORY_MANIFEST: &str = "spikec-tests.toml";
/// How a network's own manifest ends: `NAME.test.toml`.
pub const MANIFEST_SUFFIX: &str = ".test.toml";
/// How the directory of a manifest's goldens ends: `NAME.golden`.
pub const GOLDEN_SUFFIX: &str = ".golden";
/// The name of the one case of a manifest without `[[case]]` tables.
pub const DEFAULT_CASE: &str = "default";
/// Simulated time when a manifest gives none.
pub const DEFAULT_DURATION: &str = "100 ms";
/// The machine when a manifest gives none.
pub const DEFAULT_MACHINE: &str = "spinn5";

/// A backend a case is built for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Target {
    /// SpiNNaker core maps.
    Spinnaker,
    /// SFQ netlists: the netlist, Verilog, JoSIM deck and reports, and with
    /// `verify` the pulse-level check (`sfq/verify.json`).
    Sfq,
}

impl Target {
    /// The name in manifests and output.
    pub fn name(self) -> &'static str {
        match self {
            Target::Spinnaker => "spinnaker",
            Target::Sfq => "sfq",
        }
    }

    fn parse(s: &str) -> Option<Target> {
        match s {
            "spinnaker" => Some(Target::Spinnaker),
            "sfq" => Some(Target::Sfq),
            _ => None,
        }
    }
}

/// How much a case's outputs may differ from its goldens.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tolerances {
    /// Spikes match within this many timesteps of the network.
    pub spike_steps: Option<u32>,
    /// Spikes match within this many ms.
    pub spike_time_ms: Option<f64>,
    /// Compare population rates within this percentage instead (with a
    /// time tolerance, as well).
    pub rate_percent: Option<f64>,
    /// Tolerances for numbers in `report.json` and `verify.json`, as
    /// `spikec diff --tolerance` takes them; the last match counts.
    pub report: Vec<FieldTolerance>,
}

impl Tolerances {
    /// The comparison options for a network with `timestep` simulated for
    /// `duration` (both ms).
    pub fn options(&self, timestep: f64, duration: f64) -> Options {
        let time_ms = match (self.spike_time_ms, self.spike_steps) {
            (Some(ms), _) => Some(ms),
            (None, Some(k)) => Some(f64::from(k) * timestep),
            (None, None) => None,
        };
        Options {
            tolerances: self.report.clone(),
            spikes: SpikeOptions {
                time_ms: time_ms.unwrap_or(0.0),
                rate_percent: self.rate_percent,
                duration_ms: Some(duration),
                time_given: time_ms.is_some(),
            },
        }
    }
}

/// One test case, resolved.
#[derive(Clone, Debug)]
pub struct Case {
    /// The manifest it comes from.
    pub manifest: PathBuf,
    /// Its name, unique in the manifest; the golden directory's name.
    pub name: String,
    /// The network, relative to the working directory.
    pub file: PathBuf,
    /// The network as the manifest names it.
    pub file_label: String,
    /// Parameter overrides, by name.
    pub set: Vec<Override>,
    /// Backends, in the manifest's order, without repeats.
    pub targets: Vec<Target>,
    /// The SpiNNaker machine.
    pub machine: MachineSource,
    /// Largest number of neurons on a SpiNNaker core.
    pub neurons_per_core: Option<u32>,
    /// Bits of the sender's step in every SpiNNaker key.
    pub colour_bits: u8,
    /// Simulated (and emulated) time, ms.
    pub duration_ms: f64,
    /// Whether to simulate and keep `sim/spikes.csv`.
    pub sim: bool,
    /// The simulator's arithmetic.
    pub precision: Precision,
    /// Whether to run targets' verification (the SpiNNaker emulator).
    pub verify: bool,
    /// Whether to keep SpiNNaker's per-core data (`cores/`) as goldens.
    pub core_data: bool,
    /// Tolerances.
    pub tolerances: Tolerances,
    /// The golden directory: `STEM.golden/NAME` beside the manifest.
    pub golden: PathBuf,
}

/// Why a manifest cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// It cannot be read.
    #[error("cannot read `{}`: {source}", .path.display())]
    Read {
        /// The manifest.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// It is not valid TOML, or a field has the wrong type or name.
    #[error("`{}`:{line}:{column}: {message}", .path.display())]
    Syntax {
        /// The manifest.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// A field's value is not usable.
    #[error("`{}`{}: {message}", .path.display(), .case.as_ref().map(|c| format!(", case `{c}`")).unwrap_or_default())]
    Invalid {
        /// The manifest.
        path: PathBuf,
        /// The case, when the field is in a `[[case]]`.
        case: Option<String>,
        /// What is wrong.
        message: String,
    },
}

impl ManifestError {
    /// What to do about it.
    pub fn help(&self) -> &'static str {
        match self {
            ManifestError::Read { .. } => "check the path and its permissions",
            ManifestError::Syntax { .. } | ManifestError::Invalid { .. } => {
                "the manifest format is in the README, \"Golden tests for your networks\""
            }
        }
    }
}

/// The TOML of a manifest, and of each of its `[[case]]` tables.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    name: Option<String>,
    file: Option<String>,
    targets: Option<Vec<String>>,
    machine: Option<String>,
    neurons_per_core: Option<u32>,
    colour_bits: Option<u8>,
    set: Option<BTreeMap<String, toml::Value>>,
    duration: Option<String>,
    sim: Option<bool>,
    precision: Option<String>,
    verify: Option<bool>,
    core_data: Option<bool>,
    tolerances: Option<TolerancesTable>,
    case: Option<Vec<Table>>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TolerancesTable {
    spike_steps: Option<u32>,
    spike_time_ms: Option<f64>,
    rate_percent: Option<f64>,
    report: Option<Vec<String>>,
}

impl Table {
    /// `self` (a case) over `top` (the defaults).
    fn over(&self, top: &Table) -> Table {
        let mut set = top.set.clone().unwrap_or_default();
        set.extend(self.set.clone().unwrap_or_default());
        let tolerances = match (&self.tolerances, &top.tolerances) {
            (Some(c), Some(t)) => Some(TolerancesTable {
                spike_steps: c.spike_steps.or(t.spike_steps),
                spike_time_ms: c.spike_time_ms.or(t.spike_time_ms),
                rate_percent: c.rate_percent.or(t.rate_percent),
                report: c.report.clone().or_else(|| t.report.clone()),
            }),
            (c, t) => c.clone().or_else(|| t.clone()),
        };
        Table {
            name: self.name.clone(),
            file: self.file.clone().or_else(|| top.file.clone()),
            targets: self.targets.clone().or_else(|| top.targets.clone()),
            machine: self.machine.clone().or_else(|| top.machine.clone()),
            neurons_per_core: self.neurons_per_core.or(top.neurons_per_core),
            colour_bits: self.colour_bits.or(top.colour_bits),
            set: Some(set),
            duration: self.duration.clone().or_else(|| top.duration.clone()),
            sim: self.sim.or(top.sim),
            precision: self.precision.clone().or_else(|| top.precision.clone()),
            verify: self.verify.or(top.verify),
            core_data: self.core_data.or(top.core_data),
            tolerances,
            case: None,
        }
    }
}

/// The stem of a manifest's goldens: `NAME` for `NAME.test.toml`,
/// `spikec-tests` for `spikec-tests.toml`; `None` for other names.
pub fn stem(manifest: &Path) -> Option<String> {
    let name = manifest.file_name()?.to_str()?;
    if name == DIRECTORY_MANIFEST {
        return Some(name.trim_end_matches(".toml").to_string());
    }
    let stem = name.strip_suffix(MANIFEST_SUFFIX)?;
    (!stem.is_empty()).then(|| stem.to_string())
}

/// Whether `path` names a manifest.
pub fn is_manifest(path: &Path) -> bool {
    stem(path).is_some()
}

/// The directory holding a manifest's goldens.
pub fn golden_root(manifest: &Path) -> PathBuf {
    let stem = stem(manifest).unwrap_or_else(|| "spikec-tests".into());
    base_dir(manifest).join(format!("{stem}{GOLDEN_SUFFIX}"))
}

/// The directory relative paths in a manifest start from.
pub fn base_dir(manifest: &Path) -> PathBuf {
    match manifest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Reads and resolves a manifest.
pub fn load(path: &Path) -> Result<Vec<Case>, ManifestError> {
    let text = std::fs::read_to_string(path).map_err(|source| ManifestError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse(path, &text)
}

/// Resolves the manifest text `text` read from `path`.
pub fn parse(path: &Path, text: &str) -> Result<Vec<Case>, ManifestError> {
    let top: Table = toml::from_str(text).map_err(|e| {
        let (line, column) = line_column(text, e.span().map_or(0, |s| s.start));
        ManifestError::Syntax {
            path: path.to_path_buf(),
            line,
            column,
            message: e.message().trim_end().to_string(),
        }
    })?;
    let invalid = |case: Option<&str>, message: String| ManifestError::Invalid {
        path: path.to_path_buf(),
        case: case.map(str::to_string),
        message,
    };
    let tables = match &top.case {
        Some(cases) => {
            if top.name.is_some() {
                return Err(invalid(
                    None,
                    "`name` names the one case of a manifest without [[case]] tables; \
                     give each [[case]] its own name"
                        .into(),
                ));
            }
            if cases.is_empty() {
                return Err(invalid(None, "`case` is empty".into()));
            }
            let mut out = Vec::with_capacity(cases.len());
            for (i, c) in cases.iter().enumerate() {
                if c.case.is_some() {
                    return Err(invalid(
                        c.name.as_deref(),
                        "a [[case]] cannot hold cases".into(),
                    ));
                }
                let Some(name) = &c.name else {
                    return Err(invalid(
                        None,
                        format!("[[case]] number {} has no `name`", i + 1),
                    ));
                };
                out.push((name.clone(), c.over(&top)));
            }
            out
        }
        None => {
            let name = top.name.clone().unwrap_or_else(|| DEFAULT_CASE.into());
            vec![(name, Table::default().over(&top))]
        }
    };
    let mut cases: Vec<Case> = Vec::with_capacity(tables.len());
    for (name, table) in tables {
        check_name(&name).map_err(|m| invalid(Some(&name), m))?;
        if cases.iter().any(|c| c.name == name) {
            return Err(invalid(Some(&name), "two cases have this name".to_string()));
        }
        let case = resolve(path, &name, &table).map_err(|m| invalid(Some(&name), m))?;
        cases.push(case);
    }
    Ok(cases)
}

/// A case name becomes a directory name: letters, digits, `-`, `_`, `.`,
/// not starting with `.`.
fn check_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && !name.starts_with('.')
        && name.len() <= 100
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{name}` is not a case name: use letters, digits, `-`, `_` and `.` (not first)"
        ))
    }
}

fn resolve(manifest: &Path, name: &str, t: &Table) -> Result<Case, String> {
    let base = base_dir(manifest);
    let file_label = match (&t.file, stem(manifest)) {
        (Some(f), _) => f.clone(),
        (None, Some(stem))
            if manifest
                .file_name()
                .is_some_and(|n| n != DIRECTORY_MANIFEST) =>
        {
            format!("{stem}.snn")
        }
        _ => {
            return Err(format!(
                "no `file`: cases in {DIRECTORY_MANIFEST} name their network, `file = \"net.snn\"`"
            ))
        }
    };
    let file = base.join(&file_label);
    if !file.is_file() {
        return Err(format!(
            "`{file_label}` is not a file (paths are relative to the manifest)"
        ));
    }
    let mut targets = Vec::new();
    for t in t.targets.iter().flatten() {
        let target = Target::parse(t)
            .ok_or_else(|| format!("`{t}` is not a target; targets are `spinnaker` and `sfq`"))?;
        if !targets.contains(&target) {
            targets.push(target);
        }
    }
    let machine_text = t.machine.as_deref().unwrap_or(DEFAULT_MACHINE);
    let machine = match MachineSource::parse(machine_text) {
        MachineSource::File(p) => MachineSource::File(base.join(p)),
        MachineSource::Preset(p) => {
            spikec_spinnaker::machine::Machine::preset(&p)
                .map_err(|e| format!("machine `{p}`: {e}"))?;
            MachineSource::Preset(p)
        }
    };
    let colour_bits = t.colour_bits.unwrap_or(0);
    if colour_bits > 8 {
        return Err(format!("colour_bits = {colour_bits}: at most 8"));
    }
    if t.neurons_per_core == Some(0) {
        return Err("neurons_per_core = 0: at least 1".into());
    }
    let duration_text = t.duration.as_deref().unwrap_or(DEFAULT_DURATION);
    let duration_ms = crate::sim_out::parse_duration(duration_text)
        .map_err(|m| format!("duration `{duration_text}`: {m}"))?;
    let precision = match t.precision.as_deref().unwrap_or("f64") {
        "f64" => Precision::F64,
        "f32" => Precision::F32,
        "s1615" => Precision::S1615,
        other => {
            return Err(format!(
                "precision `{other}`: expected `f64`, `f32` or `s1615`"
            ))
        }
    };
    let mut set = Vec::new();
    for (k, v) in t.set.iter().flatten() {
        if k.is_empty() || !k.chars().all(|c| c.is_alphanumeric() || c == '_') {
            return Err(format!("set: `{k}` is not a parameter name"));
        }
        let value = match v {
            toml::Value::String(s) => s.trim().to_string(),
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Float(f) if f.is_finite() => f.to_string(),
            _ => {
                return Err(format!(
                    "set.{k}: expected a number or a string (with a unit: `rate = \"8 Hz\"`)"
                ))
            }
        };
        set.push(Override {
            name: k.clone(),
            value,
        });
    }
    let tolerances = tolerances(t.tolerances.as_ref())?;
    Ok(Case {
        manifest: manifest.to_path_buf(),
        name: name.to_string(),
        file,
        file_label,
        set,
        targets,
        machine,
        neurons_per_core: t.neurons_per_core,
        colour_bits,
        duration_ms,
        sim: t.sim.unwrap_or(true),
        precision,
        verify: t.verify.unwrap_or(true),
        core_data: t.core_data.unwrap_or(false),
        tolerances,
        golden: golden_root(manifest).join(name),
    })
}

fn tolerances(t: Option<&TolerancesTable>) -> Result<Tolerances, String> {
    let Some(t) = t else {
        return Ok(Tolerances::default());
    };
    if t.spike_steps.is_some() && t.spike_time_ms.is_some() {
        return Err("tolerances: give `spike_steps` or `spike_time_ms`, not both".into());
    }
    for (field, v) in [
        ("spike_time_ms", t.spike_time_ms),
        ("rate_percent", t.rate_percent),
    ] {
        if let Some(v) = v {
            if !v.is_finite() || v < 0.0 {
                return Err(format!(
                    "tolerances.{field} = {v}: must be finite and not negative"
                ));
            }
        }
    }
    let report = t
        .report
        .iter()
        .flatten()
        .map(|r| FieldTolerance::parse(r).map_err(|m| format!("tolerances.report: {m}")))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Tolerances {
        spike_steps: t.spike_steps,
        spike_time_ms: t.spike_time_ms,
        rate_percent: t.rate_percent,
        report,
    })
}

/// 1-based line and column of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset.min(text.len())).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("spikec-manifest-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("net.snn"), "network n { }\n").unwrap();
        dir
    }

    #[test]
    fn defaults_and_cases() {
        let dir = scratch("defaults");
        let m = dir.join("net.test.toml");
        let cases = parse(&m, "duration = \"20 ms\"\n").unwrap();
        assert_eq!(cases.len(), 1);
        assert_eq!(cases[0].name, DEFAULT_CASE);
        assert_eq!(cases[0].file_label, "net.snn");
        assert_eq!(cases[0].duration_ms, 20.0);
        assert!(cases[0].targets.is_empty());
        assert_eq!(cases[0].golden, dir.join("net.golden").join("default"));

        let text = "targets = [\"spinnaker\"]\nset = { a = 1 }\n\
                    [[case]]\nname = \"x\"\nset = { b = \"2 ms\" }\n\
                    [[case]]\nname = \"y\"\nset = { a = 3.5 }\ntargets = []\n";
        let cases = parse(&m, text).unwrap();
        let sets: Vec<Vec<(String, String)>> = cases
            .iter()
            .map(|c| {
                c.set
                    .iter()
                    .map(|o| (o.name.clone(), o.value.clone()))
                    .collect()
            })
            .collect();
        assert_eq!(
            sets,
            [
                vec![("a".into(), "1".into()), ("b".into(), "2 ms".into())],
                vec![("a".into(), "3.5".into())]
            ]
        );
        assert_eq!(cases[0].targets, [Target::Spinnaker]);
        assert!(cases[1].targets.is_empty());
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn errors_name_the_problem() {
        let dir = scratch("errors");
        let m = dir.join("net.test.toml");
        let err = |t: &str| parse(&m, t).unwrap_err().to_string();
        assert!(err("duraton = \"1 ms\"").contains(":1:1: unknown field `duraton`"));
        assert!(err("targets = [\"loihi\"]").contains("`loihi` is not a target"));
        assert!(err("duration = \"5 mV\"").contains("duration `5 mV`"));
        assert!(err("[[case]]\nname = \"a/b\"").contains("not a case name"));
        assert!(err("[[case]]\nname = \"a\"\n[[case]]\nname = \"a\"").contains("two cases"));
        assert!(err("file = \"missing.snn\"").contains("`missing.snn` is not a file"));
        assert!(err("machine = \"spinn7\"").contains("machine `spinn7`"));
        assert!(err("[tolerances]\nspike_steps = 1\nspike_time_ms = 0.1").contains("not both"));
        assert!(err("[tolerances]\nreport = [\"x\"]").contains("expected FIELD=TOLERANCE"));
        let dm = dir.join(DIRECTORY_MANIFEST);
        assert!(parse(&dm, "[[case]]\nname = \"a\"")
            .unwrap_err()
            .to_string()
            .contains("no `file`"));
        assert_eq!(
            golden_root(&dm),
            dir.join(format!("spikec-tests{GOLDEN_SUFFIX}"))
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}
