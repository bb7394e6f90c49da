//! Why a pulse simulation could not start.
//!
//! Every check happens before the first event: the stimuli, the options,
//! and the per-cell constants (a neuron's threshold, a synapse's
//! probability) that the netlist's biases give under the technology. Once
//! the event loop runs, nothing can fail.

/// Why [`super::simulate`] refused to run. Cells are named by their
/// hierarchical path (`u_pop/syn3`), stimuli by their port.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum PulseError {
    /// A stimulus names no input port of the top module (an output port's
    /// name included).
    #[error("stimulus for `{port}`: the top module has no input port of that name")]
    UnknownPort { port: String },

    /// Two stimuli for one port.
    #[error("stimulus for `{port}` given twice")]
    DuplicateStimulus { port: String },

    /// A pulse time that is NaN, infinite or negative.
    #[error("stimulus for `{port}`: pulse {index} at {time_ps} ps is not a finite time ≥ 0")]
    BadTime {
        port: String,
        index: usize,
        time_ps: f64,
    },

    /// A pulse time before the one listed ahead of it.
    #[error(
        "stimulus for `{port}`: pulse {index} at {time_ps} ps comes before pulse {} \
         at {previous_ps} ps; times must be ascending",
        index.saturating_sub(1)
    )]
    UnsortedTimes {
        port: String,
        index: usize,
        time_ps: f64,
        previous_ps: f64,
    },

    /// The stop time is NaN, infinite or negative.
    #[error("stop time {stop_ps} ps is not a finite time ≥ 0")]
    BadStopTime { stop_ps: f64 },

    /// A neuron's threshold bias lies outside the technology's allowed
    /// range, so it gives no threshold.
    #[error(
        "neuron `{cell}`: threshold bias {bias_ua} µA gives no threshold (the technology \
         allows {min_ua} to {max_ua} µA)"
    )]
    NoThreshold {
        cell: String,
        bias_ua: f64,
        min_ua: f64,
        max_ua: f64,
    },

    /// A bias pin without a finite, non-negative current.
    #[error("cell `{cell}`: bias pin `{pin}` needs a finite current ≥ 0 µA, has {value:?}")]
    BadBias {
        cell: String,
        pin: String,
        value: Option<f64>,
    },

    /// The netlist does not fit the technology: a pin or net that
    /// validation would have found is missing. Happens only when a netlist
    /// validated against one technology is simulated with another.
    #[error("cell or port `{at}`: {message}; was the netlist validated against this technology?")]
    Mismatch { at: String, message: String },

    /// More cells than the simulator's 32-bit cell index can number.
    #[error("the flattened netlist has {cells} cells; at most 4294967295 are supported")]
    TooManyCells { cells: usize },
}

impl PulseError {
    /// A stable code for the error, for documentation and tests.
    pub fn code(&self) -> &'static str {
        match self {
            PulseError::UnknownPort { .. } => "P0001",
            PulseError::DuplicateStimulus { .. } => "P0002",
            PulseError::BadTime { .. } => "P0003",
            PulseError::UnsortedTimes { .. } => "P0004",
            PulseError::BadStopTime { .. } => "P0005",
            PulseError::NoThreshold { .. } => "P0006",
            PulseError::BadBias { .. } => "P0007",
            PulseError::Mismatch { .. } => "P0008",
            PulseError::TooManyCells { .. } => "P0009",
        }
    }

    /// A line telling the user how to fix it.
    pub fn help(&self) -> String {
        match self {
            PulseError::UnknownPort { .. } => {
                "stimuli drive the top module's input ports; check the port's name".into()
            }
            PulseError::DuplicateStimulus { .. } => {
                "give each port one stimulus holding all of its pulse times".into()
            }
            PulseError::BadTime { .. } | PulseError::UnsortedTimes { .. } => {
                "pulse times are finite picoseconds ≥ 0, in ascending order".into()
            }
            PulseError::BadStopTime { .. } => {
                "the stop time is a finite number of picoseconds ≥ 0".into()
            }
            PulseError::NoThreshold { .. } => "set the threshold bias within the technology's \
                `threshold_bias_min_ua` to `threshold_bias_max_ua`, e.g. with \
                `NeuronModel::bias_for_threshold`"
                .into(),
            PulseError::BadBias { .. } => {
                "give every programmable bias pin a current in `bias_ua`".into()
            }
            PulseError::Mismatch { .. } => {
                "validate the netlist with the technology it is simulated with".into()
            }
            PulseError::TooManyCells { .. } => {
                "simulate the design in parts (e.g. one partition at a time)".into()
            }
        }
    }
}
