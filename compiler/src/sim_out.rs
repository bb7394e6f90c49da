//! What `spikec sim` writes and prints: the spike list and state traces as
//! CSV, a per-population summary (rate, coefficient of variation of the
//! inter-spike intervals) and the `--plot` raster as SVG or PNG. Files are
//! written beside their final name and renamed, so an interrupted run leaves
//! no half-written output.

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

/// Writes a 2-D `f64` array as NumPy `.npy`.
fn write_npy(
    path: &Path,
    rows: u64,
    cols: u64,
    values: impl IntoIterator<Item = f64>,
) -> std::io::Result<()> {
    use npyz::WriterBuilder;
    let tmp = path.with_extension("partial");
    {
        let file = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
        let mut w = npyz::WriteOptions::<f64>::new()
            .default_dtype()
            .shape(&[rows, cols])
            .writer(file)
            .begin_nd()?;
        w.extend(values)?;
        w.finish()?;
    }
    std::fs::rename(&tmp, path)
}

/// Writes `spikes.csv` and one CSV per recorded state variable, and the
/// same as NumPy arrays: `spikes.POP.npy` (rows of neuron, time_ms) and
/// one `.npy` per trace (rows of time_ms then the columns).
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
            step_end(s.step, h)
        );
    }
    write_atomically(&dir.join("spikes.csv"), &csv)?;
    if !run.weights.is_empty() {
        // Plastic projections' weights at the end, as PyNN's
        // `Projection.get("weight", format="list")` gives them.
        let layout = spikec_ir::expanded::Layout::of(net);
        let local = |g: u32| {
            let (p, i) = layout.local(g);
            (names[p], i)
        };
        let mut w = String::from("projection,pre_population,pre,post_population,post,weight\n");
        for ((k, weights), synapses) in run.weights.iter().zip(&run.synapses) {
            let name = net
                .projections
                .iter()
                .nth(*k)
                .map_or("?", |(_, p)| p.name.as_str());
            for (&(pre, post), x) in synapses.iter().zip(weights) {
                let ((pp, pi), (qp, qi)) = (local(pre), local(post));
                let _ = writeln!(w, "{name},{pp},{pi},{qp},{qi},{x}");
            }
        }
        write_atomically(&dir.join("weights.csv"), &w)?;
    }
    for (p, name) in names.iter().enumerate() {
        let mine: Vec<&spikec_sim::Spike> = run
            .spikes
            .iter()
            .filter(|s| s.population as usize == p)
            .collect();
        if !mine.is_empty() {
            let values = mine.iter().flat_map(|s| {
                [
                    s.neuron as f64,
                    step_end(s.step, h).parse().unwrap_or(f64::NAN),
                ]
            });
            write_npy(
                &dir.join(format!("spikes.{name}.npy")),
                mine.len() as u64,
                2,
                values,
            )?;
        }
    }
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
            text.push_str(&step_end(run.record_from + step as u64, h));
            for v in row {
                text.push(',');
                text.push_str(&format_number(*v));
            }
            text.push('\n');
        }
        let first = t.columns.first().map_or("", |c| names[c.0 as usize]);
        let stem = format!("{first}.{var}.record{}", t.record);
        write_atomically(&dir.join(format!("{stem}.csv")), &text)?;
        let rows = t.values.len() / cols;
        let values = t.values.chunks(cols).enumerate().flat_map(|(k, row)| {
            let time = step_end(run.record_from + k as u64, h)
                .parse()
                .unwrap_or(f64::NAN);
            std::iter::once(time).chain(row.iter().copied())
        });
        write_npy(
            &dir.join(format!("{stem}.npy")),
            rows as u64,
            cols as u64 + 1,
            values,
        )?;
    }
    Ok(())
}

