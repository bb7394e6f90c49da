#!/usr/bin/env python3
"""Generate dsl-examples/microcircuit.snn, the Potjans & Diesmann (2014)
cortical microcircuit, from the CSV tables in shared/data/potjans2014.

Usage (from anywhere; python3, standard library only):

    python3 dsl-examples/gen/microcircuit.py [--data DIR] [--out FILE]

Defaults: --data <repo>/../shared/data/potjans2014,
          --out  <repo>/dsl-examples/microcircuit.snn

Input tables (rows = target population, columns = source population):
  populations.csv          n_full, k_ext, bg_rate_hz, ref_rate_hz,
                           v0_mean_mv, v0_sd_mv, is_excitatory per population
  conn_prob.csv            connection probabilities p
  total_synapses_full.csv  synapse numbers of the full-scale model
  weight_pA.csv            mean PSC amplitudes (pA)
  delay_ms.csv             mean delays (ms)

What the generated network does (NEST 3.x example
pynest/examples/Potjans_2014, network.py / helpers.py / network_params.py):

  * 8 populations of iaf_psc_exp (C_m 250 pF, tau_m 10 ms, tau_syn 0.5 ms,
    E_L -65 mV, V_th -50 mV, V_reset -65 mV, t_ref 2 ms), N = round(N_full *
    N_scaling); V_m ~ normal(v0_mean, v0_sd) per population ("optimized" V0).
  * 64 projections with the `fixed_total_number` rule (autapses and
    multapses allowed, as NEST's rule), K = round(K_full * N_scaling *
    K_scaling). K_full = ln(1 - p) / ln(1 - 1 / (N_pre N_post)) is written
    unrounded (as NEST keeps it before scaling); it rounds to
    total_synapses_full.csv, which the script checks. Pairs with p = 0 get
    K = 0, as in NEST, which also calls Connect for them.
  * weights normal(w, 0.1 |w|) redrawn until the sign is kept
    (normal_clipped with bound 0), w / sqrt(K_scaling);
    delays normal(d, 0.5 d) redrawn below the resolution 0.1 ms.
  * background: one Poisson generator per neuron (NEST: one poisson_generator
    per population, connected all_to_all, which gives every target an
    independent train) of rate round(K_ext * K_scaling) * 8 Hz, port
    excitatory, weight PSC_ext / sqrt(K_scaling) (constant), delay 1.5 ms.
  * DC compensation for K_scaling < 1 (helpers.py,
    adjust_weights_and_input_to_synapse_scaling, with poisson_input = True):
        I_e = 0.001 * tau_syn * (1 - sqrt(K_scaling))
              * ( sum_j w_ij * (K_full_ij / N_full_i) * rate_j
                  + PSC_ext * K_ext_i * bg_rate )            [pA]
    with the full-scale reference rates rate_j (ref_rate_hz) and the
    unscaled weights. The bracket is a constant of the full-scale model, so
    the generator evaluates tau_syn * bracket and writes
    I_e = (1 - sqrt(K_scaling)) * <value> pA; it is 0 pA at K_scaling = 1.
  * all populations' spikes are recorded.

Not included: the optional thalamic input and DC stimulus of the NEST example
(both off by default there).

The output is deterministic; rerun after changing the CSVs and commit the
result. Expressions keep N_scaling and K_scaling symbolic, so
`spikec ... --set N_scaling=0.1 --set K_scaling=0.1` works on the output.
"""

import argparse
import csv
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
DEFAULT_DATA = os.path.normpath(os.path.join(REPO, "..", "shared", "data", "potjans2014"))
DEFAULT_OUT = os.path.join(REPO, "dsl-examples", "microcircuit.snn")

# Neuron and simulation parameters of the NEST example (network_params.py,
# sim_params.py); they are also stated in shared/data/README.md.
NEURON = {
    "C_m": "250 pF",
    "tau_m": "10 ms",
    "t_ref": "2 ms",
    "E_L": "-65 mV",
    "V_th": "-50 mV",
    "V_reset": "-65 mV",
    "tau_syn_ex": "0.5 ms",
    "tau_syn_in": "0.5 ms",
}
TAU_SYN_MS = 0.5
C_M_PF = 250.0
TAU_M_MS = 10.0
PSP_EXC_MV = 0.15          # mean excitatory PSP amplitude (network_params.py)
WEIGHT_REL_SD = 0.1        # weight_rel_std
DELAY_REL_SD = 0.5         # delay_rel_std
DELAY_POISSON = "1.5 ms"   # delay_poisson
RESOLUTION = "0.1 ms"      # sim_resolution: lower bound of the delays
SEED = 55                  # master_seed of sim_params.py


