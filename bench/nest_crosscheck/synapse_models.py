#!/usr/bin/env python3
"""Synapse models written in spikec's language against NEST 3.10's own.

The standard library (compiler/stdlib/nest.snn) writes NEST's
stdp_synapse, stdp_nn_symm_synapse and stdp_triplet_synapse as synapse
models. For each model and parameter set, one presynaptic train (a
spike_generator through a parrot neuron in NEST; a SpikeSourceArray in
spikec) meets one iaf_psc_delta neuron (IF_curr_delta, rest = reset =
-65 mV, no refractory period) that a second train drives over threshold;
every scenario's final weight is compared. Scenarios: hand-made pairings
(causal, acausal, mixed, a 3.5 ms delay, saturating) and random trains
(seeded, 0.1 ms grid) at 10 and 40 Hz.

Usage: synapse_models.py --spikec PATH
(run with the NEST venv: `bench/.venv/bin/python
bench/nest_crosscheck/synapse_models.py --spikec target/release/spikec`).
Exit status: 0 when every weight is within 1e-9 (relative) of NEST's.
"""

import argparse
import csv
import os
import random
import subprocess
import sys
import tempfile


def random_trains(seed, rate_hz, duration_ms):
    rng = random.Random(seed)
    def train():
        t, out = 5.0, []
        while True:
            t += rng.expovariate(rate_hz / 1000.0)
            t = round(t, 1)
            if t >= duration_ms:
                return out
            if not out or t > out[-1]:
                out.append(t)
    return train(), train()


SCENARIOS = [
    # (name, pre spike times, drive times, delay ms, w0 as a fraction of Wmax)
    ("causal", [10.0, 40.0], [14.0], 1.0, 0.5),
    ("acausal", [10.0, 40.0], [5.0], 1.0, 0.5),
    ("mixed", [10.0, 20.0, 30.0, 60.0], [3.0, 14.0, 25.0], 2.0, 0.5),
    ("long delay", [10.0, 40.0], [14.0], 3.5, 0.5),
    ("saturating", [10.0 + 20 * k for k in range(20)], [12.0 + 20 * k for k in range(20)], 1.0, 0.2),
    ("random 10 Hz", *random_trains(1, 10.0, 2000.0), 1.5, 0.5),
    ("random 40 Hz", *random_trains(2, 40.0, 2000.0), 1.0, 0.5),
]

# (NEST model, its parameters, the spikec arguments; Wmax in mV (the
# delta synapse's weight unit here).
WMAX = 10.0
RULES = [
    ("stdp_synapse", dict(tau_plus=20.0, **{"lambda": 0.05}, alpha=1.2, mu_plus=0.0, mu_minus=0.0)),
    ("stdp_synapse", dict(tau_plus=15.0, **{"lambda": 0.05}, alpha=0.8, mu_plus=1.0, mu_minus=1.0)),
    ("stdp_synapse", dict(tau_plus=20.0, **{"lambda": 0.05}, alpha=1.0, mu_plus=0.4, mu_minus=0.4)),
    ("stdp_nn_symm_synapse", dict(tau_plus=20.0, **{"lambda": 0.05}, alpha=1.2, mu_plus=0.0, mu_minus=0.0)),
    ("stdp_triplet_synapse", dict(tau_plus=16.8, tau_plus_triplet=101.0, Aplus=0.05, Aminus=0.07,
                                  Aplus_triplet=0.06, Aminus_triplet=0.002)),
]
TAU_MINUS = 25.0
TAU_MINUS_TRIPLET = 110.0
WEIGHT_PARAMS = {"Aplus", "Aminus", "Aplus_triplet", "Aminus_triplet"}


def nest_weight(model, params, pre, drive, delay, w0):
    import nest

    nest.ResetKernel()
    nest.set_verbosity("M_ERROR")
    nest.resolution = 0.1
    # The parrot relays each spike one step (0.1 ms) later: send it one
    # step early so that it fires at the times spikec's source fires at.
    sg_pre = nest.Create("spike_generator", params={"spike_times": [round(t - 0.1, 1) for t in pre]})
    sg_drive = nest.Create("spike_generator", params={"spike_times": drive})
    parrot = nest.Create("parrot_neuron")
    post = nest.Create(
        "iaf_psc_delta",
        params={"E_L": -65.0, "V_reset": -65.0, "V_th": -50.0, "V_m": -65.0, "t_ref": 0.0,
                "tau_m": 20.0, "C_m": 1000.0, "tau_minus": TAU_MINUS,
                "tau_minus_triplet": TAU_MINUS_TRIPLET},
    )
    nest.Connect(sg_pre, parrot, syn_spec={"delay": 0.1})
    nest.Connect(sg_drive, post, syn_spec={"weight": 20.0, "delay": 1.0})
    nest.CopyModel(model, "plastic", dict(params, Wmax=WMAX))
    nest.Connect(parrot, post, syn_spec={"synapse_model": "plastic", "weight": w0 * WMAX, "delay": delay})
    nest.Simulate(max(pre + drive) + 50.0)
    return nest.GetConnections(parrot, post).get("weight")


def spikec_weight(spikec, model, params, pre, drive, delay, w0):
    ms = lambda ts: ", ".join("%g ms" % t for t in ts)
    args = ["Wmax = %g mV" % WMAX, "tau_minus = %g ms" % TAU_MINUS]
    if model == "stdp_triplet_synapse":
        args.append("tau_minus_triplet = %g ms" % TAU_MINUS_TRIPLET)
    for k, v in params.items():
        unit = " ms" if k.startswith("tau") else " mV" if k in WEIGHT_PARAMS else ""
        args.append("%s = %r%s" % (k, v, unit))
    src = f"""network Pair {{
  timestep 0.1 ms
  population Pre = SpikeSourceArray[1] {{ spike_times = [{ms(pre)}] }}
  population Drive = SpikeSourceArray[1] {{ spike_times = [{ms(drive)}] }}
  population Post = IF_curr_delta[1] {{ tau_refrac = 0 ms }}
  connect Drive -> Post : all_to_all() {{ port excitatory, weight 20 mV, delay 1 ms }}
  connect Pre -> Post : all_to_all() {{ port excitatory, weight {w0 * WMAX} mV, delay {delay} ms,
    synapse {model}({", ".join(args)}) }}
  record Post.spikes
}}
"""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "pair.snn")
        with open(path, "w") as f:
            f.write(src)
        out = os.path.join(d, "out")
        subprocess.run([spikec, "sim", path, "--duration", "%g ms" % (max(pre + drive) + 50.0),
                        "--engine", "interp", "--out", out], check=True, capture_output=True)
        with open(os.path.join(out, "weights.csv")) as f:
            return float(next(csv.DictReader(f))["weight"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--spikec", required=True)
    args = ap.parse_args()
    worst = 0.0
    print("%-22s %-40s %-13s %12s %12s %9s" % ("model", "parameters", "scenario", "NEST", "spikec", "rel diff"))
    for model, params in RULES:
        label = ", ".join("%s=%g" % kv for kv in params.items() if not kv[0].startswith("tau"))
        for name, pre, drive, delay, w0 in SCENARIOS:
            a = nest_weight(model, params, pre, drive, delay, w0)
            b = spikec_weight(args.spikec, model, params, pre, drive, delay, w0)
            rel = abs(a - b) / max(abs(a), 1e-12)
            worst = max(worst, rel)
            print("%-22s %-40s %-13s %12.9f %12.9f %9.1e" % (model, label[:40], name, a, b, rel))
    print("largest relative difference %.2e" % worst)
    sys.exit(0 if worst < 1e-9 else 1)


if __name__ == "__main__":
    main()
