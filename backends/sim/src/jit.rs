//! The cranelift JIT engine: each neuron population's update program is
//! compiled to one native function that advances every neuron of the
//! population by one step.
//!
//! The generated code performs exactly the interpreter's floating-point
//! operations in the same order (no fused multiply-adds, the same sums, the
//! same library functions, called through the helpers below), so in `f64`
//! the two engines agree bit for bit. What the JIT adds is speed:
//! parameters that are the same for every neuron, and shared propagators,
//! become constants in the code; the threshold test, the reset and
//! refractoriness are branch-free selects; the only calls left are to
//! transcendental functions.

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{types, AbiParam, InstBuilder, MemFlagsData, Signature, Value};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{default_libcall_names, FuncId, Linkage, Module};

use spikec_ir::eval::Precision;
use spikec_ir::expanded::PerNeuron;
use spikec_ir::expr::{BinaryOp, CmpOp, ExprArena, ExprId, ExprKind, Func, LogicOp};
use spikec_ir::model::Model;
use spikec_ir::program::{Integrator, Propagator, Scheme, UpdateProgram};

/// Everything the compiled function reads and writes, by pointer.
#[repr(C)]
pub struct Ctx {
    /// States, neuron-major.
    pub x: *mut f64,
    /// Steps of refractoriness left.
    pub refr: *mut u32,
    /// Clamped values.
    pub clamp: *mut f64,
    /// Refractory period in steps.
    pub refr_steps: *const u32,
    /// Ring buffers, `input[(port * slots + slot) * n + i]`.
    pub input: *const f64,
    /// Output: 1 where the neuron fired.
    pub fired: *mut u8,
    /// Per parameter, its per-neuron values (null where constant).
    pub params: *const *const f64,
    /// Per port, its per-neuron scale (null where constant).
    pub scales: *const *const f64,
    /// Per-neuron propagators packed as P, c, q (null when shared).
    pub props: *const f64,
    /// Neurons.
    pub n: u64,
    /// Ring-buffer depth.
    pub slots: u64,
    /// This step's slot.
    pub slot: u64,
    /// Time at the start of the step.
    pub t0: f64,
}

const OFF_X: i32 = 0;
const OFF_REFR: i32 = 8;
const OFF_CLAMP: i32 = 16;
const OFF_REFR_STEPS: i32 = 24;
const OFF_INPUT: i32 = 32;
const OFF_FIRED: i32 = 40;
const OFF_PARAMS: i32 = 48;
const OFF_SCALES: i32 = 56;
const OFF_PROPS: i32 = 64;
const OFF_N: i32 = 72;
const OFF_SLOTS: i32 = 80;
const OFF_SLOT: i32 = 88;
const OFF_T0: i32 = 96;

// The offsets above are the `repr(C)` layout of `Ctx`; keep them honest.
const _: () = {
    assert!(std::mem::offset_of!(Ctx, x) == OFF_X as usize);
    assert!(std::mem::offset_of!(Ctx, refr) == OFF_REFR as usize);
    assert!(std::mem::offset_of!(Ctx, clamp) == OFF_CLAMP as usize);
    assert!(std::mem::offset_of!(Ctx, refr_steps) == OFF_REFR_STEPS as usize);
    assert!(std::mem::offset_of!(Ctx, input) == OFF_INPUT as usize);
    assert!(std::mem::offset_of!(Ctx, fired) == OFF_FIRED as usize);
    assert!(std::mem::offset_of!(Ctx, params) == OFF_PARAMS as usize);
    assert!(std::mem::offset_of!(Ctx, scales) == OFF_SCALES as usize);
    assert!(std::mem::offset_of!(Ctx, props) == OFF_PROPS as usize);
    assert!(std::mem::offset_of!(Ctx, n) == OFF_N as usize);
    assert!(std::mem::offset_of!(Ctx, slots) == OFF_SLOTS as usize);
    assert!(std::mem::offset_of!(Ctx, slot) == OFF_SLOT as usize);
    assert!(std::mem::offset_of!(Ctx, t0) == OFF_T0 as usize);
};

extern "C" fn helper_func(id: i64, a: f64, b: f64) -> f64 {
    Func::ALL
        .get(id as usize)
        .map_or(f64::NAN, |f| f.eval(&[a, b]))
}

extern "C" fn helper_pow(a: f64, b: f64) -> f64 {
    spikec_ir::eval::pow(a, b)
}

