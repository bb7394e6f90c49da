//! No input may panic: truncated and mutated versions of every example and of
//! the standard library must produce a network or an error diagnostic,
//! never a crash.

use crate::support::{root, snn_files};
use spikec::driver::compile_source;

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    ",",
    ";",
    ":",
    "->",
    "'",
    "=",
    "..",
    ".",
    "^",
    "-",
    "*",
    "/",
    " mV",
    " ms",
    " Hz",
    " pA",
    "inf",
    "0",
    "-1",
    "1e999",
    "999999999999",
    "\"",
    "#",
    "network",
    "neuron",
    "population",
    "connect",
    "record",
    "spike",
    "refractory",
    "state",
    "parameter",
    "param",
    "let",
    "input",
    "alias",
    "for",
    "import \"x.snn\"",
    "E",
    "v",
    "t",
    "d",
    "uniform(",
    "csv(\"nope.csv\", \"x\")",
    "fixed_probability(2)",
    "true",
    "and",
    "not",
    "\u{e9}",
    "\n",
];

fn check_no_panic(name: &str, text: String) {
    let result = std::panic::catch_unwind(|| {
        let c = compile_source(
            &root()
                .join("dsl-examples")
                .join("mutant.snn")
                .to_string_lossy(),
            text.clone(),
            &[],
        );
        if c.network.is_none() {
            assert!(c.has_errors(), "no network and no error diagnostic");
        }
        for d in &c.diagnostics {
            assert!(d.code.len() == 5, "bad code {}", d.code);
        }
    });
    if let Err(e) = result {
        let msg = e
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        panic!("{name}: compiler panicked ({msg}) on input:\n{text}");
    }
}

fn char_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Every example and standard-library file, by name.
pub fn inputs() -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = snn_files("dsl-examples")
        .into_iter()
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    for (name, text) in spikec::front::load::STDLIB {
        // The library files have no network; wrap a tiny one around them so
        // their models are lowered.
        v.push((
            name.to_string(),
            format!("{text}\nnetwork n {{ population P = IF_curr_exp[2]\n record P.spikes }}\n"),
        ));
    }
    v
}

#[test]
fn truncated_inputs_never_panic() {
    for (name, text) in inputs() {
        let steps = 60usize;
        for k in 0..steps {
            let cut = char_boundary(&text, text.len() * k / steps);
            check_no_panic(
                &format!("{name} truncated at {cut}"),
                text[..cut].to_string(),
            );
        }
    }
}

/// Mutated versions of every input: a few deletions, insertions of tokens
/// that matter to the grammar, duplications and replacements each.
pub fn mutants() -> Vec<(String, String)> {
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    let mut out = Vec::new();
    for (name, text) in inputs() {
        for round in 0..80 {
            let mut t = text.clone();
            for _ in 0..1 + rng.below(3) {
                let at = char_boundary(&t, rng.below(t.len() + 1));
                match rng.below(4) {
                    0 => {
                        let end = char_boundary(&t, at + 1 + rng.below(12));
                        t.replace_range(at..end, "");
                    }
                    1 => t.insert_str(at, TOKENS[rng.below(TOKENS.len())]),
                    2 => {
                        let end = char_boundary(&t, at + rng.below(40));
                        let piece = t[at..end].to_string();
                        t.insert_str(end, &piece);
                    }
                    _ => {
                        let end = char_boundary(&t, at + 1 + rng.below(6));
                        t.replace_range(at..end, TOKENS[rng.below(TOKENS.len())]);
                    }
                }
            }
            out.push((format!("{name} mutation {round}"), t));
        }
    }
    out
}

#[test]
fn mutated_inputs_never_panic() {
    for (name, text) in mutants() {
        check_no_panic(&name, text);
    }
}

#[test]
fn deep_nesting_is_a_diagnostic_not_a_stack_overflow() {
    let wrap = |e: String| {
        format!("network n {{ param x = {e}\n population P = IF_curr_exp[2] {{ i_offset = x * 1 nA }}\n record P.spikes }}")
    };
    let limit = spikec::front::parse::MAX_NESTING;
    let hostile = [
        format!("{}1{}", "(".repeat(50_000), ")".repeat(50_000)),
        format!("{}1", "-".repeat(200_000)),
        vec!["1"; 200_000].join(" + "),
        vec!["2"; 100_000].join(" ^ "),
    ];
    for e in hostile {
        let c = compile_source("deep.snn", wrap(e), &[]);
        assert!(
            c.diagnostics.iter().any(|d| d.code == "E0001"),
            "{:?}",
            c.diagnostics.first()
        );
    }
    // Just under the limit still compiles.
    let ok = format!("{}0{}", "(".repeat(limit - 1), ")".repeat(limit - 1));
    let c = compile_source("deep.snn", wrap(ok), &[]);
    assert!(!c.has_errors(), "{}", crate::support::rendered(&c));
}
