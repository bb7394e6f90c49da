#!/usr/bin/env python3
"""Generate dsl-examples/celegans.snn, the C. elegans hermaphrodite
connectome of Cook et al. (2019) as a spiking network, with its two
connection files beside it.

Usage (from anywhere; python3, standard library only):

    python3 dsl-examples/gen/celegans.py [--data DIR] [--out FILE]
                                          [--w-chem NA] [--g-gap NS]

Defaults: --data <repo>/../shared/data/celegans, --out
<repo>/dsl-examples/celegans.snn, --w-chem 0.01 (nA per synapse),
--g-gap 0.3 (nS per junction).

Input (exported with the PyPI package cect 0.3.5 from the published data):
  celegans_Cook2019Herm_neurons.csv   name, sim_class (Sensory, Interneuron,
                                      Motorneuron, Other), description
  celegans_Cook2019Herm_edges.csv     pre, post, type (chemical | electrical),
                                      weight (synapse or junction count),
                                      synclass

What the generated network is, and what it assumes:
  * All 302 neurons in one population `Worm`, ordered by class (sensory,
    inter, motor, other) and by name within a class; the generated file
    lists the names so that indices can be read back. Views name the
    classes and the six touch receptor neurons (ALML, ALMR, AVM, PLML,
    PLMR, PVM).
  * Neurons are leaky integrate-and-fire with an exponential synaptic
    current (`worm_lif`: tau_m 10 ms, C_m 0.1 nF, tau_syn 5 ms, rest and
    reset -65 mV, threshold -50 mV, refractory 2 ms). Most C. elegans
    neurons signal with graded potentials, not spikes; a spiking
    abstraction is what the issue asks for and what the backends take.
  * Chemical synapses are directed current synapses of weight
    count * w_chem. The data carry no transmitter identity (every chemical
    edge is `Generic_CS`), so all are excitatory: an assumption, and the
    reason the weights are small.
  * Gap junctions are electrical synapses of conductance count * g_gap.
    The data list each unordered pair once; spikec's gap junctions are
    symmetric, so each pair is written once (`synapse gap_junction`).
    Self-junctions (pre == post) are dropped: they pass no current.
  * Stimulus: the six touch receptor neurons get independent Poisson
    trains (400 Hz, 0.6 nA a spike) from 100 ms to 300 ms: a gentle touch.
"""

import argparse
import csv
import os

