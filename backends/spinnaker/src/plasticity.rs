//! The integer STDP rule of every neuron core with plastic input, and the
//! checks that a network's pair STDP fits the plastic rows.
//!
//! A SpiNNaker core runs one timing rule for all its plastic synapses (a
//! row's presynaptic header holds one trace, a neuron's history one post
//! trace) and one weight dependence per synapse type (the control word
//! names the type, not the projection), as sPyNNaker's STDP cores do; so
//! plastic projections into one population must share `tau_plus` and
//! `tau_minus`, and those onto one (port, sign) their whole rule. Plastic
//! weights are non-negative magnitudes; and since the core times a row's
//! pairings from its arrival, a plastic delay must be served by the ring
//! buffer, not a delay-extension stage. Everything else has an integer
//! form ([`spikec_ir::stdp`]): the same one the simulator's `s1615` mode
//! runs, so that verification agrees spike for spike.

use crate::core_data::Plasticity;
use crate::graph::MachineGraph;
use crate::BuildError;
use spikec_ir::expanded::Expanded;
use spikec_ir::fixed::{Sign, SynapseType};
use spikec_ir::network::StdpRule;
use spikec_ir::ring::PopulationShifts;
use spikec_ir::stdp::{Timing, WeightRule, POST_HISTORY};
use spikec_ir::Network;

/// Per population, the plasticity of its neuron cores (`None` without
/// plastic input), or why a plastic projection cannot be built.
pub fn plasticity(
    net: &Network,
    ex: &Expanded,
    g: &MachineGraph,
    shifts: &[PopulationShifts],
) -> Result<Vec<Option<Plasticity>>, BuildError> {
    let n_pops = net.populations.len();
    let mut out: Vec<Option<Plasticity>> = vec![None; n_pops];
    // The rule each population's timing came from.
    let mut timing_of: Vec<Option<StdpRule>> = vec![None; n_pops];
    for (k, ((_, proj), t)) in net.projections.iter().zip(&ex.projections).enumerate() {
        let Some(rule) = proj.stdp() else { continue };
        let fail = |reason: String| BuildError::PlasticRule {
            projection: k,
            name: proj.name.clone(),
            reason,
        };
        if rule.w_min < 0.0 {
            return Err(fail(format!(
                "`w_min` is {} but rows hold weight magnitudes of one sign",
                rule.w_min
            )));
        }
        if (0..t.len()).any(|s| t.weights.get(s) < 0.0) {
            return Err(fail(
                "some initial weights are negative, but rows hold weight magnitudes of one sign"
                    .into(),
            ));
        }
        let timing = Timing::new(rule, net.timestep).map_err(|e| fail(e.to_string()))?;
        for part in &proj.post.parts {
            let q = part.population.index();
            let Some(port) = net.port_index(proj, part.population) else {
                continue;
            };
            // Delays of the synapses onto this population.
            let (start, end) = (ex.layout.offsets[q], ex.layout.offsets[q + 1]);
            let longest = (0..t.len())
                .filter(|&s| (start..end).contains(&t.targets[s]))
                .map(|s| t.delays.get(s))
                .max()
                .unwrap_or(1);
            let slots = g.slots[q];
            if longest > slots {
                return Err(fail(format!(
                    "a delay of {longest} timesteps, but the plastic rows of `{}` reach \
                     {slots} ring-buffer slots (longer delays go through delay-extension \
                     cores, which plastic rows cannot use)",
                    pop_name(net, q)
                )));
            }
            let ty = SynapseType {
                port: port as u16,
                sign: Sign::Positive,
            };
            let sh = &shifts[q];
            let Some(type_index) = sh.types.index(ty) else {
                continue;
            };
            let w =
                WeightRule::new(rule, sh.shifts[type_index]).map_err(|e| fail(e.to_string()))?;
            if let Some(first) = &timing_of[q] {
                if (first.tau_plus, first.tau_minus) != (rule.tau_plus, rule.tau_minus) {
                    return Err(fail(format!(
                        "another plastic projection into `{}` has other time constants; \
                         its cores run one STDP timing rule",
                        pop_name(net, q)
                    )));
                }
            }
            let p = out[q].get_or_insert_with(|| Plasticity {
                history: POST_HISTORY as u16,
                timing: timing.clone(),
                rules: vec![None; sh.types.len()],
            });
            timing_of[q].get_or_insert(*rule);
            match &p.rules[type_index] {
                Some(existing) if *existing != w => {
                    return Err(fail(format!(
                        "another plastic projection onto port `{}` of `{}` has another \
                         weight rule; a core has one per synapse type",
                        proj.port,
                        pop_name(net, q)
                    )));
                }
                _ => p.rules[type_index] = Some(w),
            }
        }
    }
    Ok(out)
}

fn pop_name(net: &Network, p: usize) -> String {
    net.populations
        .iter()
        .nth(p)
        .map_or_else(String::new, |(_, pop)| pop.name.clone())
}
