#!/usr/bin/env python3
"""Generate the deterministic networks of the NEST cross-check.

For every network this writes, into WORK/<name>/:

  neurons.csv         per-neuron I_e[pA] and initial V_m[mV] (one row per neuron)
  conns.csv           recurrent connections pre,post,weight[pA|mV],delay[ms]
                      (both signs; what NEST reads)
  conns_exc.csv       the rows of conns.csv with weight > 0 (spikec, port excitatory)
  conns_inh.csv       the rows of conns.csv with weight < 0 (spikec, port inhibitory)
  input_spikes.csv    spike times of the spike generators: neuron,time[ms]
                      (0.1 ms grid)
  input_conns.csv     generator -> neuron connections, same columns as conns.csv
  input_exc.csv / input_inh.csv   its rows split by sign (spikec)
  net.snn             the network for `spikec sim`
  nest_run.py         the same network in PyNEST, reading the same CSVs
  meta.json           model, size, duration, parameters (for the report)

For iaf_psc_delta the weights are voltage jumps in mV, and both spikec ports
add to V_m, so the unsplit files go to port `excitatory` (one port keeps the
order of summation closest to NEST's single buffer).

Everything derives from one fixed seed per network: running this twice
writes identical files.
"""

import argparse
import json
import os
import random

# ---------------------------------------------------------------------------
# The networks. Units: NEST's (pF, ms, mV, pA).

