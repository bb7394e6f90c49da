//! Spike trains: `spikes.csv` (`population,neuron,time_ms`) of both sides.
//!
//! Spike by spike, each neuron's spikes are matched in time order within
//! [`SpikeOptions::time_ms`] (0: exactly; greedy matching of two sorted
//! trains is a maximum matching when every spike has the same window).
//! Per population, one [`Kind::SpikesDiffer`] gives the counts and the
//! first divergence, followed by the earliest unmatched spikes (at most
//! [`MAX_SPIKES_SHOWN`]).
//!
//! With [`SpikeOptions::rate_percent`], each population's rate (spikes per
//! neuron per second over the duration: [`SpikeOptions::duration_ms`], or
//! the latest spike in either file; neurons from `report.json`, else the
//! rate is per population) may differ by that percentage of A's. The rate
//! replaces the spike-by-spike comparison unless a time tolerance is given
//! too, in which case both run.

use serde_json::Value;

use super::files::{presence, BuildDir};
use super::report::{malformed, population_sizes};
use super::{json_number, number_text, DiffError, Difference, Kind, SpikeOptions};

/// The file.
pub const FILE: &str = "spikes.csv";

/// Unmatched spikes listed per population, earliest first.
pub const MAX_SPIKES_SHOWN: usize = 10;

/// Times closer than this (ms) are equal: they are decimal text.
const EPSILON_MS: f64 = 1e-9;

/// Spikes by population, in order of first appearance: per population,
/// (neuron, time) sorted.
pub type Trains = Vec<(String, Vec<(u32, f64)>)>;

/// Parses `spikes.csv`; the error names the first bad line.
pub fn parse(text: &str) -> Result<Trains, String> {
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, h)) if h.trim() == "population,neuron,time_ms" => {}
        _ => return Err("line 1: expected the header `population,neuron,time_ms`".into()),
    }
    let mut trains: Trains = Vec::new();
    for (i, line) in lines {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let bad = || {
            format!(
                "line {}: expected `population,neuron,time_ms`: `{line}`",
                i + 1
            )
        };
        let mut f = line.split(',');
        let (Some(p), Some(n), Some(t), None) = (f.next(), f.next(), f.next(), f.next()) else {
            return Err(bad());
        };
        let n: u32 = n.trim().parse().map_err(|_| bad())?;
        let t: f64 = t.trim().parse().map_err(|_| bad())?;
        if !t.is_finite() {
            return Err(bad());
        }
        let p = p.trim();
        match trains.iter_mut().find(|(name, _)| name == p) {
            Some((_, v)) => v.push((n, t)),
            None => trains.push((p.to_string(), vec![(n, t)])),
        }
    }
    for (_, v) in &mut trains {
        v.sort_by(|x, y| x.0.cmp(&y.0).then(x.1.total_cmp(&y.1)));
    }
    Ok(trains)
}

pub(crate) fn compare_file(
    a: &BuildDir,
    b: &BuildDir,
    opts: &SpikeOptions,
    out: &mut Vec<Difference>,
) -> Result<(), DiffError> {
    let (x, y) = match (a.read_opt(FILE)?, b.read_opt(FILE)?) {
        (Some(x), Some(y)) => (x, y),
        (x, y) => {
            presence(FILE, x.as_deref(), y.as_deref(), out);
            return Ok(());
        }
    };
    let parse = |b: &[u8]| {
        std::str::from_utf8(b)
            .map_err(|_| "not UTF-8 text".to_string())
            .and_then(parse)
    };
    let (ta, tb) = match (parse(&x), parse(&y)) {
        (Ok(ta), Ok(tb)) => (ta, tb),
        _ if x == y => return Ok(()),
        (ta, tb) => {
            out.push(malformed(FILE, ta.err(), tb.err()));
            return Ok(());
        }
    };
    let mut sizes = Vec::new();
    for dir in [a, b] {
        if let Some(r) = dir.read_opt("report.json")? {
            sizes.extend(population_sizes(&r));
        }
    }
    compare(&ta, &tb, opts, &sizes, out);
    Ok(())
}

