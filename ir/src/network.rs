//! Networks: populations, projections with symbolic connectors, recordings.
//!
//! Connectors stay symbolic here (a `fixed_probability(0.02)` is not a list
//! of synapses); connectivity expansion is a later pass shared by every
//! backend. Per-neuron values are either constants, distributions or columns
//! already read from files: the IR does no I/O.

use crate::arena::{Arena, Handle};
use crate::expr::{ExprArena, ExprId};
use crate::model::{Model, ModelId, Param, State};
use crate::span::Span;
use crate::units::Dim;

/// Handle of a population.
pub type PopulationId = Handle<Population>;
/// Handle of a projection.
pub type ProjectionId = Handle<Projection>;

/// A whole network, the unit of compilation.
#[derive(Clone, Debug, PartialEq)]
pub struct Network {
    /// The network's name.
    pub name: String,
    /// Simulation timestep (ms).
    pub timestep: f64,
    /// Seed of every random stream.
    pub seed: u64,
    /// Whose neuron kernels the network runs as.
    pub semantics: Semantics,
    /// Network parameters with their resolved values (for reports).
    pub params: Vec<NetParam>,
    /// Models used by the network.
    pub models: Arena<Model>,
    /// Populations.
    pub populations: Arena<Population>,
    /// Named views and assemblies.
    pub views: Vec<View>,
    /// Projections.
    pub projections: Arena<Projection>,
    /// What to record.
    pub records: Vec<Record>,
    /// Expressions of connectors (distance-dependent probabilities).
    pub exprs: ExprArena,
    /// Source positions, kept beside the data.
    pub spans: Spans,
}

impl Network {
    /// The first projection (index and data) that `pred` accepts: what a
    /// backend that cannot realise some kind of projection reports.
    pub fn first_projection(
        &self,
        pred: impl Fn(&Projection) -> bool,
    ) -> Option<(usize, &Projection)> {
        self.projections
            .iter()
            .enumerate()
            .find(|(_, (_, p))| pred(p))
            .map(|(i, (_, p))| (i, p))
    }

    /// The index of `proj`'s port among the ports of population `pop`'s
    /// model (`None` for a spike source or a model without that port).
    pub fn port_index(&self, proj: &Projection, pop: PopulationId) -> Option<usize> {
        self.models[self.populations[pop].model]
            .dynamics()
            .and_then(|d| d.ports.iter().position(|p| p.name == proj.port))
    }
}

/// A resolved network parameter.
#[derive(Clone, Debug, PartialEq)]
pub struct NetParam {
    /// Name.
    pub name: String,
    /// Value in canonical units.
    pub value: f64,
    /// Dimension.
    pub dim: Dim,
    /// Whether `--set` overrode it.
    pub overridden: bool,
}

/// A statistical distribution, with its arguments in canonical units.
#[derive(Clone, Debug, PartialEq)]
pub struct Distribution {
    /// Which distribution.
    pub kind: DistKind,
    /// Arguments in the order of [`DistKind::arg_names`].
    pub args: Vec<f64>,
    /// Factor applied to every draw (`lognormal(0, 1) * 1 nA`), if any.
    pub scale: Option<f64>,
}

/// The distributions of PyNN's `RandomDistribution`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DistKind {
    /// uniform(low, high)
    Uniform,
    /// normal(mu, sigma)
    Normal,
    /// normal_clipped(mu, sigma, low, high): redraw outside [low, high]
    NormalClipped,
    /// normal_clipped_to_boundary(mu, sigma, low, high): clamp to [low, high]
    NormalClippedToBoundary,
    /// exponential(beta): mean beta
    Exponential,
    /// lognormal(mu, sigma) of the underlying normal
    Lognormal,
    /// gamma(k, theta)
    Gamma,
    /// vonmises(mu, kappa)
    VonMises,
    /// binomial(n, p)
    Binomial,
    /// poisson(lambda)
    Poisson,
}

