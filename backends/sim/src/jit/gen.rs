//! Code generation for the body of a population's update: one pass of
//! the loop over its neurons (see the module above for the plan).

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{types, Endianness, InstBuilder, MemFlagsData, Type, Value};
use cranelift_frontend::{FunctionBuilder, Variable};

use spikec_ir::eval::Precision;
use spikec_ir::expanded::PerNeuron;
use spikec_ir::expr::{BinaryOp, CmpOp, ExprArena, ExprId, ExprKind, Func, LogicOp};
use spikec_ir::program::{Integrator, Scheme};

use super::{Spec, OFF_REFR_STEPS, OFF_SPIKES, OFF_T0, STEP_LANES};

/// A row of `n` values (one per neuron) at `base + off` bytes: rows at a
/// fixed distance share their base, so that a pass needs one register for
/// all of them and addresses each with an immediate.
#[derive(Clone, Copy)]
pub(super) struct Row {
    pub(super) base: Value,
    pub(super) off: i32,
}

impl Row {
    pub(super) fn at(base: Value) -> Row {
        Row { base, off: 0 }
    }
}

/// The loop-invariant addresses and values the neuron body reads.
pub(super) struct Bases {
    /// Per state, its row.
    pub(super) x_rows: Vec<Row>,
    /// Per propagator entry, its row (empty when shared).
    pub(super) prop_rows: Vec<Row>,
    /// Per port, this step's ring-buffer plane.
    pub(super) planes: Vec<Row>,
    /// Per parameter, its per-neuron array (`None` where constant).
    pub(super) params: Vec<Option<Value>>,
    /// Per port, its per-neuron scales (`None` where constant).
    pub(super) scales: Vec<Option<Value>>,
    /// `Ctx::until`.
    pub(super) until: Row,
    /// The `Ctx` itself: the rare branch loads what only it needs from
    /// there, so that nothing of it stays in a register across the loop.
    pub(super) ctx: Value,
    /// The pointer type.
    pub(super) ptr: Type,
    /// Time at the start of the step.
    pub(super) t0: Value,
}

/// What the rare branch needs of a group: the rest it reloads from memory
/// (the states just stored, `until` as it was), which keeps the values of
/// the branch-free part out of registers across the branch.
struct Pending {
    /// The group's first neuron, from the pass's.
    k: i64,
    /// Which lanes crossed the threshold (an `i8`, or a lane mask); the
    /// ones among them that are not refractory fired.
    crossed: Value,
}

/// The code generator of the loop's body, for one kind of pass (groups of
/// `lanes` neurons from `i`).
pub(super) struct Gen<'a, 's> {
    pub(super) b: FunctionBuilder<'a>,
    pub(super) spec: &'s Spec<'s>,
    pub(super) func_ref: cranelift_codegen::ir::FuncRef,
    pub(super) pow_ref: cranelift_codegen::ir::FuncRef,
    pub(super) round_ref: cranelift_codegen::ir::FuncRef,
    /// The first neuron of the pass.
    pub(super) i: Value,
    /// The first neuron of the group, from `i`.
    pub(super) k: i64,
    /// Neurons per value: 1 (scalar `f64`) or 2 (`f64x2`).
    pub(super) lanes: u8,
    /// `F64` or `F64X2`.
    pub(super) ty: Type,
    /// Per parameter, its per-neuron array (`None` where constant).
    pub(super) param_rows: Vec<Option<Value>>,
    /// Flags of scalar accesses: aligned and not trapping (the caller owns
    /// the buffers and their sizes).
    pub(super) mf: MemFlagsData,
    /// Number of neurons fired so far in this step.
    pub(super) cnt: Variable,
}

impl Gen<'_, '_> {
    fn vector(&self) -> bool {
        self.lanes > 1
    }

    /// Flags of an access of `lanes` values: vector rows are only 8-byte
    /// aligned.
    fn flags(&self) -> MemFlagsData {
        if self.vector() {
            MemFlagsData::new().with_notrap()
        } else {
            self.mf
        }
    }

    /// A scalar in every lane.
    fn splat(&mut self, v: Value) -> Value {
        if self.vector() {
            self.b.ins().splat(self.ty, v)
        } else {
            v
        }
    }

