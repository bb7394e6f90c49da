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
//!
//! Neurons are updated two at a time in `f64x2` lanes (cranelift does not
//! vectorise by itself), with a scalar tail for an odd count. Every state,
//! parameter, propagator entry and ring buffer is laid out neuron-minor, so
//! a lane pair is one 16-byte load. The lanes compute exactly what the
//! scalar code computes: IEEE arithmetic is lane-wise, library calls and
//! the s16.15 rounding go through the same helpers one lane at a time, and
//! `f32` rounding narrows and widens both lanes at once. `f32` keeps `f64`
//! lanes: its reference semantics round each `f64` result (inputs such as
//! ring-buffer sums and times stay `f64`), which four `f32` lanes cannot
//! reproduce bit for bit.

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{
    types, AbiParam, Endianness, InstBuilder, MemFlagsData, Signature, Type, Value,
};
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
    /// States, state-major: `x[s * n + i]`.
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
    /// Per-neuron propagators, P then c then q, entry-major:
    /// `props[j * n + i]` (null when shared).
    pub props: *const f64,
    /// Neurons.
    pub n: u64,
    /// Ring-buffer depth.
    pub slots: u64,
    /// This step's slot.
    pub slot: u64,
    /// Time at the start of the step.
    pub t0: f64,
    /// Row addresses, see [`rows`]: computed by the caller because
    /// cranelift places pure arithmetic next to its uses, inside the loop,
    /// while loads stay where they are.
    pub rows: *const *const u8,
}

/// How many rows of each kind the compiled code reads from `Ctx::rows`.
#[derive(Clone, Copy, Debug)]
struct RowCounts {
    states: usize,
    /// Per-neuron propagator entries (0 when shared or not exact).
    props: usize,
    ports: usize,
}

/// Fills `out` with the row addresses `Ctx::rows` must hold: every state
/// row, every propagator row, and this step's ring-buffer plane of every
/// port.
fn rows(ctx: &Ctx, counts: RowCounts, out: &mut Vec<*const u8>) {
    let RowCounts {
        states,
        props,
        ports,
    } = counts;
    let n = ctx.n as usize;
    out.clear();
    // Wrapping arithmetic: addresses only, dereferenced by the compiled
    // code within the buffers the caller sized.
    out.extend((0..states).map(|s| ctx.x.wrapping_add(s * n) as *const u8));
    out.extend((0..props).map(|j| ctx.props.wrapping_add(j * n) as *const u8));
    out.extend((0..ports).map(|p| {
        let plane = (p * ctx.slots as usize + ctx.slot as usize) * n;
        ctx.input.wrapping_add(plane) as *const u8
    }));
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
const OFF_ROWS: i32 = 104;

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
    assert!(std::mem::offset_of!(Ctx, rows) == OFF_ROWS as usize);
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
    counts: RowCounts,
}