impl DistKind {
    /// Every distribution.
    pub const ALL: &'static [DistKind] = &[
        DistKind::Uniform,
        DistKind::Normal,
        DistKind::NormalClipped,
        DistKind::NormalClippedToBoundary,
        DistKind::Exponential,
        DistKind::Lognormal,
        DistKind::Gamma,
        DistKind::VonMises,
        DistKind::Binomial,
        DistKind::Poisson,
    ];

    /// Name as written in source.
    pub fn name(self) -> &'static str {
        match self {
            DistKind::Uniform => "uniform",
            DistKind::Normal => "normal",
            DistKind::NormalClipped => "normal_clipped",
            DistKind::NormalClippedToBoundary => "normal_clipped_to_boundary",
            DistKind::Exponential => "exponential",
            DistKind::Lognormal => "lognormal",
            DistKind::Gamma => "gamma",
            DistKind::VonMises => "vonmises",
            DistKind::Binomial => "binomial",
            DistKind::Poisson => "poisson",
        }
    }

    /// Looks a distribution up by name.
    pub fn from_name(name: &str) -> Option<DistKind> {
        DistKind::ALL.iter().copied().find(|d| d.name() == name)
    }

    /// Argument names, PyNN's.
    pub fn arg_names(self) -> &'static [&'static str] {
        match self {
            DistKind::Uniform => &["low", "high"],
            DistKind::Normal => &["mu", "sigma"],
            DistKind::NormalClipped | DistKind::NormalClippedToBoundary => {
                &["mu", "sigma", "low", "high"]
            }
            DistKind::Exponential => &["beta"],
            DistKind::Lognormal => &["mu", "sigma"],
            DistKind::Gamma => &["k", "theta"],
            DistKind::VonMises => &["mu", "kappa"],
            DistKind::Binomial => &["n", "p"],
            DistKind::Poisson => &["lambda"],
        }
    }

    /// For each argument, whether it carries the value's dimension (`true`)
    /// or is a pure number (`false`).
    pub fn arg_has_value_dim(self) -> &'static [bool] {
        match self {
            DistKind::Uniform | DistKind::Normal => &[true, true],
            DistKind::NormalClipped | DistKind::NormalClippedToBoundary => {
                &[true, true, true, true]
            }
            DistKind::Exponential => &[true],
            DistKind::Lognormal => &[false, false],
            DistKind::Gamma => &[false, true],
            DistKind::VonMises => &[true, false],
            DistKind::Binomial => &[false, false],
            DistKind::Poisson => &[false],
        }
    }
}

/// A per-neuron or per-synapse value.
#[derive(Clone, Debug, PartialEq)]
pub enum ValueSpec {
    /// The same value everywhere (canonical units).
    Const(f64),
    /// Drawn independently per element.
    Random(Distribution),
    /// A function of the population's named draws (`c = -65 mV + 15 mV *
    /// re^2`), in [`Network::exprs`]; evaluated once per neuron.
    Expr(ExprId),
    /// One value per element, read from a file by the front end.
    Column {
        /// Where the values came from, as written (`params.csv:I_e`).
        origin: String,
        /// The values in canonical units.
        values: Vec<f64>,
    },
}

/// Spike times of a spike-array source.
#[derive(Clone, Debug, PartialEq)]
pub enum SpikeTimes {
    /// The same train for every neuron.
    Shared(Vec<f64>),
    /// One train per neuron.
    PerNeuron(Vec<Vec<f64>>),
}

/// What a population setting targets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Var {
    /// A model parameter.
    Param(Handle<Param>),
    /// A state's initial value.
    State(Handle<State>),
}

/// One `name = value` of a population.
#[derive(Clone, Debug, PartialEq)]
pub struct Setting {
    /// Target.
    pub var: Var,
    /// Value.
    pub value: SettingValue,
}

/// A setting's value: scalar or spike times.
#[derive(Clone, Debug, PartialEq)]
pub enum SettingValue {
    /// Per-neuron scalar.
    Scalar(ValueSpec),
    /// Spike trains.
    Times(SpikeTimes),
}

