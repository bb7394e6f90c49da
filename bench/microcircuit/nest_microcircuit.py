#!/usr/bin/env python3
"""Potjans & Diesmann (2014) microcircuit in NEST 3.x, timed like the PyNEST
example pynest/examples/Potjans_2014 (build = create + connect + Prepare,
then a pre-simulation, then the measured simulation).

Two ways to get the network:

  (default) this file's own PyNEST script. The pip wheel of nest-simulator
      does not ship the examples and only PyPI is reachable here, so the
      network is built with the example's rules and parameters, from the same
      tables that generate dsl-examples/microcircuit.snn
      (shared/data/potjans2014, see dsl-examples/gen/microcircuit.py):
        * 8 populations of iaf_psc_exp (C_m 250 pF, tau_m 10 ms, tau_syn 0.5 ms,
          E_L -65, V_th -50, V_reset -65 mV, t_ref 2 ms), N = round(N_full * N_scaling),
          V_m ~ normal(v0_mean, v0_sd) per population ("optimized" V0);
        * 64 projections, rule fixed_total_number (autapses and multapses allowed),
          K = round(K_full * N_scaling * K_scaling), K_full = ln(1-p)/ln(1-1/(N_pre N_post));
        * weights redraw(normal(w, 0.1|w|)) keeping the sign, w / sqrt(K_scaling);
          delays redraw(normal(d, 0.5 d), min = resolution - 0.5 resolution);
        * one poisson_generator per population, rate round(K_ext * K_scaling) * 8 Hz,
          all_to_all, weight 87.8085 pA / sqrt(K_scaling), delay 1.5 ms;
        * DC compensation I_e = 0.001 tau_syn (1 - sqrt(K_scaling)) (sum_j w_ij
          K_full_ij / N_full_i rate_j + w_ext K_ext_i 8 Hz);
        * one spike_recorder per population (to memory; the example writes ASCII files).
      No thalamic input, no DC stimulus (both off by default in the example).

  --example DIR  the genuine example (a checkout of pynest/examples/Potjans_2014):
      its Network class with sim_dict/net_dict overridden (threads, scaling,
      times, data path, spike recorders only).

Prints `BENCH_JSON {...}`: build_s (create + connect + Prepare), presim_s,
simulate_s, rates over the measured interval, neuron and synapse numbers.
"""

import argparse
import csv
import json
import math
import os
import sys
import time

T0 = time.perf_counter()

import nest  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
DEFAULT_DATA = os.path.normpath(os.path.join(ROOT, "..", "shared", "data", "potjans2014"))

NEURON = {"C_m": 250.0, "tau_m": 10.0, "t_ref": 2.0, "E_L": -65.0, "V_th": -50.0,
          "V_reset": -65.0, "tau_syn_ex": 0.5, "tau_syn_in": 0.5}
TAU_SYN = 0.5
WEIGHT_REL_SD = 0.1
DELAY_REL_SD = 0.5
POISSON_DELAY = 1.5
RESOLUTION = 0.1
SEED = 55
NEST_MAX_CONN_PER_VP = 134217726   # NEST 3.x: per virtual process and synapse model


def read_tables(d):
    with open(os.path.join(d, "populations.csv"), newline="") as f:
        prow = list(csv.DictReader(f))
    pops = [r["population"] for r in prow]

    def matrix(name):
        with open(os.path.join(d, name), newline="") as f:
            rows = list(csv.reader(f))
        assert rows[0][1:] == pops, name
        return [[float(c) for c in r[1:]] for r in rows[1:]]   # [target][source]

    return pops, prow, matrix("conn_prob.csv"), matrix("weight_pA.csv"), matrix("delay_ms.csv")


def quiet():
    if hasattr(nest, "VerbosityLevel"):
        nest.verbosity = nest.VerbosityLevel.WARNING
    else:
        nest.set_verbosity("M_WARNING")


