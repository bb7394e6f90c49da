//! Differences for people and for tools.
//!
//! Text is grouped by file, one line a difference, marked as a review tool
//! marks lines: `-` only in A, `+` only in B, `~` changed; then a summary
//! line, `identical` or `3 differences in 2 files`:
//!
//! ```text
//! report.json
//!   ~ cores_used: 17 -> 30 (+13, +76.47 %)
//! routing_tables/0_0.bin
//!   ~ chip (0, 0) key 0x00001200: routed to p3 p4 in A, W p2 in B (first key routed differently; ...)
//! 2 differences in 2 files
//! ```
//!
//! JSON is an array of the [`Difference`] objects (`file`, `file_b` when
//! the paths differ, `path`, `kind`, `a`, `b`, `detail`), in the same order.

use std::fmt::Write as _;

use serde_json::Value;

use super::{files_with_differences, Difference, Kind};

/// A value in text: strings bare, numbers and lists as JSON, `(none)` for
/// nothing.
fn value_text(v: &Value) -> String {
    match v {
        Value::Null => "(none)".to_string(),
        Value::String(s) => s.clone(),
        Value::Array(items) if items.iter().all(|i| !i.is_object() && !i.is_array()) => {
            let parts: Vec<String> = items.iter().map(value_text).collect();
            format!("[{}]", parts.join(", "))
        }
        v => v.to_string(),
    }
}

/// One difference as a line (without indentation).
pub fn line(d: &Difference) -> String {
    let (a, b) = (value_text(&d.a), value_text(&d.b));
    let at = if d.path.is_empty() {
        String::new()
    } else {
        format!("{}: ", d.path)
    };
    let mut s = match d.kind {
        Kind::Added if d.path.is_empty() => format!("+ only in B ({b})"),
        Kind::Removed if d.path.is_empty() => format!("- only in A ({a})"),
        Kind::Added => format!("+ {at}{b} (only in B)"),
        Kind::Removed => format!("- {at}{a} (only in A)"),
        Kind::Moved => format!("~ {at}moved from {a} to {b}"),
        Kind::KeyChanged => format!("~ {at}key {a} -> {b}"),
        Kind::EntryCount => format!("~ {at}{a} -> {b} entries"),
        Kind::RoutedDifferently => format!("~ {at}routed to {a} in A, {b} in B"),
        Kind::SynapsesDiffer => format!("~ {at}{a} -> {b} synapses"),
        Kind::SpikesDiffer => format!("~ {at}{a} -> {b} spikes"),
        Kind::RateDiffers => format!("~ {at}rate {a} -> {b}"),
        Kind::Malformed => match (&d.a, &d.b) {
            (Value::Null, _) => format!("! {at}malformed in B: {b}"),
            (_, Value::Null) => format!("! {at}malformed in A: {a}"),
            _ => format!("! {at}malformed in A: {a}; in B: {b}"),
        },
        Kind::Changed | Kind::ContentDiffers => format!("~ {at}{a} -> {b}"),
    };
    if let Some(detail) = &d.detail {
        let _ = write!(s, " ({detail})");
    }
    s
}

/// The differences as text, grouped by file; at most `limit` lines a file
/// (0: all), the rest counted.
pub fn render_text(diffs: &[Difference], limit: usize) -> String {
    let mut s = String::new();
    let mut i = 0;
    while i < diffs.len() {
        let (file, file_b) = (&diffs[i].file, &diffs[i].file_b);
        let n = diffs[i..]
            .iter()
            .take_while(|d| &d.file == file && &d.file_b == file_b)
            .count();
        match file_b {
            Some(fb) => {
                let _ = writeln!(s, "{file} (B: {fb})");
            }
            None => {
                let _ = writeln!(s, "{file}");
            }
        }
        let shown = if limit == 0 { n } else { n.min(limit) };
        for d in &diffs[i..i + shown] {
            let _ = writeln!(s, "  {}", line(d));
        }
        if shown < n {
            let _ = writeln!(s, "  ... and {} more (--limit 0 shows all)", n - shown);
        }
        i += n;
    }
    let _ = writeln!(s, "{}", summary(diffs));
    s
}

/// `identical`, or `3 differences in 2 files`.
pub fn summary(diffs: &[Difference]) -> String {
    if diffs.is_empty() {
        return "identical".to_string();
    }
    let files = files_with_differences(diffs);
    format!(
        "{} difference{} in {files} file{}",
        diffs.len(),
        if diffs.len() == 1 { "" } else { "s" },
        if files == 1 { "" } else { "s" }
    )
}

/// The differences as a pretty JSON array.
pub fn render_json(diffs: &[Difference]) -> String {
    let mut s = serde_json::to_string_pretty(diffs).unwrap_or_else(|_| "[]".to_string());
    s.push('\n');
    s
}
