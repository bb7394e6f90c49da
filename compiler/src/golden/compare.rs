//! A case's golden directory against its current outputs.
//!
//! Takes two directories laid out as [`super::produce`] writes them (A:
//! the golden, B: the current outputs) and gives [`Difference`]s in a
//! stable order: `ir.txt` line by line (a longest-common-subsequence diff,
//! so an inserted line is one addition, not a shifted file), then
//! `spinnaker/` as `spikec diff` compares build directories, then
//! `sim/spikes.csv` spike by spike (or by rate) with population sizes from
//! the network, then any other file as JSON, text or bytes. File names in
//! the differences are relative to the case directory.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use crate::diff::files::presence;
use crate::diff::{compare_dirs, report, spikes, BuildDir, DiffError, Difference, Kind, Options};

/// The section of the SpiNNaker build.
const SPINNAKER: &str = "spinnaker/";
/// The simulator's spikes.
const SPIKES: &str = "sim/spikes.csv";
/// The IR, first in the output.
const IR: &str = "ir.txt";

/// Line diffs of texts larger than this (lines × lines, after the common
/// start and end are taken off) pair lines by position instead.
const MAX_LCS_CELLS: usize = 4_000_000;

/// Compares the case directories `golden` (A) and `current` (B).
/// `sizes` are the network's population sizes, for rates in Hz.
pub fn compare_case(
    golden: &Path,
    current: &Path,
    opts: &Options,
    sizes: &[(String, u64)],
) -> Result<Vec<Difference>, DiffError> {
    let a = BuildDir::open(golden)?;
    let b = BuildDir::open(current)?;
    let mut out = Vec::new();
    compare_file(&a, &b, IR, opts, &mut out)?;

    let count = |d: &BuildDir| d.under(SPINNAKER).count();
    match (count(&a), count(&b)) {
        (0, 0) => {}
        (_, 0) | (0, _) => {
            let files = |n: usize| match n {
                0 => Value::Null,
                n => Value::from(format!("{n} file{}", if n == 1 { "" } else { "s" })),
            };
            let kind = if count(&b) == 0 {
                Kind::Removed
            } else {
                Kind::Added
            };
            out.push(Difference::new(
                SPINNAKER,
                "",
                kind,
                files(count(&a)),
                files(count(&b)),
            ));
        }
        _ => {
            let sub = compare_dirs(&golden.join("spinnaker"), &current.join("spinnaker"), opts)?;
            out.extend(sub.into_iter().map(|d| prefixed(SPINNAKER, d)));
        }
    }

    match (a.read_opt(SPIKES)?, b.read_opt(SPIKES)?) {
        (Some(x), Some(y)) if x != y => compare_spikes(&x, &y, opts, sizes, &mut out),
        (x, y) => presence(SPIKES, x.as_deref(), y.as_deref(), &mut out),
    }

    let rest: BTreeSet<&str> = a
        .files()
        .chain(b.files())
        .filter(|f| *f != IR && *f != SPIKES && !f.starts_with(SPINNAKER))
        .collect();
    for rel in rest {
        compare_file(&a, &b, rel, opts, &mut out)?;
    }
    Ok(out)
}

/// `d` with its file names under `dir` (which ends in `/`).
fn prefixed(dir: &str, mut d: Difference) -> Difference {
    d.file = format!("{dir}{}", d.file);
    d.file_b = d.file_b.map(|f| format!("{dir}{f}"));
    d
}

fn compare_spikes(
    x: &[u8],
    y: &[u8],
    opts: &Options,
    sizes: &[(String, u64)],
    out: &mut Vec<Difference>,
) {
    let parse = |b: &[u8]| {
        std::str::from_utf8(b)
            .map_err(|_| "not UTF-8 text".to_string())
            .and_then(spikes::parse)
    };
    match (parse(x), parse(y)) {
        (Ok(ta), Ok(tb)) => {
            let mut diffs = Vec::new();
            spikes::compare(&ta, &tb, &opts.spikes, sizes, &mut diffs);
            out.extend(diffs.into_iter().map(|d| prefixed("sim/", d)));
        }
        (ta, tb) => out.push(report::malformed(SPIKES, ta.err(), tb.err())),
    }
}

/// Any other file: JSON by structure, text by line, else by bytes.
fn compare_file(
    a: &BuildDir,
    b: &BuildDir,
    rel: &str,
    opts: &Options,
    out: &mut Vec<Difference>,
) -> Result<(), DiffError> {
    let (x, y) = match (a.read_opt(rel)?, b.read_opt(rel)?) {
        (Some(x), Some(y)) => (x, y),
        (x, y) => {
            presence(rel, x.as_deref(), y.as_deref(), out);
            return Ok(());
        }
    };
    if x == y {
        return Ok(());
    }
    if rel.ends_with(".json") {
        report::compare_json_bytes(rel, &x, &y, &opts.tolerances, out);
        return Ok(());
    }
    match (std::str::from_utf8(&x), std::str::from_utf8(&y)) {
        (Ok(s), Ok(t)) => line_differences(rel, s, t, out),
        _ => crate::diff::files::bytes_difference(rel, &x, &y, out),
    }
    Ok(())
}

/// One step of a line diff.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Keep,
    Delete,
    Insert,
}

