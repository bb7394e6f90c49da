#!/usr/bin/env python3
"""SpiNNaker mapping benchmark driver: `spikec build --target spinnaker` vs
sPyNNaker 1!7.4.1 on a virtual board (mapping + host-side generation of all
synaptic data). Called by bench/spinnaker/run.sh, which prepares the
sPyNNaker venv and finds the spikec binary; see bench/README.md.

Cases: cuba4k (dsl-examples/cuba.snn, n = 4000), cuba40k (n = 40000),
microcircuit (dsl-examples/microcircuit.snn, full scale unless --mc-scale).
Repetitions are interleaved (rep 1 of every tool, then rep 2, ...).
sPyNNaker on the microcircuit takes hours (its host-side synapse generation
grows with the square of the population sizes): it runs only with
--with-spynnaker-microcircuit, under --spynnaker-mc-timeout.
"""

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True   # no __pycache__ in bench/
sys.path.insert(0, os.path.join(HERE, ".."))
from benchlib import (GNU_TIME, bench_json, check_gnu_time, fmt, fmt_mib, machine_note, median,  # noqa: E402
                      parse_gnu_time, table)

ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
CASES = ["cuba4k", "cuba40k", "microcircuit"]
TOOLS = ["spikec", "spynnaker"]


def run_gnu_timed(cmd, log, timeout=None, cwd=None):
    """Run cmd under GNU time (own process group, killed on timeout).
    Returns dict(rc, stdout, stderr, wall_s, maxrss_kib, timed_out)."""
    fd, tfile = tempfile.mkstemp(prefix="gnutime-", suffix=".txt")
    os.close(fd)
    t0 = time.perf_counter()
    p = subprocess.Popen([GNU_TIME, "-v", "-o", tfile] + list(cmd), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, cwd=cwd, start_new_session=True)
    timed_out = False
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        os.killpg(p.pid, signal.SIGKILL)      # the group of the process started here
        out, err = p.communicate()
    wall_py = time.perf_counter() - t0
    with open(tfile) as f:
        ttext = f.read()
    os.unlink(tfile)
    with open(log, "a") as f:
        f.write("$ " + " ".join(cmd) + "\n" + out + err + ttext
                + (f"\n[killed after the timeout of {timeout} s]\n" if timed_out else "") + "\n")
    wall, rss = parse_gnu_time(ttext)
    return {"rc": p.returncode, "stdout": out, "stderr": err, "timed_out": timed_out,
            "wall_s": wall if wall is not None else wall_py, "maxrss_kib": rss}


def dir_bytes(path):
    total = 0
    for dirpath, _, files in os.walk(path):
        for name in files:
            try:
                total += os.path.getsize(os.path.join(dirpath, name))
            except OSError:
                pass
    return total


def fmt_bytes(b):
    if b is None:
        return "-"
    for unit, div in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if b >= div:
            return f"{b / div:.1f} {unit}"
    return f"{b} B"


