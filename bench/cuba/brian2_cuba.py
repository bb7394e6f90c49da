#!/usr/bin/env python3
"""CUBA (Vogels & Abbott 2005; Brette et al. 2007, benchmark 2) in Brian2,
C++ standalone mode, single-threaded. One process = one repetition: code
generation, a clean C++ compile and one run of the binary.

This is the Brian2 example `examples/CUBA.py` (same equations, parameters,
initialisation and connectivity), with three changes for benchmarking:
  * device cpp_standalone (build_on_run=False, then device.build), OpenMP off;
  * the run length is --duration (default 10 s) instead of 1 s;
  * the synaptic delay is --delay (default 0.1 ms, the delay of
    dsl-examples/cuba.snn; the example itself has Brian's default, 0 ms:
    use --delay 0 for it).

The binary is launched through GNU time (prefs.devices.cpp_standalone.
run_cmd_unix) so that its own peak memory is measured without the Python
process or the compiler. Prints one line `BENCH_JSON {...}` with:
  build_s        device.build: code generation + compile + running the binary
  compile_s      `make` time of the generated project (Brian2's own timer)
  binary_s       wall time of the binary (Brian2's timer around the subprocess):
                 static arrays, synapse creation, the run, writing results
  network_run_s  Network::run inside the binary ("magic_network" run time,
                 results/last_run_info.txt): the simulation loop only
  binary_maxrss_kib  max RSS of the binary (GNU time)
  rates_hz       E and I firing rates from the SpikeMonitor
"""

import argparse
import json
import os
import shutil
import tempfile
import time

T0 = time.perf_counter()

import brian2  # noqa: E402
from brian2 import (NeuronGroup, SpikeMonitor, Synapses, device, ms, mV,  # noqa: E402
                    prefs, run, second, set_device)

import sys  # noqa: E402
sys.dont_write_bytecode = True   # no __pycache__ in bench/
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from benchlib import parse_gnu_time  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=float, default=10.0, help="biological time, seconds")
    ap.add_argument("--n", type=int, default=4000, help="number of neurons (in-degree kept at 80)")
    ap.add_argument("--delay", type=float, default=0.1, help="synaptic delay, ms (0: Brian's default)")
    ap.add_argument("--dir", required=True, help="project directory (created, wiped first)")
    ap.add_argument("--seed", type=int, default=12345)
    ap.add_argument("--profile", action="store_true",
                    help="run with profile=True and print Brian2's profiling summary "
                         "(adds overhead; not for the timed numbers)")
    args = ap.parse_args()

    if os.path.exists(args.dir):
        shutil.rmtree(args.dir)
    os.makedirs(args.dir)
    fd, time_file = tempfile.mkstemp(prefix="brian2-main-time-", suffix=".txt")
    os.close(fd)

    set_device("cpp_standalone", directory=args.dir, build_on_run=False)
    prefs.devices.cpp_standalone.openmp_threads = 0   # single-threaded
    prefs.devices.cpp_standalone.run_cmd_unix = ["/usr/bin/time", "-v", "-o", time_file, "./main"]
    brian2.seed(args.seed)

    # ---- examples/CUBA.py ---------------------------------------------------
    taum = 20 * ms
    taue = 5 * ms
    taui = 10 * ms
    Vt = -50 * mV
    Vr = -60 * mV
    El = -49 * mV

    eqs = """
    dv/dt  = (ge+gi-(v-El))/taum : volt (unless refractory)
    dge/dt = -ge/taue : volt
    dgi/dt = -gi/taui : volt
    """

    n_exc = round(0.8 * args.n)
    p_conn = 80.0 / args.n          # 0.02 for 4000 neurons
    P = NeuronGroup(args.n, eqs, threshold="v>Vt", reset="v = Vr", refractory=5 * ms,
                    method="exact")
    P.v = "Vr + rand() * (Vt - Vr)"
    P.ge = 0 * mV
    P.gi = 0 * mV

    we = (60 * 0.27 / 10) * mV  # excitatory synaptic weight (voltage)  = 1.62 mV
    wi = (-20 * 4.5 / 10) * mV  # inhibitory synaptic weight           = -9 mV
    delay = args.delay * ms
    Ce = Synapses(P, P, on_pre="ge += we", delay=delay)
    Ci = Synapses(P, P, on_pre="gi += wi", delay=delay)
    Ce.connect(f"i<{n_exc}", p=p_conn)
    Ci.connect(f"i>={n_exc}", p=p_conn)

    s_mon = SpikeMonitor(P)

    run(args.duration * second, profile=args.profile)
    # -------------------------------------------------------------------------

    t_build = time.perf_counter()
    device.build(directory=args.dir, compile=True, run=True, clean=True, with_output=False)
    build_s = time.perf_counter() - t_build

    with open(time_file) as f:
        _, binary_rss = parse_gnu_time(f.read())
    os.unlink(time_file)

    idx = s_mon.i[:]
    n_spk_e = int((idx < n_exc).sum())
    n_spk_i = int((idx >= n_exc).sum())
    out = {
        "tool": "brian2",
        "version": brian2.__version__,
        "build_s": build_s,
        "compile_s": device.timers.get("compile", {}).get("make"),
        "binary_s": device.timers.get("run_binary"),
        "network_run_s": getattr(device, "_last_run_time", None),
        "binary_maxrss_kib": binary_rss,
        "script_s": time.perf_counter() - T0,
        "synapses": int(len(Ce) + len(Ci)),
        "rates_hz": {"E": n_spk_e / n_exc / args.duration,
                     "I": n_spk_i / (args.n - n_exc) / args.duration},
        "spikes": {"E": n_spk_e, "I": n_spk_i},
    }
    if args.profile:
        print(brian2.profiling_summary(show=20))
    print("BENCH_JSON " + json.dumps(out))


if __name__ == "__main__":
    main()
