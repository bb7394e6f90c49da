//! The registry of diagnostic codes. Codes are stable: once released, a code
//! keeps its meaning, so users and editors can rely on it. Each code has a
//! long explanation with an example (`spikec explain CODE`), kept as
//! Markdown beside this file.

/// One diagnostic code.
#[derive(Clone, Copy, Debug)]
pub struct CodeInfo {
    /// `E0001` (error) or `W0001` (warning).
    pub code: &'static str,
    /// A short title.
    pub title: &'static str,
    /// The long explanation, Markdown.
    pub explanation: &'static str,
}

macro_rules! code {
    ($code:literal, $title:literal) => {
        CodeInfo {
            code: $code,
            title: $title,
            explanation: include_str!(concat!("explain/", $code, ".md")),
        }
    };
}

/// Every code, in order.
pub const CODES: &[CodeInfo] = &[
    code!("E0000", "internal compiler error"),
    code!("E0001", "syntax error"),
    code!("E0002", "invalid number literal"),
    code!("E0003", "unknown unit"),
    code!("E0004", "cannot read a file"),
    code!("E0005", "import cycle"),
    code!("E0006", "no network to compile, or more than one"),
    code!("E0010", "unknown name"),
    code!("E0011", "duplicate definition"),
    code!("E0012", "unknown model"),
    code!("E0013", "unknown population or view"),
    code!("E0014", "unknown input port"),
    code!("E0015", "unknown parameter or state variable"),
    code!(
        "E0016",
        "unknown function, connector, distribution or structure"
    ),
    code!("E0017", "wrong arguments in a call"),
    code!("E0018", "expected a constant value"),
    code!("E0020", "mismatched dimensions"),
    code!("E0021", "ODE right-hand side has the wrong dimension"),
    code!("E0022", "value has the wrong dimension"),
    code!("E0023", "function needs a dimensionless argument"),
    code!("E0024", "invalid power"),
    code!(
        "E0025",
        "expected a number, found a condition (or the reverse)"
    ),
    code!(
        "E0030",
        "derivative of something that is not a state variable"
    ),
    code!("E0031", "state variable with more than one ODE"),
    code!(
        "E0032",
        "assignment to something that is not a state variable"
    ),
    code!("E0033", "circular definition"),
    code!("E0034", "refractory period without a variable to clamp"),
    code!("E0035", "invalid source model"),
    code!("E0036", "required parameter not set"),
    code!("E0040", "expected a non-negative whole number"),
    code!("E0041", "index out of range"),
    code!("E0042", "connector does not fit its populations"),
    code!("E0043", "projection needs a port"),
    code!("E0044", "projection targets a spike source"),
    code!("E0045", "negative delay or conductance weight"),
    code!("E0046", "invalid per-neuron or per-synapse value"),
    code!("E0047", "malformed CSV file"),
    code!("E0048", "`source` used with a neuron model"),
    code!("E0049", "invalid timestep"),
    code!("E0050", "cannot record this variable"),
    code!("E0051", "invalid `--set` override"),
    code!("E0052", "delay too long for a synapse"),
    code!("E0053", "invalid gap junction"),
    code!("E0054", "invalid STDP rule"),
    code!("E0060", "network does not fit the machine"),
    code!("E0061", "routing table too large"),
    code!("E0062", "no route between cores"),
    code!("E0063", "invalid machine description"),
    code!("E0064", "delay too long for SpiNNaker ring buffers"),
    code!("E0065", "synaptic data does not fit a core's format"),
    code!("E0066", "invalid SFQ technology file"),
    code!("E0067", "model cannot be an SFQ neuron cell"),
    code!("E0068", "negative weights without an inhibitory input"),
    code!("E0069", "design does not fit the SFQ chips"),
    code!("E0070", "SFQ clock too fast for a neuron's fan-in"),
    code!("E0071", "gap junctions are not supported by this target"),
    code!("E0072", "plastic synapses are not supported by this target"),
    code!("E0073", "invalid synapse model"),
    code!("E0074", "STDP rule cannot be SpiNNaker plastic rows"),
    code!("W0001", "unused network parameter"),
    code!("W0002", "population is neither connected nor recorded"),
    code!("W0003", "delay shorter than the timestep"),
    code!("W0004", "delay is not a multiple of the timestep"),
    code!("W0005", "model shadows a standard-library model"),
    code!("W0006", "unused model parameter"),
    code!("W0007", "neuron model never spikes"),
    code!("W0008", "weights lose precision on SpiNNaker"),
    code!("W0009", "weights lose precision on SFQ"),
    code!("W0010", "leak cannot be realised on SFQ"),
    code!("W0011", "refractory period dropped on SFQ"),
    code!("W0012", "a unit after a number shadows a model name"),
];

/// Finds a code (case-insensitive; `E42`, `e0042` and `0042` all work).
pub fn lookup(code: &str) -> Option<&'static CodeInfo> {
    let code = code.trim().to_ascii_uppercase();
    let (letter, digits) = match code.chars().next() {
        Some(c @ ('E' | 'W')) => (c, &code[1..]),
        _ => ('E', code.as_str()),
    };
    let n: u32 = digits.parse().ok()?;
    let canonical = format!("{letter}{n:04}");
    CODES.iter().find(|c| c.code == canonical)
}

/// The long explanation of a code.
pub fn explain(code: &str) -> Option<String> {
    lookup(code).map(|c| format!("{}: {}\n\n{}", c.code, c.title, c.explanation.trim_end()))
}
