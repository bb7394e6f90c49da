//! Connector calls (`fixed_probability(0.02)`, `from_file("c.csv")`, ...)
//! to symbolic IR connectors, with PyNN's argument names and defaults.

use super::Net;
use crate::diag::{did_you_mean, Diagnostic};
use crate::front::ast::{self, Expr, ExprKind as AK};
use crate::front::lower::consts::{wrong_dim, Const};
use crate::front::lower::dims;
use crate::front::lower::values::{bind, connector_expr, ValueCx};
use spikec_ir::network::*;
use spikec_ir::{Dim, Span};

impl Net<'_> {
    pub(super) fn connector(&mut self, e: &Expr, weight_dim: Dim) -> Option<Connector> {
        let AK::Call { callee, args } = &e.kind else {
            self.diags.push(
                Diagnostic::error(
                    "E0016",
                    "expected a connector such as `fixed_probability(0.1)`",
                )
                .primary(e.span, "not a connector")
                .help(format!("connectors: {}", CONNECTORS.join(", "))),
            );
            return None;
        };
        let r = self.connector_call(&callee.name, callee.span, e.span, args, weight_dim);
        self.ok(r)
    }

    fn connector_call(
        &mut self,
        name: &str,
        name_span: Span,
        span: Span,
        args: &[ast::Arg],
        weight_dim: Dim,
    ) -> Result<Connector, Diagnostic> {
        let env = &self.env;
        let flag = |slot: Option<&Expr>, name: &str, default: bool| {
            slot.map_or(Ok(default), |e| env.boolean(e, name))
        };
        let prob = |e: &Expr| -> Result<f64, Diagnostic> {
            env.number(e, Dim::NONE, "a connection probability")
        };
        Ok(match name {
            "one_to_one" => {
                bind(name, span, args, &[], 0)?;
                Connector::OneToOne
            }
            "all_to_all" => {
                let s = bind(name, span, args, &["autapses"], 0)?;
                Connector::AllToAll {
                    autapses: flag(s[0], "autapses", true)?,
                }
            }
            "fixed_probability" => {
                let s = bind(name, span, args, &["p", "autapses"], 1)?;
                Connector::FixedProbability {
                    p: prob(s[0].expect("bound"))?,
                    autapses: flag(s[1], "autapses", true)?,
                }
            }
            "fixed_number_pre" | "fixed_number_post" | "fixed_total_number" => {
                let s = bind(name, span, args, &["n", "autapses", "multapses"], 1)?;
                let n = env.whole(s[0].expect("bound"), "the number of connections")?;
                let autapses = flag(s[1], "autapses", true)?;
                let multapses = flag(s[2], "multapses", name == "fixed_total_number")?;
                match name {
                    "fixed_number_pre" => Connector::FixedNumberPre {
                        n,
                        autapses,
                        multapses,
                    },
                    "fixed_number_post" => Connector::FixedNumberPost {
                        n,
                        autapses,
                        multapses,
                    },
                    _ => Connector::FixedTotalNumber {
                        n,
                        autapses,
                        multapses,
                    },
                }
            }
            "distance_dependent" => {
                let s = bind(name, span, args, &["p", "autapses"], 1)?;
                let pe = s[0].expect("bound");
                let (id, t) = connector_expr(env, &mut self.net.exprs, pe)?;
                // A condition is a probability of 0 or 1, as in PyNN's
                // `"d < 3"`.
                let d = match t {
                    dims::Ty::Bool => None,
                    dims::Ty::Num(d) => d,
                };
                if let Some(d) = d {
                    if !d.is_none() {
                        return Err(wrong_dim(pe.span, "a connection probability", Dim::NONE, d)
                            .note("`d` is the distance in um; write e.g. `exp(-d / 100 um)`"));
                    }
                }
                Connector::DistanceDependent {
                    probability: id,
                    autapses: flag(s[1], "autapses", true)?,
                }
            }
            "from_list" => {
                let s = bind(name, span, args, &["connections"], 1)?;
                let le = s[0].expect("bound");
                let Const::List(items) = env.eval(le)? else {
                    return Err(
                        Diagnostic::error("E0018", "`from_list` takes a list of tuples")
                            .primary(le.span, "not a list")
                            .help("write `from_list([(0, 1), (1, 2, 0.5 nA, 1 ms)])`"),
                    );
                };
                let mut conns = Vec::new();
                for (item, ispan) in items {
                    let fields = match item {
                        Const::Tuple(f) => f,
                        _ => {
                            return Err(Diagnostic::error(
                                "E0018",
                                "each connection is a tuple `(pre, post[, weight[, delay]])`",
                            )
                            .primary(ispan, "not a tuple")
                            .help("write `(0, 1)` or `(0, 1, 0.5 nA, 1 ms)`"))
                        }
                    };
                    if !(2..=4).contains(&fields.len()) {
                        return Err(Diagnostic::error(
                            "E0017",
                            format!("a connection has 2 to 4 fields, found {}", fields.len()),
                        )
                        .primary(ispan, "wrong number of fields")
                        .help("`(pre, post[, weight[, delay]])`"));
                    }
                    let mut nums = Vec::new();
                    for (i, (f, fs)) in fields.iter().enumerate() {
                        let (want, what) = match i {
                            0 | 1 => (Dim::NONE, "a neuron index"),
                            2 => (weight_dim, "a weight"),
                            _ => (Dim::TIME, "a delay"),
                        };
                        let Const::Num(v, d) = f else {
                            return Err(crate::front::lower::consts::not_number(
                                f,
                                *fs,
                                &format!("as {what}"),
                            ));
                        };
                        if let Some(d) = d {
                            if *d != want {
                                return Err(wrong_dim(*fs, what, want, *d));
                            }
                        }
                        if i < 2 && (*v < 0.0 || v.fract() != 0.0 || *v > u32::MAX as f64) {
                            return Err(Diagnostic::error(
                                "E0040",
                                format!(
                                    "neuron index must be a non-negative whole number, found {v}"
                                ),
                            )
                            .primary(*fs, "not an index")
                            .help("indices start at 0"));
                        }
                        nums.push(*v);
                    }
                    conns.push(ListedConnection {
                        pre: nums[0] as u32,
                        post: nums[1] as u32,
                        weight: nums.get(2).copied(),
                        delay: nums.get(3).copied(),
                    });
                }
                Connector::FromList {
                    connections: conns,
                    origin: None,
                }
            }
            "from_file" => {
                let s = bind(name, span, args, &["file"], 1)?;
                let vcx = ValueCx {
                    env,
                    dir: &self.dir,
                    draws: &[],
                };
                let (file, fspan) = vcx.string(s[0].expect("bound"))?;
                let table = crate::front::lower::csv::read_table(&self.dir, &file, fspan)?;
                let pre = table.column("pre", fspan)?;
                let post = table.column("post", fspan)?;
                let w = table.names.iter().position(|n| n == "weight");
                let d = table.names.iter().position(|n| n == "delay");
                if let Some(w) = w {
                    if table.dims[w] != weight_dim {
                        return Err(
                            wrong_dim(fspan, "column `weight`", weight_dim, table.dims[w])
                                .note("write the unit in the header, e.g. `weight[nA]`"),
                        );
                    }
                }
                if let Some(d) = d {
                    if table.dims[d] != Dim::TIME {
                        return Err(wrong_dim(fspan, "column `delay`", Dim::TIME, table.dims[d])
                            .note("write the unit in the header: `delay[ms]`"));
                    }
                }
                let mut conns = Vec::new();
                for row in &table.rows {
                    let (a, b) = (row[pre], row[post]);
                    if a < 0.0
                        || b < 0.0
                        || a.fract() != 0.0
                        || b.fract() != 0.0
                        || a > u32::MAX as f64
                        || b > u32::MAX as f64
                    {
                        return Err(Diagnostic::error("E0047", format!("`{file}`: neuron indices must be non-negative whole numbers, found ({a}, {b})")).primary(fspan, "in this file").help("indices start at 0"));
                    }
                    conns.push(ListedConnection {
                        pre: a as u32,
                        post: b as u32,
                        weight: w.map(|i| row[i]),
                        delay: d.map(|i| row[i]),
                    });
                }
                Connector::FromList {
                    connections: conns,
                    origin: Some(file),
                }
            }
            other => {
                let d = Diagnostic::error("E0016", format!("unknown connector `{other}`"))
                    .primary(name_span, "not a connector");
                return Err(match did_you_mean(other, CONNECTORS.iter().copied()) {
                    Some(h) => d.help(h),
                    None => d.help(format!("connectors: {}", CONNECTORS.join(", "))),
                });
            }
        })
    }
}

const CONNECTORS: &[&str] = &[
    "one_to_one",
    "all_to_all",
    "fixed_probability",
    "fixed_number_pre",
    "fixed_number_post",
    "fixed_total_number",
    "distance_dependent",
    "from_list",
    "from_file",
];