extern "C" fn helper_s1615(x: f64) -> f64 {
    Precision::S1615.round(x)
}

/// A compiled population update.
pub struct Compiled {
    _module: JITModule,
    func: extern "C" fn(*const Ctx),
}

impl Compiled {
    /// Runs one step for every neuron.
    ///
    /// # Safety
    /// Every pointer in `ctx` must be valid for the sizes the function was
    /// compiled for and `ctx.n`.
    pub unsafe fn call(&self, ctx: &Ctx) {
        (self.func)(ctx)
    }
}

/// What the code generator knows about a population at compile time.
pub struct Spec<'a> {
    /// The model (lets).
    pub model: &'a Model,
    /// Its program.
    pub prog: &'a UpdateProgram,
    /// Parameter values (constants become immediates).
    pub params: &'a [PerNeuron],
    /// Port scales, per port: `Some` if the same for every neuron.
    pub scale_consts: Vec<Option<f64>>,
    /// The propagator when shared by all neurons.
    pub shared: Option<&'a Propagator>,
    /// The terms of the exact step to keep (the interpreter keeps the same).
    pub sparsity: &'a crate::sparsity::Sparsity,
    /// Timestep.
    pub h: f64,
    /// Arithmetic precision: every result is rounded to it, as the
    /// interpreter does.
    pub precision: Precision,
}