def xratio(num, den):
    """num / den as 'N.Nx' (how many times faster spikec is), or '-'."""
    if num is None or den is None or den == 0:
        return "-"
    r = num / den
    return f"{r:.0f}x" if r >= 100 else f"{r:.1f}x"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--spikec", help="spikec binary (missing or without `build`: 'not available')")
    ap.add_argument("--spynnaker-python", help="python of bench/.venv-spynnaker")
    ap.add_argument("--cases", default=",".join(CASES), help="comma-separated subset of " + ",".join(CASES))
    ap.add_argument("--only", default=",".join(TOOLS), help="comma-separated subset of spikec,spynnaker")
    ap.add_argument("--reps-spikec", type=int, default=3)
    ap.add_argument("--reps-spynnaker", type=int, default=1)
    ap.add_argument("--with-spynnaker-microcircuit", action="store_true",
                    help="also run sPyNNaker on the microcircuit (hours at full scale)")
    ap.add_argument("--spynnaker-mc-timeout", type=float, default=6 * 3600,
                    help="seconds before the sPyNNaker microcircuit run is killed (default 6 h)")
    ap.add_argument("--spynnaker-timeout", type=float, default=None,
                    help="seconds before a sPyNNaker CUBA run is killed (default none)")
    ap.add_argument("--mc-scale", type=float, default=1.0, help="N_scaling = K_scaling of the microcircuit")
    ap.add_argument("--spikec-threads", type=int, default=None, help="pass --threads N to spikec build")
    ap.add_argument("--keep-outputs", action="store_true",
                    help="keep spikec's output directories and sPyNNaker's ds.sqlite3 (large)")
    ap.add_argument("--work", default=os.path.join(HERE, "work"))
    args = ap.parse_args()
    check_gnu_time()

    cases = [c for c in args.cases.split(",") if c]
    tools = [t for t in args.only.split(",") if t]
    for c in cases:
        if c not in CASES:
            sys.exit(f"unknown case {c!r}; choose from {CASES}")
    for t in tools:
        if t not in TOOLS:
            sys.exit(f"unknown tool {t!r}; choose from {TOOLS}")
    if "spynnaker" in tools and not args.spynnaker_python:
        sys.exit("--spynnaker-python is needed for spynnaker")
    os.makedirs(args.work, exist_ok=True)
    log = os.path.join(args.work, "log.txt")
    open(log, "w").close()
    start_note = machine_note()
    cuba = os.path.join(ROOT, "dsl-examples", "cuba.snn")
    mc = os.path.join(ROOT, "dsl-examples", "microcircuit.snn")
    s = args.mc_scale

    def spikec_cmd(case, out):
        extra = ["--threads", str(args.spikec_threads)] if args.spikec_threads else []
        if case.startswith("cuba"):
            n = 4000 if case == "cuba4k" else 40000
            return [args.spikec, "build", cuba, "--target", "spinnaker", "-o", out, "--set", f"n={n}"] + extra
        # The full-scale microcircuit needs more than one board's 767 cores
        # (about 900 with its Poisson sources): a triad of SpiNN-5 boards.
        return [args.spikec, "build", mc, "--target", "spinnaker", "-o", out, "--machine", "spinn5x3",
                "--set", f"N_scaling={s:g}", "--set", f"K_scaling={s:g}"] + extra

    def spynnaker_cmd(case, d):
        if case.startswith("cuba"):
            n = 4000 if case == "cuba4k" else 40000
            return [args.spynnaker_python, os.path.join(HERE, "cuba_spynnaker.py"), "--n", str(n), "--dir", d]
        return [args.spynnaker_python, os.path.join(HERE, "microcircuit_spynnaker.py"),
                "--N-scaling", f"{s:g}", "--K-scaling", f"{s:g}", "--dir", d]

    # Is spikec there, with a `build` command?
    spikec_state = None          # None: fine; else the reason it is not run
    if "spikec" in tools:
        if not args.spikec or not os.access(args.spikec, os.X_OK):
            spikec_state = f"not available (no binary at {args.spikec or '$SPIKEC'})"
        else:
            p = subprocess.run([args.spikec, "build", "--help"], capture_output=True, text=True)
            if p.returncode != 0 or "--target" not in p.stdout:
                spikec_state = "not available (no `build` command with --target)"
        if spikec_state:
            print(f"== spikec: {spikec_state}", file=sys.stderr)

    runs = {(c, t): [] for c in cases for t in tools}
    notes = {}
    max_reps = max(args.reps_spikec if "spikec" in tools else 0,
                   args.reps_spynnaker if "spynnaker" in tools else 0)
    for rep in range(1, max_reps + 1):
        for c in cases:
            for t in tools:
                key = (c, t)
                if key in notes:
                    continue
                if t == "spikec":
                    if spikec_state:
                        notes[key] = spikec_state
                        continue
                    if rep > args.reps_spikec:
                        continue
                    out = os.path.join(args.work, f"spikec-{c}")
                    shutil.rmtree(out, ignore_errors=True)
                    print(f"== rep {rep}: {c}: spikec", file=sys.stderr, flush=True)
                    r = run_gnu_timed(spikec_cmd(c, out), log)
                    if r["rc"] != 0:
                        msg = (r["stderr"].strip().splitlines() or ["?"])[-1]
                        if re.search(r"unrecognized subcommand|unexpected argument|invalid value.*target", r["stderr"]):
                            notes[key] = "not available: " + msg
                        else:
                            notes[key] = f"failed (exit {r['rc']}): {msg}"
                        print(f"   {notes[key]}", file=sys.stderr)
                        continue
                    rec = {"wall": r["wall_s"], "rss": r["maxrss_kib"], "out_bytes": dir_bytes(out)}
                    # `spikec build` prints a summary with a line "synapses   N"
                    m = re.findall(r"^synapses\s+([0-9][0-9,_]*)\s*$", r["stdout"] + r["stderr"], re.M)
                    rec["synapses"] = int(m[-1].replace(",", "").replace("_", "")) if m else None
                    runs[key].append(rec)
                    if not args.keep_outputs:
                        shutil.rmtree(out, ignore_errors=True)
                    print(f"   wall {rec['wall']:.2f} s, max RSS {fmt_mib(rec['rss'])}, "
                          f"output {fmt_bytes(rec['out_bytes'])}", file=sys.stderr, flush=True)
                else:
                    if rep > args.reps_spynnaker:
                        continue
                    timeout = args.spynnaker_timeout
                    if c == "microcircuit":
                        if not args.with_spynnaker_microcircuit:
                            notes[key] = ("not run (hours; --with-spynnaker-microcircuit runs it)" if s >= 1 else
                                          "not run (--with-spynnaker-microcircuit runs it)")
                            continue
                        timeout = args.spynnaker_mc_timeout
                    d = os.path.join(args.work, f"spynnaker-{c}-rep{rep}")
                    shutil.rmtree(d, ignore_errors=True)
                    print(f"== rep {rep}: {c}: sPyNNaker", file=sys.stderr, flush=True)
                    r = run_gnu_timed(spynnaker_cmd(c, d), log, timeout=timeout)
                    if r["timed_out"]:
                        notes[key] = f"killed after the timeout of {timeout:.0f} s"
                        print(f"   {notes[key]}", file=sys.stderr)
                        continue
                    if r["rc"] != 0:
                        msg = (r["stderr"].strip().splitlines() or ["?"])[-1]
                        notes[key] = f"failed (exit {r['rc']}): {msg}"
                        print(f"   {notes[key]}", file=sys.stderr)
                        continue
                    j = bench_json(r["stdout"])
                    rec = dict(j)
                    rec["wall"], rec["rss"] = r["wall_s"], r["maxrss_kib"]
                    timers = dict((a, sec) for a, _, sec in (j.get("timers_s") or []))
                    rec["dsg_s"] = timers.get("Graph data specification writer")
                    rec["mapping_s"] = (j.get("timer_categories_s") or {}).get("Mapping Stage")
                    runs[key].append(rec)
                    if not args.keep_outputs:
                        for dirpath, _, files in os.walk(d):
                            for name in files:
                                if re.match(r"ds.*\.sqlite3$", name):
                                    os.unlink(os.path.join(dirpath, name))
                    print(f"   wall {rec['wall']:.2f} s (setup + map + generate {rec['map_gen_s']:.2f} s), "
                          f"max RSS {fmt_mib(rec['rss'])}, {rec.get('synapses')} synapses",
                          file=sys.stderr, flush=True)

    def med(c, t, k):
        return median([r.get(k) for r in runs.get((c, t), [])])

    def allv(c, t, k, digits=2):
        vals = [r.get(k) for r in runs.get((c, t), [])]
        return " ".join("-" if v is None else f"{v:.{digits}f}" for v in vals) or "-"

    label = {"cuba4k": "CUBA 4,000", "cuba40k": "CUBA 40,000",
             "microcircuit": "microcircuit" + (" (full scale)" if s == 1 else f" (scale {s:g})")}
    out = []
    out.append(f"SpiNNaker mapping: spikec build --target spinnaker vs sPyNNaker on a virtual board; "
               f"{start_note}; {time.strftime('%Y-%m-%d %H:%M')}")
    vers = [r.get("spynnaker_version") for rs in runs.values() for r in rs if r.get("spynnaker_version")]
    line = []
    if vers:
        py = [r.get("pynn_version") for rs in runs.values() for r in rs if r.get("pynn_version")]
        line.append(f"sPyNNaker {vers[0]} (PyNN {py[0] if py else '?'}), virtual SpiNN-5 board(s) "
                    f"(`[Machine] virtual_board = True`, `version = 5`)")
    if "spikec" in tools:
        line.append(f"spikec {args.spikec or '-'}")
    if line:
        out.append("; ".join(line))
    out.append("")

    rows = []
    for c in cases:
        for t in tools:
            key = (c, t)
            if t == "spikec":
                if runs[key]:
                    rows.append([label[c], "spikec", "whole process (`spikec build`)", fmt(med(c, t, "wall"), digits=2),
                                 allv(c, t, "wall"), fmt_mib(med(c, t, "rss")), fmt_bytes(med(c, t, "out_bytes"))])
                else:
                    rows.append([label[c], "spikec", notes.get(key, "-"), "-", "-", "-", "-"])
            else:
                if runs[key]:
                    rows.append([label[c], "sPyNNaker", "setup + network + run (map, generate)",
                                 fmt(med(c, t, "map_gen_s"), digits=2), allv(c, t, "map_gen_s"),
                                 fmt_mib(med(c, t, "rss")), fmt_bytes(med(c, t, "synaptic_matrix_bytes"))])
                    rows.append([label[c], "sPyNNaker", "  of which data specification writer",
                                 fmt(med(c, t, "dsg_s"), digits=2), allv(c, t, "dsg_s"), "", ""])
                    rows.append([label[c], "sPyNNaker", "whole process (Python, import, end)",
                                 fmt(med(c, t, "wall"), digits=2), allv(c, t, "wall"), "", ""])
                else:
                    rows.append([label[c], "sPyNNaker", notes.get(key, "-"), "-", "-", "-", "-"])
    out.append("Times (s; median and every run), peak memory (max RSS, GNU time) and emitted data "
               "(spikec: bytes in its output directory; sPyNNaker: its synaptic-matrix regions, 'SynBlocks'):")
    out.append(table(["case", "tool", "measure", "median s", "runs", "max RSS", "data"], rows))

    rrows = []
    for c in cases:
        if "spikec" not in tools or "spynnaker" not in tools:
            break
        sw, srss, sout = med(c, "spikec", "wall"), med(c, "spikec", "rss"), med(c, "spikec", "out_bytes")
        pm, pw, prss = med(c, "spynnaker", "map_gen_s"), med(c, "spynnaker", "wall"), med(c, "spynnaker", "rss")
        target = {"cuba40k": ">= 100x", "microcircuit": "spikec < 60 s, RSS < 3x data"}.get(c, "")
        rrows.append([label[c], xratio(pm, sw), xratio(pw, sw),
                      "-" if srss is None or prss is None else f"{prss / srss:.1f}x",
                      "-" if not srss or not sout else f"{srss * 1024 / sout:.2f}x",
                      target])
    if rrows:
        out.append("")
        out.append("spikec against sPyNNaker (how many times faster / smaller spikec is): "
                   "sPyNNaker's setup + network + run over spikec's whole process; whole process over whole "
                   "process; peak memory; and spikec's peak RSS over its emitted bytes:")
        out.append(table(["case", "map+generate", "whole process", "peak memory", "spikec RSS / output",
                          "target"], rrows))

    drows = []
    for c in cases:
        sp = runs.get((c, "spynnaker")) or []
        sk = runs.get((c, "spikec")) or []
        if not sp and not sk:
            continue
        r0 = sp[0] if sp else {}
        k0 = sk[0] if sk else {}
        drows.append([label[c], "-" if k0.get("synapses") is None else f"{k0['synapses']:,}",
                      "-" if r0.get("synapses") is None else f"{r0['synapses']:,}",
                      str(r0.get("neurons", "-")),
                      fmt_bytes(r0.get("synaptic_matrix_bytes")), fmt_bytes(r0.get("dataspec_bytes")),
                      fmt(med(c, "spynnaker", "mapping_s"), digits=2),
                      fmt(med(c, "spynnaker", "dsg_s"), digits=2)])
    if drows:
        out.append("")
        out.append("Synapses (spikec: its summary's `synapses` line; sPyNNaker: generated, background "
                   "one-to-one included) and sPyNNaker's details (first run): neurons, its synaptic-matrix "
                   "bytes and all data-specification bytes, its own timers for the mapping stage and the "
                   "data specification writer (where the synaptic matrices are generated):")
        out.append(table(["case", "spikec synapses", "sPyNNaker synapses", "sPyNNaker neurons",
                          "synaptic matrices", "all regions", "mapping s", "data spec writer s"], drows))

    text = "\n".join(out)
    print(text)
    with open(os.path.join(args.work, "results.md"), "w") as f:
        f.write(text + "\n")
    failed = [k for k, v in notes.items() if v.startswith("failed")]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
