//! The abstract syntax tree: what the user wrote, with a span on every node.
//! Nothing is resolved yet; names are strings and numbers keep their literal
//! text so unit conversion can be exact.

use spikec_ir::Span;

/// A name with its position.
#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    /// The name.
    pub name: String,
    /// Where it was written.
    pub span: Span,
}

/// A parsed file.
#[derive(Clone, Debug, Default)]
pub struct File {
    /// Top-level items in source order.
    pub items: Vec<Item>,
}

/// A top-level or network-level item.
#[derive(Clone, Debug)]
pub enum Item {
    /// `import "path"`.
    Import(Import),
    /// `neuron NAME { ... }`.
    Neuron(NeuronDecl),
    /// `source_model NAME { ... }`.
    SourceModel(SourceModelDecl),
    /// `synapse NAME { ... }`.
    Synapse(SynapseDecl),
    /// `alias NAME = BASE { ... }`.
    Alias(AliasDecl),
    /// `network NAME { ... }`.
    Network(NetworkDecl),
}

/// `import "path"`.
#[derive(Clone, Debug)]
pub struct Import {
    /// The path as written.
    pub path: String,
    /// Span of the string.
    pub span: Span,
}

/// `network NAME { ... }`.
#[derive(Clone, Debug)]
pub struct NetworkDecl {
    /// Its name.
    pub name: Ident,
    /// Its items.
    pub items: Vec<NetItem>,
}

/// A statement inside a network.
#[derive(Clone, Debug)]
pub enum NetItem {
    /// A model or import inside the network.
    Item(Item),
    /// `semantics NAME`.
    Semantics(Ident),
    /// `timestep EXPR`.
    Timestep(Expr),
    /// `seed EXPR`.
    Seed(Expr),
    /// `param a = .., b = ..`.
    Params(Vec<(Ident, Expr)>),
    /// `population` / `source`.
    Population(PopulationDecl),
    /// `view NAME = SELECTION`.
    View(Ident, SelectionExpr),
    /// `connect` / `projection`.
    Connect(ConnectDecl),
    /// `record a.b, ...`.
    Record(Vec<RecordItem>),
}

/// `population NAME = MODEL[SIZE] at STRUCTURE { settings }`.
#[derive(Clone, Debug)]
pub struct PopulationDecl {
    /// Written with `source` rather than `population`.
    pub is_source_kw: bool,
    /// Span of the keyword.
    pub kw_span: Span,
    /// Name.
    pub name: Ident,
    /// Model name.
    pub model: Ident,
    /// Size expression.
    pub size: Expr,
    /// Optional `at` structure (a call).
    pub structure: Option<Expr>,
    /// `name = value` settings.
    pub settings: Vec<(Ident, Expr)>,
    /// `let name = distribution(...)`: one draw per neuron, shared by the
    /// settings that name it.
    pub draws: Vec<(Ident, Expr)>,
    /// `neurons_per_core N`: a mapping limit for hardware backends.
    pub neurons_per_core: Option<Expr>,
}

/// One part of a selection: `E` or `E[0..10]` or `E[1, 2]`.
#[derive(Clone, Debug)]
pub struct SelectionTerm {
    /// Population or view name.
    pub name: Ident,
    /// Indices, if any.
    pub index: Option<IndexExpr>,
    /// Span of the whole term.
    pub span: Span,
}

/// Indices of a selection term.
#[derive(Clone, Debug)]
pub enum IndexExpr {
    /// `[a..b]`.
    Range(Expr, Expr),
    /// `[a, b, c]`.
    List(Vec<Expr>),
}

/// A union of selection terms.
#[derive(Clone, Debug)]
pub struct SelectionExpr {
    /// Terms in order.
    pub terms: Vec<SelectionTerm>,
    /// Whole span.
    pub span: Span,
}

/// `connect PRE -> POST : CONNECTOR { settings }`.
#[derive(Clone, Debug)]
pub struct ConnectDecl {
    /// Name, for `projection NAME = ...`.
    pub name: Option<Ident>,
    /// Presynaptic selection.
    pub pre: SelectionExpr,
    /// Postsynaptic selection.
    pub post: SelectionExpr,
    /// Connector call.
    pub connector: Expr,
    /// `port`, `weight`, `delay`, `synapse` settings.
    pub settings: Vec<(Ident, Expr)>,
    /// Span of the whole statement head.
    pub span: Span,
}

/// `record SEL.var`.
#[derive(Clone, Debug)]
pub struct RecordItem {
    /// What is recorded.
    pub target: SelectionTerm,
    /// `spikes` or a state name.
    pub var: Ident,
    /// Whole span.
    pub span: Span,
}

/// `neuron NAME { ... }`.
#[derive(Clone, Debug)]
pub struct NeuronDecl {
    /// Name.
    pub name: Ident,
    /// Statements.
    pub stmts: Vec<ModelStmt>,
}

/// A declaration `name = value` (value optional) in `parameter` / `state`.
#[derive(Clone, Debug)]
pub struct Decl {
    /// Name.
    pub name: Ident,
    /// Declared unit (`parameter cm: nF`); `Some(vec![])` for `: 1`.
    pub unit: Option<(Vec<UnitFactor>, Span)>,
    /// Declared `: weight` (synapse models): the unit of the projection's
    /// weights; `unit` then holds no factors and the annotation's span.
    pub weight: bool,
    /// Default or initial value.
    pub value: Option<Expr>,
}

