//! The cranelift JIT engine: each neuron population's update program is
//! compiled to one native function that advances every neuron of the
//! population by one step and lists the neurons that fired.
//!
//! The generated code performs exactly the interpreter's floating-point
//! operations in the same order (no fused multiply-adds, the same sums, the
//! same library functions, called through the helpers below), so in `f64`
//! the two engines agree bit for bit. What the JIT adds is speed:
//! parameters that are the same for every neuron, and shared propagators,
//! become constants in the code, and so do the distances between rows;
//! the only calls left are to transcendental functions.
//!
//! Neurons are updated two at a time in `f64x2` lanes (cranelift does not
//! vectorise by itself), two pairs per pass of the loop, then a pair and a
//! scalar tail. Every state, parameter, propagator entry and ring buffer is
//! laid out neuron-minor, so a lane pair is one 16-byte load. The lanes
//! compute exactly what the scalar code computes: IEEE arithmetic is
//! lane-wise, library calls and the s16.15 rounding go through the same
//! helpers one lane at a time, and `f32` rounding narrows and widens both
//! lanes at once. `f32` keeps `f64` lanes: its reference semantics round
//! each `f64` result (inputs such as ring-buffer sums and times stay
//! `f64`), which four `f32` lanes cannot reproduce bit for bit.
//!
//! A pass is branch-free up to the threshold test: advance, add the input
//! and clear the ring buffer's slot, hold refractory neurons, store, test.
//! Spikes are rare, so the reset, the start of refractoriness and the
//! spike list live behind one branch taken only when a neuron of the pass
//! fired (`gen.rs`). Refractoriness is kept as the step at which it ends,
//! so a step costs one comparison and no store for it.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, AbiParam, InstBuilder, MemFlagsData, Signature, Value};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{default_libcall_names, FuncId, Linkage, Module};

use spikec_ir::eval::Precision;
use spikec_ir::expanded::PerNeuron;
use spikec_ir::expr::Func;
use spikec_ir::model::Model;
use spikec_ir::program::{Integrator, Propagator, UpdateProgram};

mod gen;
use gen::{Bases, Gen, Row};