NETWORKS = [
    {
        # Base case: iaf_psc_exp, defaults except distinct ex/in time constants.
        "name": "exp_base",
        "model": "iaf_psc_exp",
        "n": 100,
        "duration": 500.0,
        "seed": 101,
        "params": {"C_m": 250.0, "tau_m": 10.0, "t_ref": 2.0, "E_L": -70.0,
                   "V_th": -55.0, "V_reset": -70.0, "tau_syn_ex": 2.0, "tau_syn_in": 5.0},
        "I_e": (340.0, 420.0),           # rheobase here: 15 mV * 250 pF / 10 ms = 375 pA
        "indegree": 10, "frac_inh": 0.2,
        "w_exc": (40.0, 120.0), "w_inh": (-240.0, -80.0),
        "delay_steps": (1, 40),          # 0.1 .. 4.0 ms
        "n_src": 20, "src_rate": 20.0, "src_outdegree": 10,
        "w_src_exc": (50.0, 200.0), "w_src_inh": (-200.0, -50.0),
    },
    {
        # Singular propagator: tau_syn_ex == tau_syn_in == tau_m.
        "name": "exp_tau_equal",
        "model": "iaf_psc_exp",
        "n": 200,
        "duration": 1000.0,
        "seed": 202,
        "params": {"C_m": 250.0, "tau_m": 10.0, "t_ref": 2.0, "E_L": -70.0,
                   "V_th": -55.0, "V_reset": -70.0, "tau_syn_ex": 10.0, "tau_syn_in": 10.0},
        "I_e": (330.0, 400.0),
        "indegree": 15, "frac_inh": 0.2,
        "w_exc": (5.0, 25.0), "w_inh": (-60.0, -15.0),
        "delay_steps": (1, 25),
        "n_src": 30, "src_rate": 15.0, "src_outdegree": 15,
        "w_src_exc": (10.0, 40.0), "w_src_inh": (-40.0, -10.0),
    },
    {
        # Refractoriness that matters: long t_ref, strong drive (ISI only a few
        # ms longer than t_ref), V_reset != E_L, input arriving while refractory.
        "name": "exp_refractory",
        "model": "iaf_psc_exp",
        "n": 300,
        "duration": 500.0,
        "seed": 303,
        "params": {"C_m": 200.0, "tau_m": 15.0, "t_ref": 5.0, "E_L": -65.0,
                   "V_th": -50.0, "V_reset": -60.0, "tau_syn_ex": 1.5, "tau_syn_in": 3.0},
        "I_e": (450.0, 900.0),
        "indegree": 20, "frac_inh": 0.25,
        "w_exc": (30.0, 90.0), "w_inh": (-200.0, -60.0),
        "delay_steps": (2, 30),
        "n_src": 40, "src_rate": 30.0, "src_outdegree": 20,
        "w_src_exc": (50.0, 150.0), "w_src_inh": (-150.0, -50.0),
    },
    {
        # The largest iaf_psc_exp case: 500 neurons, 1 s.
        "name": "exp_large",
        "model": "iaf_psc_exp",
        "n": 500,
        "duration": 1000.0,
        "seed": 404,
        "params": {"C_m": 250.0, "tau_m": 20.0, "t_ref": 2.0, "E_L": -70.0,
                   "V_th": -55.0, "V_reset": -70.0, "tau_syn_ex": 0.5, "tau_syn_in": 2.0},
        "I_e": (150.0, 200.0),           # rheobase 187.5 pA
        "indegree": 50, "frac_inh": 0.2,
        "w_exc": (50.0, 150.0), "w_inh": (-400.0, -100.0),
        "delay_steps": (1, 50),
        "n_src": 50, "src_rate": 10.0, "src_outdegree": 30,
        "w_src_exc": (100.0, 300.0), "w_src_inh": (-300.0, -100.0),
    },
    {
        # iaf_psc_delta: weights are jumps of V_m in mV.
        "name": "delta",
        "model": "iaf_psc_delta",
        "n": 500,
        "duration": 500.0,
        "seed": 505,
        "params": {"C_m": 250.0, "tau_m": 20.0, "t_ref": 2.0, "E_L": -70.0,
                   "V_th": -55.0, "V_reset": -70.0},
        "I_e": (150.0, 200.0),
        "indegree": 40, "frac_inh": 0.2,
        "w_exc": (0.1, 0.6), "w_inh": (-1.5, -0.4),
        "delay_steps": (1, 30),
        "n_src": 50, "src_rate": 10.0, "src_outdegree": 20,
        "w_src_exc": (0.5, 2.0), "w_src_inh": (-2.0, -0.5),
    },
    {
        # iaf_psc_alpha: weights are PSC peaks in pA.
        "name": "alpha",
        "model": "iaf_psc_alpha",
        "n": 300,
        "duration": 500.0,
        "seed": 606,
        "params": {"C_m": 250.0, "tau_m": 10.0, "t_ref": 2.0, "E_L": -70.0,
                   "V_th": -55.0, "V_reset": -70.0, "tau_syn_ex": 0.5, "tau_syn_in": 1.0},
        "I_e": (340.0, 420.0),
        "indegree": 20, "frac_inh": 0.2,
        "w_exc": (40.0, 150.0), "w_inh": (-300.0, -100.0),
        "delay_steps": (1, 20),
        "n_src": 30, "src_rate": 20.0, "src_outdegree": 15,
        "w_src_exc": (100.0, 300.0), "w_src_inh": (-300.0, -100.0),
    },
    {
        # iaf_psc_alpha with tau_syn == tau_m (NEST's singular-case propagator).
        "name": "alpha_tau_equal",
        "model": "iaf_psc_alpha",
        "n": 100,
        "duration": 1000.0,
        "seed": 707,
        "params": {"C_m": 250.0, "tau_m": 10.0, "t_ref": 3.0, "E_L": -70.0,
                   "V_th": -55.0, "V_reset": -68.0, "tau_syn_ex": 10.0, "tau_syn_in": 10.0},
        "I_e": (330.0, 400.0),
        "indegree": 10, "frac_inh": 0.2,
        "w_exc": (2.0, 10.0), "w_inh": (-20.0, -5.0),
        "delay_steps": (1, 15),
        "n_src": 20, "src_rate": 10.0, "src_outdegree": 10,
        "w_src_exc": (5.0, 20.0), "w_src_inh": (-20.0, -5.0),
    },
    {
        # Boundary cases on top of a small random network. Special neurons get
        # only the inputs listed (each from its own one-spike generator):
        #   0: I_e exactly at rheobase (V_m converges to V_th from below)
        #   1: rheobase and V_m(0) == V_th
        #   2: V_m(0) above V_th (spike in the first step)
        #   3: V_m(0) == V_th, I_e = 0 (decays before the first test)
        #   4: fires at 0.1 ms, input arrives in the last refractory step (ignored)
        #   5: fires at 0.1 ms, input arrives in the first step after it (counted)
        #   6: I_e = 1000 pA: a regular train, t_ref sets the period
        #   7: a generator spike listed twice (multiplicity), 8: a multapse
        "name": "edge_exp",
        "model": "iaf_psc_exp",
        "n": 50,
        "duration": 1000.0,
        "seed": 808,
        "params": {"C_m": 250.0, "tau_m": 10.0, "t_ref": 2.0, "E_L": -70.0,
                   "V_th": -55.0, "V_reset": -70.0, "tau_syn_ex": 2.0, "tau_syn_in": 2.0},
        "I_e": (340.0, 420.0),
        "indegree": 8, "frac_inh": 0.2,
        "w_exc": (40.0, 120.0), "w_inh": (-240.0, -80.0),
        "delay_steps": (1, 30),
        "n_src": 10, "src_rate": 20.0, "src_outdegree": 8,
        "w_src_exc": (50.0, 200.0), "w_src_inh": (-200.0, -50.0),
        "special": [
            {"neuron": 0, "I_e": "375.00", "V_m": "-70.000"},
            {"neuron": 1, "I_e": "375.00", "V_m": "-55.000"},
            {"neuron": 2, "I_e": "0", "V_m": "-54.000"},
            {"neuron": 3, "I_e": "0", "V_m": "-55.000"},
            {"neuron": 4, "I_e": "0", "V_m": "-54.000", "inputs": [(1.0, "5000.00", 1.1)]},
            {"neuron": 5, "I_e": "0", "V_m": "-54.000", "inputs": [(1.0, "5000.00", 1.2)]},
            {"neuron": 6, "I_e": "1000.00", "V_m": "-70.000"},
            # 7: one generator spike listed twice (multiplicity 2) of 2000 pA:
            #    one alone gives a PSP of about 10.7 mV, two cross V_th
            {"neuron": 7, "I_e": "0", "V_m": "-70.000", "inputs": [((10.0, 10.0), "2000.00", 1.0)]},
            # 8: two synapses from the same generator (multapse), plus an
            #    inhibitory one with another delay
            {"neuron": 8, "I_e": "0", "V_m": "-70.000",
             "inputs": [((20.0,), "2000.00", 1.0), ((20.0,), "2000.00", 1.0), ((20.0,), "-500.00", 1.5)]},
        ],
    },
    {
        # The same boundaries for delta synapses, where a jump can hit V_th
        # exactly: 1 gets +15 mV at rest (V == V_th: spikes with >=), 2 gets
        # +14.999 mV (no spike), 4/5 get +20 mV in the last refractory step
        # (ignored: refractory_input = false) / the first step after it;
        # 7/8 as in edge_exp (multiplicity, multapse).
        "name": "edge_delta",
        "model": "iaf_psc_delta",
        "n": 50,
        "duration": 1000.0,
        "seed": 909,
        "params": {"C_m": 250.0, "tau_m": 20.0, "t_ref": 2.0, "E_L": -70.0,
                   "V_th": -55.0, "V_reset": -70.0},
        "I_e": (150.0, 200.0),
        "indegree": 10, "frac_inh": 0.2,
        "w_exc": (0.5, 2.0), "w_inh": (-3.0, -1.0),
        "delay_steps": (1, 30),
        "n_src": 10, "src_rate": 10.0, "src_outdegree": 10,
        "w_src_exc": (0.5, 2.0), "w_src_inh": (-2.0, -0.5),
        "special": [
            {"neuron": 0, "I_e": "187.50", "V_m": "-70.000"},
            {"neuron": 1, "I_e": "0", "V_m": "-70.000", "inputs": [(5.0, "15.000", 1.0)]},
            {"neuron": 2, "I_e": "0", "V_m": "-70.000", "inputs": [(5.0, "14.999", 1.0)]},
            {"neuron": 3, "I_e": "0", "V_m": "-54.000"},
            {"neuron": 4, "I_e": "0", "V_m": "-54.000", "inputs": [(1.0, "20.000", 1.1)]},
            {"neuron": 5, "I_e": "0", "V_m": "-54.000", "inputs": [(1.0, "20.000", 1.2)]},
            {"neuron": 6, "I_e": "1000.00", "V_m": "-70.000"},
            # 7: one generator spike listed twice, 8 mV each: 16 mV >= 15 mV
            {"neuron": 7, "I_e": "0", "V_m": "-70.000", "inputs": [((10.0, 10.0), "8.000", 1.0)]},
            # 8: two synapses from the same generator (multapse), 8 mV each
            {"neuron": 8, "I_e": "0", "V_m": "-70.000",
             "inputs": [((20.0,), "8.000", 1.0), ((20.0,), "8.000", 1.0)]},
        ],
    },
]

