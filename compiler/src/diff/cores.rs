//! Core data by content: `cores/X_Y_P/{neurons,source,delay,synapse}.bin`
//! and the synaptic matrices beside them.
//!
//! Where a core runs is placement's business ([`super::placements`]), so
//! cores are matched by what their decoded header says they are — role,
//! population and slice — not by their path; the population is named by
//! the placement at the core's path (`#index` without one). Matched cores
//! are compared field by field on decoded values (s16.15 shown as numbers,
//! a constant parameter equal to the same value for every neuron); keys
//! are not compared here, since they follow key allocation and
//! `placements.txt` reports them. Synaptic matrices are compared per slice
//! in [`super::synapses`]. Several synapse cores can serve one slice; they
//! are paired in path order.

use std::collections::BTreeMap;

use serde_json::Value;

use super::files::BuildDir;
use super::placements::{self, Placement};
use super::report::malformed;
use super::{json_number, synapses, DiffError, Difference, Kind};
use spikec_spinnaker::core_data::{
    value, DelayCore, NeuronCore, Param, SourceCore, SourceKind, SynapseCore,
};

/// The data files a core directory can hold, and the role each gives.
const DATA_FILES: [(&str, &str); 4] = [
    ("neurons.bin", "neurons"),
    ("source.bin", "source"),
    ("delay.bin", "delay"),
    ("synapse.bin", "synapses"),
];

/// The synaptic matrices' file.
pub const MATRICES: &str = "synapses.bin";

/// Whether `rel` is a file this module compares.
pub fn is_core_file(rel: &str) -> bool {
    let Some(rest) = rel.strip_prefix("cores/") else {
        return false;
    };
    let Some((dir, name)) = rest.split_once('/') else {
        return false;
    };
    core_location(dir).is_some() && (name == MATRICES || DATA_FILES.iter().any(|(f, _)| *f == name))
}

/// (x, y, p) of a core directory's name `X_Y_P`.
fn core_location(dir: &str) -> Option<((u16, u16), u32)> {
    let mut it = dir.split('_');
    let (x, y, p) = (it.next()?, it.next()?, it.next()?);
    if it.next().is_some() {
        return None;
    }
    Some(((x.parse().ok()?, y.parse().ok()?), p.parse().ok()?))
}

/// A core's decoded data.
#[derive(Clone, Debug)]
pub(crate) enum Data {
    Neurons(NeuronCore),
    Source(SourceCore),
    Delay(DelayCore),
    Synapse(SynapseCore),
}

/// What a core is: its role, population and slice.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Identity {
    /// Declaration order of the population (A's, else B's), for the output.
    pub rank: u32,
    pub population: String,
    pub lo: u32,
    pub n: u32,
    pub role: &'static str,
}

impl Identity {
    /// `E 0..256 neurons`, as `placements.txt` names vertices.
    pub fn text(&self) -> String {
        format!("{} {}", self.slice_text(), self.role)
    }

    /// `E 0..256`.
    pub fn slice_text(&self) -> String {
        format!("{} {}..{}", self.population, self.lo, self.lo + self.n)
    }
}

/// One decoded core of one side.
#[derive(Clone, Debug)]
pub(crate) struct Core {
    /// The data file, `cores/X_Y_P/neurons.bin`.
    pub file: String,
    /// `cores/X_Y_P/synapses.bin`, if it has one.
    pub matrices: Option<String>,
    pub population_index: u32,
    pub data: Data,
}

impl Core {
    fn header(&self) -> (u32, u32, &'static str) {
        match &self.data {
            Data::Neurons(d) => (d.lo, d.n, "neurons"),
            Data::Source(d) => (d.lo, d.n, "source"),
            Data::Delay(d) => (d.lo, d.n, "delay"),
            Data::Synapse(d) => (d.lo, d.n, "synapses"),
        }
    }
}

/// One side: its decoded cores, and what could not be decoded (file,
/// message).
pub(crate) struct Side {
    pub cores: Vec<Core>,
    pub malformed: Vec<(String, String)>,
    pub placements: Vec<Placement>,
}

fn decode(name: &str, bytes: &[u8]) -> Result<(u32, Data), String> {
    match name {
        "neurons.bin" => NeuronCore::decode(bytes).map(|d| (d.population, Data::Neurons(d))),
        "source.bin" => SourceCore::decode(bytes).map(|d| (d.population, Data::Source(d))),
        "delay.bin" => DelayCore::decode(bytes).map(|d| (d.population, Data::Delay(d))),
        _ => SynapseCore::decode(bytes).map(|d| (d.population, Data::Synapse(d))),
    }
    .map_err(|e| e.to_string())
}