/// Compares two sets of spike trains; `sizes` gives population sizes (the
/// first entry of a name counts) for rates in Hz.
pub fn compare(
    a: &Trains,
    b: &Trains,
    opts: &SpikeOptions,
    sizes: &[(String, u64)],
    out: &mut Vec<Difference>,
) {
    let mut names: Vec<&str> = a.iter().map(|(n, _)| n.as_str()).collect();
    for (n, _) in b {
        if !names.contains(&n.as_str()) {
            names.push(n);
        }
    }
    let empty = Vec::new();
    let train = |t: &'_ Trains, name: &str| -> Vec<(u32, f64)> {
        t.iter()
            .find(|(n, _)| n == name)
            .map_or_else(|| empty.clone(), |(_, v)| v.clone())
    };
    let latest = a
        .iter()
        .chain(b)
        .flat_map(|(_, v)| v.iter().map(|s| s.1))
        .fold(0.0f64, f64::max);
    let duration = opts.duration_ms.unwrap_or(latest);
    let by_spike = opts.rate_percent.is_none() || opts.time_given;
    for name in names {
        let (x, y) = (train(a, name), train(b, name));
        if by_spike {
            compare_trains(name, &x, &y, opts.time_ms, out);
        }
        if let Some(pct) = opts.rate_percent {
            let n = sizes.iter().find(|(p, _)| p == name).map(|s| s.1);
            compare_rates(name, x.len(), y.len(), n, duration, pct, out);
        }
    }
}

/// Matches one population's spikes neuron by neuron within `tol` ms.
fn compare_trains(
    name: &str,
    a: &[(u32, f64)],
    b: &[(u32, f64)],
    tol: f64,
    out: &mut Vec<Difference>,
) {
    let (mut only_a, mut only_b) = (Vec::new(), Vec::new());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        match (a.get(i), b.get(j)) {
            (Some(p), Some(q)) if p.0 == q.0 && (p.1 - q.1).abs() <= tol + EPSILON_MS => {
                i += 1;
                j += 1;
            }
            // Same neuron, A's spike earlier than any B can still match.
            (Some(p), Some(q)) if p.0 < q.0 || (p.0 == q.0 && p.1 < q.1) => {
                only_a.push(*p);
                i += 1;
            }
            (Some(_), Some(q)) => {
                only_b.push(*q);
                j += 1;
            }
            (Some(p), None) => {
                only_a.push(*p);
                i += 1;
            }
            (None, Some(q)) => {
                only_b.push(*q);
                j += 1;
            }
            (None, None) => break,
        }
    }
    if only_a.is_empty() && only_b.is_empty() {
        return;
    }
    let by_time =
        |v: &mut Vec<(u32, f64)>| v.sort_by(|x, y| x.1.total_cmp(&y.1).then(x.0.cmp(&y.0)));
    by_time(&mut only_a);
    by_time(&mut only_b);
    let first = only_a
        .first()
        .map(|s| s.1)
        .into_iter()
        .chain(only_b.first().map(|s| s.1))
        .fold(f64::INFINITY, f64::min);
    let within = if tol > 0.0 {
        format!(" (within ±{} ms)", number_text(tol))
    } else {
        String::new()
    };
    out.push(
        Difference::new(FILE, name, Kind::SpikesDiffer, a.len(), b.len()).with_detail(format!(
            "{} spike{} only in A, {} only in B{within}; first difference at {} ms",
            only_a.len(),
            if only_a.len() == 1 { "" } else { "s" },
            only_b.len(),
            number_text(first)
        )),
    );
    // The earliest unmatched spikes of both sides, interleaved by time.
    let mut shown: Vec<(f64, u32, bool)> = only_a
        .iter()
        .take(MAX_SPIKES_SHOWN)
        .map(|s| (s.1, s.0, true))
        .chain(
            only_b
                .iter()
                .take(MAX_SPIKES_SHOWN)
                .map(|s| (s.1, s.0, false)),
        )
        .collect();
    shown.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)).then(y.2.cmp(&x.2)));
    for (t, n, in_a) in shown.into_iter().take(MAX_SPIKES_SHOWN) {
        let path = format!("{name}[{n}]");
        let time = Value::from(format!("{} ms", number_text(t)));
        let (kind, va, vb) = if in_a {
            (Kind::Removed, time, Value::Null)
        } else {
            (Kind::Added, Value::Null, time)
        };
        out.push(Difference::new(FILE, path, kind, va, vb));
    }
}

