#!/usr/bin/env python3
"""CUBA benchmark driver: spikec (jit, interp) vs Brian2 cpp_standalone vs
NEST (1 thread). Called by bench/cuba/run.sh, which prepares the venvs and the
spikec binary; see bench/README.md for what is measured.

Repetitions are interleaved (rep 1 of every tool, then rep 2, ...) so that a
burst of load from other work on the machine spreads over all tools.
"""

import argparse
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True   # no __pycache__ in bench/
sys.path.insert(0, os.path.join(HERE, ".."))
from benchlib import (bench_json, check_gnu_time, fmt, fmt_mib, import_baseline_kib, machine_note,  # noqa: E402
                      median, parse_spikec, ratio, run_timed, table)

ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
TOOLS = ["spikec-jit", "spikec-interp", "brian2", "nest"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--spikec", required=True)
    ap.add_argument("--nest-python", help="python with nest (bench/.venv)")
    ap.add_argument("--brian2-python", help="python with brian2 (bench/.venv-brian2)")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--duration", type=float, default=10.0, help="seconds of biological time")
    ap.add_argument("--n", type=int, default=4000)
    ap.add_argument("--only", default=",".join(TOOLS), help="comma-separated subset of " + ",".join(TOOLS))
    ap.add_argument("--work", default=os.path.join(HERE, "work"))
    args = ap.parse_args()
    check_gnu_time()

    tools = [t for t in args.only.split(",") if t]
    for t in tools:
        if t not in TOOLS:
            sys.exit(f"unknown tool {t!r}; choose from {TOOLS}")
    if "nest" in tools and not args.nest_python:
        sys.exit("--nest-python is needed for nest")
    if "brian2" in tools and not args.brian2_python:
        sys.exit("--brian2-python is needed for brian2")
    os.makedirs(args.work, exist_ok=True)
    log = os.path.join(args.work, "log.txt")
    open(log, "w").close()
    snn = os.path.join(ROOT, "dsl-examples", "cuba.snn")
    dur = args.duration
    start_note = machine_note()

    def cmd(tool):
        if tool.startswith("spikec"):
            engine = tool.split("-")[1]
            return [args.spikec, "sim", snn, "--duration", f"{dur}s", "--engine", engine,
                    "--set", f"n={args.n}", "--threads", "1"]
        if tool == "brian2":
            return [args.brian2_python, os.path.join(HERE, "brian2_cuba.py"), "--duration", str(dur),
                    "--n", str(args.n), "--dir", os.path.join(args.work, "brian2_project")]
        if tool == "nest":
            return [args.nest_python, os.path.join(HERE, "nest_cuba.py"), "--duration", str(dur),
                    "--n", str(args.n), "--threads", "1"]
        raise AssertionError(tool)

    runs = {t: [] for t in tools}
    failures = {}
    for rep in range(1, args.reps + 1):
        for t in tools:
            if t in failures:
                continue
            print(f"== rep {rep}/{args.reps}: {t}", file=sys.stderr, flush=True)
            try:
                r = run_timed(cmd(t), log=log)
            except RuntimeError as e:
                failures[t] = str(e)
                print(f"   FAILED (see {log})\n{e}", file=sys.stderr)
                continue
            rec = {"wall": r["wall_s"], "rss": r["maxrss_kib"]}
            if t.startswith("spikec"):
                pops, sim_s = parse_spikec(r["stdout"])
                rec["sim"] = sim_s
                rec["rates"] = {p: v["rate_hz"] for p, v in pops.items()}
            else:
                j = bench_json(r["stdout"])
                rec.update(j)
                rec["rates"] = j["rates_hz"]
            runs[t].append(rec)
            extra = f" (reported {rec['sim']:.3f} s)" if "sim" in rec else ""
            print(f"   wall {r['wall_s']:.2f} s{extra}, max RSS {fmt_mib(r['maxrss_kib'])}",
                  file=sys.stderr, flush=True)

    # spikec's reported time includes the connectivity expansion; `spikec stats`
    # times the expansion alone, so the loop can be estimated by subtraction.
    expansion = []
    if any(t.startswith("spikec") for t in tools):
        for _ in range(args.reps):
            r = run_timed([args.spikec, "stats", snn, "--set", f"n={args.n}", "--threads", "1"], log=log)
            m = re.search(r"expanded in ([0-9.]+) s", r["stdout"])
            if m:
                expansion.append(float(m.group(1)))
    exp_med = median(expansion)

    def med(t, key):
        return median([r.get(key) for r in runs.get(t, [])])

    def allv(t, key):
        vals = [r.get(key) for r in runs.get(t, [])]
        return " ".join("-" if v is None else f"{v:.3f}" for v in vals) or "-"

    rows = []
    for t in tools:
        if t.startswith("spikec"):
            rows.append([t, "reported 'simulated ... in X s' (expansion + run)", fmt(med(t, "sim")), allv(t, "sim")])
            loop = med(t, "sim") - exp_med if med(t, "sim") is not None and exp_med is not None else None
            rows.append([t, "run loop, estimated = reported - expansion", fmt(loop), "-"])
            rows.append([t, "whole process (parse, check, lower, compile, expand, run)", fmt(med(t, "wall")), allv(t, "wall")])
        elif t == "brian2":
            rows.append([t, "whole process: Python, codegen, C++ compile, run", fmt(med(t, "wall")), allv(t, "wall")])
            rows.append([t, "C++ compile (`make`, Brian2's timer)", fmt(med(t, "compile_s")), allv(t, "compile_s")])
            rows.append([t, "binary: init + synapse creation + run + write results", fmt(med(t, "binary_s")), allv(t, "binary_s")])
            rows.append([t, "network run only (magic_network, last_run_info.txt)", fmt(med(t, "network_run_s")), allv(t, "network_run_s")])
        elif t == "nest":
            rows.append([t, "whole process (Python start, import nest, build, simulate)", fmt(med(t, "wall")), allv(t, "wall")])
            rows.append([t, "build: Create + Connect + Prepare", fmt(med(t, "build_s")), allv(t, "build_s")])
            rows.append([t, "nest.Simulate only", fmt(med(t, "simulate_s")), allv(t, "simulate_s")])
            for r in runs[t]:
                r["setup_sim"] = r["build_s"] + r["simulate_s"]
            rows.append([t, "build + simulate", fmt(med(t, "setup_sim")), allv(t, "setup_sim")])
    if exp_med is not None:
        rows.append(["spikec", "connectivity expansion alone (`spikec stats`, 1 thread)", fmt(exp_med),
                     " ".join(f"{x:.3f}" for x in expansion)])

    out = []
    out.append(f"CUBA: {args.n} neurons, {dur:g} s biological time, dt 0.1 ms; {args.reps} repetitions, "
               f"medians; {start_note}; {time.strftime('%Y-%m-%d %H:%M')}")
    vers = []
    if runs.get("brian2"):
        vers.append(f"Brian2 {runs['brian2'][0]['version']} (cpp_standalone, 1 thread)")
    if runs.get("nest"):
        vers.append(f"NEST {runs['nest'][0]['version']} ({runs['nest'][0]['threads']} thread)")
    if vers:
        out.append("Peers: " + ", ".join(vers))
    out.append("")
    out.append("Wall times (s):")
    out.append(table(["tool", "measure", "median", "runs"], rows))

    # Ratios spikec / peer on comparable quantities.
    b_setup, b_loop, b_total = med("brian2", "binary_s"), med("brian2", "network_run_s"), med("brian2", "wall")
    n_setup, n_loop, n_total = med("nest", "setup_sim"), med("nest", "simulate_s"), med("nest", "wall")
    rrows = []
    for t in [t for t in tools if t.startswith("spikec")]:
        s_setup = med(t, "sim")
        s_loop = s_setup - exp_med if s_setup is not None and exp_med is not None else None
        s_total = med(t, "wall")
        rrows.append([t, "set-up + simulation", fmt(s_setup), fmt(b_setup), ratio(s_setup, b_setup),
                      fmt(n_setup), ratio(s_setup, n_setup)])
        rrows.append([t, "simulation loop only", fmt(s_loop), fmt(b_loop), ratio(s_loop, b_loop),
                      fmt(n_loop), ratio(s_loop, n_loop)])
        rrows.append([t, "whole process", fmt(s_total), fmt(b_total), ratio(s_total, b_total),
                      fmt(n_total), ratio(s_total, n_total)])
    if rrows:
        out.append("")
        out.append("Ratios spikec / peer (> 1: spikec slower). set-up + simulation = spikec's reported time | "
                   "Brian2 binary wall | NEST build+simulate; loop only = spikec reported - expansion | "
                   "Brian2 network run | nest.Simulate; whole process = process wall of each (Brian2's "
                   "includes the C++ compile):")
        out.append(table(["spikec", "quantity", "spikec s", "Brian2 s", "spikec/Brian2", "NEST s", "spikec/NEST"],
                         rrows))

    mrows = []
    for t in tools:
        if t == "brian2":
            mrows.append([t, "the C++ binary alone", fmt_mib(med(t, "binary_maxrss_kib"))])
            mrows.append([t, "whole process tree (largest process: Python or the compiler)", fmt_mib(med(t, "rss"))])
        elif t == "nest":
            mrows.append([t, "Python process with NEST", fmt_mib(med(t, "rss"))])
            mrows.append([t, "baseline: Python that only imports nest", fmt_mib(import_baseline_kib(args.nest_python, "nest", log))])
        else:
            mrows.append([t, "spikec process", fmt_mib(med(t, "rss"))])
    out.append("")
    out.append("Peak memory (maximum resident set size, GNU time, median):")
    out.append(table(["tool", "process", "max RSS"], mrows))

    rate_rows = []
    for t in tools:
        if runs[t]:
            e = median([r["rates"].get("E") for r in runs[t]])
            i = median([r["rates"].get("I") for r in runs[t]])
            rate_rows.append([t, fmt(e, digits=2), fmt(i, digits=2)])
    out.append("")
    out.append("Firing rates (Hz, median over runs; expected about 5 Hz):")
    out.append(table(["tool", "E", "I"], rate_rows))

    if failures:
        out.append("")
        out.append("FAILED:")
        for t, e in failures.items():
            out.append(f"- {t}: {e.splitlines()[0]} (full output in {log})")

    text = "\n".join(out)
    print(text)
    with open(os.path.join(args.work, "results.md"), "w") as f:
        f.write(text + "\n")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
