//! `spikec build --target sfq` and `spikec verify --target sfq`.

use std::path::Path;

use super::{plural, run_stage, Out, SfqArgs, EXIT_INPUT, EXIT_OK, EXIT_USAGE};
use crate::build_sfq::verify::{
    classify, input_rate, parse_case, verify_clocked, Case, SfqVerification,
};
use crate::build_sfq::{self, SfqRequest};
use crate::driver::{Compilation, Override};

fn request(out: &mut Out<'_>, args: &SfqArgs) -> Result<SfqRequest, i32> {
    let deck_ms = match crate::sim_out::parse_duration(&args.deck_duration) {
        Ok(d) => d,
        Err(msg) => {
            let _ = writeln!(
                out.stderr,
                "error: --deck-duration {}: {msg}",
                args.deck_duration
            );
            return Err(EXIT_USAGE);
        }
    };
    let clock_ms = match &args.clock {
        None => None,
        Some(text) => match crate::sim_out::parse_duration(text) {
            Ok(d) if d > 0.0 => Some(d),
            Ok(_) => {
                let _ = writeln!(
                    out.stderr,
                    "error: --clock {text}: the period must be positive"
                );
                return Err(EXIT_USAGE);
            }
            Err(msg) => {
                let _ = writeln!(out.stderr, "error: --clock {text}: {msg}");
                return Err(EXIT_USAGE);
            }
        },
    };
    Ok(SfqRequest {
        tech: args.tech.clone(),
        chip: args.chip.clone(),
        deck_ms,
        clock_ms,
    })
}

/// `spikec build --target sfq`.
pub(super) fn build(
    out: &mut Out<'_>,
    file: &Path,
    dir: &Path,
    args: &SfqArgs,
    set: &[Override],
    threads: Option<usize>,
) -> i32 {
    let req = match request(out, args) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let (c, art, secs) = match run_stage(out, file, set, threads, |net| build_sfq::build(net, &req))
    {
        Ok(r) => r,
        Err(code) => return code,
    };
    if let Some(net) = &c.network {
        let diagnostics = build_sfq::warnings(net, &art.design);
        out.diagnostics(&Compilation { diagnostics, ..c });
    }
    if let Err(e) = build_sfq::write(dir, &art) {
        let _ = writeln!(
            out.stderr,
            "error: cannot write to `{}`: {e}",
            dir.display()
        );
        return EXIT_USAGE;
    }
    let t = &art.report.total;
    let _ = writeln!(
        out.stdout,
        "SFQ design `{}`: {} cells, {} JJs, {:.3} mA bias, {:.4} mW static, {:.4} mm2, latency {:.1} ps{}",
        art.report.top,
        t.cells,
        t.jj_count,
        t.bias_current_ma,
        t.static_power_mw,
        t.area_mm2,
        t.latency_ps,
        if art.report.recurrent { " per stage" } else { "" }
    );
    if let Some(r) = t.max_input_rate_ghz {
        let _ = writeln!(
            out.stdout,
            "max input rate {r:.2} GHz per line (largest fan-in {})",
            t.largest_fan_in
        );
    }
    let _ = writeln!(
        out.stdout,
        "{} chip{} of {} ({} crossing signals)",
        art.partition.chips.len(),
        plural(art.partition.chips.len()),
        art.budget,
        art.partition.crossing_signals
    );
    out.wrote(art.files.len(), dir, secs);
    EXIT_OK
}