    /// Which lanes are not refractory (`None`: the model has no
    /// refractoriness). Active when `until <= step`, i.e. `step + 1 >
    /// until`: one comparison whose result is the lane mask itself.
    fn active(&mut self, bases: &Bases) -> Option<Value> {
        self.spec.prog.refractory.as_ref()?;
        let u = self.load_i64(bases.until);
        let s1 = self.step1(bases);
        Some(self.b.ins().icmp(IntCC::SignedGreaterThan, s1, u))
    }

    /// The step's number plus one in every lane.
    fn step1(&mut self, bases: &Bases) -> Value {
        let ty = if self.vector() {
            types::I64X2
        } else {
            types::I64
        };
        let flags = self.flags();
        // A neuron is active when its `until` is below this.
        let off = -(STEP_LANES as i32) * 8;
        self.b.ins().load(ty, flags, bases.until.base, off)
    }

    fn f(&mut self, v: f64) -> Value {
        let c = self.b.ins().f64const(v);
        self.splat(c)
    }

    /// A constant of the arithmetic, already in the precision.
    fn fq(&mut self, v: f64) -> Value {
        let v = self.spec.precision.round(v);
        self.f(v)
    }

    /// Applies a scalar operation lane by lane.
    fn per_lane(&mut self, args: &[Value], op: impl Fn(&mut Self, &[Value]) -> Value) -> Value {
        if !self.vector() {
            return op(self, args);
        }
        let mut out: Option<Value> = None;
        for lane in 0..self.lanes {
            let scalars: Vec<Value> = args
                .iter()
                .map(|a| self.b.ins().extractlane(*a, lane))
                .collect();
            let r = op(self, &scalars);
            out = Some(match out {
                None => self.b.ins().splat(self.ty, r),
                Some(v) => self.b.ins().insertlane(v, r, lane),
            });
        }
        out.unwrap_or_else(|| self.f(f64::NAN))
    }

    /// Calls an imported helper on scalars.
    fn call(&mut self, f: cranelift_codegen::ir::FuncRef, args: &[Value]) -> Value {
        let call = self.b.ins().call(f, args);
        self.b.inst_results(call)[0]
    }

    /// Rounds a result to the precision, as `Precision::round` does.
    fn rnd(&mut self, v: Value) -> Value {
        match self.spec.precision {
            Precision::F64 => v,
            Precision::F32 if self.vector() => {
                let s = self.b.ins().fvdemote(v);
                self.b.ins().fvpromote_low(s)
            }
            Precision::F32 => {
                let s = self.b.ins().fdemote(types::F32, v);
                self.b.ins().fpromote(types::F64, s)
            }
            Precision::S1615 => {
                let r = self.round_ref;
                self.per_lane(&[v], |g, a| g.call(r, a))
            }
        }
    }

    /// `a + b`, `a - b`, `a * b` rounded to the precision.
    fn add(&mut self, a: Value, b: Value) -> Value {
        let r = self.b.ins().fadd(a, b);
        self.rnd(r)
    }
    fn sub(&mut self, a: Value, b: Value) -> Value {
        let r = self.b.ins().fsub(a, b);
        self.rnd(r)
    }
    fn mul(&mut self, a: Value, b: Value) -> Value {
        let r = self.b.ins().fmul(a, b);
        self.rnd(r)
    }

    /// The lanes' values of a row of `f64`: `row[i..i + lanes]`.
    fn load(&mut self, row: Row, width: i64) -> Value {
        let addr = self.lane_addr(row.base, width);
        let flags = self.flags();
        let ty = if width == 8 { self.ty } else { types::I64X2 };
        let off = row.off + self.disp(width);
        match (width, self.vector()) {
            (8, _) => self.b.ins().load(ty, flags, addr, off),
            (_, true) => self.b.ins().uload32x2(flags, addr, off),
            (_, false) => self.b.ins().load(types::I32, flags, addr, off),
        }
    }

    /// The byte offset of the group within the pass, for `width`-byte
    /// elements: an immediate of the access, so that every group of a pass
    /// addresses from the same index register.
    fn disp(&self, width: i64) -> i32 {
        (self.k * width) as i32
    }

    /// `row + i * width`, the pass's first neuron (see [`Gen::disp`]).
    fn lane_addr(&mut self, row: Value, width: i64) -> Value {
        let off = self.b.ins().imul_imm_s(self.i, width);
        self.b.ins().iadd(row, off)
    }

    /// Stores 8-byte lanes (`f64`, or the `i64` of `until`).
    fn store8(&mut self, v: Value, row: Row) {
        let addr = self.lane_addr(row.base, 8);
        let flags = self.flags();
        let off = row.off + self.disp(8);
        self.b.ins().store(flags, v, addr, off);
    }