def own_network(args):
    pops, prow, prob, wmat, dmat = read_tables(args.data)
    n_full = [int(r["n_full"]) for r in prow]
    k_ext = [int(r["k_ext"]) for r in prow]
    bg = [float(r["bg_rate_hz"]) for r in prow]
    ref = [float(r["ref_rate_hz"]) for r in prow]
    ks, ns = args.K_scaling, args.N_scaling
    npop = len(pops)
    k_full = [[0.0] * npop for _ in range(npop)]
    for t in range(npop):
        for s in range(npop):
            p = prob[t][s]
            prod = n_full[t] * n_full[s]
            k_full[t][s] = math.log(1.0 - p) / math.log((prod - 1.0) / prod) if p > 0 else 0.0
    w_ext = wmat[0][0]
    dc = []
    for t in range(npop):
        rec = sum(wmat[t][s] * k_full[t][s] / n_full[t] * ref[s] for s in range(npop))
        ext = w_ext * k_ext[t] * bg[t]
        dc.append(0.001 * TAU_SYN * (1.0 - math.sqrt(ks)) * (rec + ext))

    quiet()
    nest.ResetKernel()
    nest.local_num_threads = args.threads
    nest.resolution = RESOLUTION
    nest.rng_seed = SEED
    nest.print_time = False

    t_build = time.perf_counter()
    P = []
    for i in range(npop):
        pop = nest.Create("iaf_psc_exp", round(n_full[i] * ns))
        pop.set(I_e=dc[i], **NEURON)
        pop.set(V_m=nest.random.normal(float(prow[i]["v0_mean_mv"]), float(prow[i]["v0_sd_mv"])))
        P.append(pop)
    recs = nest.Create("spike_recorder", n=npop, params={"record_to": "memory"})
    pgs = nest.Create("poisson_generator", n=npop)
    pgs.rate = [bg[i] * round(k_ext[i] * ks) for i in range(npop)]

    # NEST 3.x holds at most 2^27 - 2 = 134,217,726 connections per virtual
    # process and synapse model. The full-scale model (~3e8 synapses) exceeds
    # that with 2 threads and one static_synapse; identical copies of
    # static_synapse, one per source population, split the count (each
    # presynaptic neuron still has a single synapse type). See --synapse-models.
    k_all = [[int(round(k_full[t][s] * ns * ks)) for s in range(npop)] for t in range(npop)]
    per_vp = sum(map(sum, k_all)) / max(1, args.threads)
    split = args.synapse_models == "per-source" or (
        args.synapse_models == "auto" and per_vp > 0.9 * NEST_MAX_CONN_PER_VP)
    syn_model = []
    for s in range(npop):
        if split:
            name = f"static_synapse_{pops[s]}"
            nest.CopyModel("static_synapse", name)
            syn_model.append(name)
        else:
            syn_model.append("static_synapse")
    for t in range(npop):
        for s in range(npop):
            k = k_all[t][s]
            w = wmat[t][s] / math.sqrt(ks)
            lo, hi = (0.0, math.inf) if w >= 0 else (-math.inf, 0.0)
            syn = {"synapse_model": syn_model[s],
                   "weight": nest.math.redraw(nest.random.normal(mean=w, std=abs(w) * WEIGHT_REL_SD),
                                              min=lo, max=hi),
                   "delay": nest.math.redraw(nest.random.normal(mean=dmat[t][s], std=dmat[t][s] * DELAY_REL_SD),
                                             min=RESOLUTION - 0.5 * RESOLUTION, max=math.inf)}
            nest.Connect(P[s], P[t], {"rule": "fixed_total_number", "N": k}, syn)
    for i in range(npop):
        nest.Connect(P[i], recs[i])
        nest.Connect(pgs[i], P[i], "all_to_all",
                     {"synapse_model": "static_synapse", "weight": w_ext / math.sqrt(ks), "delay": POISSON_DELAY})
    nest.Prepare()
    nest.Cleanup()
    build_s = time.perf_counter() - t_build
    how = "own PyNEST script (example's rules, shared/data/potjans2014)"
    if split:
        how += "; one copy of static_synapse per source population (NEST's per-VP connection limit)"
    return pops, P, list(recs), build_s, how


def example_network(args):
    sys.path.insert(0, os.path.abspath(args.example))
    import network  # noqa: E402  (the example's modules)
    from network_params import net_dict
    from sim_params import sim_dict
    from stimulus_params import stim_dict
    sim_dict = dict(sim_dict)
    net_dict = dict(net_dict)
    sim_dict.update({"local_num_threads": args.threads, "t_presim": args.presim, "t_sim": args.sim,
                     "rec_dev": ["spike_recorder"], "print_time": False, "overwrite_files": True,
                     "data_path": os.path.join(os.path.abspath(args.work), "nest_example_data") + os.sep})
    net_dict.update({"N_scaling": args.N_scaling, "K_scaling": args.K_scaling})
    quiet()
    net = network.Network(sim_dict, net_dict, dict(stim_dict))
    t_build = time.perf_counter()
    net.create()
    net.connect()     # ends with nest.Prepare(); nest.Cleanup()
    build_s = time.perf_counter() - t_build
    return (list(net_dict["populations"]), net.pops, list(net.spike_recorders), build_s,
            f"NEST example {os.path.abspath(args.example)}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--N-scaling", dest="N_scaling", type=float, default=0.1)
    ap.add_argument("--K-scaling", dest="K_scaling", type=float, default=0.1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--presim", type=float, default=100.0, help="warm-up, ms (not measured)")
    ap.add_argument("--sim", type=float, default=1000.0, help="measured simulation, ms")
    ap.add_argument("--data", default=DEFAULT_DATA, help="shared/data/potjans2014")
    ap.add_argument("--example", help="directory of the PyNEST example (Potjans_2014) to use instead")
    ap.add_argument("--work", default=os.path.join(HERE, "work"))
    ap.add_argument("--synapse-models", choices=["auto", "one", "per-source"], default="auto",
                    help="own network only: 'one' static_synapse as in the example; 'per-source' "
                         "an identical copy per source population; 'auto' (default) splits only "
                         "when one model would exceed NEST's 134,217,726 connections per virtual "
                         "process (the full scale with 2 threads)")
    args = ap.parse_args()

    pops, P, recs, build_s, how = (example_network if args.example else own_network)(args)

    t = time.perf_counter()
    if args.presim > 0:
        nest.Simulate(args.presim)
    presim_s = time.perf_counter() - t
    t = time.perf_counter()
    nest.Simulate(args.sim)
    simulate_s = time.perf_counter() - t

    rates = {}
    for name, pop, rec in zip(pops, P, recs):
        if rec.get("record_to") == "memory":
            times = rec.get("events")["times"]
            n = int(sum(1 for x in times if x > args.presim))
        else:
            n = rec.n_events   # ASCII recorders: whole run, rate over presim + sim
        span = args.sim if rec.get("record_to") == "memory" else args.sim + args.presim
        rates[name] = n / len(pop) / (span / 1000.0)
    out = {
        "tool": "nest", "version": nest.__version__, "how": how,
        "threads": nest.local_num_threads,
        "build_s": build_s, "presim_s": presim_s, "simulate_s": simulate_s,
        "script_s": time.perf_counter() - T0,
        "neurons": int(sum(len(p) for p in P)),
        "connections": int(nest.num_connections),
        "rates_hz": rates,
    }
    print("BENCH_JSON " + json.dumps(out))


if __name__ == "__main__":
    main()
