//! `spikec fmt`: shipped files are formatted, formatting never changes the
//! meaning of a program (checked on mutated programs), is idempotent, and
//! the command writes or checks files as users expect.

use crate::robustness::{inputs, mutants};
use crate::support::run;
use spikec::fmt::{format_checked, FmtError};

#[test]
fn shipped_files_are_formatted() {
    for (name, text) in inputs()
        .into_iter()
        .filter(|(n, _)| !n.starts_with("<stdlib>"))
    {
        assert_eq!(
            format_checked(&text).expect("formats"),
            text,
            "{name} is not formatted: run `spikec fmt`"
        );
    }
    for (name, text) in spikec::front::load::STDLIB {
        assert_eq!(
            format_checked(text).expect("formats"),
            *text,
            "{name} is not formatted"
        );
    }
}

#[test]
fn formatting_keeps_meaning_and_is_idempotent() {
    let mut formatted = 0;
    for (name, text) in mutants() {
        match format_checked(&text) {
            Ok(once) => {
                formatted += 1;
                let twice =
                    format_checked(&once).unwrap_or_else(|e| panic!("{name}: {e:?}\n{once}"));
                assert_eq!(once, twice, "{name}: not idempotent");
            }
            Err(FmtError::Syntax(_)) => {}
            Err(FmtError::WouldChangeMeaning) => {
                panic!("{name}: formatting would change the meaning of\n{text}")
            }
        }
    }
    // Most mutants still parse; the property must have been exercised.
    assert!(formatted > 200, "only {formatted} mutants parsed");
}

#[test]
fn fmt_command_checks_and_rewrites() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("fmt");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("net.snn");
    let messy = "network n{\n   param x=2 # size\npopulation P=IF_curr_exp[x]{v=-60 mV}\n\n\n record P.spikes\n}\n";
    std::fs::write(&file, messy).unwrap();
    let path = file.to_str().unwrap();
    let (code, out, _) = run(&["fmt", "--check", path]);
    assert_eq!(code, 1);
    assert!(
        out.contains("is not formatted") && out.contains("+   param x = 2 # size"),
        "{out}"
    );
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        messy,
        "--check must not write"
    );
    assert_eq!(run(&["fmt", path]).0, 0);
    let tidy = std::fs::read_to_string(&file).unwrap();
    assert_eq!(tidy, "network n {\n  param x = 2 # size\n  population P = IF_curr_exp[x] { v = -60 mV }\n\n  record P.spikes\n}\n");
    assert_eq!(run(&["fmt", "--check", path]).0, 0);
    // A syntax error is reported and the file is left as it is.
    std::fs::write(&file, "network n {\n  param x =\n").unwrap();
    let (code, _, err) = run(&["fmt", path]);
    assert_eq!(code, 1);
    assert!(err.contains("error[E0001]"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "network n {\n  param x =\n"
    );
    assert_eq!(run(&["fmt", "no/such.snn"]).0, 2);
}