impl Compiled {
    /// Runs one step for every neuron; `rows` is scratch space for the row
    /// addresses, which this fills in before the call.
    ///
    /// # Safety
    /// Every pointer in `ctx` must be valid for the sizes the function was
    /// compiled for and `ctx.n`.
    pub unsafe fn call(&self, ctx: &mut Ctx, rows: &mut Vec<*const u8>) {
        self::rows(ctx, self.counts, rows);
        ctx.rows = rows.as_ptr();
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
    pub sparsity: &'a spikec_ir::step::Sparsity,
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

    let ns = spec.prog.states;
    let n_props = match (&spec.prog.integrator, spec.shared) {
        (Integrator::Exact { .. }, None) => ns * ns + 2 * ns,
        _ => 0,
    };
    let counts = RowCounts {
        states: ns,
        props: n_props,
        ports: spec.prog.jumps.len(),
    };
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
        let base_refr = load_ptr(&mut b, OFF_REFR);
        let base_clamp = load_ptr(&mut b, OFF_CLAMP);
        let base_rs = load_ptr(&mut b, OFF_REFR_STEPS);
        let base_fired = load_ptr(&mut b, OFF_FIRED);
        let base_params = load_ptr(&mut b, OFF_PARAMS);
        let base_scales = load_ptr(&mut b, OFF_SCALES);
        let n = b.ins().load(types::I64, mf, cp, OFF_N);
        let t0 = b.ins().load(types::F64, mf, cp, OFF_T0);
        let base_rows = load_ptr(&mut b, OFF_ROWS);
        let mut row_ptrs = (0..ns + n_props + spec.prog.jumps.len())
            .map(|k| b.ins().load(ptr, mf, base_rows, (8 * k) as i32))
            .collect::<Vec<Value>>()
            .into_iter();
        let x_rows: Vec<Value> = row_ptrs.by_ref().take(ns).collect();
        let prop_rows: Vec<Value> = row_ptrs.by_ref().take(n_props).collect();
        let planes: Vec<Value> = row_ptrs.collect();
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
        let bases = Bases {
            x_rows,
            prop_rows,
            planes,
            params: param_ptrs,
            scales: scale_ptrs,
            refr: base_refr,
            clamp: base_clamp,
            refr_steps: base_rs,
            fired: base_fired,
            t0,
        };

        // Pairs while two neurons are left, then at most one alone.
        let ivar: Variable = b.declare_var(types::I64);
        let zero = b.ins().iconst(types::I64, 0);
        b.def_var(ivar, zero);
        let exit = b.create_block();
        for lanes in [2u8, 1] {
            let head = b.create_block();
            let body = b.create_block();
            let after = if lanes == 1 { exit } else { b.create_block() };
            b.ins().jump(head, &[]);
            b.switch_to_block(head);
            let i = b.use_var(ivar);
            let end = b.ins().iadd_imm_s(i, lanes as i64);
            let more = b.ins().icmp(IntCC::UnsignedLessThanOrEqual, end, n);
            b.ins().brif(more, body, &[], after, &[]);
            b.switch_to_block(body);
            let mut g = Gen {
                b,
                spec,
                func_ref,
                pow_ref,
                round_ref,
                i,
                lanes,
                ty: if lanes == 1 { types::F64 } else { types::F64X2 },
                param_rows: bases.params.clone(),
                mf,
            };
            g.neuron(&bases);
            b = g.b;
            let i = b.use_var(ivar);
            let next = b.ins().iadd_imm_s(i, lanes as i64);
            b.def_var(ivar, next);
            b.ins().jump(head, &[]);
            if lanes != 1 {
                b.switch_to_block(after);
            }
        }
        b.switch_to_block(exit);
        b.ins().return_(&[]);
        b.seal_all_blocks();
        b.finalize(module.isa().frontend_config());
    }
    // A developer's window on the generated code: SPIKEC_JIT_DUMP=FILE
    // appends every population's machine code, as cranelift prints it.
    let dump = std::env::var_os("SPIKEC_JIT_DUMP");
    ctx.set_disasm(dump.is_some());
    module
        .define_function(fid, &mut ctx)
        .map_err(|e| format!("{e:?}"))?;
    if let (Some(path), Some(code)) = (dump, ctx.compiled_code().and_then(|c| c.vcode.as_ref())) {
        use std::io::Write;
        let file = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(path);
        if let Ok(mut f) = file {
            let _ = writeln!(f, "{code}");
        }
    }
    module.clear_context(&mut ctx);
    module.finalize_definitions().map_err(|e| e.to_string())?;
    let code = module.get_finalized_function(fid);
    // SAFETY: the function was declared with one pointer argument and no
    // return value, matching this type.
    let func = unsafe { std::mem::transmute::<*const u8, extern "C" fn(*const Ctx)>(code) };
    Ok(Compiled {
        _module: module,
        func,
        counts,
    })
}

/// The loop-invariant addresses and values the neuron body reads.
struct Bases {
    /// Per state, its row of `n` values.
    x_rows: Vec<Value>,
    /// Per propagator entry, its row (empty when shared).
    prop_rows: Vec<Value>,
    /// Per port, this step's ring-buffer plane.
    planes: Vec<Value>,
    /// Per parameter, its per-neuron array (`None` where constant).
    params: Vec<Option<Value>>,
    /// Per port, its per-neuron scales (`None` where constant).
    scales: Vec<Option<Value>>,
    refr: Value,
    clamp: Value,
    refr_steps: Value,
    fired: Value,
    t0: Value,
}

struct Gen<'a, 's> {
    b: FunctionBuilder<'a>,
    spec: &'s Spec<'s>,
    func_ref: cranelift_codegen::ir::FuncRef,
    pow_ref: cranelift_codegen::ir::FuncRef,
    round_ref: cranelift_codegen::ir::FuncRef,
    /// The first neuron of the lanes.
    i: Value,
    /// Neurons per value: 1 (scalar `f64`) or 2 (`f64x2`).
    lanes: u8,
    /// `F64` or `F64X2`.
    ty: Type,
    /// Per parameter, its per-neuron array (`None` where constant).
    param_rows: Vec<Option<Value>>,
    /// Flags of scalar accesses: aligned and not trapping (the caller owns
    /// the buffers and their sizes).
    mf: MemFlagsData,
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
    fn load(&mut self, row: Value, width: i64) -> Value {
        let addr = self.lane_addr(row, width);
        let flags = self.flags();
        let ty = if width == 8 { self.ty } else { types::I64X2 };
        match (width, self.vector()) {
            (8, _) => self.b.ins().load(ty, flags, addr, 0),
            (_, true) => self.b.ins().uload32x2(flags, addr, 0),
            (_, false) => self.b.ins().load(types::I32, flags, addr, 0),
        }
    }

    /// `row + i * width`.
    fn lane_addr(&mut self, row: Value, width: i64) -> Value {
        let off = self.b.ins().imul_imm_s(self.i, width);
        self.b.ins().iadd(row, off)
    }