/// The lines of `b` against those of `a`: a changed line is `Changed`
/// (`line N`, A's numbering), a removed one `Removed` (A's), an added one
/// `Added` (B's numbering).
pub fn line_differences(file: &str, a: &str, b: &str, out: &mut Vec<Difference>) {
    let (la, lb): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    if la == lb {
        if a != b {
            out.push(
                Difference::new(file, "", Kind::ContentDiffers, Value::Null, Value::Null)
                    .with_detail("line endings or final newline differ"),
            );
        }
        return;
    }
    let start = la.iter().zip(&lb).take_while(|(x, y)| x == y).count();
    let end = la[start..]
        .iter()
        .rev()
        .zip(lb[start..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (ma, mb) = (&la[start..la.len() - end], &lb[start..lb.len() - end]);
    let ops = edit_script(ma, mb);
    let (mut i, mut j) = (start, start);
    let (mut dels, mut ins): (Vec<usize>, Vec<usize>) = (Vec::new(), Vec::new());
    let flush = |dels: &mut Vec<usize>, ins: &mut Vec<usize>, out: &mut Vec<Difference>| {
        let paired = dels.len().min(ins.len());
        for (&x, &y) in dels.iter().zip(ins.iter()) {
            out.push(Difference::new(
                file,
                format!("line {}", x + 1),
                Kind::Changed,
                la[x],
                lb[y],
            ));
        }
        for &x in &dels[paired..] {
            out.push(Difference::new(
                file,
                format!("line {}", x + 1),
                Kind::Removed,
                la[x],
                Value::Null,
            ));
        }
        for &y in &ins[paired..] {
            out.push(Difference::new(
                file,
                format!("line {}", y + 1),
                Kind::Added,
                Value::Null,
                lb[y],
            ));
        }
        dels.clear();
        ins.clear();
    };
    for op in ops {
        match op {
            Op::Keep => {
                flush(&mut dels, &mut ins, out);
                i += 1;
                j += 1;
            }
            Op::Delete => {
                dels.push(i);
                i += 1;
            }
            Op::Insert => {
                ins.push(j);
                j += 1;
            }
        }
    }
    flush(&mut dels, &mut ins, out);
}

/// A shortest edit script from `a` to `b` by longest common subsequence;
/// for very long inputs, every line of `a` deleted and every line of `b`
/// inserted (then paired by position).
fn edit_script(a: &[&str], b: &[&str]) -> Vec<Op> {
    let (n, m) = (a.len(), b.len());
    if n.saturating_mul(m) > MAX_LCS_CELLS {
        let mut ops = vec![Op::Delete; n];
        ops.extend(std::iter::repeat_n(Op::Insert, m));
        return ops;
    }
    // lcs[i][j]: the longest common subsequence of a[i..] and b[j..].
    let w = m + 1;
    let mut lcs = vec![0u32; (n + 1) * w];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i * w + j] = if a[i] == b[j] {
                lcs[(i + 1) * w + j + 1] + 1
            } else {
                lcs[(i + 1) * w + j].max(lcs[i * w + j + 1])
            };
        }
    }
    let mut ops = Vec::with_capacity(n + m);
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            ops.push(Op::Keep);
            i += 1;
            j += 1;
        } else if j < m && (i == n || lcs[i * w + j + 1] >= lcs[(i + 1) * w + j]) {
            ops.push(Op::Insert);
            j += 1;
        } else {
            ops.push(Op::Delete);
            i += 1;
        }
    }
    // Deletions before insertions within a run, so that changed lines pair.
    let mut k = 0;
    while k < ops.len() {
        if ops[k] == Op::Keep {
            k += 1;
            continue;
        }
        let end = ops[k..]
            .iter()
            .position(|o| *o == Op::Keep)
            .map_or(ops.len(), |p| k + p);
        ops[k..end].sort_by_key(|o| *o == Op::Insert);
        k = end;
    }
    ops
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diff(a: &str, b: &str) -> Vec<(String, Kind, Value, Value)> {
        let mut out = Vec::new();
        line_differences("f", a, b, &mut out);
        out.into_iter()
            .map(|d| (d.path, d.kind, d.a, d.b))
            .collect()
    }

    #[test]
    fn lines_changed_added_removed() {
        assert!(diff("a\nb\n", "a\nb\n").is_empty());
        assert_eq!(
            diff("a\nb\nc\n", "a\nB\nc\n"),
            [("line 2".into(), Kind::Changed, "b".into(), "B".into())]
        );
        assert_eq!(
            diff("a\nc\n", "a\nb\nc\n"),
            [("line 2".into(), Kind::Added, Value::Null, "b".into())]
        );
        assert_eq!(
            diff("a\nb\nc\n", "a\nc\n"),
            [("line 2".into(), Kind::Removed, "b".into(), Value::Null)]
        );
        let d = diff("x\n1\n2\ny\n", "x\n3\ny\nz\n");
        assert_eq!(
            d,
            [
                ("line 2".into(), Kind::Changed, "1".into(), "3".into()),
                ("line 3".into(), Kind::Removed, "2".into(), Value::Null),
                ("line 4".into(), Kind::Added, Value::Null, "z".into()),
            ]
        );
        assert_eq!(diff("a\n", "a").len(), 1);
    }
}