def read_matrix(path, pops):
    """Read a target x source table into {(target, source): value string}."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header = rows[0][1:]
    if header != pops:
        sys.exit(f"{path}: columns {header} differ from populations {pops}")
    out = {}
    targets = []
    for row in rows[1:]:
        targets.append(row[0])
        for src, cell in zip(header, row[1:]):
            out[(row[0], src)] = cell.strip()
    if targets != pops:
        sys.exit(f"{path}: rows {targets} differ from populations {pops}")
    return out


def num(x):
    """Format a float without a trailing '.0' and without exponent noise."""
    s = repr(float(x))
    if s.endswith(".0"):
        s = s[:-2]
    return s


def psc_over_psp(C_m, tau_m, tau_syn):
    """helpers.postsynaptic_potential_to_current of the NEST example."""
    sub = 1.0 / (tau_syn - tau_m)
    pre = tau_m * tau_syn / C_m * sub
    frac = (tau_m / tau_syn) ** sub
    return 1.0 / (pre * (frac ** tau_m - frac ** tau_syn))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=DEFAULT_DATA, help="directory with the potjans2014 CSVs")
    ap.add_argument("--out", default=DEFAULT_OUT, help="output .snn file")
    args = ap.parse_args()
    d = args.data

    with open(os.path.join(d, "populations.csv"), newline="") as f:
        prow = list(csv.DictReader(f))
    pops = [r["population"] for r in prow]
    P = {r["population"]: r for r in prow}
    N = {p: int(P[p]["n_full"]) for p in pops}
    exc = {p: P[p]["is_excitatory"].strip() == "1" for p in pops}

    prob = read_matrix(os.path.join(d, "conn_prob.csv"), pops)
    ktab = read_matrix(os.path.join(d, "total_synapses_full.csv"), pops)
    wtab = read_matrix(os.path.join(d, "weight_pA.csv"), pops)
    dtab = read_matrix(os.path.join(d, "delay_ms.csv"), pops)

    # Full-scale synapse numbers, unrounded as in NEST (num_synapses_from_conn_probs).
    K = {}
    for t in pops:
        for s in pops:
            p = float(prob[(t, s)])
            prod = N[t] * N[s]
            K[(t, s)] = math.log(1.0 - p) / math.log((prod - 1.0) / prod) if p > 0 else 0.0
            if round(K[(t, s)]) != int(ktab[(t, s)]):
                sys.exit(f"K({s}->{t}) = {K[(t, s)]} does not round to total_synapses_full.csv {ktab[(t, s)]}")
    total = sum(int(v) for v in ktab.values())

    # External weight: the excitatory PSC of the tables (87.8085 pA), which is
    # PSP_exc 0.15 mV converted with the NEST formula; check the two agree.
    w_exc = float(wtab[(pops[0], pops[0])])
    w_formula = PSP_EXC_MV * psc_over_psp(C_M_PF, TAU_M_MS, TAU_SYN_MS)
    if abs(w_exc - w_formula) > 1e-3:
        sys.exit(f"weight_pA.csv excitatory PSC {w_exc} differs from the PSP formula {w_formula}")
    psc_ext = wtab[(pops[0], pops[0])]

    # DC compensation coefficient tau_syn * bracket (pA), see the docstring.
    dc = {}
    for t in pops:
        rec = sum(float(wtab[(t, s)]) * K[(t, s)] / N[t] * float(P[s]["ref_rate_hz"]) for s in pops)
        ext = w_exc * int(P[t]["k_ext"]) * float(P[t]["bg_rate_hz"])
        dc[t] = 0.001 * TAU_SYN_MS * (rec + ext)

    L = []
    w = L.append
    w("# Potjans & Diesmann (2014) cortical microcircuit, full scale: 77,169")
    w("# leaky integrate-and-fire neurons (iaf_psc_exp) in 8 populations (layers")
    w("# 2/3, 4, 5, 6; excitatory E and inhibitory I each) under 1 mm^2 of early")
    w("# sensory cortex, ~2.99e8 synapses, driven by Poisson background input.")
    w("#")
    w("# Sources:")
    w("#   Potjans TC, Diesmann M (2014) The cell-type specific cortical")
    w("#     microcircuit: relating structure and activity in a full-scale spiking")
    w("#     network model. Cereb Cortex 24(3):785-806.")
    w("#   NEST 3.x example pynest/examples/Potjans_2014 (network.py, helpers.py,")
    w("#     network_params.py): scaling rules, weight/delay distributions,")
    w("#     background input and DC compensation are reproduced from it.")
    w("#   Data: shared/data/potjans2014/*.csv (see shared/data/README.md).")
    w("#")
    w("# GENERATED by dsl-examples/gen/microcircuit.py from those CSVs; edit the")
    w("# generator, not this file.")
    w("#")
    w("# Scaling (as in the NEST example):")
    w("#   N_scaling: population sizes round(N_full * N_scaling);")
    w("#   K_scaling: in-degrees. Synapse numbers round(K_full * N_scaling * K_scaling),")
    w("#   weights / sqrt(K_scaling), external in-degree round(K_ext * K_scaling),")
    w("#   plus a DC current I_e = (1 - sqrt(K_scaling)) * c_i that restores the mean")
    w("#   input, c_i = tau_syn * (sum_j w_ij (K_full_ij / N_full_i) rate_j")
    w("#   + w_ext K_ext_i 8 Hz) with the full-scale reference rates (0 at K_scaling = 1).")
    w("#   K_full = ln(1 - p) / ln(1 - 1 / (N_pre N_post)), unrounded as in NEST;")
    w(f"#   at full scale the 64 projections hold {total:,} synapses.")
    w("#")
    w("# Connectivity: fixed_total_number with autapses and multapses (NEST's rule).")
    w(f"# Weights: normal(w, {WEIGHT_REL_SD} |w|), redrawn until the sign is kept; w = {psc_ext} pA")
    w("# (PSP 0.15 mV), doubled for L4E -> L23E, -4x for inhibitory sources.")
    w(f"# Delays: normal(d, {DELAY_REL_SD} d), redrawn below the resolution {RESOLUTION};")
    w("# d = 1.5 ms (excitatory sources), 0.75 ms (inhibitory sources).")
    w("# Background: independent Poisson input per neuron, K_ext * 8 Hz, weight w, delay 1.5 ms.")
    w("# Published full-scale rates (Hz): " + ", ".join(f"{p} {P[p]['ref_rate_hz']}" for p in pops) + ".")
    w("# Not included: the optional thalamic input and DC stimulus (off by default in NEST).")
    w("")
    w("network potjans2014 {")
    w(f"  timestep {RESOLUTION}")
    w(f"  seed {SEED}")
    w("")
    w("  param N_scaling = 1             # scaling of the number of neurons")
    w("  param K_scaling = 1             # scaling of the in-degrees")
    w("")
    w("  # ---------------------------------------------------------------- populations")
    for p in pops:
        w(f"  # {p}: N_full {N[p]}, K_ext {P[p]['k_ext']}, reference rate {P[p]['ref_rate_hz']} Hz")
        w(f"  population {p} = iaf_psc_exp[round({N[p]} * N_scaling)] {{")
        w("    " + ", ".join(f"{k} = {v}" for k, v in NEURON.items()))
        w(f"    I_e = (1 - sqrt(K_scaling)) * {dc[p]:.4f} pA")
        w(f"    V_m = normal({P[p]['v0_mean_mv']} mV, {P[p]['v0_sd_mv']} mV)")
        w("  }")
    w("")
    w("  # ---------------------------------------------------------------- background input")
    for p in pops:
        rate = f"round({P[p]['k_ext']} * K_scaling) * {num(float(P[p]['bg_rate_hz']))} Hz"
        w(f"  source bg_{p} = poisson_generator[round({N[p]} * N_scaling)] {{ rate = {rate} }}")
    for p in pops:
        w(f"  connect bg_{p} -> {p} : one_to_one() {{ port excitatory, "
          f"weight {psc_ext} pA / sqrt(K_scaling), delay {DELAY_POISSON} }}")
    w("")
    w("  # ---------------------------------------------------------------- recurrent connections")
    w("  # projection SOURCE_to_TARGET; K_full from conn_prob.csv")
    for s in pops:
        for t in pops:
            kf = K[(t, s)]
            wm = float(wtab[(t, s)])
            dm = float(dtab[(t, s)])
            sd_w = num(round(abs(wm) * WEIGHT_REL_SD, 9))
            if wm >= 0:
                wdist = (f"normal_clipped({num(wm)} pA / sqrt(K_scaling), "
                         f"{sd_w} pA / sqrt(K_scaling), 0 pA, inf)")
                port = "excitatory"
            else:
                wdist = (f"normal_clipped({num(wm)} pA / sqrt(K_scaling), "
                         f"{sd_w} pA / sqrt(K_scaling), -inf, 0 pA)")
                port = "inhibitory"
            if exc[s] != (wm >= 0):
                sys.exit(f"sign of weight {s}->{t} does not match is_excitatory of {s}")
            ddist = f"normal_clipped({num(dm)} ms, {num(round(dm * DELAY_REL_SD, 9))} ms, {RESOLUTION}, inf)"
            kexpr = f"round({kf:.3f} * N_scaling * K_scaling)" if kf > 0 else "round(0 * N_scaling * K_scaling)"
            w(f"  projection {s}_to_{t} = {s} -> {t} : fixed_total_number({kexpr}, autapses = true, multapses = true) {{")
            w(f"    port {port}, weight {wdist}")
            w(f"    delay {ddist}")
            w("  }")
    w("")
    w("  record " + ", ".join(f"{p}.spikes" for p in pops))
    w("}")

    text = "\n".join(L) + "\n"
    with open(args.out, "w") as f:
        f.write(text)
    print(f"wrote {args.out}: {len(pops)} populations, {len(pops) ** 2} projections, "
          f"{sum(N.values())} neurons, {total} synapses at full scale", file=sys.stderr)


if __name__ == "__main__":
    main()