fn compare_rates(
    name: &str,
    a: usize,
    b: usize,
    neurons: Option<u64>,
    duration_ms: f64,
    pct: f64,
    out: &mut Vec<Difference>,
) {
    let per = neurons.filter(|&n| n > 0).unwrap_or(1) as f64 * duration_ms / 1000.0;
    let rate = |c: usize| if per > 0.0 { c as f64 / per } else { c as f64 };
    let (ra, rb) = (rate(a), rate(b));
    let ok = if ra == 0.0 {
        rb == 0.0
    } else {
        (rb - ra).abs() <= pct / 100.0 * ra + 1e-12
    };
    if ok {
        return;
    }
    let round = |r: f64| json_number((r * 1e4).round() / 1e4);
    let unit = if neurons.is_some() && per > 0.0 {
        "Hz"
    } else if per > 0.0 {
        "spikes/s"
    } else {
        "spikes"
    };
    let change = if ra > 0.0 {
        format!("{:+.2} %", (rb - ra) / ra * 100.0)
    } else {
        "from 0".to_string()
    };
    out.push(
        Difference::new(FILE, name, Kind::RateDiffers, round(ra), round(rb)).with_detail(format!(
            "{unit}, {change}, tolerance {} %; {a} -> {b} spikes over {} ms",
            number_text(pct),
            number_text(duration_ms)
        )),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "population,neuron,time_ms\nE,1,0.5\nE,2,0.7\nI,0,1.2\n";

    fn run(a: &str, b: &str, opts: SpikeOptions) -> Vec<Difference> {
        let mut out = Vec::new();
        compare(
            &parse(a).unwrap(),
            &parse(b).unwrap(),
            &opts,
            &[("E".into(), 4)],
            &mut out,
        );
        out
    }

    #[test]
    fn exact_then_within_a_window() {
        let b = A.replace("E,2,0.7", "E,2,0.8");
        let d = run(A, &b, SpikeOptions::default());
        let got: Vec<(&str, Kind)> = d.iter().map(|d| (d.path.as_str(), d.kind)).collect();
        assert_eq!(
            got,
            [
                ("E", Kind::SpikesDiffer),
                ("E[2]", Kind::Removed),
                ("E[2]", Kind::Added)
            ]
        );
        let window = SpikeOptions {
            time_ms: 0.1,
            time_given: true,
            ..SpikeOptions::default()
        };
        assert!(run(A, &b, window).is_empty());
    }

    #[test]
    fn rates_within_a_percentage() {
        let b = format!("{A}E,3,1.0\n");
        let rate = |pct| SpikeOptions {
            rate_percent: Some(pct),
            ..SpikeOptions::default()
        };
        // E: 2 -> 3 spikes, +50 %.
        assert!(run(A, &b, rate(50.0)).is_empty());
        let d = run(A, &b, rate(40.0));
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].kind, Kind::RateDiffers);
        assert!(
            d[0].detail.as_deref().unwrap().starts_with("Hz, +50.00 %"),
            "{d:?}"
        );
        assert!(parse("population,neuron\n").is_err());
        assert!(parse("population,neuron,time_ms\nE,x,1\n").is_err());
    }
}