    /// The lanes' values of a row of `i64`.
    fn load_i64(&mut self, row: Row) -> Value {
        let addr = self.lane_addr(row.base, 8);
        let flags = self.flags();
        let ty = if self.vector() {
            types::I64X2
        } else {
            types::I64
        };
        let off = row.off + self.disp(8);
        self.b.ins().load(ty, flags, addr, off)
    }

    /// `c ? a : b` for float values; `c` is a truth value from
    /// [`Gen::cond`] (a lane mask when vector).
    fn select_f(&mut self, c: Value, a: Value, b: Value) -> Value {
        if self.vector() {
            // The data moves to the mask's type, not the mask to the data's:
            // a mask straight from a comparison lets cranelift emit one blend
            // instead of and / and-not / or.
            let le = MemFlagsData::new().with_endianness(Endianness::Little);
            let mask_ty = self.b.func.dfg.value_type(c);
            let a = self.b.ins().bitcast(mask_ty, le, a);
            let b = self.b.ins().bitcast(mask_ty, le, b);
            let r = self.b.ins().bitselect(c, a, b);
            self.b.ins().bitcast(self.ty, le, r)
        } else {
            self.b.ins().select(c, a, b)
        }
    }

    /// `c ? a : b` for integer lanes.
    fn select_i(&mut self, c: Value, a: Value, b: Value) -> Value {
        if self.vector() {
            self.b.ins().bitselect(c, a, b)
        } else {
            self.b.ins().select(c, a, b)
        }
    }

    fn bool_to_f64(&mut self, c: Value) -> Value {
        let one = self.f(1.0);
        let zero = self.f(0.0);
        self.select_f(c, one, zero)
    }

    /// Code for an expression with the given state values and time.
    fn expr(&mut self, arena: &ExprArena, e: ExprId, x: &[Value], t: Value) -> Value {
        match &arena[e].kind {
            ExprKind::Const(v) => self.fq(*v),
            ExprKind::Bool(v) => self.f(if *v { 1.0 } else { 0.0 }),
            ExprKind::Param(h) => {
                match (&self.spec.params[h.index()], self.param_ptrs(h.index())) {
                    (PerNeuron::Const(v), _) => self.f(*v),
                    (PerNeuron::Values(_), Some(row)) => self.load(Row::at(row), 8),
                    _ => self.f(f64::NAN),
                }
            }
            ExprKind::State(h) => x
                .get(h.index())
                .copied()
                .unwrap_or_else(|| self.f(f64::NAN)),
            ExprKind::Let(l) => {
                let v = self.spec.model.lets[*l].value;
                self.expr(arena, v, x, t)
            }
            ExprKind::Time => t,
            ExprKind::Distance | ExprKind::Draw(_) | ExprKind::Trace(_) => self.f(f64::NAN),
            ExprKind::Neg(a) => {
                let a = self.expr(arena, *a, x, t);
                self.b.ins().fneg(a)
            }
            ExprKind::Not(_) => {
                let m = self.cond(arena, e, x, t);
                self.bool_to_f64(m)
            }
            ExprKind::Binary(op, a, c) => {
                let (a, c) = (self.expr(arena, *a, x, t), self.expr(arena, *c, x, t));
                let r = match op {
                    BinaryOp::Add => self.b.ins().fadd(a, c),
                    BinaryOp::Sub => self.b.ins().fsub(a, c),
                    BinaryOp::Mul => self.b.ins().fmul(a, c),
                    BinaryOp::Div => self.b.ins().fdiv(a, c),
                    BinaryOp::Pow => {
                        let pow = self.pow_ref;
                        self.per_lane(&[a, c], |g, v| g.call(pow, v))
                    }
                };
                self.rnd(r)
            }
            ExprKind::Compare(..) | ExprKind::Logic(..) => {
                let m = self.cond(arena, e, x, t);
                self.bool_to_f64(m)
            }
            ExprKind::Call(f, args) => {
                let mut vals: Vec<Value> =
                    args.iter().map(|a| self.expr(arena, *a, x, t)).collect();
                while vals.len() < 2 {
                    vals.push(self.f(f64::NAN));
                }
                let id = Func::ALL.iter().position(|g| g == f).unwrap_or(usize::MAX) as i64;
                let func = self.func_ref;
                let r = self.per_lane(&vals[..2], |g, v| {
                    let idv = g.b.ins().iconst(types::I64, id);
                    g.call(func, &[idv, v[0], v[1]])
                });
                self.rnd(r)
            }
        }
    }

