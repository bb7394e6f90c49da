#!/usr/bin/env python3
"""Run every network of WORK (made by make_networks.py) in NEST and in
spikec, compare the spike lists exactly, and print a table.

Spikes are compared as (population, neuron, step) with step = round(t / 0.1
ms): both simulators stamp a spike at the end of the step it fired in.
The V_m traces that both record (a few neurons per network) are compared
too: the largest |V_NEST - V_spikec| before the first spike difference shows
how far the two computations are apart (last-bit rounding or more).

On a mismatch the neurons of the first difference are simulated again with
their V_m recorded in both simulators, and the report says where their
traces part (first step with a different value, first step with a
difference above 1e-9 mV) and what V was at the differing spike, relative to
V_th.

Usage: crosscheck.py WORK --spikec PATH [--nest-python PATH] [--spikec-arg ARG ...]
Exit status: 0 all identical, 1 a mismatch, 2 a run failed.
"""

import argparse
import csv
import json
import math
import os
import re
import subprocess
import sys
import time

H = 0.1
SEMANTIC = 1e-9   # mV: a trace difference above this is not rounding


def read_spikes(path):
    out = []
    with open(path) as f:
        for r in csv.DictReader(f):
            out.append((int(round(float(r["time_ms"]) / H)), r["population"], int(r["neuron"])))
    out.sort()
    return out


def read_trace(path):
    """{neuron: [V after step 1, 2, ...]} from a time_ms,P:i,... CSV."""
    with open(path) as f:
        rd = csv.reader(f)
        head = next(rd)
        cols = [int(h.split(":")[1]) for h in head[1:]]
        rows = [[float(x) for x in r] for r in rd if r]
    for j, r in enumerate(rows):
        assert int(round(r[0] / H)) == j + 1, f"{path}: row {j} at {r[0]} ms"
    return {c: [r[k + 1] for r in rows] for k, c in enumerate(cols)}


def spikec_trace(d):
    files = [f for f in os.listdir(d) if re.match(r"P\.V_m\.record\d+\.csv$", f)]
    assert len(files) == 1, f"{d}: V_m traces {files}"
    return read_trace(os.path.join(d, files[0]))


def run(cmd, cwd, log):
    t = time.time()
    with open(log, "w") as f:
        r = subprocess.run(cmd, cwd=cwd, stdout=f, stderr=subprocess.STDOUT)
    if r.returncode != 0:
        with open(log) as f:
            sys.stderr.write(f.read()[-3000:])
        raise RuntimeError(f"{' '.join(cmd)} failed in {cwd} (exit {r.returncode}), log {log}")
    return time.time() - t


def simulate(net_dir, meta, args, suffix="", trace=None):
    """Runs NEST and spikec; returns the two output directories and timings."""
    nest_out = os.path.join(net_dir, "nest" + suffix)
    sc_out = os.path.join(net_dir, "spikec" + suffix)
    snn = "net.snn"
    cmd_nest = [args.nest_python, "nest_run.py", nest_out]
    if trace is not None:
        cmd_nest += ["--trace", ",".join(map(str, trace))]
        snn = f"net{suffix}.snn"
        with open(os.path.join(net_dir, "net.snn")) as f:
            text = f.read()
        text = re.sub(r"record P\[[^\]]*\]\.V_m", f"record P[{', '.join(map(str, trace))}].V_m", text)
        with open(os.path.join(net_dir, snn), "w") as f:
            f.write(text)
    t_nest = run(cmd_nest, net_dir, os.path.join(net_dir, f"nest{suffix}.log"))
    t_sc = run([args.spikec, "sim", snn, "--duration", f"{meta['duration']}ms", "--out", sc_out, "--color", "never"] + args.spikec_arg,
               net_dir, os.path.join(net_dir, f"spikec{suffix}.log"))
    return nest_out, sc_out, t_nest, t_sc


def first_difference(a, b):
    """Earliest step at which the spike lists differ: (step, [(pop, i, who)])."""
    sa, sb = set(a), set(b)
    diff = sorted(sa ^ sb)
    if not diff:
        return None
    k = diff[0][0]
    return k, [(p, i, "NEST only" if (s, p, i) in sa else "spikec only") for s, p, i in diff if s == k]


def max_dv(tn, ts, before):
    """max |dV| over the traced neurons for steps < before (1-based steps)."""
    m, where = 0.0, None
    for i in tn:
        if i not in ts:
            continue
        for j, (x, y) in enumerate(zip(tn[i], ts[i])):
            if j + 1 >= before:
                break
            if abs(x - y) > m:
                m, where = abs(x - y), (i, j + 1)
    return m, where