/// `port -> state * scale`.
#[derive(Clone, Debug)]
pub struct PortDecl {
    /// Port name.
    pub name: Ident,
    /// Receiving state.
    pub target: Ident,
    /// Optional weight scale.
    pub scale: Option<Expr>,
}

/// `refractory EXPR clamp VAR`.
#[derive(Clone, Debug)]
pub struct RefractoryDecl {
    /// Duration.
    pub period: Expr,
    /// Explicit clamped state.
    pub clamp: Option<Ident>,
    /// Whole span.
    pub span: Span,
}

/// A statement in a neuron model.
#[derive(Clone, Debug)]
pub enum ModelStmt {
    /// `parameter ...`.
    Parameters(Vec<Decl>),
    /// `state ...`.
    States(Vec<Decl>),
    /// `let name = expr`.
    Let(Ident, Expr),
    /// `x' = expr`.
    Ode(Ident, Expr),
    /// `input ...`.
    Inputs(Vec<PortDecl>),
    /// `spike COND { resets } refractory ...`.
    Spike {
        /// Condition.
        condition: Expr,
        /// Reset assignments.
        resets: Vec<(Ident, Expr)>,
        /// Attached refractory clause.
        refractory: Option<RefractoryDecl>,
        /// Span of the keyword and condition.
        span: Span,
    },
    /// A standalone `refractory ...`.
    Refractory(RefractoryDecl),
    /// `solver NAME`: the numerical scheme for a nonlinear model.
    Solver(Ident),
}

/// `source_model NAME { parameter ...; emit ... }`.
#[derive(Clone, Debug)]
pub struct SourceModelDecl {
    /// Name.
    pub name: Ident,
    /// Parameter declarations.
    pub params: Vec<Decl>,
    /// `emit` calls.
    pub emits: Vec<Expr>,
}

/// `synapse NAME { parameter ...; state ...; trace ...; on pre { ... } }`.
#[derive(Clone, Debug)]
pub struct SynapseDecl {
    /// Name.
    pub name: Ident,
    /// Parameter declarations.
    pub params: Vec<Decl>,
    /// Per-synapse variables besides the weight `w`.
    pub states: Vec<Decl>,
    /// `trace NAME = pre(tau, ...)` / `post(...)`: name and call.
    pub traces: Vec<(Ident, Expr)>,
    /// `on pre { ... }` / `on post { ... }`: whether it is `pre`, the
    /// keyword's span, and the assignments.
    pub blocks: Vec<EventBlock>,
}

/// An event block of a synapse model.
#[derive(Clone, Debug)]
pub struct EventBlock {
    /// `on pre` rather than `on post`.
    pub pre: bool,
    /// The `on pre` / `on post` head.
    pub span: Span,
    /// Assignments, in order.
    pub assigns: Vec<(Ident, Expr)>,
}

/// `alias NAME = BASE { NEW for OLD = default, ... }`.
#[derive(Clone, Debug)]
pub struct AliasDecl {
    /// New name.
    pub name: Ident,
    /// Base model.
    pub base: Ident,
    /// Renames and defaults.
    pub items: Vec<AliasItem>,
}

/// One alias entry.
#[derive(Clone, Debug)]
pub struct AliasItem {
    /// The new (or unchanged) name.
    pub name: Ident,
    /// The base model's name it renames, if renamed.
    pub renames: Option<Ident>,
    /// New default.
    pub value: Option<Expr>,
}

/// An expression.
#[derive(Clone, Debug)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Where.
    pub span: Span,
}

/// A unit factor in a literal: `mV`, `ms^2` (exponent), with its span.
#[derive(Clone, Debug)]
pub struct UnitFactor {
    /// Unit symbol.
    pub name: String,
    /// Exponent (negative for `/unit`).
    pub exp: i32,
    /// Span of the symbol.
    pub span: Span,
}

/// Expression kinds.
#[derive(Clone, Debug)]
pub enum ExprKind {
    /// A number as written, with unit factors.
    Number {
        /// Literal text (`1.5e-3`).
        text: String,
        /// Units written after it.
        units: Vec<UnitFactor>,
    },
    /// `true` / `false`.
    Bool(bool),
    /// A name.
    Name(String),
    /// `f(args)`.
    Call {
        /// Function / connector / distribution name.
        callee: Ident,
        /// Arguments.
        args: Vec<Arg>,
    },
    /// Unary minus (or a no-op plus).
    Neg(Box<Expr>),
    /// `not`.
    Not(Box<Expr>),
    /// Binary operators, including comparisons and `and`/`or`.
    Binary {
        /// Operator text (`+`, `>=`, `and`, ...).
        op: BinOp,
        /// Left operand.
        lhs: Box<Expr>,
        /// Right operand.
        rhs: Box<Expr>,
    },
    /// `(a, b, ...)`.
    Tuple(Vec<Expr>),
    /// `[a, b, ...]`.
    List(Vec<Expr>),
    /// A string literal (file names).
    Str(String),
}

/// Binary operators of the surface language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `^`
    Pow,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `and`
    And,
    /// `or`
    Or,
}

impl BinOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Pow => "^",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::And => "and",
            BinOp::Or => "or",
        }
    }
}

/// A call argument, positional or named.
#[derive(Clone, Debug)]
pub struct Arg {
    /// `name =`, if named.
    pub name: Option<Ident>,
    /// The value.
    pub value: Expr,
}
