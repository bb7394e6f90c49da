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
import os
import random
import sys

sys.dont_write_bytecode = True   # no __pycache__ in bench/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pairing  # noqa: E402


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


SCENARIOS = pairing.SCENARIOS + [
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
    post = {"tau_minus": TAU_MINUS, "tau_minus_triplet": TAU_MINUS_TRIPLET}
    return pairing.nest_weight(model, dict(params, Wmax=WMAX), post, pre, drive, delay, w0 * WMAX)


def spikec_weight(spikec, model, params, pre, drive, delay, w0):
    args = ["Wmax = %g mV" % WMAX, "tau_minus = %g ms" % TAU_MINUS]
    if model == "stdp_triplet_synapse":
        args.append("tau_minus_triplet = %g ms" % TAU_MINUS_TRIPLET)
    for k, v in params.items():
        unit = " ms" if k.startswith("tau") else " mV" if k in WEIGHT_PARAMS else ""
        args.append("%s = %r%s" % (k, v, unit))
    clause = "%s(%s)" % (model, ", ".join(args))
    return pairing.spikec_weight(spikec, clause, pre, drive, delay, w0 * WMAX)


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