/// Spatial layout of a population (PyNN's structures), lengths in um.
#[derive(Clone, Debug, PartialEq)]
pub enum Structure {
    /// Neurons on a line.
    Line {
        /// Spacing.
        dx: f64,
        /// First position.
        x0: f64,
    },
    /// A 2-D grid filled row by row.
    Grid2d {
        /// Columns / rows.
        aspect_ratio: f64,
        /// Spacing along x.
        dx: f64,
        /// Spacing along y.
        dy: f64,
        /// Origin x.
        x0: f64,
        /// Origin y.
        y0: f64,
    },
    /// A 3-D grid.
    Grid3d {
        /// x/y aspect ratio.
        aspect_ratio_xy: f64,
        /// x/z aspect ratio.
        aspect_ratio_xz: f64,
        /// Spacings.
        dx: f64,
        /// Spacing along y.
        dy: f64,
        /// Spacing along z.
        dz: f64,
    },
    /// Uniformly random positions in a box centred on the origin.
    RandomBox {
        /// Extent along x.
        width: f64,
        /// Extent along y.
        height: f64,
        /// Extent along z.
        depth: f64,
    },
}

/// A group of neurons (or sources) of one model.
#[derive(Clone, Debug, PartialEq)]
pub struct Population {
    /// Name.
    pub name: String,
    /// Number of neurons.
    pub size: u32,
    /// The model.
    pub model: ModelId,
    /// Per-neuron parameter values and initial states that differ from the
    /// model's defaults.
    pub settings: Vec<Setting>,
    /// Positions, if declared.
    pub structure: Option<Structure>,
    /// Named random draws, one value per neuron each, that `ValueSpec::Expr`
    /// settings share (`let re = uniform(0, 1)`).
    pub draws: Vec<NamedDraw>,
    /// The largest slice of this population a hardware core may hold, if
    /// the user limited it (`neurons_per_core N`).
    pub neurons_per_core: Option<u32>,
}

/// A named per-neuron random draw.
#[derive(Clone, Debug, PartialEq)]
pub struct NamedDraw {
    /// Name, as written.
    pub name: String,
    /// Distribution of the draws.
    pub distribution: Distribution,
    /// Dimension of the draws.
    pub dim: Dim,
}

/// Which neurons of a population a selection takes.
#[derive(Clone, Debug, PartialEq)]
pub enum IndexSet {
    /// Every neuron.
    All,
    /// `[start, end)`.
    Range(u32, u32),
    /// Explicit indices, in the given order.
    List(Vec<u32>),
}

/// A part of a selection: some neurons of one population.
#[derive(Clone, Debug, PartialEq)]
pub struct SelectionPart {
    /// The population.
    pub population: PopulationId,
    /// The neurons.
    pub indices: IndexSet,
}

/// A population, a slice or view of one, or a union (PyNN's Assembly):
/// neurons are numbered by concatenating the parts.
#[derive(Clone, Debug, PartialEq)]
pub struct Selection {
    /// The parts, in order.
    pub parts: Vec<SelectionPart>,
}

impl Selection {
    /// Number of neurons, given the population sizes.
    pub fn len(&self, populations: &Arena<Population>) -> u64 {
        self.parts
            .iter()
            .map(|p| match &p.indices {
                IndexSet::All => populations[p.population].size as u64,
                IndexSet::Range(a, b) => b.saturating_sub(*a) as u64,
                IndexSet::List(v) => v.len() as u64,
            })
            .sum()
    }
}

/// A named view or assembly.
#[derive(Clone, Debug, PartialEq)]
pub struct View {
    /// Name.
    pub name: String,
    /// What it selects.
    pub selection: Selection,
}

/// One explicit connection of `from_list` / `from_file`.
#[derive(Clone, Debug, PartialEq)]
pub struct ListedConnection {
    /// Index in the presynaptic selection.
    pub pre: u32,
    /// Index in the postsynaptic selection.
    pub post: u32,
    /// Weight, if the list gives one (canonical units).
    pub weight: Option<f64>,
    /// Delay, if the list gives one (ms).
    pub delay: Option<f64>,
}

