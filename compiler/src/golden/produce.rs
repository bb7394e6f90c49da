//! The current outputs of a case: what its goldens are compared with.
//!
//! Takes a resolved [`Case`] and runs the pipeline as the commands do —
//! `spikec ir`, `spikec sim --out`, `spikec build`, `spikec verify` — and
//! gives the files a golden directory holds, by relative path:
//!
//! - `ir.txt`: the IR text (`spikec ir`);
//! - `sim/spikes.csv`: the simulator's spikes (`spikec sim --out`);
//! - `spinnaker/report.json`, `placements.txt`, `routing_tables.txt`: the
//!   build's report, placements and routing tables (as text: small,
//!   reviewable, and compared as routers by [`crate::diff`]);
//! - `spinnaker/verify.json`: what the emulator ran (steps, spikes,
//!   packets, synaptic events, saturating adds) when `verify` is on;
//! - `spinnaker/cores/`: the per-core data, only with `core_data = true`.
//!
//! Every file is deterministic: no times, no paths, stable order. Files
//! derived from others (`report.txt`, `spikes.*.npy`, binary tables) and
//! inputs (`machine.json`) are left out.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::manifest::{Case, Target};
use crate::build_spinnaker::{self, SpinnakerRequest};
use crate::diag::{render_human, ColorChoice, Diagnostic, SourceMap};
use crate::driver::{compile_file, simulate};
use spikec_ir::{print_network, validate};

/// A case's outputs.
#[derive(Clone, Debug, Default)]
pub struct Current {
    /// Golden files by relative path (`/` separators).
    pub files: BTreeMap<String, Vec<u8>>,
    /// Population sizes, for rates in Hz.
    pub sizes: Vec<(String, u64)>,
    /// The network's timestep, ms (for spike tolerances in steps).
    pub timestep: f64,
    /// Things to know that are not failures (a skipped target).
    pub notes: Vec<String>,
    /// Failures that are not differences from the goldens: a
    /// verification that found the build and the simulator disagreeing.
    pub errors: Vec<String>,
}

