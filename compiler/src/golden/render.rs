//! Reports of a test run, for people, for tools and for CI.
//!
//! Human text reads like `cargo test`: a line per case as it ends
//! (`test cuba.test.toml::n400 ... ok`), then every failure with its
//! differences as `spikec diff` shows them (A the golden, B this run) and
//! the command that accepts them, then a result line. JSON is one object
//! with the counts and every [`CaseReport`]. JUnit XML has a `testsuite`
//! per manifest and a `testcase` per case, with a `failure` (differences)
//! or an `error` (the case could not run) holding the same text as the
//! human report.

use std::fmt::Write as _;

use super::{CaseReport, Status};
use crate::diff::{render_text, Difference};

/// `test MANIFEST::CASE ... ok`.
pub fn case_line(r: &CaseReport) -> String {
    let status = match r.status {
        Status::Passed => "ok",
        Status::Failed => "FAILED",
        Status::Blessed => "blessed",
    };
    format!("test {}::{} ... {status}", r.manifest, r.case)
}

/// How to run the network by hand: `net.snn --set n=400 (spinnaker)`.
fn invocation(r: &CaseReport) -> String {
    let mut s = r.file.clone();
    for o in &r.set {
        if o.contains(|c: char| c.is_whitespace() || c == '\'') {
            let _ = write!(s, " --set '{}'", o.replace('\'', "'\\''"));
        } else {
            let _ = write!(s, " --set {o}");
        }
    }
    if !r.targets.is_empty() {
        let _ = write!(s, " (targets: {})", r.targets.join(", "));
    }
    s
}

/// Per file, how many differences: `ir.txt (2), spinnaker/report.json (1)`.
pub fn files_changed(diffs: &[Difference]) -> String {
    let mut parts: Vec<(String, usize)> = Vec::new();
    for d in diffs {
        match parts.last_mut() {
            Some((f, n)) if *f == d.file => *n += 1,
            _ => parts.push((d.file.clone(), 1)),
        }
    }
    parts
        .iter()
        .map(|(f, n)| format!("{f} ({n})"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Notes, and for a blessed case what changed, under its case line.
pub fn case_details(r: &CaseReport) -> String {
    let mut s = String::new();
    for n in &r.notes {
        let _ = writeln!(s, "    note: {n}");
    }
    if r.status == Status::Blessed && !r.differences.is_empty() {
        let _ = writeln!(
            s,
            "    {}: {}",
            crate::diff::render::summary(&r.differences),
            files_changed(&r.differences)
        );
    }
    s
}

/// The full story of a failed case: errors, differences, how to accept.
pub fn failure(r: &CaseReport, limit: usize) -> String {
    let mut s = format!("---- {}::{} ----\n", r.manifest, r.case);
    let _ = writeln!(s, "network: {}", invocation(r));
    for e in &r.errors {
        let _ = writeln!(s, "error: {}", e.trim_end());
    }
    if !r.differences.is_empty() {
        let _ = writeln!(s, "A: golden `{}`, B: this run", r.golden);
        s.push_str(&render_text(&r.differences, limit));
    }
    let missing = r.errors.iter().any(|e| e.starts_with("no golden"));
    let only_differences = r.errors.is_empty() || (missing && r.errors.len() == 1);
    if only_differences {
        let _ = writeln!(
            s,
            "to accept these outputs as the goldens: spikec test {} --case {} --bless",
            r.manifest, r.case
        );
    }
    s
}

/// The counts of a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    /// Cases that matched.
    pub passed: usize,
    /// Cases that did not.
    pub failed: usize,
    /// Cases whose goldens were written.
    pub blessed: usize,
}

impl Counts {
    /// Counts the reports.
    pub fn of(reports: &[CaseReport]) -> Counts {
        let mut c = Counts::default();
        for r in reports {
            match r.status {
                Status::Passed => c.passed += 1,
                Status::Failed => c.failed += 1,
                Status::Blessed => c.blessed += 1,
            }
        }
        c
    }
}

/// The end of the human report: failures, notes, the result line.
pub fn human_end(reports: &[CaseReport], notes: &[String], limit: usize, secs: f64) -> String {
    let mut s = String::new();
    let failed: Vec<&CaseReport> = reports
        .iter()
        .filter(|r| r.status == Status::Failed)
        .collect();
    if !failed.is_empty() {
        s.push_str("\nfailures:\n\n");
        for r in &failed {
            s.push_str(&failure(r, limit));
            s.push('\n');
        }
        s.push_str("failures:\n");
        for r in &failed {
            let _ = writeln!(s, "    {}::{}", r.manifest, r.case);
        }
    }
    if !notes.is_empty() {
        s.push('\n');
        for n in notes {
            let _ = writeln!(s, "note: {n}");
        }
    }
    let c = Counts::of(reports);
    let _ = writeln!(
        s,
        "\ntest result: {}. {} passed; {} failed; {} blessed; finished in {secs:.2} s",
        if c.failed == 0 { "ok" } else { "FAILED" },
        c.passed,
        c.failed,
        c.blessed
    );
    s
}

/// The run as JSON: `{passed, failed, blessed, cases: [...], notes: [...]}`.
pub fn json(reports: &[CaseReport], notes: &[String]) -> String {
    let c = Counts::of(reports);
    let value = serde_json::json!({
        "passed": c.passed,
        "failed": c.failed,
        "blessed": c.blessed,
        "cases": reports,
        "notes": notes,
    });
    let mut s = serde_json::to_string_pretty(&value).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}

/// `text` escaped for XML attributes and text: the five entities, and
/// characters XML 1.0 cannot hold replaced by U+FFFD.
pub fn xml_escape(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => s.push_str("&amp;"),
            '<' => s.push_str("&lt;"),
            '>' => s.push_str("&gt;"),
            '"' => s.push_str("&quot;"),
            '\'' => s.push_str("&apos;"),
            '\t' | '\n' | '\r' => s.push(c),
            c if (c as u32) < 0x20 || matches!(c, '\u{FFFE}' | '\u{FFFF}') => s.push('\u{FFFD}'),
            c => s.push(c),
        }
    }
    s
}

