//! The reference interpreter: plain `f64`, one neuron at a time, every
//! expression evaluated from its tree. Simple enough to trust; the other
//! engines are tested against it.

use crate::balance::Balance;
use crate::delivery::arrival::{Arrivals, Run, Sending};
use crate::delivery::ring::deliver;
use crate::delivery::{Buffers, Route, PARALLEL_EVENTS};
use crate::jit::{self, Compiled, Ctx, Spec};
use crate::plastic::FixedTargets;
use crate::sources::Poisson;
use crate::synapse_model::Plasticity;
use crate::{Delivery, Engine, Input, Options, Output, SimError, Spike, Trace};
use spikec_ir::fixed::Sign;
use spikec_ir::philox;
use spikec_ir::ring::{network_shifts, PopulationShifts};
use spikec_ir::step::{spike_steps, Kernel, NeuronMut, Sparsity};
use std::borrow::Cow;

use bitvec::prelude::{bitvec, BitVec};

use spikec_ir::eval::{per_neuron, per_neuron_in_program, Precision};
use spikec_ir::expanded::PerNeuron;
use spikec_ir::model::{Generator, Model, ModelBody};
use spikec_ir::network::{IndexSet, Recordable};
use spikec_ir::program::{Integrator, Propagator, UpdateProgram};

/// A neuron population's state during the run.
struct Neurons<'a> {
    model: &'a Model,
    prog: &'a UpdateProgram,
    /// Parameters (rounded to the precision).
    params: Cow<'a, [PerNeuron]>,
    /// Exact propagators (rounded to the precision).
    props: Cow<'a, [Propagator]>,
    /// The arithmetic's precision.
    q: Precision,
    /// The terms of the exact step both engines keep.
    sparsity: Sparsity,
    n: usize,
    /// States, state-major: `x[s * n + i]`, so that the JIT loads a
    /// state of neighbouring neurons as one vector.
    x: Vec<f64>,
    /// Steps of refractoriness left.
    refr: Vec<u32>,
    /// The clamped state's value while refractory.
    clamp: Vec<f64>,
    /// Refractory period in steps.
    refr_steps: Vec<u32>,
    /// Per port, per neuron: the factor of a spike's weight.
    scales: Vec<Vec<f64>>,
    /// Ring buffers, `input[(port * slots + slot) * n + i]`.
    input: Vec<f64>,
    slots: usize,
    /// The compiled update, with the pointer tables it reads.
    jit: Option<Box<JitState>>,
    /// Scratch for gathering input at arrival.
    runs: Vec<Run>,
    /// Scratch for the interpreter.
    scratch: Scratch,
}

struct JitState {
    code: Compiled,
    params: Vec<*const f64>,
    scales: Vec<*const f64>,
    props: Vec<f64>,
    /// Scratch for the row addresses of a step.
    rows: Vec<*const u8>,
}

// SAFETY: a population's compiled code, and the buffers its pointers
// address, belong to that population alone; the code keeps no state of
// its own between calls, so the population may advance on any thread, one
// at a time.
unsafe impl Send for JitState {}

enum Kind<'a> {
    Neurons(Box<Neurons<'a>>),
    Poisson(Poisson),
    Array {
        steps: Vec<Vec<u64>>,
        cursor: Vec<usize>,
    },
}

struct Pop<'a> {
    kind: Kind<'a>,
    /// Which neurons' spikes are recorded: a bitmap, one bit a neuron.
    recorded: BitVec,
}

/// Runs the network for `opts.steps` steps.
pub fn run(input: &Input<'_>, opts: &Options) -> Result<Output, SimError> {
    run_with_progress(input, opts, &mut |_| {})
}

