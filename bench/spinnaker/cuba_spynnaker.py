#!/usr/bin/env python3
"""CUBA (dsl-examples/cuba.snn) in PyNN on sPyNNaker 1!7.4.1, virtual board:
times setup, network description and `sim.run` (mapping + host-side
generation of all synaptic data; nothing is loaded or run on a virtual board).

Run with bench/.venv-spynnaker/bin/python; see bench/spinnaker/README section
in bench/README.md. Prints `BENCH_JSON {...}` (spynnaker_common.report).

The network, as dsl-examples/cuba.snn:
  * n neurons (default 4000), E = round(0.8 n) excitatory, I = n - E
    inhibitory, all IF_curr_exp with tau_m 20 ms, v_rest -49 mV,
    v_thresh -50 mV, v_reset -60 mV, tau_refrac 5 ms, tau_syn_E 5 ms,
    tau_syn_I 10 ms, i_offset 0; v uniform in [-60, -50) mV.
  * cuba.snn's synapses are voltage jumps of ge / gi (we 1.62 mV, wi -9 mV)
    that decay with tau_syn and enter dv/dt = (v_rest - v + ge + gi) / tau_m;
    that is exactly IF_curr_exp's current synapse with I = ge * cm / tau_m,
    so a jump of w mV is a weight of w * cm / tau_m nA. With cm = 0.25 nF
    (arbitrary; only cm / tau_m enters): we = 0.02025 nA, wi = -0.1125 nA
    (sPyNNaker stores |w| for the inhibitory receptor).
  * E -> E + I and I -> E + I with fixed_probability p = 80 / n (autapses
    allowed, as in spikec's fixed_probability and Brian2's connect(p=...)),
    as four PyNN projections (E->E, E->I, I->E, I->I); delay 0.1 ms.
  * timestep 0.1 ms; spikes of E and I recorded (cuba.snn's `record`);
    sPyNNaker's threshold test is v >= v_thresh (cuba.snn: v > v_thresh).
"""

import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)
import spynnaker_common as common  # noqa: E402  (starts the process clock)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=4000, help="total neurons (in-degree kept at 80)")
    ap.add_argument("--duration", type=float, default=1.0,
                    help="ms of biological time passed to sim.run (default 1 ms: mapping and data "
                         "generation happen whatever the duration)")
    ap.add_argument("--dir", required=True, help="run directory (gets spynnaker.cfg and reports/)")
    ap.add_argument("--seed", type=int, default=12345)
    ap.add_argument("--version", type=int, default=5, help="[Machine] version of the virtual board")
    ap.add_argument("--no-record", action="store_true", help="do not record spikes")
    args = ap.parse_args()

    run_dir = os.path.abspath(args.dir)
    common.prepare_run_dir(run_dir, version=args.version)

    t = time.perf_counter()
    import pyNN.spiNNaker as sim
    from pyNN.random import RandomDistribution
    import_s = time.perf_counter() - t

    n = args.n
    n_exc = round(0.8 * n)
    n_inh = n - n_exc
    p = 80.0 / n
    taum, cm = 20.0, 0.25
    mv_to_na = cm / taum
    we = 1.62 * mv_to_na          # 0.02025 nA
    wi = -9.0 * mv_to_na          # -0.1125 nA
    delay = 0.1

    t = time.perf_counter()
    sim.setup(timestep=0.1)
    setup_s = time.perf_counter() - t

    t = time.perf_counter()
    # sPyNNaker rejects rng= on connectors and distributions ("use seed=<seed>
    # in the target Population"): each population gets a seed of its own.
    params = {"cm": cm, "tau_m": taum, "v_rest": -49.0, "v_thresh": -50.0, "v_reset": -60.0,
              "tau_refrac": 5.0, "tau_syn_E": 5.0, "tau_syn_I": 10.0, "i_offset": 0.0}
    E = sim.Population(n_exc, sim.IF_curr_exp(**params), label="E", seed=args.seed)
    I = sim.Population(n_inh, sim.IF_curr_exp(**params), label="I", seed=args.seed + 1)
    for pop in (E, I):
        pop.initialize(v=RandomDistribution("uniform", (-60.0, -50.0)))
        if not args.no_record:
            pop.record("spikes")
    projs = []
    for pre, w, rt in ((E, we, "excitatory"), (I, wi, "inhibitory")):
        for post in (E, I):
            projs.append(sim.Projection(
                pre, post, sim.FixedProbabilityConnector(p, allow_self_connections=True),
                synapse_type=sim.StaticSynapse(weight=w, delay=delay), receptor_type=rt,
                label=f"{pre.label}->{post.label}"))
    build_s = time.perf_counter() - t

    t = time.perf_counter()
    sim.run(args.duration)
    run_s = time.perf_counter() - t
    rss_after_run = common.maxrss_kib()

    t = time.perf_counter()
    synapses = common.count_synapses(projs)
    sim.end()
    end_s = time.perf_counter() - t

    common.report(
        {"network": "cuba", "n": n, "neurons": n, "p": p, **common.versions()},
        {"import_s": import_s, "setup_s": setup_s, "build_s": build_s, "run_s": run_s,
         "end_s": end_s, "map_gen_s": setup_s + build_s + run_s,
         "maxrss_after_run_kib": rss_after_run},
        projs, run_dir, extra={"synapses": synapses})


if __name__ == "__main__":
    main()