    /// A condition as a machine truth value (an `i8`, or a lane mask),
    /// without the detour through 1.0 / 0.0 that [`Gen::expr`] takes: the
    /// same answer as the interpreter's `eval(..) != 0.0`, with fewer
    /// instructions.
    fn cond(&mut self, arena: &ExprArena, e: ExprId, x: &[Value], t: Value) -> Value {
        match &arena[e].kind {
            ExprKind::Compare(op, a, c) => {
                let (a, c) = (self.expr(arena, *a, x, t), self.expr(arena, *c, x, t));
                let cc = match op {
                    CmpOp::Gt => FloatCC::GreaterThan,
                    CmpOp::Ge => FloatCC::GreaterThanOrEqual,
                    CmpOp::Lt => FloatCC::LessThan,
                    CmpOp::Le => FloatCC::LessThanOrEqual,
                    CmpOp::Eq => FloatCC::Equal,
                    CmpOp::Ne => FloatCC::NotEqual,
                };
                self.b.ins().fcmp(cc, a, c)
            }
            ExprKind::Logic(op, a, c) => {
                let (a, c) = (self.cond(arena, *a, x, t), self.cond(arena, *c, x, t));
                match op {
                    LogicOp::And => self.b.ins().band(a, c),
                    LogicOp::Or => self.b.ins().bor(a, c),
                }
            }
            ExprKind::Not(a) => {
                let a = self.cond(arena, *a, x, t);
                if self.vector() {
                    self.b.ins().bnot(a)
                } else {
                    self.b.ins().bxor_imm_u(a, 1)
                }
            }
            ExprKind::Let(l) => {
                let v = self.spec.model.lets[*l].value;
                self.cond(arena, v, x, t)
            }
            _ => {
                let v = self.expr(arena, e, x, t);
                let z = self.f(0.0);
                self.b.ins().fcmp(FloatCC::NotEqual, v, z)
            }
        }
    }

    /// The per-neuron array of parameter `k`, if it varies.
    fn param_ptrs(&self, k: usize) -> Option<Value> {
        self.param_rows.get(k).copied().flatten()
    }

    /// Right-hand sides at `x`, time `t` (states without an ODE: 0).
    fn rhs(&mut self, rhs: &[Option<ExprId>], x: &[Value], t: Value) -> Vec<Value> {
        let arena = &self.spec.prog.exprs;
        rhs.iter()
            .map(|r| match r {
                Some(e) => self.expr(arena, *e, x, t),
                None => self.f(0.0),
            })
            .collect()
    }

    /// Adds this step's input of every port to the states it jumps,
    /// and clears the slot it read, so that the ring buffer needs no pass
    /// of its own.
    fn inputs(&mut self, bases: &Bases, x: &mut [Value]) {
        for (port, jump) in self.spec.prog.jumps.iter().enumerate() {
            let v = self.load(bases.planes[port], 8);
            let zero = self.f(0.0);
            self.store8(zero, bases.planes[port]);
            // `v * 1.0` is `v` (the input is a sum of weights, never a
            // signalling NaN): only the rounding to the precision is left.
            let add = match (self.spec.scale_consts[port], bases.scales[port]) {
                (Some(1.0), _) => self.rnd(v),
                (Some(c), _) => {
                    let c = self.f(c);
                    self.mul(v, c)
                }
                (None, Some(row)) => {
                    let c = self.load(Row::at(row), 8);
                    self.mul(v, c)
                }
                _ => self.f(f64::NAN),
            };
            let s = jump.state as usize;
            x[s] = self.add(x[s], add);
        }
    }

    /// One pass of the loop: `groups` groups of `lanes` neurons from `i`,
    /// then, only if one of them fired, the rare branch for all of them.
    pub(super) fn pass(&mut self, bases: &Bases, groups: i64) {
        let mut pending = Vec::with_capacity(groups as usize);
        for k in 0..groups {
            self.k = k * self.lanes as i64;
            if let Some(p) = self.neuron(bases) {
                pending.push(p);
            }
        }
        let Some(any) = pending
            .iter()
            .map(|p| p.crossed)
            .reduce(|a, c| self.b.ins().bor(a, c))
        else {
            return;
        };
        let any = if self.vector() {
            self.b.ins().vany_true(any)
        } else {
            any
        };
        let rare = self.b.create_block();
        let done = self.b.create_block();
        self.b.set_cold_block(rare);
        self.b.ins().brif(any, rare, &[], done, &[]);
        self.b.switch_to_block(rare);
        for p in &pending {
            self.fired(bases, p);
        }
        self.b.ins().jump(done, &[]);
        self.b.switch_to_block(done);
        self.k = 0;
    }