pub(crate) fn load(dir: &BuildDir) -> Result<Side, DiffError> {
    let placements = placements::load(dir)?;
    let mut by_dir: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for rel in dir.under("cores/").filter(|f| is_core_file(f)) {
        if let Some((core_dir, _)) = rel.rsplit_once('/') {
            by_dir.entry(core_dir).or_default().push(rel);
        }
    }
    let mut side = Side {
        cores: Vec::new(),
        malformed: Vec::new(),
        placements,
    };
    for (core_dir, files) in by_dir {
        let matrices = format!("{core_dir}/{MATRICES}");
        let has_matrices = files.contains(&matrices.as_str());
        let mut found = false;
        for (name, _) in DATA_FILES {
            let rel = format!("{core_dir}/{name}");
            if !files.contains(&rel.as_str()) {
                continue;
            }
            match decode(name, &dir.read(&rel)?) {
                Ok((population_index, data)) => {
                    side.cores.push(Core {
                        file: rel,
                        // Only the first data file of a directory owns its matrices.
                        matrices: (has_matrices && !found).then(|| matrices.clone()),
                        population_index,
                        data,
                    });
                    found = true;
                }
                Err(msg) => side.malformed.push((rel, msg)),
            }
        }
        if has_matrices && !found {
            side.malformed.push((
                matrices,
                "no readable core data beside it says which slice it serves".to_string(),
            ));
        }
    }
    Ok(side)
}

/// The population's name for a core: the placement at its path, when that
/// placement is the same slice; `#index` otherwise.
fn population_name(side: &Side, core: &Core) -> String {
    let (lo, n, role) = core.header();
    let at = core
        .file
        .strip_prefix("cores/")
        .and_then(|r| r.split_once('/'))
        .and_then(|(d, _)| core_location(d));
    side.placements
        .iter()
        .find(|p| {
            at == Some((p.chip, p.core))
                && p.lo == lo
                && p.hi == lo.wrapping_add(n)
                && p.role == role
        })
        .map(|p| p.population.clone())
        .unwrap_or_else(|| format!("#{}", core.population_index))
}

/// The identities of one side's cores, in `side.cores` order.
pub(crate) fn identities(side: &Side, ranks: &BTreeMap<String, u32>) -> Vec<Identity> {
    side.cores
        .iter()
        .map(|c| {
            let (lo, n, role) = c.header();
            let population = population_name(side, c);
            Identity {
                rank: ranks.get(&population).copied().unwrap_or(u32::MAX),
                population,
                lo,
                n,
                role,
            }
        })
        .collect()
}

/// Population ranks: the declaration index as A's cores give it, else B's.
pub(crate) fn ranks(a: &Side, b: &Side) -> BTreeMap<String, u32> {
    let mut ranks = BTreeMap::new();
    for side in [a, b] {
        for c in &side.cores {
            ranks
                .entry(population_name(side, c))
                .or_insert(c.population_index);
        }
    }
    ranks
}