/// Per-population rate and CV of inter-spike intervals of the recorded
/// neurons, and the wall-clock time.
pub fn summary(
    net: &Network,
    run: &Output,
    secs: f64,
    timings: &crate::driver::SimTimings,
) -> String {
    let h = net.timestep;
    let seconds = run.steps.saturating_sub(run.record_from) as f64 * h / 1000.0;
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
    let warm = if run.record_from > 0 {
        format!(
            ", recorded after {} ms",
            format_number(run.record_from as f64 * h)
        )
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "simulated {} ms ({} steps of {} ms{warm}) in {secs:.3} s: expansion {:.3} s, set-up {:.3} s, steps {:.3} s",
        format_number(run.steps as f64 * h),
        run.steps,
        format_number(h),
        timings.expansion.as_secs_f64(),
        timings.setup.as_secs_f64(),
        timings.steps.as_secs_f64()
    );
    out
}

/// What `--plot` writes, chosen by the file's extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlotFormat {
    /// Vector graphics; text is left to the viewer's fonts.
    Svg,
    /// A bitmap, with text drawn from the embedded font.
    Png,
}

impl PlotFormat {
    /// The accepted extensions, as a usage message names them.
    pub const ACCEPTED: &'static str = "`.svg` or `.png`";

    /// The format of `path` by its extension (either case), if spikec draws it.
    pub fn of_path(path: &Path) -> Option<PlotFormat> {
        let ext = path.extension()?.to_str()?;
        if ext.eq_ignore_ascii_case("svg") {
            Some(PlotFormat::Svg)
        } else if ext.eq_ignore_ascii_case("png") {
            Some(PlotFormat::Png)
        } else {
            None
        }
    }
}

/// The plot's size in pixels (SVG user units).
const PLOT_SIZE: (u32, u32) = (1000, 700);

/// DejaVu Sans cut down to ASCII and Latin-1 (see `compiler/assets/README.md`).
static PLOT_FONT: &[u8] = include_bytes!("../assets/DejaVuSans-subset.ttf");

/// Registers the embedded font as plotters' `sans-serif`, once. With
/// plotters' `ab_glyph` feature every backend measures text with a
/// registered font, so this comes before drawing either format.
fn register_plot_font() -> Result<(), String> {
    static REGISTERED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font("sans-serif", plotters::style::FontStyle::Normal, PLOT_FONT)
            .is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err("the embedded font is not a usable TrueType font".into())
    }
}

/// Draws a spike raster (recorded neurons, populations stacked) above the
/// population rates in 5 ms bins, as SVG or PNG by `format`. The file is
/// written beside `path` and renamed; the same run gives the same bytes.
pub fn plot(path: &Path, format: PlotFormat, net: &Network, run: &Output) -> Result<(), String> {
    use plotters::prelude::*;
    register_plot_font()?;
    let (w, h) = PLOT_SIZE;
    let bytes = match format {
        PlotFormat::Svg => {
            let mut text = String::new();
            draw_plot(
                SVGBackend::with_string(&mut text, PLOT_SIZE).into_drawing_area(),
                net,
                run,
            )?;
            text.into_bytes()
        }
        PlotFormat::Png => {
            let mut rgb = vec![0u8; w as usize * h as usize * 3];
            draw_plot(
                BitMapBackend::with_buffer(&mut rgb, PLOT_SIZE).into_drawing_area(),
                net,
                run,
            )?;
            let mut png = Vec::new();
            let mut enc = png::Encoder::new(&mut png, w, h);
            enc.set_color(png::ColorType::Rgb);
            enc.set_depth(png::BitDepth::Eight);
            let mut writer = enc.write_header().map_err(|e| e.to_string())?;
            writer.write_image_data(&rgb).map_err(|e| e.to_string())?;
            writer.finish().map_err(|e| e.to_string())?;
            png
        }
    };
    let ext = match format {
        PlotFormat::Svg => "partial.svg",
        PlotFormat::Png => "partial.png",
    };
    let tmp = path.with_extension(ext);
    std::fs::write(&tmp, bytes).map_err(|e| e.to_string())?;
    std::fs::rename(&tmp, path).map_err(|e| e.to_string())
}