/// Compiles a population's update; `None` if code generation fails (the
/// caller falls back to the interpreter and says so).
pub fn compile(spec: &Spec<'_>) -> Result<Compiled, String> {
    let mut flags = settings::builder();
    for (k, v) in [
        ("opt_level", "speed"),
        ("use_colocated_libcalls", "false"),
        ("is_pic", "false"),
    ] {
        flags.set(k, v).map_err(|e| e.to_string())?;
    }
    let isa = cranelift_native::builder()
        .map_err(|e| e.to_string())?
        .finish(settings::Flags::new(flags))
        .map_err(|e| e.to_string())?;
    let mut jb = JITBuilder::with_isa(isa, default_libcall_names());
    jb.symbol("spikec_func", helper_func as *const u8);
    jb.symbol("spikec_pow", helper_pow as *const u8);
    jb.symbol("spikec_s1615", helper_s1615 as *const u8);
    let mut module = JITModule::new(jb);
    let ptr = module.target_config().pointer_type();

    let mut sig_func = Signature::new(module.isa().default_call_conv());
    sig_func.params.extend([
        AbiParam::new(types::I64),
        AbiParam::new(types::F64),
        AbiParam::new(types::F64),
    ]);
    sig_func.returns.push(AbiParam::new(types::F64));
    let mut sig_pow = Signature::new(module.isa().default_call_conv());
    sig_pow
        .params
        .extend([AbiParam::new(types::F64), AbiParam::new(types::F64)]);
    sig_pow.returns.push(AbiParam::new(types::F64));
    let fid_func = module
        .declare_function("spikec_func", Linkage::Import, &sig_func)
        .map_err(|e| e.to_string())?;
    let mut sig_round = Signature::new(module.isa().default_call_conv());
    sig_round.params.push(AbiParam::new(types::F64));
    sig_round.returns.push(AbiParam::new(types::F64));
    let fid_round = module
        .declare_function("spikec_s1615", Linkage::Import, &sig_round)
        .map_err(|e| e.to_string())?;
    let fid_pow = module
        .declare_function("spikec_pow", Linkage::Import, &sig_pow)
        .map_err(|e| e.to_string())?;

    let mut ctx = module.make_context();
    ctx.func.signature.params.push(AbiParam::new(ptr));
    let fid: FuncId = module
        .declare_function("update", Linkage::Export, &ctx.func.signature)
        .map_err(|e| e.to_string())?;
    let mut fbc = FunctionBuilderContext::new();
    {
        let mut b = FunctionBuilder::new(&mut ctx.func, &mut fbc);
        let func_ref = module.declare_func_in_func(fid_func, b.func);
        let pow_ref = module.declare_func_in_func(fid_pow, b.func);
        let round_ref = module.declare_func_in_func(fid_round, b.func);
        let entry = b.create_block();
        b.append_block_params_for_function_params(entry);
        b.switch_to_block(entry);
        let cp = b.block_params(entry)[0];
        let mf = MemFlagsData::trusted();
        let load_ptr = |b: &mut FunctionBuilder, off: i32| b.ins().load(ptr, mf, cp, off);
        let base_x = load_ptr(&mut b, OFF_X);
        let base_refr = load_ptr(&mut b, OFF_REFR);
        let base_clamp = load_ptr(&mut b, OFF_CLAMP);
        let base_rs = load_ptr(&mut b, OFF_REFR_STEPS);
        let base_in = load_ptr(&mut b, OFF_INPUT);
        let base_fired = load_ptr(&mut b, OFF_FIRED);
        let base_params = load_ptr(&mut b, OFF_PARAMS);
        let base_scales = load_ptr(&mut b, OFF_SCALES);
        let base_props = load_ptr(&mut b, OFF_PROPS);
        let n = b.ins().load(types::I64, mf, cp, OFF_N);
        let slots = b.ins().load(types::I64, mf, cp, OFF_SLOTS);
        let slot = b.ins().load(types::I64, mf, cp, OFF_SLOT);
        let t0 = b.ins().load(types::F64, mf, cp, OFF_T0);
        // Hoisted: per-neuron parameter arrays and scale arrays.
        let param_ptrs: Vec<Option<Value>> = spec
            .params
            .iter()
            .enumerate()
            .map(|(k, p)| match p {
                PerNeuron::Const(_) => None,
                PerNeuron::Values(_) => Some(b.ins().load(ptr, mf, base_params, (k * 8) as i32)),
            })
            .collect();
        let scale_ptrs: Vec<Option<Value>> = spec
            .scale_consts
            .iter()
            .enumerate()
            .map(|(k, c)| match c {
                Some(_) => None,
                None => Some(b.ins().load(ptr, mf, base_scales, (k * 8) as i32)),
            })
            .collect();

        let ivar: Variable = b.declare_var(types::I64);
        let zero = b.ins().iconst(types::I64, 0);
        b.def_var(ivar, zero);
        let head = b.create_block();
        let body = b.create_block();
        let exit = b.create_block();
        b.ins().jump(head, &[]);
        b.switch_to_block(head);
        let i = b.use_var(ivar);
        let done = b.ins().icmp(IntCC::UnsignedGreaterThanOrEqual, i, n);
        b.ins().brif(done, exit, &[], body, &[]);
        b.switch_to_block(body);

        let mut g = Gen {
            b,
            spec,
            func_ref,
            pow_ref,
            round_ref,
            i,
            param_ptrs,
            mf,
        };
        g.neuron(
            NeuronBases {
                x: base_x,
                refr: base_refr,
                clamp: base_clamp,
                refr_steps: base_rs,
                input: base_in,
                fired: base_fired,
                props: base_props,
            },
            &scale_ptrs,
            n,
            slots,
            slot,
            t0,
        );
        let mut b = g.b;
        let i = b.use_var(ivar);
        let next = b.ins().iadd_imm_s(i, 1);
        b.def_var(ivar, next);
        b.ins().jump(head, &[]);
        b.switch_to_block(exit);
        b.ins().return_(&[]);
        b.seal_all_blocks();
        b.finalize(module.isa().frontend_config());
    }
    module
        .define_function(fid, &mut ctx)
        .map_err(|e| format!("{e:?}"))?;
    module.clear_context(&mut ctx);
    module.finalize_definitions().map_err(|e| e.to_string())?;
    let code = module.get_finalized_function(fid);
    // SAFETY: the function was declared with one pointer argument and no
    // return value, matching this type.
    let func = unsafe { std::mem::transmute::<*const u8, extern "C" fn(*const Ctx)>(code) };
    Ok(Compiled {
        _module: module,
        func,
    })
}

struct NeuronBases {
    x: Value,
    refr: Value,
    clamp: Value,
    refr_steps: Value,
    input: Value,
    fired: Value,
    props: Value,
}

struct Gen<'a, 's> {
    b: FunctionBuilder<'a>,
    spec: &'s Spec<'s>,
    func_ref: cranelift_codegen::ir::FuncRef,
    pow_ref: cranelift_codegen::ir::FuncRef,
    round_ref: cranelift_codegen::ir::FuncRef,
    /// The neuron index.
    i: Value,
    param_ptrs: Vec<Option<Value>>,
    /// Flags of every access: aligned and not trapping (the caller owns the
    /// buffers and their sizes).
    mf: MemFlagsData,
}