/// [`run`], calling `progress` with the number of steps done every 1000
/// steps (for a progress bar).
pub fn run_with_progress(
    input: &Input<'_>,
    opts: &Options,
    progress: &mut dyn FnMut(u64),
) -> Result<Output, SimError> {
    let net = input.net.network();
    let ex = input.expanded;
    let h = net.timestep;
    // Outgoing synapse rows of every neuron: (projection, row). Gap
    // junctions carry no spikes; they couple states every step instead.
    let mut outgoing: Vec<Vec<(u32, u32)>> = vec![Vec::new(); ex.layout.total() as usize];
    let gaps = gap_junctions(net, ex)?;
    let total = ex.layout.total() as usize;
    for (k, ((_, proj), t)) in net.projections.iter().zip(&ex.projections).enumerate() {
        if proj.is_gap_junction() {
            continue;
        }
        for (row, &g) in t.pre.iter().enumerate() {
            outgoing[g as usize].push((k as u32, row as u32));
        }
    }
    // In s16.15, weights are what the SpiNNaker backend writes: 16-bit
    // magnitudes at the ring-buffer shift of their (population, port, sign).
    let shifts = (opts.precision == Precision::S1615).then(|| network_shifts(net, ex));
    // Where each projection's targets live: the population (a global id
    // range) and the port index there. Most projections have one.
    let routes: Vec<Vec<Route>> = net
        .projections
        .iter()
        .map(|(_, proj)| {
            let mut rs: Vec<Route> = Vec::new();
            for part in &proj.post.parts {
                let p = part.population.index();
                let port = net.port_index(proj, part.population);
                if let (Some(port), false) = (port, rs.iter().any(|r| r.pop == p)) {
                    let shift = |sign| {
                        shifts
                            .as_ref()
                            .map(|s: &Vec<PopulationShifts>| s[p].shift(port as u16, sign))
                    };
                    rs.push(Route {
                        start: ex.layout.offsets[p],
                        end: ex.layout.offsets[p + 1],
                        pop: p,
                        port,
                        shifts: shift(Sign::Positive).zip(shift(Sign::Negative)),
                    });
                }
            }
            rs
        })
        .collect();
    // In s16.15 plastic weights follow the integer rule, stored at the
    // positive shift of each target population (`plastic.rs`).
    let mut plastics: Vec<Option<Plasticity>> = net
        .projections
        .iter()
        .zip(&ex.projections)
        .zip(&routes)
        .map(|(((_, p), t), rs)| {
            let fixed: Option<FixedTargets> = shifts.as_ref().map(|_| {
                rs.iter()
                    .map(|r| (r.start, r.end, r.shifts.map_or(0, |s| s.0)))
                    .collect()
            });
            Plasticity::of(p, t, total, h, fixed.as_ref(), net.semantics)
        })
        .collect();
    // Plastic projections only: the step loop touches nothing when there
    // are none.
    let plastic_ids: Vec<usize> = (0..plastics.len())
        .filter(|&k| plastics[k].is_some())
        .collect();
    let sending: Vec<Sending> = net
        .projections
        .iter()
        .zip(&plastics)
        .map(|((_, proj), pl)| {
            if proj.is_gap_junction() {
                Sending::None
            } else if pl.is_some() {
                Sending::Plastic
            } else {
                Sending::Static
            }
        })
        .collect();
    // Poisson sources whose spikes nobody records.
    let quiet: Vec<bool> = net
        .populations
        .iter()
        .map(|(id, pop)| {
            matches!(
                net.models[pop.model].body,
                ModelBody::Source(Generator::Poisson { .. })
            ) && !net.records.iter().any(|r| {
                r.what == Recordable::Spikes && r.selection.parts.iter().any(|s| s.population == id)
            })
        })
        .collect();
    let mut arrivals = match opts.delivery {
        Delivery::Arrival => Arrivals::plan(ex, &sending, &routes, &outgoing, &quiet, h),
        Delivery::Emission => Arrivals::none(ex.populations.len(), h),
    };
    // Ring-buffer depth per population: the longest delay into it, plus one.
    // (One slot where the input is gathered at arrival.)
    let mut slots = vec![1usize; net.populations.len()];
    for ((_, proj), t) in net.projections.iter().zip(&ex.projections) {
        let targets = proj.post.parts.iter().map(|part| part.population.index());
        // (`max` reads every delay of the table: only when it is needed.)
        if targets.clone().all(|p| arrivals.gathers(p)) {
            continue;
        }
        let d = t.delays.max() as usize + 1;
        for p in targets.filter(|&p| !arrivals.gathers(p)) {
            slots[p] = slots[p].max(d);
        }
    }
    let mut pops = Vec::with_capacity(net.populations.len());
    for (pid, pop) in net.populations.iter() {
        let p = pid.index();
        let model = &net.models[pop.model];
        let values = &ex.populations[p];
        let n = pop.size as usize;
        let per = |e, i| per_neuron(model, &values.params, e, i);
        let kind = match &model.body {
            ModelBody::Neuron(_) => {
                let prog = input.programs[pop.model.index()].as_ref().ok_or_else(|| {
                    SimError::Inconsistent(format!("no update program for `{}`", model.name))
                })?;
                let props = &input.propagators[p];
                if matches!(prog.integrator, Integrator::Exact { .. })
                    && props.len() != 1
                    && props.len() != n
                {
                    return Err(SimError::Inconsistent(format!(
                        "population `{}` has {} propagators",
                        pop.name,
                        props.len()
                    )));
                }
                let ns = prog.states;
                let q = opts.precision;
                let mut x = vec![0.0; n * ns];
                for (s, init) in values.init.iter().enumerate() {
                    for i in 0..n {
                        x[s * n + i] = q.round(init.get(i));
                    }
                }
                // Everything the arithmetic reads starts in the precision.
                let (params, props): (Cow<'_, [PerNeuron]>, Cow<'_, [Propagator]>) =
                    if q == Precision::F64 {
                        (Cow::Borrowed(&values.params), Cow::Borrowed(props))
                    } else {
                        let r = |v: &[f64]| v.iter().map(|x| q.round(*x)).collect::<Vec<f64>>();
                        (
                            values
                                .params
                                .iter()
                                .map(|p| match p {
                                    PerNeuron::Const(c) => PerNeuron::Const(q.round(*c)),
                                    PerNeuron::Values(v) => PerNeuron::Values(r(v)),
                                })
                                .collect(),
                            props
                                .iter()
                                .map(|p| Propagator {
                                    p: r(&p.p),
                                    q: r(&p.q),
                                    c: r(&p.c),
                                })
                                .collect(),
                        )
                    };
                let ports = prog.jumps.len();
                let sparsity = Sparsity::of(&props);
                Kind::Neurons(Box::new(Neurons {
                    model,
                    prog,
                    params,
                    props,
                    q,
                    n,
                    x,
                    refr: vec![0; n],
                    clamp: vec![0.0; n],
                    refr_steps: (0..n)
                        .map(|i| {
                            prog.refractory
                                .as_ref()
                                .map_or(0, |r| (per(r.period, i) / h).round().max(0.0) as u32)
                        })
                        .collect(),
                    scales: prog
                        .jumps
                        .iter()
                        .map(|j| {
                            (0..n)
                                .map(|i| {
                                    q.round(j.scale.map_or(1.0, |e| {
                                        per_neuron_in_program(model, prog, &values.params, e, i)
                                    }))
                                })
                                .collect()
                        })
                        .collect(),
                    input: vec![0.0; ports * slots[p] * n],
                    slots: slots[p],
                    jit: None,
                    runs: Vec::new(),
                    scratch: Scratch::default(),
                    sparsity,
                }))
            }
            ModelBody::Source(Generator::Poisson { rate, start, stop }) => {
                let lambdas: Vec<f64> = (0..n).map(|i| per(*rate, i) * h).collect();
                Kind::Poisson(Poisson::new(
                    philox::source_key(net.seed, p),
                    &lambdas,
                    (0..n).map(|i| per(*start, i)).collect(),
                    (0..n).map(|i| per(*stop, i)).collect(),
                    h,
                ))
            }
            ModelBody::Source(Generator::Array { .. }) => {
                let trains = values.spike_times.clone().unwrap_or_default();
                Kind::Array {
                    steps: trains.iter().map(|tr| spike_steps(tr, h)).collect(),
                    cursor: vec![0; n],
                }
            }
        };
        let mut kind = kind;
        if let (Kind::Poisson(source), true) = (&kind, arrivals.draws(p)) {
            arrivals.draw(p, source.clone());
        }
        if let (Engine::Jit, Kind::Neurons(ns)) = (opts.engine, &mut kind) {
            let compiled = ns.compile(h).map_err(|message| SimError::Jit {
                population: pop.name.clone(),
                message,
            })?;
            ns.jit = Some(Box::new(compiled));
        }
        pops.push(Pop {
            kind,
            recorded: bitvec![0; n],
        });
    }
    let mut traces = Vec::new();
    for (r, rec) in net.records.iter().enumerate() {
        for part in &rec.selection.parts {
            let p = part.population.index();
            let idx: Vec<u32> = match &part.indices {
                IndexSet::All => (0..net.populations[part.population].size).collect(),
                IndexSet::Range(a, b) => (*a..*b).collect(),
                IndexSet::List(v) => v.clone(),
            };
            match &rec.what {
                Recordable::Spikes => idx
                    .iter()
                    .for_each(|&i| pops[p].recorded.set(i as usize, true)),
                Recordable::State(var) => {
                    let model = &net.models[net.populations[part.population].model];
                    let s = model
                        .state(var)
                        .map(|h| h.index() as u32)
                        .ok_or_else(|| SimError::Inconsistent(format!("no state `{var}`")))?;
                    if traces.last().is_none_or(|t: &Trace| t.record != r) {
                        traces.push(Trace {
                            record: r,
                            columns: Vec::new(),
                            values: Vec::new(),
                        });
                    }
                    let t = traces.last_mut().expect("pushed");
                    t.columns.extend(idx.iter().map(|&i| (p as u32, i, s)));
                }
            }
        }
    }
    let mut spikes_out = Vec::new();
    let mut fired: Vec<(u32, u32, u32)> = Vec::new();
    // Per target population: the rows a step delivers to it.
    let mut buckets: Vec<Vec<(u32, u32, u32, u32)>> = vec![Vec::new(); pops.len()];
    // Per population: who fired in a step, with their counts.
    let mut sent: Vec<Vec<(u32, u32)>> = vec![Vec::new(); pops.len()];
    // Populations take their input and advance on several threads when
    // there are enough neurons for it to pay; each touches only its own
    // state and buffers, so the results do not depend on it.
    let threads = rayon::current_num_threads() > 1 && total >= PARALLEL_NEURONS;
    // Until steps have been timed, a population costs its size.
    let mut spent: Vec<u64> = pops
        .iter()
        .map(|pop| match &pop.kind {
            Kind::Neurons(ns) => ns.n as u64,
            _ => pop.recorded.len() as u64,
        })
        .collect();
    let mut balance = Balance::new(&spent, rayon::current_num_threads());
    for step in 0..opts.steps {
        if step % 1000 == 0 {
            progress(step);
        }
        let t1 = (step + 1) as f64 * h;
        if step % 1024 == 1023 {
            for &k in &plastic_ids {
                if let Some(pl) = plastics[k].as_mut() {
                    pl.prune(h);
                }
            }
        }
        let sh = Shared {
            arrivals: &arrivals,
            ex,
            routes: &routes,
            step,
            h,
        };
        if !gaps.is_empty() {
            // The gap junctions' charge comes after what arrives (the order
            // in which delivery at emission fills a slot) and reads every
            // population's state before any advances.
            for (p, pop) in pops.iter_mut().enumerate() {
                pop.arrive(p, &sh);
            }
            couple(&gaps, &mut pops, step, h);
            for ((p, pop), out) in pops.iter_mut().enumerate().zip(&mut sent) {
                pop.advance(p, &sh, out);
            }
        } else if threads {
            use rayon::prelude::*;
            let mut work: Vec<Vec<_>> = (0..balance.bins()).map(|_| Vec::new()).collect();
            let each = pops.iter_mut().zip(&mut sent).zip(&mut spent).enumerate();
            for (p, ((pop, out), spent)) in each {
                work[balance.bin(p)].push((p, pop, out, spent));
            }
            work.into_par_iter().for_each(|tasks| {
                for (p, pop, out, spent) in tasks {
                    let start = std::time::Instant::now();
                    pop.arrive(p, &sh);
                    pop.advance(p, &sh, out);
                    *spent += start.elapsed().as_nanos() as u64;
                }
            });
            balance.after(step, &mut spent);
        } else {
            for ((p, pop), out) in pops.iter_mut().enumerate().zip(&mut sent) {
                pop.arrive(p, &sh);
                pop.advance(p, &sh, out);
            }
        }
        fired.clear();
        for (p, out) in sent.iter().enumerate() {
            fired.extend(out.iter().map(|&(i, k)| (p as u32, i, k)));
        }
        let recording = step >= opts.record_from;
        for t in traces.iter_mut().filter(|_| recording) {
            for &(p, i, s) in &t.columns {
                let v = match &pops[p as usize].kind {
                    Kind::Neurons(ns) => ns.x[s as usize * ns.n + i as usize],
                    _ => f64::NAN,
                };
                t.values.push(v);
            }
        }
        // Post spikes first: plastic rows sent this step pair with them
        // only after their delay, so the order within the step is free.
        for &k in &plastic_ids {
            if let Some(pl) = plastics[k].as_mut() {
                for &(p, i, _) in &fired {
                    pl.post_spike(ex.layout.global(p as usize, i), t1, h);
                }
            }
        }
        // Plastic rows take this step's spikes first (a row's new weights
        // do not depend on other rows' deliveries); every row to deliver is
        // then filed under the populations it reaches, in the order of the
        // spikes, of their rows and of the rows' routes.
        let mut events = 0usize;
        for b in &mut buckets {
            b.clear();
        }
        for &(p, i, mult) in &fired {
            if recording && pops[p as usize].recorded[i as usize] {
                spikes_out.push(Spike {
                    step,
                    population: p,
                    neuron: i,
                });
            }
            let g = ex.layout.global(p as usize, i);
            for &(k, row) in &outgoing[g as usize] {
                let t = &ex.projections[k as usize];
                if let Some(pl) = plastics[k as usize].as_mut() {
                    pl.pre_spike(t, row as usize, t1, h);
                }
                for (r, route) in routes[k as usize].iter().enumerate() {
                    if !arrivals.gathers(route.pop) {
                        events += t.row(row as usize).len();
                        buckets[route.pop].push((k, row, mult, r as u32));
                    }
                }
            }
        }
        arrivals.remember(step, &fired);
        // Each population's buffers take their rows in that order,
        // whichever thread serves them, so the sums and the results do not
        // depend on the thread count; threads pay only when a step has
        // many synaptic events.
        let into = |bucket: &[(u32, u32, u32, u32)], b: &mut Buffers<'_>| {
            for &(k, row, mult, r) in bucket {
                let t = &ex.projections[k as usize];
                let plastic = plastics[k as usize].as_ref().map(|pl| pl.weights());
                let route = &routes[k as usize][r as usize];
                deliver(b, route, t, plastic, row as usize, step, mult);
            }
        };
        let mut buffers = pops.iter_mut().map(|pop| match &mut pop.kind {
            Kind::Neurons(ns) => Some(ns.buffers()),
            _ => None,
        });
        if events >= PARALLEL_EVENTS && rayon::current_num_threads() > 1 {
            use rayon::prelude::*;
            let mut all: Vec<_> = buffers.zip(&buckets).collect();
            all.par_iter_mut().for_each(|(b, bucket)| {
                if let Some(b) = b {
                    into(bucket, b);
                }
            });
        } else {
            for (b, bucket) in buffers.by_ref().zip(&buckets) {
                if let Some(mut b) = b {
                    into(bucket, &mut b);
                }
            }
        }
    }
    let synapses = plastic_ids
        .iter()
        .map(|&k| {
            let t = &ex.projections[k];
            (0..t.pre.len())
                .flat_map(|r| t.row(r).map(move |s| (t.pre[r], t.targets[s])))
                .collect()
        })
        .collect();
    Ok(Output {
        spikes: spikes_out,
        synapses,
        weights: plastics
            .into_iter()
            .enumerate()
            .filter_map(|(k, p)| p.map(|p| (k, p.into_weights())))
            .collect(),
        traces,
        steps: opts.steps,
        record_from: opts.record_from,
    })
}

