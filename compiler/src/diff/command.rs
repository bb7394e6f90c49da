//! `spikec diff DIR_A DIR_B`: the command line of the comparison. Exit 0
//! when the directories match, 1 when they differ, 2 on a usage error or a
//! directory that cannot be read.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::{compare_dirs, render_json, render_text, FieldTolerance, Options, SpikeOptions};

/// The arguments of `spikec diff`.
#[derive(Args, Debug)]
pub struct DiffArgs {
    /// The first (old, expected) build directory.
    pub a: PathBuf,
    /// The second (new, actual) build directory.
    pub b: PathBuf,
    /// `human`: grouped by file with a summary line; `json`: an array of
    /// {file, path, kind, a, b, detail}.
    #[arg(long, value_enum, default_value = "human")]
    pub format: DiffFormat,
    /// A tolerance for numbers in report.json, by field path (`*` matches
    /// anything): --tolerance synapse_hops=5% --tolerance
    /// 'populations[*].chips=1' (absolute) --tolerance '*=10,2%' (either).
    /// Repeatable; the last matching one counts; default exact.
    #[arg(long = "tolerance", value_name = "FIELD=TOL", value_parser = FieldTolerance::parse)]
    pub tolerances: Vec<FieldTolerance>,
    /// Spikes of a neuron match when their times differ by at most this
    /// many milliseconds (default: exactly).
    #[arg(long, value_name = "MS", conflicts_with = "spike_steps", value_parser = non_negative)]
    pub spike_time_ms: Option<f64>,
    /// Spikes of a neuron match within this many timesteps (of --timestep).
    #[arg(long, value_name = "K")]
    pub spike_steps: Option<u32>,
    /// The timestep for --spike-steps, with a unit.
    #[arg(long, default_value = "0.1 ms")]
    pub timestep: String,
    /// Compare each population's rate instead, within this percentage of
    /// A's (with --spike-time-ms or --spike-steps, as well).
    #[arg(long, value_name = "PERCENT", value_parser = non_negative)]
    pub rate_percent: Option<f64>,
    /// The recorded duration rates are computed over, with a unit (default:
    /// the latest spike in either file).
    #[arg(long)]
    pub duration: Option<String>,
    /// Lines shown per file in human output (0: all).
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
}

/// Output formats.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum DiffFormat {
    /// Text for people.
    Human,
    /// A JSON array.
    Json,
}

fn non_negative(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(format!("`{s}` is not a finite, non-negative number")),
    }
}

/// Runs `spikec diff`; returns the exit code.
pub fn run(args: &DiffArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> i32 {
    let time = |text: &str, flag: &str| {
        crate::sim_out::parse_duration(text).map_err(|msg| format!("error: {flag} {text}: {msg}"))
    };
    let spikes = (|| {
        let time_ms = match (args.spike_time_ms, args.spike_steps) {
            (Some(ms), _) => Some(ms),
            (None, Some(k)) => {
                let h = time(&args.timestep, "--timestep")?;
                if h <= 0.0 {
                    return Err(format!(
                        "error: --timestep {}: must be positive",
                        args.timestep
                    ));
                }
                Some(k as f64 * h)
            }
            (None, None) => None,
        };
        let duration_ms = match &args.duration {
            Some(d) => Some(time(d, "--duration")?),
            None => None,
        };
        Ok(SpikeOptions {
            time_ms: time_ms.unwrap_or(0.0),
            rate_percent: args.rate_percent,
            duration_ms,
            time_given: time_ms.is_some(),
        })
    })();
    let spikes = match spikes {
        Ok(s) => s,
        Err(msg) => {
            let _ = writeln!(stderr, "{msg}");
            return crate::cli::EXIT_USAGE;
        }
    };
    let opts = Options {
        tolerances: args.tolerances.clone(),
        spikes,
    };
    let diffs = match compare_dirs(&args.a, &args.b, &opts) {
        Ok(d) => d,
        Err(e) => {
            let _ = writeln!(stderr, "error: {e}");
            return crate::cli::EXIT_USAGE;
        }
    };
    let text = match args.format {
        DiffFormat::Human => render_text(&diffs, args.limit),
        DiffFormat::Json => render_json(&diffs),
    };
    let _ = stdout.write_all(text.as_bytes());
    if diffs.is_empty() {
        crate::cli::EXIT_OK
    } else {
        crate::cli::EXIT_INPUT
    }
}