    fn store_f64(&mut self, v: Value, row: Value) {
        let addr = self.lane_addr(row, 8);
        let flags = self.flags();
        self.b.ins().store(flags, v, addr, 0);
    }

    /// Stores refractory counters (`I32`, or `I64X2` lanes narrowed).
    fn store_u32(&mut self, v: Value, row: Value) {
        let addr = self.lane_addr(row, 4);
        if !self.vector() {
            self.b.ins().store(self.mf, v, addr, 0);
            return;
        }
        for lane in 0..self.lanes {
            let w = self.b.ins().extractlane(v, lane);
            let w = self.b.ins().ireduce(types::I32, w);
            self.b.ins().store(self.mf, w, addr, 4 * lane as i32);
        }
    }

    /// Stores the fired flags, 1 byte a neuron.
    fn store_fired(&mut self, fire: Value, row: Value) {
        let addr = self.lane_addr(row, 1);
        if !self.vector() {
            self.b.ins().store(self.mf, fire, addr, 0);
            return;
        }
        for lane in 0..self.lanes {
            let w = self.b.ins().extractlane(fire, lane);
            let w = self.b.ins().ireduce(types::I8, w);
            let w = self.b.ins().band_imm_u(w, 1);
            self.b.ins().store(self.mf, w, addr, lane as i32);
        }
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

    /// `c ? a : b` for refractory counters.
    fn select_i(&mut self, c: Value, a: Value, b: Value) -> Value {
        if self.vector() {
            self.b.ins().bitselect(c, a, b)
        } else {
            self.b.ins().select(c, a, b)
        }
    }

    /// A refractory-counter constant in every lane.
    fn counter(&mut self, v: i64) -> Value {
        if self.vector() {
            let c = self.b.ins().iconst(types::I64, v);
            self.b.ins().splat(types::I64X2, c)
        } else {
            self.b.ins().iconst(types::I32, v)
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
                    (PerNeuron::Values(_), Some(row)) => self.load(row, 8),
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
    /// The body of the per-neuron loop, for `lanes` neurons from `i`.
    fn neuron(&mut self, bases: &Bases) {
        let prog = self.spec.prog;
        let ns = prog.states;
        let mut x: Vec<Value> = (0..ns).map(|s| self.load(bases.x_rows[s], 8)).collect();
        let r = self.load(bases.refr, 4);
        let zero = self.counter(0);
        // Selects on "not refractory" take the comparison itself as mask.
        let active = self.b.ins().icmp(IntCC::Equal, r, zero);
        let clamp_idx = prog.refractory.as_ref().map(|rf| rf.clamp as usize);
        let clamp_val = match clamp_idx {
            Some(c) => {
                let cv = self.load(bases.clamp, 8);
                x[c] = self.select_f(active, x[c], cv);
                Some(cv)
            }
            None => None,
        };
        let h = self.spec.h;
        let t0 = self.splat(bases.t0);
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
        // Inputs of this step, through the ports.
        for (port, jump) in prog.jumps.iter().enumerate() {
            let v = self.load(bases.planes[port], 8);
            let scale = match (self.spec.scale_consts[port], bases.scales[port]) {
                (Some(c), _) => self.f(c),
                (None, Some(row)) => self.load(row, 8),
                _ => self.f(f64::NAN),
            };
            let s = jump.state as usize;
            let add = self.mul(v, scale);
            x[s] = self.add(x[s], add);
        }
        if let (Some(c), Some(cv)) = (clamp_idx, clamp_val) {
            x[c] = self.select_f(active, x[c], cv);
        }
        // Threshold, reset, refractoriness: selects, no branches.
        let fire = match prog.threshold {
            Some(th) => {
                let hv = self.f(h);
                let t1 = self.b.ins().fadd(t0, hv);
                let crossed = self.cond(&prog.exprs, th, &x, t1);
                // Scalar conditions are i8, lane masks i64: the counter
                // comparison matches the float one's width either way.
                let fire = self.b.ins().band(crossed, active);
                for &(s, e) in &prog.reset {
                    let v = self.expr(&prog.exprs, e, &x, t1);
                    x[s as usize] = self.select_f(fire, v, x[s as usize]);
                }
                fire
            }
            None if self.vector() => self.counter(0),
            None => self.b.ins().iconst(types::I8, 0),
        };
        let one = self.counter(1);
        let dec = self.b.ins().isub(r, one);
        let r_after = self.select_i(active, r, dec);
        if let (Some(c), Some(cv)) = (clamp_idx, clamp_val) {
            let rs = self.load(bases.refr_steps, 4);
            let r_new = self.select_i(fire, rs, r_after);
            self.store_u32(r_new, bases.refr);
            let c_new = self.select_f(fire, x[c], cv);
            self.store_f64(c_new, bases.clamp);
        }
        for (s, v) in x.iter().enumerate() {
            self.store_f64(*v, bases.x_rows[s]);
        }
        self.store_fired(fire, bases.fired);
    }
}