/// Neurons (sources included) from which populations advance on several
/// threads: below, a step is too short for the threads to pay (CUBA's
/// 4,000 neurons run faster on one).
const PARALLEL_NEURONS: usize = 10_000;

/// What every population reads in a step.
struct Shared<'a> {
    arrivals: &'a Arrivals,
    ex: &'a spikec_ir::expanded::Expanded,
    routes: &'a [Vec<Route>],
    step: u64,
    h: f64,
}

impl Pop<'_> {
    /// Gathers what arrives in this step, if the population takes its
    /// input at arrival.
    fn arrive(&mut self, p: usize, sh: &Shared<'_>) {
        if let (Kind::Neurons(ns), true) = (&mut self.kind, sh.arrivals.gathers(p)) {
            let mut runs = std::mem::take(&mut ns.runs);
            sh.arrivals
                .gather(p, sh.step, sh.ex, sh.routes, &mut ns.buffers(), &mut runs);
            ns.runs = runs;
        }
    }

    /// Advances the population over the step and lists who fired, with
    /// their counts, in `out`.
    fn advance(&mut self, p: usize, sh: &Shared<'_>, out: &mut Vec<(u32, u32)>) {
        out.clear();
        let (step, h) = (sh.step, sh.h);
        let t0 = step as f64 * h;
        match &mut self.kind {
            Kind::Neurons(ns) => {
                let slot = (step % ns.slots as u64) as usize;
                if ns.jit.is_some() {
                    // The compiled code lists who fired and clears this
                    // step's slot of the ring buffers itself.
                    let spikes = ns.step_jit(slot, step, t0);
                    out.extend(spikes.iter().map(|&i| (i, 1)));
                } else {
                    let mut scratch = std::mem::take(&mut ns.scratch);
                    for i in 0..ns.n {
                        if ns.update(i, slot, h, t0, &mut scratch) {
                            out.push((i as u32, 1));
                        }
                    }
                    ns.scratch = scratch;
                    for port in 0..ns.prog.jumps.len() {
                        let base = (port * ns.slots + slot) * ns.n;
                        ns.input[base..base + ns.n].fill(0.0);
                    }
                }
            }
            Kind::Poisson(source) if !sh.arrivals.draws(p) => {
                source.counts(step, h, |i, k| out.push((i, k)));
            }
            Kind::Poisson(_) => {}
            Kind::Array { steps, cursor } => {
                for i in 0..steps.len() {
                    let mut k = 0;
                    while cursor[i] < steps[i].len() && steps[i][cursor[i]] <= step {
                        k += u32::from(steps[i][cursor[i]] == step);
                        cursor[i] += 1;
                    }
                    if k > 0 {
                        out.push((i as u32, k));
                    }
                }
            }
        }
    }
}