H = 0.1          # resolution, ms
REC_TRACE = 3    # V_m of the first neurons is always recorded (both simulators)


def weight_unit(model):
    return "mV" if model == "iaf_psc_delta" else "pA"


def fmt(x, digits):
    """Fixed-point text; both simulators parse exactly this text."""
    s = f"{x:.{digits}f}"
    return "0" if float(s) == 0 else s


def gen(spec):
    rng = random.Random(spec["seed"])
    n = spec["n"]
    p = spec["params"]
    # -- per-neuron values
    neurons = []
    for _ in range(n):
        ie = rng.uniform(*spec["I_e"])
        vm = rng.uniform(p["E_L"] - 5.0, p["V_th"] - 0.5)
        neurons.append((fmt(ie, 2), fmt(vm, 3)))
    # -- recurrent connections: fixed in-degree, no multapses, Dale's law
    n_inh = int(round(spec["frac_inh"] * n))
    inh = set(range(n - n_inh, n))
    wdig = 3 if spec["model"] == "iaf_psc_delta" else 2
    conns = []
    for post in range(n):
        for pre in sorted(rng.sample(range(n), spec["indegree"])):
            w = rng.uniform(*(spec["w_inh"] if pre in inh else spec["w_exc"]))
            d = rng.randint(*spec["delay_steps"])
            conns.append((pre, post, fmt(w, wdig), fmt(d * H, 1)))
    conns.sort(key=lambda c: (c[0], c[1]))
    # -- input spike trains: Poisson-like, on the 0.1 ms grid, distinct times
    steps = int(round(spec["duration"] / H))
    trains = []
    for _ in range(spec["n_src"]):
        t, train = 0.0, []
        while True:
            t += rng.expovariate(spec["src_rate"] / 1000.0)
            k = max(1, int(round(t / H)))
            if k > steps - 1:
                break
            if not train or k > train[-1]:
                train.append(k)
        trains.append(train)
    # -- generator -> neuron connections; about a quarter inhibitory
    iconns = []
    for src in range(spec["n_src"]):
        for post in sorted(rng.sample(range(n), spec["src_outdegree"])):
            sign_inh = rng.random() < 0.25
            w = rng.uniform(*(spec["w_src_inh"] if sign_inh else spec["w_src_exc"]))
            d = rng.randint(*spec["delay_steps"])
            iconns.append((src, post, fmt(w, wdig), fmt(d * H, 1)))
    # -- special neurons: fixed values, only their listed inputs, each from
    #    an extra one-spike generator
    special = spec.get("special", [])
    if special:
        ids = {sp["neuron"] for sp in special}
        conns = [c for c in conns if c[1] not in ids]
        iconns = [c for c in iconns if c[1] not in ids]
        shared = {}   # inputs with the same spike times share one generator (multapses)
        for sp in special:
            neurons[sp["neuron"]] = (sp["I_e"], sp["V_m"])
            for t, w, d in sp.get("inputs", []):
                times = tuple(t) if isinstance(t, (tuple, list)) else (t,)
                if times not in shared:
                    trains.append([int(round(x / H)) for x in times])
                    shared[times] = len(trains) - 1
                iconns.append((shared[times], sp["neuron"], w, fmt(d, 1)))
    return neurons, conns, trains, iconns