CLASSES = ["Sensory", "Interneuron", "Motorneuron", "Other"]
TOUCH = ["ALML", "ALMR", "AVM", "PLML", "PLMR", "PVM"]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(os.path.dirname(here))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=os.path.join(repo, "..", "shared", "data", "celegans"))
    ap.add_argument("--out", default=os.path.join(repo, "dsl-examples", "celegans.snn"))
    ap.add_argument("--w-chem", type=float, default=0.01)
    ap.add_argument("--g-gap", type=float, default=0.3)
    args = ap.parse_args()

    with open(os.path.join(args.data, "celegans_Cook2019Herm_neurons.csv")) as f:
        neurons = [(r["name"], r["sim_class"]) for r in csv.DictReader(f)]
    order = sorted(neurons, key=lambda n: (CLASSES.index(n[1]), n[0]))
    index = {name: i for i, (name, _) in enumerate(order)}
    assert len(order) == 302, len(order)

    chemical, gap = [], []
    with open(os.path.join(args.data, "celegans_Cook2019Herm_edges.csv")) as f:
        for r in csv.DictReader(f):
            pre, post, n = index[r["pre"]], index[r["post"]], int(r["weight"])
            if r["type"] == "chemical":
                chemical.append((pre, post, n))
            elif r["type"] == "electrical" and pre != post:
                gap.append((pre, post, n))
    chemical.sort()
    gap.sort()

    outdir = os.path.dirname(os.path.abspath(args.out))
    with open(os.path.join(outdir, "celegans_chemical.csv"), "w") as f:
        f.write("pre,post,weight[nA]\n")
        for pre, post, n in chemical:
            f.write("%d,%d,%s\n" % (pre, post, fmt(n * args.w_chem)))
    with open(os.path.join(outdir, "celegans_gap.csv"), "w") as f:
        f.write("pre,post,weight[nS]\n")
        for pre, post, n in gap:
            f.write("%d,%d,%s\n" % (pre, post, fmt(n * args.g_gap)))

    first = {c: next(i for i, n in enumerate(order) if n[1] == c) for c in CLASSES}
    end = {c: first[c] + sum(1 for n in order if n[1] == c) for c in CLASSES}
    names = []
    for i in range(0, len(order), 8):
        row = " ".join("%d=%s" % (j, order[j][0]) for j in range(i, min(i + 8, len(order))))
        names.append("#   " + row)
    touch = ", ".join(str(index[n]) for n in TOUCH)

    text = """# The C. elegans hermaphrodite connectome (Cook et al. 2019) as a spiking
# network: 302 neurons, {nchem} chemical connections ({nsyn} synapses) as
# directed current synapses weighted by synapse count, {ngap} gap-junction
# pairs ({njun} junctions) as symmetric electrical synapses weighted by
# junction count. A gentle touch (the six touch receptor neurons) from
# 100 ms to 300 ms.
#
# GENERATED by dsl-examples/gen/celegans.py from ../shared/data/celegans
# (exported with the PyPI package cect 0.3.5); the script's docstring says
# what is assumed (spiking neurons, all chemical synapses excitatory, the
# per-synapse weights w_chem = {w} nA and g_gap = {g} nS).
#
#   spikec sim dsl-examples/celegans.snn --duration 400ms
#
# Gap junctions need the simulator: `spikec build --target spinnaker` (or
# sfq) refuses them with E0071, naming the projection.
#
# Neuron indices:
{names}

neuron worm_lif {{
  parameter tau_m = 10 ms          # membrane time constant
  parameter C_m = 0.1 nF           # membrane capacitance
  parameter tau_syn = 5 ms         # synaptic current decay
  parameter v_rest = -65 mV
  parameter v_reset = -65 mV
  parameter v_th = -50 mV
  parameter t_ref = 2 ms

  state v = v_rest, i_syn = 0 nA

  v' = (v_rest - v) / tau_m + i_syn / C_m
  i_syn' = -i_syn / tau_syn

  # chemical synapses add current (nA); a gap junction passes charge (pC)
  input chemical -> i_syn, gap -> v * (1 / C_m)
  spike v >= v_th {{ v = v_reset }} refractory t_ref
}}

network celegans {{
  timestep 0.1 ms
  seed 2019

  population Worm = worm_lif[302]
  view Sensory = Worm[{s0}..{s1}]
  view Inter = Worm[{i0}..{i1}]
  view Motor = Worm[{m0}..{m1}]
  view Touch = Worm[{touch}]

  population Stimulus = SpikeSourcePoisson[6] {{ rate = 400 Hz, start = 100 ms, duration = 200 ms }}
  connect Stimulus -> Touch : one_to_one() {{ port chemical, weight 0.6 nA }}

  projection Chemical = Worm -> Worm : from_file("celegans_chemical.csv") {{ port chemical }}
  projection Gap = Worm -> Worm : from_file("celegans_gap.csv") {{ synapse gap_junction, port gap }}

  record Worm.spikes
}}
""".format(
        nchem=len(chemical),
        nsyn=sum(n for _, _, n in chemical),
        ngap=len(gap),
        njun=sum(n for _, _, n in gap),
        w=fmt(args.w_chem),
        g=fmt(args.g_gap),
        names="\n".join(names),
        s0=first["Sensory"],
        s1=end["Sensory"],
        i0=first["Interneuron"],
        i1=end["Interneuron"],
        m0=first["Motorneuron"],
        m1=end["Motorneuron"],
        touch=touch,
    )
    with open(args.out, "w") as f:
        f.write(text)


def fmt(x):
    return ("%.6f" % x).rstrip("0").rstrip(".")


if __name__ == "__main__":
    main()
