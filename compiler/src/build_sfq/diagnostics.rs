//! SFQ backend errors and warnings as diagnostics at the source they
//! concern: a model that has no neuron-cell counterpart at the population
//! that uses it (and the model's declaration), negative weights at the
//! projection's weight, an over-budget neuron at its population.

use std::path::Path;

use crate::diag::Diagnostic;
use spikec_ir::{Network, Span};
use spikec_sfq::lower::{Design, LowerError, LowerWarning, Unrealisable};
use spikec_sfq::partition::{BudgetError, ChipBudget, PartitionError};
use spikec_sfq::tech::TechError;

use crate::driver::{population_name as pop_name, population_span as pop_span};

fn projection(net: &Network, j: usize) -> (String, Span) {
    let name = net
        .projections
        .iter()
        .nth(j)
        .map_or_else(String::new, |(_, p)| p.name.clone());
    let span = net.spans.weights.get(j).copied().unwrap_or(Span::DUMMY);
    (name, span)
}

/// A technology file that does not load.
pub(super) fn tech(path: &Path, e: &TechError) -> Diagnostic {
    Diagnostic::error("E0066", format!("`{}`: {e} [{}]", path.display(), e.code())).help(e.help())
}

/// A `--chip` budget that does not parse.
pub(super) fn chip_spec(spec: &str, e: &BudgetError) -> Diagnostic {
    Diagnostic::error("E0069", format!("--chip `{spec}`: {e} [{}]", e.code())).help(e.help())
}

/// A lowering error.
pub(super) fn lower(net: &Network, e: &LowerError) -> Diagnostic {
    match e {
        LowerError::Model {
            population,
            model,
            reason,
            ..
        } => {
            let mut d = Diagnostic::error("E0067", e.to_string()).primary(
                pop_span(net, *population),
                format!("a population of `{model}`"),
            );
            let model_span = net
                .populations
                .iter()
                .nth(*population)
                .and_then(|(_, p)| net.spans.models.get(p.model.index()).copied())
                .filter(|s| *s != Span::DUMMY);
            if let Some(span) = model_span {
                d = d.secondary(span, "the model");
            }
            d.help(match reason {
                Unrealisable::Nonlinear { .. } | Unrealisable::ExtraState { .. } => {
                    "the SFQ neuron cell is a leaky integrate-and-fire neuron with delta \
                     synapses (`IF_curr_delta` without offset current, or a one-state model \
                     `v' = (v_reset - v) / tau` spiking on `v >= theta`); simulate this model \
                     with `spikec sim`, or build it for SpiNNaker"
                }
                Unrealisable::Port { .. } => {
                    "synapses must jump the membrane directly (delta synapses, weights in the \
                     state's unit)"
                }
                Unrealisable::Drive { .. } => {
                    "an SFQ neuron leaks to empty, which is its reset: make the resting value \
                     equal to the reset value and drop constant input currents (drive the \
                     neuron with a spike source instead)"
                }
                _ => {
                    "the SFQ neuron cell fires when a count of stored pulses reaches its \
                     threshold and resets to empty"
                }
            })
        }
        LowerError::Inhibition { projection: j, .. } => {
            let (_, span) = projection(net, *j);
            Diagnostic::error("E0068", e.to_string())
                .primary(span, "negative weights")
                .help(
                    "use a technology whose neuron cell has a second (inhibitory) input, as the \
                     default one does, or make the weights non-negative",
                )
        }
        LowerError::GapJunction { projection: j, .. } => Diagnostic::error("E0071", e.to_string())
            .primary(
                net.spans.projections.get(*j).copied().unwrap_or(Span::DUMMY),
                "an electrical synapse",
            )
            .help("simulate the network with `spikec sim`, or leave the gap junctions out to build it (see `spikec explain E0071`)"),
        LowerError::Plastic { projection: j, .. } => Diagnostic::error("E0072", e.to_string())
            .primary(
                net.spans.projections.get(*j).copied().unwrap_or(Span::DUMMY),
                "a plastic projection",
            )
            .help("simulate the network with `spikec sim`; to build a trained network, give it its learned weights as static ones (see `spikec explain E0072`)"),
        LowerError::ClockTooFast { population, .. } => Diagnostic::error("E0070", e.to_string())
            .primary(pop_span(net, *population), "this population's fan-in")
            .help(
                "in clocked mode a neuron's latched pulses are released one after another, a \
                 merger separation apart, within one clock period: use a longer `--clock` \
                 period, or give the neuron fewer synapses",
            ),
        LowerError::Netlist(_) => {
            Diagnostic::error("E0000", format!("internal compiler error: {e}"))
                .help("this is a bug in spikec; please report it with the .snn file")
        }
    }
}

/// A design that cannot be split over chips.
pub(super) fn partition(net: &Network, budget: &ChipBudget, e: &PartitionError) -> Diagnostic {
    let d = Diagnostic::error(
        "E0069",
        format!(
            "the design does not fit chips of {budget}: {e} [{}]",
            e.code()
        ),
    );
    let group = match e {
        PartitionError::BlockTooBig { group, .. }
        | PartitionError::PinsExceeded { group, .. }
        | PartitionError::PinsNotMet { group, .. } => Some(*group),
        _ => None,
    };
    let d = match group {
        Some(g) => d.primary(
            pop_span(net, g as usize),
            format!("a neuron of `{}`", pop_name(net, g as usize)),
        ),
        None => d,
    };
    d.help(e.help())
}

/// A rate per ns: `0`, or three significant digits in scientific form.
fn per_ns(x: f64) -> String {
    if x == 0.0 {
        "0".into()
    } else {
        format!("{x:.3e}")
    }
}

/// The lowering's approximations as warnings.
pub fn warnings(net: &Network, design: &Design) -> Vec<Diagnostic> {
    design
        .warnings
        .iter()
        .map(|w| match w {
            LowerWarning::Weights { projection: j, loss } => {
                let (name, span) = projection(net, *j);
                Diagnostic::warning("W0009", format!("weights of `{name}` lose precision on SFQ: {loss}"))
                    .primary(span, "realised as synapse pass probabilities")
                    .help(
                        "a weight becomes the probability |w| / (threshold / n) set by a bias on \
                         the technology's resolution grid; weights far below the largest one \
                         into the same neuron resolve worst",
                    )
            }
            LowerWarning::Leak {
                population,
                wanted_per_ns,
                realised_per_ns,
            } => Diagnostic::warning(
                "W0010",
                format!(
                    "the leak of `{}` cannot be realised: {} per ns wanted, {} per ns at the \
                     nearest leak bias",
                    pop_name(net, *population),
                    per_ns(*wanted_per_ns),
                    per_ns(*realised_per_ns)
                ),
            )
            .primary(pop_span(net, *population), "this population's time constant")
            .help(
                "the leak junction's escape rate spans the technology's leak table; SFQ \
                 circuits run at picoseconds, so write time constants in ns",
            ),
            LowerWarning::Refractory {
                population,
                period_ms,
            } => Diagnostic::warning(
                "W0011",
                format!(
                    "the refractory period of `{}` ({}) is dropped on SFQ",
                    pop_name(net, *population),
                    spikec_ir::units::format_quantity(*period_ms, spikec_ir::Dim::TIME)
                ),
            )
            .primary(pop_span(net, *population), "this population's model")
            .help("the neuron cell takes input again after its minimum input separation; set the refractory period to 0"),
        })
        .collect()
}
