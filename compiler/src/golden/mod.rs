//! Golden-file tests of users' networks: `spikec test`.
//!
//! Takes test manifests ([`manifest`]: `NAME.test.toml` beside a network,
//! or `spikec-tests.toml` listing cases), found from the command line's
//! paths ([`discover`]). For every case it runs the pipeline as the
//! commands do ([`produce`]: IR text, simulator spikes, SpiNNaker report,
//! placements and routing tables, the emulator's verification), compares
//! the outputs with the case's golden directory by what the files mean
//! ([`compare`], on top of [`crate::diff`]), and gives a [`CaseReport`]:
//! passed, failed (with the differences, or the errors that kept it from
//! running) or, with `--bless`, blessed — the outputs written as the new
//! goldens ([`store`]). [`render`] prints reports for people, as JSON and
//! as JUnit XML.
//!
//! Golden layout, beside the manifest (`STEM` is `NAME` for
//! `NAME.test.toml`, `spikec-tests` for `spikec-tests.toml`):
//!
//! ```text
//! STEM.golden/CASE/ir.txt
//! STEM.golden/CASE/sim/spikes.csv
//! STEM.golden/CASE/spinnaker/{report.json, placements.txt, routing_tables.txt, verify.json}
//! STEM.golden/CASE/spinnaker/cores/X_Y_P/*.bin      (only with core_data = true)
//! ```
//!
//! Invariants established: golden files depend only on the network, the
//! case's settings and the compiler (no times, paths or thread counts);
//! `--bless` rewrites only cases whose outputs differ (or that have no
//! goldens), each directory all at once, and never a case that failed to
//! run or whose verification failed. Nothing here panics on bad input: a
//! manifest error is a [`manifest::ManifestError`], a network that does not
//! compile a failed case, and a panic inside the compiler is caught and
//! reported as a failed case.

pub mod command;
pub mod compare;
pub mod discover;
pub mod manifest;
pub mod produce;
pub mod render;
pub mod store;

use std::path::Path;
use std::time::Instant;

use serde::Serialize;

use crate::diff::Difference;
use manifest::Case;

/// How a case ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Every output matches its golden.
    Passed,
    /// Outputs differ, goldens are missing, or the case could not run.
    Failed,
    /// Outputs differed (or had no goldens) and were written as goldens.
    Blessed,
}

/// The result of one case.
#[derive(Clone, Debug, Serialize)]
pub struct CaseReport {
    /// The manifest, relative to the working directory when under it.
    pub manifest: String,
    /// The case's name.
    pub case: String,
    /// The network.
    pub file: String,
    /// Parameter overrides, `NAME=VALUE`.
    pub set: Vec<String>,
    /// Targets built.
    pub targets: Vec<&'static str>,
    /// The golden directory.
    pub golden: String,
    /// How it ended.
    pub status: Status,
    /// The current outputs (B) against the goldens (A).
    pub differences: Vec<Difference>,
    /// What kept the case from passing, other than differences.
    pub errors: Vec<String>,
    /// Things to know (a skipped target, a new golden).
    pub notes: Vec<String>,
    /// Golden files written by `--bless` (0 when none were).
    pub blessed_files: usize,
    /// Wall time, seconds (not in JSON, so that it is deterministic).
    #[serde(skip)]
    pub seconds: f64,
    /// Whether a file could not be read or written (exit code 2).
    #[serde(skip)]
    pub io_error: bool,
}

/// `p` for output: relative to the working directory when it is under
/// it, without `.` components, `a/../` folded away (for display only:
/// files are opened by the path as given), with `/` separators.
pub fn display_path(p: &Path) -> String {
    use std::path::{Component, PathBuf};
    let rel = match std::env::current_dir() {
        Ok(cwd) if p.is_absolute() => p.strip_prefix(&cwd).unwrap_or(p).to_path_buf(),
        _ => p.to_path_buf(),
    };
    let mut out = PathBuf::new();
    for c in rel.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            c => out.push(c),
        }
    }
    discover::tidy(&out).to_string_lossy().replace('\\', "/")
}

/// Runs one case: outputs, comparison, and with `bless` the new goldens.
pub fn run_case(case: &Case, bless: bool) -> CaseReport {
    let start = Instant::now();
    let mut r = CaseReport {
        manifest: display_path(&case.manifest),
        case: case.name.clone(),
        file: display_path(&case.file),
        set: case
            .set
            .iter()
            .map(|o| format!("{}={}", o.name, o.value))
            .collect(),
        targets: case.targets.iter().map(|t| t.name()).collect(),
        golden: display_path(&case.golden),
        status: Status::Failed,
        differences: Vec::new(),
        errors: Vec::new(),
        notes: Vec::new(),
        blessed_files: 0,
        seconds: 0.0,
        io_error: false,
    };
    check(case, bless, &mut r);
    r.status = if !r.errors.is_empty() {
        Status::Failed
    } else if r.blessed_files > 0 {
        Status::Blessed
    } else if r.differences.is_empty() {
        Status::Passed
    } else {
        Status::Failed
    };
    r.seconds = start.elapsed().as_secs_f64();
    r
}

fn check(case: &Case, bless: bool, r: &mut CaseReport) {
    let scratch = match store::Scratch::new() {
        Ok(s) => s,
        Err(e) => {
            r.errors
                .push(format!("cannot create a scratch directory: {e}"));
            r.io_error = true;
            return;
        }
    };
    let produced = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        produce::produce(case, scratch.path())
    }));
    let current = match produced {
        Ok(Ok(c)) => c,
        Ok(Err(e)) => {
            r.io_error = matches!(e, produce::ProduceError::Scratch { .. });
            r.errors.push(e.to_string());
            return;
        }
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "no message".into());
            r.errors.push(format!(
                "internal error: spikec panicked ({what}); this is a bug in spikec, \
                 please report it with the network"
            ));
            return;
        }
    };
    r.notes.extend(current.notes.iter().cloned());
    r.errors.extend(current.errors.iter().cloned());
    let write = |dir: &Path, r: &mut CaseReport| match store::write_dir(dir, &current.files) {
        Ok(()) => true,
        Err(e) => {
            r.errors
                .push(format!("cannot write `{}`: {e}", display_path(dir)));
            r.io_error = true;
            false
        }
    };
    let may_bless = bless && r.errors.is_empty();
    if !case.golden.is_dir() {
        if may_bless {
            if write(&case.golden, r) {
                r.blessed_files = current.files.len();
                r.notes.push(format!(
                    "new golden: {} files in `{}`",
                    current.files.len(),
                    r.golden
                ));
            }
        } else {
            r.errors.push(format!(
                "no golden: `{}` does not exist; run with --bless to create it",
                r.golden
            ));
        }
        return;
    }
    let current_dir = scratch.path().join("current");
    if !write(&current_dir, r) {
        return;
    }
    let opts = case.tolerances.options(current.timestep, case.duration_ms);
    match compare::compare_case(&case.golden, &current_dir, &opts, &current.sizes) {
        Ok(d) => r.differences = d,
        Err(e) => {
            r.errors.push(e.to_string());
            r.io_error = true;
            return;
        }
    }
    if !r.differences.is_empty() && may_bless && write(&case.golden, r) {
        r.blessed_files = current.files.len();
    }
}