/// Everything the compiled function reads and writes, by pointer.
///
/// The function returns how many neurons fired and writes their indices,
/// in increasing order, to `spikes`.
#[repr(C)]
pub struct Ctx {
    /// States, state-major: `x[s * n + i]`.
    pub x: *mut f64,
    /// The first step at which each neuron is no longer refractory: the
    /// JIT's own form of the interpreter's countdown, which it keeps
    /// between steps, with the step's number plus one in the two `i64`
    /// in front of it ([`Compiled::call`] sets this pointer).
    pub until: *mut i64,
    /// Output: the fired neurons ([`Compiled::call`] sets this pointer).
    pub spikes: *mut u32,
    /// Refractory period in steps.
    pub refr_steps: *const u32,
    /// Ring buffers, `input[(port * slots + slot) * n + i]`; the code
    /// clears this step's slot as it reads it.
    pub input: *mut f64,
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
    /// The step's number (`t0 = step * h`).
    pub step: u64,
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
/// port. The code reads the first row of each kind and reaches the others
/// by offsets when they fit an immediate (see `gen::Row`).
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
const OFF_UNTIL: i32 = 8;
const OFF_SPIKES: i32 = 16;
const OFF_REFR_STEPS: i32 = 24;
const OFF_INPUT: i32 = 32;
const OFF_PARAMS: i32 = 40;
const OFF_SCALES: i32 = 48;
const OFF_PROPS: i32 = 56;
const OFF_N: i32 = 64;
const OFF_SLOTS: i32 = 72;
const OFF_SLOT: i32 = 80;
const OFF_T0: i32 = 88;
const OFF_ROWS: i32 = 96;
const OFF_STEP: i32 = 104;

// The offsets above are the `repr(C)` layout of `Ctx`; keep them honest.
const _: () = {
    assert!(std::mem::offset_of!(Ctx, x) == OFF_X as usize);
    assert!(std::mem::offset_of!(Ctx, until) == OFF_UNTIL as usize);
    assert!(std::mem::offset_of!(Ctx, spikes) == OFF_SPIKES as usize);
    assert!(std::mem::offset_of!(Ctx, refr_steps) == OFF_REFR_STEPS as usize);
    assert!(std::mem::offset_of!(Ctx, input) == OFF_INPUT as usize);
    assert!(std::mem::offset_of!(Ctx, params) == OFF_PARAMS as usize);
    assert!(std::mem::offset_of!(Ctx, scales) == OFF_SCALES as usize);
    assert!(std::mem::offset_of!(Ctx, props) == OFF_PROPS as usize);
    assert!(std::mem::offset_of!(Ctx, n) == OFF_N as usize);
    assert!(std::mem::offset_of!(Ctx, slots) == OFF_SLOTS as usize);
    assert!(std::mem::offset_of!(Ctx, slot) == OFF_SLOT as usize);
    assert!(std::mem::offset_of!(Ctx, t0) == OFF_T0 as usize);
    assert!(std::mem::offset_of!(Ctx, rows) == OFF_ROWS as usize);
    assert!(std::mem::offset_of!(Ctx, step) == OFF_STEP as usize);
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

/// Lanes of the step's number in front of `until` (see [`Compiled`]).
const STEP_LANES: usize = 2;

/// A compiled population update.
pub struct Compiled {
    _module: JITModule,
    func: extern "C" fn(*const Ctx) -> u64,
    counts: RowCounts,
    /// The step's number plus one in both lanes, then `Ctx::until` per
    /// neuron (sized at the first call). The loop loads the step from just
    /// below `until` (one register for both) with one instruction, where a
    /// value kept from the entry would take a register or a spill.
    until: Vec<i64>,
    /// `Ctx::spikes`, room for every neuron.
    spikes: Vec<u32>,
}

impl Compiled {
    /// Runs one step for every neuron and returns the neurons that fired,
    /// in increasing order; `rows` is scratch space for the row addresses,
    /// which this fills in before the call.
    ///
    /// # Safety
    /// Every pointer in `ctx` that the caller sets must be valid for the
    /// sizes the function was compiled for and `ctx.n`, which must be the
    /// same at every call.
    pub unsafe fn call(&mut self, ctx: &mut Ctx, rows: &mut Vec<*const u8>) -> &[u32] {
        let n = ctx.n as usize;
        if self.until.len() != n + STEP_LANES {
            // Nobody is refractory before the first step.
            self.until = vec![0; n + STEP_LANES];
            self.spikes = vec![0; n];
        }
        let (step1, until) = self.until.split_at_mut(STEP_LANES);
        step1.fill(ctx.step as i64 + 1);
        ctx.until = until.as_mut_ptr();
        ctx.spikes = self.spikes.as_mut_ptr();
        self::rows(ctx, self.counts, rows);
        ctx.rows = rows.as_ptr();
        let fired = (self.func)(ctx) as usize;
        &self.spikes[..fired.min(n)]
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
    /// Neurons: rows of `n` values that lie at a fixed distance from one
    /// another are addressed from one register (see [`Row`]).
    pub n: usize,
    /// Ring-buffer depth.
    pub slots: usize,
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
    ctx.func.signature.returns.push(AbiParam::new(types::I64));
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
        let base_until = load_ptr(&mut b, OFF_UNTIL);
        let base_params = load_ptr(&mut b, OFF_PARAMS);
        let base_scales = load_ptr(&mut b, OFF_SCALES);
        let n = b.ins().load(types::I64, mf, cp, OFF_N);
        let t0 = b.ins().load(types::F64, mf, cp, OFF_T0);
        let base_rows = load_ptr(&mut b, OFF_ROWS);
        // Rows `n` values apart (states, propagator entries) or `slots * n`
        // (the ports' planes of one slot): one pointer and immediate
        // offsets while those fit an `i32`, else a pointer each.
        let row_bytes = spec.n.saturating_mul(8);
        let mut set = |first: usize, count: usize, gap: usize| -> Vec<Row> {
            let base = b.ins().load(ptr, mf, base_rows, (8 * first) as i32);
            (0..count)
                .map(|k| match i32::try_from(k.saturating_mul(gap)) {
                    Ok(off) if off < i32::MAX - 64 => Row { base, off },
                    _ => Row {
                        base: b.ins().load(ptr, mf, base_rows, (8 * (first + k)) as i32),
                        off: 0,
                    },
                })
                .collect()
        };
        let x_rows = set(0, ns, row_bytes);
        let prop_rows = set(ns, n_props, row_bytes);
        let planes = set(
            ns + n_props,
            spec.prog.jumps.len(),
            row_bytes.saturating_mul(spec.slots),
        );
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
            until: Row {
                base: base_until,
                off: 0,
            },
            ctx: cp,
            ptr,
            t0,
        };

        // Four neurons at a time (two f64x2 groups) while four are left,
        // then at most one pair and one neuron alone. Each pass computes
        // its groups branch-free and takes the rare branch to the reset,
        // refractoriness and the spike list only when one of them fired.
        let ivar: Variable = b.declare_var(types::I64);
        let cnt: Variable = b.declare_var(types::I64);
        let zero = b.ins().iconst(types::I64, 0);
        b.def_var(ivar, zero);
        b.def_var(cnt, zero);
        let exit = b.create_block();
        let passes: [(i64, u8); 3] = [(2, 2), (1, 2), (1, 1)];
        for (k, &(groups, lanes)) in passes.iter().enumerate() {
            let width = groups * lanes as i64;
            let head = b.create_block();
            let body = b.create_block();
            let after = if k + 1 == passes.len() {
                exit
            } else {
                b.create_block()
            };
            b.ins().jump(head, &[]);
            b.switch_to_block(head);
            let i = b.use_var(ivar);
            let end = b.ins().iadd_imm_s(i, width);
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
                k: 0,
                lanes,
                ty: if lanes == 1 { types::F64 } else { types::F64X2 },
                param_rows: bases.params.clone(),
                mf,
                cnt,
            };
            g.pass(&bases, groups);
            b = g.b;
            let i = b.use_var(ivar);
            let next = b.ins().iadd_imm_s(i, width);
            b.def_var(ivar, next);
            b.ins().jump(head, &[]);
            if after != exit {
                b.switch_to_block(after);
            }
        }
        b.switch_to_block(exit);
        let fired = b.use_var(cnt);
        b.ins().return_(&[fired]);
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
    // SAFETY: the function was declared with one pointer argument and an
    // `i64` result, matching this type.
    let func = unsafe { std::mem::transmute::<*const u8, extern "C" fn(*const Ctx) -> u64>(code) };
    Ok(Compiled {
        _module: module,
        func,
        counts,
        until: Vec::new(),
        spikes: Vec::new(),
    })
}