/// One end of a gap junction: a neuron, the state its gap port jumps, and
/// the port.
#[derive(Clone, Copy)]
struct GapEnd {
    pop: u32,
    neuron: u32,
    state: u32,
    port: u32,
}

/// A gap junction between two neurons, with its conductance.
struct Gap {
    a: GapEnd,
    b: GapEnd,
    g: f64,
}

/// Every gap junction of the network, from the expanded tables.
fn gap_junctions(
    net: &spikec_ir::Network,
    ex: &spikec_ir::expanded::Expanded,
) -> Result<Vec<Gap>, SimError> {
    let mut gaps = Vec::new();
    for ((_, proj), t) in net.projections.iter().zip(&ex.projections) {
        if !proj.is_gap_junction() {
            continue;
        }
        // The gap port and the state it jumps, per population, found once.
        let ports: Vec<Option<(u32, u32)>> = net
            .populations
            .iter()
            .map(|(_, pop)| {
                let d = net.models[pop.model].dynamics()?;
                let port = d.ports.iter().position(|q| q.name == proj.port)?;
                Some((port as u32, d.ports[port].target.index() as u32))
            })
            .collect();
        let end = |g: u32| -> Result<GapEnd, SimError> {
            let (p, i) = ex.layout.local(g);
            let (port, state) = ports[p]
                .ok_or_else(|| SimError::Inconsistent(format!("no port `{}`", proj.port)))?;
            Ok(GapEnd {
                pop: p as u32,
                neuron: i,
                state,
                port,
            })
        };
        for (row, &pre) in t.pre.iter().enumerate() {
            for k in t.row(row) {
                gaps.push(Gap {
                    a: end(pre)?,
                    b: end(t.targets[k])?,
                    g: t.weights.get(k),
                });
            }
        }
    }
    Ok(gaps)
}

