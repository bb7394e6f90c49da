#!/usr/bin/env python3
"""Pair STDP: spikec's plastic weights against NEST 3.10's stdp_synapse.

For each scenario a presynaptic spike train (a spike_generator through a
parrot neuron in NEST; a SpikeSourceArray in spikec) meets a postsynaptic
iaf_psc_delta neuron (IF_curr_delta, rest = reset = -65 mV, no refractory
period) that a second train drives over threshold. The plastic synapse's
final weight is compared. NEST's stdp_synapse takes lambda = A_plus,
alpha = A_minus / A_plus, mu_plus = mu_minus = 0 (additive), Wmax = w_max,
tau_plus on the synapse and tau_minus on the postsynaptic neuron, which is
how PyNN's NEST backend translates `SpikePairRule` with
`AdditiveWeightDependence`; spikec takes the PyNN names directly.

Usage: stdp.py --spikec PATH [--nest-python PATH]
(`bench/nest_crosscheck/run.sh` builds spikec and the venv; run this with
`bench/.venv/bin/python bench/nest_crosscheck/stdp.py --spikec target/release/spikec`.)
Exit status: 0 every weight within 1e-9 of NEST's, 1 otherwise.
"""

import argparse
import os
import sys

sys.dont_write_bytecode = True   # no __pycache__ in bench/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pairing  # noqa: E402

RULE = dict(tau_plus=20.0, tau_minus=20.0, A_plus=0.1, A_minus=0.12, w_max=1.0)


def nest_weight(pre, drive, delay, w0):
    syn = {"tau_plus": RULE["tau_plus"], "lambda": RULE["A_plus"],
           "alpha": RULE["A_minus"] / RULE["A_plus"], "mu_plus": 0.0, "mu_minus": 0.0,
           "Wmax": RULE["w_max"]}
    return pairing.nest_weight("stdp_synapse", syn, {"tau_minus": RULE["tau_minus"]},
                               pre, drive, delay, w0)


def spikec_weight(spikec, pre, drive, delay, w0):
    clause = (f"stdp(w_max = {RULE['w_max']} mV, tau_plus = {RULE['tau_plus']} ms, "
              f"tau_minus = {RULE['tau_minus']} ms, A_plus = {RULE['A_plus']}, A_minus = {RULE['A_minus']})")
    return pairing.spikec_weight(spikec, clause, pre, drive, delay, w0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--spikec", required=True)
    args = ap.parse_args()
    worst = 0.0
    print("%-12s %12s %12s %10s" % ("scenario", "NEST", "spikec", "|diff|"))
    for name, pre, drive, delay, w0 in pairing.SCENARIOS:
        a = nest_weight(pre, drive, delay, w0)
        b = spikec_weight(args.spikec, pre, drive, delay, w0)
        worst = max(worst, abs(a - b))
        print("%-12s %12.9f %12.9f %10.2e" % (name, a, b, abs(a - b)))
    print("largest difference %.2e" % worst)
    sys.exit(0 if worst < 1e-9 else 1)


if __name__ == "__main__":
    main()
