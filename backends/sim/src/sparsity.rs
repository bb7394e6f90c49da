//! Which terms of an exact step can be left out. Both engines skip exactly
//! the same terms, in the same order, so they stay bit-identical; what is
//! skipped is zero for every neuron of the population (the lower triangle of
//! a propagator whose states do not feed back, a zero input offset), so
//! leaving it out changes nothing but the sign of a zero.

use spikec_ir::eval::Precision;
use spikec_ir::program::Propagator;

/// The terms of `x <- P (x - c) + c + q` that are nonzero for some neuron.
#[derive(Clone, Debug, PartialEq)]
pub struct Sparsity {
    /// `P[r][c]`, row-major.
    pub p: Vec<bool>,
    /// `c[s]`.
    pub c: Vec<bool>,
    /// `q[s]`.
    pub q: Vec<bool>,
}

impl Sparsity {
    /// The pattern of a population's propagators.
    pub fn of(props: &[Propagator]) -> Sparsity {
        let any =
            |f: &dyn Fn(&Propagator) -> &[f64], k: usize| props.iter().any(|p| f(p)[k] != 0.0);
        let (np, ns) = props.first().map_or((0, 0), |p| (p.p.len(), p.c.len()));
        Sparsity {
            p: (0..np).map(|k| any(&|p| &p.p, k)).collect(),
            c: (0..ns).map(|k| any(&|p| &p.c, k)).collect(),
            q: (0..ns).map(|k| any(&|p| &p.q, k)).collect(),
        }
    }

    /// One step for one neuron, with the interpreter's order of operations:
    /// the kept terms of each row summed left to right, then `c`, then `q`.
    pub fn step(&self, prop: &Propagator, x: &[f64], out: &mut Vec<f64>, q: Precision) {
        let ns = x.len();
        out.clear();
        for r in 0..ns {
            let mut dev: Option<f64> = None;
            for (c, &xc) in x.iter().enumerate() {
                if self.p[r * ns + c] {
                    let dx = if self.c[c] {
                        q.round(xc - prop.c[c])
                    } else {
                        xc
                    };
                    let term = q.round(prop.p[r * ns + c] * dx);
                    dev = Some(dev.map_or(term, |d| q.round(d + term)));
                }
            }
            let mut v = dev.unwrap_or(-0.0);
            if self.c[r] {
                v = q.round(v + prop.c[r]);
            }
            if self.q[r] {
                v = q.round(v + prop.q[r]);
            }
            out.push(v);
        }
    }
}
