#!/usr/bin/env python3
"""CUBA (Vogels & Abbott 2005; Brette et al. 2007, benchmark 2) in NEST 3.x,
one thread, built with NEST's `iaf_psc_exp`.

Model choice. The CUBA equations (dsl-examples/cuba.snn, Brian2's CUBA.py)
    dv/dt = (ge + gi - (v - El)) / taum,  dge/dt = -ge/taue,  dgi/dt = -gi/taui
with voltage jumps ge += we, gi += wi are exactly iaf_psc_exp
    C dV/dt = -C/tau_m (V - E_L) + I_ex + I_in,  dI_x/dt = -I_x/tau_syn_x
with I_x = ge * C / tau_m, i.e. a current jump of w_pA = w_mV * C_m / tau_m.
With C_m = 250 pF and tau_m = 20 ms (the conversion factor is 12.5 pA/mV;
C_m itself is arbitrary):
    we = 1.62 mV -> 20.25 pA,   wi = -9 mV -> -112.5 pA.
Other parameters: E_L -49 mV, V_th -50 mV, V_reset -60 mV, t_ref 5 ms,
tau_syn_ex 5 ms, tau_syn_in 10 ms, I_e 0; V_m uniform in [-60, -50) mV;
pairwise_bernoulli p = 0.02 (autapses allowed, as in Brian2's connect with p),
delay 0.1 ms (one step, as in dsl-examples/cuba.snn); exact integration
(NEST's propagator matrices), resolution 0.1 ms. NEST's threshold test is
V >= V_th (Brian and spikec: v > v_thresh), which does not matter here.

Prints one line `BENCH_JSON {...}` with:
  build_s     Create + Connect + nest.Prepare() (NEST builds its presynaptic
              connection infrastructure in Prepare; timed here as part of the
              set-up, as the PyNEST microcircuit example does)
  simulate_s  nest.Simulate(duration) (after Prepare: the simulation loop)
  rates_hz    E and I firing rates from a spike_recorder (to memory)
"""

import argparse
import json
import time

T0 = time.perf_counter()

import nest  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=float, default=10.0, help="biological time, seconds")
    ap.add_argument("--n", type=int, default=4000, help="number of neurons (in-degree kept at 80)")
    ap.add_argument("--delay", type=float, default=0.1, help="synaptic delay, ms")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=12345)
    args = ap.parse_args()

    if hasattr(nest, "VerbosityLevel"):
        nest.verbosity = nest.VerbosityLevel.WARNING
    else:
        nest.set_verbosity("M_WARNING")
    nest.ResetKernel()
    nest.local_num_threads = args.threads
    nest.resolution = 0.1
    nest.rng_seed = args.seed
    nest.print_time = False

    taum = 20.0          # ms
    C_m = 250.0          # pF (arbitrary: only C_m / tau_m enters the weights)
    mv_to_pa = C_m / taum
    we = 60 * 0.27 / 10 * mv_to_pa    # 1.62 mV -> 20.25 pA
    wi = -20 * 4.5 / 10 * mv_to_pa    # -9 mV   -> -112.5 pA
    n_exc = round(0.8 * args.n)
    p_conn = 80.0 / args.n

    t_build = time.perf_counter()
    params = {"C_m": C_m, "tau_m": taum, "tau_syn_ex": 5.0, "tau_syn_in": 10.0,
              "t_ref": 5.0, "E_L": -49.0, "V_th": -50.0, "V_reset": -60.0, "I_e": 0.0}
    P = nest.Create("iaf_psc_exp", args.n, params=params)
    P.V_m = nest.random.uniform(-60.0, -50.0)
    Pe = P[:n_exc]
    Pi = P[n_exc:]
    conn = {"rule": "pairwise_bernoulli", "p": p_conn, "allow_autapses": True}
    nest.Connect(Pe, P, conn, {"synapse_model": "static_synapse", "weight": we, "delay": args.delay})
    nest.Connect(Pi, P, conn, {"synapse_model": "static_synapse", "weight": wi, "delay": args.delay})
    sr_e = nest.Create("spike_recorder", params={"record_to": "memory"})
    sr_i = nest.Create("spike_recorder", params={"record_to": "memory"})
    nest.Connect(Pe, sr_e)
    nest.Connect(Pi, sr_i)
    nest.Prepare()
    nest.Cleanup()
    build_s = time.perf_counter() - t_build

    t_sim = time.perf_counter()
    nest.Simulate(args.duration * 1000.0)
    simulate_s = time.perf_counter() - t_sim

    n_e = sr_e.n_events
    n_i = sr_i.n_events
    out = {
        "tool": "nest",
        "version": nest.__version__,
        "threads": nest.local_num_threads,
        "build_s": build_s,
        "simulate_s": simulate_s,
        "script_s": time.perf_counter() - T0,
        "synapses": nest.num_connections - args.n,   # minus the recorder connections
        "rates_hz": {"E": n_e / n_exc / args.duration, "I": n_i / (args.n - n_exc) / args.duration},
        "spikes": {"E": n_e, "I": n_i},
    }
    print("BENCH_JSON " + json.dumps(out))


if __name__ == "__main__":
    main()