/// PyNN's connectors, kept symbolic.
#[derive(Clone, Debug, PartialEq)]
pub enum Connector {
    /// Neuron i to neuron i.
    OneToOne,
    /// Every pre to every post.
    AllToAll {
        /// Allow i -> i when pre and post are the same neurons.
        autapses: bool,
    },
    /// Each pair independently with probability `p`.
    FixedProbability {
        /// Probability.
        p: f64,
        /// Allow self-connections.
        autapses: bool,
    },
    /// Each post neuron gets exactly `n` presynaptic partners.
    FixedNumberPre {
        /// In-degree.
        n: u64,
        /// Allow self-connections.
        autapses: bool,
        /// Allow the same pair more than once.
        multapses: bool,
    },
    /// Each pre neuron gets exactly `n` postsynaptic partners.
    FixedNumberPost {
        /// Out-degree.
        n: u64,
        /// Allow self-connections.
        autapses: bool,
        /// Allow the same pair more than once.
        multapses: bool,
    },
    /// Exactly `n` connections in total between random pairs.
    FixedTotalNumber {
        /// Total.
        n: u64,
        /// Allow self-connections.
        autapses: bool,
        /// Allow the same pair more than once.
        multapses: bool,
    },
    /// Each pair with a probability given by an expression of distance `d`.
    DistanceDependent {
        /// Probability expression (dimensionless, in [`Network::exprs`]).
        probability: ExprId,
        /// Allow self-connections.
        autapses: bool,
    },
    /// Explicit connections (inline, or read from a file by the front end).
    FromList {
        /// The connections.
        connections: Vec<ListedConnection>,
        /// The file they came from, if any.
        origin: Option<String>,
    },
}

impl Connector {
    /// The connector's name in the language.
    pub fn name(&self) -> &'static str {
        match self {
            Connector::OneToOne => "one_to_one",
            Connector::AllToAll { .. } => "all_to_all",
            Connector::FixedProbability { .. } => "fixed_probability",
            Connector::FixedNumberPre { .. } => "fixed_number_pre",
            Connector::FixedNumberPost { .. } => "fixed_number_post",
            Connector::FixedTotalNumber { .. } => "fixed_total_number",
            Connector::DistanceDependent { .. } => "distance_dependent",
            Connector::FromList { origin: None, .. } => "from_list",
            Connector::FromList {
                origin: Some(_), ..
            } => "from_file",
        }
    }
}

/// Whose simulation kernels the network's numbers follow. They differ in
/// when input acts and how a step integrates, so a network tuned on one
/// (spike races decided by a step) may not work on the other.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Semantics {
    /// NEST's: exact integration; input that arrives in a step acts on the
    /// membrane from the next step (a hop of delay `d` takes `d + 1`
    /// steps); STDP pairs only spikes strictly apart.
    #[default]
    Nest,
    /// sPyNNaker's neuron and STDP kernels: input is added in the step it
    /// arrives, scaled by `τ/h·(1 − e^(−h/τ))` into a decaying synaptic
    /// state, and acts on the membrane in that step (a hop takes `d`
    /// steps); each state advances by exponential Euler, the others held
    /// (the LIF closed form `V = α − e^(−h/τm)(α − V)`); pair STDP also
    /// depresses when a post spike reaches the synapse with the pre spike.
    Spinnaker,
}

impl Semantics {
    /// The name in the language.
    pub fn name(self) -> &'static str {
        match self {
            Semantics::Nest => "nest",
            Semantics::Spinnaker => "spinnaker",
        }
    }

    /// Looks a name up.
    pub fn from_name(name: &str) -> Option<Semantics> {
        match name {
            "nest" => Some(Semantics::Nest),
            "spinnaker" => Some(Semantics::Spinnaker),
            _ => None,
        }
    }
}

/// How a pair-STDP weight change depends on the weight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WeightDependence {
    /// `Δw+ = A_plus · w_max · x_pre`, `Δw− = A_minus · w_max · x_post`.
    Additive,
    /// `Δw+ = A_plus · (w_max − w) · x_pre`, `Δw− = A_minus · (w − w_min) · x_post`.
    Multiplicative,
}

/// Pair-based STDP with all-to-all pairing (PyNN's `SpikePairRule`), its
/// weight dependence, and the weight bounds (in the port's weight unit).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StdpRule {
    /// Decay of the presynaptic trace (potentiation window), ms.
    pub tau_plus: f64,
    /// Decay of the postsynaptic trace (depression window), ms.
    pub tau_minus: f64,
    /// Potentiation amplitude (dimensionless; see [`WeightDependence`]).
    pub a_plus: f64,
    /// Depression amplitude.
    pub a_minus: f64,
    /// Lowest weight.
    pub w_min: f64,
    /// Highest weight.
    pub w_max: f64,
    /// Additive or multiplicative.
    pub dependence: WeightDependence,
}