/// `spikec verify --target sfq`, once or per `--case`.
pub(super) fn verify(
    out: &mut Out<'_>,
    file: &Path,
    duration: &str,
    args: &SfqArgs,
    cases: &[String],
    set: &[Override],
    threads: Option<usize>,
) -> i32 {
    let duration_ms = match crate::sim_out::parse_duration(duration) {
        Ok(d) => d,
        Err(msg) => {
            let _ = writeln!(out.stderr, "error: --duration {duration}: {msg}");
            return EXIT_USAGE;
        }
    };
    let req = match request(out, args) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let mut parsed: Vec<Case> = Vec::new();
    for text in cases {
        match parse_case(text) {
            Ok(c) => parsed.push(c),
            Err(msg) => {
                let _ = writeln!(out.stderr, "error: --case `{text}`: {msg}");
                return EXIT_USAGE;
            }
        }
    }
    if parsed.is_empty() {
        parsed.push(Case {
            label: String::new(),
            overrides: Vec::new(),
            expect_high: None,
        });
    }

    let mut all_ok = true;
    let mut labelled = Vec::new();
    for case in &parsed {
        let mut overrides = set.to_vec();
        overrides.extend(case.overrides.iter().cloned());
        let (_, v, secs) = match run_stage(out, file, &overrides, threads, |net| {
            let tech = build_sfq::technology(&req)?;
            verify_clocked(net, &tech, duration_ms, req.clock_ms)
        }) {
            Ok(r) => r,
            Err(code) => return code,
        };
        if !case.label.is_empty() {
            let expect = match case.expect_high {
                Some(true) => " (expect high)",
                Some(false) => " (expect low)",
                None => "",
            };
            let _ = writeln!(out.stdout, "case {}{expect}", case.label);
        }
        print_run(out, &v, secs);
        all_ok &= v.ok();
        if let Some(high) = case.expect_high {
            if v.outputs.len() != 1 {
                let _ = writeln!(
                    out.stderr,
                    "error: classifying cases needs exactly one monitored output neuron; this design has {} (record one population of one neuron)",
                    v.outputs.len()
                );
                return EXIT_USAGE;
            }
            labelled.push((high, v.ghz(v.outputs[0].circuit), v));
        }
    }
    if !labelled.is_empty() {
        let runs: Vec<&SfqVerification> = labelled.iter().map(|l| &l.2).collect();
        let input = input_rate(&runs);
        let triples: Vec<(bool, f64, f64)> =
            labelled.iter().map(|(h, r, _)| (*h, *r, input)).collect();
        let c = classify(&triples);
        let _ = writeln!(
            out.stdout,
            "\nclassification: {} of {} cases correct",
            c.correct, c.cases
        );
        if let (Some(m), Some(h), Some(l)) = (c.margin, c.lowest_high_ghz, c.highest_low_ghz) {
            let _ = writeln!(
                out.stdout,
                "margin {m:.3} of the input rate: lowest high output {h:.4} GHz, highest low output {l:.4} GHz, input {input:.4} GHz"
            );
        }
        all_ok &= c.correct == c.cases && c.margin.is_none_or(|m| m > 0.0);
    }
    if all_ok {
        let _ = writeln!(out.stdout, "\nverified: every output within tolerance");
        EXIT_OK
    } else {
        let _ = writeln!(out.stdout, "\nMISMATCH: see the rates above");
        EXIT_INPUT
    }
}

fn print_run(out: &mut Out<'_>, v: &SfqVerification, secs: f64) {
    let _ = writeln!(
        out.stdout,
        "  {:.1} ns: input {:.4} GHz; tolerance 4·√n + 10 % of the simulated count ({secs:.2} s)",
        v.duration_ns, v.input_rate_ghz
    );
    for o in &v.outputs {
        let _ = writeln!(
            out.stdout,
            "  {:<12} simulated {:>7} ({:.4} GHz)  circuit {:>7} ({:.4} GHz)  ±{:.0}  {}",
            o.port,
            o.simulated,
            v.ghz(o.simulated),
            o.circuit,
            v.ghz(o.circuit),
            o.tolerance,
            if o.ok() { "ok" } else { "OUT OF TOLERANCE" }
        );
    }
    let s = &v.stats;
    let _ = writeln!(
        out.stdout,
        "  circuit: {} input pulses, {} synapse pulses passed, {} blocked, {} firings, {} lost to merger collisions, {} to minimum separation, {} inhibitory pulses at the floor",
        s.stimulus_pulses,
        s.synapse_passed,
        s.synapse_blocked,
        s.neuron_firings,
        s.merge_collisions,
        s.separation_losses,
        s.inhibition_at_floor
    );
}