def diagnose(net_dir, meta, args, k, who):
    """Re-run with the neurons of the first difference traced; a text report."""
    ids = sorted({i for _, i, _ in who})[:4]
    nest_out, sc_out, _, _ = simulate(net_dir, meta, args, suffix="_trace", trace=ids)
    tn = read_trace(os.path.join(nest_out, "V_m.csv"))
    ts = spikec_trace(sc_out)
    p = meta["params"]
    vth, vreset = p["V_th"], p["V_reset"]
    lines = []
    for i in ids:
        vn, vs = tn[i], ts[i]
        d = [abs(x - y) for x, y in zip(vn, vs)]
        first_ne = next((j + 1 for j, x in enumerate(d) if x != 0.0), None)
        first_big = next((j + 1 for j, x in enumerate(d) if x > SEMANTIC), None)
        mx = max(d[: k - 1], default=0.0)
        what = [w for _, n, w in who if n == i][0]
        lines.append(f"  P[{i}] at t = {k * H:.1f} ms ({what}): max |dV| over steps before = {mx:.3g} mV; "
                     f"first step with dV != 0: {fmt_step(first_ne)}; first with |dV| > {SEMANTIC:g} mV: {fmt_step(first_big)}")
        for j in range(max(1, k - 2), min(len(vn), k + 1) + 1):
            lines.append(f"    t = {j * H:6.1f} ms  V_NEST = {vn[j - 1]!r:>22}  V_spikec = {vs[j - 1]!r:>22}  "
                         f"dV = {vn[j - 1] - vs[j - 1]:+.3g}")
        # The simulator that did not fire has its pre-reset V at step k.
        v_nofire = vs[k - 1] if what == "NEST only" else vn[k - 1]
        lines.append(f"    V_th = {vth}, V_reset = {vreset}; the non-firing side is at V_th - V = {vth - v_nofire:.3g} mV")
        if first_big is None or first_big >= k:
            lines.append("    diagnosis: rounding (traces agree to within 1e-9 mV up to the spike; V within rounding of V_th)")
        else:
            lines.append(f"    diagnosis: SEMANTIC (traces part by more than 1e-9 mV at t = {first_big * H:.1f} ms, "
                         f"before the differing spike)")
    return "\n".join(lines)


def fmt_step(j):
    return "never" if j is None else f"t = {j * H:.1f} ms"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("work")
    ap.add_argument("--spikec", required=True)
    ap.add_argument("--nest-python", default=sys.executable)
    ap.add_argument("--spikec-arg", action="append", default=[],
                    help="extra argument for `spikec sim` (repeatable), e.g. --spikec-arg=--engine --spikec-arg=interp")
    ap.add_argument("--markdown", help="also write the table and diagnoses to this file")
    args = ap.parse_args()
    args.spikec = os.path.abspath(args.spikec)
    with open(os.path.join(args.work, "networks.txt")) as f:
        names = [l.strip() for l in f if l.strip()]
    rows, reports, bad = [], [], False
    for name in names:
        d = os.path.join(args.work, name)
        with open(os.path.join(d, "meta.json")) as f:
            meta = json.load(f)
        nest_out, sc_out, t_nest, t_sc = simulate(d, meta, args)
        a = read_spikes(os.path.join(nest_out, "spikes.csv"))
        b = read_spikes(os.path.join(sc_out, "spikes.csv"))
        fd = first_difference(a, b)
        tn = read_trace(os.path.join(nest_out, "V_m.csv"))
        ts = spikec_trace(sc_out)
        steps = int(round(meta["duration"] / H))
        mx, where = max_dv(tn, ts, fd[0] if fd else steps + 1)
        if fd:
            bad = True
            k, who = fd
            first = f"t = {k * H:.1f} ms: " + ", ".join(f"P[{i}] {w}" for _, i, w in who[:3])
            if len(who) > 3:
                first += f" (+{len(who) - 3})"
            try:
                reports.append(f"{name}: first difference at t = {k * H:.1f} ms\n" + diagnose(d, meta, args, k, who))
            except Exception as e:  # the table is still worth printing
                reports.append(f"{name}: diagnosis failed: {e}")
        else:
            first = "-"
        rows.append([name, meta["model"], str(meta["n"]), f"{meta['duration']:g}",
                     str(meta["connections"] + meta["input_connections"]),
                     str(len(a)), str(len(b)), "no" if fd else "yes", first,
                     f"{mx:.2g}" if mx else "0", f"{t_nest:.1f} / {t_sc:.2f}"])
        print(f"{name}: NEST {len(a)} spikes, spikec {len(b)}: {'identical' if not fd else 'DIFFERENT'}",
              file=sys.stderr, flush=True)
    head = ["network", "model", "N", "ms", "synapses", "spikes NEST", "spikes spikec", "identical",
            "first difference", "max abs dV traced [mV]", "wall s NEST / spikec"]
    table = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    table += ["| " + " | ".join(r) + " |" for r in rows]
    text = "\n".join(table)
    if reports:
        text += "\n\nDiagnosis of the mismatches:\n\n" + "\n\n".join(reports)
    print(text)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text + "\n")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    try:
        main()
    except (RuntimeError, OSError, AssertionError) as e:
        print(f"crosscheck: {e}", file=sys.stderr)
        sys.exit(2)