impl Gen<'_, '_> {
    fn f(&mut self, v: f64) -> Value {
        self.b.ins().f64const(v)
    }

    /// A constant of the arithmetic, already in the precision.
    fn fq(&mut self, v: f64) -> Value {
        let v = self.spec.precision.round(v);
        self.f(v)
    }

    /// Rounds a result to the precision, as `Precision::round` does.
    fn rnd(&mut self, v: Value) -> Value {
        match self.spec.precision {
            Precision::F64 => v,
            Precision::F32 => {
                let s = self.b.ins().fdemote(types::F32, v);
                self.b.ins().fpromote(types::F64, s)
            }
            Precision::S1615 => {
                let call = self.b.ins().call(self.round_ref, &[v]);
                self.b.inst_results(call)[0]
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

    /// `&base[index * 8 + off]` as f64.
    fn load_f64(&mut self, base: Value, index: Value, off: i64) -> Value {
        let byte = self.b.ins().imul_imm_s(index, 8);
        let addr = self.b.ins().iadd(base, byte);
        self.b.ins().load(types::F64, self.mf, addr, off as i32)
    }

    fn store_f64(&mut self, v: Value, base: Value, index: Value, off: i64) {
        let byte = self.b.ins().imul_imm_s(index, 8);
        let addr = self.b.ins().iadd(base, byte);
        self.b.ins().store(self.mf, v, addr, off as i32);
    }

    fn bool_to_f64(&mut self, c: Value) -> Value {
        let one = self.f(1.0);
        let zero = self.f(0.0);
        self.b.ins().select(c, one, zero)
    }

    /// Code for an expression with the given state values and time.
    fn expr(&mut self, arena: &ExprArena, e: ExprId, x: &[Value], t: Value) -> Value {
        match &arena[e].kind {
            ExprKind::Const(v) => self.fq(*v),
            ExprKind::Bool(v) => self.f(if *v { 1.0 } else { 0.0 }),
            ExprKind::Param(h) => {
                match (&self.spec.params[h.index()], self.param_ptrs[h.index()]) {
                    (PerNeuron::Const(v), _) => self.f(*v),
                    (PerNeuron::Values(_), Some(base)) => {
                        let i = self.i;
                        self.load_f64(base, i, 0)
                    }
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
            ExprKind::Distance | ExprKind::Draw(_) => self.f(f64::NAN),
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
                        let call = self.b.ins().call(self.pow_ref, &[a, c]);
                        self.b.inst_results(call)[0]
                    }
                };
                self.rnd(r)
            }
            ExprKind::Compare(..) | ExprKind::Logic(..) => {
                let m = self.cond(arena, e, x, t);
                self.bool_to_f64(m)
            }
            ExprKind::Call(f, args) => {
                let vals: Vec<Value> = args.iter().map(|a| self.expr(arena, *a, x, t)).collect();
                let id = Func::ALL.iter().position(|g| g == f).unwrap_or(usize::MAX) as i64;
                let idv = self.b.ins().iconst(types::I64, id);
                let a = vals.first().copied().unwrap_or_else(|| self.f(f64::NAN));
                let c = vals.get(1).copied().unwrap_or_else(|| self.f(f64::NAN));
                let call = self.b.ins().call(self.func_ref, &[idv, a, c]);
                let r = self.b.inst_results(call)[0];
                self.rnd(r)
            }
        }
    }

    /// A condition as a machine truth value, without the detour through
    /// 1.0 / 0.0 that [`Gen::expr`] takes: the same answer as the
    /// interpreter's `eval(..) != 0.0`, with fewer instructions.
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
                self.b.ins().bxor_imm_u(a, 1)
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

    /// The body of the per-neuron loop.
    #[allow(clippy::too_many_arguments)]
    fn neuron(
        &mut self,
        bases: NeuronBases,
        scale_ptrs: &[Option<Value>],
        n: Value,
        slots: Value,
        slot: Value,
        t0: Value,
    ) {
        let prog = self.spec.prog;
        let ns = prog.states;
        let i = self.i;
        let xi = self.b.ins().imul_imm_s(i, ns as i64);
        let mut x: Vec<Value> = (0..ns)
            .map(|s| self.load_f64(bases.x, xi, 8 * s as i64))
            .collect();
        let refr_addr = {
            let off = self.b.ins().imul_imm_s(i, 4);
            self.b.ins().iadd(bases.refr, off)
        };
        let r = self.b.ins().load(types::I32, self.mf, refr_addr, 0);
        let refractory = self.b.ins().icmp_imm_u(IntCC::NotEqual, r, 0);
        let clamp_idx = prog.refractory.as_ref().map(|rf| rf.clamp as usize);
        let clamp_val = match clamp_idx {
            Some(c) => {
                let cv = self.load_f64(bases.clamp, i, 0);
                x[c] = self.b.ins().select(refractory, cv, x[c]);
                Some(cv)
            }
            None => None,
        };
        let h = self.spec.h;
        match &prog.integrator {
            Integrator::Exact { .. } => {
                // Shared: constants. Per neuron: P, c, q at props[i * k].
                let k = ns * ns + 2 * ns;
                let (pv, cv, qv): (Vec<Value>, Vec<Value>, Vec<Value>) = match self.spec.shared {
                    Some(p) => (
                        p.p.iter().map(|v| self.f(*v)).collect(),
                        p.c.iter().map(|v| self.f(*v)).collect(),
                        p.q.iter().map(|v| self.f(*v)).collect(),
                    ),
                    None => {
                        let pi = self.b.ins().imul_imm_s(i, k as i64);
                        let all: Vec<Value> = (0..k)
                            .map(|j| self.load_f64(bases.props, pi, 8 * j as i64))
                            .collect();
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
        // Inputs of this step, through the ports.
        for (port, jump) in prog.jumps.iter().enumerate() {
            // The plane of this port and slot does not depend on the neuron:
            // cranelift hoists it out of the loop, leaving one add a load.
            let row = self.b.ins().imul_imm_s(slots, port as i64);
            let row = self.b.ins().iadd(row, slot);
            let row = self.b.ins().imul(row, n);
            let row_bytes = self.b.ins().imul_imm_s(row, 8);
            let plane = self.b.ins().iadd(bases.input, row_bytes);
            let v = self.load_f64(plane, i, 0);
            let scale = match (self.spec.scale_consts[port], scale_ptrs[port]) {
                (Some(c), _) => self.f(c),
                (None, Some(base)) => self.load_f64(base, i, 0),
                _ => self.f(f64::NAN),
            };
            let s = jump.state as usize;
            let add = self.mul(v, scale);
            x[s] = self.add(x[s], add);
        }
        if let (Some(c), Some(cv)) = (clamp_idx, clamp_val) {
            x[c] = self.b.ins().select(refractory, cv, x[c]);
        }
        // Threshold, reset, refractoriness: selects, no branches.
        let fire = match prog.threshold {
            Some(th) => {
                let hv = self.f(h);
                let t1 = self.b.ins().fadd(t0, hv);
                let crossed = self.cond(&prog.exprs, th, &x, t1);
                let not_refr = self.b.ins().icmp_imm_u(IntCC::Equal, r, 0);
                let fire = self.b.ins().band(crossed, not_refr);
                for &(s, e) in &prog.reset {
                    let v = self.expr(&prog.exprs, e, &x, t1);
                    x[s as usize] = self.b.ins().select(fire, v, x[s as usize]);
                }
                fire
            }
            None => self.b.ins().iconst(types::I8, 0),
        };
        let one = self.b.ins().iconst(types::I32, 1);
        let dec = self.b.ins().isub(r, one);
        let r_after = self.b.ins().select(refractory, dec, r);
        if let (Some(c), Some(cv)) = (clamp_idx, clamp_val) {
            let rs_addr = {
                let off = self.b.ins().imul_imm_s(i, 4);
                self.b.ins().iadd(bases.refr_steps, off)
            };
            let rs = self.b.ins().load(types::I32, self.mf, rs_addr, 0);
            let r_new = self.b.ins().select(fire, rs, r_after);
            self.b.ins().store(self.mf, r_new, refr_addr, 0);
            let c_new = self.b.ins().select(fire, x[c], cv);
            self.store_f64(c_new, bases.clamp, i, 0);
        }
        for (s, v) in x.iter().enumerate() {
            self.store_f64(*v, bases.x, xi, 8 * s as i64);
        }
        let fired_addr = self.b.ins().iadd(bases.fired, i);
        self.b.ins().store(self.mf, fire, fired_addr, 0);
    }
}