/// Synapse dynamics of a projection.
#[derive(Clone, Debug, PartialEq)]
pub enum SynapseKind {
    /// Fixed weight.
    Static,
    /// Plastic weight under pair STDP.
    Stdp(StdpRule),
    /// A synapse model written in the language, instantiated for this
    /// projection.
    Model(Box<crate::synapse::SynapseModel>),
    /// An electrical synapse, symmetric and without delay: in every step
    /// each pair passes the charge `g · (v_pre − v_post) · h` into the
    /// post neuron's port and its opposite into the pre neuron's, where
    /// `g` is the weight (a conductance) and `v` the state the port jumps.
    GapJunction,
}

impl SynapseKind {
    /// The name in the language (`synapse static`).
    pub fn name(&self) -> &'static str {
        match self {
            SynapseKind::Static => "static",
            SynapseKind::GapJunction => "gap_junction",
            SynapseKind::Stdp(_) => "stdp",
            SynapseKind::Model(_) => "model",
        }
    }
}

impl Projection {
    /// Whether the projection is a gap junction (carries no spikes).
    pub fn is_gap_junction(&self) -> bool {
        self.synapse == SynapseKind::GapJunction
    }

    /// Whether the projection's weights change as the network runs.
    pub fn is_plastic(&self) -> bool {
        matches!(self.synapse, SynapseKind::Stdp(_) | SynapseKind::Model(_))
    }

    /// The projection's synapse model, if it is written in the language.
    pub fn synapse_model(&self) -> Option<&crate::synapse::SynapseModel> {
        match &self.synapse {
            SynapseKind::Model(m) => Some(m),
            _ => None,
        }
    }

    /// The projection's STDP rule, if its weights are plastic.
    pub fn stdp(&self) -> Option<&StdpRule> {
        match &self.synapse {
            SynapseKind::Stdp(r) => Some(r),
            _ => None,
        }
    }
}

/// A projection from one selection to another.
#[derive(Clone, Debug, PartialEq)]
pub struct Projection {
    /// Name (given, or `Pre->Post`).
    pub name: String,
    /// Presynaptic neurons.
    pub pre: Selection,
    /// Postsynaptic neurons.
    pub post: Selection,
    /// Connection rule.
    pub connector: Connector,
    /// Receiving port on the postsynaptic model(s).
    pub port: String,
    /// Weights (dimension of the port's weights).
    pub weight: ValueSpec,
    /// Delays (ms).
    pub delay: ValueSpec,
    /// Synapse dynamics.
    pub synapse: SynapseKind,
}

/// What is recorded.
#[derive(Clone, Debug, PartialEq)]
pub enum Recordable {
    /// Spike times.
    Spikes,
    /// A state variable by name (resolved per population model).
    State(String),
}

/// A recording request.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// Which neurons.
    pub selection: Selection,
    /// What.
    pub what: Recordable,
}

/// Source spans of network entities, in a side table so that comparing or
/// printing IR never depends on positions. Each vector is indexed like the
/// arena or list it describes; `Span::DUMMY` where there is no source.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Spans {
    /// Each population's declaration (its name).
    pub populations: Vec<Span>,
    /// Each population's size expression.
    pub population_sizes: Vec<Span>,
    /// Each population's settings, parallel to `Population::settings`.
    pub settings: Vec<Vec<Span>>,
    /// Each population's named draws, parallel to `Population::draws`.
    pub draws: Vec<Vec<Span>>,
    /// Each projection's declaration.
    pub projections: Vec<Span>,
    /// Each projection's connector call.
    pub connectors: Vec<Span>,
    /// Each projection's pre selection parts.
    pub pre_parts: Vec<Vec<Span>>,
    /// Each projection's post selection parts.
    pub post_parts: Vec<Vec<Span>>,
    /// Each projection's port (or the declaration, if implicit).
    pub ports: Vec<Span>,
    /// Each projection's weight.
    pub weights: Vec<Span>,
    /// Each projection's delay.
    pub delays: Vec<Span>,
    /// Each record item.
    pub records: Vec<Span>,
    /// Each record item's selection parts.
    pub record_parts: Vec<Vec<Span>>,
    /// Each model's declaration.
    pub models: Vec<Span>,
    /// The timestep statement.
    pub timestep: Span,
    /// The network's name.
    pub network: Span,
}
