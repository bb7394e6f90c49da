//! Warnings about a network that compiles but probably does not do what
//! was meant: delays the timestep cannot represent, populations that
//! influence nothing.

use super::Net;
use crate::diag::Diagnostic;
use spikec_ir::network::*;

impl Net<'_> {
    pub(super) fn lints(&mut self) {
        let dt = self.net.timestep;
        for (i, (_, proj)) in self.net.projections.iter().enumerate() {
            let span = self.net.spans.delays[i];
            let mut delays: Vec<f64> = match &proj.delay {
                ValueSpec::Const(d) => vec![*d],
                ValueSpec::Column { values, .. } => values.clone(),
                ValueSpec::Random(_) | ValueSpec::Expr(_) => Vec::new(),
            };
            if let Connector::FromList { connections, .. } = &proj.connector {
                delays.extend(connections.iter().filter_map(|c| c.delay));
            }
            if let Some(d) = delays
                .iter()
                .find(|d| **d >= 0.0 && **d < dt * (1.0 - 1e-9))
            {
                self.diags.push(Diagnostic::warning("W0003", format!("delay {} ms is shorter than the timestep ({} ms)", spikec_ir::units::format_number(*d), spikec_ir::units::format_number(dt)))
                    .primary(span, "shorter than one step")
                    .help("spikes arrive one step late at the earliest: the delay is rounded up to the timestep; write it as at least the timestep"));
            } else if let Some(d) = delays.iter().find(|d| {
                let steps = **d / dt;
                (steps - steps.round()).abs() > 1e-6 * steps.max(1.0)
            }) {
                self.diags.push(
                    Diagnostic::warning(
                        "W0004",
                        format!(
                            "delay {} ms is not a whole number of timesteps ({} ms)",
                            spikec_ir::units::format_number(*d),
                            spikec_ir::units::format_number(dt)
                        ),
                    )
                    .primary(span, "rounded to the nearest step")
                    .help("write the delay as a multiple of the timestep"),
                );
            }
        }
        // After an error, projections may be missing: unused-population
        // warnings would only add noise.
        if self.earlier_errors || self.diags.iter().any(Diagnostic::is_error) {
            return;
        }
        let mut used = vec![false; self.net.populations.len()];
        let sels = self
            .net
            .projections
            .iter()
            .flat_map(|(_, p)| [&p.pre, &p.post])
            .chain(self.net.records.iter().map(|r| &r.selection));
        for s in sels {
            for p in &s.parts {
                used[p.population.index()] = true;
            }
        }
        for (id, pop) in self.net.populations.iter() {
            if !used[id.index()] {
                self.diags.push(
                    Diagnostic::warning(
                        "W0002",
                        format!(
                            "population `{}` is neither connected nor recorded",
                            pop.name
                        ),
                    )
                    .primary(
                        self.net.spans.populations[id.index()],
                        "has no effect on any output",
                    )
                    .help(format!(
                        "connect it, `record {}.spikes`, or remove it",
                        pop.name
                    )),
                );
            }
        }
    }
}