pub(crate) fn compare_dirs(
    a: &BuildDir,
    b: &BuildDir,
    out: &mut Vec<Difference>,
) -> Result<(), DiffError> {
    let (mut sa, mut sb) = (load(a)?, load(b)?);
    // Names and senders come from the placements only when both sides have
    // them; otherwise both sides use population indices and raw keys, so
    // that one missing file does not make every core differ.
    if sa.placements.is_empty() || sb.placements.is_empty() {
        sa.placements.clear();
        sb.placements.clear();
    }
    // Files that do not decode: a difference unless the other side has the
    // same bytes at the same path.
    let mut bad: BTreeMap<&str, (Option<&str>, Option<&str>)> = BTreeMap::new();
    for (f, m) in &sa.malformed {
        bad.entry(f).or_default().0 = Some(m);
    }
    for (f, m) in &sb.malformed {
        bad.entry(f).or_default().1 = Some(m);
    }
    for (f, (ma, mb)) in bad {
        if a.read_opt(f)? == b.read_opt(f)? {
            continue;
        }
        out.push(malformed(f, ma.map(str::to_string), mb.map(str::to_string)));
    }

    let ranks = ranks(&sa, &sb);
    let (ia, ib) = (identities(&sa, &ranks), identities(&sb, &ranks));
    type Pair<'a> = (Vec<&'a Core>, Vec<&'a Core>);
    let mut groups: BTreeMap<&Identity, Pair<'_>> = BTreeMap::new();
    for (id, c) in ia.iter().zip(&sa.cores) {
        groups.entry(id).or_default().0.push(c);
    }
    for (id, c) in ib.iter().zip(&sb.cores) {
        groups.entry(id).or_default().1.push(c);
    }
    for (id, (xs, ys)) in &groups {
        for (x, y) in xs.iter().zip(ys) {
            let mut diffs = Vec::new();
            compare_core(id, &x.data, &y.data, &mut diffs);
            for mut d in diffs {
                d.file = x.file.clone();
                out.push(d.with_file_b(Some(y.file.clone())));
            }
        }
        let dir_of = |c: &Core| {
            c.file
                .rsplit_once('/')
                .map_or(c.file.clone(), |(d, _)| d.to_string())
        };
        for x in xs.iter().skip(ys.len()) {
            out.push(Difference::new(
                &x.file,
                id.text(),
                Kind::Removed,
                dir_of(x),
                Value::Null,
            ));
        }
        for y in ys.iter().skip(xs.len()) {
            out.push(Difference::new(
                &y.file,
                id.text(),
                Kind::Added,
                Value::Null,
                dir_of(y),
            ));
        }
    }
    synapses::compare(a, b, (&sa, &ia), (&sb, &ib), &ranks, out)
}

/// Compares two cores of the same identity, field by field.
pub(crate) fn compare_core(id: &Identity, a: &Data, b: &Data, out: &mut Vec<Difference>) {
    let at = id.text();
    let mut f = Fields {
        at: &at,
        population: &id.population,
        out,
    };
    match (a, b) {
        (Data::Neurons(x), Data::Neurons(y)) => {
            f.scalar("colour_bits", x.colour_bits, y.colour_bits);
            f.count("params", x.params.len(), y.params.len());
            for (i, (p, q)) in x.params.iter().zip(&y.params).enumerate() {
                let (p, q) = (expand(p, x.n), expand(q, y.n));
                f.values(&format!("params[{i}]"), &p, &q, Some(x.lo), fixed);
            }
            f.count("init", x.init.len(), y.init.len());
            for (i, (p, q)) in x.init.iter().zip(&y.init).enumerate() {
                f.values(&format!("init[{i}]"), p, q, Some(x.lo), fixed);
            }
            f.values(
                "refr_steps",
                &x.refr_steps,
                &y.refr_steps,
                Some(x.lo),
                |v| v.into(),
            );
            f.count("scales", x.scales.len(), y.scales.len());
            for (i, (p, q)) in x.scales.iter().zip(&y.scales).enumerate() {
                f.values(&format!("scales[{i}]"), p, q, Some(x.lo), fixed);
            }
            f.count("props", x.props.len(), y.props.len());
            for (i, (p, q)) in x.props.iter().zip(&y.props).enumerate() {
                f.values(&format!("props[{i}]"), p, q, None, fixed);
            }
            let types = |t: &[(spikec_ir::fixed::SynapseType, u8)]| -> Vec<String> {
                t.iter()
                    .map(|(t, shift)| {
                        let sign = match t.sign {
                            spikec_ir::fixed::Sign::Positive => "+",
                            spikec_ir::fixed::Sign::Negative => "-",
                        };
                        format!("port {} {sign} shift {shift}", t.port)
                    })
                    .collect()
            };
            if x.types != y.types {
                f.push(
                    "types",
                    Value::from(types(&x.types)),
                    Value::from(types(&y.types)),
                    None,
                );
            }
        }
        (Data::Source(x), Data::Source(y)) => {
            f.scalar("colour_bits", x.colour_bits, y.colour_bits);
            match (&x.kind, &y.kind) {
                (
                    SourceKind::Poisson {
                        key: k1,
                        lambda: l1,
                        start: s1,
                        stop: e1,
                    },
                    SourceKind::Poisson {
                        key: k2,
                        lambda: l2,
                        start: s2,
                        stop: e2,
                    },
                ) => {
                    let key = |k: &[u32; 2]| format!("0x{:08x} 0x{:08x}", k[0], k[1]);
                    if k1 != k2 {
                        f.push("poisson key", key(k1).into(), key(k2).into(), None);
                    }
                    f.values("lambda", l1, l2, Some(x.lo), json_number);
                    f.values("start", s1, s2, Some(x.lo), json_number);
                    f.values("stop", e1, e2, Some(x.lo), json_number);
                }
                (SourceKind::Array { steps: s1 }, SourceKind::Array { steps: s2 }) => {
                    f.count("steps", s1.len(), s2.len());
                    let differ: Vec<usize> = (0..s1.len().min(s2.len()))
                        .filter(|&i| s1[i] != s2[i])
                        .collect();
                    if let Some(&i) = differ.first() {
                        let j = s1[i].iter().zip(&s2[i]).position(|(p, q)| p != q);
                        let j = j.unwrap_or(s1[i].len().min(s2[i].len()));
                        let step = |s: &[u64]| s.get(j).map_or(Value::Null, |v| Value::from(*v));
                        f.push(
                            "steps",
                            step(&s1[i]),
                            step(&s2[i]),
                            Some(format!(
                                "{} of {} neurons differ; first: {}[{}], spike #{j} ({} -> {} spikes)",
                                differ.len(),
                                s1.len(),
                                id.population,
                                x.lo as usize + i,
                                s1[i].len(),
                                s2[i].len()
                            )),
                        );
                    }
                }
                (p, q) => {
                    let kind = |k: &SourceKind| match k {
                        SourceKind::Poisson { .. } => "poisson",
                        SourceKind::Array { .. } => "spike times",
                    };
                    f.push("kind", kind(p).into(), kind(q).into(), None);
                }
            }
        }
        (Data::Delay(x), Data::Delay(y)) => {
            f.scalar("slots", x.slots, y.slots);
            let stages = |s: u16| -> Vec<u32> { (0..16).filter(|b| s >> b & 1 != 0).collect() };
            if x.stages != y.stages {
                f.push(
                    "stages",
                    stages(x.stages).into(),
                    stages(y.stages).into(),
                    None,
                );
            }
            f.scalar("neuron_bits", x.neuron_bits, y.neuron_bits);
            f.scalar("colour_bits", x.colour_bits, y.colour_bits);
        }
        // Synapse cores hold nothing but their slice, which matched.
        _ => {}
    }
}

