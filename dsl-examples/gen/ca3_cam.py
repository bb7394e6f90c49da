#!/usr/bin/env python3
"""Generate dsl-examples/ca3_cam.snn, the hippocampus CA3 content-addressable
memory of Casanueva-Morato et al. (Neural Networks 2024), and its
experiment-1 input, from the tables in shared/data/ca3cam.

The paper's network was tuned on SpiNNaker, so the generated network runs
with `semantics spinnaker`: sPyNNaker's neuron and STDP kernels, where
input acts on the membrane in the step it arrives (a hop of delay d takes
d steps, not NEST's d + 1), a synaptic current's input is scaled by
sPyNNaker's `init`, the membrane advances by the LIF closed form, and pair
STDP also depresses when a post spike reaches the synapse together with
the pre spike. Under NEST's semantics the gate races and the 3 ms STDP
pairings shift by a step per hop and the memory recalls by address only;
which of sPyNNaker's conventions are needed was established by a
reference model of sPyNNaker's C kernels (every one of the four is:
without any one, recall from content or forgetting fails).

Usage (from anywhere; python3, standard library only):

    python3 dsl-examples/gen/ca3_cam.py [--data DIR] [--out FILE]

Defaults: --data <repo>/../shared/data/ca3cam,
          --out  <repo>/dsl-examples/ca3_cam.snn

Input tables:
  populations.csv   per population: size (`cue`, `cont`, `cue+cont`, a
                    number), model, IF_curr_exp parameters, role
  projections.csv   pre, pre slice, post, post slice, connector,
                    allow_self, weight (nA; `6.0*cont`; `0.0 (initial)`),
                    delay (ms), receptor, plasticity
  exp1_input.csv    population (IL_cue | IL_cont), neuron, t_ms

What the generated network is, and what it assumes:
  * `cue` = 5 address neurons and `cont` = 10 content neurons (the data's
    defaults), dt = 1 ms, 90 ms of experiment 1.
  * The input layer IL is one SpikeSourceArray of cue + cont neurons: the
    first `cue` are the one-hot address, the next `cont` the content bits;
    experiment 1's spikes are written to `ca3_cam_input.csv`
    (neuron, time[ms]), 1 ms later than the table gives them: sPyNNaker
    sends a spike at t in the step that starts at t, spikec (like NEST)
    stamps spikes at step ends and has no step ending at 0. Every spike of
    the network is therefore recorded 1 ms later than on SpiNNaker.
  * The table's experiment-1 input stores content {4,5,6} under cue 3 at
    t = 20 (the data README says {4,5,6,8}); the table is used as given.
  * Every other population is PyNN's IF_curr_exp with the table's
    parameters, initial v = v_init.
  * Slices `a:b` become views; `all_to_all` keeps `allow_self`.
  * Inhibitory projections: the table gives positive weights on the
    inhibitory receptor (sPyNNaker's convention); spikec's IF_curr_exp
    adds a weight to its inhibitory current as it is (NEST's convention),
    so they are written negative.
  * The two learning projections use pair STDP as the table gives it
    (tau 3 ms, A 6, weights in [0, 6] nA, additive, initial weight 0).
    sPyNNaker 7 changes an additive weight by A * trace in the weight's
    unit (A = 6 nA per unit trace); spikec's `stdp` by A * w_max * trace
    (PyNN's NEST convention), so A is written as 6 / w_max = 1. One
    pairing then moves a weight by up to 6 nA: the memory learns in one
    presentation, as in the paper.
"""