def write_csv(path, header, rows):
    with open(path, "w") as f:
        f.write(",".join(header) + "\n")
        for r in rows:
            f.write(",".join(str(c) for c in r) + "\n")


SNN = """# Generated by bench/nest_crosscheck/make_networks.py: do not edit.
network {name} {{
  timestep 0.1 ms
  seed {seed}
  population P = {model}[{n}] {{
    {params}
    I_e = csv("neurons.csv", "I_e"), V_m = csv("neurons.csv", "V_m")
  }}
  source S = spike_generator[{n_src}] {{ spike_times = csv("input_spikes.csv") }}
{connects}
  record P.spikes
  record P[{trace}].V_m
}}
"""

NEST = '''#!/usr/bin/env python3
# Generated by bench/nest_crosscheck/make_networks.py: do not edit.
# The network of net.snn in PyNEST, from the same CSV files.
# Usage: nest_run.py OUTDIR [--trace i,j,...]
import argparse, os, sys
import numpy as np
import nest

MODEL = {model!r}
N = {n}
N_SRC = {n_src}
DURATION = {duration!r}
PARAMS = {params!r}
TRACE = {trace!r}

here = os.path.dirname(os.path.abspath(__file__))
ap = argparse.ArgumentParser()
ap.add_argument("out")
ap.add_argument("--trace", default=",".join(map(str, TRACE)))
a = ap.parse_args()
trace = [int(x) for x in a.trace.split(",") if x != ""]
os.makedirs(a.out, exist_ok=True)


def table(name):
    with open(os.path.join(here, name)) as f:
        header = f.readline().strip().split(",")
        rows = [line.strip().split(",") for line in f if line.strip()]
    cols = [h.split("[")[0] for h in header]
    return {{c: np.array([float(r[i]) for r in rows]) for i, c in enumerate(cols)}}


try:
    nest.verbosity = nest.VerbosityLevel.ERROR
except AttributeError:
    nest.set_verbosity("M_ERROR")
nest.ResetKernel()
nest.SetKernelStatus({{"resolution": 0.1, "local_num_threads": 1, "print_time": False}})

pop = nest.Create(MODEL, N, params=PARAMS)
nv = table("neurons.csv")
pop.set(I_e=list(nv["I_e"]), V_m=list(nv["V_m"]))

gens = nest.Create("spike_generator", N_SRC)
sp = table("input_spikes.csv")
gens.set([{{"spike_times": sorted(sp["time"][sp["neuron"] == i].tolist())}} for i in range(N_SRC)])

pop_ids = np.array(pop.tolist())
gen_ids = np.array(gens.tolist())
for name, pre_ids in (("conns.csv", pop_ids), ("input_conns.csv", gen_ids)):
    c = table(name)
    if len(c["pre"]) == 0:
        continue
    nest.Connect(pre_ids[c["pre"].astype(int)], pop_ids[c["post"].astype(int)],
                 conn_spec={{"rule": "one_to_one"}},
                 syn_spec={{"synapse_model": "static_synapse", "weight": c["weight"], "delay": c["delay"]}})

sr = nest.Create("spike_recorder")
nest.Connect(pop, sr)
if trace:
    mm = nest.Create("multimeter", params={{"record_from": ["V_m"], "interval": 0.1}})
    nest.Connect(mm, pop[sorted(trace)] if len(trace) > 1 else pop[trace[0]])

nest.Simulate(DURATION)

ev = sr.events
first = pop_ids[0]
rows = sorted(zip((ev["senders"] - first).astype(int).tolist(),
                  np.rint(ev["times"] / 0.1).astype(int).tolist()), key=lambda r: (r[1], r[0]))
with open(os.path.join(a.out, "spikes.csv"), "w") as f:
    f.write("population,neuron,time_ms\\n")
    for i, k in rows:
        f.write(f"P,{{i}},{{round(k * 0.1, 1)!r}}\\n")
if trace:
    e = mm.events
    cols = sorted(trace)
    times = sorted(set(np.rint(e["times"] / 0.1).astype(int).tolist()))
    idx = {{k: j for j, k in enumerate(times)}}
    V = np.full((len(times), len(cols)), np.nan)
    for s, t, v in zip((e["senders"] - first).astype(int), np.rint(e["times"] / 0.1).astype(int), e["V_m"]):
        V[idx[int(t)], cols.index(int(s))] = v
    with open(os.path.join(a.out, "V_m.csv"), "w") as f:
        f.write("time_ms," + ",".join(f"P:{{i}}" for i in cols) + "\\n")
        for j, k in enumerate(times):
            f.write(repr(round(k * 0.1, 1)) + "," + ",".join(repr(float(v)) for v in V[j]) + "\\n")
print(f"nest {{nest.__version__}}: {{len(rows)}} spikes", file=sys.stderr)
'''


