//! `spikec fmt`: canonical layout for `.snn` files.
//!
//! The formatter works on tokens, not on the AST, so comments and the
//! user's choice of line breaks survive: it re-indents every line by its
//! bracket depth (two spaces a level), normalises the spaces between tokens
//! (`a + b`, `f(x, y)`, `v' = ...`, `E[0..10]`, `2 mV/ms`), strips trailing
//! blanks and keeps at most one empty line in a row.
//!
//! It never changes meaning: the output is parsed again and must give the
//! same syntax tree as the input (spans aside), or nothing is written.
//! Files that do not parse are left alone with their syntax error.

use crate::diag::Diagnostic;
use crate::front::parse::parse;
use spikec_ir::units::lookup_unit;

/// A token of the surface language, as far as layout cares.
#[derive(Clone, Debug, PartialEq)]
enum Tok<'a> {
    Word(&'a str),
    Number(&'a str),
    Str(&'a str),
    /// A comment and the number of blanks before it on its line.
    Comment(&'a str, usize),
    Punct(&'a str),
}

const PUNCT2: &[&str] = &["->", "..", ">=", "<=", "==", "!="];

fn lex_line(line: &str) -> Vec<Tok<'_>> {
    let b = line.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i] as char;
        let start = i;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '#' || line[i..].starts_with("//") {
            let gap = line[..i].len() - line[..i].trim_end().len();
            out.push(Tok::Comment(line[i..].trim_end(), gap));
            break;
        }
        if c == '"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += 1;
            }
            i = (i + 1).min(b.len());
            out.push(Tok::Str(&line[start..i]));
            continue;
        }
        if c.is_ascii_digit() || (c == '.' && b.get(i + 1).is_some_and(u8::is_ascii_digit)) {
            i += 1;
            while i < b.len() {
                let d = b[i] as char;
                let exp_sign = (d == '+' || d == '-') && matches!(b[i - 1], b'e' | b'E');
                let frac = d == '.' && b.get(i + 1).is_some_and(u8::is_ascii_digit);
                if d.is_ascii_digit() || frac || d == 'e' || d == 'E' || exp_sign {
                    i += 1;
                } else {
                    break;
                }
            }
            out.push(Tok::Number(&line[start..i]));
            continue;
        }
        if c.is_alphabetic() || c == '_' {
            while i < b.len() && ((b[i] as char).is_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            out.push(Tok::Word(&line[start..i]));
            continue;
        }
        if let Some(p) = PUNCT2.iter().find(|p| line[i..].starts_with(**p)) {
            i += 2;
            out.push(Tok::Punct(p));
            continue;
        }
        i += c.len_utf8();
        out.push(Tok::Punct(&line[start..i]));
    }
    out
}

/// Whether a token ends an operand (so a following `-` is binary).
fn ends_operand(t: &Tok<'_>) -> bool {
    match t {
        Tok::Word(w) => !matches!(
            *w,
            "and"
                | "or"
                | "not"
                | "spike"
                | "refractory"
                | "weight"
                | "delay"
                | "timestep"
                | "seed"
        ),
        Tok::Number(_) | Tok::Str(_) => true,
        Tok::Punct(p) => matches!(*p, ")" | "]" | "'"),
        Tok::Comment(..) => false,
    }
}

fn is_unit(w: &str) -> bool {
    lookup_unit(w).is_some()
}