    /// The branch-free part of the update of `lanes` neurons from `i`:
    /// advances the states, adds the input (clearing the ring buffer's
    /// slot), holds a refractory neuron's clamped state, stores the states
    /// and tests the threshold. `None` when the model has no threshold.
    ///
    /// The clamped state needs no copy of its own: from the reset that
    /// starts refractoriness to its end, the stored state is the clamp
    /// value (the interpreter's `clamp` is set from it after the reset, and
    /// every refractory step stores it back unchanged), so the state as
    /// loaded is the interpreter's state after its clamp.
    fn neuron(&mut self, bases: &Bases) -> Option<Pending> {
        let prog = self.spec.prog;
        let ns = prog.states;
        let x0: Vec<Value> = (0..ns).map(|s| self.load(bases.x_rows[s], 8)).collect();
        let mut x = x0.clone();
        let clamp_idx = prog.refractory.as_ref().map(|rf| rf.clamp as usize);
        let active = self.active(bases);
        let h = self.spec.h;
        let t0 = self.splat(bases.t0);
        if prog.input_first {
            self.inputs(bases, &mut x);
        }
        match &prog.integrator {
            Integrator::Exact { .. } => {
                // Shared: constants. Per neuron: rows of P, c, q.
                let (pv, cv, qv): (Vec<Value>, Vec<Value>, Vec<Value>) = match self.spec.shared {
                    Some(p) => (
                        p.p.iter().map(|v| self.f(*v)).collect(),
                        p.c.iter().map(|v| self.f(*v)).collect(),
                        p.q.iter().map(|v| self.f(*v)).collect(),
                    ),
                    None => {
                        let all: Vec<Value> =
                            bases.prop_rows.iter().map(|r| self.load(*r, 8)).collect();
                        (
                            all[..ns * ns].to_vec(),
                            all[ns * ns..ns * ns + ns].to_vec(),
                            all[ns * ns + ns..].to_vec(),
                        )
                    }
                };
                let sp = self.spec.sparsity;
                let dx: Vec<Value> = (0..ns)
                    .map(|c| if sp.c[c] { self.sub(x[c], cv[c]) } else { x[c] })
                    .collect();
                let mut nx = Vec::with_capacity(ns);
                for r in 0..ns {
                    // The interpreter's sum: kept terms left to right.
                    let mut dev: Option<Value> = None;
                    for c in 0..ns {
                        if sp.p[r * ns + c] {
                            let term = self.mul(pv[r * ns + c], dx[c]);
                            dev = Some(match dev {
                                Some(d) => self.add(d, term),
                                None => term,
                            });
                        }
                    }
                    let mut v = dev.unwrap_or_else(|| self.f(-0.0));
                    if sp.c[r] {
                        v = self.add(v, cv[r]);
                    }
                    if sp.q[r] {
                        v = self.add(v, qv[r]);
                    }
                    nx.push(v);
                }
                x = nx;
            }
            Integrator::Numeric { scheme, rhs } => {
                // Arithmetic constants in the precision; times in f64, as the
                // interpreter computes them.
                let hq = self.fq(h);
                match scheme {
                    Scheme::ForwardEuler => {
                        let k1 = self.rhs(rhs, &x, t0);
                        x = (0..ns)
                            .map(|s| {
                                let d = self.mul(hq, k1[s]);
                                self.add(x[s], d)
                            })
                            .collect();
                    }
                    Scheme::Rk4 => {
                        let half = self.fq(h / 2.0);
                        let half_t = self.f(h / 2.0);
                        let full_t = self.f(h);
                        let t_half = self.b.ins().fadd(t0, half_t);
                        let t_full = self.b.ins().fadd(t0, full_t);
                        let shift = |g: &mut Self, k: &[Value], a: Value| -> Vec<Value> {
                            (0..ns)
                                .map(|s| {
                                    let d = g.mul(a, k[s]);
                                    g.add(x[s], d)
                                })
                                .collect()
                        };
                        let k1 = self.rhs(rhs, &x, t0);
                        let x2 = shift(self, &k1, half);
                        let k2 = self.rhs(rhs, &x2, t_half);
                        let x3 = shift(self, &k2, half);
                        let k3 = self.rhs(rhs, &x3, t_half);
                        let x4 = shift(self, &k3, hq);
                        let k4 = self.rhs(rhs, &x4, t_full);
                        let sixth = self.fq(h / 6.0);
                        let two = self.f(2.0);
                        x = (0..ns)
                            .map(|s| {
                                let a = self.mul(two, k2[s]);
                                let a = self.add(k1[s], a);
                                let c = self.mul(two, k3[s]);
                                let a = self.add(a, c);
                                let a = self.add(a, k4[s]);
                                let d = self.mul(sixth, a);
                                self.add(x[s], d)
                            })
                            .collect();
                    }
                }
            }
        }
        if !prog.input_first {
            self.inputs(bases, &mut x);
        }
        if let (Some(c), Some(a)) = (clamp_idx, active) {
            x[c] = self.select_f(a, x[c], x0[c]);
        }
        for (s, v) in x.iter().enumerate() {
            self.store8(*v, bases.x_rows[s]);
        }
        let th = prog.threshold?;
        let hv = self.f(h);
        let t1 = self.b.ins().fadd(t0, hv);
        let crossed = self.cond(&prog.exprs, th, &x, t1);
        // Whether the crossing lanes are also active is left to the rare
        // branch: a refractory neuron rarely crosses (its clamped state
        // sits at the reset), so the pass saves the masking.
        Some(Pending { k: self.k, crossed })
    }

