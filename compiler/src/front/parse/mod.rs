//! Parsing: source text → [`ast::File`] with spans, using the pest grammar in
//! `snn.pest`. The parser knows nothing about names or units; it only shapes
//! the tree. A syntax error becomes diagnostic E0001 pointing at the first
//! token the grammar could not accept, with what it expected there.

use pest::iterators::Pair;
use pest::Parser;

use crate::diag::Diagnostic;
use crate::front::ast::*;
use spikec_ir::Span;

#[derive(pest_derive::Parser)]
#[grammar = "front/parse/snn.pest"]
struct SnnParser;

/// Parses one file. `file` is its id in the source map (spans carry it).
pub fn parse(file: u32, src: &str) -> Result<File, Diagnostic> {
    // Literal tokens (`->`, `}`) are only reported with detail enabled.
    pest::set_error_detail(true);
    let mut pairs = SnnParser::parse(Rule::file, src).map_err(|e| syntax_error(file, src, e))?;
    let top = pairs
        .next()
        .ok_or_else(|| Diagnostic::error("E0001", "empty parse"))?;
    check_nesting(file, top.clone())?;
    let b = Builder { file };
    let mut items = Vec::new();
    for p in top.into_inner() {
        if p.as_rule() == Rule::EOI {
            break;
        }
        items.push(b.item(p));
    }
    Ok(File { items })
}

/// How deeply expressions may nest, counting each operand of an operator
/// chain (`1 + 1 + ...` folds into a left-leaning tree). Far beyond any
/// real network; it keeps the recursive passes after parsing within their
/// stack on hostile input.
pub const MAX_NESTING: usize = 1000;

/// Rejects expressions nested deeper than [`MAX_NESTING`], walking the parse
/// tree with an explicit stack so that the check itself cannot overflow.
fn check_nesting(file: u32, top: Pair<'_, Rule>) -> Result<(), Diagnostic> {
    let mut stack = vec![(top, 0usize)];
    while let Some((pair, depth)) = stack.pop() {
        if depth > MAX_NESTING {
            let s = pair.as_span();
            return Err(Diagnostic::error(
                "E0001",
                format!("expression nested more than {MAX_NESTING} levels deep"),
            )
            .primary(Span::new(file, s.start(), s.end()), "too deeply nested")
            .help("split it into `let` definitions or network `param`s"));
        }
        // Count the levels the AST will have, not pest's wrapper rules: an
        // operator chain of n operands folds into n - 1 nested nodes.
        let rule = pair.as_rule();
        let children: Vec<_> = pair.into_inner().collect();
        let step = match rule {
            Rule::or_expr
            | Rule::and_expr
            | Rule::not_expr
            | Rule::cmp_expr
            | Rule::sum
            | Rule::product
            | Rule::unary => children.len().saturating_sub(1),
            Rule::paren | Rule::tuple | Rule::call | Rule::list => 1,
            Rule::power => children.len().saturating_sub(1),
            _ => 0,
        };
        stack.extend(children.into_iter().map(|c| (c, depth + step)));
    }
    Ok(())
}