/// The run as JUnit XML: a `testsuite` per manifest, in order of first
/// appearance.
pub fn junit(reports: &[CaseReport], limit: usize) -> String {
    let all: Vec<&CaseReport> = reports.iter().collect();
    let (f, e) = tally(&all);
    let total: f64 = reports.iter().map(|r| r.seconds).sum();
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        s,
        "<testsuites name=\"spikec test\" tests=\"{}\" failures=\"{f}\" errors=\"{e}\" time=\"{total:.3}\">",
        reports.len(),
    );
    let mut manifests: Vec<&str> = Vec::new();
    for r in reports {
        if !manifests.contains(&r.manifest.as_str()) {
            manifests.push(&r.manifest);
        }
    }
    for m in manifests {
        let mine: Vec<&CaseReport> = reports.iter().filter(|r| r.manifest == m).collect();
        let (f, e) = tally(&mine);
        let time: f64 = mine.iter().map(|r| r.seconds).sum();
        let _ = writeln!(
            s,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{f}\" errors=\"{e}\" skipped=\"0\" time=\"{time:.3}\">",
            xml_escape(m),
            mine.len()
        );
        for r in mine {
            let _ = write!(
                s,
                "    <testcase name=\"{}\" classname=\"{}\" time=\"{:.3}\"",
                xml_escape(&r.case),
                xml_escape(&r.manifest),
                r.seconds
            );
            let notes: String = r.notes.iter().map(|n| format!("note: {n}\n")).collect();
            if r.status != Status::Failed && notes.is_empty() {
                s.push_str("/>\n");
                continue;
            }
            s.push_str(">\n");
            if r.status == Status::Failed {
                let (element, kind, message) = if is_error(r) {
                    (
                        "error",
                        "error",
                        r.errors.first().cloned().unwrap_or_default(),
                    )
                } else if r.differences.is_empty() {
                    ("failure", "golden", r.errors.join("; "))
                } else {
                    (
                        "failure",
                        "golden",
                        crate::diff::render::summary(&r.differences),
                    )
                };
                let first_line = message.lines().next().unwrap_or("").to_string();
                let _ = writeln!(
                    s,
                    "      <{element} type=\"{kind}\" message=\"{}\">{}</{element}>",
                    xml_escape(&first_line),
                    xml_escape(&failure(r, limit))
                );
            }
            if !notes.is_empty() {
                let _ = writeln!(s, "      <system-out>{}</system-out>", xml_escape(&notes));
            }
            s.push_str("    </testcase>\n");
        }
        s.push_str("  </testsuite>\n");
    }
    s.push_str("</testsuites>\n");
    s
}

/// Whether a failed case could not run at all (an `error` in JUnit's
/// terms) rather than ran and differed (a `failure`).
fn is_error(r: &CaseReport) -> bool {
    r.errors.iter().any(|e| !e.starts_with("no golden"))
        && r.differences.is_empty()
        && !r.errors.iter().any(|e| e.starts_with("spinnaker verify:"))
}

/// Failed cases as (failures, errors).
fn tally(reports: &[&CaseReport]) -> (usize, usize) {
    let failed = reports.iter().filter(|r| r.status == Status::Failed);
    let errors = failed.clone().filter(|r| is_error(r)).count();
    (failed.count() - errors, errors)
}
