//! Rendering: rustc-style text through codespan-reporting, or one JSON
//! object per line (`--message-format json`) for editors and CI.

use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label as CsLabel, LabelStyle};
use codespan_reporting::term::{self, termcolor};

use super::{Diagnostic, Severity, SourceMap};

/// Whether to colour human output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorChoice {
    /// Plain text (tests, pipes).
    Never,
    /// ANSI colours.
    Always,
}

fn to_codespan(d: &Diagnostic) -> CsDiagnostic<u32> {
    let sev = match d.severity {
        Severity::Error => codespan_reporting::diagnostic::Severity::Error,
        Severity::Warning => codespan_reporting::diagnostic::Severity::Warning,
    };
    let labels = d
        .labels
        .iter()
        .map(|l| {
            let style = if l.primary {
                LabelStyle::Primary
            } else {
                LabelStyle::Secondary
            };
            CsLabel::new(
                style,
                l.span.file,
                l.span.start as usize..l.span.end as usize,
            )
            .with_message(l.message.clone())
        })
        .collect();
    let mut notes = d.notes.clone();
    if let Some(h) = &d.help {
        notes.push(format!("help: {h}"));
    }
    CsDiagnostic::new(sev)
        .with_code(d.code)
        .with_message(d.message.clone())
        .with_labels(labels)
        .with_notes(notes)
}

/// Renders diagnostics as rustc-style text.
pub fn render_human(files: &SourceMap, diags: &[Diagnostic], color: ColorChoice) -> String {
    let config = term::Config::default();
    let mut out: Vec<u8> = Vec::new();
    for d in diags {
        let cs = to_codespan(d);
        let res = match color {
            ColorChoice::Never => {
                let mut w = termcolor::NoColor::new(&mut out);
                term::emit_to_write_style(&mut w, &config, files, &cs)
            }
            ColorChoice::Always => {
                let mut w = termcolor::Ansi::new(&mut out);
                term::emit_to_write_style(&mut w, &config, files, &cs)
            }
        };
        if res.is_err() {
            // A label outside its file: show the message without snippets
            // rather than lose the diagnostic.
            out.extend_from_slice(
                format!("{}[{}]: {}\n", sev_word(d.severity), d.code, d.message).as_bytes(),
            );
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn sev_word(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// Renders diagnostics as JSON lines: one object per diagnostic with code,
/// severity, message, help, notes and labels (file, byte range, 1-based
/// line/column of both ends).
pub fn render_json(files: &SourceMap, diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diags {
        let labels: Vec<serde_json::Value> = d
            .labels
            .iter()
            .map(|l| {
                let (line, col) = files.line_col(l.span.file, l.span.start).unwrap_or((0, 0));
                let (eline, ecol) = files.line_col(l.span.file, l.span.end).unwrap_or((0, 0));
                serde_json::json!({
                    "file": files.name(l.span.file).unwrap_or(""),
                    "byte_start": l.span.start,
                    "byte_end": l.span.end,
                    "line_start": line,
                    "column_start": col,
                    "line_end": eline,
                    "column_end": ecol,
                    "primary": l.primary,
                    "message": l.message,
                })
            })
            .collect();
        let v = serde_json::json!({
            "code": d.code,
            "severity": sev_word(d.severity),
            "message": d.message,
            "labels": labels,
            "notes": d.notes,
            "help": d.help,
        });
        out.push_str(&v.to_string());
        out.push('\n');
    }
    out
}