fn syntax_error(file: u32, src: &str, e: pest::error::Error<Rule>) -> Diagnostic {
    let mut pos = match e.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((a, _)) => a,
    };
    // The furthest point any alternative reached, with the literal tokens it
    // wanted there: more precise than pest's rule-level position.
    let mut literal_expected: Vec<String> = Vec::new();
    if let Some(att) = e.parse_attempts() {
        let at_space = src[att.max_position.min(src.len())..].starts_with(char::is_whitespace);
        if att.max_position >= pos && att.max_position <= src.len() && !at_space {
            for t in att.expected_tokens() {
                // `ParsingToken` is not exported; its text tells the kinds apart.
                let text = t.to_string();
                let name = if text == "BUILTIN_RULE"
                    || text.trim().is_empty()
                    || text == "#"
                    || text == "//"
                {
                    continue;
                } else if text.chars().count() == 4
                    && text.chars().nth(1) == Some('.')
                    && text.chars().nth(2) == Some('.')
                {
                    if text.starts_with(|c: char| c.is_ascii_digit()) {
                        "a number".to_string()
                    } else {
                        "a name".to_string()
                    }
                } else {
                    format!("`{text}`")
                };
                if name != "`_`" {
                    literal_expected.push(name);
                }
            }
            literal_expected.sort();
            literal_expected.dedup();
            if literal_expected.len() <= 6 {
                pos = att.max_position;
            } else {
                literal_expected.clear();
            }
        }
    }
    // Point at the whole offending token, not one byte.
    let rest = &src[pos.min(src.len())..];
    let len = rest
        .char_indices()
        .find(|(i, c)| c.is_whitespace() || (*i > 0 && !c.is_alphanumeric() && *c != '_'))
        .map(|(i, _)| i)
        .unwrap_or(rest.len())
        .max(rest.chars().next().map_or(0, char::len_utf8));
    let found = if rest.is_empty() {
        "end of file".to_string()
    } else {
        format!("`{}`", &rest[..len])
    };
    let span = Span::new(file, pos, pos + len);
    let expected = match &e.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } => {
            let mut names: Vec<&str> = positives.iter().filter_map(|r| rule_name(*r)).collect();
            names.sort_unstable();
            names.dedup();
            names
        }
        pest::error::ErrorVariant::CustomError { .. } => Vec::new(),
    };
    let mut expected: Vec<String> = expected.into_iter().map(String::from).collect();
    if !literal_expected.is_empty() {
        expected = literal_expected;
    }
    let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
    let message = if expected.is_empty() {
        format!("unexpected {found}")
    } else {
        format!("expected {}, found {found}", join_or(&expected))
    };
    let mut d = Diagnostic::error("E0001", message).primary(span, "unexpected here");
    if rest.is_empty() {
        d = d.help("the file ends in the middle of a statement: is a `}` or a value missing?");
    } else if expected
        .iter()
        .any(|e| e.contains("name") || e.contains("identifier"))
        && starts_with_keyword(rest)
    {
        d = d.help("this word is a keyword and cannot be used as a name");
    } else {
        d = d.help("compare the statement with the language reference in docs/language.md");
    }
    d
}

fn starts_with_keyword(rest: &str) -> bool {
    let word: String = rest
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    SnnParser::parse(Rule::keyword, &word).is_ok_and(|p| p.as_str() == word)
}