/// Lays out the tokens of one line. `after_operand` tells whether the
/// previous line ended with an operand: then a leading `-` or `+` continues
/// that expression as a binary operator.
fn layout(toks: &[Tok<'_>], after_operand: bool) -> String {
    let mut out = String::new();
    // Inside a literal's unit (`2 mV/ms`), operators take no spaces.
    let mut in_unit = false;
    for (i, t) in toks.iter().enumerate() {
        let prev = if i > 0 { Some(&toks[i - 1]) } else { None };
        let next = toks.get(i + 1);
        let text = match t {
            Tok::Word(s) | Tok::Number(s) | Tok::Str(s) | Tok::Comment(s, _) | Tok::Punct(s) => *s,
        };
        let unit_continues = |n: Option<&Tok<'_>>| matches!(n, Some(Tok::Word(w)) if is_unit(w));
        // Is this token part of a unit written after a number?
        let this_in_unit = match t {
            Tok::Word(w) => {
                matches!(prev, Some(Tok::Number(_)))
                    || (in_unit && matches!(prev, Some(Tok::Punct("/" | "*"))) && is_unit(w))
            }
            Tok::Punct("/" | "*") => {
                (in_unit || matches!(prev, Some(Tok::Number(_)))) && unit_continues(next)
            }
            Tok::Punct("^") | Tok::Number(_) if in_unit => {
                matches!(t, Tok::Punct("^")) || matches!(prev, Some(Tok::Punct("^")))
            }
            _ => false,
        };
        // Trailing comments keep their distance (they are often aligned).
        if let (Some(_), Tok::Comment(_, gap)) = (prev, t) {
            out.push_str(&" ".repeat((*gap).max(1)));
            out.push_str(text);
            continue;
        }
        let space_before = match (prev, t) {
            (None, _) => false,
            (Some(Tok::Punct("(" | "[")), _) => false,
            (_, Tok::Punct(")" | "]" | "," | ";" | "'" | "." | "..")) => false,
            // `parameter cm: nF`, but `connect E -> I : all_to_all()`.
            (_, Tok::Punct(":")) => toks[..i].contains(&Tok::Punct("->")),
            (Some(Tok::Punct(".." | ".")), _) => false,
            // A unit right after its number: `2 mV`, `0.04 /ms`.
            (Some(Tok::Number(_)), _) if this_in_unit => true,
            // Inside a unit: `mV/ms`, `mV^2`.
            (_, _) if in_unit && this_in_unit => false,
            // Unary minus or plus: `-(a)`, `= -65 mV`.
            (Some(Tok::Punct("-" | "+")), _) if i >= 2 && !ends_operand(&toks[i - 2]) => false,
            (Some(Tok::Punct("-" | "+")), _) if i == 1 && !after_operand => false,
            (Some(Tok::Word(_)), Tok::Punct("(" | "[")) => false,
            (Some(Tok::Punct("^")), _) | (_, Tok::Punct("^")) => false,
            _ => true,
        };
        if space_before {
            out.push(' ');
        }
        out.push_str(text);
        in_unit = this_in_unit;
    }
    out
}

/// Lays out a whole file (without checking that the meaning is kept).
pub fn format_source(src: &str) -> String {
    let mut out = String::new();
    let mut depth: usize = 0;
    let mut blank_run = 0;
    let mut after_operand = false;
    let mut after_open_operator = false;
    for line in src.lines() {
        let toks = lex_line(line);
        if toks.is_empty() {
            blank_run += 1;
            if blank_run == 1 && !out.is_empty() {
                out.push('\n');
            }
            continue;
        }
        blank_run = 0;
        let leading_closers = toks
            .iter()
            .take_while(|t| matches!(t, Tok::Punct("}" | ")" | "]")))
            .count();
        // A line that continues an expression is indented one level more.
        let continues = after_open_operator
            || (after_operand
                && matches!(
                    toks[0],
                    Tok::Punct("+" | "-" | "*" | "/" | "^" | ">=" | "<=" | "==" | "!=" | ">" | "<")
                        | Tok::Word("and" | "or")
                ));
        let indent =
            depth.saturating_sub(leading_closers) + usize::from(continues && leading_closers == 0);
        for t in &toks {
            match t {
                Tok::Punct("{" | "(" | "[") => depth += 1,
                Tok::Punct("}" | ")" | "]") => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        out.push_str(&"  ".repeat(indent));
        out.push_str(&layout(&toks, after_operand));
        out.push('\n');
        if let Some(last) = toks.iter().rev().find(|t| !matches!(t, Tok::Comment(..))) {
            after_operand = ends_operand(last);
            // An operator at the end of a line: the next line continues it
            // (brackets are indented by depth already).
            after_open_operator = matches!(
                last,
                Tok::Punct("+" | "-" | "*" | "/" | "^" | "=" | "->" | ":")
            ) || matches!(last, Tok::Word("and" | "or"));
        }
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// The lines that differ, `-` old and `+` new, with line numbers: enough to
/// see what `fmt` would change without a diff tool.
pub fn line_diff(old: &str, new: &str) -> String {
    let (a, b): (Vec<&str>, Vec<&str>) = (old.lines().collect(), new.lines().collect());
    let mut out = String::new();
    // Formatting only rewrites lines and drops blank ones, so align the two
    // by skipping blank lines that only one side has.
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) if x == y => {
                i += 1;
                j += 1;
            }
            (Some(x), _)
                if x.trim().is_empty() && b.get(j).is_none_or(|y| !y.trim().is_empty()) =>
            {
                out.push_str(&format!("{:>5} - {x}\n", i + 1));
                i += 1;
            }
            (Some(x), Some(y)) => {
                out.push_str(&format!("{:>5} - {x}\n{:>5} + {y}\n", i + 1, j + 1));
                i += 1;
                j += 1;
            }
            (Some(x), None) => {
                out.push_str(&format!("{:>5} - {x}\n", i + 1));
                i += 1;
            }
            (None, Some(y)) => {
                out.push_str(&format!("{:>5} + {y}\n", j + 1));
                j += 1;
            }
            (None, None) => break,
        }
    }
    out
}

/// The syntax tree of `src` with positions erased, for comparing layouts.
fn shape(src: &str) -> Result<String, Diagnostic> {
    let ast = parse(0, src)?;
    let text = format!("{ast:?}");
    // Drop every `Span { file: .., start: .., end: .. }`.
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(i) = rest.find("Span {") {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let end = rest.find('}').map_or(rest.len(), |j| j + 1);
        rest = &rest[end..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Why a file was not formatted.
#[derive(Debug)]
pub enum FmtError {
    /// The input has a syntax error (rendered by the caller).
    Syntax(Diagnostic),
    /// Formatting would have changed the meaning: a bug in the formatter.
    /// The file is left as it was.
    WouldChangeMeaning,
}

/// Formats `src`, checking that the result means the same.
pub fn format_checked(src: &str) -> Result<String, FmtError> {
    let before = shape(src).map_err(FmtError::Syntax)?;
    let formatted = format_source(src);
    match shape(&formatted) {
        Ok(after) if after == before => Ok(formatted),
        _ => Err(FmtError::WouldChangeMeaning),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spaces_and_units() {
        let src = "network n{\ntimestep 0.1ms\n  param x=-(2+3)*4 , y = 0.04/ms/mV\nrecord E[0 ..10] . spikes\n}\n";
        let f = format_source(src);
        assert_eq!(
            f,
            "network n {\n  timestep 0.1 ms\n  param x = -(2 + 3) * 4, y = 0.04 /ms/mV\n  record E[0..10].spikes\n}\n"
        );
    }
}
