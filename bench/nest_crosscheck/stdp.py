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
import csv
import os
import subprocess
import sys
import tempfile

SCENARIOS = [
    # (name, pre spike times, drive times, delay ms, w0)
    ("causal", [10.0, 40.0], [14.0], 1.0, 0.5),
    ("acausal", [10.0, 40.0], [5.0], 1.0, 0.5),
    ("mixed", [10.0, 20.0, 30.0, 60.0], [3.0, 14.0, 25.0], 2.0, 0.5),
    ("long delay", [10.0, 40.0], [14.0], 3.5, 0.5),
    ("saturating", [10.0 + 20 * k for k in range(20)], [12.0 + 20 * k for k in range(20)], 1.0, 0.2),
]
RULE = dict(tau_plus=20.0, tau_minus=20.0, A_plus=0.1, A_minus=0.12, w_max=1.0)


def nest_weight(pre, drive, delay, w0):
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
                "tau_m": 20.0, "C_m": 1000.0, "tau_minus": RULE["tau_minus"]},
    )
    nest.Connect(sg_pre, parrot, syn_spec={"delay": 0.1})
    nest.Connect(sg_drive, post, syn_spec={"weight": 20.0, "delay": 1.0})
    nest.CopyModel("stdp_synapse", "pair", {
        "tau_plus": RULE["tau_plus"], "lambda": RULE["A_plus"],
        "alpha": RULE["A_minus"] / RULE["A_plus"], "mu_plus": 0.0, "mu_minus": 0.0,
        "Wmax": RULE["w_max"]})
    nest.Connect(parrot, post, syn_spec={"synapse_model": "pair", "weight": w0, "delay": delay})
    nest.Simulate(max(pre + drive) + 50.0)
    return nest.GetConnections(parrot, post).get("weight")


def spikec_weight(spikec, pre, drive, delay, w0):
    ms = lambda ts: ", ".join("%g ms" % t for t in ts)
    src = f"""network Pair {{
  timestep 0.1 ms
  population Pre = SpikeSourceArray[1] {{ spike_times = [{ms(pre)}] }}
  population Drive = SpikeSourceArray[1] {{ spike_times = [{ms(drive)}] }}
  population Post = IF_curr_delta[1] {{ tau_refrac = 0 ms }}
  connect Drive -> Post : all_to_all() {{ port excitatory, weight 20 mV, delay 1 ms }}
  connect Pre -> Post : all_to_all() {{ port excitatory, weight {w0} mV, delay {delay} ms,
    synapse stdp(w_max = {RULE['w_max']} mV, tau_plus = {RULE['tau_plus']} ms, tau_minus = {RULE['tau_minus']} ms,
                 A_plus = {RULE['A_plus']}, A_minus = {RULE['A_minus']}) }}
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
    print("%-12s %12s %12s %10s" % ("scenario", "NEST", "spikec", "|diff|"))
    for name, pre, drive, delay, w0 in SCENARIOS:
        a = nest_weight(pre, drive, delay, w0)
        b = spikec_weight(args.spikec, pre, drive, delay, w0)
        worst = max(worst, abs(a - b))
        print("%-12s %12.9f %12.9f %10.2e" % (name, a, b, abs(a - b)))
    print("largest difference %.2e" % worst)
    sys.exit(0 if worst < 1e-9 else 1)


if __name__ == "__main__":
    main()