fn draw_plot<DB: plotters::prelude::DrawingBackend>(
    root: plotters::prelude::DrawingArea<DB, plotters::coord::Shift>,
    net: &Network,
    run: &Output,
) -> Result<(), String> {
    use plotters::prelude::*;
    let h = net.timestep;
    let t_end = run.steps as f64 * h;
    let names: Vec<&str> = net
        .populations
        .iter()
        .map(|(_, p)| p.name.as_str())
        .collect();
    // Stack populations: each recorded population gets a band of rows.
    let mut offset = vec![0u32; names.len()];
    let mut rows = 0u32;
    for (p, (_, pop)) in net.populations.iter().enumerate() {
        if run.spikes.iter().any(|s| s.population as usize == p) {
            offset[p] = rows;
            rows += pop.size;
        }
    }
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let (top, bottom) = root.split_vertically(480);
    let mut raster = ChartBuilder::on(&top)
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..t_end, 0u32..rows.max(1))
        .map_err(|e| e.to_string())?;
    raster
        .configure_mesh()
        .x_desc("time (ms)")
        .y_desc("neuron")
        .draw()
        .map_err(|e| e.to_string())?;
    let colors = [BLUE, RED, GREEN, MAGENTA, CYAN, BLACK];
    for (p, name) in names.iter().enumerate() {
        let color = colors[p % colors.len()];
        let points: Vec<(f64, u32)> = run
            .spikes
            .iter()
            .filter(|s| s.population as usize == p)
            .map(|s| ((s.step + 1) as f64 * h, offset[p] + s.neuron))
            .collect();
        if points.is_empty() {
            continue;
        }
        raster
            .draw_series(
                points
                    .into_iter()
                    .map(|(t, n)| Circle::new((t, n), 1, color.filled())),
            )
            .map_err(|e| e.to_string())?
            .label(*name)
            .legend(move |(x, y)| Circle::new((x, y), 3, color.filled()));
    }
    // Opaque, so that the names stay readable over a dense raster.
    raster
        .configure_series_labels()
        .background_style(WHITE)
        .border_style(BLACK)
        .draw()
        .map_err(|e| e.to_string())?;
    let bin = 5.0f64.max(h);
    let nbins = ((t_end / bin).ceil() as usize).max(1);
    let mut rates: Vec<Vec<f64>> = vec![vec![0.0; nbins]; names.len()];
    for s in &run.spikes {
        let b = (((s.step + 1) as f64 * h / bin) as usize).min(nbins - 1);
        rates[s.population as usize][b] += 1.0;
    }
    let counts: Vec<u32> = net.populations.iter().map(|(_, p)| p.size).collect();
    let max_rate = rates
        .iter()
        .zip(&counts)
        .flat_map(|(r, n)| r.iter().map(move |c| c / (*n as f64) / (bin / 1000.0)))
        .fold(1.0f64, f64::max);
    let mut chart = ChartBuilder::on(&bottom)
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..t_end, 0.0..max_rate * 1.1)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc("time (ms)")
        .y_desc("rate (Hz)")
        .draw()
        .map_err(|e| e.to_string())?;
    for (p, r) in rates.iter().enumerate() {
        if r.iter().all(|c| *c == 0.0) {
            continue;
        }
        let color = colors[p % colors.len()];
        let n = counts[p] as f64;
        chart
            .draw_series(LineSeries::new(
                r.iter()
                    .enumerate()
                    .map(|(b, c)| ((b as f64 + 0.5) * bin, c / n / (bin / 1000.0))),
                color,
            ))
            .map_err(|e| e.to_string())?;
    }
    root.present().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::{step_end, PlotFormat};
    use std::path::Path;

    #[test]
    fn plot_format_follows_the_extension() {
        let of = |p: &str| PlotFormat::of_path(Path::new(p));
        assert_eq!(of("run/raster.svg"), Some(PlotFormat::Svg));
        assert_eq!(of("raster.png"), Some(PlotFormat::Png));
        assert_eq!(of("RASTER.PNG"), Some(PlotFormat::Png));
        assert_eq!(of("raster.pdf"), None);
        assert_eq!(of("raster"), None);
        assert_eq!(of("png"), None);
    }

    #[test]
    fn step_ends_have_the_timestep_decimals() {
        assert_eq!(step_end(77, 0.1), "7.8");
        assert_eq!(step_end(32, 0.1), "3.3");
        assert_eq!(step_end(0, 1.0), "1");
        assert_eq!(step_end(3, 0.25), "1");
        assert_eq!(step_end(4, 0.25), "1.25");
    }
}
