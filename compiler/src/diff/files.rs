//! The files of a build directory, and the comparison of files no other
//! module understands: JSON structurally, text line by line, anything else
//! byte by byte.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::{report, DiffError, Difference, FieldTolerance, Kind};

/// A directory to compare: its root and every file in it, relative, with
/// `/` separators, sorted.
#[derive(Clone, Debug)]
pub struct BuildDir {
    root: PathBuf,
    files: BTreeSet<String>,
}

impl BuildDir {
    /// Lists the directory. Symbolic links are followed for files but not
    /// for directories, so a link loop cannot hang the walk.
    pub fn open(root: &Path) -> Result<BuildDir, DiffError> {
        if !root.is_dir() {
            return Err(DiffError::NotADirectory(root.to_path_buf()));
        }
        let mut files = BTreeSet::new();
        let mut stack = vec![(root.to_path_buf(), String::new())];
        while let Some((dir, prefix)) = stack.pop() {
            let read = |e| DiffError::Read {
                path: dir.clone(),
                source: e,
            };
            for entry in std::fs::read_dir(&dir).map_err(read)? {
                let entry = entry.map_err(read)?;
                let name = entry.file_name().to_string_lossy().into_owned();
                let rel = format!("{prefix}{name}");
                let kind = entry.file_type().map_err(read)?;
                if kind.is_dir() {
                    stack.push((entry.path(), format!("{rel}/")));
                } else if entry.path().is_file() {
                    files.insert(rel);
                }
            }
        }
        Ok(BuildDir {
            root: root.to_path_buf(),
            files,
        })
    }

    /// The directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Whether the file exists.
    pub fn has(&self, rel: &str) -> bool {
        self.files.contains(rel)
    }

    /// Every file, sorted.
    pub fn files(&self) -> impl Iterator<Item = &str> {
        self.files.iter().map(String::as_str)
    }

    /// The files under `prefix` (which ends in `/`), sorted.
    pub fn under<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.files
            .range(prefix.to_string()..)
            .take_while(move |f| f.starts_with(prefix))
            .map(String::as_str)
    }

    /// The bytes of a file.
    pub fn read(&self, rel: &str) -> Result<Vec<u8>, DiffError> {
        let path = self.root.join(rel);
        std::fs::read(&path).map_err(|source| DiffError::Read { path, source })
    }

    /// The bytes of a file if it exists.
    pub fn read_opt(&self, rel: &str) -> Result<Option<Vec<u8>>, DiffError> {
        if self.has(rel) {
            self.read(rel).map(Some)
        } else {
            Ok(None)
        }
    }
}

/// What [`compare_others`] does with a file.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Claim {
    /// A format-aware comparison handles it, presence included.
    Handled,
    /// It is derived from files compared on both sides: only whether it
    /// exists is compared.
    Derived,
    /// Compared here, as JSON, text or bytes.
    Unclaimed,
}

fn claim(rel: &str, a: &BuildDir, b: &BuildDir) -> Claim {
    let both = |f: &str| a.has(f) && b.has(f);
    let derived_if = |yes: bool| {
        if yes {
            Claim::Derived
        } else {
            Claim::Unclaimed
        }
    };
    let bins = |d: &BuildDir| {
        d.under("routing_tables/")
            .any(|f| super::tables::chip_of_path(f).is_some())
    };
    match rel {
        "report.json" | "machine.json" | "placements.txt" | "spikes.csv" => Claim::Handled,
        "routing_tables.txt" if bins(a) && bins(b) => Claim::Derived,
        "routing_tables.txt" => Claim::Handled,
        "report.txt" => derived_if(both("report.json")),
        _ if rel.starts_with("spikes.") && rel.ends_with(".npy") => derived_if(both("spikes.csv")),
        _ if super::tables::chip_of_path(rel).is_some() || super::cores::is_core_file(rel) => {
            Claim::Handled
        }
        _ => Claim::Unclaimed,
    }
}

/// Compares every file no other module handles: presence, then content.
pub(crate) fn compare_others(
    a: &BuildDir,
    b: &BuildDir,
    tolerances: &[FieldTolerance],
    out: &mut Vec<Difference>,
) -> Result<(), DiffError> {
    let all: BTreeSet<&str> = a.files().chain(b.files()).collect();
    for rel in all {
        let claim = claim(rel, a, b);
        if claim == Claim::Handled || (claim == Claim::Derived && a.has(rel) == b.has(rel)) {
            continue;
        }
        match (a.read_opt(rel)?, b.read_opt(rel)?) {
            (Some(x), Some(y)) => compare_content(rel, &x, &y, tolerances, out),
            (x, y) => presence(rel, x.as_deref(), y.as_deref(), out),
        }
    }
    Ok(())
}

/// A file only one side has.
pub(crate) fn presence(rel: &str, a: Option<&[u8]>, b: Option<&[u8]>, out: &mut Vec<Difference>) {
    let size = |x: &[u8]| serde_json::Value::from(format!("{} bytes", x.len()));
    match (a, b) {
        (Some(x), None) => out.push(Difference::new(
            rel,
            "",
            Kind::Removed,
            size(x),
            serde_json::Value::Null,
        )),
        (None, Some(y)) => out.push(Difference::new(
            rel,
            "",
            Kind::Added,
            serde_json::Value::Null,
            size(y),
        )),
        _ => {}
    }
}

/// Two files of no special format: JSON by structure, text by line, else
/// bytes.
pub(crate) fn compare_content(
    rel: &str,
    a: &[u8],
    b: &[u8],
    tolerances: &[FieldTolerance],
    out: &mut Vec<Difference>,
) {
    if a == b {
        return;
    }
    if rel.ends_with(".json") {
        report::compare_json_bytes(rel, a, b, tolerances, out);
        return;
    }
    match (std::str::from_utf8(a), std::str::from_utf8(b)) {
        (Ok(x), Ok(y)) => text_difference(rel, x, y, out),
        _ => bytes_difference(rel, a, b, out),
    }
}

/// The first line that differs, and the line counts.
/// Two binary files that differ: their sizes and the first differing byte.
pub(crate) fn bytes_difference(rel: &str, a: &[u8], b: &[u8], out: &mut Vec<Difference>) {
    let at = a
        .iter()
        .zip(b)
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()));
    out.push(
        Difference::new(
            rel,
            "",
            Kind::ContentDiffers,
            format!("{} bytes", a.len()),
            format!("{} bytes", b.len()),
        )
        .with_detail(format!("first difference at byte {at}")),
    );
}

pub(crate) fn text_difference(rel: &str, a: &str, b: &str, out: &mut Vec<Difference>) {
    let (la, lb): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    let at = la
        .iter()
        .zip(&lb)
        .position(|(x, y)| x != y)
        .unwrap_or(la.len().min(lb.len()));
    let line = |l: &[&str]| {
        l.get(at)
            .map(|s| serde_json::Value::from(*s))
            .unwrap_or(serde_json::Value::Null)
    };
    let mut detail = format!("first difference at line {}", at + 1);
    if la.len() != lb.len() {
        detail.push_str(&format!("; {} lines -> {} lines", la.len(), lb.len()));
    } else if la == lb {
        detail = "line endings or final newline differ".to_string();
    }
    out.push(
        Difference::new(
            rel,
            format!("line {}", at + 1),
            Kind::ContentDiffers,
            line(&la),
            line(&lb),
        )
        .with_detail(detail),
    );
}
