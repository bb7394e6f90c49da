//! What `spikec sim` writes and prints: the spike list and state traces as
//! CSV, and a per-population summary (rate, coefficient of variation of the
//! inter-spike intervals). Files are written beside their final name and
//! renamed, so an interrupted run leaves no half-written output.

use std::fmt::Write as _;
use std::path::Path;

use crate::front::lower::consts::ConstEnv;
use crate::front::parse::parse_value;
use spikec_ir::units::format_number;
use spikec_ir::{Dim, Network};
use spikec_sim::Output;

/// Parses a duration such as `1s`, `500 ms` or `2.5 s` to ms.
pub fn parse_duration(text: &str) -> Result<f64, String> {
    let e = parse_value(0, text).map_err(|d| d.message)?;
    let ms = ConstEnv::default()
        .number(&e, Dim::TIME, "a duration")
        .map_err(|d| d.message)?;
    if ms.is_finite() && ms >= 0.0 {
        Ok(ms)
    } else {
        Err("must be a finite, non-negative time".into())
    }
}

/// The time at the end of `step`, written with no more decimals than the
/// timestep has (`7.8`, not `7.800000000000001`).
pub fn step_end(step: u64, h: f64) -> String {
    let hs = format_number(h);
    let decimals = match hs.split_once('.') {
        Some((_, frac)) if !hs.contains('e') => frac.len(),
        _ if hs.contains('e') => 12,
        _ => 0,
    };
    let t = format!("{:.*}", decimals, (step + 1) as f64 * h);
    if t.contains('.') {
        t.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        t
    }
}

fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let tmp = path.with_extension("partial");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}

/// Writes `spikes.csv` and one CSV per recorded state variable.
pub fn write_outputs(dir: &Path, net: &Network, run: &Output) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let names: Vec<&str> = net
        .populations
        .iter()
        .map(|(_, p)| p.name.as_str())
        .collect();
    let h = net.timestep;
    let mut csv = String::from("population,neuron,time_ms\n");
    for s in &run.spikes {
        let _ = writeln!(
            csv,
            "{},{},{}",
            names[s.population as usize],
            s.neuron,
            format_number((s.step + 1) as f64 * h)
        );
    }
    write_atomically(&dir.join("spikes.csv"), &csv)?;
    for t in &run.traces {
        let rec = &net.records[t.record];
        let var = match &rec.what {
            spikec_ir::network::Recordable::State(v) => v.as_str(),
            spikec_ir::network::Recordable::Spikes => "spikes",
        };
        let mut text = String::from("time_ms");
        for &(p, i, _) in &t.columns {
            let _ = write!(text, ",{}:{}", names[p as usize], i);
        }
        text.push('\n');
        let cols = t.columns.len().max(1);
        for (step, row) in t.values.chunks(cols).enumerate() {
            text.push_str(&step_end(step as u64, h));
            for v in row {
                text.push(',');
                text.push_str(&format_number(*v));
            }
            text.push('\n');
        }
        let first = t.columns.first().map_or("", |c| names[c.0 as usize]);
        write_atomically(
            &dir.join(format!("{first}.{var}.record{}.csv", t.record)),
            &text,
        )?;
    }
    Ok(())
}

/// Per-population rate and CV of inter-spike intervals of the recorded
/// neurons, and the wall-clock time.
pub fn summary(net: &Network, run: &Output, secs: f64) -> String {
    let h = net.timestep;
    let seconds = run.steps as f64 * h / 1000.0;
    let mut recorded: Vec<std::collections::BTreeSet<u32>> =
        vec![Default::default(); net.populations.len()];
    for rec in net
        .records
        .iter()
        .filter(|r| matches!(r.what, spikec_ir::network::Recordable::Spikes))
    {
        for part in &rec.selection.parts {
            let set = &mut recorded[part.population.index()];
            match &part.indices {
                spikec_ir::network::IndexSet::All => {
                    set.extend(0..net.populations[part.population].size)
                }
                spikec_ir::network::IndexSet::Range(a, b) => set.extend(*a..*b),
                spikec_ir::network::IndexSet::List(v) => set.extend(v.iter().copied()),
            }
        }
    }
    let mut trains: Vec<std::collections::BTreeMap<u32, Vec<u64>>> =
        vec![Default::default(); net.populations.len()];
    for s in &run.spikes {
        trains[s.population as usize]
            .entry(s.neuron)
            .or_default()
            .push(s.step);
    }
    let mut out = format!(
        "{:<16} {:>9} {:>10} {:>10} {:>8}\n",
        "population", "recorded", "spikes", "rate (Hz)", "CV ISI"
    );
    for ((_, pop), (set, tr)) in net.populations.iter().zip(recorded.iter().zip(&trains)) {
        if set.is_empty() {
            continue;
        }
        let spikes: usize = tr.values().map(Vec::len).sum();
        let rate = if seconds > 0.0 {
            spikes as f64 / (set.len() as f64 * seconds)
        } else {
            0.0
        };
        let cvs: Vec<f64> = tr
            .values()
            .filter(|t| t.len() >= 3)
            .map(|t| {
                let isi: Vec<f64> = t.windows(2).map(|w| (w[1] - w[0]) as f64).collect();
                let m = isi.iter().sum::<f64>() / isi.len() as f64;
                let var = isi.iter().map(|x| (x - m).powi(2)).sum::<f64>() / isi.len() as f64;
                var.sqrt() / m
            })
            .collect();
        let cv = if cvs.is_empty() {
            "-".to_string()
        } else {
            format!("{:.2}", cvs.iter().sum::<f64>() / cvs.len() as f64)
        };
        let _ = writeln!(
            out,
            "{:<16} {:>9} {:>10} {:>10.2} {:>8}",
            pop.name,
            set.len(),
            spikes,
            rate,
            cv
        );
    }
    let _ = writeln!(
        out,
        "simulated {} ms ({} steps of {} ms) in {secs:.3} s",
        format_number(run.steps as f64 * h),
        run.steps,
        format_number(h)
    );
    out
}

#[cfg(test)]
mod tests {
    use super::step_end;

    #[test]
    fn step_ends_have_the_timestep_decimals() {
        assert_eq!(step_end(77, 0.1), "7.8");
        assert_eq!(step_end(32, 0.1), "3.3");
        assert_eq!(step_end(0, 1.0), "1");
        assert_eq!(step_end(3, 0.25), "1");
        assert_eq!(step_end(4, 0.25), "1.25");
    }
}
