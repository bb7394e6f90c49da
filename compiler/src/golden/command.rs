//! `spikec test [PATH...]`: the command line of golden tests. Exit 0 when
//! every case matches its goldens (or was blessed), 1 when any differs or
//! cannot run, 2 on a usage error (bad paths, manifests or `--case`) or a
//! file that cannot be read or written.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use clap::{Args, ValueEnum};

use super::discover::{discover, same_file, Found};
use super::manifest::{self, Case, MANIFEST_SUFFIX};
use super::{display_path, render, run_case, store, CaseReport};
use crate::cli::{EXIT_INPUT, EXIT_OK, EXIT_USAGE};

/// The arguments of `spikec test`.
#[derive(Args, Debug)]
pub struct TestArgs {
    /// Test manifests (`NAME.test.toml`, `spikec-tests.toml`), networks
    /// with a manifest, or directories to search (default: `.`).
    pub paths: Vec<PathBuf>,
    /// Write the current outputs as the new goldens of the cases that
    /// differ or have none, and remove goldens of cases that are gone.
    #[arg(long)]
    pub bless: bool,
    /// Run only the cases with this name (`*` matches anything);
    /// repeatable.
    #[arg(long = "case", value_name = "NAME")]
    pub cases: Vec<String>,
    /// `human`: a line per case, then every failure with its differences;
    /// `json`: one object with every case; `junit`: JUnit XML for CI.
    #[arg(long, value_enum, default_value = "human")]
    pub format: TestFormat,
    /// Lines of differences shown per file (0: all), in human and JUnit
    /// output.
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
}

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TestFormat {
    /// Text for people.
    Human,
    /// A JSON object.
    Json,
    /// JUnit XML.
    Junit,
}

/// A manifest's selected cases.
struct Selected {
    found: Found,
    cases: Vec<Case>,
    /// Every case of the manifest runs (so stale goldens can be named).
    whole: bool,
    /// Names of all its cases.
    names: Vec<String>,
}

fn usage(stderr: &mut dyn Write, message: &str, help: &str) -> i32 {
    let _ = writeln!(stderr, "error: {message}");
    let _ = writeln!(stderr, "help: {help}");
    EXIT_USAGE
}

/// Runs `spikec test`; returns the exit code.
pub fn run(args: &TestArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> i32 {
    let start = Instant::now();
    let found = match discover(&args.paths) {
        Ok(f) => f,
        Err(e) => return usage(stderr, &e.to_string(), &e.help()),
    };
    if found.is_empty() {
        let searched: Vec<String> = if args.paths.is_empty() {
            vec![".".into()]
        } else {
            args.paths.iter().map(|p| display_path(p)).collect()
        };
        return usage(
            stderr,
            &format!("no test manifests in {}", searched.join(", ")),
            &format!(
                "put a manifest beside a network, e.g. `net{MANIFEST_SUFFIX}` beside `net.snn` \
                 holding `duration = \"100 ms\"`, then run `spikec test --bless`"
            ),
        );
    }
    let mut selected = Vec::new();
    let mut bad = false;
    for f in found {
        match manifest::load(&f.manifest) {
            Ok(all) => {
                let names: Vec<String> = all.iter().map(|c| c.name.clone()).collect();
                let cases: Vec<Case> = all
                    .into_iter()
                    .filter(|c| f.only_file.as_ref().is_none_or(|o| same_file(o, &c.file)))
                    .filter(|c| {
                        args.cases.is_empty()
                            || args
                                .cases
                                .iter()
                                .any(|p| crate::diff::glob_matches(p, &c.name))
                    })
                    .collect();
                let whole = f.only_file.is_none() && args.cases.is_empty();
                selected.push(Selected {
                    found: f,
                    cases,
                    whole,
                    names,
                });
            }
            Err(e) => {
                let _ = writeln!(stderr, "error: {e}");
                let _ = writeln!(stderr, "help: {}", e.help());
                bad = true;
            }
        }
    }
    if bad {
        return EXIT_USAGE;
    }
    let total: usize = selected.iter().map(|s| s.cases.len()).sum();
    if total == 0 {
        let message = if args.cases.is_empty() {
            "the manifests name no case of the networks given".to_string()
        } else {
            format!("no case matches --case {}", args.cases.join(", --case "))
        };
        return usage(
            stderr,
            &message,
            "case names are the `name`s of [[case]] tables (`default` without any)",
        );
    }

    let human = args.format == TestFormat::Human;
    if human {
        let _ = writeln!(
            stdout,
            "running {total} case{}",
            if total == 1 { "" } else { "s" }
        );
    }
    let mut reports: Vec<CaseReport> = Vec::with_capacity(total);
    let mut notes = Vec::new();
    let mut io_error = false;
    for s in &selected {
        for case in &s.cases {
            let r = run_case(case, args.bless);
            if human {
                let _ = writeln!(stdout, "{}", render::case_line(&r));
                let _ = stdout.write_all(render::case_details(&r).as_bytes());
            }
            io_error |= r.io_error;
            reports.push(r);
        }
        if s.whole {
            io_error |= stale_goldens(s, args.bless, &mut notes);
        }
    }

    let text = match args.format {
        TestFormat::Human => {
            render::human_end(&reports, &notes, args.limit, start.elapsed().as_secs_f64())
        }
        TestFormat::Json => render::json(&reports, &notes),
        TestFormat::Junit => render::junit(&reports, args.limit),
    };
    let _ = stdout.write_all(text.as_bytes());
    if io_error {
        EXIT_USAGE
    } else if reports.iter().any(|r| r.status == super::Status::Failed) {
        EXIT_INPUT
    } else {
        EXIT_OK
    }
}

/// Names (or with `bless` removes) golden directories of cases the
/// manifest no longer has; true on an I/O error.
fn stale_goldens(s: &Selected, bless: bool, notes: &mut Vec<String>) -> bool {
    let root = manifest::golden_root(&s.found.manifest);
    let names: Vec<&str> = s.names.iter().map(String::as_str).collect();
    let mut failed = false;
    for name in store::stale(&root, &names) {
        let dir = root.join(&name);
        let shown = display_path(&dir);
        if !bless {
            notes.push(format!(
                "`{shown}` belongs to no case of `{}`; --bless removes it",
                display_path(&s.found.manifest)
            ));
        } else if store::is_golden_root(&root) {
            match std::fs::remove_dir_all(&dir) {
                Ok(()) => notes.push(format!("removed `{shown}`: its case is gone")),
                Err(e) => {
                    notes.push(format!("cannot remove `{shown}`: {e}"));
                    failed = true;
                }
            }
        }
    }
    failed
}