fn join_or(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [a] => a.to_string(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

fn rule_name(r: Rule) -> Option<&'static str> {
    Some(match r {
        Rule::ident => "an identifier",
        Rule::expr
        | Rule::or_expr
        | Rule::and_expr
        | Rule::not_expr
        | Rule::cmp_expr
        | Rule::sum
        | Rule::product
        | Rule::unary
        | Rule::power
        | Rule::value => "an expression",
        Rule::number | Rule::quantity => "a number",
        Rule::string => "a string",
        Rule::network | Rule::kw_network => "`network`",
        Rule::import | Rule::kw_import => "`import`",
        Rule::neuron_model | Rule::kw_neuron => "`neuron`",
        Rule::source_model | Rule::kw_source_model => "`source_model`",
        Rule::synapse_model | Rule::kw_synapse => "`synapse`",
        Rule::trace | Rule::kw_trace => "`trace`",
        Rule::on_block | Rule::kw_on => "`on pre` or `on post`",
        Rule::on_side => "`pre` or `post`",
        Rule::alias | Rule::kw_alias => "`alias`",
        Rule::timestep | Rule::kw_timestep => "`timestep`",
        Rule::semantics | Rule::kw_semantics => "`semantics`",
        Rule::seed | Rule::kw_seed => "`seed`",
        Rule::param_decl | Rule::kw_param => "`param`",
        Rule::population | Rule::pop_kw => "`population`",
        Rule::view | Rule::kw_view => "`view`",
        Rule::connect | Rule::kw_connect | Rule::kw_projection => "`connect`",
        Rule::record | Rule::kw_record => "`record`",
        Rule::parameter | Rule::kw_parameter => "`parameter`",
        Rule::state | Rule::kw_state => "`state`",
        Rule::let_def | Rule::kw_let => "`let`",
        Rule::ode => "an equation `x' = ...`",
        Rule::input | Rule::kw_input => "`input`",
        Rule::spike | Rule::kw_spike => "`spike`",
        Rule::refractory | Rule::kw_refractory => "`refractory`",
        Rule::emit | Rule::kw_emit => "`emit`",
        Rule::conn_setting | Rule::conn_key => "`port`, `weight`, `delay` or `synapse`",
        Rule::pop_setting => "a setting `name = value`",
        Rule::pop_per_core => "`neurons_per_core N`",
        Rule::call => "a call",
        Rule::selection | Rule::selection_term => "a population",
        Rule::cmp_op => "a comparison",
        Rule::add_op | Rule::mul_op => "an operator",
        Rule::structure | Rule::kw_at => "`at`",
        Rule::reset_block => "`{`",
        Rule::EOI => "end of file",
        _ => return None,
    })
}

/// Turns pest pairs into AST nodes. The grammar guarantees the shapes
/// matched here, so a mismatch is a bug in this file, not in the input;
/// even then we return a placeholder rather than panic.
struct Builder {
    file: u32,
}

fn is_kw(r: Rule) -> bool {
    matches!(
        r,
        Rule::kw_network
            | Rule::kw_neuron
            | Rule::kw_source_model
            | Rule::kw_source
            | Rule::kw_synapse
            | Rule::kw_trace
            | Rule::kw_on
            | Rule::kw_population
            | Rule::kw_projection
            | Rule::kw_connect
            | Rule::kw_record
            | Rule::kw_view
            | Rule::kw_param
            | Rule::kw_parameter
            | Rule::kw_state
            | Rule::kw_let
            | Rule::kw_input
            | Rule::kw_spike
            | Rule::kw_refractory
            | Rule::kw_clamp
            | Rule::kw_solver
            | Rule::kw_emit
            | Rule::kw_alias
            | Rule::kw_import
            | Rule::kw_timestep
            | Rule::kw_semantics
            | Rule::kw_seed
            | Rule::kw_at
            | Rule::kw_for
            | Rule::kw_and
            | Rule::kw_or
            | Rule::kw_not
    )
}

/// The children of a pair, without keyword tokens.
fn kids(p: Pair<'_, Rule>) -> Vec<Pair<'_, Rule>> {
    p.into_inner().filter(|c| !is_kw(c.as_rule())).collect()
}

impl Builder {
    fn span(&self, p: &Pair<'_, Rule>) -> Span {
        let s = p.as_span();
        Span::new(self.file, s.start(), s.end())
    }

    fn ident(&self, p: Pair<'_, Rule>) -> Ident {
        Ident {
            name: p.as_str().to_string(),
            span: self.span(&p),
        }
    }

    fn placeholder(&self, span: Span) -> Expr {
        Expr {
            kind: ExprKind::Name(String::new()),
            span,
        }
    }

    fn item(&self, p: Pair<'_, Rule>) -> Item {
        match p.as_rule() {
            Rule::import => {
                let s = kids(p).into_iter().next();
                let (path, span) = match s {
                    Some(s) => (
                        s.clone()
                            .into_inner()
                            .next()
                            .map_or("", |i| i.as_str())
                            .to_string(),
                        self.span(&s),
                    ),
                    None => (String::new(), Span::DUMMY),
                };
                Item::Import(Import { path, span })
            }
            Rule::neuron_model => {
                let mut k = kids(p).into_iter();
                let name = self.ident(k.next().expect("grammar: neuron name"));
                let stmts = k.map(|s| self.model_stmt(s)).collect();
                Item::Neuron(NeuronDecl { name, stmts })
            }
            Rule::source_model => {
                let mut k = kids(p).into_iter();
                let name = self.ident(k.next().expect("grammar: source name"));
                let mut params = Vec::new();
                let mut emits = Vec::new();
                for s in k {
                    match s.as_rule() {
                        Rule::parameter => params.extend(kids(s).into_iter().map(|d| self.decl(d))),
                        Rule::emit => {
                            if let Some(c) = kids(s).into_iter().next() {
                                emits.push(self.call(c));
                            }
                        }
                        _ => {}
                    }
                }
                Item::SourceModel(SourceModelDecl {
                    name,
                    params,
                    emits,
                })
            }
            Rule::synapse_model => self.synapse_model(p),
            Rule::alias => {
                let mut k = kids(p).into_iter();
                let name = self.ident(k.next().expect("grammar: alias name"));
                let base = self.ident(k.next().expect("grammar: alias base"));
                let items = k
                    .map(|it| {
                        let mut parts = kids(it).into_iter();
                        let name = self.ident(parts.next().expect("grammar: alias item"));
                        let mut renames = None;
                        let mut value = None;
                        for q in parts {
                            match q.as_rule() {
                                Rule::ident => renames = Some(self.ident(q)),
                                _ => value = Some(self.value(q)),
                            }
                        }
                        AliasItem {
                            name,
                            renames,
                            value,
                        }
                    })
                    .collect();
                Item::Alias(AliasDecl { name, base, items })
            }
            Rule::network => {
                let mut k = kids(p).into_iter();
                let name = self.ident(k.next().expect("grammar: network name"));
                let items = k.map(|i| self.net_item(i)).collect();
                Item::Network(NetworkDecl { name, items })
            }
            _ => Item::Import(Import {
                path: String::new(),
                span: self.span(&p),
            }),
        }
    }

    fn net_item(&self, p: Pair<'_, Rule>) -> NetItem {
        let span = self.span(&p);
        match p.as_rule() {
            Rule::timestep => NetItem::Timestep(self.first_expr(p, span)),
            Rule::semantics => match kids(p).into_iter().next() {
                Some(n) => NetItem::Semantics(self.ident(n)),
                None => NetItem::Params(Vec::new()),
            },
            Rule::seed => NetItem::Seed(self.first_expr(p, span)),
            Rule::param_decl => {
                NetItem::Params(kids(p).into_iter().map(|d| self.name_value(d)).collect())
            }
            Rule::population => {
                let mut k = kids(p).into_iter();
                let kw = k.next().expect("grammar: pop kw");
                let kw_span = self.span(&kw);
                let is_source_kw = kw
                    .into_inner()
                    .next()
                    .is_some_and(|i| i.as_rule() == Rule::kw_source);
                let name = self.ident(k.next().expect("grammar: pop name"));
                let model = self.ident(k.next().expect("grammar: pop model"));
                let size = k
                    .next()
                    .map(|e| self.expr(e))
                    .unwrap_or_else(|| self.placeholder(span));
                let mut structure = None;
                let mut draws = Vec::new();
                let mut settings = Vec::new();
                let mut neurons_per_core = None;
                for q in k {
                    match q.as_rule() {
                        Rule::structure => {
                            structure = kids(q).into_iter().next().map(|c| self.call(c));
                        }
                        Rule::pop_body => {
                            for s in kids(q) {
                                if s.as_rule() == Rule::pop_per_core {
                                    let e = kids(s)
                                        .into_iter()
                                        .find(|c| c.as_rule() != Rule::kw_neurons_per_core)
                                        .map(|e| self.expr(e))
                                        .unwrap_or_else(|| self.placeholder(span));
                                    neurons_per_core = Some(e);
                                    continue;
                                }
                                let is_draw = s.as_rule() == Rule::pop_draw;
                                let mut sk = kids(s).into_iter();
                                let n = self.ident(sk.next().expect("grammar: setting name"));
                                let v = sk
                                    .next()
                                    .map(|v| self.value(v))
                                    .unwrap_or_else(|| self.placeholder(n.span));
                                if is_draw {
                                    draws.push((n, v));
                                } else {
                                    settings.push((n, v));
                                }
                            }
                        }
                        _ => {}
                    }
                }
                NetItem::Population(PopulationDecl {
                    is_source_kw,
                    kw_span,
                    name,
                    model,
                    size,
                    structure,
                    settings,
                    draws,
                    neurons_per_core,
                })
            }
            Rule::view => {
                let mut k = kids(p).into_iter();
                let name = self.ident(k.next().expect("grammar: view name"));
                let sel = self.selection(k.next().expect("grammar: view selection"));
                NetItem::View(name, sel)
            }
            Rule::connect => {
                let mut name = None;
                let mut sels = Vec::new();
                let mut connector = None;
                let mut settings = Vec::new();
                let start = p.as_span().start();
                let k = kids(p);
                for q in k {
                    match q.as_rule() {
                        Rule::ident => name = Some(self.ident(q)),
                        Rule::selection => sels.push(self.selection(q)),
                        Rule::call => connector = Some(self.call(q)),
                        Rule::conn_body => {
                            for s in kids(q) {
                                let mut sk = kids(s).into_iter();
                                let key = self.ident(sk.next().expect("grammar: conn key"));
                                let v = sk
                                    .next()
                                    .map(|v| self.value(v))
                                    .unwrap_or_else(|| self.placeholder(key.span));
                                settings.push((key, v));
                            }
                        }
                        _ => {}
                    }
                }
                let connector = connector.unwrap_or_else(|| self.placeholder(span));
                let head_end = connector.span.end as usize;
                let mut sels = sels.into_iter();
                let pre = sels.next().unwrap_or(SelectionExpr {
                    terms: vec![],
                    span,
                });
                let post = sels.next().unwrap_or(SelectionExpr {
                    terms: vec![],
                    span,
                });
                NetItem::Connect(ConnectDecl {
                    name,
                    pre,
                    post,
                    connector,
                    settings,
                    span: Span::new(self.file, start, head_end.max(start)),
                })
            }
            Rule::record => NetItem::Record(
                kids(p)
                    .into_iter()
                    .map(|r| {
                        let span = self.span(&r);
                        let mut k = kids(r).into_iter();
                        let target = self.selection_term(k.next().expect("grammar: record target"));
                        let var = self.ident(k.next().expect("grammar: record var"));
                        RecordItem { target, var, span }
                    })
                    .collect(),
            ),
            _ => NetItem::Item(self.item(p)),
        }
    }

    fn first_expr(&self, p: Pair<'_, Rule>, span: Span) -> Expr {
        kids(p)
            .into_iter()
            .next()
            .map(|e| self.expr(e))
            .unwrap_or_else(|| self.placeholder(span))
    }

    fn selection(&self, p: Pair<'_, Rule>) -> SelectionExpr {
        let span = self.span(&p);
        SelectionExpr {
            terms: kids(p)
                .into_iter()
                .map(|t| self.selection_term(t))
                .collect(),
            span,
        }
    }

    fn selection_term(&self, p: Pair<'_, Rule>) -> SelectionTerm {
        let span = self.span(&p);
        let mut k = kids(p).into_iter();
        let name = self.ident(k.next().expect("grammar: selection name"));
        let index = k
            .next()
            .and_then(|set| kids(set).into_iter().next())
            .map(|inner| match inner.as_rule() {
                Rule::index_range => {
                    let mut e = kids(inner).into_iter().map(|x| self.expr(x));
                    let a = e.next().unwrap_or_else(|| self.placeholder(span));
                    let b = e.next().unwrap_or_else(|| self.placeholder(span));
                    IndexExpr::Range(a, b)
                }
                _ => IndexExpr::List(kids(inner).into_iter().map(|x| self.expr(x)).collect()),
            });
        SelectionTerm { name, index, span }
    }

    fn decl(&self, p: Pair<'_, Rule>) -> Decl {
        let mut k = kids(p).into_iter();
        let name = self.ident(k.next().expect("grammar: decl name"));
        let mut unit = None;
        let mut value = None;
        let mut weight = false;
        for q in k {
            if q.as_rule() == Rule::type_ann {
                let span = self.span(&q);
                let mut units = Vec::new();
                if let Some(ue) = q.into_inner().next() {
                    if ue.as_rule() == Rule::weight_type {
                        weight = true;
                    } else {
                        let mut sign = 1;
                        for part in ue.into_inner() {
                            self.unit_part(part, &mut sign, &mut units);
                        }
                    }
                }
                unit = Some((units, span));
            } else {
                value = Some(self.value(q));
            }
        }
        Decl {
            name,
            unit,
            value,
            weight,
        }
    }

    /// `name = expr` (a parameter definition or an assignment).
    fn name_value(&self, p: Pair<'_, Rule>) -> (Ident, Expr) {
        let mut k = kids(p).into_iter();
        let name = self.ident(k.next().expect("grammar: a name"));
        let e = k
            .next()
            .map(|e| self.expr(e))
            .unwrap_or_else(|| self.placeholder(name.span));
        (name, e)
    }

    fn synapse_model(&self, p: Pair<'_, Rule>) -> Item {
        let mut k = kids(p).into_iter();
        let name = self.ident(k.next().expect("grammar: synapse name"));
        let mut d = SynapseDecl {
            name,
            params: Vec::new(),
            states: Vec::new(),
            traces: Vec::new(),
            blocks: Vec::new(),
        };
        for s in k {
            match s.as_rule() {
                Rule::parameter => d.params.extend(kids(s).into_iter().map(|x| self.decl(x))),
                Rule::state => d.states.extend(kids(s).into_iter().map(|x| self.decl(x))),
                Rule::trace => {
                    let span = self.span(&s);
                    let mut t = kids(s).into_iter();
                    let n = self.ident(t.next().expect("grammar: trace name"));
                    let call = t
                        .next()
                        .map(|c| self.call(c))
                        .unwrap_or_else(|| self.placeholder(span));
                    d.traces.push((n, call));
                }
                Rule::on_block => {
                    let mut t = kids(s).into_iter();
                    let side = t.next().expect("grammar: on side");
                    let span = self.span(&side);
                    let pre = side.as_str() == "pre";
                    let assigns = t.map(|a| self.name_value(a)).collect();
                    d.blocks.push(EventBlock { pre, span, assigns });
                }
                _ => {}
            }
        }
        Item::Synapse(d)
    }

    fn refractory(&self, p: Pair<'_, Rule>) -> RefractoryDecl {
        let span = self.span(&p);
        let mut k = kids(p).into_iter();
        let period = k
            .next()
            .map(|e| self.expr(e))
            .unwrap_or_else(|| self.placeholder(span));
        let clamp = k.next().map(|c| self.ident(c));
        RefractoryDecl {
            period,
            clamp,
            span,
        }
    }

    fn model_stmt(&self, p: Pair<'_, Rule>) -> ModelStmt {
        let span = self.span(&p);
        match p.as_rule() {
            Rule::parameter => {
                ModelStmt::Parameters(kids(p).into_iter().map(|d| self.decl(d)).collect())
            }
            Rule::state => ModelStmt::States(kids(p).into_iter().map(|d| self.decl(d)).collect()),
            Rule::let_def | Rule::ode => {
                let is_let = p.as_rule() == Rule::let_def;
                let mut k = kids(p).into_iter();
                let name = self.ident(k.next().expect("grammar: lhs"));
                let e = k
                    .next()
                    .map(|e| self.expr(e))
                    .unwrap_or_else(|| self.placeholder(span));
                if is_let {
                    ModelStmt::Let(name, e)
                } else {
                    ModelStmt::Ode(name, e)
                }
            }
            Rule::input => ModelStmt::Inputs(
                kids(p)
                    .into_iter()
                    .map(|d| {
                        let mut k = kids(d).into_iter();
                        let name = self.ident(k.next().expect("grammar: port name"));
                        let target = self.ident(k.next().expect("grammar: port target"));
                        let scale = k.next().map(|e| self.expr(e));
                        PortDecl {
                            name,
                            target,
                            scale,
                        }
                    })
                    .collect(),
            ),
            Rule::spike => {
                let mut condition = None;
                let mut resets = Vec::new();
                let mut refractory = None;
                let mut head = span;
                for q in kids(p) {
                    match q.as_rule() {
                        Rule::reset_block => {
                            resets.extend(kids(q).into_iter().map(|a| self.name_value(a)));
                        }
                        Rule::refractory => refractory = Some(self.refractory(q)),
                        _ => {
                            let e = self.expr(q);
                            head = Span {
                                end: e.span.end,
                                ..span
                            };
                            condition = Some(e);
                        }
                    }
                }
                ModelStmt::Spike {
                    condition: condition.unwrap_or_else(|| self.placeholder(span)),
                    resets,
                    refractory,
                    span: head,
                }
            }
            Rule::solver => match kids(p).into_iter().next() {
                Some(name) => ModelStmt::Solver(self.ident(name)),
                None => ModelStmt::Parameters(Vec::new()),
            },
            _ => ModelStmt::Refractory(self.refractory(p)),
        }
    }

    fn value(&self, p: Pair<'_, Rule>) -> Expr {
        match p.as_rule() {
            Rule::value => {
                let span = self.span(&p);
                kids(p)
                    .into_iter()
                    .next()
                    .map(|c| self.value(c))
                    .unwrap_or_else(|| self.placeholder(span))
            }
            Rule::list => {
                let span = self.span(&p);
                Expr {
                    kind: ExprKind::List(kids(p).into_iter().map(|v| self.value(v)).collect()),
                    span,
                }
            }
            _ => self.expr(p),
        }
    }

    fn call(&self, p: Pair<'_, Rule>) -> Expr {
        let span = self.span(&p);
        let mut k = kids(p).into_iter();
        let callee = self.ident(k.next().expect("grammar: callee"));
        let args = k
            .map(|a| {
                let mut ak = kids(a).into_iter().peekable();
                let name = if ak.peek().is_some_and(|x| x.as_rule() == Rule::ident) {
                    ak.next().map(|x| self.ident(x))
                } else {
                    None
                };
                let value = ak
                    .next()
                    .map(|v| self.value(v))
                    .unwrap_or_else(|| self.placeholder(span));
                Arg { name, value }
            })
            .collect();
        Expr {
            kind: ExprKind::Call { callee, args },
            span,
        }
    }

    fn binary_chain(&self, p: Pair<'_, Rule>) -> Expr {
        let mut k = kids(p).into_iter();
        let first = k.next().expect("grammar: operand");
        let mut lhs = self.expr(first);
        while let Some(op) = k.next() {
            let Some(rhs) = k.next() else { break };
            let op = match op.as_str() {
                "+" => BinOp::Add,
                "-" => BinOp::Sub,
                "*" => BinOp::Mul,
                "/" => BinOp::Div,
                ">" => BinOp::Gt,
                ">=" => BinOp::Ge,
                "<" => BinOp::Lt,
                "<=" => BinOp::Le,
                "==" => BinOp::Eq,
                "!=" => BinOp::Ne,
                _ => BinOp::Add,
            };
            let rhs = self.expr(rhs);
            let span = lhs.span.join(rhs.span);
            lhs = Expr {
                kind: ExprKind::Binary {
                    op,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                },
                span,
            };
        }
        lhs
    }

    fn logic_chain(&self, p: Pair<'_, Rule>, op: BinOp) -> Expr {
        let mut k = kids(p).into_iter();
        let mut lhs = self.expr(k.next().expect("grammar: operand"));
        for rhs in k {
            let rhs = self.expr(rhs);
            let span = lhs.span.join(rhs.span);
            lhs = Expr {
                kind: ExprKind::Binary {
                    op,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                },
                span,
            };
        }
        lhs
    }

    fn expr(&self, p: Pair<'_, Rule>) -> Expr {
        let span = self.span(&p);
        match p.as_rule() {
            Rule::expr | Rule::paren | Rule::value => kids(p)
                .into_iter()
                .next()
                .map(|c| self.value(c))
                .unwrap_or_else(|| self.placeholder(span)),
            Rule::list => self.value(p),
            Rule::or_expr => self.logic_chain(p, BinOp::Or),
            Rule::and_expr => self.logic_chain(p, BinOp::And),
            Rule::not_expr => {
                let mut k = kids(p);
                let inner = self.expr(k.pop().expect("grammar: operand"));
                k.into_iter().rev().fold(inner, |e, n| Expr {
                    span: self.span(&n).join(e.span),
                    kind: ExprKind::Not(Box::new(e)),
                })
            }
            Rule::cmp_expr | Rule::sum | Rule::product => self.binary_chain(p),
            Rule::unary => {
                let mut k = kids(p);
                let inner = self.expr(k.pop().expect("grammar: operand"));
                k.into_iter().rev().fold(inner, |e, op| {
                    if op.as_str() == "-" {
                        Expr {
                            span: self.span(&op).join(e.span),
                            kind: ExprKind::Neg(Box::new(e)),
                        }
                    } else {
                        e
                    }
                })
            }
            Rule::power => {
                let mut k = kids(p).into_iter();
                let base = self.expr(k.next().expect("grammar: base"));
                match k.next() {
                    Some(exp) => {
                        let exp = self.expr(exp);
                        Expr {
                            kind: ExprKind::Binary {
                                op: BinOp::Pow,
                                lhs: Box::new(base),
                                rhs: Box::new(exp),
                            },
                            span,
                        }
                    }
                    None => base,
                }
            }
            Rule::tuple => Expr {
                kind: ExprKind::Tuple(kids(p).into_iter().map(|e| self.expr(e)).collect()),
                span,
            },
            Rule::call => self.call(p),
            Rule::boolean => Expr {
                kind: ExprKind::Bool(p.as_str() == "true"),
                span,
            },
            Rule::ident => Expr {
                kind: ExprKind::Name(p.as_str().to_string()),
                span,
            },
            Rule::string => Expr {
                kind: ExprKind::Str(p.into_inner().next().map_or("", |s| s.as_str()).to_string()),
                span,
            },
            Rule::quantity => self.quantity(p),
            _ => self.placeholder(span),
        }
    }

    fn quantity(&self, p: Pair<'_, Rule>) -> Expr {
        let span = self.span(&p);
        let mut k = p.into_inner();
        let text = k.next().map_or("0", |n| n.as_str()).to_string();
        let mut units = Vec::new();
        if let Some(ue) = k.next() {
            let mut sign = 1;
            for part in ue.into_inner() {
                self.unit_part(part, &mut sign, &mut units);
            }
        }
        Expr {
            kind: ExprKind::Number { text, units },
            span,
        }
    }

    fn unit_part(&self, p: Pair<'_, Rule>, sign: &mut i32, units: &mut Vec<UnitFactor>) {
        match p.as_rule() {
            Rule::unit_op => *sign = if p.as_str() == "/" { -1 } else { 1 },
            Rule::unit_lead => {
                for q in p.into_inner() {
                    self.unit_part(q, sign, units);
                }
            }
            Rule::unit_first | Rule::unit_atom => {
                let mut k = p.into_inner();
                let Some(name) = k.next() else { return };
                let exp = k
                    .next()
                    .and_then(|pw| pw.into_inner().next())
                    .and_then(|i| i.as_str().parse::<i32>().ok())
                    .unwrap_or(1);
                units.push(UnitFactor {
                    name: name.as_str().to_string(),
                    exp: exp * *sign,
                    span: self.span(&name),
                });
                *sign = 1;
            }
            _ => {}
        }
    }
}

/// Parses a lone value (the right side of `--set name=value`), registered in
/// the source map as its own file so errors in it are shown like any other.
pub fn parse_value(file: u32, src: &str) -> Result<Expr, Diagnostic> {
    let mut pairs =
        SnnParser::parse(Rule::value_only, src).map_err(|e| syntax_error(file, src, e))?;
    let b = Builder { file };
    let top = pairs
        .next()
        .ok_or_else(|| Diagnostic::error("E0001", "empty value"))?;
    let span = b.span(&top);
    Ok(kids(top)
        .into_iter()
        .find(|p| p.as_rule() == Rule::value)
        .map(|v| b.value(v))
        .unwrap_or_else(|| b.placeholder(span)))
}