/// Why a case has no outputs.
#[derive(Debug, thiserror::Error)]
pub enum ProduceError {
    /// The network cannot be read.
    #[error("cannot read `{}`: {source}", .path.display())]
    Read {
        /// The network.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The network does not compile or build: the rendered diagnostics.
    #[error("{stage} failed:\n{diagnostics}")]
    Diagnostics {
        /// `compile`, `simulation`, `spinnaker build`, `spinnaker verify`.
        stage: &'static str,
        /// As `spikec check` prints them, without colour.
        diagnostics: String,
    },
    /// A scratch file cannot be written or read back.
    #[error("cannot write scratch files in `{}`: {source}", .path.display())]
    Scratch {
        /// Where.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// The SpiNNaker files kept as goldens.
fn keep_spinnaker(rel: &str, core_data: bool) -> bool {
    matches!(rel, "report.json" | "placements.txt" | "routing_tables.txt")
        || (core_data && rel.starts_with("cores/"))
}

/// Runs `case`, using `scratch` (an empty directory) for the simulator's
/// files.
pub fn produce(case: &Case, scratch: &Path) -> Result<Current, ProduceError> {
    let c = compile_file(&case.file, &case.set).map_err(|source| ProduceError::Read {
        path: case.file.clone(),
        source,
    })?;
    let failed = |stage, sources: &SourceMap, diags: &[Diagnostic]| ProduceError::Diagnostics {
        stage,
        diagnostics: render_human(sources, diags, ColorChoice::Never),
    };
    let Some(net) = &c.network else {
        return Err(failed("compile", &c.sources, &c.diagnostics));
    };
    let valid = validate(net).map_err(|errs| {
        let diags: Vec<Diagnostic> = errs
            .iter()
            .map(|e| crate::driver::validation_diagnostic(net, e))
            .collect();
        failed("compile", &c.sources, &diags)
    })?;
    let mut out = Current {
        timestep: net.timestep,
        sizes: net
            .populations
            .iter()
            .map(|(_, p)| (p.name.clone(), u64::from(p.size)))
            .collect(),
        ..Current::default()
    };
    out.files
        .insert("ir.txt".into(), print_network(&valid).into_bytes());

    if case.sim {
        let (_, run) = simulate(
            net,
            case.duration_ms,
            spikec_sim::Engine::Jit,
            case.precision,
        )
        .map_err(|d| failed("simulation", &c.sources, &d))?;
        let dir = scratch.join("sim");
        let scratch_err = |source| ProduceError::Scratch {
            path: dir.clone(),
            source,
        };
        crate::sim_out::write_outputs(&dir, net, &run).map_err(scratch_err)?;
        let spikes = std::fs::read(dir.join("spikes.csv")).map_err(scratch_err)?;
        out.files.insert("sim/spikes.csv".into(), spikes);
    }

    for target in &case.targets {
        match target {
            Target::Spinnaker => {
                let req = SpinnakerRequest {
                    machine: case.machine.clone(),
                    neurons_per_core: case.neurons_per_core,
                    colour_bits: case.colour_bits,
                };
                let art = build_spinnaker::build(net, &req)
                    .map_err(|d| failed("spinnaker build", &c.sources, &d))?;
                for (rel, bytes) in &art.files {
                    let rel = rel.replace('\\', "/");
                    if keep_spinnaker(&rel, case.core_data) {
                        out.files.insert(format!("spinnaker/{rel}"), bytes.clone());
                    }
                }
                if case.verify {
                    let v = build_spinnaker::verify(net, &req, case.duration_ms)
                        .map_err(|d| failed("spinnaker verify", &c.sources, &d))?;
                    out.files
                        .insert("spinnaker/verify.json".into(), verify_json(&v));
                    if let Some((e, s)) = v.first_weight_difference() {
                        out.errors.push(format!(
                            "spinnaker verify: final plastic weights differ from `spikec sim \
                             --precision s1615`; first: emulator {e:?}, simulator {s:?}"
                        ));
                    }
                    if let Some((s, emulated_only)) = v.first_difference() {
                        let name = out
                            .sizes
                            .get(s.population as usize)
                            .map_or("?", |(n, _)| n.as_str());
                        out.errors.push(format!(
                            "spinnaker verify: the emulated build and `spikec sim --precision s1615` \
                             differ; first at step {} (t = {} ms): {name}[{}] spikes only in the {} \
                             ({} emulated spikes, {} simulated)",
                            s.step,
                            spikec_ir::units::format_number((s.step + 1) as f64 * net.timestep),
                            s.neuron,
                            if emulated_only { "emulator" } else { "simulator" },
                            v.emulated.len(),
                            v.simulated.len()
                        ));
                    }
                }
            }
            Target::Sfq => {
                let req = crate::build_sfq::SfqRequest {
                    deck_ms: crate::build_sfq::DEFAULT_DECK_MS,
                    ..Default::default()
                };
                let art = crate::build_sfq::build(net, &req)
                    .map_err(|d| failed("sfq build", &c.sources, &d))?;
                for (rel, bytes) in &art.files {
                    out.files.insert(format!("sfq/{rel}"), bytes.clone());
                }
                if case.verify {
                    let v = crate::build_sfq::technology(&req)
                        .and_then(|tech| {
                            crate::build_sfq::verify::verify(net, &tech, case.duration_ms)
                        })
                        .map_err(|d| failed("sfq verify", &c.sources, &d))?;
                    out.files
                        .insert("sfq/verify.json".into(), sfq_verify_json(&v));
                    for o in v.outputs.iter().filter(|o| !o.ok()) {
                        out.errors.push(format!(
                            "sfq verify: `{}` sends {} pulses in the circuit and {} spikes in \
                             the simulator, beyond the tolerance of {:.0}",
                            o.port, o.circuit, o.simulated, o.tolerance
                        ));
                    }
                }
            }
        }
    }
    Ok(out)
}

/// What the pulse-level simulator found, as pretty JSON with sorted keys.
fn sfq_verify_json(v: &crate::build_sfq::verify::SfqVerification) -> Vec<u8> {
    let outputs: Vec<serde_json::Value> = v
        .outputs
        .iter()
        .map(|o| {
            serde_json::json!({
                "port": o.port,
                "simulated": o.simulated,
                "circuit": o.circuit,
                "tolerance": o.tolerance,
                "within": o.ok(),
            })
        })
        .collect();
    let value = serde_json::json!({
        "duration_ns": v.duration_ns,
        "outputs": outputs,
        "merge_collisions": v.stats.merge_collisions,
        "separation_losses": v.stats.separation_losses,
    });
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text.into_bytes()
}

/// What the emulator ran, as pretty JSON with sorted keys.
fn verify_json(v: &build_spinnaker::Verification) -> Vec<u8> {
    let value = serde_json::json!({
        "steps": v.steps,
        "emulated_spikes": v.emulated.len(),
        "simulated_spikes": v.simulated.len(),
        "identical": v.first_difference().is_none(),
        "packets": v.packets,
        "synaptic_events": v.synaptic_events,
        "saturated_adds": v.saturated,
    });
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text.into_bytes()
}
