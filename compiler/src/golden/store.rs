//! Writing golden directories, and the scratch directories a run uses.
//!
//! A golden directory is replaced as a whole: its files are written to a
//! hidden sibling, which is renamed over it, so an interrupted `--bless`
//! leaves either the old goldens or the new ones, never a mix. Scratch
//! directories live in the system's temporary directory and are removed
//! when dropped.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::manifest::GOLDEN_SUFFIX;

pub use crate::outdir::write_dir;

/// The case directories in a manifest's golden directory `root` that no
/// case of `names` owns, sorted.
pub fn stale(root: &Path, names: &[&str]) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(root) else {
        return Vec::new();
    };
    let mut out: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.') && !names.contains(&n.as_str()))
        .collect();
    out.sort();
    out
}

/// Whether `dir` looks like a golden directory this tool wrote (so that
/// removing a stale case cannot reach outside one).
pub fn is_golden_root(dir: &Path) -> bool {
    dir.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.ends_with(GOLDEN_SUFFIX))
}

/// A temporary directory, removed when dropped.
#[derive(Debug)]
pub struct Scratch {
    path: PathBuf,
}

impl Scratch {
    /// A new, empty scratch directory.
    pub fn new() -> std::io::Result<Scratch> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("spikec-test-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path)?;
        Ok(Scratch { path })
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}