def snn_params(p):
    units = {"C_m": "pF", "tau_m": "ms", "t_ref": "ms", "E_L": "mV", "V_th": "mV",
             "V_reset": "mV", "tau_syn_ex": "ms", "tau_syn_in": "ms"}
    return ", ".join(f"{k} = {v:g} {units[k]}" for k, v in p.items())


def write_network(spec, root, trace=None):
    name = spec["name"]
    d = os.path.join(root, name)
    os.makedirs(d, exist_ok=True)
    neurons, conns, trains, iconns = gen(spec)
    wu = weight_unit(spec["model"])
    chead = ["pre", "post", f"weight[{wu}]", "delay[ms]"]
    write_csv(os.path.join(d, "neurons.csv"), ["I_e[pA]", "V_m[mV]"], neurons)
    write_csv(os.path.join(d, "conns.csv"), chead, conns)
    write_csv(os.path.join(d, "input_conns.csv"), chead, iconns)
    spikes = sorted(((i, k) for i, tr in enumerate(trains) for k in tr), key=lambda r: (r[1], r[0]))
    write_csv(os.path.join(d, "input_spikes.csv"), ["neuron", "time[ms]"],
              [(i, fmt(k * H, 1)) for i, k in spikes])
    delta = spec["model"] == "iaf_psc_delta"
    connects = []
    for base, pre in (("conns", "P"), ("input", "S")):
        rows = conns if base == "conns" else iconns
        if delta:
            fname = "conns.csv" if base == "conns" else "input_conns.csv"
            connects.append(f'  connect {pre} -> P : from_file("{fname}") {{ port excitatory }}')
            continue
        exc = [r for r in rows if float(r[2]) > 0]
        inh = [r for r in rows if float(r[2]) < 0]
        for part, sel in (("exc", exc), ("inh", inh)):
            if not sel:
                continue
            fname = f"{base}_{part}.csv"
            write_csv(os.path.join(d, fname), chead, sel)
            port = "excitatory" if part == "exc" else "inhibitory"
            connects.append(f'  connect {pre} -> P : from_file("{fname}") {{ port {port} }}')
    if trace is None:
        trace = sorted(sp["neuron"] for sp in spec.get("special", [])) or list(range(REC_TRACE))
    with open(os.path.join(d, "net.snn"), "w") as f:
        f.write(SNN.format(name=name, seed=spec["seed"], model=spec["model"], n=spec["n"],
                           params=snn_params(spec["params"]), n_src=len(trains),
                           connects="\n".join(connects),
                           trace=", ".join(map(str, trace))))
    with open(os.path.join(d, "nest_run.py"), "w") as f:
        f.write(NEST.format(model=spec["model"], n=spec["n"], n_src=len(trains),
                            duration=spec["duration"], params=spec["params"], trace=trace))
    meta = {k: v for k, v in spec.items()}
    meta.update(n_src=len(trains), connections=len(conns), input_connections=len(iconns),
                input_spikes=len(spikes))
    with open(os.path.join(d, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    return d


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("work", help="work directory (one subdirectory per network)")
    ap.add_argument("--only", default="", help="comma-separated network names")
    ap.add_argument("--duration-scale", type=float, default=1.0,
                    help="multiply every network's duration (input trains are drawn for it)")
    a = ap.parse_args()
    only = set(filter(None, a.only.split(",")))
    names = []
    for spec in NETWORKS:
        if only and spec["name"] not in only:
            continue
        spec = dict(spec, duration=round(spec["duration"] * a.duration_scale, 1))
        write_network(spec, a.work)
        names.append(spec["name"])
    with open(os.path.join(a.work, "networks.txt"), "w") as f:
        f.write("\n".join(names) + "\n")
    print(" ".join(names))


if __name__ == "__main__":
    main()
