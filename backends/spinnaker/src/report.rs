//! The build report: every resource the configuration uses, as text for
//! people and JSON for tools, with stable key order and no timestamps or
//! paths so that it can be kept as a golden file.

use serde::Serialize;

/// What a build used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    pub machine: String,
    pub chips_used: usize,
    pub cores_used: usize,
    pub neuron_cores: usize,
    pub source_cores: usize,
    pub synapse_cores: usize,
    pub delay_cores: usize,
    pub routing_entries_max: usize,
    pub routing_entries_max_uncompressed: usize,
    pub routing_entries_total: usize,
    pub routing_entries_total_uncompressed: usize,
    pub synapses: u64,
    pub keys_used: u64,
    pub sdram_bytes_max_chip: u64,
    pub dtcm_bytes_max_core: u32,
    /// Sum over edges of synapses times hops between the cores' chips.
    pub synapse_hops: u64,
    pub populations: Vec<PopulationReport>,
}

/// One population's share.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PopulationReport {
    pub name: String,
    pub neurons: u32,
    pub cores: usize,
    pub neurons_per_core: u32,
    pub chips: usize,
}

impl Report {
    /// Pretty JSON, keys in declaration order.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// A table for people.
    pub fn to_text(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let _ = writeln!(s, "machine                     {}", self.machine);
        let rows: [(&str, String); 14] = [
            ("chips used", self.chips_used.to_string()),
            ("cores used", self.cores_used.to_string()),
            ("  neuron cores", self.neuron_cores.to_string()),
            ("  source cores", self.source_cores.to_string()),
            ("  synapse cores", self.synapse_cores.to_string()),
            ("  delay cores", self.delay_cores.to_string()),
            ("synapses", self.synapses.to_string()),
            ("routing keys used", self.keys_used.to_string()),
            (
                "routing entries, max chip",
                format!(
                    "{} ({} before compression)",
                    self.routing_entries_max, self.routing_entries_max_uncompressed
                ),
            ),
            (
                "routing entries, all chips",
                format!(
                    "{} ({} before compression)",
                    self.routing_entries_total, self.routing_entries_total_uncompressed
                ),
            ),
            (
                "SDRAM, max chip (bytes)",
                self.sdram_bytes_max_chip.to_string(),
            ),
            (
                "DTCM, max core (bytes)",
                self.dtcm_bytes_max_core.to_string(),
            ),
            ("synapse-hops", self.synapse_hops.to_string()),
            ("populations", self.populations.len().to_string()),
        ];
        for (k, v) in rows {
            let _ = writeln!(s, "{k:<28}{v}");
        }
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "{:<20} {:>9} {:>6} {:>9} {:>6}",
            "population", "neurons", "cores", "per core", "chips"
        );
        for p in &self.populations {
            let _ = writeln!(
                s,
                "{:<20} {:>9} {:>6} {:>9} {:>6}",
                p.name, p.neurons, p.cores, p.neurons_per_core, p.chips
            );
        }
        s
    }
}