import argparse
import csv
import os


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(os.path.dirname(here))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=os.path.join(repo, "..", "shared", "data", "ca3cam"))
    ap.add_argument("--out", default=os.path.join(repo, "dsl-examples", "ca3_cam.snn"))
    args = ap.parse_args()
    cue, cont = 5, 10
    sizes = {"cue": cue, "cont": cont, "cue+cont": cue + cont}

    def size(text):
        return sizes[text] if text in sizes else int(text)

    with open(os.path.join(args.data, "populations.csv")) as f:
        pops = list(csv.DictReader(f))
    with open(os.path.join(args.data, "projections.csv")) as f:
        projs = list(csv.DictReader(f))

    out_dir = os.path.dirname(os.path.abspath(args.out))
    with open(os.path.join(args.data, "exp1_input.csv")) as f:
        rows = list(csv.DictReader(f))
    spikes = []
    for r in rows:
        offset = 0 if r["population"] == "IL_cue" else cue
        # One step later: see the docstring.
        spikes.append((offset + int(r["neuron"]), float(r["t_ms"]) + 1.0))
    spikes.sort()
    with open(os.path.join(out_dir, "ca3_cam_input.csv"), "w") as f:
        f.write("neuron,time[ms]\n")
        for n, t in spikes:
            f.write("%d,%s\n" % (n, fmt(t)))

    lines = []
    views = {}

    def selection(pop, sl):
        if sl == "all":
            return pop
        a, b = sl.split(":")
        a, b = size(a) if a != "0" else 0, size(b)
        name = "%s_%d_%d" % (pop, a, b)
        views[name] = "%s[%d..%d]" % (pop, a, b)
        return name

    for p in pops:
        n = size(p["size"])
        if p["model"] == "SpikeSourceArray":
            lines.append(
                '  population %s = SpikeSourceArray[%d] { spike_times = csv("ca3_cam_input.csv") }'
                % (p["population"], n)
            )
            continue
        settings = ", ".join(
            [
                "cm = %s nF" % p["cm_nF"],
                "tau_m = %s ms" % p["tau_m_ms"],
                "tau_refrac = %s ms" % p["tau_refrac_ms"],
                "tau_syn_E = %s ms" % p["tau_syn_E_ms"],
                "tau_syn_I = %s ms" % p["tau_syn_I_ms"],
                "v_rest = %s mV" % p["v_rest_mV"],
                "v_reset = %s mV" % p["v_reset_mV"],
                "v_thresh = %s mV" % p["v_thresh_mV"],
                "i_offset = %s nA" % p["i_offset_nA"],
                "v = %s mV" % p["v_init_mV"],
            ]
        )
        lines.append("  population %s = IF_curr_exp[%d] { %s }" % (p["population"], n, settings))

    connects = []
    for r in projs:
        pre = selection(r["pre"], r["pre_slice"])
        post = selection(r["post"], r["post_slice"])
        if r["connector"] == "one_to_one":
            conn = "one_to_one()"
        else:
            conn = "all_to_all(autapses = %s)" % ("true" if r["allow_self"] == "true" else "false")
        w = r["weight_nA"].split(" ")[0]
        if w.endswith("*cont"):
            w = float(w[: -len("*cont")]) * cont
        w = float(w)
        if r["receptor"] == "inhibitory":
            w = -w
        settings = "port %s, weight %s nA, delay %s ms" % (r["receptor"], fmt(w), r["delay_ms"])
        if r["plasticity"].startswith("stdp_pair_additive"):
            params = dict(kv.split("=") for kv in r["plasticity"][len("stdp_pair_additive(") : -1].split(";"))
            w_max = float(params["w_max"])
            # sPyNNaker's A (nA per unit trace) as spikec's (per w_max).
            settings += (
                ", synapse stdp(tau_plus = %s ms, tau_minus = %s ms, A_plus = %s, A_minus = %s, "
                "w_min = %s nA, w_max = %s nA)"
                % (
                    params["tau_plus"],
                    params["tau_minus"],
                    fmt(float(params["A_plus"]) / w_max),
                    fmt(float(params["A_minus"]) / w_max),
                    params["w_min"],
                    params["w_max"],
                )
            )
        connects.append("  connect %s -> %s : %s { %s }" % (pre, post, conn, settings))

    view_lines = ["  view %s = %s" % (k, v) for k, v in sorted(views.items())]
    text = """# Hippocampus CA3 content-addressable memory (Casanueva-Morato et al.,
# Neural Networks 2024): learns content under an address, recalls it by
# the address or from a fragment of the content, and forgets it when the
# address is re-learned. Run as on SpiNNaker in the paper: dt = 1 ms and
# sPyNNaker's kernels (`semantics spinnaker`).
#
# GENERATED by dsl-examples/gen/ca3_cam.py from ../shared/data/ca3cam;
# the script's docstring says what is assumed. Experiment 1 (90 ms): the
# input layer IL's first {cue} neurons are the address (one-hot), the next
# {cont} the content; each operation drives its inputs for 3 steps, from
# 1 ms after the paper's times (spikes are stamped at step ends):
#   t=0 learn cue0 = {{0,1,8,9}}, t=10 learn cue4 = {{1,5,6}},
#   t=20 learn cue3 = {{4,5,6}} (the paper's table; its text adds 8),
#   t=30 recall cue0, t=40 recall from {{6}}, t=50 recall from {{0,4}},
#   t=60 re-learn cue3 = {{1,3,4,8}}, t=70 recall cue3, t=80 recall from {{6}}.
# The output layer OL shows the address in its first {cue} neurons and the
# content in the next {cont}.
#
#   spikec sim dsl-examples/ca3_cam.snn --duration 92ms

network ca3_cam {{
  timestep 1 ms
  semantics spinnaker
  seed 2024

{pops}

{views}

{connects}

  record OL.spikes
}}
""".format(
        cue=cue,
        cont=cont,
        pops="\n".join(lines),
        views="\n".join(view_lines),
        connects="\n".join(connects),
    )
    with open(args.out, "w") as f:
        f.write(text)


def fmt(x):
    return ("%.6f" % float(x)).rstrip("0").rstrip(".")


if __name__ == "__main__":
    main()