/// Passes each gap junction's charge of this step, `g · (v_a − v_b) · h`
/// from the states at the start of the step, into `b`'s port and its
/// opposite into `a`'s: the input of this step's slot, which both engines
/// add like arriving spikes.
fn couple(gaps: &[Gap], pops: &mut [Pop<'_>], step: u64, h: f64) {
    let v = |pops: &[Pop<'_>], e: GapEnd| match &pops[e.pop as usize].kind {
        Kind::Neurons(ns) => ns.x[e.state as usize * ns.n + e.neuron as usize],
        _ => 0.0,
    };
    let add = |pops: &mut [Pop<'_>], e: GapEnd, q: f64| {
        if let Kind::Neurons(ns) = &mut pops[e.pop as usize].kind {
            let slot = (step % ns.slots as u64) as usize;
            ns.input[(e.port as usize * ns.slots + slot) * ns.n + e.neuron as usize] += q;
        }
    };
    for gap in gaps {
        let q = gap.g * (v(pops, gap.a) - v(pops, gap.b)) * h;
        add(pops, gap.b, q);
        add(pops, gap.a, -q);
    }
}

/// Buffers reused across neurons.
#[derive(Default)]
struct Scratch {
    /// The states of the neuron being updated.
    cur: Vec<f64>,
    step: spikec_ir::step::Scratch,
}

impl Neurons<'_> {
    /// The ring buffers, for delivery.
    fn buffers(&mut self) -> Buffers<'_> {
        Buffers {
            input: &mut self.input,
            n: self.n,
            slots: self.slots,
            q: self.q,
        }
    }

    /// Compiles this population's update.
    fn compile(&self, h: f64) -> Result<JitState, String> {
        let same = |v: &[f64]| {
            v.first()
                .filter(|f| v.iter().all(|x| x.to_bits() == f.to_bits()))
                .copied()
        };
        let scale_consts: Vec<Option<f64>> = self.scales.iter().map(|s| same(s)).collect();
        let shared = (self.props.len() == 1).then(|| &self.props[0]);
        let spec = Spec {
            sparsity: &self.sparsity,
            model: self.model,
            prog: self.prog,
            params: &self.params,
            scale_consts,
            shared,
            h,
            precision: self.q,
            n: self.n,
            slots: self.slots,
        };
        let code = jit::compile(&spec)?;
        let params = self
            .params
            .iter()
            .map(|p| match p {
                PerNeuron::Const(_) => std::ptr::null(),
                PerNeuron::Values(v) => v.as_ptr(),
            })
            .collect();
        let scales = self.scales.iter().map(|s| s.as_ptr()).collect();
        let props = if self.props.len() > 1 {
            // Entry-major, as the JIT loads a lane pair of one entry.
            let k = self.prog.states * (self.prog.states + 2);
            let mut rows = vec![0.0; k * self.n];
            for (i, p) in self.props.iter().enumerate() {
                for (j, v) in p.p.iter().chain(&p.c).chain(&p.q).enumerate() {
                    rows[j * self.n + i] = *v;
                }
            }
            rows
        } else {
            Vec::new()
        };
        Ok(JitState {
            code,
            params,
            scales,
            props,
            rows: Vec::new(),
        })
    }

    /// Advances every neuron with the compiled update; returns the
    /// neurons that fired, in increasing order.
    fn step_jit(&mut self, slot: usize, step: u64, t0: f64) -> &[u32] {
        let Some(j) = self.jit.as_mut() else {
            return &[];
        };
        let mut ctx = Ctx {
            x: self.x.as_mut_ptr(),
            until: std::ptr::null_mut(),
            spikes: std::ptr::null_mut(),
            refr_steps: self.refr_steps.as_ptr(),
            input: self.input.as_mut_ptr(),
            params: j.params.as_ptr(),
            scales: j.scales.as_ptr(),
            props: j.props.as_ptr(),
            n: self.n as u64,
            slots: self.slots as u64,
            slot: slot as u64,
            t0,
            rows: std::ptr::null(),
            step,
        };
        // SAFETY: every buffer is owned by this population (or borrowed from
        // the expansion for the whole run) and sized for `n` neurons,
        // `states` states, the ports and `slots`, as the code was compiled.
        unsafe { j.code.call(&mut ctx, &mut j.rows) }
    }

    /// Advances neuron `i` over one step; returns whether it fired.
    fn update(&mut self, i: usize, slot: usize, h: f64, t0: f64, sc: &mut Scratch) -> bool {
        let (ns, n) = (self.prog.states, self.n);
        let mut x = std::mem::take(&mut sc.cur);
        x.clear();
        x.extend((0..ns).map(|s| self.x[s * n + i]));
        let kernel = Kernel {
            model: self.model,
            prog: self.prog,
            params: &self.params,
            props: &self.props,
            sparsity: &self.sparsity,
            q: self.q,
            h,
        };
        let (input, scales, slots) = (&self.input, &self.scales, self.slots);
        let port_input = |port: usize| (input[(port * slots + slot) * n + i], scales[port][i]);
        let fire = kernel.update(
            i,
            NeuronMut {
                x: &mut x,
                refr: &mut self.refr[i],
                clamp: &mut self.clamp[i],
            },
            self.refr_steps[i],
            &port_input,
            t0,
            &mut sc.step,
        );
        for (s, v) in x.iter().enumerate() {
            self.x[s * n + i] = *v;
        }
        sc.cur = x;
        fire
    }
}