    /// The rare branch for one group: the reset of the lanes that fired,
    /// the start of their refractoriness, and their indices appended to
    /// the spike list, all with selects and without further branches.
    fn fired(&mut self, bases: &Bases, p: &Pending) {
        self.k = p.k;
        let prog = self.spec.prog;
        let mf = self.mf;
        // Scalar conditions are i8, lane masks i64: the counter comparison
        // matches the float one's width either way.
        let fire = match self.active(bases) {
            Some(a) => self.b.ins().band(p.crossed, a),
            None => p.crossed,
        };
        let mut x: Vec<Value> = (0..prog.states)
            .map(|s| self.load(bases.x_rows[s], 8))
            .collect();
        let t0 = self.b.ins().load(types::F64, mf, bases.ctx, OFF_T0);
        let t0 = self.splat(t0);
        let hv = self.f(self.spec.h);
        let t1 = self.b.ins().fadd(t0, hv);
        let mut reset = vec![false; prog.states];
        for &(s, e) in &prog.reset {
            let v = self.expr(&prog.exprs, e, &x, t1);
            x[s as usize] = self.select_f(fire, v, x[s as usize]);
            reset[s as usize] = true;
        }
        for (s, _) in reset.iter().enumerate().filter(|(_, r)| **r) {
            self.store8(x[s], bases.x_rows[s]);
        }
        if prog.refractory.is_some() {
            let u = self.load_i64(bases.until);
            let row = self.b.ins().load(bases.ptr, mf, bases.ctx, OFF_REFR_STEPS);
            let rs = self.load(Row::at(row), 4);
            let rs = if self.vector() {
                rs
            } else {
                self.b.ins().uextend(types::I64, rs)
            };
            let s1 = self.step1(bases);
            let new = self.b.ins().iadd(s1, rs);
            let u = self.select_i(fire, new, u);
            self.store8(u, bases.until);
        }
        let spikes = self.b.ins().load(bases.ptr, mf, bases.ctx, OFF_SPIKES);
        for lane in 0..self.lanes {
            let f = if self.vector() {
                self.b.ins().extractlane(fire, lane)
            } else {
                self.b.ins().uextend(types::I64, fire)
            };
            let bit = self.b.ins().band_imm_u(f, 1);
            let k = self.b.use_var(self.cnt);
            let off = self.b.ins().ishl_imm_u(k, 2);
            let addr = self.b.ins().iadd(spikes, off);
            let idx = self.b.ins().iadd_imm_s(self.i, self.k + lane as i64);
            let idx = self.b.ins().ireduce(types::I32, idx);
            self.b.ins().store(self.mf, idx, addr, 0);
            let k = self.b.ins().iadd(k, bit);
            self.b.def_var(self.cnt, k);
        }
    }
}
