#!/usr/bin/env python3
"""Microcircuit benchmark driver: spikec vs NEST (PyNEST microcircuit, same
thread count). Called by bench/microcircuit/run.sh; see bench/README.md.

spikec has no warm-up option: it simulates warm-up + measured time (1.1 s)
in one run, and its reported time (connectivity expansion + the whole run) is
compared with NEST's build + pre-simulation + simulation. spikec reports its
phases (expansion, set-up of the simulator, steps); NEST's build is compared
with spikec's expansion + set-up, NEST's pre-simulation + simulation with
spikec's steps. `spikec stats` times the expansion alone, for reference.
"""

import argparse
import csv
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True   # no __pycache__ in bench/
sys.path.insert(0, os.path.join(HERE, ".."))
from benchlib import (bench_json, check_gnu_time, fmt, fmt_mib, import_baseline_kib, machine_note,  # noqa: E402
                      median, parse_spikec, parse_spikec_phases, ratio, run_timed, table)

ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
DATA = os.path.normpath(os.path.join(ROOT, "..", "shared", "data", "potjans2014"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--spikec", required=True)
    ap.add_argument("--nest-python")
    ap.add_argument("--scale", type=float, default=0.1, help="N_scaling = K_scaling (default 0.1)")
    ap.add_argument("--N-scaling", dest="N_scaling", type=float, help="overrides --scale for N")
    ap.add_argument("--K-scaling", dest="K_scaling", type=float, help="overrides --scale for K")
    ap.add_argument("--full", action="store_true", help="full scale (N_scaling = K_scaling = 1)")
    ap.add_argument("--reps", type=int, help="repetitions (default 3, 1 with --full)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=float, default=100.0, help="ms")
    ap.add_argument("--sim", type=float, default=1000.0, help="ms")
    ap.add_argument("--engines", default="jit", help="spikec engines, comma-separated (jit,interp)")
    ap.add_argument("--no-nest", action="store_true")
    ap.add_argument("--example", help="directory of NEST's pynest/examples/Potjans_2014 to run instead "
                                      "of bench/microcircuit/nest_microcircuit.py's own network")
    ap.add_argument("--work", default=os.path.join(HERE, "work"))
    args = ap.parse_args()
    check_gnu_time()

    ns = 1.0 if args.full else (args.N_scaling if args.N_scaling is not None else args.scale)
    ks = 1.0 if args.full else (args.K_scaling if args.K_scaling is not None else args.scale)
    reps = args.reps or (1 if args.full else 3)
    engines = [e for e in args.engines.split(",") if e]
    tools = [f"spikec-{e}" for e in engines] + ([] if args.no_nest else ["nest"])
    if "nest" in tools and not args.nest_python:
        sys.exit("--nest-python is needed (or --no-nest)")
    os.makedirs(args.work, exist_ok=True)
    log = os.path.join(args.work, "log.txt")
    open(log, "w").close()
    snn = os.path.join(ROOT, "dsl-examples", "microcircuit.snn")
    total_ms = args.warmup + args.sim
    sets = ["--set", f"N_scaling={ns!r}", "--set", f"K_scaling={ks!r}"]
    start_note = machine_note()
    nthr = f"{args.threads} thread" + ("" if args.threads == 1 else "s")

    def cmd(tool):
        if tool.startswith("spikec"):
            return [args.spikec, "sim", snn, *sets, "--duration", f"{total_ms!r}ms",
                    "--threads", str(args.threads), "--engine", tool.split("-")[1]]
        c = [args.nest_python, os.path.join(HERE, "nest_microcircuit.py"), "--N-scaling", repr(ns),
             "--K-scaling", repr(ks), "--threads", str(args.threads), "--presim", repr(args.warmup),
             "--sim", repr(args.sim), "--work", args.work]
        if args.example:
            c += ["--example", args.example]
        return c

    runs = {t: [] for t in tools}
    failures = {}
    for rep in range(1, reps + 1):
        for t in tools:
            if t in failures:
                continue
            print(f"== rep {rep}/{reps}: {t} (N_scaling {ns:g}, K_scaling {ks:g})", file=sys.stderr, flush=True)
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
                phases = parse_spikec_phases(r["stdout"])
                if phases:
                    rec["expansion"], rec["setup"], rec["steps"] = phases
                    rec["build"] = phases[0] + phases[1]
                rec["rates"] = {p: v["rate_hz"] for p, v in pops.items()}
                rec["neurons"] = sum(v["n"] for v in pops.values())
            else:
                j = bench_json(r["stdout"])
                rec.update(j)
                rec["rates"] = j["rates_hz"]
                rec["all"] = j["build_s"] + j["presim_s"] + j["simulate_s"]
                rec["loop"] = j["presim_s"] + j["simulate_s"]
            runs[t].append(rec)
            extra = f" (reported {rec['sim']:.3f} s)" if "sim" in rec else ""
            print(f"   wall {r['wall_s']:.2f} s{extra}, max RSS {fmt_mib(r['maxrss_kib'])}",
                  file=sys.stderr, flush=True)

    expansion, stats_rss, synapses, stats_line = [], [], None, ""
    if engines:
        for _ in range(reps):
            print("== spikec stats (expansion alone)", file=sys.stderr, flush=True)
            r = run_timed([args.spikec, "stats", snn, *sets, "--threads", str(args.threads)], log=log)
            m = re.search(r"^total: .*expanded in ([0-9.]+) s", r["stdout"], re.M)
            if m:
                expansion.append(float(m.group(1)))
                stats_line = m.group(0)
                sm = re.search(r"([0-9]+) synapses", stats_line)
                synapses = int(sm.group(1)) if sm else None
            stats_rss.append(r["maxrss_kib"])
    exp_med = median(expansion)

    def med(t, key):
        return median([r.get(key) for r in runs.get(t, [])])

    def allv(t, key):
        vals = [r.get(key) for r in runs.get(t, [])]
        return " ".join("-" if v is None else f"{v:.3f}" for v in vals) or "-"

    w, s = args.warmup / 1000, args.sim / 1000
    rows = []
    for t in tools:
        if t.startswith("spikec"):
            rows.append([t, f"reported 'simulated {w + s:g} s in X s' (expansion + {w + s:g} s run)",
                         fmt(med(t, "sim")), allv(t, "sim")])
            rows.append([t, "  of which expansion", fmt(med(t, "expansion")), allv(t, "expansion")])
            rows.append([t, "  of which simulator set-up", fmt(med(t, "setup")), allv(t, "setup")])
            rows.append([t, f"  of which steps ({w + s:g} s)", fmt(med(t, "steps")), allv(t, "steps")])
            rows.append([t, "whole process", fmt(med(t, "wall")), allv(t, "wall")])
        else:
            rows.append([t, "build: Create + Connect + Prepare", fmt(med(t, "build_s")), allv(t, "build_s")])
            rows.append([t, f"pre-simulation ({w:g} s, warm-up)", fmt(med(t, "presim_s")), allv(t, "presim_s")])
            rows.append([t, f"simulation ({s:g} s, the example's measured phase)", fmt(med(t, "simulate_s")),
                         allv(t, "simulate_s")])
            rows.append([t, f"build + {w + s:g} s", fmt(med(t, "all")), allv(t, "all")])
            rows.append([t, "whole process (Python start, import nest, ...)", fmt(med(t, "wall")), allv(t, "wall")])
    if exp_med is not None:
        rows.append(["spikec", f"connectivity expansion alone (`spikec stats`, {nthr})",
                     fmt(exp_med), " ".join(f"{x:.3f}" for x in expansion)])

    out = []
    neurons = runs["nest"][0]["neurons"] if runs.get("nest") else None
    out.append(f"Microcircuit: N_scaling {ns:g}, K_scaling {ks:g}"
               + (f", {neurons} neurons" if neurons else "")
               + (f", {synapses} spikec synapses (incl. one Poisson source per neuron)" if synapses else "")
               + f"; {nthr}; {reps} repetitions, medians; {start_note}; "
               + time.strftime("%Y-%m-%d %H:%M"))
    if runs.get("nest"):
        j = runs["nest"][0]
        out.append(f"NEST {j['version']} ({j['threads']} threads): {j['how']}; {j['connections']} connections "
                   "(incl. Poisson and recorder connections)")
    out.append("spikec has no warm-up option: it simulates "
               f"{w + s:g} s in one run ({w:g} s warm-up + {s:g} s).")
    out.append("")
    out.append("Wall times (s):")
    out.append(table(["tool", "measure", "median", "runs"], rows))

    rrows = []
    if runs.get("nest"):
        for t in [t for t in tools if t.startswith("spikec")]:
            sv = med(t, "sim")
            build, loop = med(t, "build"), med(t, "steps")
            rrows.append([t, f"set-up + {w + s:g} s", fmt(sv), fmt(med("nest", "all")), ratio(sv, med("nest", "all"))])
            rrows.append([t, "set-up (spikec: expansion + simulator set-up; NEST: build)", fmt(build),
                          fmt(med("nest", "build_s")), ratio(build, med("nest", "build_s"))])
            rrows.append([t, f"{w + s:g} s of steps", fmt(loop), fmt(med("nest", "loop")), ratio(loop, med("nest", "loop"))])
            rrows.append([t, "whole process", fmt(med(t, "wall")), fmt(med("nest", "wall")),
                          ratio(med(t, "wall"), med("nest", "wall"))])
    if rrows:
        out.append("")
        out.append("Ratios spikec / NEST (> 1: spikec slower):")
        out.append(table(["spikec", "quantity", "spikec s", "NEST s", "spikec/NEST"], rrows))

    mrows = []
    for t in tools:
        mrows.append([t, "whole process", fmt_mib(med(t, "rss"))])
        if t == "nest":
            mrows.append([t, "baseline: Python that only imports nest",
                          fmt_mib(import_baseline_kib(args.nest_python, "nest", log))])
    if stats_rss:
        mrows.append(["spikec stats", "expansion only", fmt_mib(median(stats_rss))])
    out.append("")
    out.append("Peak memory (maximum resident set size, GNU time, median):")
    out.append(table(["tool", "process", "max RSS"], mrows))
    if runs.get("nest") and engines and runs.get(f"spikec-{engines[0]}"):
        out.append(f"Memory ratio spikec-{engines[0]} / NEST: "
                   f"{ratio(med(f'spikec-{engines[0]}', 'rss'), med('nest', 'rss'))}")

    ref = {}
    try:
        with open(os.path.join(DATA, "populations.csv"), newline="") as f:
            ref = {r["population"]: r["ref_rate_hz"] for r in csv.DictReader(f)}
    except OSError:
        pass
    pops = []
    for t in tools:
        for r in runs[t]:
            for p in r["rates"]:
                if p not in pops:
                    pops.append(p)
    rate_rows = []
    for p in pops:
        row = [p]
        for t in tools:
            row.append(fmt(median([r["rates"].get(p) for r in runs[t]]), digits=2))
        row.append(ref.get(p, "-"))
        rate_rows.append(row)
    out.append("")
    out.append(f"Firing rates (Hz, median over runs; spikec over all {w + s:g} s, NEST over the {s:g} s after "
               "warm-up; reference: published full-scale rates):")
    out.append(table(["population"] + tools + ["reference"], rate_rows))

    if failures:
        out.append("")
        out.append("FAILED:")
        for t, e in failures.items():
            out.append(f"- {t}: {e.splitlines()[0]} (full output in {log})")

    text = "\n".join(out)
    print(text)
    name = "results-full.md" if ns == 1 and ks == 1 else f"results-N{ns:g}-K{ks:g}.md"
    with open(os.path.join(args.work, name), "w") as f:
        f.write(text + "\n")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