/// A constant parameter as the same value for each of `n` neurons.
fn expand(p: &Param, n: u32) -> Vec<i32> {
    match p {
        Param::Const(v) => vec![*v; n as usize],
        Param::PerNeuron(v) => v.clone(),
    }
}

/// An s16.15 value as a number.
fn fixed(v: i32) -> Value {
    json_number(value(v))
}

struct Fields<'a, 'b> {
    at: &'a str,
    population: &'a str,
    out: &'b mut Vec<Difference>,
}

impl Fields<'_, '_> {
    fn push(&mut self, field: &str, a: Value, b: Value, detail: Option<String>) {
        // The caller fills in the files: it knows the cores' paths.
        let mut d = Difference::new("", format!("{} / {field}", self.at), Kind::Changed, a, b);
        d.detail = detail;
        self.out.push(d);
    }

    fn scalar<T: PartialEq + Into<Value>>(&mut self, field: &str, a: T, b: T) {
        if a != b {
            self.push(field, a.into(), b.into(), None);
        }
    }

    fn count(&mut self, field: &str, a: usize, b: usize) {
        if a != b {
            self.push(field, a.into(), b.into(), Some("number of entries".into()));
        }
    }

    /// Values, per neuron when `lo` numbers the first neuron: how many
    /// differ, and the first.
    fn values<T: PartialEq + Copy>(
        &mut self,
        field: &str,
        a: &[T],
        b: &[T],
        lo: Option<u32>,
        show: impl Fn(T) -> Value,
    ) {
        if a.len() != b.len() {
            self.push(
                field,
                format!("{} values", a.len()).into(),
                format!("{} values", b.len()).into(),
                None,
            );
            return;
        }
        let differ: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
        if let Some(&i) = differ.first() {
            let at = match lo {
                Some(lo) => format!("{}[{}]", self.population, lo as u64 + i as u64),
                None => format!("[{i}]"),
            };
            let detail = (a.len() > 1)
                .then(|| format!("{} of {} differ; first at {at}", differ.len(), a.len()));
            self.push(field, show(a[i]), show(b[i]), detail);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_paths() {
        assert!(is_core_file("cores/0_1_3/neurons.bin"));
        assert!(is_core_file("cores/0_1_3/synapses.bin"));
        assert!(!is_core_file("cores/0_1_3/notes.txt"));
        assert!(!is_core_file("cores/x/neurons.bin"));
        assert_eq!(core_location("2_3_17"), Some(((2, 3), 17)));
    }
}
