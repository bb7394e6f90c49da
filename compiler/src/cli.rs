//! The command line. [`run`] takes the arguments and output streams, so the
//! integration tests drive exactly what users run, in-process.

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::diag::{self, render_human, render_json, ColorChoice};
use crate::driver::{
    compile_file, expand_network, simulate_with_progress, Compilation, Override, SimRun,
};
use crate::fmt;
use spikec_ir::{print_network, validate};

mod sfq;

/// Exit code: success.
pub const EXIT_OK: i32 = 0;
/// Exit code: the input has errors.
pub const EXIT_INPUT: i32 = 1;
/// Exit code: usage or I/O error.
pub const EXIT_USAGE: i32 = 2;

#[derive(Parser, Debug)]
#[command(
    name = "spikec",
    version,
    about = "spikec: a compiler for spiking neural networks",
    long_about = "spikec compiles a textual network description (.snn) into an IR that \
                  hardware backends and a simulator consume, and checks it on the way: \
                  names, physical units, connector arguments, index ranges.",
    after_help = "Examples:\n  spikec check dsl-examples/cuba.snn\n  spikec fmt dsl-examples/*.snn\n  spikec check dsl-examples/microcircuit.snn --set N_scaling=0.1 --set K_scaling=0.1\n  spikec ir dsl-examples/brunel.snn --set g=4.5\n  spikec explain E0020\n  spikec check net.snn --message-format json"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// How to print diagnostics.
    #[arg(long, value_enum, default_value = "human", global = true)]
    message_format: MessageFormat,
    /// When to colour diagnostics.
    #[arg(long, value_enum, default_value = "auto", global = true)]
    color: Color,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check networks for errors without producing output (exit 0 = fine, 1 = errors, 2 = usage or I/O error).
    #[command(
        after_help = "Example:\n  spikec check dsl-examples/cuba.snn dsl-examples/coba.snn --set n=8000"
    )]
    Check {
        /// The .snn files to check.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Override a network parameter: --set n=40000 (repeatable; values take units: --set rate=8Hz).
        #[arg(long = "set", value_name = "NAME=VALUE", value_parser = parse_override)]
        set: Vec<Override>,
    },
    /// Print the network's IR as text (what the compiler understood).
    #[command(after_help = "Example:\n  spikec ir dsl-examples/cuba.snn --set n=400")]
    Ir {
        /// The .snn file.
        file: PathBuf,
        /// Override a network parameter: --set n=40000 (repeatable).
        #[arg(long = "set", value_name = "NAME=VALUE", value_parser = parse_override)]
        set: Vec<Override>,
    },
    /// Format .snn files in place (or check that they are formatted).
    #[command(
        after_help = "Examples:\n  spikec fmt dsl-examples/*.snn\n  spikec fmt --check net.snn      # exit 1 if it would change"
    )]
    Fmt {
        /// The .snn files to format.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Change nothing; list the files that are not formatted and exit 1 if any.
        #[arg(long)]
        check: bool,
    },
    /// Simulate a network and report per-population rates.
    #[command(
        after_help = "Examples:\n  spikec sim dsl-examples/cuba.snn --duration 1s\n  spikec sim dsl-examples/brunel.snn --duration 200ms --set order=500 --out run/"
    )]
    Sim {
        /// The .snn file.
        file: PathBuf,
        /// Biological time to simulate, with a unit (`1s`, `500 ms`).
        #[arg(long, default_value = "1 s")]
        duration: String,
        /// Simulated first but not recorded, with a unit (`100ms`).
        #[arg(long, default_value = "0 ms")]
        warmup: String,
        /// Override a network parameter: --set n=40000 (repeatable).
        #[arg(long = "set", value_name = "NAME=VALUE", value_parser = parse_override)]
        set: Vec<Override>,
        /// Write `spikes.csv` (population,neuron,time_ms) and one CSV per
        /// recorded state to this directory.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Worker threads for the expansion and the run: populations take
        /// their input and advance on several threads (from 10,000
        /// neurons), and delivery at emission shares steps with many
        /// synaptic events (one target population per task). Results do
        /// not depend on it.
        #[arg(long)]
        threads: Option<usize>,
        /// Draw a spike raster with population rates to this file, as SVG
        /// or PNG by its extension.
        #[arg(long, value_name = "FILE.svg|FILE.png")]
        plot: Option<PathBuf>,
        /// `jit` compiles each population's update with cranelift; `interp`
        /// is the reference interpreter. Both give bit-identical results.
        #[arg(long, value_enum, default_value = "jit")]
        engine: EngineArg,
        /// Arithmetic of the neuron updates: `f64` (reference), `f32`, or
        /// `s1615` (SpiNNaker's 16.15 fixed point, rounded to nearest).
        #[arg(long, value_enum, default_value = "f64")]
        precision: PrecisionArg,
        /// When synaptic input is added: `arrival` gathers a step's input
        /// in the step it arrives, from rows sorted by delay (populations
        /// that a plastic projection reaches take theirs at emission);
        /// `emission` adds every spike into per-delay ring buffers as it
        /// is sent, as NEST does. Both give bit-identical results;
        /// `arrival` misses the cache far less on large networks.
        #[arg(long, value_enum, default_value = "arrival")]
        delivery: DeliveryArg,
    },
    /// Build hardware configurations for a target.
    #[command(
        after_help = "Examples:\n  spikec build dsl-examples/cuba.snn --target spinnaker -o build/\n  spikec build net.snn --target spinnaker --machine spinn5x3 -o build/\n  spikec build net.snn --target spinnaker --machine my-board.toml -o build/\n  spikec build dsl-examples/xor_sfq.snn --target sfq -o build-sfq/\n  spikec build net.snn --target sfq --tech my-process.toml --chip jj=6000,pins=40 -o build-sfq/"
    )]
    Build {
        /// The .snn file.
        file: PathBuf,
        /// What to build for.
        #[arg(long, value_enum)]
        target: TargetArg,
        /// Output directory; replaced as a whole, only when the build succeeds.
        #[arg(short = 'o', long = "out", value_name = "DIR")]
        out: PathBuf,
        #[command(flatten)]
        spinnaker: SpinnakerArgs,
        #[command(flatten)]
        sfq: SfqArgs,
        /// Override a network parameter: --set n=40000 (repeatable).
        #[arg(long = "set", value_name = "NAME=VALUE", value_parser = parse_override)]
        set: Vec<Override>,
        /// Worker threads for the expansion (default: all cores). The result
        /// does not depend on it.
        #[arg(long)]
        threads: Option<usize>,
    },
    /// Build for a target, run what was built, and compare its spikes with
    /// the simulator's (exit 0 when they are identical, 1 when not).
    #[command(
        after_help = "Examples:\n  spikec verify dsl-examples/cuba.snn --target spinnaker --duration 100ms\n  spikec verify dsl-examples/xor_sfq.snn --target sfq --duration 200ns --case 'a=0,b=0 -> low' --case 'a=1,b=0 -> high' --case 'a=0,b=1 -> high' --case 'a=1,b=1 -> low'"
    )]
    Verify {
        /// The .snn file.
        file: PathBuf,
        /// What to build for.
        #[arg(long, value_enum)]
        target: TargetArg,
        /// Biological time to run, with a unit.
        #[arg(long, default_value = "100 ms")]
        duration: String,
        #[command(flatten)]
        spinnaker: SpinnakerArgs,
        #[command(flatten)]
        sfq: SfqArgs,
        /// SFQ: a case to run, with parameter values and the expected
        /// output: --case 'a=1,b=0 -> high' (repeatable). Prints each
        /// case's output rate, the classification and its margin.
        #[arg(long = "case", value_name = "SETS -> high|low")]
        cases: Vec<String>,
        /// Override a network parameter: --set n=40000 (repeatable).
        #[arg(long = "set", value_name = "NAME=VALUE", value_parser = parse_override)]
        set: Vec<Override>,
        /// Worker threads for the expansion. The result does not depend on it.
        #[arg(long)]
        threads: Option<usize>,
    },
    /// Expand connectivity and report synapse counts and memory per projection.
    #[command(after_help = "Example:\n  spikec stats dsl-examples/microcircuit.snn --threads 2")]
    Stats {
        /// The .snn file.
        file: PathBuf,
        /// Override a network parameter: --set n=40000 (repeatable).
        #[arg(long = "set", value_name = "NAME=VALUE", value_parser = parse_override)]
        set: Vec<Override>,
        /// Worker threads for the expansion (default: all cores). The result
        /// does not depend on it.
        #[arg(long)]
        threads: Option<usize>,
    },
    /// Explain a diagnostic code in detail, with an example.
    #[command(after_help = "Example:\n  spikec explain E0020")]
    Explain {
        /// The code, e.g. E0020 or W0003.
        code: String,
    },
    /// Compare two build directories by what their files mean (exit 0 =
    /// identical, 1 = they differ, 2 = usage or I/O error).
    #[command(
        after_help = "Examples:\n  spikec diff old/ new/\n  spikec diff old/ new/ --tolerance synapse_hops=5% --format json\n  spikec diff run1/ run2/ --spike-steps 1 --rate-percent 5"
    )]
    Diff(crate::diff::command::DiffArgs),
    /// Run golden-file tests of networks: build, simulate and verify every
    /// case of the test manifests and compare the outputs with the stored
    /// goldens (exit 0 = all match, 1 = a difference, 2 = usage or I/O error).
    #[command(
        after_help = "Examples:\n  spikec test                          # every manifest under .\n  spikec test dsl-examples/tests --format junit > report.xml\n  spikec test net.test.toml --case n400 --bless   # accept the current outputs"
    )]
    Test(crate::golden::command::TestArgs),
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum DeliveryArg {
    /// Gathered in the step it arrives.
    Arrival,
    /// Into ring buffers as it is sent.
    Emission,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum PrecisionArg {
    /// IEEE double precision.
    F64,
    /// IEEE single precision.
    F32,
    /// Signed 16.15 fixed point.
    S1615,
}

/// How to map onto SpiNNaker (`build` and `verify`).
#[derive(Clone, Debug, clap::Args)]
struct SpinnakerArgs {
    /// A machine preset (`spinn5`, `spinn5x3`, `spinnaker2`, ...) or a
    /// machine file (`.toml`) with dead chips, cores and links.
    #[arg(long, default_value = "spinn5")]
    machine: String,
    /// Largest number of neurons on one core (default 256).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    neurons_per_core: Option<u32>,
    /// Bits of the sender's step in every key (0 to 8), so that cores
    /// place late packets in the right ring-buffer slot.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=8))]
    colour_bits: u8,
}

/// Options of `--target sfq`.
#[derive(clap::Args, Debug, Clone)]
struct SfqArgs {
    /// A technology file (TOML) instead of the embedded MIT LL SFQ5ee one.
    #[arg(long, value_name = "FILE")]
    tech: Option<PathBuf>,
    /// Chip budget, overriding the technology's die:
    /// `jj=6000,area=25mm2,pins=40,bias=1000mA` (any subset).
    #[arg(long, value_name = "LIMITS")]
    chip: Option<String>,
    /// How much of the spike sources' activity the JoSIM deck replays.
    #[arg(long, value_name = "TIME", default_value = "10 ns")]
    deck_duration: String,
    /// Clocked mode: latch every synapse's pulses in DFFs released one at
    /// a time per clock period, so merger trees never collide (`--clock 50ps`).
    #[arg(long, value_name = "PERIOD")]
    clock: Option<String>,
}

impl SpinnakerArgs {
    fn request(&self) -> crate::build_spinnaker::SpinnakerRequest {
        crate::build_spinnaker::SpinnakerRequest {
            machine: crate::build_spinnaker::MachineSource::parse(&self.machine),
            neurons_per_core: self.neurons_per_core,
            colour_bits: self.colour_bits,
        }
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum TargetArg {
    /// SpiNNaker core maps: placements, routing tables, per-core data.
    Spinnaker,
    /// SFQ cell netlists: netlist.json, Verilog, a JoSIM deck, reports.
    Sfq,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum EngineArg {
    /// Native code from cranelift.
    Jit,
    /// The reference interpreter.
    Interp,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum MessageFormat {
    /// rustc-style text.
    Human,
    /// One JSON object per line.
    Json,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Color {
    /// Colour when writing to a terminal.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

fn parse_override(s: &str) -> Result<Override, String> {
    let (name, value) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}`: expected NAME=VALUE"))?;
    let name = name.trim();
    if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
        return Err(format!("`{name}` is not a parameter name"));
    }
    Ok(Override {
        name: name.to_string(),
        value: value.trim().to_string(),
    })
}

struct Out<'a> {
    stdout: &'a mut dyn Write,
    stderr: &'a mut dyn Write,
    format: MessageFormat,
    color: ColorChoice,
}

impl Out<'_> {
    /// The last line of a build.
    fn wrote(&mut self, files: usize, dir: &std::path::Path, secs: f64) {
        let _ = writeln!(
            self.stdout,
            "\nwrote {files} files to {} in {secs:.2} s",
            dir.display()
        );
    }

    fn diagnostics(&mut self, c: &Compilation) {
        let text = match self.format {
            MessageFormat::Human => render_human(&c.sources, &c.diagnostics, self.color),
            MessageFormat::Json => render_json(&c.sources, &c.diagnostics),
        };
        let _ = self.stderr.write_all(text.as_bytes());
    }

    fn summary(&mut self, c: &Compilation, file: &std::path::Path) {
        if matches!(self.format, MessageFormat::Json) {
            return;
        }
        let errors = c.diagnostics.iter().filter(|d| d.is_error()).count();
        let warnings = c.diagnostics.len() - errors;
        if errors > 0 {
            let _ = writeln!(
                self.stderr,
                "error: could not compile `{}` ({errors} error{}{})",
                file.display(),
                plural(errors),
                warn_text(warnings)
            );
        }
    }
}

pub(super) fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn warn_text(w: usize) -> String {
    if w == 0 {
        String::new()
    } else {
        format!(", {w} warning{}", plural(w))
    }
}

/// Runs the command line with `args` (including the program name).
pub fn run(
    args: impl IntoIterator<Item = OsString>,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
    is_tty: bool,
) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
            let text = e.render().to_string();
            if e.use_stderr() {
                let _ = stderr.write_all(text.as_bytes());
            } else {
                let _ = stdout.write_all(text.as_bytes());
            }
            return code;
        }
    };
    let color = match cli.color {
        Color::Always => ColorChoice::Always,
        Color::Never => ColorChoice::Never,
        Color::Auto if is_tty && std::env::var_os("NO_COLOR").is_none() => ColorChoice::Always,
        Color::Auto => ColorChoice::Never,
    };
    let mut out = Out {
        stdout,
        stderr,
        format: cli.message_format,
        color,
    };
    match cli.command {
        Command::Diff(args) => crate::diff::command::run(&args, out.stdout, out.stderr),
        Command::Test(args) => crate::golden::command::run(&args, out.stdout, out.stderr),
        Command::Explain { code } => match diag::explain(&code) {
            Some(text) => {
                let _ = writeln!(out.stdout, "{text}");
                EXIT_OK
            }
            None => {
                let _ = writeln!(out.stderr, "error: `{code}` is not a spikec diagnostic code (codes look like E0020 or W0003)");
                EXIT_USAGE
            }
        },
        Command::Sim {
            file,
            duration,
            set,
            out: dir,
            warmup,
            threads,
            engine,
            plot,
            precision,
            delivery,
        } => {
            let delivery = match delivery {
                DeliveryArg::Arrival => spikec_sim::Delivery::Arrival,
                DeliveryArg::Emission => spikec_sim::Delivery::Emission,
            };
            let precision = match precision {
                PrecisionArg::F64 => spikec_ir::eval::Precision::F64,
                PrecisionArg::F32 => spikec_ir::eval::Precision::F32,
                PrecisionArg::S1615 => spikec_ir::eval::Precision::S1615,
            };
            let plot = match plot {
                Some(p) => match crate::sim_out::PlotFormat::of_path(&p) {
                    Some(format) => Some((p, format)),
                    None => {
                        let _ = writeln!(
                            out.stderr,
                            "error: --plot {}: unknown plot format; the extension must be {}",
                            p.display(),
                            crate::sim_out::PlotFormat::ACCEPTED
                        );
                        return EXIT_USAGE;
                    }
                },
                None => None,
            };
            let engine = match engine {
                EngineArg::Jit => spikec_sim::Engine::Jit,
                EngineArg::Interp => spikec_sim::Engine::Interp,
            };
            let (duration, warmup) = match (
                crate::sim_out::parse_duration(&duration),
                crate::sim_out::parse_duration(&warmup),
            ) {
                (Ok(d), Ok(w)) => (d, w),
                (Err(msg), _) => {
                    let _ = writeln!(out.stderr, "error: --duration {duration}: {msg}");
                    return EXIT_USAGE;
                }
                (_, Err(msg)) => {
                    let _ = writeln!(out.stderr, "error: --warmup {warmup}: {msg}");
                    return EXIT_USAGE;
                }
            };
            let (c, (_, run, timings), secs) =
                match run_stage(&mut out, &file, &set, threads, |net| {
                    let start = std::time::Instant::now();
                    let mut bar: Option<indicatif::ProgressBar> = None;
                    // A bar only on a terminal, and only once the run has taken
                    // more than a second.
                    let mut progress = |done: u64, total: u64| {
                        if !is_tty || start.elapsed().as_secs_f64() < 1.0 {
                            return;
                        }
                        let b = bar.get_or_insert_with(|| {
                            let b = indicatif::ProgressBar::with_draw_target(
                                Some(total),
                                indicatif::ProgressDrawTarget::stderr(),
                            );
                            b.set_style(
                                indicatif::ProgressStyle::with_template(
                                    "{bar:40} {percent:>3}% {eta} left",
                                )
                                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                            );
                            b
                        });
                        b.set_position(done);
                    };
                    let r = simulate_with_progress(
                        net,
                        &SimRun {
                            duration,
                            warmup,
                            engine,
                            precision,
                            delivery,
                        },
                        &mut progress,
                    );
                    if let Some(b) = bar {
                        b.finish_and_clear();
                    }
                    r
                }) {
                    Ok(r) => r,
                    Err(code) => return code,
                };
            let net = c.network.as_ref().expect("run_stage ran on a network");
            if let Some(dir) = &dir {
                if let Err(e) = crate::sim_out::write_outputs(dir, net, &run) {
                    let _ = writeln!(
                        out.stderr,
                        "error: cannot write to `{}`: {e}",
                        dir.display()
                    );
                    return EXIT_USAGE;
                }
            }
            if let Some((p, format)) = &plot {
                if let Err(e) = crate::sim_out::plot(p, *format, net, &run) {
                    let _ = writeln!(out.stderr, "error: cannot draw `{}`: {e}", p.display());
                    return EXIT_USAGE;
                }
            }
            let _ = out
                .stdout
                .write_all(crate::sim_out::summary(net, &run, secs, &timings).as_bytes());
            EXIT_OK
        }
        Command::Build {
            file,
            target: TargetArg::Sfq,
            out: dir,
            sfq: args,
            set,
            threads,
            ..
        } => sfq::build(&mut out, &file, &dir, &args, &set, threads),
        Command::Build {
            file,
            target: TargetArg::Spinnaker,
            out: dir,
            spinnaker,
            set,
            threads,
            ..
        } => {
            let req = spinnaker.request();
            let (c, art, secs) = match run_stage(&mut out, &file, &set, threads, |net| {
                crate::build_spinnaker::build(net, &req)
            }) {
                Ok(r) => r,
                Err(code) => return code,
            };
            if let Some(net) = &c.network {
                let diagnostics = crate::build_spinnaker::warnings(net, &art);
                out.diagnostics(&Compilation { diagnostics, ..c });
            }
            if let Err(e) = crate::build_spinnaker::write(&dir, &art) {
                let _ = writeln!(
                    out.stderr,
                    "error: cannot write to `{}`: {e}",
                    dir.display()
                );
                return EXIT_USAGE;
            }
            let _ = out.stdout.write_all(art.report.to_text().as_bytes());
            out.wrote(art.files.len(), &dir, secs);
            EXIT_OK
        }
        Command::Verify {
            file,
            target: TargetArg::Sfq,
            duration,
            sfq: args,
            cases,
            set,
            threads,
            ..
        } => sfq::verify(&mut out, &file, &duration, &args, &cases, &set, threads),
        Command::Verify {
            file,
            target: TargetArg::Spinnaker,
            duration,
            spinnaker,
            set,
            threads,
            ..
        } => {
            let duration = match crate::sim_out::parse_duration(&duration) {
                Ok(d) => d,
                Err(msg) => {
                    let _ = writeln!(out.stderr, "error: --duration {duration}: {msg}");
                    return EXIT_USAGE;
                }
            };
            let req = spinnaker.request();
            let (c, v, secs) = match run_stage(&mut out, &file, &set, threads, |net| {
                crate::build_spinnaker::verify(net, &req, duration)
            }) {
                Ok(r) => r,
                Err(code) => return code,
            };
            let net = c.network.as_ref().expect("run_stage ran on a network");
            let names: Vec<&str> = net
                .populations
                .iter()
                .map(|(_, p)| p.name.as_str())
                .collect();
            let _ = writeln!(
                out.stdout,
                "emulated {} steps on the SpiNNaker build: {} spikes, {} packets, {} synaptic events ({secs:.2} s)",
                v.steps,
                v.emulated.len(),
                v.packets,
                v.synaptic_events
            );
            if v.saturated > 0 {
                let _ = writeln!(
                    out.stdout,
                    "warning: {} ring-buffer adds went past 16 bits; the chip would saturate there",
                    v.saturated
                );
            }
            match v.first_difference() {
                None => {
                    let _ = writeln!(
                        out.stdout,
                        "identical to `spikec sim --precision s1615`: {} spikes, spike for spike",
                        v.simulated.len()
                    );
                    if v.simulated_weights.is_empty() && v.emulated_weights.is_empty() {
                        return EXIT_OK;
                    }
                    match v.first_weight_difference() {
                        None => {
                            let _ = writeln!(
                                out.stdout,
                                "final weights of {} plastic synapses identical",
                                v.simulated_weights.len()
                            );
                            EXIT_OK
                        }
                        Some((emulated, simulated)) => {
                            let _ = writeln!(
                                out.stdout,
                                "MISMATCH: final plastic weights differ: emulator {emulated:?}, simulator {simulated:?}"
                            );
                            EXIT_INPUT
                        }
                    }
                }
                Some((s, emulated_only)) => {
                    let name = names.get(s.population as usize).copied().unwrap_or("?");
                    let _ = writeln!(
                        out.stdout,
                        "MISMATCH: first difference at step {} (t = {} ms): {name}[{}] spikes only in the {}",
                        s.step,
                        spikec_ir::units::format_number((s.step + 1) as f64 * net.timestep),
                        s.neuron,
                        if emulated_only { "emulator" } else { "simulator" }
                    );
                    let _ = writeln!(
                        out.stdout,
                        "emulator {} spikes, simulator {} spikes",
                        v.emulated.len(),
                        v.simulated.len()
                    );
                    EXIT_INPUT
                }
            }
        }
        Command::Stats { file, set, threads } => {
            match run_stage(&mut out, &file, &set, threads, expand_network) {
                Ok((c, expanded, secs)) => {
                    let net = c.network.as_ref().expect("run_stage ran on a network");
                    let _ = out
                        .stdout
                        .write_all(stats_report(net, &expanded, secs).as_bytes());
                    EXIT_OK
                }
                Err(code) => code,
            }
        }
        Command::Fmt { files, check } => {
            let mut worst = EXIT_OK;
            for f in &files {
                worst = worst.max(format_file(&mut out, f, check));
            }
            worst
        }
        Command::Check { files, set } => {
            let mut worst = EXIT_OK;
            for f in &files {
                match compile_file(f, &set) {
                    Ok(c) => {
                        out.diagnostics(&c);
                        out.summary(&c, f);
                        if c.has_errors() {
                            worst = worst.max(EXIT_INPUT);
                        }
                    }
                    Err(e) => {
                        let _ = writeln!(out.stderr, "error: cannot read `{}`: {e}", f.display());
                        worst = EXIT_USAGE;
                    }
                }
            }
            worst
        }
        Command::Ir { file, set } => match compile_file(&file, &set) {
            Ok(c) => {
                out.diagnostics(&c);
                out.summary(&c, &file);
                match c.network.as_ref().map(validate) {
                    Some(Ok(valid)) => {
                        let _ = out.stdout.write_all(print_network(&valid).as_bytes());
                        EXIT_OK
                    }
                    _ => EXIT_INPUT,
                }
            }
            Err(e) => {
                let _ = writeln!(out.stderr, "error: cannot read `{}`: {e}", file.display());
                EXIT_USAGE
            }
        },
    }
}

/// Compiles `file` and runs `stage` on its network with `threads` workers,
/// timing it. Diagnostics of either step are printed; on failure the error
/// is the exit code.
fn run_stage<T: Send>(
    out: &mut Out<'_>,
    file: &std::path::Path,
    set: &[Override],
    threads: Option<usize>,
    stage: impl FnOnce(&spikec_ir::Network) -> Result<T, Vec<diag::Diagnostic>> + Send,
) -> Result<(Compilation, T, f64), i32> {
    let c = match compile_file(file, set) {
        Ok(c) => c,
        Err(e) => {
            let _ = writeln!(out.stderr, "error: cannot read `{}`: {e}", file.display());
            return Err(EXIT_USAGE);
        }
    };
    out.diagnostics(&c);
    out.summary(&c, file);
    let Some(net) = &c.network else {
        return Err(EXIT_INPUT);
    };
    let pool = match rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(0))
        .build()
    {
        Ok(p) => p,
        Err(e) => {
            let _ = writeln!(out.stderr, "error: cannot start worker threads: {e}");
            return Err(EXIT_USAGE);
        }
    };
    let start = std::time::Instant::now();
    let result = pool.install(|| stage(net));
    let secs = start.elapsed().as_secs_f64();
    match result {
        Ok(t) => Ok((c, t, secs)),
        Err(diagnostics) => {
            let failed = Compilation { diagnostics, ..c };
            out.diagnostics(&failed);
            out.summary(&failed, file);
            Err(EXIT_INPUT)
        }
    }
}

/// The `stats` report: one line per projection, then totals.
fn stats_report(net: &spikec_ir::Network, e: &spikec_ir::expanded::Expanded, secs: f64) -> String {
    let mut s = format!(
        "{:<32} {:>12} {:>10} {:>12}\n",
        "projection", "synapses", "per pre", "bytes"
    );
    let (mut syn, mut bytes) = (0usize, 0usize);
    for ((_, p), t) in net.projections.iter().zip(&e.projections) {
        let per_pre = if t.pre.is_empty() {
            0.0
        } else {
            t.len() as f64 / t.pre.len() as f64
        };
        let b = t.synapse_bytes() + 8 * t.row_ptr.len() + 4 * t.pre.len();
        s.push_str(&format!(
            "{:<32} {:>12} {:>10.1} {:>12}\n",
            p.name,
            t.len(),
            per_pre,
            b
        ));
        syn += t.len();
        bytes += b;
    }
    s.push_str(&format!(
        "total: {} neurons, {syn} synapses, {bytes} bytes of synapse tables ({:.2} per synapse), expanded in {secs:.3} s\n",
        e.layout.total(),
        bytes as f64 / syn.max(1) as f64
    ));
    s
}

/// Formats (or checks) one file; returns its exit code.
fn format_file(out: &mut Out<'_>, path: &std::path::Path, check: bool) -> i32 {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            let _ = writeln!(out.stderr, "error: cannot read `{}`: {e}", path.display());
            return EXIT_USAGE;
        }
    };
    match fmt::format_checked(&text) {
        Ok(formatted) if formatted == text => EXIT_OK,
        Ok(formatted) => {
            if check {
                let _ = writeln!(out.stdout, "{} is not formatted:", path.display());
                let _ = out
                    .stdout
                    .write_all(fmt::line_diff(&text, &formatted).as_bytes());
                return EXIT_INPUT;
            }
            // Write beside the file and rename over it, so an interrupted
            // run never leaves half a file.
            let tmp = path.with_extension("snn.fmt-tmp");
            let written =
                std::fs::write(&tmp, &formatted).and_then(|_| std::fs::rename(&tmp, path));
            match written {
                Ok(()) => EXIT_OK,
                Err(e) => {
                    let _ = std::fs::remove_file(&tmp);
                    let _ = writeln!(out.stderr, "error: cannot write `{}`: {e}", path.display());
                    EXIT_USAGE
                }
            }
        }
        Err(fmt::FmtError::Syntax(d)) => {
            let mut sources = diag::SourceMap::new();
            sources.add(path.display().to_string(), text);
            let c = Compilation {
                sources,
                diagnostics: vec![d],
                network: None,
            };
            out.diagnostics(&c);
            out.summary(&c, path);
            EXIT_INPUT
        }
        Err(fmt::FmtError::WouldChangeMeaning) => {
            let _ = writeln!(
                out.stderr,
                "error: formatting `{}` would change its meaning, so it was left as it is (this is a bug in spikec fmt; please report it with the file)",
                path.display()
            );
            EXIT_USAGE
        }
    }
}

/// Whether stderr is a terminal (for `--color auto`).
pub fn stderr_is_tty() -> bool {
    std::io::stderr().is_terminal()
}
